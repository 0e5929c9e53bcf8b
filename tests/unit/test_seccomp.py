"""The seccomp profile and BPF compiler: filters loaded in a forked child behave like Docker's."""

from __future__ import annotations

import ctypes
import errno
import os

import pytest

from runtime.linux.capabilities import DOCKER_DEFAULT_CAPABILITIES
from runtime.linux.seccomp import compile_cached, default_profile
from runtime.linux.seccomp.bpf import SeccompError, compile_profile

libc = ctypes.CDLL(None, use_errno=True)


def in_filtered_child(profile: dict, probe: str) -> int:
    """Load `profile` in a child (with no_new_privs) and return the errno of `probe` (0: allowed)."""
    program = compile_profile(profile, os.uname().machine)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            from runtime.linux import syscalls

            syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
            syscalls.seccomp_set_filter(program)
            ctypes.set_errno(0)
            result = eval(probe, {"libc": libc})
            code = ctypes.get_errno() if result < 0 else 0
            os.write(write_end, str(code).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as handle:
        return int(handle.read() or -1)


DEFAULT = default_profile(DOCKER_DEFAULT_CAPABILITIES)


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        ("libc.getpid()", 0),
        ("libc.unshare(0x20000000)", errno.EPERM),  # CLONE_NEWPID without CAP_SYS_ADMIN
        ("libc.personality(8)", 0),
        ("libc.personality(0x0040000)", errno.EPERM),  # ADDR_NO_RANDOMIZE
        ("libc.socket(40, 1, 0)", errno.EPERM),  # AF_VSOCK
        ("libc.socket(1, 1, 0)", 0),
        ("libc.socket(38, 5, 0)", errno.EAFNOSUPPORT),  # AF_ALG
        ("libc.syscall(425, 1, 0)", errno.EPERM),  # io_uring_setup
        ("libc.syscall(435, 0, 0)", errno.ENOSYS),  # clone3 falls back to clone
        ("libc.syscall(167, 0, 0)", errno.EPERM),  # swapon
    ],
)
def test_default_profile_semantics(probe: str, expected: int) -> None:
    if os.uname().machine != "x86_64" and "syscall(" in probe:
        pytest.skip("syscall numbers are x86_64's")
    assert in_filtered_child(DEFAULT, probe) == expected


def test_capabilities_unlock_calls() -> None:
    admin = default_profile([*DOCKER_DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"])
    names = set(admin["syscalls"][0]["names"])
    assert {"mount", "unshare", "setns", "clone"} <= names
    assert not any(rule["names"] == ["clone3"] for rule in admin["syscalls"])
    assert "mount" not in set(DEFAULT["syscalls"][0]["names"])


def test_argument_operators() -> None:
    def profile(op: str, value: int, value_two: int = 0) -> dict:
        rule = {"index": 0, "value": value, "valueTwo": value_two, "op": op}
        return {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                {
                    "names": ["getpriority"],
                    "action": "SCMP_ACT_ERRNO",
                    "errnoRet": 33,
                    "args": [rule],
                }
            ],
        }

    probe = "libc.getpriority(0, 0)"  # which=PRIO_PROCESS (0)
    assert in_filtered_child(profile("SCMP_CMP_EQ", 0), probe) == 33
    assert in_filtered_child(profile("SCMP_CMP_NE", 0), probe) == 0
    assert in_filtered_child(profile("SCMP_CMP_GE", 0), probe) == 33
    assert in_filtered_child(profile("SCMP_CMP_GT", 0), probe) == 0
    assert in_filtered_child(profile("SCMP_CMP_LT", 1), probe) == 33
    assert in_filtered_child(profile("SCMP_CMP_LE", 0), probe) == 33
    assert in_filtered_child(profile("SCMP_CMP_MASKED_EQ", 0xFF, 0), probe) == 33


def test_compiled_programs_are_cached_on_disk(tmp_path: os.PathLike[str]) -> None:
    from pathlib import Path

    first = compile_cached(DEFAULT, Path(tmp_path))
    files = list(Path(tmp_path).glob("*.bpf"))
    assert len(files) == 1 and files[0].read_bytes() == first
    assert len(first) % 8 == 0 and len(first) // 8 < 4096


def test_unsupported_action_is_a_clear_error() -> None:
    with pytest.raises(SeccompError, match="SCMP_ACT_NOTIFY"):
        compile_profile({"defaultAction": "SCMP_ACT_NOTIFY"}, "x86_64")
