"""Images: references, the image metadata store, registry pull and push, archives, bootstrap.

What the rest of the engine calls (import the modules directly; this package
imports nothing so that `import runtime.images.reference` stays cheap):

- `imagestore.ImageStore(store)`: `get(name) -> Image` (reference, digest
  reference, full or short id), `find`, `all`, `lower_dirs(image)` (snapshot
  dirs, lowest first), `tag` / `untag`, `hold(image_id, kind, holder_id)` /
  `release(...)` / `release_holder(kind, holder_id)` / `holders(image_id)`.
- `pull.pull_image(store, name, platform=, reporter=)`, `pull.pull_images`;
  `push.push_image(store, name)`, `push.push_images`.
- `creation.layer_from_upper(store, upper, exclude=, exclude_contents=)` and
  `creation.create_image(images, parent=, layers=, config=, history=, tags=)`.
- `archives.load.load_archive`, `archives.save.save_images`,
  `archives.importer.import_rootfs`, `bootstrap.bootstrap_image`.
- `garbage.remove_image`, `garbage.prune_images`, `garbage.images_usage`.
"""
