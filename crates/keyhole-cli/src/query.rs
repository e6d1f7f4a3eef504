//! `keyhole query`: run KQL (the hunting queries auditors already have, verbatim) over the drop.

use crate::input::Loaded;
use keyhole_core::Timestamp;
use keyhole_kql::{QueryOptions, Table};
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum TableFormat {
    Table,
    Csv,
    Json,
}

pub fn parse_now(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_iso(s).ok_or_else(|| format!("not an RFC 3339 time: '{s}'"))
}

/// `--param NAME=VALUE`.
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got '{s}'")),
    }
}

/// Runs the query; an error in the query is printed with its line and column and a caret.
/// Workbook parameters take the drop's defaults unless `params` sets them.
pub fn run(
    loaded: &Loaded,
    query: &str,
    now: Option<Timestamp>,
    params: &[(String, String)],
    format: TableFormat,
    out: &mut dyn Write,
) -> Result<(), String> {
    let events = &loaded.store;
    let mut bound = keyhole_kql::workbook_defaults(events);
    bound.extend(params.iter().cloned());
    let opts = QueryOptions {
        now,
        params: bound,
        ..Default::default()
    };
    if let Some(c) = keyhole_kql::time_context(query, events, &opts) {
        eprintln!("keyhole: {}", c.describe());
    }
    let t = std::time::Instant::now();
    let table: Table = keyhole_kql::run(query, events, &opts).map_err(|e| explain(query, &e))?;
    eprintln!(
        "keyhole: {} row(s) in {:.3} s",
        table.rows.len(),
        t.elapsed().as_secs_f64()
    );
    write_table(&table, format, out)
}

/// A query error with the offending line and a caret under the column.
pub fn explain(query: &str, e: &keyhole_kql::KqlError) -> String {
    let line_text = query
        .lines()
        .nth(e.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let caret = " ".repeat(e.column.saturating_sub(1) as usize);
    format!("{e}\n  {line_text}\n  {caret}^")
}

/// A result table in the chosen format.
pub fn write_table(table: &Table, format: TableFormat, out: &mut dyn Write) -> Result<(), String> {
    let text = match format {
        TableFormat::Table => table.to_text(),
        TableFormat::Csv => table.to_csv(),
        TableFormat::Json => table.to_json(),
    };
    let w = |out: &mut dyn Write| -> io::Result<()> {
        out.write_all(text.as_bytes())?;
        out.flush()
    };
    w(out).map_err(|e| format!("write error: {e}"))
}
