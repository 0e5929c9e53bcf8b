"""Pull an image: manifest (list) → platform manifest → config → layers in parallel → snapshots.

Each blob is verified (digest and size) while it streams into a temporary file
and only then renamed into the blob store; each snapshot is unpacked into a
temporary directory and renamed into place. Blobs and snapshots are made under
per-digest locks, so two processes pulling the same image share the work. If
anything fails, what this pull added and no image refers to is removed again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any

from runtime.crashpoints import crashpoint
from runtime.errors import EngineError
from runtime.images.additions import Additions, take_back
from runtime.images.creation import images_lock
from runtime.images.credentials import Credentials
from runtime.images.errors import ImageError, RegistryError
from runtime.images.imagestore import Descriptor, Image, ImageStore, LayerRecord, NewImage
from runtime.images.manifests import (
    Index,
    Manifest,
    Platform,
    parse_manifest,
    parse_platform,
    select_platform,
)
from runtime.images.progress import Reporter, SilentReporter
from runtime.images.reference import Reference, parse_reference
from runtime.images.registry import RegistryClient
from runtime.images.transport import Transport
from runtime.layers.compression import CHUNK
from runtime.layers.errors import LayerError
from runtime.layers.snapshots import chain_ids
from runtime.store import Store
from runtime.store.scratch import sweep_scratch

MAX_CONCURRENT_DOWNLOADS = 3
DOWNLOAD_ATTEMPTS = 3
MAX_CONCURRENT_UNPACKS = 8
# An image config is read whole; real ones are kilobytes.
MAX_CONFIG_SIZE = 16 << 20


class PullCancelled(ImageError):
    """Another layer of the same pull failed."""


@dataclass(frozen=True)
class PullResult:
    """The pulled image, the digest it was pulled by, and whether anything was new."""

    image: Image
    digest: str
    downloaded: bool
    reference: Reference

    @property
    def status(self) -> str:
        """Docker's closing line: `Status: Downloaded newer image for debian:bookworm`."""
        what = "Downloaded newer image" if self.downloaded else "Image is up to date"
        return f"Status: {what} for {self.reference.familiar}"


def pull_image(
    store: Store,
    name: str | Reference,
    *,
    platform: str | Platform | None = None,
    reporter: Reporter | None = None,
    transport: Transport | None = None,
    credentials: Credentials | None = None,
    max_downloads: int = MAX_CONCURRENT_DOWNLOADS,
) -> PullResult:
    """Pull `name` from its registry into `store` and tag it; return the image."""
    reference = name if isinstance(name, Reference) else parse_reference(name)
    wanted = platform if isinstance(platform, Platform) else parse_platform(platform)
    reporter = reporter or SilentReporter()
    client = RegistryClient(reference, transport=transport, credentials=credentials)
    created = Additions()
    sweep_scratch(store.layout)
    try:
        with images_lock(store):
            return _pull(store, client, reference, wanted, reporter, created, max_downloads)
    except BaseException:
        take_back(store, created)
        raise


def pull_images(
    store: Store, names: Sequence[str], *, quiet: bool = True, platform: str | None = None
) -> list[PullResult]:
    """Pull several images in parallel (compose-level `pull`); the first failure is raised."""
    from runtime.images.progress import reporter_for

    reporter = reporter_for(quiet)
    transport = Transport()
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(4, len(names)))) as pool:
            futures = [
                pool.submit(
                    pull_image,
                    store,
                    name,
                    platform=platform,
                    reporter=reporter,
                    transport=transport,
                )
                for name in names
            ]
            return [future.result() for future in futures]
    finally:
        reporter.close()


def _pull(
    store: Store,
    client: RegistryClient,
    reference: Reference,
    wanted: Platform,
    reporter: Reporter,
    created: Additions,
    max_downloads: int,
) -> PullResult:
    images = ImageStore(store)
    client.ping()
    top = client.get_manifest(reference.digest or reference.tag or "latest")
    parsed = parse_manifest(top.data, top.media_type)
    manifests = [(top.data, Descriptor(parsed.media_type, top.digest, len(top.data)))]
    if isinstance(parsed, Index):
        chosen = select_platform(parsed, wanted)
        fetched = client.get_manifest(chosen.digest)
        if len(fetched.data) != chosen.size:
            raise RegistryError(f"manifest {chosen.digest} has the wrong size")
        parsed = parse_manifest(fetched.data, fetched.media_type)
        if not isinstance(parsed, Manifest):
            raise RegistryError(f"the manifest list of {reference} names another list")
        manifests.insert(
            0, (fetched.data, Descriptor(parsed.media_type, fetched.digest, len(fetched.data)))
        )
    manifest: Manifest = parsed
    reporter.message(
        f"{reference.tag or reference.digest}: Pulling from {reference.familiar_repository}"
    )
    config_bytes = _fetch_config(store, client, manifest.config, created)
    config = _parse_config(config_bytes, manifest)
    crashpoint(f"pull {reference}: config fetched")
    diff_ids = list(config["rootfs"]["diff_ids"])
    chains = chain_ids(diff_ids)
    existing = images.find(manifest.config.digest)
    fresh = existing is None or not all(images.snapshots.exists(c) for c in chains)
    if fresh:
        _fetch_layers(
            store,
            images,
            client,
            manifest.layers,
            diff_ids,
            chains,
            reporter,
            created,
            max_downloads,
        )
    for data, descriptor in manifests:
        if not store.blobs.exists(descriptor.digest):
            store.blobs.put(data, descriptor.digest)
            created.blob(descriptor.digest)
    crashpoint(f"pull {reference}: manifests stored")
    sizes = {
        row["chain_id"]: row["size"]
        for row in store.db.query("SELECT chain_id, size FROM snapshots")
    }
    layers = [
        LayerRecord(
            diff_id, chain, descriptor, created.sizes.get(chain) or int(sizes.get(chain) or 0)
        )
        for diff_id, chain, descriptor in zip(diff_ids, chains, manifest.layers, strict=True)
    ]
    images.register(
        NewImage(
            config_digest=manifest.config.digest,
            config_size=manifest.config.size,
            config=config,
            manifest=manifests[0][1],
            layers=layers,
            other_manifests=[d for _, d in manifests[1:]],
        ),
        tags=[reference] if reference.tag else [],
        repo_digests=[(reference.repository, top.digest)],
        source=(reference.domain, reference.path),
    )
    crashpoint(f"pull {reference}: image registered")
    images.record_source(manifest.config.digest, reference.domain, reference.path)
    return PullResult(images.load(manifest.config.digest), top.digest, fresh, reference)


def _parse_config(data: bytes, manifest: Manifest) -> dict[str, Any]:
    try:
        config = json.loads(data)
        diff_ids = config["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryError("the image config is malformed (no rootfs.diff_ids)") from exc
    if len(diff_ids) != len(manifest.layers):
        raise RegistryError(
            f"the image config lists {len(diff_ids)} layers but the manifest {len(manifest.layers)}"
        )
    if not isinstance(config, dict):
        raise RegistryError("the image config is not a JSON object")
    return config


def _fetch_config(
    store: Store, client: RegistryClient, descriptor: Descriptor, created: Additions
) -> bytes:
    if descriptor.size > MAX_CONFIG_SIZE:
        raise RegistryError(
            f"the image config {descriptor.digest[:19]} claims {descriptor.size} bytes "
            f"(at most {MAX_CONFIG_SIZE})"
        )
    if not store.blobs.exists(descriptor.digest):
        _download(store, client, descriptor, created, None, None)
    return store.blobs.read(descriptor.digest)


def _download(
    store: Store,
    client: RegistryClient,
    descriptor: Descriptor,
    created: Additions,
    reporter: Reporter | None,
    cancel: threading.Event | None,
) -> None:
    """Download one blob into the store, verified, unless another process already did."""
    key = descriptor.digest[7:19]
    with store.lock(f"blob-{descriptor.digest[7:]}"):
        if store.blobs.exists(descriptor.digest):
            return
        for attempt in range(DOWNLOAD_ATTEMPTS):
            if reporter:
                reporter.state(key, "Downloading", total=descriptor.size)
            response = client.open_blob(descriptor.digest)
            try:
                with store.blobs.writer(descriptor.digest, descriptor.size) as writer:
                    for chunk in response.chunks(CHUNK):
                        if cancel is not None and cancel.is_set():
                            raise PullCancelled("cancelled")
                        writer.write(chunk)
                        if reporter:
                            reporter.advance(key, len(chunk))
                    writer.commit()
                crashpoint(f"pull: blob {key} downloaded")
            except PullCancelled:
                raise  # another layer failed first: its error is the one to report
            except RegistryError:
                if attempt + 1 == DOWNLOAD_ATTEMPTS:
                    raise
                continue
            except EngineError as exc:
                raise RegistryError(f"layer {descriptor.digest} from {client.host}: {exc}") from exc
            finally:
                response.close()
            created.blob(descriptor.digest)
            return


def _fetch_layers(
    store: Store,
    images: ImageStore,
    client: RegistryClient,
    layers: list[Descriptor],
    diff_ids: list[str],
    chains: list[str],
    reporter: Reporter,
    created: Additions,
    max_downloads: int,
) -> None:
    cancel = threading.Event()
    # Downloads are few at a time, as Docker does; unpacking runs for every layer at once,
    # each layer into its own snapshot, so the disk and both cores stay busy.
    download_slots = threading.Semaphore(max(1, max_downloads))

    def one(descriptor: Descriptor, diff_id: str, chain: str) -> None:
        key = descriptor.digest[7:19]
        have_blob = store.blobs.exists(descriptor.digest)
        if have_blob and images.snapshots.exists(chain):
            reporter.start(key, "Already exists", descriptor.size)
            reporter.advance(key, descriptor.size)
            return
        reporter.start(key, "Waiting", descriptor.size)
        with download_slots:
            _download(store, client, descriptor, created, reporter, cancel)
        if cancel.is_set():
            raise PullCancelled("cancelled")
        reporter.state(key, "Extracting", total=descriptor.size)
        try:
            applied = images.snapshots.ensure(
                chain,
                diff_id,
                partial(store.blobs.open, descriptor.digest),
                on_read=partial(reporter.advance, key),
            )
        except LayerError as exc:
            raise LayerError(
                f"layer {descriptor.digest[:19]} of {client.reference}: {exc}"
            ) from exc
        if applied is not None:
            created.snapshot(chain, applied.content_size)
        crashpoint(f"pull: layer {key} unpacked")
        reporter.state(key, "Pull complete")

    with ThreadPoolExecutor(max_workers=max(1, min(len(layers), MAX_CONCURRENT_UNPACKS))) as pool:
        futures = [
            pool.submit(one, d, i, c) for d, i, c in zip(layers, diff_ids, chains, strict=True)
        ]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() for f in done):
            cancel.set()
        wait(futures)
    errors = [f.exception() for f in futures if f.exception() is not None]
    real = [e for e in errors if not isinstance(e, PullCancelled)]
    if real or errors:
        raise (real or errors)[0]  # type: ignore[misc]
