//! Timestamps are UTC and stored as fixed-width RFC 3339 text, which sorts as time does.

use chrono::{DateTime, SecondsFormat, Utc};

pub type Timestamp = DateTime<Utc>;

/// `2026-11-24T15:04:05.123456Z`: fixed width, so text order is time order.
pub fn format_timestamp(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(raw).ok().map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_and_round_trip() {
        let at = parse_timestamp("2026-01-02T03:04:05Z").unwrap();
        let text = format_timestamp(at);
        assert_eq!(text, "2026-01-02T03:04:05.000000Z");
        assert_eq!(parse_timestamp(&text), Some(at));
    }
}
