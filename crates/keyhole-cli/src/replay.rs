//! `keyhole query --replay FREQ [--period P]`: the query run as Sentinel's scheduler would, at
//! every tick across the drop (`now()`/`ago()` relative to the tick; with `--period`, only the
//! last P of events visible), over the events loaded once; the union of the rows with a
//! `ReplayTime` column. This is how a scheduled rule is backtested against an export.

use crate::input::Loaded;
use crate::query::TableFormat;
use keyhole_kql::replay::{self, ReplayOptions};
use std::io::Write;

pub fn parse_duration(s: &str) -> Result<i64, String> {
    replay::parse_duration(s)
        .ok_or_else(|| format!("not a duration: '{s}' (use e.g. 5m, 1h, 1d, 14d)"))
}

pub fn run(
    loaded: &Loaded,
    query: &str,
    every: i64,
    period: Option<i64>,
    params: &[(String, String)],
    format: TableFormat,
    out: &mut dyn Write,
) -> Result<(), String> {
    let events = &loaded.store;
    let mut bound = keyhole_kql::workbook_defaults(events);
    bound.extend(params.iter().cloned());
    let opts = ReplayOptions {
        every,
        period,
        params: bound,
        ..ReplayOptions::default()
    };
    let t = std::time::Instant::now();
    let r = replay::replay(query, events, &opts, |_, _| true)
        .map_err(|e| crate::query::explain(query, &e))?;
    eprintln!(
        "keyhole: replayed every {}{} at {} tick(s): {} row(s) from {} tick(s) in {:.3} s{}",
        replay::format_duration(every),
        period
            .map(|p| format!(" over the last {}", replay::format_duration(p)))
            .unwrap_or_default(),
        r.ticks,
        r.total_rows,
        r.ticks_with_rows,
        t.elapsed().as_secs_f64(),
        if r.total_rows > r.table.rows.len() {
            format!(" (first {} kept)", r.table.rows.len())
        } else {
            String::new()
        }
    );
    crate::query::write_table(&r.table, format, out)
}
