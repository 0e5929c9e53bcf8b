"""The syntax tree of a Dockerfile: one node per instruction, before typing.

A node keeps what the line-level grammar found — the keyword as written, the
`--flags`, the argument words, whether the arguments were a JSON array, the
here-documents and the source lines — without interpreting any of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.build.heredocs import Heredoc


@dataclass(frozen=True)
class Node:
    """One instruction as parsed from its (joined) line.

    `args` are the argument words in the form the instruction's grammar gives
    them: for ENV and LABEL, triples of key, value and separator (`=` or empty
    for the legacy `KEY value` form); for ONBUILD, the trigger's keyword
    followed by its arguments, with the trigger itself in `child`.
    """

    keyword: str
    args: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    json: bool = False
    original: str = ""
    start_line: int = 0
    end_line: int = 0
    heredocs: tuple[Heredoc, ...] = ()
    comments: tuple[str, ...] = ()
    child: Node | None = None
    known: bool = True

    @property
    def command(self) -> str:
        """The keyword in lower case, as instructions are looked up."""
        return self.keyword.lower()

    def dump(self) -> str:
        """The node in BuildKit's s-expression test format (a debugging aid)."""
        from runtime.build.gotext import quote, quote_list

        text = self.command
        if self.flags:
            text += " " + quote_list(self.flags)
        if self.child is not None:
            text += " (" + self.child.dump() + ")"
            return text.strip()
        if not self.known:
            return (text + ' ""').strip()
        for arg in self.args:
            text += " " + quote(arg)
        return text.strip()
