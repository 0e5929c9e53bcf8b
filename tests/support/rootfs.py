"""Small root filesystems for tests, made from the host's busybox-static."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BUSYBOX = "/bin/busybox"


def busybox_available() -> bool:
    """Whether a statically linked busybox is installed (Debian's busybox-static)."""
    if not os.path.exists(BUSYBOX):
        return False
    probe = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, check=False)
    return probe.returncode == 0


def make_busybox_rootfs(target: Path) -> Path:
    """Create a minimal busybox root filesystem at `target` and return it."""
    for directory in (
        "bin",
        "sbin",
        "usr/bin",
        "usr/sbin",
        "etc",
        "tmp",
        "root",
        "proc",
        "sys",
        "dev",
        "var/tmp",
        "home",
    ):
        (target / directory).mkdir(parents=True, exist_ok=True)
    os.chmod(target / "tmp", 0o1777)
    shutil.copy2(BUSYBOX, target / "bin" / "busybox")
    applets = subprocess.run(
        [BUSYBOX, "--list-full"], capture_output=True, text=True, check=True
    ).stdout.split()
    for applet in applets:
        link = target / applet
        if link.name == "busybox" or link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
    (target / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
        "app:x:1000:1000:app:/home/app:/bin/sh\n"
    )
    (target / "etc" / "group").write_text(
        "root:x:0:\ndaemon:x:1:\nusers:x:100:app\nnogroup:x:65534:\napp:x:1000:\n"
    )
    return target
