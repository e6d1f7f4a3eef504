//! De-duplication across files and shapes, time ordering, summary, and chunk-split invariance
//! (property-style: the same events and problems whatever the chunking).

use keyhole_core::ingest::{Dataset, IngestOptions, Summary};
use keyhole_core::EventStore;
use std::path::{Path, PathBuf};

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/ingest")
            .join(name),
    )
    .unwrap()
}

fn golden_inputs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ingest"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                !n.contains(".expected.") && !n.ends_with(".py")
            })
            .collect();
    v.sort();
    v
}

fn ingest(files: &[(&str, Vec<u8>)], opts: IngestOptions) -> (EventStore, Summary) {
    let mut ds = Dataset::new(opts);
    for (name, bytes) in files {
        let mut f = ds.open(name);
        f.feed(bytes);
        ds.close(f);
    }
    ds.finish_store()
}

fn local() -> IngestOptions {
    IngestOptions {
        local_zone: keyhole_core::LocalZone::Fixed(120),
        ..IngestOptions::default()
    }
}

#[test]
fn same_file_twice() {
    let raw = golden("raw_lines.jsonl");
    let (ev, sum) = ingest(
        &[("a/PT1H.json", raw.clone()), ("b/PT1H.json", raw)],
        IngestOptions::default(),
    );
    assert_eq!(ev.len(), 5);
    assert_eq!(sum.duplicates, 5);
    assert_eq!(sum.records, 5);
    assert!(
        ev.rows().all(|e| &*e.source().file == "a/PT1H.json"),
        "the first occurrence is kept"
    );
}

#[test]
fn zip_plus_records_envelope_of_the_same_records() {
    let (ev, sum) = ingest(
        &[
            ("container.zip", golden("container.zip")),
            ("eventhub.json", golden("records_envelope.json")),
        ],
        IngestOptions::default(),
    );
    assert_eq!(ev.len(), 5);
    assert_eq!(sum.duplicates, 3);
}

#[test]
fn raw_lines_plus_portal_csv_at_millisecond_precision() {
    let (ev, sum) = ingest(
        &[
            ("raw.json", golden("raw_lines.jsonl")),
            ("export.csv", golden("portal_utc.csv")),
        ],
        IngestOptions::default(),
    );
    assert_eq!(ev.len(), 5);
    assert_eq!(sum.duplicates, 5);
    // the local-time export of the same records, read with the right offset, also collapses
    let (ev, sum) = ingest(
        &[
            ("raw.json", golden("raw_lines.jsonl")),
            ("local.csv", golden("portal_local_time.csv")),
        ],
        local(),
    );
    assert_eq!(ev.len(), 5);
    assert_eq!(sum.duplicates, 5);
    // ... and with the wrong offset it does not (the times differ by two hours)
    let (ev, _) = ingest(
        &[
            ("raw.json", golden("raw_lines.jsonl")),
            ("local.csv", golden("portal_local_time.csv")),
        ],
        IngestOptions::default(),
    );
    assert_eq!(ev.len(), 10);
}

#[test]
fn every_shape_of_the_same_five_records_gives_five_events() {
    let files: Vec<(String, Vec<u8>)> = golden_inputs()
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let (ev, sum) = ingest(&refs, local());
    assert_eq!(
        ev.len(),
        5,
        "{:?}",
        ev.rows()
            .map(|e| (e.operation(), e.time()))
            .collect::<Vec<_>>()
    );
    let total: u64 = sum.files.iter().map(|f| f.records).sum();
    assert_eq!(sum.duplicates, total - 5);
    assert_eq!(
        sum.vaults.iter().map(|v| &**v).collect::<Vec<_>>(),
        vec!["kv-payments-prod"]
    );
    assert_eq!(sum.skipped, 1, "the storage row");
    assert_eq!(
        sum.first.unwrap().to_rfc3339(),
        ev.row(0).time().to_rfc3339()
    );
    assert!(
        ev.times().windows(2).all(|w| w[0] <= w[1]),
        "sorted by time"
    );
}

#[test]
fn different_records_are_not_merged() {
    let a = golden("raw_lines.jsonl");
    let text = String::from_utf8(a.clone()).unwrap();
    // same correlation ids, one millisecond later: different events
    let later = text.replace("03:10:11.1234567Z", "03:10:11.1244567Z");
    let (ev, sum) = ingest(
        &[("a", a), ("b", later.into_bytes())],
        IngestOptions::default(),
    );
    assert_eq!(ev.len(), 6);
    assert_eq!(sum.duplicates, 4);
}

#[test]
fn summary_lists_vaults_sorted_and_time_span() {
    let a = String::from_utf8(golden("raw_lines.jsonl")).unwrap();
    let b = a
        .replace("KV-PAYMENTS-PROD", "KV-AAA")
        .replace("kv-payments-prod", "kv-aaa");
    let (ev, sum) = ingest(
        &[("b", b.into_bytes()), ("a", a.into_bytes())],
        IngestOptions::default(),
    );
    assert_eq!(ev.len(), 10);
    assert_eq!(
        sum.vaults.iter().map(|v| &**v).collect::<Vec<_>>(),
        vec!["kv-aaa", "kv-payments-prod"]
    );
    assert_eq!(
        sum.first.unwrap().to_rfc3339(),
        "2026-10-18T03:10:10.987654Z"
    );
    assert_eq!(
        sum.last.unwrap().to_rfc3339(),
        "2026-10-18T04:06:00.000000Z"
    );
    assert_eq!(sum.files.len(), 2);
    // stable: equal times keep file order
    let same: Vec<String> = ev
        .rows()
        .filter(|e| e.time() == ev.row(0).time())
        .map(|e| e.source().file.to_string())
        .collect();
    assert_eq!(same, vec!["b", "a"]);
}

fn run_chunked(name: &str, bytes: &[u8], seed: u64) -> (Vec<String>, Vec<String>) {
    let mut ds = Dataset::new(local());
    let mut f = ds.open(name);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut i = 0;
    while i < bytes.len() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let max = match seed % 4 {
            0 => 3,
            1 => 64,
            2 => 4096,
            _ => bytes.len(),
        };
        let n = (1 + (x as usize) % max).min(bytes.len() - i);
        f.feed(&bytes[i..i + n]);
        i += n;
        assert!(
            f.report().bytes == i as u64,
            "progress is reported while feeding"
        );
    }
    f.finish();
    let rep = ds.close(f).clone();
    let (events, _) = ds.finish_store();
    let ev = events
        .rows()
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    let mut probs: Vec<String> = rep
        .problems
        .iter()
        .map(|p| format!("{}:{}", p.line, p.reason))
        .collect();
    for m in &rep.members {
        probs.extend(
            m.problems
                .iter()
                .map(|p| format!("{}:{}:{}", m.file, p.line, p.reason)),
        );
    }
    (ev, probs)
}

#[test]
fn chunk_split_invariance_property() {
    let mut inputs: Vec<(String, Vec<u8>)> = golden_inputs()
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    // a nasty mix: garbage, an envelope line, an array line, CRLF, blank lines, a truncated tail
    let raw = String::from_utf8(golden("raw_lines.jsonl")).unwrap();
    let l: Vec<&str> = raw.lines().collect();
    let mix = format!(
        "{}\r\n\r\nnot json at all\r\n{{\"records\":[{},{}]}}\r\n[{}]\n{{\"x\":1}}\n{}",
        l[0],
        l[1],
        l[2],
        l[3],
        &l[4][..200]
    );
    inputs.push(("mix.json".into(), mix.into_bytes()));
    for (name, bytes) in &inputs {
        let (want_e, want_p) = run_chunked(name, bytes, 3);
        assert!(!want_e.is_empty(), "{name}");
        for seed in 0..24u64 {
            let (e, p) = run_chunked(name, bytes, seed);
            assert_eq!(e, want_e, "{name} seed {seed}");
            assert_eq!(p, want_p, "{name} seed {seed}");
        }
    }
}
