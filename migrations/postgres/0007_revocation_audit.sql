-- Revocation before expiry and the audit trail (issue 15).

-- Every link carries its image's link version inside the signed resource (`?v=`). A revocation
-- raises the version to the revocation's floor, so links issued afterwards carry a version the
-- edge accepts while every older one is below it. `links_revised` is the highest version any of
-- the user's images (or their whole account) was raised to: the next revocation goes above it,
-- and the user's signed cookies carry it.
ALTER TABLE images ADD COLUMN link_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN links_revised BIGINT NOT NULL DEFAULT 0;

-- The floors the edge enforces: `prefix` is `{owner}/` (the whole account) or `{owner}/{image}/`;
-- a link whose version is below `floor` is refused. `edge_floor` is what the CloudFront
-- KeyValueStore holds for it (-1: nothing), so the outbox sends what differs; once
-- `expires_at_ms` has passed every link the entry outlaws has expired, and it is removed from the
-- edge and then from here.
CREATE TABLE link_revocations (
    prefix           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    floor            BIGINT NOT NULL,
    revoked_at_ms    BIGINT NOT NULL,
    expires_at_ms    BIGINT NOT NULL,
    edge_floor       BIGINT NOT NULL DEFAULT -1,
    claimed_until_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX link_revocations_expiry ON link_revocations (expires_at_ms);

-- One row per change. `actor` is a user id or 'system'; `owner_id` is whose image (or, for a
-- friendship, who acted) and `other_id` the other user of a friendship: each sees the event.
-- No foreign keys: an event outlives the image it is about.
CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    owner_id    TEXT COLLATE "C",
    other_id    TEXT COLLATE "C",
    image_id    TEXT COLLATE "C",
    before      TEXT,
    after       TEXT,
    request_id  TEXT,
    client_addr TEXT
);
CREATE INDEX audit_events_owner ON audit_events (owner_id, id);
CREATE INDEX audit_events_other ON audit_events (other_id, id);
CREATE INDEX audit_events_at ON audit_events (at_ms);

-- A gallery page now returns link_version too: it joins the covering index's INCLUDE list, or
-- every page would go back to the heap. (On a large table, build images_by_owner_v2 by hand with
-- CREATE INDEX CONCURRENTLY first; this then only swaps the names.)
CREATE INDEX IF NOT EXISTS images_by_owner_v2 ON images (owner_id, status, created_at_ms DESC, id DESC)
    INCLUDE (key, visibility, content_type, size, sha256, updated_at_ms, link_version);
DROP INDEX images_by_owner;
ALTER INDEX images_by_owner_v2 RENAME TO images_by_owner;
