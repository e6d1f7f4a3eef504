//! The Analytics tab's tables: top lists by dimension (all and failed events), callers by IP ×
//! vault, failures by request URI × result signature × status, sensitive operations and mass
//! retrieval. Definitions in the module doc of [`super`].

use super::slots::{at, Slots};
use super::{is_failure, is_object_read, is_sensitive};
use crate::store::{EventRef, EventStore};
use crate::time::{Timestamp, MICROS_PER_HOUR};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The first rows of a table and how many it has in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rows<T> {
    pub total: u64,
    pub rows: Vec<T>,
}

fn capped<T>(mut v: Vec<T>, rows: usize) -> Rows<T> {
    let total = v.len() as u64;
    v.truncate(rows);
    Rows { total, rows: v }
}

/// A grouping key that borrows the event's strings (no allocation per event).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key<'a> {
    Str(&'a str),
    Addr(IpAddr),
}

impl Key<'_> {
    fn label(self) -> String {
        match self {
            Key::Str(s) => s.to_string(),
            Key::Addr(a) => a.to_string(),
        }
    }
}

fn ip_key(ev: EventRef<'_>) -> Key<'_> {
    match (ev.caller_addr(), ev.caller_ip().as_deref()) {
        (Some(a), _) => Key::Addr(a),
        (None, Some(t)) => Key::Str(t),
        (None, None) => Key::Str("(none)"),
    }
}

fn identity_key(ev: EventRef<'_>) -> &str {
    ev.identity()
        .display()
        .map(|s| &**s)
        .unwrap_or("(anonymous)")
}

// ---------------------------------------------------------------------------------------------
// Top lists

/// Which column a top list groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Vault,
    CallerIp,
    Identity,
    Operation,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::Vault,
        Dimension::CallerIp,
        Dimension::Identity,
        Dimension::Operation,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Dimension::Vault => "vault",
            Dimension::CallerIp => "caller IP",
            Dimension::Identity => "identity",
            Dimension::Operation => "operation",
        }
    }
}

/// Events and failed events of one value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub events: u64,
    pub failed: u64,
}

/// One dimension's top lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopPanel {
    pub dimension: Dimension,
    /// Distinct values among all events.
    pub distinct: u64,
    /// Most events first (ties by key).
    pub all: Vec<Count>,
    /// Distinct values with at least one failed event.
    pub distinct_failed: u64,
    /// Most failed events first (ties by key); values without failures are left out.
    pub failed: Vec<Count>,
}

pub(super) fn top_panels(events: &EventStore, top: usize) -> Vec<TopPanel> {
    let mut slots: [Slots<Key>; 4] = [
        Slots::new(events.resources().len()),
        Slots::new(events.callers().len()),
        Slots::new(events.identities().len()),
        Slots::new(events.operations().len()),
    ];
    let mut counts: [Vec<(u64, u64)>; 4] = Default::default();
    for ev in events.rows() {
        let failed = u64::from(is_failure(ev));
        let at_slot = [
            slots[0].slot(ev.vault_id(), || Key::Str(ev.vault())),
            slots[1].slot(ev.caller_id(), || ip_key(ev)),
            slots[2].slot(ev.identity_id(), || Key::Str(identity_key(ev))),
            slots[3].slot(ev.operation_id(), || Key::Str(ev.operation())),
        ];
        for (c, i) in counts.iter_mut().zip(at_slot) {
            let e = at(c, i);
            e.0 += 1;
            e.1 += failed;
        }
    }
    let maps = slots.iter().zip(counts).map(|(s, c)| {
        s.keys()
            .iter()
            .zip(c)
            .map(|(&k, n)| (k, n))
            .collect::<Vec<_>>()
    });
    Dimension::ALL
        .into_iter()
        .zip(maps)
        .map(|(dimension, m)| {
            let mut v: Vec<Count> = m
                .into_iter()
                .map(|(k, (events, failed))| Count {
                    key: k.label(),
                    events,
                    failed,
                })
                .collect();
            let distinct = v.len() as u64;
            v.sort_by(|a, b| b.events.cmp(&a.events).then(a.key.cmp(&b.key)));
            let mut failed: Vec<Count> = v.iter().filter(|c| c.failed > 0).cloned().collect();
            let distinct_failed = failed.len() as u64;
            failed.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.key.cmp(&b.key)));
            failed.truncate(top);
            v.truncate(top);
            TopPanel {
                dimension,
                distinct,
                all: v,
                distinct_failed,
                failed,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Callers by IP × vault

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerRow {
    pub ip: String,
    pub vault: String,
    pub events: u64,
    pub failed: u64,
    /// Distinct identities seen from that IP on that vault (the first 20, sorted).
    pub identities: Vec<String>,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// Callers by IP × vault, most events first (then IP, vault). The 401 challenge is left out:
/// it carries no identity and every client sends it.
pub(super) fn callers(events: &EventStore, rows: usize) -> Rows<CallerRow> {
    struct Acc<'a> {
        events: u64,
        failed: u64,
        ids: Vec<&'a str>,
        first: Timestamp,
        last: Timestamp,
    }
    let mut ips: Slots<Key> = Slots::new(events.callers().len());
    let mut vaults: Slots<&str> = Slots::new(events.resources().len());
    let mut m: FxHashMap<(u32, u32), Acc> = FxHashMap::default();
    for ev in events.rows() {
        if ev.is_auth_challenge() {
            continue;
        }
        let ip = ips.slot(ev.caller_id(), || ip_key(ev)) as u32;
        let vault = vaults.slot(ev.vault_id(), || ev.vault()) as u32;
        let a = m.entry((ip, vault)).or_insert_with(|| Acc {
            events: 0,
            failed: 0,
            ids: Vec::new(),
            first: ev.time(),
            last: ev.time(),
        });
        a.events += 1;
        a.failed += u64::from(is_failure(ev));
        a.first = a.first.min(ev.time());
        a.last = a.last.max(ev.time());
        if let Some(id) = ev.identity().display() {
            if a.ids.len() < 20 && !a.ids.contains(&&**id) {
                a.ids.push(id);
            }
        }
    }
    let mut out: Vec<CallerRow> = m
        .into_iter()
        .map(|((ip, vault), a)| {
            let mut identities: Vec<String> = a.ids.iter().map(|s| s.to_string()).collect();
            identities.sort();
            CallerRow {
                ip: ips.keys()[ip as usize].label(),
                vault: vaults.keys()[vault as usize].to_string(),
                events: a.events,
                failed: a.failed,
                identities,
                first: a.first,
                last: a.last,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then_with(|| a.ip.cmp(&b.ip))
            .then_with(|| a.vault.cmp(&b.vault))
    });
    capped(out, rows)
}

// ---------------------------------------------------------------------------------------------
// Failures by request URI × result signature × status

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRow {
    /// The request URI without its query string (empty when the record had none).
    pub request_uri: String,
    pub result_signature: String,
    pub status: Option<u16>,
    pub events: u64,
    /// Vaults it happened on (the first 20, sorted).
    pub vaults: Vec<String>,
    pub last: Timestamp,
}

/// Failed events grouped by request URI (query dropped), result signature and status, most
/// first (then URI, signature, status).
pub(super) fn failures(events: &EventStore, rows: usize) -> Rows<FailureRow> {
    type K<'a> = (&'a str, &'a str, Option<u16>);
    let mut m: FxHashMap<K, (u64, Vec<&str>, Timestamp)> = FxHashMap::default();
    // the request URI is rebuilt once per object dictionary entry, not per event
    let uris: Vec<std::cell::OnceCell<String>> = (0..events.objects().len())
        .map(|_| std::cell::OnceCell::new())
        .collect();
    for ev in events.rows() {
        if !is_failure(ev) {
            continue;
        }
        let uri = uris[ev.object_ref_id() as usize]
            .get_or_init(|| ev.request_uri().map(|u| u.into_owned()).unwrap_or_default());
        let uri = uri.split('?').next().unwrap_or(uri);
        let sig = ev.result_signature().as_deref().unwrap_or("");
        let e = m
            .entry((uri, sig, ev.status()))
            .or_insert_with(|| (0, Vec::new(), ev.time()));
        e.0 += 1;
        e.2 = e.2.max(ev.time());
        if e.1.len() < 20 && !e.1.contains(&&**ev.vault()) {
            e.1.push(ev.vault());
        }
    }
    let mut out: Vec<FailureRow> = m
        .into_iter()
        .map(|((uri, sig, status), (n, vaults, last))| {
            let mut vaults: Vec<String> = vaults.iter().map(|s| s.to_string()).collect();
            vaults.sort();
            FailureRow {
                request_uri: uri.to_string(),
                result_signature: sig.to_string(),
                status,
                events: n,
                vaults,
                last,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then_with(|| a.request_uri.cmp(&b.request_uri))
            .then_with(|| a.result_signature.cmp(&b.result_signature))
            .then_with(|| a.status.cmp(&b.status))
    });
    capped(out, rows)
}

// ---------------------------------------------------------------------------------------------
// Sensitive operations

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveRow {
    pub time: Timestamp,
    pub vault: String,
    pub operation: String,
    pub object: Option<String>,
    pub identity: String,
    pub ip: String,
    pub status: Option<u16>,
    /// `success`, `denied`, … (spec §2 outcome).
    pub outcome: String,
    /// Index of the event in the analysed events (the page opens its raw record).
    pub event: usize,
}

/// Every attempt at a sensitive operation, newest first (ties: earlier index first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveOps {
    pub total: u64,
    /// How many of them succeeded.
    pub succeeded: u64,
    pub rows: Vec<SensitiveRow>,
}

pub(super) fn sensitive(events: &EventStore, rows: usize) -> SensitiveOps {
    let mut idx: Vec<usize> = (0..events.len())
        .filter(|&i| is_sensitive(events.row(i).op()))
        .collect();
    let succeeded = idx.iter().filter(|&&i| events.row(i).is_success()).count() as u64;
    let t = events.times();
    idx.sort_by(|&a, &b| t[b].cmp(&t[a]).then(a.cmp(&b)));
    let total = idx.len() as u64;
    idx.truncate(rows);
    SensitiveOps {
        total,
        succeeded,
        rows: idx
            .into_iter()
            .map(|i| {
                let ev = events.row(i);
                SensitiveRow {
                    time: ev.time(),
                    vault: ev.vault().to_string(),
                    operation: ev.operation().to_string(),
                    object: ev.object_name().as_deref().map(str::to_string),
                    identity: identity_key(ev).to_string(),
                    ip: ip_key(ev).label(),
                    status: ev.status(),
                    outcome: ev.outcome().as_str().to_string(),
                    event: i,
                }
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Mass retrieval

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MassRow {
    /// Start of the period (aligned to the epoch, UTC).
    pub period_start: Timestamp,
    pub identity: String,
    pub vault: String,
    /// Successful reads in the period.
    pub reads: u64,
    pub distinct_objects: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MassRetrieval {
    pub threshold: u64,
    pub period_hours: u64,
    /// Rows (principal × vault × period) that reach the threshold.
    pub total: u64,
    /// Most reads first (then period, identity, vault).
    pub rows: Vec<MassRow>,
}

/// Principals whose successful reads on one vault within one period reach `threshold`.
pub fn mass_retrieval(
    events: &EventStore,
    threshold: u64,
    period_hours: u64,
    rows: usize,
) -> MassRetrieval {
    let period_hours = period_hours.clamp(1, 24 * 366);
    let width = period_hours as i64 * MICROS_PER_HOUR;
    let mut ids: Slots<&str> = Slots::new(events.identities().len());
    let mut vaults: Slots<&str> = Slots::new(events.resources().len());
    let mut m: FxHashMap<(i64, u32, u32), (u64, FxHashSet<&str>)> = FxHashMap::default();
    for ev in events.rows() {
        if !ev.is_success() || !is_object_read(ev) {
            continue;
        }
        let id = ids.slot(ev.identity_id(), || identity_key(ev)) as u32;
        let vault = vaults.slot(ev.vault_id(), || ev.vault()) as u32;
        let e = m
            .entry((ev.time().micros.div_euclid(width), id, vault))
            .or_default();
        e.0 += 1;
        if let Some(o) = &ev.object_name() {
            e.1.insert(o);
        }
    }
    let mut out: Vec<MassRow> = m
        .into_iter()
        .filter(|(_, (n, _))| *n >= threshold)
        .map(|((bin, id, vault), (n, objs))| MassRow {
            period_start: super::grid::whole(bin * width),
            identity: ids.keys()[id as usize].to_string(),
            vault: vaults.keys()[vault as usize].to_string(),
            reads: n,
            distinct_objects: objs.len() as u64,
        })
        .collect();
    out.sort_by(|a, b| {
        b.reads
            .cmp(&a.reads)
            .then(a.period_start.cmp(&b.period_start))
            .then_with(|| a.identity.cmp(&b.identity))
            .then_with(|| a.vault.cmp(&b.vault))
    });
    let r = capped(out, rows);
    MassRetrieval {
        threshold,
        period_hours,
        total: r.total,
        rows: r.rows,
    }
}
