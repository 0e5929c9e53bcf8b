"""Named volumes of the project (`volumes.<key>`)."""

from __future__ import annotations

from pydantic import Field, model_validator

from specs.model.base import SpecModel


class Volume(SpecModel):
    """A named volume of the project."""

    name: str
    """The volume's real name: `<project>_<key>` unless set, or the key when external."""
    driver: str | None = None
    """None is the default (local) driver."""
    driver_opts: dict[str, str] = Field(default_factory=dict)
    external: bool = False
    """Made outside the project: used, never created or removed."""
    labels: dict[str, str] = Field(default_factory=dict)

    always_dumped = frozenset({"name"})

    @model_validator(mode="after")
    def _external_is_only_a_name(self) -> Volume:
        if self.external and (self.driver or self.driver_opts):
            key = "driver" if self.driver else "driver_opts"
            raise ValueError(f"'{key}' cannot be set on an external volume (it is made elsewhere)")
        return self
