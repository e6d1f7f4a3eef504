//! Parse units (issue 10): a file cut into record-aligned ranges, each parsed on its own and
//! merged in order, gives exactly the events and problems of one sequential parse — for every
//! golden fixture and every shape the generator writes, at random cut points. And the cuts are
//! real: on the shapes that can be cut, most units are accepted without a second parse. Each
//! check runs twice: units merged in place (the CLI) and units handed over as bytes (the page's
//! parse workers, `store/wire.rs`).

use keyhole_core::ingest::unit::{
    ingest_in_units, ingest_in_units_over_wire, unit_targets, UnitStats,
};
use keyhole_core::ingest::{Dataset, IngestOptions, Summary};
use keyhole_core::store::EventStore;
use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape};
use std::path::Path;

fn opts() -> IngestOptions {
    IngestOptions {
        local_zone: keyhole_core::LocalZone::Fixed(120),
        ..IngestOptions::default()
    }
}

fn sequential(name: &str, bytes: &[u8]) -> (EventStore, Summary) {
    let mut ds = Dataset::new(opts());
    let mut f = ds.open(name);
    for c in bytes.chunks(1 << 16) {
        f.feed(c);
    }
    ds.close(f);
    ds.finish_store()
}

fn in_units(
    name: &str,
    bytes: &[u8],
    head: usize,
    targets: &[u64],
    chunk: usize,
) -> (EventStore, Summary, UnitStats) {
    let mut ds = Dataset::new(opts());
    let stats = ingest_in_units(&mut ds, name, bytes, head, targets, chunk);
    let (store, summary) = ds.finish_store();
    (store, summary, stats)
}

/// Everything observable: every event as `keyhole events` prints it, and the report.
fn observable(store: &EventStore, s: &Summary) -> (Vec<String>, String) {
    let events = store
        .rows()
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    let report = serde_json::to_string(&(
        &s.files,
        s.records,
        s.duplicates,
        s.skipped,
        s.first,
        s.last,
        &s.vaults,
    ))
    .unwrap();
    (events, report)
}

fn targets(len: usize, n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % len.max(1) as u64
        })
        .collect()
}

fn check(name: &str, bytes: &[u8], head: usize, seeds: u64) -> (usize, usize) {
    let (s0, sum0) = sequential(name, bytes);
    let want = observable(&s0, &sum0);
    let (mut units, mut reparsed) = (0, 0);
    for seed in 0..seeds {
        let n = 1 + (seed as usize % 7) * 3;
        let chunk = [1usize << 16, 4093, 1 << 20][seed as usize % 3];
        let head = head + (seed as usize * 131) % (head / 2 + 1);
        let (s, sum, st) = in_units(name, bytes, head, &targets(bytes.len(), n, seed), chunk);
        let got = observable(&s, &sum);
        if got != want {
            let d = want
                .0
                .iter()
                .zip(&got.0)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("\n  want {a}\n  got  {b}"))
                .unwrap_or_else(|| format!("{} vs {} events", want.0.len(), got.0.len()));
            panic!(
                "{name}, seed {seed} ({st:?}): differs from the sequential parse{d}\n  report want {}\n  report got  {}",
                want.1, got.1
            );
        }
        // the page's way: units parsed elsewhere, handed over as bytes, merged in order
        let mut ds = Dataset::new(opts());
        let wst = ingest_in_units_over_wire(
            &mut ds,
            name,
            bytes,
            head,
            &targets(bytes.len(), n, seed),
            chunk,
        )
        .unwrap_or_else(|e| panic!("{name}, seed {seed}: {e}"));
        let (s, sum) = ds.finish_store();
        let wired = observable(&s, &sum);
        assert!(
            wired == want,
            "{name}, seed {seed} ({wst:?}): over the wire differs from the sequential parse{}\n  report want {}\n  report got  {}",
            want.0
                .iter()
                .zip(&wired.0)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("\n  want {a}\n  got  {b}"))
                .unwrap_or_else(|| format!("{} vs {} events", want.0.len(), wired.0.len())),
            want.1,
            wired.1
        );
        units += st.units;
        reparsed += st.reparsed;
    }
    (units, reparsed)
}

#[test]
fn golden_fixtures_in_units_equal_one_sequential_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ingest");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".expected.") || name.ends_with(".py") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        // a small head, so these small files are cut too
        let (units, reparsed) = check(&name, &bytes, 1200, 16);
        eprintln!("{name}: {units} units, {reparsed} parsed again");
        // compressed, transcoded and REST-tables files are one unit; the rest are cut
        let one_unit = [".gz", ".zip", "utf16", "rest_tables"]
            .iter()
            .any(|k| name.contains(k));
        assert_eq!(units == 16, one_unit, "{name}: {units} units");
        n += 1;
    }
    assert!(n >= 10, "{n} fixtures");
}

#[test]
fn every_generated_shape_in_units_equals_one_sequential_parse() {
    let cfg = GenConfig {
        seed: 77,
        days: 9,
        scale: 0.6,
        attacks: true,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    let mut cut_ok = Vec::new();
    for shape in OutShape::ALL {
        let mut w = writer_for(shape, 120);
        let mut bytes = Vec::new();
        for r in &recs {
            w.write_record(r, &mut bytes);
        }
        w.finish(&mut bytes);
        let (units, reparsed) = check(shape.name(), &bytes, 1 << 20, 6);
        eprintln!(
            "{}: {} bytes, {units} units, {reparsed} parsed again",
            shape.name(),
            bytes.len()
        );
        cut_ok.push((shape, units, reparsed));
    }
    // Files over the plan's head are really cut, and cuts hold on the cuttable shapes.
    for (shape, units, reparsed) in cut_ok {
        let cuttable = matches!(
            shape,
            OutShape::RawJsonLines
                | OutShape::RawRecordsEnvelope
                | OutShape::RawArray
                | OutShape::AzureDiagnosticsJsonLines
                | OutShape::PortalCsv
                | OutShape::AzkvAuditLogs
        );
        if cuttable {
            assert!(units > 12, "{}: {units} units", shape.name());
            assert!(
                reparsed * 10 <= units,
                "{}: {reparsed} of {units} units parsed again",
                shape.name()
            );
        }
    }
}

#[test]
fn garbage_between_records_forces_a_sequential_parse_of_that_unit() {
    // Problems name lines: a unit that found one is parsed again after the one before it, so
    // the line numbers in its messages are the file's.
    let mut text = String::new();
    for i in 0..30_000 {
        if i % 997 == 0 {
            text.push_str("this line is not JSON\n");
        }
        text.push_str(&format!(
            "{{\"time\":\"2026-10-01T00:00:{:02}.{:03}Z\",\"operationName\":\"SecretGet\",\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV{}\",\"correlationId\":\"{:08x}-0000-4000-8000-000000000000\",\"properties\":{{\"httpStatusCode\":200}}}}\n",
            i % 60,
            i % 1000,
            i % 5,
            i
        ));
    }
    let (units, reparsed) = check("garbage.jsonl", text.as_bytes(), 1 << 20, 5);
    assert!(reparsed > 0 && reparsed < units, "{reparsed} of {units}");
}

/// The targets cut whole units, then the input's last unit's worth of bytes in quarters; the
/// last piece is never a sliver; a file followed by more input is not cut finer.
#[test]
fn unit_targets_quarter_only_the_inputs_last_unit() {
    let whole: Vec<u64> = (1..=9).map(|i| i * 100).collect();
    let tail = [925, 950, 975];
    assert_eq!(
        unit_targets(0, 1000, 0, 100, 10),
        [whole.clone(), tail.to_vec()].concat()
    );
    // 1,000 more bytes follow in other files: this file's end is not the input's end
    assert_eq!(unit_targets(0, 1000, 1000, 100, 10), whole);
    // 40 bytes follow: the quarters start 60 bytes before this file's end
    assert_eq!(unit_targets(0, 1000, 40, 100, 10)[8..], [900, 940, 965]);
    // a size that is no multiple of the unit: a shorter unit, then the quarters
    assert_eq!(
        unit_targets(0, 1030, 0, 100, 10)[8..],
        [900, 930, 955, 980, 1005]
    );
    // never a sliver before the quarters
    assert_eq!(unit_targets(0, 1001, 0, 100, 10)[8..], [900, 925, 950, 975]);
    // quarters are at least `min` bytes
    assert_eq!(unit_targets(0, 250, 0, 100, 40), [100, 150, 190]);
    // the newest part of a file: targets after `from` only
    assert_eq!(unit_targets(600, 1000, 1000, 100, 10), [700, 800, 900]);
    // a file smaller than a unit and a half is cut only at the input's end
    assert!(unit_targets(0, 149, 1000, 100, 10).is_empty());
    assert_eq!(unit_targets(0, 149, 0, 100, 10), [49, 74, 99, 124]);
    assert!(unit_targets(0, 0, 0, 0, 0).is_empty());
}
