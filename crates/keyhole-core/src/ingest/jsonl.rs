//! JSON lines: one record a line (storage archive `PT1H.json`, Log Analytics data export
//! `PT05M.json`). Lines are split with memchr and parsed with the typed, borrowing [`Rec`];
//! complete lines are parsed in place from the caller's chunk, only a partial last line is
//! copied. A line may also be a whole `{"records":[…]}` envelope (Event Hub capture). Garbage
//! lines are skipped and reported with their line number; a line over the cap is skipped
//! without being buffered.

use super::fast::Scanned;
use super::jsondoc::Doc;
use super::record::{Flex, Rec};
use super::{json_error, Layout, Pos, Sink};

pub(crate) struct Lines {
    /// The current partial line.
    buf: Vec<u8>,
    /// Absolute offset (decoded stream) of the next byte fed.
    pos: u64,
    /// Absolute offset of the current line's first byte.
    line_start: u64,
    /// 1-based number of the current line.
    line: u64,
    /// Discarding an over-long line until its newline.
    skipping: bool,
}

fn trim(b: &[u8]) -> (usize, &[u8]) {
    let mut s = 0;
    let mut e = b.len();
    while s < e && matches!(b[s], b' ' | b'\t' | b'\r' | b'\n') {
        s += 1;
    }
    while e > s && matches!(b[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    (s, &b[s..e])
}

impl Lines {
    pub fn new() -> Lines {
        Lines {
            buf: Vec::new(),
            pos: 0,
            line_start: 0,
            line: 1,
            skipping: false,
        }
    }

    /// A parser resumed at decoded offset `pos`, the start of a line (numbered 1: positions
    /// are rebased when the unit is merged).
    pub fn resume(pos: u64) -> Lines {
        Lines {
            pos,
            line_start: pos,
            ..Lines::new()
        }
    }

    /// `Some(offset)` when the parser is at the start of a line with nothing buffered: a fresh
    /// [`Lines::resume`] there would do exactly what this parser does next.
    pub fn boundary(&self) -> Option<u64> {
        (self.buf.is_empty() && !self.skipping).then_some(self.pos)
    }

    /// The number of the current line.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Shift line numbers by `d` (a resumed unit's, once its first line number is known).
    pub fn rebase(&mut self, d: u64) {
        self.line = self.line.wrapping_add(d);
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        let base = self.pos;
        self.pos += data.len() as u64;
        let mut i = 0usize;
        if self.skipping {
            match memchr::memchr(b'\n', data) {
                None => return,
                Some(p) => {
                    i = p + 1;
                    self.skipping = false;
                    self.line += 1;
                    self.line_start = base + i as u64;
                }
            }
        }
        if !self.buf.is_empty() {
            match memchr::memchr(b'\n', &data[i..]) {
                None => {
                    self.buf.extend_from_slice(&data[i..]);
                    self.check_cap(sink);
                    return;
                }
                Some(p) => {
                    self.buf.extend_from_slice(&data[i..i + p]);
                    let line = std::mem::take(&mut self.buf);
                    handle_line(&line, self.line, self.line_start, sink);
                    self.buf = line;
                    self.buf.clear();
                    i += p + 1;
                    self.line += 1;
                    self.line_start = base + i as u64;
                }
            }
        }
        let mut start = i;
        for nl in memchr::memchr_iter(b'\n', &data[i..]) {
            let end = i + nl;
            handle_line(&data[start..end], self.line, self.line_start, sink);
            start = end + 1;
            self.line += 1;
            self.line_start = base + start as u64;
        }
        if start < data.len() {
            self.buf.extend_from_slice(&data[start..]);
            self.check_cap(sink);
        }
    }

    fn check_cap(&mut self, sink: &mut Sink) {
        if self.buf.len() > sink.max_record() {
            let m = super::cap_text(sink.max_record());
            sink.problem(
                self.line,
                format!("line {}: line longer than {m}, skipped", self.line),
            );
            self.buf = Vec::new();
            self.skipping = true;
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        if !self.buf.is_empty() && !self.skipping {
            let line = std::mem::take(&mut self.buf);
            handle_line(&line, self.line, self.line_start, sink);
        }
    }
}

/// One line of a JSON-lines file.
pub(crate) fn handle_line(raw: &[u8], line: u64, offset: u64, sink: &mut Sink) {
    let (lead, t) = trim(raw);
    if t.is_empty() {
        return;
    }
    let offset = offset + lead as u64;
    if t.len() > sink.max_record() {
        let m = super::cap_text(sink.max_record());
        sink.problem(line, format!("line {line}: line longer than {m}, skipped"));
        return;
    }
    let pos = Pos {
        line,
        record: None,
        offset,
        len: t.len(),
    };
    match t[0] {
        // A `Rec` is kilobytes: parsed in place and handed on by reference, never moved.
        b'{' => {
            let mut slot = Scanned::default();
            if let Some(rec) = slot.parse(t, &mut sink.batch.key_cache) {
                object_line(rec, t, line, offset, pos, sink);
            } else {
                match serde_json::from_slice::<Rec>(t) {
                    Ok(rec) => object_line(&rec, t, line, offset, pos, sink),
                    Err(e) => {
                        let msg = json_error(&e, line);
                        sink.problem(line, format!("line {line}: not JSON: {msg}"));
                    }
                }
            }
        }
        b'[' => doc_line(t, line, offset, sink),
        _ => {
            let msg = match serde_json::from_slice::<serde::de::IgnoredAny>(t) {
                Err(e) => json_error(&e, line),
                Ok(_) => "a JSON scalar, not an object".to_string(),
            };
            sink.problem(line, format!("line {line}: not JSON: {msg}"));
        }
    }
}

/// A line holding one JSON object: a record, or an envelope of records.
fn object_line(rec: &Rec, t: &[u8], line: u64, offset: u64, pos: Pos, sink: &mut Sink) {
    let envelope = |f: &Flex| matches!(f, Flex::Other);
    if envelope(&rec.records) || envelope(&rec.value) || envelope(&rec.tables) {
        doc_line(t, line, offset, sink);
    } else {
        sink.record(rec, pos, Layout::Lines, false);
    }
}

/// A line holding a whole document (`{"records":[…]}` or an array): scan it as one.
fn doc_line(t: &[u8], line: u64, offset: u64, sink: &mut Sink) {
    let mut d = Doc::new(offset, line);
    d.feed(t, sink);
    d.finish(sink);
}
