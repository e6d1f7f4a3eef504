//! `T | union U, (V | …)`: the input followed by the other tables' rows; columns are the union
//! of all columns, absent cells missing.

use crate::ast::Tabular;
use crate::error::Res;
use crate::exec::{union_batches, Batch, Ctx};

pub(crate) fn run(ctx: &mut Ctx, b: Batch, items: &[Tabular]) -> Res<Batch> {
    let mut parts = vec![b];
    for t in items {
        parts.push(ctx.run_tabular(t)?);
    }
    Ok(union_batches(parts, &ctx.src))
}
