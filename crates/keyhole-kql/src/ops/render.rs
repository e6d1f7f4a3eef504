//! `render KIND [with (…)]`: the rows unchanged; the result carries the visualisation hint.

use crate::exec::{Batch, Ctx};

pub(crate) fn run(ctx: &mut Ctx, b: Batch, kind: &str) -> Batch {
    ctx.render = Some(kind.to_string());
    b
}
