//! zlib and gzip over base64 text: `zlib_compress_to_base64_string`,
//! `zlib_decompress_from_base64_string`, `gzip_compress_to_base64_string`,
//! `gzip_decompress_from_base64_string` (zlib-base64-*-function.md, gzip-base64-*.md).
//!
//! Compression writes deflate stored blocks (RFC 1951 §3.2.4): a valid stream any reader
//! inflates, and Kusto's own output for text deflate would not shrink (the documented
//! examples); for text it would shrink, Kusto's is smaller. Decompression is miniz_oxide's
//! inflate (the crate the core reads gzip and zip drops with), stopped at the 16 MiB value
//! limit; bad input, a wrong header or checksum, or output that is not UTF-8 give an empty
//! string, as documented.

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
        // The header was checked above; miniz_oxide checks it again and the Adler-32.
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&data, MAX_VALUE_BYTES).ok()
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
        // The deflate stream, then the CRC-32 and size of the text.
        let (body, tail) = data[10..].split_at(data.len() - 18);
        let out = miniz_oxide::inflate::decompress_to_vec_with_limit(body, MAX_VALUE_BYTES).ok()?;
        let crc = u32::from_le_bytes(tail[..4].try_into().ok()?);
        let size = u32::from_le_bytes(tail[4..].try_into().ok()?);
        (crc == crc32(&out) && size == out.len() as u32).then_some(out)
    };
    text(unzip())
}
