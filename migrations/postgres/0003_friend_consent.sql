-- Friendship takes both sides' consent: a request waits here until the other side accepts it,
-- and only the acceptance writes the two `friendships` rows.
CREATE TABLE friend_requests (
    from_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    to_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
);
-- A user's incoming requests; outgoing ones are the primary key's prefix.
CREATE INDEX friend_requests_to ON friend_requests (to_id, created_at_ms);

-- Until now `addFriend` let one side alone write a friendship (both rows at once), so no stored
-- friendship records that the other side agreed, nor which side asked. None may stay visible:
-- the pairs are kept for the operator in `friendships_without_consent` (one row per pair) and
-- removed from `friendships`, so FRIENDS images go back to their owners alone until the two users
-- ask and accept again.
CREATE TABLE friendships_without_consent (
    user_a        TEXT COLLATE "C" NOT NULL,
    user_b        TEXT COLLATE "C" NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_a, user_b)
);
INSERT INTO friendships_without_consent (user_a, user_b, created_at_ms)
    SELECT LEAST(user_id, friend_id), GREATEST(user_id, friend_id), MIN(created_at_ms)
    FROM friendships GROUP BY 1, 2;
DELETE FROM friendships;
