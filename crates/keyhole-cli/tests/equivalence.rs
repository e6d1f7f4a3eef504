//! The same input yields the same events whichever shape it came in (spec §2), and overlapping
//! files give each event once (spec §1). The generator writes one set of records in every shape
//! and container; the core ingests each; the events must match the raw JSON-lines baseline
//! (time compared at millisecond precision, the portal CSV's resolution; provenance excluded).

use keyhole_core::ingest::{Dataset, IngestOptions};
use keyhole_core::{EventRef, EventStore};
use keyhole_gen::zip::{gzip, utf16le, ZipTree};
use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape, Record};
use serde_json::Value;

const LOCAL_OFFSET: i32 = 120;

fn records() -> Vec<Record> {
    let cfg = GenConfig {
        seed: 424_242,
        days: 10,
        scale: 0.04,
        attacks: true,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    assert!(
        recs.len() > 500,
        "a meaningful sample: {} records",
        recs.len()
    );
    recs
}

fn write(shape: OutShape, recs: &[Record]) -> Vec<u8> {
    let mut w = writer_for(shape, LOCAL_OFFSET);
    let mut out = Vec::new();
    for r in recs {
        w.write_record(r, &mut out);
    }
    w.finish(&mut out);
    out
}

fn zip_tree(recs: &[Record]) -> Vec<u8> {
    let mut z = ZipTree::new();
    let mut out = Vec::new();
    for r in recs {
        z.write_record(r, &mut out);
    }
    z.finish(&mut out);
    out
}

/// Ingests named byte buffers as one drop, feeding odd-sized chunks.
fn ingest(files: &[(&str, &[u8])]) -> (EventStore, keyhole_core::ingest::Summary) {
    let opts = IngestOptions {
        local_zone: keyhole_core::LocalZone::Fixed(LOCAL_OFFSET),
        ..IngestOptions::default()
    };
    let mut ds = Dataset::new(opts);
    for (name, bytes) in files {
        let mut f = ds.open(name);
        for chunk in bytes.chunks(65_537) {
            f.feed(chunk);
        }
        ds.close(f);
    }
    ds.finish_store()
}

/// An event as comparable JSON: provenance dropped, time at millisecond precision.
/// `without_vault_tenant`: the AZKVAuditLogs table has no column for the vault's own tenant id
/// (its `TenantId` is the workspace's), so that one value cannot survive that shape.
fn canonical(e: EventRef<'_>, without_vault_tenant: bool) -> String {
    let mut v = serde_json::to_value(e).expect("event serialises");
    let obj = v.as_object_mut().expect("event is an object");
    obj.remove("source");
    obj.insert("time".into(), Value::from(e.time().millis()));
    if without_vault_tenant {
        if let Some(Value::Object(cfg)) = obj.get_mut("vault_config") {
            cfg.insert("tenant_id".into(), Value::Null);
        }
    }
    serde_json::to_string(&v).expect("json")
}

fn canonical_set(events: &EventStore, without_vault_tenant: bool) -> Vec<String> {
    let mut v: Vec<String> = events
        .rows()
        .map(|e| canonical(e, without_vault_tenant))
        .collect();
    v.sort();
    v
}

fn first_difference(a: &[String], b: &[String]) -> String {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return format!("\n  raw:   {x}\n  shape: {y}");
        }
    }
    format!("lengths {} vs {}", a.len(), b.len())
}

#[test]
fn every_shape_gives_the_same_events() {
    let recs = records();
    let raw = write(OutShape::RawJsonLines, &recs);
    let (base, summary) = ingest(&[("raw.jsonl", &raw)]);
    assert_eq!(base.len(), recs.len(), "every generated record is an event");
    assert_eq!(
        summary.files[0].skipped, 0,
        "{:?}",
        summary.files[0].problems
    );
    let base_all = canonical_set(&base, false);
    let base_azkv = canonical_set(&base, true);
    let base = base_all;

    let mut checked = 0;
    for shape in OutShape::ALL {
        let bytes = write(shape, &recs);
        let (events, summary) = ingest(&[(shape.name(), &bytes)]);
        let report = &summary.files[0];
        assert_eq!(report.skipped, 0, "{}: {:?}", shape.name(), report.problems);
        assert!(
            report.shapes.contains(&shape.shape()),
            "{}: detected as {:?}",
            shape.name(),
            report.shapes
        );
        let azkv = shape == OutShape::AzkvAuditLogs;
        let got = canonical_set(&events, azkv);
        let base = if azkv { &base_azkv } else { &base };
        assert!(
            got == *base,
            "{} differs from raw JSON lines: {}",
            shape.name(),
            first_difference(base, &got)
        );
        checked += 1;
    }
    assert!(checked >= 10, "all writers covered: {checked}");

    // Containers and encodings around a shape change nothing.
    let zip = zip_tree(&recs);
    let gz = gzip(&write(OutShape::AzureDiagnosticsJsonLines, &recs));
    let u16 = utf16le(&write(OutShape::PortalCsv, &recs));
    for (name, bytes) in [
        ("container.zip", &zip),
        ("ad.jsonl.gz", &gz),
        ("portal-utf16.csv", &u16),
    ] {
        let (events, summary) = ingest(&[(name, bytes)]);
        let skipped: u64 = summary.files.iter().map(|f| f.skipped).sum();
        assert_eq!(skipped, 0, "{name}: {:?}", summary.files);
        let got = canonical_set(&events, false);
        assert!(
            got == base,
            "{name} differs: {}",
            first_difference(&base, &got)
        );
    }
}

#[test]
fn overlapping_files_give_each_event_once() {
    let recs = records();
    let raw = write(OutShape::RawJsonLines, &recs);
    let envelope = write(OutShape::RawRecordsEnvelope, &recs);
    let csv = write(OutShape::PortalCsv, &recs);
    let zip = zip_tree(&recs);

    // The same file dropped twice.
    let (events, summary) = ingest(&[("a/PT1H.json", &raw), ("b/PT1H.json", &raw)]);
    assert_eq!(events.len(), recs.len());
    assert_eq!(summary.duplicates, recs.len() as u64);

    // A zip plus the envelope of the same records, plus the portal CSV of them.
    let (events, summary) = ingest(&[
        ("container.zip", &zip),
        ("records.json", &envelope),
        ("export.csv", &csv),
    ]);
    assert_eq!(events.len(), recs.len());
    assert_eq!(summary.duplicates, 2 * recs.len() as u64);

    // Half the records overlap: the union, once each.
    let half = recs.len() / 2;
    let first = write(OutShape::RawJsonLines, &recs[..half + 100]);
    let second = write(OutShape::RawJsonLines, &recs[half..]);
    let (events, _) = ingest(&[("first.jsonl", &first), ("second.jsonl", &second)]);
    assert_eq!(events.len(), recs.len());
    assert!(
        events.times().windows(2).all(|w| w[0] <= w[1]),
        "sorted by time"
    );
}

// ---- parallel loading (issue 10): the thread count and the cut points change nothing ----

const BIN: &str = env!("CARGO_BIN_EXE_keyhole");

fn keyhole(args: &[&str]) -> (Vec<u8>, String) {
    let o = std::process::Command::new(BIN)
        .args(args)
        .output()
        .expect("keyhole runs");
    assert!(
        o.status.success(),
        "keyhole {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (o.stdout, String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `keyhole events` and `keyhole analyze` with one thread and one unit a file, against many
/// threads and small units (cuts every 64 KiB or 200 KB): byte-identical events, findings and
/// summaries, for every shape the generator writes, each alone and all in one drop.
#[test]
fn thread_count_and_cut_points_change_no_event_and_no_finding() {
    let cfg = GenConfig {
        seed: 4242,
        days: 10,
        scale: 0.08,
        attacks: true,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    let dir = std::env::temp_dir().join(format!("keyhole-eq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for shape in OutShape::ALL {
        let path = dir.join(shape.name());
        std::fs::write(&path, write(shape, &recs)).unwrap();
        files.push(path);
    }
    let gz = dir.join("raw.jsonl.gz");
    std::fs::write(&gz, gzip(&write(OutShape::RawJsonLines, &recs))).unwrap();
    files.push(gz);
    let zip = dir.join("tree.zip");
    std::fs::write(&zip, zip_tree(&recs)).unwrap();
    files.push(zip);

    let offset = LOCAL_OFFSET.to_string();
    let mut targets: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    targets.push(dir.display().to_string());
    for target in &targets {
        for cmd in ["events", "analyze"] {
            let base = |extra: &[&str]| {
                let mut a = vec![cmd, "--format", "jsonl", "--local-offset", &offset];
                a.extend_from_slice(extra);
                a.push(target);
                keyhole(&a)
            };
            let (want, want_err) = base(&["--threads", "1", "--unit-bytes", "1000000000000"]);
            assert!(!want.is_empty(), "{cmd} {target}: no output");
            for extra in [
                ["--threads", "8", "--unit-bytes", "65536"],
                ["--threads", "3", "--unit-bytes", "200000"],
            ] {
                let (got, got_err) = base(&extra);
                assert!(
                    got == want,
                    "{cmd} {target} {extra:?}: output differs from one thread, one unit"
                );
                assert_eq!(
                    got_err, want_err,
                    "{cmd} {target} {extra:?}: summary differs"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
