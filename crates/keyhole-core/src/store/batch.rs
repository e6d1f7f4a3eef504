//! A batch: the events one parse unit (a file, a zip member, a byte range of a large file)
//! produced, in arrival order, with the unit's own dictionaries. Duplicates are dropped as they
//! arrive (memory follows unique events); the store merges batches in unit order.

use super::intern::{
    b3, CfgKey, ClientKey, Dicts, IdentKey, ObjKey, OpKey, ResKey, ResultKey, Strings, Sym, Tpl,
    NONE,
};
use crate::event::{IdentityKind, Str};
use crate::ingest::normalize::{Norm, NormPolicy};
use std::hash::{BuildHasher, Hasher};

/// Per-event flag bits.
pub(crate) mod flag {
    /// Fractional-second digits of the input time (0..=7).
    pub const DIGITS: u8 = 0b0000_0111;
    /// A vault-configuration snapshot in the side table.
    pub const CONFIG: u8 = 0b0000_1000;
    /// An access-policy or firewall change in the side table.
    pub const CHANGE: u8 = 0b0001_0000;
    /// Correlation id: 0 none, 1 lower-case GUID, 2 upper-case GUID, 3 other text (side table).
    pub const CORR_SHIFT: u8 = 5;
    pub const CORR: u8 = 0b0110_0000;
}

/// Duration column: no value.
pub(crate) const DUR_NONE: u16 = u16::MAX;
/// Duration column: the value is in the side table (65,534 ms or more: rare).
pub(crate) const DUR_BIG: u16 = u16::MAX - 1;
/// Record index column: no index (line-oriented shapes).
pub(crate) const NO_RECORD: u64 = u64::MAX;

/// Where an event's record is: file (index into the batch's or store's file table), 1-based
/// line, record index (`NO_RECORD` for none), offset and length in the decoded stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prov {
    pub file: u32,
    pub len: u32,
    pub line: u64,
    pub record: u64,
    pub offset: u64,
}

/// An access-policy change as symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PolicySyms {
    pub object_id: Sym,
    pub tenant_id: Sym,
    pub lists: [Vec<Sym>; 4],
}

/// The rare per-event changes (policy added/removed, firewall rule added/removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangeSyms {
    pub added: Option<PolicySyms>,
    pub removed: Option<PolicySyms>,
    pub ip_added: Sym,
    pub ip_removed: Sym,
}

/// Events in arrival order, as columns; side tables are keyed by row index.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub time: Vec<i64>,
    pub flags: Vec<u8>,
    pub res: Vec<u32>,
    pub op: Vec<u32>,
    pub result: Vec<u32>,
    pub caller: Vec<u32>,
    pub ident: Vec<u32>,
    pub client: Vec<u32>,
    pub object: Vec<u32>,
    pub dur: Vec<u16>,
    pub corr: Vec<u128>,
    pub prov: Vec<Prov>,
    pub cfg: Vec<(u32, u32)>,
    pub changes: Vec<(u32, ChangeSyms)>,
    pub corr_text: Vec<(u32, Sym)>,
    pub dur_big: Vec<(u32, u64)>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Room for exactly `more` events beyond those kept in every per-event column but `prov`
    /// (the store builder packs provenance as it goes; the side tables are rare and grow as
    /// they go).
    pub fn reserve(&mut self, more: usize) {
        macro_rules! reserve {
            ($($col:ident),*) => { $(self.$col.reserve_exact(more);)* };
        }
        reserve!(time, flags, res, op, result, caller, ident, client, object, dur, corr);
    }

    pub fn heap_bytes(&self) -> usize {
        self.time.capacity() * 8
            + self.flags.capacity()
            + (self.res.capacity()
                + self.op.capacity()
                + self.result.capacity()
                + self.caller.capacity()
                + self.ident.capacity()
                + self.client.capacity()
                + self.object.capacity())
                * 4
            + self.dur.capacity() * 2
            + self.corr.capacity() * 16
            + self.prov.capacity() * std::mem::size_of::<Prov>()
            + self.cfg.capacity() * 8
            + self.changes.capacity() * std::mem::size_of::<(u32, ChangeSyms)>()
            + self.corr_text.capacity() * 8
            + self.dur_big.capacity() * 16
    }
}

/// A file a batch's events came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub name: Str,
    /// `Some(shift)`: the decoded stream is the file's own bytes after `shift` bytes (a UTF-8
    /// BOM), so a record can be re-read from the file at `offset + shift`. `None`: decompressed
    /// or transcoded; the record's bytes are not in the file as such.
    pub plain: Option<u8>,
}

/// The events of one parse unit, with its dictionaries.
#[derive(Debug)]
pub struct Batch {
    pub(crate) dicts: Dicts,
    pub(crate) rows: Rows,
    /// De-duplication key of each row.
    pub(crate) keys: Vec<u128>,
    seen: super::build::LazySet,
    pub(crate) files: Vec<FileMeta>,
    /// Records dropped on arrival as duplicates of an earlier record of the batch.
    pub(crate) duplicates: u64,
    /// Keep duplicates (the single-file convenience parse).
    keep_duplicates: bool,
    /// Per symbol: its text's [`text_hash`] for the de-duplication key (`[0, 0]`: not yet).
    key_hashes: Vec<[u64; 2]>,
    /// Distinguishes batches, so a cached file index is never used with another batch's table.
    id: u64,
    /// The record scanner's cache of key positions (parse scratch, not data).
    pub(crate) key_cache: crate::ingest::fast::KeyCache,
    /// What the normaliser remembers between records (parse scratch, not data).
    pub(crate) norm_memo: crate::ingest::normalize::NormMemo,
}

static NEXT_BATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Default for Batch {
    fn default() -> Self {
        Batch::new()
    }
}

/// Each byte's hex digit value, marked 0x10 for `a`-`f`, 0x20 for `A`-`F`, 0x80 when not a hex
/// digit: one table load per digit classifies it and gives its value.
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 0x10 | (10 + i as u8);
        t[b'A' as usize + i] = 0x20 | (10 + i as u8);
        i += 1;
    }
    t
};

/// Parse a GUID (`8-4-4-4-12` hex digits, one case) into 128 bits; the flag says the case.
fn guid(s: &str) -> Option<(u128, u8)> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    // the first 16 digits (8-4-4) and the last 16 (4-12), each into 64 bits
    fn hex(v: u64, part: &[u8], seen: &mut u8) -> u64 {
        part.iter().fold(v, |v, &c| {
            let d = HEX[c as usize];
            *seen |= d;
            (v << 4) | (d & 0xf) as u64
        })
    }
    let mut seen = 0u8;
    let hi = hex(0, &b[0..8], &mut seen);
    let hi = hex(hi, &b[9..13], &mut seen);
    let hi = hex(hi, &b[14..18], &mut seen);
    let lo = hex(0, &b[19..23], &mut seen);
    let lo = hex(lo, &b[24..36], &mut seen);
    let v = ((hi as u128) << 64) | lo as u128;
    match (seen & 0x80 != 0, seen & 0x10 != 0, seen & 0x20 != 0) {
        (true, _, _) | (_, true, true) => None,
        (_, false, true) => Some((v, 2)),
        _ => Some((v, 1)),
    }
}

/// The text of a GUID stored by [`guid`].
pub(crate) fn guid_text(v: u128, upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let d = (v >> (124 - 4 * i)) & 0xf;
        out.push(digits[d as usize] as char);
    }
    out
}

/// The first occurrence of `needle` in `hay` (short texts: a first-byte scan beats building a
/// searcher every call).
fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = memchr::memchr(first, &hay[from..]) {
        let at = from + i;
        if hay[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where `part` is in `url`: by address when it is a slice of it (the normaliser cut the
/// object's name and version out of the URLs), else by search; only after `from`.
#[inline]
fn locate(url: &str, from: usize, part: &str) -> Option<(usize, usize)> {
    if part.is_empty() {
        return None;
    }
    let (u, p) = (url.as_ptr() as usize, part.as_ptr() as usize);
    if p >= u + from && p + part.len() <= u + url.len() {
        let at = p - u;
        return Some((at, at + part.len()));
    }
    let rest = url.get(from..)?;
    find_bytes(rest.as_bytes(), part.as_bytes()).map(|i| (from + i, from + i + part.len()))
}

/// Split a URL around the event's object name and version (looked for after the host) into
/// a template: the rebuilt text is always exactly the input.
fn template(
    strings: &mut Strings,
    url: Option<&str>,
    name: Option<&str>,
    version: Option<&str>,
) -> Tpl {
    let Some(url) = url else {
        return Tpl::NONE;
    };
    let u = url.as_bytes();
    let host = if u.starts_with(b"https://") {
        Some(8)
    } else {
        u.windows(3).position(|w| w == b"://").map(|i| i + 3)
    };
    let path_from = host
        .and_then(|h| memchr::memchr(b'/', &u[h..]).map(|p| h + p))
        .unwrap_or(url.len());
    let n = name.and_then(|t| locate(url, path_from, t));
    let v = version.and_then(|t| locate(url, n.map_or(path_from, |n| n.1), t));
    let (shape, cuts, k): (u8, [(usize, usize); 2], usize) = match (n, v) {
        (None, None) => (0, [(0, 0); 2], 0),
        (Some(n), None) => (1, [n, (0, 0)], 1),
        (None, Some(v)) => (2, [v, (0, 0)], 1),
        (Some(n), Some(v)) => (3, [n, v], 2),
    };
    let mut lit = [NONE; 3];
    let mut at = 0;
    for (i, (a, b)) in cuts[..k].iter().enumerate() {
        lit[i] = strings.get(&url[at..*a]);
        at = *b;
    }
    lit[k] = strings.get(&url[at..]);
    Tpl { shape, lit }
}

/// The seeds of the de-duplication key's two independent 64-bit halves.
const KEY_SEEDS: [u64; 2] = [0x6b65_7968_6f6c_6531, 0x9e37_79b9_7f4a_7c15];

/// The hasher of each half of the de-duplication key, before any input.
#[inline]
fn key_hashers() -> [foldhash::quality::FoldHasher<'static>; 2] {
    // each half written out: `[T; 2]::map` goes through an array drain that wasm32 builds
    // leave out of line (0.8 % of a V8 profile's samples; a wasm parse runs ~0.5 % fewer
    // instructions without it, scripts/wasm-bench.sh)
    let hasher = |seed: u64| foldhash::quality::FixedState::with_seed(seed).build_hasher();
    [hasher(KEY_SEEDS[0]), hasher(KEY_SEEDS[1])]
}

/// A text as the de-duplication key sees it: two independently seeded 64-bit hashes of its
/// bytes, a function of the text alone (the same in every batch).
fn text_hash(t: &str) -> [u64; 2] {
    let [mut a, mut b] = key_hashers();
    a.write(t.as_bytes());
    b.write(t.as_bytes());
    [a.finish(), b.finish()]
}

/// The de-duplication key of an event, built field by field: the time to the millisecond (the
/// portal CSV's precision) and the texts every shape carries. Each field is a tag (none, or
/// which kind of value) and the value, a text by its [`text_hash`] (cached per symbol: the
/// texts were interned already); each half of the key folds one half of every text's hash.
struct KeyBuilder([foldhash::quality::FoldHasher<'static>; 2]);

impl KeyBuilder {
    fn new(millis: i64) -> KeyBuilder {
        let mut k = KeyBuilder(key_hashers());
        k.0.iter_mut().for_each(|h| h.write_u128(millis as u128));
        k
    }

    #[inline(always)]
    fn none(&mut self) {
        self.0.iter_mut().for_each(|h| h.write_u128(0));
    }

    /// A value of kind `tag` (not 0) given by its two halves.
    #[inline(always)]
    fn value(&mut self, tag: u8, v: [u64; 2]) {
        for (h, v) in self.0.iter_mut().zip(v) {
            h.write_u128((tag as u128) << 64 | v as u128);
        }
    }

    fn text(&mut self, t: Option<&str>) {
        match t {
            None => self.none(),
            Some(t) => self.value(1, text_hash(t)),
        }
    }

    /// An interned text, its hash cached per symbol (`[0, 0]`: not computed yet; the cache
    /// covers every symbol, see [`Batch::push`]).
    #[inline(always)]
    fn sym(&mut self, cache: &mut [[u64; 2]], strings: &Strings, sym: Sym) {
        let Some(t) = strings.text(sym) else {
            return self.none();
        };
        let h = &mut cache[sym as usize];
        if *h == [0; 2] {
            *h = text_hash(t);
        }
        self.value(1, *h);
    }

    fn finish(&self) -> u128 {
        ((self.0[0].finish() as u128) << 64) | self.0[1].finish() as u128
    }
}

impl Batch {
    pub fn new() -> Batch {
        Batch {
            dicts: Dicts::new(),
            rows: Rows::default(),
            keys: Vec::new(),
            seen: Default::default(),
            files: Vec::new(),
            duplicates: 0,
            keep_duplicates: false,
            key_hashes: Vec::new(),
            id: NEXT_BATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            key_cache: Default::default(),
            norm_memo: Default::default(),
        }
    }

    /// This batch's identity (for caches of its file indices).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Shift every event's line by `dline` and record index (when it has one) by `drecord`:
    /// a resumed unit's numbers, counted from its own start, become the file's.
    pub(crate) fn rebase(&mut self, dline: u64, drecord: u64) {
        if dline == 0 && drecord == 0 {
            return;
        }
        for p in &mut self.rows.prov {
            p.line = p.line.wrapping_add(dline);
            if p.record != NO_RECORD {
                p.record = p.record.wrapping_add(drecord);
            }
        }
    }

    /// A batch that keeps every record, duplicates included.
    pub(crate) fn keeping_duplicates() -> Batch {
        Batch {
            keep_duplicates: true,
            ..Batch::new()
        }
    }

    /// Events kept.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    /// Records dropped as duplicates of earlier records of this batch.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Events that fit before a column grows.
    pub(crate) fn room(&self) -> usize {
        self.rows.time.capacity() - self.rows.time.len()
    }

    /// Room for `more` events beyond those kept: columns and de-duplication keys.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.rows.reserve(more);
        self.rows.prov.reserve_exact(more);
        self.keys.reserve_exact(more);
    }

    /// Heap bytes held (columns, dictionaries, de-duplication set).
    pub fn heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
            + self.dicts.heap_bytes()
            + self.keys.capacity() * 16
            + self.key_hashes.capacity() * 16
            + self.seen.heap_bytes()
    }

    /// The index of a file in this batch's table (added when new).
    pub(crate) fn file(&mut self, meta: &FileMeta) -> u32 {
        if let Some(i) = self.files.iter().rposition(|f| f == meta) {
            return i as u32;
        }
        self.files.push(meta.clone());
        (self.files.len() - 1) as u32
    }

    fn policy(strings: &mut Strings, p: &Option<NormPolicy>) -> Option<PolicySyms> {
        p.as_ref().map(|p| {
            let list = |strings: &mut Strings, l: &[String]| -> Vec<Sym> {
                l.iter().map(|s| strings.get(s)).collect()
            };
            PolicySyms {
                object_id: strings.opt_lower(p.object_id_lower),
                tenant_id: strings.opt_lower(p.tenant_id_lower),
                lists: [
                    list(strings, p.keys),
                    list(strings, p.secrets),
                    list(strings, p.certificates),
                    list(strings, p.storage),
                ],
            }
        })
    }

    /// Add one normalised record. Returns false when it was a duplicate (dropped).
    pub(crate) fn push(&mut self, n: &Norm, prov: Prov) -> bool {
        let d = &mut self.dicts;
        let s = &mut d.strings;
        let vault = s.get_lower(n.vault_lower);
        let res = ResKey {
            vault,
            subscription: s.opt_lower(n.subscription_lower),
            resource_group: s.opt_lower(n.resource_group_lower),
        };
        let opk = OpKey {
            name: s.get(n.operation),
            version: s.opt(n.operation_version),
            category: s.opt(n.category),
        };
        let result = ResultKey {
            status: n.status.unwrap_or(u16::MAX),
            result_type: s.opt(n.result_type),
            signature: s.opt(n.result_signature),
            description: s.opt(n.result_description),
        };
        let caller = s.opt(n.caller_ip);
        let id = &n.identity;
        let ident = IdentKey {
            object_id: s.opt_lower(id.object_id_lower),
            upn: s.opt(id.upn),
            app_id: s.opt_lower(id.app_id_lower),
            tenant_id: s.opt_lower(id.tenant_id_lower),
            kind: match id.kind {
                None => 0,
                Some(IdentityKind::User) => 1,
                Some(IdentityKind::App) => 2,
            },
        };
        let client = ClientKey {
            client_info: s.opt(n.client_info),
            tls_version: s.opt(n.tls_version),
            assignment_id: s.opt_lower(n.assignment_id_lower),
            policy_match: b3(n.access_policy_match),
            rbac: b3(n.rbac_authorized),
        };
        let name = s.opt(n.object_name);
        let version = s.opt(n.object_version);
        let obj = ObjKey {
            kind: n.object_kind as u8,
            name,
            version,
            request_uri: template(s, n.request_uri, n.object_name, n.object_version),
            object_id: template(s, n.object_id, n.object_name, n.object_version),
        };

        // ---- de-duplication, on arrival ----
        let corr = n.correlation_id.map(|t| (t, guid(t)));
        let mut k = KeyBuilder::new(n.time.millis());
        if self.key_hashes.len() < s.len() {
            self.key_hashes.resize(s.len(), [0; 2]);
        }
        let c = &mut self.key_hashes;
        k.sym(c, s, vault);
        k.sym(c, s, opk.name);
        match corr {
            None => k.none(),
            Some((_, Some((v, form)))) => k.value(1 + form, [(v >> 64) as u64, v as u64]),
            Some((t, None)) => k.text(Some(t)),
        }
        match n.status {
            None => k.none(),
            Some(v) => k.value(1, [v as u64; 2]),
        }
        k.sym(c, s, caller);
        k.text(n.request_uri);
        k.text(n.object_id);
        k.sym(c, s, ident.object_id);
        // Records that differ only in these are different records (the docs example and its
        // hand-edited "Forbidden" variant; the same example redacted with another app id).
        k.sym(c, s, result.signature);
        k.sym(c, s, ident.upn);
        k.sym(c, s, ident.app_id);
        let key = k.finish();
        if !self.keep_duplicates {
            let ms = n.time.millis();
            if self.seen.prepare(&self.keys, ms, ms) && self.seen.contains(&key) {
                self.duplicates += 1;
                return false;
            }
            self.seen.pend(self.keys.len(), ms, ms);
        }

        let row = self.rows.len() as u32;
        let mut flags = n.time.digits.min(7);
        let r = &mut self.rows;
        r.time.push(n.time.micros);
        r.res.push(d.res.id(res));
        r.op.push(d.ops.id(opk));
        r.result.push(d.results.id(result));
        r.caller.push(d.callers.id(caller));
        r.ident.push(d.idents.id(ident));
        r.client.push(d.clients.id(client));
        r.object.push(d.objects.id(obj));
        r.dur.push(match n.duration_ms {
            None => DUR_NONE,
            Some(v) if v < DUR_BIG as u64 => v as u16,
            Some(v) => {
                r.dur_big.push((row, v));
                DUR_BIG
            }
        });
        let (corr, form) = match corr {
            None => (0, 0),
            Some((_, Some((v, f)))) => (v, f),
            Some((t, None)) => {
                r.corr_text.push((row, d.strings.get(t)));
                (0, 3)
            }
        };
        r.corr.push(corr);
        flags |= form << flag::CORR_SHIFT;
        if let Some(c) = &n.vault_config {
            let s = &mut d.strings;
            let k = CfgKey {
                network_default_action: s.opt(c.network_default_action),
                network_bypass: s.opt(c.network_bypass),
                sku: s.opt(c.sku),
                tenant_id: s.opt_lower(c.tenant_id_lower),
                retention_days: c.soft_delete_retention_days.unwrap_or(u32::MAX),
                bools: [
                    b3(c.soft_delete),
                    b3(c.purge_protection),
                    b3(c.rbac_authorization),
                    b3(c.enabled_for_deployment),
                    b3(c.enabled_for_disk_encryption),
                    b3(c.enabled_for_template_deployment),
                ],
            };
            r.cfg.push((row, d.configs.id(k)));
            flags |= flag::CONFIG;
        }
        if n.policy_added.is_some()
            || n.policy_removed.is_some()
            || n.ip_rule_added.is_some()
            || n.ip_rule_removed.is_some()
        {
            let s = &mut d.strings;
            let ch = ChangeSyms {
                added: Self::policy(s, &n.policy_added),
                removed: Self::policy(s, &n.policy_removed),
                ip_added: s.opt(n.ip_rule_added),
                ip_removed: s.opt(n.ip_rule_removed),
            };
            r.changes.push((row, ch));
            flags |= flag::CHANGE;
        }
        r.flags.push(flags);
        r.prov.push(prov);
        self.keys.push(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time parser the table-driven one replaced.
    fn guid_by_bytes(s: &str) -> Option<(u128, u8)> {
        let b = s.as_bytes();
        if b.len() != 36 {
            return None;
        }
        let mut v: u128 = 0;
        let (mut lower, mut upper) = (false, false);
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return None;
                }
                continue;
            }
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => {
                    lower = true;
                    c - b'a' + 10
                }
                b'A'..=b'F' => {
                    upper = true;
                    c - b'A' + 10
                }
                _ => return None,
            };
            v = (v << 4) | d as u128;
        }
        match (lower, upper) {
            (true, true) => None,
            (false, true) => Some((v, 2)),
            _ => Some((v, 1)),
        }
    }

    #[test]
    fn guid_table_parse_matches_the_byte_parser() {
        // every byte value at every position of a lower-, an upper- and a digits-only GUID
        for base in [
            "73dad7c2-13a8-4622-bac7-2a3e80d7f815",
            "73DAD7C2-13A8-4622-BAC7-2A3E80D7F815",
            "01234567-8901-2345-6789-012345678901",
        ] {
            assert!(guid(base).is_some());
            for at in 0..36 {
                for c in 0..=255u8 {
                    let mut b = base.as_bytes().to_vec();
                    b[at] = c;
                    let Ok(t) = String::from_utf8(b) else {
                        continue;
                    };
                    assert_eq!(guid(&t), guid_by_bytes(&t), "{t:?}");
                }
            }
        }
        for t in [
            "",
            "x",
            "73dad7c2-13a8-4622-bac7-2a3e80d7f81",
            "é3dad7c2-13a8-4622-bac7-2a3e80d7f81",
        ] {
            assert_eq!(guid(t), guid_by_bytes(t), "{t:?}");
        }
    }

    #[test]
    fn guids_round_trip_in_their_case() {
        for t in [
            "73dad7c2-13a8-4622-bac7-2a3e80d7f815",
            "73DAD7C2-13A8-4622-BAC7-2A3E80D7F815",
            "00000000-0000-0000-0000-000000000000",
        ] {
            let (v, f) = guid(t).unwrap();
            assert_eq!(guid_text(v, f == 2), t);
        }
        assert_eq!(
            guid("73dad7c2-13a8-4622-bac7-2a3E80D7F815"),
            None,
            "mixed case"
        );
        assert_eq!(guid("73dad7c2x13a8-4622-bac7-2a3e80d7f815"), None);
        assert_eq!(guid("xxxxxxxxxxxxx"), None);
        assert_eq!(guid(""), None);
    }

    #[test]
    fn key_fields_hash_by_text_not_by_symbol() {
        let texts = ["kv-prod", "SecretGet", "", "10.0.0.1"];
        let key = |order: &[usize], missing: Option<usize>| {
            // interned in `order` (symbols differ between batches), keyed in text order
            let mut s = Strings::new();
            let syms: Vec<Sym> = order.iter().map(|&i| s.get(texts[i])).collect();
            let sym_of = |i: usize| syms[order.iter().position(|&j| j == i).unwrap()];
            let mut cache = vec![[0; 2]; s.len()];
            let mut by_sym = KeyBuilder::new(1_700_000_000_123);
            let mut by_text = KeyBuilder::new(1_700_000_000_123);
            for (i, t) in texts.iter().enumerate() {
                if Some(i) == missing {
                    by_sym.sym(&mut cache, &s, NONE);
                    by_text.text(None);
                } else {
                    by_sym.sym(&mut cache, &s, sym_of(i));
                    by_text.text(Some(t));
                }
            }
            assert_eq!(by_sym.finish(), by_text.finish());
            by_sym.finish()
        };
        let k = key(&[0, 1, 2, 3], None);
        assert_eq!(key(&[3, 2, 1, 0], None), k);
        assert_eq!(key(&[2, 0, 3, 1], None), k);
        // a missing text is not the empty text, and each field counts
        let missing: Vec<u128> = (0..texts.len())
            .map(|i| key(&[0, 1, 2, 3], Some(i)))
            .collect();
        for (i, m) in missing.iter().enumerate() {
            assert_ne!(*m, k, "field {i}");
            assert!(missing[i + 1..].iter().all(|o| o != m), "field {i}");
        }
        let mut other = KeyBuilder::new(1_700_000_000_124);
        texts.iter().for_each(|t| other.text(Some(t)));
        assert_ne!(other.finish(), k, "the millisecond counts");
    }

    #[test]
    fn templates_rebuild_exactly() {
        let mut s = Strings::new();
        let (name, ver) = (Some("npm-token"), Some("1ca2cd9c7110567daffb91d93b29215a"));
        let cases = [
            "https://kv.vault.azure.net/secrets/npm-token/1ca2cd9c7110567daffb91d93b29215a",
            "https://kv.vault.azure.net/secrets/npm-token/?api-version=7.4",
            "https://kv.vault.azure.net/secrets?api-version=7.4",
            "https://npm-token.vault.azure.net/secrets/npm-token/1ca2cd9c7110567daffb91d93b29215a/x",
            "1ca2cd9c7110567daffb91d93b29215a",
            "",
        ];
        for url in cases {
            let t = template(&mut s, Some(url), name, ver);
            let text = |k: usize| s.text(t.lit[k]).unwrap_or("");
            let rebuilt = match t.shape {
                0 => text(0).to_string(),
                1 => format!("{}npm-token{}", text(0), text(1)),
                2 => format!("{}1ca2cd9c7110567daffb91d93b29215a{}", text(0), text(1)),
                _ => format!(
                    "{}npm-token{}1ca2cd9c7110567daffb91d93b29215a{}",
                    text(0),
                    text(1),
                    text(2)
                ),
            };
            assert_eq!(rebuilt, url);
        }
        // the host is not searched: the vault named like the secret keeps its literal host
        let t = template(
            &mut s,
            Some("https://npm-token.vault.azure.net/secrets/npm-token/"),
            name,
            None,
        );
        assert_eq!(
            s.text(t.lit[0]),
            Some("https://npm-token.vault.azure.net/secrets/")
        );
        assert_eq!(template(&mut s, None, name, ver), Tpl::NONE);
    }
}
