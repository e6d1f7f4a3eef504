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
//! to `c`, is in exactly that assumed state ([`Boundary`] equality: same parser, same buffered
//! bytes — none —, same offsets, same CSV header, same open JSON frames) and unit `k` reported
//! no problem (a problem's text names lines, which it could only count from its own start). Its
//! events' line and record numbers are then shifted by the counters of unit `k − 1`, and its
//! parser (shifted likewise) becomes the one the next unit is checked against. Otherwise the
//! unit is rejected and its bytes are fed to the parser of unit `k − 1` itself ([`Reparse`]):
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
    Csv { header: Vec<String>, tz: i32 },
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
                tz: c.tz,
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
            Kind::Csv { header, tz } => Boundary::Csv(CsvBoundary {
                header: header.clone(),
                tz: *tz,
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
