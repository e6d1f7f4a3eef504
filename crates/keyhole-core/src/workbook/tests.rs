use super::*;
use crate::detect::testkit::{ev, EventBuilder};

fn sample() -> Vec<Event> {
    let mut v = vec![
        ev("2026-10-01T08:00:00Z")
            .vault("kv1")
            .user("a@x")
            .op("SecretGet")
            .obj("s1")
            .ip("1.2.3.4")
            .status(200),
        ev("2026-10-01T08:00:01Z")
            .vault("kv1")
            .op("Authentication")
            .ip("1.2.3.4")
            .status(401),
        ev("2026-10-01T09:00:00Z")
            .vault("kv1")
            .service("app1")
            .op("SecretGet")
            .obj("s2")
            .ip("5.6.7.8")
            .status(403),
        ev("2026-10-01T09:30:00Z")
            .vault("kv2")
            .service("app1")
            .op("KeyGet")
            .obj("k1")
            .ip("5.6.7.8")
            .status(200),
        ev("2026-10-03T10:00:00Z")
            .vault("kv1")
            .user("a@x")
            .op("SecretDelete")
            .obj("s1")
            .ip("1.2.3.4")
            .status(200),
        ev("2026-10-03T10:05:00Z")
            .vault("kv1")
            .user("a@x")
            .op("SecretGet")
            .obj("s9")
            .ip("1.2.3.4")
            .status(429),
    ];
    v[1].identity = Default::default();
    v[2].duration_ms = Some(100);
    v
}

#[test]
fn coverage_counts_days_gaps_and_principals() {
    let c = coverage(&sample());
    assert_eq!(c.len(), 2);
    let kv1 = &c[0];
    assert_eq!(kv1.vault, "kv1");
    assert_eq!(kv1.events, 5);
    assert_eq!(kv1.days_with_data, 2);
    assert_eq!(kv1.missing_days, 1, "2026-10-02 has no event");
    assert_eq!(kv1.principals, 2);
    assert_eq!(
        kv1.failures, 2,
        "403 and 429; the 401 challenge is not a failure"
    );
}

#[test]
fn events_by_dimension_all_and_failed() {
    let by_vault = events_by(&sample(), Dimension::Vault);
    assert_eq!(
        by_vault[0],
        Count {
            key: "kv1".into(),
            events: 5,
            failed: 2
        }
    );
    let by_op = events_by(&sample(), Dimension::Operation);
    assert_eq!(by_op[0].key, "SecretGet");
    assert_eq!(by_op[0].events, 3);
    let by_ip = events_by(&sample(), Dimension::CallerIp);
    assert_eq!(
        by_ip[0],
        Count {
            key: "1.2.3.4".into(),
            events: 4,
            failed: 1
        }
    );
}

#[test]
fn callers_and_failures_skip_the_challenge() {
    let c = callers_by_ip_vault(&sample());
    let row = c
        .iter()
        .find(|r| r.ip == "1.2.3.4" && r.vault == "kv1")
        .unwrap();
    assert_eq!(row.events, 3);
    assert_eq!(row.identities, vec!["a@x".to_string()]);
    let f = failures(&sample());
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|r| r.status != Some(401)));
}

#[test]
fn sensitive_and_mass_retrieval() {
    let s = sensitive_operations(&sample());
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].operation, "SecretDelete");
    assert_eq!(s[0].event, 4);
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
    let rows = mass_retrieval(&evs, 25, DAY);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].reads, rows[0].distinct_objects), (30, 7));
    assert!(mass_retrieval(&evs, 31, DAY).is_empty());
    assert_eq!(
        mass_retrieval(&evs, 10, 10 * 60 * 1_000_000).len(),
        3,
        "three 10-minute bins of 10 reads"
    );
}

#[test]
fn object_ops_split_users_and_services_and_fill_gaps() {
    let p = object_ops_over_time(&sample(), DAY);
    assert_eq!(p.len(), 3, "2026-10-01..03 including the empty day");
    assert_eq!(p[0].secret_users, 1);
    assert_eq!(p[0].secret_services, 1);
    assert_eq!(p[0].key_services, 1);
    assert_eq!(
        p[1],
        ObjectOpsPoint {
            start: p[1].start,
            ..Default::default()
        }
    );
    assert_eq!(p[2].secret_users, 2);
}

#[test]
fn monitoring_counts_latency_failures_throttling() {
    let m = monitoring(&sample(), DAY);
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].requests, 4);
    assert_eq!(m[0].challenges, 1);
    assert_eq!(m[0].failures, 1);
    assert_eq!(m[0].latency_max_ms, Some(100));
    assert_eq!(m[0].latency_p50_ms, Some(10));
    assert_eq!(m[2].throttled, 1);
    assert_eq!(m[2].failures, 0);
}

#[test]
fn daily_scores_flag_a_spike() {
    let mut evs = Vec::new();
    for d in 0..15 {
        let n = if d == 14 { 200 } else { 10 };
        for k in 0..n {
            evs.push(
                ev("2026-10-01T08:00:00Z")
                    .vault("kv1")
                    .user("a@x")
                    .secs(d * 86_400 + k),
            );
        }
    }
    let v = daily_by_vault(&evs);
    assert_eq!(v[0].days.len(), 15);
    assert_eq!(v[0].days[3].score, None, "fewer than 7 earlier days");
    assert_eq!(v[0].days[10].score, Some(0.0));
    assert_eq!(v[0].latest_score, Some(190.0));
    assert_eq!(v[0].max_score, Some(190.0));
    let order = newest_first(&evs);
    assert_eq!(order[0], evs.len() - 1);
}
