"""RUN's attachments: `--mount=type=...,target=...` and `--device=name[,required]`.

A mount is written as one CSV record of `key=value` fields and bare options.
At parse time only its shape is checked (valid CSV, no variable in `from`),
because its values may hold build arguments; `resolve_mount` expands the
values and checks everything else, when the step is planned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from runtime.build.gotext import NumberError, parse_bool, parse_uint, quote
from runtime.build.suggestions import with_suggestion

BIND, CACHE, TMPFS, SECRET, SSH = "bind", "cache", "tmpfs", "secret", "ssh"
MOUNT_TYPES = (BIND, CACHE, TMPFS, SECRET, SSH)
SHARING_MODES = ("shared", "private", "locked")
_MOUNT_KEYS = (
    "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
    "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
)  # fmt: skip
_SIZE = re.compile(r"(?i)([0-9]+(?:\.[0-9]+)*) ?([kmgtp])?i?b?\Z")
_BINARY = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


class MountError(ValueError):
    """A --mount or --device value BuildKit rejects, with its wording."""


def csv_fields(text: str) -> list[str]:
    """The fields of one CSV record (RFC 4180 quoting, as Go's encoding/csv reads it)."""
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise MountError("EOF")
    fields: list[str] = []
    pos = 0
    while True:
        if not text.startswith('"', pos):
            comma = text.find(",", pos)
            field = text[pos:] if comma < 0 else text[pos:comma]
            if '"' in field:
                column = len(text[: pos + field.index('"')].encode()) + 1
                raise MountError(
                    f'parse error on line 1, column {column}: bare " in non-quoted-field'
                )
            fields.append(field)
            if comma < 0:
                return fields
            pos = comma + 1
            continue
        pos += 1
        value: list[str] = []
        while True:
            close = text.find('"', pos)
            if close < 0:
                column = len(text[:pos].encode()) + 1
                raise MountError(
                    f'parse error on line 1, column {column}: extraneous or missing " in quoted-field'
                )
            value.append(text[pos:close])
            pos = close + 1
            following = text[pos : pos + 1]
            if following == '"':
                value.append('"')
                pos += 1
                continue
            fields.append("".join(value))
            if following == ",":
                pos += 1
                break
            if following == "":
                return fields
            column = len(text[: pos - 1].encode()) + 1
            raise MountError(
                f'parse error on line 1, column {column}: extraneous or missing " in quoted-field'
            )


@dataclass(frozen=True)
class MountSpec:
    """A --mount value as written: its text and its CSV fields."""

    text: str
    raw_fields: tuple[str, ...]

    @property
    def fields(self) -> tuple[tuple[str, str | None, str], ...]:
        """(lower-cased key, value or None for a bare option, field as written) per field."""
        result = []
        for field in self.raw_fields:
            key, has_value, value = field.partition("=")
            result.append((key.lower(), value if has_value else None, field))
        return tuple(result)

    @property
    def source_stage(self) -> str:
        """The `from=` of the mount (a stage or an image), or empty."""
        found = ""
        for key, value, _ in self.fields:
            if key == "from" and value is not None:
                found = value
        return found

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {"text": self.text, "fields": [[key, value] for key, value, _ in self.fields]}


def parse_mount_spec(text: str) -> MountSpec:
    """Split a --mount value into fields and check what can be checked before expansion."""
    try:
        raw = csv_fields(text)
    except MountError as error:
        raise MountError(f"failed to parse csv mounts: {error}") from None
    spec = MountSpec(text=text, raw_fields=tuple(raw))
    for key, value, _ in spec.fields:
        if key == "from" and value is not None:
            dollar = value.find("$")
            if dollar != -1 and dollar != len(value) - 1:
                raise MountError(
                    f"'{key}' doesn't support variable expansion, define alias stage instead"
                )
    return spec


@dataclass(frozen=True)
class Mount:
    """A resolved RUN mount (values expanded and checked)."""

    type: str = BIND
    source_stage: str = ""
    source: str = ""
    target: str = ""
    read_only: bool = True
    size_limit: int = 0
    cache_id: str = ""
    sharing: str = ""
    required: bool = False
    env: str | None = None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None


def ram_in_bytes(text: str) -> int:
    """A size like `64m`, `1.5GiB`, `100` in bytes (binary multiples)."""
    match = _SIZE.match(text)
    if not match:
        raise MountError(f"invalid size: '{text}'")
    try:
        size = float(match.group(1))
    except ValueError:
        raise MountError(f"invalid size: '{text}'") from None
    return int(size * _BINARY.get((match.group(2) or "").lower(), 1))


def resolve_mount(spec: MountSpec, expand: Callable[[str], str]) -> Mount:
    """Expand a mount's values and check them as BuildKit does when it runs the step."""
    kind = BIND
    fields: dict[str, object] = {}
    read_only: bool | None = None
    for key, raw, written in spec.fields:
        if raw is None:
            if key in ("readonly", "ro"):
                read_only = True
            elif key in ("readwrite", "rw"):
                read_only = False
            elif key == "required":
                if kind not in (SECRET, SSH):
                    raise MountError(f"unexpected key '{key}' for mount type '{kind}'")
                fields["required"] = True
            else:
                raise MountError(f"invalid field '{written}' must be a key=value pair")
            continue
        value = expand(raw)
        if key == "type":
            if value.lower() not in MOUNT_TYPES:
                message = f"unsupported mount type {quote(value)}"
                raise MountError(with_suggestion(message, value, MOUNT_TYPES, True))
            kind = value.lower()
        elif key == "from":
            fields["source_stage"] = value
        elif key in ("source", "src"):
            fields["source"] = value
        elif key in ("target", "dst", "destination"):
            fields["target"] = value
        elif key in ("readonly", "ro", "readwrite", "rw"):
            flag = _bool_value(key, value)
            read_only = flag if key in ("readonly", "ro") else not flag
        elif key == "required":
            if kind not in (SECRET, SSH):
                raise MountError(f"unexpected key '{key}' for mount type '{kind}'")
            fields["required"] = _bool_value(key, value)
        elif key == "size":
            if kind != TMPFS:
                raise MountError(f"unexpected key '{key}' for mount type '{kind}'")
            try:
                fields["size_limit"] = ram_in_bytes(value)
            except MountError:
                raise MountError(f"invalid value for {key}: {value}") from None
        elif key == "id":
            fields["cache_id"] = value
        elif key == "sharing":
            if value.lower() not in SHARING_MODES:
                message = f"unsupported sharing value {quote(value)}"
                raise MountError(with_suggestion(message, value, SHARING_MODES, True))
            fields["sharing"] = value.lower()
        elif key in ("mode", "uid", "gid"):
            try:
                fields[key] = parse_uint(value, 8 if key == "mode" else 10, 32)
            except NumberError:
                raise MountError(f"invalid value {value} for {key}") from None
        elif key == "env":
            fields["env"] = value
        else:
            message = f"unexpected key '{key}' in '{written}'"
            raise MountError(with_suggestion(message, key, _MOUNT_KEYS, True))
    if kind not in (SECRET, SSH, CACHE):
        for key in ("mode", "uid", "gid"):
            if key in fields:
                raise MountError(f"{key} not allowed for {quote(kind)} type mounts")
    if read_only is None:
        read_only = kind not in (CACHE, TMPFS)
    mount = Mount(type=kind, read_only=read_only, **fields)  # type: ignore[arg-type]
    _check_combination(mount)
    return mount


def _bool_value(key: str, value: str) -> bool:
    try:
        return parse_bool(value)
    except NumberError:
        raise MountError(f"invalid value for {key}: {value}") from None


def _check_combination(mount: Mount) -> None:
    if mount.type == SECRET:
        if mount.source_stage:
            raise MountError("secret mount should not have a from")
        if mount.sharing:
            raise MountError("secret mount should not define sharing")
        if not mount.source and not mount.target and not mount.cache_id:
            raise MountError("invalid secret mount. one of source, target required")
        if mount.source and mount.cache_id:
            raise MountError("both source and id can't be set")
    if mount.sharing and mount.type != CACHE:
        raise MountError(f"invalid cache sharing set for {mount.type} mount")


@dataclass(frozen=True)
class Device:
    """A --device request: a CDI device name and whether the build fails without it."""

    name: str
    required: bool = False


def parse_device(text: str) -> Device:
    """A --device value: `name[,required[=bool]]` or `name=...,required=...`."""
    try:
        raw = csv_fields(text)
    except MountError as error:
        raise MountError(f"failed to parse csv devices: {error}") from None
    name = ""
    required = False
    for field in raw:
        key, has_value, value = field.partition("=")
        key = key.lower()
        if not has_value:
            if key == "required":
                required = True
            elif not name:
                name = field
            else:
                raise MountError(f"invalid field '{field}' must be a key=value pair")
            continue
        if key == "name":
            if name:
                raise MountError(f"device name already set to {name}")
            name = value
        elif key == "required":
            required = _bool_value(key, value)
        elif not name:
            name = field
        else:
            message = f"unexpected key '{key}' in '{field}'"
            raise MountError(with_suggestion(message, key, ("name", "required"), True))
    return Device(name=name, required=required)
