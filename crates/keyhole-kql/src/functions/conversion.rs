//! Conversions between scalar types: `tostring`, `toint`, `tolong`, `todouble`, `tobool`,
//! `todynamic`, `todatetime`, `totimespan`, `toguid`, `gettype`; `estimate_data_size`.

use super::{def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use keyhole_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC};
use keyhole_core::Timestamp;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("estimate_data_size", ("column1, column2, … | *", 1, 4096) -> T(Type::Long), "An estimate of the bytes of the given cells (8 for numbers, datetimes and timespans, 1 for bools, text and dynamic values by their UTF-8 length).", Eval(estimate_data_size), [("estimate_data_size('1234567890', 1)", "18")]),
    def!("tostring", ("value", 1, 1) -> T(Type::String), "The value as text; null becomes an empty string.", Eval(tostring), [("tostring(12)", "12")]),
    def!("toint" | "int", ("value", 1, 1) -> T(Type::Int), "The value as a 32-bit integer, or null.", Eval(toint), [("toint(\"42\")", "42")]),
    def!("tolong" | "long", ("value", 1, 1) -> T(Type::Long), "The value as a 64-bit integer, or null.", Eval(toint), [("tolong(2.7)", "2")]),
    def!("todouble" | "toreal" | "real" | "double", ("value", 1, 1) -> T(Type::Real), "The value as a real number, or null.", Eval(toreal), [("todouble(\"1.5\")", "1.5")]),
    def!("tobool" | "toboolean" | "bool", ("value", 1, 1) -> T(Type::Bool), "The value as a boolean (true/false/1/0), or null.", Eval(tobool), [("tobool(\"true\")", "true")]),
    def!("todynamic" | "toobject" | "parse_json", ("json", 1, 1) -> T(Type::Dynamic), "Text parsed as JSON (a dynamic value).", Eval(todynamic), [("todynamic('{\"a\":1}').a", "1")]),
    def!("todatetime", ("value", 1, 1) -> T(Type::DateTime), "Text parsed as a datetime, or null.", Eval(todatetime), [("todatetime(\"2024-04-03 14:03:10\")", "2024-04-03T14:03:10Z")]),
    def!("totimespan", ("value", 1, 1) -> T(Type::TimeSpan), "Text (`1.02:03:04`, `30m`) as a timespan, or null.", Eval(totimespan), [("totimespan(\"00:05:00\")", "00:05:00")]),
    def!("toguid", ("value", 1, 1) -> T(Type::Guid), "Text as a guid (lower-cased), or null.", Eval(toguid)),
    def!("gettype", ("value", 1, 1) -> T(Type::String), "The runtime type name of a value.", Eval(gettype), [("gettype(1.5)", "real")]),
];

fn tostring(a: &[Value], _: &Env) -> Value {
    Value::str(&a[0].to_kql_string())
}

fn toint(a: &[Value], _: &Env) -> Value {
    to_long(&a[0])
}

fn toreal(a: &[Value], _: &Env) -> Value {
    to_real(&a[0])
}

fn tobool(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::Bool(x) => Value::Bool(x),
        Value::Long(x) => Value::Bool(x != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

fn todynamic(a: &[Value], _: &Env) -> Value {
    match &a[0] {
        Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => Value::dynamic(j),
            Err(_) => Value::dynamic(serde_json::Value::String(s.to_string())),
        },
        Value::Null => Value::Null,
        other => Value::dynamic(other.to_json()),
    }
}

fn todatetime(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::DateTime(t) => Value::DateTime(t),
        Value::String(s) => super::datetime::parse_datetime(&s)
            .map(|m| Value::DateTime(Timestamp::from_micros(m)))
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn totimespan(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::TimeSpan(t) => Value::TimeSpan(t),
        Value::String(s) => parse_timespan(&s)
            .map(Value::TimeSpan)
            .unwrap_or(Value::Null),
        Value::Long(x) => Value::TimeSpan(x / 10),
        _ => Value::Null,
    }
}

fn toguid(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::String(s) => {
            let hex: String = s.chars().filter(|c| *c != '-').collect();
            if hex.len() != 32
                || !hex.chars().all(|c| c.is_ascii_hexdigit())
                || !s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            {
                return Value::Null;
            }
            guid_text(&hex)
        }
        _ => Value::Null,
    }
}

/// A guid's text (`8-4-4-4-12` lower-case hex digits) from its 32 hex digits.
pub(crate) fn guid_text(hex32: &str) -> Value {
    let h = hex32.to_lowercase();
    Value::str(&format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn gettype(a: &[Value], _: &Env) -> Value {
    Value::str(match &a[0] {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Long(_) => "long",
        Value::Real(_) => "real",
        Value::String(_) => "string",
        Value::DateTime(_) => "datetime",
        Value::TimeSpan(_) => "timespan",
        Value::Dynamic(d) => match &**d {
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "dictionary",
            _ => "dynamic",
        },
    })
}

pub(crate) fn to_long(v: &Value) -> Value {
    match v.undyn() {
        Value::Long(x) => Value::Long(x),
        Value::Real(x) if x.is_finite() => Value::Long(x.trunc() as i64),
        Value::Bool(x) => Value::Long(x as i64),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>()
                .map(Value::Long)
                .or_else(|_| t.parse::<f64>().map(|f| Value::Long(f.trunc() as i64)))
                .unwrap_or(Value::Null)
        }
        Value::DateTime(t) => Value::Long(t.micros * 10 + 621_355_968_000_000_000),
        Value::TimeSpan(t) => Value::Long(t * 10),
        _ => Value::Null,
    }
}

pub(crate) fn to_real(v: &Value) -> Value {
    match v.undyn() {
        Value::Long(x) => Value::Real(x as f64),
        Value::Real(x) => Value::Real(x),
        Value::Bool(x) => Value::Real(x as i64 as f64),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Value::Real)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// Parse a timespan text: `1.02:03:04.5`, `00:05:00`, or a literal like `30d`.
pub(crate) fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(toks) = crate::lexer::tokenize(s) {
        if toks.len() == 2 {
            if let crate::lexer::Tok::TimeSpan(v) = toks[0].tok {
                return Some(v);
            }
        }
    }
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (days, rest) = match s.split_once('.') {
        Some((d, r)) if r.contains(':') && !d.contains(':') => (d.parse::<i64>().ok()?, r),
        _ => (0, s),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let h: i64 = parts[0].parse().ok()?;
    let m: i64 = parts[1].parse().ok()?;
    let sec: f64 = parts[2].parse().ok()?;
    let v = days * MICROS_PER_DAY
        + h * MICROS_PER_HOUR
        + m * MICROS_PER_MIN
        + (sec * MICROS_PER_SEC as f64).round() as i64;
    Some(if neg { -v } else { v })
}

/// A value converted to a declared type (`to typeof(long)`, typed parameters); null stays null.
pub(crate) fn cast(v: &Value, ty: Type) -> Value {
    let env = Env::new(0, usize::MAX);
    let a = std::slice::from_ref(v);
    match (v, ty) {
        (Value::Null, _) => Value::Null,
        (_, Type::Long | Type::Int) => to_long(v),
        (_, Type::Real) => to_real(v),
        (_, Type::String) => tostring(a, &env),
        (_, Type::Bool) => tobool(a, &env),
        (_, Type::DateTime) => todatetime(a, &env),
        (_, Type::TimeSpan) => totimespan(a, &env),
        (_, Type::Guid) => toguid(a, &env),
        (Value::Dynamic(_), Type::Dynamic) => v.clone(),
        (_, Type::Dynamic) => Value::dynamic(v.to_json()),
    }
}

/// estimate-data-size-function.md: a long is 8 bytes, text its length (`range x … | extend
/// Text = '1234567890'` is 18 a row); a dynamic value counts its JSON text.
fn estimate_data_size(a: &[Value], _: &Env) -> Value {
    let size = |v: &Value| -> i64 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::String(s) => s.len() as i64,
            Value::Dynamic(d) => match &**d {
                serde_json::Value::String(s) => s.len() as i64,
                other => other.to_string().len() as i64,
            },
            _ => 8,
        }
    };
    Value::Long(a.iter().map(size).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_parse() {
        assert_eq!(parse_timespan("00:05:00"), Some(5 * MICROS_PER_MIN));
        assert_eq!(
            parse_timespan("1.00:00:01.5"),
            Some(MICROS_PER_DAY + 1_500_000)
        );
        assert_eq!(parse_timespan("30d"), Some(30 * MICROS_PER_DAY));
    }
}
