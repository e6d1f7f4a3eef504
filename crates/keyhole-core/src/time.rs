//! UTC timestamps without a clock: parsing the forms Key Vault exports use, and RFC 3339 output
//! with the precision the input had (microseconds at most).

use std::fmt;

pub const MICROS_PER_SEC: i64 = 1_000_000;
pub const MICROS_PER_MIN: i64 = 60 * MICROS_PER_SEC;
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MIN;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// Microseconds since the Unix epoch (UTC) and the number of fractional digits the input had.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timestamp {
    pub micros: i64,
    /// Fractional-second digits given in the input (0..=7; output shows at most 6).
    pub digits: u8,
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.micros.cmp(&other.micros)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn num(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        let mut v: i64 = 0;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            v = v * 10 + (self.b[self.i] - b'0') as i64;
            self.i += 1;
        }
        if self.i - start < min {
            None
        } else {
            Some(v)
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    /// Fractional seconds: returns (micros, digits). Digits beyond 6 are read and truncated.
    fn fraction(&mut self) -> (i64, u8) {
        if !(self.eat(b'.') || self.eat(b',')) {
            return (0, 0);
        }
        let mut micros = 0i64;
        let mut digits = 0u8;
        while let Some(c) = self.peek() {
            if !c.is_ascii_digit() {
                break;
            }
            if digits < 6 {
                micros = micros * 10 + (c - b'0') as i64;
            }
            digits = digits.saturating_add(1);
            self.i += 1;
        }
        for _ in digits.min(6)..6 {
            micros *= 10;
        }
        (micros, digits.min(7))
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (`T`, `t` or a space in the middle) at the start of `b`, read at
/// fixed places: what the general parse of [`Timestamp::parse_iso`] reads from the same
/// bytes, in a tenth of its instructions.
fn fixed_date_time(b: &[u8]) -> Option<[i64; 6]> {
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let b: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    let digit = |i: usize| b[i].wrapping_sub(b'0');
    if DIGITS.iter().any(|&i| digit(i) > 9)
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let two = |i: usize| (digit(i) * 10 + digit(i + 1)) as i64;
    Some([
        two(0) * 100 + two(2),
        two(5),
        two(8),
        two(11),
        two(14),
        two(17),
    ])
}

fn build(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, frac: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo as u32) as i64 {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(
        days * MICROS_PER_DAY
            + h * MICROS_PER_HOUR
            + mi * MICROS_PER_MIN
            + s * MICROS_PER_SEC
            + frac,
    )
}

impl Timestamp {
    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp { micros, digits: 6 }
    }

    /// ISO 8601 / RFC 3339: `2024-04-03T14:03:10.7886260Z`, `2024-04-03 14:03:10`, offsets
    /// `+02:00`. A missing zone means UTC (Log Analytics exports are UTC).
    pub fn parse_iso(s: &str) -> Option<Timestamp> {
        Timestamp::parse_iso_with(s, true)
    }

    /// [`Timestamp::parse_iso`], with or without the fixed-place fast path (`fast`).
    fn parse_iso_with(s: &str, fast: bool) -> Option<Timestamp> {
        // `trim` tests every char for Unicode white space: a text that starts and ends with a
        // visible ASCII byte (nearly every one) has none to trim
        let b = s.as_bytes();
        let visible = |c: Option<&u8>| matches!(c, Some(&c) if c.is_ascii_graphic());
        let s = if visible(b.first()) && visible(b.last()) {
            s
        } else {
            s.trim()
        };
        let mut c = Cursor {
            b: s.as_bytes(),
            i: 0,
        };
        let (y, mo, d, h, mi, sec, frac, digits);
        if let Some([fy, fmo, fd, fh, fmi, fs]) = fixed_date_time(c.b).filter(|_| fast) {
            // the form nearly every export writes, read at fixed places
            (y, mo, d, h, mi, sec) = (fy, fmo, fd, fh, fmi, fs);
            c.i = 19;
            (frac, digits) = c.fraction();
        } else {
            y = c.num(4, 4)?;
            if !c.eat(b'-') {
                return None;
            }
            mo = c.num(1, 2)?;
            if !c.eat(b'-') {
                return None;
            }
            d = c.num(1, 2)?;
            let (mut th, mut tmi, mut ts, mut tf, mut td) = (0, 0, 0, 0, 0);
            if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
                th = c.num(1, 2)?;
                if !c.eat(b':') {
                    return None;
                }
                tmi = c.num(2, 2)?;
                if c.eat(b':') {
                    ts = c.num(2, 2)?;
                    (tf, td) = c.fraction();
                }
            }
            (h, mi, sec, frac, digits) = (th, tmi, ts, tf, td);
        }
        let mut offset_min = 0i64;
        match c.peek() {
            None => {}
            Some(b'Z') | Some(b'z') => c.i += 1,
            Some(sign @ (b'+' | b'-')) => {
                c.i += 1;
                let oh = c.num(2, 2)?;
                c.eat(b':');
                let om = c.num(2, 2).unwrap_or(0);
                offset_min = (oh * 60 + om) * if sign == b'-' { -1 } else { 1 };
            }
            _ => return None,
        }
        if c.i != c.b.len() {
            return None;
        }
        let micros = build(y, mo, d, h, mi, sec, frac)? - offset_min * MICROS_PER_MIN;
        Some(Timestamp { micros, digits })
    }

    /// The portal's locale form: `9/24/2024, 7:34:57.433 PM` (US), also without the comma or
    /// the AM/PM (24-hour). `offset_minutes` is the zone of a `[Local Time]` column (0 for UTC).
    pub fn parse_portal(s: &str, offset_minutes: i32) -> Option<Timestamp> {
        let s = s.trim();
        let mut c = Cursor {
            b: s.as_bytes(),
            i: 0,
        };
        let mo = c.num(1, 2)?;
        if !c.eat(b'/') {
            return None;
        }
        let d = c.num(1, 2)?;
        if !c.eat(b'/') {
            return None;
        }
        let y = c.num(4, 4)?;
        c.eat(b',');
        c.skip_spaces();
        let mut h = c.num(1, 2)?;
        if !c.eat(b':') {
            return None;
        }
        let mi = c.num(2, 2)?;
        let mut sec = 0;
        let (mut frac, mut digits) = (0, 0);
        if c.eat(b':') {
            sec = c.num(2, 2)?;
            let (f, dg) = c.fraction();
            frac = f;
            digits = dg;
        }
        c.skip_spaces();
        let rest = &s[c.i..];
        if rest.eq_ignore_ascii_case("PM") {
            if !(1..=12).contains(&h) {
                return None;
            }
            if h != 12 {
                h += 12;
            }
        } else if rest.eq_ignore_ascii_case("AM") {
            if !(1..=12).contains(&h) {
                return None;
            }
            if h == 12 {
                h = 0;
            }
        } else if !rest.is_empty() {
            return None;
        }
        let micros = build(y, mo, d, h, mi, sec, frac)? - offset_minutes as i64 * MICROS_PER_MIN;
        Some(Timestamp { micros, digits })
    }

    /// Any of the forms above.
    pub fn parse_any(s: &str, offset_minutes: i32) -> Option<Timestamp> {
        Timestamp::parse_iso(s).or_else(|| Timestamp::parse_portal(s, offset_minutes))
    }

    /// Day number since the epoch (UTC).
    pub fn day(self) -> i64 {
        self.micros.div_euclid(MICROS_PER_DAY)
    }

    /// Hour number since the epoch (UTC).
    pub fn hour(self) -> i64 {
        self.micros.div_euclid(MICROS_PER_HOUR)
    }

    /// Truncated to whole milliseconds (the portal CSV's resolution).
    pub fn millis(self) -> i64 {
        self.micros.div_euclid(1000)
    }

    /// RFC 3339 UTC with the input's precision (at most 6 fractional digits).
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    /// `YYYY-MM-DD` of the UTC day.
    pub fn date_string(self) -> String {
        let (y, m, d) = civil_from_days(self.day());
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// Serialised as its RFC 3339 text.
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.micros.div_euclid(MICROS_PER_DAY);
        let rem = self.micros.rem_euclid(MICROS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let h = rem / MICROS_PER_HOUR;
        let mi = (rem / MICROS_PER_MIN) % 60;
        let s = (rem / MICROS_PER_SEC) % 60;
        let frac = rem % MICROS_PER_SEC;
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        let digits = self.digits.min(6) as u32;
        if digits > 0 {
            let v = frac / 10i64.pow(6 - digits);
            write!(f, ".{:0width$}", v, width = digits as usize)?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_place_fast_path_reads_as_the_general_parse() {
        let cases = [
            "2024-04-03T14:03:10.7886260Z",
            "2024-04-03t14:03:10Z",
            "2024-04-03 14:03:10",
            " 2024-04-03T14:03:10.5+02:00 ",
            "2024-02-29T23:59:60.123456789Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-04-03T24:00:00Z",
            "2024-04-03T14:03:10Zjunk",
            "2024-04-03T14:03:10,25-05:30",
            "2024-04-03T14:03:1",
            "2024-04-03X14:03:10Z",
            "2024-4-03T14:03:10Z",
            "2024-04-03T14:03",
            "2024-04-03",
            "２０２４-04-03T14:03:10Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999999Z",
        ];
        for s in cases {
            assert_eq!(
                Timestamp::parse_iso_with(s, true),
                Timestamp::parse_iso_with(s, false),
                "{s:?}"
            );
        }
        assert!(fixed_date_time(b"2024-04-03T14:03:10Z").is_some());
        assert!(fixed_date_time(b"2024-04-03 14:03:1").is_none());
    }

    /// Unicode white space around a time is trimmed (the visible-ASCII shortcut skips the trim
    /// only when there is none to trim); inside it, it is not a time.
    #[test]
    fn white_space_around_a_time_is_trimmed() {
        let base = "2024-04-03T14:03:10.5Z";
        let want = Timestamp::parse_iso(base);
        assert!(want.is_some());
        for ws in [" ", "\t", "\n", "\u{b}", "\u{85}", "\u{a0}", "\u{3000}"] {
            for t in [
                format!("{ws}{base}"),
                format!("{base}{ws}"),
                format!("{ws}{ws}{base}{ws}"),
            ] {
                assert_eq!(Timestamp::parse_iso(&t), want, "{t:?}");
            }
            assert_eq!(
                Timestamp::parse_iso(&format!("2024-04-03T14:03:10{ws}.5Z")),
                None
            );
        }
    }

    #[test]
    fn seven_digit_input_prints_microseconds() {
        let t = Timestamp::parse_iso("2024-04-03T14:03:10.7886260Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-04-03T14:03:10.788626Z");
        assert_eq!(t.digits, 7);
    }

    #[test]
    fn precision_is_kept() {
        assert_eq!(
            Timestamp::parse_iso("2024-04-03T14:03:10.788Z")
                .unwrap()
                .to_rfc3339(),
            "2024-04-03T14:03:10.788Z"
        );
        assert_eq!(
            Timestamp::parse_iso("2024-04-03T14:03:10Z")
                .unwrap()
                .to_rfc3339(),
            "2024-04-03T14:03:10Z"
        );
    }

    #[test]
    fn offsets_and_missing_zone() {
        let a = Timestamp::parse_iso("2024-04-03T16:03:10+02:00").unwrap();
        let b = Timestamp::parse_iso("2024-04-03 14:03:10").unwrap();
        assert_eq!(a.micros, b.micros);
    }

    #[test]
    fn portal_locale_form() {
        let t = Timestamp::parse_portal("9/24/2024, 7:34:57.433 PM", 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-09-24T19:34:57.433Z");
        let t = Timestamp::parse_portal("9/24/2024, 12:04:57.433 AM", 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-09-24T00:04:57.433Z");
        let t = Timestamp::parse_portal("9/24/2024, 12:04:57.433 AM", 120).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-09-23T22:04:57.433Z");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "yesterday",
            "2024-01-01T25:00Z",
        ] {
            assert!(Timestamp::parse_any(s, 0).is_none(), "{s}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for d in [-1000i64, 0, 1, 19_000, 20_000, 60_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
