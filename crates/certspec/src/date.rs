//! Calendar arithmetic, once: certificate validity printed by `--dry-run` and the timestamp in the
//! `elasticsearch.yml` block both use it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`). Total for every `i64` day count a `SystemTime` can produce.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both values are small and positive by construction (1..=31, 1..=12).
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(epoch_seconds: i64) -> ((i64, u32, u32), i64) {
    (
        civil_from_days(epoch_seconds.div_euclid(86_400)),
        epoch_seconds.rem_euclid(86_400),
    )
}

/// Epoch seconds as `dd-MM-yyyy HH:mm:ss` in UTC: the pattern of the timestamp Elasticsearch
/// writes into the auto-configuration block (spec §4.2).
pub fn es_timestamp(epoch_seconds: i64) -> String {
    let ((y, m, d), secs) = split(epoch_seconds);
    format!(
        "{d:02}-{m:02}-{y:04} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A time printed as `YYYY-MM-DD HH:MM:SS UTC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc(pub SystemTime);

impl Utc {
    /// Seconds since the epoch (negative before 1970).
    pub fn epoch_seconds(self) -> i64 {
        match self.0.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }

    /// RFC 3339 with a `Z` suffix (`2025-11-13T22:13:20Z`), the form JSON documents use.
    pub fn rfc3339(self) -> String {
        let ((y, m, d), secs) = split(self.epoch_seconds());
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ((y, m, d), secs) = split(self.epoch_seconds());
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(29_220), (2050, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn timestamps() {
        assert_eq!(es_timestamp(1_700_000_000), "14-11-2023 22:13:20");
        assert_eq!(es_timestamp(0), "01-01-1970 00:00:00");
        let t = Utc(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert_eq!(t.to_string(), "2023-11-14 22:13:20 UTC");
        assert_eq!(t.rfc3339(), "2023-11-14T22:13:20Z");
    }
}
