"""RUN --mount: bind from the context and from a stage, cache directories that outlive builds,
tmpfs, optional and required secrets; none of them leaves anything in a layer."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from runtime.build.errors import StepFailed
from runtime.images.imagestore import ImageStore
from runtime.store import Store
from tests.integration.build.conftest import Builder
from tests.support.builds import run_image

DOCKERFILE = """\
FROM busybox AS tools
RUN mkdir -p /opt/tools && echo "tool v1" > /opt/tools/version

FROM busybox
RUN --mount=type=bind,source=data,target=/mnt/data \\
    --mount=type=bind,from=tools,source=/opt/tools,target=/mnt/tools \\
    --mount=type=cache,target=/var/cache/app \\
    --mount=type=tmpfs,target=/scratch \\
    --mount=type=secret,id=token \\
    cat /mnt/data/input.txt /mnt/tools/version > /result \\
 && ls /mnt/data >> /result \\
 && echo run >> /var/cache/app/runs && wc -l < /var/cache/app/runs > /cache-count \\
 && echo temp > /scratch/t && test ! -e /run/secrets/token
CMD ["cat", "/result", "/cache-count"]
"""


def _layer_names(store: Store, digest: str) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(store.blobs.read(digest)))) as archive:
        return archive.getnames()


def test_run_mounts(builder: Builder, store: Store, tmp_path: Path) -> None:
    context = builder.context(
        {
            "Dockerfile": DOCKERFILE,
            ".dockerignore": "data/secret.txt\n",
            "data/input.txt": "input\n",
            "data/secret.txt": "excluded\n",
        }
    )
    first = builder.build(context, network="none")
    output = run_image(store, first.image, tmp_path / "run")
    assert output.stdout == "input\ntool v1\ninput.txt\n1\n"
    names = _layer_names(store, first.image.layers[-1].blob.digest)
    assert sorted(names) == ["cache-count", "result"]  # no mount point, no cache content

    # The cache directory outlives the build; it is not part of the cache key.
    again = builder.build(context, network="none", no_cache=True)
    assert run_image(store, again.image, tmp_path / "run2").stdout.endswith("\n2\n")
    # A bind-mounted context file is: editing it re-runs the step.
    assert builder.build(context, network="none").executed == 0
    (context / "data/input.txt").write_text("edited\n")
    edited = builder.build(context, network="none")
    assert edited.executed == 1
    assert run_image(store, edited.image, tmp_path / "run3").stdout.startswith("edited\n")
    assert ImageStore(store).get(edited.id)


def test_required_secret_fails(builder: Builder) -> None:
    context = builder.context(
        {
            "Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=key,required cat /run/secrets/key\n"
        }
    )
    with pytest.raises(StepFailed, match="secret key is required but this builder has none"):
        builder.build(context, network="none")
