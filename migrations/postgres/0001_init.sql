-- Users, images and friendships.
--
-- Ids are COLLATE "C": byte order, the same as SQLite's, so `ORDER BY id` and the pagination
-- cursor agree on both backends whatever the database's default collation is.

CREATE TABLE users (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    subject       TEXT   NOT NULL UNIQUE,
    username      TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE images (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    owner_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    key           TEXT   NOT NULL UNIQUE,
    visibility    TEXT   NOT NULL CHECK (visibility IN ('PRIVATE', 'FRIENDS', 'PUBLIC')),
    status        TEXT   NOT NULL CHECK (status IN ('PENDING', 'READY', 'FAILED', 'DELETED')),
    content_type  TEXT   NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- images_by_owner: equality on (owner_id, status), then the index order IS the page order, and the
-- row comparison `(created_at_ms, id) < ($4, $5)` is an index condition: one index scan, no sort.
-- owner_id leads, so it also serves the foreign key.
CREATE INDEX images_by_owner ON images (owner_id, status, created_at_ms DESC, id DESC);

-- Stored in both directions, so "is b a friend of a" is one primary-key lookup.
CREATE TABLE friendships (
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    friend_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);
