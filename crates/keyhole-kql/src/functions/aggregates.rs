//! Aggregation functions (valid in `summarize`): their signatures, how a call compiles into an
//! accumulator, and the accumulators themselves.

use crate::ast::{Assign, ExprKind};
use crate::error::{did_you_mean, RawError, Res};
use crate::expr::{compile, eval, Row, Scope, CE};
use crate::functions::heap_size;
use crate::value::{kql_cmp, Type, Value};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Largest list or value set one group may collect.
const MAX_VALUES: usize = 10_000_000;

/// One aggregation's signature.
pub(crate) struct AggDef {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub params: &'static str,
    pub min: usize,
    pub max: usize,
    pub doc: &'static str,
}

macro_rules! agg {
    ($name:literal $(| $alias:literal)*, $params:literal, $min:expr, $max:expr, $doc:literal) => {
        AggDef { name: $name, aliases: &[$($alias),*], params: $params, min: $min, max: $max, doc: $doc }
    };
}

pub(crate) static AGGREGATES: &[AggDef] = &[
    agg!(
        "count",
        "[expr]",
        0,
        1,
        "The number of rows (with a non-null expr)."
    ),
    agg!(
        "countif",
        "predicate",
        1,
        1,
        "The number of rows where the predicate is true."
    ),
    agg!(
        "dcount",
        "expr [, accuracy]",
        1,
        2,
        "The number of distinct values (exact)."
    ),
    agg!(
        "dcountif",
        "expr, predicate [, accuracy]",
        2,
        3,
        "The number of distinct values where the predicate is true."
    ),
    agg!("sum", "expr", 1, 1, "The sum."),
    agg!(
        "sumif",
        "expr, predicate",
        2,
        2,
        "The sum over rows where the predicate is true."
    ),
    agg!("min", "expr", 1, 1, "The smallest value."),
    agg!("max", "expr", 1, 1, "The largest value."),
    agg!("avg", "expr", 1, 1, "The mean."),
    agg!(
        "avgif",
        "expr, predicate",
        2,
        2,
        "The mean over rows where the predicate is true."
    ),
    agg!(
        "arg_max",
        "maximise, col1, col2, … | *",
        1,
        255,
        "The row where an expression is largest (the given columns, or all with *)."
    ),
    agg!(
        "arg_min",
        "minimise, col1, col2, … | *",
        1,
        255,
        "The row where an expression is smallest (the given columns, or all with *)."
    ),
    agg!(
        "make_set" | "makeset",
        "expr [, maxSize]",
        1,
        2,
        "An array of the distinct values."
    ),
    agg!(
        "make_list" | "makelist",
        "expr [, maxSize]",
        1,
        2,
        "An array of all values."
    ),
    agg!(
        "make_set_if",
        "expr, predicate [, maxSize]",
        2,
        3,
        "An array of the distinct values where the predicate is true."
    ),
    agg!(
        "make_list_if",
        "expr, predicate [, maxSize]",
        2,
        3,
        "An array of the values where the predicate is true."
    ),
    agg!("take_any" | "any", "expr", 1, 1, "Any one non-null value."),
    agg!(
        "percentile",
        "expr, percentile",
        2,
        2,
        "The value at a percentile (nearest rank)."
    ),
    agg!("stdev", "expr", 1, 1, "The sample standard deviation."),
    agg!("variance", "expr", 1, 1, "The sample variance."),
];

/// Every aggregation name.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    AGGREGATES
        .iter()
        .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied()))
}

pub(crate) fn lookup(name: &str) -> Option<&'static AggDef> {
    AGGREGATES
        .iter()
        .find(|a| a.name == name || a.aliases.contains(&name))
}

#[derive(Clone, Debug)]
pub(crate) enum AggKind {
    Count,
    CountIf(CE),
    DCount(CE),
    DCountIf(CE, CE),
    Sum(CE),
    SumIf(CE, CE),
    Min(CE),
    Max(CE),
    Avg(CE),
    AvgIf(CE, CE),
    ArgMax(ArgSpec),
    ArgMin(ArgSpec),
    MakeSet(CE, Option<CE>, usize),
    MakeList(CE, Option<CE>, usize),
    TakeAny(CE),
    Percentile(CE, f64),
    Stdev(CE, bool),
}

#[derive(Clone, Debug)]
pub(crate) struct ArgSpec {
    pub by: CE,
    pub by_name: String,
    pub by_ty: Type,
    /// `None` = `*`.
    pub outs: Option<Vec<(String, CE, Type)>>,
}

/// Where an `arg_max`/`arg_min` output column comes from.
pub(crate) enum ArgSrc {
    Expr(CE, Type),
    /// A column of the input (for `*`).
    Col(usize),
}

/// A compiled aggregation: what it computes, its output name and type.
pub(crate) struct AggSpec {
    pub kind: AggKind,
    pub name: String,
    pub ty: Type,
}

/// One group's accumulator.
pub(crate) enum AggState {
    Count(i64),
    Distinct(HashSet<Value>),
    Sum {
        long: i64,
        real: f64,
        any_real: bool,
        n: u64,
    },
    Best(Option<Value>),
    Arg {
        best: Option<Value>,
        row: Option<u32>,
        first: Option<u32>,
    },
    /// The distinct values, in first-seen order, and their approximate size.
    Set(HashSet<Value>, Vec<Value>, usize),
    /// The values and their approximate size.
    List(Vec<Value>, usize),
    Values(Vec<f64>),
}

fn arg_name(e: &crate::ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        _ => None,
    }
}

/// Compile one `summarize` aggregation (`Name = agg(args)` or `agg(args)`).
pub(crate) fn compile_agg(a: &Assign, scope: &Scope) -> Res<AggSpec> {
    let (fname, args) = match &a.expr.kind {
        ExprKind::Call(f, args) => (f.as_str(), args),
        _ => {
            return Err(RawError::expected(
                a.expr.span,
                "expected an aggregation function such as count(), dcount(x), sum(x)",
                &[
                    "count()",
                    "dcount()",
                    "sum()",
                    "min()",
                    "max()",
                    "avg()",
                    "arg_max()",
                    "make_set()",
                ],
            ));
        }
    };
    let span = a.expr.span;
    let Some(def) = lookup(fname) else {
        let mut msg = format!("unknown aggregation function '{fname}'");
        if let Some(s) = did_you_mean(fname, names()) {
            msg.push_str(&format!("; did you mean '{s}'?"));
        } else if super::function_names().any(|f| f == fname) {
            msg = format!(
                "'{fname}()' is not an aggregation; summarize needs count(), sum(), dcount(), …"
            );
        }
        return Err(RawError::new((span.0, span.0 + fname.len()), msg));
    };
    if args.len() < def.min || args.len() > def.max {
        let want = if def.min == def.max {
            def.min.to_string()
        } else {
            format!("{} to {}", def.min, def.max)
        };
        if !(def.name.starts_with("arg_") && args.is_empty()) {
            return Err(RawError::new(
                span,
                format!(
                    "aggregation '{fname}' expects {want} argument(s), got {}",
                    args.len()
                ),
            ));
        }
    }
    let c = |i: usize| -> Res<(CE, Type)> { compile(&args[i], scope) };
    let first_name = args.first().and_then(arg_name);
    let named = |prefix: &str| match &first_name {
        Some(n) => format!("{prefix}_{n}"),
        None => format!("{prefix}_"),
    };
    let (kind, name, ty) = match def.name {
        "count" => match args.first() {
            Some(e) if !matches!(e.kind, ExprKind::Star) => {
                let (ce, _) = c(0)?;
                let notnull = super::lookup("isnotnull").expect("isnotnull is registered");
                (
                    AggKind::CountIf(CE::Call(notnull, vec![ce], span)),
                    "count_".to_string(),
                    Type::Long,
                )
            }
            _ => (AggKind::Count, "count_".to_string(), Type::Long),
        },
        "countif" => (
            AggKind::CountIf(c(0)?.0),
            "countif_".to_string(),
            Type::Long,
        ),
        "dcount" => (AggKind::DCount(c(0)?.0), named("dcount"), Type::Long),
        "dcountif" => (
            AggKind::DCountIf(c(0)?.0, c(1)?.0),
            named("dcountif"),
            Type::Long,
        ),
        "sum" => {
            let (ce, t) = c(0)?;
            (
                AggKind::Sum(ce),
                named("sum"),
                match t {
                    Type::Real => Type::Real,
                    Type::TimeSpan => Type::TimeSpan,
                    _ => Type::Long,
                },
            )
        }
        "sumif" => {
            let (ce, t) = c(0)?;
            (
                AggKind::SumIf(ce, c(1)?.0),
                named("sumif"),
                if t == Type::Real {
                    Type::Real
                } else {
                    Type::Long
                },
            )
        }
        "min" | "max" => {
            let (ce, t) = c(0)?;
            (
                if def.name == "min" {
                    AggKind::Min(ce)
                } else {
                    AggKind::Max(ce)
                },
                named(def.name),
                t,
            )
        }
        "avg" => (AggKind::Avg(c(0)?.0), named("avg"), Type::Real),
        "avgif" => (AggKind::AvgIf(c(0)?.0, c(1)?.0), named("avgif"), Type::Real),
        "arg_max" | "arg_min" => {
            if args.is_empty() {
                return Err(RawError::new(span, format!("aggregation '{fname}' expects an expression to maximise and the columns to return")));
            }
            let max = def.name == "arg_max";
            let (by, by_ty) = c(0)?;
            let by_name = first_name
                .clone()
                .unwrap_or_else(|| format!("{}_", if max { "max" } else { "min" }));
            let outs = if args.len() == 1 {
                Some(Vec::new())
            } else if args[1..].iter().any(|e| matches!(e.kind, ExprKind::Star)) {
                None
            } else {
                let mut v = Vec::new();
                for (i, e) in args[1..].iter().enumerate() {
                    let (ce, t) = compile(e, scope)?;
                    let n = arg_name(e).unwrap_or_else(|| format!("Column{}", i + 1));
                    v.push((n, ce, t));
                }
                Some(v)
            };
            let spec = ArgSpec {
                by,
                by_name: by_name.clone(),
                by_ty,
                outs,
            };
            (
                if max {
                    AggKind::ArgMax(spec)
                } else {
                    AggKind::ArgMin(spec)
                },
                by_name,
                by_ty,
            )
        }
        "make_set" | "make_list" | "make_set_if" | "make_list_if" => {
            let is_if = def.name.ends_with("_if");
            let (ce, _) = c(0)?;
            let cond = if is_if { Some(c(1)?.0) } else { None };
            let max_i = if is_if { 2 } else { 1 };
            let max = match args.get(max_i) {
                Some(e) => match compile(e, scope)?.0 {
                    CE::Const(v) => v.as_i64().unwrap_or(1_048_576).clamp(0, 1_048_576) as usize,
                    _ => return Err(RawError::new(e.span, "the size limit must be a constant")),
                },
                None => 1_048_576,
            };
            let set = def.name.starts_with("make_set");
            let nm = if set { named("set") } else { named("list") };
            (
                if set {
                    AggKind::MakeSet(ce, cond, max)
                } else {
                    AggKind::MakeList(ce, cond, max)
                },
                nm,
                Type::Dynamic,
            )
        }
        "take_any" => {
            let (ce, t) = c(0)?;
            (
                AggKind::TakeAny(ce),
                first_name.clone().unwrap_or_else(|| "any_".into()),
                t,
            )
        }
        "percentile" => {
            let (ce, t) = c(0)?;
            let p = match c(1)?.0 {
                CE::Const(v) => v.as_f64().unwrap_or(50.0).clamp(0.0, 100.0),
                _ => {
                    return Err(RawError::new(
                        args[1].span,
                        "the percentile must be a constant",
                    ))
                }
            };
            let pn = crate::value::format_real(p).replace('.', "_");
            (
                AggKind::Percentile(ce, p),
                format!(
                    "percentile_{}_{}",
                    first_name.clone().unwrap_or_default(),
                    pn
                ),
                if t == Type::Real { Type::Real } else { t },
            )
        }
        "stdev" | "variance" => (
            AggKind::Stdev(c(0)?.0, def.name == "stdev"),
            named(def.name),
            Type::Real,
        ),
        other => {
            return Err(RawError::new(
                span,
                format!("aggregation '{other}' is not supported yet"),
            ))
        }
    };
    let name = match &a.name {
        Some((n, _)) => n.clone(),
        None => name,
    };
    Ok(AggSpec { kind, name, ty })
}

impl AggSpec {
    pub fn init(&self) -> AggState {
        match &self.kind {
            AggKind::Count | AggKind::CountIf(_) => AggState::Count(0),
            AggKind::DCount(_) | AggKind::DCountIf(..) => AggState::Distinct(HashSet::new()),
            AggKind::Sum(_) | AggKind::SumIf(..) | AggKind::Avg(_) | AggKind::AvgIf(..) => {
                AggState::Sum {
                    long: 0,
                    real: 0.0,
                    any_real: false,
                    n: 0,
                }
            }
            AggKind::Min(_) | AggKind::Max(_) | AggKind::TakeAny(_) => AggState::Best(None),
            AggKind::ArgMax(_) | AggKind::ArgMin(_) => AggState::Arg {
                best: None,
                row: None,
                first: None,
            },
            AggKind::MakeSet(..) => AggState::Set(HashSet::new(), Vec::new(), 0),
            AggKind::MakeList(..) => AggState::List(Vec::new(), 0),
            AggKind::Percentile(..) | AggKind::Stdev(..) => AggState::Values(Vec::new()),
        }
    }

    #[allow(clippy::collapsible_match, clippy::collapsible_if)]
    pub fn update(&self, st: &mut AggState, row: &Row, r: u32) {
        let add_sum = |st: &mut AggState, v: Value| {
            if let AggState::Sum {
                long,
                real,
                any_real,
                n,
            } = st
            {
                match v.undyn() {
                    Value::Long(x) | Value::TimeSpan(x) => {
                        *long = long.wrapping_add(x);
                        *n += 1;
                    }
                    Value::Real(x) => {
                        *real += x;
                        *any_real = true;
                        *n += 1;
                    }
                    Value::Bool(x) => {
                        *long += x as i64;
                        *n += 1;
                    }
                    _ => {}
                }
            }
        };
        match (&self.kind, st) {
            (AggKind::Count, AggState::Count(n)) => *n += 1,
            (AggKind::CountIf(c), AggState::Count(n)) => {
                if eval(c, row).is_true() {
                    *n += 1
                }
            }
            (AggKind::DCount(c), AggState::Distinct(s)) => {
                let v = eval(c, row);
                if !v.is_null() && !s.contains(&v) {
                    row.env.charge(SLOT + heap_size(&v));
                    s.insert(v);
                }
            }
            (AggKind::DCountIf(c, p), AggState::Distinct(s)) => {
                if eval(p, row).is_true() {
                    let v = eval(c, row);
                    if !v.is_null() && !s.contains(&v) {
                        row.env.charge(SLOT + heap_size(&v));
                        s.insert(v);
                    }
                }
            }
            (AggKind::Sum(c) | AggKind::Avg(c), st) => add_sum(st, eval(c, row)),
            (AggKind::SumIf(c, p) | AggKind::AvgIf(c, p), st) => {
                if eval(p, row).is_true() {
                    add_sum(st, eval(c, row))
                }
            }
            (AggKind::Min(c), AggState::Best(b)) | (AggKind::Max(c), AggState::Best(b)) => {
                let v = eval(c, row);
                if v.is_null() || (matches!(v, Value::String(ref s) if s.is_empty())) {
                    return;
                }
                let want = if matches!(self.kind, AggKind::Min(_)) {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                match b {
                    None => *b = Some(v),
                    Some(cur) => {
                        if kql_cmp(&v, cur) == Some(want) {
                            *b = Some(v)
                        }
                    }
                }
            }
            (AggKind::TakeAny(c), AggState::Best(b)) => {
                if b.is_none() {
                    let v = eval(c, row);
                    if !v.is_null() {
                        *b = Some(v)
                    }
                }
            }
            (
                AggKind::ArgMax(s) | AggKind::ArgMin(s),
                AggState::Arg {
                    best,
                    row: br,
                    first,
                },
            ) => {
                if first.is_none() {
                    *first = Some(r);
                }
                let v = eval(&s.by, row);
                if v.is_null() {
                    return;
                }
                let want = if matches!(self.kind, AggKind::ArgMax(_)) {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let take = match best {
                    None => true,
                    Some(cur) => kql_cmp(&v, cur) == Some(want),
                };
                if take {
                    *best = Some(v);
                    *br = Some(r);
                }
            }
            (AggKind::MakeSet(c, cond, max), AggState::Set(s, order, bytes)) => {
                if cond.as_ref().is_some_and(|p| !eval(p, row).is_true()) {
                    return;
                }
                let mut vals = Vec::new();
                flatten_into(eval(c, row), &mut vals);
                for v in vals {
                    if order.len() < *max && !v.is_null() && !s.contains(&v) {
                        if !grow(row, "make_set", bytes, &v) {
                            return;
                        }
                        s.insert(v.clone());
                        order.push(v);
                    }
                }
            }
            (AggKind::MakeList(c, cond, max), AggState::List(l, bytes)) => {
                if cond.as_ref().is_some_and(|p| !eval(p, row).is_true()) {
                    return;
                }
                let mut vals = Vec::new();
                flatten_into(eval(c, row), &mut vals);
                for v in vals {
                    if l.len() < *max && !v.is_null() {
                        if !grow(row, "make_list", bytes, &v) {
                            return;
                        }
                        l.push(v);
                    }
                }
            }
            (AggKind::Percentile(c, _) | AggKind::Stdev(c, _), AggState::Values(v)) => {
                if let Some(x) = eval(c, row).as_f64() {
                    if v.len() < MAX_VALUES {
                        v.push(x)
                    }
                }
            }
            _ => {}
        }
    }

    /// The output columns of `arg_max`/`arg_min`: the maximised expression, then the requested
    /// columns (or every input column but the group keys for `*`).
    pub fn arg_outputs(
        &self,
        input: &[(String, Type)],
        by_names: &[String],
    ) -> Vec<(String, ArgSrc)> {
        let s = match &self.kind {
            AggKind::ArgMax(s) | AggKind::ArgMin(s) => s,
            _ => return Vec::new(),
        };
        let mut out = vec![(self.name.clone(), ArgSrc::Expr(s.by.clone(), s.by_ty))];
        match &s.outs {
            Some(list) => {
                for (n, c, t) in list {
                    out.push((n.clone(), ArgSrc::Expr(c.clone(), *t)));
                }
            }
            None => {
                for (i, (name, _)) in input.iter().enumerate() {
                    if *name == s.by_name || by_names.contains(name) {
                        continue;
                    }
                    out.push((name.clone(), ArgSrc::Col(i)));
                }
            }
        }
        out
    }
}

const SLOT: usize = std::mem::size_of::<Value>();

/// Add a value's size to a list's; false (and an error) past the per-value limit or the budget.
fn grow(row: &Row, what: &str, bytes: &mut usize, v: &Value) -> bool {
    let add = SLOT + heap_size(v);
    *bytes = bytes.saturating_add(add);
    row.env.fits(what, *bytes) && row.env.charge(add)
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match &v {
        Value::Dynamic(d) => match &**d {
            serde_json::Value::Array(a) => out.extend(a.iter().map(|x| Value::dynamic(x.clone()))),
            _ => out.push(v),
        },
        _ => out.push(v),
    }
}

impl AggState {
    pub fn arg_row(&self) -> Option<u32> {
        match self {
            AggState::Arg { row, first, .. } => row.or(*first),
            _ => None,
        }
    }

    pub fn finish(&self, spec: &AggSpec) -> Value {
        let ty = spec.ty;
        match self {
            AggState::Count(n) => Value::Long(*n),
            AggState::Distinct(s) => Value::Long(s.len() as i64),
            AggState::Sum {
                long,
                real,
                any_real,
                n,
            } => {
                let total = *real + *long as f64;
                match &spec.kind {
                    AggKind::Avg(_) | AggKind::AvgIf(..) => {
                        if *n == 0 {
                            Value::Null
                        } else {
                            Value::Real(total / *n as f64)
                        }
                    }
                    _ => match ty {
                        Type::TimeSpan => Value::TimeSpan(*long),
                        Type::Real => Value::Real(total),
                        _ if *any_real => Value::Real(total),
                        _ => Value::Long(*long),
                    },
                }
            }
            AggState::Best(b) => b.clone().unwrap_or_else(|| ty.missing()),
            AggState::Arg { best, .. } => best.clone().unwrap_or(Value::Null),
            AggState::Set(_, order, _) => Value::dynamic(serde_json::Value::Array(
                order.iter().map(|v| v.to_json()).collect(),
            )),
            AggState::List(l, _) => Value::dynamic(serde_json::Value::Array(
                l.iter().map(|v| v.to_json()).collect(),
            )),
            AggState::Values(v) => {
                if v.is_empty() {
                    return Value::Null;
                }
                match &spec.kind {
                    AggKind::Percentile(_, p) => {
                        let mut s = v.clone();
                        s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
                        // Nearest rank.
                        let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
                        let x = s[rank.min(s.len()) - 1];
                        if ty == Type::Real {
                            Value::Real(x)
                        } else {
                            Value::Long(x as i64)
                        }
                    }
                    AggKind::Stdev(_, sd) => {
                        let n = v.len() as f64;
                        if n < 2.0 {
                            return Value::Real(0.0);
                        }
                        let mean = v.iter().sum::<f64>() / n;
                        let var =
                            v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
                        Value::Real(if *sd { var.sqrt() } else { var })
                    }
                    _ => Value::Null,
                }
            }
        }
    }
}
