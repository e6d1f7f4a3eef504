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

pub mod error;
mod lexer;
pub mod library;
pub mod table;
pub mod value;

pub use error::KqlError;
pub use lexer::{highlight, TokenKind};
pub use library::{library, LibraryQuery};
pub use table::{Column, Table};
pub use value::{Type, Value};

use keyhole_core::{Event, Timestamp};

/// How to run a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// What `now()` and `ago()` are relative to. Default: the latest event time (an offline
    /// review happens after the fact), or the Unix epoch when there are no events.
    pub now: Option<Timestamp>,
}

/// Parse and run `query` over `events`.
pub fn run(query: &str, events: &[Event], opts: &QueryOptions) -> Result<Table, KqlError> {
    let _ = (events, opts);
    lexer::tokenize(query).map_err(|e| e.resolve(query))?;
    Err(error::RawError::new((0, 0), "the KQL engine is not implemented yet").resolve(query))
}
