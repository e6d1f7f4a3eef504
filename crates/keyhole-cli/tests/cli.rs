//! The command-line contract (spec §4), exercised through the real `keyhole` binary on files the
//! generator writes: formats, exit status, the summary on standard error, standard input,
//! folders and zips, formula-safe CSV, KQL with positioned errors.

use keyhole_gen::zip::ZipTree;
use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape, Record};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_keyhole");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keyhole-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

struct Demo {
    dir: PathBuf,
    records: usize,
}

/// One generated drop with attacks, written once for all tests: raw JSON lines, the zip tree,
/// and the demo intel lists.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let cfg = GenConfig {
            seed: 99,
            days: 14,
            scale: 0.08,
            attacks: true,
            ..GenConfig::default()
        };
        let (recs, _) = generate_all(&cfg);
        let dir = scratch("demo");
        std::fs::write(dir.join("raw.jsonl"), write(OutShape::RawJsonLines, &recs)).unwrap();
        let mut z = ZipTree::new();
        let mut zip = Vec::new();
        for r in &recs {
            z.write_record(r, &mut zip);
        }
        z.finish(&mut zip);
        std::fs::write(dir.join("container.zip"), zip).unwrap();
        std::fs::write(dir.join("tor.txt"), keyhole_gen::demo_tor_list()).unwrap();
        std::fs::write(
            dir.join("suspicious.txt"),
            keyhole_gen::demo_suspicious_list(),
        )
        .unwrap();
        Demo {
            dir,
            records: recs.len(),
        }
    })
}

fn write(shape: OutShape, recs: &[Record]) -> Vec<u8> {
    let mut w = writer_for(shape, 0);
    let mut out = Vec::new();
    for r in recs {
        w.write_record(r, &mut out);
    }
    w.finish(&mut out);
    out
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("keyhole runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn events_jsonl_has_the_spec_fields_and_a_summary_on_stderr() {
    let d = demo();
    let o = run(&["events", p(&d.dir.join("raw.jsonl"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), d.records);
    for key in [
        "time",
        "vault",
        "subscription",
        "resource_group",
        "operation",
        "object_kind",
        "object_name",
        "object_version",
        "status",
        "outcome",
        "result_signature",
        "result_description",
        "caller_ip",
        "identity",
        "client_info",
        "request_uri",
        "duration_ms",
        "tls_version",
        "correlation_id",
        "source",
    ] {
        assert!(lines[0].get(key).is_some(), "missing {key}");
    }
    let times: Vec<&str> = lines.iter().map(|l| l["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time order");
    let err = stderr(&o);
    assert!(err.contains(&format!("{} record(s)", d.records)), "{err}");
    assert!(err.contains("RawJsonLines"), "{err}");
    assert!(err.contains("time span: 20"), "{err}");
    assert!(err.contains("vaults ("), "{err}");
}

#[test]
fn folders_zips_and_stdin_read_the_same_events() {
    let d = demo();
    let from_zip = run(&["events", p(&d.dir.join("container.zip"))]);
    assert!(from_zip.status.success(), "{}", stderr(&from_zip));
    assert_eq!(stdout(&from_zip).lines().count(), d.records);
    assert!(stderr(&from_zip).contains("Zip"), "{}", stderr(&from_zip));

    let raw = std::fs::read(d.dir.join("raw.jsonl")).unwrap();
    let mut child = Command::new(BIN)
        .args(["events", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&raw));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(o.status.success());
    assert_eq!(stdout(&o).lines().count(), d.records);

    // The folder holds raw.jsonl and the zip of the same records (and two intel lists that are
    // not logs): each event once.
    let o = run(&["events", p(&d.dir)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), d.records);
    assert!(
        stderr(&o).contains(&format!("{} duplicate(s) removed", d.records)),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_input_keeps_good_records_and_reports_lines() {
    let dir = scratch("bad");
    let d = demo();
    let raw = std::fs::read_to_string(d.dir.join("raw.jsonl")).unwrap();
    let good: Vec<&str> = raw.lines().take(3).collect();
    let mixed = format!(
        "{}\nthis is not json\n{}\n{{\"truncated\": \n{}\n",
        good[0], good[1], good[2]
    );
    let f = dir.join("mixed.jsonl");
    std::fs::write(&f, mixed).unwrap();
    let o = run(&["events", p(&f)]);
    assert!(o.status.success(), "good records kept: {}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3);
    let err = stderr(&o);
    assert!(err.contains("mixed.jsonl:2:"), "line of the garbage: {err}");
    assert!(
        err.contains("mixed.jsonl:4:"),
        "line of the truncated record: {err}"
    );
    assert!(err.contains("2 skipped"), "{err}");

    // Nothing readable at all: exit status 2 and a clear message.
    let junk = dir.join("junk.bin");
    std::fs::write(
        &junk,
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let o = run(&["analyze", p(&junk)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing could be read"),
        "{}",
        stderr(&o)
    );
    let o = run(&["events", p(&dir.join("does-not-exist.json"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such file"), "{}", stderr(&o));
}

#[test]
fn events_csv_defuses_formulas() {
    let dir = scratch("csv");
    let rec = r#"{"time":"2026-10-20T10:00:00.1234567Z","category":"AuditEvent","operationName":"SecretGet","resultType":"Success","correlationId":"c1","callerIpAddress":"203.0.113.9","identity":{"claim":{"oid":"o1","upn":"=HYPERLINK(\"http://evil.example\",\"x\")","appid":"a1"}},"properties":{"id":"https://kv1.vault.azure.net/secrets/s1/v1","clientInfo":"@SUM(1+1)","httpStatusCode":200,"requestUri":"https://kv1.vault.azure.net/secrets/s1?api-version=7.4"},"resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1","resultSignature":"OK","durationMs":"12"}"#;
    let f = dir.join("one.jsonl");
    std::fs::write(&f, format!("{rec}\n")).unwrap();
    let o = run(&["events", "--format", "csv", p(&f)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // RFC 4180 records, as every CSV export of the page and the CLI: CRLF, no bare LF
    assert!(out.ends_with("\r\n"), "{out:?}");
    assert_eq!(
        out.matches("\r\n").count(),
        out.matches('\n').count(),
        "{out:?}"
    );
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("time,vault,"));
    let row = lines.next().unwrap();
    assert!(
        row.contains(r#""'=HYPERLINK(""http://evil.example"",""x"")""#),
        "{row}"
    );
    assert!(row.contains("'@SUM(1+1)"), "{row}");
    assert!(!row.contains(",=") && !row.contains(",@"), "{row}");
}

#[test]
fn analyze_finds_the_injected_attacks_in_every_format() {
    let d = demo();
    let tor = format!("tor={}", p(&d.dir.join("tor.txt")));
    let sus = format!("suspicious={}", p(&d.dir.join("suspicious.txt")));
    let raw = d.dir.join("raw.jsonl");
    let base = ["analyze", "--intel", &tor, "--intel", &sus];

    let o = run(&[&base[..], &["--format", "jsonl", p(&raw)]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let findings: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rules: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for r in [
        "KV_TORAccess",
        "KV_SuspiciousIPAccess",
        "KV_ListGetAnomaly",
        "KV_FirewallOpened",
        "KV_AccessPolicyFlash",
    ] {
        assert!(rules.contains(r), "{r} missing from {rules:?}");
    }
    let tor_finding = findings
        .iter()
        .find(|f| f["rule"] == "KV_TORAccess")
        .unwrap();
    for key in [
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
    ] {
        assert!(tor_finding.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(tor_finding["confidence"], "high");
    let ev = &tor_finding["evidence"][0];
    assert!(
        ev["source"].as_str().unwrap().ends_with("raw.jsonl"),
        "{ev}"
    );
    assert!(ev["line"].as_u64().unwrap() >= 1);

    let o = run(&[&base[..], &["--format", "json", p(&raw)]].concat());
    let all: Vec<Value> = serde_json::from_str(&stdout(&o)).expect("json array");
    assert_eq!(all.len(), findings.len());

    let o = run(&[&base[..], &["--format", "csv", p(&raw)]].concat());
    let csv = stdout(&o);
    assert_eq!(
        csv.lines().next().map(|h| h.starts_with("rule,")),
        Some(true),
        "{csv}"
    );
    assert!(csv.contains("KV_TORAccess"));

    let out = scratch("analyze").join("findings.txt");
    let o = run(&[&base[..], &["--format", "table", "-o", p(&out), p(&raw)]].concat());
    assert!(o.status.success());
    let table = std::fs::read_to_string(&out).unwrap();
    assert!(table.contains("KV_FirewallOpened"), "{table}");

    // Without the intel lists, the TOR demo IPs are not known and do not alert as TOR.
    let o = run(&["analyze", "--format", "jsonl", p(&raw)]);
    assert!(!stdout(&o).contains("\"KV_SuspiciousIPAccess\""));
}

#[test]
fn query_runs_kql_and_points_at_errors() {
    let d = demo();
    let raw = d.dir.join("raw.jsonl");
    let o = run(&[
        "query",
        "--format",
        "json",
        "| where ResourceProvider ==\"MICROSOFT.KEYVAULT\"\n| summarize count() by CallerIPAddress, Resource",
        p(&raw),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).expect("array of row objects");
    let total: u64 = rows.iter().map(|r| r["count_"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, d.records, "every event counted once");

    let q = scratch("kql").join("q.kql");
    std::fs::write(
        &q,
        "AzureDiagnostics\n| where OperatioName == \"SecretGet\"\n",
    )
    .unwrap();
    let o = run(&["query", "--file", p(&q), p(&raw)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("line 2, column 9"), "{err}");
    assert!(err.contains("OperationName"), "did you mean: {err}");
}

/// The last three days of a tenant: `keyhole analyze` says per rule how it judged the drop, and
/// every finding carries its basis and confidence.
#[test]
fn analyze_says_how_each_rule_judged_a_short_drop() {
    let cfg = GenConfig {
        seed: 7,
        days: 21,
        scale: 0.25,
        ..GenConfig::default()
    };
    let (recs, inside) = keyhole_gen::generate_last_days(&cfg, 3);
    assert!(!inside.is_empty());
    let dir = scratch("short");
    let raw = dir.join("last3.jsonl");
    std::fs::write(&raw, write(OutShape::RawJsonLines, &recs)).unwrap();
    let o = run(&["analyze", "--format", "jsonl", p(&raw)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("keyhole: judged as designed (rolling history after the learning period, or no history needed): KV_TORAccess,"),
        "{err}"
    );
    for rule in [
        "KV_UserAnomaly",
        "KV_MassSecretRetrieval",
        "KV_OperationVolumeAnomaly",
        "KV_ListGetAnomaly",
        "KV_LogGap",
    ] {
        assert!(
            err.contains(&format!(
                "keyhole: {rule}: the drop spans 3 days and no vault has more than 7 days of data: "
            )),
            "{rule}: {err}"
        );
    }
    assert!(!err.contains("needs 7 days"), "{err}");
    let findings: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!findings.is_empty());
    for f in &findings {
        assert!(!f["basis"].as_str().unwrap().is_empty(), "{f}");
        assert!(
            matches!(f["confidence"].as_str(), Some("high" | "medium" | "low")),
            "{f}"
        );
    }
    assert!(
        findings
            .iter()
            .any(|f| f["basis"].as_str().unwrap().contains("of this drop")),
        "a verdict judged from the drop itself"
    );
}

#[test]
fn query_binds_workbook_parameters() {
    let d = demo();
    let raw = d.dir.join("raw.jsonl");
    let q = "AzureDiagnostics | where tolower(ResourceId) in ({KeyVault}) and TimeGenerated >= {TimeRange:start} | summarize n = count() | extend t = {Threshold}";
    // Defaults: every vault and the whole drop; the unbound threshold is an error naming it.
    let o = run(&["query", q, p(&raw)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("'Threshold'"), "{}", stderr(&o));
    let o = run(&[
        "query",
        "--format",
        "json",
        "--param",
        "Threshold=25",
        q,
        p(&raw),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rows[0]["n"].as_u64().unwrap() as usize, d.records);
    assert_eq!(rows[0]["t"].as_u64(), Some(25));
    // --param overrides a default: no vault selected, no row counted.
    let o = run(&[
        "query",
        "--format",
        "json",
        "--param",
        "Threshold=1",
        "--param",
        "KeyVault='none'",
        q,
        p(&raw),
    ]);
    let rows: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rows[0]["n"].as_u64(), Some(0));
    let o = run(&["query", "--param", "novalue", q, p(&raw)]);
    assert!(!o.status.success());
}

#[test]
fn a_bound_time_range_is_the_query_time_context() {
    let d = demo();
    let raw = d.dir.join("raw.jsonl");
    let json = |args: &[&str]| -> Vec<Value> {
        let o = run(args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let first = json(&[
        "query",
        "--format",
        "json",
        "AzureDiagnostics | summarize a = min(TimeGenerated), b = min(TimeGenerated) + 4d",
        p(&raw),
    ]);
    let (a, b) = (
        first[0]["a"].as_str().unwrap().to_string(),
        first[0]["b"].as_str().unwrap().to_string(),
    );
    // a query that never names {TimeRange} (a workbook's pie chart) is narrowed to it …
    let range = format!("TimeRange={a}..{b}");
    let q = "AzureDiagnostics | summarize n = count()";
    let o = run(&["query", "--format", "json", "--param", &range, q, p(&raw)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("time context TimeRange"),
        "{}",
        stderr(&o)
    );
    let ctx: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let n = ctx[0]["n"].as_u64().unwrap();
    // … to exactly the events an explicit filter keeps
    let explicit = json(&[
        "query",
        "--format",
        "json",
        &format!(
            "AzureDiagnostics | where TimeGenerated between (datetime({a}) .. datetime({b})) | summarize n = count()"
        ),
        p(&raw),
    ]);
    assert_eq!(Some(n), explicit[0]["n"].as_u64());
    assert!(n > 0 && (n as usize) < d.records, "{n} of {}", d.records);
    // the defaults (the whole drop) leave every event in, and say nothing
    let o = run(&["query", "--format", "json", q, p(&raw)]);
    assert!(!stderr(&o).contains("time context"), "{}", stderr(&o));
    let all: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(all[0]["n"].as_u64().unwrap() as usize, d.records);
}

#[test]
fn hostile_queries_fail_with_a_message_naming_the_limit() {
    let d = demo();
    let raw = d.dir.join("raw.jsonl");
    // 20,000 `or` terms (issue 14): runs.
    let terms: Vec<String> = (0..20_000)
        .map(|i| format!("CallerIpAddress == \"10.0.{}.{}\"", i / 256, i % 256))
        .collect();
    let q = scratch("kql-hostile").join("hunt.kql");
    std::fs::write(&q, format!("AZKVAuditLogs | where {}", terms.join(" or "))).unwrap();
    let o = run(&["query", "--file", p(&q), p(&raw)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q2 = scratch("kql-hostile").join("plus.kql");
    std::fs::write(&q2, format!("print x={}", vec!["1"; 10_000].join("+"))).unwrap();
    let o = run(&["query", "--file", p(&q2), p(&raw)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("10000"));
    // The exploding replace_regex: exit status 1 and the limit named.
    let o = run(&[
        "query",
        "print a=\"aaaaaaaaaa\" | extend b=replace_regex(a,\"a\",a) | extend c=replace_regex(b,\"a\",b) | extend d=replace_regex(c,\"a\",c) | extend e=replace_regex(d,\"a\",d) | project strlen(e)",
        p(&raw),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("16 MiB"), "{}", stderr(&o));
}

#[test]
fn a_local_time_export_is_read_in_the_zone_given() {
    // 27 Oct 2024 in Europe/Berlin: UTC+2 before 03:00, UTC+1 after (02:00-03:00 twice)
    let dir = scratch("local-zone");
    let csv = dir.join("export.csv");
    std::fs::write(
        &csv,
        "TimeGenerated [Local Time],OperationName,Resource,httpStatusCode_d\n\
         \"10/26/2024, 11:00:00.000 PM\",SecretGet,KV1,200\n\
         2024-10-27 02:30:00,SecretList,KV1,200\n\
         \"10/28/2024, 9:00:00.000 AM\",SecretSet,KV1,200\n",
    )
    .unwrap();
    // The events' times and the summary, run with `zone_args` and `TZ` (unset: as inherited).
    let times_with = |tz: Option<&str>, zone_args: &[&str]| {
        let mut args = vec!["events", "--format", "jsonl"];
        args.extend_from_slice(zone_args);
        args.push(p(&csv));
        let mut cmd = Command::new(BIN);
        cmd.args(&args);
        if let Some(tz) = tz {
            cmd.env("TZ", tz);
        }
        let o = cmd.output().expect("keyhole runs");
        assert!(o.status.success(), "{}", stderr(&o));
        let mut t: Vec<String> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| {
                format!(
                    "{} {}",
                    v["operation"].as_str().unwrap(),
                    v["time"].as_str().unwrap()
                )
            })
            .collect();
        t.sort();
        (t, stderr(&o))
    };
    let times = |zone_args: &[&str]| times_with(None, zone_args);
    let (t, err) = times(&["--local-zone", "Europe/Berlin"]);
    assert_eq!(
        t,
        [
            "SecretGet 2024-10-26T21:00:00.000Z",
            "SecretList 2024-10-27T00:30:00Z",
            "SecretSet 2024-10-28T08:00:00.000Z"
        ]
    );
    assert!(
        err.contains("times read in Europe/Berlin, daylight saving included"),
        "{err}"
    );
    assert!(err.contains("repeats when daylight saving ends"), "{err}");
    // a fixed offset is the same all year: the winter row an hour off
    let (t, err) = times(&["--local-offset", "120"]);
    assert_eq!(t[2], "SecretSet 2024-10-28T07:00:00.000Z");
    assert!(err.contains("times read as UTC+02:00"), "{err}");
    assert_eq!(times(&["--local-zone", "+02:00"]).0, t);

    // with neither option, this computer's zone: TZ when it names one (as the page takes its
    // browser's zone), the options still win over it
    let (t_tz, err) = times_with(Some("Europe/Berlin"), &[]);
    assert_eq!(t_tz, times(&["--local-zone", "Europe/Berlin"]).0);
    assert!(err.contains("times read in Europe/Berlin"), "{err}");
    let (t_tz, err) = times_with(Some(":US/Pacific"), &[]);
    assert_eq!(t_tz[2], "SecretSet 2024-10-28T16:00:00.000Z");
    assert!(err.contains("times read in US/Pacific"), "{err}");
    assert_eq!(
        times_with(Some("US/Pacific"), &["--local-offset", "120"]).0,
        t
    );

    // an unknown zone is refused before anything is read, and says what it wants
    let o = run(&["events", "--local-zone", "Mars/Olympus", p(&csv)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("IANA zone such as Europe/Berlin"),
        "{}",
        stderr(&o)
    );
}
