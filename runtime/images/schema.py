"""The image metadata tables, as migrations of the `images` component of the store database.

Reference counts are not kept as counters that a crash could leave wrong: a
snapshot's or a blob's count is the number of image rows that name it (plus,
for blobs, the `blob_holds` of other components such as a build cache), read
through the `snapshot_refs` / `blob_refs` views inside the same transaction
that removes an image.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    """
    CREATE TABLE images (
        id TEXT PRIMARY KEY,
        config_size INTEGER NOT NULL,
        manifest_digest TEXT NOT NULL,
        manifest_media_type TEXT NOT NULL,
        manifest_size INTEGER NOT NULL,
        parent TEXT,
        created TEXT,
        architecture TEXT NOT NULL DEFAULT '',
        os TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        added_at REAL NOT NULL
    );
    CREATE TABLE image_layers (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        diff_id TEXT NOT NULL,
        chain_id TEXT NOT NULL,
        blob_digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        blob_size INTEGER NOT NULL,
        PRIMARY KEY (image_id, position)
    );
    CREATE INDEX image_layers_chain ON image_layers(chain_id);
    CREATE INDEX image_layers_blob ON image_layers(blob_digest);
    CREATE TABLE snapshots (
        chain_id TEXT PRIMARY KEY,
        diff_id TEXT NOT NULL,
        parent TEXT,
        size INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE TABLE manifests (
        digest TEXT NOT NULL,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (digest, image_id)
    );
    CREATE TABLE tags (
        name TEXT PRIMARY KEY,
        repository TEXT NOT NULL,
        tag TEXT NOT NULL,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        updated_at REAL NOT NULL
    );
    CREATE INDEX tags_image ON tags(image_id);
    CREATE TABLE repo_digests (
        repository TEXT NOT NULL,
        digest TEXT NOT NULL,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        PRIMARY KEY (repository, digest)
    );
    CREATE TABLE blob_sources (
        digest TEXT NOT NULL,
        registry TEXT NOT NULL,
        repository TEXT NOT NULL,
        PRIMARY KEY (digest, registry, repository)
    );
    CREATE TABLE holds (
        image_id TEXT NOT NULL REFERENCES images(id),
        holder_kind TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (image_id, holder_kind, holder_id)
    );
    CREATE TABLE blob_holds (
        digest TEXT NOT NULL,
        holder_kind TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        PRIMARY KEY (digest, holder_kind, holder_id)
    );
    CREATE VIEW snapshot_refs AS
        SELECT chain_id, COUNT(DISTINCT image_id) AS refs FROM image_layers GROUP BY chain_id;
    CREATE VIEW blob_refs AS
        SELECT digest, COUNT(DISTINCT image_id) AS refs FROM (
            SELECT blob_digest AS digest, image_id FROM image_layers
            UNION ALL SELECT id AS digest, id AS image_id FROM images
            UNION ALL SELECT digest, image_id FROM manifests
            UNION ALL SELECT digest, holder_kind || ':' || holder_id FROM blob_holds
        ) GROUP BY digest;
    """,
]
