"""A multi-stage build from busybox: the image's config, history and layers as Docker writes them,
the image runs and prints what it should, a rebuild is all cached, an edit re-runs from its COPY."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from runtime.build.errors import StepFailed
from runtime.images.archives.save import save_images
from runtime.images.imagestore import ImageStore
from runtime.images.reference import parse_reference
from runtime.store import Store
from tests.integration.build.conftest import Builder
from tests.support.builds import run_image, skopeo_config, tar_bytes
from tests.support.layers import overlay_view, tree

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox:latest
FROM ${BASE} AS builder
ARG VERSION=1.0
WORKDIR /build
COPY src/ ./src/
RUN <<EOF
set -e
mkdir -p out
cat src/*.txt > out/joined.txt
echo "version $VERSION" > out/version.txt
EOF

FROM busybox:latest
LABEL org.example.title="demo" maintainer=tests
ENV APP_HOME=/srv/app GREETING=hello
WORKDIR $APP_HOME
COPY --from=builder /build/out/ ./
COPY --chown=app:users --chmod=u=rwx,go=rx scripts/run.sh /usr/local/bin/run.sh
ADD vendor.tar.gz /srv/vendor/
ADD notes.txt /srv/notes/
RUN chown -R app /srv/app && ln -s /srv/app/joined.txt /srv/latest
USER app
VOLUME /srv/data
EXPOSE 8080/tcp
HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD test -f /srv/app/joined.txt
STOPSIGNAL SIGINT
CMD ["/usr/local/bin/run.sh"]
"""

RUN_SH = """\
#!/bin/sh
echo "$GREETING from $(id -un):$(id -gn) in $(pwd)"
cat /srv/app/joined.txt /srv/app/version.txt /srv/vendor/lib/one.txt /srv/notes/notes.txt
"""


def _context(builder: Builder) -> Path:
    return builder.context(
        {
            "Dockerfile": DOCKERFILE,
            ".dockerignore": "src/ignored.txt\n*.md\n",
            "src/a.txt": "alpha\n",
            "src/b.txt": "beta\n",
            "src/ignored.txt": "must not be copied\n",
            "README.md": "not sent\n",
            "scripts/run.sh": RUN_SH,
            "vendor.tar.gz": tar_bytes({"lib/one.txt": "vendored one\n"}),
            "notes.txt": "plain file, copied as is\n",
        }
    )


def _layer_names(store: Store, digest: str) -> list[str]:
    data = gzip.decompress(store.blobs.read(digest))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.getnames()


def test_multi_stage_build_is_what_docker_writes(
    builder: Builder, store: Store, tmp_path: Path
) -> None:
    result = builder.build(_context(builder), tags=("demo:1",))
    image = ImageStore(store).get("demo:1")
    assert image.id == result.id and result.executed == 9 and result.cached == 0
    config = image.runtime_config
    assert config["User"] == "app"
    assert config["WorkingDir"] == "/srv/app"
    assert config["Env"] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "APP_HOME=/srv/app",
        "GREETING=hello",
    ]
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["Volumes"] == {"/srv/data": {}}
    assert config["Labels"] == {"org.example.title": "demo", "maintainer": "tests"}
    assert config["Healthcheck"] == {
        "Test": ["CMD-SHELL", "test -f /srv/app/joined.txt"],
        "Interval": 5_000_000_000,
        "Timeout": 2_000_000_000,
        "Retries": 3,
    }
    assert config["StopSignal"] == "SIGINT"
    assert config["Cmd"] == ["/usr/local/bin/run.sh"]

    history = image.config["history"]
    new = history[1:]  # busybox has one entry
    assert [(e["created_by"], e.get("empty_layer", False)) for e in new] == [
        ("LABEL org.example.title=demo maintainer=tests", True),
        ("ENV APP_HOME=/srv/app GREETING=hello", True),
        ("WORKDIR /srv/app", False),
        ("COPY /build/out/ ./ # buildkit", False),
        (
            "COPY --chown=app:users --chmod=u=rwx,go=rx scripts/run.sh "
            "/usr/local/bin/run.sh # buildkit",
            False,
        ),
        ("ADD vendor.tar.gz /srv/vendor/ # buildkit", False),
        ("ADD notes.txt /srv/notes/ # buildkit", False),
        (
            "RUN /bin/sh -c chown -R app /srv/app && ln -s /srv/app/joined.txt /srv/latest"
            " # buildkit",
            False,
        ),
        ("USER app", True),
        ("VOLUME [/srv/data]", True),
        ("EXPOSE [8080/tcp]", True),
        (
            "HEALTHCHECK {Test:[CMD-SHELL test -f /srv/app/joined.txt] Interval:5s Timeout:2s"
            " StartPeriod:0s StartInterval:0s Retries:3}",
            True,
        ),
        ("STOPSIGNAL SIGINT", True),
        ('CMD ["/usr/local/bin/run.sh"]', True),
    ]
    assert all(e["comment"] == "buildkit.dockerfile.v0" for e in new)
    assert all(e.get("created") for e in history)
    assert image.config["created"] == history[-1]["created"]
    assert len(image.layers) == 1 + sum(1 for e in new if not e.get("empty_layer"))

    # One layer per filesystem step, holding exactly that step's changes.
    names = [_layer_names(store, layer.blob.digest) for layer in image.layers[1:]]
    assert names[0] == ["srv", "srv/app"]
    assert sorted(names[1]) == ["srv", "srv/app", "srv/app/joined.txt", "srv/app/version.txt"]
    assert "usr/local/bin/run.sh" in names[2] and not any("srv" in n for n in names[2])
    assert "srv/vendor/lib/one.txt" in names[3] and "srv/vendor/vendor.tar.gz" not in names[3]
    assert "srv/notes/notes.txt" in names[4]
    assert "srv/latest" in names[5]

    with overlay_view(ImageStore(store).lower_dirs(image), tmp_path / "view") as root:
        script = os.lstat(root / "usr/local/bin/run.sh")
        assert (script.st_uid, script.st_gid, script.st_mode & 0o7777) == (1000, 100, 0o755)
        assert (root / "srv/app/joined.txt").read_text() == "alpha\nbeta\n"
        assert os.lstat(root / "srv/app/joined.txt").st_uid == 1000
        assert not (root / "build").exists()  # the builder stage stays out

    output = run_image(store, image, tmp_path / "run")
    assert output.status.code == 0, output.stderr
    assert output.stdout == (
        "hello from app:app in /srv/app\n"
        "alpha\nbeta\nversion 1.0\nvendored one\nplain file, copied as is\n"
    )


def test_saved_image_reads_back_with_skopeo_and_umoci(
    builder: Builder, store: Store, tmp_path: Path
) -> None:
    result = builder.build(_context(builder), tags=("demo:2",))
    archive = tmp_path / "demo.tar"
    save_images(store, ["demo:2"], archive)
    assert skopeo_config(archive, raw=True) == store.blobs.read(result.id)
    parsed = json.loads(skopeo_config(archive))  # as the OCI image-spec types read it
    ours = ImageStore(store).get(result.id).config
    assert parsed["config"] == {k: v for k, v in ours["config"].items() if k != "Healthcheck"}
    # (the base image's entry has an empty created_by, which Go leaves out)
    assert parsed["history"][1:] == ours["history"][1:]
    assert parsed["rootfs"] == ours["rootfs"]
    layout = tmp_path / "layout"
    subprocess.run(
        ["skopeo", "copy", "--quiet", f"docker-archive:{archive}", f"oci:{layout}:2"],
        check=True,
        capture_output=True,
    )
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:2", str(bundle)], check=True, capture_output=True
    )
    with overlay_view(ImageStore(store).lower_dirs(result.id), tmp_path / "view") as root:
        assert tree(root) == tree(bundle / "rootfs")


def test_rebuild_is_cached_and_an_edit_reruns_from_its_copy(
    builder: Builder, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.build.workspace import Workspace

    context = _context(builder)
    first = builder.build(context, tags=("demo:3",))
    with monkeypatch.context() as patched:

        def no_scratch_space(self: Workspace) -> Workspace:
            raise AssertionError("a build that is all cache hits mounts nothing")

        patched.setattr(Workspace, "open", no_scratch_space)
        second = builder.build(context, tags=("demo:3",))
    assert (second.executed, second.cached) == (0, 9)
    assert second.id == first.id
    assert builder.output.count("CACHED [") == 9
    assert "DONE" not in builder.output

    (context / "scripts/run.sh").write_text(RUN_SH + "echo edited\n")
    third = builder.build(context, tags=("demo:3",))
    assert third.executed == 4 and third.cached == 5
    lines = [line for line in builder.output.splitlines() if line.startswith(("CACHED", "["))]
    rerun = [line for line in lines if line.endswith("DONE") or " DONE " in line]
    assert [line.split("] ", 1)[1].split(" DONE")[0] for line in rerun] == [
        "COPY --chown=app:users --chmod=u=rwx,go=rx scripts/run.sh /usr/local/bin/run.sh",
        "ADD vendor.tar.gz /srv/vendor/",
        "ADD notes.txt /srv/notes/",
        "RUN chown -R app /srv/app && ln -s /srv/app/joined.txt /srv/latest",
    ]
    assert third.id != first.id and ImageStore(store).get("demo:3").id == third.id

    # An ignored file is not part of the context: changing it changes nothing.
    (context / "src/ignored.txt").write_text("still ignored\n")
    assert builder.build(context, tags=("demo:3",)).executed == 0
    # The builder stage's output is unchanged by a whitespace-free edit of its input order.
    (context / "src/a.txt").write_text("ALPHA\n")
    fourth = builder.build(context, tags=("demo:3",))
    assert fourth.executed == 7  # builder: COPY, RUN; final: COPY --from and what follows


def test_no_cache_runs_every_step(builder: Builder) -> None:
    context = _context(builder)
    builder.build(context)
    assert builder.build(context, no_cache=True).executed == 9


def test_failing_run_tags_nothing_and_leaves_nothing(builder: Builder, store: Store) -> None:
    good = builder.build(builder.context({"Dockerfile": "FROM busybox\nRUN echo ok > /ok\n"}))
    ImageStore(store).tag(good.id, parse_reference("app:1"))
    context = builder.context(
        {
            "Dockerfile": "FROM busybox\nRUN echo ok > /ok\n"
            "RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; exit 3\n"
            "RUN echo never\n"
        },
        name="failing",
    )
    with pytest.raises(StepFailed) as failure:
        builder.build(context, tags=("app:1",))
    message = str(failure.value)
    assert message == (
        'Dockerfile:3: process "/bin/sh -c for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i;'
        ' done; exit 3" did not complete successfully: exit code: 3'
    )
    assert failure.value.exit_code == 3
    assert failure.value.tail[-1] == "line 12" and len(failure.value.tail) == 10
    assert "never" not in builder.output
    assert "--------\n > [3/4] RUN for i" in builder.output
    assert ImageStore(store).get("app:1").id == good.id  # the tag did not move


def test_interrupted_build_leaves_nothing(builder: Builder, store: Store) -> None:
    from runtime.build.executor import build_image
    from runtime.build.progress import PlainProgress
    from runtime.build.request import BuildRequest

    class Interrupting(PlainProgress):
        def output(self, data: bytes) -> None:
            raise KeyboardInterrupt

    context = builder.context(
        {"Dockerfile": "FROM busybox\nCOPY . /x\nRUN echo start; sleep 30\n"}, name="slow"
    )
    with pytest.raises(KeyboardInterrupt):
        build_image(
            store,
            BuildRequest(context, tags=("slow:1",), network="none"),
            Interrupting(io.StringIO()),
        )
    assert ImageStore(store).find("slow:1") is None


def test_scratch_heredoc_copy_url_workdir_owner_and_onbuild(
    builder: Builder, store: Store, tmp_path: Path
) -> None:
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"downloaded\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/files/remote.txt"
    try:
        parent = builder.context(
            {"Dockerfile": "FROM busybox\nONBUILD RUN echo triggered > /onbuild\n"}, "parent"
        )
        builder.build(parent, tags=("parent:1",), network="none")
        context = builder.context(
            {
                "Dockerfile": (
                    "FROM scratch AS files\n"
                    "COPY <<EOF /greeting.txt\nhello ${WHO:-there}\nEOF\n"
                    f"ADD {url} /downloads/\n"
                    "FROM parent:1\n"
                    "USER app\n"
                    "WORKDIR /home/app/work\n"
                    "COPY --from=files / /files/\n"
                )
            }
        )
        result = builder.build(context, network="none")
        assert "[files 1/2] COPY <<EOF /greeting.txt" in builder.output
        assert "[stage-1 2/4] ONBUILD RUN echo triggered > /onbuild" in builder.output
        # The download's content is part of the key: the same content, all cached.
        assert builder.build(context, network="none").executed == 0
    finally:
        server.shutdown()
        server.server_close()
    with overlay_view(ImageStore(store).lower_dirs(result.image), tmp_path / "view") as root:
        assert (root / "onbuild").read_text() == "triggered\n"
        work = os.lstat(root / "home/app/work")
        assert (work.st_uid, work.st_gid) == (1000, 1000)  # WORKDIR made as the USER
        assert (root / "files/greeting.txt").read_text() == "hello there\n"
        downloaded = os.lstat(root / "files/downloads/remote.txt")
        assert downloaded.st_mode & 0o7777 == 0o600 and int(downloaded.st_mtime) == 1577836800
        assert (root / "files/downloads/remote.txt").read_text() == "downloaded\n"


def test_unknown_user_fails_at_its_step(builder: Builder) -> None:
    context = builder.context({"Dockerfile": "FROM busybox\nUSER ghost\nRUN id\n"}, "ghost")
    with pytest.raises(StepFailed, match=r"^Dockerfile:3: unable to find user ghost"):
        builder.build(context, network="none")
    chown = builder.context({"Dockerfile": "FROM busybox\nCOPY --chown=ghost Dockerfile /\n"})
    with pytest.raises(StepFailed, match=r"^Dockerfile:2: unable to convert uid/gid chown string"):
        builder.build(chown, network="none")
