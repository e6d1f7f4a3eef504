//! Workbook parameters: `{Name}`, `{Name:start}`, `{Name:end}`, `{Name:grain}`, `{Name:label}`,
//! `{Name:value}`, `{Name:query}` in a query's text are replaced by bound values before it is
//! parsed, as an Azure workbook does. Errors keep pointing into the text as written.
//!
//! A value is inserted as written, except for time ranges: a value `START..END` (two ISO
//! datetimes) or a timespan (`14d`, the range ending now) gives `{Name:start}` =
//! `datetime(START)`, `{Name:end}` = `datetime(END)`, `{Name:grain}` = the bin a workbook
//! would choose for the range's length, and `{Name}` = `between (datetime(START) .. datetime(END))`.
//!
//! A reference outside string literals that no value binds is an error naming it; inside a
//! string an unbound `{…}` is left alone (regexes such as `\p{L}` are not parameters), as is a
//! function body `(…){T}` and anything after `//`.

use crate::error::{RawError, Res};
use crate::value::format_timespan;
use keyhole_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN};
use keyhole_core::Timestamp;
use std::collections::BTreeMap;

/// Where substituted text came from: `(new start, new end, old start, old end)` a replacement.
#[derive(Default, Debug)]
pub(crate) struct PosMap {
    spans: Vec<(usize, usize, usize, usize)>,
}

impl PosMap {
    /// A byte offset in the substituted text as an offset in the original.
    pub fn back(&self, off: usize) -> usize {
        let mut delta: isize = 0;
        for &(ns, ne, os, oe) in &self.spans {
            if off < ns {
                break;
            }
            if off < ne {
                return os;
            }
            delta += (oe - os) as isize - (ne - ns) as isize;
        }
        (off as isize + delta).max(0) as usize
    }

    pub fn back_error(&self, mut e: RawError) -> RawError {
        e.span = (
            self.back(e.span.0),
            self.back(e.span.1).max(self.back(e.span.0)),
        );
        e
    }
}

/// A time range parameter's value.
enum Range {
    Absolute(Timestamp, Timestamp),
    /// The last `micros` before now.
    Relative(i64),
}

fn parse_range(v: &str) -> Option<Range> {
    let v = v.trim();
    if let Some((a, b)) = v.split_once("..") {
        let a = Timestamp::parse_iso(a.trim())?;
        let b = Timestamp::parse_iso(b.trim())?;
        return Some(Range::Absolute(a, b));
    }
    crate::functions::parse_timespan(v)
        .filter(|m| *m > 0)
        .map(Range::Relative)
}

/// The first and last microsecond of time-range parameter `name` as bound in `params` (any
/// case), a timespan ending at `now`; `None` when it is unbound or not a time range.
pub(crate) fn bound_range(
    params: &BTreeMap<String, String>,
    name: &str,
    now: i64,
) -> Option<(i64, i64)> {
    match parse_range(lookup(params, name)?)? {
        Range::Absolute(a, b) => Some((a.micros, b.micros)),
        Range::Relative(m) => Some((now - m, now)),
    }
}

fn iso(t: Timestamp) -> String {
    crate::value::format_datetime(t)
}

/// The bin a workbook picks for a range: the smallest of 1m … 7d that cuts it into at most 50
/// bins (24 hours → 30m, 14 days → 12h, 90 days → 2d).
pub(crate) fn grain(micros: i64) -> String {
    const STEPS: &[(i64, &str)] = &[
        (MICROS_PER_MIN, "1m"),
        (5 * MICROS_PER_MIN, "5m"),
        (15 * MICROS_PER_MIN, "15m"),
        (30 * MICROS_PER_MIN, "30m"),
        (MICROS_PER_HOUR, "1h"),
        (3 * MICROS_PER_HOUR, "3h"),
        (6 * MICROS_PER_HOUR, "6h"),
        (12 * MICROS_PER_HOUR, "12h"),
        (MICROS_PER_DAY, "1d"),
        (2 * MICROS_PER_DAY, "2d"),
        (7 * MICROS_PER_DAY, "7d"),
    ];
    STEPS
        .iter()
        .find(|(s, _)| micros / s <= 50)
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| "7d".to_string())
}

fn expand(name: &str, part: Option<&str>, value: &str, at: (usize, usize)) -> Res<String> {
    let part = part.map(|p| p.to_ascii_lowercase());
    let range = parse_range(value);
    let need_range = |what: &str| {
        RawError::new(
            at,
            format!("parameter {{{name}:{what}}} needs a time range (START..END or a timespan such as 14d), but {name} is '{value}'"),
        )
    };
    Ok(match (part.as_deref(), &range) {
        (None | Some("query"), Some(Range::Absolute(a, b))) => {
            format!("between (datetime({}) .. datetime({}))", iso(*a), iso(*b))
        }
        (None | Some("query"), Some(Range::Relative(m))) => format!("> ago({})", literal_span(*m)),
        (None | Some("value"), _) => value.to_string(),
        (Some("start"), Some(Range::Absolute(a, _))) => format!("datetime({})", iso(*a)),
        (Some("start"), Some(Range::Relative(m))) => format!("ago({})", literal_span(*m)),
        (Some("end"), Some(Range::Absolute(_, b))) => format!("datetime({})", iso(*b)),
        (Some("end"), Some(Range::Relative(_))) => "now()".to_string(),
        (Some("grain"), Some(Range::Absolute(a, b))) => grain(b.micros - a.micros),
        (Some("grain"), Some(Range::Relative(m))) => grain(*m),
        (Some("label"), Some(Range::Absolute(a, b))) => format!("{} - {}", iso(*a), iso(*b)),
        (Some("label"), Some(Range::Relative(m))) => format!("Last {}", format_timespan(*m)),
        (Some("label"), None) => value.to_string(),
        (Some(p @ ("start" | "end" | "grain")), None) => return Err(need_range(p)),
        (Some(p), _) => {
            return Err(RawError::expected(
                at,
                format!("unknown parameter format '{{{name}:{p}}}'"),
                &["start", "end", "grain", "label", "value", "query"],
            ))
        }
    })
}

/// A timespan as a KQL literal (`14d`, `90m`, `3600s`).
fn literal_span(m: i64) -> String {
    for (u, s) in [
        (MICROS_PER_DAY, "d"),
        (MICROS_PER_HOUR, "h"),
        (MICROS_PER_MIN, "m"),
        (1_000_000, "s"),
    ] {
        if m % u == 0 {
            return format!("{}{s}", m / u);
        }
    }
    format!("{}microseconds", m)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `{Name}` or `{Name:part}` at `i` (which holds `{`): (end, name, part).
fn reference(b: &[u8], i: usize) -> Option<(usize, &str, Option<&str>)> {
    let s = std::str::from_utf8(b).ok()?;
    let mut j = i + 1;
    if !b.get(j).copied().is_some_and(is_ident_start) {
        return None;
    }
    while b.get(j).copied().is_some_and(is_ident) {
        j += 1;
    }
    let name = &s[i + 1..j];
    let mut part = None;
    if b.get(j) == Some(&b':') {
        let k = j + 1;
        let mut e = k;
        while b.get(e).is_some_and(|c| c.is_ascii_alphabetic()) {
            e += 1;
        }
        if e == k {
            return None;
        }
        part = Some(&s[k..e]);
        j = e;
    }
    (b.get(j) == Some(&b'}')).then_some((j + 1, name, part))
}

fn lookup<'a>(params: &'a BTreeMap<String, String>, name: &str) -> Option<&'a String> {
    params.get(name).or_else(|| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The workbook parameters `query` refers to, as [`substitute`] reads them (not in comments or
/// function bodies; inside strings only when `params` binds them): each name once, in order.
pub fn references(query: &str, params: &BTreeMap<String, String>) -> Vec<String> {
    let map = substitute_with(query, params, true)
        .or_else(|_| substitute_with(query, &BTreeMap::new(), true))
        .map(|(_, m)| m)
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for &(_, _, a, b) in &map.spans {
        let inner = query.get(a + 1..b.saturating_sub(1)).unwrap_or_default();
        let name = inner.split(':').next().unwrap_or_default();
        if !name.is_empty() && !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            out.push(name.to_string());
        }
    }
    out
}

/// Replace the parameter references of `query`.
pub(crate) fn substitute(query: &str, params: &BTreeMap<String, String>) -> Res<(String, PosMap)> {
    substitute_with(query, params, false)
}

/// Like [`substitute`]; with `placeholders`, an unbound reference becomes `dynamic(null)` (for a
/// syntax check without values).
pub(crate) fn substitute_with(
    query: &str,
    params: &BTreeMap<String, String>,
    placeholders: bool,
) -> Res<(String, PosMap)> {
    let b = query.as_bytes();
    if !b.contains(&b'{') {
        return Ok((query.to_string(), PosMap::default()));
    }
    let mut out = String::with_capacity(query.len());
    let mut map = PosMap::default();
    let mut i = 0;
    let mut last = 0;
    // Lexical state: inside a string (its quote, verbatim or not) or a comment.
    let mut quote: Option<(u8, bool)> = None;
    while i < b.len() {
        let c = b[i];
        if let Some((q, verbatim)) = quote {
            {
                if c == b'\n' {
                    quote = None;
                } else if c == b'\\' && !verbatim {
                    i += 2;
                    continue;
                } else if c == q {
                    if verbatim && b.get(i + 1) == Some(&q) {
                        i += 2;
                        continue;
                    }
                    quote = None;
                } else if c == b'{' {
                    if let Some((end, name, part)) = reference(b, i) {
                        if let Some(v) = lookup(params, name) {
                            let text = expand(name, part, v, (i, end))?;
                            out.push_str(&query[last..i]);
                            map.spans.push((out.len(), out.len() + text.len(), i, end));
                            out.push_str(&text);
                            last = end;
                            i = end;
                            continue;
                        }
                    }
                }
                i += 1;
                continue;
            }
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'"' || c == b'\'' {
            quote = Some((c, i > 0 && matches!(b[i - 1], b'@')));
            i += 1;
            continue;
        }
        if c == b'{' {
            if let Some((end, name, part)) = reference(b, i) {
                let body = query[..i].trim_end().ends_with(')');
                match lookup(params, name) {
                    Some(v) => {
                        let text = expand(name, part, v, (i, end))?;
                        out.push_str(&query[last..i]);
                        map.spans.push((out.len(), out.len() + text.len(), i, end));
                        out.push_str(&text);
                        last = end;
                        i = end;
                        continue;
                    }
                    None if !body && placeholders => {
                        let text = "dynamic(null)";
                        out.push_str(&query[last..i]);
                        map.spans.push((out.len(), out.len() + text.len(), i, end));
                        out.push_str(text);
                        last = end;
                        i = end;
                        continue;
                    }
                    None if !body => {
                        return Err(RawError::new(
                            (i, end),
                            format!(
                                "workbook parameter '{name}' is not bound; give it a value (keyhole query --param {name}=VALUE)"
                            ),
                        ))
                    }
                    None => {}
                }
            }
        }
        i += 1;
    }
    out.push_str(&query[last..]);
    Ok((out, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitutes_values_and_time_parts() {
        let params = p(&[
            ("KeyVault", "'/a','/b'"),
            ("TimeRange", "2024-04-01T00:00:00Z..2024-04-02T00:00:00Z"),
            ("Baseline", "14d"),
        ]);
        let (q, _) = substitute(
            "T | where x in ({KeyVault}) and t > {TimeRange:start} and t < {timerange:end} | summarize by bin(t, {TimeRange:grain}) // {Nope}\n| extend s = \"[{KeyVault}]\", r = @\"\\p{L}\", b = {Baseline:start}",
            &params,
        )
        .unwrap();
        assert_eq!(q, "T | where x in ('/a','/b') and t > datetime(2024-04-01T00:00:00Z) and t < datetime(2024-04-02T00:00:00Z) | summarize by bin(t, 30m) // {Nope}\n| extend s = \"['/a','/b']\", r = @\"\\p{L}\", b = ago(14d)");
    }

    #[test]
    fn unbound_names_are_errors_that_name_them() {
        let e = substitute("T | where x > {Threshold}", &BTreeMap::new()).unwrap_err();
        assert!(e.message.contains("'Threshold'"), "{}", e.message);
        assert_eq!(e.span, (14, 25));
        let e = substitute("T | where t > {X:start}", &p(&[("X", "abc")])).unwrap_err();
        assert!(e.message.contains("time range"), "{}", e.message);
        // A function body is not a parameter.
        assert!(substitute("let f = (){T}; f()", &BTreeMap::new()).is_ok());
    }

    #[test]
    fn positions_map_back() {
        let (q, map) =
            substitute("T | where a in ({K}) | bad", &p(&[("K", "'x','y','z'")])).unwrap();
        let bad = q.find("bad").unwrap();
        assert_eq!(
            map.back(bad),
            "T | where a in ({K}) | bad".find("bad").unwrap()
        );
        assert_eq!(map.back(q.find("'y'").unwrap()), 16);
    }

    #[test]
    fn grains() {
        assert_eq!(grain(MICROS_PER_DAY), "30m");
        assert_eq!(grain(14 * MICROS_PER_DAY), "12h");
        assert_eq!(grain(90 * MICROS_PER_DAY), "2d");
        assert_eq!(grain(30 * MICROS_PER_MIN), "1m");
    }
}
