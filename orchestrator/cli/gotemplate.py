"""Go's text/template, the part people paste into `--format`: a small interpreter of our own.

    render("{{ .State.Pid }}", data)
    render('{{index .Config.Labels "k"}}', data)
    render("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}", data)
    render("{{json .Config}}", data)

Data is JSON-shaped (dicts, lists, strings, numbers, booleans, None). Supported:
text and actions with `{{-`/`-}}` trimming and comments; fields (`.A.B`, on
variables and parenthesised pipelines), variables (`$`, `$x := ...`,
`$x = ...`), pipes; `if`/`else if`/`else`, `range` (with one or two
variables, and `else`), `with`; literals; the functions Docker's CLI adds to
Go's: json, join, split, lower, upper, title, truncate, pad, println — and Go's:
index, len, slice, print, printf, eq, ne, lt, le, gt, ge, and, or, not.
Missing keys print `<no value>`, as Go prints them for maps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class TemplateError(ValueError):
    """The template cannot be parsed or evaluated; the message says where."""


NO_VALUE = "<no value>"
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<char>'(?:[^'\\]|\\.)')
    | (?P<declare>:=)
    | (?P<assign>=)
    | (?P<punct>[(),|])
    | (?P<variable>\$[A-Za-z0-9_]*)
    | (?P<fields>(?:\.[A-Za-z0-9_]+)+|\.)
    | (?P<number>[-+]?(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?))
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass
class Operand:
    kind: str  # field, variable, literal, function, pipeline
    value: Any
    fields: tuple[str, ...] = ()


@dataclass
class Pipeline:
    commands: list[list[Operand]]
    declare: tuple[str, ...] = ()
    assign: bool = False


@dataclass
class Node:
    kind: str  # text, action, if, range, with
    text: str = ""
    pipeline: Pipeline | None = None
    body: list[Node] = field(default_factory=list)
    otherwise: list[Node] = field(default_factory=list)


# -- lexing --------------------------------------------------------------------------------


def _segments(source: str) -> list[tuple[str, str]]:
    """("text", s) and ("action", s) pieces, with trim markers applied."""
    pieces: list[tuple[str, str]] = []
    position = 0
    while True:
        start = source.find("{{", position)
        if start < 0:
            pieces.append(("text", source[position:]))
            return pieces
        text = source[position:start]
        inner_start = start + 2
        if source.startswith("{{- ", start) or source.startswith("{{-\t", start):
            text = text.rstrip()
            inner_start += 1
        pieces.append(("text", text))
        end = _action_end(source, inner_start)
        inner = source[inner_start:end]
        position = end + 2
        if inner.endswith(" -") or inner.endswith("\t-"):
            inner = inner[:-1]
            stripped = source[position:].lstrip()
            position = len(source) - len(stripped)
        pieces.append(("action", inner.strip()))


def _action_end(source: str, position: int) -> int:
    quote = ""
    index = position
    while index < len(source):
        char = source[index]
        if quote:
            if char == "\\" and quote != "`":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif source.startswith("}}", index):
            return index
        index += 1
    raise TemplateError(f"unclosed action in template at offset {position - 2}")


def _tokens(action: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    action = action.rstrip()
    while position < len(action):
        match = _TOKEN.match(action, position)
        if match is None or match.end() == position:
            raise TemplateError(
                f"unexpected {action[position:].strip()[:10]!r} in {{{{{action}}}}}"
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


# -- parsing -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], action: str):
        self.tokens = tokens
        self.position = 0
        self.action = action

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise TemplateError(f"unexpected end of {{{{{self.action}}}}}")
        self.position += 1
        return token

    def pipeline(self, stop: str = "") -> Pipeline:
        declare: list[str] = []
        assign = False
        saved = self.position
        while self.peek() and self.peek()[0] == "variable":  # type: ignore[index]
            declare.append(self.take()[1])
            token = self.peek()
            if token and token[1] == ",":
                self.take()
                continue
            if token and token[0] in ("declare", "assign"):
                assign = token[0] == "assign"
                self.take()
                break
            declare, self.position = [], saved
            break
        else:
            if declare:
                declare, self.position = [], saved
        commands = [self.command(stop)]
        while self.peek() and self.peek()[1] == "|":  # type: ignore[index]
            self.take()
            commands.append(self.command(stop))
        return Pipeline(commands, tuple(declare), assign)

    def command(self, stop: str) -> list[Operand]:
        operands: list[Operand] = []
        while True:
            token = self.peek()
            if token is None or token[1] in ("|", ")") or (stop and token[1] == stop):
                break
            operands.append(self.operand())
        if not operands:
            raise TemplateError(f"missing value in {{{{{self.action}}}}}")
        return operands

    def operand(self) -> Operand:
        kind, text = self.take()
        if kind == "fields":
            return Operand("field", None, tuple(p for p in text.split(".") if p))
        if kind == "variable":
            following = self.peek()
            fields: tuple[str, ...] = ()
            if following and following[0] == "fields" and following[1] != ".":
                fields = tuple(p for p in self.take()[1].split(".") if p)
            return Operand("variable", text, fields)
        if kind in ("string", "char"):
            return Operand("literal", json.loads('"' + text[1:-1].replace("'", "\\'")[:] + '"')
                           if kind == "string" else text[1:-1])  # fmt: skip
        if kind == "raw":
            return Operand("literal", text[1:-1])
        if kind == "number":
            number = float(int(text, 0)) if text.lower().startswith(("0x", "-0x")) else float(text)
            return Operand(
                "literal", int(number) if number.is_integer() and "." not in text else number
            )
        if kind == "word":
            if text in ("true", "false"):
                return Operand("literal", text == "true")
            if text == "nil":
                return Operand("literal", None)
            return Operand("function", text)
        if text == "(":
            inner = self.pipeline()
            if self.take()[1] != ")":
                raise TemplateError(f"missing ')' in {{{{{self.action}}}}}")
            following = self.peek()
            fields = ()
            if following and following[0] == "fields" and following[1] != ".":
                fields = tuple(p for p in self.take()[1].split(".") if p)
            return Operand("pipeline", inner, fields)
        raise TemplateError(f"unexpected {text!r} in {{{{{self.action}}}}}")


def _parse_pipeline(action: str) -> Pipeline:
    parser = _Parser(_tokens(action), action)
    pipeline = parser.pipeline()
    if parser.peek() is not None:
        raise TemplateError(f"unexpected {parser.peek()[1]!r} in {{{{{action}}}}}")  # type: ignore[index]
    return pipeline


def parse(source: str) -> list[Node]:
    """The template's tree; TemplateError if it is malformed."""
    pieces = [p for p in _segments(source) if not (p[0] == "action" and p[1].startswith("/*"))]
    nodes, _, ended = _parse_list(pieces, 0)
    if ended:
        raise TemplateError(f"unexpected {{{{{ended}}}}}")
    return nodes


def _parse_block(
    keyword: str, text: str, pieces: list[tuple[str, str]], index: int
) -> tuple[Node, int]:
    """An if/range/with and its body, up to its `end` (an `else if` shares that end)."""
    node = Node(keyword, pipeline=_parse_pipeline(text))
    node.body, index, ending = _parse_list(pieces, index)
    if ending.startswith("else"):
        rest = ending[4:].strip()
        if rest:
            inner_keyword = rest.split(None, 1)[0]
            if inner_keyword not in ("if", "with"):
                raise TemplateError(f"unexpected {{{{{ending}}}}}")
            inner, index = _parse_block(inner_keyword, rest[len(inner_keyword) :], pieces, index)
            node.otherwise = [inner]
            return node, index
        node.otherwise, index, ending = _parse_list(pieces, index)
    if ending != "end":
        raise TemplateError(f"missing {{{{end}}}} for {{{{{keyword}{text}}}}}")
    return node, index


def _parse_list(pieces: list[tuple[str, str]], index: int) -> tuple[list[Node], int, str]:
    nodes: list[Node] = []
    while index < len(pieces):
        kind, text = pieces[index]
        index += 1
        if kind == "text":
            if text:
                nodes.append(Node("text", text))
            continue
        keyword = text.split(None, 1)[0] if text else ""
        if keyword in ("end", "else"):
            return nodes, index, text
        if keyword in ("if", "range", "with"):
            node, index = _parse_block(keyword, text[len(keyword) :], pieces, index)
            nodes.append(node)
            continue
        if not text:
            raise TemplateError("empty action {{}}")
        nodes.append(Node("action", pipeline=_parse_pipeline(text)))
    return nodes, index, ""


# -- evaluation ----------------------------------------------------------------------------


def truth(value: Any) -> bool:
    """Go's truth: false, 0, nil and empty strings, lists and maps are false."""
    return bool(value) if value is not None else False


def format_value(value: Any) -> str:
    """A value as Go's fmt prints it with %v."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = " ".join(f"{k}:{format_value(value[k])}" for k in sorted(value))
        return f"map[{items}]"
    return str(value)


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, dict):
            item = item.get(key)
        elif isinstance(item, list | tuple | str):
            try:
                item = item[int(key)]
            except (IndexError, ValueError):
                raise TemplateError(f"index out of range: {key}") from None
        else:
            raise TemplateError(f"cannot index {format_value(item)!r} with {key!r}")
    return item


def _printf(pattern: str, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        verb = match.group(2)
        if verb == "%":
            return "%"
        value = next(values, None)
        flags = match.group(1)
        if verb == "q":
            return json.dumps(format_value(value))
        if verb in "dxXobeEfgG" and isinstance(value, int | float):
            return ("%" + flags + verb) % value
        return ("%" + flags + "s") % format_value(value)

    return re.sub(r"%([-+# 0]*\d*(?:\.\d+)?)([a-zA-Z%])", one, pattern)


def _compare(name: str) -> Callable[..., bool]:
    def compare(first: Any, *others: Any) -> bool:
        if name == "eq":
            return any(first == other for other in others)
        other = others[0]
        return {
            "ne": first != other,
            "lt": first < other,
            "le": first <= other,
            "gt": first > other,
            "ge": first >= other,
        }[name]

    return compare


def _truncate(text: Any, length: Any) -> str:
    value = format_value(text)
    return value[: int(length)]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "json": lambda value: json.dumps(value, separators=(",", ":")),
    "join": lambda items, sep: sep.join(format_value(i) for i in items or []),
    "split": lambda text, sep: format_value(text).split(sep),
    "lower": lambda text: format_value(text).lower(),
    "upper": lambda text: format_value(text).upper(),
    "title": lambda text: format_value(text).title(),
    "truncate": _truncate,
    "pad": lambda text, left, right: " " * int(left) + format_value(text) + " " * int(right),
    "index": _index,
    "len": lambda value: len(value) if value is not None else 0,
    "slice": lambda value, *bounds: value[slice(*(int(b) for b in bounds))],
    "print": lambda *values: "".join(format_value(v) for v in values),
    "println": lambda *values: " ".join(format_value(v) for v in values) + "\n",
    "printf": _printf,
    "not": lambda value: not truth(value),
    "and": lambda *values: next((v for v in values if not truth(v)), values[-1]),
    "or": lambda *values: next((v for v in values if truth(v)), values[-1]),
    **{name: _compare(name) for name in ("eq", "ne", "lt", "le", "gt", "ge")},
}


class _Scope:
    def __init__(self, root: Any):
        self.frames: list[dict[str, Any]] = [{"$": root}]

    def get(self, name: str) -> Any:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        raise TemplateError(f"undefined variable: {name}")

    def set(self, name: str, value: Any, declare: bool) -> None:
        if declare:
            self.frames[-1][name] = value
            return
        for frame in reversed(self.frames):
            if name in frame:
                frame[name] = value
                return
        raise TemplateError(f"undefined variable: {name}")


def _fields(value: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        if isinstance(value, dict):
            value = value.get(name)
        elif value is None:
            return None
        else:
            raise TemplateError(f"can't evaluate field {name} in {format_value(value)!r}")
    return value


class _Evaluator:
    def __init__(self, root: Any):
        self.scope = _Scope(root)

    def operand(self, operand: Operand, dot: Any) -> Any:
        if operand.kind == "field":
            return _fields(dot, operand.fields)
        if operand.kind == "variable":
            return _fields(self.scope.get(operand.value), operand.fields)
        if operand.kind == "pipeline":
            return _fields(self.pipeline(operand.value, dot), operand.fields)
        if operand.kind == "function":
            return self.call(operand.value, [], dot)
        return operand.value

    def call(self, name: str, args: list[Any], dot: Any) -> Any:
        function = FUNCTIONS.get(name)
        if function is None:
            raise TemplateError(f'function "{name}" not defined')
        try:
            return function(*args)
        except TypeError:
            raise TemplateError(f"wrong number of arguments for {name}") from None

    def command(self, operands: list[Operand], dot: Any, piped: list[Any]) -> Any:
        head = operands[0]
        if head.kind == "function":
            args = [self.operand(o, dot) for o in operands[1:]] + piped
            return self.call(head.value, args, dot)
        if len(operands) > 1 or piped:
            raise TemplateError("can't give arguments to a non-function")
        return self.operand(head, dot)

    def pipeline(self, pipeline: Pipeline, dot: Any) -> Any:
        value: list[Any] = []
        for operands in pipeline.commands:
            value = [self.command(operands, dot, value)]
        result = value[0]
        if pipeline.declare and pipeline.declare != ("$",):
            self.scope.set(pipeline.declare[-1], result, not pipeline.assign)
        return result

    def nodes(self, nodes: list[Node], dot: Any, out: list[str]) -> None:
        for node in nodes:
            if node.kind == "text":
                out.append(node.text)
            elif node.kind == "action":
                assert node.pipeline is not None
                value = self.pipeline(node.pipeline, dot)
                if not node.pipeline.declare:
                    out.append(format_value(value))
            else:
                self.block(node, dot, out)

    def block(self, node: Node, dot: Any, out: list[str]) -> None:
        assert node.pipeline is not None
        self.scope.frames.append({})
        try:
            pipeline = node.pipeline
            value = self.pipeline(Pipeline(pipeline.commands), dot)
            if node.kind == "range":
                items = sorted(value.items()) if isinstance(value, dict) else enumerate(value or [])
                ran = False
                for key, item in items:
                    ran = True
                    if len(pipeline.declare) == 2:
                        self.scope.set(pipeline.declare[0], key, True)
                        self.scope.set(pipeline.declare[1], item, True)
                    elif pipeline.declare:
                        self.scope.set(pipeline.declare[0], item, True)
                    self.nodes(node.body, item, out)
                if not ran:
                    self.nodes(node.otherwise, dot, out)
            elif truth(value):
                if pipeline.declare:
                    self.scope.set(pipeline.declare[-1], value, True)
                self.nodes(node.body, value if node.kind == "with" else dot, out)
            else:
                self.nodes(node.otherwise, dot, out)
        finally:
            self.scope.frames.pop()


def render(source: str, data: Any) -> str:
    """Execute the template `source` on `data`."""
    out: list[str] = []
    _Evaluator(data).nodes(parse(source), data, out)
    return "".join(out)
