//! The fast path of record parsing: a hand-written, non-recursive scanner that fills the same
//! [`Rec`] serde would, for the records every export is made of (objects of scalars, `identity`
//! with its `claim`, `properties` with scalars; unknown fields skipped). Anything it is not sure
//! about — an escape in a key, a `\u` escape in a kept text, a negative or fractional number in
//! a kept field, a nested object the normaliser reads deeply (vault configuration, access-policy
//! changes, dynamic columns as JSON text), a duplicate field, a syntax error, deep nesting —
//! makes it return `None`, and the caller parses the record with serde_json instead, which
//! also produces the error message. So when this returns `Some`, the record is exactly what
//! `serde_json::from_slice::<Rec>` gives.

use super::record::{Acls, Claim, Flex, Ident, Nested, Props, Rec, Sku, VaultProps};
use rustc_hash::FxBuildHasher;
use std::borrow::Cow;
use std::collections::HashMap;
use std::mem::ManuallyDrop;

/// serde_json's recursion limit is 128; stay well below it (deeper input goes to serde_json).
const MAX_DEPTH: u32 = 64;

struct P<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// A kept text was unescaped into an owned `String` (the only allocation a record holds).
    owns: bool,
}

/// The bytes of `c` that end a plain run of string text (`"`, `\\` or a control character), one
/// bit a byte (bit k for `c[k]`): three byte compares and a movemask (SSE2, x86-64's baseline).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn special_bits(c: &[u8; 16]) -> u32 {
    use core::arch::x86_64::*;
    let lo = i64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
    let hi = i64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
    let v = _mm_set_epi64x(hi, lo); // one unaligned 16-byte load
    let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v); // v <= 0x1f
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
}

/// [`special_bits`] in wasm's 128-bit SIMD (the page's build enables simd128).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn special_bits(c: &[u8; 16]) -> u32 {
    use core::arch::wasm32::*;
    let lo = u64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
    let hi = u64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
    let v = u64x2(lo, hi);
    let quote = u8x16_eq(v, u8x16_splat(b'"'));
    let backslash = u8x16_eq(v, u8x16_splat(b'\\'));
    let control = u8x16_lt(v, u8x16_splat(0x20));
    u32::from(u8x16_bitmask(v128_or(v128_or(quote, backslash), control)))
}

/// The bits of [`special_bits`] of the 16 bytes at `i`.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
#[inline(always)]
fn special_at(b: &[u8], i: usize) -> u32 {
    let c: &[u8; 16] = b[i..i + 16].try_into().expect("16 bytes");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it.
    return unsafe { special_bits(c) };
    #[cfg(target_arch = "wasm32")]
    return special_bits(c);
}

/// The first index at or after `from` of a byte that ends a plain run of string text: `"`,
/// `\\` or a control character.
#[inline]
fn special(b: &[u8], from: usize) -> Option<usize> {
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    let find = special_lanes;
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    let find = special_words;
    find(b, from)
}

/// [`special`] 16 bytes a step in vector lanes ([`special_bits`]); the last step re-reads the
/// final 16 bytes with the ones before `from` shifted out.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
#[inline]
fn special_lanes(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 16 <= b.len() {
        let m = special_at(b, i);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i >= b.len() {
        return None;
    }
    if b.len() >= 16 {
        let last = b.len() - 16;
        let m = special_at(b, last) >> (i - last);
        return (m != 0).then(|| i + m.trailing_zeros() as usize);
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

/// [`special`] 8 bytes a step in a 64-bit word (the first flagged byte is exact): for targets
/// without [`special_bits`].
#[cfg(any(
    test,
    not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))
))]
#[inline]
fn special_words(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let m = w.wrapping_sub(ONES * 0x20) & !w & HIGH
            | zero(w ^ (ONES * b'"' as u64))
            | zero(w ^ (ONES * b'\\' as u64));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

#[inline]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> P<'a> {
    /// Skip whitespace; the common case (none: compact JSON) is one comparison.
    #[inline]
    fn ws(&mut self) {
        if matches!(self.b.get(self.i), Some(&c) if c <= b' ') {
            self.ws_run();
        }
    }

    #[cold]
    fn ws_run(&mut self) {
        while self.i < self.b.len() && is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// A key: the raw bytes of a short string without escapes (at its opening quote); `None`
    /// on an escape or a control character.
    #[inline]
    fn plain_string(&mut self) -> Option<&'a str> {
        debug_assert_eq!(self.b[self.i], b'"');
        let start = self.i + 1;
        let end = special(self.b, start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        // `"` is ASCII: the cut is a char boundary of the validated text
        Some(&self.s[start..end])
    }

    /// A kept string: borrowed, or unescaped when it has simple escapes (`\uXXXX` is left to
    /// serde_json, which checks surrogate pairs).
    #[inline]
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.i + 1;
        let k = special(self.b, start)?;
        if self.b[k] == b'"' {
            // the common case: no escape
            self.i = k + 1;
            return Some(Cow::Borrowed(&self.s[start..k]));
        }
        self.string_escaped(start)
    }

    /// [`P::string`] of a text with an escape or a control character in it (read again from
    /// its `start`).
    #[cold]
    fn string_escaped(&mut self, start: usize) -> Option<Cow<'a, str>> {
        let mut j = start;
        let mut out: Option<String> = None;
        loop {
            let k = special(self.b, j)?;
            if self.b[k] < 0x20 {
                return None;
            }
            if self.b[k] == b'"' {
                self.i = k + 1;
                return Some(match out {
                    None => Cow::Borrowed(&self.s[start..k]),
                    Some(mut o) => {
                        o.push_str(&self.s[j..k]);
                        Cow::Owned(o)
                    }
                });
            }
            self.owns = true;
            let o = out.get_or_insert_with(String::new);
            o.push_str(&self.s[j..k]);
            let c = match *self.b.get(k + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                _ => return None,
            };
            o.push(c);
            j = k + 2;
        }
    }

    /// Skip a string, checking what serde_json checks of an ignored one (escapes, control
    /// characters).
    fn skip_string(&mut self) -> Option<()> {
        let mut j = self.i + 1;
        loop {
            let k = special(self.b, j)?;
            if self.b[k] < 0x20 {
                return None;
            }
            if self.b[k] == b'"' {
                self.i = k + 1;
                return Some(());
            }
            match *self.b.get(k + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j = k + 2,
                b'u' => {
                    let h = self.b.get(k + 2..k + 6)?;
                    if !h.iter().all(|c| c.is_ascii_hexdigit()) {
                        return None;
                    }
                    j = k + 6;
                }
                _ => return None,
            }
        }
    }

    /// A number by the JSON grammar; `Some(Some(v))` for a plain non-negative integer that fits
    /// `u64`, `Some(None)` for another valid number, `None` when invalid.
    fn number(&mut self) -> Option<Option<u64>> {
        let b = self.b;
        let mut i = self.i;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let int_start = i;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            _ => return None,
        }
        let int_end = i;
        let mut plain = !neg;
        if b.get(i) == Some(&b'.') {
            plain = false;
            i += 1;
            let d = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == d {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            plain = false;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let d = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == d {
                return None;
            }
        }
        self.i = i;
        if !plain {
            return Some(None);
        }
        Some(self.s[int_start..int_end].parse::<u64>().ok())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// Skip any value, validating it as serde_json's `IgnoredAny` would (non-recursive).
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        // one bit per open container: 1 = object
        let mut stack: u64 = 0;
        let mut open: u32 = 0;
        loop {
            self.ws();
            match self.peek()? {
                b'{' => {
                    if depth + open + 1 > MAX_DEPTH {
                        return None;
                    }
                    self.i += 1;
                    stack = (stack << 1) | 1;
                    open += 1;
                    self.ws();
                    if self.peek()? == b'}' {
                        self.i += 1;
                        stack >>= 1;
                        open -= 1;
                    } else {
                        self.key_colon()?;
                        continue;
                    }
                }
                b'[' => {
                    if depth + open + 1 > MAX_DEPTH {
                        return None;
                    }
                    self.i += 1;
                    stack <<= 1;
                    open += 1;
                    self.ws();
                    if self.peek()? == b']' {
                        self.i += 1;
                        stack >>= 1;
                        open -= 1;
                    } else {
                        continue;
                    }
                }
                b'"' => self.skip_string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                _ => return None,
            }
            // after a value: close containers or take the next element
            loop {
                if open == 0 {
                    return Some(());
                }
                self.ws();
                let obj = stack & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if obj {
                            self.ws();
                            self.key_colon()?;
                        }
                        break;
                    }
                    b'}' if obj => {
                        self.i += 1;
                        stack >>= 1;
                        open -= 1;
                    }
                    b']' if !obj => {
                        self.i += 1;
                        stack >>= 1;
                        open -= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `"key" :` inside a skipped object.
    fn key_colon(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.skip_string()?;
        self.ws();
        self.eat(b':')
    }

    /// A scalar slot: what serde's `Flex` visitor makes of the value.
    fn flex(&mut self, depth: u32) -> Option<Flex<'a>> {
        Some(match self.peek()? {
            b'"' => Flex::S(self.string()?),
            b't' => {
                self.literal(b"true")?;
                Flex::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Flex::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Flex::Null
            }
            b'0'..=b'9' => Flex::U(self.number()??),
            b'{' | b'[' => {
                self.skip_value(depth)?;
                Flex::Other
            }
            _ => return None,
        })
    }

    /// An object: `key(self, n)` reads the `n`th key through its `:`, `f(key, self)` consumes
    /// its value.
    #[inline]
    fn object<K>(
        &mut self,
        depth: u32,
        mut key: impl FnMut(&mut P<'a>, usize) -> Option<K>,
        mut f: impl FnMut(K, &mut P<'a>) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut n = 0;
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let k = key(self, n)?;
            n += 1;
            self.ws();
            f(k, self)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `"key" :` (at the opening quote): the key's text; `None` on an escape in it.
    #[inline]
    fn key(&mut self) -> Option<&'a str> {
        let key = self.plain_string()?;
        self.ws();
        self.eat(b':')?;
        Some(key)
    }

    /// An object's members: `f(key, self)` consumes each value. Keys with escapes → `None`.
    fn members(
        &mut self,
        depth: u32,
        f: impl FnMut(&'a str, &mut P<'a>) -> Option<()>,
    ) -> Option<()> {
        self.object(depth, |p, _| p.key(), f)
    }

    /// A `Nested<T>` slot whose object this scanner can read with `obj`, filled in place (a
    /// claim or property object is hundreds of bytes: built where it stays, not moved there);
    /// serde's rules for the other JSON types (text holding JSON → `None`, serde_json reads it).
    fn nested<T: Default>(
        &mut self,
        depth: u32,
        slot: &mut Nested<T>,
        obj: impl FnOnce(&mut P<'a>, &mut T) -> Option<()>,
    ) -> Option<()> {
        slot.0 = None;
        match self.peek()? {
            b'{' => obj(self, slot.0.insert(T::default()))?,
            b'n' => self.literal(b"null")?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'0'..=b'9' => {
                // only plain integers: serde_json's range errors on floats are its to report
                self.number()??;
            }
            b'[' => self.skip_value(depth)?,
            _ => return None,
        }
        Some(())
    }
}

/// Set a scalar slot once (a second occurrence is serde's "duplicate field" error).
#[inline]
fn set<'a>(slot: &mut Flex<'a>, p: &mut P<'a>, depth: u32) -> Option<()> {
    if slot.present() {
        return None;
    }
    *slot = p.flex(depth)?;
    Some(())
}

/// A claim's kept keys (index into [`claim_flex`]); `None`: skipped.
fn claim_key(k: &str) -> Option<u8> {
    Some(match k {
        "oid" => 0,
        "http://schemas.microsoft.com/identity/claims/objectidentifier" => 1,
        "upn" => 2,
        "unique_name" => 3,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn" => 4,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" => 5,
        "appid" => 6,
        "azp" => 7,
        "tid" => 8,
        "http://schemas.microsoft.com/identity/claims/tenantid" => 9,
        "iss" => 10,
        "idtyp" => 11,
        _ => return None,
    })
}

#[inline]
fn claim_flex<'r, 'a>(c: &'r mut Claim<'a>, i: u8) -> &'r mut Flex<'a> {
    match i {
        0 => &mut c.oid,
        1 => &mut c.oid_long,
        2 => &mut c.upn,
        3 => &mut c.unique_name,
        4 => &mut c.upn_long,
        5 => &mut c.name_long,
        6 => &mut c.appid,
        7 => &mut c.azp,
        8 => &mut c.tid,
        9 => &mut c.tid_long,
        10 => &mut c.iss,
        11 => &mut c.idtyp,
        _ => unreachable!("claim_key indices are in range"),
    }
}

fn claim<'a>(
    p: &mut P<'a>,
    depth: u32,
    c: &mut Claim<'a>,
    keys: &mut Known<Option<u8>>,
) -> Option<()> {
    let mut after = After::START;
    p.object(
        depth,
        |p, _| keys.key(p, &mut after, claim_key),
        |k, p| match k {
            Some(i) => set(claim_flex(c, i), p, depth + 1),
            None => p.skip_value(depth + 1),
        },
    )
}

fn ident<'a>(
    p: &mut P<'a>,
    depth: u32,
    id: &mut Ident<'a>,
    keys: &mut Known<Option<u8>>,
) -> Option<()> {
    let mut seen = false;
    p.members(depth, |k, p| match k {
        "claim" => {
            if std::mem::replace(&mut seen, true) {
                return None;
            }
            p.nested(depth + 1, &mut id.claim, |p, c| {
                claim(p, depth + 1, c, keys)
            })?;
            Some(())
        }
        _ => p.skip_value(depth + 1),
    })?;
    Some(())
}

fn sku<'a>(p: &mut P<'a>, depth: u32, r: &mut Sku<'a>) -> Option<()> {
    p.members(depth, |k, p| match k {
        "family" | "Family" => set(&mut r.family, p, depth + 1),
        "name" | "Name" => set(&mut r.name, p, depth + 1),
        _ => p.skip_value(depth + 1),
    })?;
    Some(())
}

fn acls<'a>(p: &mut P<'a>, depth: u32, r: &mut Acls<'a>) -> Option<()> {
    p.members(depth, |k, p| match k {
        "defaultAction" | "DefaultAction" => set(&mut r.default_action, p, depth + 1),
        "bypass" | "Bypass" => set(&mut r.bypass, p, depth + 1),
        _ => p.skip_value(depth + 1),
    })?;
    Some(())
}

/// `properties.properties`: the vault configuration of VaultGet/Put/Patch records.
fn vault_props<'a>(p: &mut P<'a>, depth: u32, r: &mut VaultProps<'a>) -> Option<()> {
    let (mut seen_sku, mut seen_acls) = (false, false);
    p.members(depth, |k, p| match k {
        "sku" => {
            if std::mem::replace(&mut seen_sku, true) {
                return None;
            }
            p.nested(depth + 1, &mut r.sku, |p, x| sku(p, depth + 1, x))?;
            Some(())
        }
        "networkAcls" => {
            if std::mem::replace(&mut seen_acls, true) {
                return None;
            }
            p.nested(depth + 1, &mut r.network_acls, |p, x| acls(p, depth + 1, x))?;
            Some(())
        }
        "tenantId" => set(&mut r.tenant_id, p, depth + 1),
        "enabledForDeployment" => set(&mut r.enabled_for_deployment, p, depth + 1),
        "enabledForDiskEncryption" => set(&mut r.enabled_for_disk_encryption, p, depth + 1),
        "enabledForTemplateDeployment" => set(&mut r.enabled_for_template_deployment, p, depth + 1),
        "enableSoftDelete" => set(&mut r.enable_soft_delete, p, depth + 1),
        "softDeleteRetentionInDays" => set(&mut r.soft_delete_retention_in_days, p, depth + 1),
        "enableRbacAuthorization" => set(&mut r.enable_rbac_authorization, p, depth + 1),
        "enablePurgeProtection" => set(&mut r.enable_purge_protection, p, depth + 1),
        _ => p.skip_value(depth + 1),
    })?;
    Some(())
}

/// What a key of `properties` is to the scanner.
#[derive(Clone, Copy, Debug)]
enum PropKey {
    /// A scalar slot of [`Props`] (index into [`prop_flex`]).
    Flex(u8),
    /// `properties.properties`, the vault configuration.
    Vault,
    /// Access-policy and firewall changes (rare): serde_json's job.
    Decline,
    Skip,
}

fn prop_key(k: &str) -> PropKey {
    match k {
        "id" => PropKey::Flex(0),
        "clientInfo" => PropKey::Flex(1),
        "httpStatusCode" => PropKey::Flex(2),
        "requestUri" => PropKey::Flex(3),
        "isAccessPolicyMatch" => PropKey::Flex(4),
        "isRbacAuthorized" => PropKey::Flex(5),
        "appliedAssignmentId" => PropKey::Flex(6),
        "tlsVersion" => PropKey::Flex(7),
        "properties" => PropKey::Vault,
        "addedAccessPolicy"
        | "AddedAccessPolicy"
        | "removedAccessPolicy"
        | "RemovedAccessPolicy"
        | "addedIpRule"
        | "AddedIpRule"
        | "removedIpRule"
        | "RemovedIpRule" => PropKey::Decline,
        _ => PropKey::Skip,
    }
}

#[inline]
fn prop_flex<'r, 'a>(r: &'r mut Props<'a>, i: u8) -> &'r mut Flex<'a> {
    match i {
        0 => &mut r.id,
        1 => &mut r.client_info,
        2 => &mut r.http_status_code,
        3 => &mut r.request_uri,
        4 => &mut r.is_access_policy_match,
        5 => &mut r.is_rbac_authorized,
        6 => &mut r.applied_assignment_id,
        7 => &mut r.tls_version,
        _ => unreachable!("prop_key indices are in range"),
    }
}

fn props<'a>(
    p: &mut P<'a>,
    depth: u32,
    r: &mut Props<'a>,
    keys: &mut Known<PropKey>,
) -> Option<()> {
    let mut seen_vault = false;
    let mut after = After::START;
    p.object(
        depth,
        |p, _| keys.key(p, &mut after, prop_key),
        |k, p| match k {
            PropKey::Flex(i) => set(prop_flex(r, i), p, depth + 1),
            PropKey::Vault => {
                if std::mem::replace(&mut seen_vault, true) {
                    return None;
                }
                p.nested(depth + 1, &mut r.properties, |p, x| {
                    vault_props(p, depth + 1, x)
                })
            }
            PropKey::Decline => None,
            PropKey::Skip => p.skip_value(depth + 1),
        },
    )
}

/// What a top-level key of a record is to the scanner.
#[derive(Clone, Copy, Debug)]
enum Field {
    /// A scalar slot of [`Rec`] (index into [`rec_flex`]).
    Flex(u8),
    Identity,
    Properties,
    /// A field this scanner leaves to serde_json.
    Decline,
}

/// Every key of [`Rec`] that holds a scalar, with its aliases (the serde attributes of
/// `record.rs`, one line each).
const REC_KEYS: &[(&str, Field)] = &[
    ("time", Field::Flex(0)),
    ("operationName", Field::Flex(1)),
    ("resourceId", Field::Flex(2)),
    ("category", Field::Flex(3)),
    ("operationVersion", Field::Flex(4)),
    ("resultType", Field::Flex(5)),
    ("resultSignature", Field::Flex(6)),
    ("resultDescription", Field::Flex(7)),
    ("durationMs", Field::Flex(8)),
    ("callerIpAddress", Field::Flex(9)),
    ("correlationId", Field::Flex(10)),
    ("records", Field::Flex(11)),
    ("value", Field::Flex(12)),
    ("tables", Field::Flex(13)),
    ("TimeGenerated", Field::Flex(14)),
    ("OperationName", Field::Flex(15)),
    ("OperationVersion", Field::Flex(16)),
    ("Category", Field::Flex(17)),
    ("ResultType", Field::Flex(18)),
    ("ResultSignature", Field::Flex(19)),
    ("ResultDescription", Field::Flex(20)),
    ("DurationMs", Field::Flex(21)),
    ("CallerIPAddress", Field::Flex(22)),
    ("CallerIpAddress", Field::Flex(22)),
    ("CorrelationId", Field::Flex(23)),
    ("ResourceId", Field::Flex(24)),
    ("_ResourceId", Field::Flex(25)),
    ("Resource", Field::Flex(26)),
    ("ResourceGroup", Field::Flex(27)),
    ("SubscriptionId", Field::Flex(28)),
    ("_SubscriptionId", Field::Flex(28)),
    ("ResourceProvider", Field::Flex(29)),
    ("Type", Field::Flex(30)),
    ("id_s", Field::Flex(31)),
    ("Id", Field::Flex(31)),
    ("requestUri_s", Field::Flex(32)),
    ("RequestUri", Field::Flex(32)),
    ("clientInfo_s", Field::Flex(33)),
    ("ClientInfo", Field::Flex(33)),
    ("httpStatusCode_d", Field::Flex(34)),
    ("HttpStatusCode", Field::Flex(34)),
    ("isAccessPolicyMatch_b", Field::Flex(35)),
    ("IsAccessPolicyMatch", Field::Flex(35)),
    ("isRbacAuthorized_b", Field::Flex(36)),
    ("IsRbacAuthorized", Field::Flex(36)),
    ("appliedAssignmentId_g", Field::Flex(37)),
    ("AppliedAssignmentId", Field::Flex(37)),
    ("tlsVersion_s", Field::Flex(38)),
    ("Tlsversion", Field::Flex(38)),
    ("TlsVersion", Field::Flex(38)),
    ("identity_claim_oid_g", Field::Flex(39)),
    ("identity_claim_upn_s", Field::Flex(40)),
    ("identity_claim_unique_name_s", Field::Flex(41)),
    ("identity_claim_appid_g", Field::Flex(42)),
    ("identity_claim_azp_g", Field::Flex(43)),
    ("identity_claim_tid_g", Field::Flex(44)),
    ("identity_claim_iss_s", Field::Flex(45)),
    ("identity_claim_idtyp_s", Field::Flex(46)),
    (
        "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
        Field::Flex(47),
    ),
    (
        "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s",
        Field::Flex(48),
    ),
    (
        "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s",
        Field::Flex(49),
    ),
    (
        "identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g",
        Field::Flex(50),
    ),
    ("identity_claim", Field::Flex(51)),
    ("properties_sku_Family_s", Field::Flex(52)),
    ("properties_sku_Name_s", Field::Flex(53)),
    ("properties_tenantId_g", Field::Flex(54)),
    ("properties_networkAcls_bypass_s", Field::Flex(55)),
    ("properties_networkAcls_defaultAction_s", Field::Flex(56)),
    ("properties_enabledForDeployment_b", Field::Flex(57)),
    ("EnabledForDeployment", Field::Flex(57)),
    ("properties_enabledForDiskEncryption_b", Field::Flex(58)),
    ("EnabledForDiskEncryption", Field::Flex(58)),
    ("properties_enabledForTemplateDeployment_b", Field::Flex(59)),
    ("EnabledForTemplateDeployment", Field::Flex(59)),
    ("properties_enableSoftDelete_b", Field::Flex(60)),
    ("EnableSoftDelete", Field::Flex(60)),
    ("properties_softDeleteRetentionInDays_d", Field::Flex(61)),
    ("SoftDeleteRetentionInDays", Field::Flex(61)),
    ("properties_enableRbacAuthorization_b", Field::Flex(62)),
    ("EnableRbacAuthorization", Field::Flex(62)),
    ("properties_enablePurgeProtection_b", Field::Flex(63)),
    ("EnablePurgeProtection", Field::Flex(63)),
    ("addedAccessPolicy_ObjectId_g", Field::Flex(64)),
    ("addedAccessPolicy_TenantId_g", Field::Flex(65)),
    ("removedAccessPolicy_ObjectId_g", Field::Flex(66)),
    ("removedAccessPolicy_TenantId_g", Field::Flex(67)),
    ("addedIpRule_Value_s", Field::Flex(68)),
    ("removedIpRule_Value_s", Field::Flex(69)),
    ("identity", Field::Identity),
    ("Identity", Field::Identity),
    ("properties", Field::Properties),
    ("Properties", Field::Properties),
    // dynamic columns and permission lists: serde_json's job
    ("NetworkAcls", Field::Decline),
    ("Sku", Field::Decline),
    ("addedAccessPolicy_Permissions_keys_s", Field::Decline),
    ("addedAccessPolicy_Permissions_secrets_s", Field::Decline),
    (
        "addedAccessPolicy_Permissions_certificates_s",
        Field::Decline,
    ),
    ("addedAccessPolicy_Permissions_storage_s", Field::Decline),
    ("removedAccessPolicy_Permissions_keys_s", Field::Decline),
    ("removedAccessPolicy_Permissions_secrets_s", Field::Decline),
    (
        "removedAccessPolicy_Permissions_certificates_s",
        Field::Decline,
    ),
    ("removedAccessPolicy_Permissions_storage_s", Field::Decline),
];

#[inline]
fn rec_flex<'r, 'a>(r: &'r mut Rec<'a>, i: u8) -> &'r mut Flex<'a> {
    match i {
        0 => &mut r.time,
        1 => &mut r.operation_name,
        2 => &mut r.resource_id,
        3 => &mut r.category,
        4 => &mut r.operation_version,
        5 => &mut r.result_type,
        6 => &mut r.result_signature,
        7 => &mut r.result_description,
        8 => &mut r.duration_ms,
        9 => &mut r.caller_ip_address,
        10 => &mut r.correlation_id,
        11 => &mut r.records,
        12 => &mut r.value,
        13 => &mut r.tables,
        14 => &mut r.time_generated,
        15 => &mut r.operation_name_col,
        16 => &mut r.operation_version_col,
        17 => &mut r.category_col,
        18 => &mut r.result_type_col,
        19 => &mut r.result_signature_col,
        20 => &mut r.result_description_col,
        21 => &mut r.duration_ms_col,
        22 => &mut r.caller_ip_col,
        23 => &mut r.correlation_id_col,
        24 => &mut r.resource_id_col,
        25 => &mut r.resource_id_lower,
        26 => &mut r.resource,
        27 => &mut r.resource_group,
        28 => &mut r.subscription_id,
        29 => &mut r.resource_provider,
        30 => &mut r.table_type,
        31 => &mut r.id_s,
        32 => &mut r.request_uri_s,
        33 => &mut r.client_info_s,
        34 => &mut r.http_status_code_d,
        35 => &mut r.is_access_policy_match_b,
        36 => &mut r.is_rbac_authorized_b,
        37 => &mut r.applied_assignment_id_g,
        38 => &mut r.tls_version_s,
        39 => &mut r.identity_claim_oid_g,
        40 => &mut r.identity_claim_upn_s,
        41 => &mut r.identity_claim_unique_name_s,
        42 => &mut r.identity_claim_appid_g,
        43 => &mut r.identity_claim_azp_g,
        44 => &mut r.identity_claim_tid_g,
        45 => &mut r.identity_claim_iss_s,
        46 => &mut r.identity_claim_idtyp_s,
        47 => &mut r.identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g,
        48 => &mut r.identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s,
        49 => &mut r.identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s,
        50 => &mut r.identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g,
        51 => &mut r.identity_claim,
        52 => &mut r.properties_sku_family_s,
        53 => &mut r.properties_sku_name_s,
        54 => &mut r.properties_tenant_id_g,
        55 => &mut r.properties_network_acls_bypass_s,
        56 => &mut r.properties_network_acls_default_action_s,
        57 => &mut r.properties_enabled_for_deployment_b,
        58 => &mut r.properties_enabled_for_disk_encryption_b,
        59 => &mut r.properties_enabled_for_template_deployment_b,
        60 => &mut r.properties_enable_soft_delete_b,
        61 => &mut r.properties_soft_delete_retention_in_days_d,
        62 => &mut r.properties_enable_rbac_authorization_b,
        63 => &mut r.properties_enable_purge_protection_b,
        64 => &mut r.added_policy_object_id,
        65 => &mut r.added_policy_tenant_id,
        66 => &mut r.removed_policy_object_id,
        67 => &mut r.removed_policy_tenant_id,
        68 => &mut r.added_ip_rule_s,
        69 => &mut r.removed_ip_rule_s,
        _ => unreachable!("REC_KEYS indices are in range"),
    }
}

/// The keys of the records before, of the record itself and of its claim and `properties`
/// objects, by the key before them: records of one file list their fields in one order, some
/// of them left out (a 401 challenge has no object `id`), so the key after a given key is most
/// often one of the last two seen after it — its bytes `"key":` compared in place (no scan, no
/// lookup). (Keyed by position instead, every `properties` key after a left-out one missed:
/// two misses a record on generated raw JSON lines.)
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    rec: Known<Option<Field>>,
    claim: Known<Option<u8>>,
    props: Known<PropKey>,
}

/// Keys of one kind of object: each distinct key text gets a slot (at most [`Known::SLOTS`]);
/// per slot (and for the start of the object), the last two keys seen after it.
#[derive(Debug)]
struct Known<F> {
    /// The key texts given slots, in slot order.
    names: Vec<Box<str>>,
    /// `next[0]`: after the object's `{`; `next[s + 1]`: after the key in slot `s`.
    next: Vec<[Option<Seen<F>>; 2]>,
}

impl<F> Default for Known<F> {
    fn default() -> Self {
        Known {
            names: Vec::new(),
            next: Vec::new(),
        }
    }
}

/// A key seen after another and what it is, with its slot.
#[derive(Debug)]
struct Seen<F> {
    pat: KeyPattern,
    field: F,
    slot: u8,
}

/// Where a key comes in its object, for [`Known::key`]: at the start, or after the key in a
/// slot; [`After::NOWHERE`] after a key without a slot (nothing predicted, nothing learned).
#[derive(Clone, Copy, Debug)]
struct After(u8);

impl After {
    const START: After = After(0);
    const NOWHERE: After = After(u8::MAX);
}

/// A key as compact JSON writes it, `"key":`, when that is at most 32 bytes: two 128-bit words
/// and a mask, so that recognising it is a few word operations.
#[derive(Clone, Copy, Debug)]
struct KeyPattern {
    w: [u128; 2],
    m: [u128; 2],
    bytes: [u8; 32],
    n: usize,
}

impl KeyPattern {
    /// `k` is a key [`P::plain_string`] read: no `"`, `\\` or control character in it.
    fn new(k: &str) -> Option<KeyPattern> {
        let n = k.len() + 3;
        if n > 32 {
            return None;
        }
        let (mut w, mut m) = ([0u8; 32], [0u8; 32]);
        w[0] = b'"';
        w[1..n - 2].copy_from_slice(k.as_bytes());
        w[n - 2] = b'"';
        w[n - 1] = b':';
        m[..n].fill(0xff);
        let word = |b: &[u8]| u128::from_le_bytes(b.try_into().expect("16 bytes"));
        Some(KeyPattern {
            w: [word(&w[..16]), word(&w[16..])],
            m: [word(&m[..16]), word(&m[16..])],
            bytes: w,
            n,
        })
    }

    /// `b[i..]` starts with the pattern.
    #[inline]
    fn at(&self, b: &[u8], i: usize) -> bool {
        let Some(x) = b.get(i..i + 32) else {
            // the end of the text (the last key of a line)
            return b.get(i..i + self.n) == Some(&self.bytes[..self.n]);
        };
        let lo = u128::from_le_bytes(x[..16].try_into().expect("16 bytes"));
        let hi = u128::from_le_bytes(x[16..].try_into().expect("16 bytes"));
        ((lo ^ self.w[0]) & self.m[0]) | ((hi ^ self.w[1]) & self.m[1]) == 0
    }
}

impl<F: Copy> Known<F> {
    /// Distinct keys given a slot; keys past them are read and mapped every time.
    const SLOTS: usize = 64;

    /// The key of the object at its opening quote, through its `:`: what [`P::key`] reads,
    /// mapped to what it is by `what` (called only when the key is neither of the two seen
    /// last after the key before it); `after` is where the key comes and becomes where the
    /// next one does.
    #[inline]
    fn key(&mut self, p: &mut P<'_>, after: &mut After, what: impl FnOnce(&str) -> F) -> Option<F> {
        if let Some(ways) = self.next.get_mut(after.0 as usize) {
            for w in 0..2 {
                if let Some(seen) = &ways[w] {
                    if seen.pat.at(p.b, p.i) {
                        // the same bytes P::key would read: a plain key, its quote, no space, `:`
                        p.i += seen.pat.n;
                        let (field, slot) = (seen.field, seen.slot);
                        if w == 1 {
                            ways.swap(0, 1);
                        }
                        *after = After(slot + 1);
                        return Some(field);
                    }
                }
            }
        }
        let k = p.key()?;
        let field = what(k);
        self.learn(after, k, field);
        Some(field)
    }

    /// Remember key `k` (what it is: `field`) after `after`, which becomes its slot.
    #[cold]
    fn learn(&mut self, after: &mut After, k: &str, field: F) {
        let slot = match self.names.iter().position(|n| **n == *k) {
            Some(s) => s,
            None if self.names.len() < Self::SLOTS => {
                self.names.push(k.into());
                self.names.len() - 1
            }
            None => {
                *after = After::NOWHERE;
                return;
            }
        };
        let from = after.0 as usize;
        *after = After(slot as u8 + 1);
        let Some(pat) = KeyPattern::new(k) else {
            return;
        };
        if self.next.len() <= Self::SLOTS {
            self.next.resize_with(Self::SLOTS + 1, || [None, None]);
        }
        if let Some(ways) = self.next.get_mut(from) {
            ways[1] = ways[0].take();
            ways[0] = Some(Seen {
                pat,
                field,
                slot: slot as u8,
            });
        }
    }
}

/// Key → field, hashed once per key instead of a hundred string comparisons.
fn rec_key(k: &str) -> Option<Field> {
    static MAP: std::sync::OnceLock<HashMap<&'static str, Field, FxBuildHasher>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| REC_KEYS.iter().copied().collect())
        .get(k)
        .copied()
}

/// The record in `b` (a JSON object, surrounding whitespace allowed), or `None` when serde_json
/// must parse it (see the module documentation).
#[cfg(test)]
pub(crate) fn parse_rec(b: &[u8]) -> Option<Rec<'_>> {
    let mut r = Rec::default();
    parse_rec_into(b, &mut r, &mut KeyCache::default())?;
    Some(r)
}

/// [`parse_rec`] into a record the caller made (a `Rec` is kilobytes: not moved around).
/// On `None`, `r` holds whatever was read: the caller must not use it.
pub(crate) fn parse_rec_into<'a>(b: &'a [u8], r: &mut Rec<'a>, keys: &mut KeyCache) -> Option<()> {
    scan(b, r, keys, &mut false)
}

/// A record slot for [`Scanned::parse`]: one per record, made where it is used, and parsed
/// into once (a second `parse` would find its fields set and decline the record, as it does a
/// duplicate field). Its drop runs the record's drop glue (a look at each of its ~150 slots,
/// ~2 % of a record's parse) only when the scanner allocated, which it does for nothing but a
/// kept text with an escape in it; a record without one owns no memory, and is just forgotten.
#[derive(Default)]
pub(crate) struct Scanned<'a> {
    rec: ManuallyDrop<Rec<'a>>,
    owns: bool,
}

impl<'a> Scanned<'a> {
    /// The record in `b`, or `None` when serde_json must parse it ([`parse_rec_into`]).
    #[inline]
    pub(crate) fn parse<'s>(&'s mut self, b: &'a [u8], keys: &mut KeyCache) -> Option<&'s Rec<'a>> {
        let read = scan(b, &mut self.rec, keys, &mut self.owns);
        read.map(|()| &*self.rec)
    }
}

impl Drop for Scanned<'_> {
    fn drop(&mut self) {
        if self.owns {
            drop(std::mem::take(&mut *self.rec));
        }
    }
}

/// [`parse_rec_into`]; `owns` is set when the record holds an allocation.
#[inline]
fn scan<'a>(b: &'a [u8], r: &mut Rec<'a>, keys: &mut KeyCache, owns: &mut bool) -> Option<()> {
    // the whole record checked at once, 16 or 32 bytes a step (SSE/AVX2, wasm SIMD)
    let s = simdutf8::basic::from_utf8(b).ok()?;
    let mut p = P {
        s,
        b,
        i: 0,
        owns: false,
    };
    let read = record(&mut p, r, keys);
    *owns |= p.owns;
    read
}

/// The record at `p`, through its end. Apart from [`scan`] so that every return, the early
/// `?` ones too, passes back through `scan`, which records whether the record owns memory.
#[inline]
fn record<'a>(p: &mut P<'a>, r: &mut Rec<'a>, keys: &mut KeyCache) -> Option<()> {
    let b = p.b;
    p.ws();
    let (mut seen_identity, mut seen_properties) = (false, false);
    let mut after = After::START;
    p.object(
        1,
        |p, _| keys.rec.key(p, &mut after, rec_key),
        |field, p| match field {
            None => p.skip_value(1),
            Some(Field::Flex(i)) => set(rec_flex(r, i), p, 1),
            Some(Field::Identity) => {
                if std::mem::replace(&mut seen_identity, true) {
                    return None;
                }
                p.nested(2, &mut r.identity, |p, x| ident(p, 2, x, &mut keys.claim))?;
                Some(())
            }
            Some(Field::Properties) => {
                if std::mem::replace(&mut seen_properties, true) {
                    return None;
                }
                p.nested(2, &mut r.properties, |p, x| props(p, 2, x, &mut keys.props))?;
                Some(())
            }
            Some(Field::Decline) => None,
        },
    )?;
    p.ws();
    (p.i == b.len()).then_some(())
}

/// A typical record (an application reading a secret), to warm a key cache with in checks.
pub(crate) const TYPICAL: &str = r#"{"time":"2026-10-01T00:05:03.5332486Z","category":"AuditEvent","operationName":"SecretGet","resultType":"Success","correlationId":"ac0eee1a-6472-4252-ba5c-617e669c8ac7","callerIpAddress":"52.178.179.59","identity":{"claim":{"oid":"161b4f21","appid":"6510667d","appidacr":"2","xms_az_nwperimid":[],"idtyp":"app"}},"properties":{"id":"https://kv.vault.azure.net/secrets/npm-token/1ca2","clientInfo":"azsdk-js","httpStatusCode":200,"requestUri":"https://kv.vault.azure.net/secrets/npm-token/?api-version=7.4","isAccessPolicyMatch":true,"tlsVersion":"TLS1_3"},"resourceId":"/SUBSCRIPTIONS/2427/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV","operationVersion":"7.4","resultSignature":"OK","durationMs":"120"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path agrees with serde_json on `Debug` output (every field, every variant).
    fn same(text: &str) {
        same_with(text, &mut KeyCache::default());
    }

    /// [`same`] with the key cache of the records before (keys predicted by the key before).
    fn same_with(text: &str, keys: &mut KeyCache) {
        let mut r = Rec::default();
        let fast = parse_rec_into(text.as_bytes(), &mut r, keys).map(|()| r);
        // the cache only saves work: it takes and declines what a fresh one does
        let fresh = parse_rec(text.as_bytes());
        assert_eq!(fast.is_some(), fresh.is_some(), "{text}");
        let serde = serde_json::from_str::<Rec>(text);
        match (fast, serde) {
            (Some(f), Ok(s)) => assert_eq!(format!("{f:?}"), format!("{s:?}"), "{text}"),
            (Some(f), Err(e)) => {
                panic!("fast path accepted what serde rejects ({e}): {text}\n{f:?}")
            }
            (None, _) => {}
        }
    }

    #[test]
    fn a_scanned_record_owns_memory_only_for_an_unescaped_kept_text() {
        let mut keys = KeyCache::default();
        let scan_owns = |t: &str, keys: &mut KeyCache| {
            let mut slot = Scanned::default();
            let read = slot.parse(t.as_bytes(), keys).is_some();
            (read, slot.owns)
        };
        assert_eq!(scan_owns(TYPICAL, &mut keys), (true, false));
        // an escape in a kept text: unescaped into a String, which the slot's drop frees
        let kept = TYPICAL.replace("npm-token/?api", "npm-token/\\\\?api");
        assert_eq!(scan_owns(&kept, &mut keys), (true, true));
        let mut slot = Scanned::default();
        let rec = slot.parse(kept.as_bytes(), &mut keys).expect("read");
        let uri = rec.properties.0.as_ref().and_then(|p| p.request_uri.str());
        assert_eq!(
            uri,
            Some("https://kv.vault.azure.net/secrets/npm-token/\\?api-version=7.4")
        );
        // an escape in a skipped text allocates nothing
        let skipped = TYPICAL.replace(r#""durationMs""#, r#""other":"a\"b","durationMs""#);
        assert_eq!(scan_owns(&skipped, &mut keys), (true, false));
        // declined after an owned text (a duplicate field): still freed
        let declined = kept.replace(r#""durationMs":"120""#, r#""durationMs":"120","time":"x""#);
        assert_eq!(scan_owns(&declined, &mut keys), (false, true));
    }

    #[test]
    fn agrees_with_serde_or_declines() {
        let texts = [
            r#"{"time":"2026-10-01T00:00:00Z","operationName":"SecretGet","durationMs":"13","identity":{"claim":{"oid":"a","xms":[],"idtyp":"app"}},"properties":{"httpStatusCode":200,"requestUri":"https://kv.vault.azure.net/secrets/x?api-version=7.4","extra":{"a":[1,2,{"b":null}]}}}"#,
            r#"  {"time":"t\"q\\\/\n","x":-1.5e3,"y":[true,false,null],"z":{}}  "#,
            r#"{"identity":null,"properties":null,"records":[{"a":1}],"value":{},"tables":"x"}"#,
            r#"{"identity":3,"properties":true,"Identity":{}}"#,
            r#"{"time":1,"time":2}"#,
            r#"{"time":"a" "x":1}"#,
            r#"{"time":"a",}"#,
            r#"{"time":01}"#,
            r#"{"time":-0}"#,
            r#"{"time":18446744073709551616}"#,
            r#"{"time":18446744073709551615}"#,
            r#"{"x":"\ud800"}"#,
            r#"{"time":"\u0041"}"#,
            r#"{"t\u0069me":"x"}"#,
            r#"{"x":"a	b"}"#,
            r#"{"x":[1,}"#,
            r#"{"x":[1}"#,
            r#"{"x":{"a"}}"#,
            r#"{"x":{"a":1,}}"#,
            r#"{"x":nul}"#,
            r#"{"x":1.}"#,
            r#"{"x":1e}"#,
            r#"{"x":"\x"}"#,
            r#"{"x":"\u12G4"}"#,
            r#"{} x"#,
            r#"{"time":"x"}}"#,
            r#"[]"#,
            r#"{"properties":{"properties":{"sku":{"name":"x","Name":"y"}}}}"#,
            r#"{"properties":{"properties":{"sku":{"Name":"x","family":"A"},"networkAcls":{"DefaultAction":"Deny","bypass":null},"enableSoftDelete":true,"softDeleteRetentionInDays":90,"tenantId":"t"}}}"#,
            r#"{"properties":{"properties":{"networkAcls":"{\"defaultAction\":\"Deny\"}"}}}"#,
            r#"{"properties":{"properties":{"sku":null,"sku":{}}}}"#,
            r#"{"properties":{"properties":null,"properties":{}}}"#,
            r#"{"properties":"{\"id\":\"x\"}"}"#,
            r#"{"CallerIPAddress":"1.2.3.4","CallerIpAddress":"5.6.7.8"}"#,
            r#"{"identity":{"claim":{"oid":"x"},"claim":null}}"#,
            r#"{"identity":{"claim":[1,2]}}"#,
            r#"{"identity":{"claim":"text"}}"#,
        ];
        for t in texts {
            same(t);
        }
        // the same texts through one key cache, so keys are predicted from the text before:
        // right, wrong, or a prefix of the key there (also with spaces around the colon)
        let mut keys = KeyCache::default();
        for t in texts.iter().chain(&texts) {
            same_with(t, &mut keys);
            same_with(&t.replace("\":", "\" : "), &mut keys);
            same_with(&t.replace("\":", "x\":"), &mut keys);
        }
        let deep = format!("{{\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        same(&deep);
        assert!(parse_rec(deep.as_bytes()).is_none());
    }

    /// Both searches find what a byte-by-byte search finds, from every start, in texts of
    /// every length around the 16-byte steps, with the byte anywhere (also in the re-read tail).
    #[test]
    fn special_finds_the_first_stop_byte() {
        let naive = |b: &[u8], from: usize| {
            b[from..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|p| from + p)
        };
        for len in 0..50 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0, b'\n', 0x1f] {
                    let mut b = vec![b'a'; len];
                    if at < len {
                        b[at] = stop;
                    }
                    // bytes that are close to the stop bytes but are not ones
                    if len > 3 {
                        b[(at + 2) % len] = if b[(at + 2) % len] == b'a' {
                            b' '
                        } else {
                            b[(at + 2) % len]
                        };
                    }
                    for (k, c) in [0x7f, 0x80, 0xff, b'#', b']', b'!'].into_iter().enumerate() {
                        if len > 0 && (at + 5 + k) % len != at && b[(at + 5 + k) % len] == b'a' {
                            b[(at + 5 + k) % len] = c;
                        }
                    }
                    for from in 0..=len {
                        let want = naive(&b, from);
                        #[cfg(target_arch = "x86_64")]
                        assert_eq!(special_lanes(&b, from), want, "{b:?} from {from}");
                        assert_eq!(special_words(&b, from), want, "{b:?} from {from}");
                    }
                }
            }
        }
    }

    /// Every serde name and alias of `Rec`'s fields is in the key table, mapped to its field
    /// (read from `record.rs` itself, so a field added there cannot be missed here).
    #[test]
    fn the_key_table_covers_every_field_of_rec() {
        let src = include_str!("record.rs");
        let body = &src[src.find("pub struct Rec<").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let mut attrs = String::new();
        let mut n = 0;
        for line in body.lines().skip(1) {
            let t = line.trim();
            if t.starts_with("pub ") {
                let name = t[4..t.find(':').unwrap()].to_string();
                let ty = t[t.find(':').unwrap() + 1..].trim();
                let quoted = |tag: &str| -> Vec<String> {
                    attrs
                        .match_indices(tag)
                        .map(|(i, _)| {
                            let rest = &attrs[i + tag.len()..];
                            rest[..rest.find('"').unwrap()].to_string()
                        })
                        .collect()
                };
                let mut keys = quoted("rename = \"");
                if keys.is_empty() {
                    keys.push(name.clone());
                }
                keys.extend(quoted("alias = \""));
                for k in keys {
                    let f = rec_key(&k).unwrap_or_else(|| panic!("{k} ({name}) not in REC_KEYS"));
                    if ty.starts_with("Flex") {
                        let Field::Flex(i) = f else {
                            panic!("{k} is a scalar")
                        };
                        let mut r = Rec::default();
                        *rec_flex(&mut r, i) = Flex::Bool(true);
                        let dbg = format!("{r:?}");
                        assert!(
                            dbg.contains(&format!(" {name}: Bool(true)")),
                            "{k} → wrong field"
                        );
                    } else {
                        assert!(!matches!(f, Field::Flex(_)), "{k} is not a scalar");
                    }
                    n += 1;
                }
                attrs.clear();
            } else {
                attrs.push_str(t);
            }
        }
        assert!(n > 80, "{n} keys checked");
    }

    /// Every record of every golden fixture and generated JSON shape: the fast path agrees with
    /// serde_json, and takes most records.
    #[test]
    fn agrees_with_serde_on_every_fixture_and_generated_record() {
        use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape};
        let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ingest");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            texts.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
        let cfg = GenConfig {
            seed: 5,
            days: 9,
            scale: 0.05,
            attacks: true,
            ..GenConfig::default()
        };
        let (recs, _) = generate_all(&cfg);
        for shape in [
            OutShape::RawJsonLines,
            OutShape::AzureDiagnosticsJsonLines,
            OutShape::AzkvAuditLogs,
        ] {
            let mut w = writer_for(shape, 0);
            let mut out = Vec::new();
            for r in &recs {
                w.write_record(r, &mut out);
            }
            w.finish(&mut out);
            texts.push((shape.name().to_string(), out));
        }
        let (mut taken, mut all) = (0, 0);
        for (name, t) in &texts {
            // one key cache a file, as ingest keeps it
            let mut keys = KeyCache::default();
            for line in t.split(|&b| b == b'\n') {
                let line = line.trim_ascii();
                if line.first() != Some(&b'{') {
                    continue;
                }
                all += 1;
                let mut r = Rec::default();
                let fast = parse_rec_into(line, &mut r, &mut keys).map(|()| r);
                assert_eq!(fast.is_some(), parse_rec(line).is_some(), "{name}");
                let serde = serde_json::from_slice::<Rec>(line);
                match (fast, serde) {
                    (Some(f), Ok(s)) => {
                        taken += 1;
                        assert_eq!(format!("{f:?}"), format!("{s:?}"), "{name}")
                    }
                    (Some(_), Err(e)) => panic!("{name}: accepted what serde rejects: {e}"),
                    (None, _) => {}
                }
            }
        }
        assert!(all > 1000 && taken * 10 > all * 8, "{taken} of {all} taken");
    }

    /// Read the keys of the object in `text` through `known`, skipping values: the keys, and
    /// how many of them the cache did not predict (read and mapped by `what`).
    fn keys_through(known: &mut Known<u8>, text: &str) -> (Vec<u8>, usize) {
        let mut p = P {
            s: text,
            b: text.as_bytes(),
            i: 0,
            owns: false,
        };
        let (mut out, mut missed, mut after) = (Vec::new(), 0, After::START);
        p.object(
            1,
            |p, _| {
                known.key(p, &mut after, |k| {
                    missed += 1;
                    k.len() as u8
                })
            },
            |f, p| {
                out.push(f);
                p.skip_value(2)
            },
        )
        .expect("an object");
        (out, missed)
    }

    /// Objects that leave keys out (a 401 challenge's properties have no `id`) and ones that
    /// differ after one key: once each order was seen, every key is predicted; a long key (no
    /// pattern) and keys past the slots are read each time, and still right.
    #[test]
    fn the_key_cache_predicts_by_the_key_before() {
        let mut k = Known::default();
        let with_id = r#"{"id":1,"clientInfo":2,"httpStatusCode":3,"requestUri":4,"tls":5}"#;
        let without =
            r#"{"clientInfo":2,"httpStatusCode":3,"requestUri":4,"isAccessPolicyMatch":6,"tls":5}"#;
        assert_eq!(keys_through(&mut k, with_id), (vec![2, 10, 14, 10, 3], 5));
        // only the start and the key after requestUri are new
        assert_eq!(keys_through(&mut k, without), (vec![10, 14, 10, 19, 3], 3));
        for _ in 0..3 {
            assert_eq!(keys_through(&mut k, with_id).1, 0);
            assert_eq!(keys_through(&mut k, without).1, 0);
        }
        // a key of 30 bytes has no pattern: read every time, its neighbours still predicted
        let long = r#"{"a":1,"abcdefghijklmnopqrstuvwxyz0123":2,"b":3}"#;
        assert_eq!(keys_through(&mut k, long), (vec![1, 30, 1], 3));
        assert_eq!(keys_through(&mut k, long), (vec![1, 30, 1], 1));
        // spaces around `:` are not the compact pattern: read, right
        assert_eq!(
            keys_through(&mut k, r#"{"id" :1, "clientInfo":2}"#),
            (vec![2, 10], 1)
        );
        // more distinct keys than slots: the ones past them are read each time
        let many: String = (0..Known::<u8>::SLOTS + 10)
            .map(|i| format!("\"k{i}\":0"))
            .collect::<Vec<_>>()
            .join(",");
        let many = format!("{{{many}}}");
        let (keys, _) = keys_through(&mut k, &many);
        assert_eq!(keys.len(), Known::<u8>::SLOTS + 10);
        let (again, missed) = keys_through(&mut k, &many);
        assert_eq!(again, keys);
        assert!(missed > 0 && missed < 20, "{missed}");
        // and the orders learnt before still hold
        assert_eq!(keys_through(&mut k, with_id), (vec![2, 10, 14, 10, 3], 0));
    }

    #[test]
    fn takes_the_common_record() {
        let t = TYPICAL;
        assert!(parse_rec(t.as_bytes()).is_some());
        same(t);
    }
}
