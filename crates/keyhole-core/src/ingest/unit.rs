//! Parse units: a large plain file cut into record-aligned byte ranges that parse independently
//! (on as many threads as the caller has; the core itself has none), merged back in order into
//! exactly what one sequential parse gives.
//!
//! ```text
//! let plan = SplitPlan::new(&head, &opts)?;               // from the file's first bytes
//! let cut = plan.find_cut(at, &window)?;                   // a record boundary after `at`
//! let unit = FileIngest::resume(name, &opts, &plan, cut);  // parse [cut, next cut) anywhere
//! ds.add_unit(first)?; ds.add_unit(unit)?; …; ds.end_file();
//! ```
//!
//! **Why the merge is exact.** A sequential parse is a state machine fed the file's bytes. A
//! unit starting at cut `c` is that machine started in the state the plan *assumes* at `c` (at a
//! line start; between two CSV rows with the header known; between two elements of the record
//! array), with line and record numbers counted from 1 and 0. When the units are merged in file
//! order, unit `k` is accepted only if the parser of unit `k − 1`, having consumed every byte up
//! to `c`, is in exactly that assumed state (`Boundary` equality: same parser, same buffered
//! bytes — none —, same offsets, same CSV header, same open JSON frames) and unit `k` reported
//! no problem (a problem's text names lines, which it could only count from its own start). Its
//! events' line and record numbers are then shifted by the counters of unit `k − 1`, and its
//! parser (shifted likewise) becomes the one the next unit is checked against. Otherwise the
//! unit is rejected and its bytes are fed to the parser of unit `k − 1` itself ([`Reparse`](super::Reparse)):
//! by construction that *is* the sequential parse. The file's last state is finished once, on
//! the merged report. Batches go to the store in unit order, where de-duplication keeps first
//! occurrences and the sort by time is stable, so the store is identical whatever the cuts and
//! the order units finished in.

use super::csv::CsvBoundary;
use super::jsondoc::DocBoundary;
use super::{FileIngest, IngestOptions};

/// Where a parser stands between two records: what a unit resumed there assumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// At the start of a line, at this decoded offset.
    Lines(u64),
    Csv(CsvBoundary),
    Doc(DocBoundary),
}

/// Position counters of a parser: current line, next record index of the resumed counter
/// (CSV row, array element), single top-level records read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub line: u64,
    pub record: u64,
    pub singles: u64,
}

/// The kind of parser a file's units resume.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Lines,
    Csv { header: Vec<String>, local: bool },
    Doc(DocBoundary),
}

/// How a plain file may be cut into ranges, decided from its first bytes.
#[derive(Clone, Debug)]
pub struct SplitPlan {
    kind: Kind,
    /// Bytes before the decoded stream (a UTF-8 BOM).
    shift: u64,
    /// No cut before this offset (the head the plan was decided on stays in the first unit).
    min_cut: u64,
}

/// A record boundary chosen by [`SplitPlan::find_cut`]: where a unit starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cut {
    /// File offset of the unit's first byte.
    pub offset: u64,
    /// CSV: bytes between the end of the previous row and the cut, and newlines among them.
    back: u64,
    back_lines: u64,
}

/// How many bytes of a file [`SplitPlan::new`] wants to see.
pub const PLAN_HEAD: usize = 1 << 20;

impl SplitPlan {
    /// A plan from the file's first bytes (up to [`PLAN_HEAD`]; give the whole file when it is
    /// shorter). `None`: the file is one unit (compressed, UTF-16, a format undecided in the
    /// head, a REST tables document, not a record format at all).
    pub fn new(head: &[u8], opts: &IngestOptions) -> Option<SplitPlan> {
        let mut f = FileIngest::new("", opts);
        f.feed(head);
        let shift = f.slot.meta.plain? as u64;
        let kind = match f.container.plain_format()?.boundary_kind()? {
            Boundary::Lines(_) => Kind::Lines,
            Boundary::Csv(c) => Kind::Csv {
                header: c.header,
                local: c.local,
            },
            Boundary::Doc(d) => Kind::Doc(d),
        };
        Some(SplitPlan {
            kind,
            shift,
            min_cut: head.len() as u64,
        })
    }

    /// The first record boundary at or after `start + 1` in `window` (the file's bytes from
    /// offset `start`), not before the plan's head. `None` when the window has none that is
    /// safe to assume. A wrong guess costs time, never correctness: the merge verifies it.
    pub fn find_cut(&self, start: u64, window: &[u8]) -> Option<Cut> {
        let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        for j in memchr::memchr_iter(b'\n', window) {
            let offset = start + j as u64 + 1;
            if offset < self.min_cut.max(self.shift + 1) {
                continue;
            }
            match &self.kind {
                Kind::Lines => {
                    return Some(Cut {
                        offset,
                        back: 0,
                        back_lines: 0,
                    })
                }
                Kind::Csv { .. } => {
                    // a row must follow (a fresh csv-core reader would drop a leading BOM)
                    let next = &window[j + 1..];
                    if next.len() < 3 || next.starts_with(b"\xEF\xBB\xBF") {
                        continue;
                    }
                    // the previous row ended at the first terminator of the run before the cut
                    let mut k = j;
                    while k > 0 && matches!(window[k - 1], b'\r' | b'\n') {
                        k -= 1;
                    }
                    if k == 0 {
                        continue;
                    }
                    let back = (j - k) as u64;
                    let back_lines = memchr::memchr_iter(b'\n', &window[k + 1..=j]).count() as u64;
                    return Some(Cut {
                        offset,
                        back,
                        back_lines,
                    });
                }
                Kind::Doc(_) => {
                    let prev = window[..j].iter().rev().find(|&&b| !ws(b));
                    let next = window[j + 1..].iter().find(|&&b| !ws(b));
                    if prev == Some(&b',') && next == Some(&b'{') {
                        return Some(Cut {
                            offset,
                            back: 0,
                            back_lines: 0,
                        });
                    }
                }
            }
        }
        None
    }

    /// The state a unit starting at `cut` assumes.
    pub(crate) fn boundary(&self, cut: Cut) -> Boundary {
        let pos = cut.offset - self.shift;
        match &self.kind {
            Kind::Lines => Boundary::Lines(pos),
            Kind::Csv { header, local } => Boundary::Csv(CsvBoundary {
                header: header.clone(),
                local: *local,
                pos,
                back: cut.back,
                back_lines: cut.back_lines,
            }),
            Kind::Doc(d) => Boundary::Doc(DocBoundary {
                pos,
                frames: d.frames.clone(),
            }),
        }
    }

    /// Bytes before the decoded stream (a UTF-8 BOM).
    pub fn shift(&self) -> u64 {
        self.shift
    }
}

impl super::format::Format {
    /// The boundary kind of a parser that has decided its format (whether or not it stands at
    /// a boundary right now): what units of the file resume.
    pub(crate) fn boundary_kind(&mut self) -> Option<Boundary> {
        use super::format::Format;
        match self {
            Format::Lines(_) => Some(Boundary::Lines(0)),
            Format::Csv(c) => c.header_boundary().map(Boundary::Csv),
            Format::Doc(d) => d.array_boundary().map(Boundary::Doc),
            _ => None,
        }
    }
}

/// What [`ingest_in_units`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitStats {
    /// Units the file was cut into.
    pub units: usize,
    /// Units whose assumed start did not hold, parsed again in sequence.
    pub reparsed: usize,
}

/// Ingest an in-memory file as units cut near `targets` (file offsets), each unit parsed on its
/// own and merged in order into `ds` — the same result as one sequential parse, whatever the
/// targets. The plan is made from the first `head` bytes ([`PLAN_HEAD`] in the CLI; smaller in
/// tests, so small files are cut too); units are fed in `chunk`-byte pieces. The CLI does the
/// same with files and threads; tests and fuzzing use this.
pub fn ingest_in_units(
    ds: &mut super::Dataset,
    name: &str,
    bytes: &[u8],
    head: usize,
    targets: &[u64],
    chunk: usize,
) -> UnitStats {
    let opts = ds.options().clone();
    let head = &bytes[..bytes.len().min(head)];
    let mut cuts: Vec<Cut> = Vec::new();
    if let Some(plan) = SplitPlan::new(head, &opts) {
        let mut t: Vec<u64> = targets.to_vec();
        t.sort_unstable();
        for at in t {
            if at >= bytes.len() as u64 || cuts.last().is_some_and(|c| c.offset > at) {
                continue;
            }
            if let Some(c) = plan.find_cut(at, &bytes[at as usize..]) {
                if c.offset < bytes.len() as u64 && cuts.last().is_none_or(|l| l.offset < c.offset)
                {
                    cuts.push(c);
                }
            }
        }
        let feed = |f: &mut dyn FnMut(&[u8]), from: u64, to: u64| {
            for piece in bytes[from as usize..to as usize].chunks(chunk.max(1)) {
                f(piece);
            }
        };
        let mut units = Vec::with_capacity(cuts.len() + 1);
        let mut first = FileIngest::new(name, &opts);
        let end0 = cuts.first().map_or(bytes.len() as u64, |c| c.offset);
        feed(&mut |b| first.feed(b), 0, end0);
        units.push(first);
        for (i, c) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(bytes.len() as u64, |n| n.offset);
            let mut u = FileIngest::resume(name, &opts, &plan, *c);
            feed(&mut |b| u.feed(b), c.offset, end);
            units.push(u);
        }
        let mut stats = UnitStats {
            units: units.len(),
            reparsed: 0,
        };
        for u in units {
            if let Err(mut r) = ds.add_unit(u) {
                stats.reparsed += 1;
                let range = r.range();
                feed(&mut |b| r.feed(b), range.start, range.end);
                ds.add_unit(r.into_unit())
                    .unwrap_or_else(|_| unreachable!("a continued unit is always accepted"));
            }
        }
        ds.end_file();
        return stats;
    }
    let mut f = FileIngest::new(name, &opts);
    for piece in bytes.chunks(chunk.max(1)) {
        f.feed(piece);
    }
    ds.close(f);
    UnitStats {
        units: 1,
        reparsed: 0,
    }
}

// ---- a unit parsed elsewhere (the page's parse workers) ----

use super::jsondoc::{Expect, FrameKey, Key, Role};
use super::{FileReport, Layout, Origin, Problem, Shape, Wrapper};
use crate::store::wire::{Reader, WireError, Writer};
use crate::time::Timestamp;

const UNIT_MAGIC: &[u8; 4] = b"KHU1";
const SHAPES: [Shape; 10] = [
    Shape::RawJsonLines,
    Shape::RawRecordsEnvelope,
    Shape::RawArray,
    Shape::AzureDiagnosticsJsonLines,
    Shape::AzureDiagnosticsCli,
    Shape::AzureDiagnosticsTables,
    Shape::AzureDiagnosticsValue,
    Shape::PortalCsv,
    Shape::AzkvAuditLogs,
    Shape::Unrecognised,
];
const WRAPPERS: [Wrapper; 5] = [
    Wrapper::Gzip,
    Wrapper::Zip,
    Wrapper::Utf16Le,
    Wrapper::Utf16Be,
    Wrapper::Utf8Bom,
];
const LAYOUTS: [Layout; 7] = [
    Layout::Lines,
    Layout::Envelope,
    Layout::Array,
    Layout::Value,
    Layout::Tables,
    Layout::Csv,
    Layout::Single,
];
const EXPECTS: [Expect; 4] = [Expect::Key, Expect::Colon, Expect::Value, Expect::Comma];
const KEYS: [Key; 6] = [
    Key::None,
    Key::Records,
    Key::Value,
    Key::Tables,
    Key::Columns,
    Key::Rows,
];
/// Zip members nest one level; a little more is allowed, never unbounded.
const MAX_REPORT_DEPTH: u32 = 4;
/// A document parser keeps at most this many frames.
const MAX_FRAMES: usize = 8;

fn index_of<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter().position(|x| x == v).unwrap_or(0) as u8
}

fn pick<T: Copy>(all: &[T], r: &mut Reader, what: &str) -> Result<T, WireError> {
    let i = r.u8()? as usize;
    all.get(i)
        .copied()
        .ok_or_else(|| WireError(format!("bad {what} {i}")))
}

fn time_put(w: &mut Writer, t: Option<Timestamp>) {
    match t {
        None => w.u8(0),
        Some(t) => {
            w.u8(1);
            w.i64(t.micros);
            w.u8(t.digits);
        }
    }
}

fn time_get(r: &mut Reader) -> Result<Option<Timestamp>, WireError> {
    Ok(if r.bool()? {
        Some(Timestamp {
            micros: r.i64()?,
            digits: r.u8()?.min(9),
        })
    } else {
        None
    })
}

fn report_put(w: &mut Writer, rep: &FileReport) {
    w.str(&rep.file);
    w.len(rep.shapes.len());
    rep.shapes.iter().for_each(|s| w.u8(index_of(&SHAPES, s)));
    w.len(rep.wrappers.len());
    rep.wrappers
        .iter()
        .for_each(|s| w.u8(index_of(&WRAPPERS, s)));
    w.u64(rep.bytes);
    w.u64(rep.records);
    w.u64(rep.skipped);
    w.len(rep.problems.len());
    for p in &rep.problems {
        w.str(&p.file);
        w.u64(p.line);
        w.str(&p.reason);
        w.u8(p.warning as u8);
    }
    time_put(w, rep.first);
    time_put(w, rep.last);
    w.len(rep.members.len());
    for m in &rep.members {
        report_put(w, m);
    }
}

fn report_get(r: &mut Reader, depth: u32) -> Result<FileReport, WireError> {
    if depth > MAX_REPORT_DEPTH {
        return Err(WireError("reports nested too deep".into()));
    }
    let file = r.str()?.into();
    let n = r.len(1)?;
    let shapes = (0..n)
        .map(|_| pick(&SHAPES, r, "shape"))
        .collect::<Result<_, _>>()?;
    let n = r.len(1)?;
    let wrappers = (0..n)
        .map(|_| pick(&WRAPPERS, r, "wrapper"))
        .collect::<Result<_, _>>()?;
    let (bytes, records, skipped) = (r.u64()?, r.u64()?, r.u64()?);
    let n = r.len(25)?;
    let problems = (0..n)
        .map(|_| {
            Ok(Problem {
                file: r.str()?.into(),
                line: r.u64()?,
                reason: r.str()?.to_string(),
                warning: r.bool()?,
            })
        })
        .collect::<Result<_, WireError>>()?;
    let first = time_get(r)?;
    let last = time_get(r)?;
    let n = r.len(50)?;
    let members = (0..n)
        .map(|_| report_get(r, depth + 1))
        .collect::<Result<_, _>>()?;
    Ok(FileReport {
        file,
        shapes,
        wrappers,
        bytes,
        records,
        skipped,
        problems,
        first,
        last,
        members,
    })
}

fn boundary_put(w: &mut Writer, b: &Boundary) {
    match b {
        Boundary::Lines(pos) => {
            w.u8(0);
            w.u64(*pos);
        }
        Boundary::Csv(c) => {
            w.u8(1);
            w.len(c.header.len());
            c.header.iter().for_each(|h| w.str(h));
            w.u8(c.local as u8);
            w.u64(c.pos);
            w.u64(c.back);
            w.u64(c.back_lines);
        }
        Boundary::Doc(d) => {
            w.u8(2);
            w.u64(d.pos);
            w.len(d.frames.len());
            for f in &d.frames {
                let (role, layout) = match f.role {
                    Role::TopObj => (0, Layout::Lines),
                    Role::RecArr(l) => (1, l),
                    Role::TablesArr => (2, Layout::Lines),
                    Role::TableObj => (3, Layout::Lines),
                    Role::ColsArr => (4, Layout::Lines),
                    Role::RowsArr => (5, Layout::Lines),
                };
                w.u8(role);
                w.u8(index_of(&LAYOUTS, &layout));
                w.u8(f.obj as u8);
                w.u8(index_of(&EXPECTS, &f.expect));
                w.u8(index_of(&KEYS, &f.key));
            }
        }
    }
}

fn boundary_get(r: &mut Reader) -> Result<Boundary, WireError> {
    Ok(match r.u8()? {
        0 => Boundary::Lines(r.u64()?),
        1 => {
            let n = r.len(8)?;
            let header = (0..n)
                .map(|_| r.str().map(str::to_string))
                .collect::<Result<_, _>>()?;
            let c = CsvBoundary {
                header,
                local: match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(WireError("CSV boundary: bad local-time flag".into())),
                },
                pos: r.u64()?,
                back: r.u64()?,
                back_lines: r.u64()?,
            };
            if c.back > c.pos || c.back_lines > c.back {
                return Err(WireError("CSV boundary before its row".into()));
            }
            Boundary::Csv(c)
        }
        2 => {
            let pos = r.u64()?;
            let n = r.len(5)?;
            if n > MAX_FRAMES {
                return Err(WireError(format!("{n} document frames")));
            }
            let frames = (0..n)
                .map(|_| {
                    let role = r.u8()?;
                    let layout = pick(&LAYOUTS, r, "layout")?;
                    Ok(FrameKey {
                        role: match role {
                            0 => Role::TopObj,
                            1 => Role::RecArr(layout),
                            2 => Role::TablesArr,
                            3 => Role::TableObj,
                            4 => Role::ColsArr,
                            5 => Role::RowsArr,
                            _ => return Err(WireError(format!("bad frame role {role}"))),
                        },
                        obj: r.bool()?,
                        expect: pick(&EXPECTS, r, "expectation")?,
                        key: pick(&KEYS, r, "key")?,
                    })
                })
                .collect::<Result<_, WireError>>()?;
            Boundary::Doc(DocBoundary { pos, frames })
        }
        k => return Err(WireError(format!("bad boundary kind {k}"))),
    })
}

impl FileIngest {
    /// True when this unit can be handed to the collector as bytes ([`FileIngest::to_wire`]):
    /// it was finished, or its parser stands between two records (so the parser can be rebuilt
    /// from where it stands). A unit that ends inside a record is fed on to the next cut.
    pub fn can_hand_off(&mut self) -> bool {
        self.finished
            || self
                .container
                .plain_format()
                .and_then(|f| f.boundary())
                .is_some()
    }

    /// The unit as bytes for another worker: its batch, report and where its parser stands
    /// (call [`FileIngest::can_hand_off`] first; a unit that cannot is an error when read).
    pub fn to_wire(mut self) -> Vec<u8> {
        let mut w = Writer::default();
        w.buf.extend_from_slice(UNIT_MAGIC);
        report_put(&mut w, &self.report);
        w.opt_u8(self.slot.meta.plain);
        w.u8(self.finished as u8);
        w.u8(self.dirty as u8);
        match &self.origin {
            Origin::Start => w.u8(0),
            Origin::Resume(b) => {
                w.u8(1);
                boundary_put(&mut w, b);
            }
            Origin::Continued => w.u8(2),
        }
        w.u64(self.start);
        w.u64(self.end);
        let at = self.container.plain_format().and_then(|f| {
            let b = f.boundary()?;
            Some((b, f.counters()))
        });
        match (self.finished, at) {
            (false, Some((b, c))) => {
                w.u8(1);
                boundary_put(&mut w, &b);
                w.u64(c.line);
                w.u64(c.record);
                w.u64(c.singles);
            }
            _ => w.u8(0),
        }
        crate::store::wire::batch_put(&mut w, &self.batch);
        self.batch = Default::default();
        w.buf
    }

    /// A unit from [`FileIngest::to_wire`]'s bytes, ready for [`super::Dataset::add_unit`]:
    /// its parser is rebuilt from the boundary it stopped at (a fresh parser resumed there
    /// does exactly what the original would do next: the premise of the merge).
    pub fn from_wire(bytes: &[u8], opts: &IngestOptions) -> Result<FileIngest, WireError> {
        let mut r = Reader::new(bytes);
        if r.take(4)? != UNIT_MAGIC {
            return Err(WireError("not a Keyhole unit (magic)".into()));
        }
        let report = report_get(&mut r, 0)?;
        let plain = r.opt_u8()?;
        let finished = r.bool()?;
        let dirty = r.bool()?;
        let origin = match r.u8()? {
            0 => Origin::Start,
            1 => Origin::Resume(boundary_get(&mut r)?),
            2 => Origin::Continued,
            k => return Err(WireError(format!("bad origin {k}"))),
        };
        let (start, end) = (r.u64()?, r.u64()?);
        if end < start {
            return Err(WireError("unit ends before it starts".into()));
        }
        let at = if r.bool()? {
            let b = boundary_get(&mut r)?;
            let c = Counters {
                line: r.u64()?,
                record: r.u64()?,
                singles: r.u64()?,
            };
            Some((b, c))
        } else {
            None
        };
        if !finished && at.is_none() {
            return Err(WireError(
                "an unfinished unit that does not end between records".into(),
            ));
        }
        let batch = crate::store::wire::batch_get(&mut r)?;
        r.end()?;
        let mut f = FileIngest::new(&report.file, opts);
        if let Some((b, c)) = at {
            f.container = super::container::Container::resume(&b);
            if let Some(p) = f.container.plain_format() {
                p.rebase(c);
                if matches!(origin, Origin::Resume(_)) {
                    p.rearm();
                }
            }
        }
        f.slot.meta.plain = plain;
        f.report = report;
        f.batch = batch;
        f.finished = finished;
        f.dirty = dirty;
        f.origin = origin;
        f.start = start;
        f.end = end;
        Ok(f)
    }

    /// File offsets of the bytes this unit covers.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }
}

/// One unit of work for a parse worker: which bytes of which file, where its parser starts,
/// and where it may stop. Made by [`plan_file`], run by [`run_unit`] (anywhere: another
/// thread, another Web Worker), merged by [`UnitMerger`] in the order [`plan_file`] gave.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnitTask {
    /// The file's name (provenance).
    pub name: String,
    /// File offset of the unit's first byte.
    pub start: u64,
    /// `None`: the unit starts the file; else the cut it resumes at.
    pub cut: Option<Cut>,
    /// Bytes of the file's head the plan was made from (a resumed unit re-makes it).
    pub plan_head: u64,
    /// Where the unit ends, then the file's later cuts, then the file's size: a unit whose
    /// parser does not stand between two records at its end goes on to the next one.
    pub ends: Vec<u64>,
}

impl UnitTask {
    /// The file's size.
    pub fn size(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// The unit's own bytes: from its start to its first end.
    pub fn bytes(&self) -> u64 {
        self.ends
            .first()
            .map_or(0, |e| e.saturating_sub(self.start))
    }
}

/// Reads bytes `[from, to)` of the file a task names.
pub type ReadAt<'a> = dyn FnMut(u64, u64) -> Result<Vec<u8>, String> + 'a;

fn feed_range(
    f: &mut dyn FnMut(&[u8]),
    from: u64,
    to: u64,
    chunk: u64,
    read: &mut ReadAt,
) -> Result<(), String> {
    let mut at = from;
    while at < to {
        let end = (at + chunk.max(1)).min(to);
        f(&read(at, end)?);
        at = end;
    }
    Ok(())
}

/// Where to cut bytes `from..size` of a file into units of about `unit` bytes: the offsets to
/// look for a safe cut at (`from` itself not included). The last `unit` bytes of the whole
/// input (`after`: the bytes of the inputs read after this file) go in quarter units of at
/// least `min` bytes (the unit before them shorter when the input does not divide), so that no
/// worker idles long at the end while another parses a whole unit (the page, 1 GB: one worker idle 330 ms at the end with whole units to the last, 10 ms
/// with these). The page and the CLI plan with it.
pub fn unit_targets(from: u64, size: u64, after: u64, unit: u64, min: u64) -> Vec<u64> {
    let unit = unit.max(1);
    let small = (unit / 4).max(min).clamp(1, unit);
    let mut targets = Vec::new();
    let mut at = from;
    loop {
        let rest = size.saturating_sub(at) + after;
        let step = if rest <= unit {
            small
        } else if rest < 2 * unit {
            // up to where the input's last unit begins (not a sliver)
            (rest - unit).max(small)
        } else {
            unit
        };
        at += step;
        if at + step / 2 >= size {
            return targets;
        }
        targets.push(at);
    }
}

/// Cut a file of `size` bytes into tasks near `targets` (file offsets), the plan made from the
/// first `head` bytes and each cut looked for in `window` bytes from its target. One task (the
/// whole file) when the file cannot be cut (compressed, UTF-16, undecided, no safe cut).
pub fn plan_file(
    name: &str,
    size: u64,
    opts: &IngestOptions,
    head: u64,
    targets: &[u64],
    window: u64,
    read: &mut ReadAt,
) -> Vec<UnitTask> {
    let whole = || {
        vec![UnitTask {
            name: name.to_string(),
            start: 0,
            cut: None,
            plan_head: 0,
            ends: vec![size],
        }]
    };
    let head = head.min(size);
    if targets.is_empty() || size == 0 {
        return whole();
    }
    let Some(plan) = read(0, head).ok().and_then(|h| SplitPlan::new(&h, opts)) else {
        return whole();
    };
    let mut t = targets.to_vec();
    t.sort_unstable();
    let mut cuts: Vec<Cut> = Vec::new();
    for at in t {
        if at >= size || cuts.last().is_some_and(|c| c.offset > at) {
            continue;
        }
        let Ok(w) = read(at, (at + window).min(size)) else {
            continue;
        };
        if let Some(c) = plan.find_cut(at, &w) {
            if c.offset < size && cuts.last().is_none_or(|l| l.offset < c.offset) {
                cuts.push(c);
            }
        }
    }
    if cuts.is_empty() {
        return whole();
    }
    let ends: Vec<u64> = cuts.iter().map(|c| c.offset).chain([size]).collect();
    let mut tasks = vec![UnitTask {
        name: name.to_string(),
        start: 0,
        cut: None,
        plan_head: head,
        ends: ends.clone(),
    }];
    for (i, c) in cuts.iter().enumerate() {
        tasks.push(UnitTask {
            name: name.to_string(),
            start: c.offset,
            cut: Some(*c),
            plan_head: head,
            ends: ends[i + 1..].to_vec(),
        });
    }
    tasks
}

/// Parse one task and return the unit as bytes ([`FileIngest::to_wire`]). The unit is fed to
/// its end; when its parser is then inside a record it goes on to the next cut (the units it
/// covers that way are skipped by the merger); at the end of the file it is finished. The
/// loop over a [`UnitRun`].
pub fn run_unit(
    task: &UnitTask,
    opts: &IngestOptions,
    chunk: u64,
    read: &mut ReadAt,
) -> Result<Vec<u8>, String> {
    let mut run = UnitRun::new(task.clone(), opts, chunk);
    while let Some((from, to)) = run.next_range() {
        run.give(&read(from, to)?)?;
    }
    Ok(run.into_wire())
}

/// [`run_unit`] as a push parser, for a reader that cannot block: ask
/// [`UnitRun::next_range`] which bytes of the file to read, hand them to [`UnitRun::give`],
/// until it asks for none; [`UnitRun::into_wire`] is the unit. [`UnitRun::range_after`] is
/// the range it will most likely ask for next, so the bytes can be on their way while the
/// parser works (the page's workers read the next slice of the file as they parse this one).
pub struct UnitRun {
    task: UnitTask,
    opts: IngestOptions,
    chunk: u64,
    /// `None` until the head is given (a resumed unit re-makes the split plan from it).
    f: Option<FileIngest>,
    /// The next byte to read, and the index in `task.ends` of the end being read to.
    at: u64,
    end: usize,
    done: bool,
}

impl UnitRun {
    pub fn new(task: UnitTask, opts: &IngestOptions, chunk: u64) -> UnitRun {
        let f = task.cut.is_none().then(|| {
            let mut f = FileIngest::new(&task.name, opts);
            f.expect_bytes(task.bytes());
            f
        });
        let mut run = UnitRun {
            at: task.start,
            task,
            opts: opts.clone(),
            chunk: chunk.max(1),
            f,
            end: 0,
            done: false,
        };
        run.settle();
        run
    }

    /// The bytes `[from, to)` of the file to give next; `None`: the unit is complete.
    pub fn next_range(&self) -> Option<(u64, u64)> {
        if self.done {
            return None;
        }
        if self.f.is_none() {
            return Some((0, self.task.plan_head));
        }
        let end = self.task.ends[self.end];
        Some((self.at, (self.at + self.chunk).min(end)))
    }

    /// The range after [`UnitRun::next_range`] if the parser does not stop there (it may: at
    /// the end of the unit, when it stands between two records).
    pub fn range_after(&self) -> Option<(u64, u64)> {
        let (at, end) = match (&self.f, self.next_range()?) {
            (None, _) => (self.task.start, *self.task.ends.first()?),
            (Some(_), (_, to)) if to < self.task.ends[self.end] => (to, self.task.ends[self.end]),
            (Some(_), (_, to)) => (to, *self.task.ends.get(self.end + 1)?),
        };
        (at < end).then(|| (at, (at + self.chunk).min(end)))
    }

    /// The bytes of [`UnitRun::next_range`] (fewer if the file is shorter than planned).
    pub fn give(&mut self, bytes: &[u8]) -> Result<(), String> {
        let Some((_, to)) = self.next_range() else {
            return Ok(());
        };
        match &mut self.f {
            None => {
                let Some(cut) = self.task.cut else {
                    return Err(format!("{}: no cut to resume at", self.task.name));
                };
                let plan = SplitPlan::new(bytes, &self.opts).ok_or_else(|| {
                    format!("{}: the file changed while it was read", self.task.name)
                })?;
                let mut f = FileIngest::resume(&self.task.name, &self.opts, &plan, cut);
                f.expect_bytes(self.task.bytes());
                self.f = Some(f);
            }
            Some(f) => {
                f.feed(bytes);
                self.at = to;
            }
        }
        self.settle();
        Ok(())
    }

    /// At the end being read to: finish the file at its end, stop when the parser can hand
    /// off, else read on to the next end.
    fn settle(&mut self) {
        let Some(f) = &mut self.f else { return };
        while !self.done {
            let Some(&end) = self.task.ends.get(self.end) else {
                self.done = true;
                break;
            };
            if self.at < end {
                break;
            }
            self.at = end;
            if end >= self.task.size() {
                f.finish();
                self.done = true;
            } else if f.can_hand_off() {
                self.done = true;
            } else {
                self.end += 1;
            }
        }
    }

    /// The unit as bytes ([`FileIngest::to_wire`]).
    pub fn into_wire(self) -> Vec<u8> {
        let f = self
            .f
            .unwrap_or_else(|| FileIngest::new(&self.task.name, &self.opts));
        f.to_wire()
    }
}

/// Merges units from [`run_unit`] in task order into a dataset, exactly as [`ingest_in_units`]
/// does: a unit whose start did not hold is parsed again after the one before it (its bytes
/// re-read with `read`), a unit covered by the one before it is skipped, a file ends with its
/// last byte.
#[derive(Debug, Default)]
pub struct UnitMerger {
    /// The file being merged and the offset its units have been parsed up to.
    covered: Option<(String, u64)>,
    pub stats: UnitStats,
    /// Records and skipped records of the units merged so far (for progress).
    pub records: u64,
    pub skipped: u64,
}

/// What [`UnitMerger::add`] did with a unit.
#[derive(Debug)]
pub enum Merged {
    /// Its bytes were parsed by the unit before it.
    Skipped,
    /// Merged; its file goes on.
    Unit,
    /// Merged, and its file ended: the file's report.
    FileEnd(Box<super::FileReport>),
}

impl UnitMerger {
    pub fn new() -> UnitMerger {
        UnitMerger::default()
    }

    /// True when `task`'s bytes were already parsed by the unit before it.
    pub fn covers(&self, task: &UnitTask) -> bool {
        self.covered
            .as_ref()
            .is_some_and(|(n, until)| *n == task.name && task.start < *until)
    }

    /// Merge the next task's unit (see [`Merged`]).
    pub fn add(
        &mut self,
        ds: &mut super::Dataset,
        task: &UnitTask,
        wire: &[u8],
        chunk: u64,
        read: &mut ReadAt,
    ) -> Result<Merged, String> {
        if self.covers(task) {
            return Ok(Merged::Skipped);
        }
        let unit = FileIngest::from_wire(wire, ds.options()).map_err(|e| e.to_string())?;
        let end = unit.range().end;
        self.records += unit.report().records;
        self.skipped += unit.report().skipped;
        self.stats.units += 1;
        if let Err(mut again) = ds.add_unit(unit) {
            self.stats.reparsed += 1;
            let r = again.range();
            feed_range(&mut |b| again.feed(b), r.start, r.end, chunk, read)?;
            ds.add_unit(again.into_unit())
                .map_err(|_| "a continued unit was refused".to_string())?;
        }
        self.covered = Some((task.name.clone(), end));
        if end >= task.size() {
            return Ok(Merged::FileEnd(Box::new(ds.end_file().clone())));
        }
        Ok(Merged::Unit)
    }

    /// Give up on the rest of `task`'s file (it could not be read): end it as it stands.
    pub fn abandon(&mut self, ds: &mut super::Dataset, task: &UnitTask) -> super::FileReport {
        self.covered = Some((task.name.clone(), u64::MAX));
        if ds.is_open() {
            ds.end_file().clone()
        } else {
            super::FileReport {
                file: task.name.as_str().into(),
                ..Default::default()
            }
        }
    }
}

/// [`ingest_in_units`] the way the page does it: every unit planned by [`plan_file`], parsed
/// by a [`UnitRun`] into bytes (here in reverse order, as workers may finish), merged by
/// [`UnitMerger`]. Tests and fuzzing compare it with one sequential parse; every range a run
/// asks for must be the one it predicted ([`UnitRun::range_after`]) when it predicted one.
pub fn ingest_in_units_over_wire(
    ds: &mut super::Dataset,
    name: &str,
    bytes: &[u8],
    head: usize,
    targets: &[u64],
    chunk: usize,
) -> Result<UnitStats, String> {
    let opts = ds.options().clone();
    let mut read = |a: u64, b: u64| -> Result<Vec<u8>, String> {
        let len = bytes.len() as u64;
        Ok(bytes[a.min(len) as usize..b.min(len) as usize].to_vec())
    };
    let tasks = plan_file(
        name,
        bytes.len() as u64,
        &opts,
        head as u64,
        targets,
        bytes.len() as u64,
        &mut read,
    );
    let mut wires: Vec<Vec<u8>> = Vec::with_capacity(tasks.len());
    for t in tasks.iter().rev() {
        let mut run = UnitRun::new(t.clone(), &opts, chunk as u64);
        let mut predicted = None;
        while let Some(r) = run.next_range() {
            if predicted.is_some_and(|p| p != r) {
                return Err(format!("{name}: read {r:?}, predicted {predicted:?}"));
            }
            predicted = run.range_after();
            run.give(&read(r.0, r.1)?)?;
        }
        wires.push(run.into_wire());
    }
    wires.reverse();
    let mut m = UnitMerger::new();
    for (t, w) in tasks.iter().zip(&wires) {
        m.add(ds, t, w, chunk as u64, &mut read)?;
    }
    Ok(m.stats)
}
