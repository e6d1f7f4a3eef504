//! zip, streamed through its local file headers (stored and deflate; deflate is
//! self-terminating, so entries with data descriptors work too). Every member is its own
//! sub-file named `archive.zip:member/path` with its own report; directories are skipped; a
//! member may itself be gzip. A corrupt member is reported and the reader resynchronises on the
//! next local header. Memory: one chunk plus one header.

use super::container::Container;
use super::gzip::{Inflated, Inflater};
use super::{FileReport, FileSlot, Sink};
use crate::event::Str;

const LOCAL: &[u8; 4] = b"PK\x03\x04";

#[derive(Clone, Copy, Debug)]
enum State {
    Header,
    Stored { left: u64 },
    Deflate { left: Option<u64>, dd: bool },
    Descriptor,
    Skip(u64),
    Resync,
    Done,
}

struct Member {
    report: FileReport,
    container: Container,
    slot: FileSlot,
}

pub(crate) struct Zip {
    name: Str,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]` in the archive.
    base: u64,
    state: State,
    member: Option<Member>,
    inf: Inflater,
    members: u64,
    eof: bool,
}

fn u16le(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32le(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64le(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

impl Zip {
    pub fn new(name: Str, max_out: u64, max_ratio: u64) -> Zip {
        Zip {
            name,
            buf: Vec::new(),
            base: 0,
            state: State::Header,
            member: None,
            inf: Inflater::new(max_out, max_ratio),
            members: 0,
            eof: false,
        }
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        self.buf.extend_from_slice(data);
        let used = self.process(sink);
        self.buf.drain(..used);
        self.base += used as u64;
    }

    fn feed_member(&mut self, from: usize, to: usize, sink: &mut Sink) {
        if let Some(m) = &mut self.member {
            m.report.bytes += (to - from) as u64;
            let mut ms = Sink {
                batch: sink.batch,
                report: &mut m.report,
                shared: sink.shared,
                slot: &mut m.slot,
                dirty: sink.dirty,
            };
            m.container.feed(&self.buf[from..to], &mut ms);
        }
    }

    fn end_member(&mut self, sink: &mut Sink) {
        if let Some(mut m) = self.member.take() {
            {
                let mut ms = Sink {
                    batch: sink.batch,
                    report: &mut m.report,
                    shared: sink.shared,
                    slot: &mut m.slot,
                    dirty: sink.dirty,
                };
                m.container.finish(&mut ms);
            }
            let r = m.report;
            // Member problems also appear in the archive's own list (within its cap), each
            // naming its member, so a consumer that only reads top-level reports sees them.
            for p in &r.problems {
                if sink.report.problems.len() < sink.shared.max_problems {
                    sink.report.problems.push(p.clone());
                }
            }
            sink.report.records += r.records;
            sink.report.skipped += r.skipped;
            for s in &r.shapes {
                sink.report.add_shape(*s);
            }
            if let Some(f) = r.first {
                sink.report.first = Some(sink.report.first.map_or(f, |x| x.min(f)));
            }
            if let Some(l) = r.last {
                sink.report.last = Some(sink.report.last.map_or(l, |x| x.max(l)));
            }
            sink.report.members.push(r);
        }
    }

    fn member_problem(&mut self, sink: &mut Sink, reason: String) {
        if let Some(m) = &mut self.member {
            let mut ms = Sink {
                batch: sink.batch,
                report: &mut m.report,
                shared: sink.shared,
                slot: &mut m.slot,
                dirty: sink.dirty,
            };
            ms.problem(0, reason);
        } else {
            sink.problem(0, reason);
        }
    }

    /// Process `buf`, returning how many bytes are consumed.
    fn process(&mut self, sink: &mut Sink) -> usize {
        let mut i = 0usize;
        loop {
            let avail = self.buf.len() - i;
            match self.state {
                State::Done => return self.buf.len(),
                State::Header => {
                    if avail < 4 {
                        return i;
                    }
                    let sig = &self.buf[i..i + 4];
                    if sig == LOCAL {
                        if avail < 30 {
                            return i;
                        }
                        let b = &self.buf[i..];
                        let flags = u16le(b, 6);
                        let method = u16le(b, 8);
                        let mut csize = u32le(b, 18) as u64;
                        let mut usize_ = u32le(b, 22) as u64;
                        let nlen = u16le(b, 26) as usize;
                        let xlen = u16le(b, 28) as usize;
                        if avail < 30 + nlen + xlen {
                            return i;
                        }
                        let name = String::from_utf8_lossy(&b[30..30 + nlen]).into_owned();
                        // zip64 extra field: sizes that are 0xFFFFFFFF follow in order.
                        let mut x = &b[30 + nlen..30 + nlen + xlen];
                        while x.len() >= 4 {
                            let id = u16le(x, 0);
                            let len = (u16le(x, 2) as usize).min(x.len() - 4);
                            if id == 1 {
                                let d = &x[4..4 + len];
                                let mut k = 0;
                                if usize_ == 0xFFFF_FFFF && d.len() >= k + 8 {
                                    usize_ = u64le(d, k);
                                    k += 8;
                                }
                                if csize == 0xFFFF_FFFF && d.len() >= k + 8 {
                                    csize = u64le(d, k);
                                }
                            }
                            x = &x[4 + len..];
                        }
                        let _ = usize_;
                        i += 30 + nlen + xlen;
                        let dd = flags & 8 != 0;
                        let known = if dd && csize == 0 { None } else { Some(csize) };
                        if name.ends_with('/') || name.ends_with('\\') {
                            self.state = match known {
                                Some(n) => State::Skip(n),
                                None => State::Header,
                            };
                            continue;
                        }
                        self.members += 1;
                        let full = format!("{}:{}", self.name, name);
                        let file: Str = Str::from(full.as_str());
                        self.member = Some(Member {
                            report: FileReport {
                                file: file.clone(),
                                ..FileReport::default()
                            },
                            slot: FileSlot::new(file.clone(), None),
                            container: Container::new(file, false),
                        });
                        let skip_to = |known: Option<u64>| match known {
                            Some(n) => State::Skip(n),
                            None => State::Resync,
                        };
                        if flags & 1 != 0 {
                            self.member_problem(sink, "encrypted zip member, skipped".into());
                            self.end_member(sink);
                            self.state = skip_to(known);
                        } else if method == 0 {
                            match known {
                                Some(n) => self.state = State::Stored { left: n },
                                None => {
                                    self.member_problem(
                                        sink,
                                        "stored zip member with a data descriptor cannot be streamed, skipped".into(),
                                    );
                                    self.end_member(sink);
                                    self.state = State::Resync;
                                }
                            }
                        } else if method == 8 {
                            self.inf.reset();
                            self.state = State::Deflate { left: known, dd };
                        } else {
                            self.member_problem(
                                sink,
                                format!("zip compression method {method} not supported, skipped"),
                            );
                            self.end_member(sink);
                            self.state = skip_to(known);
                        }
                    } else if sig == b"PK\x01\x02"
                        || sig == b"PK\x05\x06"
                        || sig == b"PK\x06\x06"
                        || sig == b"PK\x06\x07"
                    {
                        self.state = State::Done;
                    } else if sig == b"PK\x07\x08" {
                        self.state = State::Descriptor;
                    } else {
                        sink.problem(
                            0,
                            format!(
                                "corrupt zip: unexpected bytes at offset {}; searching for the next member",
                                self.base + i as u64
                            ),
                        );
                        self.state = State::Resync;
                    }
                }
                State::Stored { left } => {
                    let n = (left.min(avail as u64)) as usize;
                    self.feed_member(i, i + n, sink);
                    i += n;
                    if left == n as u64 {
                        self.end_member(sink);
                        self.state = State::Header;
                    } else {
                        self.state = State::Stored {
                            left: left - n as u64,
                        };
                        return i;
                    }
                }
                State::Deflate { left, dd } => {
                    let lim = match left {
                        Some(l) => (l.min(avail as u64)) as usize,
                        None => avail,
                    };
                    if let Some(m) = &mut self.member {
                        m.report.bytes += lim as u64;
                    }
                    let (n, st) = {
                        let Zip {
                            inf, member, buf, ..
                        } = self;
                        let input = &buf[i..i + lim];
                        match member {
                            Some(m) => {
                                let mut ms = Sink {
                                    batch: sink.batch,
                                    report: &mut m.report,
                                    shared: sink.shared,
                                    slot: &mut m.slot,
                                    dirty: sink.dirty,
                                };
                                let c = &mut m.container;
                                inf.run(input, |d| c.feed(d, &mut ms))
                            }
                            None => inf.run(input, |_| {}),
                        }
                    };
                    if let Some(m) = &mut self.member {
                        m.report.bytes -= (lim - n) as u64;
                    }
                    i += n;
                    let left = left.map(|l| l - n as u64);
                    match st {
                        Inflated::End => {
                            if !dd && left.is_some_and(|l| l > 0) {
                                self.member_problem(
                                    sink,
                                    "corrupt zip member: the deflate stream ends before its compressed size".into(),
                                );
                            }
                            self.end_member(sink);
                            self.state = if dd {
                                State::Descriptor
                            } else {
                                match left {
                                    Some(l) if l > 0 => State::Skip(l),
                                    _ => State::Header,
                                }
                            };
                        }
                        Inflated::NeedMore => {
                            if left == Some(0) {
                                self.member_problem(
                                    sink,
                                    "corrupt zip member: compressed data ends before the deflate stream does".into(),
                                );
                                self.end_member(sink);
                                self.state = State::Header;
                            } else {
                                self.state = State::Deflate { left, dd };
                                return i;
                            }
                        }
                        Inflated::Limit(msg) => {
                            sink.problem(0, msg);
                            self.end_member(sink);
                            self.state = State::Done;
                        }
                        Inflated::Error(e) => {
                            self.member_problem(
                                sink,
                                format!("corrupt zip member: {e}; kept what decoded before it"),
                            );
                            self.end_member(sink);
                            self.state = match left {
                                Some(l) => State::Skip(l),
                                None => State::Resync,
                            };
                        }
                    }
                }
                State::Descriptor => {
                    // optional signature, crc32, compressed size, uncompressed size (32-bit)
                    let need = if self.buf[i..].starts_with(b"PK\x07\x08") {
                        16
                    } else {
                        12
                    };
                    if avail < need {
                        if self.eof {
                            return self.buf.len();
                        }
                        return i;
                    }
                    i += need;
                    self.state = State::Header;
                }
                State::Skip(n) => {
                    let k = (n.min(avail as u64)) as usize;
                    i += k;
                    if n == k as u64 {
                        self.state = State::Header;
                    } else {
                        self.state = State::Skip(n - k as u64);
                        return i;
                    }
                }
                State::Resync => {
                    let hay = &self.buf[i..];
                    let a = memchr::memmem::find(hay, LOCAL);
                    let c = memchr::memmem::find(hay, b"PK\x01\x02");
                    match (a, c) {
                        (Some(a), Some(c)) if c < a => {
                            i += c;
                            self.state = State::Done;
                        }
                        (Some(a), _) => {
                            i += a;
                            self.state = State::Header;
                        }
                        (None, Some(c)) => {
                            i += c;
                            self.state = State::Done;
                        }
                        (None, None) => {
                            return i + hay.len().saturating_sub(3);
                        }
                    }
                }
            }
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        self.eof = true;
        let used = self.process(sink);
        self.buf.drain(..used);
        if self.member.is_some() {
            self.member_problem(
                sink,
                "truncated zip: the archive ends inside this member; kept what decoded".into(),
            );
            self.end_member(sink);
        } else if matches!(self.state, State::Header) && !self.buf.is_empty() {
            sink.problem(
                0,
                "truncated zip: the archive ends inside a member header".into(),
            );
        }
        if self.members == 0 {
            sink.problem(0, "zip archive without readable members".into());
        }
        self.buf = Vec::new();
    }
}
