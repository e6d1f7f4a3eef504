//! `keyhole workbook` and `keyhole report` through the real binary, and the output rules every
//! terminal line follows (hidden characters made visible, long lists capped).

use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_keyhole");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keyhole-wb-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("keyhole runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("utf-8")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A generated drop with attacks: raw JSON lines and the same records as AzureDiagnostics rows.
fn drop_files() -> &'static (PathBuf, PathBuf, PathBuf) {
    static D: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    D.get_or_init(|| {
        let cfg = GenConfig {
            seed: 7,
            days: 10,
            scale: 0.05,
            attacks: true,
            ..GenConfig::default()
        };
        let (recs, _) = generate_all(&cfg);
        let dir = scratch("drop");
        let mut out = Vec::new();
        for (shape, name) in [
            (OutShape::RawJsonLines, "raw.jsonl"),
            (OutShape::AzureDiagnosticsJsonLines, "ad.jsonl"),
        ] {
            let mut w = writer_for(shape, 0);
            let mut bytes = Vec::new();
            for r in &recs {
                w.write_record(r, &mut bytes);
            }
            w.finish(&mut bytes);
            std::fs::write(dir.join(name), bytes).unwrap();
            out.push(dir.join(name));
        }
        std::fs::write(dir.join("tor.txt"), keyhole_gen::demo_tor_list()).unwrap();
        (out[0].clone(), out[1].clone(), dir.join("tor.txt"))
    })
}

fn workbook_json(file: &Path) -> Value {
    let tor = format!("tor={}", p(&drop_files().2));
    let o = run(&["workbook", "--format", "json", "--intel", &tor, p(file)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("workbook JSON")
}

#[test]
fn workbook_json_holds_every_panel_and_agrees_with_analyze_and_events() {
    let (raw, ad, tor) = drop_files();
    let wb = workbook_json(raw);
    for key in [
        "options",
        "events",
        "first",
        "last",
        "grid",
        "alerts",
        "coverage",
        "monitoring",
        "object_ops",
        "top",
        "callers",
        "failures",
        "sensitive",
        "mass_retrieval",
    ] {
        assert!(wb.get(key).is_some(), "missing panel {key}");
    }
    let events = run(&["events", p(raw)]);
    let n = text(&events.stdout).lines().count() as u64;
    assert_eq!(wb["events"], json!(n));
    let per_vault: u64 = wb["coverage"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["events"].as_u64().unwrap())
        .sum();
    assert_eq!(per_vault, n, "coverage rows add up to the events");
    let requests: u64 = wb["monitoring"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .sum();
    assert_eq!(requests, n, "every event is in one bucket");
    let tor_arg = format!("tor={}", p(tor));
    let a = run(&["analyze", "--format", "jsonl", "--intel", &tor_arg, p(raw)]);
    let alerts = text(&a.stdout).lines().count() as u64;
    assert!(alerts > 0);
    assert_eq!(wb["alerts"]["total"], json!(alerts));
    let s = &wb["alerts"]["severity"];
    let by_sev: u64 = ["high", "medium", "low", "informational"]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum();
    assert_eq!(by_sev, alerts);
    // Another export shape of the same records: the same panels, except which files they
    // came from.
    let mut other = workbook_json(ad);
    let mut wb = wb;
    for w in [&mut wb, &mut other] {
        for r in w["coverage"]["rows"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("sources");
        }
    }
    assert_eq!(
        wb, other,
        "raw records and AzureDiagnostics rows give the same workbook"
    );
}

#[test]
fn workbook_mass_retrieval_follows_the_options() {
    let (raw, _, _) = drop_files();
    let o = run(&[
        "workbook",
        "--format",
        "json",
        "--mass-threshold",
        "5",
        "--mass-hours",
        "1",
        p(raw),
    ]);
    assert!(o.status.success());
    let wb: Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = &wb["mass_retrieval"];
    assert_eq!(
        (m["threshold"].as_u64(), m["period_hours"].as_u64()),
        (Some(5), Some(1))
    );
    let rows = m["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["reads"].as_u64().unwrap() >= 5));
}

#[test]
fn workbook_table_has_every_section() {
    let (raw, _, _) = drop_files();
    let o = run(&["workbook", p(raw)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    for h in [
        "WORKBOOK",
        "ALERTS",
        "COVERAGE",
        "EVENTS BY VAULT",
        "FAILED EVENTS BY CALLER IP",
        "EVENTS BY IDENTITY",
        "EVENTS BY OPERATION",
        "CALLERS BY IP x VAULT",
        "FAILURES BY REQUEST URI",
        "SENSITIVE OPERATIONS",
        "MASS RETRIEVAL",
        "MONITORING",
        "SECRETS / KEYS / CERTIFICATES",
    ] {
        assert!(t.contains(h), "missing section {h}");
    }
}

#[test]
fn report_is_one_script_free_file_with_every_alert() {
    let (raw, _, tor) = drop_files();
    let dir = scratch("report");
    let out = dir.join("report.html");
    let tor_arg = format!("tor={}", p(tor));
    let o = run(&["report", "-o", p(&out), "--intel", &tor_arg, p(raw)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    let a = run(&["analyze", "--format", "jsonl", "--intel", &tor_arg, p(raw)]);
    let rules: Vec<String> = text(&a.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["rule"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(html.matches("<section class=\"alert ").count(), rules.len());
    for r in &rules {
        assert!(html.contains(&format!("data-rule=\"{r}\"")));
    }
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    let missing = run(&["report", p(raw)]);
    assert!(!missing.status.success(), "-o is required");
}

fn record(vault: &str, n: usize) -> String {
    json!({
        "time": format!("2026-10-18T03:{:02}:{:02}.0000000Z", (n / 60) % 60, n % 60),
        "category": "AuditEvent",
        "operationName": "SecretGet",
        "resultType": "Success",
        "callerIpAddress": "10.0.0.1",
        "identity": {"claim": {"oid": "aaaaaaaa-0000-0000-0000-000000000001", "upn": "a@contoso.com"}},
        "properties": {"httpStatusCode": 200, "id": format!("https://x.vault.azure.net/secrets/s{n}")},
        "resourceId": format!("/SUBSCRIPTIONS/11111111-2222-3333-4444-555555555555/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/{vault}"),
    })
    .to_string()
}

#[test]
fn terminal_output_shows_escapes_and_bidi_overrides_visibly() {
    let dir = scratch("escapes");
    let file = dir.join("evil\u{1b}[31m\u{202E}lnosj.exe.jsonl");
    let lines = [
        record("KV\u{1b}[31mRED\u{1b}]0;pwned\u{7}", 1),
        record("KV-EVIL\u{202E}TXT.EXE", 2),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    for args in [vec!["analyze"], vec!["workbook"], vec!["events"]] {
        let mut a: Vec<&str> = args.clone();
        a.push(p(&file));
        let o = run(&a);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{202E}') && !err.contains('\u{7}'),
            "{err}"
        );
        assert!(
            err.contains("evil⟨U+001B⟩[31m⟨U+202E⟩lnosj.exe.jsonl"),
            "{err}"
        );
        assert!(err.contains("⟨U+202E⟩"), "{err}");
        if args[0] != "events" {
            let out = text(&o.stdout);
            assert!(
                !out.contains('\u{1b}') && !out.contains('\u{202E}'),
                "{args:?}: {out}"
            );
        }
    }
}

#[test]
fn summary_caps_long_lists() {
    let dir = scratch("many");
    let vaults = 25;
    let body: Vec<String> = (0..vaults)
        .map(|i| record(&format!("KV-{i:03}"), i))
        .collect();
    std::fs::write(dir.join("a-many.jsonl"), body.join("\n") + "\n").unwrap();
    for i in 0..23 {
        std::fs::write(
            dir.join(format!("f{i:02}.jsonl")),
            record("KV-000", 100 + i) + "\n",
        )
        .unwrap();
    }
    let o = run(&["events", p(&dir)]);
    assert!(o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains(&format!("vaults ({vaults}): ")), "{err}");
    assert!(err.contains("… and 15 more\n"), "{err}");
    assert!(
        err.contains("kv-009") && !err.contains("kv-010"),
        "ten vault names: {err}"
    );
    assert!(
        err.contains("… and 4 more file(s): 4 record(s), 0 skipped"),
        "{err}"
    );
    assert!(err.lines().all(|l| l.len() < 400), "{err}");
}
