//! Push-style ingest of every export shape (spec §1): feed byte chunks of any size, get events and
//! positioned diagnostics out. Shape detection is from content, never from file names.
//!
//! ```text
//! let mut ds = Dataset::new(IngestOptions::default());
//! let mut file = ds.open("PT1H.json");
//! file.feed(chunk1); file.feed(chunk2);      // events go to the file's batch (duplicates dropped)
//! ds.close(file);                              // batch merged into the store; report for the file
//! let (store, summary) = ds.finish_store();    // the columnar store, de-duplicated, sorted by time
//! ```
//!
//! A large plain file can also be read as parse units on several threads ([`unit`](mod@unit)):
//! `FileIngest::new` for its first range, `FileIngest::resume` for the others, each fed its
//! bytes anywhere, then `Dataset::add_unit` in order and `Dataset::end_file`.
//!
//! Layers, one file each (Chainsaw-style: one parser per format behind one enum):
//! - [`container`]: content sniffing of containers → [`gzip`] (multi-member, streaming inflate),
//!   [`zip`] (streamed local headers; every member is its own sub-file `archive.zip:member`);
//! - [`text`]: encodings (UTF-8 ± BOM, UTF-16 LE/BE with or without BOM), transcoded streaming;
//! - [`format`](mod@format): format sniffing → [`jsonl`] (memchr line splitting, typed borrowing parse),
//!   [`jsondoc`] (non-recursive structure scanner cutting out each record of `{"records":[…]}`,
//!   `[…]`, `{"value":[…]}`, `{"tables":[…]}`), [`csv`] (portal export, csv-core);
//! - [`record`]: the one typed view of a record of any dialect (filled by the fast scanner
//!   `fast` or by serde_json); [`normalize`]: record → a borrowed normalised event, interned
//!   into the unit's [`crate::store::Batch`].

pub mod container;
pub mod csv;
pub(crate) mod fast;
pub mod format;
pub mod gzip;
pub mod jsondoc;
pub mod jsonl;
pub mod normalize;
pub mod record;
pub mod text;
pub mod unit;
pub mod zip;

pub use unit::{Cut, SplitPlan, PLAN_HEAD};

use crate::event::Str;
use crate::store::{Batch, EventStore, FileMeta, Prov, StoreBuilder, NO_RECORD};
use crate::time::Timestamp;
use crate::zone::{Fold, LocalZone};
use normalize::Dialect;
use record::Rec;
use serde::Serialize;
use std::sync::Arc;

/// A single record or line is capped at this many bytes (a longer one is skipped and reported).
pub const MAX_RECORD_BYTES: usize = 16 << 20;
/// Problems kept with positions per file by default (the count is always exact).
pub const DEFAULT_MAX_PROBLEMS: usize = 50;

/// Options that change how input is read.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// The zone of a portal CSV `[Local Time]` column: an IANA zone (its daylight-saving rules
    /// give each time its offset) or a fixed offset. Default UTC.
    pub local_zone: LocalZone,
    /// Keep at most this many problems with their positions per file (the count is always exact).
    pub max_problems_per_file: Option<usize>,
    /// Cap of one record/line in bytes (default [`MAX_RECORD_BYTES`]).
    pub max_record_bytes: Option<usize>,
    /// An archive (gzip, zip member) stops being read once it has expanded to more than this
    /// many bytes (default [`MAX_EXPANDED_BYTES`]).
    pub max_expanded_bytes: Option<u64>,
    /// … or to more than this many times its compressed size, once past
    /// [`RATIO_CHECK_AFTER`] bytes (default [`MAX_EXPANSION_RATIO`]).
    pub max_expansion_ratio: Option<u64>,
}

/// Default cap of what one archive may expand to: 64 GiB.
pub const MAX_EXPANDED_BYTES: u64 = 64 << 30;
/// Default cap of an archive's expansion ratio (real audit logs compress 10–30 : 1).
pub const MAX_EXPANSION_RATIO: u64 = 200;
/// The ratio is judged once this much has been decompressed (small files may be all padding).
pub const RATIO_CHECK_AFTER: u64 = 64 << 20;

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

/// Settings shared by the files of one dataset.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub max_problems: usize,
    pub max_record: usize,
    pub local_zone: LocalZone,
    pub max_expanded: u64,
    pub max_ratio: u64,
}

impl Shared {
    pub(crate) fn new(opts: &IngestOptions) -> Shared {
        Shared {
            max_problems: opts.max_problems_per_file.unwrap_or(DEFAULT_MAX_PROBLEMS),
            max_record: opts.max_record_bytes.unwrap_or(MAX_RECORD_BYTES).max(1024),
            local_zone: opts.local_zone,
            max_expanded: opts.max_expanded_bytes.unwrap_or(MAX_EXPANDED_BYTES),
            max_ratio: opts
                .max_expansion_ratio
                .unwrap_or(MAX_EXPANSION_RATIO)
                .max(1),
        }
    }
}

/// The (sub-)file records are attributed to: its name and whether its bytes are re-readable,
/// and its index in the batch's file table once a record was kept.
#[derive(Debug, Clone)]
pub(crate) struct FileSlot {
    pub meta: FileMeta,
    /// (batch id, index in that batch's file table)
    pub idx: Option<(u64, u32)>,
    /// Local times already reported as repeated / skipped (one warning each per file).
    pub folds_said: [bool; 2],
}

impl FileSlot {
    pub fn new(name: Str, plain: Option<u8>) -> FileSlot {
        FileSlot {
            meta: FileMeta { name, plain },
            idx: None,
            folds_said: [false; 2],
        }
    }

    /// The bytes are not the file's own (decompressed, transcoded).
    pub fn not_plain(&mut self) {
        self.meta.plain = None;
    }
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

/// Where parsers put their output: events into the batch, and the report of the (sub-)file.
pub(crate) struct Sink<'a> {
    pub batch: &'a mut Batch,
    pub report: &'a mut FileReport,
    pub shared: &'a Shared,
    pub slot: &'a mut FileSlot,
    /// Set when a problem or warning was reported (a speculative unit's texts would need their
    /// positions rebased: such a unit is parsed again in sequence instead).
    pub dirty: &'a mut bool,
}

impl Sink<'_> {
    pub fn problem(&mut self, line: u64, reason: String) {
        *self.dirty = true;
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
        *self.dirty = true;
        let file = self.report.file.clone();
        self.report.problems.push(Problem {
            file,
            line,
            reason,
            warning: true,
        });
    }

    /// A local time that daylight saving made ambiguous or impossible: said once per file.
    fn fold(&mut self, fold: Fold, line: u64, read_as: Timestamp) {
        let (i, what) = match fold {
            Fold::Unique => return,
            Fold::Repeated => (
                0,
                "falls in the hour the clock repeats when daylight saving ends: read as its first pass",
            ),
            Fold::Skipped => (
                1,
                "falls in the hour the clock skips when daylight saving begins: read with the offset before the jump",
            ),
        };
        if std::mem::replace(&mut self.slot.folds_said[i], true) {
            return;
        }
        let zone = self.shared.local_zone.name();
        let later = if i == 0 {
            "; a row of its second pass is an hour early"
        } else {
            ""
        };
        self.warning(
            line,
            format!("line {line}: the local time {what} in {zone}, {read_as}{later} (the first such row of this file)"),
        );
    }

    pub fn max_record(&self) -> usize {
        self.shared.max_record
    }

    /// Parse one record's bytes and normalise it.
    pub fn parse_record(&mut self, bytes: &[u8], pos: Pos, layout: Layout, local: bool) {
        if bytes.len() > self.shared.max_record {
            let m = cap_text(self.shared.max_record);
            self.problem(
                pos.line,
                format!("{}: longer than {m}, skipped", pos.describe()),
            );
            return;
        }
        let mut slot = fast::Scanned::default();
        if let Some(rec) = slot.parse(bytes, &mut self.batch.key_cache) {
            return self.record(rec, pos, layout, local);
        }
        match serde_json::from_slice::<Rec>(bytes) {
            Ok(rec) => self.record(&rec, pos, layout, local),
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
    pub fn record(&mut self, rec: &Rec, pos: Pos, layout: Layout, local: bool) {
        let zone = local.then_some(self.shared.local_zone);
        match normalize::normalize_with(rec, zone, &mut self.batch.norm_memo) {
            Ok((norm, dialect)) => {
                if norm.fold != Fold::Unique {
                    self.fold(norm.fold, pos.line, norm.time);
                }
                let shape = shape_of(layout, dialect);
                self.report.add_shape(shape);
                self.report.records += 1;
                let t = norm.time;
                self.report.first = Some(self.report.first.map_or(t, |f| f.min(t)));
                self.report.last = Some(self.report.last.map_or(t, |l| l.max(t)));
                let file = match self.slot.idx {
                    Some((b, i)) if b == self.batch.id() => i,
                    _ => {
                        let i = self.batch.file(&self.slot.meta);
                        self.slot.idx = Some((self.batch.id(), i));
                        i
                    }
                };
                let prov = Prov {
                    file,
                    len: pos.len.min(u32::MAX as usize) as u32,
                    line: pos.line,
                    record: pos.record.unwrap_or(NO_RECORD),
                    offset: pos.offset,
                };
                self.batch.push(&norm, prov);
            }
            Err(reason) => {
                let d = pos.describe();
                self.problem(pos.line, format!("{d}: {reason}"));
            }
        }
    }
}

/// A byte count for messages: "64 GiB", "1.5 GiB", "8 MiB".
pub(crate) fn size_text(b: u64) -> String {
    let (v, unit) = if b >= 1 << 30 {
        (b as f64 / (1u64 << 30) as f64, "GiB")
    } else {
        (b as f64 / (1u64 << 20) as f64, "MiB")
    };
    if v.fract() == 0.0 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
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

/// The collector of a drop: opens per-file parsers, merges their batches in order into the
/// columnar store (de-duplicated as they arrive), sorts by time at the end. A file may come in
/// several units (see [`unit`](mod@unit)): [`Dataset::add_unit`] them in order, then [`Dataset::end_file`].
pub struct Dataset {
    opts: IngestOptions,
    shared: Arc<Shared>,
    builder: StoreBuilder,
    reports: Vec<FileReport>,
    /// The file whose units are being merged: its merged report and the parser of its last
    /// accepted unit.
    open: Option<(FileReport, FileIngest)>,
    /// The drop's input bytes when the reader knows them ([`Dataset::expect_bytes`]), and the
    /// bytes merged so far: the store is sized once from them.
    expect: Option<u64>,
    merged_bytes: u64,
}

/// The events `total - seen` more bytes bring when `seen` bytes brought `len`: a tenth more
/// than that density predicts, as later bytes may be denser.
fn events_to_come(len: usize, seen: u64, total: u64) -> usize {
    (total.saturating_sub(seen) as f64 * len as f64 / seen.max(1) as f64 * 1.1) as usize
}

/// Where a parse unit starts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// At the start of its file.
    Start,
    /// At a cut, assuming this state (checked when merged).
    Resume(unit::Boundary),
    /// Continuing the parser of the unit before it (a re-parse): always exact.
    Continued,
}

/// A push parser for one file or one unit of a file. Feed it bytes; its events go to the
/// dataset when it is closed or added.
pub struct FileIngest {
    report: FileReport,
    batch: Batch,
    slot: FileSlot,
    container: container::Container,
    shared: Arc<Shared>,
    finished: bool,
    dirty: bool,
    origin: Origin,
    /// File offsets of the bytes this unit covers (start; end grows as bytes are fed).
    start: u64,
    end: u64,
    /// The bytes the reader expects to feed ([`FileIngest::expect_bytes`]), and whether the
    /// batch was sized from them yet.
    expect: Option<(u64, bool)>,
}

/// A unit whose assumed start state did not hold: feed its bytes (file offsets
/// [`Reparse::range`]) to the parser of the unit before it, then [`Dataset::add_unit`] the
/// result ([`Reparse::into_unit`]).
pub struct Reparse {
    ingest: Box<FileIngest>,
    range: std::ops::Range<u64>,
}

impl Reparse {
    /// File offsets of the bytes to feed again.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.range.clone()
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        self.ingest.feed(chunk);
    }

    pub fn into_unit(self) -> FileIngest {
        *self.ingest
    }
}

impl Dataset {
    pub fn new(opts: IngestOptions) -> Dataset {
        let shared = Arc::new(Shared::new(&opts));
        Dataset {
            opts,
            shared,
            builder: StoreBuilder::new(),
            reports: Vec::new(),
            open: None,
            expect: None,
            merged_bytes: 0,
        }
    }

    /// Tell the dataset how many input bytes the drop has (the sum of the file sizes). Once
    /// a sixteenth of them (or 64 MiB) is merged, the store reserves room for the events the
    /// rest will bring at the density seen so far, so its columns and de-duplication set are
    /// not grown and rehashed step by step. Only a size hint: a wrong one costs memory or a
    /// regrowth, never an event.
    pub fn expect_bytes(&mut self, total: u64) {
        self.expect = Some(total);
    }

    /// The options this dataset was created with.
    pub fn options(&self) -> &IngestOptions {
        &self.opts
    }

    /// Start reading a file called `name` (the name is provenance only; the shape comes from the bytes).
    pub fn open(&mut self, name: &str) -> FileIngest {
        FileIngest::with(name, self.shared.clone())
    }

    /// Finish a file read as one unit: flushes what it buffered and keeps its events and report.
    pub fn close(&mut self, file: FileIngest) -> &FileReport {
        debug_assert!(file.origin == Origin::Start, "close() takes a whole file");
        if let Err(r) = self.add_unit(file) {
            // A whole file starts at its start: never rejected. Keep its events regardless.
            self.add_continued(*r.ingest);
        }
        self.end_file()
    }

    /// Merge the next unit, in file order: the first unit of a file ([`Dataset::open`],
    /// [`FileIngest::new`]) ends the file before it; a resumed unit ([`FileIngest::resume`])
    /// is accepted when the unit before it ended exactly in the state it assumed, else it must
    /// be parsed again in sequence ([`Reparse`]).
    pub fn add_unit(&mut self, mut unit: FileIngest) -> Result<(), Reparse> {
        match std::mem::replace(&mut unit.origin, Origin::Continued) {
            Origin::Start => {
                if self.open.is_some() {
                    self.end_file();
                }
                let report = FileReport::new(unit.report.file.clone());
                self.open = Some((report, unit));
                self.absorb();
                Ok(())
            }
            Origin::Continued => {
                self.add_continued(unit);
                Ok(())
            }
            Origin::Resume(assumed) => {
                let Some((_, tail)) = &mut self.open else {
                    // nothing to continue: keep it as it is
                    unit.origin = Origin::Start;
                    return self.add_unit(unit);
                };
                let ok = !unit.dirty
                    && tail.report.file == unit.report.file
                    && !tail.finished
                    && tail
                        .container
                        .plain_format()
                        .and_then(|f| f.boundary())
                        .as_ref()
                        == Some(&assumed);
                if !ok {
                    let range = unit.start..unit.end;
                    let (_, tail) = self.open.as_mut().expect("checked");
                    let mut ingest = std::mem::replace(
                        tail,
                        FileIngest::with(&unit.report.file, self.shared.clone()),
                    );
                    ingest.origin = Origin::Continued;
                    ingest.start = range.start;
                    ingest.end = range.start;
                    return Err(Reparse {
                        ingest: Box::new(ingest),
                        range,
                    });
                }
                let by = tail
                    .container
                    .plain_format()
                    .map(|f| f.counters())
                    .unwrap_or_default();
                unit.batch.rebase(by.line.wrapping_sub(1), by.record);
                if let Some(f) = unit.container.plain_format() {
                    f.rebase(by);
                }
                self.add_continued(unit);
                Ok(())
            }
        }
    }

    /// Make `unit` the open file's parser and take its events and report.
    fn add_continued(&mut self, unit: FileIngest) {
        match &mut self.open {
            Some((_, tail)) => *tail = unit,
            None => self.open = Some((FileReport::new(unit.report.file.clone()), unit)),
        }
        self.absorb();
    }

    /// Move the open parser's batch to the store and its report into the file's.
    fn absorb(&mut self) {
        let Some((report, tail)) = &mut self.open else {
            return;
        };
        let batch = std::mem::take(&mut tail.batch);
        self.builder.add(batch);
        let part = std::mem::replace(&mut tail.report, FileReport::new(report.file.clone()));
        self.merged_bytes += part.bytes;
        report.merge(part, self.shared.max_problems);
        self.size_store();
    }

    /// Reserve the store's room once enough of an expected drop is merged
    /// ([`Dataset::expect_bytes`]).
    fn size_store(&mut self) {
        let Some(total) = self.expect else { return };
        let seen = self.merged_bytes;
        if seen == 0 || seen < (total / 16).min(64 << 20) {
            return;
        }
        self.expect = None;
        self.builder
            .reserve(events_to_come(self.builder.len(), seen, total));
    }

    /// End the open file: its parser flushes what it buffered (a truncated last record is
    /// reported), and its report is kept. Returns it.
    pub fn end_file(&mut self) -> &FileReport {
        if let Some((mut report, mut tail)) = self.open.take() {
            if !tail.finished {
                tail.report = std::mem::take(&mut report);
                tail.finish();
                report = std::mem::take(&mut tail.report);
            } else if report.shapes.is_empty() {
                report.add_shape(Shape::Unrecognised);
            }
            self.builder.add(std::mem::take(&mut tail.batch));
            self.reports.push(report);
        }
        self.reports.last().expect("a file was added")
    }

    /// Events kept so far (de-duplicated, not yet sorted).
    pub fn len(&self) -> usize {
        self.builder.len()
    }

    /// A file's units are being merged (its last one not yet ended).
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.builder.is_empty()
    }

    /// The columnar store of the de-duplicated events in time order, and the summary of the drop.
    pub fn finish_store(mut self) -> (EventStore, Summary) {
        if self.open.is_some() {
            self.end_file();
        }
        let duplicates = self.builder.duplicates();
        let store = self.builder.finish();
        let summary = summarize(&store, duplicates, self.reports);
        (store, summary)
    }
}

impl FileReport {
    /// Fold the report of the file's next unit into this one, as if one parser had read both:
    /// counts add up, shapes and wrappers keep first-seen order, problems are replayed under
    /// the cap (a unit's own list holds every problem the file's list can keep from it).
    fn merge(&mut self, part: FileReport, max_problems: usize) {
        self.bytes += part.bytes;
        self.records += part.records;
        self.skipped += part.skipped;
        for s in part.shapes {
            self.add_shape(s);
        }
        for w in part.wrappers {
            self.add_wrapper(w);
        }
        for p in part.problems {
            if p.warning || self.problems.len() < max_problems {
                self.problems.push(p);
            }
        }
        if let Some(f) = part.first {
            self.first = Some(self.first.map_or(f, |x| x.min(f)));
        }
        if let Some(l) = part.last {
            self.last = Some(self.last.map_or(l, |x| x.max(l)));
        }
        self.members.extend(part.members);
    }
}

/// The summary of a drop: counts, time span, vaults (sorted), the file reports.
pub fn summarize(store: &EventStore, duplicates: u64, files: Vec<FileReport>) -> Summary {
    let mut used = vec![false; store.resources().len()];
    for r in store.vault_ids().iter() {
        used[r as usize] = true;
    }
    let mut vaults: Vec<Str> = store
        .resources()
        .iter()
        .zip(&used)
        .filter(|(_, u)| **u)
        .map(|(r, _)| r.vault.clone())
        .collect();
    vaults.sort();
    vaults.dedup();
    let t = |micros: Option<&i64>, row: usize| micros.map(|_| store.row(row).time());
    Summary {
        records: store.len() as u64,
        duplicates,
        skipped: files.iter().map(|r| r.skipped).sum(),
        first: t(store.times().first(), 0),
        last: t(store.times().last(), store.len().saturating_sub(1)),
        vaults,
        files,
    }
}

impl FileIngest {
    /// A parser for a whole file (or its first unit), named `name` (provenance only).
    pub fn new(name: &str, opts: &IngestOptions) -> FileIngest {
        FileIngest::with(name, Arc::new(Shared::new(opts)))
    }

    fn with(name: &str, shared: Arc<Shared>) -> FileIngest {
        let file: Str = Arc::from(name);
        FileIngest {
            report: FileReport::new(file.clone()),
            batch: Batch::new(),
            slot: FileSlot::new(file.clone(), Some(0)),
            container: container::Container::new(file, true),
            shared,
            finished: false,
            dirty: false,
            origin: Origin::Start,
            start: 0,
            end: 0,
            expect: None,
        }
    }

    /// Tell the parser about how many bytes it will be fed (a unit's size). Once a sixteenth
    /// of them (or 4 MiB) is parsed, the batch reserves room for the events the rest will bring
    /// at the density seen so far, a tenth more: its columns are not grown by doubling, which
    /// left a 64 MiB unit's batch up to twice as large as its events (the page's parse workers
    /// keep their memory's high-water mark). Only a size hint: a wrong one costs memory or a
    /// regrowth, never an event.
    pub fn expect_bytes(&mut self, bytes: u64) {
        self.expect = Some((bytes, false));
    }

    /// A parser for the unit of file `name` that starts at `cut` (see [`unit`](mod@unit)): feed it the
    /// file's bytes from `cut.offset` up to the next cut (or the end), then
    /// [`Dataset::add_unit`] it after the unit before it. Never call `finish` on it.
    pub fn resume(name: &str, opts: &IngestOptions, plan: &SplitPlan, cut: Cut) -> FileIngest {
        let b = plan.boundary(cut);
        let mut f = FileIngest::new(name, opts);
        f.container = container::Container::resume(&b);
        f.slot.meta.plain = Some(plan.shift() as u8);
        f.origin = Origin::Resume(b);
        f.start = cut.offset;
        f.end = cut.offset;
        f
    }

    fn sink(&mut self) -> (Sink<'_>, &mut container::Container) {
        (
            Sink {
                batch: &mut self.batch,
                report: &mut self.report,
                shared: &self.shared,
                slot: &mut self.slot,
                dirty: &mut self.dirty,
            },
            &mut self.container,
        )
    }

    /// Feed the next chunk of the file's bytes (any size, any split point).
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.finished || chunk.is_empty() {
            return;
        }
        self.report.bytes += chunk.len() as u64;
        self.end += chunk.len() as u64;
        let (mut sink, container) = self.sink();
        container.feed(chunk, &mut sink);
        self.size_batch(chunk.len() as u64);
    }

    /// Keep the batch's room ahead of the expected bytes ([`FileIngest::expect_bytes`]): once
    /// enough is parsed, and again when another chunk like the last (`chunk` bytes) might not
    /// fit (where a column would otherwise double).
    fn size_batch(&mut self, chunk: u64) {
        let Some((total, sized)) = self.expect else {
            return;
        };
        let seen = self.end - self.start;
        if seen < (total / 16).min(4 << 20) {
            return;
        }
        if seen >= total {
            self.expect = None;
            return;
        }
        let len = self.batch.len();
        let events = events_to_come(len, seen, total);
        // the events another chunk like the last brings, half more
        let next = (chunk.min(total - seen) as f64 * len as f64 / seen as f64 * 1.5) as usize;
        if !sized || self.batch.room() < next {
            // at least an eighth more, so that a density creeping up regrows a few times only
            self.batch.reserve(events.max(len / 8));
            self.expect = Some((total, true));
        }
    }

    /// Flush buffered input at end of file (a truncated last record is reported, not lost silently).
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let (mut sink, container) = self.sink();
        if sink.report.bytes == 0 {
            sink.report.add_shape(Shape::Unrecognised);
            sink.problem(0, "empty file".into());
            return;
        }
        container.finish(&mut sink);
        // A resumed unit finished on its own (a page parse worker's last unit) leaves this to
        // the file's merged report (`Dataset::end_file`): its own few records decide nothing.
        if self.report.shapes.is_empty() && !matches!(self.origin, Origin::Resume(_)) {
            self.report.add_shape(Shape::Unrecognised);
        }
    }

    /// Progress so far: bytes, records, skipped.
    pub fn report(&self) -> &FileReport {
        &self.report
    }

    /// Events kept so far (duplicates within the file are dropped as they arrive).
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// The events parsed so far (tests).
    #[cfg(test)]
    pub(crate) fn take_batch(&mut self) -> Batch {
        std::mem::take(&mut self.batch)
    }
}

/// Fuzzing hook: read `bytes` as one record with the fast scanner and with serde_json. `Ok(true)`
/// when the scanner took it (and read exactly what serde_json reads), `Ok(false)` when it
/// declined; `Err` when it accepted what serde_json rejects or read it differently.
#[doc(hidden)]
pub fn check_record_scanner(bytes: &[u8]) -> Result<bool, String> {
    let mut rec = Rec::default();
    let fast = fast::parse_rec_into(bytes, &mut rec, &mut fast::KeyCache::default());
    // keys predicted from a typical record, then from this input itself, change nothing
    let mut keys = fast::KeyCache::default();
    let mut typical = Rec::default();
    let _ = fast::parse_rec_into(fast::TYPICAL.as_bytes(), &mut typical, &mut keys);
    for _ in 0..2 {
        let mut again = Rec::default();
        let cached = fast::parse_rec_into(bytes, &mut again, &mut keys);
        if cached != fast || (fast.is_some() && format!("{again:?}") != format!("{rec:?}")) {
            return Err("the key cache changed what the scanner reads".to_string());
        }
    }
    match (fast, serde_json::from_slice::<Rec>(bytes)) {
        (None, _) => Ok(false),
        (Some(()), Ok(s)) => {
            let (a, b) = (format!("{rec:?}"), format!("{s:?}"));
            if a == b {
                Ok(true)
            } else {
                Err(format!("read differently:\n fast  {a}\n serde {b}"))
            }
        }
        (Some(()), Err(e)) => Err(format!("accepted what serde_json rejects: {e}")),
    }
}

/// Convenience: parse one whole in-memory file, returning its events as a store (not
/// de-duplicated, in file order) and the file's report.
pub fn parse_bytes(name: &str, bytes: &[u8], opts: IngestOptions) -> (EventStore, FileReport) {
    let mut f = FileIngest::new(name, &opts);
    f.batch = Batch::keeping_duplicates();
    f.feed(bytes);
    f.finish();
    let FileIngest { report, batch, .. } = f;
    let mut b = StoreBuilder::keeping_order();
    b.add(batch);
    (b.finish(), report)
}

#[cfg(test)]
mod sizing_tests {
    use super::*;

    /// `lines` raw records, one in ten twice as long (a density that varies).
    fn records(lines: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..lines {
            let pad = if i % 10 == 0 {
                "x".repeat(600)
            } else {
                String::new()
            };
            out.extend_from_slice(format!(
                r#"{{"time":"2026-10-01T00:00:{:02}.{:06}Z","operationName":"SecretGet","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV","correlationId":"{i:08}-0000-4000-8000-000000000000","callerIpAddress":"10.0.0.1","resultSignature":"OK","httpStatusCode":200,"identity":{{"claim":{{"upn":"u@x"}}}},"properties":{{"id":"https://kv.vault.azure.net/secrets/s/v","clientInfo":"c{pad}"}}}}"#,
                i % 60,
                i
            ).as_bytes());
            out.push(b'\n');
        }
        out
    }

    fn parse(bytes: &[u8], hint: bool) -> Batch {
        let mut f = FileIngest::new("a.jsonl", &IngestOptions::default());
        if hint {
            f.expect_bytes(bytes.len() as u64);
        }
        for c in bytes.chunks(256 << 10) {
            f.feed(c);
        }
        f.finish();
        f.take_batch()
    }

    /// A parser told its unit's size keeps its columns near the events' size; grown by
    /// doubling they were up to twice that. The events are the same either way.
    #[test]
    fn a_sized_batch_holds_little_more_than_its_events() {
        let bytes = records(20_000);
        let (sized, grown) = (parse(&bytes, true), parse(&bytes, false));
        assert_eq!(sized.len(), 20_000);
        assert_eq!(sized.to_wire(), grown.to_wire());
        let room = |b: &Batch| b.rows.time.capacity() as f64 / b.len() as f64;
        assert!(
            room(&sized) <= 1.15,
            "sized: {:.2} × the events",
            room(&sized)
        );
        assert!(
            room(&grown) > 1.15,
            "doubling: {:.2} × the events",
            room(&grown)
        );
        assert!(sized.heap_bytes() < grown.heap_bytes());
    }
}
