"""Push an image: each blob unless the registry has it (HEAD), mounted from another
repository of the same registry when one is known to hold it, else uploaded; then
the manifest, by PUT under the tag."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from runtime.images.creation import images_lock
from runtime.images.credentials import Credentials
from runtime.images.errors import ImageError
from runtime.images.imagestore import Descriptor, ImageStore
from runtime.images.manifests import Manifest, parse_manifest
from runtime.images.progress import Reporter, SilentReporter
from runtime.images.reference import parse_reference
from runtime.images.registry import DEFAULT_CHUNK_SIZE, MONOLITHIC_LIMIT, RegistryClient
from runtime.images.transport import Transport
from runtime.store import Store

MAX_CONCURRENT_UPLOADS = 3


@dataclass(frozen=True)
class PushResult:
    """The manifest digest the registry now serves under the tag, and what each blob did."""

    digest: str
    size: int
    blobs: dict[str, str]
    tag: str = "latest"


def push_image(
    store: Store,
    name: str,
    *,
    reporter: Reporter | None = None,
    transport: Transport | None = None,
    credentials: Credentials | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    monolithic_limit: int = MONOLITHIC_LIMIT,
) -> PushResult:
    """Push the local image tagged `name` to the registry the name points at."""
    reference = parse_reference(name)
    if reference.digest:
        raise ImageError(f"cannot push by digest ({reference}); push a tag")
    reporter = reporter or SilentReporter()
    images = ImageStore(store)
    with images_lock(store):
        image = images.get(str(reference))
        manifest_data = store.blobs.read(image.manifest.digest)
        manifest = parse_manifest(manifest_data, image.manifest.media_type)
        if not isinstance(manifest, Manifest):
            raise ImageError(f"the manifest of {name} is an index; push needs an image manifest")
        client = RegistryClient(reference, transport=transport, credentials=credentials, push=True)
        client.ping()
        reporter.message(f"The push refers to repository [{reference.repository}]")
        outcome: dict[str, str] = {}

        def one(descriptor: Descriptor) -> None:
            outcome[descriptor.digest] = _push_blob(
                store, images, client, descriptor, reporter, chunk_size, monolithic_limit
            )

        with ThreadPoolExecutor(max_workers=MAX_CONCURRENT_UPLOADS) as pool:
            unique = dict.fromkeys([*manifest.layers, manifest.config])
            for future in [pool.submit(one, d) for d in unique]:
                future.result()
        tag = reference.tag or "latest"
        digest = client.put_manifest(tag, manifest_data, manifest.media_type)
        images.register_repo_digest(image.id, reference.repository, digest)
    return PushResult(digest, len(manifest_data), outcome, tag)


def _push_blob(
    store: Store,
    images: ImageStore,
    client: RegistryClient,
    descriptor: Descriptor,
    reporter: Reporter,
    chunk_size: int,
    monolithic_limit: int,
) -> str:
    key = descriptor.digest[7:19]
    domain, path = client.reference.domain, client.reference.path
    reporter.start(key, "Preparing", descriptor.size)
    if client.has_blob(descriptor.digest):
        reporter.state(key, "Layer already exists")
        images.record_source(descriptor.digest, domain, path)
        return "exists"
    location = None
    for source in images.sources(descriptor.digest, domain):
        if source == path:
            continue
        location = client.mount_blob(descriptor.digest, source)
        if location is None:
            reporter.state(key, f"Mounted from {source}")
            images.record_source(descriptor.digest, domain, path)
            return "mounted"
        break
    reporter.state(key, "Pushing", total=descriptor.size)
    client.upload_blob(
        descriptor.digest,
        descriptor.size,
        partial(store.blobs.open, descriptor.digest),
        location=location,
        chunk_size=chunk_size,
        monolithic_limit=monolithic_limit,
        on_sent=partial(reporter.advance, key),
    )
    reporter.state(key, "Pushed")
    images.record_source(descriptor.digest, domain, path)
    return "uploaded"


def push_images(store: Store, names: list[str], *, quiet: bool = True) -> list[PushResult]:
    """Push several images one after the other (compose-level `push`)."""
    from runtime.images.progress import reporter_for

    reporter = reporter_for(quiet)
    transport = Transport()
    try:
        return [push_image(store, name, reporter=reporter, transport=transport) for name in names]
    finally:
        reporter.close()
