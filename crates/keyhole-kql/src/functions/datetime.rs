//! Datetime and timespan functions: `ago`, `now`, `startofday`, `datetime_diff`,
//! `format_datetime`, … (microsecond precision; weeks start on Sunday as in Kusto).

use super::{def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use keyhole_core::time::{
    civil_from_days, days_from_civil, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN,
    MICROS_PER_SEC,
};
use keyhole_core::{LocalZone, Timestamp};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("ago", ("timespan", 1, 1) -> T(Type::DateTime), "`now()` minus a timespan.", Eval(ago)),
    def!("now", ("[offset]", 0, 1) -> T(Type::DateTime), "The query's reference time (the latest event unless set), plus an optional offset.", Eval(now)),
    def!("startofday", ("date [, offset]", 1, 2) -> T(Type::DateTime), "Midnight at the start of the day.", Eval(startofday), [("startofday(datetime(2024-04-03 14:03))", "2024-04-03T00:00:00Z")]),
    def!("startofhour", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The start of the hour.", Eval(startofhour), [("startofhour(datetime(2024-04-03 14:03))", "2024-04-03T14:00:00Z")]),
    def!("startofweek", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The start of the week (Sunday).", Eval(startofweek), [("startofweek(datetime(2024-04-03))", "2024-03-31T00:00:00Z")]),
    def!("startofmonth", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The first day of the month.", Eval(startofmonth), [("startofmonth(datetime(2024-04-03))", "2024-04-01T00:00:00Z")]),
    def!("endofday", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The last instant of the day.", Eval(endofday), [("endofday(datetime(2024-04-03))", "2024-04-03T23:59:59.999999Z")]),
    def!("startofyear", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The first day of the year.", Eval(startofyear), [("startofyear(datetime(2024-04-03))", "2024-01-01T00:00:00Z")]),
    def!("endofweek", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The last instant of the week (Saturday).", Eval(endofweek)),
    def!("endofmonth", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The last instant of the month.", Eval(endofmonth), [("endofmonth(datetime(2024-02-03))", "2024-02-29T23:59:59.999999Z")]),
    def!("endofyear", ("date [, offset]", 1, 2) -> T(Type::DateTime), "The last instant of the year.", Eval(endofyear)),
    def!("dayofyear", ("date", 1, 1) -> T(Type::Long), "The day of the year (1–366).", Eval(dayofyear), [("dayofyear(datetime(2015-12-14))", "348")]),
    def!("week_of_year", ("date", 1, 1) -> T(Type::Long), "The ISO 8601 week number.", Eval(week_of_year), [("week_of_year(datetime(2020-12-31))", "53")]),
    def!("datetime_part", ("part, datetime", 2, 2) -> T(Type::Long), "One part of a datetime (year, quarter, month, week_of_year, day, dayofyear, hour, minute, second, millisecond, microsecond, nanosecond).", Eval(datetime_part), [("datetime_part('month', datetime(2024-04-03))", "4")]),
    def!("make_datetime", ("year, month, day [, hour, minute, second]", 3, 6) -> T(Type::DateTime), "A datetime from its parts.", Eval(make_datetime), [("make_datetime(2017, 10, 1, 12, 10, 30)", "2017-10-01T12:10:30Z")]),
    def!("make_timespan", ("[days,] hours, minutes [, seconds]", 2, 4) -> T(Type::TimeSpan), "A timespan from its parts.", Eval(make_timespan), [("make_timespan(1, 12, 30, 55.123)", "1.12:30:55.1230000")]),
    def!("unixtime_seconds_todatetime", ("seconds", 1, 1) -> T(Type::DateTime), "Seconds since 1970 as a datetime.", Eval(unix_s)),
    def!("unixtime_milliseconds_todatetime", ("milliseconds", 1, 1) -> T(Type::DateTime), "Milliseconds since 1970 as a datetime.", Eval(unix_ms)),
    def!("unixtime_microseconds_todatetime", ("microseconds", 1, 1) -> T(Type::DateTime), "Microseconds since 1970 as a datetime.", Eval(unix_us), [("unixtime_microseconds_todatetime(1546300800000000)", "2019-01-01T00:00:00Z")]),
    def!("unixtime_nanoseconds_todatetime", ("nanoseconds", 1, 1) -> T(Type::DateTime), "Nanoseconds since 1970 as a datetime.", Eval(unix_ns)),
    def!("hourofday", ("date", 1, 1) -> T(Type::Long), "The hour (0–23).", Eval(hourofday), [("hourofday(datetime(2024-04-03 14:03))", "14")]),
    def!("dayofweek", ("date", 1, 1) -> T(Type::TimeSpan), "Days since the preceding Sunday, as a timespan.", Eval(dayofweek), [("dayofweek(datetime(2024-04-03))", "3.00:00:00")]),
    def!("dayofmonth", ("date", 1, 1) -> T(Type::Long), "The day of the month.", Eval(dayofmonth), [("dayofmonth(datetime(2024-04-03))", "3")]),
    def!("getmonth" | "monthofyear", ("date", 1, 1) -> T(Type::Long), "The month (1–12).", Eval(getmonth), [("getmonth(datetime(2024-04-03))", "4")]),
    def!("getyear", ("date", 1, 1) -> T(Type::Long), "The year.", Eval(getyear), [("getyear(datetime(2024-04-03))", "2024")]),
    def!("datetime_diff", ("period, datetime1, datetime2", 3, 3) -> T(Type::Long), "How many period boundaries lie between two datetimes (datetime1 − datetime2).", Eval(datetime_diff_fn), [("datetime_diff('day', datetime(2024-04-03), datetime(2024-04-01))", "2")]),
    def!("datetime_add", ("period, amount, datetime", 3, 3) -> T(Type::DateTime), "A datetime moved by an amount of periods.", Eval(datetime_add_fn), [("datetime_add('month', 1, datetime(2024-01-31))", "2024-02-29T00:00:00Z")]),
    def!("datetime_utc_to_local", ("datetime, timezone", 2, 2) -> T(Type::DateTime), "The wall-clock time in an IANA zone (Europe/Berlin, US/Pacific) at a UTC datetime, daylight saving included; null for an unknown zone.", Eval(utc_to_local), [("datetime_utc_to_local(datetime(2024-07-01 12:00), 'Europe/Berlin')", "2024-07-01T14:00:00Z")]),
    def!("datetime_local_to_utc", ("datetime, timezone", 2, 2) -> T(Type::DateTime), "The UTC datetime of a wall-clock time in an IANA zone, daylight saving included (a time the clock repeats: its first pass); null for an unknown zone.", Eval(local_to_utc), [("datetime_local_to_utc(datetime(2024-01-15 12:00), 'Europe/Berlin')", "2024-01-15T11:00:00Z")]),
    def!("format_datetime", ("date, format", 2, 2) -> T(Type::String), "A datetime formatted with .NET-style specifiers (yyyy MM dd HH mm ss fff tt).", Eval(format_datetime), [("format_datetime(datetime(2024-04-03 14:03:10), 'yy-MM-dd HH:mm')", "24-04-03 14:03")]),
    def!("format_timespan", ("timespan, format", 2, 2) -> T(Type::String), "A timespan formatted with .NET-style specifiers (d… days, h/H hours, m minutes, s seconds, f…/F… fractions; delimiters kept).", Eval(format_timespan), [("format_timespan(time(1.02:03:04.5), 'd.hh:mm:ss.FF')", "1.02:03:04.5")]),
];

pub(crate) fn floor_to(v: i64, size: i64) -> i64 {
    if size <= 0 {
        v
    } else {
        v.div_euclid(size) * size
    }
}

fn dt(v: &Value) -> Option<i64> {
    match v.undyn() {
        Value::DateTime(t) => Some(t.micros),
        _ => None,
    }
}

fn at(m: i64) -> Value {
    Value::DateTime(Timestamp::from_micros(m))
}

fn ago(a: &[Value], env: &Env) -> Value {
    match a[0].undyn() {
        Value::TimeSpan(t) => at(env.now.saturating_sub(t)),
        _ => Value::Null,
    }
}

fn now(a: &[Value], env: &Env) -> Value {
    let off = match a.first().map(|v| v.undyn()) {
        Some(Value::TimeSpan(t)) => t,
        _ => 0,
    };
    at(env.now.saturating_add(off))
}

/// The start of the `unit` period holding `t`, moved by `offset` periods.
pub(crate) fn start_of(unit: &str, t: i64, offset: i64) -> Option<i64> {
    let day = t.div_euclid(MICROS_PER_DAY);
    Some(match unit {
        "hour" => floor_to(t, MICROS_PER_HOUR).checked_add(offset.checked_mul(MICROS_PER_HOUR)?)?,
        "day" => (day.checked_add(offset)?).checked_mul(MICROS_PER_DAY)?,
        // Weeks start on Sunday; 1970-01-04 was a Sunday.
        "week" => (day - (day + 4).rem_euclid(7))
            .checked_add(offset.checked_mul(7)?)?
            .checked_mul(MICROS_PER_DAY)?,
        "month" | "year" => {
            let (y, m, _) = civil_from_days(day);
            let months = if unit == "month" {
                (y * 12 + m as i64 - 1).checked_add(offset)?
            } else {
                (y.checked_add(offset)?).checked_mul(12)?
            };
            days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, 1)
                .checked_mul(MICROS_PER_DAY)?
        }
        _ => return None,
    })
}

fn period(a: &[Value], unit: &str, end: bool) -> Value {
    let Some(t) = dt(&a[0]) else {
        return Value::Null;
    };
    let offset = match a.get(1) {
        Some(o) => match o.as_i64() {
            Some(o) => o,
            None => return Value::Null,
        },
        None => 0,
    };
    let r = if end {
        start_of(unit, t, offset.saturating_add(1)).map(|s| s - 1)
    } else {
        start_of(unit, t, offset)
    };
    r.map(at).unwrap_or(Value::Null)
}

fn startofday(a: &[Value], _: &Env) -> Value {
    period(a, "day", false)
}

fn startofhour(a: &[Value], _: &Env) -> Value {
    period(a, "hour", false)
}

fn startofweek(a: &[Value], _: &Env) -> Value {
    period(a, "week", false)
}

fn startofmonth(a: &[Value], _: &Env) -> Value {
    period(a, "month", false)
}

fn startofyear(a: &[Value], _: &Env) -> Value {
    period(a, "year", false)
}

fn endofday(a: &[Value], _: &Env) -> Value {
    period(a, "day", true)
}

fn endofweek(a: &[Value], _: &Env) -> Value {
    period(a, "week", true)
}

fn endofmonth(a: &[Value], _: &Env) -> Value {
    period(a, "month", true)
}

fn endofyear(a: &[Value], _: &Env) -> Value {
    period(a, "year", true)
}

fn hourofday(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| Value::Long(t.rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR))
        .unwrap_or(Value::Null)
}

fn dayofweek(a: &[Value], _: &Env) -> Value {
    // 1970-01-01 was a Thursday; Sunday is day 0.
    dt(&a[0])
        .map(|t| Value::TimeSpan((t.div_euclid(MICROS_PER_DAY) + 4).rem_euclid(7) * MICROS_PER_DAY))
        .unwrap_or(Value::Null)
}

fn civil_part(a: &[Value], pick: fn((i64, u32, u32)) -> i64) -> Value {
    dt(&a[0])
        .map(|t| Value::Long(pick(civil_from_days(t.div_euclid(MICROS_PER_DAY)))))
        .unwrap_or(Value::Null)
}

fn dayofmonth(a: &[Value], _: &Env) -> Value {
    civil_part(a, |(_, _, d)| d as i64)
}

fn getmonth(a: &[Value], _: &Env) -> Value {
    civil_part(a, |(_, m, _)| m as i64)
}

fn getyear(a: &[Value], _: &Env) -> Value {
    civil_part(a, |(y, _, _)| y)
}

fn datetime_diff_fn(a: &[Value], _: &Env) -> Value {
    let part = a[0].to_kql_string().to_ascii_lowercase();
    match (dt(&a[1]), dt(&a[2])) {
        (Some(x), Some(y)) => datetime_diff(&part, x, y)
            .map(Value::Long)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn datetime_add_fn(a: &[Value], _: &Env) -> Value {
    let part = a[0].to_kql_string().to_ascii_lowercase();
    match (a[1].as_i64(), dt(&a[2])) {
        (Some(n), Some(t)) => datetime_add(&part, n, t).map(at).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The zone named by a `timezone` argument (IANA names, any case; offsets such as `+02:00`).
fn zone(v: &Value) -> Option<LocalZone> {
    match v.undyn() {
        Value::String(s) => LocalZone::parse(&s[..]).ok(),
        _ => None,
    }
}

fn utc_to_local(a: &[Value], _: &Env) -> Value {
    match (dt(&a[0]), zone(&a[1])) {
        (Some(t), Some(z)) => at(z.to_local(t)),
        _ => Value::Null,
    }
}

fn local_to_utc(a: &[Value], _: &Env) -> Value {
    match (dt(&a[0]), zone(&a[1])) {
        (Some(t), Some(z)) => at(z.to_utc(t).0),
        _ => Value::Null,
    }
}

fn format_datetime(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::DateTime(t) => Value::str(&format_dt(t, &a[1].to_kql_string())),
        _ => Value::str(""),
    }
}

fn months(micros: i64) -> i64 {
    let (y, m, _) = civil_from_days(micros.div_euclid(MICROS_PER_DAY));
    y * 12 + m as i64 - 1
}

/// `datetime_diff(part, a, b)`: how many `part` boundaries lie between b and a (a − b).
fn datetime_diff(part: &str, a: i64, b: i64) -> Option<i64> {
    let unit = |u: i64| a.div_euclid(u) - b.div_euclid(u);
    Some(match part {
        "year" => {
            civil_from_days(a.div_euclid(MICROS_PER_DAY)).0
                - civil_from_days(b.div_euclid(MICROS_PER_DAY)).0
        }
        "quarter" => months(a).div_euclid(3) - months(b).div_euclid(3),
        "month" => months(a) - months(b),
        "week" => {
            (a.div_euclid(MICROS_PER_DAY) + 4).div_euclid(7)
                - (b.div_euclid(MICROS_PER_DAY) + 4).div_euclid(7)
        }
        "day" => unit(MICROS_PER_DAY),
        "hour" => unit(MICROS_PER_HOUR),
        "minute" => unit(MICROS_PER_MIN),
        "second" => unit(MICROS_PER_SEC),
        "millisecond" => unit(1000),
        "microsecond" => a - b,
        _ => return None,
    })
}

fn datetime_add(part: &str, n: i64, t: i64) -> Option<i64> {
    let span = |u: i64| n.checked_mul(u).and_then(|d| t.checked_add(d));
    match part {
        "year" | "quarter" | "month" => {
            let k = match part {
                "year" => 12,
                "quarter" => 3,
                _ => 1,
            };
            let day = t.div_euclid(MICROS_PER_DAY);
            let rem = t.rem_euclid(MICROS_PER_DAY);
            let (y, m, d) = civil_from_days(day);
            let total = (y * 12 + m as i64 - 1).checked_add(n.checked_mul(k)?)?;
            let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
            let last = (28..=31)
                .rev()
                .find(|&dd| civil_from_days(days_from_civil(ny, nm, dd)).1 == nm)
                .unwrap_or(28);
            Some(days_from_civil(ny, nm, d.min(last)) * MICROS_PER_DAY + rem)
        }
        "week" => span(7 * MICROS_PER_DAY),
        "day" => span(MICROS_PER_DAY),
        "hour" => span(MICROS_PER_HOUR),
        "minute" => span(MICROS_PER_MIN),
        "second" => span(MICROS_PER_SEC),
        "millisecond" => span(1000),
        "microsecond" => span(1),
        _ => None,
    }
}

/// .NET-style datetime format: yyyy yy MM M dd d HH H hh h mm m ss s f… tt, other text literal.
pub(crate) fn format_dt(t: Timestamp, fmt: &str) -> String {
    let days = t.micros.div_euclid(MICROS_PER_DAY);
    let rem = t.micros.rem_euclid(MICROS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let h = rem / MICROS_PER_HOUR;
    let mi = (rem / MICROS_PER_MIN) % 60;
    let s = (rem / MICROS_PER_SEC) % 60;
    let frac = rem % MICROS_PER_SEC;
    let chars: Vec<char> = fmt.chars().take(256).collect();
    let mut out = String::new();
    let mut i = 0;
    let num = |v: i64, n: usize| {
        if n == 1 {
            v.to_string()
        } else {
            format!("{v:02}")
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        match c {
            'y' => out.push_str(&if n <= 2 {
                format!("{:02}", y.rem_euclid(100))
            } else {
                format!("{y:0n$}")
            }),
            'M' => out.push_str(&num(mo as i64, n)),
            'd' => out.push_str(&num(d as i64, n)),
            'H' => out.push_str(&num(h, n)),
            'h' => out.push_str(&num(if h % 12 == 0 { 12 } else { h % 12 }, n)),
            'm' => out.push_str(&num(mi, n)),
            's' => out.push_str(&num(s, n)),
            'f' | 'F' => {
                let digits = format!("{:07}", frac * 10);
                out.push_str(&digits[..n.min(7)]);
            }
            't' => out.push_str(if h < 12 { "AM" } else { "PM" }),
            _ => {
                for _ in 0..n {
                    out.push(c);
                }
            }
        }
        i += n;
    }
    out
}

/// .NET-style custom timespan format: d… (whole days, at least as many digits), h/H, hh/HH,
/// m, mm, s, ss, f… (that many fraction digits) and F… (the same without trailing zeros,
/// nothing when they are all zero); any other character is written as it is. The magnitude
/// is formatted (Kusto writes no sign).
fn format_ts(ts: i64, fmt: &str) -> String {
    let t = ts.unsigned_abs();
    let day = MICROS_PER_DAY as u64;
    let (days, rem) = (t / day, t % day);
    let h = rem / MICROS_PER_HOUR as u64;
    let mi = rem / MICROS_PER_MIN as u64 % 60;
    let s = rem / MICROS_PER_SEC as u64 % 60;
    let frac = format!("{:07}", rem % MICROS_PER_SEC as u64 * 10);
    let chars: Vec<char> = fmt.chars().take(256).collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let two = |v: u64| {
            if n >= 2 {
                format!("{v:02}")
            } else {
                v.to_string()
            }
        };
        match c {
            'd' => out.push_str(&format!("{days:0n$}")),
            'h' | 'H' => out.push_str(&two(h)),
            'm' => out.push_str(&two(mi)),
            's' => out.push_str(&two(s)),
            'f' => out.push_str(&frac[..n.min(7)]),
            'F' => out.push_str(frac[..n.min(7)].trim_end_matches('0')),
            _ => (0..n).for_each(|_| out.push(c)),
        }
        i += n;
    }
    out
}

fn format_timespan(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::TimeSpan(t) => Value::str(&format_ts(t, &a[1].to_kql_string())),
        _ => Value::str(""),
    }
}

fn dayofyear(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| {
            let day = t.div_euclid(MICROS_PER_DAY);
            let (y, _, _) = civil_from_days(day);
            Value::Long(day - days_from_civil(y, 1, 1) + 1)
        })
        .unwrap_or(Value::Null)
}

fn iso_week(t: i64) -> i64 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.iso_week().week() as i64)
        .unwrap_or(0)
}

fn week_of_year(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| Value::Long(iso_week(t)))
        .unwrap_or(Value::Null)
}

fn datetime_part(a: &[Value], _: &Env) -> Value {
    let part = a[0].to_kql_string().to_ascii_lowercase();
    let Some(t) = dt(&a[1]) else {
        return Value::Null;
    };
    let day = t.div_euclid(MICROS_PER_DAY);
    let rem = t.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(day);
    Value::Long(match part.as_str() {
        "year" => y,
        "quarter" => (m as i64 - 1) / 3 + 1,
        "month" => m as i64,
        "week_of_year" | "weekofyear" => iso_week(t),
        "day" => d as i64,
        "dayofyear" => day - days_from_civil(y, 1, 1) + 1,
        "hour" => rem / MICROS_PER_HOUR,
        "minute" => rem / MICROS_PER_MIN % 60,
        "second" => rem / MICROS_PER_SEC % 60,
        "millisecond" => rem % MICROS_PER_SEC / 1000,
        "microsecond" => rem % MICROS_PER_SEC,
        "nanosecond" => rem % MICROS_PER_SEC * 1000,
        _ => return Value::Null,
    })
}

fn make_datetime(a: &[Value], _: &Env) -> Value {
    let n = |i: usize| a.get(i).map(|v| v.as_f64()).unwrap_or(Some(0.0));
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (n(0), n(1), n(2), n(3), n(4), n(5))
    else {
        return Value::Null;
    };
    match civil(y as i64, mo as i64, d as i64, h as i64, mi as i64, s) {
        Some(t) => at(t),
        None => Value::Null,
    }
}

/// Microseconds since the epoch of a calendar date and time (validated).
pub(crate) fn civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: f64) -> Option<i64> {
    if !(1..=12).contains(&mo)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0.0..60.0).contains(&s)
        || !(1..=9999).contains(&y)
    {
        return None;
    }
    let day = days_from_civil(y, mo as u32, d as u32);
    if civil_from_days(day) != (y, mo as u32, d as u32) {
        return None;
    }
    Some(
        day * MICROS_PER_DAY
            + h * MICROS_PER_HOUR
            + mi * MICROS_PER_MIN
            + (s * MICROS_PER_SEC as f64).round() as i64,
    )
}

fn make_timespan(a: &[Value], _: &Env) -> Value {
    let v: Option<Vec<f64>> = a.iter().map(|x| x.as_f64()).collect();
    let Some(v) = v else {
        return Value::Null;
    };
    let (d, h, m, s) = match v.as_slice() {
        [h, m] => (0.0, *h, *m, 0.0),
        [h, m, s] => (0.0, *h, *m, *s),
        [d, h, m, s] => (*d, *h, *m, *s),
        _ => return Value::Null,
    };
    let total = d * MICROS_PER_DAY as f64
        + h * MICROS_PER_HOUR as f64
        + m * MICROS_PER_MIN as f64
        + s * MICROS_PER_SEC as f64;
    Value::TimeSpan(total.round() as i64)
}

fn unix(a: &[Value], per_second: f64) -> Value {
    match a[0].as_f64() {
        Some(x) if x.is_finite() => at((x * 1e6 / per_second).round() as i64),
        _ => Value::Null,
    }
}

fn unix_s(a: &[Value], _: &Env) -> Value {
    unix(a, 1.0)
}

fn unix_ms(a: &[Value], _: &Env) -> Value {
    unix(a, 1e3)
}

fn unix_us(a: &[Value], _: &Env) -> Value {
    unix(a, 1e6)
}

fn unix_ns(a: &[Value], _: &Env) -> Value {
    unix(a, 1e9)
}

/// A datetime in any form Kusto reads: ISO 8601 (`2024-04-03 14:03:10`), RFC 822/1123
/// (`Sat, 8 Nov 14 15:05:02 GMT`), US dates (`12-02-2022`, `12/02/2022 08:40:01`, the portal's
/// `9/24/2024, 7:34:57 PM`), `2024/04/03`, and `2025, 6, 14[, h, m, s]` parts.
pub(crate) fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = Timestamp::parse_any(s, 0) {
        return Some(t.micros);
    }
    if s.contains(',') && s.split(',').all(|p| p.trim().parse::<f64>().is_ok()) {
        let p: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse().unwrap_or(0.0))
            .collect();
        if (3..=6).contains(&p.len()) {
            let g = |i: usize| p.get(i).copied().unwrap_or(0.0);
            return civil(
                g(0) as i64,
                g(1) as i64,
                g(2) as i64,
                g(3) as i64,
                g(4) as i64,
                g(5),
            );
        }
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(s) {
        return Some(d.timestamp_micros());
    }
    const WITH_TIME: &[&str] = &[
        "%m-%d-%Y %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%m-%d-%Y %H:%M",
        "%m/%d/%Y %H:%M",
        "%Y/%m/%d %H:%M",
        "%a, %d %b %Y %H:%M:%S GMT",
        "%d %b %Y %H:%M:%S",
    ];
    for f in WITH_TIME {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc().timestamp_micros());
        }
    }
    const DATES: &[&str] = &[
        "%m-%d-%Y", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d", "%d %b %Y", "%b %d %Y",
    ];
    for f in DATES {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, f) {
            return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_datetimes() {
        let t = Timestamp::parse_iso("2024-04-03T14:03:10.7886260Z").unwrap();
        assert_eq!(
            format_dt(t, "yyyy-MM-dd HH:mm:ss.fff"),
            "2024-04-03 14:03:10.788"
        );
        assert_eq!(format_dt(t, "M/d/yy h:mm tt"), "4/3/24 2:03 PM");
    }
}
