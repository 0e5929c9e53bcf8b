"""Variable substitution as BuildKit's shell lexer does it (cases written from its rules)."""

from __future__ import annotations

import pytest

from runtime.build.errors import ExpansionError
from runtime.build.lexer import LexerOptions, process_word, process_words

ENV = {"HOME": "/home/user", "SHELL": "bash", "EMPTY": "", "GREETING": "안녕", "SPACED": "a  b"}

# (word, expected result); errors are checked separately.
WORD_CASES = [
    ("plain", "plain"),
    ("", ""),
    ("pl'ai'n", "plain"),
    ('"double $HOME"', "double /home/user"),
    ("'single $HOME'", "single $HOME"),
    ("it\\'s", "it's"),
    ("tab\\tletter", "tabtletter"),
    ('"keeps \\t in quotes"', "keeps \\t in quotes"),
    ('"escaped \\" quote"', 'escaped " quote'),
    ('"escaped \\\\ backslash"', "escaped \\ backslash"),
    ("'no \\escapes in single'", "no \\escapes in single"),
    ("trailing\\", "trailing"),
    ("trailing\\\\", "trailing\\"),
    ('"\'"', "'"),
    ("'\"'", '"'),
    ("$HOME", "/home/user"),
    ("${HOME}", "/home/user"),
    ("pre${HOME}post", "pre/home/userpost"),
    ("$HOME.txt", "/home/user.txt"),
    ("$HOMEX", ""),
    ("${HOME}X", "/home/userX"),
    ("$", "$"),
    ("$.", "$."),
    ("a$ b", "a$ b"),
    ("\\$HOME", "$HOME"),
    ("\\\\$HOME", "\\/home/user"),
    ('"\\$HOME"', "$HOME"),
    ("$UNSET", ""),
    ("${UNSET}x", "x"),
    ("${UNSET:-default}", "default"),
    ("${EMPTY:-default}", "default"),
    ("${EMPTY-default}", ""),
    ("${UNSET-default}", "default"),
    ("${HOME:-default}", "/home/user"),
    ("${UNSET:+alt}", ""),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${HOME:+alt}", "alt"),
    ("${HOME+alt}", "alt"),
    ("${UNSET:-$HOME}", "/home/user"),
    ("${UNSET:-${ALSO_UNSET:-nested}}", "nested"),
    ("${HOME:+${SHELL}}", "bash"),
    ("${UNSET:-a b  c}", "a b  c"),
    ("${UNSET:-\\$HOME}", "$HOME"),
    ("${UNSET:-\\}}", "}"),
    ("${UNSET:-'quoted }'}", "quoted }"),
    ("${HOME}}", "/home/user}"),
    ("${HOME?}", "/home/user"),
    ("${EMPTY?}", ""),
    ("${HOME:?}", "/home/user"),
    ("$1", ""),
    ("$1x", "x"),
    ("${1:-one}", "one"),
    ("$123abc", "abc"),
    ("$@x", "x"),
    ("$$", ""),
    ("${#}", ""),
    ("${?:-q}", "q"),
    ("$GREETING세계", ""),
    ("${GREETING}세계", "안녕세계"),
    ("'$GREETING'", "$GREETING"),
    ('"$SPACED"', "a  b"),
    ("$SPACED", "a  b"),
    ("<<EOF", "<<EOF"),
    ("a <<  b", "a <<  b"),
]

PATTERN_CASES = [
    # (variable value, word, expected)
    ("path/to/file.tar.gz", "${V#*/}", "to/file.tar.gz"),
    ("path/to/file.tar.gz", "${V##*/}", "file.tar.gz"),
    ("path/to/file.tar.gz", "${V%.*}", "path/to/file.tar"),
    ("path/to/file.tar.gz", "${V%%.*}", "path/to/file"),
    ("path/to/file.tar.gz", "${V#nomatch}", "path/to/file.tar.gz"),
    ("aaa", "${V#a}", "aa"),
    ("aaa", "${V##a*}", ""),
    ("a*b", "${V#a\\*}", "b"),
    ("a?b", "${V%\\?b}", "a"),
    ("x.y", "${V#x.}", "y"),
    ("v1.2.3", "${V#v}", "1.2.3"),
    ("hello world", "${V/o/0}", "hell0 world"),
    ("hello world", "${V//o/0}", "hell0 w0rld"),
    ("hello world", "${V/o*/!}", "hell!"),
    ("/usr/local/bin", "${V//\\//:}", ":usr:local:bin"),
    ("aXbXc", "${V//X/}", "abc"),
    ("abc", "${V//?/-}", "---"),
    ("abc", "${V/nomatch/x}", "abc"),
    ("linux/arm64", "${V%%/*}", "linux"),
    ("http://example.com", "${V/http:\\/\\//https://}", "https://example.com"),
]

ERROR_CASES = [
    ("'unterminated", "unexpected end of statement while looking for matching single-quote"),
    ('"unterminated', "unexpected end of statement while looking for matching double-quote"),
    ('"ends with escape\\"', "unexpected end of statement while looking for matching double-quote"),
    ("${}", "syntax error: bad substitution"),
    ("${:-x}", "syntax error: bad substitution"),
    ("${{x}", "syntax error: bad substitution"),
    ("${", "syntax error: missing '}'"),
    ("${HOME", "syntax error: missing '}'"),
    ("${HOME:-x", "syntax error: missing '}'"),
    ("${.}", "unsupported modifier (.) in substitution"),
    ("${HOME:=x}", "unsupported modifier (:=) in substitution"),
    ("${HOME:x}", "unsupported modifier (:x) in substitution"),
    ("${HOME:#x}", "unsupported modifier (:#) in substitution"),
    ("${HOME:%x}", "unsupported modifier (:%) in substitution"),
    ("${UNSET?}", "UNSET: is not allowed to be unset"),
    ("${UNSET:?}", "UNSET: is not allowed to be unset"),
    ("${EMPTY:?}", "EMPTY: is not allowed to be empty"),
    ("${UNSET:?must be set for $SHELL}", "UNSET: must be set for bash"),
    ("${UNSET?no value}", "UNSET: no value"),
    ("${HOME/x", "syntax error: missing '/' in ${}"),
    ("${HOME/x/y", "syntax error: missing '}'"),
    ("${HOME#\\x}", "invalid pattern (\\x) in substitution: invalid escape '\\x'"),
]


@pytest.mark.parametrize(("word", "expected"), WORD_CASES)
def test_process_word(word: str, expected: str) -> None:
    assert process_word(word, ENV).result == expected


@pytest.mark.parametrize(("value", "word", "expected"), PATTERN_CASES)
def test_pattern_substitution(value: str, word: str, expected: str) -> None:
    assert process_word(word, {"V": value}).result == expected


@pytest.mark.parametrize(("word", "message"), ERROR_CASES)
def test_errors_are_worded_as_buildkit_words_them(word: str, message: str) -> None:
    with pytest.raises(ExpansionError) as caught:
        process_word(word, ENV)
    assert str(caught.value) == f"failed to process {_go_quote(word)}: {message}"


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_matched_and_unmatched_variables_are_reported() -> None:
    expansion = process_word("${HOME} $UNSET ${EMPTY:-x} ${OTHER:+y}", ENV)
    assert expansion.matched == {"HOME", "EMPTY"}
    assert expansion.unmatched == {"UNSET", "OTHER"}


def test_backtick_escape() -> None:
    options = LexerOptions(escape="`")
    assert process_word("c:\\path\\`$HOME", ENV, options).result == "c:\\path\\$HOME"
    assert process_word("a` b", ENV, options).result == "a b"
    assert process_word('"q`"uote"', ENV, options).result == 'q"uote'


def test_skip_unset_keeps_references_as_written() -> None:
    options = LexerOptions(skip_unset=True)
    assert process_word("$UNSET ${UNSET} ${UNSET:-d} $HOME", ENV, options).result == (
        "$UNSET ${UNSET} ${UNSET:-d} /home/user"
    )
    assert process_word("${UNSET/a/b}", ENV, options).result == "${UNSET/a/b}"


def test_raw_quotes_and_raw_escapes_keep_the_characters() -> None:
    assert process_word("'a' \"b\"", ENV, LexerOptions(raw_quotes=True)).result == "'a' \"b\""
    assert process_word("a\\ b", ENV, LexerOptions(raw_escapes=True)).result == "a\\ b"


def test_skip_quotes_treats_quotes_as_text() -> None:
    options = LexerOptions(skip_quotes=True)
    assert process_word("'$HOME' \"$SHELL\"", ENV, options).result == "'/home/user' \"bash\""


WORDS_CASES = [
    ("hello", ["hello"]),
    ("hello there  world", ["hello", "there", "world"]),
    ("  leading and trailing  ", ["leading", "and", "trailing"]),
    ("a\\ b", ["a b"]),
    ('"a b" c', ["a b", "c"]),
    ("'a  b'c", ["a  bc"]),
    ('""', []),
    ("x$SPACED", ["xa", "b"]),
    ('x"$SPACED"', ["xa  b"]),
    ("$UNSET", []),
    ("80 $PORTS", ["80", "443", "8443/udp"]),
    ("${PORTS}", ["443", "8443/udp"]),
    ("<<  EOF done", ["<<  EOF", "done"]),
    # BuildKit's shared word buffer: text before a ${name<op>...} in the same word is lost.
    ("prefix${UNSET:-value}suffix other", ["valuesuffix", "other"]),
]


@pytest.mark.parametrize(("text", "expected"), WORDS_CASES)
def test_process_words_splits_after_expansion(text: str, expected: list[str]) -> None:
    env = {**ENV, "PORTS": "443 8443/udp"}
    assert process_words(text, env) == expected
