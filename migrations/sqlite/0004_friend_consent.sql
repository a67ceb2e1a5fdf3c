-- Friendship takes both sides' consent: a request waits here until the other side accepts it,
-- and only the acceptance writes the two `friendships` rows.
CREATE TABLE friend_requests (
    from_id       TEXT    NOT NULL REFERENCES users (id),
    to_id         TEXT    NOT NULL REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
) STRICT;
-- A user's incoming requests; outgoing ones are the primary key's prefix.
CREATE INDEX friend_requests_to ON friend_requests (to_id, created_at_ms);

-- Until now `addFriend` let one side alone write a friendship (both rows at once), so no stored
-- friendship records that the other side agreed, nor which side asked. None may stay visible:
-- the pairs are kept for the operator in `friendships_without_consent` (one row per pair) and
-- removed from `friendships`, so FRIENDS images go back to their owners alone until the two users
-- ask and accept again.
CREATE TABLE friendships_without_consent (
    user_a        TEXT    NOT NULL,
    user_b        TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_a, user_b)
) STRICT;
INSERT INTO friendships_without_consent (user_a, user_b, created_at_ms)
    SELECT user_id, friend_id, MIN(created_at_ms) FROM friendships
    WHERE user_id < friend_id GROUP BY user_id, friend_id;
-- A row whose mirror is missing (written by hand) is kept too, in the same order.
INSERT OR IGNORE INTO friendships_without_consent (user_a, user_b, created_at_ms)
    SELECT friend_id, user_id, created_at_ms FROM friendships WHERE user_id > friend_id;
DELETE FROM friendships;
