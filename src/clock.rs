//! Where `now` comes from. The signing core takes `now` as an argument; everything above it asks
//! a `Clock`, so tests can hold time still or move it.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::cloudfront::Epoch;

/// Where `now` comes from; tests substitute a clock they control.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Epoch;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Epoch {
        Epoch(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }
}
/// RFC 3339 in UTC with milliseconds, from epoch milliseconds: `2026-01-01T18:00:00.123Z`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm): no date crate needed for one format.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// RFC 3339 in UTC to the second, from epoch seconds: `2026-12-03T19:58:00Z`.
pub fn rfc3339_seconds(secs: i64) -> String {
    let mut text = rfc3339(secs.saturating_mul(1000));
    // `.000Z` → `Z`: whole seconds have no fraction to show.
    text.replace_range(text.len() - 5.., "Z");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_767_290_400_123), "2026-01-01T18:00:00.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_seconds(1_796_327_880), "2026-12-03T19:58:00Z");
    }
}
