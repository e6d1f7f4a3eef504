//! zlib and gzip over base64 text: `zlib_compress_to_base64_string`,
//! `zlib_decompress_from_base64_string`, `gzip_compress_to_base64_string`,
//! `gzip_decompress_from_base64_string` (zlib-base64-*-function.md, gzip-base64-*.md).
//!
//! Compression writes deflate stored blocks (RFC 1951 §3.2.4): a valid stream any reader
//! inflates, and Kusto's own output for text deflate would not shrink (the documented
//! examples); for text it would shrink, Kusto's is smaller. Decompression is a full inflate
//! (stored, fixed and dynamic Huffman blocks) that never reads past its input and stops at the
//! 16 MiB value limit; bad input, a wrong header or checksum, or output that is not UTF-8 give
//! an empty string, as documented.

use super::encoding::{b64_decode, b64_encode};
use super::{def, Env, FnDef, Imp::Eval, Ret::T, MAX_VALUE_BYTES};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("zlib_compress_to_base64_string", ("text", 1, 1) -> T(Type::String), "Text's UTF-8 bytes as a zlib stream, in base64 (stored blocks: valid zlib, not compressed).", Eval(zlib_compress_to_base64_string), [("zlib_compress_to_base64_string('ab')", "eAEBAgD9/2FiASYAxA==")]),
    def!("zlib_decompress_from_base64_string", ("base64", 1, 1) -> T(Type::String), "A base64 zlib stream inflated to UTF-8 text (empty when it is not one).", Eval(zlib_decompress_from_base64_string), [("zlib_decompress_from_base64_string('eAEBAgD9/2FiASYAxA==')", "ab")]),
    def!("gzip_compress_to_base64_string", ("text", 1, 1) -> T(Type::String), "Text's UTF-8 bytes as a gzip stream, in base64 (stored blocks: valid gzip, not compressed).", Eval(gzip_compress_to_base64_string), [("gzip_compress_to_base64_string('ab')", "H4sIAAAAAAAA/wECAP3/YWJtSIOeAgAAAA==")]),
    def!("gzip_decompress_from_base64_string", ("base64", 1, 1) -> T(Type::String), "A base64 gzip stream (no optional header fields) inflated to UTF-8 text (empty when it is not one).", Eval(gzip_decompress_from_base64_string), [("gzip_decompress_from_base64_string('H4sIAAAAAAAA/wECAP3/YWJtSIOeAgAAAA==')", "ab")]),
];

/// Deflate stored blocks of at most 65,535 bytes each (one empty final block for no bytes).
fn stored_blocks(bytes: &[u8], out: &mut Vec<u8>) {
    let mut chunks = bytes.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let n = c.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(c);
    }
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    b << 16 | a
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &x in bytes {
        c ^= x as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                c >> 1 ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn zlib_compress_to_base64_string(a: &[Value], _: &Env) -> Value {
    let bytes = a[0].to_kql_string().into_bytes();
    let mut out = vec![0x78, 0x01];
    stored_blocks(&bytes, &mut out);
    out.extend_from_slice(&adler32(&bytes).to_be_bytes());
    Value::str(&b64_encode(&out))
}

fn gzip_compress_to_base64_string(a: &[Value], _: &Env) -> Value {
    let bytes = a[0].to_kql_string().into_bytes();
    // No flags, no time, no extra flags, OS unknown (255), as Kusto writes it.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    stored_blocks(&bytes, &mut out);
    out.extend_from_slice(&crc32(&bytes).to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    Value::str(&b64_encode(&out))
}

fn text(bytes: Option<Vec<u8>>) -> Value {
    Value::str(
        &bytes
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
    )
}

fn zlib_decompress_from_base64_string(a: &[Value], _: &Env) -> Value {
    let unzip = || -> Option<Vec<u8>> {
        let data = b64_decode(&a[0].to_kql_string())?;
        let (cmf, flg) = (*data.first()?, *data.get(1)?);
        // Deflate with a window of at most 32 KiB, a valid check, no preset dictionary.
        if cmf & 0x0f != 8 || cmf >> 4 > 7 || !(cmf as u32 * 256 + flg as u32).is_multiple_of(31) {
            return None;
        }
        if flg & 0x20 != 0 {
            return None;
        }
        let (out, used) = inflate(&data[2..])?;
        let sum = data.get(2 + used..2 + used + 4)?;
        (u32::from_be_bytes(sum.try_into().ok()?) == adler32(&out)).then_some(out)
    };
    text(unzip())
}

fn gzip_decompress_from_base64_string(a: &[Value], _: &Env) -> Value {
    let unzip = || -> Option<Vec<u8>> {
        let data = b64_decode(&a[0].to_kql_string())?;
        // ID1, ID2, deflate; no optional fields (FLG zero).
        if data.get(..4)? != [0x1f, 0x8b, 8, 0] || data.len() < 18 {
            return None;
        }
        let (out, used) = inflate(&data[10..])?;
        let tail = data.get(10 + used..10 + used + 8)?;
        let crc = u32::from_le_bytes(tail[..4].try_into().ok()?);
        let size = u32::from_le_bytes(tail[4..].try_into().ok()?);
        (crc == crc32(&out) && size == out.len() as u32).then_some(out)
    };
    text(unzip())
}

// ---- inflate (RFC 1951) --------------------------------------------------------------------

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    n: u32,
}

impl Bits<'_> {
    /// The next `k` bits (k <= 16), least significant first.
    fn get(&mut self, k: u32) -> Option<u32> {
        while self.n < k {
            self.buf |= (*self.data.get(self.pos)? as u32) << self.n;
            self.pos += 1;
            self.n += 8;
        }
        let v = self.buf & ((1u32 << k) - 1);
        self.buf >>= k;
        self.n -= k;
        Some(v)
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    /// None for an over-subscribed code (an incomplete one is allowed, as zlib allows it for
    /// single-code distance trees).
    fn new(lengths: &[u8]) -> Option<Huffman> {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[l as usize] += 1;
        }
        let mut left = 1i32;
        for &c in &count[1..] {
            left = (left << 1) - c as i32;
            if left < 0 {
                return None;
            }
        }
        let mut offs = [0u16; 16];
        for l in 1..15 {
            offs[l + 1] = offs[l] + count[l];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        count[0] = 0;
        Some(Huffman { count, symbol })
    }

    fn decode(&self, b: &mut Bits) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= b.get(1)? as i32;
            let count = self.count[len] as i32;
            if code - count < first {
                return self.symbol.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

const LBASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEXT: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DBASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DEXT: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// A raw deflate stream's bytes and how many input bytes it took (to its last whole byte);
/// None when it is invalid, truncated or would exceed the value limit.
fn inflate(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut b = Bits {
        data,
        pos: 0,
        buf: 0,
        n: 0,
    };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = b.get(1)?;
        match b.get(2)? {
            0 => {
                b.buf = 0;
                b.n = 0;
                let hdr = data.get(b.pos..b.pos + 4)?;
                let len = u16::from_le_bytes([hdr[0], hdr[1]]);
                if len != !u16::from_le_bytes([hdr[2], hdr[3]]) {
                    return None;
                }
                b.pos += 4;
                out.extend_from_slice(data.get(b.pos..b.pos + len as usize)?);
                b.pos += len as usize;
            }
            1 => {
                let mut l = [8u8; 288];
                l[144..256].fill(9);
                l[256..280].fill(7);
                let lit = Huffman::new(&l)?;
                let dist = Huffman::new(&[5u8; 30])?;
                codes(&mut b, &mut out, &lit, &dist)?;
            }
            2 => {
                let nlen = b.get(5)? as usize + 257;
                let ndist = b.get(5)? as usize + 1;
                let ncode = b.get(4)? as usize + 4;
                if nlen > 286 || ndist > 30 {
                    return None;
                }
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut cl = [0u8; 19];
                for &i in &ORDER[..ncode] {
                    cl[i] = b.get(3)? as u8;
                }
                let lencode = Huffman::new(&cl)?;
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = lencode.decode(&mut b)?;
                    let (value, times) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => (*lengths.get(i.checked_sub(1)?)?, 3 + b.get(2)? as usize),
                        17 => (0, 3 + b.get(3)? as usize),
                        _ => (0, 11 + b.get(7)? as usize),
                    };
                    if i + times > nlen + ndist {
                        return None;
                    }
                    lengths[i..i + times].fill(value);
                    i += times;
                }
                if lengths[256] == 0 {
                    return None;
                }
                let lit = Huffman::new(&lengths[..nlen])?;
                let dist = Huffman::new(&lengths[nlen..])?;
                codes(&mut b, &mut out, &lit, &dist)?;
            }
            _ => return None,
        }
        if out.len() > MAX_VALUE_BYTES {
            return None;
        }
        if last == 1 {
            return Some((out, b.pos));
        }
    }
}

/// One Huffman-coded block's literals and copies, to its end-of-block code.
fn codes(b: &mut Bits, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) -> Option<()> {
    loop {
        let sym = lit.decode(b)? as usize;
        match sym {
            0..=255 => out.push(sym as u8),
            256 => return Some(()),
            _ => {
                let i = sym.checked_sub(257).filter(|i| *i < 29)?;
                let len = LBASE[i] as usize + b.get(LEXT[i] as u32)? as usize;
                let d = dist.decode(b)? as usize;
                if d >= 30 {
                    return None;
                }
                let back = DBASE[d] as usize + b.get(DEXT[d] as u32)? as usize;
                let from = out.len().checked_sub(back)?;
                for k in 0..len {
                    out.push(out[from + k]);
                }
                if out.len() > MAX_VALUE_BYTES {
                    return None;
                }
            }
        }
    }
}
