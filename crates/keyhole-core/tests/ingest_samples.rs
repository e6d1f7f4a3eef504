//! Every real record in `../shared/samples` becomes an event with the right outcome, identity
//! and vault. Skips (with a message) when the folder is absent.

use keyhole_core::ingest::{parse_bytes, IngestOptions, Shape};
use keyhole_core::{EventStore, IdentityKind, ObjectKind, Outcome};
use std::path::PathBuf;

fn samples() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: ../shared/samples not present");
        None
    }
}

fn read(name: &str) -> Option<(EventStore, keyhole_core::ingest::FileReport)> {
    let dir = samples()?;
    let bytes = std::fs::read(dir.join(name)).expect("sample readable");
    Some(parse_bytes(name, &bytes, IngestOptions::default()))
}

fn s(o: &Option<keyhole_core::Str>) -> Option<&str> {
    o.as_deref()
}

#[test]
fn sekoia_31_records() {
    let Some((ev, rep)) = read("sekoia_keyvault_auditevent.jsonl") else {
        return;
    };
    assert_eq!(ev.len(), 31, "problems: {:?}", rep.problems);
    assert_eq!(rep.skipped, 0);
    assert_eq!(rep.shapes, vec![Shape::RawJsonLines]);
    // line → (status, outcome) from the index file
    let index = std::fs::read_to_string(
        samples()
            .unwrap()
            .join("sekoia_keyvault_auditevent.index.tsv"),
    )
    .unwrap();
    let mut denied = 0;
    for row in index.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let line: u64 = cols[0].parse().unwrap();
        let status: u16 = cols[3].parse().unwrap();
        let e = ev
            .rows()
            .find(|e| e.source().line == line)
            .expect("event for every line");
        assert_eq!(&**e.operation(), cols[2], "line {line}");
        assert_eq!(e.status(), Some(status), "line {line}");
        assert_eq!(
            e.result_type().as_deref(),
            Some("Success"),
            "line {line}: resultType kept verbatim"
        );
        let want = match status {
            200..=299 => Outcome::Success,
            403 => Outcome::Denied,
            404 => Outcome::NotFound,
            _ => Outcome::ClientError,
        };
        assert_eq!(e.outcome(), want, "line {line}");
        if e.outcome() == Outcome::Denied {
            denied += 1;
            assert!(e.is_denied() && !e.is_auth_challenge(), "line {line}");
        }
        assert!(
            !e.vault().is_empty() && e.vault().chars().all(|c| !c.is_ascii_uppercase()),
            "line {line}"
        );
        assert!(
            e.identity().object_id.is_some(),
            "line {line}: oid from either claim dialect"
        );
        if line == 27 {
            // Azure Resource Graph's service principal: an app, no upn
            assert_eq!(e.identity().upn, None);
            assert_eq!(e.identity().kind, Some(IdentityKind::App), "line {line}");
        } else {
            assert!(
                e.identity().upn.is_some(),
                "line {line}: upn from either claim dialect"
            );
            assert_eq!(e.identity().kind, Some(IdentityKind::User), "line {line}");
        }
        assert!(e.subscription().is_some(), "line {line}");
        // line 27's resourceId has its resource-group segments redacted
        assert_eq!(e.resource_group().is_some(), line != 27, "line {line}");
    }
    assert_eq!(
        denied, 6,
        "the six 403s are denied although resultType says Success"
    );
    let conflict = ev.rows().find(|e| e.status() == Some(409)).unwrap();
    assert_eq!(conflict.outcome(), Outcome::ClientError);
    // line 29: signature Forbidden but status 200: the status wins
    let l29 = ev.rows().find(|e| e.source().line == 29).unwrap();
    assert_eq!(l29.result_signature().as_deref(), Some("Forbidden"));
    assert_eq!(l29.outcome(), Outcome::Success);
    // vault operations carry URI claims: oid from objectidentifier
    let l26 = ev.rows().find(|e| e.source().line == 26).unwrap();
    assert_eq!(l26.object_kind(), ObjectKind::Vault);
    assert_eq!(
        s(&l26.identity().upn),
        Some("john.doe@dummy.onmicrosoft.com")
    );
    let first = ev.rows().find(|e| e.source().line == 1).unwrap();
    assert_eq!(&**first.vault(), "testpermissionvault");
    assert_eq!(s(first.resource_group()), Some("integration"));
    assert_eq!(first.object_kind(), ObjectKind::Certificate);
    assert_eq!(s(first.object_name()), Some("fdfdffffd"));
    assert_eq!(first.duration_ms(), Some(575));
    assert_eq!(first.time().to_rfc3339(), "2024-04-03T14:03:10.788626Z");
}

#[test]
fn msdocs_envelope() {
    let Some((ev, rep)) = read("msdocs_logging_example_records.json") else {
        return;
    };
    assert_eq!(ev.len(), 1);
    assert_eq!(rep.shapes, vec![Shape::RawRecordsEnvelope]);
    let e = ev.row(0);
    assert_eq!(&**e.vault(), "contosokeyvault");
    assert_eq!(e.outcome(), Outcome::Success);
    assert_eq!(s(&e.identity().upn), Some("live.com#username@outlook.com"));
    assert_eq!(
        s(&e.identity().object_id),
        Some("d9da5048-2737-4770-bd64-xxxxxxxxxxxx")
    );
    assert_eq!(e.identity().kind, Some(IdentityKind::User));
    assert_eq!(
        e.caller_addr().map(|a| a.to_string()).as_deref(),
        Some("104.40.82.76")
    );
    assert_eq!(e.source().record, Some(0));
    assert_eq!(e.source().line, 4);
}

#[test]
fn securathesis_redacted_ips() {
    let Some((ev, rep)) = read("unattributed_securathesis_auditevent.jsonl") else {
        return;
    };
    assert_eq!(ev.len(), 5, "{:?}", rep.problems);
    for e in ev.rows() {
        assert_eq!(s(e.caller_ip()), Some("<Redacted>"));
        assert_eq!(e.caller_addr(), None);
        assert_eq!(&**e.vault(), "securaallkeyvault");
        assert_eq!(
            s(&e.identity().upn),
            Some("attacker@securathesis.onmicrosoft.com")
        );
    }
    let put = ev.row(0);
    assert_eq!(&**put.operation(), "VaultPut");
    let cfg = put.vault_config().expect("config snapshot");
    assert_eq!(cfg.network_default_action, None, "networkAcls null");
    assert_eq!(cfg.soft_delete, Some(true));
    assert_eq!(cfg.soft_delete_retention_days, Some(7));
    assert_eq!(cfg.purge_protection, None);
    assert_eq!(cfg.rbac_authorization, Some(false));
}

#[test]
fn doc_samples_each_record() {
    let Some(dir) = samples() else { return };
    let text = std::fs::read_to_string(dir.join("unattributed_doc_samples.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let one = |key: &str| -> EventStore {
        let v = &doc[key];
        let bytes = serde_json::to_vec_pretty(v).unwrap();
        let (ev, rep) = parse_bytes(key, &bytes, IngestOptions::default());
        assert_eq!(rep.skipped, 0, "{key}: {:?}", rep.problems);
        ev
    };
    let ev = one("google_secops_raw_authentication_401");
    assert_eq!(ev.len(), 1);
    let e = ev.row(0);
    assert_eq!(e.status(), Some(401));
    assert!(e.identity().is_empty());
    assert_eq!(e.identity().kind, None);
    assert!(e.is_auth_challenge());
    assert!(!e.is_denied());
    assert_eq!(&**e.vault(), "example-vault");

    let ev = one("google_secops_azurediagnostics_secretget");
    let e = ev.row(0);
    assert_eq!((e.status(), e.outcome()), (Some(200), Outcome::Success));
    assert_eq!(e.identity().kind, Some(IdentityKind::App));
    assert_eq!(e.duration_ms(), Some(16));
    assert_eq!(e.object_kind(), ObjectKind::Secret);
    assert_eq!(s(e.object_name()), Some("example-secret"));
    assert_eq!(s(e.tls_version()), Some("TLS1_2"));
    assert_eq!(e.authorization().access_policy_match, Some(true));

    let ev = one("google_secops_azurediagnostics_vaultget_value_wrapper");
    assert_eq!(ev.len(), 1);
    let e = ev.row(0);
    assert_eq!(&**e.operation(), "VaultGet");
    assert_eq!(&**e.vault(), "example-vault");
    let cfg = e.vault_config().unwrap();
    assert_eq!(
        (
            cfg.soft_delete,
            cfg.purge_protection,
            cfg.rbac_authorization
        ),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(s(&cfg.sku), Some("standard"));

    let ev = one("az_cli_log_analytics_query_output_vaultget");
    assert_eq!(ev.len(), 1);
    let e = ev.row(0);
    assert_eq!(&**e.vault(), "mycook2551kv");
    assert_eq!(
        (e.status(), e.outcome()),
        (Some(200), Outcome::Success),
        "\"200\" is a status"
    );
    assert_eq!(e.duration_ms(), Some(16));
    let cfg = e.vault_config().unwrap();
    assert_eq!(cfg.soft_delete, Some(true), "\"True\"");
    assert_eq!(cfg.enabled_for_deployment, Some(false), "\"False\"");
    assert_eq!(
        cfg.enabled_for_template_deployment, None,
        "\"None\" is null"
    );
    assert_eq!(cfg.soft_delete_retention_days, Some(90));
    assert_eq!(s(e.caller_ip()), Some("<xx.xx.xx.xx>"));
    assert_eq!(e.caller_addr(), None);

    let ev = one("go_test_secretget_app_only_token");
    let e = ev.row(0);
    assert_eq!(e.identity().kind, Some(IdentityKind::App));
    assert_eq!(e.identity().upn, None, "app-only token has no upn");
    assert_eq!(
        s(&e.identity().object_id),
        Some("00000000-0000-0000-0000-000000000037")
    );
    assert_eq!(
        s(&e.identity().app_id),
        Some("00000000-0000-0000-0000-000000000038")
    );
    assert_eq!(
        s(&e.identity().tenant_id),
        Some("00000000-0000-0000-0000-000000000011"),
        "tenant from iss"
    );
    assert_eq!(
        s(e.object_version()),
        Some("6e6212e131ea47c88a52f387cd07d6e9")
    );
    assert_eq!(&**e.vault(), "acme-secrets-dev");
}

#[test]
fn whole_doc_samples_file_is_reported_not_dropped() {
    let Some((ev, rep)) = read("unattributed_doc_samples.json") else {
        return;
    };
    // A map of named examples is not an export shape: reported, never a silent drop.
    assert!(ev.is_empty());
    assert_eq!(rep.skipped, 1);
    assert!(
        rep.problems[0]
            .reason
            .contains("not a Key Vault audit record"),
        "{:?}",
        rep.problems
    );
}

#[test]
fn defender_alert_is_not_an_audit_record() {
    let Some((ev, rep)) = read("defender_kv_alert_SIMULATED_KV_ListGetAnomaly.json") else {
        return;
    };
    assert!(ev.is_empty());
    assert_eq!(rep.skipped, 1);
    assert!(rep.is_unrecognised());
}
