"""The executor's pure and file-level parts: modes, owners, source selection, digests,
history dating, progress lines, archives, and the compose `build:` mapping."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest

from runtime.build.archives import is_archive, url_file_name
from runtime.build.build_context import load_build_context
from runtime.build.cache import MIGRATIONS
from runtime.build.cache_contexts import ContextDigests
from runtime.build.errors import BuildError
from runtime.build.executor_state import dated_history, history_entry, rfc3339_nano
from runtime.build.file_modes import Owner, parse_mode_change, resolve_owner
from runtime.build.progress import PlainProgress, QuietProgress
from runtime.build.request import network_mode
from runtime.build.source_trees import ContextTree, RootfsTree, select_sources
from runtime.store.database import Database
from tests.support.builds import tar_bytes, write_context


@pytest.mark.parametrize(
    ("text", "mode", "is_dir", "expected"),
    [
        ("0755", 0o100600, False, 0o755),
        ("u+x", 0o100644, False, 0o744),
        ("a+x", 0o100644, False, 0o755),
        ("+x", 0o100600, False, 0o711),
        ("go-w", 0o100666, False, 0o644),
        ("u=rwx,go=rx", 0o100600, False, 0o755),
        ("a+X", 0o100644, False, 0o644),
        ("a+X", 0o040700, True, 0o711),
        ("a+X", 0o100744, False, 0o755),
        ("g=u", 0o100740, False, 0o770),
        ("u+s,o+t", 0o100755, False, 0o5755),
        ("o=", 0o100777, False, 0o770),
    ],
)
def test_chmod(text: str, mode: int, is_dir: bool, expected: int) -> None:
    change = parse_mode_change(text)
    assert change is not None and change.apply(mode, is_dir) == expected


def test_chmod_refuses_what_is_not_a_mode() -> None:
    assert parse_mode_change("") is None
    for text in ("u+z", "999", "rwx", "u+x,"):
        with pytest.raises(BuildError, match="invalid chmod parameter"):
            parse_mode_change(text)


def test_chown_names_from_the_image(tmp_path: Path) -> None:
    write_context(
        tmp_path,
        {
            "etc/passwd": "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
            "etc/group": "root:x:0:\nstaff:x:50:\napp:x:1001:\n",
        },
    )
    assert resolve_owner(tmp_path, "") is None
    assert resolve_owner(tmp_path, "app") == Owner(1000, 1001)  # the user's primary group
    assert resolve_owner(tmp_path, "55") == Owner(55, 55)  # a number is both
    assert resolve_owner(tmp_path, "app:staff") == Owner(1000, 50)
    assert resolve_owner(tmp_path, "7:50") == Owner(7, 50)
    with pytest.raises(BuildError, match="unable to find user ghost"):
        resolve_owner(tmp_path, "ghost")
    with pytest.raises(BuildError, match="unable to find group nogroup"):
        resolve_owner(tmp_path, "app:nogroup")


def _context(tmp_path: Path, ignore: str = "") -> ContextTree:
    if (tmp_path / "Dockerfile").exists():
        return ContextTree(load_build_context(tmp_path))
    files = {
        "Dockerfile": "FROM scratch\n",
        "app/main.py": "print('hi')\n",
        "app/util.py": "x = 1\n",
        "app/cache/junk.pyc": "junk",
        "docs/a.md": "a",
        "docs/b.txt": "b",
        "link": b"",
    }
    write_context(tmp_path, files)
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("app/main.py")
    if ignore:
        (tmp_path / ".dockerignore").write_text(ignore)
    return ContextTree(load_build_context(tmp_path))


def test_source_selection(tmp_path: Path) -> None:
    tree = _context(tmp_path, "**/cache\n*.md\n!docs/a.md\n")
    assert [(s.name, s.path, s.is_dir) for s in select_sources(tree, "app")] == [
        ("app", "app", True)
    ]
    assert [s.path for s in select_sources(tree, "./app/*.py")] == ["app/main.py", "app/util.py"]
    assert [s.path for s in select_sources(tree, "docs/*")] == ["docs/a.md", "docs/b.txt"]
    assert [s.path for s in select_sources(tree, "/")] == [""]
    # a symlink named at the top level is followed (inside the context)
    assert [(s.name, s.path) for s in select_sources(tree, "link")] == [("link", "app/main.py")]
    with pytest.raises(BuildError, match='"/app/cache": not found'):
        select_sources(tree, "app/cache")  # excluded
    with pytest.raises(BuildError, match="no source files were specified"):
        select_sources(tree, "*.rb")


def test_rootfs_links_stay_inside(tmp_path: Path) -> None:
    root = write_context(tmp_path / "root", {"etc/real": "inside\n"})
    (root / "escape").symlink_to("/etc/passwd")
    (root / "up").symlink_to("../../../../etc/real")
    tree = RootfsTree(root)
    with pytest.raises(BuildError, match="not found"):
        select_sources(tree, "escape")  # /etc/passwd of the root, which has none
    assert [s.path for s in select_sources(tree, "up")] == ["etc/real"]


def test_context_digests_use_the_index(tmp_path: Path) -> None:
    db = Database(tmp_path / "store.db")
    db.migrate("buildcache", MIGRATIONS)
    tree = _context(tmp_path / "ctx", "**/cache\n")
    digests = ContextDigests(db, tree)
    first = digests.digest("app")
    assert first == digests.digest("app/")  # the same selection
    digests.flush()
    rows = db.query("SELECT path FROM build_context_files ORDER BY path")
    assert [row["path"] for row in rows] == ["app/main.py", "app/util.py"]

    again = ContextDigests(db, _context(tmp_path / "ctx", "**/cache\n"))
    opened: list[str] = []
    original = again.file_digest.__func__  # type: ignore[attr-defined]

    def counting(self: ContextDigests, path: str, status: os.stat_result) -> str:
        if self._load().get(path) is None or not self._load()[path].matches(status):
            opened.append(path)
        return original(self, path, status)  # type: ignore[no-any-return]

    again.file_digest = counting.__get__(again)  # type: ignore[method-assign]
    assert again.digest("app") == first and opened == []
    # Same size, new content: the stat changes, the file is read again.
    time.sleep(0.01)
    (tmp_path / "ctx/app/util.py").write_text("x = 2\n")
    changed = ContextDigests(db, _context(tmp_path / "ctx", "**/cache\n"))
    assert changed.digest("app") != first
    # Mtimes of context files do not count (nor owners: a copy makes them root's).
    os.utime(tmp_path / "ctx/app/main.py", (1, 1))
    later = ContextDigests(db, _context(tmp_path / "ctx", "**/cache\n"))
    assert later.digest("app") == changed.digest("app")
    # The mode does.
    os.chmod(tmp_path / "ctx/app/main.py", 0o600)
    assert ContextDigests(db, _context(tmp_path / "ctx", "**/cache\n")).digest(
        "app"
    ) != later.digest("app")


def test_history_dates_follow_buildkit() -> None:
    base = {"created": "2024-01-01T00:00:00Z", "created_by": "base"}
    env = history_entry("ENV A=1", None, empty_layer=True)
    run = history_entry("RUN x", "2025-02-02T00:00:00Z", empty_layer=False)
    cmd = history_entry("CMD y", None, empty_layer=True)
    dated = dated_history((base, env, run, cmd))
    assert [e["created"] for e in dated] == [
        "2024-01-01T00:00:00Z",
        "2025-02-02T00:00:00Z",  # a metadata entry takes the next layer's time
        "2025-02-02T00:00:00Z",
        "2025-02-02T00:00:00Z",  # ... or the last one's
    ]
    assert list(dated[1]) == ["created", "created_by", "comment", "empty_layer"]
    only_metadata = dated_history((base, env))
    assert only_metadata[1]["created"] == "2024-01-01T00:00:00Z"


def test_times_are_written_as_go_does() -> None:
    assert rfc3339_nano(1_700_000_000_123_400_000) == "2023-11-14T22:13:20.1234Z"
    assert rfc3339_nano(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", rfc3339_nano())


def test_progress_lines() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream)
    progress.step("[2/3] RUN make")
    progress.output(b"compiling\npart")
    progress.output(b"ial\r\n50%\r100%\n")
    progress.done("[2/3] RUN make", 1.25)
    progress.cached("[3/3] COPY . /src")
    assert stream.getvalue() == (
        "[2/3] RUN make\n  | compiling\n  | partial\n  | 100%\n[2/3] RUN make DONE 1.2s\n"
        "CACHED [3/3] COPY . /src\n"
    )
    errors = io.StringIO()
    quiet = QuietProgress(errors)
    quiet.step("[2/2] RUN false")
    quiet.output(b"".join(b"line %d\n" % i for i in range(15)) + b"last")
    quiet.failed("[2/2] RUN false", "exit code: 1")
    assert quiet.tail() == (*(f"line {i}" for i in range(6, 15)), "last")
    assert errors.getvalue().startswith("--------\n > [2/2] RUN false: exit code: 1\nline 6\n")


def test_archives_are_told_by_content(tmp_path: Path) -> None:
    for name, mode in (("a.tgz", "w:gz"), ("a.tar", "w"), ("a.bz", "w:bz2"), ("a.xz", "w:xz")):
        (tmp_path / name).write_bytes(tar_bytes({"f": "x"}, mode=mode))
        assert is_archive(tmp_path / name), name
    (tmp_path / "plain.tar.gz").write_text("not an archive at all " * 40)
    assert not is_archive(tmp_path / "plain.tar.gz")
    (tmp_path / "empty").write_bytes(b"")
    assert not is_archive(tmp_path / "empty")
    assert url_file_name("https://example.com/files/tool-1.2.tar.gz?x=1") == "tool-1.2.tar.gz"
    assert url_file_name("https://example.com/") == "index.html"


def test_network_modes() -> None:
    assert [network_mode(m) for m in ("", "default", "bridge", "HOST", "none")] == [
        "default",
        "default",
        "default",
        "host",
        "none",
    ]
    with pytest.raises(BuildError, match="not supported for builds"):
        network_mode("container:x")
