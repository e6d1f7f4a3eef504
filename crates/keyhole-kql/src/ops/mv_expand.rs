//! `mv-expand [with_itemindex=I] col [to typeof(T)], Name = expr, … [limit N]`: one row per
//! element of an array (or per property of a bag); several columns expand in parallel (the
//! shorter padded with null); elements converted to the `to typeof` type.

use crate::ast::{Expand, ExprKind};
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Col, Ctx, MAX_ROWS};
use crate::functions::cast;
use crate::value::{Type, Value};

/// The elements a value expands to (`None`: not an array or bag, kept as it is).
pub(crate) fn elements(v: &Value) -> Option<Vec<serde_json::Value>> {
    match v {
        Value::Dynamic(d) => match &**d {
            serde_json::Value::Array(a) => Some(a.clone()),
            serde_json::Value::Object(m) => Some(
                m.iter()
                    .map(|(k, v)| serde_json::json!({ k.clone(): v.clone() }))
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

/// Prepare the columns: each item computed (or taken) into the batch; returns their indices
/// and target types.
pub(crate) fn targets(ctx: &Ctx, b: &mut Batch, x: &Expand) -> Res<Vec<(usize, Option<Type>)>> {
    let mut out = Vec::new();
    for it in &x.items {
        let a = &it.assign;
        let mut k = 1;
        let col = ctx.assign_col(b, a, &mut k)?;
        let name = match (&a.name, &a.expr.kind) {
            (Some((n, _)), _) => n.clone(),
            (None, ExprKind::Name(n)) => n.clone(),
            _ => col.name.clone(),
        };
        b.set_col(Col {
            name: name.clone(),
            ..col
        });
        out.push((b.index_of(&name).unwrap_or(b.cols.len() - 1), it.to));
    }
    Ok(out)
}

pub(crate) fn run(ctx: &mut Ctx, b: Batch, x: &Expand) -> Res<Batch> {
    let mut b = b;
    let targets = targets(ctx, &mut b, x)?;
    let limit = match &x.limit {
        Some(e) => ctx.const_count(e, &b)?,
        None => usize::MAX,
    };
    let span = x.items[0].assign.expr.span;
    let mut rows: Vec<u32> = Vec::new();
    let mut index: Vec<Value> = Vec::new();
    let mut new_vals: Vec<Vec<Value>> = vec![Vec::new(); targets.len()];
    for r in 0..b.len {
        let vals: Vec<Value> = targets
            .iter()
            .map(|&(i, _)| b.cols[i].get(r, &ctx.src))
            .collect();
        let arrays: Vec<Option<Vec<serde_json::Value>>> = vals.iter().map(elements).collect();
        let n = arrays
            .iter()
            .map(|a| a.as_ref().map(|x| x.len()).unwrap_or(1))
            .max()
            .unwrap_or(1)
            .min(limit);
        for j in 0..n {
            if rows.len() >= MAX_ROWS {
                return Err(RawError::new(span, "mv-expand result is too large"));
            }
            rows.push(r as u32);
            index.push(Value::Long(j as i64));
            for (t, a) in arrays.iter().enumerate() {
                let v = match a {
                    Some(a) => a
                        .get(j)
                        .map(|x| Value::dynamic(x.clone()))
                        .unwrap_or(Value::Null),
                    None => vals[t].clone(),
                };
                new_vals[t].push(match targets[t].1 {
                    Some(ty) => cast(&v.undyn(), ty),
                    None => v,
                });
            }
        }
    }
    ctx.env
        .charge(rows.len() * (4 + 32 * (targets.len() + b.cols.len())));
    let mut out = b.gather(&rows);
    for (t, &(i, to)) in targets.iter().enumerate() {
        out.cols[i] = values_col(
            out.cols[i].name.clone(),
            to.unwrap_or(Type::Dynamic),
            std::mem::take(&mut new_vals[t]),
        );
    }
    if let Some(name) = &x.index {
        out.set_col(values_col(name.clone(), Type::Long, index));
    }
    Ok(out)
}
