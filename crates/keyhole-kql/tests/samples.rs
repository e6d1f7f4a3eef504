//! The AzureDiagnostics projection over real records (`../shared/samples`, read through the
//! core's ingest) agrees with the flattening Log Analytics applies to the same raw JSON, worked
//! out here directly from the records with serde_json.

use keyhole_kql::{run, QueryOptions};
use std::collections::BTreeMap;

const LONG_UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";

#[test]
fn sekoia_records_flatten_like_log_analytics() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples/sekoia_keyvault_auditevent.jsonl");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("skipped: ../shared/samples not present");
        return;
    };
    let (events, _report) =
        keyhole_core::ingest::parse_bytes("sekoia.jsonl", &bytes, Default::default());
    assert!(events.len() >= 30, "{}", events.len());

    let mut want: BTreeMap<Vec<String>, u32> = BTreeMap::new();
    for line in std::str::from_utf8(&bytes)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let p = &r["properties"];
        let claim = &r["identity"]["claim"];
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let vault = text(&r["resourceId"])
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_uppercase();
        let op = text(&r["operationName"]);
        let status = p["httpStatusCode"]
            .as_i64()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let row = vec![
            op.clone(),
            text(&r["callerIpAddress"]),
            status,
            text(&p["id"]),
            text(&p["requestUri"]),
            vault,
            text(&r["resultSignature"]),
            text(&r["resultType"]),
            text(&claim[LONG_UPN]),
            text(&claim["upn"]),
            // guid columns: Log Analytics (and the ingest) normalise to lower case.
            text(&claim["appid"]).to_lowercase(),
        ];
        *want.entry(row).or_insert(0) += 1;
    }

    let q = "AzureDiagnostics | project OperationName, CallerIPAddress, httpStatusCode_d, id_s, requestUri_s, Resource, \
             ResultSignature, ResultType, identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s, \
             identity_claim_upn_s, identity_claim_appid_g";
    let t = run(q, &events, &QueryOptions::default()).unwrap();
    let mut got: BTreeMap<Vec<String>, u32> = BTreeMap::new();
    for r in &t.rows {
        *got.entry(r.iter().map(|v| v.to_string()).collect())
            .or_insert(0) += 1;
    }
    let only_got: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let only_want: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    assert!(
        only_got.is_empty() && only_want.is_empty(),
        "engine only: {only_got:#?}\nraw only: {only_want:#?}"
    );
    assert_eq!(got, want);
}
