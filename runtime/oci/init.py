"""The forked child's side: become the container's first process (or an exec'd one).

Nothing here returns: the child either execve's the user's program or reports
an error on the sync channel and exits. The steps follow runc's init: the
filesystem (see filesystem.py), names, terminal, rlimits, seccomp (before the
capability drop when no_new_privs is off, as it then needs CAP_SYS_ADMIN),
bounding set, user and groups, capabilities, working directory, no_new_privs,
then, for `create`, waiting on the exec fifo until `start`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import traceback

from runtime.linux import capabilities, namespaces, process, rlimits, terminal
from runtime.linux.seccomp import install_filter
from runtime.oci import filesystem
from runtime.oci.plan import ContainerPlan, ProcessPlan


class Channels:
    """Descriptors the child inherits: sync pipe, exec fifo, console socket, stdio."""

    def __init__(
        self,
        sync_fd: int,
        fifo_fd: int | None = None,
        console_fd: int | None = None,
        stdio: tuple[int, int, int] | None = None,
        preserve_fds: int = 0,
    ):
        self.sync_fd = sync_fd
        self.fifo_fd = fifo_fd
        self.console_fd = console_fd
        self.stdio = stdio
        self.preserve_fds = preserve_fds


def report(sync_fd: int, **message: object) -> None:
    """Send one JSON line to the parent over the sync pipe."""
    os.write(sync_fd, (json.dumps(message) + "\n").encode())


def find_executable(name: str, env: list[str]) -> str:
    """The program to execve: `name` itself if it has a slash, else searched in PATH."""
    if "/" in name:
        if not os.path.exists(name):
            raise FileNotFoundError(f'exec: "{name}": no such file or directory')
        return name
    path = next((e[5:] for e in env if e.startswith("PATH=")), "/usr/local/bin:/usr/bin:/bin")
    for directory in path.split(":"):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(f'exec: "{name}": executable file not found in $PATH')


def _stdio(channels: Channels, plan: ProcessPlan, console: bool = False) -> None:
    if plan.terminal:
        master, slave = terminal.open_pty("/dev/ptmx")
        if console:
            terminal.bind_console(slave)
        if channels.console_fd is None:
            raise RuntimeError("a terminal was requested but no console socket was given")
        terminal.send_fd(channels.console_fd, master)
        os.close(master)
        os.close(channels.console_fd)
        terminal.make_controlling_terminal(slave)
        return
    os.setsid()
    if channels.stdio is not None:
        for target, fd in enumerate(channels.stdio):
            if fd != target:
                os.dup2(fd, target)


def become_process(plan: ProcessPlan, channels: Channels, console: bool = False) -> str:
    """Identity, privileges and limits of the process; returns the program path to exec.

    `console`: for a container's first process with a terminal, the pty also
    becomes /dev/console, as runc makes it.
    """
    _stdio(channels, plan, console)
    rlimits.apply(plan.rlimits)
    if plan.oom_score_adj is not None:
        process.set_oom_score_adj(plan.oom_score_adj)
    if plan.seccomp is not None and not plan.no_new_privileges:
        install_filter(plan.seccomp)
    caps = plan.capabilities
    if caps is not None:
        capabilities.drop_bounding(caps.bounding)
    capabilities.keep_capabilities_across_setuid(True)
    os.setgroups(plan.additional_gids)
    os.setresgid(plan.gid, plan.gid, plan.gid)
    os.setresuid(plan.uid, plan.uid, plan.uid)
    capabilities.keep_capabilities_across_setuid(False)
    if caps is not None:
        if _needs_fifo_override(plan, channels):
            capabilities.apply_sets(_with_fifo_override(caps))
        else:
            capabilities.apply_sets(caps)
    if plan.umask is not None:
        os.umask(plan.umask)
    try:
        os.chdir(plan.cwd)
    except OSError as exc:
        raise RuntimeError(
            f"cannot enter the working directory {plan.cwd}: {exc.strerror}"
        ) from None
    if plan.no_new_privileges:
        process.set_no_new_privileges()
    executable = find_executable(plan.args[0], plan.env)
    keep = {channels.sync_fd, *([channels.fifo_fd] if channels.fifo_fd is not None else [])}
    keep.update(range(3, 3 + channels.preserve_fds))
    process.mark_descriptors_close_on_exec(keep)
    for fd in range(3, 3 + channels.preserve_fds):
        os.set_inheritable(fd, True)
    return executable


def exec_process(plan: ProcessPlan, executable: str, channels: Channels) -> None:
    """Wait for `start` (if there is a fifo), load seccomp late if no_new_privs, execve."""
    if channels.fifo_fd is not None:
        override = _needs_fifo_override(plan, channels)
        fd = os.open(f"/proc/self/fd/{channels.fifo_fd}", os.O_WRONLY | os.O_CLOEXEC)
        os.write(fd, b"0")
        os.close(fd)
        os.close(channels.fifo_fd)
        if override and plan.capabilities is not None:
            capabilities.apply_sets(plan.capabilities)
    if plan.seccomp is not None and plan.no_new_privileges:
        install_filter(plan.seccomp)
    process.reset_signals()
    os.execve(executable, plan.args, dict(_split_env(plan.env)))


def _needs_fifo_override(plan: ProcessPlan, channels: Channels) -> bool:
    """Whether the process, once the user, could not reopen the exec fifo by itself.

    The process stays non-dumpable until execve, so /proc/self/fd belongs to
    root; a non-root user without CAP_DAC_OVERRIDE cannot reopen the fifo
    through it. Such a process keeps CAP_DAC_OVERRIDE until `start` released
    it, then takes its configured capabilities before execve.
    """
    caps = plan.capabilities
    return (
        channels.fifo_fd is not None
        and plan.uid != 0
        and caps is not None
        and "CAP_DAC_OVERRIDE" not in caps.effective
    )


def _with_fifo_override(caps: capabilities.CapabilitySets) -> capabilities.CapabilitySets:
    return dataclasses.replace(
        caps,
        effective=(*caps.effective, "CAP_DAC_OVERRIDE"),
        permitted=(*caps.permitted, "CAP_DAC_OVERRIDE"),
        ambient=(),
    )


def _split_env(env: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in env:
        key, _, value = item.partition("=")
        pairs.append((key, value))
    return pairs


def fail(sync_fd: int, exc: BaseException) -> None:
    """Report an error to the parent and exit; never returns."""
    try:
        message = str(exc) or exc.__class__.__name__
        if os.environ.get("PYCOMPOSE_DEBUG") == "1":
            message += "\n" + traceback.format_exc()
        report(sync_fd, error=message)
    finally:
        os._exit(1)


def container_init(plan: ContainerPlan, channels: Channels) -> None:
    """The container's PID 1 before execve: filesystem, names, process; never returns."""
    try:
        filesystem.prepare_root(plan)
        filesystem.finish_root(plan)
        if any(ns.kind == "uts" for ns in plan.namespaces):
            namespaces.set_hostname(plan.hostname, plan.domainname)
        executable = become_process(plan.process, channels, console=True)
        report(channels.sync_fd, ready=True)
        os.close(channels.sync_fd)
    except BaseException as exc:
        fail(channels.sync_fd, exc)
    try:
        exec_process(plan.process, executable, channels)
    except BaseException as exc:
        os.write(2, f"pycompose-runtime: {exc}\n".encode(errors="replace"))
    os._exit(127)


def exec_init(plan: ProcessPlan, channels: Channels) -> None:
    """An extra process in a running container (already in its namespaces); never returns."""
    try:
        executable = become_process(plan, channels)
        report(channels.sync_fd, ready=True)
        os.close(channels.sync_fd)
        exec_process(plan, executable, channels)
    except BaseException as exc:
        fail(channels.sync_fd, exc)
    os._exit(127)
