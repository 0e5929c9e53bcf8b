"""The base of every Project model: frozen, strict about keys, `x-` extensions kept.

Each model declares the Compose keys it knows as its fields (by their Compose
name), and in `unsupported` the keys of the Compose Specification it does not
model yet; the loader rejects those with "pycompose does not support 'X' yet".
A dump leaves out what is at its default (as `docker compose config` leaves out
Go's zero values), except the fields named in `always_dumped`, and spreads the
`x-` extensions back as keys.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    model_serializer,
    model_validator,
)
from pydantic.functional_serializers import SerializerFunctionWrapHandler

EXTENSION_PREFIX = "x-"
_COMPOSE_KEYS: dict[type, frozenset[str]] = {}
_DEFAULTS: dict[type, dict[str, Any]] = {}


class SpecModel(BaseModel):
    """A part of a normalised Compose project."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        coerce_numbers_to_str=True,
        validate_default=False,
        use_attribute_docstrings=True,
    )

    extensions: dict[str, Any] = Field(default_factory=dict)
    """The `x-` keys written at this level, kept as written."""

    unsupported: ClassVar[frozenset[str]] = frozenset()
    """Keys of the Compose Specification at this level that pycompose refuses for now."""
    rewritten: ClassVar[frozenset[str]] = frozenset()
    """Keys accepted in a file that the loader rewrites into other fields (`net`...)."""
    internal_fields: ClassVar[frozenset[str]] = frozenset({"extensions"})
    """Fields that are not Compose keys and cannot be written in a file."""
    always_dumped: ClassVar[frozenset[str]] = frozenset()
    """Fields dumped even when they hold their default value."""

    @classmethod
    def compose_keys(cls) -> frozenset[str]:
        """The keys a Compose file may write at this level."""
        cached = _COMPOSE_KEYS.get(cls)
        if cached is None:
            cached = frozenset(
                field.alias or name
                for name, field in cls.model_fields.items()
                if name not in cls.internal_fields
            )
            _COMPOSE_KEYS[cls] = cached
        return cached

    @model_validator(mode="before")
    @classmethod
    def _gather_extensions(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(
            isinstance(key, str) and key.startswith(EXTENSION_PREFIX) for key in data
        ):
            extensions = {key: value for key, value in data.items() if key.startswith("x-")}
            data = {key: value for key, value in data.items() if key not in extensions}
            data["extensions"] = {**data.get("extensions", {}), **extensions}
        return data

    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        """Each field's default value, made once per class (pydantic inspects a default
        factory's signature on every `get_default` call, which made dumps slow)."""
        cached = _DEFAULTS.get(cls)
        if cached is None:
            cached = {
                name: field.get_default(call_default_factory=True)
                for name, field in cls.model_fields.items()
            }
            _DEFAULTS[cls] = cached
        return cached

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        defaults = self._defaults()
        for name, field in type(self).model_fields.items():
            key = field.alias or name
            if key not in data or name in self.always_dumped:
                continue
            value = getattr(self, name)
            if value is None or value == defaults[name]:
                del data[key]
        extensions = data.pop("extensions", None)
        if extensions:
            data.update(extensions)
        return data
