//! Fuzz target: the cut-point finder and the merge of parse units (issue 10). A file cut into
//! units at fuzzed points, each parsed alone and merged in order, must give exactly what one
//! sequential parse gives: every event as `keyhole events` prints it, every report, counts.
//! The first bytes pick a prefix (JSON lines, a records envelope, an array, a portal CSV header)
//! so that each kind of plan is exercised, the plan's head size, and the cut targets.
#![no_main]

use keyhole_core::ingest::unit::{ingest_in_units, ingest_in_units_over_wire};
use keyhole_core::ingest::{Dataset, IngestOptions};
use libfuzzer_sys::fuzz_target;

const LINE: &str = r#"{"time":"2026-10-01T00:05:03Z","operationName":"SecretGet","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV","correlationId":"ac0eee1a-6472-4252-ba5c-617e669c8ac7","properties":{"httpStatusCode":200}}"#;
const CSV_HEAD: &str = "TimeGenerated [UTC],OperationName,ResourceId,httpStatusCode_d,CallerIPAddress,CorrelationId\r\n";
const CSV_ROW: &str = "\"10/1/2026, 12:01:01.287 AM\",SecretGet,/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV,200,1.2.3.4,x\r\n";

fn observable(ds: Dataset) -> (Vec<String>, String) {
    let (store, s) = ds.finish_store();
    let events = store
        .rows()
        .map(|e| serde_json::to_string(&e).expect("serialises"))
        .collect();
    let report = serde_json::to_string(&(&s.files, s.records, s.duplicates, s.skipped, &s.vaults))
        .expect("serialises");
    (events, report)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(4);
    let body = String::from_utf8_lossy(rest);
    // a realistic frame around the fuzz bytes, so plans are made and cuts are found
    let text = match head[0] % 4 {
        0 => format!("{LINE}\n{body}\n{LINE}\n{LINE}\n"),
        1 => format!("{{\"records\":[\n{LINE},\n{body},\n{LINE},\n{LINE}\n]}}"),
        2 => format!("[\n{LINE},\n{LINE},\n{body}\n]"),
        _ => format!("{CSV_HEAD}{CSV_ROW}{body}\r\n{CSV_ROW}{CSV_ROW}"),
    };
    let bytes = text.as_bytes();
    let opts = IngestOptions {
        max_record_bytes: Some(64 << 10),
        ..IngestOptions::default()
    };
    let mut want = Dataset::new(opts.clone());
    let mut f = want.open("fuzz");
    f.feed(bytes);
    want.close(f);
    let want = observable(want);

    let plan_head = 1 + head[1] as usize * 2;
    let chunk = 1 + head[2] as usize * 7;
    let targets: Vec<u64> = rest
        .iter()
        .take(16)
        .map(|&b| (b as u64 * bytes.len() as u64 / 256) ^ head[3] as u64)
        .collect();
    // the page's way: units handed over as bytes (store/wire.rs)
    let mut ds = Dataset::new(opts.clone());
    ingest_in_units_over_wire(&mut ds, "fuzz", bytes, plan_head, &targets, chunk)
        .expect("units round-trip");
    let wired = observable(ds);
    assert_eq!(wired.1, want.1, "reports differ over the wire");
    assert_eq!(wired.0, want.0, "events differ over the wire");
    let mut ds = Dataset::new(opts);
    let stats = ingest_in_units(&mut ds, "fuzz", bytes, plan_head, &targets, chunk);
    let got = observable(ds);
    assert!(stats.reparsed <= stats.units);
    assert_eq!(got.1, want.1, "reports differ ({stats:?})");
    assert_eq!(got.0, want.0, "events differ ({stats:?})");
});
