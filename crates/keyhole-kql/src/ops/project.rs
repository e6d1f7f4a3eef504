//! `project`, `project-rename`, `project-away`, `project-keep`, `project-reorder`, `project-by-names`.

use crate::ast::{Assign, Span};
use crate::error::{RawError, Res};
use crate::exec::{Batch, Col, Ctx};

/// `project a, b = expr, …`: exactly these columns, in this order.
pub(crate) fn project(ctx: &mut Ctx, b: Batch, assigns: &[Assign]) -> Res<Batch> {
    let mut out: Vec<Col> = Vec::new();
    let mut k = 1;
    for a in assigns {
        // A name Kusto infers (`tostring(x)` is `x`) is made unique (`x1`) rather than clash.
        let inferred = a.name.is_none()
            && a.tuple.is_empty()
            && !matches!(a.expr.kind, crate::ast::ExprKind::Name(_));
        for mut col in ctx.assign_cols(&b, a, &mut k)? {
            if inferred && out.iter().any(|c| c.name == col.name) {
                let mut names: Vec<String> = out.iter().map(|c| c.name.clone()).collect();
                col.name = crate::exec::push_unique(&mut names, col.name.clone());
            }
            if out.iter().any(|c| c.name == col.name) {
                let span = a.name.as_ref().map(|n| n.1).unwrap_or(a.expr.span);
                return Err(RawError::new(
                    span,
                    format!("column '{}' is projected more than once", col.name),
                ));
            }
            out.push(col);
        }
    }
    Ok(Batch {
        cols: out,
        len: b.len,
    })
}

/// A `New = Old` pair of `project-rename`, with spans.
type Rename = ((String, Span), (String, Span));

/// `project-rename New = Old, …`.
pub(crate) fn rename(ctx: &mut Ctx, b: Batch, pairs: &[Rename]) -> Res<Batch> {
    let mut b = b;
    for ((new, _), (old, ospan)) in pairs {
        let i = ctx.col_or_err(&b, old, *ospan)?;
        if let Some(j) = b.index_of(new) {
            if j != i {
                b.cols.remove(j);
            }
        }
        let i = b.index_of(old).unwrap_or(i);
        b.cols[i].name = new.clone();
    }
    Ok(b)
}

/// The columns the patterns (names, `*` wildcards) select, in pattern order.
fn matched(ctx: &Ctx, b: &Batch, pats: &[(String, Span)]) -> Res<Vec<usize>> {
    let mut matched: Vec<usize> = Vec::new();
    for (p, span) in pats {
        let hits: Vec<usize> = (0..b.cols.len())
            .filter(|&i| wildcard(p, &b.cols[i].name))
            .collect();
        if hits.is_empty() && !p.contains('*') {
            return Err(ctx
                .col_or_err(b, p, *span)
                .err()
                .unwrap_or_else(|| RawError::new(*span, "unknown column")));
        }
        for h in hits {
            if !matched.contains(&h) {
                matched.push(h);
            }
        }
    }
    Ok(matched)
}

/// `project-away a, b*`: every column but these.
pub(crate) fn away(ctx: &mut Ctx, b: Batch, pats: &[(String, Span)]) -> Res<Batch> {
    let m = matched(ctx, &b, pats)?;
    let mut b = b;
    let cols = std::mem::take(&mut b.cols);
    b.cols = cols
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !m.contains(i))
        .map(|(_, c)| c)
        .collect();
    Ok(b)
}

/// `project-keep a, b*`: only these columns, in their current order.
pub(crate) fn keep(ctx: &mut Ctx, b: Batch, pats: &[(String, Span)]) -> Res<Batch> {
    let m = matched(ctx, &b, pats)?;
    let mut b = b;
    let cols = std::mem::take(&mut b.cols);
    b.cols = cols
        .into_iter()
        .enumerate()
        .filter(|(i, _)| m.contains(i))
        .map(|(_, c)| c)
        .collect();
    Ok(b)
}

/// `project-reorder a, b*`: these columns first, the rest after.
pub(crate) fn reorder(ctx: &mut Ctx, b: Batch, pats: &[(String, Span)]) -> Res<Batch> {
    let m = matched(ctx, &b, pats)?;
    let mut b = b;
    let cols = std::mem::take(&mut b.cols);
    let mut front: Vec<Col> = m.iter().map(|&i| cols[i].clone()).collect();
    front.extend(
        cols.into_iter()
            .enumerate()
            .filter(|(i, _)| !m.contains(i))
            .map(|(_, c)| c),
    );
    b.cols = front;
    Ok(b)
}

/// `project-by-names "a", dynamic(["b*", …]), column_names_of(T)`: the columns the names (or
/// wildcard patterns) match, in the order the names come (a table's order within a pattern),
/// each once. A name that matches nothing is ignored, as documented.
pub(crate) fn by_names(ctx: &mut Ctx, b: Batch, exprs: &[crate::ast::Expr]) -> Res<Batch> {
    let mut order: Vec<usize> = Vec::new();
    for e in exprs {
        let v = ctx.eval_const(e)?;
        let names: Vec<String> =
            match v.to_json() {
                serde_json::Value::String(s) => vec![s],
                serde_json::Value::Array(a) if a.iter().all(|x| x.is_string()) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => return Err(RawError::new(
                    e.span,
                    "project-by-names expects column names: strings or dynamic arrays of strings",
                )),
            };
        for n in names {
            for (i, c) in b.cols.iter().enumerate() {
                if wildcard(&n, &c.name) && !order.contains(&i) {
                    order.push(i);
                }
            }
        }
    }
    let mut b = b;
    let cols = std::mem::take(&mut b.cols);
    b.cols = order.iter().map(|&i| cols[i].clone()).collect();
    Ok(b)
}

/// A column-name pattern with `*` wildcards.
pub(crate) fn wildcard(pat: &str, name: &str) -> bool {
    if !pat.contains('*') {
        return pat == name;
    }
    let parts: Vec<&str> = pat.split('*').collect();
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(pos) => rest = &rest[pos + p.len()..],
                None => return false,
            }
        }
    }
    true
}
