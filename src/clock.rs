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
