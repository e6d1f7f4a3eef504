//! `extend Name = expr, …`: add (or replace) computed columns.

use crate::ast::Assign;
use crate::error::Res;
use crate::exec::{Batch, Ctx};

pub(crate) fn run(ctx: &mut Ctx, b: Batch, assigns: &[Assign]) -> Res<Batch> {
    let mut b = b;
    let mut k = 1;
    for a in assigns {
        for col in ctx.assign_cols(&b, a, &mut k)? {
            b.set_col(col);
        }
    }
    Ok(b)
}
