"""Attributes of the current process a container init sets before exec.

Dumpability matters for safety: while the container's first process is still
this engine's Python interpreter (between fork and execve), it must not be
inspectable from inside the container. A non-dumpable process has its
/proc/PID/{exe,fd,mem,map_files,environ} owned by root and closed to ptrace
access for anyone without CAP_SYS_PTRACE in the host, so a process in the
container cannot open the host's Python binary through /proc/PID/exe and
overwrite it (runc CVE-2019-5736). execve of the user's program resets it.
"""

from __future__ import annotations

import errno
import os
import signal

from runtime.errors import SyscallError
from runtime.linux import syscalls


def set_dumpable(dumpable: bool) -> None:
    """PR_SET_DUMPABLE: 0 closes /proc/self/* to other users and to ptrace."""
    syscalls.prctl(syscalls.PR_SET_DUMPABLE, 1 if dumpable else 0)


def set_no_new_privileges() -> None:
    """PR_SET_NO_NEW_PRIVS: execve can never grant privileges (setuid bits, file caps)."""
    syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)


def set_child_subreaper() -> None:
    """PR_SET_CHILD_SUBREAPER: orphaned descendants (container inits) are reparented here."""
    syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)


def set_parent_death_signal(signum: int) -> None:
    """PR_SET_PDEATHSIG: receive `signum` when the parent thread dies."""
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signum)


def set_oom_score_adj(value: int) -> str | None:
    """Write /proc/self/oom_score_adj; lowering it needs CAP_SYS_RESOURCE: say so if refused."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write(str(value))
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            return f"oom_score_adj {value} not set: lowering it needs CAP_SYS_RESOURCE"
        raise SyscallError("write", exc.errno or errno.EIO, "/proc/self/oom_score_adj") from None
    return None


def mark_descriptors_close_on_exec(keep: set[int]) -> None:
    """Set FD_CLOEXEC on every open descriptor from 3 up except `keep`, so none leaks in."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd < 3 or fd in keep:
            continue
        try:
            os.set_inheritable(fd, False)
        except OSError:
            pass  # the descriptor of the listing itself, already closed


def reset_signals() -> None:
    """Default dispositions and an empty mask, as a freshly exec'd program expects.

    Python ignores SIGPIPE and SIGXFSZ and may have blocked signals in
    threads; an ignored signal would stay ignored across execve.
    """
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
