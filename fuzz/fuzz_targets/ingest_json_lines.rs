//! Fuzz target: JSON lines (a valid first line forces the JSON-lines parser).
//! The first input byte picks the chunk size, so split points are fuzzed too.
#![no_main]

use keyhole_core::ingest::{Dataset, IngestOptions};
use libfuzzer_sys::fuzz_target;

const PREFIX: &[u8] = b"{\"time\":\"2026-01-01T00:00:00Z\",\"operationName\":\"SecretGet\",\"resourceId\":\"/VAULTS/KV\",\"properties\":{\"httpStatusCode\":200}}\n";

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let mut input = PREFIX.to_vec();
    input.extend_from_slice(rest);
    let opts = IngestOptions { max_record_bytes: Some(64 << 10), ..IngestOptions::default() };
    let mut ds = Dataset::new(opts);
    let mut f = ds.open("fuzz");
    for c in input.chunks(1 + k as usize) {
        f.feed(c);
        let _ = f.report();
    }
    let rep = ds.close(f).clone();
    let (events, summary) = ds.finish_store();
    assert!(events.len() as u64 <= rep.records);
    assert_eq!(summary.records, events.len() as u64);
    for e in events.rows() {
        let _ = e.vault().len();
    }
});
