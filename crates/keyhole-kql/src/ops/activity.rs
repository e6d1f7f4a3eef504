//! The user-activity plugins over an id column and a timeline column, windowed from `Start` to
//! `End` by a step (a timespan or number, or `'week'` / `'month'` / `'year'`: the periods then
//! start as `startofweek` / `startofmonth` / `startofyear` do), per combination of optional
//! dimension columns (a window appears only when some row falls in it):
//!
//! - `activity_counts_metrics(Id, Timeline, Start, End, Step [, Dim…])`
//!   (activity-counts-metrics-plugin.md): per window the rows (`count`), their distinct ids
//!   (`dcount`), the ids no earlier window had (`new_dcount`) and the distinct ids of every
//!   window up to this one (`aggregated_dcount`);
//! - `sliding_window_counts(Id, Timeline, Start, End, LookbackWindow, Bin [, Dim…])`
//!   (sliding-window-counts-plugin.md): per bin the rows (`Count`) and distinct ids (`Dcount`)
//!   of the lookback window that ends with that bin (the bin and the bins before it that the
//!   lookback covers; rows before `Start` count towards later bins).
//!
//! Distinct counts are exact (as `dcount` is here).

use super::evaluate::{column_index, Plugin};
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Ctx};
use crate::functions::{floor_to, start_of};
use crate::value::{Type, Value};
use keyhole_core::time::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How rows fall into windows.
#[derive(Clone, Copy)]
enum Step {
    /// Fixed windows of this many units (microseconds for time) counted from `Start`.
    Fixed(i64),
    /// Calendar periods: "week", "month" or "year".
    Calendar(&'static str),
}

impl Step {
    fn window(self, t: i64, start: i64) -> Option<i64> {
        match self {
            Step::Fixed(s) => Some(start + floor_to(t - start, s)),
            Step::Calendar(u) => start_of(u, t, 0),
        }
    }

    /// The window after `w`.
    fn next(self, w: i64) -> Option<i64> {
        match self {
            Step::Fixed(s) => w.checked_add(s),
            Step::Calendar(u) => start_of(u, w, 1),
        }
    }
}

/// A timeline value as an integer (microseconds for datetimes and timespans).
fn timeline(v: &Value) -> Option<i64> {
    match v.undyn() {
        Value::DateTime(t) => Some(t.micros),
        Value::TimeSpan(t) => Some(t),
        Value::Long(x) => Some(x),
        Value::Real(x) if x.is_finite() => Some(x.floor() as i64),
        _ => None,
    }
}

fn back_to(ty: Type, x: i64) -> Value {
    match ty {
        Type::DateTime => Value::DateTime(Timestamp::from_micros(x)),
        Type::TimeSpan => Value::TimeSpan(x),
        Type::Real => Value::Real(x as f64),
        _ => Value::Long(x),
    }
}

/// The parsed common arguments.
struct Args {
    id: usize,
    time: usize,
    start: i64,
    end: i64,
    dims: Vec<usize>,
}

fn step_arg(ctx: &Ctx, p: &Plugin, i: usize, what: &str) -> Res<Step> {
    let a = &p.args[i];
    let v = ctx.eval_const(a)?.undyn();
    let bad = || {
        RawError::new(
            a.span,
            format!(
                "{}: {what} must be a positive timespan or number, or 'week', 'month' or 'year'",
                p.name
            ),
        )
    };
    match v {
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "week" => Ok(Step::Calendar("week")),
            "month" => Ok(Step::Calendar("month")),
            "year" => Ok(Step::Calendar("year")),
            _ => Err(bad()),
        },
        Value::TimeSpan(s) if s > 0 => Ok(Step::Fixed(s)),
        Value::Long(s) if s > 0 => Ok(Step::Fixed(s)),
        Value::Real(s) if s >= 1.0 => Ok(Step::Fixed(s as i64)),
        _ => Err(bad()),
    }
}

/// Id, timeline, start, end; `fixed` more constant arguments follow before the dimensions.
fn common(ctx: &Ctx, b: &Batch, p: &Plugin, fixed: usize, usage: &str) -> Res<Args> {
    if p.args.len() < 4 + fixed {
        return Err(RawError::new(
            p.name_span,
            format!(
                "{} expects at least {} arguments, got {}: {usage}",
                p.name,
                4 + fixed,
                p.args.len()
            ),
        ));
    }
    let id = column_index(b, p, 0, "the id column", usage)?;
    let time = column_index(b, p, 1, "the timeline column", usage)?;
    let bound = |i: usize, what: &str| -> Res<i64> {
        timeline(&ctx.eval_const(&p.args[i])?).ok_or_else(|| {
            RawError::new(
                p.args[i].span,
                format!("{}: {what} must be a datetime or a number", p.name),
            )
        })
    };
    let (start, end) = (bound(2, "Start")?, bound(3, "End")?);
    let dims = (4 + fixed..p.args.len())
        .map(|i| column_index(b, p, i, "a dimension", usage))
        .collect::<Res<_>>()?;
    Ok(Args {
        id,
        time,
        start,
        end,
        dims,
    })
}

/// Per dimension combination (first-seen order): per window, the ids of its rows (one entry a
/// row, ids as text).
type Groups = Vec<(Vec<Value>, BTreeMap<i64, Vec<String>>)>;

/// Every row with a timeline value, by dimension combination and by `window(t)` (None: skip).
fn group(ctx: &Ctx, b: &Batch, a: &Args, window: impl Fn(i64) -> Option<i64>) -> Groups {
    let src = &ctx.src;
    let mut groups: Groups = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for r in 0..b.len {
        let Some(w) = timeline(&b.cols[a.time].get(r, src)).and_then(&window) else {
            continue;
        };
        let key: Vec<Value> = a.dims.iter().map(|&d| b.cols[d].get(r, src)).collect();
        let g = *at.entry(format!("{key:?}")).or_insert_with(|| {
            groups.push((key, BTreeMap::new()));
            groups.len() - 1
        });
        let id = b.cols[a.id].get(r, src).to_kql_string();
        ctx.env.charge(id.len() + 32);
        groups[g].1.entry(w).or_default().push(id);
    }
    groups
}

/// The output: the timeline column, the dimensions, then the counts.
fn output(b: &Batch, a: &Args, rows: Vec<(i64, Vec<Value>, Vec<i64>)>, names: &[&str]) -> Batch {
    let tty = b.cols[a.time].ty;
    let len = rows.len();
    let mut t = Vec::with_capacity(len);
    let mut dims: Vec<Vec<Value>> = vec![Vec::with_capacity(len); a.dims.len()];
    let mut counts: Vec<Vec<Value>> = vec![Vec::with_capacity(len); names.len()];
    for (w, key, c) in rows {
        t.push(back_to(tty, w));
        for (d, v) in dims.iter_mut().zip(key) {
            d.push(v);
        }
        for (o, x) in counts.iter_mut().zip(c) {
            o.push(Value::Long(x));
        }
    }
    let mut cols = vec![values_col(b.cols[a.time].name.clone(), tty, t)];
    for (&d, v) in a.dims.iter().zip(dims) {
        cols.push(values_col(b.cols[d].name.clone(), b.cols[d].ty, v));
    }
    for (n, v) in names.iter().zip(counts) {
        cols.push(values_col(*n, Type::Long, v));
    }
    Batch { cols, len }
}

pub(crate) fn activity_counts_metrics(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    const USAGE: &str =
        "activity_counts_metrics(IdColumn, TimelineColumn, Start, End, Step [, Dim1, …])";
    let a = common(ctx, &b, p, 1, USAGE)?;
    let step = step_arg(ctx, p, 4, "Step")?;
    let (start, end) = (a.start, a.end);
    let groups = group(ctx, &b, &a, |t| {
        let w = step.window(t, start)?;
        (t >= start && w <= end).then_some(w)
    });
    let mut rows = Vec::new();
    for (key, windows) in groups {
        let mut seen: HashSet<String> = HashSet::new();
        for (w, ids) in windows {
            let distinct: HashSet<&String> = ids.iter().collect();
            let before = seen.len();
            seen.extend(distinct.iter().map(|s| (*s).clone()));
            let new = (seen.len() - before) as i64;
            rows.push((
                w,
                key.clone(),
                vec![
                    ids.len() as i64,
                    distinct.len() as i64,
                    new,
                    seen.len() as i64,
                ],
            ));
        }
    }
    rows.sort_by_key(|r| r.0);
    ctx.check(p.name_span)?;
    Ok(output(
        &b,
        &a,
        rows,
        &["count", "dcount", "new_dcount", "aggregated_dcount"],
    ))
}

pub(crate) fn sliding_window_counts(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    const USAGE: &str = "sliding_window_counts(IdColumn, TimelineColumn, Start, End, LookbackWindow, Bin [, Dim1, …])";
    let a = common(ctx, &b, p, 2, USAGE)?;
    let lookback = timeline(&ctx.eval_const(&p.args[4])?)
        .filter(|l| *l > 0)
        .ok_or_else(|| {
            RawError::new(
                p.args[4].span,
                "sliding_window_counts: LookbackWindow must be a positive timespan or number",
            )
        })?;
    let step = step_arg(ctx, p, 5, "Bin")?;
    let (start, end) = (a.start, a.end);
    // Rows from the lookback before Start on count towards the bins from Start.
    let groups = group(ctx, &b, &a, |t| {
        let w = step.window(t, start)?;
        (w > start.saturating_sub(lookback) && w <= end).then_some(w)
    });
    let mut rows = Vec::new();
    for (key, bins) in groups {
        // Each bin's rows count towards it and the bins after it that start within the
        // lookback of it, from Start to End.
        let mut per_bin: BTreeMap<i64, (i64, HashSet<&String>)> = BTreeMap::new();
        for (&w, ids) in &bins {
            let mut to = Some(w);
            while let Some(x) = to {
                if x > end || x >= w.saturating_add(lookback) {
                    break;
                }
                if x >= start {
                    let e = per_bin.entry(x).or_default();
                    e.0 += ids.len() as i64;
                    e.1.extend(ids.iter());
                }
                to = step.next(x).filter(|n| *n > x);
            }
        }
        for (w, (n, ids)) in per_bin {
            rows.push((w, key.clone(), vec![n, ids.len() as i64]));
        }
    }
    rows.sort_by_key(|r| r.0);
    ctx.check(p.name_span)?;
    Ok(output(&b, &a, rows, &["Count", "Dcount"]))
}
