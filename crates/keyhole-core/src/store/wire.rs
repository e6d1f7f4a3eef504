//! A batch as bytes: what a parse unit produced, serialised by the page's parse workers into a
//! transferable `ArrayBuffer` and read back by the analysis worker, which merges it in unit
//! order exactly as the CLI merges its threads' batches. Pure (no I/O), little-endian, versioned.
//!
//! Reading never trusts the bytes: every length is checked against what is left before anything
//! is allocated, every text is UTF-8, every symbol, dictionary id, file index and side-table row
//! is in range, and the side tables are in row order. A truncated or corrupted buffer is a
//! [`WireError`], never a panic, and a decoded batch can be merged without a check failing later.
//!
//! Layout: `KHB1`, the string table, the tuple dictionaries (resource, operation, result,
//! caller, identity, client, object, configuration), the rows (n, then one column after the
//! other), the side tables, the de-duplication keys, the file table, the duplicate count.

use super::batch::{ChangeSyms, PolicySyms, Prov, Rows};
use super::intern::{
    CfgKey, ClientKey, Dicts, IdentKey, ObjKey, OpKey, ResKey, ResultKey, Strings, Sym, Tpl, NONE,
};
use super::{Batch, FileMeta};
use std::fmt;

const MAGIC: &[u8; 4] = b"KHB1";

/// Why bytes are not a batch (or a unit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad batch bytes: {}", self.0)
    }
}

impl std::error::Error for WireError {}

fn bad<T>(what: impl Into<String>) -> Result<T, WireError> {
    Err(WireError(what.into()))
}

/// Appends little-endian values.
#[derive(Default)]
pub(crate) struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u128(&mut self, v: u128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    pub fn str(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub fn opt_u8(&mut self, v: Option<u8>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.u8(v);
            }
        }
    }
}

/// Reads what [`Writer`] wrote; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

macro_rules! read_le {
    ($name:ident, $t:ty) => {
        pub fn $name(&mut self) -> Result<$t, WireError> {
            let b = self.take(std::mem::size_of::<$t>())?;
            Ok(<$t>::from_le_bytes(b.try_into().expect("sized")))
        }
    };
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader { b, at: 0 }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.b.len() - self.at {
            return bad(format!(
                "truncated: {n} bytes wanted at offset {}, {} left",
                self.at,
                self.b.len() - self.at
            ));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    read_le!(u8, u8);
    read_le!(u16, u16);
    read_le!(u32, u32);
    read_le!(u64, u64);
    read_le!(i64, i64);
    read_le!(u128, u128);

    /// A count of items at least `min_size` bytes each: never more than the bytes left allow
    /// (so a corrupted count cannot make the reader allocate).
    pub fn len(&mut self, min_size: usize) -> Result<usize, WireError> {
        let n = self.u64()?;
        let left = (self.b.len() - self.at) as u64;
        if n.saturating_mul(min_size.max(1) as u64) > left {
            return bad(format!("count {n} larger than the {left} bytes left"));
        }
        Ok(n as usize)
    }

    pub fn str(&mut self) -> Result<&'a str, WireError> {
        let n = self.len(1)?;
        std::str::from_utf8(self.take(n)?).map_err(|_| WireError("text is not UTF-8".into()))
    }

    pub fn bool(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => bad(format!("bad flag {v}")),
        }
    }

    pub fn opt_u8(&mut self) -> Result<Option<u8>, WireError> {
        Ok(if self.bool()? { Some(self.u8()?) } else { None })
    }

    /// At the end: nothing may follow.
    pub fn end(&self) -> Result<(), WireError> {
        if self.at != self.b.len() {
            return bad(format!("{} bytes after the end", self.b.len() - self.at));
        }
        Ok(())
    }
}

fn sym(r: &mut Reader, strings: usize) -> Result<Sym, WireError> {
    let s = r.u32()?;
    if s != NONE && s as usize >= strings {
        return bad(format!("symbol {s} of {strings}"));
    }
    Ok(s)
}

fn tpl_put(w: &mut Writer, t: &Tpl) {
    w.u8(t.shape);
    for s in t.lit {
        w.u32(s);
    }
}

fn tpl_get(r: &mut Reader, n: usize) -> Result<Tpl, WireError> {
    let shape = r.u8()?;
    if shape > 3 && shape != u8::MAX {
        return bad(format!("template shape {shape}"));
    }
    Ok(Tpl {
        shape,
        lit: [sym(r, n)?, sym(r, n)?, sym(r, n)?],
    })
}

fn policy_put(w: &mut Writer, p: &Option<PolicySyms>) {
    let Some(p) = p else { return w.u8(0) };
    w.u8(1);
    w.u32(p.object_id);
    w.u32(p.tenant_id);
    for l in &p.lists {
        w.len(l.len());
        for s in l {
            w.u32(*s);
        }
    }
}

fn policy_get(r: &mut Reader, n: usize) -> Result<Option<PolicySyms>, WireError> {
    if !r.bool()? {
        return Ok(None);
    }
    let object_id = sym(r, n)?;
    let tenant_id = sym(r, n)?;
    let mut list = || -> Result<Vec<Sym>, WireError> {
        let k = r.len(4)?;
        (0..k).map(|_| sym(r, n)).collect()
    };
    Ok(Some(PolicySyms {
        object_id,
        tenant_id,
        lists: [list()?, list()?, list()?, list()?],
    }))
}

/// A dictionary of tuples: `put` writes one key; `get` reads one (checking its symbols).
fn tuples_put<K: Copy>(w: &mut Writer, keys: &[K], put: impl Fn(&mut Writer, &K)) {
    w.len(keys.len());
    for k in keys {
        put(w, k);
    }
}

fn tuples_get<K: Copy + Eq + std::hash::Hash>(
    r: &mut Reader,
    min_size: usize,
    mut get: impl FnMut(&mut Reader) -> Result<K, WireError>,
) -> Result<super::intern::Tuples<K>, WireError> {
    let n = r.len(min_size)?;
    let mut t = super::intern::Tuples::default();
    for i in 0..n {
        if t.id(get(r)?) as usize != i {
            return bad("a dictionary repeats a tuple");
        }
    }
    Ok(t)
}

fn dicts_put(w: &mut Writer, d: &Dicts) {
    let texts: Vec<&str> = d.strings.iter().collect();
    w.len(texts.len());
    for t in texts {
        w.str(t);
    }
    tuples_put(w, d.res.keys(), |w, k| {
        w.u32(k.vault);
        w.u32(k.subscription);
        w.u32(k.resource_group);
    });
    tuples_put(w, d.ops.keys(), |w, k| {
        w.u32(k.name);
        w.u32(k.version);
        w.u32(k.category);
    });
    tuples_put(w, d.results.keys(), |w, k| {
        w.u16(k.status);
        w.u32(k.result_type);
        w.u32(k.signature);
        w.u32(k.description);
    });
    tuples_put(w, d.callers.keys(), |w, k| w.u32(*k));
    tuples_put(w, d.idents.keys(), |w, k| {
        w.u32(k.object_id);
        w.u32(k.upn);
        w.u32(k.app_id);
        w.u32(k.tenant_id);
        w.u8(k.kind);
    });
    tuples_put(w, d.clients.keys(), |w, k| {
        w.u32(k.client_info);
        w.u32(k.tls_version);
        w.u32(k.assignment_id);
        w.u8(k.policy_match);
        w.u8(k.rbac);
    });
    tuples_put(w, d.objects.keys(), |w, k| {
        w.u8(k.kind);
        w.u32(k.name);
        w.u32(k.version);
        tpl_put(w, &k.request_uri);
        tpl_put(w, &k.object_id);
    });
    tuples_put(w, d.configs.keys(), |w, k| {
        w.u32(k.network_default_action);
        w.u32(k.network_bypass);
        w.u32(k.sku);
        w.u32(k.tenant_id);
        w.u32(k.retention_days);
        for b in k.bools {
            w.u8(b);
        }
    });
}

fn tri(r: &mut Reader) -> Result<u8, WireError> {
    let v = r.u8()?;
    if v > 2 {
        return bad(format!("three-valued byte {v}"));
    }
    Ok(v)
}

fn dicts_get(r: &mut Reader) -> Result<Dicts, WireError> {
    let mut strings = Strings::new();
    let n = r.len(8)?;
    for i in 0..n {
        if strings.get(r.str()?) as usize != i {
            return bad("the string table repeats a text");
        }
    }
    let res = tuples_get(r, 12, |r| {
        Ok(ResKey {
            vault: sym(r, n)?,
            subscription: sym(r, n)?,
            resource_group: sym(r, n)?,
        })
    })?;
    let ops = tuples_get(r, 12, |r| {
        Ok(OpKey {
            name: sym(r, n)?,
            version: sym(r, n)?,
            category: sym(r, n)?,
        })
    })?;
    let results = tuples_get(r, 14, |r| {
        Ok(ResultKey {
            status: r.u16()?,
            result_type: sym(r, n)?,
            signature: sym(r, n)?,
            description: sym(r, n)?,
        })
    })?;
    let callers = tuples_get(r, 4, |r| sym(r, n))?;
    let idents = tuples_get(r, 17, |r| {
        let k = IdentKey {
            object_id: sym(r, n)?,
            upn: sym(r, n)?,
            app_id: sym(r, n)?,
            tenant_id: sym(r, n)?,
            kind: r.u8()?,
        };
        if k.kind > 2 {
            return bad(format!("identity kind {}", k.kind));
        }
        Ok(k)
    })?;
    let clients = tuples_get(r, 14, |r| {
        Ok(ClientKey {
            client_info: sym(r, n)?,
            tls_version: sym(r, n)?,
            assignment_id: sym(r, n)?,
            policy_match: tri(r)?,
            rbac: tri(r)?,
        })
    })?;
    let objects = tuples_get(r, 35, |r| {
        Ok(ObjKey {
            kind: r.u8()?,
            name: sym(r, n)?,
            version: sym(r, n)?,
            request_uri: tpl_get(r, n)?,
            object_id: tpl_get(r, n)?,
        })
    })?;
    let configs = tuples_get(r, 26, |r| {
        let mut k = CfgKey {
            network_default_action: sym(r, n)?,
            network_bypass: sym(r, n)?,
            sku: sym(r, n)?,
            tenant_id: sym(r, n)?,
            retention_days: r.u32()?,
            bools: [0; 6],
        };
        for b in &mut k.bools {
            *b = tri(r)?;
        }
        Ok(k)
    })?;
    Ok(Dicts {
        strings,
        res,
        ops,
        results,
        callers,
        idents,
        clients,
        objects,
        configs,
    })
}

/// Side-table rows: below `n` and strictly increasing (the row view binary-searches them).
fn side_rows<T>(t: &[(u32, T)], n: usize, what: &str) -> Result<(), WireError> {
    let mut prev: Option<u32> = None;
    for (row, _) in t {
        if *row as usize >= n || prev.is_some_and(|p| p >= *row) {
            return bad(format!("{what}: row {row} out of order or range"));
        }
        prev = Some(*row);
    }
    Ok(())
}

/// Append a batch to `w`.
pub(crate) fn batch_put(w: &mut Writer, b: &Batch) {
    w.buf.extend_from_slice(MAGIC);
    dicts_put(w, &b.dicts);
    let r = &b.rows;
    let n = r.len();
    // the rest's size, reserved at once: grown by doubling, a 64 MiB unit's bytes held up to
    // twice their size beside its batch (the page's parse workers keep that high-water mark)
    let policy = |p: &Option<PolicySyms>| {
        p.as_ref().map_or(1, |p| {
            9 + p.lists.iter().map(|l| 8 + 4 * l.len()).sum::<usize>()
        })
    };
    w.buf.reserve_exact(
        8 + n * (8 + 1 + 7 * 4 + 2 + 16 + 4 + 4 + 8 + 8 + 8)
            + b.keys.len() * 16
            + 8
            + r.cfg.len() * 8
            + 8
            + r.changes
                .iter()
                .map(|(_, c)| 12 + policy(&c.added) + policy(&c.removed))
                .sum::<usize>()
            + 8
            + r.corr_text.len() * 8
            + 8
            + r.dur_big.len() * 12
            + 8
            + b.files.iter().map(|f| 8 + f.name.len() + 2).sum::<usize>()
            + 8,
    );
    w.len(n);
    r.time.iter().for_each(|v| w.i64(*v));
    w.buf.extend_from_slice(&r.flags);
    for col in [
        &r.res, &r.op, &r.result, &r.caller, &r.ident, &r.client, &r.object,
    ] {
        col.iter().for_each(|v| w.u32(*v));
    }
    r.dur.iter().for_each(|v| w.u16(*v));
    r.corr.iter().for_each(|v| w.u128(*v));
    for p in &r.prov {
        w.u32(p.file);
        w.u32(p.len);
        w.u64(p.line);
        w.u64(p.record);
        w.u64(p.offset);
    }
    b.keys.iter().for_each(|v| w.u128(*v));
    w.len(r.cfg.len());
    for (row, c) in &r.cfg {
        w.u32(*row);
        w.u32(*c);
    }
    w.len(r.changes.len());
    for (row, c) in &r.changes {
        w.u32(*row);
        policy_put(w, &c.added);
        policy_put(w, &c.removed);
        w.u32(c.ip_added);
        w.u32(c.ip_removed);
    }
    w.len(r.corr_text.len());
    for (row, s) in &r.corr_text {
        w.u32(*row);
        w.u32(*s);
    }
    w.len(r.dur_big.len());
    for (row, v) in &r.dur_big {
        w.u32(*row);
        w.u64(*v);
    }
    w.len(b.files.len());
    for f in &b.files {
        w.str(&f.name);
        w.opt_u8(f.plain);
    }
    w.u64(b.duplicates);
}

/// Read a batch written by [`batch_put`].
pub(crate) fn batch_get(r: &mut Reader) -> Result<Batch, WireError> {
    if r.take(4)? != MAGIC {
        return bad("not a Keyhole batch (magic)");
    }
    let dicts = dicts_get(r)?;
    let strings = dicts.strings.iter().count();
    // per row: time 8, flags 1, seven ids 28, duration 2, correlation 16, provenance 32, key 16
    let n = r.len(103)?;
    let mut rows = Rows {
        time: (0..n).map(|_| r.i64()).collect::<Result<_, _>>()?,
        flags: r.take(n)?.to_vec(),
        ..Rows::default()
    };
    let lens = [
        dicts.res.len(),
        dicts.ops.len(),
        dicts.results.len(),
        dicts.callers.len(),
        dicts.idents.len(),
        dicts.clients.len(),
        dicts.objects.len(),
    ];
    let mut cols: Vec<Vec<u32>> = Vec::with_capacity(7);
    for len in lens {
        let col: Vec<u32> = (0..n).map(|_| r.u32()).collect::<Result<_, _>>()?;
        if let Some(bad_id) = col.iter().find(|&&v| v as usize >= len) {
            return bad(format!("dictionary id {bad_id} of {len}"));
        }
        cols.push(col);
    }
    let mut cols = cols.into_iter();
    let mut next = || cols.next().expect("seven columns");
    rows.res = next();
    rows.op = next();
    rows.result = next();
    rows.caller = next();
    rows.ident = next();
    rows.client = next();
    rows.object = next();
    rows.dur = (0..n).map(|_| r.u16()).collect::<Result<_, _>>()?;
    rows.corr = (0..n).map(|_| r.u128()).collect::<Result<_, _>>()?;
    rows.prov = (0..n)
        .map(|_| {
            Ok(Prov {
                file: r.u32()?,
                len: r.u32()?,
                line: r.u64()?,
                record: r.u64()?,
                offset: r.u64()?,
            })
        })
        .collect::<Result<_, WireError>>()?;
    let keys: Vec<u128> = (0..n).map(|_| r.u128()).collect::<Result<_, _>>()?;
    let k = r.len(8)?;
    rows.cfg = (0..k)
        .map(|_| Ok((r.u32()?, r.u32()?)))
        .collect::<Result<_, WireError>>()?;
    if let Some((_, c)) = rows
        .cfg
        .iter()
        .find(|(_, c)| *c as usize >= dicts.configs.len())
    {
        return bad(format!("configuration id {c}"));
    }
    let k = r.len(14)?;
    rows.changes = (0..k)
        .map(|_| {
            Ok((
                r.u32()?,
                ChangeSyms {
                    added: policy_get(r, strings)?,
                    removed: policy_get(r, strings)?,
                    ip_added: sym(r, strings)?,
                    ip_removed: sym(r, strings)?,
                },
            ))
        })
        .collect::<Result<_, WireError>>()?;
    let k = r.len(8)?;
    rows.corr_text = (0..k)
        .map(|_| Ok((r.u32()?, sym(r, strings)?)))
        .collect::<Result<_, WireError>>()?;
    let k = r.len(12)?;
    rows.dur_big = (0..k)
        .map(|_| Ok((r.u32()?, r.u64()?)))
        .collect::<Result<_, WireError>>()?;
    side_rows(&rows.cfg, n, "configurations")?;
    side_rows(&rows.changes, n, "changes")?;
    side_rows(&rows.corr_text, n, "correlation texts")?;
    side_rows(&rows.dur_big, n, "durations")?;
    let k = r.len(9)?;
    let files = (0..k)
        .map(|_| {
            Ok(FileMeta {
                name: r.str()?.into(),
                plain: r.opt_u8()?,
            })
        })
        .collect::<Result<Vec<_>, WireError>>()?;
    if let Some(p) = rows.prov.iter().find(|p| p.file as usize >= files.len()) {
        return bad(format!("file index {} of {}", p.file, files.len()));
    }
    let duplicates = r.u64()?;
    let mut b = Batch::new();
    b.dicts = dicts;
    b.rows = rows;
    b.keys = keys;
    b.files = files;
    b.duplicates = duplicates;
    Ok(b)
}

impl Batch {
    /// The batch as bytes (see the module doc).
    pub fn to_wire(&self) -> Vec<u8> {
        let mut w = Writer::default();
        batch_put(&mut w, self);
        w.buf
    }

    /// A batch from [`Batch::to_wire`]'s bytes; an error for anything else.
    pub fn from_wire(bytes: &[u8]) -> Result<Batch, WireError> {
        let mut r = Reader::new(bytes);
        let b = batch_get(&mut r)?;
        r.end()?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Dataset, FileIngest, IngestOptions};
    use crate::store::StoreBuilder;

    /// Records with every side table: configurations, policy and firewall changes, a
    /// correlation id that is not a GUID, a long duration, a duplicate, a BOM.
    fn sample() -> Vec<u8> {
        let mut text = String::from("\u{feff}");
        for i in 0..40 {
            text.push_str(&format!(
                r#"{{"time":"2026-10-01T00:{:02}:00.1234Z","operationName":"SecretGet","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV{}","correlationId":"{i:08}-0000-4000-8000-000000000000","callerIpAddress":"10.0.0.{i}","durationMs":{},"resultSignature":"OK","httpStatusCode":200,"identity":{{"claim":{{"oid":"0{}","upn":"u{i}@x"}}}},"properties":{{"id":"https://kv.vault.azure.net/secrets/s{i}/v{i}","requestUri":"https://kv.vault.azure.net/secrets/s{i}/v{i}?api-version=7.4"}}}}"#,
                i,
                i % 3,
                if i == 7 { 100_000 } else { i },
                i % 5
            ));
            text.push('\n');
        }
        text.push_str(r#"{"time":"2026-10-01T01:00:00Z","operationName":"VaultPatch","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV0","correlationId":"not-a-guid","properties":{"properties":{"sku":{"name":"standard"},"enableSoftDelete":true,"networkAcls":{"defaultAction":"Allow","ipRules":[{"value":"1.2.3.4"}]},"accessPolicies":[{"objectId":"ABC","tenantId":"T","permissions":{"secrets":["get","list"]}}]}}}"#);
        text.push('\n');
        let dup = text.lines().nth(1).unwrap().to_string();
        text.push_str(&dup);
        text.push('\n');
        text.into_bytes()
    }

    fn batch_of(bytes: &[u8]) -> Batch {
        let mut f = FileIngest::new("a.jsonl", &IngestOptions::default());
        f.feed(bytes);
        f.finish();
        f.take_batch()
    }

    fn events(b: Batch) -> String {
        let mut s = StoreBuilder::new();
        s.add(b);
        let store = s.finish();
        store
            .rows()
            .map(|e| serde_json::to_string(&e).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The bytes after the dictionaries are reserved at their exact size (every side table is
    /// in the sample): a batch's bytes are never held twice while they grow.
    #[test]
    fn the_rows_bytes_are_reserved_exactly() {
        let mut bytes = sample();
        // an access policy and a firewall rule added
        bytes.extend_from_slice(br#"{"time":"2026-10-01T02:00:00Z","operationName":"VaultPut","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV0","correlationId":"00000099-0000-4000-8000-000000000000","properties":{"addedAccessPolicy":{"ObjectId":"DEF","TenantId":"T","Permissions":{"keys":["Get"],"secrets":["Get","List"],"certificates":[],"storage":[]}},"addedIpRule":{"Value":"198.51.100.0/24"}}}"#);
        bytes.push(b'\n');
        let b = batch_of(&bytes);
        assert!(!b.rows.changes.is_empty(), "a policy change");
        let wire = b.to_wire();
        assert_eq!(wire.capacity(), wire.len());
    }

    #[test]
    fn a_batch_round_trips() {
        let bytes = sample();
        let b = batch_of(&bytes);
        assert!(b.len() > 40 && b.duplicates() == 1);
        assert!(!b.rows.cfg.is_empty() || !b.rows.changes.is_empty());
        assert!(!b.rows.corr_text.is_empty() && !b.rows.dur_big.is_empty());
        let wire = b.to_wire();
        let back = Batch::from_wire(&wire).expect("decodes");
        assert_eq!(back.to_wire(), wire, "re-encoding gives the same bytes");
        assert_eq!(back.keys, b.keys);
        assert_eq!(back.duplicates, b.duplicates);
        assert_eq!(events(back), events(batch_of(&bytes)));
        // and through a dataset, as the page merges it
        let mut ds = Dataset::new(IngestOptions::default());
        let f = ds.open("a.jsonl");
        ds.close(f);
        assert!(Batch::from_wire(&Batch::new().to_wire())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn truncated_or_corrupted_bytes_are_errors_not_panics() {
        let wire = batch_of(&sample()).to_wire();
        // every truncation
        for n in 0..wire.len() {
            assert!(Batch::from_wire(&wire[..n]).is_err(), "truncated at {n}");
        }
        // a trailing byte
        let mut long = wire.clone();
        long.push(0);
        assert!(Batch::from_wire(&long).is_err());
        // every single-byte corruption (three patterns): an error or a batch that merges
        let mut errors = 0;
        for i in 0..wire.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut c = wire.clone();
                c[i] ^= x;
                match Batch::from_wire(&c) {
                    Err(_) => errors += 1,
                    Ok(b) => {
                        let _ = events(b);
                    }
                }
            }
        }
        assert!(errors > wire.len(), "most corruptions are caught: {errors}");
        // a huge count is refused before anything is allocated
        let mut w = Writer::default();
        w.buf.extend_from_slice(MAGIC);
        w.u64(u64::MAX / 2);
        assert!(Batch::from_wire(&w.buf).is_err());
        assert!(Batch::from_wire(b"").is_err());
        assert!(Batch::from_wire(b"KHB2").is_err());
    }
}
