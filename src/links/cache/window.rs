//! The expiry arithmetic on its own: which window `now` falls in, and the expiry it gives.

use crate::cloudfront::Epoch;

/// The bucketing of expiries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    window: u64,
    ttl: u64,
}

impl ExpiryWindow {
    /// A window of `window` seconds and a TTL of `ttl` seconds after it; both at least 1.
    pub fn new(window: u64, ttl: u64) -> Option<ExpiryWindow> {
        (window > 0 && ttl > 0).then_some(ExpiryWindow { window, ttl })
    }

    /// The end of the window `now` falls in (exclusive).
    pub fn window_end(self, now: Epoch) -> Epoch {
        Epoch((now.0 / self.window + 1) * self.window)
    }

    /// The expiry of every link made at `now`: the window's end plus the TTL. A link is valid for
    /// at least `ttl` and at most `window + ttl` seconds.
    pub fn expires_at(self, now: Epoch) -> Epoch {
        Epoch(self.window_end(now).0 + self.ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_bucketed() {
        let w = ExpiryWindow::new(300, 3600).unwrap();
        assert_eq!(w.expires_at(Epoch(0)), Epoch(3900));
        assert_eq!(w.expires_at(Epoch(299)), Epoch(3900));
        assert_eq!(w.expires_at(Epoch(300)), Epoch(4200));
        assert_eq!(w.window_end(Epoch(1_700_000_123)), Epoch(1_700_000_400));
        for now in 1_700_000_000..1_700_000_700 {
            let left = w.expires_at(Epoch(now)).0 - now;
            assert!((3601..=3900).contains(&left), "{now}: {left}");
        }
        assert!(ExpiryWindow::new(0, 1).is_none());
    }
}
