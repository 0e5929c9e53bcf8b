"""The build context: the Dockerfile, its ignore file, and the files a build may use.

The Dockerfile and the ignore file are always read, even when the ignore
file excludes them; excluded files are simply not part of the context that
COPY and ADD see. As with BuildKit, `<Dockerfile>.dockerignore` next to the
Dockerfile takes precedence over `<context>/.dockerignore`, and a missing
`Dockerfile` falls back to `dockerfile`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from runtime.build.dockerignore import ParentMatch, PatternMatcher, read_ignore_file
from runtime.build.errors import BuildError

DEFAULT_DOCKERFILE = "Dockerfile"
DEFAULT_IGNORE_FILE = ".dockerignore"
_PATTERN_CHARACTERS = frozenset("*[]?^\\")
# Far beyond any real Dockerfile or ignore file.
MAX_FILE_SIZE = 32 << 20


@dataclass(frozen=True)
class ContextEntry:
    """One file, directory or link of the context: its slash path relative to the root."""

    path: str
    absolute: Path
    status: os.stat_result = field(repr=False, compare=False)

    @property
    def is_dir(self) -> bool:
        """Whether the entry is a directory (links are never followed)."""
        return stat.S_ISDIR(self.status.st_mode)


@dataclass(frozen=True)
class BuildContext:
    """A local build context directory with its Dockerfile and ignore patterns."""

    root: Path
    dockerfile_path: Path
    dockerfile: bytes
    ignore_patterns: tuple[str, ...] = ()
    ignore_file: Path | None = None

    def matcher(self) -> PatternMatcher:
        """The matcher for the ignore patterns."""
        return PatternMatcher(list(self.ignore_patterns))

    def is_excluded(self, path: str) -> bool:
        """Whether a context-relative path is excluded by the ignore file."""
        return self.matcher().matches(path)

    def walk(self) -> Iterator[ContextEntry]:
        """The entries of the context that are not excluded, in lexical order."""
        return walk_context(self.root, self.matcher())


def _read(path: Path, what: str) -> bytes:
    """A Dockerfile or ignore file: a regular file (never a FIFO or device) of bounded size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        raise BuildError(f"failed to read {what}: open {path}: no such file or directory") from None
    except OSError as error:
        raise BuildError(f"failed to read {what} {path}: {error.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise BuildError(f"failed to read {what}: {path} is a directory")
        if not stat.S_ISREG(mode):
            raise BuildError(f"failed to read {what}: {path} is not a regular file")
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_SIZE + 1)
    except OSError as error:
        raise BuildError(f"failed to read {what} {path}: {error.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_SIZE:
        raise BuildError(f"failed to read {what}: {path} is larger than {MAX_FILE_SIZE >> 20} MiB")
    return data


def load_build_context(root: str | os.PathLike[str], dockerfile: str | None = None) -> BuildContext:
    """Read a context directory's Dockerfile and ignore file.

    A relative `dockerfile` is taken relative to the current directory, as
    `docker build -f` takes it; by default it is `Dockerfile` in the context.
    """
    root_path = Path(root).absolute()
    if not root_path.is_dir():
        raise BuildError(f"unable to prepare context: path {str(root)!r} not found")
    if dockerfile is None:
        dockerfile_path = root_path / DEFAULT_DOCKERFILE
        if not dockerfile_path.exists() and (root_path / DEFAULT_DOCKERFILE.lower()).exists():
            dockerfile_path = root_path / DEFAULT_DOCKERFILE.lower()
    else:
        dockerfile_path = Path(dockerfile).absolute()
    content = _read(dockerfile_path, "dockerfile")
    ignore_file: Path | None = None
    for candidate in (
        dockerfile_path.with_name(dockerfile_path.name + DEFAULT_IGNORE_FILE),
        root_path / DEFAULT_IGNORE_FILE,
    ):
        if candidate.is_file():
            ignore_file = candidate
            break
    patterns: tuple[str, ...] = ()
    if ignore_file is not None:
        patterns = tuple(read_ignore_file(_read(ignore_file, ignore_file.name)))
    return BuildContext(root_path, dockerfile_path, content, patterns, ignore_file)


@dataclass
class _Directory:
    entry: ContextEntry
    parent_match: ParentMatch
    emitted: bool = False


def walk_context(root: Path, matcher: PatternMatcher) -> Iterator[ContextEntry]:
    """Walk `root` yielding what the patterns keep; a kept file's excluded parents come first.

    An excluded directory is still entered when an exception (`!pattern`) could
    keep something inside it, exactly as BuildKit's file sender does.
    """
    exceptions = [pattern for pattern in matcher.patterns if pattern.exclusion]
    # Only plain-path exceptions let us prove a directory holds nothing to keep.
    prefix_only = not any(
        _PATTERN_CHARACTERS & set(pattern.without_trailing_glob()) for pattern in exceptions
    )

    def reachable(directory: str) -> bool:
        if not prefix_only:
            return True
        return any(
            (pattern.without_trailing_glob() + "/").startswith(directory + "/")
            for pattern in exceptions
        )

    def visit(relative: str, parents: list[_Directory]) -> Iterator[ContextEntry]:
        inherited = parents[-1].parent_match if parents else ParentMatch()
        for entry in _entries(root, relative):
            excluded, parent_match = matcher.match_with_parent(entry.path, inherited)
            if excluded and entry.is_dir and not reachable(entry.path):
                continue
            if not excluded:
                for parent in parents:
                    if not parent.emitted:
                        parent.emitted = True
                        yield parent.entry
                yield entry
            if entry.is_dir:
                directory = _Directory(entry, parent_match, emitted=not excluded)
                yield from visit(entry.path, [*parents, directory])

    return visit("", [])


def _entries(root: Path, relative: str) -> list[ContextEntry]:
    directory = root / relative if relative else root
    try:
        names = sorted(os.listdir(directory), key=os.fsencode)
    except OSError as error:
        raise BuildError(f"failed to walk context at {directory}: {error.strerror}") from None
    entries = []
    for name in names:
        path = f"{relative}/{name}" if relative else name
        absolute = root / path
        entries.append(ContextEntry(path, absolute, absolute.lstat()))
    return entries
