//! Format sniffing from the decoded text: JSON lines, a JSON document, a portal CSV, or
//! unrecognised. Then one parser per format behind one enum.

use super::csv::Csv;
use super::jsondoc::{probe, Doc};
use super::jsonl::Lines;
use super::normalize::clip;
use super::unit::{Boundary, Counters};
use super::{Layout, Shape, Sink};

/// How much text is looked at to decide a non-JSON file's format.
const SNIFF_TEXT: usize = 64 << 10;

pub(crate) enum Format {
    Sniff(Vec<u8>),
    Lines(Lines),
    Doc(Box<Doc>),
    Csv(Box<Csv>),
    /// Not a Key Vault export: the rest is ignored (already reported).
    Ignore,
}

enum Decision {
    Wait,
    Lines,
    Doc,
    Csv,
    Empty,
    Unrecognised(String),
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn decide(buf: &[u8], eof: bool, max_record: usize) -> Decision {
    let Some(start) = buf.iter().position(|&b| !is_ws(b)) else {
        return if eof { Decision::Empty } else { Decision::Wait };
    };
    let rest = &buf[start..];
    match rest[0] {
        b'[' => Decision::Doc,
        b'{' => {
            // Decide on at most the first `max_record + 1` bytes, so that the verdict is the
            // same whatever the chunking (every rule below is stable under extension).
            let w = &rest[..rest.len().min(max_record + 1)];
            let p = probe(w);
            if p.envelope {
                return Decision::Doc;
            }
            let nl = memchr::memchr(b'\n', w);
            match (p.end, nl) {
                // first value complete before the first newline: one record a line
                (Some(end), Some(nl)) => {
                    if end <= nl {
                        Decision::Lines
                    } else {
                        Decision::Doc
                    }
                }
                (Some(end), None) => {
                    // whole first value seen, no newline yet: is more coming on this line?
                    let after = &w[end..];
                    if after.iter().any(|&b| !is_ws(b)) || eof || rest.len() > max_record {
                        Decision::Lines
                    } else {
                        Decision::Wait
                    }
                }
                (None, Some(_)) => Decision::Doc,
                (None, None) if eof => Decision::Doc,
                // a first line longer than the cap: JSON lines (that line is reported)
                (None, None) if rest.len() > max_record => Decision::Lines,
                (None, None) => Decision::Wait,
            }
        }
        _ => {
            let nl = memchr::memchr(b'\n', rest);
            if nl.is_none() && !eof && rest.len() < SNIFF_TEXT {
                return Decision::Wait;
            }
            let first = &rest[..nl.unwrap_or(rest.len()).min(SNIFF_TEXT)];
            let header = String::from_utf8_lossy(first);
            if super::csv::is_kv_header(&header) {
                return Decision::Csv;
            }
            // JSON lines after a garbage first line?
            if !eof && rest.len() < SNIFF_TEXT {
                return Decision::Wait;
            }
            let window = &rest[..rest.len().min(SNIFF_TEXT)];
            let json_line = window.split(|&b| b == b'\n').skip(1).any(|l| {
                let t = l.trim_ascii();
                t.first() == Some(&b'{')
                    && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok()
            });
            if json_line {
                return Decision::Lines;
            }
            let printable = first.iter().all(|&b| b >= 0x20 || b == b'\t' || b == b'\r');
            if printable && first.contains(&b',') {
                Decision::Unrecognised(format!(
                    "unrecognised: CSV header without TimeGenerated and OperationName columns ({}): not a Key Vault export",
                    clip(&header)
                ))
            } else {
                Decision::Unrecognised(
                    "unrecognised: neither JSON nor a portal CSV export (binary or unrelated text)"
                        .into(),
                )
            }
        }
    }
}

impl Format {
    pub fn new() -> Format {
        Format::Sniff(Vec::new())
    }

    /// The parser a unit cut at `b` starts with.
    pub fn resume(b: &Boundary) -> Format {
        match b {
            Boundary::Lines(pos) => Format::Lines(Lines::resume(*pos)),
            Boundary::Csv(c) => Format::Csv(Box::new(Csv::resume(c))),
            Boundary::Doc(d) => Format::Doc(Box::new(Doc::resume(d))),
        }
    }

    /// Where the parser stands, when it is between two records with nothing buffered.
    pub fn boundary(&self) -> Option<Boundary> {
        match self {
            Format::Lines(p) => p.boundary().map(Boundary::Lines),
            Format::Csv(p) => p.boundary().map(Boundary::Csv),
            Format::Doc(p) => p.boundary().map(Boundary::Doc),
            Format::Sniff(_) | Format::Ignore => None,
        }
    }

    /// The position counters a following unit is rebased by.
    pub fn counters(&self) -> Counters {
        match self {
            Format::Lines(p) => Counters {
                line: p.line(),
                ..Counters::default()
            },
            Format::Csv(p) => {
                let (line, record) = p.counters();
                Counters {
                    line,
                    record,
                    singles: 0,
                }
            }
            Format::Doc(p) => {
                let (line, record, singles) = p.counters();
                Counters {
                    line,
                    record,
                    singles,
                }
            }
            Format::Sniff(_) | Format::Ignore => Counters::default(),
        }
    }

    /// See `Doc::rearm` (the other parsers rebase without state).
    pub fn rearm(&mut self) {
        if let Format::Doc(p) = self {
            p.rearm();
        }
    }

    /// Shift a resumed parser's positions by the counters of the unit before it.
    pub fn rebase(&mut self, by: Counters) {
        let dline = by.line.wrapping_sub(1);
        match self {
            Format::Lines(p) => p.rebase(dline),
            Format::Csv(p) => p.rebase(dline, by.record),
            Format::Doc(p) => p.rebase(dline, by.record, by.singles),
            Format::Sniff(_) | Format::Ignore => {}
        }
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        match self {
            Format::Sniff(buf) => {
                let before = buf.len();
                buf.extend_from_slice(data);
                // Re-decide only when something that can change the verdict arrived (a newline,
                // a size threshold crossed, an opening `[`): linear, whatever the chunk size.
                let max = sink.max_record();
                let crossed = |t: usize| before <= t && buf.len() > t;
                let first = buf.iter().find(|&&b| !is_ws(b)).copied();
                let trigger = memchr::memchr(b'\n', data).is_some()
                    || crossed(max)
                    || crossed(SNIFF_TEXT)
                    || (first == Some(b'[') && buf[..before].iter().all(|&b| is_ws(b)));
                if trigger {
                    let buf = std::mem::take(buf);
                    self.try_decide(buf, false, sink);
                }
            }
            Format::Lines(p) => p.feed(data, sink),
            Format::Doc(p) => p.feed(data, sink),
            Format::Csv(p) => p.feed(data, sink),
            Format::Ignore => {}
        }
    }

    fn try_decide(&mut self, buf: Vec<u8>, eof: bool, sink: &mut Sink) {
        let next = match decide(&buf, eof, sink.max_record()) {
            Decision::Wait if eof => {
                sink.report.add_shape(Shape::Unrecognised);
                sink.problem(0, "unrecognised: incomplete JSON".into());
                Format::Ignore
            }
            Decision::Wait => {
                *self = Format::Sniff(buf);
                return;
            }
            Decision::Lines => Format::Lines(Lines::new()),
            Decision::Doc => Format::Doc(Box::new(Doc::new(0, 1))),
            Decision::Csv => Format::Csv(Box::new(Csv::new())),
            Decision::Empty => {
                sink.report.add_shape(Shape::Unrecognised);
                let what = if buf.is_empty() {
                    "empty file"
                } else {
                    "empty file (whitespace only)"
                };
                sink.problem(0, what.into());
                Format::Ignore
            }
            Decision::Unrecognised(reason) => {
                sink.report.add_shape(Shape::Unrecognised);
                sink.problem(0, reason);
                Format::Ignore
            }
        };
        *self = next;
        if !matches!(self, Format::Ignore) {
            self.feed(&buf, sink);
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        if let Format::Sniff(buf) = self {
            let buf = std::mem::take(buf);
            self.try_decide(buf, true, sink);
        }
        match self {
            Format::Sniff(_) | Format::Ignore => {}
            Format::Lines(p) => p.finish(sink),
            Format::Doc(p) => p.finish(sink),
            Format::Csv(p) => p.finish(sink),
        }
        if sink.report.records == 0 && sink.report.shapes.is_empty() {
            sink.report.add_shape(Shape::Unrecognised);
        }
    }
}

#[allow(dead_code)]
pub(crate) fn layout_name(l: Layout) -> &'static str {
    match l {
        Layout::Lines => "lines",
        Layout::Envelope => "records",
        Layout::Array => "array",
        Layout::Value => "value",
        Layout::Tables => "tables",
        Layout::Csv => "csv",
        Layout::Single => "single",
    }
}
