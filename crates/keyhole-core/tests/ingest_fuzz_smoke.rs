//! Deterministic fuzz smoke test (runs on stable in `cargo test`; the coverage-guided targets
//! are in `fuzz/`): a few thousand inputs mutated from the golden fixtures by a seeded PRNG go
//! through the public entry points, whole and in random chunks. No panic, no hang, and the same
//! events and problems whatever the chunking.

use keyhole_core::ingest::{Dataset, FileReport, IngestOptions};
use std::path::Path;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ingest");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !n.contains(".expected.") && !n.ends_with(".py")
        })
        .collect();
    v.sort();
    v.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

const SPECIAL: &[u8] = b"{}[]\",:\\\n\r\t 0\x00\xff\x1f\x8bPK";

fn mutate(r: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + r.below(8) {
        if v.is_empty() {
            v.push(SPECIAL[r.below(SPECIAL.len())]);
            continue;
        }
        let i = r.below(v.len());
        match r.below(7) {
            0 => v[i] ^= 1 << r.below(8),
            1 => v[i] = SPECIAL[r.below(SPECIAL.len())],
            2 => v.truncate(i),
            3 => {
                let j = (i + r.below(64)).min(v.len());
                v.drain(i..j);
            }
            4 => {
                let j = (i + r.below(256)).min(v.len());
                let seg = v[i..j].to_vec();
                let at = r.below(v.len());
                v.splice(at..at, seg);
            }
            5 => {
                let n = r.below(40);
                let c = SPECIAL[r.below(4)];
                v.splice(i..i, std::iter::repeat_n(c, n));
            }
            _ => v.insert(i, SPECIAL[r.below(SPECIAL.len())]),
        }
    }
    v
}

fn run(bytes: &[u8], r: Option<&mut Rng>) -> (Vec<String>, Vec<String>) {
    let opts = IngestOptions {
        max_record_bytes: Some(4096),
        ..IngestOptions::default()
    };
    let mut ds = Dataset::new(opts);
    let mut f = ds.open("m");
    match r {
        None => f.feed(bytes),
        Some(r) => {
            let mut i = 0;
            while i < bytes.len() {
                let n = (1 + r.below(97)).min(bytes.len() - i);
                f.feed(&bytes[i..i + n]);
                i += n;
            }
        }
    }
    let rep: FileReport = ds.close(f).clone();
    let (ev, sum) = ds.finish_store();
    assert_eq!(sum.records, ev.len() as u64);
    assert!(ev.len() as u64 <= rep.records);
    let mut p: Vec<String> = rep
        .problems
        .iter()
        .map(|p| format!("{}:{}", p.line, p.reason))
        .collect();
    for m in &rep.members {
        p.extend(
            m.problems
                .iter()
                .map(|x| format!("{}:{}:{}", m.file, x.line, x.reason)),
        );
    }
    (
        ev.rows()
            .map(|e| serde_json::to_string(&e).unwrap())
            .collect(),
        p,
    )
}

#[test]
fn mutated_inputs_never_panic_and_are_chunking_invariant() {
    let seeds = seeds();
    // FUZZ_SMOKE_ROUNDS / FUZZ_SMOKE_SEED widen the search locally; the defaults are fixed.
    let rounds: usize = std::env::var("FUZZ_SMOKE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("FUZZ_SMOKE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x00C0_FFEE_1234_5678);
    let mut r = Rng(seed | 1);
    let mut runs = 0;
    for round in 0..rounds {
        for s in &seeds {
            let m = mutate(&mut r, s);
            let whole = run(&m, None);
            let mut r2 = Rng(r.next() | 1);
            let split = run(&m, Some(&mut r2));
            if whole != split {
                if let Ok(path) = std::env::var("FUZZ_SMOKE_DUMP") {
                    std::fs::write(path, &m).unwrap();
                }
            }
            assert_eq!(
                whole,
                split,
                "round {round}: chunking changed the result for input {:?}",
                String::from_utf8_lossy(&m[..m.len().min(300)])
            );
            runs += 1;
        }
    }
    println!("fuzz smoke: {runs} mutated inputs");
}
