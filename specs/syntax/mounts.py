"""Volume mappings: `[SOURCE:]TARGET[:OPTIONS]` into a long-syntax mount."""

from __future__ import annotations

from typing import Any

PROPAGATIONS = ("shared", "rshared", "slave", "rslave", "private", "rprivate")
CONSISTENCIES = ("cached", "delegated", "consistent")
EXPECTED = "expected [SOURCE:]TARGET[:OPTIONS]"


def is_host_path(source: str) -> bool:
    """A source naming a host path (bind mount) rather than a volume."""
    return source.startswith((".", "/", "~"))


def parse_volume(spec: str) -> dict[str, Any]:
    """One short-syntax volume into a long-syntax mount."""

    def invalid(reason: str = EXPECTED) -> ValueError:
        return ValueError(f'"{spec}" is not a valid volume mapping ({reason})')

    if not spec:
        raise invalid()
    parts = spec.split(":")
    if len(parts) > 3 or any(not part for part in parts):
        raise invalid()
    if len(parts) == 1:
        source, target, options = "", parts[0], ""
    else:
        source, target = parts[0], parts[1]
        options = parts[2] if len(parts) == 3 else ""
    if not target.startswith("/"):
        raise invalid(f'the target "{target}" must be an absolute path in the container')
    mount: dict[str, Any] = {"type": "volume", "target": target}
    bind = is_host_path(source)
    if source:
        mount["source"] = source
    if bind:
        mount["type"] = "bind"
        mount["bind"] = {"create_host_path": True}
    for option in options.split(",") if options else []:
        if option in ("ro", "rw"):
            mount["read_only"] = option == "ro"
        elif option == "nocopy":
            if bind:
                raise invalid("'nocopy' applies to volumes, not to bind mounts")
            mount["volume"] = {"nocopy": True}
        elif option in PROPAGATIONS or option in ("z", "Z"):
            if not bind:
                raise invalid(f"'{option}' applies to bind mounts, not to volumes")
            mount["bind"]["selinux" if option in ("z", "Z") else "propagation"] = option
        elif option in CONSISTENCIES:
            mount["consistency"] = option
        else:
            raise invalid(
                f"unknown option '{option}'; the options are ro, rw, nocopy, z, Z, "
                "a propagation (rprivate, shared...) and cached, delegated or consistent"
            )
    return mount


def parse_device(spec: str) -> dict[str, str]:
    """`/dev/host[:/dev/container[:rwm]]` into a long-syntax device."""
    parts = spec.split(":")
    if len(parts) > 3 or not parts[0]:
        raise ValueError(
            f'"{spec}" is not a valid device mapping (expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]])'
        )
    device = {"source": parts[0], "target": parts[0]}
    if len(parts) >= 2:
        if parts[1] and set(parts[1]) <= set("rwm") and len(parts) == 2:
            device["permissions"] = parts[1]
        else:
            device["target"] = parts[1]
    if len(parts) == 3:
        device["permissions"] = parts[2]
    return device
