//! Push-style ingest of every export shape (spec §1): feed byte chunks of any size, get events and
//! positioned diagnostics out. Shape detection is from content, never from file names.
//!
//! ```text
//! let mut ds = Dataset::new(IngestOptions::default());
//! let mut file = ds.open("PT1H.json");
//! file.feed(chunk1); file.feed(chunk2);      // events accumulate in the dataset
//! ds.close(file);                              // report for the file
//! let events = ds.finish();                    // de-duplicated, sorted by time
//! ```
//!
//! API CONTRACT (implementation to follow in issue 2): the names below are used by the CLI, the
//! web worker, the detection engine and the KQL engine.

use crate::event::{Event, Str};
use crate::time::Timestamp;
use serde::Serialize;
use std::sync::Arc;

/// Options that change how input is read.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// Offset of a portal CSV `[Local Time]` column from UTC, in minutes (e.g. 120 for UTC+2).
    pub local_time_offset_minutes: i32,
    /// Keep at most this many problems with their positions per file (the count is always exact).
    pub max_problems_per_file: Option<usize>,
}

/// Every input shape Keyhole recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Raw diagnostic records, one JSON object a line (storage archive since 2018).
    RawJsonLines,
    /// Raw records in `{"records":[…]}` (pre-2018 blobs, Event Hub).
    RawRecordsEnvelope,
    /// Raw records in a bare JSON array.
    RawArray,
    /// AzureDiagnostics rows, typed (Log Analytics data export, JSON lines).
    AzureDiagnosticsJsonLines,
    /// AzureDiagnostics rows from `az monitor log-analytics query` (JSON array, every value a string).
    AzureDiagnosticsCli,
    /// Log Analytics REST `{"tables":[{"columns","rows"}]}`.
    AzureDiagnosticsTables,
    /// `{"value":[…]}` wrapper of AzureDiagnostics rows.
    AzureDiagnosticsValue,
    /// Portal "Export to CSV".
    PortalCsv,
    /// Resource-specific `AZKVAuditLogs` rows (any of the JSON/CSV exports).
    AzkvAuditLogs,
    /// Not a Key Vault audit export.
    Unrecognised,
}

/// A container or encoding the bytes were wrapped in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wrapper {
    Gzip,
    Zip,
    Utf16Le,
    Utf16Be,
    Utf8Bom,
}

/// A record or line that could not be used, with its position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: Str,
    /// 1-based line (0 when the problem is about the whole file).
    pub line: u64,
    pub reason: String,
}

/// What happened to one input file (or zip member).
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileReport {
    pub file: Str,
    pub shapes: Vec<Shape>,
    pub wrappers: Vec<Wrapper>,
    /// Bytes fed in (compressed size for containers).
    pub bytes: u64,
    /// Records turned into events.
    pub records: u64,
    /// Lines/records that could not be used.
    pub skipped: u64,
    /// The first problems, with positions (all of them counted in `skipped`).
    pub problems: Vec<Problem>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

/// Summary of a whole drop.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub records: u64,
    pub duplicates: u64,
    pub skipped: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub vaults: Vec<Str>,
}

/// The collector of a drop: opens per-file parsers, de-duplicates across files, sorts by time.
pub struct Dataset {
    #[allow(dead_code)]
    opts: IngestOptions,
    events: Vec<Event>,
    reports: Vec<FileReport>,
}

/// A push parser for one file. Feed it bytes; events go to the dataset when it is closed
/// (or are drained with [`FileIngest::drain`] for streaming consumers).
pub struct FileIngest {
    report: FileReport,
    out: Vec<Event>,
}

impl Dataset {
    pub fn new(opts: IngestOptions) -> Dataset {
        Dataset {
            opts,
            events: Vec::new(),
            reports: Vec::new(),
        }
    }

    /// Start reading a file called `name` (the name is provenance only; the shape comes from the bytes).
    pub fn open(&mut self, name: &str) -> FileIngest {
        FileIngest {
            report: FileReport {
                file: Arc::from(name),
                ..FileReport::default()
            },
            out: Vec::new(),
        }
    }

    /// Finish a file: flushes what it buffered and keeps its events and report.
    pub fn close(&mut self, mut file: FileIngest) -> &FileReport {
        file.finish();
        self.events.append(&mut file.out);
        self.reports.push(file.report);
        self.reports.last().expect("just pushed")
    }

    /// Events so far (not yet de-duplicated or sorted).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// De-duplicated events in time order, and the summary of the drop.
    pub fn finish(self) -> (Vec<Event>, Summary) {
        let summary = Summary {
            files: self.reports,
            ..Summary::default()
        };
        (self.events, summary)
    }
}

impl FileIngest {
    /// Feed the next chunk of the file's bytes (any size, any split point).
    pub fn feed(&mut self, chunk: &[u8]) {
        self.report.bytes += chunk.len() as u64;
    }

    /// Flush buffered input at end of file (a truncated last record is reported, not lost silently).
    pub fn finish(&mut self) {}

    /// Take the events parsed so far.
    pub fn drain(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.out)
    }

    /// Progress so far: bytes, records, skipped.
    pub fn report(&self) -> &FileReport {
        &self.report
    }
}
