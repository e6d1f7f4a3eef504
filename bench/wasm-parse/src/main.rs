//! The same parse natively: `keyhole-wasm-parse-bench FILE [ROUNDS]` prints seconds and MB/s a round.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: keyhole-wasm-parse-bench FILE [ROUNDS]");
    let rounds: usize = args.next().map_or(5, |r| r.parse().expect("ROUNDS"));
    let b = std::fs::read(&path).expect("read FILE");
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        let n = keyhole_wasm_parse_bench::parse(&b);
        let s = t.elapsed().as_secs_f64();
        println!(
            "native {:.3} s {:.0} MB/s ({n} wire bytes)",
            s,
            b.len() as f64 / 1e6 / s
        );
    }
}
