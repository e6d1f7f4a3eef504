//! Datetime and timespan functions: `ago`, `now`, `startofday`, `datetime_diff`,
//! `format_datetime`, … (microsecond precision; weeks start on Sunday as in Kusto).

use super::{def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use keyhole_core::time::{
    civil_from_days, days_from_civil, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN,
    MICROS_PER_SEC,
};
use keyhole_core::Timestamp;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("ago", ("timespan", 1, 1) -> T(Type::DateTime), "`now()` minus a timespan.", Eval(ago)),
    def!("now", ("[offset]", 0, 1) -> T(Type::DateTime), "The query's reference time (the latest event unless set), plus an optional offset.", Eval(now)),
    def!("startofday", ("date", 1, 1) -> T(Type::DateTime), "Midnight at the start of the day.", Eval(startofday), [("startofday(datetime(2024-04-03 14:03))", "2024-04-03T00:00:00Z")]),
    def!("startofhour", ("date", 1, 1) -> T(Type::DateTime), "The start of the hour.", Eval(startofhour), [("startofhour(datetime(2024-04-03 14:03))", "2024-04-03T14:00:00Z")]),
    def!("startofweek", ("date", 1, 1) -> T(Type::DateTime), "The start of the week (Sunday).", Eval(startofweek), [("startofweek(datetime(2024-04-03))", "2024-03-31T00:00:00Z")]),
    def!("startofmonth", ("date", 1, 1) -> T(Type::DateTime), "The first day of the month.", Eval(startofmonth), [("startofmonth(datetime(2024-04-03))", "2024-04-01T00:00:00Z")]),
    def!("endofday", ("date", 1, 1) -> T(Type::DateTime), "The last instant of the day.", Eval(endofday), [("endofday(datetime(2024-04-03))", "2024-04-03T23:59:59.999999Z")]),
    def!("hourofday", ("date", 1, 1) -> T(Type::Long), "The hour (0–23).", Eval(hourofday), [("hourofday(datetime(2024-04-03 14:03))", "14")]),
    def!("dayofweek", ("date", 1, 1) -> T(Type::TimeSpan), "Days since the preceding Sunday, as a timespan.", Eval(dayofweek), [("dayofweek(datetime(2024-04-03))", "3.00:00:00")]),
    def!("dayofmonth", ("date", 1, 1) -> T(Type::Long), "The day of the month.", Eval(dayofmonth), [("dayofmonth(datetime(2024-04-03))", "3")]),
    def!("getmonth" | "monthofyear", ("date", 1, 1) -> T(Type::Long), "The month (1–12).", Eval(getmonth), [("getmonth(datetime(2024-04-03))", "4")]),
    def!("getyear", ("date", 1, 1) -> T(Type::Long), "The year.", Eval(getyear), [("getyear(datetime(2024-04-03))", "2024")]),
    def!("datetime_diff", ("period, datetime1, datetime2", 3, 3) -> T(Type::Long), "How many period boundaries lie between two datetimes (datetime1 − datetime2).", Eval(datetime_diff_fn), [("datetime_diff('day', datetime(2024-04-03), datetime(2024-04-01))", "2")]),
    def!("datetime_add", ("period, amount, datetime", 3, 3) -> T(Type::DateTime), "A datetime moved by an amount of periods.", Eval(datetime_add_fn), [("datetime_add('month', 1, datetime(2024-01-31))", "2024-02-29T00:00:00Z")]),
    def!("format_datetime", ("date, format", 2, 2) -> T(Type::String), "A datetime formatted with .NET-style specifiers (yyyy MM dd HH mm ss fff tt).", Eval(format_datetime), [("format_datetime(datetime(2024-04-03 14:03:10), 'yy-MM-dd HH:mm')", "24-04-03 14:03")]),
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

fn startofday(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| at(floor_to(t, MICROS_PER_DAY)))
        .unwrap_or(Value::Null)
}

fn startofhour(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| at(floor_to(t, MICROS_PER_HOUR)))
        .unwrap_or(Value::Null)
}

fn startofweek(a: &[Value], _: &Env) -> Value {
    // Weeks start on Sunday; 1970-01-04 was a Sunday.
    dt(&a[0])
        .map(|t| {
            let day = t.div_euclid(MICROS_PER_DAY);
            at((day - (day + 4).rem_euclid(7)) * MICROS_PER_DAY)
        })
        .unwrap_or(Value::Null)
}

fn startofmonth(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| {
            let (y, m, _) = civil_from_days(t.div_euclid(MICROS_PER_DAY));
            at(days_from_civil(y, m, 1) * MICROS_PER_DAY)
        })
        .unwrap_or(Value::Null)
}

fn endofday(a: &[Value], _: &Env) -> Value {
    dt(&a[0])
        .map(|t| at(floor_to(t, MICROS_PER_DAY) + MICROS_PER_DAY - 1))
        .unwrap_or(Value::Null)
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
