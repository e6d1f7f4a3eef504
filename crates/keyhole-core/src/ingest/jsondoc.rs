//! JSON documents: `{"records":[…]}`, bare arrays `[…]`, `{"value":[…]}`, Log Analytics REST
//! `{"tables":[{"name","columns":[{"name","type"}],"rows":[[…]]}]}`, pretty-printed or not, one
//! or several concatenated; a single pretty-printed record as a whole document.
//!
//! A small streaming structure scanner — a byte-at-a-time state machine with NO recursion —
//! tracks strings, escapes, depth and line numbers, understands only the few outer levels
//! (a stack of at most four frames), and cuts out each element of a record array, handing its
//! bytes to serde_json. Memory is one record; nesting only increments a counter, so `[` nested
//! 200,000 deep is a reported problem, never a stack overflow (serde_json's own recursion limit
//! stays on for the element).

use super::record::{Column, Rec};
use super::{json_error, Layout, Pos, Sink};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A top-level object: an envelope, or itself a record.
    TopObj,
    /// An array whose elements are records.
    RecArr(Layout),
    /// `"tables": [ … ]`
    TablesArr,
    /// One table object.
    TableObj,
    /// `"columns": [ {name,type}, … ]`
    ColsArr,
    /// `"rows": [ [ … ], … ]`
    RowsArr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Key,
    Colon,
    Value,
    Comma,
}

#[derive(Debug)]
struct Frame {
    role: Role,
    obj: bool,
    expect: Expect,
    key: Key,
    index: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    None,
    Records,
    Value,
    Tables,
    Columns,
    Rows,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CapKind {
    Record(Layout),
    Column,
    Row,
}

#[derive(Debug)]
struct Capture {
    kind: CapKind,
    /// Absolute offset of the element's first byte.
    start: u64,
    line: u64,
    index: u64,
    too_long: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Struct,
    Str {
        key: bool,
        esc: bool,
    },
    Lit,
    /// Counting through a nested value (skipped or captured).
    Nest {
        depth: u64,
        in_str: bool,
        esc: bool,
    },
    /// Skipping garbage at top level up to the end of the line.
    Garbage,
}

pub(crate) struct Doc {
    /// Retained bytes; `buf[0]` is at absolute offset `base`.
    buf: Vec<u8>,
    base: u64,
    line: u64,
    mode: Mode,
    stack: Vec<Frame>,
    cap: Option<Capture>,
    /// Start (offset, line) of a top-level object that may itself be a single record.
    tentative: Option<(u64, u64)>,
    tentative_dropped: bool,
    key: Vec<u8>,
    columns: Vec<String>,
    singles: u64,
    /// Resumed inside a record array at this stack depth (a parse unit cut from a large file);
    /// `Some(false)` once that array closed: a record after it would be numbered from a counter
    /// the unit cannot rebase, so it marks the unit for a sequential parse.
    resumed: Option<(usize, bool)>,
}

const MAX_FRAMES: usize = 8;

/// One open frame of the structure, as a resumed parser needs it (its index excepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameKey {
    pub role: Role,
    pub obj: bool,
    pub expect: Expect,
    pub key: Key,
}

/// Where a document parser stands between two elements of a record array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocBoundary {
    pub pos: u64,
    pub frames: Vec<FrameKey>,
}

impl Doc {
    /// `base`: absolute offset of the first byte fed; `line`: its line number.
    pub fn new(base: u64, line: u64) -> Doc {
        Doc {
            buf: Vec::new(),
            base,
            line,
            mode: Mode::Struct,
            stack: Vec::with_capacity(MAX_FRAMES),
            cap: None,
            tentative: None,
            tentative_dropped: false,
            key: Vec::new(),
            columns: Vec::new(),
            singles: 0,
            resumed: None,
        }
    }

    /// A parser resumed between two elements of a record array (lines from 1, indices from
    /// 0: rebased when the unit is merged).
    pub fn resume(b: &DocBoundary) -> Doc {
        let mut d = Doc::new(b.pos, 1);
        d.stack = b
            .frames
            .iter()
            .map(|f| Frame {
                role: f.role,
                obj: f.obj,
                expect: f.expect,
                key: f.key,
                index: 0,
            })
            .collect();
        d.resumed = Some((b.frames.len(), true));
        d
    }

    /// `Some` when between two elements of a record array (after a comma or the opening
    /// bracket), with nothing captured or pending.
    pub fn boundary(&self) -> Option<DocBoundary> {
        let top = self.stack.last()?;
        let ok = matches!(self.mode, Mode::Struct)
            && self.cap.is_none()
            && self.tentative.is_none()
            && !self.tentative_dropped
            && self.columns.is_empty()
            && matches!(top.role, Role::RecArr(_))
            && top.expect == Expect::Value
            && self.buf.is_empty();
        ok.then(|| DocBoundary {
            pos: self.base,
            frames: self
                .stack
                .iter()
                .map(|f| FrameKey {
                    role: f.role,
                    obj: f.obj,
                    expect: f.expect,
                    key: f.key,
                })
                .collect(),
        })
    }

    /// The open frames, when the innermost one is a record array: the state after a comma
    /// between two of its elements (what units of the file resume with).
    pub fn array_boundary(&self) -> Option<DocBoundary> {
        let top = self.stack.last()?;
        if !matches!(top.role, Role::RecArr(_)) {
            return None;
        }
        let n = self.stack.len();
        Some(DocBoundary {
            pos: 0,
            frames: self
                .stack
                .iter()
                .enumerate()
                .map(|(i, f)| FrameKey {
                    role: f.role,
                    obj: f.obj,
                    expect: if i + 1 == n { Expect::Value } else { f.expect },
                    key: f.key,
                })
                .collect(),
        })
    }

    /// (current line, index of the next element of the innermost array, single records read).
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.line,
            self.stack.last().map_or(0, |f| f.index),
            self.singles,
        )
    }

    /// Make a parser rebuilt at a boundary (and rebased to its own counters) rebase-able once
    /// more, as the resumed unit it stands for still is (`FileIngest::from_wire`).
    pub fn rearm(&mut self) {
        self.resumed = Some((self.stack.len(), true));
    }

    /// Shift line numbers by `dline`, the resumed array's indices by `dindex`, single-record
    /// numbers by `dsingles`.
    pub fn rebase(&mut self, dline: u64, dindex: u64, dsingles: u64) {
        self.line = self.line.wrapping_add(dline);
        if let Some(c) = &mut self.cap {
            c.line = c.line.wrapping_add(dline);
        }
        if let Some((_, l)) = &mut self.tentative {
            *l = l.wrapping_add(dline);
        }
        if let Some((depth, alive)) = self.resumed.take() {
            if alive {
                if let Some(f) = self.stack.get_mut(depth - 1) {
                    f.index = f.index.wrapping_add(dindex);
                }
                if let Some(c) = &mut self.cap {
                    if self.stack.len() == depth {
                        c.index = c.index.wrapping_add(dindex);
                    }
                }
            }
        }
        self.singles = self.singles.wrapping_add(dsingles);
    }

    /// A record is about to be emitted from the innermost frame: in a resumed parser, only the
    /// resumed array's records can be rebased.
    fn check_resumed(&self, single: bool, sink: &mut Sink) {
        if let Some((depth, alive)) = self.resumed {
            if single || !alive || self.stack.len() != depth {
                *sink.dirty = true;
            }
        }
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        let scan_from = self.buf.len();
        self.buf.extend_from_slice(data);
        let mut i = scan_from;
        while i < self.buf.len() {
            if let Mode::Nest { .. } = self.mode {
                // fast path through a nested value: no per-byte dispatch, strings skipped with memchr
                let (j, done) = self.nest_run(i);
                self.line += memchr::memchr_iter(b'\n', &self.buf[i..j]).count() as u64;
                i = j;
                if done {
                    self.mode = Mode::Struct;
                    if let Some(c) = self.cap.take() {
                        let end = self.base + j as u64 - 1;
                        self.emit(c, end, sink);
                    }
                }
                continue;
            }
            let b = self.buf[i];
            let abs = self.base + i as u64;
            let consumed = self.step(b, abs, sink);
            if consumed {
                if b == b'\n' {
                    self.line += 1;
                }
                i += 1;
            }
        }
        self.compact(sink);
    }

    /// Drop bytes nobody needs any more; enforce the record cap.
    fn compact(&mut self, sink: &mut Sink) {
        let end = self.base + self.buf.len() as u64;
        let max = sink.max_record() as u64;
        if let Some(c) = &mut self.cap {
            if !c.too_long && end - c.start > max {
                c.too_long = true;
            }
        }
        if let Some((start, _)) = self.tentative {
            if end - start > max {
                self.tentative = None;
                self.tentative_dropped = true;
            }
        }
        let mut keep = end;
        if let Some(c) = &self.cap {
            if !c.too_long {
                keep = keep.min(c.start);
            }
        }
        if let Some((start, _)) = self.tentative {
            keep = keep.min(start);
        }
        let drop = (keep - self.base) as usize;
        if drop > 0 {
            self.buf.drain(..drop);
            self.base = keep;
        }
    }

    fn slice(&self, start: u64, end_incl: u64) -> &[u8] {
        &self.buf[(start - self.base) as usize..=(end_incl - self.base) as usize]
    }

    fn structural_error(&mut self, b: u8, sink: &mut Sink) {
        if let Some((_, alive)) = &mut self.resumed {
            *alive = false;
        }
        let what = if b.is_ascii_graphic() {
            format!("'{}'", b as char)
        } else {
            format!("byte 0x{b:02x}")
        };
        sink.problem(
            self.line,
            format!(
                "line {}: malformed JSON document: unexpected {what}; skipping to the next line",
                self.line
            ),
        );
        self.stack.clear();
        self.cap = None;
        self.tentative = None;
        self.mode = if b == b'\n' {
            Mode::Struct
        } else {
            Mode::Garbage
        };
    }

    /// Process one byte. Returns false when the byte must be looked at again (end of a literal).
    fn step(&mut self, b: u8, abs: u64, sink: &mut Sink) -> bool {
        match self.mode {
            Mode::Garbage => {
                if b == b'\n' {
                    self.mode = Mode::Struct;
                }
                true
            }
            Mode::Str { key, esc } => {
                if esc {
                    self.mode = Mode::Str { key, esc: false };
                    if key && self.key.len() < 32 {
                        self.key.push(b);
                    }
                } else if b == b'\\' {
                    self.mode = Mode::Str { key, esc: true };
                } else if b == b'"' {
                    self.mode = Mode::Struct;
                    if key {
                        let k = match self.key.as_slice() {
                            b"records" => Key::Records,
                            b"value" => Key::Value,
                            b"tables" => Key::Tables,
                            b"columns" => Key::Columns,
                            b"rows" => Key::Rows,
                            _ => Key::None,
                        };
                        if let Some(f) = self.stack.last_mut() {
                            f.key = k;
                            f.expect = Expect::Colon;
                        }
                    }
                } else if key && self.key.len() < 32 {
                    self.key.push(b);
                }
                true
            }
            Mode::Lit => {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                    self.mode = Mode::Struct;
                    false
                } else {
                    true
                }
            }
            Mode::Nest { depth, in_str, esc } => {
                let mut depth = depth;
                let (mut in_str, mut esc) = (in_str, esc);
                if in_str {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                }
                if depth == 0 {
                    self.mode = Mode::Struct;
                    if let Some(c) = self.cap.take() {
                        self.emit(c, abs, sink);
                    }
                } else {
                    self.mode = Mode::Nest { depth, in_str, esc };
                }
                true
            }
            Mode::Struct => {
                if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                    return true;
                }
                let Some(top) = self.stack.last_mut() else {
                    // between top-level values
                    match b {
                        b'{' => {
                            self.stack.push(Frame {
                                role: Role::TopObj,
                                obj: true,
                                expect: Expect::Key,
                                key: Key::None,
                                index: 0,
                            });
                            self.tentative = Some((abs, self.line));
                        }
                        b'[' => {
                            self.stack.push(Frame {
                                role: Role::RecArr(Layout::Array),
                                obj: false,
                                expect: Expect::Value,
                                key: Key::None,
                                index: 0,
                            });
                        }
                        0xEF | 0xBB | 0xBF => {} // a stray BOM between concatenated documents
                        _ => {
                            let what = if b.is_ascii_graphic() {
                                format!("'{}'", b as char)
                            } else {
                                format!("byte 0x{b:02x}")
                            };
                            sink.problem(self.line, format!("line {}: not JSON: unexpected {what} between records, line skipped", self.line));
                            self.mode = Mode::Garbage;
                        }
                    }
                    return true;
                };
                if top.obj {
                    match (top.expect, b) {
                        (Expect::Key, b'"') => {
                            self.key.clear();
                            self.mode = Mode::Str {
                                key: true,
                                esc: false,
                            };
                        }
                        (Expect::Key | Expect::Comma, b'}') => self.close(abs, sink),
                        (Expect::Comma, b',') => top.expect = Expect::Key,
                        (Expect::Colon, b':') => top.expect = Expect::Value,
                        (Expect::Value, _) => {
                            top.expect = Expect::Comma;
                            let child = match (top.role, top.key, b) {
                                (Role::TopObj, Key::Records, b'[') => {
                                    Some(Role::RecArr(Layout::Envelope))
                                }
                                (Role::TopObj, Key::Value, b'[') => {
                                    Some(Role::RecArr(Layout::Value))
                                }
                                (Role::TopObj, Key::Tables, b'[') => Some(Role::TablesArr),
                                (Role::TableObj, Key::Columns, b'[') => Some(Role::ColsArr),
                                (Role::TableObj, Key::Rows, b'[') => Some(Role::RowsArr),
                                _ => None,
                            };
                            if let Some(role) = child {
                                if role == Role::ColsArr {
                                    self.columns.clear();
                                }
                                if matches!(role, Role::RecArr(_) | Role::TablesArr) {
                                    self.tentative = None;
                                }
                                self.stack.push(Frame {
                                    role,
                                    obj: false,
                                    expect: Expect::Value,
                                    key: Key::None,
                                    index: 0,
                                });
                            } else {
                                self.start_value(b, sink);
                            }
                        }
                        _ => self.structural_error(b, sink),
                    }
                } else {
                    match (top.expect, b) {
                        (Expect::Value | Expect::Comma, b']') => self.close(abs, sink),
                        (Expect::Comma, b',') => top.expect = Expect::Value,
                        (Expect::Value, _) => {
                            top.expect = Expect::Comma;
                            let index = top.index;
                            top.index += 1;
                            match (top.role, b) {
                                (Role::RecArr(layout), b'{' | b'[') => {
                                    self.begin_capture(CapKind::Record(layout), abs, index)
                                }
                                (Role::RecArr(_), _) => {
                                    sink.problem(
                                        self.line,
                                        format!(
                                            "record {index} (line {}): not a JSON object",
                                            self.line
                                        ),
                                    );
                                    self.start_value(b, sink);
                                }
                                (Role::TablesArr, b'{') if self.stack.len() < MAX_FRAMES => {
                                    self.stack.push(Frame {
                                        role: Role::TableObj,
                                        obj: true,
                                        expect: Expect::Key,
                                        key: Key::None,
                                        index: 0,
                                    });
                                }
                                (Role::ColsArr, b'{') => {
                                    self.begin_capture(CapKind::Column, abs, index)
                                }
                                (Role::RowsArr, b'[') => {
                                    self.begin_capture(CapKind::Row, abs, index)
                                }
                                _ => self.start_value(b, sink),
                            }
                        }
                        _ => self.structural_error(b, sink),
                    }
                }
                true
            }
        }
    }

    /// Run through a nested value from `buf[from]`; returns (index after the bytes consumed,
    /// whether the value closed). The state is kept in `self.mode` when it did not.
    fn nest_run(&mut self, from: usize) -> (usize, bool) {
        let Mode::Nest {
            mut depth,
            mut in_str,
            mut esc,
        } = self.mode
        else {
            return (from, false);
        };
        let buf = &self.buf;
        let mut i = from;
        while i < buf.len() {
            if in_str {
                if esc {
                    esc = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                    None => {
                        i = buf.len();
                        break;
                    }
                    Some(p) => {
                        i += p;
                        if buf[i] == b'\\' {
                            esc = true;
                        } else {
                            in_str = false;
                        }
                        i += 1;
                    }
                }
            } else {
                match buf[i] {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return (i + 1, true);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        self.mode = Mode::Nest { depth, in_str, esc };
        (i, false)
    }

    /// A value nobody needs: skip it.
    fn start_value(&mut self, b: u8, sink: &mut Sink) {
        match b {
            b'"' => {
                self.mode = Mode::Str {
                    key: false,
                    esc: false,
                }
            }
            b'{' | b'[' => {
                self.mode = Mode::Nest {
                    depth: 1,
                    in_str: false,
                    esc: false,
                }
            }
            b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => self.mode = Mode::Lit,
            _ => self.structural_error(b, sink),
        }
    }

    fn begin_capture(&mut self, kind: CapKind, abs: u64, index: u64) {
        self.cap = Some(Capture {
            kind,
            start: abs,
            line: self.line,
            index,
            too_long: false,
        });
        self.mode = Mode::Nest {
            depth: 1,
            in_str: false,
            esc: false,
        };
    }

    /// The innermost frame closed at `abs`.
    fn close(&mut self, abs: u64, sink: &mut Sink) {
        let f = self.stack.pop();
        if let Some((depth, alive)) = &mut self.resumed {
            if self.stack.len() < *depth {
                *alive = false;
            }
        }
        if let Some(Frame {
            role: Role::TopObj, ..
        }) = f
        {
            let max = sink.max_record() as u64;
            if let Some((start, _)) = self.tentative {
                if abs - start + 1 > max {
                    self.tentative = None;
                    self.tentative_dropped = true;
                }
            }
            if let Some((start, line)) = self.tentative.take() {
                let bytes = self.slice(start, abs).to_vec();
                let pos = Pos {
                    line,
                    record: Some(self.singles),
                    offset: start,
                    len: bytes.len(),
                };
                self.singles += 1;
                self.check_resumed(true, sink);
                sink.parse_record(&bytes, pos, Layout::Single, false);
            } else if self.tentative_dropped {
                self.tentative_dropped = false;
                let m = super::cap_text(sink.max_record());
                sink.problem(
                    self.line,
                    format!(
                        "line {}: JSON object larger than {m} without a record array, skipped",
                        self.line
                    ),
                );
            }
        }
    }

    fn emit(&mut self, mut c: Capture, end: u64, sink: &mut Sink) {
        // Same verdict whatever the chunking: judge the element's full length.
        if end - c.start + 1 > sink.max_record() as u64 {
            c.too_long = true;
        }
        let pos_of = |c: &Capture| Pos {
            line: c.line,
            record: Some(c.index),
            offset: c.start,
            len: (end - c.start + 1) as usize,
        };
        if c.too_long {
            let m = super::cap_text(sink.max_record());
            let what = match c.kind {
                CapKind::Record(_) | CapKind::Row => "record",
                CapKind::Column => "column",
            };
            sink.problem(
                c.line,
                format!(
                    "{what} {} (line {}): longer than {m}, skipped",
                    c.index, c.line
                ),
            );
            return;
        }
        let pos = pos_of(&c);
        match c.kind {
            CapKind::Record(layout) => {
                self.check_resumed(false, sink);
                let bytes = self.slice(c.start, end);
                // `parse_record` needs `&mut sink` only; the slice borrows self.
                let bytes = bytes.to_vec();
                sink.parse_record(&bytes, pos, layout, false);
            }
            CapKind::Column => {
                let r = serde_json::from_slice::<Column>(self.slice(c.start, end));
                match r {
                    Ok(col) => self.columns.push(col.name),
                    Err(e) => {
                        let msg = json_error(&e, c.line);
                        sink.problem(
                            c.line,
                            format!("column {} (line {}): {msg}", c.index, c.line),
                        );
                        self.columns.push(String::new());
                    }
                }
            }
            CapKind::Row => {
                self.check_resumed(true, sink);
                let r = serde_json::from_slice::<Vec<serde_json::Value>>(self.slice(c.start, end));
                match r {
                    Ok(cells) => {
                        if self.columns.is_empty() {
                            sink.problem(
                                c.line,
                                format!(
                                    "record {} (line {}): table row before its columns",
                                    c.index, c.line
                                ),
                            );
                            return;
                        }
                        if cells.len() != self.columns.len() {
                            sink.problem(
                                c.line,
                                format!(
                                    "record {} (line {}): {} cells for {} columns",
                                    c.index,
                                    c.line,
                                    cells.len(),
                                    self.columns.len()
                                ),
                            );
                            return;
                        }
                        let map: serde_json::Map<String, serde_json::Value> = self
                            .columns
                            .iter()
                            .cloned()
                            .zip(cells)
                            .filter(|(k, _)| !k.is_empty())
                            .collect();
                        let obj = serde_json::Value::Object(map);
                        match <Rec as serde::Deserialize>::deserialize(&obj) {
                            Ok(rec) => sink.record(&rec, pos, Layout::Tables, false),
                            Err(e) => sink.problem(
                                c.line,
                                format!("record {} (line {}): {e}", c.index, c.line),
                            ),
                        }
                    }
                    Err(e) => {
                        let msg = json_error(&e, c.line);
                        sink.problem(
                            c.line,
                            format!("record {} (line {}): not JSON: {msg}", c.index, c.line),
                        );
                    }
                }
            }
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        if let Some(c) = self.cap.take() {
            sink.problem(
                c.line,
                format!(
                    "record {} (line {}): truncated at end of file",
                    c.index, c.line
                ),
            );
        } else if !self.stack.is_empty()
            || !matches!(self.mode, Mode::Struct | Mode::Garbage | Mode::Lit)
        {
            match self.tentative.take() {
                Some((_, line)) => sink.problem(
                    line,
                    format!("line {line}: JSON object truncated at end of file"),
                ),
                None => sink.problem(
                    self.line,
                    format!("line {}: JSON document truncated at end of file", self.line),
                ),
            }
        }
        self.stack.clear();
        self.buf = Vec::new();
    }
}

/// What the first bytes of a `{`-document say (for format sniffing).
#[derive(Debug, Default)]
pub(crate) struct Probe {
    /// A depth-1 key `records`/`value`/`tables` with an array value was seen.
    pub envelope: bool,
    /// End (exclusive) of the first top-level value, if it closed within the bytes.
    pub end: Option<usize>,
}

/// Scan the first top-level value of `b` (which starts with `{`), non-recursively.
pub(crate) fn probe(b: &[u8]) -> Probe {
    let mut depth = 0u64;
    let (mut in_str, mut esc) = (false, false);
    let mut key: Vec<u8> = Vec::new();
    let mut last_key: Option<Vec<u8>> = None;
    let mut after_colon = false;
    let mut p = Probe::default();
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
                if depth == 1 && !after_colon {
                    last_key = Some(std::mem::take(&mut key));
                }
            } else if depth == 1 && !after_colon && key.len() < 16 {
                key.push(c);
            }
            continue;
        }
        match c {
            b'"' => {
                in_str = true;
                key.clear();
            }
            b':' if depth == 1 => after_colon = true,
            b',' if depth == 1 => after_colon = false,
            b'[' if depth == 1 && after_colon => {
                if matches!(last_key.as_deref(), Some(b"records" | b"value" | b"tables")) {
                    p.envelope = true;
                    return p;
                }
                depth += 1;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    p.end = Some(i + 1);
                    return p;
                }
            }
            _ => {}
        }
    }
    p
}
