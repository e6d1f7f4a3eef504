//! `evaluate rolling_percentile(Value, Percentile, Index, BinSize, BinsToLookBack [, Dim…])`
//! (rolling-percentile-plugin.md): for each bin of `Index` that has rows (per combination of
//! the dimensions), the percentile of `Value` over that bin and the `BinsToLookBack - 1` bins
//! before it. Percentiles are nearest-rank, as `percentile()` is here.

use super::evaluate::{column_index, Plugin};
use crate::ast::ExprKind;
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Ctx};
use crate::functions::aggregates::{nearest_rank, typed};
use crate::value::{Type, Value};
use keyhole_core::time::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// One dimension combination's values per bin.
type Group = (Vec<Value>, BTreeMap<i64, Vec<f64>>);

/// An index value and a bin size as integers of one unit (microseconds for datetimes and
/// timespans), or None when they do not go together.
fn bin_of(v: &Value, size: &Value) -> Option<i64> {
    let s = match size.undyn() {
        Value::TimeSpan(s) => s,
        other => other.as_f64()? as i64,
    };
    if s <= 0 {
        return None;
    }
    let x = match v.undyn() {
        Value::DateTime(t) => t.micros,
        Value::TimeSpan(t) => t,
        Value::Long(x) => x,
        other => other.as_f64()?.floor() as i64,
    };
    Some(crate::functions::datetime::floor_to(x, s))
}

pub(crate) fn rolling_percentile(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    if p.args.len() < 5 {
        return Err(RawError::new(
            p.name_span,
            "rolling_percentile(ValueColumn, Percentile, IndexColumn, BinSize, BinsToLookBack [, Dim1, …])",
        ));
    }
    let val = column_index(&b, p, 0, "the value column", "")?;
    let pct = ctx.eval_const(&p.args[1])?;
    let idx = column_index(&b, p, 2, "the index column", "")?;
    let size = ctx.eval_const(&p.args[3])?;
    let back = ctx.eval_const(&p.args[4])?;
    let (Some(pctf), Some(back)) = (pct.as_f64(), back.as_f64().map(|x| x as i64)) else {
        return Err(RawError::new(
            p.args[1].span,
            "rolling_percentile: the percentile and BinsToLookBack must be numbers",
        ));
    };
    if !(0.0..=100.0).contains(&pctf) || back < 1 {
        return Err(RawError::new(
            p.args[1].span,
            "rolling_percentile: the percentile is 0–100 and BinsToLookBack at least 1",
        ));
    }
    let step = match size.undyn() {
        Value::TimeSpan(s) => s,
        other => other.as_f64().map_or(0, |x| x as i64),
    };
    let dims: Vec<usize> = (5..p.args.len())
        .map(|i| column_index(&b, p, i, "a dimension", ""))
        .collect::<Res<_>>()?;
    let (vty, ity) = (b.cols[val].ty, b.cols[idx].ty);
    // Per dimension combination (first-seen order), per bin: the values.
    let mut groups: Vec<Group> = Vec::new();
    let mut where_: HashMap<String, usize> = HashMap::new();
    for r in 0..b.len {
        let Some(bin) = bin_of(&b.cols[idx].get(r, &ctx.src), &size) else {
            continue;
        };
        let key: Vec<Value> = dims.iter().map(|&d| b.cols[d].get(r, &ctx.src)).collect();
        let k = format!("{key:?}");
        let g = *where_.entry(k).or_insert_with(|| {
            groups.push((key, BTreeMap::new()));
            groups.len() - 1
        });
        let entry = groups[g].1.entry(bin).or_default();
        if let Some(x) = b.cols[val].get(r, &ctx.src).as_f64() {
            entry.push(x);
        }
    }
    let mut idx_out = Vec::new();
    let mut dim_out: Vec<Vec<Value>> = vec![Vec::new(); dims.len()];
    let mut pct_out = Vec::new();
    for (key, bins) in &groups {
        for &bin in bins.keys() {
            let lo = bin.saturating_sub(step.saturating_mul(back - 1));
            let mut vals: Vec<f64> = bins
                .range(lo..=bin)
                .flat_map(|(_, v)| v.iter().copied())
                .collect();
            vals.sort_by(|a, b| a.total_cmp(b));
            idx_out.push(match ity {
                Type::DateTime => Value::DateTime(Timestamp::from_micros(bin)),
                Type::TimeSpan => Value::TimeSpan(bin),
                Type::Real => Value::Real(bin as f64),
                _ => Value::Long(bin),
            });
            for (d, v) in dim_out.iter_mut().zip(key) {
                d.push(v.clone());
            }
            pct_out.push(if vals.is_empty() {
                Value::Null
            } else {
                typed(nearest_rank(&vals, pctf), vty)
            });
        }
    }
    let name = format!(
        "rolling_{back}_percentile_{}_{}",
        b.cols[val].name,
        pct.to_kql_string().replace('.', "_")
    );
    let mut cols = vec![values_col(b.cols[idx].name.clone(), ity, idx_out)];
    for (&d, v) in dims.iter().zip(dim_out) {
        cols.push(values_col(b.cols[d].name.clone(), b.cols[d].ty, v));
    }
    let len = pct_out.len();
    cols.push(values_col(name, vty, pct_out));
    Ok(Batch { cols, len })
}

/// `evaluate schema_merge([PreserveOrder])` (schema-merge-plugin.md) over `getschema` results
/// stacked by `union`: one schema of every column, each at the position it first had (a
/// schema starts again where `ColumnOrdinal` is 0). With PreserveOrder (the default), a column
/// found again at another ordinal than where it first appeared is an error row (ordinal -1).
pub(crate) fn schema_merge(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    let preserve = match p.args.first() {
        None => true,
        Some(a) => {
            let e = match &a.kind {
                ExprKind::Named(n, x) if n.eq_ignore_ascii_case("PreserveOrder") => &**x,
                ExprKind::Named(n, _) => {
                    return Err(RawError::new(
                        a.span,
                        format!("schema_merge has no parameter '{n}'"),
                    ))
                }
                _ => a,
            };
            ctx.eval_const(e)?.is_true()
        }
    };
    let col = |n: &str| {
        b.index_of(n).ok_or_else(|| {
            RawError::new(
                p.name_span,
                format!("schema_merge: the input has no '{n}' column (give it getschema results)"),
            )
        })
    };
    let (cn, co, dt, ct) = (
        col("ColumnName")?,
        col("ColumnOrdinal")?,
        col("DataType")?,
        col("ColumnType")?,
    );
    // (name, ordinal where it first appeared, DataType, ColumnType, out of order).
    let mut merged: Vec<(String, i64, String, String, bool)> = Vec::new();
    for r in 0..b.len {
        let get = |c: usize| b.cols[c].get(r, &ctx.src);
        let name = get(cn).to_kql_string();
        let ord = get(co).as_f64().map_or(0, |x| x as i64);
        if let Some(m) = merged.iter_mut().find(|m| m.0 == name) {
            if preserve && m.1 != ord {
                m.4 = true;
            }
            continue;
        }
        let at = (ord.max(0) as usize).min(merged.len());
        merged.insert(
            at,
            (
                name,
                ord,
                get(dt).to_kql_string(),
                get(ct).to_kql_string(),
                false,
            ),
        );
    }
    let n = merged.len();
    let err = "columns are out of order";
    let mut cols: [Vec<Value>; 4] = Default::default();
    for (i, (name, _, dtype, ctype, bad)) in merged.into_iter().enumerate() {
        cols[0].push(Value::str(&name));
        if bad {
            cols[1].push(Value::Long(-1));
            cols[2].push(Value::str(&format!("ERROR(unknown CSL type:ERROR({err}))")));
            cols[3].push(Value::str(&format!("ERROR({err})")));
        } else {
            cols[1].push(Value::Long(i as i64));
            cols[2].push(Value::str(&dtype));
            cols[3].push(Value::str(&ctype));
        }
    }
    let [names, ords, dtypes, ctypes] = cols;
    Ok(Batch {
        cols: vec![
            values_col("ColumnName", Type::String, names),
            values_col("ColumnOrdinal", Type::Int, ords),
            values_col("DataType", Type::String, dtypes),
            values_col("ColumnType", Type::String, ctypes),
        ],
        len: n,
    })
}
