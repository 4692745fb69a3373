//! The simulator's clock: wall time plus an offset that tests can advance.

use std::time::Duration;

use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

const ISO_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
const JIRA: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000");
const RATE_LIMIT_RESET: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]Z");

/// Wall clock shifted by `offset`.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Clock {
    offset: Duration,
}

impl Clock {
    /// The simulated "now" (UTC).
    pub(crate) fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }

    /// Moves simulated time forward.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset += by;
    }
}

/// `2025-01-06T09:00:00.000Z` (Notion, Atlassian identity).
pub(crate) fn iso(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(ISO_MILLIS).unwrap_or_default()
}

/// `2025-01-06T09:00:00.000+0000` (Jira).
pub(crate) fn jira(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(JIRA).unwrap_or_default()
}

/// `2025-01-06T09:00Z` (Jira's `X-RateLimit-Reset`).
pub(crate) fn rate_limit_reset(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(RATE_LIMIT_RESET).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_match_each_provider() {
        let t = datetime!(2025-01-06 09:05:07.123 UTC);
        assert_eq!(iso(t), "2025-01-06T09:05:07.123Z");
        assert_eq!(jira(t), "2025-01-06T09:05:07.123+0000");
        assert_eq!(rate_limit_reset(t), "2025-01-06T09:05Z");
    }

    #[test]
    fn advancing_moves_now_forward() {
        let mut c = Clock::default();
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() - before >= time::Duration::seconds(3600));
    }
}
