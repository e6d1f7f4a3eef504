//! `union [withsource=Name] T1, (T2 | …), *` and `T | union …`: the rows of several tables;
//! columns are the union of all columns (first-seen order), absent cells missing. With
//! `withsource`, a first column names each row's table (its name, its `as` name, or
//! `union_argN`).

use crate::ast::{Operator, Source, Tabular, Union};
use crate::error::Res;
use crate::exec::{union_batches, values_col, Batch, Ctx};
use crate::tables;
use crate::value::{Type, Value};

/// What `withsource` calls the rows of an item.
fn item_name(t: &Tabular, i: usize) -> String {
    if let Some(Operator::As(n)) = t.ops.last().map(|o| &o.op) {
        return n.clone();
    }
    match (&t.source, t.ops.is_empty()) {
        (Source::Table(n, _), true) => n.clone(),
        (Source::Call { name, .. }, true) => name.clone(),
        _ => format!("union_arg{i}"),
    }
}

/// Run the items, each with the name `withsource` gives it (`*` expands to every table).
fn parts(ctx: &mut Ctx, u: &Union, first: usize) -> Res<Vec<(String, Batch)>> {
    let mut out = Vec::new();
    for (i, t) in u.items.iter().enumerate() {
        if let Source::AllTables(span) = t.source {
            for &name in tables::TABLE_NAMES {
                let cols = tables::table(name).unwrap_or(&[]);
                out.push((name.to_string(), Batch::source(cols, ctx.src.len())));
            }
            // …and every view (`let V = view () {…}`).
            for name in ctx.view_names() {
                let b = ctx.call_tabular(&name, &[], span)?;
                out.push((name, b));
            }
            continue;
        }
        out.push((item_name(t, first + i), ctx.run_tabular(t)?));
    }
    Ok(out)
}

fn stack(ctx: &Ctx, parts: Vec<(String, Batch)>, withsource: &Option<String>) -> Batch {
    let batches = parts
        .into_iter()
        .map(|(name, mut b)| {
            if let Some(col) = withsource {
                b.cols.insert(
                    0,
                    values_col(col.clone(), Type::String, vec![Value::str(&name); b.len]),
                );
            }
            b
        })
        .collect();
    union_batches(batches, &ctx.src)
}

/// `union …` as a source.
pub(crate) fn source(ctx: &mut Ctx, u: &Union) -> Res<Batch> {
    let parts = parts(ctx, u, 0)?;
    Ok(stack(ctx, parts, &u.withsource))
}

/// `T | union …`: the input first.
pub(crate) fn run(ctx: &mut Ctx, b: Batch, u: &Union) -> Res<Batch> {
    let mut all = vec![("union_arg0".to_string(), b)];
    all.extend(parts(ctx, u, 1)?);
    Ok(stack(ctx, all, &u.withsource))
}
