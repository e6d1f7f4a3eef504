//! Reading a drop in the worker: the demo's generated files through the core's push parsers
//! (dropped files are read by the pool of parse workers, `pool.rs`, in 4 MiB chunks); then
//! detection and the workbook. Progress goes to the page as it happens.

use super::{detection, post, views, Loaded, STATE};
use crate::protocol::{FileView, Progress, ResultView, Settings, WorkerMsg};
use keyhole_core::detect::{self, DetectConfig, IntelKind};
use keyhole_core::ingest::{Dataset, FileReport, IngestOptions};
use keyhole_core::workbook::{self, WorkbookOptions};
use keyhole_core::LocalZone;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use web_sys::File;

/// Bytes read per step: small enough for smooth progress, large enough to be fast.
pub const CHUNK: u64 = 4 << 20;

/// Vault names the result carries (the workbook has the per-vault numbers).
const VAULT_NAMES: usize = 1000;

fn now() -> f64 {
    js_sys::Date::now()
}

/// This computer's IANA zone (`Intl`'s resolved `timeZone`), when the browser names one the
/// core's tz database knows.
pub(crate) fn browser_zone() -> Option<LocalZone> {
    let fmt = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    let name = js_sys::Reflect::get(&fmt.resolved_options(), &"timeZone".into()).ok()?;
    LocalZone::parse(&name.as_string()?).ok()
}

/// The zone of `[Local Time]` exports: the one set (a zone, else an offset), else this
/// computer's zone with its daylight-saving rules, else its offset now.
pub(crate) fn local_zone(s: &Settings) -> LocalZone {
    s.local_zone
        .as_deref()
        .and_then(|z| LocalZone::parse(z).ok())
        .or(s.local_offset_minutes.map(LocalZone::fixed))
        .or_else(browser_zone)
        .unwrap_or_else(|| LocalZone::fixed(-(js_sys::Date::new_0().get_timezone_offset() as i32)))
}

pub(super) fn options(s: &Settings) -> IngestOptions {
    IngestOptions {
        max_problems_per_file: Some(100),
        local_zone: local_zone(s),
        ..IngestOptions::default()
    }
}

struct Counter<'a> {
    seq: u64,
    files: usize,
    total: u64,
    done: u64,
    closed: &'a [FileView],
}

impl Counter<'_> {
    fn progress(&self, file: &str, i: usize, cur: &FileReport) {
        post(
            self.seq,
            WorkerMsg::Progress(Progress {
                file: file.to_string(),
                file_index: i,
                files: self.files,
                bytes_done: self.done,
                bytes_total: self.total,
                records: self.closed.iter().map(|r| r.records).sum::<u64>() + cur.records,
                skipped: self.closed.iter().map(|r| r.skipped).sum::<u64>() + cur.skipped,
                phase: "reading".into(),
                ..Progress::default()
            }),
        );
    }
}

/// The end of a drop read by the pool (`pool.rs`): detection and the workbook, then the result.
pub(super) fn finish_files(
    seq: u64,
    ds: Dataset,
    t0: f64,
    reports: Vec<FileView>,
    settings: &Settings,
    files: HashMap<String, (File, bool)>,
    pool_ms: (f64, f64),
) {
    let (cfg, notes) = detection::config(settings, &[]);
    let (result, loaded) = finish(seq, ds, t0, reports, cfg, notes, files, HashMap::new());
    send(seq, result, loaded, pool_ms);
}

/// "Try with demo data": the generator runs here and its files go through the same ingest.
pub fn demo(seq: u64, settings: &Settings) {
    let t0 = now();
    let demo = match super::demo::demo_files() {
        Ok(d) => d,
        Err(message) => return post(seq, WorkerMsg::Error { message }),
    };
    let (cfg, notes) = detection::config(
        settings,
        &[
            (IntelKind::Tor, "demo TOR list", demo.tor),
            (
                IntelKind::Suspicious,
                "demo threat-intel list",
                demo.suspicious,
            ),
        ],
    );
    let mut ds = Dataset::new(options(settings));
    let total: u64 = demo.files.iter().map(|(_, b)| b.len() as u64).sum();
    let n = demo.files.len();
    let mut done = 0u64;
    let mut reports = Vec::new();
    for (i, (name, bytes)) in demo.files.iter().enumerate() {
        let mut fi = ds.open(name);
        for chunk in bytes.chunks(CHUNK as usize) {
            fi.feed(chunk);
            done += chunk.len() as u64;
            Counter {
                seq,
                files: n,
                total,
                done,
                closed: &reports,
            }
            .progress(name, i, fi.report());
        }
        let rep = views::file(ds.close(fi));
        post(
            seq,
            WorkerMsg::FileDone {
                report: rep.clone(),
            },
        );
        reports.push(rep);
    }
    let mem = demo.files.into_iter().collect();
    let (result, loaded) = finish(seq, ds, t0, reports, cfg, notes, HashMap::new(), mem);
    send(seq, result, loaded, (0.0, 0.0));
}

#[allow(clippy::too_many_arguments)]
fn finish(
    seq: u64,
    ds: Dataset,
    t0: f64,
    reports: Vec<FileView>,
    cfg: DetectConfig,
    settings_notes: Vec<String>,
    files: HashMap<String, (File, bool)>,
    mem_files: HashMap<String, Vec<u8>>,
) -> (ResultView, Loaded) {
    let bytes: u64 = reports.iter().map(|r| r.bytes).sum();
    post(
        seq,
        WorkerMsg::Progress(Progress {
            file: String::new(),
            file_index: reports.len(),
            files: reports.len(),
            bytes_done: bytes,
            bytes_total: bytes,
            records: reports.iter().map(|r| r.records).sum(),
            skipped: reports.iter().map(|r| r.skipped).sum(),
            phase: "analysing".into(),
            ..Progress::default()
        }),
    );
    analyse(ds, t0, reports, &cfg, settings_notes, files, mem_files)
}

/// Keep the drop and send its result (`pool_ms`: the parse workers' summed busy time and the
/// merge time, when a pool read it).
///
/// The alerts go first, with the workbook's Alerts panels (they read the findings alone); the
/// event panels are computed next, in this same task, so every later request finds them.
fn send(seq: u64, mut result: ResultView, mut loaded: Loaded, pool_ms: (f64, f64)) {
    (result.millis_workers, result.millis_merge) = pool_ms;
    post(
        seq,
        WorkerMsg::Done {
            result: Box::new(result),
        },
    );
    let t = now();
    loaded.workbook = workbook::compute(
        &loaded.events,
        &loaded.analysis.findings,
        &WorkbookOptions::default(),
    );
    let millis = now() - t;
    let wb = Box::new(loaded.workbook.clone());
    STATE.with(|s| *s.borrow_mut() = Some(loaded));
    post(
        seq,
        WorkerMsg::Workbook {
            workbook: wb,
            millis,
        },
    );
}

/// De-duplication and sorting, every rule, the workbook's Alerts panels: the drop's result and
/// what the worker keeps to answer later requests ([`send`] adds the other panels).
pub(super) fn analyse(
    ds: Dataset,
    t0: f64,
    mut reports: Vec<FileView>,
    cfg: &DetectConfig,
    settings_notes: Vec<String>,
    files: HashMap<String, (File, bool)>,
    mem_files: HashMap<String, Vec<u8>>,
) -> (ResultView, Loaded) {
    let (events, summary) = ds.finish_store();
    // The dataset's final reports are authoritative (problems found at finish).
    if summary.files.len() == reports.len() {
        for (r, s) in reports.iter_mut().zip(&summary.files) {
            let err = r.error.take();
            *r = views::file(s);
            r.error = err;
        }
    }
    let t1 = now();
    let analysis = detect::analyze(&events, cfg);
    let t2 = now();
    let wb = workbook::alerts_only(&events, &analysis.findings, &WorkbookOptions::default());
    let result = ResultView {
        files: reports,
        records: events.len() as u64,
        duplicates: summary.duplicates,
        skipped: summary.files.iter().map(|f| f.skipped).sum(),
        vaults: summary
            .vaults
            .iter()
            .take(VAULT_NAMES)
            .map(|v| v.to_string())
            .collect(),
        vault_count: summary.vaults.len() as u64,
        findings: analysis
            .findings
            .iter()
            .map(|f| views::finding(f, events.len()))
            .collect(),
        rules: analysis.rules.iter().map(views::rule).collect(),
        settings_notes,
        workbook: wb.clone(),
        workbook_pending: true,
        millis_ingest: t1 - t0,
        millis_detect: t2 - t1,
        millis_workbook: 0.0,
        millis_workers: 0.0,
        millis_merge: 0.0,
    };
    let loaded = Loaded {
        events,
        summary,
        analysis,
        workbook: wb,
        files,
        mem_files,
        cache: None,
    };
    (result, loaded)
}

/// Detection and the workbook once over the few events of a file's head, the results thrown
/// away: run by the analysis worker while its parse workers read, so that the real run finds
/// their code optimised. V8 first runs wasm code as its baseline compiler made it and optimises
/// a function once it has run a while, for its next call: detection's loop over every event is
/// one call, which would keep its baseline code to the end. Measured (the core in Node 20's V8,
/// 100 MB raw JSON lines, three runs): first detection 229/317/323 ms, after this over the
/// file's first 1 MiB 123/211/124 ms; workbook 76/88/96 ms, then 42/57/37 ms. On the page (1 GB
/// drop, six runs each, side by side on a noisy machine): detection median 1.51 s (0.90–1.75)
/// against 1.70 s (1.47–2.38), the workbook 0.49 s (0.41–0.64) against 0.70 s (0.65–0.81).
pub(super) fn warm_up(name: &str, head: &[u8], opts: &IngestOptions, settings: &Settings) {
    let mut ds = Dataset::new(opts.clone());
    let mut f = ds.open(name);
    f.feed(head);
    ds.close(f);
    let (events, _) = ds.finish_store();
    if events.is_empty() {
        return;
    }
    let (cfg, _) = detection::config(settings, &[]);
    let analysis = detect::analyze(&events, &cfg);
    let options = WorkbookOptions::default();
    let _ = workbook::alerts_only(&events, &analysis.findings, &options);
    let _ = workbook::compute(&events, &analysis.findings, &options);
}

/// The File objects of an `Analyze` command beside their paths.
pub fn file_list(files: wasm_bindgen::JsValue, paths: Vec<String>) -> Vec<(File, String)> {
    let arr: js_sys::Array = files.dyn_into().unwrap_or_default();
    arr.iter()
        .zip(paths)
        .filter_map(|(f, p)| f.dyn_into::<File>().ok().map(|f| (f, p)))
        .collect()
}
