//! # keyhole-kql
//!
//! A KQL engine over Keyhole's normalised events, pure like the core (no I/O, no clock, no
//! threads): lexer → parser with positioned errors → plan → columnar execution. Events are exposed
//! as the Log Analytics tables `AzureDiagnostics` (the flattened Key Vault columns) and
//! `AZKVAuditLogs`; a query that begins with `|` reads `AzureDiagnostics`.
//!
//! ```ignore
//! let table = keyhole_kql::run("| summarize count() by CallerIPAddress", &events, &Default::default())?;
//! print!("{}", table.to_text());
//! ```

mod ast;
mod completion;
pub mod error;
mod exec;
mod expr;
mod functions;
mod lexer;
pub mod library;
mod ops;
mod params;
mod parser;
pub mod replay;
pub mod table;
mod tables;
pub mod value;

pub use completion::{completion_items, Completion, CompletionKind};
pub use error::KqlError;
pub use lexer::{highlight, TokenKind};
pub use library::{library, LibraryQuery};
pub use replay::{replay, Replay, ReplayOptions};
pub use table::{Column, Table};
pub use value::{Type, Value};

use keyhole_core::{EventStore, Timestamp};
use std::collections::BTreeMap;

/// How to run a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// What `now()` and `ago()` are relative to. Default: the latest event time (an offline
    /// review happens after the fact), or the Unix epoch when there are no events.
    pub now: Option<Timestamp>,
    /// Bytes of values the query may materialise (computed columns, groups, joins) before it
    /// stops with an error that names the budget. Default ([`None`]): 1 GiB. Any single value
    /// is also capped at 16 MiB.
    pub memory_limit: Option<usize>,
    /// Workbook parameters: `{Name}` / `{Name:start}` / … in the query's text are replaced by
    /// these values before it runs (see [`workbook_defaults`] for the values a workbook would
    /// pick on a drop). A name that is otherwise unbound in the query (an ASIM parser's
    /// `disabled`, say) also reads the value, when it is a scalar literal such as `false`.
    pub params: BTreeMap<String, String>,
}

/// Parse and run `query` over `events`.
///
/// Errors carry the line and column of the offending text, what was expected there, and a
/// "did you mean" for misspelt columns, tables, functions and operators.
pub fn run(query: &str, events: &EventStore, opts: &QueryOptions) -> Result<Table, KqlError> {
    run_limited(query, events, opts, usize::MAX).map(|(t, _)| t)
}

/// Like [`run`], but builds at most `max_rows` result rows (a page showing `search *` over a
/// million events should not materialise them all); also returns the full row count.
pub fn run_limited(
    query: &str,
    events: &EventStore,
    opts: &QueryOptions,
    max_rows: usize,
) -> Result<(Table, usize), KqlError> {
    let (text, map) = params::substitute(query, &opts.params).map_err(|e| e.resolve(query))?;
    let back = |e: error::RawError| map.back_error(e).resolve(query);
    let stmts = parse(&text).map_err(back)?;
    let memo = tables::Memo::default();
    let all = tables::Store::new(events, &memo);
    // `now()` is the drop's, whatever the time context
    let now = opts.now.map(|t| t.micros).or_else(|| all.latest_time());
    let source = match time_context(query, events, opts) {
        Some(c) => tables::Store::window(events, c.rows, &memo),
        None => all,
    };
    exec::run_program(
        &stmts,
        source,
        exec::RunOptions {
            now,
            budget: opts.memory_limit.unwrap_or(exec::DEFAULT_BUDGET),
            params: &opts.params,
        },
        max_rows,
    )
    .map_err(back)
}

/// The time range a query's tables are narrowed to before it runs — its time context, as Log
/// Analytics applies a workbook item's time range parameter or the Logs blade's time picker to
/// every table, whether or not the text names it (a workbook's pie chart counts only its time
/// range too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeContext {
    /// The parameter(s) it comes from.
    pub params: Vec<String>,
    /// First and last time (inclusive, as `between` reads `{TimeRange}`).
    pub from: Timestamp,
    pub to: Timestamp,
    /// The events inside it (rows of the time-ordered store) and how many the drop has.
    pub rows: std::ops::Range<usize>,
    pub of: usize,
}

impl TimeContext {
    /// In words: "time context TimeRange 2026-10-03T00:00:00Z .. 2026-10-05T23:59:59Z: the
    /// tables hold 3 of the drop's 10 events (…)".
    pub fn describe(&self) -> String {
        format!(
            "time context {} {} .. {}: the tables hold {} of the drop's {} events (a bound time range narrows every table, as a workbook's time range does)",
            self.params.join(" + "),
            self.from.to_rfc3339(),
            self.to.to_rfc3339(),
            self.rows.len(),
            self.of
        )
    }
}

const TIME_RANGES: [&str; 3] = ["TimeRange", "BaselineTimeRange", "MonitoredTimeRange"];

/// The query's time context, when one is bound and leaves events out (`None`: every event is
/// read). Its parameter: the time-range parameters the query names (their union when several —
/// a baseline compared with a recent range reads both), else `TimeRange`. A timespan value
/// (`14d`) ends at `now` (the option, or the latest event).
pub fn time_context(query: &str, events: &EventStore, opts: &QueryOptions) -> Option<TimeContext> {
    let mut names: Vec<String> = params::references(query, &opts.params)
        .into_iter()
        .filter_map(|r| {
            let name = r.split(':').next().unwrap_or_default().to_string();
            TIME_RANGES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&name))
                .then_some(name)
        })
        .collect();
    names.dedup();
    if names.is_empty() {
        names.push("TimeRange".to_string());
    }
    let times = events.times();
    if !times.is_sorted() {
        return None; // a store built by hand, not a drop: read every event
    }
    let now = opts
        .now
        .map(|t| t.micros)
        .or_else(|| times.last().copied())?;
    let mut bounds: Option<(i64, i64)> = None;
    for name in &names {
        let (a, b) = params::bound_range(&opts.params, name, now)?;
        bounds = Some(bounds.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
    }
    let (a, b) = bounds?;
    let rows = times.partition_point(|t| *t < a)..times.partition_point(|t| *t <= b);
    if rows.start == 0 && rows.end == times.len() {
        return None;
    }
    Some(TimeContext {
        params: names,
        from: Timestamp::from_micros(a),
        to: Timestamp::from_micros(b),
        rows,
        of: times.len(),
    })
}

/// Check a query's syntax without running it (the page's editor underlines the error).
/// Workbook parameters need no values here.
pub fn check_syntax(query: &str) -> Result<(), KqlError> {
    let (text, map) =
        params::substitute_with(query, &BTreeMap::new(), true).map_err(|e| e.resolve(query))?;
    parse(&text)
        .map(|_| ())
        .map_err(|e| map.back_error(e).resolve(query))
}

fn parse(query: &str) -> Result<Vec<ast::Stmt>, error::RawError> {
    let toks = lexer::tokenize(query)?;
    let mut p = parser::Parser::new(toks, query);
    p.parse_program()
}

/// The values an Azure workbook would give its parameters on this drop: `KeyVault` (and
/// `KeyVaultOperationAnalysis`) every vault of the drop as the quoted, comma-separated list of
/// lower-case resource ids a multi-select resource parameter inserts; `SelectedResource` the
/// first of them; the time ranges (`TimeRange`, `BaselineTimeRange`, `MonitoredTimeRange`) the
/// whole drop; the Key Vault workbook's thresholds and choices (`EventCountThreshold` 1000,
/// `GetOperationsScale` log, `Identity` all, `selectedTab` secret).
pub fn workbook_defaults(events: &EventStore) -> BTreeMap<String, String> {
    let memo = tables::Memo::default();
    let store = tables::Store::new(events, &memo);
    let ids = store.vault_resource_ids();
    let quoted: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    put("KeyVault", quoted.join(","));
    put("KeyVaultOperationAnalysis", quoted.join(","));
    put("SelectedResource", ids.first().cloned().unwrap_or_default());
    if let Some((a, b)) = store.time_bounds() {
        let range = format!(
            "{}..{}",
            value::format_datetime(Timestamp::from_micros(a)),
            value::format_datetime(Timestamp::from_micros(b))
        );
        for name in ["TimeRange", "BaselineTimeRange", "MonitoredTimeRange"] {
            put(name, range.clone());
        }
    }
    put("EventCountThreshold", "1000".into());
    put("GetOperationsScale", "log".into());
    put("Identity", "all".into());
    put("selectedTab", "secret".into());
    m
}

/// The workbook parameters a query refers to (`{Name}`, `{Name:start}`, …), each name once in
/// order, read as [`run`] reads them: not in comments or function bodies, inside strings only
/// when `params` binds them (there an unbound `{…}` is text).
pub fn parameter_references(query: &str, params: &BTreeMap<String, String>) -> Vec<String> {
    params::references(query, params)
}

/// Names of the tables a query can read.
pub fn table_names() -> &'static [&'static str] {
    tables::TABLE_NAMES
}

/// The columns (name and type) of a table, for the editor's completion and the schema pane.
pub fn table_columns(name: &str) -> Option<Vec<Column>> {
    tables::table(name).map(|cols| {
        cols.iter()
            .map(|c| Column {
                name: c.name.to_string(),
                ty: c.ty,
            })
            .collect()
    })
}
