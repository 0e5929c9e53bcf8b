"""Debian base images from the Debian archive: mmdebstrap (minbase) packed as one layer.

This is how the official `debian` images are made (debootstrap into a tarball,
then one layer with `Cmd ["bash"]` and the standard PATH); `-slim` leaves out
documentation, man pages and locales through dpkg path excludes. Extra CA
certificates (a TLS-inspecting proxy's) go in a second layer
(`runtime.images.certificates`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from runtime.external import require_program, run_command
from runtime.images import certificates
from runtime.images.creation import (
    DEFAULT_PATH,
    create_image,
    images_lock,
    now_rfc3339,
    store_layer_from_tar,
)
from runtime.images.errors import ImageError
from runtime.images.imagestore import Image, ImageStore
from runtime.images.reference import parse_reference
from runtime.store import Store
from runtime.store.scratch import scratch_prefix

SLIM_EXCLUDES = (
    "/usr/share/doc/*",
    "/usr/share/groff/*",
    "/usr/share/info/*",
    "/usr/share/linda/*",
    "/usr/share/lintian/overrides/*",
    "/usr/share/locale/*",
    "/usr/share/man/*",
)
SLIM_INCLUDES = ("/usr/share/doc/*/copyright",)
SUITE_ALIASES = {"latest": "stable"}


def parse_debian_name(name: str) -> tuple[str, bool]:
    """`debian:bookworm-slim` → ("bookworm", True); the tag names the suite."""
    reference = parse_reference(name)
    tag = reference.tag or "latest"
    slim = tag.endswith("-slim") or tag == "slim"
    suite = tag.removesuffix("-slim") if tag != "slim" else "latest"
    if not suite or not suite.replace("-", "").isalnum():
        raise ImageError(f"cannot tell the Debian suite from {name!r} (try debian:bookworm)")
    return SUITE_ALIASES.get(suite, suite), slim


def mmdebstrap_argv(
    suite: str,
    output: Path,
    *,
    variant: str = "minbase",
    slim: bool = False,
    include: Sequence[str] = (),
    mirror: str | None = None,
    architecture: str | None = None,
) -> list[str]:
    """The mmdebstrap command that writes the rootfs of `suite` as a tarball to `output`."""
    argv = ["mmdebstrap", "--quiet", f"--variant={variant}", "--format=tar"]
    if architecture:
        argv.append(f"--architectures={architecture}")
    if include:
        argv.append("--include=" + ",".join(include))
    if slim:
        argv += [f"--dpkgopt=path-exclude={p}" for p in SLIM_EXCLUDES]
        argv += [f"--dpkgopt=path-include={p}" for p in SLIM_INCLUDES]
    argv += [suite, str(output)]
    if mirror:
        argv.append(mirror)
    return argv


def bootstrap_image(
    store: Store,
    name: str = "debian:bookworm",
    *,
    include: Sequence[str] = (),
    mirror: str | None = None,
    wrap: Callable[[list[str]], list[str]] | None = None,
    ca_certificates: certificates.CertificateBundle | None = None,
) -> Image:
    """Run mmdebstrap for the suite in `name` and store the result as the image `name`.

    With `ca_certificates`, the image trusts them too (see `runtime.images.certificates`).
    """
    suite, slim = parse_debian_name(name)
    require_program("mmdebstrap")
    store.layout.tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=store.layout.tmp, prefix=scratch_prefix("bootstrap")
    ) as scratch:
        output = Path(scratch) / "rootfs.tar"
        argv = mmdebstrap_argv(suite, output, slim=slim, include=include, mirror=mirror)
        run_command(
            wrap(argv) if wrap else argv, what=f"bootstrapping Debian {suite}", timeout=3600
        )
        with open(output, "rb") as source:
            return bootstrap_from_rootfs(
                store,
                source,
                suite=suite,
                slim=slim,
                name=name,
                include=include,
                ca_certificates=ca_certificates,
            )


def bootstrap_from_rootfs(
    store: Store,
    source: BinaryIO,
    *,
    suite: str,
    slim: bool = False,
    name: str | None = None,
    include: Sequence[str] = (),
    ca_certificates: certificates.CertificateBundle | None = None,
) -> Image:
    """Make the image `name` (default `debian:<suite>[-slim]`) from an mmdebstrap tarball."""
    name = name or f"debian:{suite}{'-slim' if slim else ''}"
    reference = parse_reference(name)
    extra = f" --include={','.join(include)}" if include else ""
    created = now_rfc3339()
    history = [
        {
            "created": created,
            "created_by": f"# mmdebstrap --variant=minbase{extra} {suite}{' (slim)' if slim else ''}",
        }
    ]
    with images_lock(store):
        layers = [store_layer_from_tar(store, source)]
        if ca_certificates is not None:
            layers.append(certificates.store_certificates_layer(store, ca_certificates))
            history.append(
                {"created": created, "created_by": certificates.history_entry(ca_certificates)}
            )
        return create_image(
            ImageStore(store),
            parent=None,
            layers=layers,
            config={"Env": [f"PATH={DEFAULT_PATH}"], "Cmd": ["bash"]},
            history=history,
            tags=[reference],
            created=created,
        )
