//! Where a tabular expression starts: a table or tabular `let` name, a query that begins with
//! `|` (AzureDiagnostics), `( query )`, `search`, `union`, `datatable`, `print` and `range`
//! (`find` is in `find.rs`).

use crate::ast::{Assign, BinOp, Source};
use crate::error::{RawError, Res};
use crate::exec::{union_batches, values_col, Batch, Ctx};
use crate::expr::CE;
use crate::tables;
use crate::value::{kql_cmp, Type, Value};
use std::cmp::Ordering;

pub(crate) fn run(ctx: &mut Ctx, s: &Source) -> Res<Batch> {
    match s {
        Source::Table(name, span) => ctx.table_by_name(name, *span),
        Source::Implicit(_) => Ok(Batch::source(tables::AZURE_DIAGNOSTICS, ctx.src.len())),
        Source::Nested(t) => ctx.run_tabular(t),
        Source::Search { tables: ts, pred } => {
            // Without `in (…)`: AzureDiagnostics and the views (`let V = view () {…}`).
            let list: Vec<(String, crate::ast::Span)> = if ts.is_empty() {
                std::iter::once("AzureDiagnostics".to_string())
                    .chain(ctx.view_names())
                    .map(|n| (n, pred.span))
                    .collect()
            } else {
                ts.clone()
            };
            let mut parts = Vec::new();
            let mut first_err = None;
            for (name, span) in &list {
                let b = if ctx.functions.contains_key(name) {
                    ctx.call_tabular(name, &[], *span)?
                } else {
                    ctx.table_by_name(name, *span)?
                };
                let mut b = match super::where_::search(ctx, b, pred) {
                    Ok(b) => b,
                    // Over several tables, one without a column the predicate names has no
                    // matches (let-statement.md: `search MyColumn == 5` over two views).
                    Err(e) if list.len() > 1 && e.message.starts_with("unknown column") => {
                        first_err.get_or_insert(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                b.cols.insert(
                    0,
                    values_col("$table", Type::String, vec![Value::str(name); b.len]),
                );
                parts.push(b);
            }
            match first_err {
                Some(e) if parts.is_empty() => Err(e),
                _ => Ok(union_batches(parts, &ctx.src)),
            }
        }
        Source::Union(u) => super::union::source(ctx, u),
        Source::Find(f) => super::find::run(ctx, f),
        Source::AllTables(_) => super::union::source(
            ctx,
            &crate::ast::Union {
                withsource: None,
                items: vec![crate::ast::Tabular {
                    source: s.clone(),
                    ops: Vec::new(),
                }],
            },
        ),
        Source::Call { name, args, span } => ctx.call_tabular(name, args, *span),
        Source::Pattern {
            name,
            args,
            path,
            span,
        } => pattern(ctx, name, args, path.as_deref(), *span),
        Source::DataTable { columns, values } => {
            let n = columns.len().max(1);
            let rows = values.len() / n;
            let cols = columns
                .iter()
                .enumerate()
                .map(|(i, (name, ty))| {
                    values_col(
                        name.clone(),
                        *ty,
                        (0..rows).map(|r| values[r * n + i].clone()).collect(),
                    )
                })
                .collect();
            Ok(Batch { cols, len: rows })
        }
        Source::Print(assigns) => print(ctx, assigns),
        Source::Range {
            name,
            from,
            to,
            step,
        } => {
            let f = ctx.eval_const(from)?;
            let t = ctx.eval_const(to)?;
            let s = ctx.eval_const(step)?;
            let mut out = Vec::new();
            let ty = f.type_of().unwrap_or(Type::Long);
            let mut cur = f;
            let one = Batch::rows_only(1);
            while kql_cmp(&cur, &t).is_some_and(|o| o != Ordering::Greater) {
                if out.len() >= 1_000_000 {
                    return Err(RawError::new(
                        step.span,
                        "range produces more than 1,000,000 rows",
                    ));
                }
                out.push(cur.clone());
                let add = CE::Bin(
                    BinOp::Add,
                    Box::new(CE::Const(cur.clone())),
                    Box::new(CE::Const(s.clone())),
                );
                let next = ctx.eval_at(&add, &one, 0);
                if kql_cmp(&next, &cur) != Some(Ordering::Greater) {
                    return Err(RawError::new(step.span, "range step must be positive"));
                }
                cur = next;
            }
            let n = out.len();
            Ok(Batch {
                cols: vec![values_col(name.clone(), ty, out)],
                len: n,
            })
        }
    }
}

/// `P(args)[.Path]`: the query of the pattern's rule whose arguments (and path) equal these.
fn pattern(
    ctx: &mut Ctx,
    name: &str,
    args: &[crate::ast::Expr],
    path: Option<&str>,
    span: crate::ast::Span,
) -> Res<Batch> {
    let Some(p) = ctx.patterns.get(name).cloned() else {
        return Err(RawError::new(span, format!("unknown pattern '{name}'")));
    };
    if args.len() != p.params || path.is_some() != p.path {
        return Err(RawError::new(
            span,
            format!(
                "pattern '{name}' takes {} argument(s){}",
                p.params,
                if p.path { " and a path" } else { "" }
            ),
        ));
    }
    let mut want = Vec::with_capacity(args.len());
    for a in args {
        let e = ctx.resolve_expr(a)?;
        want.push(ctx.eval_const(&e)?);
    }
    for (rargs, rpath, body) in &p.rules {
        if rpath.as_deref() != path || rargs.len() != want.len() {
            continue;
        }
        let mut all = true;
        for (r, w) in rargs.iter().zip(&want) {
            let v = ctx.eval_const(r)?;
            if kql_cmp(&v, w) != Some(Ordering::Equal) {
                all = false;
                break;
            }
        }
        if all {
            return ctx.run_tabular(body);
        }
    }
    let shown: Vec<String> = want.iter().map(|v| v.to_kql_string()).collect();
    Err(RawError::new(
        span,
        format!(
            "pattern '{name}' has no rule for ({}){}",
            shown.join(", "),
            path.map(|p| format!(".[\"{p}\"]")).unwrap_or_default()
        ),
    ))
}

/// `print a = 1, b = "x"`: one row; unnamed columns are `print_0`, `print_1`, ….
fn print(ctx: &mut Ctx, assigns: &[Assign]) -> Res<Batch> {
    let mut b = Batch::rows_only(1);
    let mut k = 0;
    for a in assigns {
        if !a.tuple.is_empty() || (a.name.is_none() && ctx.has_several_results(&a.expr)) {
            let cols = ctx.assign_cols(&b, a, &mut k)?;
            b.cols.extend(cols);
            continue;
        }
        let (c, ty) = ctx.compile(&a.expr, &b)?;
        let v = ctx.eval_rows(&c, &b);
        let name = match &a.name {
            Some((n, _)) => n.clone(),
            None => {
                let n = format!("print_{k}");
                k += 1;
                n
            }
        };
        b.cols.push(values_col(name, ty, v));
    }
    Ok(b)
}
