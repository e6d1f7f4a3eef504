//! The zone of wall-clock times that carry no offset: a portal CSV export's
//! `TimeGenerated [Local Time]` column, and KQL's `datetime_utc_to_local`/`datetime_local_to_utc`.
//!
//! A fixed offset is right only when no daylight-saving change falls inside the drop or between
//! the export and the analysis: an export of October read with the offset of the day it is
//! analysed, or one spanning the last Sunday of October, is an hour off for some of its events.
//! An IANA zone (`Europe/Berlin`) gives every time the offset in force at that time. The tz
//! database is compiled in (`chrono-tz`); nothing here reads a clock or the system's zone.

use crate::time::{MICROS_PER_DAY, MICROS_PER_MIN};
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Fixed offsets are accepted up to this many minutes either side of UTC (UTC−12 … UTC+14 are
/// the real ones).
pub const MAX_OFFSET_MINUTES: i32 = 14 * 60;

/// Where local times are read: a fixed offset from UTC, or an IANA zone with its
/// daylight-saving rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalZone {
    /// Minutes east of UTC (120 for UTC+02:00).
    Fixed(i32),
    /// An IANA zone of the tz database.
    Named(Tz),
}

impl Default for LocalZone {
    fn default() -> Self {
        LocalZone::UTC
    }
}

/// How a local time mapped to an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fold {
    /// One instant has this wall-clock time.
    #[default]
    Unique,
    /// The clock went back over this time (daylight saving ended): two instants have it; the
    /// earlier one was taken.
    Repeated,
    /// The clock jumped over this time (daylight saving began): no instant has it; it was read
    /// with the offset in force before the jump, as the clock that wrote it was.
    Skipped,
}

impl LocalZone {
    pub const UTC: LocalZone = LocalZone::Fixed(0);

    /// A fixed offset, clamped to ±[`MAX_OFFSET_MINUTES`].
    pub fn fixed(minutes: i32) -> LocalZone {
        LocalZone::Fixed(minutes.clamp(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES))
    }

    /// `Europe/Berlin` (any case), `UTC`, `Z`, `+02:00`, `-0530`, `+2`, `UTC+02:00`, `GMT-3`.
    pub fn parse(s: &str) -> Result<LocalZone, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("no zone given".into());
        }
        if let Some(m) = fixed_offset(t) {
            return if m.abs() <= MAX_OFFSET_MINUTES {
                Ok(LocalZone::Fixed(m))
            } else {
                Err(format!("offset {t} is beyond UTC±14:00"))
            };
        }
        Tz::from_str_insensitive(t).map(LocalZone::Named).map_err(|_| {
            format!(
                "unknown zone {:?}: give an IANA zone such as Europe/Berlin or an offset such as +02:00",
                crate::ingest::normalize::clip(t)
            )
        })
    }

    /// `Europe/Berlin`, `UTC`, `UTC+02:00`, `UTC-05:30`.
    pub fn name(&self) -> String {
        match self {
            LocalZone::Named(tz) => tz.name().to_string(),
            LocalZone::Fixed(0) => "UTC".into(),
            LocalZone::Fixed(m) => format!("UTC{}", offset_text(*m)),
        }
    }

    /// Whether every time has the same offset (a fixed offset).
    pub fn is_fixed(&self) -> bool {
        matches!(self, LocalZone::Fixed(_))
    }

    /// Minutes east of UTC in force at the instant `utc_micros`.
    pub fn offset_at(&self, utc_micros: i64) -> i32 {
        match self {
            LocalZone::Fixed(m) => *m,
            LocalZone::Named(tz) => match DateTime::from_timestamp_micros(utc_micros) {
                Some(dt) => {
                    tz.offset_from_utc_datetime(&dt.naive_utc())
                        .fix()
                        .local_minus_utc()
                        / 60
                }
                None => 0,
            },
        }
    }

    /// The wall-clock time (as microseconds of a UTC-less calendar) at the instant `utc_micros`.
    pub fn to_local(&self, utc_micros: i64) -> i64 {
        utc_micros.saturating_add(self.offset_at(utc_micros) as i64 * MICROS_PER_MIN)
    }

    /// The instant of the wall-clock time `local_micros` (microseconds of a UTC-less calendar),
    /// and whether that time was unique, repeated or skipped in this zone.
    pub fn to_utc(&self, local_micros: i64) -> (i64, Fold) {
        let tz = match self {
            LocalZone::Fixed(m) => {
                return (
                    local_micros.saturating_sub(*m as i64 * MICROS_PER_MIN),
                    Fold::Unique,
                )
            }
            LocalZone::Named(tz) => tz,
        };
        let Some(naive) = DateTime::from_timestamp_micros(local_micros).map(|d| d.naive_utc())
        else {
            return (local_micros, Fold::Unique);
        };
        match tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(dt) => (dt.timestamp_micros(), Fold::Unique),
            chrono::LocalResult::Ambiguous(a, b) => (
                a.timestamp_micros().min(b.timestamp_micros()),
                Fold::Repeated,
            ),
            chrono::LocalResult::None => {
                // in a gap: the offset of a day before (transitions are months apart)
                let before = self.offset_at(local_micros.saturating_sub(MICROS_PER_DAY));
                (
                    local_micros.saturating_sub(before as i64 * MICROS_PER_MIN),
                    Fold::Skipped,
                )
            }
        }
    }
}

/// An offset as RFC 3339 writes it: `+02:00`, `-05:30`, `Z` for 0.
pub fn offset_text(minutes: i32) -> String {
    if minutes == 0 {
        return "Z".into();
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// `Z`, `UTC`, `GMT`, each optionally followed by an offset; or an offset alone: `+02:00`,
/// `-0530`, `+2`, `+02`. Minutes east of UTC.
fn fixed_offset(t: &str) -> Option<i32> {
    let u = t.to_ascii_uppercase();
    let rest = ["UTC", "GMT", "Z"]
        .iter()
        .find_map(|p| u.strip_prefix(p))
        .unwrap_or(&u);
    if rest.is_empty() {
        return Some(0); // a prefix alone
    }
    let (sign, digits) = match rest.as_bytes()[0] {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let ok = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !ok(h, 2) || !ok(m, 2) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn local(s: &str) -> i64 {
        Timestamp::parse_iso(s).unwrap().micros
    }
    fn utc(s: &str) -> i64 {
        Timestamp::parse_iso(s).unwrap().micros
    }

    #[test]
    fn parses_names_and_offsets() {
        assert_eq!(
            LocalZone::parse("europe/berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(LocalZone::parse("US/Pacific").unwrap().name(), "US/Pacific");
        for (s, m) in [
            ("UTC", 0),
            ("z", 0),
            ("GMT", 0),
            ("+02:00", 120),
            ("-0530", -330),
            ("+2", 120),
            ("UTC+02:00", 120),
            ("gmt-3", -180),
            ("+14:00", 840),
        ] {
            assert_eq!(LocalZone::parse(s), Ok(LocalZone::Fixed(m)), "{s}");
        }
        for bad in [
            "",
            "+15:00",
            "+02:60",
            "Mars/Olympus",
            "+",
            "UTC+",
            "2",
            "+123",
        ] {
            assert!(LocalZone::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(LocalZone::Fixed(-330).name(), "UTC-05:30");
        assert_eq!(LocalZone::fixed(10_000), LocalZone::Fixed(840));
    }

    #[test]
    fn a_named_zone_follows_daylight_saving() {
        let berlin = LocalZone::parse("Europe/Berlin").unwrap();
        // summer (UTC+2) and winter (UTC+1) in one drop
        assert_eq!(
            berlin.to_utc(local("2024-10-26T12:00:00")),
            (utc("2024-10-26T10:00:00Z"), Fold::Unique)
        );
        assert_eq!(
            berlin.to_utc(local("2024-10-28T12:00:00")),
            (utc("2024-10-28T11:00:00Z"), Fold::Unique)
        );
        // 27 Oct 2024 02:30 happened twice: the earlier instant, said so
        assert_eq!(
            berlin.to_utc(local("2024-10-27T02:30:00")),
            (utc("2024-10-27T00:30:00Z"), Fold::Repeated)
        );
        // 31 Mar 2024 02:30 never happened: read with the winter offset, said so
        assert_eq!(
            berlin.to_utc(local("2024-03-31T02:30:00")),
            (utc("2024-03-31T01:30:00Z"), Fold::Skipped)
        );
        assert_eq!(berlin.offset_at(utc("2024-07-01T00:00:00Z")), 120);
        assert_eq!(berlin.offset_at(utc("2024-01-01T00:00:00Z")), 60);
        assert_eq!(
            berlin.to_local(utc("2024-10-27T01:30:00Z")),
            local("2024-10-27T02:30:00")
        );
    }

    #[test]
    fn a_fixed_offset_is_the_same_all_year() {
        let z = LocalZone::Fixed(120);
        for t in ["2024-01-15T08:00:00", "2024-07-15T08:00:00"] {
            assert_eq!(
                z.to_utc(local(t)),
                (local(t) - 120 * MICROS_PER_MIN, Fold::Unique)
            );
        }
        assert_eq!(z.offset_at(0), 120);
    }

    #[test]
    fn times_beyond_the_calendar_do_not_panic() {
        let berlin = LocalZone::parse("Europe/Berlin").unwrap();
        for t in [i64::MIN, i64::MAX, 0, -1] {
            let _ = berlin.to_utc(t);
            let _ = berlin.to_local(t);
            let _ = LocalZone::Fixed(-840).to_utc(t);
        }
    }
}
