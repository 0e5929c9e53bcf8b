"""The build package's exception family: every failure a user can act on derives from BuildError."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.errors import EngineError

if TYPE_CHECKING:
    from runtime.oci.runtime import ExitStatus


class BuildError(EngineError):
    """A build failed: bad Dockerfile, bad build context, bad option or a failing step."""


class DockerfileError(BuildError):
    """The Dockerfile is invalid; the message reads `Dockerfile:7: what is wrong`.

    `start` and `end` are the 1-based lines of the instruction (or directive) at
    fault; both are 0 when the error concerns the file as a whole.
    """

    def __init__(self, message: str, filename: str = "Dockerfile", start: int = 0, end: int = 0):
        self.message = message
        self.filename = filename
        self.start = start
        self.end = max(end, start)
        where = f"{filename}:{start}" if start > 0 else filename
        super().__init__(f"{where}: {message}")


class ExpansionError(BuildError):
    """A word could not be expanded (`${VAR:?message}`, a missing quote or brace)."""


class IgnorePatternError(BuildError):
    """A `.dockerignore` pattern (or a COPY --exclude pattern) is malformed."""


class StepError(BuildError):
    """A build step that cannot be planned or run; the caller adds the Dockerfile location."""


class StepFailed(BuildError):
    """A step ran and failed (a RUN's non-zero exit, a missing COPY source...).

    The message is one line: `Dockerfile:7: RUN make: <what went wrong>`;
    `label` is the step as the progress output showed it, `exit_code` the
    RUN's exit code (None for other failures) and `tail` its last lines.
    """

    def __init__(
        self,
        message: str,
        label: str = "",
        exit_code: int | None = None,
        tail: tuple[str, ...] = (),
    ):
        self.label = label
        self.exit_code = exit_code
        self.tail = tail
        super().__init__(message)


class ProcessFailed(BuildError):
    """A RUN step's process exited non-zero (or was killed)."""

    def __init__(self, command: str, status: ExitStatus):
        self.command = command
        self.status = status
        if status.oom_killed:
            how = f"exit code: {status.code} (killed: out of memory)"
        else:
            how = f"exit code: {status.code}"
        super().__init__(f'process "{command}" did not complete successfully: {how}')
