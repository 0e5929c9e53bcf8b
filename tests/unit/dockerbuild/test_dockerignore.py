"""`.dockerignore`: reading the file, matching paths, walking a context."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.build.build_context import load_build_context
from runtime.build.dockerignore import PatternMatcher, filepath_match, read_ignore_file
from runtime.build.errors import BuildError, IgnorePatternError


def test_reading_cleans_patterns_and_drops_comments() -> None:
    text = "\ufeff# comment\n  *.log  \n\n/abs/path/\n./rel/../other\n! /kept\n #not a comment\n"
    assert read_ignore_file(text) == ["*.log", "abs/path", "other", "!kept", "#not a comment"]


def test_reading_keeps_a_lone_slash_and_windows_line_endings_work() -> None:
    assert read_ignore_file(b"/\r\nfoo\r\n") == ["/", "foo"]


# (patterns, path, excluded)
MATCH_CASES = [
    (["*"], "file", True),
    (["*"], "dir/file", True),  # the parent directory matches
    (["*.go"], "main.go", True),
    (["*.go"], "cmd/main.go", False),
    (["**/*.go"], "cmd/main.go", True),
    (["**/*.go"], "main.go", True),
    (["**"], "anything/at/all", True),
    (["dir/**"], "dir", False),
    (["dir/**"], "dir/file", True),
    (["**/dir"], "a/b/dir/file", True),
    (["a**/*.txt"], "a/b/c.txt", True),
    (["docs"], "docs/README.md", True),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs/", "!docs/README.md"], "docs/other.md", True),
    (["*.md", "!README.md"], "README.md", False),
    (["!README.md", "*.md"], "README.md", True),
    (["**", "!keep"], "keep/inner", False),
    (["/abs"], "abs", False),  # the reader strips the leading slash, the matcher does not
    (["./dot/../x"], "x", True),
    (["a?c"], "abc", True),
    (["a?c"], "a/c", False),
    (["a[b-d]e"], "ace", True),
    (["a[^b-d]e"], "aze", True),
    (["a[^b-d]e"], "ace", False),
    (["a\\*b"], "a*b", True),
    (["a\\*b"], "axb", False),
    (["a.b"], "aXb", False),
    (["a+(b)|c{d}$"], "a+(b)|c{d}$", True),
    (["node_modules"], "node_modules/pkg/index.js", True),
    (["*/temp*"], "somedir/temporary.txt", True),
    (["temp?"], "tempa", True),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), MATCH_CASES)
def test_matching(patterns: list[str], path: str, excluded: bool) -> None:
    assert PatternMatcher(patterns).matches(path) is excluded


@pytest.mark.parametrize("pattern", ["[", "a[", "[]", "[^]", "[a-]", "x\\", "!"])
def test_malformed_patterns_are_errors(pattern: str) -> None:
    with pytest.raises(IgnorePatternError):
        PatternMatcher([pattern])


def test_filepath_match_semantics() -> None:
    assert filepath_match("*.txt", "a.txt")
    assert not filepath_match("*.txt", "dir/a.txt")
    assert filepath_match("[a-c]?", "bz")
    assert filepath_match("\\[x\\]", "[x]")


def make_tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(name)


def walked(root: Path) -> list[str]:
    return [entry.path for entry in load_build_context(root).walk()]


def test_walk_yields_kept_entries_in_lexical_order(tmp_path: Path) -> None:
    make_tree(tmp_path, ["Dockerfile", "b.log", "a/x.go", "a/y.log", "a/z.tmp", "c/"])
    # `*.log` is anchored at the root: a/y.log stays, unlike a/z.tmp under `**/*.tmp`.
    (tmp_path / ".dockerignore").write_text("*.log\n**/*.tmp\nc\n")
    assert walked(tmp_path) == [".dockerignore", "Dockerfile", "a", "a/x.go", "a/y.log"]


def test_excluded_directory_is_entered_only_for_exceptions(tmp_path: Path) -> None:
    make_tree(tmp_path, ["Dockerfile", "docs/a.md", "docs/README.md", "docs/sub/z.md"])
    (tmp_path / ".dockerignore").write_text("docs\n!docs/README.md\n")
    assert walked(tmp_path) == [".dockerignore", "Dockerfile", "docs", "docs/README.md"]


def test_wildcard_exception_reaches_into_excluded_directories(tmp_path: Path) -> None:
    make_tree(tmp_path, ["Dockerfile", "vendor/a/keep.go", "vendor/a/skip.txt"])
    (tmp_path / ".dockerignore").write_text("vendor\n!vendor/**/*.go\n")
    assert walked(tmp_path) == [
        ".dockerignore",
        "Dockerfile",
        "vendor",
        "vendor/a",
        "vendor/a/keep.go",
    ]


def test_links_are_listed_not_followed(tmp_path: Path) -> None:
    make_tree(tmp_path, ["Dockerfile", "real/file"])
    (tmp_path / "link").symlink_to("real")
    entries = {entry.path: entry for entry in load_build_context(tmp_path).walk()}
    assert set(entries) == {"Dockerfile", "link", "real", "real/file"}
    assert not entries["link"].is_dir


def test_excluded_dockerfile_and_ignore_file_are_still_read(tmp_path: Path) -> None:
    make_tree(tmp_path, ["Dockerfile", "app.py"])
    (tmp_path / ".dockerignore").write_text("Dockerfile\n.dockerignore\n")
    context = load_build_context(tmp_path)
    assert context.dockerfile == b"Dockerfile"
    assert context.ignore_patterns == ("Dockerfile", ".dockerignore")
    assert walked(tmp_path) == ["app.py"]
    assert context.is_excluded("Dockerfile")


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    make_tree(tmp_path, ["build/app.Dockerfile", "a.txt", "b.txt"])
    (tmp_path / ".dockerignore").write_text("a.txt\n")
    (tmp_path / "build" / "app.Dockerfile.dockerignore").write_text("b.txt\n")
    context = load_build_context(tmp_path, str(tmp_path / "build" / "app.Dockerfile"))
    assert context.ignore_patterns == ("b.txt",)
    assert context.ignore_file == tmp_path / "build" / "app.Dockerfile.dockerignore"


def test_lowercase_dockerfile_is_found(tmp_path: Path) -> None:
    (tmp_path / "dockerfile").write_text("FROM scratch\n")
    assert load_build_context(tmp_path).dockerfile_path.name == "dockerfile"


def test_missing_dockerfile_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"failed to read dockerfile: open .*Dockerfile: no such"):
        load_build_context(tmp_path)
    with pytest.raises(BuildError, match="unable to prepare context"):
        load_build_context(tmp_path / "missing")
