"""`pycompose image ...`: build, list, inspect, pull, push, tag, remove, load, save, import, bootstrap."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestrator.cli.formatting import human_age, human_size, print_table
from orchestrator.cli.options import GlobalOptions

if TYPE_CHECKING:
    from runtime.images.imagestore import Image
    from runtime.store import Store

app = typer.Typer(no_args_is_help=True)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the result.")]


def open_store(ctx: typer.Context) -> Store:
    """The store of the `--root` the user chose."""
    from runtime.store import Store

    options: GlobalOptions = ctx.obj
    return Store.open(options.root if options else None)


def _split(name: str) -> tuple[str, str]:
    from runtime.images.reference import parse_reference

    reference = parse_reference(name)
    return reference.familiar_repository, reference.tag or "<none>"


@app.command("ls")
def list_images(
    ctx: typer.Context,
    repository: Annotated[str | None, typer.Argument(help="Only this repository.")] = None,
    quiet: Quiet = False,
    digests: Annotated[bool, typer.Option("--digests", help="Show digests.")] = False,
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Full image ids.")] = False,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List images."""
    from runtime.images.imagestore import ImageStore
    from runtime.images.reference import parse_reference

    images = ImageStore(open_store(ctx)).all()
    wanted = parse_reference(repository).familiar_repository if repository else None
    rows: list[dict[str, Any]] = []
    for image in images:
        names = [_split(tag) for tag in image.repo_tags] or [("<none>", "<none>")]
        for repo, tag in names:
            if wanted and repo != wanted:
                continue
            digest = next(
                (
                    d.split("@", 1)[1]
                    for d in image.repo_digests
                    if parse_reference(d).familiar_repository == repo
                ),
                "<none>",
            )
            rows.append(
                {
                    "Repository": repo,
                    "Tag": tag,
                    "Digest": digest,
                    "ID": image.id if no_trunc else image.short_id,
                    "CreatedSince": human_age(image.created),
                    "CreatedAt": image.created,
                    "Size": human_size(image.size),
                }
            )
    if quiet:
        for image_id in dict.fromkeys(row["ID"] for row in rows):
            typer.echo(image_id)
        return
    if format == "json":
        for row in rows:
            typer.echo(json.dumps(row))
        return
    headers = ["REPOSITORY", "TAG", *(["DIGEST"] if digests else []), "IMAGE ID", "CREATED", "SIZE"]
    print_table(
        headers,
        [
            [
                r["Repository"],
                r["Tag"],
                *([r["Digest"]] if digests else []),
                r["ID"],
                r["CreatedSince"],
                r["Size"],
            ]
            for r in rows
        ],
    )


def inspect_document(image: Image, lower_dirs: list[str]) -> dict[str, Any]:
    """The `image inspect` JSON of one image (Docker's field names)."""
    from runtime.images.reference import parse_reference

    config = image.config
    return {
        "Id": image.id,
        "RepoTags": [parse_reference(t).familiar for t in image.repo_tags],
        "RepoDigests": [parse_reference(d).familiar for d in image.repo_digests],
        "Parent": image.parent or "",
        "Comment": ((config.get("history") or [{}])[-1] or {}).get("comment", ""),
        "Created": image.created,
        "Author": config.get("author", ""),
        "Config": image.runtime_config,
        "Architecture": config.get("architecture", ""),
        **({"Variant": config["variant"]} if config.get("variant") else {}),
        "Os": config.get("os", ""),
        "Size": image.size,
        "GraphDriver": {"Name": "overlay", "Data": {"LowerDir": ":".join(reversed(lower_dirs))}},
        "RootFS": {"Type": "layers", "Layers": image.diff_ids},
        "Manifest": {"MediaType": image.manifest.media_type, "Digest": image.manifest.digest},
    }


@app.command("inspect")
def inspect_images(ctx: typer.Context, names: Annotated[list[str], typer.Argument()]) -> None:
    """Show the details of images as JSON."""
    from runtime.images.imagestore import ImageStore

    images = ImageStore(open_store(ctx))
    documents = []
    for name in names:
        image = images.get(name)
        documents.append(inspect_document(image, [str(p) for p in images.lower_dirs(image)]))
    typer.echo(json.dumps(documents, indent=4))


@app.command("history")
def history(
    ctx: typer.Context,
    name: str,
    no_trunc: Annotated[bool, typer.Option("--no-trunc")] = False,
    quiet: Quiet = False,
) -> None:
    """Show how an image was made, newest layer first."""
    from runtime.images.imagestore import ImageStore

    image = ImageStore(open_store(ctx)).get(name)
    entries = list(image.config.get("history") or [])
    layers = list(reversed(image.layers))
    rows = []
    for position, entry in enumerate(reversed(entries)):
        size = 0 if entry.get("empty_layer") or not layers else layers.pop(0).size
        shown_id = (image.id if no_trunc else image.short_id) if position == 0 else "<missing>"
        created_by = entry.get("created_by", "")
        if not no_trunc and len(created_by) > 45:
            created_by = created_by[:44] + "…"
        rows.append(
            [
                shown_id,
                human_age(entry.get("created", "")),
                created_by,
                human_size(size),
                entry.get("comment", ""),
            ]
        )
    if quiet:
        typer.echo(image.id if no_trunc else image.short_id)
        return
    print_table(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], rows)


@app.command("rm")
def remove(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument()],
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Remove every tag of the image.")
    ] = False,
) -> None:
    """Remove images (untag; delete when no tag is left and no container uses it)."""
    from runtime.images.garbage import remove_image

    store = open_store(ctx)
    for name in names:
        result = remove_image(store, name, force=force)
        for tag in result.untagged:
            typer.echo(f"Untagged: {tag}")
        for image_id in result.deleted:
            typer.echo(f"Deleted: {image_id}")


@app.command("tag")
def tag(ctx: typer.Context, source: str, target: str) -> None:
    """Create a tag TARGET that refers to SOURCE."""
    from runtime.images.imagestore import ImageStore
    from runtime.images.reference import parse_reference

    images = ImageStore(open_store(ctx))
    images.tag(images.get(source).id, parse_reference(target))


@app.command("pull")
def pull(
    ctx: typer.Context,
    name: str,
    quiet: Quiet = False,
    platform: Annotated[str | None, typer.Option("--platform", help="os/arch[/variant].")] = None,
) -> None:
    """Download an image from a registry."""
    from runtime.images.progress import reporter_for
    from runtime.images.pull import pull_image

    reporter = reporter_for(quiet)
    try:
        result = pull_image(open_store(ctx), name, platform=platform, reporter=reporter)
    finally:
        reporter.close()
    if not quiet:
        typer.echo(f"Digest: {result.digest}", err=True)
        typer.echo(result.status, err=True)
    typer.echo(str(result.reference))


@app.command("push")
def push(ctx: typer.Context, name: str, quiet: Quiet = False) -> None:
    """Upload an image to the registry its name points at."""
    from runtime.images.progress import reporter_for
    from runtime.images.push import push_image

    reporter = reporter_for(quiet)
    try:
        result = push_image(open_store(ctx), name, reporter=reporter)
    finally:
        reporter.close()
    typer.echo(
        result.digest if quiet else f"pushed {name}: digest: {result.digest} size: {result.size}"
    )


@app.command("load")
def load(
    ctx: typer.Context,
    input: Annotated[
        str | None,
        typer.Option("--input", "-i", help="Archive file or directory (default: stdin)."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Load images from a `docker save` archive or an OCI layout."""
    from runtime.images.archives.load import load_archive
    from runtime.images.reference import parse_reference

    loaded = load_archive(open_store(ctx), input, None if input else sys.stdin.buffer)
    for item in loaded:
        if item.tags:
            for tag in item.tags:
                typer.echo(f"Loaded image: {parse_reference(tag).familiar}")
        else:
            typer.echo(f"Loaded image ID: {item.image.id}")


@app.command("save")
def save(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument()],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Save images to a tar archive (Docker format, also an OCI layout)."""
    from runtime.images.archives.save import save_images, write_archive
    from runtime.images.errors import ImageError

    store = open_store(ctx)
    if output:
        save_images(store, names, output)
        return
    if sys.stdout.isatty():
        raise ImageError("refusing to write an archive to a terminal; use -o FILE or redirect")
    write_archive(store, names, sys.stdout.buffer)


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Rootfs tarball, or - for stdin.")],
    reference: Annotated[str | None, typer.Argument(help="Name to tag the image with.")] = None,
    change: Annotated[
        list[str] | None, typer.Option("--change", "-c", help="Dockerfile instruction.")
    ] = None,
    message: Annotated[str, typer.Option("--message", "-m", help="Commit message.")] = "",
) -> None:
    """Make a one-layer image from a root filesystem tarball."""
    from runtime.images.archives.importer import import_rootfs
    from runtime.images.errors import ImageError

    store = open_store(ctx)
    tags = [reference] if reference else []
    if source == "-":
        image = import_rootfs(
            store, sys.stdin.buffer, tags=tags, changes=change or [], message=message
        )
    else:
        try:
            handle = open(source, "rb")  # noqa: SIM115
        except OSError as exc:
            raise ImageError(f"cannot open {source}: {exc.strerror}") from exc
        with handle:
            image = import_rootfs(store, handle, tags=tags, changes=change or [], message=message)
    typer.echo(image.id)


@app.command("bootstrap")
def bootstrap(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="debian:<suite>[-slim], e.g. debian:bookworm-slim.")
    ] = "debian:bookworm",
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Extra packages (PKG,PKG).")
    ] = None,
    mirror: Annotated[str | None, typer.Option("--mirror", help="Debian mirror URL.")] = None,
    ca_certificates: Annotated[
        list[str] | None,
        typer.Option(
            "--ca-certificates",
            metavar="FILE",
            help="PEM CA bundle the image's apt, curl, Python and pip trust (e.g. a "
            "TLS-inspecting proxy's, or the host's /etc/ssl/certs/ca-certificates.crt).",
        ),
    ] = None,
) -> None:
    """Make a Debian base image from the Debian archive with mmdebstrap."""
    from runtime.images.bootstrap import bootstrap_image
    from runtime.images.certificates import read_certificates

    packages = [p for item in include or [] for p in item.split(",") if p]
    bundle = read_certificates(ca_certificates) if ca_certificates else None
    image = bootstrap_image(
        open_store(ctx), name, include=packages, mirror=mirror, ca_certificates=bundle
    )
    typer.echo(image.id)


@app.command("prune")
def prune(
    ctx: typer.Context,
    all_unused: Annotated[
        bool, typer.Option("--all", "-a", help="Every image no container uses.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
) -> None:
    """Remove unused images (dangling ones, or with -a all unused)."""
    from runtime.images.garbage import prune_images

    what = "all images without at least one container" if all_unused else "all dangling images"
    if not force and not typer.confirm(
        f"WARNING! This will remove {what}. Are you sure you want to continue?"
    ):
        raise typer.Exit(1)
    result = prune_images(open_store(ctx), all_unused=all_unused)
    report_removal(result)


def report_removal(result: Any) -> None:
    """Print what a prune removed, Docker's way."""
    if result.untagged or result.deleted:
        typer.echo("Deleted Images:")
        for tag in result.untagged:
            typer.echo(f"untagged: {tag}")
        for image_id in result.deleted:
            typer.echo(f"deleted: {image_id}")
        typer.echo("")
    typer.echo(f"Total reclaimed space: {human_size(result.reclaimed)}")


def parse_pairs(values: list[str] | None, what: str, *, from_environment: bool) -> dict[str, str]:
    """`KEY=VALUE` options as a dict; a bare `KEY` takes the environment's value (build args)."""
    import os

    from runtime.build import BuildError

    pairs: dict[str, str] = {}
    for item in values or []:
        key, has_value, value = item.partition("=")
        if not key:
            raise BuildError(f"invalid {what} {item!r}: expected KEY=VALUE")
        if not has_value:
            if not from_environment:
                raise BuildError(f"invalid {what} {item!r}: expected KEY=VALUE")
            if key not in os.environ:
                continue
            value = os.environ[key]
        pairs[key] = value
    return pairs


BuildArgOption = Annotated[
    list[str] | None,
    typer.Option("--build-arg", help="Set a build-time variable (KEY=VALUE, or KEY from the env)."),
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not use the build cache.")]
PullOption = Annotated[
    bool, typer.Option("--pull", help="Always pull the base images, even when present.")
]


@app.command("build")
def build(
    ctx: typer.Context,
    context: Annotated[str, typer.Argument(help="The build context directory.")],
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Name the image NAME[:TAG]; repeatable.")
    ] = None,
    file: Annotated[
        str | None,
        typer.Option("--file", "-f", help="The Dockerfile (default: CONTEXT/Dockerfile)."),
    ] = None,
    build_arg: BuildArgOption = None,
    target: Annotated[str, typer.Option("--target", help="The stage to build.")] = "",
    no_cache: NoCacheOption = False,
    pull: PullOption = False,
    network: Annotated[
        str, typer.Option("--network", help="Network of RUN steps: default, host or none.")
    ] = "default",
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Add a label KEY=VALUE; repeatable.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the image id.")] = False,
) -> None:
    """Build an image from a Dockerfile."""
    from pathlib import Path

    from runtime.build.executor import build_image
    from runtime.build.progress import BuildProgress, PlainProgress, QuietProgress
    from runtime.build.request import BuildRequest

    request = BuildRequest(
        context=Path(context),
        dockerfile=Path(file) if file else None,
        tags=tuple(tag or ()),
        build_args=parse_pairs(build_arg, "build argument", from_environment=True),
        target=target,
        labels=parse_pairs(label, "label", from_environment=False),
        network=network,
        no_cache=no_cache,
        pull=pull,
    )
    progress: BuildProgress = QuietProgress() if quiet else PlainProgress()
    result = build_image(open_store(ctx), request, progress)
    typer.echo(result.id)
