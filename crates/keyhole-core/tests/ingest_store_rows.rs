//! The store's column read path, proven on a real aggregate (issue 10):
//! - the seed000-1 aggregate (requests by caller IP and vault) counted over the id
//!   columns, each dictionary entry resolved once per group, equals the count over the rows.

use keyhole_core::ingest::{Dataset, IngestOptions};
use keyhole_core::store::EventStore;
use keyhole_core::Timestamp;
use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape};
use std::collections::HashMap;

fn store() -> EventStore {
    let cfg = GenConfig {
        seed: 31,
        days: 12,
        scale: 0.15,
        attacks: true,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    let mut ds = Dataset::new(IngestOptions::default());
    // two shapes of overlapping records: duplicates, several files
    for (name, shape, part) in [
        (
            "a.jsonl",
            OutShape::RawJsonLines,
            &recs[..recs.len() * 2 / 3],
        ),
        (
            "b.json",
            OutShape::AzureDiagnosticsCli,
            &recs[recs.len() / 3..],
        ),
    ] {
        let mut w = writer_for(shape, 0);
        let mut bytes = Vec::new();
        for r in part {
            w.write_record(r, &mut bytes);
        }
        w.finish(&mut bytes);
        let mut f = ds.open(name);
        f.feed(&bytes);
        ds.close(f);
    }
    let (store, summary) = ds.finish_store();
    assert!(summary.duplicates > 0 && store.len() > 5_000);
    store
}

#[test]
fn column_aggregate_equals_the_event_path() {
    let store = store();
    // seed000-1: `summarize count() by CallerIPAddress, Resource` over the id columns
    let (callers, vaults) = (store.caller_ids(), store.vault_ids());
    let mut by_ids: HashMap<(u32, u32), u64> = HashMap::new();
    for i in 0..store.len() {
        *by_ids.entry((callers.get(i), vaults.get(i))).or_default() += 1;
    }
    // resolve each dictionary entry once per group (the vault id names a resource tuple:
    // several tuples may share a vault name, so texts are summed again)
    let mut by_text: HashMap<(Option<String>, String), u64> = HashMap::new();
    for ((c, v), n) in by_ids {
        let ip = store.callers()[c as usize]
            .caller_ip
            .as_deref()
            .map(str::to_string);
        let vault = store.resources()[v as usize].vault.to_ascii_uppercase();
        *by_text.entry((ip, vault)).or_default() += n;
    }
    let mut want: HashMap<(Option<String>, String), u64> = HashMap::new();
    for e in store.rows() {
        *want
            .entry((
                e.caller_ip().as_deref().map(str::to_string),
                e.vault().to_ascii_uppercase(),
            ))
            .or_default() += 1;
    }
    assert!(want.len() > 10);
    assert_eq!(by_text, want);
    // and the time column is the rows' times, sorted
    let times: Vec<i64> = store.rows().map(|e| e.time().micros).collect();
    assert_eq!(store.times(), &times[..]);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let _ = Timestamp::from_micros(times[0]);
}

#[test]
fn rows_sort_by_time_stably_and_keep_the_first_of_duplicates() {
    // times out of order, equal times, and a duplicate of line 2 on line 7
    let times = [5, 3, 9, 3, 1, 5, 3, 9, 3, 7];
    let mut text = String::new();
    for (i, t) in times.iter().enumerate() {
        let corr = if i == 6 { 1 } else { i };
        text.push_str(&format!(
            "{{\"time\":\"2026-10-01T00:00:0{t}Z\",\"operationName\":\"SecretGet\",\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV\",\"correlationId\":\"{corr:08}-0000-4000-8000-000000000000\"}}\n"
        ));
    }
    let mut ds = Dataset::new(IngestOptions::default());
    let mut f = ds.open("t.jsonl");
    f.feed(text.as_bytes());
    ds.close(f);
    let (store, summary) = ds.finish_store();
    assert_eq!(summary.duplicates, 1);
    let got: Vec<(i64, u64)> = store
        .rows()
        .zip(store.sources())
        .map(|(e, s)| (e.time().micros / 1_000_000 % 60, s.line))
        .collect();
    let mut want: Vec<(i64, u64)> = times
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 6)
        .map(|(i, t)| (*t as i64, i as u64 + 1))
        .collect();
    want.sort(); // by time, then by line: what a stable sort of the arrival order gives
    assert_eq!(got, want);
    // the row view and the sequential sources agree
    for (e, s) in store.rows().zip(store.sources()) {
        assert_eq!(e.source(), s);
    }
}
