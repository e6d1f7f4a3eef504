//! KQL benchmark: builds ≥ 1 M events from generated logs (keyhole-gen, attacks on, streamed
//! through the core's ingest in chunks), then runs acceptance queries and prints wall time and
//! peak resident memory (VmHWM, reset before each query where the kernel allows).
//!
//! ```text
//! cargo run --release -p keyhole-kql --example bench_kql -- [--events N] [--queries seed000-1,seed001-5|all]
//!     [--export rows.jsonl] [--results DIR]
//! ```
//! `--export` writes the AzureDiagnostics columns the acceptance queries read, one JSON object a
//! line, and `--results` writes each query's result as JSON, for `bench/duckdb_check.py` (DuckDB
//! runs the equivalent SQL over the same rows and compares).

use keyhole_core::ingest::Dataset;
use keyhole_core::EventStore;
use keyhole_kql::{run, QueryOptions};
use std::io::Write;
use std::time::Instant;

fn vm(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.0} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

/// Reset the peak-RSS counter (Linux: `5` to clear_refs); false when not permitted.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn build_events(target: usize) -> EventStore {
    // scale 1.0 ≈ 50–100k records over 28 days; grow until the target is met.
    let mut scale = (target as f64 / 40_000.0).max(0.25);
    loop {
        let cfg = keyhole_gen::GenConfig {
            seed: 7,
            days: 28,
            scale,
            attacks: true,
            ..Default::default()
        };
        let mut w = keyhole_gen::writer_for(keyhole_gen::OutShape::RawJsonLines, 0);
        let mut ds = Dataset::new(Default::default());
        let mut f = ds.open("bench.json");
        let mut buf = Vec::with_capacity(8 << 20);
        let mut bytes = 0usize;
        for rec in keyhole_gen::Generator::new(cfg) {
            w.write_record(&rec, &mut buf);
            if buf.len() > (4 << 20) {
                bytes += buf.len();
                f.feed(&buf);
                buf.clear();
            }
        }
        w.finish(&mut buf);
        bytes += buf.len();
        f.feed(&buf);
        f.finish();
        ds.close(f);
        let (ev, _) = ds.finish_store();
        eprintln!(
            "generated scale {scale:.2}: {} events from {:.0} MiB of raw JSON lines",
            ev.len(),
            bytes as f64 / 1048576.0
        );
        if ev.len() >= target {
            return ev;
        }
        scale *= 1.15 * target as f64 / ev.len().max(1) as f64;
    }
}

/// Columns the acceptance queries read (the DuckDB check loads these).
const EXPORT: &str = "AzureDiagnostics | project TimeGenerated, Resource, ResourceProvider, ResourceType, ResourceGroup, SubscriptionId, _ResourceId, Category, OperationName, ResultType, ResultSignature, CallerIPAddress, httpStatusCode_d, requestUri_s, id_s, identity_claim_appid_g, identity_claim_upn_s, identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s, identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s, properties_networkAcls_defaultAction_s, addedIpRule_Value_s, addedAccessPolicy_ObjectId_g, addedAccessPolicy_Permissions_keys_s, addedAccessPolicy_Permissions_secrets_s, addedAccessPolicy_Permissions_certificates_s, removedAccessPolicy_ObjectId_g, removedAccessPolicy_Permissions_keys_s, removedAccessPolicy_Permissions_secrets_s, removedAccessPolicy_Permissions_certificates_s";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let target: usize = arg("--events")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let queries: Vec<String> = match arg("--queries").as_deref() {
        None => vec!["seed000-1".into(), "seed001-5".into()],
        Some("all") => keyhole_kql::library()
            .iter()
            .map(|q| q.name.to_string())
            .collect(),
        Some(list) => list.split(',').map(str::to_string).collect(),
    };

    let t0 = Instant::now();
    let events = build_events(target);
    let load_s = t0.elapsed().as_secs_f64();
    let now = events.rows().map(|e| e.time()).max();
    println!(
        "events: {}  (generate + ingest {:.1} s; RSS after load {}; peak so far {})",
        events.len(),
        load_s,
        mib(vm("VmRSS:")),
        mib(vm("VmHWM:"))
    );
    println!(
        "now (end of data): {}",
        now.map(|t| t.to_rfc3339()).unwrap_or_default()
    );

    if let Some(path) = arg("--export") {
        let t = Instant::now();
        let table = run(EXPORT, &events, &QueryOptions::default()).expect("export projection");
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(&path).expect("create export file"));
        for row in &table.rows {
            let mut m = serde_json::Map::new();
            for (c, v) in table.columns.iter().zip(row) {
                m.insert(c.name.clone(), v.to_json());
            }
            serde_json::to_writer(&mut out, &m).expect("write");
            out.write_all(b"\n").expect("write");
        }
        out.flush().expect("flush");
        println!(
            "exported {} rows to {path} in {:.1} s",
            table.rows.len(),
            t.elapsed().as_secs_f64()
        );
    }

    let opts = QueryOptions {
        now,
        ..Default::default()
    };
    println!(
        "{:<10} {:>10} {:>12} {:>14}",
        "query", "rows", "time", "peak RSS"
    );
    for name in &queries {
        let Some(q) = keyhole_kql::library().iter().find(|q| q.name == name) else {
            eprintln!("no library query {name}");
            continue;
        };
        let rss_before = vm("VmRSS:");
        let resettable = reset_peak();
        let t = Instant::now();
        let table = match run(q.text, &events, &opts) {
            Ok(t) => t,
            Err(e) => {
                println!("{name}: {e}");
                continue;
            }
        };
        let secs = t.elapsed().as_secs_f64();
        let peak = vm("VmHWM:");
        let extra = match (peak, rss_before) {
            (Some(p), Some(b)) if resettable => format!(
                " (+{:.0} MiB over the loaded events)",
                p.saturating_sub(b) as f64 / 1024.0
            ),
            _ => String::new(),
        };
        println!(
            "{name:<10} {:>10} {:>10.3} s {:>14}{extra}",
            table.rows.len(),
            secs,
            mib(peak)
        );
        if let Some(dir) = arg("--results") {
            std::fs::create_dir_all(&dir).expect("results dir");
            std::fs::write(format!("{dir}/{name}.json"), table.to_json()).expect("write result");
        }
    }
}
