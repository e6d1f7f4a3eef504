//! Workbook aggregates the page draws (the Sentinel "Azure Key Vault" workbook panels, spec §5),
//! as plain serialisable structs computed over `&[Event]` (time-sorted or not). Every function
//! is one pass over the events plus a sort of its (small) output; none of them allocate per
//! event beyond hash-map entries. The 401 `Authentication` challenge is left out of failure
//! panels everywhere ("normal traffic, never denied access").

use crate::detect::baseline::median_mad;
use crate::detect::rules::mass_secret_retrieval::is_object_read;
use crate::detect::rules::sensitive_operation::is_sensitive;
use crate::event::{Event, ObjectKind, Outcome};
use crate::time::{Timestamp, MICROS_PER_DAY, MICROS_PER_HOUR};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A failed event: not a success, and not the SDK's 401 challenge.
pub fn is_failure(ev: &Event) -> bool {
    ev.outcome != Outcome::Success && !ev.is_auth_challenge()
}

fn label(ev: &Event) -> String {
    ev.identity
        .display()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "(anonymous)".into())
}

fn ip_label(ev: &Event) -> String {
    ev.caller_addr
        .map(|a| a.to_string())
        .or_else(|| ev.caller_ip.as_deref().map(str::to_string))
        .unwrap_or_else(|| "(none)".into())
}

fn is_user(ev: &Event) -> bool {
    ev.identity.upn.is_some() || ev.identity.kind == Some(crate::event::IdentityKind::User)
}

// ---------------------------------------------------------------------------------------------
// Coverage per vault

/// What the drop covers for one vault.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VaultCoverage {
    pub vault: String,
    pub first: Timestamp,
    pub last: Timestamp,
    pub events: u64,
    /// Distinct UTC days with at least one event.
    pub days_with_data: u64,
    /// Days between first and last (inclusive) without any event.
    pub missing_days: u64,
    /// Distinct UTC hours with at least one event.
    pub hours_with_data: u64,
    pub principals: u64,
    pub caller_ips: u64,
    pub failures: u64,
    /// Files the vault's events came from.
    pub sources: u64,
}

/// Coverage of each vault, sorted by vault name.
pub fn coverage(events: &[Event]) -> Vec<VaultCoverage> {
    #[derive(Default)]
    struct Acc<'a> {
        first: i64,
        last: i64,
        events: u64,
        days: std::collections::HashSet<i64>,
        hours: std::collections::HashSet<i64>,
        principals: std::collections::HashSet<&'a str>,
        ips: std::collections::HashSet<&'a str>,
        sources: std::collections::HashSet<&'a str>,
        failures: u64,
    }
    let mut m: HashMap<&str, Acc> = HashMap::new();
    for ev in events {
        let a = m.entry(&ev.vault).or_insert_with(|| Acc {
            first: i64::MAX,
            last: i64::MIN,
            ..Acc::default()
        });
        a.first = a.first.min(ev.time.micros);
        a.last = a.last.max(ev.time.micros);
        a.events += 1;
        a.days.insert(ev.time.day());
        a.hours.insert(ev.time.hour());
        if let Some(p) = ev.identity.principal_key() {
            a.principals.insert(p);
        }
        if let Some(ip) = &ev.caller_ip {
            a.ips.insert(ip);
        }
        a.sources.insert(&ev.source.file);
        if is_failure(ev) {
            a.failures += 1;
        }
    }
    let mut out: Vec<VaultCoverage> = m
        .into_iter()
        .map(|(v, a)| {
            let span_days =
                (a.last.div_euclid(MICROS_PER_DAY) - a.first.div_euclid(MICROS_PER_DAY) + 1) as u64;
            VaultCoverage {
                vault: v.to_string(),
                first: Timestamp::from_micros(a.first),
                last: Timestamp::from_micros(a.last),
                events: a.events,
                days_with_data: a.days.len() as u64,
                missing_days: span_days.saturating_sub(a.days.len() as u64),
                hours_with_data: a.hours.len() as u64,
                principals: a.principals.len() as u64,
                caller_ips: a.ips.len() as u64,
                failures: a.failures,
                sources: a.sources.len() as u64,
            }
        })
        .collect();
    out.sort_by(|a, b| a.vault.cmp(&b.vault));
    out
}

// ---------------------------------------------------------------------------------------------
// Daily counts and anomaly score per vault

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DailyPoint {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub events: u64,
    pub failures: u64,
    /// Robust z of the day's events against the trailing 14 days (median/MAD, scale floored
    /// at 1); `None` while fewer than 7 earlier days exist.
    pub score: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VaultDaily {
    pub vault: String,
    /// Every day from the vault's first to its last day (days without events are 0).
    pub days: Vec<DailyPoint>,
    pub latest_score: Option<f64>,
    pub max_score: Option<f64>,
}

/// Daily counts per vault with the anomaly score (the workbook's sparkline, latest, max).
pub fn daily_by_vault(events: &[Event]) -> Vec<VaultDaily> {
    let mut m: HashMap<&str, BTreeMap<i64, (u64, u64)>> = HashMap::new();
    for ev in events {
        let e = m
            .entry(&ev.vault)
            .or_default()
            .entry(ev.time.day())
            .or_default();
        e.0 += 1;
        if is_failure(ev) {
            e.1 += 1;
        }
    }
    let mut out: Vec<VaultDaily> = m
        .into_iter()
        .map(|(v, days)| {
            let first = *days.keys().next().expect("non-empty");
            let last = *days.keys().next_back().expect("non-empty");
            let series: Vec<(i64, u64, u64)> = (first..=last)
                .map(|d| {
                    let (e, f) = days.get(&d).copied().unwrap_or((0, 0));
                    (d, e, f)
                })
                .collect();
            let mut points = Vec::with_capacity(series.len());
            for (i, &(d, e, f)) in series.iter().enumerate() {
                let hist: Vec<f64> = series[i.saturating_sub(14)..i]
                    .iter()
                    .map(|x| x.1 as f64)
                    .collect();
                let score = (hist.len() >= 7).then(|| {
                    let (med, mad) = median_mad(&hist);
                    ((e as f64 - med) / (1.4826 * mad).max(1.0) * 100.0).round() / 100.0
                });
                points.push(DailyPoint {
                    date: Timestamp::from_micros(d * MICROS_PER_DAY).date_string(),
                    events: e,
                    failures: f,
                    score,
                });
            }
            let latest_score = points.last().and_then(|p| p.score);
            let max_score = points.iter().filter_map(|p| p.score).reduce(f64::max);
            VaultDaily {
                vault: v.to_string(),
                days: points,
                latest_score,
                max_score,
            }
        })
        .collect();
    out.sort_by(|a, b| a.vault.cmp(&b.vault));
    out
}

// ---------------------------------------------------------------------------------------------
// Events by dimension, all and failed

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Count {
    pub key: String,
    pub events: u64,
    pub failed: u64,
}

/// Which column to group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Vault,
    CallerIp,
    Identity,
    Operation,
}

/// Events and failed events per value of `dim`, most events first (ties by key). The 401
/// challenge counts as an event, never as a failure.
pub fn events_by(events: &[Event], dim: Dimension) -> Vec<Count> {
    let mut m: HashMap<String, (u64, u64)> = HashMap::new();
    for ev in events {
        let key = match dim {
            Dimension::Vault => ev.vault.to_string(),
            Dimension::CallerIp => ip_label(ev),
            Dimension::Identity => label(ev),
            Dimension::Operation => ev.operation.to_string(),
        };
        let e = m.entry(key).or_default();
        e.0 += 1;
        if is_failure(ev) {
            e.1 += 1;
        }
    }
    let mut out: Vec<Count> = m
        .into_iter()
        .map(|(key, (events, failed))| Count {
            key,
            events,
            failed,
        })
        .collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then(a.key.cmp(&b.key)));
    out
}

// ---------------------------------------------------------------------------------------------
// Callers by IP × vault (seeds 000 / 004)

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CallerRow {
    pub ip: String,
    pub vault: String,
    pub events: u64,
    pub failed: u64,
    /// Distinct principals seen from that IP on that vault.
    pub identities: Vec<String>,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// Callers by IP × vault, most events first.
pub fn callers_by_ip_vault(events: &[Event]) -> Vec<CallerRow> {
    let mut m: HashMap<(String, &str), CallerRow> = HashMap::new();
    for ev in events {
        if ev.is_auth_challenge() {
            continue;
        }
        let ip = ip_label(ev);
        let r = m
            .entry((ip.clone(), &ev.vault))
            .or_insert_with(|| CallerRow {
                ip,
                vault: ev.vault.to_string(),
                events: 0,
                failed: 0,
                identities: Vec::new(),
                first: ev.time,
                last: ev.time,
            });
        r.events += 1;
        if is_failure(ev) {
            r.failed += 1;
        }
        r.first = r.first.min(ev.time);
        r.last = r.last.max(ev.time);
        if let Some(id) = ev.identity.display() {
            if r.identities.len() < 20 && !r.identities.iter().any(|x| **x == **id) {
                r.identities.push(id.to_string());
            }
        }
    }
    let mut out: Vec<CallerRow> = m.into_values().collect();
    for r in &mut out {
        r.identities.sort();
    }
    out.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then(a.ip.cmp(&b.ip))
            .then(a.vault.cmp(&b.vault))
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Failures by request URI × result signature × status (without the 401 challenge)

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FailureRow {
    pub request_uri: String,
    pub result_signature: String,
    pub status: Option<u16>,
    pub events: u64,
    pub vaults: Vec<String>,
    pub last: Timestamp,
}

/// Failures grouped by request URI (query string dropped), result signature and status.
pub fn failures(events: &[Event]) -> Vec<FailureRow> {
    let mut m: HashMap<(String, String, Option<u16>), FailureRow> = HashMap::new();
    for ev in events {
        if !is_failure(ev) {
            continue;
        }
        let uri = ev
            .request_uri
            .as_deref()
            .map(|u| u.split('?').next().unwrap_or(u))
            .unwrap_or("")
            .to_string();
        let sig = ev.result_signature.as_deref().unwrap_or("").to_string();
        let r = m
            .entry((uri.clone(), sig.clone(), ev.status))
            .or_insert_with(|| FailureRow {
                request_uri: uri,
                result_signature: sig,
                status: ev.status,
                events: 0,
                vaults: Vec::new(),
                last: ev.time,
            });
        r.events += 1;
        r.last = r.last.max(ev.time);
        if r.vaults.len() < 20 && !r.vaults.iter().any(|v| **v == *ev.vault) {
            r.vaults.push(ev.vault.to_string());
        }
    }
    let mut out: Vec<FailureRow> = m.into_values().collect();
    for r in &mut out {
        r.vaults.sort();
    }
    out.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then(a.request_uri.cmp(&b.request_uri))
            .then(a.result_signature.cmp(&b.result_signature))
            .then(a.status.cmp(&b.status))
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Sensitive operations

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SensitiveRow {
    pub time: Timestamp,
    pub vault: String,
    pub operation: String,
    pub object: Option<String>,
    pub identity: String,
    pub ip: String,
    pub status: Option<u16>,
    /// Index into the events slice.
    pub event: usize,
}

/// Sensitive operations (delete, purge, backup, list deleted, vault delete), successful or not,
/// newest first.
pub fn sensitive_operations(events: &[Event]) -> Vec<SensitiveRow> {
    let mut out: Vec<SensitiveRow> = events
        .iter()
        .enumerate()
        .filter(|(_, ev)| is_sensitive(ev.op))
        .map(|(i, ev)| SensitiveRow {
            time: ev.time,
            vault: ev.vault.to_string(),
            operation: ev.operation.to_string(),
            object: ev.object_name.as_deref().map(str::to_string),
            identity: label(ev),
            ip: ip_label(ev),
            status: ev.status,
            event: i,
        })
        .collect();
    out.sort_by(|a, b| b.time.cmp(&a.time).then(a.event.cmp(&b.event)));
    out
}

// ---------------------------------------------------------------------------------------------
// Mass retrieval with a user-chosen threshold and period

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MassRetrievalRow {
    /// Start of the period bin (aligned to the epoch, UTC).
    pub period_start: Timestamp,
    pub identity: String,
    pub vault: String,
    pub reads: u64,
    pub distinct_objects: u64,
}

/// Principals whose successful object reads (Get/Backup of secrets, keys, certificates) on a
/// vault reach `threshold` within a period of `period_micros` (workbook default: 1000 in 24 h).
/// Most reads first.
pub fn mass_retrieval(
    events: &[Event],
    threshold: u64,
    period_micros: i64,
) -> Vec<MassRetrievalRow> {
    let period = period_micros.max(1);
    let mut m: HashMap<(i64, String, &str), (u64, std::collections::HashSet<&str>)> =
        HashMap::new();
    for ev in events {
        if !ev.is_success() || !is_object_read(ev) {
            continue;
        }
        let bin = ev.time.micros.div_euclid(period);
        let e = m.entry((bin, label(ev), &ev.vault)).or_default();
        e.0 += 1;
        if let Some(o) = &ev.object_name {
            e.1.insert(o);
        }
    }
    let mut out: Vec<MassRetrievalRow> = m
        .into_iter()
        .filter(|(_, (n, _))| *n >= threshold)
        .map(|((bin, id, v), (n, objs))| MassRetrievalRow {
            period_start: Timestamp {
                micros: bin * period,
                digits: 0,
            },
            identity: id,
            vault: v.to_string(),
            reads: n,
            distinct_objects: objs.len() as u64,
        })
        .collect();
    out.sort_by(|a, b| {
        b.reads
            .cmp(&a.reads)
            .then(a.period_start.cmp(&b.period_start))
            .then(a.identity.cmp(&b.identity))
            .then(a.vault.cmp(&b.vault))
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Secret / key / certificate operations over time, users vs services

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ObjectOpsPoint {
    pub start: Timestamp,
    pub secret_users: u64,
    pub secret_services: u64,
    pub key_users: u64,
    pub key_services: u64,
    pub certificate_users: u64,
    pub certificate_services: u64,
}

/// Data-plane operations per time bucket (`bucket_micros`, e.g. an hour or a day), by object
/// kind, split users vs services. Buckets without events are included between first and last.
pub fn object_ops_over_time(events: &[Event], bucket_micros: i64) -> Vec<ObjectOpsPoint> {
    let b = bucket_micros.max(1);
    let mut m: BTreeMap<i64, ObjectOpsPoint> = BTreeMap::new();
    for ev in events {
        if !ev.is_data_plane() || ev.is_auth_challenge() {
            continue;
        }
        let k = ev.time.micros.div_euclid(b);
        let p = m.entry(k).or_default();
        let u = is_user(ev);
        match (ev.object_kind, u) {
            (ObjectKind::Secret, true) => p.secret_users += 1,
            (ObjectKind::Secret, false) => p.secret_services += 1,
            (ObjectKind::Key, true) => p.key_users += 1,
            (ObjectKind::Key, false) => p.key_services += 1,
            (ObjectKind::Certificate, true) => p.certificate_users += 1,
            (ObjectKind::Certificate, false) => p.certificate_services += 1,
            _ => {}
        }
    }
    fill(m, b, |k| ObjectOpsPoint {
        start: Timestamp {
            micros: k * b,
            digits: 0,
        },
        ..Default::default()
    })
}

fn fill<T>(m: BTreeMap<i64, T>, b: i64, empty: impl Fn(i64) -> T) -> Vec<T>
where
    T: HasStart,
{
    let (Some(&first), Some(&last)) = (m.keys().next(), m.keys().next_back()) else {
        return Vec::new();
    };
    // Guard against absurd spans (corrupt timestamps): at most 100 000 buckets.
    let last = last.min(first + 100_000);
    let mut m = m;
    let mut out = Vec::with_capacity((last - first + 1) as usize);
    for k in first..=last {
        let mut p = m.remove(&k).unwrap_or_else(|| empty(k));
        p.set_start(Timestamp {
            micros: k * b,
            digits: 0,
        });
        out.push(p);
    }
    out
}

trait HasStart {
    fn set_start(&mut self, t: Timestamp);
}
impl HasStart for ObjectOpsPoint {
    fn set_start(&mut self, t: Timestamp) {
        self.start = t;
    }
}
impl HasStart for MonitorPoint {
    fn set_start(&mut self, t: Timestamp) {
        self.start = t;
    }
}

// ---------------------------------------------------------------------------------------------
// Monitoring: requests, latency, failures, throttling over time

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct MonitorPoint {
    pub start: Timestamp,
    pub requests: u64,
    /// Failures excluding the 401 challenge and throttling.
    pub failures: u64,
    pub throttled: u64,
    pub challenges: u64,
    pub latency_avg_ms: Option<f64>,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub latency_max_ms: Option<u64>,
}

/// Requests, latency (`durationMs`), failures and throttling per time bucket.
pub fn monitoring(events: &[Event], bucket_micros: i64) -> Vec<MonitorPoint> {
    let b = bucket_micros.max(1);
    let mut m: BTreeMap<i64, (MonitorPoint, Vec<u64>)> = BTreeMap::new();
    for ev in events {
        let k = ev.time.micros.div_euclid(b);
        let (p, lat) = m.entry(k).or_default();
        p.requests += 1;
        if ev.is_auth_challenge() {
            p.challenges += 1;
        } else if ev.outcome == Outcome::Throttled {
            p.throttled += 1;
        } else if is_failure(ev) {
            p.failures += 1;
        }
        if let Some(d) = ev.duration_ms {
            lat.push(d);
        }
    }
    let m: BTreeMap<i64, MonitorPoint> = m
        .into_iter()
        .map(|(k, (mut p, mut lat))| {
            if !lat.is_empty() {
                lat.sort_unstable();
                let n = lat.len();
                p.latency_avg_ms =
                    Some((lat.iter().sum::<u64>() as f64 / n as f64 * 10.0).round() / 10.0);
                p.latency_p50_ms = Some(lat[(n - 1) / 2]);
                p.latency_p95_ms = Some(lat[((n as f64 * 0.95).ceil() as usize).clamp(1, n) - 1]);
                p.latency_max_ms = Some(lat[n - 1]);
            }
            (k, p)
        })
        .collect();
    fill(m, b, |_| MonitorPoint::default())
}

/// One hour and one day, for the bucket arguments.
pub const HOUR: i64 = MICROS_PER_HOUR;
pub const DAY: i64 = MICROS_PER_DAY;

/// Event indices newest first (the "all audit events" panel).
pub fn newest_first(events: &[Event]) -> Vec<usize> {
    let mut v: Vec<usize> = (0..events.len()).collect();
    v.sort_by(|&a, &b| events[b].time.cmp(&events[a].time).then(b.cmp(&a)));
    v
}

#[cfg(test)]
mod tests;
