//! The time a service reads, as a value it is given: [`SystemClock`] in production, a
//! [`ManualClock`] in tests, which move time forward with [`ManualClock::advance`] instead of
//! sleeping (cache expiry, reload intervals).
//!
//! Monotonic time only ([`Instant`]): validity windows take their wall-clock "now" from the
//! caller already ([`crate::verify::Verifier::new`]). Nothing here reads the clock on
//! `wasm32-unknown-unknown` unless a [`SystemClock`] is asked, which a browser build never is.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A source of monotonic time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
}

/// The process's monotonic clock ([`Instant::now`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until told to move; clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Instant>>,
}

impl ManualClock {
    /// A clock standing at the moment it was made.
    pub fn new() -> Self {
        Self {
            now: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.now.lock().map_or_else(|e| *e.into_inner(), |now| *now)
    }
}

/// The [`SystemClock`] as a shared clock, the default of every service.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::new();
        let copy = clock.clone();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        copy.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - start, Duration::from_secs(90));
    }
}
