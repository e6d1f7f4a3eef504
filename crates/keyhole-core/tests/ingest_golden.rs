//! Golden tests, VRL-style: every `tests/golden/ingest/<case>.<ext>` is ingested and its events,
//! serialised exactly as `serde_json::to_string(&event)` does, one a line, must equal
//! `<case>.expected.jsonl`; problems (skipped records, warnings) must equal
//! `<case>.expected.problems` when that file exists, and be none otherwise.
//! `UPDATE_GOLDEN=1 cargo test -p keyhole-core --test ingest_golden` rewrites the expectations.
//! Each case is also fed whole, one byte at a time and in pseudo-random splits: identical output.

use keyhole_core::ingest::{Dataset, FileReport, IngestOptions};
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ingest")
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            !n.contains(".expected.") && !n.ends_with(".py")
        })
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    let n = p.file_name().unwrap().to_string_lossy().to_string();
    n.split('.').next().unwrap().to_string()
}

fn problems_text(r: &FileReport, out: &mut String) {
    for p in &r.problems {
        let kind = if p.warning { "warning" } else { "skipped" };
        out.push_str(&format!("{kind} {}:{}: {}\n", p.file, p.line, p.reason));
    }
}

/// Ingest `bytes` fed in the given chunk sizes (cycled); returns (events jsonl, problems text).
fn run(name: &str, bytes: &[u8], chunks: &[usize]) -> (String, String) {
    let mut opts = IngestOptions::default();
    if name.contains("local_time") {
        opts.local_zone = keyhole_core::LocalZone::Fixed(120);
    }
    let mut ds = Dataset::new(opts);
    let mut f = ds.open(name);
    let mut i = 0;
    let mut k = 0;
    while i < bytes.len() {
        let n = chunks[k % chunks.len()].max(1).min(bytes.len() - i);
        f.feed(&bytes[i..i + n]);
        i += n;
        k += 1;
    }
    ds.close(f);
    let (events, summary) = ds.finish_store();
    let mut out = String::new();
    for e in events.rows() {
        out.push_str(&serde_json::to_string(&e).unwrap());
        out.push('\n');
    }
    let mut probs = String::new();
    for r in &summary.files {
        problems_text(r, &mut probs);
    }
    (out, probs)
}

fn splits(seed: u64, len: usize) -> Vec<usize> {
    let mut x = seed | 1;
    (0..64)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + (x as usize) % (len / 3 + 2)
        })
        .collect()
}

#[test]
fn golden_ingest() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let cases = cases();
    assert!(
        cases.len() >= 13,
        "expected every shape to have a golden case, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for path in cases {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let (events, problems) = run(&name, &bytes, &[usize::MAX]);
        assert!(!events.is_empty(), "{name}: no events");
        for (label, chunks) in [
            ("1-byte", vec![1usize]),
            ("random", splits(bytes.len() as u64, bytes.len())),
        ] {
            let (e2, p2) = run(&name, &bytes, &chunks);
            assert_eq!(events, e2, "{name}: events differ when fed {label}");
            assert_eq!(problems, p2, "{name}: problems differ when fed {label}");
        }
        let exp_events = golden_dir().join(format!("{}.expected.jsonl", stem(&path)));
        let exp_problems = golden_dir().join(format!("{}.expected.problems", stem(&path)));
        if update {
            std::fs::write(&exp_events, &events).unwrap();
            if problems.is_empty() {
                let _ = std::fs::remove_file(&exp_problems);
            } else {
                std::fs::write(&exp_problems, &problems).unwrap();
            }
            continue;
        }
        let want = std::fs::read_to_string(&exp_events).unwrap_or_else(|_| {
            panic!(
                "{name}: missing {}; run with UPDATE_GOLDEN=1",
                exp_events.display()
            )
        });
        if want != events {
            failures.push(format!(
                "{name}: events differ from {}",
                exp_events.display()
            ));
        }
        let want_p = std::fs::read_to_string(&exp_problems).unwrap_or_default();
        if want_p != problems {
            failures.push(format!(
                "{name}: problems differ: want\n{want_p}got\n{problems}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
