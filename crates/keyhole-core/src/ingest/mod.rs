//! Push-style ingest of every export shape (spec §1): feed byte chunks of any size, get events and
//! positioned diagnostics out. Shape detection is from content, never from file names.
//!
//! ```text
//! let mut ds = Dataset::new(IngestOptions::default());
//! let mut file = ds.open("PT1H.json");
//! file.feed(chunk1); file.feed(chunk2);      // events accumulate in the dataset
//! ds.close(file);                              // report for the file
//! let (events, summary) = ds.finish();         // de-duplicated, sorted by time
//! ```
//!
//! Layers, one file each (Chainsaw-style: one parser per format behind one enum):
//! - [`container`]: content sniffing of containers → [`gzip`] (multi-member, streaming inflate),
//!   [`zip`] (streamed local headers; every member is its own sub-file `archive.zip:member`);
//! - [`text`]: encodings (UTF-8 ± BOM, UTF-16 LE/BE with or without BOM), transcoded streaming;
//! - [`format`]: format sniffing → [`jsonl`] (memchr line splitting, typed borrowing parse),
//!   [`jsondoc`] (non-recursive structure scanner cutting out each record of `{"records":[…]}`,
//!   `[…]`, `{"value":[…]}`, `{"tables":[…]}`), [`csv`] (portal export, csv-core);
//! - [`record`]: the one typed view of a record of any dialect; [`normalize`]: record → [`Event`].

pub mod container;
pub mod csv;
pub mod format;
pub mod gzip;
pub mod jsondoc;
pub mod jsonl;
pub mod normalize;
pub mod record;
pub mod text;
pub mod zip;

use crate::event::{Event, Source, Str};
use crate::time::Timestamp;
use normalize::{Dialect, Interner};
use record::Rec;
use serde::Serialize;
use std::collections::HashSet;
use std::hash::Hasher;
use std::sync::{Arc, Mutex};

/// A single record or line is capped at this many bytes (a longer one is skipped and reported).
pub const MAX_RECORD_BYTES: usize = 16 << 20;
/// Problems kept with positions per file by default (the count is always exact).
pub const DEFAULT_MAX_PROBLEMS: usize = 50;

/// Options that change how input is read.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// Offset of a portal CSV `[Local Time]` column from UTC, in minutes (e.g. 120 for UTC+2).
    pub local_time_offset_minutes: i32,
    /// Keep at most this many problems with their positions per file (the count is always exact).
    pub max_problems_per_file: Option<usize>,
    /// Cap of one record/line in bytes (default [`MAX_RECORD_BYTES`]).
    pub max_record_bytes: Option<usize>,
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
    /// A warning (e.g. an assumed time zone) rather than a skipped record: not counted in `skipped`.
    pub warning: bool,
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
    /// Zip members, each reported as its own sub-file (`archive.zip:member/path`). Their records
    /// and skipped counts are included in this report's totals, and their problems (naming the
    /// member in `Problem::file`) are also in this report's `problems`, within its cap.
    pub members: Vec<FileReport>,
}

impl FileReport {
    fn new(file: Str) -> FileReport {
        FileReport {
            file,
            ..FileReport::default()
        }
    }

    fn add_shape(&mut self, s: Shape) {
        if !self.shapes.contains(&s) {
            self.shapes.push(s);
        }
    }

    fn add_wrapper(&mut self, w: Wrapper) {
        if !self.wrappers.contains(&w) {
            self.wrappers.push(w);
        }
    }

    /// True when nothing in the file could be read as a Key Vault record.
    pub fn is_unrecognised(&self) -> bool {
        self.records == 0 && self.shapes.iter().all(|s| *s == Shape::Unrecognised)
    }
}

/// Summary of a whole drop.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub files: Vec<FileReport>,
    /// Events kept (after de-duplication).
    pub records: u64,
    pub duplicates: u64,
    pub skipped: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub vaults: Vec<Str>,
}

/// State shared by the files of one dataset.
#[derive(Debug)]
pub(crate) struct Shared {
    pub max_problems: usize,
    pub max_record: usize,
    pub local_offset: i32,
    pub interner: Arc<Mutex<Interner>>,
}

/// How a record was laid out in its file (with the dialect, gives the [`Shape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Lines,
    Envelope,
    Array,
    Value,
    Tables,
    Csv,
    Single,
}

/// Where a record starts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pos {
    pub line: u64,
    pub record: Option<u64>,
    pub offset: u64,
    pub len: usize,
}

impl Pos {
    fn describe(&self) -> String {
        match self.record {
            Some(r) => format!("record {r} (line {})", self.line),
            None => format!("line {}", self.line),
        }
    }
}

/// Where parsers put their output: events, and the report of the (sub-)file.
pub(crate) struct Sink<'a> {
    pub out: &'a mut Vec<Event>,
    pub report: &'a mut FileReport,
    pub shared: &'a Shared,
}

impl Sink<'_> {
    pub fn problem(&mut self, line: u64, reason: String) {
        self.report.skipped += 1;
        if self.report.problems.len() < self.shared.max_problems {
            let file = self.report.file.clone();
            self.report.problems.push(Problem {
                file,
                line,
                reason,
                warning: false,
            });
        }
    }

    pub fn warning(&mut self, line: u64, reason: String) {
        let file = self.report.file.clone();
        self.report.problems.push(Problem {
            file,
            line,
            reason,
            warning: true,
        });
    }

    pub fn max_record(&self) -> usize {
        self.shared.max_record
    }

    /// Parse one record's bytes and normalise it.
    pub fn parse_record(&mut self, bytes: &[u8], pos: Pos, layout: Layout, tz: i32) {
        if bytes.len() > self.shared.max_record {
            let m = cap_text(self.shared.max_record);
            self.problem(
                pos.line,
                format!("{}: longer than {m}, skipped", pos.describe()),
            );
            return;
        }
        match serde_json::from_slice::<Rec>(bytes) {
            Ok(rec) => self.record(&rec, pos, layout, tz),
            Err(e) => {
                let msg = json_error(&e, pos.line);
                self.problem(
                    pos.line + e.line().saturating_sub(1) as u64,
                    format!("{}: not JSON: {msg}", pos.describe()),
                );
            }
        }
    }

    /// Normalise a parsed record into an event (or report why it is not one).
    pub fn record(&mut self, rec: &Rec, pos: Pos, layout: Layout, tz: i32) {
        let source = Source {
            file: self.report.file.clone(),
            line: pos.line,
            record: pos.record,
            offset: pos.offset,
            len: pos.len.min(u32::MAX as usize) as u32,
        };
        let res = {
            let mut int = self
                .shared
                .interner
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            normalize::normalize(rec, &mut int, tz, source)
        };
        match res {
            Ok((ev, dialect)) => {
                let shape = shape_of(layout, dialect);
                self.report.add_shape(shape);
                self.report.records += 1;
                let t = ev.time;
                self.report.first = Some(self.report.first.map_or(t, |f| f.min(t)));
                self.report.last = Some(self.report.last.map_or(t, |l| l.max(t)));
                self.out.push(ev);
            }
            Err(reason) => {
                let d = pos.describe();
                self.problem(pos.line, format!("{d}: {reason}"));
            }
        }
    }
}

/// The record cap for messages: "16 MiB", "4 KiB".
pub(crate) fn cap_text(max: usize) -> String {
    if max >= 1 << 20 && max.is_multiple_of(1 << 20) {
        format!("{} MiB", max >> 20)
    } else if max >= 1 << 10 {
        format!("{} KiB", max >> 10)
    } else {
        format!("{max} bytes")
    }
}

/// serde_json's message without its own "at line 1 column 7" (positions are ours).
pub(crate) fn json_error(e: &serde_json::Error, base_line: u64) -> String {
    let s = e.to_string();
    let msg = match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => &s,
    };
    if e.line() <= 1 {
        format!("{msg} at column {}", e.column())
    } else {
        format!(
            "{msg} at line {} column {}",
            base_line + e.line() as u64 - 1,
            e.column()
        )
    }
}

fn shape_of(layout: Layout, dialect: Dialect) -> Shape {
    match (dialect, layout) {
        (Dialect::Azkv, _) => Shape::AzkvAuditLogs,
        (_, Layout::Csv) => Shape::PortalCsv,
        (Dialect::Raw, Layout::Lines | Layout::Single) => Shape::RawJsonLines,
        (Dialect::Raw, Layout::Envelope) => Shape::RawRecordsEnvelope,
        (Dialect::Raw, _) => Shape::RawArray,
        (Dialect::AzureDiagnostics, Layout::Lines | Layout::Single | Layout::Envelope) => {
            Shape::AzureDiagnosticsJsonLines
        }
        (Dialect::AzureDiagnostics, Layout::Array) => Shape::AzureDiagnosticsCli,
        (Dialect::AzureDiagnostics, Layout::Value) => Shape::AzureDiagnosticsValue,
        (Dialect::AzureDiagnostics, Layout::Tables) => Shape::AzureDiagnosticsTables,
    }
}

/// The collector of a drop: opens per-file parsers, de-duplicates across files, sorts by time.
pub struct Dataset {
    opts: IngestOptions,
    shared: Arc<Shared>,
    events: Vec<Event>,
    reports: Vec<FileReport>,
}

/// A push parser for one file. Feed it bytes; events go to the dataset when it is closed
/// (or are drained with [`FileIngest::drain`] for streaming consumers).
pub struct FileIngest {
    report: FileReport,
    out: Vec<Event>,
    container: container::Container,
    shared: Arc<Shared>,
    finished: bool,
}

impl Dataset {
    pub fn new(opts: IngestOptions) -> Dataset {
        let shared = Arc::new(Shared {
            max_problems: opts.max_problems_per_file.unwrap_or(DEFAULT_MAX_PROBLEMS),
            max_record: opts.max_record_bytes.unwrap_or(MAX_RECORD_BYTES).max(1024),
            local_offset: opts.local_time_offset_minutes,
            interner: Arc::new(Mutex::new(Interner::default())),
        });
        Dataset {
            opts,
            shared,
            events: Vec::new(),
            reports: Vec::new(),
        }
    }

    /// The options this dataset was created with.
    pub fn options(&self) -> &IngestOptions {
        &self.opts
    }

    /// Start reading a file called `name` (the name is provenance only; the shape comes from the bytes).
    pub fn open(&mut self, name: &str) -> FileIngest {
        let file = self
            .shared
            .interner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name);
        FileIngest {
            report: FileReport::new(file.clone()),
            out: Vec::new(),
            container: container::Container::new(file, true),
            shared: self.shared.clone(),
            finished: false,
        }
    }

    /// Finish a file: flushes what it buffered and keeps its events and report.
    pub fn close(&mut self, mut file: FileIngest) -> &FileReport {
        file.finish();
        if self.events.is_empty() {
            // Move, don't copy: a single large file would otherwise be held twice.
            self.events = std::mem::take(&mut file.out);
        } else {
            self.events.append(&mut file.out);
        }
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
        // The keys are already uniformly distributed 128-bit hashes: fold them, don't re-hash.
        let mut seen: HashSet<u128, std::hash::BuildHasherDefault<normalize::FxHasher>> =
            HashSet::with_capacity_and_hasher(self.events.len(), Default::default());
        let total = self.events.len();
        let mut events = self.events;
        let mut buf = Vec::with_capacity(256);
        events.retain(|ev| seen.insert(dedup_key_with(ev, &mut buf)));
        drop(seen);
        let duplicates = (total - events.len()) as u64;
        if !events.is_sorted_by_key(|e| e.time) {
            sort_by_time(&mut events);
        }
        let mut vaults: Vec<Str> = Vec::new();
        {
            let mut vs: HashSet<&Str> = HashSet::new();
            for e in &events {
                if vs.insert(&e.vault) {
                    vaults.push(e.vault.clone());
                }
            }
        }
        vaults.sort();
        let summary = Summary {
            records: events.len() as u64,
            duplicates,
            skipped: self.reports.iter().map(|r| r.skipped).sum(),
            first: events.first().map(|e| e.time),
            last: events.last().map(|e| e.time),
            vaults,
            files: self.reports,
        };
        (events, summary)
    }
}

/// Stable sort by time without a merge buffer of events: sorts 4-byte indices, then applies the
/// permutation in place by following its cycles (an `Event` is hundreds of bytes; a stable sort of
/// the events themselves would allocate half of them again).
fn sort_by_time(events: &mut [Event]) {
    let mut idx: Vec<u32> = (0..events.len() as u32).collect();
    idx.sort_by_key(|&i| events[i as usize].time);
    // new[j] = old[idx[j]]
    for i in 0..events.len() {
        if idx[i] as usize == i {
            continue;
        }
        let mut j = i;
        loop {
            let k = idx[j] as usize;
            idx[j] = j as u32;
            if k == i {
                break;
            }
            events.swap(j, k);
            j = k;
        }
    }
}

/// The de-duplication key: fields every shape carries (time to the millisecond — the portal
/// CSV's precision —, vault, operation, correlation id, status, caller ip text, request uri,
/// object id, identity object id), hashed to 128 bits.
pub fn dedup_key(e: &Event) -> u128 {
    dedup_key_with(e, &mut Vec::with_capacity(256))
}

/// [`dedup_key`] with a reusable scratch buffer: the fields are laid out once in an injective
/// byte encoding (a tag, then a length-prefixed text), and the buffer is hashed in one call per
/// half — SipHash over one contiguous slice, not a dozen small writes twice over.
fn dedup_key_with(e: &Event, buf: &mut Vec<u8>) -> u128 {
    #[inline]
    fn text(buf: &mut Vec<u8>, s: Option<&str>) {
        match s {
            None => buf.push(0),
            Some(s) => {
                buf.push(1);
                buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
        }
    }
    buf.clear();
    buf.extend_from_slice(&e.time.millis().to_le_bytes());
    text(buf, Some(&e.vault));
    text(buf, Some(&e.operation));
    text(buf, e.correlation_id.as_deref());
    match e.status {
        None => buf.push(0),
        Some(s) => {
            buf.push(1);
            buf.extend_from_slice(&s.to_le_bytes());
        }
    }
    text(buf, e.caller_ip.as_deref());
    text(buf, e.request_uri.as_deref());
    text(buf, e.object_id.as_deref());
    text(buf, e.identity.object_id.as_deref());
    // Records that differ only in these are different records (the docs example and its
    // hand-edited "Forbidden" variant; the same example redacted with another app id).
    text(buf, e.result_signature.as_deref());
    text(buf, e.identity.upn.as_deref());
    text(buf, e.identity.app_id.as_deref());
    let h = |salt: u64| {
        let mut s = std::collections::hash_map::DefaultHasher::new();
        s.write_u64(salt);
        s.write(buf);
        s.finish()
    };
    ((h(0x6b65_7968_6f6c_6531) as u128) << 64) | h(0x9e37_79b9_7f4a_7c15) as u128
}

impl FileIngest {
    /// Feed the next chunk of the file's bytes (any size, any split point).
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.finished || chunk.is_empty() {
            return;
        }
        self.report.bytes += chunk.len() as u64;
        let mut sink = Sink {
            out: &mut self.out,
            report: &mut self.report,
            shared: &self.shared,
        };
        self.container.feed(chunk, &mut sink);
    }

    /// Flush buffered input at end of file (a truncated last record is reported, not lost silently).
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let mut sink = Sink {
            out: &mut self.out,
            report: &mut self.report,
            shared: &self.shared,
        };
        if sink.report.bytes == 0 {
            sink.report.add_shape(Shape::Unrecognised);
            sink.problem(0, "empty file".into());
            return;
        }
        self.container.finish(&mut sink);
        if self.report.shapes.is_empty() {
            self.report.add_shape(Shape::Unrecognised);
        }
    }

    /// Take the events parsed so far.
    pub fn drain(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.out)
    }

    /// Progress so far: bytes, records, skipped.
    pub fn report(&self) -> &FileReport {
        &self.report
    }
}

/// Convenience: parse one whole in-memory file with default options, returning the events (not
/// de-duplicated) and the file's report.
pub fn parse_bytes(name: &str, bytes: &[u8], opts: IngestOptions) -> (Vec<Event>, FileReport) {
    let mut ds = Dataset::new(opts);
    let mut f = ds.open(name);
    f.feed(bytes);
    f.finish();
    let ev = f.drain();
    (ev, f.report.clone())
}

#[cfg(test)]
mod sort_tests {
    use super::sort_by_time;
    use crate::detect::testkit::ev;

    #[test]
    fn sorts_by_time_and_keeps_the_order_of_equal_times() {
        let times = [5, 3, 9, 3, 1, 5, 0, 9, 3, 7, 2, 2, 8];
        let mut events: Vec<_> = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut e = ev(&format!("2026-10-01T00:00:0{t}Z"));
                e.source.line = i as u64;
                e
            })
            .collect();
        sort_by_time(&mut events);
        let mut expected: Vec<(u64, u64)> = times
            .iter()
            .enumerate()
            .map(|(i, t)| (*t as u64, i as u64))
            .collect();
        expected.sort(); // by time, then by original position: what a stable sort gives
        let got: Vec<(u64, u64)> = events
            .iter()
            .map(|e| ((e.time.micros / 1_000_000 % 60) as u64, e.source.line))
            .collect();
        assert_eq!(got, expected);
    }
}
