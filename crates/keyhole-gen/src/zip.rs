//! Containers and encodings, written by hand (stream-friendly, pure): the storage-container
//! folder tree (`resourceId=/SUBSCRIPTIONS/…/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`) as a zip
//! (deflate via `miniz_oxide`, CRC-32 via `crc32fast`, zip64 when needed), gzip of any byte
//! stream, and UTF-16 LE with a BOM.

use crate::record::{push_raw_json, Record, TICKS_PER_HOUR};
use keyhole_core::time::civil_from_days;
use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};

/// A byte-stream transformer (encoding or compression).
pub trait Container {
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>);
    fn finish(&mut self, out: &mut Vec<u8>);
}

/// Streaming raw-deflate compressor.
pub struct Deflater {
    comp: Box<CompressorOxide>,
    buf: Vec<u8>,
}

impl Deflater {
    pub fn new(level: u8) -> Deflater {
        let flags = create_comp_flags_from_zip_params(level as i32, -15, 0);
        Deflater {
            comp: Box::new(CompressorOxide::new(flags)),
            buf: vec![0u8; 1 << 16],
        }
    }

    fn run(&mut self, mut input: &[u8], out: &mut Vec<u8>, flush: TDEFLFlush) {
        loop {
            let (status, used, produced) = compress(&mut self.comp, input, &mut self.buf, flush);
            out.extend_from_slice(&self.buf[..produced]);
            input = &input[used..];
            match status {
                TDEFLStatus::Done => return,
                TDEFLStatus::Okay => {
                    if input.is_empty() && produced < self.buf.len() {
                        return;
                    }
                }
                // BadParam / PutBufFailed cannot happen with a valid compressor and buffer;
                // stop rather than loop.
                _ => return,
            }
        }
    }

    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.run(input, out, TDEFLFlush::None);
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.run(&[], out, TDEFLFlush::Finish);
    }

    /// Ready for a new stream (keeps the allocated tables).
    pub fn reset(&mut self) {
        self.comp.reset();
    }

    /// Deflate a whole buffer as one stream, reusing this compressor.
    pub fn compress_all(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.reset();
        self.feed(data, out);
        self.finish(out);
        self.reset();
    }
}

/// gzip (RFC 1952) of a byte stream, one member.
pub struct Gzip {
    d: Deflater,
    crc: crc32fast::Hasher,
    len: u64,
    header: bool,
}

impl Gzip {
    pub fn new() -> Gzip {
        Gzip {
            d: Deflater::new(6),
            crc: crc32fast::Hasher::new(),
            len: 0,
            header: false,
        }
    }
    fn head(&mut self, out: &mut Vec<u8>) {
        if !self.header {
            // ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=255 (unknown): reproducible bytes.
            out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
            self.header = true;
        }
    }
}

impl Default for Gzip {
    fn default() -> Self {
        Gzip::new()
    }
}

impl Container for Gzip {
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.head(out);
        self.crc.update(input);
        self.len += input.len() as u64;
        self.d.feed(input, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        self.head(out);
        self.d.finish(out);
        let crc = std::mem::take(&mut self.crc).finalize();
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(self.len as u32).to_le_bytes());
    }
}

/// gzip a whole buffer.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = Gzip::new();
    let mut out = Vec::with_capacity(data.len() / 4 + 64);
    g.feed(data, &mut out);
    g.finish(&mut out);
    out
}

/// UTF-8 → UTF-16 LE with a byte-order mark; multi-byte characters split across chunks are kept
/// until complete; invalid bytes become U+FFFD.
pub struct Utf16Le {
    pending: Vec<u8>,
    bom: bool,
}

impl Utf16Le {
    pub fn new() -> Utf16Le {
        Utf16Le {
            pending: Vec::new(),
            bom: false,
        }
    }
    fn encode(s: &str, out: &mut Vec<u8>) {
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
    }
}

impl Default for Utf16Le {
    fn default() -> Self {
        Utf16Le::new()
    }
}

impl Container for Utf16Le {
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if !self.bom {
            out.extend_from_slice(&[0xFF, 0xFE]);
            self.bom = true;
        }
        self.pending.extend_from_slice(input);
        let mut start = 0;
        loop {
            match std::str::from_utf8(&self.pending[start..]) {
                Ok(s) => {
                    Utf16Le::encode(s, out);
                    self.pending.clear();
                    return;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    let s = std::str::from_utf8(&self.pending[start..start + good]).unwrap_or("");
                    Utf16Le::encode(s, out);
                    match e.error_len() {
                        Some(bad) => {
                            Utf16Le::encode("\u{FFFD}", out);
                            start += good + bad;
                        }
                        None => {
                            // Incomplete character at the end: keep it for the next chunk.
                            self.pending.drain(..start + good);
                            return;
                        }
                    }
                }
            }
        }
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.bom {
            out.extend_from_slice(&[0xFF, 0xFE]);
            self.bom = true;
        }
        if !self.pending.is_empty() {
            Utf16Le::encode("\u{FFFD}", out);
            self.pending.clear();
        }
    }
}

/// UTF-16 LE (with BOM) of a whole buffer.
pub fn utf16le(data: &[u8]) -> Vec<u8> {
    let mut u = Utf16Le::new();
    let mut out = Vec::with_capacity(data.len() * 2 + 2);
    u.feed(data, &mut out);
    u.finish(&mut out);
    out
}

/// Groups records (in time order) into the storage container's hourly blobs, one per vault and
/// hour, each a JSON-lines `PT1H.json`. Finished blobs come out when the hour moves on.
pub struct BlobTree {
    hour: Option<i64>,
    /// (path, JSON lines) of the open hour, in first-seen order.
    open: Vec<(String, Vec<u8>)>,
    /// Storage quirks: now and then a record of an hour's last minutes is written again at the
    /// start of the same vault's next-hour blob (an event outside its blob's hour, and the same
    /// record in two files).
    pub quirks: bool,
    /// (resource id, JSON line) carried into the next hour.
    carry: Vec<(String, Vec<u8>)>,
    /// Records written twice so far.
    pub duplicated: u64,
}

/// The container-relative blob path of a resource id and hour number (since the epoch).
pub fn blob_path_at(resource_id: &str, hour: i64) -> String {
    let (y, m, d) = civil_from_days(hour.div_euclid(24));
    let h = hour.rem_euclid(24);
    format!("resourceId={resource_id}/y={y:04}/m={m:02}/d={d:02}/h={h:02}/m=00/PT1H.json")
}

/// The container-relative blob path of a record.
pub fn blob_path(rec: &Record) -> String {
    blob_path_at(
        rec.vault.resource_id(),
        rec.ticks.div_euclid(TICKS_PER_HOUR),
    )
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl BlobTree {
    pub fn new() -> BlobTree {
        BlobTree {
            hour: None,
            open: Vec::new(),
            quirks: false,
            carry: Vec::new(),
            duplicated: 0,
        }
    }

    /// A tree with the storage quirks on (see [`BlobTree::quirks`]).
    pub fn with_quirks() -> BlobTree {
        BlobTree {
            quirks: true,
            ..BlobTree::new()
        }
    }

    fn slot(&mut self, path: String) -> &mut Vec<u8> {
        let idx = match self.open.iter().position(|(p, _)| *p == path) {
            Some(i) => i,
            None => {
                self.open.push((path, Vec::new()));
                self.open.len() - 1
            }
        };
        &mut self.open[idx].1
    }

    /// Add a record; returns the blobs finished by this record's hour change.
    pub fn push(&mut self, rec: &Record) -> Vec<(String, Vec<u8>)> {
        let hour = rec.ticks.div_euclid(TICKS_PER_HOUR);
        let mut done = Vec::new();
        if self.hour.is_some_and(|h| h != hour) {
            done = std::mem::take(&mut self.open);
            for (rid, line) in std::mem::take(&mut self.carry) {
                self.slot(blob_path_at(&rid, hour)).extend_from_slice(&line);
                self.duplicated += 1;
            }
        }
        self.hour = Some(hour);
        let late = rec.ticks.rem_euclid(TICKS_PER_HOUR) >= TICKS_PER_HOUR - 5 * 60 * 10_000_000;
        let carry = self.quirks && late && matches!(fnv(&rec.correlation_id) % 50, 0);
        let buf = self.slot(blob_path(rec));
        let start = buf.len();
        push_raw_json(buf, rec);
        buf.push(b'\n');
        if carry {
            let line = buf[start..].to_vec();
            self.carry.push((rec.vault.resource_id().to_string(), line));
        }
        done
    }

    /// The blobs still open (records carried past the last hour are dropped: there is no next
    /// blob to hold them).
    pub fn finish(&mut self) -> Vec<(String, Vec<u8>)> {
        self.hour = None;
        self.carry.clear();
        std::mem::take(&mut self.open)
    }
}

impl Default for BlobTree {
    fn default() -> Self {
        BlobTree::new()
    }
}

struct Entry {
    name: String,
    crc: u32,
    csize: u64,
    usize_: u64,
    offset: u64,
    method: u16,
}

/// A streaming zip writer (entries written one after the other, central directory at the end).
pub struct ZipWriter {
    entries: Vec<Entry>,
    deflater: Deflater,
    offset: u64,
    /// DOS date/time of every entry (fixed: reproducible bytes).
    dos_time: u16,
    dos_date: u16,
}

impl ZipWriter {
    pub fn new() -> ZipWriter {
        // 2026-10-01 00:00:00.
        ZipWriter {
            entries: Vec::new(),
            deflater: Deflater::new(1),
            offset: 0,
            dos_time: 0,
            dos_date: ((2026 - 1980) << 9) | (10 << 5) | 1,
        }
    }

    /// Append one file (deflated when that is smaller, stored otherwise).
    pub fn add(&mut self, name: &str, data: &[u8], out: &mut Vec<u8>) {
        let crc = crc32fast::hash(data);
        // Tiny files are stored: deflate cannot win there.
        let mut deflated = Vec::new();
        if data.len() >= 128 {
            self.deflater.compress_all(data, &mut deflated);
        }
        let (method, body): (u16, &[u8]) = if !deflated.is_empty() && deflated.len() < data.len() {
            (8, &deflated)
        } else {
            (0, data)
        };
        let start = out.len();
        let zip64 = data.len() as u64 >= 0xFFFF_FFFF || body.len() as u64 >= 0xFFFF_FFFF;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&(if zip64 { 45u16 } else { 20u16 }).to_le_bytes());
        out.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&self.dos_time.to_le_bytes());
        out.extend_from_slice(&self.dos_date.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        if zip64 {
            out.extend_from_slice(&u32::MAX.to_le_bytes());
            out.extend_from_slice(&u32::MAX.to_le_bytes());
        } else {
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        if zip64 {
            out.extend_from_slice(&1u16.to_le_bytes());
            out.extend_from_slice(&16u16.to_le_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
            out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        }
        out.extend_from_slice(body);
        self.entries.push(Entry {
            name: name.to_string(),
            crc,
            csize: body.len() as u64,
            usize_: data.len() as u64,
            offset: self.offset,
            method,
        });
        self.offset += (out.len() - start) as u64;
    }

    /// Write the central directory (zip64 records when there are more than 65535 entries or the
    /// archive passes 4 GiB).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let cd_start = self.offset;
        let start = out.len();
        for e in &self.entries {
            let big = e.csize >= 0xFFFF_FFFF || e.usize_ >= 0xFFFF_FFFF || e.offset >= 0xFFFF_FFFF;
            let mut extra: Vec<u8> = Vec::new();
            if big {
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&24u16.to_le_bytes());
                extra.extend_from_slice(&e.usize_.to_le_bytes());
                extra.extend_from_slice(&e.csize.to_le_bytes());
                extra.extend_from_slice(&e.offset.to_le_bytes());
            }
            out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            out.extend_from_slice(&(0x0300u16 | 45).to_le_bytes()); // made by: Unix, 4.5
            out.extend_from_slice(&(if big { 45u16 } else { 20 }).to_le_bytes());
            out.extend_from_slice(&0x0800u16.to_le_bytes());
            out.extend_from_slice(&e.method.to_le_bytes());
            out.extend_from_slice(&self.dos_time.to_le_bytes());
            out.extend_from_slice(&self.dos_date.to_le_bytes());
            out.extend_from_slice(&e.crc.to_le_bytes());
            let c32 = |v: u64| if big { u32::MAX } else { v as u32 };
            out.extend_from_slice(&c32(e.csize).to_le_bytes());
            out.extend_from_slice(&c32(e.usize_).to_le_bytes());
            out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // comment
            out.extend_from_slice(&0u16.to_le_bytes()); // disk
            out.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
            out.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
            out.extend_from_slice(&c32(e.offset).to_le_bytes());
            out.extend_from_slice(e.name.as_bytes());
            out.extend_from_slice(&extra);
        }
        let cd_size = (out.len() - start) as u64;
        let n = self.entries.len() as u64;
        let need64 = n >= 0xFFFF || cd_start >= 0xFFFF_FFFF || cd_size >= 0xFFFF_FFFF;
        if need64 {
            let eocd64 = cd_start + cd_size;
            out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            out.extend_from_slice(&44u64.to_le_bytes());
            out.extend_from_slice(&(0x0300u16 | 45).to_le_bytes());
            out.extend_from_slice(&45u16.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&cd_size.to_le_bytes());
            out.extend_from_slice(&cd_start.to_le_bytes());
            out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&eocd64.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        let n16 = if need64 { 0xFFFF } else { n as u16 };
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&n16.to_le_bytes());
        out.extend_from_slice(&n16.to_le_bytes());
        out.extend_from_slice(&(if need64 { u32::MAX } else { cd_size as u32 }).to_le_bytes());
        out.extend_from_slice(&(if need64 { u32::MAX } else { cd_start as u32 }).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        self.offset += (out.len() - start) as u64;
        self.entries.clear();
    }
}

impl Default for ZipWriter {
    fn default() -> Self {
        ZipWriter::new()
    }
}

/// The downloaded storage container as a zip: `insights-logs-auditevent/resourceId=/…/PT1H.json`
/// entries, one JSON-lines blob per vault and hour. Streaming: an hour's blobs are written when
/// the next hour starts.
pub struct ZipTree {
    tree: BlobTree,
    zip: ZipWriter,
    /// Folder prefix inside the zip (the container name).
    pub prefix: String,
}

impl ZipTree {
    /// A zip tree whose blobs show the storage quirks (see [`BlobTree::quirks`]).
    pub fn with_quirks() -> ZipTree {
        ZipTree {
            tree: BlobTree::with_quirks(),
            ..ZipTree::new()
        }
    }

    /// Records written into two blobs so far.
    pub fn duplicated(&self) -> u64 {
        self.tree.duplicated
    }

    pub fn new() -> ZipTree {
        ZipTree {
            tree: BlobTree::new(),
            zip: ZipWriter::new(),
            prefix: "insights-logs-auditevent/".to_string(),
        }
    }

    pub fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        for (path, data) in self.tree.push(rec) {
            self.zip.add(&format!("{}{path}", self.prefix), &data, out);
        }
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        for (path, data) in self.tree.finish() {
            self.zip.add(&format!("{}{path}", self.prefix), &data, out);
        }
        self.zip.finish(out);
    }
}

impl Default for ZipTree {
    fn default() -> Self {
        ZipTree::new()
    }
}
