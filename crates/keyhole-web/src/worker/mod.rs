//! The Web Worker: its own entry point ([`worker_start`], called by `web/worker.js` once the
//! shared wasm module is instantiated). It reads drops, calls keyhole-core (and keyhole-kql)
//! and serialises what they return; it computes nothing of its own. Everything heavy happens
//! here so the tab never freezes; the page cancels by terminating the worker.

pub mod bench;
mod chart;
mod demo;
mod detection;
pub(crate) mod load;
mod params;
mod pool;
mod views;

use crate::bridge::codec;
use crate::protocol::{
    BoundParam, ExportKind, KqlResult, ParamScope, ReplayInfo, Reply, Request, WorkerCmd, WorkerMsg,
};
use keyhole_core::detect::Analysis;
use keyhole_core::export;
use keyhole_core::ingest::Summary;
use keyhole_core::store::{EventRef, EventStore};
use keyhole_core::workbook::{self, report, EventFilter, Workbook, WorkbookOptions};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

/// Rows of a KQL result sent to the page (the CSV export has all of them).
const KQL_ROWS: usize = 2000;
/// Most rows the KQL CSV export carries.
const KQL_CSV_ROWS: usize = 200_000;

/// What the worker holds after a drop was read.
pub(crate) struct Loaded {
    events: EventStore,
    summary: Summary,
    analysis: Analysis,
    workbook: Workbook,
    /// Dropped files by provenance name, with whether their bytes are the decoded text.
    files: HashMap<String, (File, bool)>,
    /// The demo's generated files (they exist only in memory).
    mem_files: HashMap<String, Vec<u8>>,
    /// The explorer's last filter and its matches, newest first.
    cache: Option<(EventFilter, Vec<u32>)>,
}

thread_local! {
    // The worker's own global scope is single-threaded; this is its dataset.
    static STATE: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Send one reply to the page.
pub(crate) fn post(seq: u64, msg: WorkerMsg) {
    let v = codec::encode(codec::CODEC, &Reply { seq, msg }).unwrap_or_else(|e| {
        codec::encode(
            codec::CODEC,
            &Reply {
                seq,
                msg: WorkerMsg::Error {
                    message: format!("serialisation failed: {e}"),
                },
            },
        )
        .unwrap_or(JsValue::NULL)
    });
    let _ = scope().post_message(&v);
}

/// Worker entry point.
#[wasm_bindgen]
pub fn worker_start() {
    let cb = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let data = e.data();
        let req = js_sys::Reflect::get(&data, &"req".into()).unwrap_or(JsValue::UNDEFINED);
        let files = js_sys::Reflect::get(&data, &"files".into()).unwrap_or(JsValue::UNDEFINED);
        match codec::decode::<Request>(codec::CODEC, req) {
            Ok(r) => handle(r, files),
            Err(e) => post(
                0,
                WorkerMsg::Error {
                    message: format!("bad command: {e}"),
                },
            ),
        }
    });
    scope().set_onmessage(Some(cb.as_ref().unchecked_ref()));
    cb.forget();
    post(0, WorkerMsg::Ready);
}

fn no_data(seq: u64) {
    post(
        seq,
        WorkerMsg::Error {
            message: "no drop has been read yet".into(),
        },
    )
}

fn with_data(seq: u64, f: impl FnOnce(&mut Loaded) -> WorkerMsg) {
    let msg = STATE.with(|s| s.borrow_mut().as_mut().map(f));
    match msg {
        Some(m) => post(seq, m),
        None => no_data(seq),
    }
}

fn handle(req: Request, files: JsValue) {
    let seq = req.seq;
    match req.cmd {
        WorkerCmd::Analyze {
            paths,
            settings,
            newest_bytes,
        } => {
            STATE.with(|s| *s.borrow_mut() = None);
            pool::files(seq, load::file_list(files, paths), &settings, newest_bytes);
        }
        WorkerCmd::Demo { settings } => {
            STATE.with(|s| *s.borrow_mut() = None);
            load::demo(seq, &settings);
        }
        WorkerCmd::Events {
            filter,
            offset,
            limit,
        } => with_data(seq, |s| {
            if s.cache.as_ref().map(|(f, _)| *f != filter).unwrap_or(true) {
                let idx = filter.newest_first(&s.events);
                s.cache = Some((filter, idx));
            }
            let idx = s.cache.as_ref().map(|(_, i)| i.as_slice()).unwrap_or(&[]);
            let total = idx.len() as u64;
            let lo = offset.min(total) as usize;
            let hi = (offset + limit.min(2000)).min(total) as usize;
            WorkerMsg::Events {
                total,
                offset: lo as u64,
                rows: idx[lo..hi]
                    .iter()
                    .map(|&i| views::row(s.events.row(i as usize), i))
                    .collect(),
            }
        }),
        WorkerCmd::Rows { idx } => with_data(seq, |s| WorkerMsg::Rows {
            rows: idx
                .iter()
                .take(5000)
                .filter(|&&i| (i as usize) < s.events.len())
                .map(|&i| views::row(s.events.row(i as usize), i))
                .collect(),
        }),
        WorkerCmd::Raw { idx } => with_data(seq, |s| {
            if idx as usize >= s.events.len() {
                return WorkerMsg::Error {
                    message: format!("no event {idx}"),
                };
            }
            let e = s.events.row(idx as usize);
            WorkerMsg::Raw {
                idx,
                text: raw_text(s, e).unwrap_or_default(),
                normalised: serde_json::to_string_pretty(&e).unwrap_or_default(),
            }
        }),
        WorkerCmd::Mass { threshold, hours } => with_data(seq, |s| WorkerMsg::Mass {
            panel: workbook::mass_retrieval(
                &s.events,
                threshold,
                hours,
                WorkbookOptions::default().rows,
            ),
        }),
        WorkerCmd::Kql { query, params } => with_data(seq, |s| kql(&s.events, &query, &params)),
        WorkerCmd::Replay {
            query,
            every,
            period,
            params,
        } => with_data(seq, |s| {
            replayed(seq, &s.events, &query, &every, period.as_deref(), &params)
        }),
        WorkerCmd::Export { kind, options } => with_data(seq, |s| exported(s, kind, &options)),
    }
}

/// Which dataset workbook defaults were computed on: its address, length, first and last time.
type DatasetKey = (usize, usize, i64, i64);

thread_local! {
    // The workbook defaults of the dataset they were computed on.
    static DEFAULTS: RefCell<Option<(DatasetKey, BTreeMap<String, String>)>> =
        const { RefCell::new(None) };
}

/// The workbook parameters for a query on `events`: the drop's defaults (computed once a
/// dataset), then the page's filters and the values typed in the Query tab.
fn bound_params(events: &EventStore, scope: &ParamScope) -> params::Bound {
    let times = events.times();
    let key = (
        events as *const EventStore as usize,
        events.len(),
        times.first().copied().unwrap_or(0),
        times.last().copied().unwrap_or(0),
    );
    let defaults = DEFAULTS.with(|d| {
        let mut d = d.borrow_mut();
        match &*d {
            Some((k, m)) if *k == key => m.clone(),
            _ => {
                let m = keyhole_kql::workbook_defaults(events);
                *d = Some((key, m.clone()));
                m
            }
        }
    });
    params::bind(defaults, scope)
}

/// A result table as the page shows it.
fn result_of(
    t: &keyhole_kql::Table,
    total_rows: usize,
    t0: f64,
    params: Vec<BoundParam>,
    replay: Option<ReplayInfo>,
    time_context: Option<String>,
) -> WorkerMsg {
    WorkerMsg::Kql {
        result: Box::new(KqlResult {
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            total_rows: total_rows as u64,
            rows: t
                .rows
                .iter()
                .take(KQL_ROWS)
                .map(|r| r.iter().map(|v| v.to_string()).collect())
                .collect(),
            render: t.render.clone(),
            chart: chart::layout(t),
            csv: if t.rows.len() <= KQL_CSV_ROWS && total_rows == t.rows.len() {
                t.to_csv()
            } else {
                String::new()
            },
            millis: js_sys::Date::now() - t0,
            params,
            replay,
            time_context,
        }),
    }
}

fn kql_error(e: &keyhole_kql::KqlError, params: Vec<BoundParam>) -> WorkerMsg {
    WorkerMsg::KqlError {
        message: e.to_string(),
        span: Some(e.span),
        params,
    }
}

fn kql(events: &EventStore, query: &str, scope: &ParamScope) -> WorkerMsg {
    let t0 = js_sys::Date::now();
    let b = bound_params(events, scope);
    let shown = params::shown(query, &b);
    let opts = keyhole_kql::QueryOptions {
        params: b.values,
        ..Default::default()
    };
    let context = keyhole_kql::time_context(query, events, &opts).map(|c| c.describe());
    match keyhole_kql::run(query, events, &opts) {
        Ok(t) => result_of(&t, t.rows.len(), t0, shown, None, context),
        Err(e) => kql_error(&e, shown),
    }
}

/// The query replayed as a scheduler would run it (`keyhole query --replay`), with
/// `ReplayProgress` messages at most every 100 ms.
fn replayed(
    seq: u64,
    events: &EventStore,
    query: &str,
    every: &str,
    period: Option<&str>,
    scope: &ParamScope,
) -> WorkerMsg {
    use keyhole_kql::replay::{self, format_duration, parse_duration, ReplayOptions};
    let t0 = js_sys::Date::now();
    let bad = |what: &str, v: &str| WorkerMsg::KqlError {
        message: format!("{what}: not a duration: '{v}' (use e.g. 5m, 1h, 1d, 14d)"),
        span: None,
        params: Vec::new(),
    };
    let Some(every_us) = parse_duration(every) else {
        return bad("replay frequency", every);
    };
    let period_us = match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match parse_duration(p) {
            Some(us) => Some(us),
            None => return bad("replay period", p),
        },
    };
    let b = bound_params(events, scope);
    let shown = params::shown(query, &b);
    let opts = ReplayOptions {
        every: every_us,
        period: period_us,
        max_rows: KQL_CSV_ROWS,
        params: b.values,
        ..ReplayOptions::default()
    };
    let mut last = t0;
    let progress = |done: usize, total: usize| {
        let now = js_sys::Date::now();
        if now - last >= 100.0 || done == total {
            last = now;
            post(
                seq,
                WorkerMsg::ReplayProgress {
                    done: done as u64,
                    total: total as u64,
                },
            );
        }
        true
    };
    match replay::replay(query, events, &opts, progress) {
        Ok(r) => result_of(
            &r.table,
            r.total_rows,
            t0,
            shown,
            Some(ReplayInfo {
                every: format_duration(every_us),
                period: period_us.map(format_duration),
                ticks: r.ticks as u64,
                ticks_with_rows: r.ticks_with_rows as u64,
            }),
            None,
        ),
        Err(e) => kql_error(&e, shown),
    }
}

fn exported(s: &mut Loaded, kind: ExportKind, options: &WorkbookOptions) -> WorkerMsg {
    let f = &s.analysis.findings;
    let (name, mime, text) = match kind {
        ExportKind::AlertsJson => (
            "keyhole-alerts.json",
            "application/json",
            export::findings_json(f),
        ),
        ExportKind::AlertsJsonl => (
            "keyhole-alerts.jsonl",
            "application/x-ndjson",
            export::findings_jsonl(f),
        ),
        ExportKind::AlertsCsv => ("keyhole-alerts.csv", "text/csv", export::findings_csv(f)),
        ExportKind::Workbook | ExportKind::Report => {
            if s.workbook.options != *options {
                s.workbook = workbook::compute(&s.events, f, options);
            }
            if kind == ExportKind::Workbook {
                (
                    "keyhole-workbook.json",
                    "application/json",
                    s.workbook.to_json(),
                )
            } else {
                (
                    "keyhole-report.html",
                    "text/html",
                    report::html(&report::ReportInput {
                        summary: &s.summary,
                        findings: f,
                        rules: &s.analysis.rules,
                        workbook: &s.workbook,
                    }),
                )
            }
        }
    };
    WorkerMsg::Export {
        name: name.into(),
        mime: mime.into(),
        text,
    }
}

/// The record's original bytes, when the file was plain text (no zip/gzip/UTF-16 wrapper) so
/// that the source offsets address the file itself.
fn raw_text(s: &Loaded, e: EventRef<'_>) -> Option<String> {
    let source = e.source();
    if let Some(bytes) = s.mem_files.get(&*source.file) {
        let lo = (source.offset as usize).min(bytes.len());
        let hi = (lo + source.len as usize).min(bytes.len());
        return Some(String::from_utf8_lossy(&bytes[lo..hi]).into_owned());
    }
    let (file, plain) = s.files.get(&*source.file)?;
    if !*plain || source.len == 0 {
        return None;
    }
    let len = (source.len as u64).min(1 << 20);
    let blob = file
        .slice_with_f64_and_f64(source.offset as f64, (source.offset + len) as f64)
        .ok()?;
    let buf = FileReaderSync::new()
        .ok()?
        .read_as_array_buffer(&blob)
        .ok()?;
    Some(String::from_utf8_lossy(&js_sys::Uint8Array::new(&buf).to_vec()).into_owned())
}
