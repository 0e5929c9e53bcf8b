"""The line-level grammar: directives, continuations, heredocs, flags, JSON and shell forms."""

from __future__ import annotations

import pytest

from runtime.build.arguments import extract_flags, parse_words
from runtime.build.directives import detect_syntax
from runtime.build.dockerfile import parse_dockerfile, parse_trigger
from runtime.build.errors import DockerfileError
from runtime.build.heredocs import HeredocError, chomp, heredocs_from_line, parse_heredoc
from runtime.build.instructions import CopyInstruction, Location, RunInstruction
from runtime.build.parser import parse_syntax


def nodes(text: str) -> list[tuple[str, tuple[str, ...], int, int]]:
    return [(n.keyword, n.args, n.start_line, n.end_line) for n in parse_syntax(text).nodes]


def test_directives_are_read_only_at_the_top() -> None:
    tree = parse_syntax("# Syntax = a/b:1\n#ESCAPE=`\nFROM x\n# escape=\\\nRUN a `\n b\n")
    assert tree.directives.syntax == "a/b:1"
    assert tree.escape == "`"
    assert tree.directives.frontend == "a/b:1"
    assert [n.args for n in tree.nodes] == [("x",), ("a  b",)]


@pytest.mark.parametrize(
    "text",
    [
        "\n# escape=`\nFROM x\n",  # a blank line ends the block
        "# plain comment\n# escape=`\nFROM x\n",  # so does an ordinary comment
        "# unknown=1\n# escape=`\nFROM x\n",  # and an unknown key
        "FROM x\n# escape=`\n",  # and any instruction
    ],
)
def test_directive_block_ends_for_good(text: str) -> None:
    assert parse_syntax(text).escape == "\\"


def test_check_directive_is_kept() -> None:
    tree = parse_syntax("# check=skip=all\nFROM x\n")
    assert tree.directives.check == "skip=all"


def test_detect_syntax_skips_a_shebang_and_accepts_slashes() -> None:
    assert detect_syntax("#!/usr/bin/env buildctl\n# syntax=example/front\nFROM x\n") is not None
    found = detect_syntax("// syntax = example/front:2 --flag\nFROM x\n")
    assert found is not None and found.value == "example/front:2 --flag"
    assert detect_syntax("FROM x\n# syntax=late\n") is None


def test_continuation_lines_join_and_keep_their_indentation() -> None:
    assert nodes("FROM x\nRUN a \\\n  b \\\n\tc\n") == [
        ("FROM", ("x",), 1, 1),
        ("RUN", ("a   b \tc",), 2, 4),
    ]


def test_comments_and_blank_lines_inside_a_continuation_are_skipped() -> None:
    tree = parse_syntax("FROM x\nRUN a \\\n# note\n\n   \n  b\n")
    assert tree.nodes[1].args == ("a   b",)
    assert (tree.nodes[1].start_line, tree.nodes[1].end_line) == (2, 6)
    assert [w.line for w in tree.warnings] == [6]
    assert tree.warnings[0].message == "Empty continuation line found in: RUN a   b"


def test_an_escaped_escape_does_not_continue() -> None:
    assert nodes("FROM x\nRUN echo \\\\\nCMD y\n")[1:] == [
        ("RUN", ("echo \\\\",), 2, 2),
        ("CMD", ("y",), 3, 3),
    ]


def test_hash_inside_an_instruction_is_not_a_comment() -> None:
    assert nodes("FROM x\nRUN echo a # b\n")[1][1] == ("echo a # b",)


def test_bom_and_crlf_are_accepted() -> None:
    tree = parse_syntax(b"\xef\xbb\xbfFROM x\r\nRUN a \\\r\n b\r\n")
    assert [(n.keyword, n.args) for n in tree.nodes] == [("FROM", ("x",)), ("RUN", ("a  b",))]


def test_exec_form_and_its_fallback_to_shell_form() -> None:
    tree = parse_syntax('FROM x\nCMD ["a", "b c"]\nCMD ["a",]\nCMD [\'a\']\nRUN ["x"] y\n')
    forms = [(n.args, n.json) for n in tree.nodes[1:]]
    assert forms == [
        (("a", "b c"), True),
        (('["a",]',), False),
        (("['a']",), False),
        (('["x"] y',), False),
    ]


def test_exec_form_with_a_non_string_is_an_error() -> None:
    with pytest.raises(DockerfileError, match=r"^Dockerfile:2: when using JSON array syntax"):
        parse_syntax('FROM x\nCMD ["a", null]\n')


def test_flags_are_extracted_with_quotes_and_escapes() -> None:
    assert extract_flags("--a=1 --b=\"x y\" --c='q' rest of line", "\\") == (
        "rest of line",
        ["--a=1", "--b=x y", "--c=q"],
    )
    assert extract_flags("--a=1 -- --not-a-flag", "\\") == (" --not-a-flag", ["--a=1"])
    assert extract_flags("-x --y", "\\") == ("-x --y", [])
    assert extract_flags('--empty="" x', "\\") == ("x", ["--empty="])


def test_words_keep_quotes_for_later_expansion() -> None:
    assert parse_words("a=\"b c\" d\\ e 'f g'", "\\") == ['a="b c"', "d\\ e", "'f g'"]


def test_heredoc_markers() -> None:
    heredoc = parse_heredoc("<<-'EOF'")
    assert heredoc is not None and (heredoc.name, heredoc.chomp, heredoc.expand) == (
        "EOF",
        True,
        False,
    )
    descriptor = parse_heredoc("3<<EOF")
    assert descriptor is not None and descriptor.file_descriptor == 3
    assert parse_heredoc("<<EOF sh") is None
    assert parse_heredoc("<<") is None
    assert parse_heredoc("<EOF") is None
    with pytest.raises(HeredocError):
        parse_heredoc("<<'EOF")


def test_heredocs_from_a_line_in_order() -> None:
    names = [h.name for h in heredocs_from_line("COPY <<A \"<<NOT\" <<'B' /d")]
    assert names == ["A", "B"]


def test_chomp_strips_leading_tabs_only() -> None:
    assert chomp("\t\ta\n  b\n\tc") == "a\n  b\nc"


def test_heredoc_bodies_and_line_ranges() -> None:
    text = "FROM x\nRUN <<A cat - <<B\na body\nA\nb body\nB\nCMD y\n"
    tree = parse_syntax(text)
    run = tree.nodes[1]
    assert [(h.name, h.content) for h in run.heredocs] == [("A", "a body\n"), ("B", "b body\n")]
    assert (run.start_line, run.end_line) == (2, 6)
    assert (tree.nodes[2].start_line, tree.nodes[2].keyword) == (7, "CMD")


def test_heredocs_only_where_allowed() -> None:
    tree = parse_syntax('FROM x\nUSER <<EOF\nRUN ["<<EOF"]\n')
    assert [n.heredocs for n in tree.nodes] == [(), (), ()]


def test_copy_heredoc_becomes_an_inline_source() -> None:
    dockerfile = parse_dockerfile("FROM x\nCOPY <<-EOF a.txt /dst/\n\tline\n\tEOF\n")
    copy = dockerfile.stages[0].instructions[0]
    assert isinstance(copy, CopyInstruction)
    assert copy.sources == ("a.txt",)
    assert [(c.path, c.data, c.expand) for c in copy.contents] == [("EOF", "line\n", True)]
    assert copy.location == Location(2, 4)


def test_stages_and_meta_args() -> None:
    dockerfile = parse_dockerfile("ARG A=1\nFROM x AS One\nRUN a\nFROM one\nRUN b\n")
    assert [arg.args[0].key for arg in dockerfile.meta_args] == ["A"]
    assert [(s.name, s.display_name, s.base_name) for s in dockerfile.stages] == [
        ("one", "one", "x"),
        ("", "stage-1", "one"),
    ]


def test_onbuild_keeps_the_trigger_text() -> None:
    dockerfile = parse_dockerfile("FROM x\n  ONBUILD   RUN echo hi\n")
    onbuild = dockerfile.stages[0].instructions[0]
    assert onbuild.to_dict()["expression"] == "RUN echo hi"


def test_trigger_is_placed_at_the_stage() -> None:
    instruction = parse_trigger("RUN --network=none make", Location(3, 3))
    assert isinstance(instruction, RunInstruction)
    assert (instruction.network, instruction.location) == ("none", Location(3, 3))
    with pytest.raises(DockerfileError, match=r"^Dockerfile:3: FROM isn.t allowed"):
        parse_trigger("FROM x", Location(3, 3))


def test_error_names_the_file() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse_dockerfile("FROM x\nRUNN y\n", filename="app.Dockerfile")
    assert str(caught.value) == "app.Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)"
    assert (caught.value.start, caught.value.end) == (2, 2)
