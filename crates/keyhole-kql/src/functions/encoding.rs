//! Hashes, base64, URL, Punycode and Unicode encodings, hexadecimal and byte-size formatting (zlib and
//! gzip are in `compression.rs`).

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use keyhole_core::time::MICROS_PER_DAY;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("hash" | "hash_xxhash64", ("source [, mod]", 1, 2) -> T(Type::Long), "The xxhash64 of a value (optionally modulo mod).", Eval(hash), [("hash(\"World\")", "1846988464401551951"), ("hash(\"World\", 100)", "51")]),
    def!("hash_md5", ("source", 1, 1) -> T(Type::String), "The MD5 of a value, in hexadecimal.", Eval(hash_md5), [("hash_md5(\"World\")", "f5a7924e621e84c9280a9a27e1bcb7f6")]),
    def!("hash_sha1", ("source", 1, 1) -> T(Type::String), "The SHA-1 of a value, in hexadecimal.", Eval(hash_sha1), [("hash_sha1(\"World\")", "70c07ec18ef89c5309bbb0937f3a6342411e1fdd")]),
    def!("hash_sha256", ("source", 1, 1) -> T(Type::String), "The SHA-256 of a value, in hexadecimal.", Eval(hash_sha256), [("hash_sha256(\"World\")", "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524")]),
    def!("base64_encode_tostring", ("text", 1, 1) -> T(Type::String), "Text's UTF-8 bytes in base64.", Eval(base64_encode_tostring), [("base64_encode_tostring(\"Kusto\")", "S3VzdG8=")]),
    def!("base64_decode_tostring", ("base64", 1, 1) -> T(Type::String), "Base64 decoded as UTF-8 text (null when it is not).", Eval(base64_decode_tostring), [("base64_decode_tostring(\"S3VzdG8=\")", "Kusto")]),
    def!("base64_decode_toarray", ("base64", 1, 1) -> T(Type::Dynamic), "Base64 decoded as an array of bytes.", Eval(base64_decode_toarray)),
    def!("base64_encode_fromarray", ("bytes", 1, 1) -> T(Type::String), "An array of bytes in base64.", Eval(base64_encode_fromarray)),
    def!("base64_encode_fromguid", ("guid", 1, 1) -> T(Type::String), "A guid's bytes (.NET order) in base64.", Eval(base64_encode_fromguid)),
    def!("base64_decode_toguid", ("base64", 1, 1) -> T(Type::Guid), "Base64 of 16 bytes (.NET order) as a guid.", Eval(base64_decode_toguid)),
    def!("punycode_from_string", ("text", 1, 1) -> T(Type::String), "Text in Punycode (RFC 3492; no 'xn--' prefix, case kept).", Eval(punycode_from_string), [("punycode_from_string('académie-française')", "acadmie-franaise-npb1a")]),
    def!("punycode_to_string", ("punycode", 1, 1) -> T(Type::String), "Punycode decoded to text (empty when it is not valid Punycode).", Eval(punycode_to_string), [("punycode_to_string('acadmie-franaise-npb1a')", "académie-française")]),
    def!("punycode_domain_to_string", ("domain", 1, 1) -> T(Type::String), "A domain name with each non-ASCII label in Punycode as 'xn--…' (labels split at '.' or '。').", Eval(punycode_domain_to_string), [("punycode_domain_to_string('艺术.com')", "xn--cqv902d.com")]),
    def!("punycode_domain_from_string", ("domain", 1, 1) -> T(Type::String), "A domain name with each 'xn--' label decoded from Punycode (empty when one is invalid).", Eval(punycode_domain_from_string), [("punycode_domain_from_string('xn--cqv902d.com')", "艺术.com")]),
    def!("url_encode", ("url", 1, 1) -> T(Type::String), "A URL with unsafe characters percent-encoded.", Eval(url_encode)),
    def!("url_encode_component", ("text", 1, 1) -> T(Type::String), "Text percent-encoded for use inside a URL component.", Eval(url_encode_component), [("url_encode_component('a b/c')", "a%20b%2fc")]),
    def!("url_decode", ("encoded", 1, 1) -> T(Type::String), "Percent-encoding decoded.", Eval(url_decode), [("url_decode('a%20b%2Fc')", "a b/c")]),
    def!("unicode_codepoints_to_string", ("codepoint1, codepoint2, … | arrays", 1, 64) -> T(Type::String), "The text of Unicode code points.", Eval(unicode_codepoints_to_string), [("unicode_codepoints_to_string(75, 117, 115, 116, 111)", "Kusto")]),
    def!("unicode_codepoints_from_string", ("text", 1, 1) -> T(Type::Dynamic), "The Unicode code points of a text.", Eval(unicode_codepoints_from_string), [("unicode_codepoints_from_string('Ku')", "[75,117]")]),
    def!("tohex", ("number [, minLength]", 1, 2) -> T(Type::String), "A number in hexadecimal (64-bit two's complement when negative).", Eval(tohex), [("tohex(256)", "100")]),
    def!("format_bytes", ("size [, precision, units]", 1, 3) -> T(Type::String), "A byte count with a unit (Bytes, KB, MB, GB, TB, PB).", Eval(format_bytes), [("format_bytes(10332, 1)", "10.1 KB")]),
];

/// The bytes Kusto hashes for a value: text as UTF-8, numbers and times as their 8 bytes
/// (times in 100 ns ticks since 0001-01-01).
fn hash_bytes(v: &Value) -> Vec<u8> {
    match v.undyn() {
        Value::Long(x) => x.to_le_bytes().to_vec(),
        Value::Real(x) => x.to_le_bytes().to_vec(),
        Value::DateTime(t) => (t.micros * 10 + 621_355_968_000_000_000)
            .to_le_bytes()
            .to_vec(),
        Value::TimeSpan(t) => (t * 10).to_le_bytes().to_vec(),
        Value::Bool(b) => vec![b as u8],
        other => other.to_kql_string().into_bytes(),
    }
}

fn hash(a: &[Value], _: &Env) -> Value {
    if a[0].is_null() {
        return Value::Null;
    }
    let h = xxhash_rust::xxh64::xxh64(&hash_bytes(&a[0]), 0) as i64;
    match a.get(1).and_then(|m| m.as_i64()) {
        Some(m) if m > 0 => Value::Long(h.rem_euclid(m)),
        Some(_) => Value::Null,
        None => Value::Long(h),
    }
}

/// The text a digest hashes: datetimes in the round-trip form with 7 fraction digits.
fn digest_text(v: &Value) -> Vec<u8> {
    match v.undyn() {
        Value::DateTime(t) => {
            let day = t.micros.div_euclid(MICROS_PER_DAY);
            let rem = t.micros.rem_euclid(MICROS_PER_DAY);
            let (y, m, d) = keyhole_core::time::civil_from_days(day);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:07}Z",
                rem / 3_600_000_000,
                rem / 60_000_000 % 60,
                rem / 1_000_000 % 60,
                rem % 1_000_000 * 10
            )
            .into_bytes()
        }
        other => other.to_kql_string().into_bytes(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_md5(a: &[Value], _: &Env) -> Value {
    use md5::Digest as _;
    Value::str(&hex(&md5::Md5::digest(digest_text(&a[0]))))
}

fn hash_sha1(a: &[Value], _: &Env) -> Value {
    use sha1::Digest as _;
    Value::str(&hex(&sha1::Sha1::digest(digest_text(&a[0]))))
}

fn hash_sha256(a: &[Value], _: &Env) -> Value {
    use sha2::Digest as _;
    Value::str(&hex(&sha2::Sha256::digest(digest_text(&a[0]))))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (chunk.get(1).copied().unwrap_or(0) as u32) << 8
            | chunk.get(2).copied().unwrap_or(0) as u32;
        for i in 0..4 {
            if i <= n {
                out.push(B64[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 as .NET's `Convert.FromBase64String` reads it: whitespace ignored, the length a
/// multiple of four, at most two `=` and only at the end (else null, as the
/// base64_encode_fromarray documentation's unpadded example shows).
pub(super) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let s: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let pad = s.iter().rev().take_while(|&&c| c == b'=').count();
    if !s.len().is_multiple_of(4) || pad > 2 {
        return None;
    }
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in &s[..s.len() - pad] {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_encode_tostring(a: &[Value], _: &Env) -> Value {
    Value::str(&b64_encode(a[0].to_kql_string().as_bytes()))
}

fn base64_decode_tostring(a: &[Value], _: &Env) -> Value {
    b64_decode(&a[0].to_kql_string())
        .and_then(|b| String::from_utf8(b).ok())
        .map(|s| Value::str(&s))
        .unwrap_or(Value::Null)
}

fn base64_decode_toarray(a: &[Value], _: &Env) -> Value {
    match b64_decode(&a[0].to_kql_string()) {
        Some(b) => Value::dynamic(serde_json::Value::Array(
            b.into_iter().map(serde_json::Value::from).collect(),
        )),
        None => Value::Null,
    }
}

fn base64_encode_fromarray(a: &[Value], _: &Env) -> Value {
    match as_json(&a[0]) {
        Some(serde_json::Value::Array(v)) => {
            let bytes: Option<Vec<u8>> = v
                .iter()
                .map(|x| x.as_u64().filter(|b| *b < 256).map(|b| b as u8))
                .collect();
            bytes
                .map(|b| Value::str(&b64_encode(&b)))
                .unwrap_or(Value::Null)
        }
        _ => Value::Null,
    }
}

/// A guid's 16 bytes in .NET order (the first three groups little-endian).
fn guid_bytes(g: &str) -> Option<[u8; 16]> {
    let hexs: String = g.chars().filter(|c| *c != '-').collect();
    if hexs.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for i in 0..16 {
        b[i] = u8::from_str_radix(&hexs[2 * i..2 * i + 2], 16).ok()?;
    }
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    Some(b)
}

fn base64_encode_fromguid(a: &[Value], _: &Env) -> Value {
    guid_bytes(&a[0].to_kql_string())
        .map(|b| Value::str(&b64_encode(&b)))
        .unwrap_or(Value::Null)
}

fn base64_decode_toguid(a: &[Value], _: &Env) -> Value {
    match b64_decode(&a[0].to_kql_string()) {
        Some(mut b) if b.len() == 16 => {
            b[0..4].reverse();
            b[4..6].reverse();
            b[6..8].reverse();
            super::conversion::guid_text(&hex(&b))
        }
        _ => Value::Null,
    }
}

fn percent_encode(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

fn url_encode(a: &[Value], _: &Env) -> Value {
    Value::str(&percent_encode(&a[0].to_kql_string(), ":/?#[]@!$&'()*+,;="))
}

fn url_encode_component(a: &[Value], _: &Env) -> Value {
    Value::str(&percent_encode(&a[0].to_kql_string(), ""))
}

fn url_decode(a: &[Value], _: &Env) -> Value {
    let out = super::strings::percent_decode_bytes(&a[0].to_kql_string());
    match String::from_utf8(out) {
        Ok(t) => Value::str(&t),
        Err(_) => Value::Null,
    }
}

fn unicode_codepoints_to_string(a: &[Value], _: &Env) -> Value {
    let mut out = String::new();
    for v in a {
        let points: Vec<Option<i64>> = match as_json(v) {
            Some(serde_json::Value::Array(x)) if matches!(v, Value::Dynamic(_)) => {
                x.iter().map(|p| p.as_i64()).collect()
            }
            _ => vec![v.as_i64()],
        };
        for p in points {
            match p
                .and_then(|p| u32::try_from(p).ok())
                .and_then(char::from_u32)
            {
                Some(c) => out.push(c),
                None => return Value::Null,
            }
        }
    }
    Value::str(&out)
}

fn unicode_codepoints_from_string(a: &[Value], _: &Env) -> Value {
    Value::dynamic(serde_json::Value::Array(
        a[0].to_kql_string()
            .chars()
            .map(|c| serde_json::Value::from(c as u32))
            .collect(),
    ))
}

fn tohex(a: &[Value], _: &Env) -> Value {
    let Some(n) = a[0].as_i64() else {
        return Value::Null;
    };
    let s = format!("{:x}", n as u64);
    match a.get(1).and_then(|m| m.as_i64()) {
        Some(m) if m as usize > s.len() => Value::str(&format!("{s:0>w$}", w = m as usize)),
        _ => Value::str(&s),
    }
}

fn format_bytes(a: &[Value], _: &Env) -> Value {
    let Some(size) = a[0].as_f64() else {
        return Value::Null;
    };
    let precision = a.get(1).and_then(|p| p.as_i64()).unwrap_or(0).clamp(0, 10) as usize;
    const UNITS: [&str; 6] = ["Bytes", "KB", "MB", "GB", "TB", "PB"];
    let unit = match a.get(2).map(|u| u.to_kql_string().to_ascii_uppercase()) {
        Some(u) if !u.is_empty() => UNITS
            .iter()
            .position(|x| x.eq_ignore_ascii_case(&u))
            .unwrap_or(0),
        _ => {
            let mut k = 0;
            while k + 1 < UNITS.len() && size.abs() >= 1024f64.powi(k as i32 + 1) {
                k += 1;
            }
            k
        }
    };
    let v = size / 1024f64.powi(unit as i32);
    Value::str(&format!("{v:.precision$} {}", UNITS[unit]))
}

// ---- Punycode (RFC 3492) ---------------------------------------------------------------------

const PUNY_BASE: u32 = 36;
const PUNY_TMIN: u32 = 1;
const PUNY_TMAX: u32 = 26;

fn puny_adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2 {
        delta /= PUNY_BASE - PUNY_TMIN;
        k += PUNY_BASE;
    }
    k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + 38)
}

fn puny_threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        PUNY_TMIN
    } else if k >= bias + PUNY_TMAX {
        PUNY_TMAX
    } else {
        k - bias
    }
}

fn puny_digit(d: u32) -> char {
    (if d < 26 {
        b'a' + d as u8
    } else {
        b'0' + (d - 26) as u8
    }) as char
}

/// RFC 3492's encoding: the basic (ASCII) code points as they are, a '-' when there are
/// any, then the others as generalized variable-length integers. None on overflow.
fn puny_encode(text: &str) -> Option<String> {
    let cps: Vec<u32> = text.chars().map(|c| c as u32).collect();
    let mut out: String = text.chars().filter(char::is_ascii).collect();
    let b = out.len() as u32;
    if b > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut h) = (128u32, 0u32, 72u32, b);
    while (h as usize) < cps.len() {
        let m = *cps.iter().filter(|&&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = PUNY_BASE;
                loop {
                    let t = puny_threshold(k, bias);
                    if q < t {
                        break;
                    }
                    out.push(puny_digit(t + (q - t) % (PUNY_BASE - t)));
                    q = (q - t) / (PUNY_BASE - t);
                    k += PUNY_BASE;
                }
                out.push(puny_digit(q));
                bias = puny_adapt(delta, h + 1, h == b);
                delta = 0;
                h += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// RFC 3492's decoding; None for a character outside the digits, overflow or an invalid
/// code point.
fn puny_decode(text: &str) -> Option<String> {
    let (basic, rest) = match text.rfind('-') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => ("", text),
    };
    if !basic.is_ascii() {
        return None;
    }
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (128u32, 0u32, 72u32);
    let mut digits = rest.bytes().peekable();
    while digits.peek().is_some() {
        let old = i;
        let mut w = 1u32;
        let mut k = PUNY_BASE;
        loop {
            let d = match digits.next()? {
                c @ b'a'..=b'z' => (c - b'a') as u32,
                c @ b'A'..=b'Z' => (c - b'A') as u32,
                c @ b'0'..=b'9' => (c - b'0') as u32 + 26,
                _ => return None,
            };
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = puny_threshold(k, bias);
            if d < t {
                break;
            }
            w = w.checked_mul(PUNY_BASE - t)?;
            k += PUNY_BASE;
        }
        let len = out.len() as u32 + 1;
        bias = puny_adapt(i - old, len, old == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
    }
    Some(out.into_iter().collect())
}

fn punycode_from_string(a: &[Value], _: &Env) -> Value {
    Value::str(&puny_encode(&a[0].to_kql_string()).unwrap_or_default())
}

fn punycode_to_string(a: &[Value], _: &Env) -> Value {
    Value::str(&puny_decode(&a[0].to_kql_string()).unwrap_or_default())
}

/// A domain's labels, split at the full stops IDNA accepts.
fn labels(domain: &str) -> impl Iterator<Item = &str> {
    domain.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
}

fn punycode_domain_to_string(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let out: Option<Vec<String>> = labels(&s)
        .map(|l| {
            if l.is_ascii() {
                Some(l.to_string())
            } else {
                puny_encode(l).map(|p| format!("xn--{p}"))
            }
        })
        .collect();
    Value::str(&out.map(|o| o.join(".")).unwrap_or_default())
}

fn punycode_domain_from_string(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let out: Option<Vec<String>> = labels(&s)
        .map(|l| match l.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("xn--") => puny_decode(&l[4..]),
            _ => Some(l.to_string()),
        })
        .collect();
    Value::str(&out.map(|o| o.join(".")).unwrap_or_default())
}
