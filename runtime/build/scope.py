"""Build arguments and their scopes: predefined platform ARGs, global ARGs, build-args.

ARGs before the first FROM are global: their values (a `--build-arg`, else
the default expanded with earlier globals) are usable in FROM lines, and in
a stage only after `ARG NAME` redeclares them there. The platform arguments
(TARGETPLATFORM, BUILDARCH...) are global from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runtime.build.dockerfile import Dockerfile
from runtime.build.errors import DockerfileError, ExpansionError
from runtime.build.lexer import LexerOptions, process_word
from runtime.build.platforms import Platform

PROXY_ARGS = ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
# Arguments that steer the build itself and never reach a RUN environment.
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})


class Environment:
    """An ordered set of variables where setting a name again moves it last (BuildKit's EnvList)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        self._values: dict[str, str] = {}
        for key, value in items:
            self.set(key, value)

    def set(self, key: str, value: str) -> None:
        """Add or replace a variable."""
        self._values.pop(key, None)
        self._values[key] = value

    def copy(self) -> Environment:
        """An independent copy."""
        return Environment(self._values.items())

    def as_mapping(self) -> Mapping[str, str]:
        """The variables, for expansion."""
        return self._values

    def items(self) -> tuple[tuple[str, str], ...]:
        """The variables in order."""
        return tuple(self._values.items())

    def entries(self) -> tuple[str, ...]:
        """`NAME=value` strings in order, as a process environment."""
        return tuple(f"{key}={value}" for key, value in self._values.items())


def default_args(
    build_platform: Platform,
    target_platform: Platform,
    target_stage: str,
    overrides: Mapping[str, str],
) -> Environment:
    """The predefined platform arguments, each overridable by a build-arg of its name."""
    values = (
        ("BUILDPLATFORM", str(build_platform)),
        ("BUILDOS", build_platform.os),
        ("BUILDOSVERSION", ""),
        ("BUILDARCH", build_platform.architecture),
        ("BUILDVARIANT", build_platform.variant),
        ("TARGETPLATFORM", str(target_platform)),
        ("TARGETOS", target_platform.os),
        ("TARGETOSVERSION", ""),
        ("TARGETARCH", target_platform.architecture),
        ("TARGETVARIANT", target_platform.variant),
        ("TARGETSTAGE", target_stage or "default"),
    )
    return Environment((key, overrides.get(key, value)) for key, value in values)


def global_args(
    dockerfile: Dockerfile,
    build_args: Mapping[str, str],
    build_platform: Platform,
    target_platform: Platform,
    target_stage: str,
) -> Environment:
    """The global scope after the ARGs before the first FROM."""
    scope = default_args(build_platform, target_platform, target_stage, build_args)
    options = LexerOptions(escape=dockerfile.escape)
    for instruction in dockerfile.meta_args:
        for definition in instruction.args:
            if definition.key in build_args:
                scope.set(definition.key, build_args[definition.key])
            elif definition.default is not None:
                try:
                    value = process_word(definition.default, scope.as_mapping(), options).result
                except ExpansionError as error:
                    location = instruction.location
                    raise DockerfileError(
                        str(error), dockerfile.filename, location.start, location.end
                    ) from None
                scope.set(definition.key, value)
    return scope


def proxy_env(build_args: Mapping[str, str]) -> tuple[str, ...]:
    """The proxy variables a RUN step gets from build-args without an ARG (both spellings).

    They reach the process only: not the image, the history or the cache key.
    """
    chosen: dict[str, str] = {}
    for key in sorted(build_args):
        if key.upper() in PROXY_ARGS:
            chosen[key.upper()] = build_args[key]
    entries: list[str] = []
    for name in PROXY_ARGS:
        if chosen.get(name):
            entries += [f"{name}={chosen[name]}", f"{name.lower()}={chosen[name]}"]
    return tuple(entries)


@dataclass(frozen=True)
class ArgValue:
    """An ARG declared in a stage and the value it took (None when it has none)."""

    key: str
    value: str | None
