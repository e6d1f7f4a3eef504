//! `join [kind=…] (right) on key, $left.a == $right.b` (innerunique by default, as in Kusto)
//! and `lookup` (a leftouter join). Keys hash by value (long 1 and real 1.0 are one key);
//! null keys never match.

use crate::ast::{Expr, ExprKind, JoinKind, Tabular};
use crate::error::{RawError, Res};
use crate::exec::{side_by_side, Batch, Ctx, MAX_ROWS};
use crate::expr::{compile, eval, unknown_column, Row, CE};
use crate::value::Value;
use std::collections::{HashMap, HashSet};

pub(crate) fn run(
    ctx: &mut Ctx,
    l: Batch,
    kind: JoinKind,
    right: &Tabular,
    on: &[(Expr, Expr)],
) -> Res<Batch> {
    let r = ctx.run_tabular(right)?;
    join(ctx, l, r, kind, on)
}

/// Compile one side's key expression against that side's schema.
fn side_key(ctx: &Ctx, e: &Expr, b: &Batch, left: bool) -> Res<CE> {
    let schema = b.schema();
    let e2 = match &e.kind {
        ExprKind::Side(_, n) => Expr {
            kind: ExprKind::Name(n.clone()),
            span: e.span,
        },
        _ => e.clone(),
    };
    if let ExprKind::Name(n) = &e2.kind {
        if b.index_of(n).is_none() {
            let mut err = unknown_column(n, e.span, &ctx.scope(&schema));
            err.message = format!(
                "{} on the {} side of the join",
                err.message.split(';').next().unwrap_or(""),
                if left { "left" } else { "right" }
            ) + &err
                .message
                .split_once(';')
                .map(|(_, s)| format!(";{s}"))
                .unwrap_or_default();
            return Err(err);
        }
    }
    Ok(compile(&e2, &ctx.scope(&schema))?.0)
}

pub(crate) fn join(
    ctx: &mut Ctx,
    l: Batch,
    r: Batch,
    kind: JoinKind,
    on: &[(Expr, Expr)],
) -> Res<Batch> {
    let mut lk = Vec::new();
    let mut rk = Vec::new();
    for (a, bexpr) in on {
        // `$right.X == $left.Y` is allowed too.
        let (le, re) = match (&a.kind, &bexpr.kind) {
            (ExprKind::Side(false, _), ExprKind::Side(true, _)) => (bexpr, a),
            _ => (a, bexpr),
        };
        lk.push(side_key(ctx, le, &l, true)?);
        rk.push(side_key(ctx, re, &r, false)?);
    }
    let src = &ctx.src;
    let env = &ctx.env;
    let key_of = |b: &Batch, ks: &[CE], row: usize| -> Option<Vec<Value>> {
        let get = |i: usize| b.cols[i].get(row, src);
        let rr = Row {
            get: &get,
            env,
            at: row,
        };
        let mut k = Vec::with_capacity(ks.len());
        for c in ks {
            let v = eval(c, &rr).undyn();
            if v.is_null() {
                return None;
            }
            k.push(match v {
                Value::Long(x) => Value::Real(x as f64),
                other => other,
            });
        }
        Some(k)
    };
    let mut rmap: HashMap<Vec<Value>, Vec<u32>> = HashMap::new();
    for row in 0..r.len {
        if let Some(k) = key_of(&r, &rk, row) {
            rmap.entry(k).or_default().push(row as u32);
        }
    }
    let lkeys: Vec<Option<Vec<Value>>> = (0..l.len).map(|row| key_of(&l, &lk, row)).collect();
    match kind {
        JoinKind::LeftAnti | JoinKind::LeftSemi => {
            let want = kind == JoinKind::LeftSemi;
            let rows: Vec<u32> = (0..l.len)
                .filter(|&i| lkeys[i].as_ref().is_some_and(|k| rmap.contains_key(k)) == want)
                .map(|i| i as u32)
                .collect();
            Ok(l.gather(&rows))
        }
        JoinKind::RightAnti | JoinKind::RightSemi => {
            let lset: HashSet<&Vec<Value>> = lkeys.iter().flatten().collect();
            let want = kind == JoinKind::RightSemi;
            let rows: Vec<u32> = (0..r.len)
                .filter(|&i| key_of(&r, &rk, i).is_some_and(|k| lset.contains(&k)) == want)
                .map(|i| i as u32)
                .collect();
            Ok(r.gather(&rows))
        }
        _ => {
            let mut lrows: Vec<Option<u32>> = Vec::new();
            let mut rrows: Vec<Option<u32>> = Vec::new();
            let mut rmatched = vec![false; r.len];
            let mut seen_left: HashSet<&Vec<Value>> = HashSet::new();
            for (i, k) in lkeys.iter().enumerate() {
                if kind == JoinKind::InnerUnique {
                    match k {
                        Some(k) if !seen_left.insert(k) => continue,
                        _ => {}
                    }
                }
                match k.as_ref().and_then(|k| rmap.get(k)) {
                    Some(ms) => {
                        for &m in ms {
                            lrows.push(Some(i as u32));
                            rrows.push(Some(m));
                            rmatched[m as usize] = true;
                        }
                        if lrows.len() > MAX_ROWS {
                            return Err(RawError::new(
                                on.first().map(|o| o.0.span).unwrap_or((0, 0)),
                                format!("join result exceeds {MAX_ROWS} rows; add filters or join on more keys"),
                            ));
                        }
                    }
                    None => {
                        if matches!(kind, JoinKind::LeftOuter | JoinKind::FullOuter) {
                            lrows.push(Some(i as u32));
                            rrows.push(None);
                        }
                    }
                }
            }
            if matches!(kind, JoinKind::RightOuter | JoinKind::FullOuter) {
                for (m, hit) in rmatched.iter().enumerate() {
                    if !hit {
                        lrows.push(None);
                        rrows.push(Some(m as u32));
                    }
                }
            }
            Ok(side_by_side(
                l.gather_opt(&lrows, src),
                r.gather_opt(&rrows, src),
            ))
        }
    }
}
