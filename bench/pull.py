"""Benchmark: pull + unpack of a several-layer Debian image from a local registry.

pycompose (`pull_image`: download, verify, unpack every layer into its
snapshot) side by side with the Go tools doing the same job (`skopeo copy
docker://... oci:...` then `umoci unpack`), in the same run, against the same
docker-registry on 127.0.0.1 inside a private network namespace. Also times a
second pull of the image already present (library call and whole command).

The image is built once and cached under /var/cache/pycompose-tests: Debian
bookworm minbase made by mmdebstrap, then the same with more packages, each
step's changes one layer. Run as root: `python bench/pull.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.images import CACHE_DIR, write_oci_layout  # noqa: E402

SUITE = "bookworm"
# Each step adds packages on top of the previous one; each step is one layer.
STEPS: list[list[str]] = [[], ["python3"], ["perl", "git", "curl"], ["gcc", "make"]]


def rootfs_tar(packages: list[str]) -> Path:
    """The mmdebstrap minbase rootfs with `packages`, cached."""
    from runtime.images.bootstrap import mmdebstrap_argv

    key = "-".join(sorted(packages)) or "base"
    target = CACHE_DIR / f"bench-{SUITE}-{key}.tar"
    if not target.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        print(f"bootstrapping {SUITE} with {packages or 'nothing extra'} ...", flush=True)
        subprocess.run(mmdebstrap_argv(SUITE, partial, include=packages), check=True)
        os.rename(partial, target)
    return target


def _fingerprint(archive: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[object, ...]:
    content = b""
    if member.isfile():
        handle = archive.extractfile(member)
        content = hashlib.sha256(handle.read() if handle else b"").digest()
    return (member.type, member.mode, member.uid, member.gid, member.linkname, content)


def layer_between(lower: Path | None, upper: Path) -> bytes:
    """A layer tar holding what `upper` changed relative to `lower` (whiteouts for removals)."""
    seen: dict[str, tuple[object, ...]] = {}
    if lower is not None:
        with tarfile.open(lower) as base:
            for member in base:
                seen[member.name.rstrip("/")] = _fingerprint(base, member)
    buffer = tempfile.TemporaryFile()  # noqa: SIM115
    with (
        tarfile.open(upper) as top,
        tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as out,
    ):
        members = {m.name.rstrip("/"): m for m in top.getmembers()}
        written: set[str] = set()

        def write(member: tarfile.TarInfo) -> None:
            name = member.name.rstrip("/")
            if name in written:
                return
            if member.islnk():
                write(members[member.linkname.rstrip("/")])
            out.addfile(member, top.extractfile(member) if member.isfile() else None)
            written.add(name)

        for name, member in members.items():
            if seen.get(name) != _fingerprint(top, member):
                write(member)
        for name in sorted(set(seen) - set(members)):
            parent, _, base_name = name.rpartition("/")
            whiteout = tarfile.TarInfo(
                f"{parent}/.wh.{base_name}" if parent else f".wh.{base_name}"
            )
            out.addfile(whiteout)
    buffer.seek(0)
    data = buffer.read()
    buffer.close()
    return data


def build_layout() -> Path:
    """The OCI layout of the bench image (built once)."""
    layout = CACHE_DIR / f"bench-{SUITE}-layout"
    if (layout / "index.json").exists():
        return layout
    tars, packages = [], []
    for step in STEPS:
        packages = packages + step
        tars.append(rootfs_tar(packages))
    layers = [layer_between(tars[i - 1] if i else None, tar) for i, tar in enumerate(tars)]
    staging = Path(tempfile.mkdtemp(dir=CACHE_DIR, prefix=".layout-"))
    write_oci_layout(
        staging,
        layers,
        {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["bash"],
        },
        "bench",
    )
    os.rename(staging, layout)
    return layout


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(layout: Path, runs: int) -> dict[str, object]:
    """Run inside a private network namespace: registry up, both sides timed."""
    from runtime.images.pull import pull_image
    from runtime.store import Layout, Store
    from tests.support.registry import RegistryServer

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    registry = RegistryServer(work / "registry").start()
    try:
        name = f"{registry.host}/bench/debian:layers"
        subprocess.run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                f"oci:{layout}:bench",
                f"docker://{name}",
            ],
            check=True,
        )
        manifest = json.loads(
            subprocess.run(
                ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{name}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        compressed = sum(layer["size"] for layer in manifest["layers"])
        ours, theirs, second = [], [], []
        for run in range(runs):
            store = Store(Layout(root=work / f"engine-{run}", run_root=work / f"run-{run}"))
            oci, bundle = work / f"oci-{run}", work / f"bundle-{run}"

            def ours_pull(store: Store = store) -> None:
                pull_image(store, name)

            def go_tools(oci: Path = oci, bundle: Path = bundle) -> None:
                source, target = f"docker://{name}", f"oci:{oci}:bench"
                subprocess.run(
                    ["skopeo", "copy", "--quiet", "--src-tls-verify=false", source, target],
                    check=True,
                )
                subprocess.run(
                    ["umoci", "unpack", "--image", f"{oci}:bench", str(bundle)],
                    check=True,
                    capture_output=True,
                )

            # Alternate who goes first; nothing is deleted before the end (deletes slow the disk).
            order = [(ours, ours_pull), (theirs, go_tools)]
            for timings, action in order if run % 2 == 0 else list(reversed(order)):
                subprocess.run(["sync"], check=True)
                timings.append(_timed(action))
            second.append(_timed(ours_pull))
        env = {
            **os.environ,
            "PYCOMPOSE_ROOT": str(work / "engine-0"),
            "PYCOMPOSE_RUN_ROOT": str(work / "run-0"),
        }
        command = [str(Path(sys.executable).parent / "pycompose"), "image", "pull", "-q", name]
        cli_second = [
            _timed(lambda: subprocess.run(command, env=env, check=True, capture_output=True))
            for _ in range(runs)
        ]
        unpacked = sum(
            f.stat().st_size
            for f in (work / "engine-0" / "snapshots").rglob("*")
            if f.is_file() and not f.is_symlink()
        )
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "layers": len(manifest["layers"]),
        "compressed_mb": compressed / 1e6,
        "unpacked_mb": unpacked / 1e6,
        "pycompose_runs": ours,
        "skopeo_umoci_runs": theirs,
        "pycompose_s": statistics.median(ours),
        "skopeo_umoci_s": statistics.median(theirs),
        "second_pull_s": statistics.median(second),
        "second_pull_cli_s": statistics.median(cli_second),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", metavar="LAYOUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.runs)))
        return
    if os.geteuid() != 0:
        sys.exit("bench/pull.py needs root (mmdebstrap, a private network namespace)")
    layout = build_layout()
    inner = subprocess.run(
        [
            "unshare",
            "--net",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            __file__,
            "--measure",
            str(layout),
            "--runs",
            str(args.runs),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(inner.stdout.strip().splitlines()[-1])
    ratio = result["pycompose_s"] / result["skopeo_umoci_s"]
    print(
        f"image: {result['layers']} layers, {result['compressed_mb']:.1f} MB compressed, {result['unpacked_mb']:.1f} MB unpacked"
    )
    print(f"pull + unpack, median of {result['runs']}:")
    print(f"  pycompose            {result['pycompose_s']:.2f} s")
    print(f"  skopeo copy + umoci  {result['skopeo_umoci_s']:.2f} s")
    print(f"  ratio (pycompose / Go tools) {ratio:.2f}")
    print("  every run, pycompose:", " ".join(f"{t:.2f}" for t in result["pycompose_runs"]))
    print("  every run, Go tools: ", " ".join(f"{t:.2f}" for t in result["skopeo_umoci_runs"]))
    print(
        f"second pull of a present image: {result['second_pull_s'] * 1000:.0f} ms (library), {result['second_pull_cli_s'] * 1000:.0f} ms (pycompose image pull, whole process)"
    )


if __name__ == "__main__":
    main()
