//! `find [withsource=Name] [in (T, P*, …)] [where] Predicate [project-smart | project Col[:type],
//! …[, pack_all()]]`: the rows of several tables where the predicate holds, as documented:
//!
//! - without `in`, every table (AzureDiagnostics and AZKVAuditLogs); names may be wildcards and
//!   tabular `let` names;
//! - a table holding none of the columns the predicate names is left out; in the others a
//!   column the predicate names but the table lacks is null (a column no table has is an
//!   error, as in `where`); a bare string is `* has "term"`;
//! - `source_` (or the `withsource` name) holds the table's name;
//! - `project-smart` (the default) keeps the predicate's columns, then the columns every kept
//!   table has, and packs the rest of each row into `pack_`;
//! - `project a, b:type` keeps those columns (null where a table lacks one, cast to the type
//!   given), and `pack_all()` packs the other columns into `pack_`, as the documentation's
//!   examples show.
//!
//! Packed bags leave out null and empty values (AzureDiagnostics rows are mostly empty
//! columns). A column whose type differs between tables keeps the first table's type; Kusto
//! splits it into one column per type.

use crate::ast::{Expr, ExprKind, Find};
use crate::error::{RawError, Res};
use crate::exec::{union_batches, values_col, Batch, Ctx};
use crate::value::{Type, Value};

/// The tables `in (…)` names (wildcards against the tables and tabular lets), or every table.
fn tables(ctx: &Ctx, f: &Find) -> Res<Vec<(String, (usize, usize))>> {
    if f.tables.is_empty() {
        return Ok(crate::tables::TABLE_NAMES
            .iter()
            .map(|t| (t.to_string(), f.pred.span))
            .collect());
    }
    let mut out: Vec<(String, (usize, usize))> = Vec::new();
    for (pat, span) in &f.tables {
        if !pat.contains('*') {
            out.push((pat.clone(), *span));
            continue;
        }
        let mut lets: Vec<&String> = ctx.tabulars.keys().collect();
        lets.sort();
        let hits: Vec<String> = crate::tables::TABLE_NAMES
            .iter()
            .map(|t| t.to_string())
            .chain(lets.into_iter().cloned())
            .filter(|t| super::project::wildcard(pat, t))
            .collect();
        if hits.is_empty() {
            return Err(RawError::new(
                *span,
                format!("find: no table matches '{pat}'; the tables are AzureDiagnostics and AZKVAuditLogs"),
            ));
        }
        for h in hits {
            if !out.iter().any(|(n, _)| *n == h) {
                out.push((h, *span));
            }
        }
    }
    Ok(out)
}

/// The column names a predicate reads (let-bound scalars aside), in order, with a span each.
fn pred_columns(ctx: &Ctx, e: &Expr, out: &mut Vec<(String, (usize, usize))>) {
    let mut stack = vec![e];
    let mut seen: Vec<(String, (usize, usize))> = Vec::new();
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(n)
                if !ctx.scalars.contains_key(n) && !seen.iter().any(|(s, _)| s == n) =>
            {
                seen.push((n.clone(), e.span));
            }
            ExprKind::Call(_, args) => stack.extend(args.iter().rev()),
            ExprKind::Neg(x) | ExprKind::Member(x, _) | ExprKind::Named(_, x) => stack.push(x),
            ExprKind::Binary(_, l, r) | ExprKind::Index(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            ExprKind::Chain(first, rest) => {
                stack.extend(rest.iter().rev().map(|(_, x)| x));
                stack.push(first);
            }
            ExprKind::In { expr, list, .. } | ExprKind::HasAny { expr, list, .. } => {
                stack.extend(list.iter().rev());
                stack.push(expr);
            }
            ExprKind::Between { expr, lo, hi, .. } => {
                stack.push(hi);
                stack.push(lo);
                stack.push(expr);
            }
            _ => {}
        }
    }
    out.extend(seen);
}

/// A row's other columns as a bag, without null and empty values.
fn pack(ctx: &Ctx, b: &Batch, cols: &[usize], r: usize) -> Value {
    let mut m = serde_json::Map::new();
    for &i in cols {
        let v = b.cols[i].get(r, &ctx.src);
        if v.is_null() || matches!(&v, Value::String(s) if s.is_empty()) {
            continue;
        }
        m.insert(b.cols[i].name.clone(), v.to_json());
    }
    Value::dynamic(serde_json::Value::Object(m))
}

pub(crate) fn run(ctx: &mut Ctx, f: &Find) -> Res<Batch> {
    let source_col = f
        .withsource
        .clone()
        .unwrap_or_else(|| "source_".to_string());
    let mut inputs = Vec::new();
    for (name, span) in tables(ctx, f)? {
        inputs.push((name.clone(), ctx.table_by_name(&name, span)?));
    }
    let mut used = Vec::new();
    pred_columns(ctx, &f.pred, &mut used);
    // The type of a column: the first table's that has it.
    let type_of = |inputs: &[(String, Batch)], n: &str| {
        inputs
            .iter()
            .find_map(|(_, b)| b.index_of(n).map(|i| b.cols[i].ty))
    };
    for (n, span) in &used {
        if type_of(&inputs, n).is_none() {
            let schema = inputs.first().map(|(_, b)| b.schema()).unwrap_or_default();
            return Err(crate::expr::unknown_column(n, *span, &ctx.scope(&schema)));
        }
    }
    // Tables with none of the predicate's columns are left out.
    if !used.is_empty() {
        inputs.retain(|(_, b)| used.iter().any(|(n, _)| b.index_of(n).is_some()));
    }
    // The output's columns (besides source_ and pack_), with their types.
    let out_cols: Vec<(String, Type, bool /* cast */)> = match &f.project {
        Some(cols) => cols
            .iter()
            .map(|(n, _, ty)| match ty {
                Some(t) => (n.clone(), *t, true),
                None => (
                    n.clone(),
                    type_of(&inputs, n).unwrap_or(Type::String),
                    false,
                ),
            })
            .collect(),
        None => {
            let mut v: Vec<(String, Type, bool)> = Vec::new();
            for (n, _) in &used {
                if let Some(t) = type_of(&inputs, n) {
                    v.push((n.clone(), t, false));
                }
            }
            if let Some((_, first)) = inputs.first() {
                for c in &first.cols {
                    let common = inputs.iter().all(|(_, b)| b.index_of(&c.name).is_some());
                    if common && !v.iter().any(|(n, _, _)| *n == c.name) {
                        v.push((c.name.clone(), c.ty, false));
                    }
                }
            }
            v
        }
    };
    let with_pack = f.project.is_none() || f.pack_all;
    let used_types: Vec<(String, Type)> = used
        .iter()
        .filter_map(|(n, _)| type_of(&inputs, n).map(|t| (n.clone(), t)))
        .collect();
    let mut parts = Vec::new();
    for (name, b) in inputs {
        // Columns the predicate reads and this table lacks are null here.
        let mut b = b;
        let own = b.cols.len();
        for (n, ty) in &used_types {
            if b.index_of(n).is_none() {
                b.cols
                    .push(values_col(n.clone(), *ty, vec![ty.missing(); b.len]));
            }
        }
        let b = super::where_::search(ctx, b, &f.pred)?;
        ctx.check(f.pred.span)?;
        let mut cols = vec![values_col(
            source_col.clone(),
            Type::String,
            vec![Value::str(&name); b.len],
        )];
        for (n, ty, cast) in &out_cols {
            let vals: Vec<Value> = match b.index_of(n).filter(|&i| i < own) {
                Some(i) => (0..b.len)
                    .map(|r| {
                        let v = b.cols[i].get(r, &ctx.src);
                        if *cast {
                            crate::functions::cast(&v, *ty)
                        } else {
                            v
                        }
                    })
                    .collect(),
                None => vec![ty.missing(); b.len],
            };
            cols.push(values_col(n.clone(), *ty, vals));
        }
        if with_pack {
            let rest: Vec<usize> = (0..own)
                .filter(|&i| !out_cols.iter().any(|(n, _, _)| *n == b.cols[i].name))
                .collect();
            let mut bags = Vec::with_capacity(b.len);
            for r in 0..b.len {
                let v = pack(ctx, &b, &rest, r);
                if !ctx
                    .env
                    .charge(std::mem::size_of::<Value>() + crate::functions::heap_size(&v))
                {
                    break;
                }
                bags.push(v);
            }
            ctx.check(f.pred.span)?;
            cols.push(values_col("pack_", Type::Dynamic, bags));
        }
        parts.push(Batch { cols, len: b.len });
    }
    if parts.is_empty() {
        let mut cols = vec![values_col(source_col, Type::String, Vec::new())];
        cols.extend(
            out_cols
                .iter()
                .map(|(n, ty, _)| values_col(n.clone(), *ty, Vec::new())),
        );
        if with_pack {
            cols.push(values_col("pack_", Type::Dynamic, Vec::new()));
        }
        return Ok(Batch { cols, len: 0 });
    }
    Ok(union_batches(parts, &ctx.src))
}
