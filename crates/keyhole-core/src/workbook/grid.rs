//! The shared time grid and the series drawn on it: Monitoring (requests, failures, denied,
//! throttled, challenges, latency) and the data-plane operations by object kind, users vs
//! services.

use super::slots::{at, Slots};
use super::{is_failure, is_user, MAX_BUCKETS};
use crate::event::{ObjectKind, Outcome};
use crate::store::EventStore;
use crate::time::{Timestamp, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SEC};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A bucket boundary: whole seconds, printed without a fraction.
pub(super) fn whole(micros: i64) -> Timestamp {
    Timestamp { micros, digits: 0 }
}

/// The buckets every series uses: `buckets` of `bucket_seconds` from `start` (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeGrid {
    pub start: Timestamp,
    pub bucket_seconds: i64,
    pub buckets: usize,
}

impl TimeGrid {
    /// Hour buckets for a span of at most 31 days, day buckets beyond; one empty hour bucket
    /// at the epoch for an empty drop.
    pub fn spanning(first: Option<Timestamp>, last: Option<Timestamp>) -> TimeGrid {
        let (Some(a), Some(b)) = (first, last) else {
            return TimeGrid {
                start: whole(0),
                bucket_seconds: MICROS_PER_HOUR / MICROS_PER_SEC,
                buckets: 0,
            };
        };
        let width = if b.micros - a.micros <= 31 * MICROS_PER_DAY {
            MICROS_PER_HOUR
        } else {
            MICROS_PER_DAY
        };
        let start = a.micros.div_euclid(width) * width;
        let n = (b.micros.div_euclid(width) - a.micros.div_euclid(width) + 1) as usize;
        TimeGrid {
            start: whole(start),
            bucket_seconds: width / MICROS_PER_SEC,
            buckets: n.min(MAX_BUCKETS),
        }
    }

    pub fn bucket_micros(&self) -> i64 {
        self.bucket_seconds * MICROS_PER_SEC
    }

    /// The bucket of a time (times past the last bucket fold into it; before the first: 0).
    pub fn index(&self, t: Timestamp) -> usize {
        let i = (t.micros - self.start.micros).div_euclid(self.bucket_micros().max(1));
        (i.max(0) as usize).min(self.buckets.saturating_sub(1))
    }

    /// Start of bucket `i`.
    pub fn time_of(&self, i: usize) -> Timestamp {
        whole(self.start.micros + i as i64 * self.bucket_micros())
    }
}

/// Monitoring series (one value per bucket of the grid).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Monitoring {
    pub requests: Vec<u64>,
    /// Failed requests (the one definition: not a success, not the challenge); includes the
    /// denied and throttled ones below.
    pub failed: Vec<u64>,
    /// 401/403 that are not the challenge.
    pub denied: Vec<u64>,
    /// 429.
    pub throttled: Vec<u64>,
    /// The SDK's 401 challenge (normal traffic).
    pub challenges: Vec<u64>,
    /// Mean `durationMs`, rounded to 0.1 ms (`None`: no request in the bucket carried one).
    pub latency_avg_ms: Vec<Option<f64>>,
    /// Nearest-rank 95th percentile of `durationMs`.
    pub latency_p95_ms: Vec<Option<u64>>,
    pub latency_max_ms: Vec<Option<u64>>,
    /// The same for the busiest vaults (most events first, ties by name).
    pub by_vault: Vec<VaultSeries>,
}

/// One vault's series on the grid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VaultSeries {
    pub vault: String,
    pub events: u64,
    pub requests: Vec<u64>,
    pub failed: Vec<u64>,
    pub latency_avg_ms: Vec<Option<f64>>,
}

/// Data-plane operations per bucket by object kind, users vs services (the 401 challenge is
/// not an operation on an object and is left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectOps {
    pub secret_users: Vec<u64>,
    pub secret_services: Vec<u64>,
    pub key_users: Vec<u64>,
    pub key_services: Vec<u64>,
    pub certificate_users: Vec<u64>,
    pub certificate_services: Vec<u64>,
}

/// Latencies of one bucket: exact values with their counts (latencies repeat a lot, so this
/// stays small while percentiles stay exact).
#[derive(Default)]
struct Latency {
    sum: u128,
    n: u64,
    values: FxHashMap<u64, u64>,
}

impl Latency {
    fn add(&mut self, d: u64) {
        self.sum += d as u128;
        self.n += 1;
        *self.values.entry(d).or_default() += 1;
    }

    fn avg(&self) -> Option<f64> {
        (self.n > 0).then(|| (self.sum as f64 / self.n as f64 * 10.0).round() / 10.0)
    }

    /// (nearest-rank p95, max).
    fn p95_max(&self) -> (Option<u64>, Option<u64>) {
        if self.n == 0 {
            return (None, None);
        }
        let mut v: Vec<(u64, u64)> = self.values.iter().map(|(&k, &c)| (k, c)).collect();
        v.sort_unstable();
        let rank = ((self.n as f64 * 0.95).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        let mut p95 = v[v.len() - 1].0;
        for (k, c) in &v {
            seen += c;
            if seen >= rank {
                p95 = *k;
                break;
            }
        }
        (Some(p95), Some(v[v.len() - 1].0))
    }
}

struct VaultAcc {
    events: u64,
    requests: Vec<u64>,
    failed: Vec<u64>,
    lat_sum: Vec<u64>,
    lat_n: Vec<u64>,
}

pub(super) fn series(
    events: &EventStore,
    grid: &TimeGrid,
    series_vaults: usize,
) -> (Monitoring, ObjectOps) {
    let n = grid.buckets;
    let z = || vec![0u64; n];
    let mut m = Monitoring {
        requests: z(),
        failed: z(),
        denied: z(),
        throttled: z(),
        challenges: z(),
        ..Monitoring::default()
    };
    let mut o = ObjectOps {
        secret_users: z(),
        secret_services: z(),
        key_users: z(),
        key_services: z(),
        certificate_users: z(),
        certificate_services: z(),
    };
    let mut lat: Vec<Latency> = (0..n).map(|_| Latency::default()).collect();
    let mut names: Slots<&str> = Slots::new(events.resources().len());
    let mut vaults: Vec<Option<VaultAcc>> = Vec::new();
    for ev in events.rows() {
        if n == 0 {
            break;
        }
        let b = grid.index(ev.time());
        m.requests[b] += 1;
        let failed = is_failure(ev);
        if ev.is_auth_challenge() {
            m.challenges[b] += 1;
        } else if failed {
            m.failed[b] += 1;
            if ev.is_denied() {
                m.denied[b] += 1;
            } else if ev.outcome() == Outcome::Throttled {
                m.throttled[b] += 1;
            }
        }
        if let Some(d) = ev.duration_ms() {
            lat[b].add(d);
        }
        let v =
            at(&mut vaults, names.slot(ev.vault_id(), || ev.vault())).get_or_insert_with(|| {
                VaultAcc {
                    events: 0,
                    requests: z(),
                    failed: z(),
                    lat_sum: z(),
                    lat_n: z(),
                }
            });
        v.events += 1;
        v.requests[b] += 1;
        if failed {
            v.failed[b] += 1;
        }
        if let Some(d) = ev.duration_ms() {
            v.lat_sum[b] = v.lat_sum[b].saturating_add(d);
            v.lat_n[b] += 1;
        }
        if ev.is_data_plane() && !ev.is_auth_challenge() {
            let slot = match (ev.object_kind(), is_user(ev)) {
                (ObjectKind::Secret, true) => &mut o.secret_users,
                (ObjectKind::Secret, false) => &mut o.secret_services,
                (ObjectKind::Key, true) => &mut o.key_users,
                (ObjectKind::Key, false) => &mut o.key_services,
                (ObjectKind::Certificate, true) => &mut o.certificate_users,
                (ObjectKind::Certificate, false) => &mut o.certificate_services,
                _ => continue,
            };
            slot[b] += 1;
        }
    }
    for l in &lat {
        m.latency_avg_ms.push(l.avg());
        let (p95, max) = l.p95_max();
        m.latency_p95_ms.push(p95);
        m.latency_max_ms.push(max);
    }
    let mut vs: Vec<(&str, VaultAcc)> = names
        .keys()
        .iter()
        .zip(vaults)
        .filter_map(|(&name, a)| Some((name, a?)))
        .collect();
    vs.sort_by(|a, b| b.1.events.cmp(&a.1.events).then(a.0.cmp(b.0)));
    vs.truncate(series_vaults);
    m.by_vault = vs
        .into_iter()
        .map(|(name, a)| VaultSeries {
            vault: name.to_string(),
            events: a.events,
            latency_avg_ms: a
                .lat_sum
                .iter()
                .zip(&a.lat_n)
                .map(|(&s, &k)| (k > 0).then(|| (s as f64 / k as f64 * 10.0).round() / 10.0))
                .collect(),
            requests: a.requests,
            failed: a.failed,
        })
        .collect();
    (m, o)
}
