"""Docker's copy-up: a new, empty volume first receives what the image has at its mount point.

The image path is resolved inside the container's rootfs (symlinks stay in
it); the copy keeps modes, owners, timestamps and symlinks as they are (a
symlink is copied, never followed).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from runtime.errors import VolumeError
from runtime.linux.securepath import resolve_in_root


def _copy_entry(source: Path, target: Path) -> None:
    info = os.lstat(source)
    if stat.S_ISLNK(info.st_mode):
        os.symlink(os.readlink(source), target)
    elif stat.S_ISDIR(info.st_mode):
        os.mkdir(target)
        for child in os.listdir(source):
            _copy_entry(source / child, target / child)
    elif stat.S_ISREG(info.st_mode):
        shutil.copyfile(source, target, follow_symlinks=False)
    else:
        return  # device nodes, sockets and fifos are not copied up
    os.lchown(target, info.st_uid, info.st_gid)
    if not stat.S_ISLNK(info.st_mode):
        os.chmod(target, stat.S_IMODE(info.st_mode))
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns), follow_symlinks=False)


def copy_up(rootfs: Path, path_in_image: str, volume_data: Path) -> bool:
    """Fill the empty `volume_data` with the image's `path_in_image`; whether anything came."""
    source = resolve_in_root(rootfs, path_in_image)
    if not source.is_dir() or source.is_symlink():
        return False
    if any(volume_data.iterdir()):
        return False
    try:
        for child in os.listdir(source):
            _copy_entry(source / child, volume_data / child)
        info = os.stat(source)
        os.chown(volume_data, info.st_uid, info.st_gid)
        os.chmod(volume_data, stat.S_IMODE(info.st_mode))
    except OSError as exc:
        raise VolumeError(
            f"cannot copy {path_in_image} from the image into the volume: {exc}"
        ) from None
    return True
