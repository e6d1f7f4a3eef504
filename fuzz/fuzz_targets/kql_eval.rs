//! Fuzz target: run arbitrary KQL over a small fixed dataset (one generated day, a few hundred
//! events). Every query must give a table or an error: never a panic, never a stack overflow,
//! never more memory than its budget (issue 14, items 1 and 2).
#![no_main]

use keyhole_core::EventStore;
use keyhole_kql::{run_limited, workbook_defaults, QueryOptions};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn dataset() -> &'static (EventStore, QueryOptions) {
    static D: OnceLock<(EventStore, QueryOptions)> = OnceLock::new();
    D.get_or_init(|| {
        let cfg = keyhole_gen::GenConfig {
            seed: 7,
            days: 1,
            scale: 0.02,
            attacks: false,
            ..keyhole_gen::GenConfig::default()
        };
        let (recs, _) = keyhole_gen::generate_all(&cfg);
        let mut w = keyhole_gen::writer_for(keyhole_gen::OutShape::RawJsonLines, 0);
        let mut buf = Vec::new();
        for r in recs.iter().take(400) {
            w.write_record(r, &mut buf);
        }
        w.finish(&mut buf);
        let mut ds = keyhole_core::ingest::Dataset::new(Default::default());
        let mut f = ds.open("fuzz.json");
        f.feed(&buf);
        f.finish();
        ds.close(f);
        let events = ds.finish_store().0;
        let opts = QueryOptions {
            // Well under libFuzzer's 2 GiB RSS limit, so an unaccounted allocation shows.
            memory_limit: Some(64 << 20),
            params: workbook_defaults(&events),
            ..QueryOptions::default()
        };
        (events, opts)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    let (events, opts) = dataset();
    match run_limited(q, events, opts, 1000) {
        Ok((t, total)) => {
            assert!(t.rows.len() <= 1000 && t.rows.len() <= total);
            for r in &t.rows {
                assert_eq!(r.len(), t.columns.len());
            }
        }
        Err(e) => {
            assert!(e.span.0 <= e.span.1 && e.span.1 <= q.len(), "{e:?}");
            let _ = e.to_string();
        }
    }
});
