"""Container names and ids: Docker's name rules, generated names, 64-hex ids."""

from __future__ import annotations

import re
import secrets

from runtime.containers.errors import ContainerError

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
ID_RE = re.compile(r"^[0-9a-f]{64}$")
# Generated names pair a mood with an astronomer, as `docker run` pairs two words.
_MOODS = (
    "bold", "brave", "bright", "calm", "clever", "cool", "crisp", "daring", "eager", "fair",
    "fancy", "gentle", "glad", "happy", "hardy", "jolly", "keen", "kind", "lively", "lucid",
    "merry", "modest", "neat", "nimble", "noble", "patient", "plucky", "proud", "quick", "quiet",
    "ready", "sharp", "shy", "smart", "steady", "sunny", "swift", "tender", "vivid", "witty",
)  # fmt: skip
_ASTRONOMERS = (
    "aryabhata", "brahe", "burnell", "cannon", "cassini", "chandra", "copernicus", "dyson",
    "eddington", "fleming", "galileo", "halley", "herschel", "hipparchus", "hoyle", "hubble",
    "huygens", "kepler", "kuiper", "laplace", "leavitt", "lemaitre", "lowell", "messier",
    "mitchell", "oort", "payne", "ptolemy", "rubin", "sagan", "schmidt", "shapley", "somerville",
    "tereshkova", "tombaugh", "tyson", "ulugh", "vera", "whipple", "zwicky",
)  # fmt: skip


def new_id() -> str:
    """A container id: 64 random hex digits."""
    return secrets.token_hex(32)


def check_name(name: str) -> str:
    """Docker's rule for names (a leading '/' is dropped, as Docker shows names with one)."""
    name = name.lstrip("/")
    if not NAME_RE.match(name):
        raise ContainerError(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name


def generated_name(taken: set[str]) -> str:
    """A free `mood_astronomer` name (a number is added once every pair is taken)."""
    for attempt in range(100):
        name = f"{secrets.choice(_MOODS)}_{secrets.choice(_ASTRONOMERS)}"
        if attempt > 10:
            name += str(secrets.randbelow(100))
        if name not in taken:
            return name
    return f"container_{secrets.token_hex(4)}"
