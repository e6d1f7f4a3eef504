//! Scalar values and types, with Kusto's comparison, hashing and rendering rules.

use keyhole_core::time::{
    civil_from_days, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC,
};
use keyhole_core::Timestamp;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A column's scalar type (Kusto's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    Long,
    Real,
    String,
    DateTime,
    TimeSpan,
    Dynamic,
    Guid,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Long => "long",
            Type::Real => "real",
            Type::String => "string",
            Type::DateTime => "datetime",
            Type::TimeSpan => "timespan",
            Type::Dynamic => "dynamic",
            Type::Guid => "guid",
        }
    }

    /// Numbers (int, long, real).
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Long | Type::Real)
    }

    /// Log Analytics gives an empty string for a missing string (or guid) column, null otherwise.
    pub fn missing(self) -> Value {
        match self {
            Type::String | Type::Guid => Value::String(Arc::from("")),
            _ => Value::Null,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One scalar. Strings share their bytes with the events (`Arc<str>`); `guid` columns hold their
/// text in `String` (their column type says `guid`).
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    String(Arc<str>),
    DateTime(Timestamp),
    /// Microseconds.
    TimeSpan(i64),
    Dynamic(Arc<serde_json::Value>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// `isempty()`: null or the empty string (or an empty dynamic string).
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Dynamic(d) => match &**d {
                serde_json::Value::Null => true,
                serde_json::Value::String(s) => s.is_empty(),
                _ => false,
            },
            _ => false,
        }
    }

    /// The runtime type of a non-null value.
    pub fn type_of(&self) -> Option<Type> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => Type::Bool,
            Value::Long(_) => Type::Long,
            Value::Real(_) => Type::Real,
            Value::String(_) => Type::String,
            Value::DateTime(_) => Type::DateTime,
            Value::TimeSpan(_) => Type::TimeSpan,
            Value::Dynamic(_) => Type::Dynamic,
        })
    }

    /// Truthiness in `where`: only `true` passes (null and everything else filter the row out).
    pub fn is_true(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Dynamic(d) => d.as_bool() == Some(true),
            _ => false,
        }
    }

    /// Numeric view (long, real, dynamic number).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Long(v) => Some(*v as f64),
            Value::Real(v) => Some(*v),
            Value::Dynamic(d) => d.as_f64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Long(v) => Some(*v),
            Value::Real(v) if v.is_finite() => Some(v.trunc() as i64),
            Value::Dynamic(d) => d.as_i64().or_else(|| d.as_f64().map(|f| f.trunc() as i64)),
            _ => None,
        }
    }

    /// The text `tostring()` gives: strings as themselves, null as "", others rendered.
    pub fn to_kql_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::String(s) => s.to_string(),
            Value::Dynamic(d) => match &**d {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            },
            other => other.to_string(),
        }
    }

    /// As JSON (for `to_json` and dynamic construction).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Long(v) => serde_json::Value::from(*v),
            Value::Real(v) => serde_json::Number::from_f64(*v)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::DateTime(t) => serde_json::Value::String(format_datetime(*t)),
            Value::TimeSpan(m) => serde_json::Value::String(format_timespan(*m)),
            Value::Dynamic(d) => (**d).clone(),
        }
    }

    /// A dynamic value from JSON, with JSON scalars kept dynamic.
    pub fn dynamic(v: serde_json::Value) -> Value {
        Value::Dynamic(Arc::new(v))
    }

    /// Unwrap a dynamic scalar to the matching Kusto scalar (for comparisons and arithmetic).
    pub fn undyn(&self) -> Value {
        match self {
            Value::Dynamic(d) => match &**d {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Bool(b) => Value::Bool(*b),
                serde_json::Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        Value::Long(i)
                    } else {
                        Value::Real(n.as_f64().unwrap_or(f64::NAN))
                    }
                }
                serde_json::Value::String(s) => Value::str(s),
                _ => self.clone(),
            },
            other => other.clone(),
        }
    }
}

/// Equality as `==` means it (no null = null; long == real by value). `None` when either side is
/// null (Kusto's comparison with null yields null, which filters out).
pub fn kql_eq(a: &Value, b: &Value) -> Option<bool> {
    // Fast paths without unwrapping dynamics.
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => return None,
        (Value::String(x), Value::String(y)) => return Some(x == y),
        (Value::Long(x), Value::Long(y)) => return Some(x == y),
        (Value::Real(x), Value::Real(y)) => return Some(x == y),
        (Value::DateTime(x), Value::DateTime(y)) => return Some(x.micros == y.micros),
        _ => {}
    }
    let (a, b) = (a.undyn(), b.undyn());
    match (&a, &b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.micros == y.micros),
        (Value::TimeSpan(x), Value::TimeSpan(y)) => Some(x == y),
        (Value::Dynamic(x), Value::Dynamic(y)) => Some(x == y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Some(x == y),
            _ => Some(a.to_kql_string() == b.to_kql_string()),
        },
    }
}

/// Ordering for `<`, `>` and sorting; `None` when incomparable or null.
pub fn kql_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => return None,
        (Value::String(x), Value::String(y)) => return Some(x.cmp(y)),
        (Value::Long(x), Value::Long(y)) => return Some(x.cmp(y)),
        (Value::Real(x), Value::Real(y)) => return x.partial_cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => return Some(x.micros.cmp(&y.micros)),
        (Value::TimeSpan(x), Value::TimeSpan(y)) => return Some(x.cmp(y)),
        _ => {}
    }
    let (a, b) = (a.undyn(), b.undyn());
    match (&a, &b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.micros.cmp(&y.micros)),
        (Value::TimeSpan(x), Value::TimeSpan(y)) => Some(x.cmp(y)),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        },
    }
}

/// A total order for sorting: nulls first (the caller flips for `nulls last`), then by type, then
/// by value.
pub fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    if let Some(o) = kql_cmp(a, b) {
        return o;
    }
    type_rank(a)
        .cmp(&type_rank(b))
        .then_with(|| a.to_kql_string().cmp(&b.to_kql_string()))
}

fn type_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Long(_) | Value::Real(_) => 2,
        Value::DateTime(_) => 3,
        Value::TimeSpan(_) => 4,
        Value::String(_) => 5,
        Value::Dynamic(_) => 6,
    }
}

/// Grouping / join-key identity: nulls group together, long 1 and real 1.0 are one key,
/// strings are case-sensitive.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Long(a), Value::Long(b)) => a == b,
            (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits() || a == b,
            (Value::Long(a), Value::Real(b)) | (Value::Real(b), Value::Long(a)) => {
                (*a as f64) == *b
            }
            (Value::String(a), Value::String(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a.micros == b.micros,
            (Value::TimeSpan(a), Value::TimeSpan(b)) => a == b,
            (Value::Dynamic(a), Value::Dynamic(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => {
                1u8.hash(h);
                b.hash(h)
            }
            Value::Long(v) => {
                2u8.hash(h);
                (*v as f64).to_bits().hash(h)
            }
            Value::Real(v) => {
                2u8.hash(h);
                let v = if *v == 0.0 { 0.0 } else { *v };
                v.to_bits().hash(h)
            }
            Value::String(s) => {
                3u8.hash(h);
                s.hash(h)
            }
            Value::DateTime(t) => {
                4u8.hash(h);
                t.micros.hash(h)
            }
            Value::TimeSpan(t) => {
                5u8.hash(h);
                t.hash(h)
            }
            Value::Dynamic(d) => {
                6u8.hash(h);
                d.to_string().hash(h)
            }
        }
    }
}

/// Rendering as Log Analytics shows values: datetimes `2024-04-03T14:03:10.788626Z`,
/// timespans `1.02:03:04.5000000`, reals without a trailing `.0`, dynamic as JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Long(v) => write!(f, "{v}"),
            Value::Real(v) => f.write_str(&format_real(*v)),
            Value::String(s) => f.write_str(s),
            Value::DateTime(t) => f.write_str(&format_datetime(*t)),
            Value::TimeSpan(m) => f.write_str(&format_timespan(*m)),
            // A dynamic string shows as its text (as the Log Analytics grid does), anything else as JSON.
            Value::Dynamic(d) => match &**d {
                serde_json::Value::String(s) => f.write_str(s),
                other => write!(f, "{other}"),
            },
        }
    }
}

pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// `2024-04-03T14:03:10.788626Z`; the fraction drops trailing zeros, and whole seconds have none.
pub fn format_datetime(t: Timestamp) -> String {
    let days = t.micros.div_euclid(MICROS_PER_DAY);
    let rem = t.micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let h = rem / MICROS_PER_HOUR;
    let mi = (rem / MICROS_PER_MIN) % 60;
    let s = (rem / MICROS_PER_SEC) % 60;
    let frac = rem % MICROS_PER_SEC;
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Kusto's timespan text: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(micros: i64) -> String {
    let neg = micros < 0;
    let m = micros.unsigned_abs();
    let day = MICROS_PER_DAY as u64;
    let days = m / day;
    let rem = m % day;
    let h = rem / MICROS_PER_HOUR as u64;
    let mi = (rem / MICROS_PER_MIN as u64) % 60;
    let s = (rem / MICROS_PER_SEC as u64) % 60;
    let frac = rem % MICROS_PER_SEC as u64;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{h:02}:{mi:02}:{s:02}"));
    if frac != 0 {
        out.push_str(&format!(".{:07}", frac * 10));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_log_analytics() {
        let t = Timestamp::parse_iso("2024-04-03T14:03:10.7886260Z").unwrap();
        assert_eq!(format_datetime(t), "2024-04-03T14:03:10.788626Z");
        let t = Timestamp::parse_iso("2024-04-03T14:00:00Z").unwrap();
        assert_eq!(format_datetime(t), "2024-04-03T14:00:00Z");
        assert_eq!(format_timespan(5 * MICROS_PER_MIN), "00:05:00");
        assert_eq!(
            format_timespan(-(MICROS_PER_DAY + 1_500_000)),
            "-1.00:00:01.5000000"
        );
        assert_eq!(format_real(200.0), "200");
        assert_eq!(format_real(2.5), "2.5");
    }

    #[test]
    fn null_comparisons_are_null() {
        assert_eq!(kql_eq(&Value::Null, &Value::Null), None);
        assert_eq!(kql_eq(&Value::Long(200), &Value::Real(200.0)), Some(true));
        assert_eq!(kql_eq(&Value::str(""), &Value::str("Deny")), Some(false));
        assert!(Value::str("").is_empty() && Value::Null.is_empty());
        assert!(!Value::Long(0).is_empty());
    }
}
