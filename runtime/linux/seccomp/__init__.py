"""seccomp: Docker's default profile, a BPF compiler for OCI profiles, and installing a filter.

Compiled programs are cached in memory and, when a cache directory is given,
on disk keyed by the profile's hash, so a container start pays for compiling
only the first time a profile is seen.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from runtime.linux import syscalls
from runtime.linux.seccomp.bpf import SeccompError, compile_profile
from runtime.linux.seccomp.profile import default_profile

__all__ = ["SeccompError", "compile_cached", "default_profile", "install_filter"]

_memory_cache: dict[str, bytes] = {}


def compile_cached(
    seccomp: dict[str, Any], cache_dir: Path | None = None, machine: str | None = None
) -> bytes:
    """The BPF program of `seccomp`, from the cache when it was compiled before."""
    arch = machine or os.uname().machine
    key = hashlib.sha256(
        (arch + json.dumps(seccomp, sort_keys=True, separators=(",", ":"))).encode()
    ).hexdigest()
    path = cache_dir / f"{key}.bpf" if cache_dir is not None else None
    program = _memory_cache.get(key)
    if program is None and path is not None and path.exists():
        program = path.read_bytes()
    if program is None:
        program = compile_profile(seccomp, arch)
    _memory_cache[key] = program
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(program)
        os.replace(tmp, path)
    return program


def install_filter(program: bytes) -> None:
    """Load `program` as this thread's seccomp filter (inherited by children and exec)."""
    syscalls.seccomp_set_filter(program)
