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
use rustc_hash::FxBuildHasher;
use std::collections::HashSet;
use std::sync::Arc;

/// Collects batches in order; [`StoreBuilder::finish`] gives the [`EventStore`].
#[derive(Debug, Default)]
pub struct StoreBuilder {
    dicts: Dicts,
    rows: Rows,
    seen: HashSet<u128, FxBuildHasher>,
    files: Vec<FileMeta>,
    duplicates: u64,
    /// Keep every event in arrival order (no de-duplication, no sort).
    raw: bool,
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
        self.rows.heap_bytes() + self.dicts.heap_bytes() + self.seen.capacity() * 17
    }

    /// Room for `more` events beyond those kept: columns and the de-duplication set.
    pub fn reserve(&mut self, more: usize) {
        let r = &mut self.rows;
        r.time.reserve(more);
        r.flags.reserve(more);
        r.res.reserve(more);
        r.op.reserve(more);
        r.result.reserve(more);
        r.caller.reserve(more);
        r.ident.reserve(more);
        r.client.reserve(more);
        r.object.reserve(more);
        r.dur.reserve(more);
        r.corr.reserve(more);
        r.prov.reserve(more);
        if !self.raw {
            self.seen.reserve(more);
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
        let mut keep: Vec<bool> = Vec::with_capacity(n);
        self.seen.reserve(n);
        for k in &keys {
            keep.push(self.raw || self.seen.insert(*k));
        }
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
        col!(prov, |p: Prov| Prov {
            file: file_map[p.file as usize],
            ..p
        });
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
            None => Provenance::encode(prov.iter().copied()),
            Some(p) => Provenance::encode(p.iter().map(|&i| prov[i as usize])),
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
