//! Reading the `hll` and `tdigest` aggregates (exact here: the distinct values, the sorted
//! values): `dcount_hll`, `hll_merge`, `percentile_tdigest`, `percentiles_array_tdigest`,
//! `rank_tdigest`, `merge_tdigest`.

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use std::collections::HashSet;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("dcount_hll", ("hll", 1, 1) -> T(Type::Long), "The distinct count an hll sketch holds.", Eval(dcount_hll)),
    def!("hll_merge", ("hll1, hll2, …", 2, 64) -> T(Type::Dynamic), "Several hll sketches merged.", Eval(hll_merge)),
    def!("percentile_tdigest", ("tdigest, percentile [, typeof(T)]", 2, 3) -> T(Type::Real), "The value at a percentile of a tdigest sketch.", Eval(percentile_tdigest)),
    def!("percentiles_array_tdigest", ("tdigest, percentile1, … | dynamic", 2, 64) -> T(Type::Dynamic), "The values at several percentiles of a tdigest sketch.", Eval(percentiles_array_tdigest)),
    def!("rank_tdigest", ("tdigest, value", 2, 2) -> T(Type::Long), "How many values of a tdigest sketch are at most the value.", Eval(rank_tdigest)),
    def!("merge_tdigest", ("tdigest1, tdigest2, …", 1, 64) -> T(Type::Dynamic), "Several tdigest sketches merged.", Eval(merge_tdigest)),
];

fn items(v: &Value) -> Vec<serde_json::Value> {
    match as_json(v) {
        Some(serde_json::Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

fn dcount_hll(a: &[Value], _: &Env) -> Value {
    Value::Long(items(&a[0]).len() as i64)
}

fn hll_merge(a: &[Value], _: &Env) -> Value {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for v in a {
        for x in items(v) {
            if seen.insert(x.to_string()) {
                out.push(x);
            }
        }
    }
    Value::dynamic(serde_json::Value::Array(out))
}

fn sorted(a: &[Value]) -> Vec<f64> {
    let mut v: Vec<f64> = a
        .iter()
        .flat_map(items)
        .filter_map(|x| x.as_f64())
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn at(s: &[f64], p: f64) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * s.len() as f64)
        .ceil()
        .max(1.0) as usize;
    Some(s[rank.min(s.len()) - 1])
}

fn percentile_tdigest(a: &[Value], _: &Env) -> Value {
    let s = sorted(&a[..1]);
    match (a[1].as_f64().and_then(|p| at(&s, p)), a.get(2)) {
        (Some(x), Some(t)) => match crate::parser::parse_type(&t.to_kql_string()) {
            Some(ty) => super::cast(&Value::Real(x), ty),
            None => Value::Real(x),
        },
        (Some(x), None) => Value::Real(x),
        (None, _) => Value::Null,
    }
}

fn percentiles_array_tdigest(a: &[Value], _: &Env) -> Value {
    let s = sorted(&a[..1]);
    let mut ps = Vec::new();
    for v in &a[1..] {
        match as_json(v) {
            Some(serde_json::Value::Array(x)) if matches!(v, Value::Dynamic(_)) => {
                ps.extend(x.iter().filter_map(|p| p.as_f64()))
            }
            _ => ps.extend(v.as_f64()),
        }
    }
    Value::dynamic(serde_json::Value::Array(
        ps.iter()
            .map(|p| {
                at(&s, *p)
                    .map(|x| serde_json::json!(x))
                    .unwrap_or(serde_json::Value::Null)
            })
            .collect(),
    ))
}

fn rank_tdigest(a: &[Value], _: &Env) -> Value {
    let s = sorted(&a[..1]);
    match a[1].as_f64() {
        Some(v) => Value::Long(s.iter().filter(|x| **x <= v).count() as i64),
        None => Value::Null,
    }
}

fn merge_tdigest(a: &[Value], _: &Env) -> Value {
    Value::dynamic(serde_json::Value::Array(
        sorted(a)
            .into_iter()
            .map(|x| serde_json::json!(x))
            .collect(),
    ))
}
