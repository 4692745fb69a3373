//! Times: the wall clock the token service and the background jobs read, and how the API and
//! the hub's events write times.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Epoch seconds as RFC 3339 (empty when out of range).
pub fn rfc3339(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The wall clock, in Unix seconds: the system's time, which a test moves forward with
/// [`Clock::advance`] instead of sleeping until a token expires. Clones share one clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds added to the system's time (0 outside tests).
    ahead: Arc<AtomicI64>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Now, in seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.ahead.load(Ordering::Relaxed)
    }

    /// Moves this clock (and its clones) forward by whole seconds of `by`.
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.ahead.fetch_add(secs, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_is_ahead_of_the_system_in_every_clone() {
        let clock = Clock::system();
        let copy = clock.clone();
        let before = clock.now();
        copy.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + 3600);
        assert!(clock.now() < before + 3600 + 5);
    }
}
