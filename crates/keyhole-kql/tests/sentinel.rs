//! The Microsoft Sentinel "Azure Key Vault" solution as published (`../shared/spec/kql-real/`:
//! analytics rules, hunting queries, ASIM parsers and the workbook's queries), run verbatim over
//! generated logs that contain what they hunt. Workbook parameters take the values a workbook
//! would pick on the drop ([`keyhole_kql::workbook_defaults`]); the ASIM parser bodies take their
//! declared parameter defaults. The five current analytics rules (001–005) are checked against
//! an independent computation from the events.

mod support;
use keyhole_core::Event;
use keyhole_kql::{run, workbook_defaults, QueryOptions, Table};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use support::*;

/// How many of the 39 files must run (raised as the engine grows; the goal is all).
const RUN_FLOOR: usize = 39;

fn files() -> Option<Vec<(String, String)>> {
    let dir = shared_dir()?.join("spec/kql-real");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).ok()? {
        let path = entry.ok()?.path();
        if path.extension().is_some_and(|e| e == "kql") {
            let name = path.file_name()?.to_string_lossy().to_string();
            out.push((name, std::fs::read_to_string(&path).ok()?));
        }
    }
    out.sort();
    Some(out)
}

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;

/// The burst's identity (a user) and the sensitive operation's.
const BURST_UPN: &str = "svc-harvest@contoso.example";
const BURST_OID: &str = "0b0b0b0b-1111-2222-3333-444444444444";
/// How many VaultGet calls the burst makes (past the workbook's 1,000 threshold; a clear daily anomaly).
const BURST: i64 = 3000;
const DELETER_UPN: &str = "mallory@contoso.example";
const DELETER_OID: &str = "0d0d0d0d-5555-6666-7777-888888888888";

/// Generated logs (every attack injected), plus what the rules hunt that the generator does
/// not write in the shape they need: a vault deletion (an ARM operation, so the long
/// object-identifier claim is filled) with every field the NRT rule requires, and a burst of
/// 3,000 successful VaultGet calls by one user in the first hour of the last day (mass
/// retrieval, the workbook's 1,000-event threshold, and a daily-count anomaly). Also the
/// review time: half an hour into the day after the last one, as a scheduled rule would run.
struct Drop {
    events: Vec<Event>,
    /// The same events as the store queries read.
    store: keyhole_core::EventStore,
    now: i64,
}

fn data() -> &'static Drop {
    static D: OnceLock<Drop> = OnceLock::new();
    D.get_or_init(|| {
        let mut events = generated(&keyhole_gen::GenConfig::demo());
        let last = events.iter().map(|e| e.time.micros).max().unwrap();
        let last_day = last.div_euclid(DAY) * DAY;
        let template = events
            .iter()
            .filter(|e| e.operation.as_ref() == "VaultGet" && e.status == Some(200))
            .max_by_key(|e| e.time)
            .cloned()
            .expect("a VaultGet to copy");
        let mut burst = Vec::new();
        for i in 0..BURST {
            let mut e = template.clone();
            e.time = keyhole_core::Timestamp::from_micros(last_day + 31 * 60_000_000 + i * 500_000);
            by_user(
                &mut e,
                BURST_UPN,
                BURST_OID,
                "203.0.113.77",
                "python-requests/2.31",
            );
            e.request_uri = Some(
                format!(
                    "https://{}.vault.azure.net/?api-version=2023-07-01&n={i}",
                    e.vault
                )
                .into(),
            );
            e.object_id = Some(format!("https://{}.vault.azure.net", e.vault).into());
            burst.push(e);
        }
        let mut del = template.clone();
        del.time = keyhole_core::Timestamp::from_micros(last_day + 2 * HOUR);
        del.operation = "VaultDelete".into();
        del.op = keyhole_core::Op::parse("VaultDelete");
        by_user(
            &mut del,
            DELETER_UPN,
            DELETER_OID,
            "198.51.100.9",
            "AzureCLI/2.61",
        );
        del.request_uri = Some(
            format!(
                "https://management.azure.com/subscriptions/x/vaults/{}?api-version=2023-07-01",
                del.vault
            )
            .into(),
        );
        del.object_id = Some(format!("https://{}.vault.azure.net", del.vault).into());
        events.extend(burst);
        events.push(del);
        Drop {
            store: keyhole_core::EventStore::from_events(&events),
            events,
            now: last_day + DAY + 30 * 60_000_000,
        }
    })
}

/// The ASIM parsers' declared parameters and defaults (from the parser YAML's ParserParams).
const ASIM_DEFAULTS: &[(&str, &str)] = &[
    ("disabled", "false"),
    ("starttime", "datetime(null)"),
    ("endtime", "datetime(null)"),
    ("srcipaddr_has_any_prefix", "dynamic([])"),
    ("operation_has_any", "dynamic([])"),
    ("eventtype_in", "dynamic([])"),
    ("eventresult", "'*'"),
    ("actorusername_has_any", "dynamic([])"),
    ("object_has_any", "dynamic([])"),
    ("newvalue_has_any", "dynamic([])"),
];

fn options(d: &Drop) -> QueryOptions {
    let mut params: BTreeMap<String, String> = workbook_defaults(&d.store);
    for (k, v) in ASIM_DEFAULTS {
        params.insert(k.to_string(), v.to_string());
    }
    QueryOptions {
        params,
        now: Some(keyhole_core::Timestamp::from_micros(d.now)),
        ..Default::default()
    }
}

fn run_file(text: &str, d: &Drop) -> Result<Table, keyhole_kql::KqlError> {
    run(text, &d.store, &options(d))
}

/// A shared file by its number (`"001"`), or `None` when `../shared` is absent.
fn file(num: &str) -> Option<String> {
    files()?
        .into_iter()
        .find(|(n, _)| n.starts_with(num))
        .map(|(_, t)| t)
}

#[test]
fn every_file_runs_verbatim() {
    let Some(files) = files() else {
        println!("skipped: ../shared/spec/kql-real not present (set KEYHOLE_SHARED)");
        return;
    };
    assert_eq!(files.len(), 39);
    let d = data();
    let mut failed = Vec::new();
    let mut empty = Vec::new();
    for (name, text) in &files {
        match run_file(text, d) {
            Ok(t) => {
                println!("{name}: {} rows", t.rows.len());
                if t.rows.is_empty() {
                    empty.push(name.clone());
                }
            }
            Err(e) => {
                println!("{name}: ERROR {e}");
                failed.push(name.clone());
            }
        }
    }
    let ran = files.len() - failed.len();
    println!("{ran}/{} run", files.len());
    assert!(ran >= RUN_FLOOR, "{ran} < {RUN_FLOOR}: {failed:?}");
    // The logs contain what every file hunts: each finds something, except the two
    // time-series rules. Their daily series do hold the burst (rule_005 checks the series),
    // but over 14 daily bins a 'linefit' trend absorbs a one-day burst: the documented ctukey
    // score of the last bin stays near 2, under the rules' threshold of 3 (for any burst size).
    let quiet = [
        "005-sentinel-timeseries-access-anomaly.kql",
        "009-sentinel-legacy-timeseries-access-anomaly.kql",
    ];
    empty.retain(|n| !quiet.contains(&n.as_str()));
    assert!(empty.is_empty(), "no rows from {empty:?}");
}

// ---- the five analytics rules, against an independent computation from the events ----
//
// The AzureDiagnostics columns these rules read, as the table layer documents them: `Resource`
// is the vault name in upper case, `id_s` the object id, `requestUri_s`, `clientInfo_s`,
// `CallerIPAddress`, `ResultType`; vault (ARM) operations fill the long URI-claim identity
// columns, data-plane operations the short ones (`identity_claim_oid_g`, `_upn_s`).

/// Make `e` a successful call by a user from an address with a client.
fn by_user(e: &mut Event, upn: &str, oid: &str, ip: &str, client: &str) {
    e.identity = Default::default();
    e.identity.upn = Some(upn.into());
    e.identity.object_id = Some(oid.into());
    e.identity.kind = Some(keyhole_core::event::IdentityKind::User);
    e.caller_ip = Some(ip.into());
    e.caller_addr = ip.parse().ok();
    e.client_info = Some(client.into());
    e.result_type = Some("Success".into());
}

fn st(v: &Option<std::sync::Arc<str>>) -> String {
    v.as_deref().unwrap_or("").to_string()
}

fn arm(e: &Event) -> bool {
    e.object_kind == keyhole_core::event::ObjectKind::Vault || e.operation.starts_with("Vault")
}

/// A field as one family of identity columns shows it: the long URI-claim columns (vault, ARM
/// operations: `arm_side`) or the short ones (data-plane operations); empty for the others.
fn on_side(e: &Event, arm_side: bool, v: &Option<std::sync::Arc<str>>) -> String {
    if arm(e) == arm_side {
        st(v)
    } else {
        String::new()
    }
}

fn short_oid(e: &Event) -> String {
    on_side(e, false, &e.identity.object_id)
}

fn long_oid(e: &Event) -> String {
    on_side(e, true, &e.identity.object_id)
}

fn short_upn(e: &Event) -> String {
    on_side(e, false, &e.identity.upn)
}

fn long_upn(e: &Event) -> String {
    on_side(e, true, &e.identity.upn)
}

fn resource(e: &Event) -> String {
    e.vault.to_uppercase()
}

fn iso(micros: i64) -> String {
    keyhole_kql::value::format_datetime(keyhole_core::Timestamp::from_micros(micros))
}

/// The engine's rows as maps from the named key columns to the named value columns.
fn keyed(t: &Table, keys: &[&str], vals: &[&str]) -> BTreeMap<Vec<String>, Vec<String>> {
    let idx = |n: &str| {
        t.columns
            .iter()
            .position(|c| c.name == n)
            .unwrap_or_else(|| panic!("no column {n}"))
    };
    let ki: Vec<usize> = keys.iter().map(|k| idx(k)).collect();
    let vi: Vec<usize> = vals.iter().map(|k| idx(k)).collect();
    let mut m = BTreeMap::new();
    for r in &t.rows {
        let k = ki.iter().map(|&i| r[i].to_string()).collect();
        let v = vi.iter().map(|&i| r[i].to_string()).collect();
        assert!(m.insert(k, v).is_none(), "duplicate group");
    }
    m
}

/// Group events by a key into (count, first time, last time).
fn groups<'a>(
    it: impl Iterator<Item = &'a Event>,
    key: impl Fn(&Event) -> Vec<String>,
) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut acc: BTreeMap<Vec<String>, (u64, i64, i64)> = BTreeMap::new();
    for e in it {
        let a = acc.entry(key(e)).or_insert((0, i64::MAX, i64::MIN));
        a.0 += 1;
        a.1 = a.1.min(e.time.micros);
        a.2 = a.2.max(e.time.micros);
    }
    acc.into_iter()
        .map(|(k, (n, a, b))| (k, vec![n.to_string(), iso(a), iso(b)]))
        .collect()
}

const SENSITIVE: &[&str] = &[
    "VaultDelete",
    "KeyDelete",
    "SecretDelete",
    "SecretPurge",
    "KeyPurge",
    "SecretBackup",
    "KeyBackup",
];

#[test]
fn rule_001_sensitive_operations() {
    let Some(text) = file("001") else { return };
    let d = data();
    let t = run_file(&text, d).unwrap();
    let want = groups(
        d.events.iter().filter(|e| {
            st(&e.result_type).eq_ignore_ascii_case("success")
                && SENSITIVE
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(&e.operation))
        }),
        |e| {
            vec![
                st(&e.result_type),
                resource(e),
                short_upn(e),
                st(&e.client_info),
                long_oid(e),
            ]
        },
    );
    assert!(
        want.keys().any(|k| k[4] == DELETER_OID),
        "the deletion is hunted"
    );
    let got = keyed(
        &t,
        &[
            "ResultType",
            "Resource",
            "identity_claim_upn_s",
            "clientInfo_s",
            "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
        ],
        &["EventCount", "StartTimeUtc", "EndTimeUtc"],
    );
    assert_eq!(got, want);
}

#[test]
fn rule_002_nrt_sensitive_operations() {
    let Some(text) = file("002") else { return };
    let d = data();
    let t = run_file(&text, d).unwrap();
    let present = |v: &str| !v.is_empty() && !v.eq_ignore_ascii_case("none");
    let want = groups(
        d.events.iter().filter(|e| {
            let rt = st(&e.result_type);
            present(&rt)
                && rt.eq_ignore_ascii_case("success")
                && present(&long_oid(e))
                && present(&st(&e.object_id))
                && present(&st(&e.caller_ip))
                && present(&st(&e.client_info))
                && present(&st(&e.request_uri))
                && SENSITIVE
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(&e.operation))
        }),
        |e| {
            vec![
                st(&e.result_type),
                resource(e),
                st(&e.object_id),
                long_oid(e),
                st(&e.client_info),
            ]
        },
    );
    assert!(!want.is_empty());
    let got = keyed(
        &t,
        &[
            "ResultType",
            "Resource",
            "id_s",
            "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
            "clientInfo_s",
        ],
        &["EventCount", "StartTimeUtc", "EndTimeUtc"],
    );
    assert_eq!(got, want);
}

const ALLOWED_APPS: &[&str] = &[
    "509e4652-da8d-478d-a730-e9d4a1996ca4",
    "8cae6e77-e04e-42ce-b5cb-50d82bce26b1",
];

/// The retrievals the mass-retrieval rules start from, with the caller they attribute them to.
fn retrievals(d: &Drop) -> Vec<(&Event, String, String)> {
    d.events
        .iter()
        .filter(|e| ["SecretGet", "KeyGet", "VaultGet"].contains(&e.operation.as_ref()))
        .filter(|e| {
            !(ALLOWED_APPS.contains(&st(&e.identity.app_id).as_str())
                && e.operation.as_ref() == "VaultGet")
        })
        .map(|e| {
            let oid = if short_oid(e).is_empty() {
                long_oid(e)
            } else {
                short_oid(e)
            };
            let upn = if short_upn(e).is_empty() {
                long_upn(e)
            } else {
                short_upn(e)
            };
            (e, oid, upn)
        })
        .collect()
}

#[test]
fn rule_003_mass_secret_retrieval() {
    let Some(text) = file("003") else { return };
    let d = data();
    let t = run_file(&text, d).unwrap();
    let rs = retrievals(d);
    let mut per: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (e, oid, _) in &rs {
        if st(&e.result_type) == "Success" {
            *per.entry((e.operation.to_string(), oid.clone()))
                .or_default() += 1;
        }
    }
    let suspects: std::collections::BTreeSet<&String> = per
        .iter()
        .filter(|(_, n)| **n > 25)
        .map(|((_, o), _)| o)
        .collect();
    assert!(suspects.contains(&BURST_OID.to_string()));
    let want = groups(
        rs.iter()
            .filter(|(_, oid, _)| suspects.contains(oid))
            .map(|(e, _, _)| *e),
        |e| {
            let oid = if short_oid(e).is_empty() {
                long_oid(e)
            } else {
                short_oid(e)
            };
            let upn = if short_upn(e).is_empty() {
                long_upn(e)
            } else {
                short_upn(e)
            };
            vec![
                st(&e.result_type),
                resource(e),
                st(&e.object_id),
                st(&e.identity.app_id),
                oid,
                upn,
            ]
        },
    );
    let got = keyed(
        &t,
        &[
            "ResultType",
            "Resource",
            "id_s",
            "identity_claim_appid_g",
            "CallerObjectId",
            "CallerObjectUPN",
        ],
        &["EventCount", "StartTime", "EndTime"],
    );
    assert_eq!(got, want);
}

#[test]
fn rule_004_mass_secret_retrieval_distinct() {
    let Some(text) = file("004") else { return };
    let d = data();
    let t = run_file(&text, d).unwrap();
    let rs = retrievals(d);
    let mut per: BTreeMap<(String, String), std::collections::BTreeSet<String>> = BTreeMap::new();
    for (e, oid, _) in &rs {
        if st(&e.result_type) == "Success" {
            per.entry((e.operation.to_string(), oid.clone()))
                .or_default()
                .insert(st(&e.request_uri));
        }
    }
    let suspects: std::collections::BTreeSet<&String> = per
        .iter()
        .filter(|(_, u)| u.len() > 10)
        .map(|((_, o), _)| o)
        .collect();
    assert!(suspects.contains(&BURST_OID.to_string()));
    let want: BTreeMap<_, _> = groups(
        rs.iter()
            .filter(|(_, oid, _)| suspects.contains(oid))
            .map(|(e, _, _)| *e),
        |e| {
            let oid = if short_oid(e).is_empty() {
                long_oid(e)
            } else {
                short_oid(e)
            };
            let upn = if short_upn(e).is_empty() {
                long_upn(e)
            } else {
                short_upn(e)
            };
            vec![st(&e.result_type), st(&e.identity.app_id), oid, upn]
        },
    )
    .into_iter()
    .filter(|(_, v)| v[0].parse::<u64>().unwrap() > 50)
    .collect();
    assert!(!want.is_empty());
    let got = keyed(
        &t,
        &[
            "ResultType",
            "identity_claim_appid_g",
            "CallerObjectId",
            "CallerObjectUPN",
        ],
        &["EventCount", "StartTime", "EndTime"],
    );
    assert_eq!(got, want);
}

/// The anomaly scoring as the documentation describes it, written out independently: seasonal
/// component (median per phase of a period whose autocorrelation reaches 0.6), linear trend
/// fitted on x = 1…n, residual scored by Tukey's fence on its 10th/90th percentiles.
fn anomalies(y: &[f64], threshold: f64) -> Vec<(bool, f64)> {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n as f64;
    let var: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let mut period = 0;
    if n >= 8 && var > 0.0 {
        let mut best = (0, f64::MIN);
        for p in 2..=n / 2 {
            let r: f64 = (0..n - p)
                .map(|i| (y[i] - mean) * (y[i + p] - mean))
                .sum::<f64>()
                / var;
            if r > best.1 {
                best = (p, r);
            }
        }
        if best.1 >= 0.6 {
            period = best.0;
        }
    }
    let seasonal: Vec<f64> = (0..n)
        .map(|i| {
            if period == 0 {
                return 0.0;
            }
            let mut v: Vec<f64> = (i % period..n).step_by(period).map(|k| y[k]).collect();
            v.sort_by(f64::total_cmp);
            let m = v.len() / 2;
            if v.len() % 2 == 1 {
                v[m]
            } else {
                (v[m - 1] + v[m]) / 2.0
            }
        })
        .collect();
    let ds: Vec<f64> = y.iter().zip(&seasonal).map(|(a, b)| a - b).collect();
    let xs: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let mx = xs.iter().sum::<f64>() / n as f64;
    let my = ds.iter().sum::<f64>() / n as f64;
    let slope = xs
        .iter()
        .zip(&ds)
        .map(|(x, v)| (x - mx) * (v - my))
        .sum::<f64>()
        / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
    let baseline: Vec<f64> = (0..n)
        .map(|i| seasonal[i] + my + slope * (xs[i] - mx))
        .collect();
    let resid: Vec<f64> = y.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    let mut sorted = resid.clone();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let r = p * (n - 1) as f64;
        let (lo, hi) = (r.floor() as usize, r.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo as f64)
    };
    let (p10, p90) = (pct(0.1), pct(0.9));
    let range = (p90 - p10).max(1e-9);
    resid
        .iter()
        .zip(&baseline)
        .map(|(r, b)| {
            let score = if *r > p90 {
                (r - p90) / range
            } else if *r < p10 {
                (r - p10) / range
            } else {
                0.0
            };
            (score > threshold, *b)
        })
        .collect()
}

#[test]
fn rule_005_timeseries_access_anomaly() {
    let Some(text) = file("005") else { return };
    let d = data();
    let start = (d.now - 14 * DAY).div_euclid(DAY) * DAY;
    let end = d.now.div_euclid(DAY) * DAY;
    let counted = |e: &&Event| {
        e.time.micros >= start
            && e.time.micros <= end
            && !(st(&e.identity.app_id) == ALLOWED_APPS[0] && e.operation.as_ref() == "VaultGet")
            && !st(&e.result_type).is_empty()
            && !st(&e.caller_ip).is_empty()
            && st(&e.result_type).eq_ignore_ascii_case("success")
            && ["SecretGet", "KeyGet", "VaultGet"].contains(&e.operation.as_ref())
    };
    // The daily series per vault, as the rule's make-series builds them.
    let bins = ((end - start) / DAY) as usize;
    let mut series: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for e in d.events.iter().filter(counted) {
        let k = ((e.time.micros - start) / DAY) as usize;
        if k < bins {
            series.entry(resource(e)).or_insert_with(|| vec![0.0; bins])[k] += 1.0;
        }
    }
    let head = &text[..text.find("//Filter anomolies").expect("the rule's comment")];
    let t = run(
        &format!("{head}\nTimeSeriesData | project Resource, HourlyCount"),
        &d.store,
        &options(d),
    )
    .unwrap();
    let got: BTreeMap<String, Vec<f64>> = t
        .rows
        .iter()
        .map(|r| {
            let arr: Vec<f64> = serde_json::from_str::<Vec<f64>>(&r[1].to_string()).unwrap();
            (r[0].to_string(), arr)
        })
        .collect();
    assert_eq!(got, series, "daily counts per vault");
    assert!(
        series.values().any(|s| s[bins - 1] >= BURST as f64),
        "the burst is in the last bin"
    );
    // The anomalous (vault, day) pairs the rule keeps: flagged, baseline above 5, within 2 days.
    let mut alerts = Vec::new();
    for (r, s) in &series {
        for (k, (flag, base)) in anomalies(s, 3.0).into_iter().enumerate() {
            let at = start + k as i64 * DAY;
            if flag && base > 5.0 && at > d.now - 2 * DAY {
                alerts.push((r.clone(), at));
            }
        }
    }
    // Each alert joins the hour-binned events of its vault in the last day (every field present).
    let mut want: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for (r, at) in &alerts {
        let mut inner: BTreeMap<Vec<String>, i64> = BTreeMap::new();
        for e in d.events.iter().filter(|e| {
            resource(e) == *r
                && e.time.micros > d.now - DAY
                && e.time.micros.div_euclid(HOUR) * HOUR == *at
                && st(&e.result_type).eq_ignore_ascii_case("success")
                && !long_oid(e).is_empty()
                && !st(&e.object_id).is_empty()
                && !st(&e.caller_ip).is_empty()
                && !st(&e.client_info).is_empty()
                && !st(&e.request_uri).is_empty()
                && ["SecretGet", "KeyGet", "VaultGet"].contains(&e.operation.as_ref())
                && !(st(&e.identity.app_id) == ALLOWED_APPS[0]
                    && e.operation.as_ref() == "VaultGet")
        }) {
            let k = vec![
                e.operation.to_string(),
                st(&e.object_id),
                st(&e.caller_ip),
                long_oid(e),
                st(&e.request_uri),
                st(&e.client_info),
            ];
            let t = inner.entry(k).or_insert(i64::MIN);
            *t = (*t).max(e.time.micros);
        }
        for (k, latest) in inner {
            *want
                .entry(vec![r.clone(), k[1].clone(), k[5].clone(), iso(latest)])
                .or_default() += 1;
        }
    }
    println!("alerts: {alerts:?}");
    let t = run_file(&text, d).unwrap();
    let got: BTreeMap<Vec<String>, u64> = keyed(
        &t,
        &["Resource", "id_s", "clientInfo_s", "LatestAnomalyTime"],
        &["EventCount"],
    )
    .into_iter()
    .map(|(k, v)| (k, v[0].parse().unwrap()))
    .collect();
    assert_eq!(got, want);
}
