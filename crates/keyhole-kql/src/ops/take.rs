//! `take N` / `limit N`: the first N rows.

use crate::ast::Expr;
use crate::error::Res;
use crate::exec::{Batch, Ctx};

pub(crate) fn run(ctx: &mut Ctx, b: Batch, n: &Expr) -> Res<Batch> {
    let n = ctx.const_count(n, &b)?;
    if n >= b.len {
        return Ok(b);
    }
    let rows: Vec<u32> = (0..n as u32).collect();
    Ok(b.gather(&rows))
}
