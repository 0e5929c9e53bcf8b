"""Lists of `KEY=VALUE` and host entries as mappings."""

from __future__ import annotations


def split_assignment(text: str) -> tuple[str, str | None]:
    """`KEY=VALUE` -> (KEY, VALUE); a bare `KEY` -> (KEY, None)."""
    key, equals, value = text.partition("=")
    if not key:
        raise ValueError(f'"{text}" is not a KEY=VALUE entry (the key is empty)')
    if any(char.isspace() for char in key):
        raise ValueError(f'"{text}" is not a KEY=VALUE entry (the key has a space)')
    return key, (value if equals else None)


def split_host_entry(text: str) -> tuple[str, str]:
    """`host:ip` or `host=ip` (IPv6 addresses may be in brackets) -> (host, address)."""
    host, equals, address = text.partition("=")
    if not equals:
        host, colon, address = text.partition(":")
        if not colon:
            address = ""
    address = address.strip()
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if not host.strip() or not address:
        raise ValueError(f'"{text}" is not a host entry (expected HOST:IP or HOST=IP)')
    return host.strip(), address
