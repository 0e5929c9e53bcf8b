"""Variable substitution in Compose files and .env files: `$VAR`, `${VAR:-default}`, `$$`...

The forms are those of the Compose Specification (and POSIX shells):
`${VAR}`, `${VAR:-d}` / `${VAR-d}` (default when unset or empty / unset),
`${VAR:?msg}` / `${VAR?msg}` (error), `${VAR:+alt}` / `${VAR+alt}`
(alternative when set), nested in defaults, and `$$` for a literal `$`.
A default is only evaluated when it is used, so `${A:-${B:?}}` needs B only
when A is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from specs.nodes import Node, Path, error

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
# `${A:-${B:-...}}` nests a few levels in real files; deeper is hostile (and would exhaust the stack).
MAX_NESTING = 32


class InterpolationError(ValueError):
    """A template that is malformed or names a required variable that is missing."""


@dataclass
class Substitution:
    """The result of substituting one string: its text and the unset variables it used."""

    text: str
    unset: list[str] = field(default_factory=list)


def substitute(template: str, environment: Mapping[str, str]) -> Substitution:
    """Replace every variable reference in `template` with its value from `environment`."""
    if "$" not in template:
        return Substitution(template)
    result = Substitution("")
    text, position = _Expander(template, environment, result).expand(0, inside_braces=False)
    result.text = text
    if position != len(template):
        raise InterpolationError(_invalid(template))
    return result


def _invalid(template: str) -> str:
    return f'invalid interpolation format "{template}" (write a literal $ as $$)'


class _Expander:
    """A recursive-descent reader of one template."""

    def __init__(self, template: str, environment: Mapping[str, str], result: Substitution):
        self.template = template
        self.environment = environment
        self.result = result
        self.depth = 0

    def expand(self, position: int, *, inside_braces: bool, active: bool = True) -> tuple[str, int]:
        """Expand from `position` to the end, or to the `}` closing the current braces."""
        template = self.template
        pieces: list[str] = []
        while position < len(template):
            char = template[position]
            if char == "}" and inside_braces:
                return "".join(pieces), position
            if char != "$":
                pieces.append(char)
                position += 1
                continue
            following = template[position + 1 : position + 2]
            if following == "$":
                pieces.append("$")
                position += 2
            elif following == "{":
                value, position = self._braced(position + 2, active)
                pieces.append(value)
            elif following and following in _NAME_START:
                name, position = self._name(position + 1)
                pieces.append(self._value(name, active))
            else:
                raise InterpolationError(_invalid(template))
        if inside_braces:
            raise InterpolationError(_invalid(template))
        return "".join(pieces), position

    def _name(self, position: int) -> tuple[str, int]:
        end = position
        while end < len(self.template) and self.template[end] in _NAME_CHARS:
            end += 1
        return self.template[position:end], end

    def _value(self, name: str, active: bool) -> str:
        value = self.environment.get(name)
        if value is None:
            if active and name not in self.result.unset:
                self.result.unset.append(name)
            return ""
        return value

    def _braced(self, position: int, active: bool) -> tuple[str, int]:
        """`${NAME}` or `${NAME<op>word}`, starting just after `${`."""
        template = self.template
        if position >= len(template) or template[position] not in _NAME_START:
            raise InterpolationError(_invalid(template))
        name, position = self._name(position)
        if template[position : position + 1] == "}":
            return self._value(name, active), position + 1
        operator = next((op for op in _OPERATORS if template.startswith(op, position)), None)
        if operator is None:
            raise InterpolationError(_invalid(template))
        if self.depth >= MAX_NESTING:
            raise InterpolationError(f"variables nest more than {MAX_NESTING} levels deep")
        value = self.environment.get(name)
        empty_counts = operator.startswith(":")
        missing = value is None or (empty_counts and value == "")
        uses_word = {"-": missing, "+": not missing, "?": missing}[operator[-1]]
        self.depth += 1
        word, position = self.expand(
            position + len(operator), inside_braces=True, active=active and uses_word
        )
        self.depth -= 1
        position += 1  # the closing brace
        if operator[-1] == "-":
            return (word if missing else value or ""), position
        if operator[-1] == "+":
            return (word if not missing else ""), position
        if missing and active:
            detail = f": {word}" if word else ""
            raise InterpolationError(f"required variable {name} is missing a value{detail}")
        return value or "", position


def interpolate(
    root: Node,
    environment: Mapping[str, str],
    warn: Callable[[str], None],
    path: Path = (),
) -> None:
    """Substitute variables in every string value of a tree, in place (keys are left alone)."""
    warned: set[str] = set()

    def visit(node: Node, where: Path) -> None:
        value = node.value
        if isinstance(value, str):
            if "$" not in value:
                return
            try:
                result = substitute(value, environment)
            except InterpolationError as exc:
                raise error(node, where, str(exc)) from None
            node.value = result.text
            node.text = None
            for name in result.unset:
                if name not in warned:
                    warned.add(name)
                    warn(
                        f'{node.location}: the "{name}" variable is not set; using an empty string'
                    )
        else:
            for key, child in node.children():
                visit(child, (*where, key))

    visit(root, path)
