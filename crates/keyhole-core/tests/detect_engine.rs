//! Engine-level behaviour: learning periods and rule statuses, rolling judgement, allow-lists,
//! intel lists, export formats, hostile input.

use keyhole_core::detect::testkit::{analyze_events as analyze, ev, parse_fixture, EventBuilder};
use keyhole_core::detect::{catalogue, DetectConfig, IntelKind, Severity};
use keyhole_core::export::{findings_csv, findings_json, findings_jsonl, findings_table};
use keyhole_core::Event;

fn tor_read(t: &str) -> Event {
    ev(t)
        .vault("kv1")
        .user("mallory@x")
        .op("SecretGet")
        .obj("s")
        .ip("2.26.97.42")
        .status(200)
}

#[test]
fn short_drop_says_how_every_rule_judged_it() {
    let events = vec![
        ev("2026-10-01T08:00:00Z")
            .vault("kv1")
            .user("a@x")
            .ip("203.0.113.1"),
        tor_read("2026-10-02T08:00:00Z"),
    ];
    let a = analyze(&events, &DetectConfig::default());
    assert!(a.findings.iter().any(|f| f.rule == "KV_TORAccess"));
    for info in catalogue() {
        let st = a.rules.iter().find(|s| s.rule == info.id).unwrap();
        assert!(st.ran, "{}", info.id);
        if info.short_drop.is_empty() {
            assert_eq!(st.note, None, "{}", info.id);
            assert_eq!(st.judged, info.basis, "{}", info.id);
        } else if info.id == "KV_AccountVolumeAnomaly" {
            assert_eq!(
                st.judged,
                format!(
                    "the drop spans 2 days, no more than the 7-day learning period: {}",
                    info.short_drop
                )
            );
        } else {
            let note = format!(
                "the drop spans 2 days and no vault has more than 7 days of data: {}",
                info.short_drop
            );
            assert_eq!(st.note.as_deref(), Some(note.as_str()), "{}", info.id);
            assert_eq!(st.judged, note);
        }
    }
    let (first, last) = a.span.unwrap();
    assert_eq!(first.to_rfc3339(), "2026-10-01T08:00:00Z");
    assert_eq!(last.to_rfc3339(), "2026-10-02T08:00:00Z");
    let empty = analyze(&[], &DetectConfig::default());
    assert!(empty.rules.iter().all(|r| !r.ran));
}

#[test]
fn a_drop_with_long_and_short_vaults_says_both() {
    // kv1 has 20 days of data, kv2 two: rolling on one, the short-drop basis on the other.
    let text = r#"{"t":"2026-10-01T08:00:00Z","vault":"kv1","service":"app","op":"SecretGet","obj":"s","ip":"203.0.113.1","days":20}
{"t":"2026-10-19T08:00:00Z","vault":"kv2","service":"app","op":"SecretGet","obj":"s","ip":"203.0.113.1","days":2}"#;
    let events = parse_fixture("mixed", text).unwrap();
    let a = analyze(&events, &DetectConfig::default());
    let st = |id: &str| a.rules.iter().find(|s| s.rule == id).unwrap().clone();
    assert_eq!(
        st("KV_UserAnomaly").judged,
        format!(
            "rolling history after the 7-day learning period (1 vault); on the 1 vault with 7 days of data or fewer: {}",
            keyhole_core::detect::rules::user_anomaly::INFO.short_drop
        )
    );
    assert_eq!(
        st("KV_AccountVolumeAnomaly").judged,
        "rolling history after the drop's 7-day learning period",
        "the drop as a whole is long"
    );
    assert_eq!(
        st("KV_TORAccess").judged,
        "IP on a TOR exit-node list, needs no history"
    );
}

#[test]
fn attacks_are_found_in_week_three_of_a_month_not_only_at_the_end() {
    let text = r#"{"t":"2026-10-01T08:00:00Z","vault":"kv1","service":"app","op":"SecretGet","obj":"s","ip":"203.0.113.1","days":30}
{"t":"2026-10-18T03:00:00Z","vault":"kv1","user":"intruder@x","op":"SecretGet","obj":"s","ip":"203.0.113.9"}
{"t":"2026-10-29T03:00:00Z","vault":"kv1","user":"late@x","op":"SecretGet","obj":"s","ip":"203.0.113.9"}"#;
    let events = parse_fixture("month", text).unwrap();
    let a = analyze(&events, &DetectConfig::default());
    let users: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule == "KV_UserAnomaly")
        .map(|f| (f.identity.upn.clone().unwrap(), f.first_seen.date_string()))
        .collect();
    assert_eq!(
        users,
        vec![
            ("intruder@x".to_string(), "2026-10-18".to_string()),
            ("late@x".to_string(), "2026-10-29".to_string())
        ]
    );
    assert!(a.rules.iter().all(|s| s.ran));
}

#[test]
fn learning_period_is_per_vault_and_configurable() {
    // kv2 appears on day 10: its own first 7 days only build the baseline.
    let text = r#"{"t":"2026-10-01T08:00:00Z","vault":"kv1","service":"app","op":"SecretGet","obj":"s","ip":"203.0.113.1","days":20}
{"t":"2026-10-10T08:00:00Z","vault":"kv2","service":"app","op":"SecretGet","obj":"s","ip":"203.0.113.1","days":11}
{"t":"2026-10-12T03:00:00Z","vault":"kv2","user":"u@x","op":"SecretGet","obj":"s","ip":"203.0.113.9"}
{"t":"2026-10-12T03:00:00Z","vault":"kv1","user":"u@x","op":"SecretGet","obj":"s","ip":"203.0.113.9"}"#;
    let events = parse_fixture("v", text).unwrap();
    let a = analyze(&events, &DetectConfig::default());
    let vaults: Vec<&str> = a
        .findings
        .iter()
        .filter(|f| f.rule == "KV_UserAnomaly")
        .map(|f| f.vault.as_str())
        .collect();
    assert_eq!(vaults, vec!["kv1"]);
    let cfg = DetectConfig {
        learning_days: 1,
        ..DetectConfig::default()
    };
    let a = analyze(&events, &cfg);
    let n = a
        .findings
        .iter()
        .filter(|f| f.rule == "KV_UserAnomaly")
        .count();
    assert_eq!(n, 2);
}

#[test]
fn allow_lists_suppress_principals_and_ips() {
    let events = vec![tor_read("2026-10-02T08:00:00Z")];
    let mut cfg = DetectConfig::default();
    assert_eq!(analyze(&events, &cfg).findings.len(), 1);
    cfg.add_allow_list("MALLORY@x # the red team\n");
    assert!(analyze(&events, &cfg).findings.is_empty());
    let mut cfg = DetectConfig::default();
    cfg.add_allow_list("2.26.97.0/24\n");
    assert!(analyze(&events, &cfg).findings.is_empty());
}

#[test]
fn first_party_apps_are_allowed_but_users_through_first_party_clients_are_not() {
    let arg = "509e4652-da8d-478d-a730-e9d4a1996ca4";
    let e1 = ev("2026-10-02T08:00:00Z")
        .vault("kv1")
        .service(arg)
        .op("SecretList")
        .ip("2.26.97.42");
    let e2 = ev("2026-10-02T08:00:01Z")
        .vault("kv1")
        .user("u@x")
        .app(arg)
        .op("SecretList")
        .ip("2.26.97.42");
    let a = analyze(&[e1, e2], &DetectConfig::default());
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].identity.upn.as_deref(), Some("u@x"));
    let cfg = DetectConfig {
        allow_first_party: false,
        ..DetectConfig::default()
    };
    let e1 = ev("2026-10-02T08:00:00Z")
        .vault("kv1")
        .service(arg)
        .op("SecretList")
        .ip("2.26.97.42");
    assert_eq!(analyze(&[e1], &cfg).findings.len(), 1);
}

#[test]
fn user_tor_list_and_bundled_switch() {
    let events = vec![
        ev("2026-10-02T08:00:00Z")
            .vault("kv1")
            .user("m@x")
            .ip("192.0.2.66"),
        tor_read("2026-10-02T09:00:00Z"),
    ];
    let mut cfg = DetectConfig {
        bundled_tor: false,
        ..DetectConfig::default()
    };
    assert!(analyze(&events, &cfg).findings.is_empty());
    cfg.add_intel(IntelKind::Tor, "exits.txt", "# exits\n192.0.2.0/25\n")
        .unwrap();
    let a = analyze(&events, &cfg);
    assert_eq!(a.findings.len(), 1);
    assert!(
        a.findings[0]
            .reason
            .contains("192.0.2.0/25 on the exits.txt"),
        "{}",
        a.findings[0].reason
    );
}

#[test]
fn findings_sorted_by_time_then_severity() {
    let text = r#"{"t":"2026-10-15T10:00:00Z","vault":"kv1","user":"m@x","op":"VaultPut","ip":"203.0.113.5","policy_added":{"oid":"o1","secrets":["get"]}}
{"t":"2026-10-15T10:01:00Z","vault":"kv1","user":"m@x","op":"VaultPut","ip":"203.0.113.5","policy_removed":{"oid":"o1"}}
{"t":"2026-10-15T09:00:00Z","vault":"kv1","user":"m@x","op":"SecretGet","obj":"s","ip":"2.26.97.42"}"#;
    let a = analyze(&parse_fixture("s", text).unwrap(), &DetectConfig::default());
    let got: Vec<(&str, Severity)> = a.findings.iter().map(|f| (f.rule, f.severity)).collect();
    assert_eq!(
        got,
        vec![
            ("KV_TORAccess", Severity::Medium),
            ("KV_AccessPolicyFlash", Severity::High),
            ("KV_AccessPolicyGranted", Severity::Low),
            ("KV_AdministrativeOperation", Severity::Informational),
        ]
    );
}

#[test]
fn jsonl_follows_spec_field_order_and_csv_defuses_formulas() {
    let e = tor_read("2026-10-18T03:10:11Z")
        .user("=HYPERLINK(\"http://evil\")")
        .at("raw.zip:a/PT1H.json", 12);
    let a = analyze(&[e], &DetectConfig::default());
    let line = findings_jsonl(&a.findings);
    let keys: Vec<String> = {
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        let _ = v;
        // serde_json::Value sorts keys; read the order from the text itself.
        let mut ks = Vec::new();
        let mut depth = 0;
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                b'"' => {
                    let j = i + 1 + line[i + 1..].find('"').unwrap();
                    if depth == 1 && b[j + 1] == b':' {
                        ks.push(line[i + 1..j].to_string());
                    }
                    // skip string contents (no escaped quotes in keys)
                    let mut k = i + 1;
                    while b[k] != b'"' {
                        if b[k] == b'\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    i = k;
                }
                _ => {}
            }
            i += 1;
        }
        ks
    };
    assert_eq!(
        keys,
        [
            "rule",
            "title",
            "severity",
            "tactics",
            "vault",
            "identity",
            "ip",
            "first_seen",
            "last_seen",
            "count",
            "reason",
            "basis",
            "confidence",
            "evidence",
            "details"
        ]
    );
    assert!(
        line.contains(r#""evidence":[{"source":"raw.zip:a/PT1H.json","line":12,"event":0}]"#),
        "{line}"
    );
    assert!(line.contains(r#""first_seen":"2026-10-18T03:10:11Z""#));
    assert!(
        line.contains(r#"needs no history","confidence":"high","evidence""#),
        "{line}"
    );
    let csv = findings_csv(&a.findings);
    assert!(
        csv.starts_with("rule,title,severity,tactics,vault,upn,object_id,app_id,ip,first_seen,last_seen,count,reason,basis,confidence,evidence\r\n"),
        "{csv}"
    );
    assert!(csv.contains(", needs no history\",high,"), "{csv}");
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","),
        "{csv}"
    );
    assert!(!csv.contains(",=HYPERLINK"));
    let json: serde_json::Value = serde_json::from_str(&findings_json(&a.findings)).unwrap();
    assert_eq!(json[0]["rule"], "KV_TORAccess");
    assert!(findings_table(&a.findings).contains("KV_TORAccess"));
}

#[test]
fn hostile_and_degenerate_input_never_panics() {
    let mut events = vec![
        ev("1970-01-01T00:00:00Z"),
        ev("2026-10-01T00:00:00Z").ip("<Redacted>").status(403),
        ev("2026-10-01T00:00:01Z")
            .op("BrandNewOperation")
            .ip("")
            .status(500),
        ev("2026-10-01T00:00:02Z")
            .vault("kv\u{202e}evil")
            .user("\u{0}\n=cmd")
            .op("VaultPatch")
            .ip("[::1]:443"),
        ev("2099-12-31T23:59:59Z").op("SecretGet").status(200),
    ];
    let mut cfgd = ev("2026-10-01T00:00:03Z").op("VaultGet");
    cfgd.vault_config = Some(Box::default());
    events.push(cfgd);
    events.sort_by_key(|e| e.time);
    let a = analyze(&events, &DetectConfig::default());
    let _ = findings_table(&a.findings);
    let _ = findings_csv(&a.findings);
    assert!(analyze(&[], &DetectConfig::default()).span.is_none());
    let opts = keyhole_core::workbook::WorkbookOptions::default();
    for e in &events {
        let one = keyhole_core::EventStore::from_events(std::slice::from_ref(e));
        let _ = keyhole_core::workbook::compute(&one, &a.findings, &opts);
    }
    let all = keyhole_core::EventStore::from_events(&events);
    let _ = keyhole_core::workbook::compute(&all, &a.findings, &opts);
}

/// Attacker-shaped volume: one principal, inside an hour, thousands of new operation names, new
/// secrets after a list, vaults, and access-policy changes. Every per-event cost is bounded
/// (lists capped at 50–64), so this runs in linear time; counts stay exact.
#[test]
fn hostile_volumes_keep_exact_counts_with_bounded_state() {
    let n = 5_000i64;
    let mut events = Vec::new();
    for d in 0..10 {
        events.push(
            ev("2026-10-01T08:00:00Z")
                .vault("kv")
                .user("x@y")
                .op("SecretGet")
                .obj("s")
                .secs(d * 86_400),
        );
    }
    let t0 = "2026-10-15T02:00:00Z";
    events.push(ev(t0).vault("kv").user("x@y").op("SecretList"));
    for k in 0..n {
        events.push(
            ev(t0)
                .vault("kv")
                .user("x@y")
                .op(&format!("Weird{k}"))
                .secs(1 + k / 1000),
        );
        events.push(
            ev(t0)
                .vault("kv")
                .user("x@y")
                .op("SecretGet")
                .obj(&format!("n{k}"))
                .secs(2 + k / 1000),
        );
        events.push(
            ev(t0)
                .vault(&format!("v{k}"))
                .user("x@y")
                .op("SecretGet")
                .obj("s")
                .secs(3 + k / 1000),
        );
        let mut p = ev(t0)
            .vault("kv")
            .user("x@y")
            .op("VaultPatch")
            .secs(4 + k / 1000);
        p.policy_added = Some(Box::new(keyhole_core::event::AccessPolicyChange {
            object_id: Some(format!("o{k}").into()),
            ..Default::default()
        }));
        events.push(p);
    }
    events.sort_by_key(|e| e.time);
    let a = analyze(&events, &DetectConfig::default());
    let one = |rule: &str| {
        let v: Vec<_> = a.findings.iter().filter(|f| f.rule == rule).collect();
        assert_eq!(v.len(), 1, "{rule}");
        v[0].clone()
    };
    let pattern = one("KV_OperationPatternAnomaly");
    assert!(pattern.evidence.len() <= 50);
    assert!(pattern.details["new_operations"].as_array().unwrap().len() <= 50);
    let lg = one("KV_ListGetAnomaly");
    assert_eq!(lg.details["count"], n);
    assert!(
        lg.reason.contains(&format!("read {n} secrets")),
        "{}",
        lg.reason
    );
    let vol = one("KV_AccountVolumeAnomaly");
    assert_eq!(
        vol.details["distinct_vaults"].as_u64().unwrap(),
        n as u64 + 1
    );
    assert!(vol.details["vaults"].as_array().unwrap().len() <= 50);
    assert_eq!(
        a.findings
            .iter()
            .filter(|f| f.rule == "KV_AccessPolicyGranted")
            .count(),
        n as usize
    );
}
