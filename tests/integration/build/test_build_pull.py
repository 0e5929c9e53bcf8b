"""Bases from a registry: pulled when missing, kept when present, pulled again with `--pull`."""

from __future__ import annotations

import pytest

from runtime.build.errors import BuildError
from runtime.images.imagestore import ImageStore
from runtime.images.push import push_image
from runtime.images.reference import parse_reference
from runtime.store import Store
from tests.integration.build.conftest import Builder
from tests.support.registry import RegistryServer


def _publish(store: Store, registry: RegistryServer, image_id: str) -> str:
    name = f"{registry.host}/library/base:1"
    ImageStore(store).tag(image_id, parse_reference(name))
    push_image(store, name)
    return name


def test_base_is_pulled_once_and_again_with_pull(
    builder: Builder, store: Store, registry: RegistryServer
) -> None:
    images = ImageStore(store)
    first_base = images.get("busybox:latest")
    name = _publish(store, registry, first_base.id)
    images.untag(parse_reference(name))
    context = builder.context({"Dockerfile": f"FROM {name}\nRUN echo built > /built\n"})

    pulled = builder.build(context, network="none")
    assert f"pulling {name}" in builder.output
    assert pulled.image.diff_ids[:1] == first_base.diff_ids
    assert builder.build(context, network="none").executed == 0  # found locally now
    assert "pulling" not in builder.output

    # The registry moves the tag to another image (one more layer).
    other = builder.build(
        builder.context({"Dockerfile": "FROM busybox\nRUN echo v2 > /v2\n"}, "v2"), network="none"
    )
    _publish(store, registry, other.id)
    images.tag(first_base.id, parse_reference(name))  # the local tag still has the old one
    kept = builder.build(context, network="none")
    assert kept.id == pulled.id
    fresh = builder.build(context, network="none", pull=True)
    assert f"pulling {name}" in builder.output
    assert fresh.image.diff_ids[: len(other.image.diff_ids)] == other.image.diff_ids
    assert fresh.executed == 1


def test_missing_base_is_one_clear_line(builder: Builder, registry: RegistryServer) -> None:
    context = builder.context({"Dockerfile": f"FROM {registry.host}/nothing/here:1\n"})
    with pytest.raises(
        BuildError, match=f"^Dockerfile:1: failed to resolve source metadata for {registry.host}"
    ):
        builder.build(context, network="none")
