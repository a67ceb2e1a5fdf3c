//! Time as policies carry it.

use std::fmt;

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(pub u64);

impl Epoch {
    /// The latest expiry we sign. CloudFront documents no maximum; this is the largest value every
    /// 32-bit `time_t` consumer along the way (players, proxies, older SDKs) can still represent.
    pub const MAX: Epoch = Epoch(i32::MAX as u64);

    /// The number of seconds.
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// Epoch milliseconds at the start of this second, as the store keeps times (saturating,
    /// for a clock no store would ever see).
    pub fn millis(self) -> i64 {
        i64::try_from(self.0)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000)
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
