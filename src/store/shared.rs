//! What the store keeps for every replica at once: the upload allowance, the reaper's claims and
//! the CloudFront invalidation outbox. In the database, not in a process, so three replicas
//! allow a user's limit once, reap an image once, and lose no invalidation when one dies.

/// The limits one upload ticket is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Most PENDING uploads a user may have.
    pub max_pending: u32,
    /// Upload tickets a user may take a minute (a token bucket that holds this many).
    pub per_minute: u32,
}

/// Whether an upload ticket was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The PENDING image was written.
    Admitted,
    /// The user has used their tickets for now; one comes back in this many seconds.
    RateLimited {
        /// Seconds until the next ticket, at least 1.
        retry_after_secs: u64,
    },
    /// The user already has this many PENDING uploads (at or over the cap).
    TooManyPending {
        /// PENDING uploads the user has.
        pending: u64,
    },
}

/// Seconds until a bucket holding `tokens_milli` thousandths of a token, refilled at
/// `per_minute` a minute, holds one whole token again.
pub(in crate::store) fn retry_after_secs(tokens_milli: i64, per_minute: u32) -> u64 {
    let missing = u64::try_from(1000 - tokens_milli).unwrap_or(0).max(1);
    let per_minute = u64::from(per_minute.max(1));
    // missing / (per_minute × 1000 / 60 000 ms) ms, in whole seconds, rounded up.
    (missing * 60).div_ceil(per_minute * 1000).max(1)
}

/// A reaper claim: the images handed to one pass, which no other pass takes before `until_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReapClaim {
    /// PENDING and FAILED images created before this are due.
    pub pending_before_ms: i64,
    /// Now.
    pub now_ms: i64,
    /// The claim lapses then (a pass that died is taken over after it).
    pub until_ms: i64,
    /// Most images claimed.
    pub limit: u32,
}

/// One claim of invalidation paths for a batch about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchClaim<'a> {
    /// The batch's reference: CloudFront's `CallerReference`, unique per batch.
    pub reference: &'a str,
    /// Most paths in the batch.
    pub max_paths: u32,
    /// Most paths in flight for the distribution, this batch included, across every replica.
    pub max_in_flight: u32,
    /// Now.
    pub now_ms: i64,
    /// A batch never confirmed as sent and created before this was left by a sender that died:
    /// its paths are claimable again.
    pub stale_before_ms: i64,
}

/// A batch CloudFront accepted and has not yet reported complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInProgress {
    /// Our reference.
    pub reference: String,
    /// CloudFront's invalidation id.
    pub cloudfront_id: String,
}

/// How much the outbox holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxBacklog {
    /// Paths waiting to be sent.
    pub waiting: u64,
    /// Paths in batches being sent or in progress at CloudFront.
    pub in_flight: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        // 3 a minute: a whole token every 20 s.
        assert_eq!(retry_after_secs(0, 3), 20);
        assert_eq!(retry_after_secs(999, 3), 1);
        assert_eq!(retry_after_secs(500, 3), 10);
        // 60 a minute: one a second, never less than 1.
        assert_eq!(retry_after_secs(0, 60), 1);
        assert_eq!(retry_after_secs(0, 1_000_000), 1);
        // One token a minute.
        assert_eq!(retry_after_secs(0, 1), 60);
    }
}
