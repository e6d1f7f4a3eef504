//! Generation throughput: records/s and MB/s per output shape, in memory (no disk).
//!
//! `cargo run --release -p keyhole-gen --example bench_gen -- [SIZE_MB=200] [SCALE=4] [SHAPE…]`
//! Generates benign days (plus the attack plan) until SIZE MB of each shape has been produced.

use keyhole_gen::write::{writer_for, OutShape};
use keyhole_gen::zip::ZipTree;
use keyhole_gen::{GenConfig, Generator};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size_mb: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(200.0);
    let scale: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4.0);
    let only: Vec<&str> = args.iter().skip(2).map(|s| s.as_str()).collect();
    let limit = (size_mb * 1e6) as u64;
    let cfg = GenConfig {
        seed: 1,
        scale,
        attacks: true,
        ..GenConfig::default()
    };
    println!("target {size_mb} MB per shape, scale {scale}");
    println!(
        "{:<18} {:>10} {:>12} {:>10} {:>12} {:>9}",
        "shape", "records", "bytes", "seconds", "records/s", "MB/s"
    );

    // Generation alone (records, no rendering).
    let t0 = Instant::now();
    let mut g = Generator::unbounded(cfg.clone());
    let mut n = 0u64;
    while n < 1_000_000 {
        n += g.next_day().map(|d| d.len() as u64).unwrap_or(0);
    }
    let s = t0.elapsed().as_secs_f64();
    println!(
        "{:<18} {:>10} {:>12} {:>10.2} {:>12.0} {:>9}",
        "(records only)",
        n,
        "-",
        s,
        n as f64 / s,
        "-"
    );

    let mut shapes: Vec<(String, Option<OutShape>)> = OutShape::ALL
        .iter()
        .map(|s| (s.name().to_string(), Some(*s)))
        .collect();
    shapes.push(("zip-tree".into(), None));
    for (name, shape) in shapes {
        if !only.is_empty() && !only.contains(&name.as_str()) {
            continue;
        }
        let t0 = Instant::now();
        let mut g = Generator::unbounded(cfg.clone());
        let mut records = 0u64;
        let mut bytes = 0u64;
        let mut buf = Vec::with_capacity(1 << 22);
        match shape {
            Some(s) => {
                let mut w = writer_for(s, 120);
                while bytes < limit {
                    let Some(day) = g.next_day() else { break };
                    for r in &day {
                        w.write_record(r, &mut buf);
                        records += 1;
                        if buf.len() >= 1 << 22 {
                            bytes += buf.len() as u64;
                            buf.clear();
                        }
                    }
                }
                w.finish(&mut buf);
            }
            None => {
                let mut z = ZipTree::new();
                while bytes < limit {
                    let Some(day) = g.next_day() else { break };
                    for r in &day {
                        z.write_record(r, &mut buf);
                        records += 1;
                    }
                    bytes += buf.len() as u64;
                    buf.clear();
                }
                z.finish(&mut buf);
            }
        }
        bytes += buf.len() as u64;
        let s = t0.elapsed().as_secs_f64();
        println!(
            "{:<18} {:>10} {:>12} {:>10.2} {:>12.0} {:>9.1}",
            name,
            records,
            bytes,
            s,
            records as f64 / s,
            bytes as f64 / s / 1e6
        );
    }
}
