//! The Web Worker side: reads dropped files in chunks (never a whole file in one string), feeds
//! the core's push parsers, runs the detections and answers the page's queries. Everything heavy
//! happens here so the tab never freezes; the page cancels by terminating the worker.

use crate::analysis;
use crate::detection;
use crate::model::*;
use keyhole_core::detect::{DetectConfig, IntelKind};
use keyhole_core::event::Event;
use keyhole_core::ingest::{Dataset, FileReport, IngestOptions};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

/// Bytes read per step: small enough for smooth progress, large enough to be fast.
pub const CHUNK: u64 = 4 << 20;

/// Rows of a KQL result sent to the page (the CSV export has all of them).
const KQL_ROWS: usize = 2000;

#[derive(Default)]
struct State {
    events: Vec<Event>,
    /// Dropped files by provenance name, with whether their bytes are the decoded stream.
    files: HashMap<String, (File, bool)>,
    /// The demo's generated files (they exist only in memory).
    mem_files: HashMap<String, Vec<u8>>,
    cache: Option<(Filter, Vec<u32>)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &WorkerMsg) {
    let text = serde_json::to_string(msg).unwrap_or_else(|e| {
        format!("{{\"type\":\"error\",\"message\":\"serialisation failed: {e}\"}}")
    });
    let _ = scope().post_message(&JsValue::from_str(&text));
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Worker entry point, called by `worker.js` once the shared wasm module is instantiated.
#[wasm_bindgen]
pub fn worker_start() {
    let cb = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let data = e.data();
        let json = js_sys::Reflect::get(&data, &"json".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let files = js_sys::Reflect::get(&data, &"files".into()).unwrap_or(JsValue::UNDEFINED);
        match serde_json::from_str::<WorkerCmd>(&json) {
            Ok(cmd) => handle(cmd, files),
            Err(e) => post(&WorkerMsg::Error {
                message: format!("bad command: {e}"),
            }),
        }
    });
    scope().set_onmessage(Some(cb.as_ref().unchecked_ref()));
    cb.forget();
    post(&WorkerMsg::Ready);
}

fn handle(cmd: WorkerCmd, files: JsValue) {
    match cmd {
        WorkerCmd::Analyze { paths, settings } => {
            let arr: js_sys::Array = files.dyn_into().unwrap_or_default();
            let list: Vec<(File, String)> = arr
                .iter()
                .zip(paths)
                .filter_map(|(f, p)| f.dyn_into::<File>().ok().map(|f| (f, p)))
                .collect();
            let (cfg, notes) = detection::config(&settings, &[]);
            analyze_files(list, options(&settings), cfg, notes);
        }
        WorkerCmd::Demo { settings } => {
            let t0 = now();
            match crate::demo::demo_files() {
                Ok(demo) => {
                    let (cfg, notes) = detection::config(
                        &settings,
                        &[
                            (IntelKind::Tor, "demo TOR list", demo.tor),
                            (
                                IntelKind::Suspicious,
                                "demo threat-intel list",
                                demo.suspicious,
                            ),
                        ],
                    );
                    let inputs = demo.files;
                    STATE.with(|s| {
                        let mut s = s.borrow_mut();
                        s.files.clear();
                        s.mem_files = inputs.iter().cloned().collect();
                    });
                    let mut ds = Dataset::new(options(&settings));
                    let total: u64 = inputs.iter().map(|(_, b)| b.len() as u64).sum();
                    let n = inputs.len();
                    let mut done = 0u64;
                    let mut reports = Vec::new();
                    for (i, (name, bytes)) in inputs.into_iter().enumerate() {
                        let mut fi = ds.open(&name);
                        for chunk in bytes.chunks(CHUNK as usize) {
                            fi.feed(chunk);
                            done += chunk.len() as u64;
                            progress(&name, i, n, done, total, &reports, fi.report(), "reading");
                        }
                        let rep = file_view(ds.close(fi));
                        post(&WorkerMsg::FileDone {
                            report: rep.clone(),
                        });
                        reports.push(rep);
                    }
                    finish(ds, t0, reports, cfg, notes);
                }
                Err(message) => post(&WorkerMsg::Error { message }),
            }
        }
        WorkerCmd::Events {
            seq,
            filter,
            offset,
            limit,
        } => STATE.with(|s| {
            let mut s = s.borrow_mut();
            let stale = s.cache.as_ref().map(|(f, _)| *f != filter).unwrap_or(true);
            if stale {
                let idx = analysis::filter_newest_first(&s.events, &filter);
                s.cache = Some((filter, idx));
            }
            let (_, idx) = s.cache.as_ref().expect("cache set above");
            let total = idx.len() as u64;
            let lo = offset.min(total) as usize;
            let hi = (offset + limit.min(2000)).min(total) as usize;
            let rows = idx[lo..hi]
                .iter()
                .map(|&i| analysis::row(&s.events[i as usize], i))
                .collect();
            post(&WorkerMsg::Events {
                seq,
                total,
                offset: lo as u64,
                rows,
            });
        }),
        WorkerCmd::Rows { seq, idx } => STATE.with(|s| {
            let s = s.borrow();
            let rows = idx
                .iter()
                .take(5000)
                .filter_map(|&i| s.events.get(i as usize).map(|e| analysis::row(e, i)))
                .collect();
            post(&WorkerMsg::Rows { seq, rows });
        }),
        WorkerCmd::Raw { idx } => STATE.with(|s| {
            let s = s.borrow();
            let Some(e) = s.events.get(idx as usize) else {
                return post(&WorkerMsg::Error {
                    message: format!("no event {idx}"),
                });
            };
            let normalised = serde_json::to_string_pretty(e).unwrap_or_default();
            let text = raw_text(&s, e).unwrap_or_default();
            post(&WorkerMsg::Raw {
                idx,
                text,
                normalised,
            });
        }),
        WorkerCmd::Kql { seq, query } => STATE.with(|s| {
            let t0 = now();
            let s = s.borrow();
            let msg =
                match keyhole_kql::run(&query, &s.events, &keyhole_kql::QueryOptions::default()) {
                    Ok(t) => WorkerMsg::Kql {
                        seq,
                        columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                        total_rows: t.rows.len() as u64,
                        rows: t
                            .rows
                            .iter()
                            .take(KQL_ROWS)
                            .map(|r| r.iter().map(|v| v.to_string()).collect())
                            .collect(),
                        render: t.render.clone(),
                        csv: if t.rows.len() <= 200_000 {
                            t.to_csv()
                        } else {
                            String::new()
                        },
                        error: None,
                        error_span: None,
                        millis: now() - t0,
                    },
                    Err(e) => WorkerMsg::Kql {
                        seq,
                        columns: Vec::new(),
                        rows: Vec::new(),
                        total_rows: 0,
                        render: None,
                        csv: String::new(),
                        error: Some(e.to_string()),
                        error_span: Some(e.span),
                        millis: now() - t0,
                    },
                };
            post(&msg);
        }),
        WorkerCmd::Mass { threshold, hours } => STATE.with(|s| {
            let rows = analysis::mass_retrieval(&s.borrow().events, threshold, hours);
            post(&WorkerMsg::Mass { rows });
        }),
    }
}

/// The record's original bytes, when the file was plain text (no zip/gzip/UTF-16 wrapper) so that
/// the source offsets address the file itself.
fn raw_text(s: &State, e: &Event) -> Option<String> {
    if let Some(bytes) = s.mem_files.get(&*e.source.file) {
        let lo = (e.source.offset as usize).min(bytes.len());
        let hi = (lo + e.source.len as usize).min(bytes.len());
        return Some(String::from_utf8_lossy(&bytes[lo..hi]).into_owned());
    }
    let (file, plain) = s.files.get(&*e.source.file)?;
    if !*plain || e.source.len == 0 {
        return None;
    }
    let len = (e.source.len as u64).min(1 << 20);
    let blob = file
        .slice_with_f64_and_f64(e.source.offset as f64, (e.source.offset + len) as f64)
        .ok()?;
    let buf = FileReaderSync::new()
        .ok()?
        .read_as_array_buffer(&blob)
        .ok()?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn options(s: &Settings) -> IngestOptions {
    let local = s
        .local_offset_minutes
        .unwrap_or_else(|| -(js_sys::Date::new_0().get_timezone_offset() as i32));
    IngestOptions {
        max_problems_per_file: Some(100),
        local_time_offset_minutes: local.clamp(-14 * 60, 14 * 60),
        ..IngestOptions::default()
    }
}

pub fn file_view(r: &FileReport) -> FileView {
    let name = |v: String| v.trim_matches('"').to_string();
    FileView {
        file: r.file.to_string(),
        shapes: r
            .shapes
            .iter()
            .map(|s| name(serde_json::to_string(s).unwrap_or_default()))
            .collect(),
        wrappers: r
            .wrappers
            .iter()
            .map(|s| name(serde_json::to_string(s).unwrap_or_default()))
            .collect(),
        bytes: r.bytes,
        records: r.records,
        skipped: r.skipped,
        problems: r
            .problems
            .iter()
            .map(|p| ProblemView {
                line: p.line,
                reason: p.reason.clone(),
            })
            .collect(),
        error: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn progress(
    file: &str,
    i: usize,
    n: usize,
    done: u64,
    total: u64,
    closed: &[FileView],
    cur: &FileReport,
    phase: &str,
) {
    post(&WorkerMsg::Progress {
        file: file.to_string(),
        file_index: i,
        files: n,
        bytes_done: done,
        bytes_total: total,
        records: closed.iter().map(|r| r.records).sum::<u64>() + cur.records,
        skipped: closed.iter().map(|r| r.skipped).sum::<u64>() + cur.skipped,
        phase: phase.to_string(),
    });
}

fn analyze_files(
    list: Vec<(File, String)>,
    opts: IngestOptions,
    cfg: DetectConfig,
    notes: Vec<String>,
) {
    let t0 = now();
    let mut ds = Dataset::new(opts);
    let total: u64 = list.iter().map(|(f, _)| f.size() as u64).sum();
    let n = list.len();
    let mut done = 0u64;
    let mut reports: Vec<FileView> = Vec::new();
    let reader = match FileReaderSync::new() {
        Ok(r) => r,
        Err(_) => {
            return post(&WorkerMsg::Error {
                message: "this browser cannot read files in a worker (FileReaderSync)".into(),
            })
        }
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut keep: HashMap<String, (File, bool)> = HashMap::new();
    for (i, (file, path)) in list.into_iter().enumerate() {
        let size = file.size() as u64;
        let mut fi = ds.open(&path);
        let mut pos = 0u64;
        let mut error = None;
        while pos < size {
            let end = (pos + CHUNK).min(size);
            let chunk = file
                .slice_with_f64_and_f64(pos as f64, end as f64)
                .and_then(|b| reader.read_as_array_buffer(&b));
            match chunk {
                Ok(ab) => {
                    let arr = js_sys::Uint8Array::new(&ab);
                    buf.resize(arr.length() as usize, 0);
                    arr.copy_to(&mut buf);
                    fi.feed(&buf);
                }
                Err(e) => {
                    error = Some(format!(
                        "could not read bytes {pos}–{end}: {}",
                        e.as_string().unwrap_or_else(|| format!("{e:?}"))
                    ));
                    break;
                }
            }
            done += end - pos;
            pos = end;
            progress(&path, i, n, done, total, &reports, fi.report(), "reading");
        }
        done += size - pos;
        let mut rep = file_view(ds.close(fi));
        rep.error = error;
        let plain = rep.wrappers.is_empty() || rep.wrappers == ["utf8_bom"];
        keep.insert(path.clone(), (file, plain));
        post(&WorkerMsg::FileDone {
            report: rep.clone(),
        });
        reports.push(rep);
    }
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.files = keep;
        s.mem_files.clear();
    });
    finish(ds, t0, reports, cfg, notes);
}

fn finish(
    ds: Dataset,
    t0: f64,
    mut reports: Vec<FileView>,
    cfg: DetectConfig,
    settings_notes: Vec<String>,
) {
    post(&WorkerMsg::Progress {
        file: String::new(),
        file_index: reports.len(),
        files: reports.len(),
        bytes_done: reports.iter().map(|r| r.bytes).sum(),
        bytes_total: reports.iter().map(|r| r.bytes).sum(),
        records: reports.iter().map(|r| r.records).sum(),
        skipped: reports.iter().map(|r| r.skipped).sum(),
        phase: "analysing".into(),
    });
    let (events, summary) = ds.finish();
    // The dataset's final reports are authoritative (e.g. problems found at finish).
    if summary.files.len() == reports.len() {
        for (r, s) in reports.iter_mut().zip(&summary.files) {
            let err = r.error.take();
            *r = file_view(s);
            r.error = err;
        }
    }
    let t1 = now();
    let (findings, rules) = detection::run(&events, &cfg);
    let t2 = now();
    let agg = analysis::aggregates(&events);
    let t3 = now();
    let result = ResultView {
        files: reports,
        records: events.len() as u64,
        duplicates: summary.duplicates,
        skipped: summary.files.iter().map(|f| f.skipped).sum(),
        first: events.first().map(|e| e.time.to_rfc3339()),
        last: events.last().map(|e| e.time.to_rfc3339()),
        vaults: agg.coverage.iter().map(|c| c.vault.clone()).collect(),
        findings,
        detection_note: None,
        rules,
        settings_notes,
        agg,
        millis_ingest: t1 - t0,
        millis_detect: t2 - t1,
        millis_aggregate: t3 - t2,
    };
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.events = events;
        s.cache = None;
    });
    post(&WorkerMsg::Done {
        result: Box::new(result),
    });
}
