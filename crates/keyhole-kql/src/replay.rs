//! Replay: run a query the way a scheduler (Microsoft Sentinel's scheduled analytics rules) would,
//! at every tick across the drop, and union the rows with the tick's time in a `ReplayTime`
//! column. This is how a scheduled rule is backtested against an exported drop.
//!
//! At a tick `t` the query sees only the events a scheduler running at `t` could have seen:
//! those with `time <= t`, and with `period` set (Sentinel's `queryPeriod`), only those with
//! `time > t - period`. `now()` and `ago()` are relative to `t`. Ticks fall on whole multiples of
//! `every` since the Unix epoch (`1d` ticks at midnight UTC), from the first multiple at or after
//! the earliest event to the first at or after the latest, so the last tick sees the whole drop.
//!
//! The query is parsed once and the events are never copied: each tick runs on a sub-slice of
//! the (time-sorted) events. The CLI's `query --replay` and the page's Query tab both call
//! [`replay`].

use crate::error::KqlError;
use crate::table::{Column, Table};
use crate::value::{Type, Value};
use crate::{exec, tables};
use keyhole_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC};
use keyhole_core::{EventStore, Timestamp};
use std::collections::BTreeMap;

/// How to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Time between ticks, microseconds (Sentinel's `queryFrequency`).
    pub every: i64,
    /// How far back each run sees, microseconds (Sentinel's `queryPeriod`); `None`: everything
    /// up to the tick.
    pub period: Option<i64>,
    /// Bytes of values one run may materialise (see [`crate::QueryOptions::memory_limit`]).
    pub memory_limit: Option<usize>,
    /// At most this many rows are kept in the union (the count of all rows is still returned).
    pub max_rows: usize,
    /// Workbook parameters, as [`crate::QueryOptions::params`].
    pub params: BTreeMap<String, String>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            every: MICROS_PER_HOUR,
            period: None,
            memory_limit: None,
            max_rows: 1_000_000,
            params: BTreeMap::new(),
        }
    }
}

/// The outcome of a replay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    /// `ReplayTime` then the query's columns; rows in tick order.
    pub table: Table,
    /// Ticks run.
    pub ticks: usize,
    /// Ticks that returned at least one row.
    pub ticks_with_rows: usize,
    /// Rows returned by all ticks (the table holds at most `max_rows` of them).
    pub total_rows: usize,
}

/// A duration as Sentinel writes `queryFrequency` / `queryPeriod` and KQL writes timespans:
/// `5m`, `1h`, `14d`, `30s`, `2h30m` (units s, m, h, d; a bare number is minutes, as Sentinel's
/// portal counts them), or ISO 8601 `PT1H` / `P14D`. Returns microseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let t = s.trim();
    let t = t
        .strip_prefix("PT")
        .or_else(|| t.strip_prefix("pt"))
        .or_else(|| t.strip_prefix('P').or_else(|| t.strip_prefix('p')))
        .unwrap_or(t);
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok()?.checked_mul(MICROS_PER_MIN);
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => MICROS_PER_SEC,
            'm' => MICROS_PER_MIN,
            'h' => MICROS_PER_HOUR,
            'd' => MICROS_PER_DAY,
            _ => return None,
        };
        let n: i64 = num.parse().ok()?;
        num.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (num.is_empty() && total > 0).then_some(total)
}

/// A duration in the form [`parse_duration`] reads (`14d`, `1h`, `70m`).
pub fn format_duration(micros: i64) -> String {
    keyhole_core::detect::sentinel::timespan(micros)
}

/// The tick times for events spanning `first..=last` (microseconds).
pub fn ticks(first: i64, last: i64, every: i64) -> impl Iterator<Item = i64> {
    let every = every.max(1);
    let start = first.div_euclid(every) * every
        + if first.rem_euclid(every) == 0 {
            0
        } else {
            every
        };
    let end = last.div_euclid(every) * every
        + if last.rem_euclid(every) == 0 {
            0
        } else {
            every
        };
    (0..)
        .map(move |k: i64| start + k * every)
        .take_while(move |t| *t <= end)
}

/// Replay `query` over the store's events (time-sorted, as `Dataset::finish_store` returns them).
/// `progress(done, total)` is called after each tick; returning `false` stops the replay with
/// the rows so far.
pub fn replay(
    query: &str,
    events: &EventStore,
    opts: &ReplayOptions,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Replay, KqlError> {
    if opts.every <= 0 {
        return Err(error("the replay interval must be positive"));
    }
    let times = events.times();
    if times.windows(2).any(|w| w[1] < w[0]) {
        return Err(error("replay needs the events in time order"));
    }
    let (text, map) =
        crate::params::substitute(query, &opts.params).map_err(|e| e.resolve(query))?;
    let back = |e: crate::error::RawError| map.back_error(e).resolve(query);
    let stmts = crate::parse(&text).map_err(back)?;
    let mut out = Replay::default();
    out.table.columns.push(Column {
        name: "ReplayTime".into(),
        ty: Type::DateTime,
    });
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        return Ok(out);
    };
    let all: Vec<i64> = ticks(first, last, opts.every).collect();
    let memo = tables::Memo::default();
    let budget = opts.memory_limit.unwrap_or(exec::DEFAULT_BUDGET);
    for (i, &t) in all.iter().enumerate() {
        let hi = times.partition_point(|&m| m <= t);
        let lo = match opts.period {
            Some(p) => times[..hi].partition_point(|&m| m <= t - p),
            None => 0,
        };
        let (table, _) = exec::run_program(
            &stmts,
            tables::Store::window(events, lo..hi, &memo),
            exec::RunOptions {
                now: Some(t),
                budget,
                params: &opts.params,
            },
            opts.max_rows,
        )
        .map_err(back)?;
        out.ticks += 1;
        if !table.rows.is_empty() {
            out.ticks_with_rows += 1;
        }
        append(&mut out, table, Timestamp::from_micros(t), opts.max_rows);
        if !progress(i + 1, all.len()) {
            break;
        }
    }
    Ok(out)
}

fn error(msg: &str) -> KqlError {
    KqlError {
        line: 1,
        column: 1,
        message: msg.to_string(),
        expected: Vec::new(),
        span: (0, 0),
    }
}

/// Append one tick's rows, matching columns by name (a column new in this tick is added, null
/// in earlier rows).
fn append(out: &mut Replay, t: Table, at: Timestamp, max_rows: usize) {
    out.total_rows += t.rows.len();
    if t.rows.is_empty() && out.table.columns.len() > 1 {
        return;
    }
    let mut map = Vec::with_capacity(t.columns.len());
    for c in &t.columns {
        let i = match out.table.column_index(&c.name) {
            Some(i) if i > 0 => i,
            _ => {
                out.table.columns.push(c.clone());
                for r in &mut out.table.rows {
                    r.push(Value::Null);
                }
                out.table.columns.len() - 1
            }
        };
        map.push(i);
    }
    if out.table.render.is_none() {
        out.table.render = t.render;
    }
    let width = out.table.columns.len();
    for row in t.rows {
        if out.table.rows.len() >= max_rows {
            break;
        }
        let mut r = vec![Value::Null; width];
        r[0] = Value::DateTime(at);
        for (v, &i) in row.into_iter().zip(&map) {
            r[i] = v;
        }
        out.table.rows.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::detect::testkit::{ev, EventBuilder};
    use keyhole_core::Event;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Some(MICROS_PER_HOUR));
        assert_eq!(parse_duration("14d"), Some(14 * MICROS_PER_DAY));
        assert_eq!(parse_duration("PT5M"), Some(5 * MICROS_PER_MIN));
        assert_eq!(parse_duration("P14D"), Some(14 * MICROS_PER_DAY));
        assert_eq!(parse_duration("2h30m"), Some(150 * MICROS_PER_MIN));
        assert_eq!(parse_duration("90"), Some(90 * MICROS_PER_MIN));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("0h"), None);
        for d in ["14d", "1h", "70m", "45s"] {
            assert_eq!(format_duration(parse_duration(d).unwrap()), d);
        }
    }

    #[test]
    fn ticks_cover_the_span_on_whole_multiples() {
        let h = MICROS_PER_HOUR;
        let v: Vec<i64> = ticks(h + 5, 3 * h, h).collect();
        assert_eq!(v, vec![2 * h, 3 * h]);
        let v: Vec<i64> = ticks(h, h, h).collect();
        assert_eq!(v, vec![h]);
    }

    #[test]
    fn each_tick_sees_only_its_past_and_period() {
        // One event an hour for 6 hours; hourly ticks looking back 2 h.
        let events: Vec<Event> = (0..6)
            .map(|i| ev(&format!("2026-10-01T0{i}:30:00Z")).vault("kv"))
            .collect();
        let opts = ReplayOptions {
            every: MICROS_PER_HOUR,
            period: Some(2 * MICROS_PER_HOUR),
            ..Default::default()
        };
        let r = replay(
            "AzureDiagnostics | summarize n = count(), last = max(TimeGenerated), ago1h = countif(TimeGenerated > ago(1h))",
            &keyhole_core::EventStore::from_events(&events),
            &opts,
            |_, _| true,
        )
        .unwrap();
        assert_eq!(r.ticks, 6);
        assert_eq!(r.table.columns[0].name, "ReplayTime");
        let n: Vec<String> = r.table.rows.iter().map(|row| row[1].to_string()).collect();
        // 01:00 sees 00:30; 02:00 sees 00:30 and 01:30; later ticks see the last two hours.
        assert_eq!(n, vec!["1", "2", "2", "2", "2", "2"]);
        for row in &r.table.rows {
            let (tick, last) = (row[0].to_string(), row[2].to_string());
            assert!(last < tick, "{last} seen at {tick}");
            assert_eq!(row[3].to_string(), "1", "ago() is relative to the tick");
        }
        // Stopping early keeps the rows so far.
        let r = replay(
            "AzureDiagnostics | count",
            &keyhole_core::EventStore::from_events(&events),
            &opts,
            |d, _| d < 2,
        )
        .unwrap();
        assert_eq!(r.ticks, 2);
    }

    #[test]
    fn errors_and_empty_input() {
        assert!(replay(
            "AzureDiagnostics | wher x",
            &keyhole_core::EventStore::default(),
            &ReplayOptions::default(),
            |_, _| true
        )
        .is_err());
        let r = replay(
            "AzureDiagnostics | count",
            &keyhole_core::EventStore::default(),
            &ReplayOptions::default(),
            |_, _| true,
        )
        .unwrap();
        assert_eq!(r.ticks, 0);
    }
}
