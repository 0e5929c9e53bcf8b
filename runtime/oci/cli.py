"""`pycompose-runtime`: the embedded runtime behind runc's command line.

    pycompose-runtime [--root DIR] create|start|state|kill|delete|exec|run|list ...

Flags and behaviour follow runc, so tools (and pycompose's own `--runtime`
switch) can drive either with the same bundle. Errors print one line on
stderr and exit 1; `run` and `exec` exit with the process's own exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from runtime.errors import EngineError

DEFAULT_ROOT = "/run/pycompose-runtime"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pycompose-runtime", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=DEFAULT_ROOT, help="state directory of containers")
    parser.add_argument("--log", help="accepted for runc compatibility; errors go to stderr")
    parser.add_argument("--log-format", default="text", help="accepted for runc compatibility")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--systemd-cgroup", action="store_true", help="not supported")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_bundle(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bundle", "-b", default=".", help="the bundle directory")
        p.add_argument("--pid-file", help="write the container process's pid here")
        p.add_argument("--console-socket", help="unix socket that receives the pty master")
        p.add_argument("--preserve-fds", type=int, default=0, help="extra fds passed in")
        p.add_argument("--no-pivot", action="store_true", help="refused: pivot_root is always used")
        p.add_argument("id")

    with_bundle(commands.add_parser("create", help="set a container up, waiting for start"))
    run = commands.add_parser("run", help="create, start and wait for a container")
    with_bundle(run)
    run.add_argument("--detach", "-d", action="store_true", help="do not wait")
    run.add_argument("--keep", action="store_true", help="do not delete after exit")
    commands.add_parser("start", help="start a created container").add_argument("id")
    commands.add_parser("state", help="print a container's OCI state").add_argument("id")
    commands.add_parser("list", help="list containers")
    kill = commands.add_parser("kill", help="signal a container's process")
    kill.add_argument("--all", "-a", action="store_true", help="signal every process in it")
    kill.add_argument("id")
    kill.add_argument("signal", nargs="?", default="SIGTERM")
    delete = commands.add_parser("delete", help="remove a stopped container")
    delete.add_argument("--force", "-f", action="store_true", help="kill it first if running")
    delete.add_argument("id")
    exec_ = commands.add_parser("exec", help="run a process in a running container")
    exec_.add_argument("--process", "-p", help="an OCI process JSON file")
    exec_.add_argument("--tty", "-t", action="store_true", help="allocate a pseudo-terminal")
    exec_.add_argument("--detach", "-d", action="store_true", help="do not wait")
    exec_.add_argument("--pid-file")
    exec_.add_argument("--console-socket")
    exec_.add_argument("--preserve-fds", type=int, default=0)
    exec_.add_argument("--cwd")
    exec_.add_argument("--env", "-e", action="append", default=[])
    exec_.add_argument("--user", "-u", help="uid[:gid]")
    exec_.add_argument("id")
    exec_.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _exec_process(runtime: object, args: argparse.Namespace) -> object:
    from runtime.oci.runtime import EmbeddedRuntime
    from runtime.oci.spec import Process

    assert isinstance(runtime, EmbeddedRuntime)
    if args.process:
        with open(args.process) as handle:
            return Process.from_dict(json.load(handle))
    if not args.args:
        raise EngineError("exec: no command given (pass arguments or --process)")
    process = runtime.exec_process_from(args.id, list(args.args))
    process.terminal = args.tty
    process.env = process.env + list(args.env)
    if args.cwd:
        process.cwd = args.cwd
    if args.user:
        uid, _, gid = args.user.partition(":")
        process.user.uid = int(uid)
        process.user.gid = int(gid or 0)
    return process


def dispatch(args: argparse.Namespace) -> int:
    """Run one parsed command; return the exit code."""
    from runtime.oci.runtime import EmbeddedRuntime, wait_pid

    if args.systemd_cgroup:
        raise EngineError("--systemd-cgroup is not supported: cgroupfs paths only")
    runtime = EmbeddedRuntime(args.root)
    command = args.command
    if command in ("create", "run"):
        if args.no_pivot:
            raise EngineError("--no-pivot is refused: the root is always changed with pivot_root")
        options = dict(
            console_socket=args.console_socket,
            pid_file=args.pid_file,
            preserve_fds=args.preserve_fds,
        )
        runtime.create(args.id, args.bundle, **options)
        if command == "create":
            return 0
        runtime.start(args.id)
        if args.detach:
            return 0
        try:
            return runtime.wait(args.id).code
        finally:
            if not args.keep:
                runtime.delete(args.id, force=True)
    if command == "start":
        runtime.start(args.id)
    elif command == "state":
        print(json.dumps(runtime.state(args.id), indent=2))
    elif command == "list":
        for state in runtime.list_states():
            print(f"{state['id']}\t{state['pid']}\t{state['status']}\t{state['bundle']}")
    elif command == "kill":
        runtime.kill(args.id, args.signal, all=args.all)
    elif command == "delete":
        runtime.delete(args.id, force=args.force)
    elif command == "exec":
        process = _exec_process(runtime, args)
        pid = runtime.exec(
            args.id,
            process,  # type: ignore[arg-type]
            console_socket=args.console_socket,
            pid_file=args.pid_file,
            preserve_fds=args.preserve_fds,
        )
        if not args.detach:
            return wait_pid(pid).code
    return 0


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pycompose-runtime` console script."""
    args = _parser().parse_args(argv)
    try:
        code = dispatch(args)
    except (EngineError, OSError) as exc:
        if args.debug or os.environ.get("PYCOMPOSE_DEBUG") == "1":
            raise
        print(f"pycompose-runtime: {exc}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code)


if __name__ == "__main__":
    main()
