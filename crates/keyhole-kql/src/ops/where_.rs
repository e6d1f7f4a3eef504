//! `where predicate` (alias `filter`) and `search`: keep the rows where the predicate is true.

use crate::ast::{Expr, ExprKind};
use crate::error::{RawError, Res};
use crate::exec::{Batch, Ctx};
use crate::value::{Type, Value};

pub(crate) fn filter(ctx: &mut Ctx, b: Batch, pred: &Expr) -> Res<Batch> {
    let (c, _) = match &pred.kind {
        // `where Label = predicate`.
        ExprKind::Named(_, inner) => {
            let (c, ty) = ctx.compile(inner, &b)?;
            if ty != Type::Bool {
                return Err(RawError::expected(
                    pred.span,
                    "'=' assigns; use '==' to compare",
                    &["=="],
                ));
            }
            (c, ty)
        }
        _ => ctx.compile(pred, &b)?,
    };
    let keep: Vec<u32> = (0..b.len)
        .take_while(|_| !ctx.env.failed())
        .filter(|&r| ctx.eval_at(&c, &b, r).is_true())
        .map(|r| r as u32)
        .collect();
    if keep.len() == b.len {
        return Ok(b);
    }
    Ok(b.gather(&keep))
}

/// `search "term"` is a case-insensitive substring match over every column; `search *` keeps
/// everything; any other predicate filters like `where`.
pub(crate) fn search(ctx: &mut Ctx, b: Batch, pred: &Expr) -> Res<Batch> {
    match &pred.kind {
        ExprKind::Star => Ok(b),
        ExprKind::Lit(Value::String(term)) => {
            let term = term.to_lowercase();
            let keep: Vec<u32> = (0..b.len)
                .filter(|&r| {
                    b.cols.iter().any(|c| {
                        c.get(r, &ctx.src)
                            .to_kql_string()
                            .to_lowercase()
                            .contains(&term)
                    })
                })
                .map(|r| r as u32)
                .collect();
            Ok(b.gather(&keep))
        }
        _ => filter(ctx, b, pred),
    }
}
