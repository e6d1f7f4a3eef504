//! `summarize agg, … [by key, …]`: one row per group (first-seen order), the group keys then
//! the aggregations (`functions/aggregates.rs`). An aggregation may sit inside a scalar
//! expression (`round(avg(x), 2)`, `toupper(tohex(binary_all_xor(n)))`): the aggregations
//! are computed per group, then the expression over them. Without `by`, one row even for no
//! input.

use crate::ast::{Assign, Expr, ExprKind};
use crate::error::{RawError, Res};
use crate::exec::{group_name, push_unique, values_col, Batch, Col, Ctx};
use crate::expr::{compile, eval, Row, Scope, CE};
use crate::functions::aggregates::{self, compile_agg, AggKind, AggSpec, AggState, ArgSrc};
use crate::functions::heap_size;
use crate::value::{Type, Value};
use std::collections::HashMap;

const SLOT: usize = std::mem::size_of::<Value>();

/// One requested output: an aggregation, or a scalar expression over hidden aggregations.
enum Out {
    Agg(usize),
    Expr {
        expr: Expr,
        name: String,
        hidden: Vec<usize>,
    },
}

/// Replace the aggregation calls inside `e` by `__aggN` names, collecting them.
fn hoist(e: &Expr, found: &mut Vec<Expr>) -> Expr {
    let kind = match &e.kind {
        ExprKind::Call(n, _) if aggregates::lookup(n).is_some() => {
            let name = format!("__agg{}", found.len());
            found.push(e.clone());
            ExprKind::Name(name)
        }
        ExprKind::Call(n, args) => {
            ExprKind::Call(n.clone(), args.iter().map(|a| hoist(a, found)).collect())
        }
        ExprKind::Binary(op, l, r) => {
            ExprKind::Binary(*op, Box::new(hoist(l, found)), Box::new(hoist(r, found)))
        }
        ExprKind::Chain(first, rest) => ExprKind::Chain(
            Box::new(hoist(first, found)),
            rest.iter().map(|(op, x)| (*op, hoist(x, found))).collect(),
        ),
        ExprKind::Neg(x) => ExprKind::Neg(Box::new(hoist(x, found))),
        ExprKind::Member(x, n) => ExprKind::Member(Box::new(hoist(x, found)), n.clone()),
        ExprKind::Index(x, i) => {
            ExprKind::Index(Box::new(hoist(x, found)), Box::new(hoist(i, found)))
        }
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

/// The group keys of `by` (or make-series' `by`): compiled, named (`bin(T, 1h)` as `T`,
/// unnamed others `Column1`, …, distinct) and typed.
pub(super) fn group_keys(scope: &Scope, by: &[Assign]) -> Res<(Vec<CE>, Vec<String>, Vec<Type>)> {
    let mut keys = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut types = Vec::new();
    for (i, g) in by.iter().enumerate() {
        let (c, ty) = compile(&g.expr, scope)?;
        let name = match &g.name {
            Some((n, _)) => n.clone(),
            None => group_name(&g.expr).unwrap_or_else(|| format!("Column{}", i + 1)),
        };
        keys.push(c);
        push_unique(&mut names, name);
        types.push(ty);
    }
    Ok((keys, names, types))
}

pub(crate) fn run(ctx: &mut Ctx, b: Batch, aggs: &[Assign], by: &[Assign]) -> Res<Batch> {
    let schema = b.schema();
    let scope = ctx.scope(&schema);
    // Group keys.
    let (keys, by_names, out_types) = group_keys(&scope, by)?;
    // Aggregations (plain, or hoisted out of scalar expressions).
    let mut specs: Vec<AggSpec> = Vec::new();
    let mut outs = Vec::new();
    for (i, a) in aggs.iter().enumerate() {
        let plain = matches!(&a.expr.kind, ExprKind::Call(n, _) if aggregates::lookup(n).is_some());
        if plain {
            outs.push(Out::Agg(specs.len()));
            specs.push(compile_agg(a, &scope)?);
            continue;
        }
        let mut found = Vec::new();
        let expr = hoist(&a.expr, &mut found);
        if found.is_empty() {
            // Not an aggregation at all: the usual error.
            compile_agg(a, &scope)?;
            return Err(RawError::new(a.expr.span, "expected an aggregation"));
        }
        let mut hidden = Vec::new();
        for f in found {
            hidden.push(specs.len());
            specs.push(compile_agg(&Assign::bare(f), &scope)?);
        }
        let name = match &a.name {
            Some((n, _)) => n.clone(),
            None => format!("Column{}", i + 1),
        };
        outs.push(Out::Expr { expr, name, hidden });
    }
    // Grouping.
    let src = &ctx.src;
    let mut groups: HashMap<Vec<Value>, usize> = HashMap::new();
    let mut group_keys: Vec<Vec<Value>> = Vec::new();
    let mut states: Vec<Vec<AggState>> = Vec::new();
    let mut key: Vec<Value> = Vec::with_capacity(keys.len());
    for r in 0..b.len {
        if ctx.env.failed() {
            break;
        }
        let get = |i: usize| b.cols[i].get(r, src);
        let row = Row {
            get: &get,
            env: &ctx.env,
            at: r,
        };
        key.clear();
        key.extend(keys.iter().map(|k| eval(k, &row)));
        let g = match groups.get(&key) {
            Some(&g) => g,
            None => {
                let g = group_keys.len();
                let bytes: usize = key.iter().map(|v| 2 * (SLOT + heap_size(v))).sum();
                ctx.env.charge(bytes + specs.len() * 64);
                groups.insert(key.clone(), g);
                group_keys.push(key.clone());
                states.push(specs.iter().map(|s| s.init()).collect());
                g
            }
        };
        for (s, st) in specs.iter().zip(states[g].iter_mut()) {
            s.update(st, &row, r as u32);
        }
    }
    if by.is_empty() && group_keys.is_empty() {
        group_keys.push(Vec::new());
        states.push(specs.iter().map(|s| s.init()).collect());
    }
    // Output columns.
    let ng = group_keys.len();
    let mut cols: Vec<Col> = Vec::new();
    for (i, name) in by_names.iter().enumerate() {
        cols.push(values_col(
            name.clone(),
            out_types[i],
            group_keys.iter().map(|k| k[i].clone()).collect(),
        ));
    }
    let mut names: Vec<String> = by_names.clone();
    for out in &outs {
        match out {
            Out::Agg(si) => {
                let s = &specs[*si];
                match &s.kind {
                    AggKind::ArgMax(_) | AggKind::ArgMin(_) => {
                        let rows: Vec<Option<u32>> =
                            states.iter().map(|st| st[*si].arg_row()).collect();
                        for (name, src_col) in s.arg_outputs(&schema, &by_names) {
                            let name = push_unique(&mut names, name);
                            let (v, ty): (Vec<Value>, Type) = match &src_col {
                                ArgSrc::Expr(c, t) => (
                                    rows.iter()
                                        .map(|r| match r {
                                            Some(r) => ctx.eval_at(c, &b, *r as usize),
                                            None => Value::Null,
                                        })
                                        .collect(),
                                    *t,
                                ),
                                ArgSrc::Col(ci) => (
                                    rows.iter()
                                        .map(|r| {
                                            r.map(|r| b.cols[*ci].get(r as usize, src))
                                                .unwrap_or_else(|| b.cols[*ci].ty.missing())
                                        })
                                        .collect(),
                                    b.cols[*ci].ty,
                                ),
                            };
                            cols.push(values_col(name, ty, v));
                        }
                    }
                    _ if !s.more.is_empty() => {
                        // Several results (percentiles): one column each.
                        let v: Vec<Value> = states.iter().map(|st| st[*si].finish(s)).collect();
                        for (k, n) in std::iter::once(&s.name).chain(&s.more).enumerate() {
                            let col: Vec<Value> = v
                                .iter()
                                .map(|x| match x {
                                    Value::Dynamic(d) => d
                                        .get(k)
                                        .map(|e| {
                                            crate::functions::cast(
                                                &Value::dynamic(e.clone()).undyn(),
                                                s.ty,
                                            )
                                        })
                                        .unwrap_or(Value::Null),
                                    _ => Value::Null,
                                })
                                .collect();
                            cols.push(values_col(push_unique(&mut names, n.clone()), s.ty, col));
                        }
                    }
                    _ => {
                        let name = push_unique(&mut names, s.name.clone());
                        let v: Vec<Value> = states.iter().map(|st| st[*si].finish(s)).collect();
                        cols.push(values_col(name, s.ty, v));
                    }
                }
            }
            Out::Expr { expr, name, hidden } => {
                // The hidden aggregations as columns beside the keys, then the expression.
                let mut tmp = Batch {
                    cols: cols[..by_names.len()].to_vec(),
                    len: ng,
                };
                for (k, si) in hidden.iter().enumerate() {
                    let s = &specs[*si];
                    let v: Vec<Value> = states.iter().map(|st| st[*si].finish(s)).collect();
                    tmp.cols.push(values_col(format!("__agg{k}"), s.ty, v));
                }
                let (c, ty) = ctx.compile(expr, &tmp)?;
                let v = ctx.eval_rows(&c, &tmp);
                cols.push(values_col(push_unique(&mut names, name.clone()), ty, v));
            }
        }
    }
    Ok(Batch { cols, len: ng })
}
