//! `keyhole rules --format sentinel -o DIR` writes files a YAML parser reads back, carrying every
//! field the Azure-Sentinel repository's analytics-rule schema requires, within its limits
//! (`.script/tests/detectionTemplateSchemaValidation`: `ScheduledTemplateInternalModel`,
//! `AnalyticsTemplateInternalModelBase`, `EntityMappingIdentifiers`, `ValidEntityMappings`,
//! `FrequencyLimitationForLongPeriodQuery`, `PeriodGreaterThanOrEqualFrequency`,
//! `NoTechniquesWithoutMatchingTactics`, `KillChainTechniquesHelper`, `NewEntityMappings`), and
//! whose entity mappings, custom details and alert placeholders name columns the query returns.

use keyhole_core::detect::sentinel::{self, ExportOptions, ListMode, LogTable};
use keyhole_core::detect::DetectConfig;
use keyhole_gen::GenConfig;
use keyhole_kql::replay::parse_duration;
use serde_json::Value;
use std::collections::HashSet;
use std::process::Command;

const TACTICS: &[&str] = &[
    "InitialAccess",
    "Execution",
    "Persistence",
    "PrivilegeEscalation",
    "DefenseEvasion",
    "CredentialAccess",
    "Discovery",
    "LateralMovement",
    "Collection",
    "Exfiltration",
    "CommandAndControl",
    "Impact",
    "Reconnaissance",
    "ResourceDevelopment",
    "ImpairProcessControl",
    "InhibitResponseFunction",
];

/// The tactics of the techniques the rules use, as KillChainTechniquesHelper maps them.
fn technique_tactics(t: &str) -> &'static [&'static str] {
    match t {
        "T1555" | "T1528" | "T1552" => &["CredentialAccess"],
        "T1078" => &[
            "InitialAccess",
            "Persistence",
            "PrivilegeEscalation",
            "DefenseEvasion",
        ],
        "T1526" | "T1580" => &["Discovery"],
        "T1530" => &["Collection"],
        "T1550" => &["DefenseEvasion", "LateralMovement"],
        "T1485" | "T1490" => &["Impact"],
        "T1537" => &["Exfiltration"],
        "T1562" | "T1070" => &["DefenseEvasion"],
        "T1098" => &["Persistence"],
        _ => &[],
    }
}

/// (entity type, valid identifiers, one of these identifier sets is required).
fn entity(kind: &str) -> Option<(&'static [&'static str], &'static [&'static [&'static str]])> {
    match kind {
        "Account" => Some((
            &[
                "Name",
                "FullName",
                "NTDomain",
                "DnsDomain",
                "UPNSuffix",
                "Sid",
                "AadTenantId",
                "AadUserId",
                "PUID",
                "IsDomainJoined",
                "DisplayName",
                "ObjectGuid",
            ],
            &[
                &["FullName"],
                &["Sid"],
                &["Name"],
                &["AadUserId"],
                &["PUID"],
                &["ObjectGuid"],
            ],
        )),
        "IP" => Some((&["Address"], &[&["Address"]])),
        "AzureResource" => Some((&["ResourceId"], &[&["ResourceId"]])),
        _ => None,
    }
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn column_name_ok(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(x) if x.is_ascii_alphabetic() || x == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        && s.len() <= 500
}

fn is_technique(t: &str) -> bool {
    let b = t.as_bytes();
    let main = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    main && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

/// Everything the schema checks, for one parsed rule. Returns the problems.
fn check(file: &str, r: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut bad = |m: String| p.push(format!("{file}: {m}"));
    let s = |k: &str| r.get(k).and_then(Value::as_str);
    for k in [
        "id",
        "kind",
        "name",
        "description",
        "severity",
        "requiredDataConnectors",
        "queryFrequency",
        "queryPeriod",
        "triggerOperator",
        "triggerThreshold",
        "tactics",
        "relevantTechniques",
        "query",
        "entityMappings",
        "version",
    ] {
        if r.get(k).is_none_or(Value::is_null) {
            bad(format!("missing {k}"));
        }
    }
    if !s("id").is_some_and(is_guid) {
        bad(format!("id is not a GUID: {:?}", r.get("id")));
    }
    if s("kind") != Some("Scheduled") {
        bad("kind is not Scheduled".into());
    }
    if !s("name").is_some_and(|n| !n.is_empty() && n.chars().count() <= 256) {
        bad("name empty or over 256 characters".into());
    }
    if !s("description").is_some_and(|d| !d.is_empty() && d.chars().count() <= 5000) {
        bad("description empty or over 5000 characters".into());
    }
    if !matches!(
        s("severity"),
        Some("Informational" | "Low" | "Medium" | "High")
    ) {
        bad(format!("severity {:?}", r.get("severity")));
    }
    match r.get("requiredDataConnectors").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => {
            for c in a {
                if c.get("connectorId").and_then(Value::as_str) != Some("AzureKeyVault")
                    || !c
                        .get("dataTypes")
                        .and_then(Value::as_array)
                        .is_some_and(|d| !d.is_empty() && d.iter().all(Value::is_string))
                {
                    bad(format!("data connector {c}"));
                }
            }
        }
        _ => bad("requiredDataConnectors empty".into()),
    }
    let q = s("query").unwrap_or("");
    if q.is_empty() || q.chars().count() > 10_000 {
        bad(format!("query of {} characters", q.chars().count()));
    }
    let freq = s("queryFrequency").and_then(parse_duration);
    let period = s("queryPeriod").and_then(parse_duration);
    match (freq, period) {
        (Some(f), Some(pe)) => {
            let (min, max) = (5 * 60_000_000i64, 14 * 86_400_000_000i64);
            if !(min..=max).contains(&f) || !(min..=max).contains(&pe) {
                bad("queryFrequency/queryPeriod outside 5m..14d".into());
            }
            if pe < f {
                bad("queryPeriod shorter than queryFrequency".into());
            }
            if pe >= 2 * 86_400_000_000 && f < 3_600_000_000 {
                bad("queryPeriod of 2 days or more needs queryFrequency of 1 hour or more".into());
            }
        }
        _ => bad("queryFrequency/queryPeriod do not parse".into()),
    }
    if !matches!(s("triggerOperator"), Some("gt" | "lt" | "eq" | "ne")) {
        bad("triggerOperator".into());
    }
    if !r
        .get("triggerThreshold")
        .and_then(Value::as_i64)
        .is_some_and(|t| (0..=10_000).contains(&t))
    {
        bad("triggerThreshold".into());
    }
    let tactics: Vec<&str> = r
        .get("tactics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if tactics.is_empty() || tactics.iter().any(|t| !TACTICS.contains(t)) {
        bad(format!("tactics {tactics:?}"));
    }
    for t in r
        .get("relevantTechniques")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = t.as_str().unwrap_or("");
        let main = t.split('.').next().unwrap_or("");
        let of = technique_tactics(main);
        if !is_technique(t) || of.is_empty() || !of.iter().any(|x| tactics.contains(x)) {
            bad(format!(
                "technique {t} has no matching tactic in {tactics:?}"
            ));
        }
    }
    let maps = r.get("entityMappings").and_then(Value::as_array);
    match maps {
        Some(m) if (1..=5).contains(&m.len()) => {
            for e in m {
                let kind = e.get("entityType").and_then(Value::as_str).unwrap_or("");
                let Some((valid, required)) = entity(kind) else {
                    bad(format!("entity type {kind}"));
                    continue;
                };
                let f = e.get("fieldMappings").and_then(Value::as_array);
                let Some(f) = f.filter(|f| (1..=3).contains(&f.len())) else {
                    bad(format!("{kind}: 1 to 3 field mappings"));
                    continue;
                };
                let mut used = HashSet::new();
                for fm in f {
                    let id = fm.get("identifier").and_then(Value::as_str).unwrap_or("");
                    let col = fm.get("columnName").and_then(Value::as_str).unwrap_or("");
                    if !valid.contains(&id) || !used.insert(id) || !column_name_ok(col) {
                        bad(format!("{kind}: field mapping {fm}"));
                    }
                }
                if !required
                    .iter()
                    .any(|set| set.iter().all(|i| used.contains(i)))
                {
                    bad(format!("{kind}: no required identifier"));
                }
            }
        }
        _ => bad("entityMappings: 1 to 5".into()),
    }
    if let Some(cd) = r.get("customDetails") {
        let Some(m) = cd.as_object() else {
            bad("customDetails is not a map".into());
            return p;
        };
        if m.len() > 20 {
            bad("more than 20 custom details".into());
        }
        for (k, v) in m {
            let key_ok = k.len() <= 20
                && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !key_ok || !v.as_str().is_some_and(column_name_ok) {
                bad(format!("custom detail {k}: {v}"));
            }
        }
    }
    let version = s("version").unwrap_or("");
    if version.is_empty()
        || version.len() > 20
        || version.split('.').any(|x| x.parse::<u32>().is_err())
    {
        bad(format!("version {version:?}"));
    }
    for old in [
        "AccountCustomEntity",
        "IPCustomEntity",
        "HostCustomEntity",
        "URLCustomEntity",
    ] {
        if q.contains(old) {
            bad(format!("old entity column {old}"));
        }
    }
    p
}

/// The columns the query (rendered with inline lists) returns, and the ones the YAML names.
fn columns_named(r: &Value) -> Vec<String> {
    let mut v = Vec::new();
    for e in r["entityMappings"].as_array().into_iter().flatten() {
        for f in e["fieldMappings"].as_array().into_iter().flatten() {
            v.push(f["columnName"].as_str().unwrap_or("").to_string());
        }
    }
    for c in r["customDetails"].as_object().into_iter().flatten() {
        v.push(c.1.as_str().unwrap_or("").to_string());
    }
    let o = &r["alertDetailsOverride"];
    for k in ["alertDisplayNameFormat", "alertDescriptionFormat"] {
        let text = o[k].as_str().unwrap_or("");
        for part in text.split("{{").skip(1) {
            v.push(part.split("}}").next().unwrap_or("").to_string());
        }
    }
    if let Some(c) = o["alertSeverityColumnName"].as_str() {
        v.push(c.to_string());
    }
    v
}

fn small_drop() -> keyhole_core::EventStore {
    let (recs, _) = keyhole_gen::generate_all(&GenConfig {
        seed: 3,
        days: 10,
        scale: 0.05,
        ..GenConfig::default()
    });
    keyhole_gen::raw_store(&recs)
}

#[test]
fn sentinel_yaml_files_parse_and_carry_every_field_the_schema_requires() {
    let dir = std::env::temp_dir().join(format!("keyhole-sentinel-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let events = small_drop();
    let mut ids = HashSet::new();
    let mut problems = Vec::new();
    for table in LogTable::ALL {
        let out = dir.join(table.name());
        let st = Command::new(env!("CARGO_BIN_EXE_keyhole"))
            .args([
                "rules",
                "--format",
                "sentinel",
                "--table",
                table.name(),
                "-o",
            ])
            .arg(&out)
            .output()
            .expect("run keyhole rules");
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let inline = sentinel::export(
            &DetectConfig::default(),
            ExportOptions {
                table,
                lists: ListMode::Inline,
            },
        );
        let mut files: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        assert_eq!(files.len(), sentinel::RULES.len(), "one file a rule");
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let doc: Value = serde_norway::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            problems.extend(check(&name, &doc));
            assert!(
                ids.insert(doc["id"].as_str().unwrap().to_string()),
                "{name}: id twice"
            );
            // Watchlists the query reads were written beside the rules.
            let query = doc["query"].as_str().unwrap();
            for part in query.split("_GetWatchlist(\"").skip(1) {
                let alias = part.split('"').next().unwrap();
                let csv = out.join("watchlists").join(format!("{alias}.csv"));
                let body = std::fs::read_to_string(&csv)
                    .unwrap_or_else(|e| panic!("{name}: {}: {e}", csv.display()));
                assert!(body.starts_with("Range\n") && body.lines().count() > 2);
            }
            // The columns the YAML names are columns the query returns (run by Keyhole's
            // engine with the lists inline; the watchlist lines differ, the rest is the same).
            let rule = path.file_stem().unwrap().to_string_lossy().to_string();
            let e = inline.iter().find(|e| e.rule == rule).expect("rule");
            let body = |q: &str| q[q.find("let KeyVaultAll").unwrap()..].to_string();
            assert_eq!(
                body(&e.query),
                body(query),
                "{name}: inline and watchlist queries differ past the lists"
            );
            let t = keyhole_kql::run(&e.query, &events, &Default::default())
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            for c in columns_named(&doc) {
                if t.column_index(&c).is_none() {
                    problems.push(format!(
                        "{name}: the YAML names column {c}, the query does not return it"
                    ));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(ids.len(), 2 * sentinel::RULES.len());
}

#[test]
fn rules_catalogue_lists_every_rule_with_thresholds() {
    let out = Command::new(env!("CARGO_BIN_EXE_keyhole"))
        .args(["rules", "--format", "json", "--learning-days", "5"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v.as_array().unwrap();
    assert_eq!(rules.len(), sentinel::RULES.len());
    let ua = rules.iter().find(|r| r["id"] == "KV_UserAnomaly").unwrap();
    let learning = ua["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "LearningDays")
        .unwrap();
    assert_eq!(
        (learning["value"].as_str(), learning["default"].as_str()),
        (Some("5"), Some("7"))
    );
    assert_eq!(ua["sentinel"]["queryPeriod"], "14d");
    let table = Command::new(env!("CARGO_BIN_EXE_keyhole"))
        .args(["rules"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    for r in sentinel::RULES {
        assert!(text.contains(r.rule), "{}", r.rule);
    }
}
