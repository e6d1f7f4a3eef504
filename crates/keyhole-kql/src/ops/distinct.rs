//! `distinct a, b` / `distinct *`: one row per distinct combination, first-seen order.

use crate::ast::{Assign, Expr, ExprKind};
use crate::error::Res;
use crate::exec::{group_name, Batch, Ctx};
use crate::value::Value;
use std::collections::HashSet;

pub(crate) fn run(ctx: &mut Ctx, b: Batch, exprs: &[Expr]) -> Res<Batch> {
    let b = if exprs.is_empty() {
        b
    } else {
        let mut cols = Vec::new();
        for e in exprs {
            let a = Assign::bare(e.clone());
            let name = match &e.kind {
                ExprKind::Name(n) => n.clone(),
                _ => group_name(e).unwrap_or_else(|| format!("Column{}", cols.len() + 1)),
            };
            let mut k = 0;
            let mut col = ctx.assign_col(&b, &a, &mut k)?;
            col.name = name;
            cols.push(col);
        }
        Batch { cols, len: b.len }
    };
    let mut seen: HashSet<Vec<Value>> = HashSet::new();
    let mut keep = Vec::new();
    for r in 0..b.len {
        let key: Vec<Value> = b.cols.iter().map(|c| c.get(r, &ctx.src)).collect();
        if seen.insert(key) {
            keep.push(r as u32);
        }
    }
    Ok(b.gather(&keep))
}
