//! Detection benchmark: builds N synthetic events in memory (default 1 000 000: 30 days, 40
//! vaults, 400 principals, interned strings like the ingest layer hands out, a few injected
//! attacks) and times `detect::analyze` with every rule, then the workbook panels.
//!
//! `cargo run --release -p keyhole-core --example bench_detect [-- N]`
//!
//! With `gen [SCALE]` it instead generates 28 days of the keyhole-gen tenant (default scale 23,
//! about 1 M records) as raw JSON lines, reads them with the real ingest (chunked, day by day,
//! so the text is never held whole) and analyses them, printing records/s, MB/s, peak memory
//! and the share of time spent in ingest vs detection:
//! `cargo run --release -p keyhole-core --example bench_detect -- gen 23`

use keyhole_core::detect::testkit::ev;
use keyhole_core::detect::{analyze, DetectConfig};
use keyhole_core::event::{IdentityKind, ObjectKind, Op, Outcome};
use keyhole_core::{workbook, Event, Str, Timestamp};
use std::sync::Arc;
use std::time::Instant;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU seconds (user + system) of this process so far: on a shared machine wall time includes
/// waiting for a core, CPU time does not.
fn cpu_s() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn build(n: usize) -> Vec<Event> {
    let s = |x: String| -> Str { Arc::from(x.as_str()) };
    let vaults: Vec<Str> = (0..40).map(|i| s(format!("kv-{i:02}"))).collect();
    let ops: Vec<(Str, Op)> = [
        "SecretGet",
        "SecretGet",
        "SecretGet",
        "SecretList",
        "KeyGet",
        "KeySign",
        "CertificateGet",
        "VaultGet",
        "SecretSet",
    ]
    .iter()
    .map(|o| (Arc::from(*o), Op::parse(o)))
    .collect();
    let objects: Vec<Str> = (0..200).map(|i| s(format!("secret-{i}"))).collect();
    let ips: Vec<(Str, std::net::IpAddr)> = (0..400)
        .map(|i| {
            let t = format!("203.{}.{}.{}", i % 7, i / 7 % 250, 10 + i % 200);
            let a = t.parse().unwrap();
            (s(t), a)
        })
        .collect();
    let principals: Vec<(Str, Option<Str>, Str, IdentityKind)> = (0..400)
        .map(|i| {
            if i % 2 == 0 {
                (
                    s(format!("oid-{i}")),
                    Some(s(format!("user{i}@contoso.com"))),
                    s("c44b4083-3bb0-49c1-b47d-974e53cbdf3c".into()),
                    IdentityKind::User,
                )
            } else {
                (
                    s(format!("oid-{i}")),
                    None,
                    s(format!("app-{i}")),
                    IdentityKind::App,
                )
            }
        })
        .collect();
    let file: Str = s("bench.json".into());
    let start = Timestamp::parse_iso("2026-10-01T00:00:00Z").unwrap().micros;
    let span = 30 * 86_400_000_000i64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let template = ev("2026-10-01T00:00:00Z");
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let mut e = template.clone();
        e.time = Timestamp {
            micros: start + (k as i64) * (span / n as i64),
            digits: 7,
        };
        let p = rng.below(400) as usize;
        // Each principal works on 1-3 "home" vaults, from its own IP.
        let v = (p * 7 + rng.below(3) as usize * (p % 3)) % 40;
        e.vault = vaults[v].clone();
        let (op_name, op) = &ops[rng.below(ops.len() as u64) as usize];
        e.operation = op_name.clone();
        e.op = *op;
        e.object_kind = op.object_kind();
        if e.object_kind != ObjectKind::Vault
            && !matches!(op, Op::Object(_, keyhole_core::Verb::List))
        {
            e.object_name = Some(objects[(p * 3 + rng.below(5) as usize) % 200].clone());
        } else {
            e.object_name = None;
        }
        let (oid, upn, app, kind) = &principals[p];
        e.identity.object_id = Some(oid.clone());
        e.identity.upn = upn.clone();
        e.identity.app_id = Some(app.clone());
        e.identity.kind = Some(*kind);
        let (ip_t, ip_a) = &ips[p];
        e.caller_ip = Some(ip_t.clone());
        e.caller_addr = Some(*ip_a);
        let r = rng.below(1000);
        let st = if r < 30 {
            401
        } else if r < 35 {
            403
        } else if r < 45 {
            404
        } else if r < 47 {
            429
        } else {
            200
        };
        e.status = Some(st);
        e.outcome = Outcome::from_status(st);
        if st == 401 {
            e.identity = Default::default();
        }
        e.duration_ms = Some(rng.below(200));
        e.source.file = file.clone();
        e.source.line = k as u64 + 1;
        out.push(e);
    }
    // Injected attacks on day 20: a TOR read, and principal 0 reading 60 secrets on 9 vaults.
    let t = start + 20 * 86_400_000_000;
    for i in 0..60usize {
        let mut e = out[0].clone();
        e.time = Timestamp {
            micros: t + i as i64 * 10_000_000,
            digits: 7,
        };
        e.vault = vaults[i % 9].clone();
        e.operation = Arc::from("SecretGet");
        e.op = Op::parse("SecretGet");
        e.object_kind = ObjectKind::Secret;
        e.object_name = Some(s(format!("stolen-{i}")));
        e.status = Some(200);
        e.outcome = Outcome::Success;
        e.caller_ip = Some(s("2.26.97.42".into()));
        e.caller_addr = "2.26.97.42".parse().ok();
        out.push(e);
    }
    out.sort_by_key(|e| e.time);
    out
}

fn gen_mode(scale: f64) {
    use keyhole_core::ingest::{Dataset, IngestOptions};
    use keyhole_gen::{writer_for, GenConfig, Generator, OutShape};
    let gen = GenConfig {
        seed: 11,
        days: 28,
        scale,
        ..GenConfig::default()
    };
    let mut g = Generator::new(gen);
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut ds = Dataset::new(IngestOptions::default());
    let mut f = ds.open("bench.raw.json");
    let (mut bytes, mut records) = (0u64, 0u64);
    let (mut gen_s, mut ingest_s) = (0.0, 0.0);
    let mut ingest_cpu = 0.0;
    let mut buf = Vec::new();
    loop {
        let t = Instant::now();
        let Some(day) = g.next_day() else { break };
        buf.clear();
        for r in &day {
            w.write_record(r, &mut buf);
        }
        records += day.len() as u64;
        bytes += buf.len() as u64;
        gen_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let c = cpu_s();
        for chunk in buf.chunks(1 << 20) {
            f.feed(chunk);
        }
        ingest_s += t.elapsed().as_secs_f64();
        ingest_cpu += cpu_s() - c;
    }
    let t = Instant::now();
    let c = cpu_s();
    let rep = ds.close(f).clone();
    let (events, _summary) = ds.finish_store();
    ingest_s += t.elapsed().as_secs_f64();
    ingest_cpu += cpu_s() - c;
    let rss_ingest = peak_rss_kb();
    let t = Instant::now();
    let c = cpu_s();
    let a = analyze(&events, &DetectConfig::default());
    let detect_s = t.elapsed().as_secs_f64();
    let detect_cpu = cpu_s() - c;
    let rss = peak_rss_kb();
    let mb = bytes as f64 / 1e6;
    println!(
        "generated {records} records, {mb:.0} MB raw JSON lines in {gen_s:.1} s (not counted)"
    );
    println!(
        "ingest: {} events ({} skipped) in {ingest_s:.2} s = {:.0} records/s, {:.0} MB/s",
        events.len(),
        rep.skipped,
        records as f64 / ingest_s,
        mb / ingest_s
    );
    println!(
        "detect: {} findings in {detect_s:.2} s = {:.0} events/s",
        a.findings.len(),
        events.len() as f64 / detect_s
    );
    let total = ingest_s + detect_s;
    println!(
        "pipeline: {total:.2} s = {:.0} records/s, {:.0} MB/s; time share ingest {:.0} %, detection {:.0} %",
        records as f64 / total,
        mb / total,
        100.0 * ingest_s / total,
        100.0 * detect_s / total
    );
    println!(
        "CPU time: ingest {ingest_cpu:.2} s ({:.0} MB/s per core), detection {detect_cpu:.2} s ({:.0} events/s per core); CPU share detection {:.0} %",
        mb / ingest_cpu.max(1e-9),
        events.len() as f64 / detect_cpu.max(1e-9),
        100.0 * detect_cpu / (ingest_cpu + detect_cpu).max(1e-9)
    );
    if let (Some(a1), Some(a2)) = (rss_ingest, rss) {
        println!(
            "peak RSS: {:.0} MiB after ingest, {:.0} MiB after detection ({:.2} x the input size)",
            a1 as f64 / 1024.0,
            a2 as f64 / 1024.0,
            a2 as f64 * 1024.0 / bytes as f64
        );
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("gen") {
        let scale = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(23.0);
        gen_mode(scale);
        return;
    }
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = Instant::now();
    let events = keyhole_core::EventStore::from_events(&build(n));
    let build_s = t0.elapsed().as_secs_f64();
    let rss_before = peak_rss_kb();
    let cfg = DetectConfig::default();
    let t1 = Instant::now();
    let c = cpu_s();
    let a = analyze(&events, &cfg);
    let detect_s = t1.elapsed().as_secs_f64();
    let detect_cpu = cpu_s() - c;
    let rss_after = peak_rss_kb();
    let t2 = Instant::now();
    let wb = workbook::compute(&events, &a.findings, &workbook::WorkbookOptions::default());
    let wb_s = t2.elapsed().as_secs_f64();
    let mut by_rule = std::collections::BTreeMap::new();
    for f in &a.findings {
        *by_rule.entry(f.rule).or_insert(0u32) += 1;
    }
    println!("events: {}  (built in {:.2} s)", events.len(), build_s);
    println!(
        "analyze (23 rules): {:.3} s  = {:.0} events/s  ({:.2} µs/event)",
        detect_s,
        events.len() as f64 / detect_s,
        detect_s * 1e6 / events.len() as f64
    );
    println!(
        "analyze CPU time: {:.3} s = {:.0} events/s per core",
        detect_cpu,
        events.len() as f64 / detect_cpu.max(1e-9)
    );
    println!(
        "workbook (every panel): {:.3} s  = {:.0} events/s",
        wb_s,
        events.len() as f64 / wb_s
    );
    if let (Some(b), Some(a2)) = (rss_before, rss_after) {
        println!(
            "peak RSS: {:.1} MiB with the events built; {:.1} MiB after analyze (+{:.1} MiB for detection state)",
            b as f64 / 1024.0,
            a2 as f64 / 1024.0,
            (a2.saturating_sub(b)) as f64 / 1024.0
        );
    }
    println!("findings: {}  {:?}", a.findings.len(), by_rule);
    let ips = wb
        .top
        .iter()
        .find(|p| p.dimension == workbook::Dimension::CallerIp);
    println!(
        "panels: {} vaults, {} IPs, {} caller rows, {} failure rows, {} sensitive, {} mass rows, {} buckets",
        wb.coverage.total,
        ips.map_or(0, |p| p.distinct),
        wb.callers.total,
        wb.failures.total,
        wb.sensitive.total,
        wb.mass_retrieval.total,
        wb.grid.buckets
    );
}
