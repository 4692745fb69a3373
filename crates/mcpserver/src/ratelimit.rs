//! Token buckets keyed by a string (a user id inbound, a connection outbound), plus a
//! registry of "blocked until" times learned from providers (`Retry-After`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest wait any limit or provider answer can impose (a `Retry-After` or reset
/// further out is read as this): keeps `Instant + wait` from overflowing.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(3600);

/// `wait`, at most [`MAX_WAIT`].
pub(crate) fn capped(wait: Duration) -> Duration {
    wait.min(MAX_WAIT)
}

/// Buckets of `burst` tokens refilled at `per_second`.
pub struct KeyedBuckets {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl KeyedBuckets {
    pub fn new(per_second: f64, burst: u32) -> Self {
        Self {
            per_second: per_second.max(0.001),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token now if one is there; otherwise says how long until one is.
    pub fn try_take(&self, key: &str) -> Result<(), Duration> {
        self.take(key, Duration::ZERO).map(|_| ())
    }

    /// Takes a token, booking a future one if none is left and it comes within `max_wait`:
    /// `Ok` with how long the caller must wait before going ahead (zero when a token was
    /// there), or `Err` with the wait when it is longer than `max_wait`. A refused call
    /// books nothing, so a burst of refused calls does not push later callers back.
    pub fn reserve(&self, key: &str, max_wait: Duration) -> Result<Duration, Duration> {
        self.take(key, max_wait)
    }

    fn take(&self, key: &str, max_wait: Duration) -> Result<Duration, Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 50_000 {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + at.elapsed().as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            return Ok(Duration::ZERO);
        }
        let wait =
            capped(Duration::try_from_secs_f64((1.0 - refilled) / self.per_second).unwrap_or(MAX_WAIT));
        if !max_wait.is_zero() && wait <= max_wait {
            *tokens = refilled - 1.0;
            Ok(wait)
        } else {
            *tokens = refilled;
            Err(wait)
        }
    }
}

/// Times until which a key (an endpoint, a site) must not be called.
#[derive(Default)]
pub(crate) struct Backoffs {
    until: Mutex<HashMap<String, Instant>>,
}

impl Backoffs {
    /// Blocks `key` for `wait` (at most [`MAX_WAIT`]).
    pub(crate) fn block(&self, key: &str, wait: Duration) {
        let wait = capped(wait);
        let mut until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        until.retain(|_, t| *t > now);
        let entry = until.entry(key.to_string()).or_insert(now);
        *entry = (*entry).max(now + wait);
    }

    /// How long `key` stays blocked (zero when free).
    pub(crate) fn remaining(&self, key: &str) -> Duration {
        let until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        until.get(key).map_or(Duration::ZERO, |t| t.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies_per_key() {
        let buckets = KeyedBuckets::new(1.0, 3);
        for _ in 0..3 {
            assert!(buckets.try_take("a").is_ok());
        }
        let wait = buckets.try_take("a").unwrap_err();
        assert!(wait > Duration::from_millis(500) && wait <= Duration::from_secs(1));
        assert!(buckets.try_take("b").is_ok(), "another key has its own bucket");
    }

    #[test]
    fn reservations_queue_up_evenly() {
        let buckets = KeyedBuckets::new(2.0, 1);
        let max = Duration::from_secs(10);
        assert_eq!(buckets.reserve("k", max), Ok(Duration::ZERO));
        let first = buckets.reserve("k", max).unwrap();
        let second = buckets.reserve("k", max).unwrap();
        assert!(first > Duration::from_millis(200) && first <= Duration::from_millis(500));
        assert!(second > first && second <= Duration::from_secs(1));
    }

    #[test]
    fn refused_reservations_book_nothing() {
        // 12 calls at once at 1/s with a burst of 2 and a 0.5 s wait limit: 2 go, 10 are
        // refused; the next caller waits for the next token (≤ 1 s), not behind ten bookings.
        let buckets = KeyedBuckets::new(1.0, 2);
        let max = Duration::from_millis(500);
        let answers: Vec<_> = (0..12).map(|_| buckets.reserve("k", max)).collect();
        assert_eq!(answers.iter().filter(|a| **a == Ok(Duration::ZERO)).count(), 2);
        assert_eq!(answers.iter().filter(|a| a.is_err()).count(), 10);
        let next = buckets.reserve("k", Duration::from_secs(60)).unwrap();
        assert!(next <= Duration::from_secs(1), "pushed back by refused calls: {next:?}");
    }

    #[test]
    fn a_backoff_blocks_only_its_key_until_it_ends() {
        let backoffs = Backoffs::default();
        backoffs.block("jira:site:GET /issue", Duration::from_secs(5));
        assert!(backoffs.remaining("jira:site:GET /issue") > Duration::from_secs(4));
        assert_eq!(backoffs.remaining("jira:site:GET /search"), Duration::ZERO);
        backoffs.block("x", Duration::ZERO);
        assert_eq!(backoffs.remaining("x"), Duration::ZERO);
    }

    #[test]
    fn a_huge_retry_after_is_capped_instead_of_overflowing() {
        let backoffs = Backoffs::default();
        // `Retry-After: 18446744073709551615` parses to this many seconds.
        backoffs.block("k", Duration::from_secs(u64::MAX));
        let left = backoffs.remaining("k");
        assert!(left > MAX_WAIT - Duration::from_secs(5) && left <= MAX_WAIT, "{left:?}");
        backoffs.block("k", Duration::MAX);
        assert!(backoffs.remaining("k") <= MAX_WAIT);
        assert_eq!(capped(Duration::from_secs(7)), Duration::from_secs(7));
    }
}
