//! Coverage per vault (what the drop holds for each vault) with its daily series and the daily
//! anomaly score (the workbook's "daily anomaly scores" grid: sparkline, latest, maximum).
//!
//! Score: the robust z of the day's event count against the vault's previous 14 days
//! (`(x − median) / (1.4826 · MAD)`, scale floored at 1, rounded to 0.01), days without events
//! counting as 0; no score while fewer than 7 earlier days exist. Sentinel's workbook uses
//! `series_decompose_anomalies` (Tukey fences on a seasonal decomposition) over its baseline
//! range; a median/MAD z over a trailing fortnight reads the same way (|score| > 3 is
//! anomalous) and needs no seasonality fit on short drops.

use super::slots::{at, Slots};
use super::{is_failure, Rows, MAX_DAYS};
use crate::detect::baseline::robust_z;
use crate::store::EventStore;
use crate::time::{Timestamp, MICROS_PER_DAY, MICROS_PER_HOUR};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days of history the score compares with, and the fewest it needs.
pub const SCORE_WINDOW: usize = 14;
pub const SCORE_MIN_HISTORY: usize = 7;

/// What the drop covers for one vault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaultCoverage {
    pub vault: String,
    pub first: Timestamp,
    pub last: Timestamp,
    pub events: u64,
    pub failed: u64,
    /// Distinct principals (object id, else upn, else app id).
    pub principals: u64,
    /// Distinct caller IP texts.
    pub caller_ips: u64,
    /// Files the vault's events came from.
    pub sources: u64,
    /// Distinct UTC days with at least one event.
    pub days_with_data: u64,
    /// Days between the first and the last (inclusive) without any event.
    pub missing_days: u64,
    /// Distinct UTC hours with at least one event.
    pub hours_with_data: u64,
    /// Hours from the first event's hour to the last's, inclusive.
    pub span_hours: u64,
    /// Every day from the vault's first to its last (the last [`MAX_DAYS`]), zeros included.
    pub daily: Vec<DailyPoint>,
    pub latest_score: Option<f64>,
    pub max_score: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyPoint {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub events: u64,
    pub failed: u64,
    pub score: Option<f64>,
}

#[derive(Default)]
struct Acc {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    events: u64,
    failed: u64,
    /// (day, events, failed), days in order (the store is sorted by time).
    days: Vec<(i64, u64, u64)>,
    hours: u64,
    last_hour: Option<i64>,
    principals: u64,
    ips: u64,
    sources: u64,
}

/// Each vault's coverage, sorted by vault name; the first `rows` rows beside the total.
pub fn coverage(events: &EventStore, rows: usize) -> Rows<VaultCoverage> {
    let mut vaults: Slots<&str> = Slots::new(events.resources().len());
    let mut principals: Slots<Option<&str>> = Slots::new(events.identities().len());
    let mut ips: Slots<Option<&str>> = Slots::new(events.callers().len());
    let mut sources: Slots<&str> = Slots::new(events.files().len());
    // (vault slot, kind, slot) pairs already counted: 0 principal, 1 IP, 2 source
    let mut seen: FxHashSet<(u32, u8, u32)> = FxHashSet::default();
    let mut accs: Vec<Acc> = Vec::new();
    for (ev, file) in events.rows().zip(events.file_ids()) {
        let v = vaults.slot(ev.vault_id(), || ev.vault());
        let a = at(&mut accs, v);
        let t = ev.time();
        a.first = Some(a.first.map_or(t, |f| f.min(t)));
        a.last = Some(a.last.map_or(t, |l| l.max(t)));
        a.events += 1;
        let failed = u64::from(is_failure(ev));
        a.failed += failed;
        match a.days.last_mut() {
            Some(d) if d.0 == t.day() => {
                d.1 += 1;
                d.2 += failed;
            }
            _ => a.days.push((t.day(), 1, failed)),
        }
        if a.last_hour != Some(t.hour()) {
            a.last_hour = Some(t.hour());
            a.hours += 1;
        }
        let p = principals.slot(ev.identity_id(), || {
            ev.identity().principal_key().map(|s| &**s)
        });
        if principals.keys()[p].is_some() && seen.insert((v as u32, 0, p as u32)) {
            a.principals += 1;
        }
        let i = ips.slot(ev.caller_id(), || ev.caller_ip().as_deref());
        if ips.keys()[i].is_some() && seen.insert((v as u32, 1, i as u32)) {
            a.ips += 1;
        }
        let f = sources.slot(file, || &events.files()[file as usize].name);
        if seen.insert((v as u32, 2, f as u32)) {
            a.sources += 1;
        }
    }
    let total = vaults.len() as u64;
    let mut order: Vec<usize> = (0..vaults.len()).collect();
    order.sort_unstable_by_key(|&i| vaults.keys()[i]);
    order.truncate(rows);
    let rows = order
        .into_iter()
        .map(|i| row(vaults.keys()[i], std::mem::take(&mut accs[i])))
        .collect();
    Rows { total, rows }
}

fn row(name: &str, a: Acc) -> VaultCoverage {
    let first = a.first.unwrap_or_default();
    let last = a.last.unwrap_or_default();
    let (d0, d1) = (first.day(), last.day());
    let span_days = (d1 - d0 + 1) as u64;
    let days: BTreeMap<i64, (u64, u64)> = a.days.iter().map(|&(d, e, f)| (d, (e, f))).collect();
    let daily = daily(&days, d0, d1);
    VaultCoverage {
        vault: name.to_string(),
        first,
        last,
        events: a.events,
        failed: a.failed,
        principals: a.principals,
        caller_ips: a.ips,
        sources: a.sources,
        days_with_data: days.len() as u64,
        missing_days: span_days.saturating_sub(days.len() as u64),
        hours_with_data: a.hours,
        span_hours: (last.micros.div_euclid(MICROS_PER_HOUR)
            - first.micros.div_euclid(MICROS_PER_HOUR)
            + 1) as u64,
        latest_score: daily.last().and_then(|p| p.score),
        max_score: daily.iter().filter_map(|p| p.score).reduce(f64::max),
        daily,
    }
}

/// The daily points of days `d0..=d1` (the last [`MAX_DAYS`] of them, scores computed with
/// the history just before them).
fn daily(days: &BTreeMap<i64, (u64, u64)>, d0: i64, d1: i64) -> Vec<DailyPoint> {
    let from = d0.max(d1 - (MAX_DAYS + SCORE_WINDOW) as i64 + 1);
    let series: Vec<(i64, u64, u64)> = (from..=d1)
        .map(|d| {
            let (e, f) = days.get(&d).copied().unwrap_or((0, 0));
            (d, e, f)
        })
        .collect();
    let keep_from = series.len().saturating_sub(MAX_DAYS);
    let mut hist = Vec::with_capacity(SCORE_WINDOW);
    series
        .iter()
        .enumerate()
        .skip(keep_from)
        .map(|(i, &(d, e, f))| {
            hist.clear();
            hist.extend(
                series[i.saturating_sub(SCORE_WINDOW)..i]
                    .iter()
                    .map(|x| x.1 as f64),
            );
            // Days before the vault's first day are not history.
            let score = (hist.len() >= SCORE_MIN_HISTORY)
                .then(|| (robust_z(e as f64, &hist).0 * 100.0).round() / 100.0);
            DailyPoint {
                date: Timestamp::from_micros(d * MICROS_PER_DAY).date_string(),
                events: e,
                failed: f,
                score,
            }
        })
        .collect()
}
