//! Merging batches into the store, deterministically: batches are added in unit order (file by
//! file, range by range), each event's de-duplication key is checked against every earlier one
//! (the first occurrence is kept, as a sequential read would), and `finish` sorts by time with
//! a stable sort (equal times keep arrival order). The result is therefore the same whatever
//! the thread count and the cut points, as long as every batch holds what a sequential parse
//! of its range would produce (see `ingest::unit`).

use super::batch::{Batch, ChangeSyms, FileMeta, PolicySyms, Prov, Rows};
use super::intern::{unb3, Dicts, Remap, Strings, Sym, Tpl, NONE};
use super::prov::Provenance;
use super::{
    Caller, Changes, Client, EventStore, Ids, Object, Operation, Resource, ResultInfo, UrlTemplate,
};
use crate::event::{
    AccessPolicyChange, Authorization, Identity, IdentityKind, ObjectKind, Op, Str, VaultConfig,
};
use crate::ingest::normalize::{outcome, parse_caller_addr};
use crate::time::Timestamp;
use rustc_hash::FxBuildHasher;
use std::collections::HashSet;
use std::sync::Arc;

/// Collects batches in order; [`StoreBuilder::finish`] gives the [`EventStore`].
#[derive(Debug, Default)]
pub struct StoreBuilder {
    dicts: Dicts,
    /// The merged columns (`rows.prov` stays empty: provenance is packed as rows arrive).
    rows: Rows,
    prov: Provenance,
    seen: Dedup,
    files: Vec<FileMeta>,
    duplicates: u64,
    /// Keep every event in arrival order (no de-duplication, no sort).
    raw: bool,
}

/// A set of de-duplication keys built only where it is needed. A duplicate has its original's
/// millisecond, so the keys added since the last overlap wait, with the milliseconds they
/// span, and enter the set only when keys to look up overlap that span; a lookup is needed only
/// where it overlaps what the set holds. Keys that follow each other in time (an export cut
/// into ranges, daily files, records in time order) never build the set; overlapping exports
/// and repeated records build it as a plain set would, so memory still follows unique events.
#[derive(Debug, Default)]
pub(crate) struct LazySet {
    set: HashSet<u128, FxBuildHasher>,
    /// The milliseconds the set's keys span.
    set_span: Option<(i64, i64)>,
    /// The index of the first key not in the set, and the milliseconds it and the keys after
    /// it span.
    pending: Option<(usize, i64, i64)>,
}

impl LazySet {
    /// Ready to look up keys spanning `lo..=hi` (every key so far is `keys`): the waiting keys
    /// enter the set if they overlap. False when no lookup can find anything.
    pub(crate) fn prepare(&mut self, keys: &[u128], lo: i64, hi: i64) -> bool {
        if let Some((from, a, b)) = self.pending {
            if a <= hi && lo <= b {
                self.set.extend(keys[from..].iter().copied());
                self.set_span = Some(match self.set_span {
                    None => (a, b),
                    Some((x, y)) => (x.min(a), y.max(b)),
                });
                self.pending = None;
            }
        }
        self.set_span.is_some_and(|(a, b)| a <= hi && lo <= b)
    }

    pub(crate) fn contains(&self, key: &u128) -> bool {
        self.set.contains(key)
    }

    /// The keys from index `from` on span `lo..=hi` (and wait).
    pub(crate) fn pend(&mut self, from: usize, lo: i64, hi: i64) {
        self.pending = Some(match self.pending {
            None => (from, lo, hi),
            Some((f, a, b)) => (f, a.min(lo), b.max(hi)),
        });
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.set.capacity() * 17
    }
}

/// Which events are duplicates of earlier ones, across batches: the key of every kept row
/// and a [`LazySet`] of them.
#[derive(Debug, Default)]
struct Dedup {
    keys: Vec<u128>,
    set: LazySet,
}

impl Dedup {
    /// Whether each event of a batch (its keys and times, in arrival order) is new; the new
    /// ones are remembered. The batch holds no duplicate of its own.
    fn admit(&mut self, keys: &[u128], times: &[i64]) -> Vec<bool> {
        // the millisecond the key was built from (`Batch::push`)
        let (lo, hi) = times.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &t| {
            let ms = Timestamp::from_micros(t).millis();
            (lo.min(ms), hi.max(ms))
        });
        let keep: Vec<bool> = if self.set.prepare(&self.keys, lo, hi) {
            keys.iter().map(|k| !self.set.contains(k)).collect()
        } else {
            vec![true; keys.len()]
        };
        let from = self.keys.len();
        self.keys
            .extend(keys.iter().zip(&keep).filter(|(_, &k)| k).map(|(k, _)| *k));
        self.set.pend(from, lo, hi);
        keep
    }

    fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 16 + self.set.heap_bytes()
    }
}

fn remap_policy(map: &Remap, p: &Option<PolicySyms>) -> Option<PolicySyms> {
    p.as_ref().map(|p| PolicySyms {
        object_id: map.sym(p.object_id),
        tenant_id: map.sym(p.tenant_id),
        lists: p
            .lists
            .clone()
            .map(|l| l.into_iter().map(|s| map.sym(s)).collect()),
    })
}

impl StoreBuilder {
    pub fn new() -> StoreBuilder {
        StoreBuilder {
            dicts: Dicts::new(),
            ..StoreBuilder::default()
        }
    }

    /// A builder that keeps every event in arrival order: no de-duplication, no sort (the
    /// single-file convenience parse).
    pub(crate) fn keeping_order() -> StoreBuilder {
        StoreBuilder {
            raw: true,
            ..StoreBuilder::new()
        }
    }

    /// Events kept so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    /// Records dropped as duplicates so far (within batches and across them).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
            + self.prov.heap_bytes()
            + self.dicts.heap_bytes()
            + self.seen.heap_bytes()
    }

    /// Room for `more` events beyond those kept: columns and the de-duplication keys.
    pub fn reserve(&mut self, more: usize) {
        self.rows.reserve(more);
        if !self.raw {
            self.seen.keys.reserve_exact(more);
        }
    }

    /// Merge the next batch (in unit order).
    pub fn add(&mut self, batch: Batch) {
        let Batch {
            dicts,
            rows,
            keys,
            files,
            duplicates,
            ..
        } = batch;
        self.duplicates += duplicates;
        if rows.len() == 0 {
            return;
        }
        let map = self.dicts.absorb(&dicts);
        drop(dicts);
        let file_map: Vec<u32> = files
            .into_iter()
            .map(|f| match self.files.iter().position(|g| *g == f) {
                Some(i) => i as u32,
                None => {
                    self.files.push(f);
                    (self.files.len() - 1) as u32
                }
            })
            .collect();
        let n = rows.len();
        let r = &mut self.rows;
        let base = r.len() as u32;
        let keep: Vec<bool> = if self.raw {
            vec![true; n]
        } else {
            self.seen.admit(&keys, &rows.time)
        };
        drop(keys);
        // arrival index in the batch → row in the store
        let mut new_row = vec![u32::MAX; n];
        let mut next = base;
        for i in 0..n {
            if keep[i] {
                new_row[i] = next;
                next += 1;
            } else {
                self.duplicates += 1;
            }
        }
        let kept = (next - base) as usize;
        macro_rules! col {
            ($name:ident, $f:expr) => {{
                r.$name.reserve(kept);
                let f = $f;
                if kept == n {
                    r.$name.extend(rows.$name.iter().map(|v| f(*v)));
                } else {
                    for (i, v) in rows.$name.iter().enumerate() {
                        if keep[i] {
                            r.$name.push(f(*v));
                        }
                    }
                }
            }};
        }
        col!(time, |v| v);
        col!(flags, |v| v);
        col!(res, |v: u32| map.res[v as usize]);
        col!(op, |v: u32| map.ops[v as usize]);
        col!(result, |v: u32| map.results[v as usize]);
        col!(caller, |v: u32| map.callers[v as usize]);
        col!(ident, |v: u32| map.idents[v as usize]);
        col!(client, |v: u32| map.clients[v as usize]);
        col!(object, |v: u32| map.objects[v as usize]);
        col!(dur, |v| v);
        col!(corr, |v| v);
        for (i, p) in rows.prov.iter().enumerate() {
            if keep[i] {
                self.prov.push(Prov {
                    file: file_map[p.file as usize],
                    ..*p
                });
            }
        }
        for (i, c) in &rows.cfg {
            if keep[*i as usize] {
                r.cfg.push((new_row[*i as usize], map.configs[*c as usize]));
            }
        }
        for (i, ch) in &rows.changes {
            if keep[*i as usize] {
                r.changes.push((
                    new_row[*i as usize],
                    ChangeSyms {
                        added: remap_policy(&map, &ch.added),
                        removed: remap_policy(&map, &ch.removed),
                        ip_added: map.sym(ch.ip_added),
                        ip_removed: map.sym(ch.ip_removed),
                    },
                ));
            }
        }
        for (i, s) in &rows.corr_text {
            if keep[*i as usize] {
                r.corr_text.push((new_row[*i as usize], map.sym(*s)));
            }
        }
        for (i, v) in &rows.dur_big {
            if keep[*i as usize] {
                r.dur_big.push((new_row[*i as usize], *v));
            }
        }
    }

    /// Sort by time (stable) and freeze: the de-duplication set and lookup maps are dropped,
    /// dictionaries become shared texts, provenance is packed.
    pub fn finish(self) -> EventStore {
        let StoreBuilder {
            dicts,
            rows,
            prov: packed,
            files,
            seen,
            raw,
            ..
        } = self;
        drop(seen);
        let n = rows.len();
        let sorted = raw || rows.time.windows(2).all(|w| w[0] <= w[1]);
        // perm[new] = old
        let perm: Option<Vec<u32>> = (!sorted).then(|| {
            let mut p: Vec<u32> = (0..n as u32).collect();
            p.sort_by_key(|&i| rows.time[i as usize]);
            p
        });
        let inv: Option<Vec<u32>> = perm.as_ref().map(|p| {
            let mut inv = vec![0u32; n];
            for (new, &old) in p.iter().enumerate() {
                inv[old as usize] = new as u32;
            }
            inv
        });
        fn permute<T: Copy>(v: Vec<T>, perm: &Option<Vec<u32>>) -> Vec<T> {
            match perm {
                None => {
                    let mut v = v;
                    v.shrink_to_fit();
                    v
                }
                Some(p) => {
                    let out: Vec<T> = p.iter().map(|&i| v[i as usize]).collect();
                    drop(v);
                    out
                }
            }
        }
        let row_of = |old: u32| -> u32 {
            match &inv {
                None => old,
                Some(inv) => inv[old as usize],
            }
        };
        let Rows {
            time,
            flags,
            res,
            op,
            result,
            caller,
            ident,
            client,
            object,
            dur,
            corr,
            prov,
            cfg,
            changes,
            corr_text,
            dur_big,
        } = rows;
        let time = permute(time, &perm);
        let flags = permute(flags, &perm);
        let res = Ids::narrow(permute(res, &perm), dicts.res.len());
        let op = Ids::narrow(permute(op, &perm), dicts.ops.len());
        let result = Ids::narrow(permute(result, &perm), dicts.results.len());
        let caller = Ids::narrow(permute(caller, &perm), dicts.callers.len());
        let ident = Ids::narrow(permute(ident, &perm), dicts.idents.len());
        let client = Ids::narrow(permute(client, &perm), dicts.clients.len());
        let object = Ids::narrow(permute(object, &perm), dicts.objects.len());
        let dur = permute(dur, &perm);
        let corr = permute(corr, &perm);
        let provenance = match &perm {
            None => {
                let mut packed = packed;
                packed.shrink_to_fit();
                packed
            }
            Some(p) => {
                let unpacked: Vec<Prov> = packed.iter().collect();
                drop(packed);
                Provenance::encode(p.iter().map(|&i| unpacked[i as usize]))
            }
        };
        drop(prov);

        // ---- dictionaries: symbols become shared texts ----
        let Dicts {
            strings,
            res: d_res,
            ops: d_ops,
            results: d_results,
            callers: d_callers,
            idents: d_idents,
            clients: d_clients,
            objects: d_objects,
            configs: d_configs,
        } = dicts;
        let texts: Vec<Str> = Strings::into_texts(strings)
            .into_iter()
            .map(Arc::<str>::from)
            .collect();
        let t = |s: Sym| -> Option<Str> {
            if s == NONE {
                None
            } else {
                Some(texts[s as usize].clone())
            }
        };
        let tt = |s: Sym| -> Str { t(s).unwrap_or_else(|| Arc::from("")) };
        let tpl = |k: Tpl| -> Option<UrlTemplate> {
            (k.shape != u8::MAX).then(|| UrlTemplate {
                shape: k.shape,
                lit: [tt(k.lit[0]), tt(k.lit[1]), tt(k.lit[2])],
            })
        };
        let resources = d_res
            .into_keys()
            .into_iter()
            .map(|k| Resource {
                vault: tt(k.vault),
                subscription: t(k.subscription),
                resource_group: t(k.resource_group),
            })
            .collect();
        let operations = d_ops
            .into_keys()
            .into_iter()
            .map(|k| {
                let name = tt(k.name);
                Operation {
                    op: Op::parse(&name),
                    operation: name,
                    operation_version: t(k.version),
                    category: t(k.category),
                }
            })
            .collect();
        let results = d_results
            .into_keys()
            .into_iter()
            .map(|k| {
                let status = (k.status != u16::MAX).then_some(k.status);
                let sig = t(k.signature);
                let ty = t(k.result_type);
                ResultInfo {
                    status,
                    outcome: outcome(status, sig.as_deref(), ty.as_deref()),
                    result_type: ty,
                    result_signature: sig,
                    result_description: t(k.description),
                }
            })
            .collect();
        let callers = d_callers
            .into_keys()
            .into_iter()
            .map(|k| {
                let text = t(k);
                Caller {
                    caller_addr: text.as_deref().and_then(parse_caller_addr),
                    caller_ip: text,
                }
            })
            .collect();
        let identities = d_idents
            .into_keys()
            .into_iter()
            .map(|k| Identity {
                object_id: t(k.object_id),
                upn: t(k.upn),
                app_id: t(k.app_id),
                tenant_id: t(k.tenant_id),
                kind: match k.kind {
                    1 => Some(IdentityKind::User),
                    2 => Some(IdentityKind::App),
                    _ => None,
                },
            })
            .collect();
        let clients = d_clients
            .into_keys()
            .into_iter()
            .map(|k| Client {
                client_info: t(k.client_info),
                tls_version: t(k.tls_version),
                authorization: Authorization {
                    access_policy_match: unb3(k.policy_match),
                    rbac_authorized: unb3(k.rbac),
                    assignment_id: t(k.assignment_id),
                },
            })
            .collect();
        let objects = d_objects
            .into_keys()
            .into_iter()
            .map(|k| Object {
                object_kind: kind_of(k.kind),
                object_name: t(k.name),
                object_version: t(k.version),
                request_uri: tpl(k.request_uri),
                object_id: tpl(k.object_id),
            })
            .collect();
        let configs = d_configs
            .into_keys()
            .into_iter()
            .map(|k| VaultConfig {
                network_default_action: t(k.network_default_action),
                network_bypass: t(k.network_bypass),
                soft_delete: unb3(k.bools[0]),
                purge_protection: unb3(k.bools[1]),
                rbac_authorization: unb3(k.bools[2]),
                soft_delete_retention_days: (k.retention_days != u32::MAX)
                    .then_some(k.retention_days),
                enabled_for_deployment: unb3(k.bools[3]),
                enabled_for_disk_encryption: unb3(k.bools[4]),
                enabled_for_template_deployment: unb3(k.bools[5]),
                sku: t(k.sku),
                tenant_id: t(k.tenant_id),
            })
            .collect();
        let policy = |p: &Option<PolicySyms>| -> Option<Box<AccessPolicyChange>> {
            p.as_ref().map(|p| {
                let l = |i: usize| p.lists[i].iter().map(|&s| tt(s)).collect();
                Box::new(AccessPolicyChange {
                    object_id: t(p.object_id),
                    tenant_id: t(p.tenant_id),
                    keys: l(0),
                    secrets: l(1),
                    certificates: l(2),
                    storage: l(3),
                })
            })
        };
        let mut cfg_rows: Vec<(u32, u32)> = cfg.iter().map(|&(i, c)| (row_of(i), c)).collect();
        cfg_rows.sort_unstable();
        let mut change_rows: Vec<(u32, Changes)> = changes
            .iter()
            .map(|(i, c)| {
                (
                    row_of(*i),
                    Changes {
                        policy_added: policy(&c.added),
                        policy_removed: policy(&c.removed),
                        ip_rule_added: t(c.ip_added),
                        ip_rule_removed: t(c.ip_removed),
                    },
                )
            })
            .collect();
        change_rows.sort_unstable_by_key(|(r, _)| *r);
        let mut corr_rows: Vec<(u32, Str)> =
            corr_text.iter().map(|&(i, s)| (row_of(i), tt(s))).collect();
        corr_rows.sort_unstable_by_key(|(r, _)| *r);
        let mut dur_rows: Vec<(u32, u64)> = dur_big.iter().map(|&(i, v)| (row_of(i), v)).collect();
        dur_rows.sort_unstable();
        EventStore {
            time,
            flags,
            res,
            op,
            result,
            caller,
            ident,
            client,
            object,
            dur,
            corr,
            resources,
            operations,
            results,
            callers,
            identities,
            clients,
            objects,
            configs,
            cfg_rows,
            change_rows,
            corr_rows,
            dur_rows,
            files,
            provenance,
        }
    }
}

pub(crate) fn kind_of(k: u8) -> ObjectKind {
    match k {
        0 => ObjectKind::Vault,
        1 => ObjectKind::Secret,
        2 => ObjectKind::Key,
        3 => ObjectKind::Certificate,
        _ => ObjectKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random batches of events (key, time): duplicates carry their original's millisecond,
    /// batches come in time order, shuffled, overlapping or touching at their edges.
    #[test]
    fn dedup_keeps_what_one_set_of_every_key_keeps() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..300 {
            let mut d = Dedup::default();
            let mut reference: HashSet<u128> = HashSet::new();
            let mut earlier: Vec<(u128, i64)> = Vec::new();
            let batches = 1 + rnd(12);
            for b in 0..batches {
                let base = match case % 3 {
                    0 => b as i64 * 50_000,             // in time order, touching
                    1 => rnd(8) as i64 * 40_000,        // shuffled, overlapping
                    _ => (batches - b) as i64 * 60_000, // newest first
                };
                let mut keys = Vec::new();
                let mut times = Vec::new();
                let mut in_batch = HashSet::new();
                for _ in 0..rnd(40) {
                    let (k, t) = if !earlier.is_empty() && rnd(4) == 0 {
                        // a copy of an earlier event, at its millisecond (another microsecond)
                        let (k, t) = earlier[rnd(earlier.len() as u64) as usize];
                        (k, t.div_euclid(1000) * 1000 + rnd(1000) as i64)
                    } else {
                        let t = base + rnd(50_000) as i64;
                        (
                            rnd(u64::MAX) as u128 ^ (t.div_euclid(1000) as u128) << 64,
                            t,
                        )
                    };
                    // a batch holds no duplicate of its own (its own set drops them)
                    if in_batch.insert(k) {
                        keys.push(k);
                        times.push(t);
                    }
                }
                let want: Vec<bool> = keys.iter().map(|k| !reference.contains(k)).collect();
                reference.extend(keys.iter().copied());
                let got = d.admit(&keys, &times);
                assert_eq!(got, want, "case {case}, batch {b}");
                for (i, k) in keys.iter().enumerate() {
                    if want[i] {
                        earlier.push((*k, times[i]));
                    }
                }
            }
        }
    }
}
