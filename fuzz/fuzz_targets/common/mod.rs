//! What the whole-file ingest targets share: `prefix` (which forces one reader) and the fuzz
//! input after its first byte, fed in chunks of 1 + that byte, so split points are fuzzed too.
//! Never a panic; no more events than the file reported records, the summary counts the
//! events, and every event reads back. `[Local Time]` columns are read in Europe/Berlin, so
//! daylight saving's repeated and skipped hours are fuzzed too.

use keyhole_core::ingest::{Dataset, IngestOptions};
use keyhole_core::LocalZone;

pub fn ingest(prefix: &[u8], data: &[u8]) {
    let Some((&k, rest)) = data.split_first() else { return };
    let mut input = prefix.to_vec();
    input.extend_from_slice(rest);
    let opts = IngestOptions {
        max_record_bytes: Some(64 << 10),
        local_zone: LocalZone::parse("Europe/Berlin").expect("a zone of the tz database"),
        ..IngestOptions::default()
    };
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
}
