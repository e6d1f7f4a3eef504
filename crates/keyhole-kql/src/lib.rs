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

use keyhole_core::{Event, Timestamp};

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
}

/// Parse and run `query` over `events`.
///
/// Errors carry the line and column of the offending text, what was expected there, and a
/// "did you mean" for misspelt columns, tables, functions and operators.
pub fn run(query: &str, events: &[Event], opts: &QueryOptions) -> Result<Table, KqlError> {
    run_limited(query, events, opts, usize::MAX).map(|(t, _)| t)
}

/// Like [`run`], but builds at most `max_rows` result rows (a page showing `search *` over a
/// million events should not materialise them all); also returns the full row count.
pub fn run_limited(
    query: &str,
    events: &[Event],
    opts: &QueryOptions,
    max_rows: usize,
) -> Result<(Table, usize), KqlError> {
    let stmts = parse(query)?;
    exec::run_program(
        &stmts,
        tables::Store::new(events),
        opts.now.map(|t| t.micros),
        opts.memory_limit.unwrap_or(exec::DEFAULT_BUDGET),
        max_rows,
    )
    .map_err(|e| e.resolve(query))
}

/// Check a query's syntax without running it (the page's editor underlines the error).
pub fn check_syntax(query: &str) -> Result<(), KqlError> {
    parse(query).map(|_| ())
}

fn parse(query: &str) -> Result<Vec<ast::Stmt>, KqlError> {
    let toks = lexer::tokenize(query).map_err(|e| e.resolve(query))?;
    let mut p = parser::Parser::new(toks, query);
    let mut lets = Vec::new();
    p.parse_program(&mut lets).map_err(|e| e.resolve(query))
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
