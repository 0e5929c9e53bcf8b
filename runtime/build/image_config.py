"""The runtime part of an image config (`config` in the OCI image config JSON), as pure data.

Build steps read and change it: ENV, LABEL, EXPOSE, USER, WORKDIR, VOLUME,
STOPSIGNAL, HEALTHCHECK, SHELL, CMD, ENTRYPOINT, ONBUILD. `from_oci` and
`to_oci` convert from and to the JSON object Docker and OCI images carry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ("/bin/sh", "-c")


@dataclass(frozen=True)
class Healthcheck:
    """A HEALTHCHECK: the test and its timings in nanoseconds."""

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0

    def to_oci(self) -> dict[str, Any]:
        """The Docker `Healthcheck` object (zero fields omitted)."""
        data: dict[str, Any] = {"Test": list(self.test)}
        for key, value in (
            ("Interval", self.interval),
            ("Timeout", self.timeout),
            ("StartPeriod", self.start_period),
            ("StartInterval", self.start_interval),
            ("Retries", self.retries),
        ):
            if value:
                data[key] = value
        return data


def env_key(entry: str) -> str:
    """The name part of a `NAME=value` environment entry."""
    return entry.split("=", 1)[0]


@dataclass(frozen=True)
class ImageConfig:
    """An image's runtime configuration and author."""

    env: tuple[str, ...] = ()
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    stop_signal: str = ""
    healthcheck: Healthcheck | None = None
    shell: tuple[str, ...] = ()
    on_build: tuple[str, ...] = ()
    args_escaped: bool = False
    author: str = ""

    @classmethod
    def from_oci(cls, config: dict[str, Any] | None, author: str = "") -> ImageConfig:
        """From the `config` object of an image config JSON (None for `scratch`)."""
        config = config or {}
        health = config.get("Healthcheck")
        return cls(
            env=tuple(config.get("Env") or ()),
            cmd=tuple(config["Cmd"]) if config.get("Cmd") is not None else None,
            entrypoint=(
                tuple(config["Entrypoint"]) if config.get("Entrypoint") is not None else None
            ),
            working_dir=config.get("WorkingDir") or "",
            user=config.get("User") or "",
            exposed_ports=tuple(config.get("ExposedPorts") or {}),
            volumes=tuple(config.get("Volumes") or {}),
            labels=tuple((config.get("Labels") or {}).items()),
            stop_signal=config.get("StopSignal") or "",
            healthcheck=(
                Healthcheck(
                    test=tuple(health.get("Test") or ()),
                    interval=health.get("Interval") or 0,
                    timeout=health.get("Timeout") or 0,
                    start_period=health.get("StartPeriod") or 0,
                    start_interval=health.get("StartInterval") or 0,
                    retries=health.get("Retries") or 0,
                )
                if health
                else None
            ),
            shell=tuple(config.get("Shell") or ()),
            on_build=tuple(config.get("OnBuild") or ()),
            args_escaped=bool(config.get("ArgsEscaped")),
            author=author,
        )

    def to_oci(self) -> dict[str, Any]:
        """The `config` object of an image config JSON (empty fields omitted, as Docker does)."""
        data: dict[str, Any] = {}
        if self.user:
            data["User"] = self.user
        if self.exposed_ports:
            data["ExposedPorts"] = {port: {} for port in self.exposed_ports}
        if self.env:
            data["Env"] = list(self.env)
        if self.entrypoint:
            data["Entrypoint"] = list(self.entrypoint)
        if self.cmd:
            data["Cmd"] = list(self.cmd)
        if self.volumes:
            data["Volumes"] = {volume: {} for volume in self.volumes}
        if self.working_dir:
            data["WorkingDir"] = self.working_dir
        if self.labels:
            data["Labels"] = dict(self.labels)
        if self.stop_signal:
            data["StopSignal"] = self.stop_signal
        if self.args_escaped:
            data["ArgsEscaped"] = True
        if self.healthcheck is not None:
            data["Healthcheck"] = self.healthcheck.to_oci()
        if self.shell:
            data["Shell"] = list(self.shell)
        if self.on_build:
            data["OnBuild"] = list(self.on_build)
        return data

    def get_env(self, name: str) -> str | None:
        """The value of an environment variable, or None."""
        for entry in self.env:
            if env_key(entry) == name:
                return entry.split("=", 1)[1] if "=" in entry else ""
        return None

    def with_env(self, name: str, value: str) -> ImageConfig:
        """Set a variable: replaced where it is, else appended."""
        entries = list(self.env)
        for index, entry in enumerate(entries):
            if env_key(entry) == name:
                entries[index] = f"{name}={value}"
                break
        else:
            entries.append(f"{name}={value}")
        return replace(self, env=tuple(entries))

    def with_label(self, key: str, value: str) -> ImageConfig:
        """Set a label (a new key goes last)."""
        labels = dict(self.labels)
        labels[key] = value
        return replace(self, labels=tuple(labels.items()))

    def with_ports(self, ports: list[str]) -> ImageConfig:
        """Add exposed `port/proto` keys."""
        return replace(self, exposed_ports=tuple(dict.fromkeys([*self.exposed_ports, *ports])))

    def with_volumes(self, volumes: list[str]) -> ImageConfig:
        """Add volume paths."""
        return replace(self, volumes=tuple(dict.fromkeys([*self.volumes, *volumes])))

    def shell_for(self, command: tuple[str, ...]) -> tuple[str, ...]:
        """A shell-form command as argv: the SHELL (or /bin/sh -c) and the joined command."""
        return (*(self.shell or DEFAULT_SHELL), " ".join(command))
