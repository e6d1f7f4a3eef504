//! `sort by` / `order by` (descending by default, nulls last when descending) and `top N by`.

use crate::ast::{Expr, SortKey};
use crate::error::Res;
use crate::exec::{Batch, Ctx};
use crate::value::{sort_cmp, Value};
use std::cmp::Ordering;

pub(crate) fn sort(ctx: &mut Ctx, b: Batch, keys: &[SortKey], limit: Option<usize>) -> Res<Batch> {
    let mut cols: Vec<Vec<Value>> = Vec::new();
    for k in keys {
        let (c, _) = ctx.compile(&k.expr, &b)?;
        cols.push(ctx.eval_rows(&c, &b));
    }
    let mut rows: Vec<u32> = (0..b.len as u32).collect();
    let cmp = |x: &u32, y: &u32| {
        for (ki, k) in keys.iter().enumerate() {
            let (a, bb) = (&cols[ki][*x as usize], &cols[ki][*y as usize]);
            let o = match (a.is_null(), bb.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => {
                    if k.nulls_first {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (false, true) => {
                    if k.nulls_first {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                _ => {
                    let o = sort_cmp(a, bb);
                    if k.desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    };
    rows.sort_by(cmp);
    if let Some(n) = limit {
        rows.truncate(n);
    }
    Ok(b.gather(&rows))
}

pub(crate) fn top(ctx: &mut Ctx, b: Batch, n: &Expr, key: &SortKey) -> Res<Batch> {
    let n = ctx.const_count(n, &b)?;
    sort(ctx, b, std::slice::from_ref(key), Some(n))
}
