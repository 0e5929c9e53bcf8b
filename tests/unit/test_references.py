"""Image references are parsed and normalised as Docker does."""

from __future__ import annotations

import pytest

from runtime.images.errors import InvalidReference
from runtime.images.reference import parse_reference

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "expected", "familiar"),
    [
        ("flask", "docker.io/library/flask:latest", "flask:latest"),
        ("debian:bookworm-slim", "docker.io/library/debian:bookworm-slim", "debian:bookworm-slim"),
        ("user/app", "docker.io/user/app:latest", "user/app:latest"),
        ("docker.io/library/redis:7", "docker.io/library/redis:7", "redis:7"),
        ("index.docker.io/library/redis", "docker.io/library/redis:latest", "redis:latest"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("localhost:5000/a/b:v1", "localhost:5000/a/b:v1", "localhost:5000/a/b:v1"),
        (
            f"localhost:5000/a/b@{DIGEST}",
            f"localhost:5000/a/b@{DIGEST}",
            f"localhost:5000/a/b@{DIGEST}",
        ),
        (f"quay.io/x/y:1.0@{DIGEST}", f"quay.io/x/y:1.0@{DIGEST}", f"quay.io/x/y:1.0@{DIGEST}"),
        ("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "127.0.0.1:5000/app:latest"),
        ("[::1]:5000/app:x", "[::1]:5000/app:x", "[::1]:5000/app:x"),
        ("Registry.Example/app", "Registry.Example/app:latest", "Registry.Example/app:latest"),
        ("a__b/c-d.e:1_2", "docker.io/a__b/c-d.e:1_2", "a__b/c-d.e:1_2"),
    ],
)
def test_normalisation(text: str, expected: str, familiar: str) -> None:
    reference = parse_reference(text)
    assert str(reference) == expected
    assert reference.familiar == familiar


def test_parts_and_hosts() -> None:
    hub = parse_reference("debian")
    assert (hub.domain, hub.path, hub.tag, hub.digest) == (
        "docker.io",
        "library/debian",
        "latest",
        None,
    )
    assert hub.api_host == "registry-1.docker.io"
    assert hub.auth_key == "https://index.docker.io/v1/"
    local = parse_reference(f"localhost:5000/a@{DIGEST}")
    assert local.tag is None and local.digest == DIGEST and local.api_host == "localhost:5000"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Flask", "lowercase"),
        ("app:", "bad tag"),
        ("app:-x", "bad tag"),
        ("a//b", "invalid reference"),
        ("app@sha256:123", "digest"),
        ("-app", "invalid reference"),
        ("x/" + "a" * 300, "longer than"),
        ("localhost:5000/app:" + "t" * 129, "bad tag"),
    ],
)
def test_invalid_references(text: str, message: str) -> None:
    with pytest.raises(InvalidReference, match=message):
        parse_reference(text)
