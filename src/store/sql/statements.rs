//! Every statement text both backends run, in one place.
//!
//! Parameters are `$N`: PostgreSQL's spelling, which sqlx-sqlite also binds by number (it reads
//! each parameter's name). The SQLite reader binds by position, so the statements it runs
//! ([`READER`]) number their parameters in the order they first appear, which is how SQLite
//! numbers them; a unit test holds them to it. Column lists come from
//! [`image_columns!`] and [`user_columns!`], in the order the row decoder ([`super::rows`])
//! reads them.

/// Columns of `users`, in the order [`super::rows::user`] reads them.
macro_rules! user_columns {
    () => {
        "id, subject, username, created_at_ms, links_revised"
    };
}

/// Columns of `images`, in the order [`super::rows::image`] reads them.
macro_rules! image_columns {
    () => {
        "id, owner_id, key, visibility, status, content_type, size, sha256, created_at_ms, updated_at_ms, link_version"
    };
}
pub(in crate::store) use image_columns;

/// How many columns [`image_columns!`] names: a column after them (as in [`IMAGE_FOR_VIEWER`])
/// is at this index.
pub(in crate::store) const IMAGE_COLUMN_COUNT: usize = 11;

/// One page of `images_by_owner`, newest first: one index range scan. The visibility test is
/// spelled with `=` and `OR` over three slots (see [`super::visibility_slots`]): SQLite built and
/// dropped an ephemeral b-tree of the values for `IN (…)` on every call, and one spelling serves
/// both databases (on both, visibility is a filter on the index range, not part of its key).
macro_rules! page_select {
    ($filter:expr, $limit:expr) => {
        concat!(
            "SELECT ",
            image_columns!(),
            " FROM images WHERE owner_id = $1 AND status = $2",
            " AND (visibility = $3 OR visibility = $4 OR visibility = $5)",
            $filter,
            " ORDER BY created_at_ms DESC, id DESC LIMIT ",
            $limit
        )
    };
}

/// The first page of an owner's images.
pub(in crate::store) const PAGE: &str = page_select!("", "$6");

// A row value, not `created_at_ms < ? OR (created_at_ms = ? AND id < ?)`: both databases turn the
// row value into a range on the index (created_at_ms DESC, id DESC), so a deep page starts where
// the cursor is; the OR form was a filter over the owner's whole range on SQLite.
/// A later page: strictly after ($6, $7).
pub(in crate::store) const PAGE_AFTER: &str =
    page_select!(" AND (created_at_ms, id) < ($6, $7)", "$8");

/// One page of `images_by_owner` for a signed-in viewer ($1) who is not the owner ($2), and
/// whether they are friends, in one statement: the visibilities in slots $4–$6 when they are,
/// those in $7–$9 when not (both lists come from the access table; the statement only picks one).
/// The friendship test names no column of `images`, so both databases evaluate it once per
/// statement, one primary-key probe, not once per row.
macro_rules! page_for_viewer_select {
    ($filter:expr, $limit:expr) => {
        concat!(
            "SELECT ",
            image_columns!(),
            ", EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2)",
            " FROM images WHERE owner_id = $2 AND status = $3",
            " AND CASE WHEN EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2)",
            " THEN (visibility = $4 OR visibility = $5 OR visibility = $6)",
            " ELSE (visibility = $7 OR visibility = $8 OR visibility = $9) END",
            $filter,
            " ORDER BY created_at_ms DESC, id DESC LIMIT ",
            $limit
        )
    };
}

/// The first page of an owner's images, for a signed-in viewer.
pub(in crate::store) const PAGE_FOR_VIEWER: &str = page_for_viewer_select!("", "$10");

/// A later page for a signed-in viewer: strictly after ($10, $11).
pub(in crate::store) const PAGE_FOR_VIEWER_AFTER: &str =
    page_for_viewer_select!(" AND (created_at_ms, id) < ($10, $11)", "$12");

/// One image by id.
pub(in crate::store) const IMAGE_BY_ID: &str =
    concat!("SELECT ", image_columns!(), " FROM images WHERE id = $1");

/// Whether $1 is a friend of its owner, and one image by id ($2). The viewer is $1 because it
/// appears first: SQLite numbers parameters by first appearance, and the reader binds by
/// position. The friendship is a primary-key probe inside the same statement, so a hidden image
/// costs what a missing one does.
pub(in crate::store) const IMAGE_FOR_VIEWER: &str = concat!(
    "SELECT ",
    image_columns!(),
    ", EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = images.owner_id)",
    " FROM images WHERE id = $2"
);

/// One user by id.
pub(in crate::store) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

/// Whether $1 counts $2 as a friend (stored in both directions: one primary-key probe).
pub(in crate::store) const ARE_FRIENDS: &str =
    "SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2";

pub(in crate::store) const UPSERT_USER: &str = concat!(
    "INSERT INTO users (id, subject, username, created_at_ms) VALUES ($1, $2, $3, $4)",
    " ON CONFLICT (subject) DO UPDATE SET username = excluded.username",
    " RETURNING ",
    user_columns!()
);

pub(in crate::store) const INSERT_IMAGE: &str = concat!(
    "INSERT INTO images (",
    image_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);

/// A PENDING image, unless its owner ($2) has $10 PENDING ones already. Run in the transaction of
/// the upload ticket: on SQLite the write lock is taken before the count runs; on PostgreSQL the
/// owner's row lock is held, and this new statement counts what the previous holder committed
/// (READ COMMITTED).
pub(in crate::store) const INSERT_PENDING_IMAGE: &str = concat!(
    "INSERT INTO images (",
    image_columns!(),
    // A new image starts at its owner's link version, so an account floor written before it
    // existed never refuses its links.
    ") SELECT $1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9,",
    " COALESCE((SELECT links_revised FROM users WHERE id = $2), 0)",
    " WHERE (SELECT count(*) FROM images WHERE owner_id = $2 AND status = 'PENDING') < $10"
);

pub(in crate::store) const SET_VISIBILITY: &str = concat!(
    "UPDATE images SET visibility = $1, updated_at_ms = $2 WHERE id = $3 RETURNING ",
    image_columns!()
);

/// Compare-and-set: only from status $4.
pub(in crate::store) const SET_STATUS: &str = concat!(
    "UPDATE images SET status = $1, updated_at_ms = $2 WHERE id = $3 AND status = $4 RETURNING ",
    image_columns!()
);

pub(in crate::store) const COUNT_PENDING: &str =
    "SELECT COUNT(*) FROM images WHERE owner_id = $1 AND status = 'PENDING'";

// The upload allowance: a token bucket per user ($1) at $2 ms, holding at most $3 thousandths
// of a token and refilling $4 tokens a minute ($4 / 60 thousandths a millisecond). A clock that
// steps back refills nothing; more than a minute refills what a minute does (a full bucket, and no
// overflow however large $4 is). CASE, not LEAST/GREATEST or two-argument MIN/MAX: one spelling for
// both databases.
macro_rules! elapsed_ms {
    () => {
        concat!(
            "(CASE WHEN $2 - upload_allowance.at_ms > 60000 THEN 60000",
            " WHEN $2 > upload_allowance.at_ms THEN $2 - upload_allowance.at_ms ELSE 0 END)"
        )
    };
}
macro_rules! refilled {
    () => {
        concat!(
            "(CASE WHEN upload_allowance.tokens_milli + ",
            elapsed_ms!(),
            " * $4 / 60 > $3 THEN $3 ELSE upload_allowance.tokens_milli + ",
            elapsed_ms!(),
            " * $4 / 60 END)"
        )
    };
}

/// Takes one upload token for $1 if it has one: returns the tokens left (thousandths) and
/// whether one was taken. The row lock this upsert takes orders one user's concurrent uploads on
/// PostgreSQL until the transaction commits.
pub(in crate::store) const TAKE_UPLOAD_TOKEN: &str = concat!(
    "INSERT INTO upload_allowance (user_id, tokens_milli, at_ms, admitted)",
    " VALUES ($1, $3 - 1000, $2, 1)",
    " ON CONFLICT (user_id) DO UPDATE SET",
    " tokens_milli = CASE WHEN ",
    refilled!(),
    " >= 1000 THEN ",
    refilled!(),
    " - 1000 ELSE ",
    refilled!(),
    " END,",
    " admitted = CASE WHEN ",
    refilled!(),
    " >= 1000 THEN 1 ELSE 0 END,",
    " at_ms = CASE WHEN $2 > upload_allowance.at_ms THEN $2 ELSE upload_allowance.at_ms END",
    " RETURNING tokens_milli, admitted"
);

/// The images the reaper should finish (every DELETED one; PENDING and FAILED ones created
/// before $1) that nobody has claimed at $2, claimed until $3, at most $4, oldest first. `$lock`
/// is PostgreSQL's `FOR UPDATE SKIP LOCKED` (two replicas' passes claim different rows without
/// waiting for each other) or nothing on SQLite, whose one writer already serialises the claim.
macro_rules! claim_reapable {
    ($lock:expr) => {
        concat!(
            "UPDATE images SET claimed_until_ms = $3 WHERE id IN (SELECT id FROM images",
            " WHERE claimed_until_ms < $2 AND (status = 'DELETED'",
            " OR (status IN ('PENDING', 'FAILED') AND created_at_ms < $1))",
            " ORDER BY created_at_ms LIMIT $4",
            $lock,
            ") RETURNING ",
            image_columns!()
        )
    };
}
pub(in crate::store) const CLAIM_REAPABLE_POSTGRES: &str =
    claim_reapable!(" FOR UPDATE SKIP LOCKED");
pub(in crate::store) const CLAIM_REAPABLE_SQLITE: &str = claim_reapable!("");

pub(in crate::store) const REMOVE_IMAGE: &str = concat!(
    "DELETE FROM images WHERE id = $1 RETURNING ",
    image_columns!()
);

/// One image, locked for a change (a write that changes nothing, so SQLite takes its write lock
/// before anything is read).
pub(in crate::store) const TOUCH_IMAGE: &str = concat!(
    "UPDATE images SET link_version = link_version WHERE id = $1 RETURNING ",
    image_columns!()
);

// The CloudFront invalidation outbox.

/// Queues path $1 at $2. A path already waiting stays as it is (its backoff too); one claimed
/// into a batch being sent is taken back out and waits again, since the change that queued it
/// again may have come after the batch was read.
pub(in crate::store) const QUEUE_INVALIDATION: &str =
    "INSERT INTO invalidation_paths (path, queued_at_ms, attempts, next_attempt_ms, batch)
     VALUES ($1, $2, 0, $2, NULL)
     ON CONFLICT (path) DO UPDATE SET
       next_attempt_ms = CASE WHEN invalidation_paths.batch IS NULL
         THEN invalidation_paths.next_attempt_ms ELSE excluded.next_attempt_ms END,
       batch = NULL";

/// Batches never confirmed as sent, created before $1 (their sender died): their paths wait again.
pub(in crate::store) const RELEASE_STALE_PATHS: &str = "UPDATE invalidation_paths SET batch = NULL
     WHERE batch IN (SELECT reference FROM invalidation_batches
                     WHERE cloudfront_id IS NULL AND created_at_ms < $1)";
pub(in crate::store) const DROP_STALE_BATCHES: &str =
    "DELETE FROM invalidation_batches WHERE cloudfront_id IS NULL AND created_at_ms < $1";

/// Paths in batches being sent or in progress: the in-flight budget used. (The CAST: PostgreSQL's
/// SUM of BIGINT is NUMERIC.)
pub(in crate::store) const PATHS_IN_FLIGHT: &str =
    "SELECT CAST(COALESCE(SUM(paths), 0) AS BIGINT) FROM invalidation_batches";

/// Claims up to $3 paths due at $2 into batch $1, oldest first.
pub(in crate::store) const CLAIM_PATHS: &str = "UPDATE invalidation_paths SET batch = $1
     WHERE path IN (SELECT path FROM invalidation_paths
                    WHERE batch IS NULL AND next_attempt_ms <= $2
                    ORDER BY queued_at_ms, path LIMIT $3)
     RETURNING path";

pub(in crate::store) const INSERT_BATCH: &str =
    "INSERT INTO invalidation_batches (reference, paths, created_at_ms, cloudfront_id)
     VALUES ($1, $2, $3, NULL)";

/// Batch $1 was accepted by CloudFront as invalidation $2.
pub(in crate::store) const BATCH_SENT: &str =
    "UPDATE invalidation_batches SET cloudfront_id = $2 WHERE reference = $1";
pub(in crate::store) const DELETE_BATCH_PATHS: &str =
    "DELETE FROM invalidation_paths WHERE batch = $1";

/// Batch $1 failed at $2: its paths wait again, each for $3 ms × the square of its attempts so
/// far (at most 100 × $3), so a path CloudFront keeps refusing is tried less and less often.
pub(in crate::store) const BATCH_FAILED: &str = "UPDATE invalidation_paths SET batch = NULL,
       attempts = attempts + 1,
       next_attempt_ms = $2 + $3 * CASE WHEN attempts >= 9 THEN 100
                                        ELSE (attempts + 1) * (attempts + 1) END
     WHERE batch = $1";
pub(in crate::store) const DELETE_BATCH: &str =
    "DELETE FROM invalidation_batches WHERE reference = $1";

/// Batches CloudFront has accepted and not yet reported complete, oldest first.
pub(in crate::store) const BATCHES_IN_PROGRESS: &str =
    "SELECT reference, cloudfront_id FROM invalidation_batches
     WHERE cloudfront_id IS NOT NULL ORDER BY created_at_ms, reference LIMIT $1";

/// Paths waiting (not in a batch).
pub(in crate::store) const PATHS_WAITING: &str =
    "SELECT count(*) FROM invalidation_paths WHERE batch IS NULL";

// Friendships.

pub(in crate::store) const REQUEST_EXISTS: &str =
    "SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2";

pub(in crate::store) const TAKE_REQUEST: &str =
    "DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2";

/// A request from $1 to $2, unless $1 has $4 unanswered ones already.
pub(in crate::store) const INSERT_REQUEST: &str =
    "INSERT INTO friend_requests (from_id, to_id, created_at_ms)
     SELECT $1, $2, $3 WHERE (SELECT count(*) FROM friend_requests WHERE from_id = $1) < $4";

pub(in crate::store) const REMOVE_REQUESTS_BETWEEN: &str = "DELETE FROM friend_requests
     WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)";

pub(in crate::store) const REMOVE_FRIENDSHIP: &str = "DELETE FROM friendships
     WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)";

/// Both directions, so "is b a friend of a" is one primary-key lookup.
pub(in crate::store) const INSERT_FRIENDSHIP: &str =
    "INSERT INTO friendships (user_id, friend_id, created_at_ms)
     VALUES ($1, $2, $3), ($2, $1, $3) ON CONFLICT DO NOTHING";

pub(in crate::store) const FRIEND_REQUESTS: &str =
    "SELECT from_id, to_id, created_at_ms FROM friend_requests
     WHERE from_id = $1 OR to_id = $1
     ORDER BY created_at_ms DESC, from_id, to_id LIMIT $2";

// Revocation (see migrations/*/0007_revocation_audit.sql).

/// Raises user $1's `links_revised` to the next revocation's floor and returns it: the
/// revocation's time in epoch seconds ($2), or one above the last floor when that is not lower
/// (two revocations in one second, or a clock behind another replica's), so every floor is above
/// every version the user's links carried before it. The row lock orders one user's revocations.
pub(in crate::store) const BUMP_LINKS_REVISED: &str = "UPDATE users SET links_revised =
     CASE WHEN $2 > links_revised THEN $2 ELSE links_revised + 1 END
     WHERE id = $1 RETURNING links_revised";

/// One image's links carry version $1 from now on.
pub(in crate::store) const SET_LINK_VERSION: &str = concat!(
    "UPDATE images SET link_version = $1 WHERE id = $2 RETURNING ",
    image_columns!()
);

/// Every image of owner $2 carries version $1 from now on (a whole-account revocation).
pub(in crate::store) const SET_OWNER_LINK_VERSION: &str =
    "UPDATE images SET link_version = $1 WHERE owner_id = $2";

/// How many READY FRIENDS images owner $1 has (what a friendship's end revokes).
pub(in crate::store) const COUNT_FRIENDS_IMAGES: &str = "SELECT COUNT(*) FROM images
     WHERE owner_id = $1 AND status = 'READY' AND visibility = 'FRIENDS'";

/// Owner $2's READY FRIENDS images carry version $1 from now on.
pub(in crate::store) const SET_FRIENDS_LINK_VERSION: &str = "UPDATE images SET link_version = $1
     WHERE owner_id = $2 AND status = 'READY' AND visibility = 'FRIENDS'";

/// What an upsert of a floor does to an existing entry: the new floor (always higher), the
/// later expiry, and a fresh claim so the outbox sends it at once.
macro_rules! on_floor_conflict {
    () => {
        " ON CONFLICT (prefix) DO UPDATE SET floor = excluded.floor,
         revoked_at_ms = excluded.revoked_at_ms,
         expires_at_ms = CASE WHEN excluded.expires_at_ms > link_revocations.expires_at_ms
           THEN excluded.expires_at_ms ELSE link_revocations.expires_at_ms END"
    };
}

/// Floor $2 for prefix $1, revoked at $3, enforced until $4.
pub(in crate::store) const UPSERT_REVOCATION: &str = concat!(
    "INSERT INTO link_revocations (prefix, floor, revoked_at_ms, expires_at_ms)
     VALUES ($1, $2, $3, $4)",
    on_floor_conflict!()
);

/// Floor $1 for each READY FRIENDS image of owner $2, revoked at $3, enforced until $4.
pub(in crate::store) const UPSERT_FRIENDS_REVOCATIONS: &str = concat!(
    "INSERT INTO link_revocations (prefix, floor, revoked_at_ms, expires_at_ms)
     SELECT owner_id || '/' || id || '/', $1, $3, $4 FROM images
     WHERE owner_id = $2 AND status = 'READY' AND visibility = 'FRIENDS'",
    on_floor_conflict!()
);

/// The floors for the two prefixes of one object ($1 the owner's, $2 the image's).
pub(in crate::store) const REVOCATION_FLOORS: &str =
    "SELECT prefix, floor, revoked_at_ms, expires_at_ms FROM link_revocations
     WHERE prefix = $1 OR prefix = $2";

/// The entries the edge store must hear about at $1 (a floor it does not hold yet, or an expired
/// entry it holds) that no other sender claimed, claimed until $2, at most $3.
pub(in crate::store) const CLAIM_EDGE_DUE: &str = "UPDATE link_revocations SET claimed_until_ms = $2
     WHERE prefix IN (SELECT prefix FROM link_revocations
       WHERE claimed_until_ms < $1
         AND ((expires_at_ms > $1 AND edge_floor <> floor) OR (expires_at_ms <= $1 AND edge_floor >= 0))
       ORDER BY revoked_at_ms LIMIT $3)
     RETURNING prefix, floor, CAST(CASE WHEN expires_at_ms <= $1 THEN 1 ELSE 0 END AS BIGINT)";

/// The edge store holds floor $2 for prefix $1 (unless a newer floor came meanwhile), and the
/// sender's claim ends. A floor raised while a sender held the entry keeps that claim (the upsert
/// leaves it), so no two senders write one key at once, and one that sent an older floor last
/// cannot leave it at the edge while the table says the newer one is there.
pub(in crate::store) const EDGE_SYNCED: &str = "UPDATE link_revocations
     SET edge_floor = CASE WHEN floor = $2 THEN $2 ELSE edge_floor END, claimed_until_ms = 0
     WHERE prefix = $1";

/// The edge store no longer holds prefix $1: so recorded, claim ended (a floor renewed
/// meanwhile is then due again) ...
pub(in crate::store) const EDGE_GONE: &str =
    "UPDATE link_revocations SET edge_floor = -1, claimed_until_ms = 0 WHERE prefix = $1";

/// ... and the entry goes if it is still expired at $2.
pub(in crate::store) const EDGE_REMOVED: &str =
    "DELETE FROM link_revocations WHERE prefix = $1 AND expires_at_ms <= $2";

/// Expired entries no edge store holds: nothing is left to take back.
pub(in crate::store) const PRUNE_REVOCATIONS: &str =
    "DELETE FROM link_revocations WHERE expires_at_ms <= $1 AND edge_floor < 0";

// The audit trail.

/// Columns of `audit_events`, in the order [`super::rows::audit_event`] reads them.
macro_rules! audit_columns {
    () => {
        "id, at_ms, actor, action, owner_id, other_id, image_id, before, after, request_id, client_addr"
    };
}

pub(in crate::store) const INSERT_AUDIT_EVENT: &str = "INSERT INTO audit_events
     (at_ms, actor, action, owner_id, other_id, image_id, before, after, request_id, client_addr)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Events user $1 may see (their images, a friendship on either side), at or after $2, older
/// than id $3, newest first, at most $4. Empty $1 means every user's (the operator's view).
pub(in crate::store) const AUDIT_EVENTS: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_events WHERE ($1 = '' OR owner_id = $1 OR other_id = $1)",
    " AND at_ms >= $2 AND id < $3 ORDER BY id DESC LIMIT $4"
);

/// Events older than $1 (the retention).
pub(in crate::store) const PRUNE_AUDIT: &str = "DELETE FROM audit_events WHERE at_ms < $1";

/// The statements the SQLite reader runs, bound by position.
#[cfg(test)]
pub(in crate::store) const READER: &[&str] = &[
    PAGE,
    PAGE_AFTER,
    PAGE_FOR_VIEWER,
    PAGE_FOR_VIEWER_AFTER,
    IMAGE_BY_ID,
    IMAGE_FOR_VIEWER,
    USER_BY_ID,
    ARE_FRIENDS,
];

/// Every statement above, for the test that prepares each on SQLite.
#[cfg(test)]
pub(in crate::store) const ALL: &[&str] = &[
    PAGE,
    PAGE_AFTER,
    PAGE_FOR_VIEWER,
    PAGE_FOR_VIEWER_AFTER,
    IMAGE_BY_ID,
    IMAGE_FOR_VIEWER,
    USER_BY_ID,
    ARE_FRIENDS,
    UPSERT_USER,
    INSERT_IMAGE,
    INSERT_PENDING_IMAGE,
    SET_VISIBILITY,
    SET_STATUS,
    COUNT_PENDING,
    TAKE_UPLOAD_TOKEN,
    CLAIM_REAPABLE_SQLITE,
    REMOVE_IMAGE,
    TOUCH_IMAGE,
    QUEUE_INVALIDATION,
    RELEASE_STALE_PATHS,
    DROP_STALE_BATCHES,
    PATHS_IN_FLIGHT,
    CLAIM_PATHS,
    INSERT_BATCH,
    BATCH_SENT,
    DELETE_BATCH_PATHS,
    BATCH_FAILED,
    DELETE_BATCH,
    BATCHES_IN_PROGRESS,
    PATHS_WAITING,
    REQUEST_EXISTS,
    TAKE_REQUEST,
    INSERT_REQUEST,
    REMOVE_REQUESTS_BETWEEN,
    REMOVE_FRIENDSHIP,
    INSERT_FRIENDSHIP,
    FRIEND_REQUESTS,
    BUMP_LINKS_REVISED,
    SET_LINK_VERSION,
    SET_OWNER_LINK_VERSION,
    COUNT_FRIENDS_IMAGES,
    SET_FRIENDS_LINK_VERSION,
    UPSERT_REVOCATION,
    UPSERT_FRIENDS_REVOCATIONS,
    REVOCATION_FLOORS,
    CLAIM_EDGE_DUE,
    EDGE_SYNCED,
    EDGE_GONE,
    EDGE_REMOVED,
    PRUNE_REVOCATIONS,
    INSERT_AUDIT_EVENT,
    AUDIT_EVENTS,
    PRUNE_AUDIT,
];
