-- Revocation before expiry and the audit trail (issue 15); the same tables as on PostgreSQL
-- (see migrations/postgres/0007_revocation_audit.sql for what each column means).
ALTER TABLE images ADD COLUMN link_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN links_revised INTEGER NOT NULL DEFAULT 0;

CREATE TABLE link_revocations (
    prefix           TEXT    NOT NULL PRIMARY KEY,
    floor            INTEGER NOT NULL,
    revoked_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    edge_floor       INTEGER NOT NULL DEFAULT -1,
    claimed_until_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX link_revocations_expiry ON link_revocations (expires_at_ms);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms       INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    owner_id    TEXT,
    other_id    TEXT,
    image_id    TEXT,
    before      TEXT,
    after       TEXT,
    request_id  TEXT,
    client_addr TEXT
) STRICT;
CREATE INDEX audit_events_owner ON audit_events (owner_id, id);
CREATE INDEX audit_events_other ON audit_events (other_id, id);
CREATE INDEX audit_events_at ON audit_events (at_ms);

-- The gallery page reads link_version too: it joins the covering index.
DROP INDEX images_by_owner;
CREATE INDEX images_by_owner ON images (
    owner_id, status, created_at_ms DESC, id DESC,
    visibility, key, content_type, size, sha256, updated_at_ms, link_version
);
