//! `make-series Name = agg(x) [default = v], … on Axis from A to B step S by Key, …` (or `in
//! range(A, B, S)`, which includes B): one row per group, each aggregation an array with one
//! element per bin of the axis (`default`, else 0, where a bin has no rows), and the axis
//! column the array of bin starts. Bins start at A (or the first value's bin); without `to`
//! they run to the last value's bin.

use crate::ast::MakeSeries;
use crate::error::{RawError, Res};
use crate::exec::{group_name, push_unique, values_col, Batch, Ctx};
use crate::expr::{compile, eval, Row};
use crate::functions::aggregates::{compile_agg, AggState};
use crate::value::{Type, Value};
use keyhole_core::Timestamp;
use std::collections::HashMap;

/// Most bins one series may have.
const MAX_BINS: usize = 1_000_000;

/// A datetime, timespan or number as a position on the axis.
fn pos(v: &Value) -> Option<f64> {
    match v.undyn() {
        Value::DateTime(t) => Some(t.micros as f64),
        Value::TimeSpan(t) => Some(t as f64),
        other => other.as_f64(),
    }
}

pub(crate) fn run(ctx: &mut Ctx, b: Batch, m: &MakeSeries) -> Res<Batch> {
    let schema = b.schema();
    let scope = ctx.scope(&schema);
    let (axis, axis_ty) = compile(&m.axis, &scope)?;
    let (keys, names, key_types) = super::summarize::group_keys(&scope, &m.by)?;
    let mut specs = Vec::new();
    let mut defaults = Vec::new();
    for (a, d) in &m.aggs {
        specs.push(compile_agg(a, &scope)?);
        defaults.push(match d {
            Some(d) => ctx.eval_const(d)?,
            None => Value::Long(0),
        });
    }
    let step_v = ctx.eval_const(&m.step)?;
    let step = pos(&step_v).filter(|s| *s > 0.0).ok_or_else(|| {
        RawError::new(
            m.step.span,
            "the step must be a positive number or timespan",
        )
    })?;
    // Axis positions of the rows.
    let axis_vals: Vec<Option<f64>> = ctx.eval_rows(&axis, &b).iter().map(pos).collect();
    let from = match &m.from {
        Some(e) => pos(&ctx.eval_const(e)?),
        None => axis_vals
            .iter()
            .flatten()
            .copied()
            .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.min(x))))
            .map(|x| (x / step).floor() * step),
    };
    let to = match &m.to {
        Some(e) => pos(&ctx.eval_const(e)?),
        None => None,
    };
    let Some(from) = from else {
        // No rows (and no start): no series.
        return Ok(empty(m, &names, &key_types, &specs));
    };
    let nbins = match to {
        Some(to) if m.to_inclusive => ((to - from) / step).floor() + 1.0,
        Some(to) => ((to - from) / step).ceil(),
        None => {
            let max = axis_vals.iter().flatten().copied().fold(from, f64::max);
            ((max - from) / step).floor() + 1.0
        }
    };
    if !nbins.is_finite() || nbins > MAX_BINS as f64 {
        return Err(RawError::new(
            m.step.span,
            format!("the series would have more than {MAX_BINS} bins"),
        ));
    }
    let nbins = nbins.max(0.0) as usize;
    // Group and bin.
    let src = &ctx.src;
    let mut groups: HashMap<Vec<Value>, usize> = HashMap::new();
    let mut group_keys: Vec<Vec<Value>> = Vec::new();
    let mut cells: HashMap<(usize, usize), Vec<AggState>> = HashMap::new();
    for (r, a) in axis_vals.iter().enumerate() {
        if ctx.env.failed() {
            break;
        }
        let get = |i: usize| b.cols[i].get(r, src);
        let row = Row {
            get: &get,
            env: &ctx.env,
            at: r,
        };
        let key: Vec<Value> = keys.iter().map(|k| eval(k, &row)).collect();
        let g = match groups.get(&key) {
            Some(&g) => g,
            None => {
                let g = group_keys.len();
                groups.insert(key.clone(), g);
                group_keys.push(key);
                g
            }
        };
        let Some(a) = a else { continue };
        let k = ((a - from) / step).floor();
        if k < 0.0 || k >= nbins as f64 {
            continue;
        }
        let states = cells.entry((g, k as usize)).or_insert_with(|| {
            ctx.env.charge(64 * specs.len());
            specs.iter().map(|s| s.init()).collect()
        });
        for (s, st) in specs.iter().zip(states.iter_mut()) {
            s.update(st, &row, r as u32);
        }
    }
    ctx.env
        .charge(group_keys.len() * nbins * (specs.len() + 1) * 32);
    if ctx.env.failed() {
        return Ok(empty(m, &names, &key_types, &specs));
    }
    // Output: keys, series, axis.
    let ng = group_keys.len();
    let mut cols = Vec::new();
    for (i, name) in names.iter().enumerate() {
        cols.push(values_col(
            name.clone(),
            key_types[i],
            group_keys.iter().map(|k| k[i].clone()).collect(),
        ));
    }
    let mut out_names = names.clone();
    for (si, s) in specs.iter().enumerate() {
        let default = defaults[si].to_json();
        let v: Vec<Value> = (0..ng)
            .map(|g| {
                Value::dynamic(serde_json::Value::Array(
                    (0..nbins)
                        .map(|k| match cells.get(&(g, k)) {
                            Some(st) => st[si].finish(s).to_json(),
                            None => default.clone(),
                        })
                        .collect(),
                ))
            })
            .collect();
        cols.push(values_col(
            push_unique(&mut out_names, s.name.clone()),
            Type::Dynamic,
            v,
        ));
    }
    let bins: Vec<serde_json::Value> = (0..nbins)
        .map(|k| {
            let x = from + k as f64 * step;
            match axis_ty {
                Type::DateTime => Value::DateTime(Timestamp::from_micros(x as i64)).to_json(),
                Type::TimeSpan => Value::TimeSpan(x as i64).to_json(),
                Type::Long | Type::Int if x.fract() == 0.0 => serde_json::Value::from(x as i64),
                _ => serde_json::Number::from_f64(x)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
            }
        })
        .collect();
    let axis_name = group_name(&m.axis).unwrap_or_else(|| "Axis".into());
    cols.push(values_col(
        push_unique(&mut out_names, axis_name),
        Type::Dynamic,
        vec![Value::dynamic(serde_json::Value::Array(bins)); ng],
    ));
    Ok(Batch { cols, len: ng })
}

fn empty(
    m: &MakeSeries,
    names: &[String],
    key_types: &[Type],
    specs: &[crate::functions::aggregates::AggSpec],
) -> Batch {
    let mut cols: Vec<_> = names
        .iter()
        .zip(key_types)
        .map(|(n, t)| values_col(n.clone(), *t, Vec::new()))
        .collect();
    for s in specs {
        cols.push(values_col(s.name.clone(), Type::Dynamic, Vec::new()));
    }
    cols.push(values_col(
        group_name(&m.axis).unwrap_or_else(|| "Axis".into()),
        Type::Dynamic,
        Vec::new(),
    ));
    Batch { cols, len: 0 }
}
