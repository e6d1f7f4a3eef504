//! The same natively: `keyhole-wasm-parse-bench FILE [ROUNDS] [parse|merge]` prints seconds and
//! MB/s a round of the parse, then of the merge (decode and add the unit) and of merge and store
//! build. `parse` / `merge`: only those rounds (for counting their instructions).
use keyhole_wasm_parse_bench::{merge, parse, parse_wire};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: keyhole-wasm-parse-bench FILE [ROUNDS] [parse|merge]");
    let rounds: usize = args.next().map_or(5, |r| r.parse().expect("ROUNDS"));
    let only = args.next();
    let only_merge = only.as_deref() == Some("merge");
    let builds: &[bool] = match only.as_deref() {
        Some("parse") => &[],
        Some("merge") => &[false],
        _ => &[false, true],
    };
    let b = std::fs::read(&path).expect("read FILE");
    let mb = b.len() as f64 / 1e6;
    if !only_merge {
        for _ in 0..rounds {
            let t = Instant::now();
            let n = parse(&b);
            let s = t.elapsed().as_secs_f64();
            println!("native {s:.3} s {:.0} MB/s ({n} wire bytes)", mb / s);
        }
    }
    if builds.is_empty() {
        return;
    }
    let wire = parse_wire(&b);
    for &build in builds {
        for _ in 0..rounds {
            let t = Instant::now();
            let n = merge(&wire, build);
            let s = t.elapsed().as_secs_f64();
            let what = if build { "merge+build" } else { "merge" };
            println!("native {what} {s:.3} s {:.0} MB/s ({n} events)", mb / s);
        }
    }
}
