//! `scan [with_match_id = Id] [declare (Col: type [= default], …)] with (step S [output =
//! all | last | none]: Condition [=> Col = Expr, …]; …)`: sequences matched over the rows in
//! order, as Kusto documents its matching logic. The state holds, for each step k, the
//! records of steps 1..=k of the sequence that reached it. Each row is tried against the steps
//! from the last to the first: "check 1" moves the sequence of step k-1 on to step k when the
//! row meets step k's condition; otherwise "check 2" lets the row replace step k's own record
//! (or, at the first step, start a new sequence). `S.Col` reads a column of step S's record in
//! the state the row is tried against (a declared column's default when there is none).

use crate::ast::{Expr, ExprKind, Scan, StepOutput};
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Ctx};
use crate::expr::{compile, eval, Row, CE};
use crate::value::{Type, Value};

/// One sequence in the state: its records (one per step reached, input columns then declared
/// columns) and its match id.
#[derive(Clone)]
struct Seq {
    records: Vec<Vec<Value>>,
    id: i64,
}

/// A step, compiled against the row layout: the row's columns, then every step's copy of them.
struct Step {
    cond: CE,
    assigns: Vec<(usize, CE)>,
    output: StepOutput,
}

/// `S.Col` → a column of its own (`S.Col` as its name) in the layout the steps compile against.
fn rewrite(e: &Expr, steps: &[String]) -> Expr {
    let kind = match &e.kind {
        ExprKind::Member(x, col) => match &x.kind {
            ExprKind::Name(s) if steps.contains(s) => ExprKind::Name(format!("{s}.{col}")),
            _ => ExprKind::Member(Box::new(rewrite(x, steps)), col.clone()),
        },
        ExprKind::Call(n, args) => {
            ExprKind::Call(n.clone(), args.iter().map(|a| rewrite(a, steps)).collect())
        }
        ExprKind::Named(n, x) => ExprKind::Named(n.clone(), Box::new(rewrite(x, steps))),
        ExprKind::Neg(x) => ExprKind::Neg(Box::new(rewrite(x, steps))),
        ExprKind::Chain(first, rest) => ExprKind::Chain(
            Box::new(rewrite(first, steps)),
            rest.iter()
                .map(|(op, x)| (*op, rewrite(x, steps)))
                .collect(),
        ),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(
            *op,
            Box::new(rewrite(l, steps)),
            Box::new(rewrite(r, steps)),
        ),
        ExprKind::In {
            expr,
            list,
            negated,
            ci,
        } => ExprKind::In {
            expr: Box::new(rewrite(expr, steps)),
            list: list.iter().map(|a| rewrite(a, steps)).collect(),
            negated: *negated,
            ci: *ci,
        },
        ExprKind::HasAny { expr, list, all } => ExprKind::HasAny {
            expr: Box::new(rewrite(expr, steps)),
            list: list.iter().map(|a| rewrite(a, steps)).collect(),
            all: *all,
        },
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => ExprKind::Between {
            expr: Box::new(rewrite(expr, steps)),
            lo: Box::new(rewrite(lo, steps)),
            hi: Box::new(rewrite(hi, steps)),
            negated: *negated,
        },
        ExprKind::Index(x, i) => {
            ExprKind::Index(Box::new(rewrite(x, steps)), Box::new(rewrite(i, steps)))
        }
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

pub(crate) fn run(ctx: &mut Ctx, b: Batch, s: &Scan) -> Res<Batch> {
    let names: Vec<String> = s.steps.iter().map(|st| st.name.clone()).collect();
    // The row: input columns, declared columns; then, per step, a copy of both.
    let mut row_cols: Vec<(String, Type)> = b.schema();
    let n_input = row_cols.len();
    let mut defaults = Vec::new();
    for (name, ty, default) in &s.declare {
        if row_cols.iter().any(|(c, _)| c == name) {
            return Err(RawError::new(
                s.span,
                format!("scan: '{name}' is already a column"),
            ));
        }
        let v = match default {
            Some(e) => crate::functions::cast(&ctx.eval_const(e)?, *ty),
            None => Value::Null,
        };
        row_cols.push((name.clone(), *ty));
        defaults.push(v);
    }
    let width = row_cols.len();
    let mut layout = row_cols.clone();
    for st in &names {
        for (c, t) in &row_cols {
            layout.push((format!("{st}.{c}"), *t));
        }
    }
    let scope = ctx.scope(&layout);
    let mut steps = Vec::with_capacity(s.steps.len());
    for st in &s.steps {
        let (cond, _) = compile(&rewrite(&st.cond, &names), &scope)?;
        let mut assigns = Vec::new();
        for (col, e) in &st.assigns {
            let Some(i) = s.declare.iter().position(|(d, _, _)| d == &col.0) else {
                return Err(RawError::new(
                    col.1,
                    format!(
                        "scan: '{}' is not a declared column (declare ({}: type))",
                        col.0, col.0
                    ),
                ));
            };
            let (c, _) = compile(&rewrite(e, &names), &scope)?;
            assigns.push((n_input + i, c));
        }
        steps.push(Step {
            cond,
            assigns,
            output: st.output,
        });
    }
    let n = steps.len();
    let mut state: Vec<Option<Seq>> = vec![None; n];
    let mut last: Vec<Option<(Vec<Value>, i64)>> = vec![None; n];
    let mut next_id = 0i64;
    let mut out: Vec<(Vec<Value>, i64)> = Vec::new();
    let empty_record: Vec<Value> = (0..width)
        .map(|i| {
            if i < n_input {
                Value::Null
            } else {
                defaults[i - n_input].clone()
            }
        })
        .collect();
    let mut buf: Vec<Value> = Vec::with_capacity(layout.len());
    // Try a step's condition (and assignments) on `r` against the records of `seq`; the
    // extended row when it matches.
    let try_step =
        |k: usize, r: &[Value], seq: Option<&Seq>, buf: &mut Vec<Value>| -> Option<Vec<Value>> {
            buf.clear();
            buf.extend_from_slice(r);
            buf.extend_from_slice(&defaults);
            for j in 0..n {
                match seq.and_then(|q| q.records.get(j)) {
                    Some(rec) => buf.extend_from_slice(rec),
                    None => buf.extend_from_slice(&empty_record),
                }
            }
            let get = |i: usize| buf.get(i).cloned().unwrap_or(Value::Null);
            let row = Row {
                get: &get,
                env: &ctx.env,
                at: 0,
            };
            if !matches!(eval(&steps[k].cond, &row).undyn(), Value::Bool(true)) {
                return None;
            }
            let mut ext: Vec<Value> = buf[..width].to_vec();
            for (i, c) in &steps[k].assigns {
                ext[*i] = eval(c, &row);
            }
            Some(ext)
        };
    for r in 0..b.len {
        if ctx.env.failed() {
            break;
        }
        let rec: Vec<Value> = b.cols.iter().map(|c| c.get(r, &ctx.src)).collect();
        let before = out.len();
        for k in (0..n).rev() {
            // Check 1: the sequence at the previous step moves on to this one.
            if k > 0 {
                if let Some(prev) = state[k - 1].as_ref() {
                    if let Some(ext) = try_step(k, &rec, Some(prev), &mut buf) {
                        let mut seq = state[k - 1].take().unwrap_or(Seq {
                            records: Vec::new(),
                            id: 0,
                        });
                        if let Some(pending) = last[k - 1].take() {
                            out.push(pending);
                        }
                        seq.records.truncate(k);
                        seq.records.push(ext.clone());
                        emit(&mut out, &mut last[k], steps[k].output, ext, seq.id);
                        state[k] = Some(seq);
                        continue;
                    }
                }
            }
            // Check 2: the step's own sequence goes on, or the first step starts one.
            if state[k].is_some() || k == 0 {
                if let Some(ext) = try_step(k, &rec, state[k].as_ref(), &mut buf) {
                    let seq = state[k].get_or_insert_with(|| {
                        next_id += 1;
                        Seq {
                            records: Vec::new(),
                            id: next_id - 1,
                        }
                    });
                    seq.records.truncate(k);
                    seq.records.push(ext.clone());
                    let id = seq.id;
                    emit(&mut out, &mut last[k], steps[k].output, ext, id);
                }
            }
        }
        let row_bytes = (width + 1) * std::mem::size_of::<Value>();
        if !ctx.env.charge((out.len() - before) * row_bytes) {
            break;
        }
    }
    ctx.check(s.span)?;
    for pending in last.into_iter().flatten() {
        out.push(pending);
    }
    let len = out.len();
    let mut cols = Vec::with_capacity(width + 1);
    for (i, (name, ty)) in row_cols.iter().enumerate() {
        let v = out.iter().map(|(rec, _)| rec[i].clone()).collect();
        cols.push(values_col(name.clone(), *ty, v));
    }
    if let Some(id) = &s.match_id {
        let v = out.iter().map(|(_, m)| Value::Long(*m)).collect();
        cols.push(values_col(id.clone(), Type::Long, v));
    }
    Ok(Batch { cols, len })
}

/// A match's row: output now (`all`), kept until the step's run of matches ends (`last`), or
/// not at all (`none`).
fn emit(
    out: &mut Vec<(Vec<Value>, i64)>,
    last: &mut Option<(Vec<Value>, i64)>,
    policy: StepOutput,
    ext: Vec<Value>,
    id: i64,
) {
    match policy {
        StepOutput::All => out.push((ext, id)),
        StepOutput::Last => *last = Some((ext, id)),
        StepOutput::None => {}
    }
}
