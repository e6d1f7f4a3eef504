//! Scalar expressions: compiled against a schema (names resolved to column indices, functions to
//! builtins, types inferred, constants folded for `in` lists and regexes), then evaluated per row.

use crate::ast::{BinOp, Expr, ExprKind, Span, StrOp};
use crate::error::{did_you_mean, RawError, Res};
use crate::value::{format_datetime, kql_cmp, kql_eq, Type, Value};
use keyhole_core::time::{
    civil_from_days, days_from_civil, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN,
    MICROS_PER_SEC,
};
use keyhole_core::Timestamp;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Builtin scalar functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Ago,
    Now,
    Bin,
    Abs,
    ToString,
    ToInt,
    ToLong,
    ToDouble,
    ToBool,
    ToDynamic,
    ToDateTime,
    ToTimeSpan,
    ToGuid,
    IsEmpty,
    IsNotEmpty,
    IsNull,
    IsNotNull,
    StrCat,
    StrCatDelim,
    ToLower,
    ToUpper,
    Split,
    Extract,
    Iff,
    Case,
    Coalesce,
    FormatDateTime,
    Not,
    StrLen,
    Substring,
    ReplaceString,
    Trim,
    IndexOf,
    ArrayLength,
    StartOfDay,
    StartOfHour,
    HourOfDay,
    DayOfWeek,
    Round,
    Ceiling,
    Sqrt,
    Log10,
    Pow,
    BagKeys,
    Pack,
    PackArray,
    ParseUrl,
    Min2,
    Max2,
    TypeOf,
    DateTimeDiff,
    DateTimeAdd,
    DayOfMonth,
    Month,
    Year,
    EndOfDay,
    StartOfWeek,
    StartOfMonth,
    ReplaceRegex,
    TrimStart,
    TrimEnd,
    CountOf,
    Ipv4InRange,
    Ipv4Private,
    SetHasElement,
    StrcatArray,
}

/// (name, func, min args, max args)
const FUNCS: &[(&str, Func, usize, usize)] = &[
    ("ago", Func::Ago, 1, 1),
    ("now", Func::Now, 0, 1),
    ("bin", Func::Bin, 2, 2),
    ("floor", Func::Bin, 2, 2),
    ("abs", Func::Abs, 1, 1),
    ("tostring", Func::ToString, 1, 1),
    ("toint", Func::ToInt, 1, 1),
    ("tolong", Func::ToLong, 1, 1),
    ("long", Func::ToLong, 1, 1),
    ("int", Func::ToInt, 1, 1),
    ("real", Func::ToDouble, 1, 1),
    ("double", Func::ToDouble, 1, 1),
    ("bool", Func::ToBool, 1, 1),
    ("todouble", Func::ToDouble, 1, 1),
    ("toreal", Func::ToDouble, 1, 1),
    ("tobool", Func::ToBool, 1, 1),
    ("toboolean", Func::ToBool, 1, 1),
    ("todynamic", Func::ToDynamic, 1, 1),
    ("toobject", Func::ToDynamic, 1, 1),
    ("parse_json", Func::ToDynamic, 1, 1),
    ("todatetime", Func::ToDateTime, 1, 1),
    ("totimespan", Func::ToTimeSpan, 1, 1),
    ("toguid", Func::ToGuid, 1, 1),
    ("isempty", Func::IsEmpty, 1, 1),
    ("isnotempty", Func::IsNotEmpty, 1, 1),
    ("notempty", Func::IsNotEmpty, 1, 1),
    ("isnull", Func::IsNull, 1, 1),
    ("isnotnull", Func::IsNotNull, 1, 1),
    ("notnull", Func::IsNotNull, 1, 1),
    ("strcat", Func::StrCat, 1, 64),
    ("strcat_delim", Func::StrCatDelim, 2, 64),
    ("tolower", Func::ToLower, 1, 1),
    ("toupper", Func::ToUpper, 1, 1),
    ("split", Func::Split, 2, 3),
    ("extract", Func::Extract, 3, 3),
    ("iff", Func::Iff, 3, 3),
    ("iif", Func::Iff, 3, 3),
    ("case", Func::Case, 3, 255),
    ("coalesce", Func::Coalesce, 1, 64),
    ("format_datetime", Func::FormatDateTime, 2, 2),
    ("not", Func::Not, 1, 1),
    ("strlen", Func::StrLen, 1, 1),
    ("substring", Func::Substring, 2, 3),
    ("replace_string", Func::ReplaceString, 3, 3),
    ("trim", Func::Trim, 2, 2),
    ("indexof", Func::IndexOf, 2, 2),
    ("array_length", Func::ArrayLength, 1, 1),
    ("startofday", Func::StartOfDay, 1, 1),
    ("startofhour", Func::StartOfHour, 1, 1),
    ("hourofday", Func::HourOfDay, 1, 1),
    ("dayofweek", Func::DayOfWeek, 1, 1),
    ("round", Func::Round, 1, 2),
    ("ceiling", Func::Ceiling, 1, 1),
    ("sqrt", Func::Sqrt, 1, 1),
    ("log10", Func::Log10, 1, 1),
    ("pow", Func::Pow, 2, 2),
    ("bag_keys", Func::BagKeys, 1, 1),
    ("pack", Func::Pack, 2, 128),
    ("bag_pack", Func::Pack, 2, 128),
    ("pack_array", Func::PackArray, 1, 128),
    ("parse_url", Func::ParseUrl, 1, 1),
    ("min_of", Func::Min2, 1, 64),
    ("max_of", Func::Max2, 1, 64),
    ("gettype", Func::TypeOf, 1, 1),
    ("toscalar", Func::Coalesce, 1, 1),
    ("datetime_diff", Func::DateTimeDiff, 3, 3),
    ("datetime_add", Func::DateTimeAdd, 3, 3),
    ("dayofmonth", Func::DayOfMonth, 1, 1),
    ("getmonth", Func::Month, 1, 1),
    ("monthofyear", Func::Month, 1, 1),
    ("getyear", Func::Year, 1, 1),
    ("endofday", Func::EndOfDay, 1, 1),
    ("startofweek", Func::StartOfWeek, 1, 1),
    ("startofmonth", Func::StartOfMonth, 1, 1),
    ("replace_regex", Func::ReplaceRegex, 3, 3),
    ("trim_start", Func::TrimStart, 2, 2),
    ("trim_end", Func::TrimEnd, 2, 2),
    ("countof", Func::CountOf, 2, 2),
    ("ipv4_is_in_range", Func::Ipv4InRange, 2, 2),
    ("ipv4_is_private", Func::Ipv4Private, 1, 1),
    ("set_has_element", Func::SetHasElement, 2, 2),
    ("array_contains", Func::SetHasElement, 2, 2),
    ("strcat_array", Func::StrcatArray, 2, 2),
];

/// Aggregation names (valid only in `summarize`).
pub(crate) const AGGREGATES: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "dcountif",
    "sum",
    "sumif",
    "min",
    "max",
    "avg",
    "avgif",
    "arg_max",
    "arg_min",
    "make_set",
    "make_list",
    "make_set_if",
    "make_list_if",
    "take_any",
    "any",
    "percentile",
    "stdev",
    "variance",
];

pub(crate) fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCS.iter().map(|f| f.0).chain(AGGREGATES.iter().copied())
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub(crate) enum CE {
    Const(Value),
    Col(usize),
    Call(Func, Vec<CE>),
    Extract(Arc<regex::Regex>, usize, Box<CE>),
    Bin(BinOp, Box<CE>, Box<CE>),
    Regex(Box<CE>, Arc<regex::Regex>),
    Neg(Box<CE>),
    /// `in` with a constant list: a hash set (lower-cased strings for `in~`).
    InSet {
        e: Box<CE>,
        set: Arc<HashSet<Value>>,
        neg: bool,
        ci: bool,
    },
    InList {
        e: Box<CE>,
        list: Vec<CE>,
        neg: bool,
        ci: bool,
    },
    HasAny {
        e: Box<CE>,
        list: Vec<CE>,
        all: bool,
    },
    Between {
        e: Box<CE>,
        lo: Box<CE>,
        hi: Box<CE>,
        neg: bool,
    },
    Member(Box<CE>, String),
    Index(Box<CE>, Box<CE>),
    /// `* has "x"`: the string operator over every column of the row.
    AnyColumn {
        op: StrOp,
        neg: bool,
        ncols: usize,
        rhs: Box<CE>,
    },
}

/// What names resolve to while compiling.
pub(crate) struct Scope<'a> {
    pub columns: &'a [(String, Type)],
    pub scalars: &'a HashMap<String, Value>,
    pub now: i64,
}

impl Scope<'_> {
    fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }
}

pub(crate) fn unknown_column(name: &str, span: Span, scope: &Scope) -> RawError {
    let mut msg = format!("unknown column '{name}'");
    let cands = scope
        .columns
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(scope.scalars.keys().map(|k| k.as_str()));
    if let Some(s) = did_you_mean(name, cands) {
        msg.push_str(&format!("; did you mean '{s}'?"));
    }
    RawError::new(span, msg)
}

fn unknown_function(name: &str, span: Span) -> RawError {
    let mut msg = format!("unknown function '{name}'");
    if let Some(s) = did_you_mean(name, function_names()) {
        msg.push_str(&format!("; did you mean '{s}'?"));
    }
    RawError::new(span, msg)
}

fn regex_of(pat: &CE, span: Span) -> Res<Arc<regex::Regex>> {
    match pat {
        CE::Const(Value::String(p)) => regex::RegexBuilder::new(p)
            .size_limit(1 << 20)
            .build()
            .map(Arc::new)
            .map_err(|e| {
                RawError::new(
                    span,
                    format!(
                        "invalid regular expression: {}",
                        e.to_string().lines().last().unwrap_or("")
                    ),
                )
            }),
        _ => Err(RawError::new(
            span,
            "the regular expression must be a constant string",
        )),
    }
}

fn flatten_const(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Dynamic(d) => match &**d {
            serde_json::Value::Array(a) => {
                for x in a {
                    out.push(Value::dynamic(x.clone()).undyn());
                }
            }
            _ => out.push(v.undyn()),
        },
        other => out.push(other.clone()),
    }
}

fn set_key(v: &Value, ci: bool) -> Value {
    match v.undyn() {
        Value::String(s) if ci => Value::str(&s.to_lowercase()),
        Value::Long(i) => Value::Real(i as f64),
        other => other,
    }
}

/// Compile an expression; returns the compiled form and its static type.
pub(crate) fn compile(e: &Expr, scope: &Scope) -> Res<(CE, Type)> {
    Ok(match &e.kind {
        ExprKind::Lit(v) => (CE::Const(v.clone()), v.type_of().unwrap_or(Type::Dynamic)),
        ExprKind::Name(n) => {
            if let Some(i) = scope.col(n) {
                (CE::Col(i), scope.columns[i].1)
            } else if let Some(v) = scope.scalars.get(n) {
                (CE::Const(v.clone()), v.type_of().unwrap_or(Type::Dynamic))
            } else {
                return Err(unknown_column(n, e.span, scope));
            }
        }
        ExprKind::Star => return Err(RawError::new(e.span, "'*' is not allowed here")),
        ExprKind::Subquery(_) => {
            return Err(RawError::new(
                e.span,
                "a tabular expression is not allowed here",
            ))
        }
        ExprKind::Side(_, n) => {
            return Err(RawError::new(
                e.span,
                format!("'$left.{n}' / '$right.{n}' can only be used in a join's 'on' clause"),
            ))
        }
        ExprKind::Neg(x) => {
            let (c, t) = compile(x, scope)?;
            (CE::Neg(Box::new(c)), t)
        }
        ExprKind::Member(x, name) => {
            let (c, _) = compile(x, scope)?;
            (CE::Member(Box::new(c), name.clone()), Type::Dynamic)
        }
        ExprKind::Index(x, i) => {
            let (c, _) = compile(x, scope)?;
            let (ic, _) = compile(i, scope)?;
            (CE::Index(Box::new(c), Box::new(ic)), Type::Dynamic)
        }
        ExprKind::Binary(BinOp::Str(sop, neg), l, r)
            if matches!(l.kind, ExprKind::Star) && *sop != StrOp::MatchesRegex =>
        {
            let (rc, _) = compile(r, scope)?;
            (
                CE::AnyColumn {
                    op: *sop,
                    neg: *neg,
                    ncols: scope.columns.len(),
                    rhs: Box::new(rc),
                },
                Type::Bool,
            )
        }
        ExprKind::Binary(op, l, r) => {
            let (lc, lt) = compile(l, scope)?;
            let (rc, rt) = compile(r, scope)?;
            if let BinOp::Str(StrOp::MatchesRegex, _) = op {
                let re = regex_of(&rc, r.span)?;
                return Ok((CE::Regex(Box::new(lc), re), Type::Bool));
            }
            let ty = match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                    arith_type(*op, lt, rt)
                }
                _ => Type::Bool,
            };
            let folded = CE::Bin(*op, Box::new(lc), Box::new(rc));
            (fold(folded, scope.now), ty)
        }
        ExprKind::In {
            expr,
            list,
            negated,
            ci,
        } => {
            let (c, _) = compile(expr, scope)?;
            let mut items = Vec::new();
            for x in list {
                items.push(compile(x, scope)?.0);
            }
            if items.iter().all(|i| matches!(i, CE::Const(_))) {
                let mut vals = Vec::new();
                for i in &items {
                    if let CE::Const(v) = i {
                        flatten_const(v, &mut vals);
                    }
                }
                let set: HashSet<Value> = vals
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(|v| set_key(v, *ci))
                    .collect();
                (
                    CE::InSet {
                        e: Box::new(c),
                        set: Arc::new(set),
                        neg: *negated,
                        ci: *ci,
                    },
                    Type::Bool,
                )
            } else {
                (
                    CE::InList {
                        e: Box::new(c),
                        list: items,
                        neg: *negated,
                        ci: *ci,
                    },
                    Type::Bool,
                )
            }
        }
        ExprKind::HasAny { expr, list, all } => {
            let (c, _) = compile(expr, scope)?;
            let mut items = Vec::new();
            for x in list {
                items.push(compile(x, scope)?.0);
            }
            (
                CE::HasAny {
                    e: Box::new(c),
                    list: items,
                    all: *all,
                },
                Type::Bool,
            )
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            let (c, _) = compile(expr, scope)?;
            let (l, _) = compile(lo, scope)?;
            let (h, _) = compile(hi, scope)?;
            let l = fold(l, scope.now);
            let h = fold(h, scope.now);
            (
                CE::Between {
                    e: Box::new(c),
                    lo: Box::new(l),
                    hi: Box::new(h),
                    neg: *negated,
                },
                Type::Bool,
            )
        }
        ExprKind::Call(name, args) => {
            let Some(&(_, f, min, max)) = FUNCS.iter().find(|(n, ..)| n == name) else {
                if AGGREGATES.contains(&name.as_str()) {
                    return Err(RawError::new(
                        e.span,
                        format!("aggregation '{name}()' can only be used in summarize"),
                    ));
                }
                return Err(unknown_function(name, (e.span.0, e.span.0 + name.len())));
            };
            if args.len() < min || args.len() > max {
                let want = if min == max {
                    format!("{min}")
                } else if max >= 64 {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                };
                return Err(RawError::new(
                    e.span,
                    format!(
                        "function '{name}' expects {want} argument(s), got {}",
                        args.len()
                    ),
                ));
            }
            let mut cs = Vec::with_capacity(args.len());
            let mut ts = Vec::with_capacity(args.len());
            for a in args {
                let (c, t) = compile(a, scope)?;
                cs.push(c);
                ts.push(t);
            }
            if f == Func::Extract {
                let re = regex_of(&cs[0], args[0].span)?;
                let group = match &cs[1] {
                    CE::Const(Value::Long(g)) if *g >= 0 && (*g as usize) < re.captures_len() => {
                        *g as usize
                    }
                    _ => {
                        return Err(RawError::new(
                            args[1].span,
                            format!(
                                "capture group must be a constant between 0 and {}",
                                re.captures_len() - 1
                            ),
                        ))
                    }
                };
                let text = cs.pop().unwrap_or(CE::Const(Value::Null));
                return Ok((CE::Extract(re, group, Box::new(text)), Type::String));
            }
            let ty = func_type(f, &ts);
            let c = CE::Call(f, cs);
            (fold(c, scope.now), ty)
        }
    })
}

/// Evaluate constant sub-expressions once (ago(30d), literals in comparisons).
fn fold(c: CE, now: i64) -> CE {
    let constant = match &c {
        CE::Call(_, args) => args.iter().all(|a| matches!(a, CE::Const(_))),
        CE::Bin(_, l, r) => matches!(**l, CE::Const(_)) && matches!(**r, CE::Const(_)),
        _ => false,
    };
    if constant {
        let row = Row {
            get: &|_| Value::Null,
            now,
        };
        CE::Const(eval(&c, &row))
    } else {
        c
    }
}

fn arith_type(op: BinOp, l: Type, r: Type) -> Type {
    use Type::*;
    match (op, l, r) {
        (BinOp::Sub, DateTime, DateTime) => TimeSpan,
        (BinOp::Add | BinOp::Sub, DateTime, TimeSpan) | (BinOp::Add, TimeSpan, DateTime) => {
            DateTime
        }
        (BinOp::Div, TimeSpan, TimeSpan) => Real,
        (_, TimeSpan, _) | (_, _, TimeSpan) => TimeSpan,
        (_, Real, _) | (_, _, Real) => Real,
        (BinOp::Div, Long | Int, Long | Int) => Long,
        (_, Long | Int, Long | Int) => Long,
        _ => Dynamic,
    }
}

fn func_type(f: Func, ts: &[Type]) -> Type {
    use Type::*;
    match f {
        Func::Ago | Func::Now | Func::ToDateTime | Func::StartOfDay | Func::StartOfHour => DateTime,
        Func::Bin | Func::Abs | Func::Round | Func::Ceiling => ts.first().copied().unwrap_or(Real),
        Func::ToString
        | Func::StrCat
        | Func::StrCatDelim
        | Func::ToLower
        | Func::ToUpper
        | Func::Extract
        | Func::FormatDateTime
        | Func::Substring
        | Func::ReplaceString
        | Func::Trim
        | Func::TypeOf => String,
        Func::ToGuid => Guid,
        Func::ToInt => Int,
        Func::ToLong | Func::StrLen | Func::IndexOf | Func::ArrayLength | Func::HourOfDay => Long,
        Func::ToDouble | Func::Sqrt | Func::Log10 | Func::Pow => Real,
        Func::ToBool
        | Func::IsEmpty
        | Func::IsNotEmpty
        | Func::IsNull
        | Func::IsNotNull
        | Func::Not => Bool,
        Func::ToDynamic
        | Func::Split
        | Func::BagKeys
        | Func::Pack
        | Func::PackArray
        | Func::ParseUrl => Dynamic,
        Func::ToTimeSpan | Func::DayOfWeek => TimeSpan,
        Func::Iff => ts.get(1).copied().unwrap_or(Dynamic),
        Func::Case => ts.get(1).copied().unwrap_or(Dynamic),
        Func::Coalesce | Func::Min2 | Func::Max2 => ts.first().copied().unwrap_or(Dynamic),
        Func::DateTimeDiff | Func::DayOfMonth | Func::Month | Func::Year | Func::CountOf => Long,
        Func::DateTimeAdd | Func::EndOfDay | Func::StartOfWeek | Func::StartOfMonth => DateTime,
        Func::ReplaceRegex | Func::TrimStart | Func::TrimEnd | Func::StrcatArray => String,
        Func::Ipv4InRange | Func::Ipv4Private | Func::SetHasElement => Bool,
    }
}

/// Row access during evaluation.
pub(crate) struct Row<'a> {
    pub get: &'a dyn Fn(usize) -> Value,
    pub now: i64,
}

fn b(v: Option<bool>) -> Value {
    v.map(Value::Bool).unwrap_or(Value::Null)
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(other.to_kql_string()),
    }
}

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Kusto's `has`: the needle occurs as a whole term (bounded by non-alphanumerics).
fn has_term(hay: &str, needle: &str, cs: bool, prefix_only: bool, suffix_only: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (h, n) = if cs {
        (hay.to_string(), needle.to_string())
    } else {
        (lower(hay), lower(needle))
    };
    let nstart_alnum = n.chars().next().is_some_and(is_term_char);
    let nend_alnum = n.chars().last().is_some_and(is_term_char);
    let mut from = 0;
    while let Some(p) = h[from..].find(&n) {
        let s = from + p;
        let e = s + n.len();
        let before_ok = !nstart_alnum || h[..s].chars().last().is_none_or(|c| !is_term_char(c));
        let after_ok = !nend_alnum || h[e..].chars().next().is_none_or(|c| !is_term_char(c));
        let ok = if prefix_only {
            before_ok
        } else if suffix_only {
            after_ok
        } else {
            before_ok && after_ok
        };
        if ok {
            return true;
        }
        from = s + h[s..].chars().next().map(|c| c.len_utf8()).unwrap_or(1);
    }
    false
}

fn str_op(op: StrOp, l: &Value, r: &Value) -> Option<bool> {
    let l = str_of(l).unwrap_or_default();
    let r = str_of(r).unwrap_or_default();
    Some(match op {
        StrOp::Has { cs } => has_term(&l, &r, cs, false, false),
        StrOp::HasPrefix => has_term(&l, &r, false, true, false),
        StrOp::HasSuffix => has_term(&l, &r, false, false, true),
        StrOp::Contains { cs: true } => l.contains(&r),
        StrOp::Contains { cs: false } => lower(&l).contains(&lower(&r)),
        StrOp::StartsWith { cs: true } => l.starts_with(&r),
        StrOp::StartsWith { cs: false } => lower(&l).starts_with(&lower(&r)),
        StrOp::EndsWith { cs: true } => l.ends_with(&r),
        StrOp::EndsWith { cs: false } => lower(&l).ends_with(&lower(&r)),
        StrOp::MatchesRegex => return None,
    })
}

fn arith(op: BinOp, l: &Value, r: &Value) -> Value {
    let (l, r) = (l.undyn(), r.undyn());
    use Value::*;
    match (op, &l, &r) {
        (_, Null, _) | (_, _, Null) => Null,
        (BinOp::Sub, DateTime(a), DateTime(b)) => TimeSpan(a.micros - b.micros),
        (BinOp::Add, DateTime(a), TimeSpan(b)) | (BinOp::Add, TimeSpan(b), DateTime(a)) => {
            DateTime(Timestamp::from_micros(a.micros.saturating_add(*b)))
        }
        (BinOp::Sub, DateTime(a), TimeSpan(b)) => {
            DateTime(Timestamp::from_micros(a.micros.saturating_sub(*b)))
        }
        (BinOp::Add, TimeSpan(a), TimeSpan(b)) => TimeSpan(a.saturating_add(*b)),
        (BinOp::Sub, TimeSpan(a), TimeSpan(b)) => TimeSpan(a.saturating_sub(*b)),
        (BinOp::Div, TimeSpan(a), TimeSpan(b)) => {
            if *b == 0 {
                Null
            } else {
                Real(*a as f64 / *b as f64)
            }
        }
        (BinOp::Mul, TimeSpan(a), n) | (BinOp::Mul, n, TimeSpan(a)) => match n.as_f64() {
            Some(f) => TimeSpan((*a as f64 * f) as i64),
            None => Null,
        },
        (BinOp::Div, TimeSpan(a), n) => match n.as_f64() {
            Some(f) if f != 0.0 => TimeSpan((*a as f64 / f) as i64),
            _ => Null,
        },
        (_, Long(a), Long(b)) => match op {
            BinOp::Add => Long(a.wrapping_add(*b)),
            BinOp::Sub => Long(a.wrapping_sub(*b)),
            BinOp::Mul => Long(a.wrapping_mul(*b)),
            BinOp::Div => a.checked_div(*b).map(Long).unwrap_or(Null),
            BinOp::Mod => a.checked_rem(*b).map(Long).unwrap_or(Null),
            _ => Null,
        },
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => match op {
                BinOp::Add => Real(a + b),
                BinOp::Sub => Real(a - b),
                BinOp::Mul => Real(a * b),
                BinOp::Div => Real(a / b),
                BinOp::Mod => Real(a % b),
                _ => Null,
            },
            _ => Null,
        },
    }
}

/// `x between (lo .. hi)`; a datetime range may end in a timespan (`dt .. 1h`).
fn between(x: &Value, lo: &Value, hi: &Value) -> Option<bool> {
    let hi = match (lo, hi) {
        (Value::DateTime(l), Value::TimeSpan(t)) => {
            Value::DateTime(Timestamp::from_micros(l.micros + t))
        }
        _ => hi.clone(),
    };
    let a = kql_cmp(x, lo)?;
    let b = kql_cmp(x, &hi)?;
    Some(a != Ordering::Less && b != Ordering::Greater)
}

/// Constants by reference (no clone per row), everything else evaluated.
fn eval_cow<'a>(c: &'a CE, row: &Row) -> std::borrow::Cow<'a, Value> {
    match c {
        CE::Const(v) => std::borrow::Cow::Borrowed(v),
        other => std::borrow::Cow::Owned(eval(other, row)),
    }
}

pub(crate) fn eval(c: &CE, row: &Row) -> Value {
    match c {
        CE::Const(v) => v.clone(),
        CE::Col(i) => (row.get)(*i),
        CE::Neg(x) => match eval(x, row).undyn() {
            Value::Long(v) => Value::Long(v.wrapping_neg()),
            Value::Real(v) => Value::Real(-v),
            Value::TimeSpan(v) => Value::TimeSpan(-v),
            _ => Value::Null,
        },
        CE::Bin(op, l, r) => match op {
            BinOp::And => {
                let a = eval(l, row);
                if matches!(a, Value::Bool(false)) {
                    return Value::Bool(false);
                }
                let bv = eval(r, row);
                match (a, bv) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Null,
                }
            }
            BinOp::Or => {
                let a = eval(l, row);
                if matches!(a, Value::Bool(true)) {
                    return Value::Bool(true);
                }
                let bv = eval(r, row);
                match (a, bv) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            BinOp::Eq => b(kql_eq(&eval_cow(l, row), &eval_cow(r, row))),
            BinOp::Ne => b(kql_eq(&eval_cow(l, row), &eval_cow(r, row)).map(|x| !x)),
            BinOp::EqCi | BinOp::NeCi => {
                let (a, bb) = (eval(l, row), eval(r, row));
                let eq = match (str_of(&a), str_of(&bb)) {
                    (Some(x), Some(y)) => Some(lower(&x) == lower(&y)),
                    _ => None,
                };
                b(if *op == BinOp::NeCi {
                    eq.map(|x| !x)
                } else {
                    eq
                })
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let o = kql_cmp(&eval_cow(l, row), &eval_cow(r, row));
                b(o.map(|o| match op {
                    BinOp::Lt => o == Ordering::Less,
                    BinOp::Le => o != Ordering::Greater,
                    BinOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                }))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                arith(*op, &eval(l, row), &eval(r, row))
            }
            BinOp::Str(sop, neg) => {
                b(str_op(*sop, &eval(l, row), &eval(r, row)).map(|x| x != *neg))
            }
        },
        CE::Regex(x, re) => match str_of(&eval(x, row)) {
            Some(s) => Value::Bool(re.is_match(&s)),
            None => Value::Bool(false),
        },
        CE::Extract(re, group, text) => {
            let s = eval(text, row).to_kql_string();
            match re.captures(&s).and_then(|c| c.get(*group)) {
                Some(m) => Value::str(m.as_str()),
                None => Value::str(""),
            }
        }
        CE::InSet { e, set, neg, ci } => {
            let v = eval(e, row);
            if v.is_null() {
                return Value::Bool(*neg);
            }
            let hit = match v.undyn() {
                Value::Dynamic(_) => false,
                other => set.contains(&set_key(&other, *ci)),
            };
            Value::Bool(hit != *neg)
        }
        CE::InList { e, list, neg, ci } => {
            let v = eval(e, row);
            let key = set_key(&v, *ci);
            let mut hit = false;
            for item in list {
                let mut vals = Vec::new();
                flatten_const(&eval(item, row), &mut vals);
                if vals.iter().any(|x| !x.is_null() && set_key(x, *ci) == key) {
                    hit = true;
                    break;
                }
            }
            Value::Bool(!v.is_null() && hit != *neg || (v.is_null() && *neg))
        }
        CE::HasAny { e, list, all } => {
            let s = eval(e, row).to_kql_string();
            let mut terms = Vec::new();
            for item in list {
                flatten_const(&eval(item, row), &mut terms);
            }
            let mut it = terms
                .iter()
                .map(|t| has_term(&s, &t.to_kql_string(), false, false, false));
            Value::Bool(if *all { it.all(|x| x) } else { it.any(|x| x) })
        }
        CE::Between { e, lo, hi, neg } => {
            b(between(&eval(e, row), &eval(lo, row), &eval(hi, row)).map(|x| x != *neg))
        }
        CE::Member(x, name) => member(&eval(x, row), name),
        CE::Index(x, i) => {
            let v = eval(x, row);
            let i = eval(i, row);
            match i.undyn() {
                Value::String(k) => member(&v, &k),
                Value::Long(n) => match as_json(&v) {
                    Some(serde_json::Value::Array(a)) => {
                        let idx = if n < 0 { a.len() as i64 + n } else { n };
                        if idx >= 0 && (idx as usize) < a.len() {
                            Value::dynamic(a[idx as usize].clone())
                        } else {
                            Value::Null
                        }
                    }
                    _ => Value::Null,
                },
                _ => Value::Null,
            }
        }
        CE::Call(f, args) => call(*f, args, row),
        CE::AnyColumn {
            op,
            neg,
            ncols,
            rhs,
        } => {
            let r = eval(rhs, row);
            let hit = (0..*ncols).any(|i| str_op(*op, &(row.get)(i), &r) == Some(true));
            Value::Bool(hit != *neg)
        }
    }
}

fn as_json(v: &Value) -> Option<serde_json::Value> {
    match v {
        Value::Dynamic(d) => Some((**d).clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

fn member(v: &Value, name: &str) -> Value {
    match v {
        Value::Dynamic(d) => match d.get(name) {
            Some(x) => Value::dynamic(x.clone()),
            None => Value::Null,
        },
        Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => j
                .get(name)
                .map(|x| Value::dynamic(x.clone()))
                .unwrap_or(Value::Null),
            Err(_) => Value::Null,
        },
        _ => Value::Null,
    }
}

fn to_long(v: &Value) -> Value {
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

fn to_real(v: &Value) -> Value {
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
fn parse_timespan(s: &str) -> Option<i64> {
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

fn floor_to(v: i64, size: i64) -> i64 {
    if size <= 0 {
        v
    } else {
        v.div_euclid(size) * size
    }
}

/// .NET-style datetime format: yyyy yy MM M dd d HH H hh h mm m ss s f… tt, other text literal.
fn format_dt(t: Timestamp, fmt: &str) -> String {
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
            'M' => out.push_str(&if n == 1 {
                mo.to_string()
            } else {
                format!("{mo:02}")
            }),
            'd' => out.push_str(&if n == 1 {
                d.to_string()
            } else {
                format!("{d:02}")
            }),
            'H' => out.push_str(&if n == 1 {
                h.to_string()
            } else {
                format!("{h:02}")
            }),
            'h' => {
                let h12 = if h % 12 == 0 { 12 } else { h % 12 };
                out.push_str(&if n == 1 {
                    h12.to_string()
                } else {
                    format!("{h12:02}")
                })
            }
            'm' => out.push_str(&if n == 1 {
                mi.to_string()
            } else {
                format!("{mi:02}")
            }),
            's' => out.push_str(&if n == 1 {
                s.to_string()
            } else {
                format!("{s:02}")
            }),
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

fn call(f: Func, args: &[CE], row: &Row) -> Value {
    let a = |i: usize| eval(&args[i], row);
    match f {
        Func::Ago => match a(0).undyn() {
            Value::TimeSpan(t) => {
                Value::DateTime(Timestamp::from_micros(row.now.saturating_sub(t)))
            }
            _ => Value::Null,
        },
        Func::Now => {
            let off = if args.is_empty() {
                0
            } else {
                match a(0).undyn() {
                    Value::TimeSpan(t) => t,
                    _ => 0,
                }
            };
            Value::DateTime(Timestamp::from_micros(row.now.saturating_add(off)))
        }
        Func::Bin => {
            let (v, size) = (a(0).undyn(), a(1).undyn());
            match (&v, &size) {
                (Value::DateTime(t), Value::TimeSpan(s)) => {
                    Value::DateTime(Timestamp::from_micros(floor_to(t.micros, *s)))
                }
                (Value::TimeSpan(t), Value::TimeSpan(s)) => Value::TimeSpan(floor_to(*t, *s)),
                (Value::Long(x), Value::Long(s)) => Value::Long(floor_to(*x, *s)),
                _ => match (v.as_f64(), size.as_f64()) {
                    (Some(x), Some(s)) if s > 0.0 => Value::Real((x / s).floor() * s),
                    _ => Value::Null,
                },
            }
        }
        Func::Abs => match a(0).undyn() {
            Value::Long(x) => Value::Long(x.wrapping_abs()),
            Value::Real(x) => Value::Real(x.abs()),
            Value::TimeSpan(x) => Value::TimeSpan(x.wrapping_abs()),
            _ => Value::Null,
        },
        Func::ToString => Value::str(&a(0).to_kql_string()),
        Func::ToInt | Func::ToLong => to_long(&a(0)),
        Func::ToDouble => to_real(&a(0)),
        Func::ToBool => match a(0).undyn() {
            Value::Bool(x) => Value::Bool(x),
            Value::Long(x) => Value::Bool(x != 0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Value::Bool(true),
                "false" | "0" => Value::Bool(false),
                _ => Value::Null,
            },
            _ => Value::Null,
        },
        Func::ToDynamic => match a(0) {
            Value::String(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(j) => Value::dynamic(j),
                Err(_) => Value::dynamic(serde_json::Value::String(s.to_string())),
            },
            Value::Null => Value::Null,
            other => Value::dynamic(other.to_json()),
        },
        Func::ToDateTime => match a(0).undyn() {
            Value::DateTime(t) => Value::DateTime(t),
            Value::String(s) => Timestamp::parse_any(&s, 0)
                .map(Value::DateTime)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        Func::ToTimeSpan => match a(0).undyn() {
            Value::TimeSpan(t) => Value::TimeSpan(t),
            Value::String(s) => parse_timespan(&s)
                .map(Value::TimeSpan)
                .unwrap_or(Value::Null),
            Value::Long(x) => Value::TimeSpan(x / 10),
            _ => Value::Null,
        },
        Func::ToGuid => match a(0).undyn() {
            Value::String(s)
                if s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') =>
            {
                Value::str(&s.to_lowercase())
            }
            _ => Value::Null,
        },
        Func::IsEmpty => Value::Bool(a(0).is_empty()),
        Func::IsNotEmpty => Value::Bool(!a(0).is_empty()),
        Func::IsNull => Value::Bool(a(0).undyn().is_null()),
        Func::IsNotNull => Value::Bool(!a(0).undyn().is_null()),
        Func::StrCat => {
            let mut s = String::new();
            for i in 0..args.len() {
                s.push_str(&a(i).to_kql_string());
            }
            Value::str(&s)
        }
        Func::StrCatDelim => {
            let d = a(0).to_kql_string();
            let parts: Vec<String> = (1..args.len()).map(|i| a(i).to_kql_string()).collect();
            Value::str(&parts.join(&d))
        }
        Func::ToLower => Value::str(&a(0).to_kql_string().to_lowercase()),
        Func::ToUpper => Value::str(&a(0).to_kql_string().to_uppercase()),
        Func::Split => {
            let s = a(0).to_kql_string();
            let d = a(1).to_kql_string();
            let parts: Vec<serde_json::Value> = if d.is_empty() {
                vec![serde_json::Value::String(s.clone())]
            } else {
                s.split(d.as_str())
                    .map(|p| serde_json::Value::String(p.to_string()))
                    .collect()
            };
            if args.len() == 3 {
                match a(2).as_i64() {
                    Some(i) if i >= 0 && (i as usize) < parts.len() => {
                        Value::dynamic(serde_json::Value::Array(vec![parts[i as usize].clone()]))
                    }
                    _ => Value::dynamic(serde_json::Value::Array(vec![])),
                }
            } else {
                Value::dynamic(serde_json::Value::Array(parts))
            }
        }
        Func::Extract => Value::Null,
        Func::Iff => {
            if a(0).is_true() {
                a(1)
            } else {
                a(2)
            }
        }
        Func::Case => {
            let mut i = 0;
            while i + 1 < args.len() {
                if a(i).is_true() {
                    return a(i + 1);
                }
                i += 2;
            }
            a(args.len() - 1)
        }
        Func::Coalesce => {
            for i in 0..args.len() {
                let v = a(i);
                if !v.is_empty() {
                    return v;
                }
            }
            a(args.len() - 1)
        }
        Func::FormatDateTime => match (a(0).undyn(), a(1)) {
            (Value::DateTime(t), f) => Value::str(&format_dt(t, &f.to_kql_string())),
            _ => Value::str(""),
        },
        Func::Not => match a(0).undyn() {
            Value::Bool(x) => Value::Bool(!x),
            _ => Value::Null,
        },
        Func::StrLen => match a(0) {
            Value::Null => Value::Null,
            v => Value::Long(v.to_kql_string().chars().count() as i64),
        },
        Func::Substring => {
            let s: Vec<char> = a(0).to_kql_string().chars().collect();
            let start = a(1).as_i64().unwrap_or(0).clamp(0, s.len() as i64) as usize;
            let len = if args.len() == 3 {
                a(2).as_i64().unwrap_or(0).max(0) as usize
            } else {
                s.len()
            };
            let end = start.saturating_add(len).min(s.len());
            Value::str(&s[start..end].iter().collect::<String>())
        }
        Func::ReplaceString => {
            let s = a(0).to_kql_string();
            let from = a(1).to_kql_string();
            if from.is_empty() {
                return Value::str(&s);
            }
            Value::str(&s.replace(&from, &a(2).to_kql_string()))
        }
        Func::Trim => {
            let chars = a(0).to_kql_string();
            let s = a(1).to_kql_string();
            Value::str(s.trim_matches(|c| chars.contains(c)))
        }
        Func::IndexOf => {
            let s = a(0).to_kql_string();
            let n = a(1).to_kql_string();
            Value::Long(
                s.find(&n)
                    .map(|p| s[..p].chars().count() as i64)
                    .unwrap_or(-1),
            )
        }
        Func::ArrayLength => match as_json(&a(0)) {
            Some(serde_json::Value::Array(v)) => Value::Long(v.len() as i64),
            _ => Value::Null,
        },
        Func::StartOfDay => match a(0).undyn() {
            Value::DateTime(t) => {
                Value::DateTime(Timestamp::from_micros(floor_to(t.micros, MICROS_PER_DAY)))
            }
            _ => Value::Null,
        },
        Func::StartOfHour => match a(0).undyn() {
            Value::DateTime(t) => {
                Value::DateTime(Timestamp::from_micros(floor_to(t.micros, MICROS_PER_HOUR)))
            }
            _ => Value::Null,
        },
        Func::HourOfDay => match a(0).undyn() {
            Value::DateTime(t) => {
                Value::Long(t.micros.rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR)
            }
            _ => Value::Null,
        },
        Func::DayOfWeek => match a(0).undyn() {
            // 1970-01-01 was a Thursday; Sunday is day 0.
            Value::DateTime(t) => Value::TimeSpan(
                (t.micros.div_euclid(MICROS_PER_DAY) + 4).rem_euclid(7) * MICROS_PER_DAY,
            ),
            _ => Value::Null,
        },
        Func::Round => {
            let digits = if args.len() == 2 {
                a(1).as_i64().unwrap_or(0).clamp(-15, 15)
            } else {
                0
            };
            match a(0).undyn() {
                Value::Long(x) if digits >= 0 => Value::Long(x),
                v => match v.as_f64() {
                    Some(x) => {
                        let m = 10f64.powi(digits as i32);
                        Value::Real((x * m).round() / m)
                    }
                    None => Value::Null,
                },
            }
        }
        Func::Ceiling => match a(0).undyn() {
            Value::Long(x) => Value::Long(x),
            v => v
                .as_f64()
                .map(|x| Value::Real(x.ceil()))
                .unwrap_or(Value::Null),
        },
        Func::Sqrt => a(0)
            .as_f64()
            .map(|x| Value::Real(x.sqrt()))
            .unwrap_or(Value::Null),
        Func::Log10 => a(0)
            .as_f64()
            .map(|x| Value::Real(x.log10()))
            .unwrap_or(Value::Null),
        Func::Pow => match (a(0).as_f64(), a(1).as_f64()) {
            (Some(x), Some(y)) => Value::Real(x.powf(y)),
            _ => Value::Null,
        },
        Func::BagKeys => match as_json(&a(0)) {
            Some(serde_json::Value::Object(m)) => Value::dynamic(serde_json::Value::Array(
                m.keys()
                    .map(|k| serde_json::Value::String(k.clone()))
                    .collect(),
            )),
            _ => Value::Null,
        },
        Func::Pack => {
            let mut m = serde_json::Map::new();
            let mut i = 0;
            while i + 1 < args.len() {
                m.insert(a(i).to_kql_string(), a(i + 1).to_json());
                i += 2;
            }
            Value::dynamic(serde_json::Value::Object(m))
        }
        Func::PackArray => Value::dynamic(serde_json::Value::Array(
            (0..args.len()).map(|i| a(i).to_json()).collect(),
        )),
        Func::ParseUrl => {
            let s = a(0).to_kql_string();
            let (scheme, rest) = s.split_once("://").unwrap_or(("", &s));
            let (host_port, path_q) = match rest.find('/') {
                Some(p) => (&rest[..p], &rest[p..]),
                None => (rest, ""),
            };
            let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
            let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
            let mut params = serde_json::Map::new();
            for kv in query.split('&').filter(|x| !x.is_empty()) {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                params.insert(k.to_string(), serde_json::Value::String(v.to_string()));
            }
            Value::dynamic(serde_json::json!({
                "Scheme": scheme, "Host": host, "Port": port, "Path": path,
                "Query Parameters": params, "Fragment": "",
            }))
        }
        Func::Min2 | Func::Max2 => {
            let mut best: Option<Value> = None;
            for i in 0..args.len() {
                let v = a(i);
                if v.is_null() {
                    continue;
                }
                best = Some(match best {
                    None => v,
                    Some(bv) => {
                        let o = kql_cmp(&v, &bv);
                        let take = if f == Func::Min2 {
                            o == Some(Ordering::Less)
                        } else {
                            o == Some(Ordering::Greater)
                        };
                        if take {
                            v
                        } else {
                            bv
                        }
                    }
                });
            }
            best.unwrap_or(Value::Null)
        }
        Func::DateTimeDiff => {
            let part = a(0).to_kql_string().to_ascii_lowercase();
            match (a(1).undyn(), a(2).undyn()) {
                (Value::DateTime(x), Value::DateTime(y)) => {
                    datetime_diff(&part, x.micros, y.micros)
                        .map(Value::Long)
                        .unwrap_or(Value::Null)
                }
                _ => Value::Null,
            }
        }
        Func::DateTimeAdd => {
            let part = a(0).to_kql_string().to_ascii_lowercase();
            match (a(1).as_i64(), a(2).undyn()) {
                (Some(n), Value::DateTime(t)) => datetime_add(&part, n, t.micros)
                    .map(|m| Value::DateTime(Timestamp::from_micros(m)))
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            }
        }
        Func::DayOfMonth | Func::Month | Func::Year => match a(0).undyn() {
            Value::DateTime(t) => {
                let (y, m, d) = civil_from_days(t.micros.div_euclid(MICROS_PER_DAY));
                Value::Long(match f {
                    Func::DayOfMonth => d as i64,
                    Func::Month => m as i64,
                    _ => y,
                })
            }
            _ => Value::Null,
        },
        Func::EndOfDay => match a(0).undyn() {
            Value::DateTime(t) => Value::DateTime(Timestamp::from_micros(
                floor_to(t.micros, MICROS_PER_DAY) + MICROS_PER_DAY - 1,
            )),
            _ => Value::Null,
        },
        Func::StartOfWeek => match a(0).undyn() {
            // Weeks start on Sunday; 1970-01-04 was a Sunday.
            Value::DateTime(t) => {
                let day = t.micros.div_euclid(MICROS_PER_DAY);
                Value::DateTime(Timestamp::from_micros(
                    (day - (day + 4).rem_euclid(7)) * MICROS_PER_DAY,
                ))
            }
            _ => Value::Null,
        },
        Func::StartOfMonth => match a(0).undyn() {
            Value::DateTime(t) => {
                let (y, m, _) = civil_from_days(t.micros.div_euclid(MICROS_PER_DAY));
                Value::DateTime(Timestamp::from_micros(
                    days_from_civil(y, m, 1) * MICROS_PER_DAY,
                ))
            }
            _ => Value::Null,
        },
        Func::ReplaceRegex => {
            // The pattern is compiled per call (bounded size); constant patterns are typical.
            let text = a(0).to_kql_string();
            match regex::RegexBuilder::new(&a(1).to_kql_string())
                .size_limit(1 << 20)
                .build()
            {
                Ok(re) => Value::str(&re.replace_all(&text, a(2).to_kql_string().as_str())),
                Err(_) => Value::Null,
            }
        }
        Func::TrimStart | Func::TrimEnd => {
            let chars = a(0).to_kql_string();
            let s = a(1).to_kql_string();
            let t = if f == Func::TrimStart {
                s.trim_start_matches(|c| chars.contains(c))
            } else {
                s.trim_end_matches(|c| chars.contains(c))
            };
            Value::str(t)
        }
        Func::CountOf => {
            let s = a(0).to_kql_string();
            let n = a(1).to_kql_string();
            Value::Long(if n.is_empty() {
                0
            } else {
                s.matches(n.as_str()).count() as i64
            })
        }
        Func::Ipv4InRange => {
            let ip = a(0).to_kql_string();
            let range = a(1).to_kql_string();
            match (parse_ipv4(&ip), parse_cidr(&range)) {
                (Some(x), Some((net, bits))) => {
                    let mask = if bits == 0 {
                        0
                    } else {
                        u32::MAX << (32 - bits)
                    };
                    Value::Bool(x & mask == net & mask)
                }
                _ => Value::Null,
            }
        }
        Func::Ipv4Private => match parse_ipv4(&a(0).to_kql_string()) {
            Some(x) => {
                let o = x.to_be_bytes();
                Value::Bool(
                    o[0] == 10
                        || (o[0] == 172 && (16..=31).contains(&o[1]))
                        || (o[0] == 192 && o[1] == 168),
                )
            }
            None => Value::Null,
        },
        Func::SetHasElement => {
            let needle = a(1).undyn();
            match as_json(&a(0)) {
                Some(serde_json::Value::Array(v)) => Value::Bool(
                    v.iter()
                        .any(|x| kql_eq(&Value::dynamic(x.clone()).undyn(), &needle) == Some(true)),
                ),
                _ => Value::Null,
            }
        }
        Func::StrcatArray => match as_json(&a(0)) {
            Some(serde_json::Value::Array(v)) => {
                let d = a(1).to_kql_string();
                let parts: Vec<String> = v
                    .iter()
                    .map(|x| Value::dynamic(x.clone()).to_kql_string())
                    .collect();
                Value::str(&parts.join(&d))
            }
            _ => Value::str(""),
        },
        Func::TypeOf => Value::str(match a(0) {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Long(_) => "long",
            Value::Real(_) => "real",
            Value::String(_) => "string",
            Value::DateTime(_) => "datetime",
            Value::TimeSpan(_) => "timespan",
            Value::Dynamic(d) => match &*d {
                serde_json::Value::Array(_) => "array",
                serde_json::Value::Object(_) => "dictionary",
                _ => "dynamic",
            },
        }),
    }
}

/// `ip` or `ip:port` as a number.
fn parse_ipv4(s: &str) -> Option<u32> {
    let s = s.trim();
    let host = match s.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => s,
    };
    host.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

/// `a.b.c.d/n` (or a single address, /32).
fn parse_cidr(s: &str) -> Option<(u32, u32)> {
    match s.trim().split_once('/') {
        Some((ip, bits)) => {
            let bits: u32 = bits.parse().ok()?;
            (bits <= 32).then_some(())?;
            Some((parse_ipv4(ip)?, bits))
        }
        None => Some((parse_ipv4(s)?, 32)),
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

/// Day number → a datetime at midnight (used by datatable/print tests and helpers).
#[allow(dead_code)]
pub(crate) fn date(y: i64, m: u32, d: u32) -> Value {
    Value::DateTime(Timestamp::from_micros(
        days_from_civil(y, m, d) * MICROS_PER_DAY,
    ))
}

#[allow(dead_code)]
pub(crate) fn render_dt(v: &Value) -> String {
    match v {
        Value::DateTime(t) => format_datetime(*t),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_is_term_match() {
        assert!(has_term(
            "SecretGet from kv-prod",
            "kv",
            false,
            false,
            false
        ));
        assert!(has_term("a KV b", "kv", false, false, false));
        assert!(!has_term("kvprod", "kv", false, false, false));
        assert!(has_term("kvprod", "kv", false, true, false));
        assert!(!has_term("a KV b", "kv", true, false, false));
    }

    #[test]
    fn timespans_parse() {
        assert_eq!(parse_timespan("00:05:00"), Some(5 * MICROS_PER_MIN));
        assert_eq!(
            parse_timespan("1.00:00:01.5"),
            Some(MICROS_PER_DAY + 1_500_000)
        );
        assert_eq!(parse_timespan("30d"), Some(30 * MICROS_PER_DAY));
    }

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
