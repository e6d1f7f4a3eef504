//! `parse [kind=regex|simple|relaxed] [flags=…] expr with * "lit" Col [: type] …` and
//! `parse-where` (which drops the rows that do not match). A typed column's text must convert
//! to its type, else the whole match fails (simple and regex kinds) or that column is null
//! (relaxed).

use crate::ast::{Expr, ParseElem};
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Ctx};
use crate::value::{Type, Value};
use keyhole_core::Timestamp;

/// The parse kind.
pub(crate) struct Mode<'a> {
    pub regex: bool,
    pub relaxed: bool,
    pub flags: &'a str,
}

pub(crate) fn run(
    ctx: &mut Ctx,
    b: Batch,
    expr: &Expr,
    mode: Mode,
    elems: &[ParseElem],
    filter: bool,
) -> Res<Batch> {
    let regex_kind = mode.regex;
    let (c, _) = ctx.compile(expr, &b)?;
    let mut pat = String::new();
    let flags: String = mode.flags.chars().filter(|f| "imsU".contains(*f)).collect();
    if regex_kind && !flags.is_empty() {
        pat.push_str(&format!("(?{flags})"));
    }
    pat.push('^');
    let mut cols: Vec<(String, Type)> = Vec::new();
    for (i, e) in elems.iter().enumerate() {
        let last = i + 1 == elems.len();
        match e {
            ParseElem::Star => pat.push_str(if last { ".*" } else { ".*?" }),
            ParseElem::Lit(l) => pat.push_str(&if regex_kind {
                l.clone()
            } else {
                regex::escape(l)
            }),
            ParseElem::Col(n, t) => {
                // Numbers match as numbers (so `n: long *` takes the digits, not nothing).
                pat.push_str(match t {
                    Type::Long | Type::Int => r"(-?\d+)",
                    Type::Real => r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)",
                    _ if last => "(.*)",
                    _ => "(.*?)",
                });
                cols.push((n.clone(), *t));
            }
        }
    }
    pat.push('$');
    let re = regex::RegexBuilder::new(&pat)
        .size_limit(1 << 20)
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| {
            RawError::new(
                expr.span,
                format!(
                    "invalid parse pattern: {}",
                    e.to_string().lines().last().unwrap_or("")
                ),
            )
        })?;
    let texts = ctx.eval_rows(&c, &b);
    let mut out: Vec<Vec<Value>> = vec![Vec::with_capacity(b.len); cols.len()];
    let mut keep = Vec::new();
    for (r, t) in texts.iter().enumerate() {
        let s = t.to_kql_string();
        let converted: Option<Vec<Value>> = re.captures(&s).and_then(|caps| {
            let mut vals = Vec::with_capacity(cols.len());
            for (k, (_, ty)) in cols.iter().enumerate() {
                let m = caps.get(k + 1).map(|m| m.as_str()).unwrap_or("");
                let v = convert_text(m, *ty);
                if v.is_null() && !mode.relaxed {
                    return None;
                }
                vals.push(v);
            }
            Some(vals)
        });
        match converted {
            Some(vals) => {
                keep.push(r as u32);
                for (k, v) in vals.into_iter().enumerate() {
                    out[k].push(v);
                }
            }
            None => {
                for (k, (_, ty)) in cols.iter().enumerate() {
                    out[k].push(ty.missing());
                }
            }
        }
    }
    let mut b = b;
    for ((name, ty), vals) in cols.into_iter().zip(out) {
        b.set_col(values_col(name, ty, vals));
    }
    if filter && keep.len() != b.len {
        return Ok(b.gather(&keep));
    }
    Ok(b)
}

/// Text extracted by `parse`, converted to the declared column type.
pub(super) fn convert_text(s: &str, ty: Type) -> Value {
    match ty {
        Type::String | Type::Guid => Value::str(s),
        Type::Long | Type::Int => s
            .trim()
            .parse::<i64>()
            .map(Value::Long)
            .unwrap_or(Value::Null),
        Type::Real => s
            .trim()
            .parse::<f64>()
            .map(Value::Real)
            .unwrap_or(Value::Null),
        Type::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::Null,
        },
        Type::DateTime => crate::functions::parse_datetime(s)
            .map(|m| Value::DateTime(Timestamp::from_micros(m)))
            .unwrap_or(Value::Null),
        Type::TimeSpan => crate::functions::parse_timespan(s)
            .map(Value::TimeSpan)
            .unwrap_or(Value::Null),
        Type::Dynamic => serde_json::from_str(s)
            .map(Value::dynamic)
            .unwrap_or(Value::Null),
    }
}
