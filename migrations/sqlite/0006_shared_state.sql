-- State the replicas share (issue 13): each user's upload allowance, the reaper's claims, and the
-- CloudFront invalidation outbox. The same tables as on PostgreSQL, so both run one code path.

-- A token bucket per user, in thousandths of a token so the refill is integer arithmetic alike
-- on both backends. `admitted` is whether the last take succeeded (the upsert returns it).
CREATE TABLE upload_allowance (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id),
    tokens_milli INTEGER NOT NULL,
    at_ms        INTEGER NOT NULL,
    admitted     INTEGER NOT NULL
) STRICT;

-- A reaper pass claims the images it will finish until this time; another process skips them,
-- and takes them over once the claim has lapsed (the claimer died).
ALTER TABLE images ADD COLUMN claimed_until_ms INTEGER NOT NULL DEFAULT 0;

-- Paths waiting for an invalidation, or claimed into a batch being sent (`batch`).
CREATE TABLE invalidation_paths (
    path            TEXT    NOT NULL PRIMARY KEY,
    queued_at_ms    INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    batch           TEXT
) STRICT;
CREATE INDEX invalidation_paths_due ON invalidation_paths (next_attempt_ms) WHERE batch IS NULL;
CREATE INDEX invalidation_paths_by_batch ON invalidation_paths (batch) WHERE batch IS NOT NULL;

-- Batches being sent (`cloudfront_id` NULL) or in progress at CloudFront: the sum of `paths` is
-- the distribution's in-flight budget.
CREATE TABLE invalidation_batches (
    reference     TEXT    NOT NULL PRIMARY KEY,
    paths         INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    cloudfront_id TEXT
) STRICT;
