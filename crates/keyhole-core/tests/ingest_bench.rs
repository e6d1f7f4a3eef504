//! Throughput figures (spec §6: ≥ 500 MB/s per core on raw records). A benchmark that prints
//! figures, not a timed test: run with
//! `cargo test --release -p keyhole-core --test ingest_bench -- --ignored --nocapture`.

use keyhole_core::ingest::{Dataset, IngestOptions};
use std::time::Instant;

fn raw_lines(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 1200);
    let ops = [
        "SecretGet",
        "SecretList",
        "KeyGet",
        "KeySign",
        "VaultGet",
        "CertificateGet",
    ];
    for i in 0..n {
        let op = ops[i % ops.len()];
        let status = if i % 17 == 0 { 403 } else { 200 };
        let line = format!(
            r#"{{"time":"2026-10-{:02}T{:02}:{:02}:{:02}.{:07}Z","category":"AuditEvent","operationName":"{op}","resultType":"Success","correlationId":"0b1c2d3e-{:04x}-4000-8000-{:012x}","callerIpAddress":"203.0.{}.{}","identity":{{"claim":{{"oid":"5a8b1c2d-1111-4222-8333-{:012x}","appid":"0e3c9a71-2222-4333-8444-555566667777","appidacr":"1","iss":"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/","xms_az_nwperimid":[],"idtyp":"app"}}}},"properties":{{"id":"https://kv-{}.vault.azure.net/secrets/secret-{}/6e6212e131ea47c88a52f387cd07d6e9","clientInfo":"azsdk-python-keyvault-secrets/4.8.0 Python/3.12.3 (Linux-5.15.0-1084-azure-x86_64-with-glibc2.39)","httpStatusCode":{status},"requestUri":"https://kv-{}.vault.azure.net/secrets/secret-{}/?api-version=7.5","isAccessPolicyMatch":true,"tlsVersion":"TLS1_3"}},"resourceId":"/SUBSCRIPTIONS/3F2A9C1E-5B7D-4E2F-9A1B-7C6D5E4F3A2B/RESOURCEGROUPS/RG-PAYMENTS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-{}","operationVersion":"7.5","resultSignature":"OK","durationMs":"{}"}}"#,
            1 + (i / 86_400) % 28,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i % 10_000_000,
            i % 65536,
            i,
            (i / 256) % 256,
            i % 256,
            i % 50,
            i % 20,
            i % 300,
            i % 20,
            i % 300,
            i % 20,
            10 + i % 90
        );
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// CPU time of this thread in seconds (Linux), so figures are per core even on a shared machine.
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map(|ns| ns / 1e9)
        .unwrap_or(f64::NAN)
}

#[test]
#[ignore]
fn throughput_raw_json_lines() {
    let data = raw_lines(200_000);
    let mb = data.len() as f64 / 1e6;
    for round in 0..3 {
        let (t0, c0) = (Instant::now(), cpu());
        let mut ds = Dataset::new(IngestOptions::default());
        let mut f = ds.open("bench.json");
        for c in data.chunks(4 << 20) {
            f.feed(c);
        }
        ds.close(f);
        let (t1, c1) = (Instant::now(), cpu());
        let (ev, sum) = ds.finish_store();
        let (t2, c2) = (Instant::now(), cpu());
        assert_eq!(ev.len(), 200_000);
        assert_eq!(sum.skipped, 0);
        let parse = (t1 - t0).as_secs_f64();
        let fin = (t2 - t1).as_secs_f64();
        println!(
            "round {round}: {mb:.1} MB, {} records: parse+normalise {:.0} MB/s wall, {:.0} MB/s per CPU-second; dedup+sort {:.3} s wall {:.3} s CPU; overall {:.0} MB/s per CPU-second",
            ev.len(),
            mb / parse,
            mb / (c1 - c0),
            fin,
            c2 - c1,
            mb / (c2 - c0)
        );
    }
}

#[test]
#[ignore]
fn throughput_breakdown() {
    use keyhole_core::ingest::record::Rec;
    let data = raw_lines(100_000);
    let mb = data.len() as f64 / 1e6;
    let t0 = Instant::now();
    let mut n = 0;
    for l in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let r: serde::de::IgnoredAny = serde_json::from_slice(l).unwrap();
        std::hint::black_box(r);
        n += 1;
    }
    let t1 = Instant::now();
    for l in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let r: Rec = serde_json::from_slice(l).unwrap();
        std::hint::black_box(&r);
    }
    let t2 = Instant::now();
    println!(
        "{n} lines {mb:.1} MB: IgnoredAny {:.0} MB/s, Rec {:.0} MB/s",
        mb / (t1 - t0).as_secs_f64(),
        mb / (t2 - t1).as_secs_f64()
    );
}

#[test]
#[ignore]
fn throughput_lean_struct() {
    use keyhole_core::ingest::record::{Flex, Ident, Nested, Props};
    #[derive(serde::Deserialize, Default)]
    #[allow(dead_code)]
    struct Lean<'a> {
        #[serde(borrow, default)]
        time: Flex<'a>,
        #[serde(borrow, default, rename = "operationName")]
        op: Flex<'a>,
        #[serde(borrow, default, rename = "resourceId")]
        rid: Flex<'a>,
        #[serde(borrow, default, rename = "correlationId")]
        cid: Flex<'a>,
        #[serde(borrow, default, rename = "callerIpAddress")]
        ip: Flex<'a>,
        #[serde(borrow, default, rename = "resultSignature")]
        sig: Flex<'a>,
        #[serde(borrow, default, rename = "durationMs")]
        dur: Flex<'a>,
        #[serde(borrow, default)]
        identity: Nested<Ident<'a>>,
        #[serde(borrow, default)]
        properties: Nested<Props<'a>>,
    }
    let data = raw_lines(100_000);
    let mb = data.len() as f64 / 1e6;
    let t0 = Instant::now();
    for l in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let r: Lean = serde_json::from_slice(l).unwrap();
        std::hint::black_box(&r);
    }
    println!("lean {:.0} MB/s", mb / t0.elapsed().as_secs_f64());
}

#[test]
#[ignore]
fn throughput_other_shapes() {
    let lines = raw_lines(50_000);
    let text = String::from_utf8(lines).unwrap();
    let recs: Vec<&str> = text.lines().collect();
    let envelope = format!("{{\"records\":[{}]}}", recs.join(",\n"));
    let utf16: Vec<u8> = [
        vec![0xff, 0xfe],
        text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
    ]
    .concat();
    let gz = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 6);
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend(gz);
    gzip.extend([0u8; 8]);
    for (label, bytes) in [
        ("records envelope", envelope.as_bytes()),
        ("UTF-16 LE JSON lines", &utf16[..]),
        ("gzip JSON lines", &gzip[..]),
    ] {
        let c0 = cpu();
        let mut ds = Dataset::new(IngestOptions::default());
        let mut f = ds.open(label);
        for c in bytes.chunks(4 << 20) {
            f.feed(c);
        }
        ds.close(f);
        let (ev, _) = ds.finish_store();
        let c1 = cpu();
        assert_eq!(ev.len(), 50_000, "{label}");
        println!(
            "{label}: {:.1} MB in ({:.1} MB decoded): {:.0} MB/s per CPU-second of input",
            bytes.len() as f64 / 1e6,
            text.len() as f64 / 1e6,
            bytes.len() as f64 / 1e6 / (c1 - c0)
        );
    }
}
