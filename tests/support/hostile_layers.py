"""Hostile layer tarballs, made by code: each is refused with a clear error or applied clamped.

`LAYERS` maps a case name to how to make it (given the path of a canary file
outside the snapshot) and what must happen: `refused` is a piece of the
LayerError message, or None when the layer must apply; `check` then asserts on
the snapshot. Run as a script to write every tarball to a directory:

    python -m tests.support.hostile_layers OUTPUT_DIR
"""

from __future__ import annotations

import io
import os
import stat
import sys
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.support.layers import LayerBuilder

Maker = Callable[[Path], bytes]
Check = Callable[[Path, Path], None]
MIB = 1 << 20


@dataclass(frozen=True)
class HostileLayer:
    """How to make one hostile layer and what applying it must do."""

    make: Maker
    refused: str | None = None
    check: Check | None = None
    slow: bool = False


def ustar_header(name: bytes, size: int = 0, typeflag: bytes = b"0", **fields: bytes) -> bytes:
    """One raw ustar header block, with any field set by hand (`mode`, `devmajor`...)."""
    block = bytearray(512)
    offsets = {
        "mode": (100, 8),
        "uid": (108, 8),
        "gid": (116, 8),
        "mtime": (136, 12),
        "linkname": (157, 100),
        "devmajor": (329, 8),
        "devminor": (337, 8),
    }
    block[0 : len(name)] = name
    values = {"mode": b"0000644\0", "uid": b"0000000\0", "gid": b"0000000\0"}
    values["mtime"] = b"00000000000\0"
    values.update(fields)
    for key, value in values.items():
        start, width = offsets[key]
        block[start : start + min(len(value), width)] = value[:width]
    if size < 8**11:
        block[124:136] = f"{size:011o}".encode() + b"\0"
    else:  # base-256, as GNU tar writes sizes of 8 GiB and more
        block[124:136] = b"\x80" + size.to_bytes(11, "big")
    block[156:157] = typeflag
    block[257:265] = b"ustar\x0000"
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}\0 ".encode()
    return bytes(block)


def end_of_archive() -> bytes:
    return b"\0" * 1024


def gzip_of(pieces: Iterable[bytes]) -> bytes:
    """Gzip a stream given piece by piece (a gigabyte of zeros never exists in memory)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    out = [compressor.compress(piece) for piece in pieces]
    out.append(compressor.flush())
    return b"".join(out)


def _zeros(total: int, fill: bytes = b"0") -> Iterable[bytes]:
    chunk = fill * MIB
    for _ in range(total // MIB):
        yield chunk


def _huge_header(typeflag: bytes) -> Maker:
    def make(_: Path) -> bytes:
        header = ustar_header(b"././@LongLink", size=1 << 30, typeflag=typeflag)
        rest = [ustar_header(b"after", 0), end_of_archive()]
        return gzip_of([header, *_zeros(1 << 30), *rest])

    return make


def _pax(name: str, headers: dict[str, str], data: bytes = b"", kind: bytes = b"0") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.size = len(data)
        info.pax_headers = headers
        archive.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _old_gnu_sparse(_: Path) -> bytes:
    header = bytearray(ustar_header(b"sparse", size=512, typeflag=b"S"))
    header[386:398] = f"{1 << 39:011o}".encode() + b"\0"  # one data block a long way in
    header[398:410] = f"{512:011o}".encode() + b"\0"
    header[483:495] = f"{(1 << 39) + 512:011o}".encode() + b"\0"  # the real size: 512 GiB
    header[148:156] = b" " * 8
    header[148:156] = f"{sum(header):06o}\0 ".encode()
    return bytes(header) + b"x" * 512 + end_of_archive()


def _pax_sparse(_: Path) -> bytes:
    numbers = b"1\n%d\n3\n" % (1 << 39)
    data = numbers + b"\0" * (512 - len(numbers)) + b"abc"
    headers = {
        "GNU.sparse.major": "1",
        "GNU.sparse.minor": "0",
        "GNU.sparse.name": "sparse",
        "GNU.sparse.realsize": str((1 << 39) + 3),
    }
    return _pax("GNUSparseFile.0/sparse", headers, data)


def _sparse_map_bomb(_: Path) -> bytes:
    # A 1.0 sparse map of a billion numbers: only gzip makes it small.
    headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "s"}
    header = _pax("GNUSparseFile.0/s", headers)[:1536]
    return gzip_of([header, b"500000000\n", *[b"0\n" * (MIB // 2)] * 64])


def _device_number(_: Path) -> bytes:
    return ustar_header(b"dev", typeflag=b"3", devmajor=b"7777777\0", devminor=b"1\0")


def _declared_larger(_: Path) -> bytes:
    return gzip_of([ustar_header(b"big", size=1 << 30), b"x" * MIB])


def _zstd_bomb(_: Path) -> bytes:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    out = [compressor.compress(ustar_header(b"big", size=8 << 30))]
    out += [compressor.compress(chunk) for chunk in _zeros(2 << 30, b"\0")]
    out.append(compressor.flush())
    return b"".join(out)


def _many_files(count: int) -> Maker:
    def make(_: Path) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
            for index in range(count):
                archive.addfile(tarfile.TarInfo(f"d{index % 100}/f{index}"))
        return buffer.getvalue()

    return make


def _count_files(expected: int) -> Check:
    def check(snapshot: Path, _: Path) -> None:
        assert sum(len(files) for _, _, files in os.walk(snapshot)) == expected

    return check


def _content(path: str, data: bytes) -> Check:
    def check(snapshot: Path, _: Path) -> None:
        assert (snapshot / path).read_bytes() == data

    return check


def _whiteout(path: str) -> Check:
    def check(snapshot: Path, canary: Path) -> None:
        info = os.lstat(snapshot / path)
        assert stat.S_ISCHR(info.st_mode) and info.st_rdev == 0
        assert canary.parent.is_dir()

    return check


def _no_overlay_attributes(snapshot: Path, _: Path) -> None:
    assert not [name for name in os.listxattr(snapshot / "d") if name.startswith("trusted.")]


def _kept_nodes(snapshot: Path, _: Path) -> None:
    passwd = os.lstat(snapshot / "etc/passwd")
    assert stat.S_ISCHR(passwd.st_mode) and os.major(passwd.st_rdev) == 1
    assert stat.S_ISBLK(os.lstat(snapshot / "dev/sda").st_mode)
    assert stat.S_IMODE(os.lstat(snapshot / "tmp/sh").st_mode) == 0o6755


def _duplicates_last_wins(snapshot: Path, _: Path) -> None:
    assert (snapshot / "a").is_dir() and sorted(os.listdir(snapshot / "a")) == ["y"]
    assert (snapshot / "same").read_bytes() == b"999"
    assert os.readlink(snapshot / "turn") == "target"


def _same_link(snapshot: Path, _: Path) -> None:
    assert os.lstat(snapshot / "h").st_ino == os.lstat(snapshot / "f").st_ino


def _builder(build: Callable[[LayerBuilder, Path], LayerBuilder]) -> Maker:
    return lambda canary: build(LayerBuilder(), canary).build()


LAYERS: dict[str, HostileLayer] = {
    # Oversized headers: gzip makes a gigabyte header a megabyte.
    "pax-header-of-1gb": HostileLayer(_huge_header(b"x"), "1073741824-byte extended header"),
    "long-name-header-of-1gb": HostileLayer(_huge_header(b"L"), "1073741824-byte extended"),
    "long-link-header-of-1gb": HostileLayer(_huge_header(b"K"), "1073741824-byte extended"),
    # Sparse files: a tiny entry that claims 512 GiB of holes, or a map of a billion numbers.
    "sparse-old-gnu": HostileLayer(_old_gnu_sparse, "is a sparse file"),
    "sparse-pax-1.0": HostileLayer(_pax_sparse, "sparse file"),
    "sparse-pax-0.1-map": HostileLayer(
        lambda _: _pax("s", {"GNU.sparse.map": "0,1," * 1000, "GNU.sparse.size": "9" * 12}),
        "sparse file",
    ),
    "sparse-map-bomb": HostileLayer(_sparse_map_bomb, "sparse file"),
    # Numbers the kernel cannot take.
    "time-infinite": HostileLayer(lambda _: _pax("f", {"mtime": "1e300"}, b"x"), "invalid time"),
    "time-not-a-number": HostileLayer(lambda _: _pax("f", {"mtime": "nan"}, b"x"), "invalid time"),
    "owner-past-32-bits": HostileLayer(
        lambda _: _pax("f", {"uid": "99999999999999999999"}, b"x"), "invalid owner id"
    ),
    "group-negative": HostileLayer(lambda _: _pax("f", {"gid": "-5"}, b"x"), "invalid group id"),
    "device-number-out-of-range": HostileLayer(_device_number, "invalid device number"),
    # Names.
    "name-with-nul": HostileLayer(lambda _: _pax("f", {"path": "a\0b"}, b"x"), "NUL character"),
    "link-with-nul": HostileLayer(
        lambda _: _pax("s", {"linkpath": "/etc\0/passwd"}, kind=tarfile.SYMTYPE), "NUL character"
    ),
    "name-component-of-300": HostileLayer(lambda _: _pax("n" * 300, {}, b"x"), "too long"),
    "path-of-3000-levels": HostileLayer(lambda _: _pax("a/" * 3000 + "f", {}, b"x"), "too long"),
    "symlink-target-of-100k": HostileLayer(
        _builder(lambda b, _: b.symlink("s", "x" * 100_000)), "File name too long"
    ),
    "xattr-of-1mb": HostileLayer(
        _builder(lambda b, _: b.file("f", b"x", xattrs={"user.big": b"v" * MIB})),
        "extended header",
    ),
    "xattr-of-100kb": HostileLayer(
        _builder(lambda b, _: b.file("f", b"x", xattrs={"user.big": b"v" * 100_000})),
        "Argument list too long",
    ),
    # Entries that cannot be what they claim.
    "hardlink-to-a-directory": HostileLayer(
        _builder(lambda b, _: b.dir("d").hardlink("h", "d")), "Operation not permitted"
    ),
    "fifo-as-a-parent": HostileLayer(
        _builder(lambda b, _: b.fifo("p").file("p/x", b"1")), "a parent is not a directory"
    ),
    "device-as-a-parent": HostileLayer(
        _builder(lambda b, _: b.device("d", 1, 3).file("d/x", b"1")), "not a directory"
    ),
    "symlink-loop-as-a-parent": HostileLayer(
        _builder(lambda b, _: b.symlink("a", "b").symlink("b", "a").file("a/x", b"1")),
        "a parent is a loop of symlinks",
    ),
    "whiteout-of-a-whiteout": HostileLayer(
        _builder(lambda b, _: b.file(".wh..wh.x")), "whiteout of '.wh.x'"
    ),
    "unknown-entry-type": HostileLayer(
        lambda _: _pax("weird", {}, kind=b"Z"), "unsupported type b'Z'"
    ),
    # Broken streams.
    "bad-header-checksum": HostileLayer(
        lambda _: ustar_header(b"f")[:148] + b"99999\0 " + ustar_header(b"f")[155:],
        "corrupt or truncated",
    ),
    "empty-stream": HostileLayer(lambda _: b"", "corrupt or truncated"),
    "declared-1gb-sent-1mb": HostileLayer(_declared_larger, "corrupt or truncated"),
    "zstd-bomb-8gb-declared": HostileLayer(_zstd_bomb, "corrupt or truncated", slow=True),
    # Applied, and kept inside the snapshot.
    "whiteout-through-symlink-to-root": HostileLayer(
        _builder(
            lambda b, c: b.symlink("l", "/").file(f"l/{str(c.parent).lstrip('/')}/.wh.canary")
        ),
        check=lambda s, c: _whiteout(f"{str(c.parent).lstrip('/')}/canary")(s, c),
    ),
    "symlink-dotdot-chain": HostileLayer(
        _builder(lambda b, _: b.symlink("a", "..").symlink("b", "a/a/a/a/a").file("b/x", b"in")),
        check=_content("x", b"in"),
    ),
    "symlink-through-proc-root": HostileLayer(
        _builder(lambda b, _: b.symlink("p", "/proc/self/root").file("p/etc/x", b"in")),
        check=_content("proc/self/root/etc/x", b"in"),
    ),
    "hardlink-dotdot-clamped": HostileLayer(
        _builder(lambda b, _: b.file("f", b"x").hardlink("h", "../../../f")), check=_same_link
    ),
    "overlay-attributes-dropped": HostileLayer(
        _builder(
            lambda b, _: b.dir(
                "d",
                xattrs={
                    "trusted.overlay.redirect": b"/etc",
                    "trusted.overlay.origin": b"x",
                    "trusted.overlay.metacopy": b"",
                },
            )
        ),
        check=_no_overlay_attributes,
    ),
    "devices-and-setuid-in-odd-places": HostileLayer(
        _builder(
            lambda b, _: (
                b.device("etc/passwd", 1, 3)
                .device("dev/sda", 8, 0, block=True)
                .file("tmp/sh", b"#!", mode=0o6755)
            )
        ),
        check=_kept_nodes,
    ),
    "duplicate-entries": HostileLayer(
        _builder(
            lambda b, _: _duplicates(
                b.dir("a").file("a/x", b"1").file("a", b"2").dir("a").file("a/y", b"3")
            )
        ),
        check=_duplicates_last_wins,
    ),
    "directory-mode-000-with-children": HostileLayer(
        _builder(lambda b, _: b.dir("d", mode=0).file("d/x", b"1").dir("d/e", mode=0)),
        check=_content("d/x", b"1"),
    ),
    "trailing-garbage-after-the-end": HostileLayer(
        lambda _: LayerBuilder().file("f", b"x").build() + b"garbage" * 1000,
        check=_content("f", b"x"),
    ),
    "files-10k": HostileLayer(_many_files(10_000), check=_count_files(10_000)),
    "files-100k": HostileLayer(_many_files(100_000), check=_count_files(100_000), slow=True),
}


def _duplicates(builder: LayerBuilder) -> LayerBuilder:
    for number in range(1000):
        builder.file("same", str(number).encode())
    return builder.dir("turn").symlink("turn", "elsewhere").dir("turn").symlink("turn", "target")


def main() -> None:
    """Write every hostile layer to the directory named on the command line."""
    output = Path(sys.argv[1])
    output.mkdir(parents=True, exist_ok=True)
    canary = output / "outside" / "canary"
    for name, layer in LAYERS.items():
        (output / f"{name}.tar").write_bytes(layer.make(canary))


if __name__ == "__main__":
    main()
