"""`run -it`, `exec -it`, `-i` pipes and detaching, driven through a real pseudo-terminal."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

from runtime.linux.terminal import set_window_size
from tests.support.containers import PYCOMPOSE, ContainerCLI


class Terminal:
    """A pycompose command on a pty of its own, as a user at a terminal runs it."""

    def __init__(self, cli: ContainerCLI, *args: str, rows: int = 24, columns: int = 80):
        self.master, slave = os.openpty()
        set_window_size(slave, rows, columns)
        self.process = subprocess.Popen(
            [PYCOMPOSE, *args], stdin=slave, stdout=slave, stderr=slave, env=cli.env,
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.seen = b""

    def expect(self, text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} did not appear in {self.seen[-300:]!r}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"the terminal closed before {text!r}: {self.seen[-300:]!r}"
                self.seen += chunk
        found, _, self.seen = self.seen.partition(text.encode())
        return found.decode(errors="replace")

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def shell(self, command: str) -> str:
        """Run a shell command at the prompt; what it printed (the echo of the line included)."""
        self.send(f"{command}; echo __$((6*7))__\r")
        return self.expect("__42__")

    def resize(self, rows: int, columns: int) -> None:
        set_window_size(self.master, rows, columns)
        self.process.send_signal(signal.SIGWINCH)

    def wait(self, timeout: float = 20) -> int:
        code = self.process.wait(timeout)
        os.close(self.master)
        return code


def test_run_it_gives_a_terminal_that_follows_the_window_and_ctrl_c(cli: ContainerCLI) -> None:
    term = Terminal(cli, "container", "run", "-it", "--rm", "--name", "tty1", "busybox", "sh")
    term.expect("# ")
    output = term.shell("stty size; tty")
    assert "24 80" in output and "/dev/pts/0" in output
    term.resize(30, 100)
    time.sleep(0.3)
    assert "30 100" in term.shell("stty size")
    term.send("sleep 100\r")
    time.sleep(0.5)
    started = time.monotonic()
    term.send("\x03")  # Ctrl-C reaches the foreground process through the container's pty
    assert "__42__" not in term.shell("true")
    assert time.monotonic() - started < 5
    term.send("exit 3\r")
    assert term.wait() == 3
    assert cli.ok("container", "ps", "-aq") == ""


def test_exec_it_and_detach_keys(cli: ContainerCLI) -> None:
    container_id = cli.ok(
        "container", "run", "-d", "--name", "host", "busybox", "sleep", "1000"
    ).strip()
    term = Terminal(cli, "container", "exec", "-it", "host", "sh", rows=40, columns=120)
    term.expect("# ")
    output = term.shell("hostname; stty size")
    assert container_id[:12] in output and "40 120" in output
    term.send("exit 5\r")
    assert term.wait() == 5
    attached = Terminal(cli, "container", "run", "-it", "--name", "detach", "busybox", "sh")
    attached.expect("# ")
    attached.send("\x10\x11")  # Ctrl-P Ctrl-Q
    assert attached.wait() == 0
    assert cli.inspect("detach")["State"]["Running"]
    cli.ok("container", "rm", "-f", "host", "detach")


def test_interactive_without_terminal_pipes_stdin(cli: ContainerCLI) -> None:
    result = cli.run("container", "run", "-i", "--rm", "busybox", "sh", "-c", "tr a-z A-Z; echo done",
                     input="hello\nworld\n")  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "HELLO\nWORLD\ndone\n")
    no_stdin = cli.run("container", "run", "--rm", "busybox", "cat", input="ignored\n")
    assert no_stdin.stdout == ""
    cli.ok("container", "run", "-d", "--name", "piped", "busybox", "sleep", "1000")
    assert cli.ok("container", "exec", "-i", "piped", "wc", "-l", input="a\nb\nc\n").strip() == "3"
    refused = cli.run("container", "run", "-it", "--rm", "busybox", "true")
    assert refused.returncode == 1 and "not a TTY" in refused.stderr
    cli.ok("container", "rm", "-f", "piped")


def test_what_is_typed_before_the_shell_starts_reaches_it(cli: ContainerCLI) -> None:
    term = Terminal(cli, "container", "run", "-it", "--rm", "busybox", "sh")
    term.send("echo typed-$((6*7))\r")  # long before the terminal is made raw
    term.expect("typed-42")
    term.send("exit\r")
    assert term.wait() == 0
