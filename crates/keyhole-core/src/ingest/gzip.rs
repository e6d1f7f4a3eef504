//! gzip (RFC 1952), streamed with miniz_oxide's inflate; multi-member files are read member
//! after member. A truncated file keeps what decoded and reports a problem.

use super::text::Text;
use super::Sink;
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

const MAX_HEADER: usize = 64 << 10;

/// A streaming raw-deflate decoder shared by gzip and zip.
pub(crate) struct Inflater {
    st: Box<InflateState>,
    out: Vec<u8>,
    /// Bytes decompressed, over every member/stream since creation.
    pub total_out: u64,
    /// Compressed bytes consumed, likewise.
    pub total_in: u64,
    max_out: u64,
    max_ratio: u64,
}

pub(crate) enum Inflated {
    NeedMore,
    End,
    Error(String),
    /// The archive expanded past a limit (the message says which).
    Limit(String),
}

impl Inflater {
    /// `max_out`: stop after this many decompressed bytes; `max_ratio`: … or once past
    /// [`super::RATIO_CHECK_AFTER`] bytes, after more than this many times the compressed bytes.
    pub fn new(max_out: u64, max_ratio: u64) -> Inflater {
        Inflater {
            st: InflateState::new_boxed(DataFormat::Raw),
            out: vec![0; 64 << 10],
            total_out: 0,
            total_in: 0,
            max_out,
            max_ratio,
        }
    }

    fn over_limit(&self) -> Option<String> {
        use super::size_text;
        if self.total_out > self.max_out {
            return Some(format!(
                "this archive expands to more than {} (the limit: keyhole --max-expanded-gb, IngestOptions::max_expanded_bytes); the rest is not read",
                size_text(self.max_out)
            ));
        }
        if self.total_out > super::RATIO_CHECK_AFTER
            && self.total_out / self.total_in.max(1) > self.max_ratio
        {
            return Some(format!(
                "this archive expands to more than {} times its compressed size ({} from {}; the limit: keyhole --max-ratio, IngestOptions::max_expansion_ratio); the rest is not read",
                self.max_ratio,
                size_text(self.total_out),
                size_text(self.total_in)
            ));
        }
        None
    }

    pub fn reset(&mut self) {
        self.st.reset(DataFormat::Raw);
    }

    /// Inflate from `input`, handing decoded bytes to `emit`. Returns bytes consumed and status.
    pub fn run(&mut self, input: &[u8], mut emit: impl FnMut(&[u8])) -> (usize, Inflated) {
        let mut i = 0;
        loop {
            let r = inflate(&mut self.st, &input[i..], &mut self.out, MZFlush::None);
            i += r.bytes_consumed;
            self.total_in += r.bytes_consumed as u64;
            if r.bytes_written > 0 {
                self.total_out += r.bytes_written as u64;
                if let Some(msg) = self.over_limit() {
                    return (i, Inflated::Limit(msg));
                }
                emit(&self.out[..r.bytes_written]);
            }
            match r.status {
                Ok(MZStatus::StreamEnd) => return (i, Inflated::End),
                Ok(MZStatus::Ok) => {
                    if r.bytes_consumed == 0 && r.bytes_written == 0 {
                        return (i, Inflated::NeedMore);
                    }
                }
                Ok(MZStatus::NeedDict) => {
                    return (i, Inflated::Error("preset dictionary required".into()))
                }
                Err(MZError::Buf) => return (i, Inflated::NeedMore),
                Err(e) => return (i, Inflated::Error(format!("corrupt deflate data ({e:?})"))),
            }
        }
    }
}

enum State {
    Header,
    Body,
    Trailer(usize),
    Between,
    Broken,
}

pub(crate) struct Gzip {
    state: State,
    hdr: Vec<u8>,
    /// Compressed bytes the inflater did not take yet (kept for the next chunk).
    pending: Vec<u8>,
    inf: Inflater,
    inner: Text,
    members: u64,
}

/// Length of a complete gzip member header at the start of `b`, `Ok(None)` if more bytes are needed.
fn header_len(b: &[u8]) -> Result<Option<usize>, String> {
    if b.len() < 10 {
        if b.first().is_some_and(|&x| x != 0x1f) || b.get(1).is_some_and(|&x| x != 0x8b) {
            return Err("not a gzip member header".into());
        }
        return Ok(None);
    }
    if b[0] != 0x1f || b[1] != 0x8b {
        return Err("not a gzip member header".into());
    }
    if b[2] != 8 {
        return Err(format!("gzip compression method {} not supported", b[2]));
    }
    let flags = b[3];
    let mut i = 10;
    if flags & 4 != 0 {
        if b.len() < i + 2 {
            return Ok(None);
        }
        let x = u16::from_le_bytes([b[i], b[i + 1]]) as usize;
        i += 2 + x;
        if b.len() < i {
            return Ok(None);
        }
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            match memchr::memchr(0, &b[i..]) {
                Some(z) => i += z + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & 2 != 0 {
        i += 2;
    }
    if b.len() < i {
        return Ok(None);
    }
    Ok(Some(i))
}

impl Gzip {
    pub fn new(max_out: u64, max_ratio: u64) -> Gzip {
        Gzip {
            state: State::Header,
            hdr: Vec::new(),
            pending: Vec::new(),
            inf: Inflater::new(max_out, max_ratio),
            inner: Text::new(),
            members: 0,
        }
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        if self.pending.is_empty() {
            self.feed_inner(data, sink);
        } else {
            let mut p = std::mem::take(&mut self.pending);
            p.extend_from_slice(data);
            self.feed_inner(&p, sink);
        }
    }

    fn feed_inner(&mut self, data: &[u8], sink: &mut Sink) {
        let mut cur = data;
        loop {
            match self.state {
                State::Header => {
                    let old = self.hdr.len();
                    let r = if old == 0 {
                        header_len(cur)
                    } else {
                        self.hdr.extend_from_slice(cur);
                        header_len(&self.hdr)
                    };
                    match r {
                        Ok(Some(n)) => {
                            cur = &cur[n - old..];
                            self.hdr.clear();
                            self.inf.reset();
                            self.members += 1;
                            self.state = State::Body;
                        }
                        Ok(None) => {
                            if old == 0 {
                                self.hdr.extend_from_slice(cur);
                            }
                            if self.hdr.len() > MAX_HEADER {
                                sink.problem(0, "corrupt gzip: header larger than 64 KiB".into());
                                self.hdr = Vec::new();
                                self.state = State::Broken;
                            }
                            return;
                        }
                        Err(e) => {
                            sink.problem(0, format!("corrupt gzip: {e}"));
                            self.hdr = Vec::new();
                            self.state = State::Broken;
                            return;
                        }
                    }
                }
                State::Body => {
                    let Gzip { inf, inner, .. } = self;
                    let (n, st) = inf.run(cur, |d| inner.feed(d, sink));
                    cur = &cur[n..];
                    match st {
                        Inflated::NeedMore => {
                            self.pending.extend_from_slice(cur);
                            return;
                        }
                        Inflated::End => self.state = State::Trailer(8),
                        Inflated::Error(e) => {
                            sink.problem(
                                0,
                                format!(
                                    "corrupt gzip member {}: {e}; kept what decoded before it",
                                    self.members
                                ),
                            );
                            self.state = State::Broken;
                            return;
                        }
                        Inflated::Limit(msg) => {
                            sink.problem(0, msg);
                            self.state = State::Broken;
                            return;
                        }
                    }
                }
                State::Trailer(left) => {
                    let n = left.min(cur.len());
                    cur = &cur[n..];
                    if left - n == 0 {
                        self.state = State::Between;
                    } else {
                        self.state = State::Trailer(left - n);
                        return;
                    }
                }
                State::Between => {
                    // zero padding between / after members is skipped
                    let z = cur.iter().take_while(|&&b| b == 0).count();
                    cur = &cur[z..];
                    if cur.is_empty() {
                        return;
                    }
                    if cur[0] == 0x1f {
                        self.state = State::Header;
                    } else {
                        sink.problem(0, "data after the end of the gzip stream ignored".into());
                        self.state = State::Broken;
                        return;
                    }
                }
                State::Broken => return,
            }
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        match self.state {
            State::Header if self.members == 0 || !self.hdr.is_empty() => {
                sink.problem(0, "truncated gzip: the file ends inside a member header".into())
            }
            State::Body => sink.problem(
                0,
                format!(
                    "truncated gzip: the file ends inside compressed data; kept what decoded ({} bytes)",
                    self.inf.total_out
                ),
            ),
            State::Trailer(_) => sink.problem(0, "truncated gzip: the file ends inside a member trailer".into()),
            _ => {}
        }
        self.inner.finish(sink);
    }
}
