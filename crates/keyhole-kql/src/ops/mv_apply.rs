//! `mv-apply [with_itemindex=I] col [to typeof(T)], … [limit N] on (subquery)`: for each input
//! row, its arrays are expanded into a small table, the subquery runs on it, and the results
//! are stacked. Input columns the subquery dropped (and that were not expanded) are kept.

use crate::ast::{Expand, OpAt};
use crate::error::Res;
use crate::exec::{union_batches, values_col, Batch, Ctx};

pub(crate) fn run(ctx: &mut Ctx, b: Batch, x: &Expand, ops: &[OpAt]) -> Res<Batch> {
    let original: Vec<String> = b.cols.iter().map(|c| c.name.clone()).collect();
    // Expand every row at once, remembering which row each expanded row came from.
    let mut marked = b;
    let n = marked.len;
    marked.cols.push(values_col(
        "$mv_apply_row",
        crate::value::Type::Long,
        (0..n)
            .map(|r| crate::value::Value::Long(r as i64))
            .collect(),
    ));
    let expanded = super::mv_expand::run(ctx, marked, x)?;
    let expanded_names: Vec<String> =
        x.items
            .iter()
            .filter_map(|it| {
                it.assign.name.as_ref().map(|n| n.0.clone()).or_else(|| {
                    match &it.assign.expr.kind {
                        crate::ast::ExprKind::Name(n) => Some(n.clone()),
                        _ => None,
                    }
                })
            })
            .collect();
    let marker = expanded.index_of("$mv_apply_row").unwrap_or(0);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < expanded.len {
        if ctx.env.failed() {
            break;
        }
        let row = expanded.cols[marker].get(start, &ctx.src);
        let mut end = start + 1;
        while end < expanded.len && expanded.cols[marker].get(end, &ctx.src) == row {
            end += 1;
        }
        let rows: Vec<u32> = (start as u32..end as u32).collect();
        let mut sub = expanded.gather(&rows);
        sub.cols.remove(marker);
        let keep: Vec<_> = sub
            .cols
            .iter()
            .map(|c| (c.name.clone(), c.ty, c.get(0, &ctx.src)))
            .collect();
        let mut out = sub;
        for op in ops {
            let op = ctx.resolve_op(op)?;
            out = ctx.operator(out, &op)?;
        }
        // Columns the subquery dropped come back (except the expanded ones).
        let mut front = Vec::new();
        for (name, ty, v) in keep {
            if original.contains(&name)
                && !expanded_names.contains(&name)
                && out.index_of(&name).is_none()
            {
                front.push(values_col(name, ty, vec![v; out.len]));
            }
        }
        front.append(&mut out.cols);
        out.cols = front;
        parts.push(out);
        start = end;
    }
    if parts.is_empty() {
        let mut empty = expanded.empty_like();
        empty.cols.remove(marker);
        return Ok(empty);
    }
    Ok(union_batches(parts, &ctx.src))
}
