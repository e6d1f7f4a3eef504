//! Every panel on one hand-computed fixture. The expected numbers below were worked out by
//! hand from the ten events of [`sample`] (their buckets, outcomes and definitions are listed
//! beside each event), not produced by the code under test.

use super::*;
use crate::detect::testkit::{ev, EventBuilder};
use crate::detect::{Confidence, EvidenceRef, FindingIdentity, Severity};
use crate::event::Event;
use crate::store::EventStore;
use crate::time::MICROS_PER_DAY;
use std::sync::Arc;

/// [`super::compute`] over a store of hand-built events.
fn compute(events: &[Event], findings: &[Finding], opts: &WorkbookOptions) -> Workbook {
    super::compute(&EventStore::from_events(events), findings, opts)
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_iso(s).unwrap()
}

/// Two vaults over 2026-10-01..03 (10-02 empty). Hour grid from 10-01T08:00, 53 buckets.
fn sample() -> Vec<Event> {
    let mut v = vec![
        // 0: bucket 0. kv1, user a@x, read of s1 (success).
        ev("2026-10-01T08:00:00Z")
            .vault("kv1")
            .user("a@x")
            .op("SecretGet")
            .obj("s1")
            .ip("1.2.3.4")
            .at("f1", 1),
        // 1: bucket 0. The SDK's 401 challenge: no identity, not a failure.
        ev("2026-10-01T08:00:01Z")
            .vault("kv1")
            .op("Authentication")
            .ip("1.2.3.4")
            .status(401)
            .at("f1", 2),
        // 2: bucket 1. Service app1 denied (403): failed, denied. 100 ms.
        ev("2026-10-01T09:00:00Z")
            .vault("kv1")
            .service("app1")
            .op("SecretGet")
            .obj("s2")
            .ip("5.6.7.8")
            .status(403)
            .at("f2", 1),
        // 3: bucket 1. kv2, service app1 reads key k1 (success).
        ev("2026-10-01T09:30:00Z")
            .vault("kv2")
            .service("app1")
            .op("KeyGet")
            .obj("k1")
            .ip("5.6.7.8")
            .at("f2", 2),
        // 4: bucket 50 (10-03T10). Sensitive, succeeded.
        ev("2026-10-03T10:00:00Z")
            .vault("kv1")
            .user("a@x")
            .op("SecretDelete")
            .obj("s1")
            .ip("1.2.3.4")
            .at("f1", 3),
        // 5: bucket 50. Throttled (429): failed, throttled.
        ev("2026-10-03T10:05:00Z")
            .vault("kv1")
            .user("a@x")
            .op("SecretGet")
            .obj("s9")
            .ip("1.2.3.4")
            .status(429)
            .at("f1", 4),
        // 6: bucket 51. KeyListDeleted: not sensitive (the catalogue names SecretListDeleted).
        ev("2026-10-03T11:00:00Z")
            .vault("kv2")
            .user("b@x")
            .op("KeyListDeleted")
            .ip("9.9.9.9")
            .at("f2", 3),
        // 7: bucket 51. SecretListDeleted denied: a sensitive attempt; failed, denied. 30 ms.
        ev("2026-10-03T11:30:00Z")
            .vault("kv2")
            .user("b@x")
            .op("SecretListDeleted")
            .ip("9.9.9.9")
            .status(403)
            .at("f2", 4),
        // 8: bucket 52. Decrypt uses a key without retrieving it: not a read.
        ev("2026-10-03T12:00:00Z")
            .vault("kv2")
            .user("b@x")
            .op("KeyDecrypt")
            .obj("k1")
            .ip("9.9.9.9")
            .at("f2", 5),
        // 9: bucket 52. SecretBackup: sensitive and a read. No duration.
        ev("2026-10-03T12:00:00Z")
            .vault("kv2")
            .user("b@x")
            .op("SecretBackup")
            .obj("s3")
            .ip("9.9.9.9")
            .at("f2", 6),
    ];
    v[1].identity = Default::default();
    v[2].duration_ms = Some(100);
    v[7].duration_ms = Some(30);
    v[9].duration_ms = None;
    let sig = |s: &str| Some(Arc::from(s));
    v[2].result_signature = sig("Forbidden");
    v[2].request_uri = sig("https://kv1.vault.azure.net/secrets/s2?api-version=7.4");
    v[5].result_signature = sig("TooManyRequests");
    v[5].request_uri = sig("https://kv1.vault.azure.net/secrets/s9?api-version=7.4");
    v[7].result_signature = sig("Forbidden");
    v[7].request_uri = sig("https://kv2.vault.azure.net/deletedsecrets?api-version=7.4");
    v
}

fn finding(rule: &'static str, sev: Severity, vault: &str, first: &str, count: u64) -> Finding {
    Finding {
        rule,
        title: format!("title of {rule}"),
        severity: sev,
        tactics: vec!["Impact"],
        vault: vault.into(),
        identity: FindingIdentity::default(),
        ip: None,
        first_seen: t(first),
        last_seen: t(first),
        count,
        reason: "because".into(),
        basis: "a test fixture".into(),
        confidence: Confidence::High,
        evidence: vec![EvidenceRef {
            source: "f1".into(),
            line: 1,
            event: 0,
        }],
        details: serde_json::json!({}),
    }
}

fn findings() -> Vec<Finding> {
    vec![
        finding(
            "KV_TORAccess",
            Severity::Medium,
            "kv1",
            "2026-10-01T08:00:00Z",
            2,
        ),
        finding(
            "KV_SensitiveOperation",
            Severity::Low,
            "kv1",
            "2026-10-03T10:00:00Z",
            1,
        ),
        finding(
            "KV_LogGap",
            Severity::Informational,
            "*",
            "2026-10-03T10:30:00Z",
            1,
        ),
        finding(
            "KV_SensitiveOperation",
            Severity::Medium,
            "kv2",
            "2026-10-03T12:00:00Z",
            1,
        ),
    ]
}

fn wb() -> Workbook {
    compute(&sample(), &findings(), &WorkbookOptions::default())
}

/// A series of `n` zeros with `(index, value)` set.
fn series<T: Clone + Default>(n: usize, at: &[(usize, T)]) -> Vec<T> {
    let mut v = vec![T::default(); n];
    for (i, x) in at {
        v[*i] = x.clone();
    }
    v
}

fn counts(n: usize, at: &[(usize, u64)]) -> Vec<u64> {
    series(n, at)
}

#[test]
fn definitions() {
    let e = EventStore::from_events(&sample());
    let failed: Vec<usize> = (0..e.len()).filter(|&i| is_failure(e.row(i))).collect();
    assert_eq!(
        failed,
        vec![2, 5, 7],
        "403, 429, 403; never the 401 challenge"
    );
    let sensitive: Vec<usize> = (0..e.len())
        .filter(|&i| is_sensitive(e.row(i).op()))
        .collect();
    assert_eq!(sensitive, vec![4, 7, 9]);
    let reads: Vec<usize> = (0..e.len()).filter(|&i| is_object_read(e.row(i))).collect();
    assert_eq!(
        reads,
        vec![0, 2, 3, 5, 9],
        "Get/Backup of a named object; not List/Decrypt"
    );
    assert!(is_user(e.row(0)) && !is_user(e.row(2)) && !is_user(e.row(1)));
    assert_eq!(identity_label(e.row(1)), "(anonymous)");
    assert_eq!(identity_label(e.row(2)), "sp-app1");
    assert_eq!(ip_label(e.row(0)), "1.2.3.4");
}

#[test]
fn grid_is_hourly_up_to_31_days_then_daily_and_capped() {
    let w = wb();
    assert_eq!(w.grid.start, t("2026-10-01T08:00:00Z"));
    assert_eq!(w.grid.bucket_seconds, 3600);
    assert_eq!(w.grid.buckets, 53);
    assert_eq!(w.first, Some(t("2026-10-01T08:00:00Z")));
    assert_eq!(w.last, Some(t("2026-10-03T12:00:00Z")));
    assert_eq!(w.events, 10);
    let g = TimeGrid::spanning(
        Some(t("2026-01-01T05:00:00Z")),
        Some(t("2026-03-01T00:00:00Z")),
    );
    assert_eq!(
        (g.bucket_seconds, g.buckets),
        (86_400, 60),
        "59 days later: 60 day buckets"
    );
    assert_eq!(g.start, t("2026-01-01T00:00:00Z"));
    let g = TimeGrid::spanning(
        Some(t("1990-01-01T00:00:00Z")),
        Some(t("2026-01-01T00:00:00Z")),
    );
    assert_eq!(g.buckets, MAX_BUCKETS);
    assert_eq!(
        g.index(t("2026-01-01T00:00:00Z")),
        MAX_BUCKETS - 1,
        "the tail folds into the last bucket"
    );
    let empty = compute(&[], &[], &WorkbookOptions::default());
    assert_eq!(empty.grid.buckets, 0);
    assert!(empty.monitoring.requests.is_empty() && empty.alerts.over_time.is_empty());
    assert_eq!(empty.coverage.total, 0);
}

#[test]
fn monitoring_series() {
    let m = wb().monitoring;
    assert_eq!(
        m.requests,
        counts(53, &[(0, 2), (1, 2), (50, 2), (51, 2), (52, 2)])
    );
    assert_eq!(m.failed, counts(53, &[(1, 1), (50, 1), (51, 1)]));
    assert_eq!(m.denied, counts(53, &[(1, 1), (51, 1)]));
    assert_eq!(m.throttled, counts(53, &[(50, 1)]));
    assert_eq!(m.challenges, counts(53, &[(0, 1)]));
    // Latency: bucket 1 holds 100 and 10 ms; bucket 51 10 and 30; bucket 52 only 10 (event 9
    // has none).
    let avg = series(
        53,
        &[
            (0, Some(10.0)),
            (1, Some(55.0)),
            (50, Some(10.0)),
            (51, Some(20.0)),
            (52, Some(10.0)),
        ],
    );
    assert_eq!(m.latency_avg_ms, avg);
    let p95 = series(
        53,
        &[
            (0, Some(10)),
            (1, Some(100)),
            (50, Some(10)),
            (51, Some(30)),
            (52, Some(10)),
        ],
    );
    assert_eq!(m.latency_p95_ms, p95);
    assert_eq!(
        m.latency_max_ms, p95,
        "two values a bucket: p95 is the larger"
    );
    assert_eq!(m.by_vault.len(), 2);
    let (kv1, kv2) = (&m.by_vault[0], &m.by_vault[1]);
    assert_eq!(
        (kv1.vault.as_str(), kv1.events),
        ("kv1", 5),
        "tie on 5 events: by name"
    );
    assert_eq!(kv1.requests, counts(53, &[(0, 2), (1, 1), (50, 2)]));
    assert_eq!(kv1.failed, counts(53, &[(1, 1), (50, 1)]));
    assert_eq!(
        kv1.latency_avg_ms,
        series(53, &[(0, Some(10.0)), (1, Some(100.0)), (50, Some(10.0))])
    );
    assert_eq!(kv2.requests, counts(53, &[(1, 1), (51, 2), (52, 2)]));
    assert_eq!(kv2.failed, counts(53, &[(51, 1)]));
    let busiest = compute(
        &sample(),
        &[],
        &WorkbookOptions {
            series_vaults: 1,
            ..Default::default()
        },
    );
    assert_eq!(busiest.monitoring.by_vault.len(), 1);
}

#[test]
fn latency_percentile_is_nearest_rank() {
    let mut l = grid_latency(&[
        5, 1, 4, 2, 3, 100, 7, 8, 9, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
    // 20 values: rank ceil(0.95 · 20) = 19 → the 19th smallest is 19.
    assert_eq!(l.0, Some(19));
    assert_eq!(l.1, Some(100));
    l = grid_latency(&[7]);
    assert_eq!(l, (Some(7), Some(7)));
}

fn grid_latency(v: &[u64]) -> (Option<u64>, Option<u64>) {
    let events: Vec<Event> = v
        .iter()
        .map(|&d| {
            let mut e = ev("2026-10-01T08:00:00Z");
            e.duration_ms = Some(d);
            e
        })
        .collect();
    let m = compute(&events, &[], &WorkbookOptions::default()).monitoring;
    (m.latency_p95_ms[0], m.latency_max_ms[0])
}

#[test]
fn object_operations_users_vs_services() {
    let o = wb().object_ops;
    assert_eq!(
        o.secret_users,
        counts(53, &[(0, 1), (50, 2), (51, 1), (52, 1)])
    );
    assert_eq!(o.secret_services, counts(53, &[(1, 1)]));
    assert_eq!(o.key_users, counts(53, &[(51, 1), (52, 1)]));
    assert_eq!(o.key_services, counts(53, &[(1, 1)]));
    assert_eq!(o.certificate_users, counts(53, &[]));
    assert_eq!(o.certificate_services, counts(53, &[]));
}

#[test]
fn coverage_per_vault() {
    let c = wb().coverage;
    assert_eq!(c.total, 2);
    let kv1 = &c.rows[0];
    assert_eq!(kv1.vault, "kv1");
    assert_eq!(
        (kv1.first, kv1.last),
        (t("2026-10-01T08:00:00Z"), t("2026-10-03T10:05:00Z"))
    );
    assert_eq!((kv1.events, kv1.failed), (5, 2));
    assert_eq!((kv1.principals, kv1.caller_ips, kv1.sources), (2, 2, 2));
    assert_eq!((kv1.days_with_data, kv1.missing_days), (2, 1));
    assert_eq!((kv1.hours_with_data, kv1.span_hours), (3, 51));
    let d: Vec<(&str, u64, u64, Option<f64>)> = kv1
        .daily
        .iter()
        .map(|p| (p.date.as_str(), p.events, p.failed, p.score))
        .collect();
    assert_eq!(
        d,
        vec![
            ("2026-10-01", 3, 1, None),
            ("2026-10-02", 0, 0, None),
            ("2026-10-03", 2, 1, None)
        ]
    );
    assert_eq!((kv1.latest_score, kv1.max_score), (None, None));
    let kv2 = &c.rows[1];
    assert_eq!(
        (
            kv2.events,
            kv2.failed,
            kv2.principals,
            kv2.caller_ips,
            kv2.sources
        ),
        (5, 1, 2, 2, 1)
    );
    assert_eq!((kv2.hours_with_data, kv2.span_hours), (3, 52));
    let capped = compute(
        &sample(),
        &[],
        &WorkbookOptions {
            rows: 1,
            ..Default::default()
        },
    );
    assert_eq!((capped.coverage.total, capped.coverage.rows.len()), (2, 1));
}

#[test]
fn daily_anomaly_score() {
    // 15 days of 10 events, then 200 on day 15: history median 10, MAD 0 → scale 1.
    let mut evs = Vec::new();
    for d in 0..15 {
        for k in 0..(if d == 14 { 200 } else { 10 }) {
            evs.push(ev("2026-10-01T08:00:00Z").vault("kv1").secs(d * 86_400 + k));
        }
    }
    let c = compute(&evs, &[], &WorkbookOptions::default()).coverage;
    let v = &c.rows[0];
    assert_eq!(v.daily.len(), 15);
    assert_eq!(v.daily[6].score, None, "6 earlier days");
    assert_eq!(v.daily[7].score, Some(0.0), "7 earlier days of 10");
    assert_eq!(v.daily[14].score, Some(190.0));
    assert_eq!((v.latest_score, v.max_score), (Some(190.0), Some(190.0)));
    // History 10,12,10,12,… (median 11, MAD 1, scale 1.4826): a day of 14 scores 3/1.4826.
    let mut evs = Vec::new();
    for d in 0..9 {
        let n = if d == 8 {
            14
        } else if d % 2 == 0 {
            10
        } else {
            12
        };
        for k in 0..n {
            evs.push(ev("2026-10-01T08:00:00Z").secs(d * 86_400 + k));
        }
    }
    let v = &compute(&evs, &[], &WorkbookOptions::default())
        .coverage
        .rows[0];
    assert_eq!(v.daily[8].score, Some(2.02));
}

#[test]
fn daily_series_keep_the_last_days_with_their_history() {
    let evs: Vec<Event> = (0..500)
        .map(|d| ev("2025-01-01T00:00:00Z").secs(d * 86_400))
        .collect();
    let v = &compute(&evs, &[], &WorkbookOptions::default())
        .coverage
        .rows[0];
    assert_eq!(v.daily.len(), MAX_DAYS);
    assert_eq!(
        v.daily[0].score,
        Some(0.0),
        "the first kept day still has its 14 days of history"
    );
    assert_eq!(
        v.daily[0].date,
        Timestamp::from_micros(t("2025-01-01T00:00:00Z").micros + 100 * MICROS_PER_DAY)
            .date_string()
    );
}

#[test]
fn top_lists_all_and_failed() {
    let w = wb();
    let p = |d: Dimension| w.top.iter().find(|p| p.dimension == d).unwrap().clone();
    let c = |k: &str, e: u64, f: u64| Count {
        key: k.into(),
        events: e,
        failed: f,
    };
    let v = p(Dimension::Vault);
    assert_eq!(v.all, vec![c("kv1", 5, 2), c("kv2", 5, 1)]);
    assert_eq!(v.failed, vec![c("kv1", 5, 2), c("kv2", 5, 1)]);
    let ip = p(Dimension::CallerIp);
    assert_eq!(
        ip.all,
        vec![c("1.2.3.4", 4, 1), c("9.9.9.9", 4, 1), c("5.6.7.8", 2, 1)]
    );
    assert_eq!(
        ip.failed,
        vec![c("1.2.3.4", 4, 1), c("5.6.7.8", 2, 1), c("9.9.9.9", 4, 1)]
    );
    let id = p(Dimension::Identity);
    assert_eq!(
        id.all,
        vec![
            c("b@x", 4, 1),
            c("a@x", 3, 1),
            c("sp-app1", 2, 1),
            c("(anonymous)", 1, 0)
        ]
    );
    assert_eq!((id.distinct, id.distinct_failed), (4, 3));
    assert_eq!(
        id.failed.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        vec!["a@x", "b@x", "sp-app1"]
    );
    let op = p(Dimension::Operation);
    assert_eq!(op.distinct, 8);
    assert_eq!(op.all[0], c("SecretGet", 3, 2));
    assert_eq!(op.all[1].key, "Authentication");
    assert_eq!(
        op.failed,
        vec![c("SecretGet", 3, 2), c("SecretListDeleted", 1, 1)]
    );
    let top2 = compute(
        &sample(),
        &[],
        &WorkbookOptions {
            top: 2,
            ..Default::default()
        },
    );
    let op2 = top2
        .top
        .iter()
        .find(|p| p.dimension == Dimension::Operation)
        .unwrap();
    assert_eq!((op2.all.len(), op2.distinct), (2, 8));
}

#[test]
fn callers_by_ip_and_vault_without_the_challenge() {
    let c = wb().callers;
    assert_eq!(c.total, 4);
    let got: Vec<(&str, &str, u64, u64, Vec<String>)> = c
        .rows
        .iter()
        .map(|r| {
            (
                r.ip.as_str(),
                r.vault.as_str(),
                r.events,
                r.failed,
                r.identities.clone(),
            )
        })
        .collect();
    let s = |v: &str| vec![v.to_string()];
    assert_eq!(
        got,
        vec![
            ("9.9.9.9", "kv2", 4, 1, s("b@x")),
            ("1.2.3.4", "kv1", 3, 1, s("a@x")),
            ("5.6.7.8", "kv1", 1, 1, s("sp-app1")),
            ("5.6.7.8", "kv2", 1, 0, s("sp-app1")),
        ]
    );
    assert_eq!(
        (c.rows[1].first, c.rows[1].last),
        (t("2026-10-01T08:00:00Z"), t("2026-10-03T10:05:00Z"))
    );
}

#[test]
fn failures_by_uri_signature_status() {
    let f = wb().failures;
    assert_eq!(f.total, 3);
    let got: Vec<(&str, &str, Option<u16>, u64)> = f
        .rows
        .iter()
        .map(|r| {
            (
                r.request_uri.as_str(),
                r.result_signature.as_str(),
                r.status,
                r.events,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "https://kv1.vault.azure.net/secrets/s2",
                "Forbidden",
                Some(403),
                1
            ),
            (
                "https://kv1.vault.azure.net/secrets/s9",
                "TooManyRequests",
                Some(429),
                1
            ),
            (
                "https://kv2.vault.azure.net/deletedsecrets",
                "Forbidden",
                Some(403),
                1
            ),
        ]
    );
    assert_eq!(f.rows[2].vaults, vec!["kv2".to_string()]);
}

#[test]
fn sensitive_operations_every_attempt_newest_first() {
    let s = wb().sensitive;
    assert_eq!((s.total, s.succeeded), (3, 2));
    let got: Vec<(usize, &str, &str)> = s
        .rows
        .iter()
        .map(|r| (r.event, r.operation.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (9, "SecretBackup", "success"),
            (7, "SecretListDeleted", "denied"),
            (4, "SecretDelete", "success")
        ]
    );
    assert_eq!(s.rows[0].object.as_deref(), Some("s3"));
    assert_eq!(
        (
            s.rows[1].identity.as_str(),
            s.rows[1].ip.as_str(),
            s.rows[1].status
        ),
        ("b@x", "9.9.9.9", Some(403))
    );
}

#[test]
fn mass_retrieval_threshold_and_period() {
    let w = wb();
    assert_eq!(
        (w.mass_retrieval.threshold, w.mass_retrieval.period_hours),
        (1000, 24)
    );
    assert_eq!(w.mass_retrieval.total, 0);
    let m = tables::mass_retrieval(&EventStore::from_events(&sample()), 1, 24, 10);
    let got: Vec<(Timestamp, &str, &str, u64)> = m
        .rows
        .iter()
        .map(|r| {
            (
                r.period_start,
                r.identity.as_str(),
                r.vault.as_str(),
                r.reads,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (t("2026-10-01T00:00:00Z"), "a@x", "kv1", 1),
            (t("2026-10-01T00:00:00Z"), "sp-app1", "kv2", 1),
            (t("2026-10-03T00:00:00Z"), "b@x", "kv2", 1),
        ],
        "successful Get/Backup only: the denied and throttled Gets, List and Decrypt are not reads"
    );
    let mut evs = Vec::new();
    for i in 0..30 {
        evs.push(
            ev("2026-10-01T08:00:00Z")
                .vault("kv1")
                .user("a@x")
                .op("SecretGet")
                .obj(&format!("s{}", i % 7))
                .secs(i * 60),
        );
    }
    let m = tables::mass_retrieval(&EventStore::from_events(&evs), 25, 24, 10);
    assert_eq!(
        (m.total, m.rows[0].reads, m.rows[0].distinct_objects),
        (1, 30, 7)
    );
    assert_eq!(
        tables::mass_retrieval(&EventStore::from_events(&evs), 31, 24, 10).total,
        0
    );
    // 08:00–08:29 in one-hour periods: one period of 30; the threshold is "at least".
    assert_eq!(
        tables::mass_retrieval(&EventStore::from_events(&evs), 30, 1, 10).total,
        1
    );
}

#[test]
fn alert_panels() {
    let a = wb().alerts;
    assert_eq!(a.total, 4);
    assert_eq!(
        a.severity,
        SeverityCounts {
            high: 0,
            medium: 2,
            low: 1,
            informational: 1
        }
    );
    let v: Vec<(&str, SeverityCounts)> = a
        .by_vault
        .iter()
        .map(|x| (x.vault.as_str(), x.severity))
        .collect();
    assert_eq!(
        v,
        vec![
            (
                "*",
                SeverityCounts {
                    informational: 1,
                    ..Default::default()
                }
            ),
            (
                "kv1",
                SeverityCounts {
                    medium: 1,
                    low: 1,
                    ..Default::default()
                }
            ),
            (
                "kv2",
                SeverityCounts {
                    medium: 1,
                    ..Default::default()
                }
            ),
        ]
    );
    assert_eq!(a.over_time, counts(53, &[(0, 1), (50, 2), (52, 1)]));
    let r: Vec<(&str, u64, u64)> = a
        .by_rule
        .iter()
        .map(|x| (x.rule.as_str(), x.alerts, x.events))
        .collect();
    assert_eq!(
        r,
        vec![
            ("KV_SensitiveOperation", 2, 2),
            ("KV_LogGap", 1, 1),
            ("KV_TORAccess", 1, 2)
        ]
    );
}

#[test]
fn workbook_json_round_trips() {
    let w = wb();
    let back: Workbook = serde_json::from_str(&w.to_json()).unwrap();
    assert_eq!(back, w);
    assert!(w.to_json().contains("\"start\": \"2026-10-01T08:00:00Z\""));
}

#[test]
fn explorer_filter() {
    let e = sample();
    let e = EventStore::from_events(&e);
    let f = |x: EventFilter| x.newest_first(&e);
    assert_eq!(
        f(EventFilter::default()),
        vec![9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        "ties: later index first"
    );
    assert_eq!(
        f(EventFilter {
            vault: " KV2 ".into(),
            ..Default::default()
        }
        .normalised()),
        vec![9, 8, 7, 6, 3]
    );
    assert_eq!(
        f(EventFilter {
            outcome: "denied".into(),
            ..Default::default()
        }),
        vec![7, 2, 1]
    );
    assert_eq!(
        f(EventFilter {
            identity: "APP1".into(),
            ip: "5.6".into(),
            ..Default::default()
        }),
        vec![3, 2]
    );
    assert_eq!(
        f(EventFilter {
            operation: "listdel".into(),
            ..Default::default()
        }),
        vec![7, 6]
    );
    let from = t("2026-10-01T09:00:00Z").micros;
    let to = t("2026-10-03T10:00:00Z").micros;
    assert_eq!(
        f(EventFilter {
            from: Some(from),
            to: Some(to),
            ..Default::default()
        }),
        vec![4, 3, 2],
        "bounds inclusive"
    );
}

#[test]
fn report_shows_every_alert_and_panel_and_escapes_log_text() {
    let mut evs = sample();
    evs[0].vault = Arc::from("<script>alert(1)</script>\u{202E}kv");
    let fs = findings();
    let w = compute(&evs, &fs, &WorkbookOptions::default());
    let summary = crate::ingest::Summary::default();
    let html = report::html(&report::ReportInput {
        summary: &summary,
        findings: &fs,
        rules: &[],
        workbook: &w,
    });
    for (i, f) in fs.iter().enumerate() {
        assert!(
            html.contains(&format!("id=\"alert-{i}\" data-rule=\"{}\"", f.rule)),
            "alert {i}"
        );
    }
    for id in [
        "severity-tiles",
        "alerts-by-vault",
        "alerts-by-rule",
        "alerts-chart",
        "coverage",
        "object-ops-chart",
        "top-all-vault",
        "top-all-ip",
        "top-all-identity",
        "top-all-operation",
        "top-failed-operation",
        "callers",
        "failures",
        "sensitive",
        "mass-retrieval",
        "requests-chart",
        "failures-chart",
        "latency-chart",
        "files-table",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "panel {id}");
    }
    assert!(!html.contains("<script"), "log text is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;⟨U+202E⟩kv"));
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn alerts_only_has_the_alert_panels_of_the_whole_workbook_and_no_event_panel() {
    let whole = wb();
    let store = EventStore::from_events(&sample());
    let first = super::alerts_only(&store, &findings(), &WorkbookOptions::default());
    assert!(whole.alerts.total > 0);
    assert_eq!(first.alerts, whole.alerts);
    assert_eq!(first.grid, whole.grid);
    assert_eq!(
        (first.events, first.first, first.last),
        (whole.events, whole.first, whole.last)
    );
    assert_eq!(first.options, whole.options);
    // the event panels are what `compute` adds
    assert!(!whole.top.is_empty() && first.top.is_empty());
    assert!(whole.coverage.total > 0 && first.coverage.total == 0);
    assert_ne!(first, whole);
    let full = super::compute(&store, &findings(), &WorkbookOptions::default());
    assert_eq!(full, whole);
}
