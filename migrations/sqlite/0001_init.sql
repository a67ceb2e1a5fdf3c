-- Users, images and friendships. STRICT: SQLite enforces the declared column types.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    subject       TEXT    NOT NULL UNIQUE,
    username      TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE images (
    id            TEXT    NOT NULL PRIMARY KEY,
    owner_id      TEXT    NOT NULL REFERENCES users (id),
    key           TEXT    NOT NULL UNIQUE,
    visibility    TEXT    NOT NULL CHECK (visibility IN ('PRIVATE', 'FRIENDS', 'PUBLIC')),
    status        TEXT    NOT NULL CHECK (status IN ('PENDING', 'READY', 'FAILED', 'DELETED')),
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;

-- images_by_owner: equality on (owner_id, status), then the index order IS the page order, and the
-- row-value cursor `(created_at_ms, id) < (?, ?)` is a range on it: one range scan, no sort.
-- owner_id leads, so it also serves the foreign key.
CREATE INDEX images_by_owner ON images (owner_id, status, created_at_ms DESC, id DESC);

-- Stored in both directions, so "is b a friend of a" is one primary-key lookup.
CREATE TABLE friendships (
    user_id       TEXT    NOT NULL REFERENCES users (id),
    friend_id     TEXT    NOT NULL REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, friend_id)
) STRICT;
