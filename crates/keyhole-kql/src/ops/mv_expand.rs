//! `mv-expand col` / `mv-expand Name = expr`: one row per element of an array (or per
//! property of a bag); several columns expand in parallel.

use crate::ast::{Assign, ExprKind};
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Col, Ctx, MAX_ROWS};
use crate::value::{Type, Value};

pub(crate) fn run(ctx: &mut Ctx, b: Batch, assigns: &[Assign]) -> Res<Batch> {
    let mut b = b;
    let mut targets = Vec::new();
    for a in assigns {
        let mut k = 1;
        let col = ctx.assign_col(&b, a, &mut k)?;
        let name = match (&a.name, &a.expr.kind) {
            (Some((n, _)), _) => n.clone(),
            (None, ExprKind::Name(n)) => n.clone(),
            _ => col.name.clone(),
        };
        b.set_col(Col {
            name: name.clone(),
            ..col
        });
        targets.push(b.index_of(&name).unwrap_or(b.cols.len() - 1));
    }
    let mut rows: Vec<u32> = Vec::new();
    let mut new_vals: Vec<Vec<Value>> = vec![Vec::new(); targets.len()];
    for r in 0..b.len {
        let vals: Vec<Value> = targets
            .iter()
            .map(|&i| b.cols[i].get(r, &ctx.src))
            .collect();
        let arrays: Vec<Option<Vec<serde_json::Value>>> = vals
            .iter()
            .map(|v| match v {
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
            })
            .collect();
        let n = arrays
            .iter()
            .map(|a| a.as_ref().map(|x| x.len()).unwrap_or(1))
            .max()
            .unwrap_or(1);
        for j in 0..n {
            if rows.len() >= MAX_ROWS {
                return Err(RawError::new(
                    assigns[0].expr.span,
                    "mv-expand result is too large",
                ));
            }
            rows.push(r as u32);
            for (t, a) in arrays.iter().enumerate() {
                new_vals[t].push(match a {
                    Some(a) => a
                        .get(j)
                        .map(|x| Value::dynamic(x.clone()))
                        .unwrap_or(Value::Null),
                    None => vals[t].clone(),
                });
            }
        }
    }
    let mut out = b.gather(&rows);
    for (t, &i) in targets.iter().enumerate() {
        out.cols[i] = values_col(
            out.cols[i].name.clone(),
            Type::Dynamic,
            std::mem::take(&mut new_vals[t]),
        );
    }
    Ok(out)
}
