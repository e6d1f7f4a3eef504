//! `summarize agg, … [by key, …]`: one row per group (first-seen order), the group keys then
//! the aggregations (`functions/aggregates.rs`). Without `by`, one row even for no input.

use crate::ast::Assign;
use crate::error::Res;
use crate::exec::{group_name, push_unique, values_col, Batch, Col, Ctx};
use crate::expr::{compile, eval, Row};
use crate::functions::aggregates::{compile_agg, AggKind, AggState, ArgSrc};
use crate::functions::heap_size;
use crate::value::{Type, Value};

const SLOT: usize = std::mem::size_of::<Value>();
use std::collections::HashMap;

pub(crate) fn run(ctx: &mut Ctx, b: Batch, aggs: &[Assign], by: &[Assign]) -> Res<Batch> {
    let schema = b.schema();
    let scope = ctx.scope(&schema);
    // Group keys.
    let mut keys = Vec::new();
    let mut out_names: Vec<String> = Vec::new();
    let mut out_types: Vec<Type> = Vec::new();
    for (i, g) in by.iter().enumerate() {
        let (c, ty) = compile(&g.expr, &scope)?;
        let name = match &g.name {
            Some((n, _)) => n.clone(),
            None => group_name(&g.expr).unwrap_or_else(|| format!("Column{}", i + 1)),
        };
        keys.push(c);
        push_unique(&mut out_names, name);
        out_types.push(ty);
    }
    let by_names: Vec<String> = out_names.clone();
    // Aggregations.
    let mut specs = Vec::new();
    for a in aggs {
        specs.push(compile_agg(a, &scope)?);
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
    for (si, s) in specs.iter().enumerate() {
        match &s.kind {
            AggKind::ArgMax(_) | AggKind::ArgMin(_) => {
                let rows: Vec<Option<u32>> = states.iter().map(|st| st[si].arg_row()).collect();
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
            _ => {
                let name = push_unique(&mut names, s.name.clone());
                let v: Vec<Value> = states.iter().map(|st| st[si].finish(s)).collect();
                cols.push(values_col(name, s.ty, v));
            }
        }
    }
    Ok(Batch { cols, len: ng })
}
