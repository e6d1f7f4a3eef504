//! Memory bounds, measured with a counting allocator (issue 14 item 3, issue 10):
//! - duplicates are dropped as they arrive: a gzip of one record repeated 128 MiB worth peaks
//!   under 8 MiB (it held every copy until the end before);
//! - an archive that expands past the limit (size or ratio) stops with a message naming it;
//! - the store costs at most 64 bytes an event (everything: columns, provenance,
//!   dictionaries, side tables) on raw records.
//!
//! One test function: the allocator counts for the whole binary, so the checks run in turn.

use keyhole_core::ingest::{Dataset, IngestOptions};
use keyhole_gen::zip::{Container, Gzip};
use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            let n = NOW.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(n, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new > l.size() {
                let n = NOW.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(n, Ordering::Relaxed);
            } else {
                NOW.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

const MIB: usize = 1 << 20;

fn now() -> usize {
    NOW.load(Ordering::Relaxed)
}

/// Peak bytes allocated above what was held when `f` started.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = now();
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed) - base)
}

const RECORD: &str = r#"{"time":"2026-10-01T00:05:03.7652486Z","category":"AuditEvent","operationName":"SecretGet","resultType":"Success","correlationId":"ac0eee1a-6472-4252-ba5c-617e669c8ac7","callerIpAddress":"52.178.179.59","identity":{"claim":{"oid":"161b4f21-aca0-401a-a228-b12ec4277ac9","appid":"6510667d-dd8b-4012-9e6a-f6cab55b8357","idtyp":"app"}},"properties":{"id":"https://kv-web-dev.vault.azure.net/secrets/npm-token/1ca2cd9c7110567daffb91d93b29215a","clientInfo":"azsdk-js-keyvault-secrets/4.8.0","httpStatusCode":200,"requestUri":"https://kv-web-dev.vault.azure.net/secrets/npm-token/?api-version=7.4","tlsVersion":"TLS1_3"},"resourceId":"/SUBSCRIPTIONS/2427C82E-0A6C-436F-8451-BBCFF435D15B/RESOURCEGROUPS/RG-WEB-DEV/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-WEB-DEV","operationVersion":"7.4","resultSignature":"OK","durationMs":"120"}"#;

/// A gzip of `RECORD` repeated until `bytes` of text, made streaming (never held whole).
fn repeated_gzip(bytes: usize) -> Vec<u8> {
    let mut line = RECORD.to_string();
    line.push('\n');
    let block = line.repeat((1 << 20) / line.len());
    let mut g = Gzip::new();
    let mut out = Vec::new();
    let mut done = 0;
    while done < bytes {
        g.feed(block.as_bytes(), &mut out);
        done += block.len();
    }
    g.finish(&mut out);
    out
}

fn ingest(name: &str, bytes: &[u8], opts: IngestOptions) -> keyhole_core::ingest::Summary {
    let mut ds = Dataset::new(opts);
    let mut f = ds.open(name);
    for c in bytes.chunks(4 * MIB) {
        f.feed(c);
    }
    ds.close(f);
    ds.finish_store().1
}

#[test]
fn memory_follows_unique_events_and_archives_are_bounded() {
    // ---- de-duplication on arrival ----
    let gz = repeated_gzip(128 * MIB);
    let unlimited = IngestOptions {
        max_expansion_ratio: Some(u64::MAX),
        ..IngestOptions::default()
    };
    let (summary, peak) = peak_during(|| ingest("dup.jsonl.gz", &gz, unlimited));
    let copies = summary.files[0].records;
    assert!(copies > 100_000, "{copies} copies read");
    assert_eq!(summary.records, 1, "one unique event");
    assert_eq!(summary.duplicates, copies - 1);
    assert!(
        peak < 8 * MIB,
        "128 MiB of one repeated record peaked at {:.1} MiB",
        peak as f64 / MIB as f64
    );
    eprintln!(
        "128 MiB gzip ({} KiB) of one record: peak {:.2} MiB",
        gz.len() >> 10,
        peak as f64 / MIB as f64
    );

    // ---- the expansion limits ----
    let size_limited = IngestOptions {
        max_expanded_bytes: Some(16 << 20),
        ..IngestOptions::default()
    };
    let s = ingest("big.jsonl.gz", &gz, size_limited);
    let p = &s.files[0].problems;
    assert!(
        p.iter().any(|p| p
            .reason
            .contains("this archive expands to more than 16 MiB")),
        "{p:?}"
    );
    // the default ratio (200 : 1; real audit logs compress 10–30 : 1) stops this one
    let s = ingest("ratio.jsonl.gz", &gz, IngestOptions::default());
    let p = &s.files[0].problems;
    assert!(
        p.iter().any(|p| p
            .reason
            .contains("expands to more than 200 times its compressed size")),
        "{p:?}"
    );
    assert!(s.files[0].records < copies, "stopped early");
    assert!(
        summary.files[0].problems.is_empty(),
        "{:?}",
        summary.files[0].problems
    );
    drop(gz);
    // a real export at its real ratio is read whole with the defaults
    let cfg = GenConfig {
        seed: 3,
        days: 9,
        scale: 0.3,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut text = Vec::new();
    for r in &recs {
        w.write_record(r, &mut text);
    }
    w.finish(&mut text);
    let s = ingest(
        "real.jsonl.gz",
        &keyhole_gen::zip::gzip(&text),
        IngestOptions::default(),
    );
    assert_eq!(s.files[0].records, recs.len() as u64);
    assert!(s.files[0].problems.is_empty(), "{:?}", s.files[0].problems);

    // ---- bytes per event ----
    let cfg = GenConfig {
        seed: 11,
        days: 28,
        scale: 1.0,
        attacks: true,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut raw = Vec::new();
    for r in &recs {
        w.write_record(r, &mut raw);
    }
    w.finish(&mut raw);
    drop(recs);
    // held by the store of the first `len` bytes' events
    let build = |len: usize| {
        let base = now();
        let mut ds = Dataset::new(IngestOptions::default());
        let mut f = ds.open("raw.jsonl");
        for c in raw[..len].chunks(4 * MIB) {
            f.feed(c);
        }
        ds.close(f);
        let store = ds.finish_store().0;
        (now() - base, store)
    };
    let (held_half, half) = build(raw.len() / 2);
    let (n_half, s_half) = (half.len(), half.heap_bytes());
    drop(half);
    let (held, store) = build(raw.len());
    let n = store.len();
    let per_event = held as f64 / n as f64;
    // steady state: what each further event costs, dictionaries growing with it included
    let marginal = (held - held_half) as f64 / (n - n_half) as f64;
    eprintln!(
        "{n} events from {} MiB of raw JSON lines: the store holds {:.2} MiB, {per_event:.1} bytes an event; \
         from {n_half} to {n} events: {marginal:.1} bytes an event\n  {:?}\n  {s_half:?}",
        raw.len() >> 20,
        held as f64 / MIB as f64,
        store.heap_bytes()
    );
    eprintln!(
        "dictionaries: {} resources, {} operations, {} results, {} callers, {} identities, {} clients, {} objects",
        store.resources().len(),
        store.operations().len(),
        store.results().len(),
        store.callers().len(),
        store.identities().len(),
        store.clients().len(),
        store.objects().len()
    );
    assert!(n > 50_000, "{n} events");
    assert!(marginal <= 64.0, "{marginal:.1} bytes an event");
    assert!(per_event <= 64.0, "{per_event:.1} bytes an event in all");
    drop(store);

    // ---- the page's analysis worker, to the first alert: its peak per event ----
    // (store::budget::PEAK_BYTES_PER_EVENT must not be below it: the page's "will it fit")
    let base = now();
    PEAK.store(base, Ordering::Relaxed);
    {
        let mut ds = Dataset::new(IngestOptions::default());
        let mut f = ds.open("raw.jsonl");
        for c in raw.chunks(4 * MIB) {
            f.feed(c);
        }
        ds.close(f);
        let (events, _) = ds.finish_store();
        let cfg = keyhole_core::detect::DetectConfig::default();
        let analysis = keyhole_core::detect::analyze(&events, &cfg);
        let wb = keyhole_core::workbook::compute(
            &events,
            &analysis.findings,
            &keyhole_core::workbook::WorkbookOptions::default(),
        );
        drop((wb, analysis, events));
    }
    let peak = (PEAK.load(Ordering::Relaxed) - base) as f64 / n as f64;
    eprintln!(
        "page pipeline (ingest, store, detection, workbook): peak {peak:.0} bytes an event, \
         {:.0} input bytes a record; the page's estimate assumes {} bytes an event",
        raw.len() as f64 / n as f64,
        keyhole_core::store::budget::PEAK_BYTES_PER_EVENT
    );
    assert!(
        peak <= keyhole_core::store::budget::PEAK_BYTES_PER_EVENT as f64,
        "the page's memory estimate is too low: {peak:.0} bytes an event measured"
    );
}
