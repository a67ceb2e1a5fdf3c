-- The gallery page from the index alone: images_by_owner now carries every column a page
-- returns (INCLUDE, outside the key), so PostgreSQL answers a page with an Index Only Scan, no
-- heap page per row, wherever the visibility map says the rows are visible to all (autovacuum
-- keeps it so; the seeder runs VACUUM after its bulk load). SQLite's index has been covering
-- since its 0003. The build locks writes to `images` while it runs: on a large table, create
-- `images_by_owner_covering` by hand with CREATE INDEX CONCURRENTLY first, and this migration
-- then only swaps the names.
CREATE INDEX IF NOT EXISTS images_by_owner_covering ON images (owner_id, status, created_at_ms DESC, id DESC)
    INCLUDE (key, visibility, content_type, size, sha256, updated_at_ms);
DROP INDEX images_by_owner;
ALTER INDEX images_by_owner_covering RENAME TO images_by_owner;
