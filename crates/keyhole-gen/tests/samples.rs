//! The generated raw records look like the real ones in `../shared/samples` (same keys, same
//! value types, same claim dialects). Skips when the samples are absent.

use keyhole_gen::write::{writer_for, OutShape};
use keyhole_gen::{generate_all, GenConfig};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

fn samples_dir() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if root.join("sekoia_keyvault_auditevent.jsonl").is_file() {
        Some(root)
    } else {
        None
    }
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn generated_records_have_the_keys_and_types_of_real_ones() {
    let Some(dir) = samples_dir() else {
        println!("skipped: ../shared/samples not present");
        return;
    };
    let text = std::fs::read_to_string(dir.join("sekoia_keyvault_auditevent.jsonl")).unwrap();
    let mut real: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("unattributed_doc_samples.json")).unwrap(),
    )
    .unwrap();
    real.push(doc["google_secops_raw_authentication_401"].clone());
    real.push(doc["go_test_secretget_app_only_token"].clone());

    let mut top: BTreeSet<String> = BTreeSet::new();
    let mut props: BTreeSet<String> = BTreeSet::new();
    let mut vault_props: BTreeSet<String> = BTreeSet::new();
    let mut short_claims: BTreeSet<String> = BTreeSet::new();
    let mut uri_claims: BTreeSet<String> = BTreeSet::new();
    let mut real_ops: HashMap<String, usize> = HashMap::new();
    for r in &real {
        top.extend(keys(r));
        props.extend(keys(&r["properties"]));
        vault_props.extend(keys(&r["properties"]["properties"]));
        let claim = &r["identity"]["claim"];
        if claim.get("oid").is_some() {
            short_claims.extend(keys(claim));
        } else {
            uri_claims.extend(keys(claim));
        }
        *real_ops
            .entry(r["operationName"].as_str().unwrap().to_string())
            .or_default() += 1;
        assert!(r["durationMs"].is_string());
        assert!(r["properties"]["httpStatusCode"].is_number());
    }
    // Access-policy and firewall changes are not in the samples; the spec names them.
    props.extend(
        [
            "addedAccessPolicy",
            "removedAccessPolicy",
            "addedIpRule",
            "isRbacAuthorized",
        ]
        .map(String::from),
    );

    let (recs, _) = generate_all(&GenConfig {
        seed: 3,
        days: 12,
        scale: 0.3,
        ..GenConfig::default()
    });
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut common_ops = 0;
    let mut seen_ops: BTreeSet<String> = BTreeSet::new();
    for r in recs.iter().step_by(3) {
        let mut out = Vec::new();
        w.write_record(r, &mut out);
        let g: Value = serde_json::from_slice(&out).unwrap();
        for k in keys(&g) {
            assert!(top.contains(&k), "top-level key {k} not in real records");
        }
        for k in keys(&g["properties"]) {
            assert!(props.contains(&k), "properties.{k} not in real records");
        }
        for k in keys(&g["properties"]["properties"]) {
            assert!(
                vault_props.contains(&k),
                "properties.properties.{k} not in real records"
            );
        }
        let claim = &g["identity"]["claim"];
        let allowed = if claim.get("oid").is_some() {
            &short_claims
        } else {
            &uri_claims
        };
        for k in keys(claim) {
            assert!(
                allowed.contains(&k),
                "claim {k} not in real records of its dialect"
            );
        }
        assert!(g["durationMs"].is_string());
        assert!(g["properties"]["httpStatusCode"].is_number());
        assert_eq!(
            g["time"].as_str().unwrap().len(),
            real[0]["time"].as_str().unwrap().len()
        );
        let op = g["operationName"].as_str().unwrap().to_string();
        if real_ops.contains_key(&op) {
            common_ops += 1;
        }
        seen_ops.insert(op);
    }
    assert!(common_ops > 0);
    // Most of the operation names the samples show also occur in generated traffic.
    for op in [
        "SecretGet",
        "SecretList",
        "KeyGet",
        "KeyList",
        "VaultGet",
        "VaultPatch",
        "Authentication",
    ] {
        assert!(seen_ops.contains(op), "{op} never generated");
    }
}
