//! Moments in time, in the one form the app stores, compares and sends them.

use serde::Serialize;
use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

/// A moment: RFC 3339 in UTC with microseconds and a fixed width
/// (`2026-12-06T23:57:01.123456Z`), so that text order is time order on SQLite, on
/// PostgreSQL and in JSON alike. Made from a clock reading or from what the database holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp::at(OffsetDateTime::now_utc())
    }

    pub fn at(t: OffsetDateTime) -> Timestamp {
        let t = t.to_offset(UtcOffset::UTC);
        Timestamp(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        ))
    }

    /// Reads any RFC 3339 time into the stored form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Timestamp> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .map(Timestamp::at)
    }

    /// Wraps a value the database holds (written by [`Timestamp::at`]) without re-reading it.
    pub fn from_stored(text: String) -> Timestamp {
        Timestamp(text)
    }

    pub fn to_datetime(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.0, &Rfc3339).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_one_fixed_width_form_and_sort_like_time() {
        let a = Timestamp::at(OffsetDateTime::from_unix_timestamp(0).unwrap());
        let b = Timestamp::at(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
        assert_eq!(a.as_str(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(a.as_str().len(), b.as_str().len());
        assert!(a < b);
        assert!(a.as_str() < b.as_str(), "text order is time order");
        assert_eq!(b.to_datetime().unwrap().unix_timestamp(), 1_800_000_000);
    }

    #[test]
    fn any_rfc_3339_time_reads_into_the_one_form() {
        let t = Timestamp::parse("2026-12-07T01:00:00+01:00").unwrap();
        assert_eq!(t.as_str(), "2026-12-07T00:00:00.000000Z");
        assert_eq!(Timestamp::parse("yesterday"), None);
    }
}
