-- A gallery page reads every column of its 51 rows. With those columns in images_by_owner, SQLite
-- answers the page from the index alone (USING COVERING INDEX) instead of one table b-tree lookup
-- per row. Same key order as before, so the page is still one range scan with no sort.
DROP INDEX images_by_owner;
CREATE INDEX images_by_owner ON images (
    owner_id, status, created_at_ms DESC, id DESC,
    visibility, key, content_type, size, sha256, updated_at_ms
);
