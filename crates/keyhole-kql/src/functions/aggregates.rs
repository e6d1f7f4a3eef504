//! Aggregation functions (valid in `summarize` and `make-series`): their signatures, how a
//! call compiles into an accumulator, and the accumulators themselves. `dcount`, `hll` and
//! `tdigest` are exact here (an `hll` is the array of distinct values, a `tdigest` the sorted
//! values), so their estimates are the true figures.

use crate::ast::{Assign, ExprKind};
use crate::error::{did_you_mean, RawError, Res};
use crate::expr::{compile, eval, Row, Scope, CE};
use crate::functions::{heap_size, text_size};
use crate::value::{kql_cmp, Type, Value};
use keyhole_core::Timestamp;
use std::cmp::Ordering;
use std::collections::HashSet;

/// Largest list or value set one group may collect.
const MAX_VALUES: usize = 10_000_000;
/// Default `maxSize` of make_list / make_set / make_bag.
const MAX_SIZE: usize = 1_048_576;

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

#[rustfmt::skip]
pub(crate) static AGGREGATES: &[AggDef] = &[
    agg!("count", "[expr]", 0, 1, "The number of rows."),
    agg!("countif", "predicate", 1, 1, "The number of rows where the predicate is true."),
    agg!("dcount" | "count_distinct", "expr [, accuracy]", 1, 2, "The number of distinct values (exact)."),
    agg!("dcountif" | "count_distinctif", "expr, predicate [, accuracy]", 2, 3, "The number of distinct values where the predicate is true."),
    agg!("sum", "expr", 1, 1, "The sum."),
    agg!("sumif", "expr, predicate", 2, 2, "The sum over rows where the predicate is true."),
    agg!("min", "expr", 1, 1, "The smallest value."),
    agg!("max", "expr", 1, 1, "The largest value."),
    agg!("minif", "expr, predicate", 2, 2, "The smallest value where the predicate is true."),
    agg!("maxif", "expr, predicate", 2, 2, "The largest value where the predicate is true."),
    agg!("avg", "expr", 1, 1, "The mean."),
    agg!("avgif", "expr, predicate", 2, 2, "The mean over rows where the predicate is true."),
    agg!("arg_max", "maximise, col1, col2, … | *", 1, 255, "The row where an expression is largest (the given columns, or all with *)."),
    agg!("arg_min", "minimise, col1, col2, … | *", 1, 255, "The row where an expression is smallest (the given columns, or all with *)."),
    agg!("make_set" | "makeset", "expr [, maxSize]", 1, 2, "An array of the distinct values."),
    agg!("make_list" | "makelist", "expr [, maxSize]", 1, 2, "An array of all values."),
    agg!("make_set_if", "expr, predicate [, maxSize]", 2, 3, "An array of the distinct values where the predicate is true."),
    agg!("make_list_if", "expr, predicate [, maxSize]", 2, 3, "An array of the values where the predicate is true."),
    agg!("make_list_with_nulls", "expr [, maxSize]", 1, 2, "An array of all values, nulls included."),
    agg!("make_bag" | "make_dictionary", "bag [, maxSize]", 1, 2, "The property bags merged into one."),
    agg!("make_bag_if", "bag, predicate [, maxSize]", 2, 3, "The property bags where the predicate is true, merged."),
    agg!("take_any" | "any", "expr", 1, 1, "Any one non-null value."),
    agg!("take_anyif" | "anyif", "expr, predicate", 2, 2, "Any one non-null value where the predicate is true."),
    agg!("percentile", "expr, percentile", 2, 2, "The value at a percentile (nearest rank)."),
    agg!("percentiles", "expr, percentile1, percentile2, …", 2, 64, "The values at several percentiles, one column each."),
    agg!("percentiles_array", "expr, percentile1, … | dynamic", 2, 64, "The values at several percentiles, as an array."),
    agg!("stdev", "expr", 1, 1, "The sample standard deviation."),
    agg!("stdevif", "expr, predicate", 2, 2, "The sample standard deviation where the predicate is true."),
    agg!("stdevp", "expr", 1, 1, "The population standard deviation."),
    agg!("variance", "expr", 1, 1, "The sample variance."),
    agg!("varianceif", "expr, predicate", 2, 2, "The sample variance where the predicate is true."),
    agg!("variancep", "expr", 1, 1, "The population variance."),
    agg!("covariance", "x, y", 2, 2, "The sample covariance."),
    agg!("covarianceif", "x, y, predicate", 3, 3, "The sample covariance where the predicate is true."),
    agg!("covariancep", "x, y", 2, 2, "The population covariance."),
    agg!("binary_all_and", "expr", 1, 1, "Bitwise and of all values."),
    agg!("binary_all_or", "expr", 1, 1, "Bitwise or of all values."),
    agg!("binary_all_xor", "expr", 1, 1, "Bitwise exclusive or of all values."),
    agg!("hll", "expr [, accuracy]", 1, 2, "A distinct-count sketch (here: the distinct values) for dcount_hll and hll_merge."),
    agg!("hll_merge", "hll", 1, 1, "The union of hll sketches."),
    agg!("tdigest", "expr [, weight]", 1, 2, "A percentile sketch (here: the sorted values) for percentile_tdigest and rank_tdigest."),
    agg!("tdigest_merge" | "merge_tdigests", "tdigest", 1, 1, "The union of tdigest sketches."),
    agg!("buildschema", "dynamic", 1, 1, "The smallest schema admitting every value: a type name, a bag of property schemas, {\"indexer\": …} for arrays, [a, b] for either."),
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

#[derive(Clone, Copy, Debug)]
pub(crate) enum BitOp {
    And,
    Or,
    Xor,
}

#[derive(Clone, Debug)]
pub(crate) enum AggKind {
    Count,
    CountIf(CE),
    DCount(CE, Option<CE>),
    Sum(CE, Option<CE>),
    Avg(CE, Option<CE>),
    Best {
        e: CE,
        cond: Option<CE>,
        max: bool,
    },
    ArgMax(ArgSpec),
    ArgMin(ArgSpec),
    MakeSet(CE, Option<CE>, usize),
    MakeList {
        e: CE,
        cond: Option<CE>,
        max: usize,
        nulls: bool,
    },
    MakeBag(CE, Option<CE>, usize),
    TakeAny(CE, Option<CE>),
    /// The percentiles; `array`: one dynamic array rather than a value a column.
    Percentiles(CE, Vec<f64>, bool),
    Moments {
        e: CE,
        cond: Option<CE>,
        sd: bool,
        population: bool,
    },
    Covariance {
        x: CE,
        y: CE,
        cond: Option<CE>,
        population: bool,
    },
    BinaryAll(CE, BitOp),
    Hll(CE),
    HllMerge(CE),
    Tdigest(CE),
    TdigestMerge(CE),
    BuildSchema(CE),
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

/// A compiled aggregation: what it computes, its output name and type. `percentiles` has
/// several outputs (`more`): its value is then an array of them.
pub(crate) struct AggSpec {
    pub kind: AggKind,
    pub name: String,
    pub ty: Type,
    pub more: Vec<String>,
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
    Bag(serde_json::Map<String, serde_json::Value>, usize),
    Values(Vec<f64>),
    Pairs(Vec<(f64, f64)>),
    Bits(Option<i64>),
    /// `buildschema`: the schema so far and its approximate size.
    Schema(Option<serde_json::Value>, usize),
}

/// An aggregation's argument as its column name part (`sum(tolong(x))` is `sum_x`): Kusto's
/// naming of unnamed expressions (`exec/names.rs`).
fn arg_name(e: &crate::ast::Expr) -> Option<String> {
    crate::exec::member_name(e)
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
    if (args.len() < def.min || args.len() > def.max)
        && !(def.name.starts_with("arg_") && args.is_empty())
    {
        let want = if def.min == def.max {
            def.min.to_string()
        } else {
            format!("{} to {}", def.min, def.max)
        };
        return Err(RawError::new(
            span,
            format!(
                "aggregation '{fname}' expects {want} argument(s), got {}",
                args.len()
            ),
        ));
    }
    let c = |i: usize| -> Res<(CE, Type)> { compile(&args[i], scope) };
    let cond = |i: usize| -> Res<Option<CE>> { Ok(Some(c(i)?.0)) };
    let first_name = args.first().and_then(arg_name);
    let named = |prefix: &str| match &first_name {
        Some(n) => format!("{prefix}_{n}"),
        None => format!("{prefix}_"),
    };
    let size_at = |i: usize| -> Res<usize> {
        match args.get(i) {
            Some(e) => match compile(e, scope)?.0 {
                CE::Const(v) => Ok(v
                    .as_i64()
                    .unwrap_or(MAX_SIZE as i64)
                    .clamp(0, MAX_SIZE as i64) as usize),
                _ => Err(RawError::new(e.span, "the size limit must be a constant")),
            },
            None => Ok(MAX_SIZE),
        }
    };
    let constant = |i: usize| -> Res<Value> {
        match compile(&args[i], scope)?.0 {
            CE::Const(v) => Ok(v),
            _ => Err(RawError::new(
                args[i].span,
                "this argument must be a constant",
            )),
        }
    };
    let mut more = Vec::new();
    let (kind, name, ty) = match def.name {
        // count(expr) counts every row, like count() (the argument only names the column).
        "count" => (
            AggKind::Count,
            match &first_name {
                Some(n)
                    if args
                        .first()
                        .is_some_and(|e| !matches!(e.kind, ExprKind::Star)) =>
                {
                    format!("count_{n}")
                }
                _ => "count_".to_string(),
            },
            Type::Long,
        ),
        "countif" => (
            AggKind::CountIf(c(0)?.0),
            "countif_".to_string(),
            Type::Long,
        ),
        "dcount" => (AggKind::DCount(c(0)?.0, None), named("dcount"), Type::Long),
        "dcountif" => (
            AggKind::DCount(c(0)?.0, cond(1)?),
            named("dcountif"),
            Type::Long,
        ),
        "sum" | "sumif" => {
            let (ce, t) = c(0)?;
            let cnd = if def.name == "sumif" { cond(1)? } else { None };
            (
                AggKind::Sum(ce, cnd),
                named(def.name),
                match t {
                    Type::Real => Type::Real,
                    Type::TimeSpan => Type::TimeSpan,
                    Type::Dynamic => Type::Dynamic,
                    _ => Type::Long,
                },
            )
        }
        "min" | "max" | "minif" | "maxif" => {
            let (ce, t) = c(0)?;
            let cnd = if def.name.ends_with("if") {
                cond(1)?
            } else {
                None
            };
            (
                AggKind::Best {
                    e: ce,
                    cond: cnd,
                    max: def.name.starts_with("max"),
                },
                named(def.name),
                t,
            )
        }
        "avg" | "avgif" => {
            let cnd = if def.name == "avgif" { cond(1)? } else { None };
            (AggKind::Avg(c(0)?.0, cnd), named(def.name), Type::Real)
        }
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
        "make_set" | "make_set_if" => {
            let is_if = def.name.ends_with("_if");
            let cnd = if is_if { cond(1)? } else { None };
            let max = size_at(if is_if { 2 } else { 1 })?;
            (
                AggKind::MakeSet(c(0)?.0, cnd, max),
                named("set"),
                Type::Dynamic,
            )
        }
        "make_list" | "make_list_if" | "make_list_with_nulls" => {
            let is_if = def.name.ends_with("_if");
            let cnd = if is_if { cond(1)? } else { None };
            let max = size_at(if is_if { 2 } else { 1 })?;
            (
                AggKind::MakeList {
                    e: c(0)?.0,
                    cond: cnd,
                    max,
                    nulls: def.name == "make_list_with_nulls",
                },
                named("list"),
                Type::Dynamic,
            )
        }
        "make_bag" | "make_bag_if" => {
            let is_if = def.name == "make_bag_if";
            let cnd = if is_if { cond(1)? } else { None };
            let max = size_at(if is_if { 2 } else { 1 })?;
            (
                AggKind::MakeBag(c(0)?.0, cnd, max),
                named("bag"),
                Type::Dynamic,
            )
        }
        "take_any" | "take_anyif" => {
            let (ce, t) = c(0)?;
            let cnd = if def.name == "take_anyif" {
                cond(1)?
            } else {
                None
            };
            (
                AggKind::TakeAny(ce, cnd),
                first_name.clone().unwrap_or_else(|| "any_".into()),
                t,
            )
        }
        "percentile" | "percentiles" | "percentiles_array" => {
            let (ce, t) = c(0)?;
            let mut ps = Vec::new();
            for i in 1..args.len() {
                match constant(i)? {
                    Value::Dynamic(d) if d.is_array() => ps.extend(
                        d.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|x| x.as_f64()),
                    ),
                    v => ps.push(v.as_f64().unwrap_or(50.0)),
                }
            }
            let ps: Vec<f64> = ps.into_iter().map(|p| p.clamp(0.0, 100.0)).collect();
            let col = |p: f64| {
                format!(
                    "percentile_{}_{}",
                    first_name.clone().unwrap_or_default(),
                    crate::value::format_real(p).replace('.', "_")
                )
            };
            let ty = match t {
                Type::Real | Type::DateTime | Type::TimeSpan => t,
                Type::Int | Type::Long => Type::Long,
                _ => Type::Real,
            };
            let array = def.name == "percentiles_array";
            let name = if array {
                named("percentiles")
            } else {
                col(ps[0])
            };
            if def.name == "percentiles" {
                more = ps[1..].iter().map(|p| col(*p)).collect();
            }
            (
                AggKind::Percentiles(ce, ps, array),
                name,
                if array { Type::Dynamic } else { ty },
            )
        }
        "stdev" | "stdevif" | "stdevp" | "variance" | "varianceif" | "variancep" => {
            let cnd = if def.name.ends_with("if") {
                cond(1)?
            } else {
                None
            };
            let sd = def.name.starts_with("stdev");
            (
                AggKind::Moments {
                    e: c(0)?.0,
                    cond: cnd,
                    sd,
                    population: def.name.ends_with('p'),
                },
                named(if sd { "stdev" } else { "variance" })
                    .replacen("stdev", def.name.trim_end_matches('p'), 1)
                    .replacen("variance", def.name.trim_end_matches('p'), 1),
                Type::Real,
            )
        }
        "covariance" | "covarianceif" | "covariancep" => {
            let cnd = if def.name == "covarianceif" {
                cond(2)?
            } else {
                None
            };
            let second = args.get(1).and_then(arg_name).unwrap_or_default();
            (
                AggKind::Covariance {
                    x: c(0)?.0,
                    y: c(1)?.0,
                    cond: cnd,
                    population: def.name == "covariancep",
                },
                format!("{}_{second}", named(def.name)),
                Type::Real,
            )
        }
        "binary_all_and" | "binary_all_or" | "binary_all_xor" => (
            AggKind::BinaryAll(
                c(0)?.0,
                match def.name {
                    "binary_all_and" => BitOp::And,
                    "binary_all_or" => BitOp::Or,
                    _ => BitOp::Xor,
                },
            ),
            named(def.name),
            Type::Long,
        ),
        "hll" => (AggKind::Hll(c(0)?.0), named("hll"), Type::Dynamic),
        "hll_merge" => (
            AggKind::HllMerge(c(0)?.0),
            named("hll_merge"),
            Type::Dynamic,
        ),
        "tdigest" => (AggKind::Tdigest(c(0)?.0), named("tdigest"), Type::Dynamic),
        "buildschema" => (
            AggKind::BuildSchema(c(0)?.0),
            named("schema"),
            Type::Dynamic,
        ),
        "tdigest_merge" => (
            AggKind::TdigestMerge(c(0)?.0),
            named("tdigest_merge"),
            Type::Dynamic,
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
    Ok(AggSpec {
        kind,
        name,
        ty,
        more,
    })
}

const SLOT: usize = std::mem::size_of::<Value>();

/// Add a value's size (as text) to a list's; false (and an error) past the per-value limit,
/// or when its memory is past the budget.
fn grow(row: &Row, what: &str, bytes: &mut usize, v: &Value) -> bool {
    *bytes = bytes.saturating_add(text_size(v).max(1) + 1);
    row.env.fits(what, *bytes) && row.env.charge(SLOT + heap_size(v))
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

/// A value as a position on a number line (datetimes and timespans by their microseconds).
fn number(v: &Value) -> Option<f64> {
    match v.undyn() {
        Value::DateTime(t) => Some(t.micros as f64),
        Value::TimeSpan(t) => Some(t as f64),
        Value::Bool(b) => Some(b as i64 as f64),
        other => other.as_f64(),
    }
}

fn insert_distinct(s: &mut HashSet<Value>, v: Value, row: &Row) {
    if !v.is_null() && !s.contains(&v) {
        row.env.charge(SLOT + heap_size(&v));
        s.insert(v);
    }
}

fn passes(cond: &Option<CE>, row: &Row) -> bool {
    cond.as_ref().is_none_or(|p| eval(p, row).is_true())
}

impl AggSpec {
    pub fn init(&self) -> AggState {
        match &self.kind {
            AggKind::Count | AggKind::CountIf(_) => AggState::Count(0),
            AggKind::DCount(..) | AggKind::Hll(_) | AggKind::HllMerge(_) => {
                AggState::Distinct(HashSet::new())
            }
            AggKind::Sum(..) | AggKind::Avg(..) => AggState::Sum {
                long: 0,
                real: 0.0,
                any_real: false,
                n: 0,
            },
            AggKind::Best { .. } | AggKind::TakeAny(..) => AggState::Best(None),
            AggKind::ArgMax(_) | AggKind::ArgMin(_) => AggState::Arg {
                best: None,
                row: None,
                first: None,
            },
            AggKind::MakeSet(..) => AggState::Set(HashSet::new(), Vec::new(), 0),
            AggKind::MakeList { .. } => AggState::List(Vec::new(), 0),
            AggKind::MakeBag(..) => AggState::Bag(serde_json::Map::new(), 0),
            AggKind::Percentiles(..)
            | AggKind::Moments { .. }
            | AggKind::Tdigest(_)
            | AggKind::TdigestMerge(_) => AggState::Values(Vec::new()),
            AggKind::Covariance { .. } => AggState::Pairs(Vec::new()),
            AggKind::BinaryAll(..) => AggState::Bits(None),
            AggKind::BuildSchema(_) => AggState::Schema(None, 0),
        }
    }

    #[allow(clippy::collapsible_match, clippy::collapsible_if)]
    pub fn update(&self, st: &mut AggState, row: &Row, r: u32) {
        match (&self.kind, st) {
            (AggKind::Count, AggState::Count(n)) => *n += 1,
            (AggKind::CountIf(c), AggState::Count(n)) => {
                if eval(c, row).is_true() {
                    *n += 1
                }
            }
            (AggKind::DCount(c, cond), AggState::Distinct(s)) => {
                if passes(cond, row) {
                    insert_distinct(s, eval(c, row), row);
                }
            }
            (AggKind::Hll(c), AggState::Distinct(s)) => insert_distinct(s, eval(c, row), row),
            (AggKind::HllMerge(c), AggState::Distinct(s)) => {
                let mut vals = Vec::new();
                flatten_into(eval(c, row), &mut vals);
                for v in vals {
                    insert_distinct(s, v.undyn(), row);
                }
            }
            (
                AggKind::Sum(c, cond) | AggKind::Avg(c, cond),
                AggState::Sum {
                    long,
                    real,
                    any_real,
                    n,
                },
            ) => {
                if !passes(cond, row) {
                    return;
                }
                match eval(c, row).undyn() {
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
            (AggKind::Best { e, cond, max }, AggState::Best(b)) => {
                if !passes(cond, row) {
                    return;
                }
                let v = eval(e, row);
                if v.is_null() || (matches!(v, Value::String(ref s) if s.is_empty())) {
                    return;
                }
                let want = if *max {
                    Ordering::Greater
                } else {
                    Ordering::Less
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
            (AggKind::TakeAny(c, cond), AggState::Best(b)) => {
                if b.is_none() && passes(cond, row) {
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
                if !passes(cond, row) {
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
            (
                AggKind::MakeList {
                    e,
                    cond,
                    max,
                    nulls,
                },
                AggState::List(l, bytes),
            ) => {
                if !passes(cond, row) {
                    return;
                }
                let mut vals = Vec::new();
                flatten_into(eval(e, row), &mut vals);
                for v in vals {
                    if l.len() < *max && (*nulls || !v.is_null()) {
                        if !grow(row, "make_list", bytes, &v) {
                            return;
                        }
                        l.push(v);
                    }
                }
            }
            (AggKind::MakeBag(c, cond, max), AggState::Bag(m, bytes)) => {
                if !passes(cond, row) {
                    return;
                }
                if let Value::Dynamic(d) = eval(c, row) {
                    if let serde_json::Value::Object(o) = &*d {
                        for (k, v) in o {
                            if m.len() < *max && !m.contains_key(k) {
                                *bytes += k.len() + super::json_size(v) + 64;
                                if !row.env.fits("make_bag", *bytes) {
                                    return;
                                }
                                m.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
            }
            (AggKind::Percentiles(c, ..), AggState::Values(v))
            | (AggKind::Tdigest(c), AggState::Values(v)) => {
                if let Some(x) = number(&eval(c, row)) {
                    if v.len() < MAX_VALUES {
                        v.push(x)
                    }
                }
            }
            (AggKind::TdigestMerge(c), AggState::Values(v)) => {
                let mut vals = Vec::new();
                flatten_into(eval(c, row), &mut vals);
                v.extend(
                    vals.iter()
                        .filter_map(|x| x.as_f64())
                        .take(MAX_VALUES.saturating_sub(v.len())),
                );
            }
            (AggKind::Moments { e, cond, .. }, AggState::Values(v)) => {
                if passes(cond, row) {
                    if let Some(x) = eval(e, row).as_f64() {
                        if v.len() < MAX_VALUES {
                            v.push(x)
                        }
                    }
                }
            }
            (AggKind::Covariance { x, y, cond, .. }, AggState::Pairs(v)) => {
                if passes(cond, row) {
                    if let (Some(a), Some(b)) = (eval(x, row).as_f64(), eval(y, row).as_f64()) {
                        if v.len() < MAX_VALUES {
                            v.push((a, b))
                        }
                    }
                }
            }
            (AggKind::BinaryAll(c, op), AggState::Bits(acc)) => {
                if let Some(x) = eval(c, row).as_i64() {
                    *acc = Some(match (acc.take(), op) {
                        (None, _) => x,
                        (Some(a), BitOp::And) => a & x,
                        (Some(a), BitOp::Or) => a | x,
                        (Some(a), BitOp::Xor) => a ^ x,
                    });
                }
            }
            (AggKind::BuildSchema(c), AggState::Schema(acc, size)) => {
                if let Some(s) = schema_of(&eval(c, row)) {
                    let merged = match acc.take() {
                        Some(a) => merge_schema(a, s),
                        None => s,
                    };
                    // Charge the growth only (a schema stops growing once every shape is seen).
                    let now = crate::functions::json_size(&merged);
                    if now > *size {
                        row.env.charge(now - *size);
                        *size = now;
                    }
                    *acc = Some(merged);
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

/// The value at percentile `p` of sorted values (nearest rank).
pub(crate) fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// A number back in the aggregated column's type.
pub(crate) fn typed(x: f64, ty: Type) -> Value {
    match ty {
        Type::DateTime => Value::DateTime(Timestamp::from_micros(x as i64)),
        Type::TimeSpan => Value::TimeSpan(x as i64),
        Type::Long | Type::Int => Value::Long(x as i64),
        _ => Value::Real(x),
    }
}

/// The schema of one value for `buildschema`: its type name, a bag of its properties' schemas,
/// or `{"indexer": …}` (the elements' schema) for an array; none for null.
fn schema_of(v: &Value) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    let name = |s: &str| Some(J::String(s.to_string()));
    match v {
        Value::Null => None,
        Value::Bool(_) => name("bool"),
        Value::Long(_) => name("long"),
        Value::Real(_) => name("double"),
        Value::String(_) => name("string"),
        Value::DateTime(_) => name("datetime"),
        Value::TimeSpan(_) => name("timespan"),
        Value::Dynamic(d) => json_schema(d),
    }
}

/// Without recursion: dynamic values may nest deeply.
fn json_schema(root: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    fn leaf(v: &J) -> Option<J> {
        let s = match v {
            J::Null => return None,
            J::Bool(_) => "bool",
            J::Number(n) if n.is_f64() => "double",
            J::Number(_) => "long",
            J::String(_) => "string",
            J::Array(_) | J::Object(_) => return Some(J::Object(Default::default())),
        };
        Some(J::String(s.to_string()))
    }
    // Post-order over containers: each container's schema is built from its children's.
    enum Step<'a> {
        Enter(&'a J),
        Exit(&'a J),
    }
    let mut stack = vec![Step::Enter(root)];
    let mut done: Vec<Option<J>> = Vec::new();
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(v) => match v {
                J::Array(a) => {
                    stack.push(Step::Exit(v));
                    stack.extend(a.iter().rev().map(Step::Enter));
                }
                J::Object(m) => {
                    stack.push(Step::Exit(v));
                    stack.extend(m.values().rev().map(Step::Enter));
                }
                _ => done.push(leaf(v)),
            },
            Step::Exit(v) => match v {
                J::Array(a) => {
                    let kids = done.split_off(done.len() - a.len());
                    let elem = kids.into_iter().flatten().reduce(merge_schema);
                    let mut m = serde_json::Map::new();
                    if let Some(e) = elem {
                        m.insert("indexer".to_string(), e);
                    }
                    done.push(Some(J::Object(m)));
                }
                J::Object(o) => {
                    let kids = done.split_off(done.len() - o.len());
                    let mut m = serde_json::Map::new();
                    for (k, s) in o.keys().zip(kids) {
                        if let Some(s) = s {
                            m.insert(k.clone(), s);
                        }
                    }
                    done.push(Some(J::Object(m)));
                }
                _ => {}
            },
        }
    }
    done.pop().flatten()
}

/// The schema admitting what either admits: containers merge property by property, other
/// types join a union (`[a, b]`, first seen first).
fn merge_schema(a: serde_json::Value, b: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    let alts = |v: J| match v {
        J::Array(x) => x,
        other => vec![other],
    };
    let mut out = alts(a);
    for t in alts(b) {
        match t {
            J::Object(m) => match out.iter_mut().find(|x| x.is_object()) {
                Some(J::Object(have)) => {
                    for (k, s) in m {
                        let merged = match have.remove(&k) {
                            Some(old) => merge_schema(old, s),
                            None => s,
                        };
                        have.insert(k, merged);
                    }
                }
                _ => out.push(J::Object(m)),
            },
            other => {
                if !out.contains(&other) {
                    out.push(other);
                }
            }
        }
    }
    if out.len() == 1 {
        out.pop().unwrap_or(J::Null)
    } else {
        J::Array(out)
    }
}

fn json_array(v: impl Iterator<Item = serde_json::Value>) -> Value {
    Value::dynamic(serde_json::Value::Array(v.collect()))
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
            AggState::Distinct(s) => match &spec.kind {
                // A sketch of nothing is null (the default of an aggregation over no rows).
                AggKind::Hll(_) | AggKind::HllMerge(_) if s.is_empty() => Value::Null,
                AggKind::Hll(_) | AggKind::HllMerge(_) => json_array(s.iter().map(|v| v.to_json())),
                _ => Value::Long(s.len() as i64),
            },
            AggState::Sum {
                long,
                real,
                any_real,
                n,
            } => {
                let total = *real + *long as f64;
                match &spec.kind {
                    AggKind::Avg(..) => {
                        if *n == 0 {
                            // The sum over no values divided by 0, as documented.
                            Value::Real(f64::NAN)
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
            AggState::Set(_, order, _) => json_array(order.iter().map(|v| v.to_json())),
            AggState::List(l, _) => json_array(l.iter().map(|v| v.to_json())),
            AggState::Bag(m, _) => Value::dynamic(serde_json::Value::Object(m.clone())),
            AggState::Bits(acc) => acc.map(Value::Long).unwrap_or(Value::Null),
            AggState::Schema(s, _) => s.clone().map(Value::dynamic).unwrap_or(Value::Null),
            AggState::Pairs(v) => {
                let n = v.len() as f64;
                let population = matches!(
                    spec.kind,
                    AggKind::Covariance {
                        population: true,
                        ..
                    }
                );
                let denom = if population { n } else { n - 1.0 };
                if v.is_empty() || denom <= 0.0 {
                    return Value::Real(0.0);
                }
                let mx = v.iter().map(|p| p.0).sum::<f64>() / n;
                let my = v.iter().map(|p| p.1).sum::<f64>() / n;
                Value::Real(v.iter().map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / denom)
            }
            AggState::Values(v) => {
                let mut s = v.clone();
                s.sort_by(f64::total_cmp);
                match &spec.kind {
                    AggKind::Tdigest(_) | AggKind::TdigestMerge(_) if s.is_empty() => Value::Null,
                    AggKind::Tdigest(_) | AggKind::TdigestMerge(_) => {
                        json_array(s.iter().map(|x| serde_json::json!(x)))
                    }
                    AggKind::Percentiles(_, ps, array) => {
                        if s.is_empty() {
                            return if *array || !spec.more.is_empty() {
                                json_array(ps.iter().map(|_| serde_json::Value::Null))
                            } else {
                                Value::Null
                            };
                        }
                        let elem_ty = if *array { Type::Real } else { ty };
                        let vals: Vec<Value> = ps
                            .iter()
                            .map(|p| typed(nearest_rank(&s, *p), elem_ty))
                            .collect();
                        if *array || !spec.more.is_empty() {
                            json_array(vals.iter().map(|x| x.to_json()))
                        } else {
                            vals[0].clone()
                        }
                    }
                    AggKind::Moments { sd, population, .. } => {
                        let n = s.len() as f64;
                        let denom = if *population { n } else { n - 1.0 };
                        if s.is_empty() || denom <= 0.0 {
                            return Value::Real(0.0);
                        }
                        let mean = s.iter().sum::<f64>() / n;
                        let var = s.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / denom;
                        Value::Real(if *sd { var.sqrt() } else { var })
                    }
                    _ => Value::Null,
                }
            }
        }
    }
}
