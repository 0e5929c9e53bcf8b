"""Commands written as one string, split into words like a POSIX shell would."""

from __future__ import annotations

import shlex


def split_command(text: str) -> list[str]:
    """`echo "hello world"` -> ["echo", "hello world"]."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        raise ValueError(f'"{text}" has an unterminated quote') from None
