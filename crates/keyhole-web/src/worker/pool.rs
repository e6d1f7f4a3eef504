//! Parallel reading of a drop: a pool of parse workers, coordinated by the analysis worker.
//!
//! The analysis worker plans: each dropped file is cut into units by the core (`plan_file`:
//! `SplitPlan` from the file's head, `find_cut` on `File.slice` windows); a gzip stream, a zip
//! archive, UTF-16 text or a file with no safe cut is one unit (said in the progress line). It
//! starts `navigator.hardwareConcurrency` parse workers (at most [`MAX_WORKERS`]) as nested
//! workers of its own — each instantiates the same compiled module the page compiled once, so
//! nothing is fetched after load — and hands each a unit: the `File` and its byte range. A parse
//! worker reads its range in slices, BYOB reads of `Blob.stream()` into two buffers it keeps,
//! the next slice on its way while it parses this one (the core's `UnitRun` says which), and
//! returns the unit as bytes (`store/wire.rs`) in a transferred `ArrayBuffer`, which goes back
//! with a later unit to be filled again. No buffer is garbage after one use: dead
//! `ArrayBuffer`s wait for V8's collector, which tracks outside memory loosely (that garbage was
//! ~0.11 × a 1 GB drop's peak memory). The analysis worker merges units
//! in plan order with the core's `UnitMerger`, exactly as the CLI merges its threads' units, so
//! the events are the same whatever the worker count.
//!
//! Why the analysis worker coordinates (not the page's main thread): it owns the dataset the
//! units merge into; results go worker to worker without a hop through the UI thread; and its
//! parse workers are its children, so terminating it (Cancel, a new drop, its death) stops them
//! all. The pool lives for one drop, and a parse worker ends as soon as no unit is left for it
//! (wasm memory never shrinks: idle parse workers would keep theirs).
//!
//! Before reading, the core estimates the memory the drop needs (`store::budget`); a drop that
//! will not fit is not read: the page is told the numbers and offered the newest part that fits.
//! While reading, the estimate is redone with the bytes per record measured so far, and reading
//! stops the same way when it no longer fits.

use super::{post, views};
use crate::protocol::{FileView, Progress, Settings, WorkerMsg};
use keyhole_core::ingest::unit::{plan_file, unit_targets, Merged, UnitMerger, UnitRun, UnitTask};
use keyhole_core::ingest::{Dataset, FileIngest, IngestOptions, PLAN_HEAD};
use keyhole_core::store::budget::{self, Part};
use keyhole_core::LocalZone;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, FileReaderSync, MessageEvent, ReadableStreamByobReader, Worker};

/// At most this many parse workers.
pub const MAX_WORKERS: usize = 8;
/// Units are at least this large (smaller files are one unit) …
const MIN_UNIT: u64 = 4 << 20;
/// … and at most this large (a unit's bytes and batch are held by its worker until merged).
const MAX_UNIT: u64 = 64 << 20;
/// A parse worker reads its unit in slices of this size: each read is a round trip to the
/// browser's file thread, with the next slice on its way while one is parsed, and each slice is
/// held twice (the worker's JS buffer and its copy in wasm memory). Measured on a 1 GB drop
/// (`bench/page_bench.mjs`, 2 workers, three runs each side by side on a noisy machine):
/// synchronous 8 MiB reads 6.53 / 6.61 / 6.08 s, the drop adding 368 / 324 / 365 MB; these
/// 4 MiB reads one ahead 6.30 / 6.21 / 5.31 s, 351 / 360 / 363 MB. (Synchronous reads
/// earlier: 4 MiB 6.11 s / PSS 783 MB, 8 MiB 5.51 s / 803 MB, 16 MiB 5.72 s / 847 MB.)
/// Each slice is a new `Blob.stream()`, and its setup costs the browser's file threads CPU the
/// parse workers then lack: reading the 1 GB drop alone (two workers, BYOB, no parse; 3 runs
/// alternated) took 4.2-5.7 CPU s and 2.3-2.9 s in 4 MiB slices, 3.0-3.2 CPU s and 1.6-1.8 s
/// in 8 MiB ones (16 MiB: no better). On the page, 8 MiB against 4 MiB (4 runs alternated):
/// first alert 8.12-8.73 s (mean 8.51) against 8.19-9.67 s (mean 9.04); the browser process's
/// file threads 2.1-2.2 CPU s against 2.4-2.7; the drop adding 274-292 MB against 259-293.
/// Twice as many parse workers as cores (one reading while another parses) was no faster
/// (6.7-7.3 s against 6.0-7.6 s) and added ~100 MB.
/// A parse worker waits ~0.21 s of each 64 MiB unit's ~0.75 s for its slices. Tried against
/// that, no faster (page bench, 3 runs alternated): two slices on their way instead of one,
/// the same wait; each slice's reads run as a task of their own and the parse in 1 MiB steps
/// with a turn of the event loop between them, the wait ~0.07 s a unit but the first alert
/// 7.67-8.40 s against 7.21-8.35 s, and with one parse worker (`PAGE_WORKERS=1`, a core left
/// to the browser's file threads) the worker busy 8.0-8.2 s against 7.9-8.2 s.
const READ_CHUNK: u64 = 8 << 20;
/// Bytes looked at from a target offset for a safe cut: the first record boundary after it
/// (records are a few kB; a target with none in reach is dropped, its bytes go to the unit
/// before). Each window is a synchronous read before any parse worker starts: the 15 cuts of a
/// 1 GB drop took 150 ms in 1 MiB windows, 81 ms in these.
const CUT_WINDOW: u64 = 64 << 10;
/// Head bytes parsed per file to sample bytes per record (at most this much in all).
const SAMPLE_TOTAL: u64 = 8 << 20;
/// The estimate is trusted over the sample once this much was merged.
const MEASURE_AFTER: u64 = 32 << 20;

/// What a parse worker is given (beside the `File`).
#[derive(Serialize, Deserialize)]
struct Job {
    index: usize,
    task: UnitTask,
    /// The `[Local Time]` zone by name (`LocalZone::name`, parsed back in the parse worker).
    local_zone: String,
    max_problems: usize,
}

fn global(name: &str) -> JsValue {
    js_sys::Reflect::get(&js_sys::global(), &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `navigator.hardwareConcurrency`, within 1..=MAX_WORKERS; or the count set for a benchmark
/// (`localStorage` `keyhole.parseWorkers`, handed over by boot.js).
pub fn worker_count() -> usize {
    let n = global("KEYHOLE_PARSE_WORKERS")
        .as_f64()
        .filter(|v| *v >= 1.0)
        .or_else(|| {
            js_sys::Reflect::get(&global("navigator"), &"hardwareConcurrency".into())
                .ok()
                .and_then(|v| v.as_f64())
        })
        .unwrap_or(1.0) as usize;
    n.clamp(1, MAX_WORKERS)
}

/// The memory ceiling: wasm32's, or a lower one set for tests (`localStorage`
/// `keyhole.memoryLimit`, handed over by boot.js).
fn ceiling() -> Option<u64> {
    global("KEYHOLE_MEMORY_LIMIT")
        .as_f64()
        .filter(|v| *v > 0.0)
        .map(|v| v as u64)
}

/// A JS error's text: the thrown string, else its debug form.
fn error_text(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

fn read_range(reader: &FileReaderSync, file: &File, from: u64, to: u64) -> Result<Vec<u8>, String> {
    let blob = file
        .slice_with_f64_and_f64(from as f64, to as f64)
        .map_err(error_text)?;
    let ab = reader.read_as_array_buffer(&blob).map_err(error_text)?;
    Ok(js_sys::Uint8Array::new(&ab).to_vec())
}

fn ingest_options(local_zone: &str, max_problems: usize) -> IngestOptions {
    IngestOptions {
        max_problems_per_file: Some(max_problems),
        local_zone: LocalZone::parse(local_zone).unwrap_or_default(),
        ..IngestOptions::default()
    }
}

// ---- the parse worker ----

/// A slice of the file on its way into one of the parse worker's own buffers: a BYOB reader on
/// `Blob.stream()`, its first read already asked for (the browser fills the stream while the
/// worker parses the slice before).
struct Slice {
    range: (u64, u64),
    reader: ReadableStreamByobReader,
    read: js_sys::Promise,
    want: u32,
}

impl Slice {
    /// Start reading `range` of `file` into `buf` (transferred to the stream until the read
    /// ends; a new buffer when `buf` is too small).
    fn start(file: &File, range: (u64, u64), buf: js_sys::ArrayBuffer) -> Result<Slice, String> {
        let want = (range.1 - range.0) as u32;
        let buf = if buf.byte_length() >= want {
            buf
        } else {
            js_sys::ArrayBuffer::new(want.max(READ_CHUNK as u32))
        };
        let blob = file
            .slice_with_f64_and_f64(range.0 as f64, range.1 as f64)
            .map_err(error_text)?;
        let reader = ReadableStreamByobReader::new(&blob.stream()).map_err(error_text)?;
        let view = js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, want);
        let read = if want == 0 {
            // a BYOB read of no bytes is a TypeError: the empty slice is read at once
            let done = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&done, &"done".into(), &true.into());
            let _ = js_sys::Reflect::set(&done, &"value".into(), &view);
            js_sys::Promise::resolve(&JsValue::from(done))
        } else {
            reader.read_with_array_buffer_view(&view)
        };
        Ok(Slice {
            range,
            reader,
            read,
            want,
        })
    }

    /// The slice's bytes: the buffer and how many of its first bytes were read (fewer than
    /// asked only if the file is shorter than planned).
    async fn bytes(self) -> Result<(js_sys::ArrayBuffer, u32), String> {
        let mut read = self.read;
        let mut got = 0u32;
        loop {
            let r = wasm_bindgen_futures::JsFuture::from(read)
                .await
                .map_err(error_text)?;
            let done = js_sys::Reflect::get(&r, &"done".into())
                .ok()
                .is_some_and(|d| d.is_truthy());
            let view: js_sys::Uint8Array = js_sys::Reflect::get(&r, &"value".into())
                .ok()
                .and_then(|v| v.dyn_into().ok())
                .ok_or("the file's stream ended without its buffer")?;
            let buf: js_sys::ArrayBuffer = view.buffer();
            got += view.byte_length();
            if done || got >= self.want {
                self.reader.release_lock();
                return Ok((buf, got));
            }
            let rest =
                js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, got, self.want - got);
            read = self.reader.read_with_array_buffer_view(&rest);
        }
    }
}

thread_local! {
    /// A parse worker's slice buffers between units.
    static SLICE_BUFFERS: RefCell<Vec<js_sys::ArrayBuffer>> = const { RefCell::new(Vec::new()) };
}

/// Parse one unit ([`UnitRun`]), the next slice of the file read while this one is parsed:
/// the browser reads while the worker works, instead of the worker waiting on each read.
///
/// Slices are read into two buffers the worker reuses (BYOB reads), not a new `ArrayBuffer`
/// each (`Blob.arrayBuffer`): dead slices waited for V8's garbage collector, which runs on
/// external memory only every few tens of MB, and that garbage was ~110 MB of a 1 GB drop's
/// peak PSS (drop adding 346 MB, 236 MB with a forced collection after each slice).
async fn parse_unit(task: UnitTask, opts: &IngestOptions, file: &File) -> Result<Vec<u8>, String> {
    let mut run = UnitRun::new(task, opts, READ_CHUNK);
    // the worker's two buffers, kept from unit to unit (a worker parses one unit at a time)
    let mut spare = SLICE_BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let buffer = |spare: &mut Vec<js_sys::ArrayBuffer>| {
        spare
            .pop()
            .unwrap_or_else(|| js_sys::ArrayBuffer::new(READ_CHUNK as u32))
    };
    let mut ahead: Option<Slice> = None;
    // one buffer in the worker's linear memory for every slice
    let mut bytes = Vec::new();
    while let Some(range) = run.next_range() {
        let now = match ahead.take() {
            Some(s) if s.range == range => s,
            other => {
                if let Some(s) = other {
                    let _ = s.reader.cancel(); // its buffer goes with it
                }
                Slice::start(file, range, buffer(&mut spare))?
            }
        };
        if let Some(next) = run.range_after() {
            ahead = Some(Slice::start(file, next, buffer(&mut spare))?);
        }
        let (buf, got) = now.bytes().await?;
        bytes.resize(got as usize, 0);
        js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, got).copy_to(&mut bytes);
        spare.push(buf);
        run.give(&bytes)?;
    }
    if let Some(s) = ahead {
        let _ = s.reader.cancel();
    }
    SLICE_BUFFERS.with(|b| *b.borrow_mut() = spare);
    Ok(run.into_wire())
}

/// Entry point of a parse worker (called by `web/worker.js`): parses each unit it is given and
/// returns it as bytes in a transferred `ArrayBuffer`.
#[wasm_bindgen]
pub fn parse_worker_start() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        let job = js_sys::Reflect::get(&data, &"job".into())
            .ok()
            .and_then(|j| j.as_string())
            .and_then(|j| serde_json::from_str::<Job>(&j).ok());
        let file = js_sys::Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|f| f.dyn_into::<File>().ok());
        // a buffer of an earlier unit's bytes, back from the analysis worker to be filled again
        let back = js_sys::Reflect::get(&data, &"buf".into())
            .ok()
            .and_then(|b| b.dyn_into::<js_sys::ArrayBuffer>().ok());
        let out = js_sys::Object::new();
        let (Some(job), Some(file)) = (job, file) else {
            let _ = js_sys::Reflect::set(&out, &"error".into(), &"bad job".into());
            let _ = reply.post_message(&out);
            return;
        };
        let _ = js_sys::Reflect::set(&out, &"index".into(), &(job.index as f64).into());
        let reply = reply.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let started = js_sys::Date::now();
            let opts = ingest_options(&job.local_zone, job.max_problems);
            let result = parse_unit(job.task, &opts, &file).await;
            let busy = js_sys::Date::now() - started;
            let _ = js_sys::Reflect::set(&out, &"ms".into(), &busy.into());
            match result {
                Ok(bytes) => {
                    // into the buffer the analysis worker gave back, when it is large enough
                    let len = bytes.len() as u32;
                    let buf = match back {
                        Some(b) if b.byte_length() >= len => b,
                        _ => js_sys::ArrayBuffer::new(len + len / 8),
                    };
                    js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, len)
                        .copy_from(&bytes);
                    drop(bytes);
                    let _ = js_sys::Reflect::set(&out, &"wire".into(), &buf);
                    let _ = js_sys::Reflect::set(&out, &"len".into(), &len.into());
                    let _ = reply.post_message_with_transfer(&out, &js_sys::Array::of1(&buf));
                }
                Err(e) => {
                    let _ = js_sys::Reflect::set(&out, &"error".into(), &e.into());
                    let _ = reply.post_message(&out);
                }
            }
        });
    });
    scope.set_onmessage(Some(cb.as_ref().unchecked_ref()));
    cb.forget();
    let ready = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&ready, &"ready".into(), &true.into());
    let _ = scope.post_message(&ready);
}

// ---- the analysis worker's side ----

struct Unit {
    file: usize,
    task: UnitTask,
}

/// One drop being read by the pool.
struct Run {
    seq: u64,
    t0: f64,
    settings: Settings,
    files: Vec<(File, String)>,
    units: Vec<Unit>,
    queue: VecDeque<usize>,
    done: BTreeMap<usize, Result<Vec<u8>, String>>,
    next_merge: usize,
    ds: Option<Dataset>,
    merger: UnitMerger,
    reports: Vec<FileView>,
    workers: Vec<Worker>,
    busy: usize,
    total: u64,
    parsed: u64,
    merged_bytes: u64,
    sequential: Vec<String>,
    local_zone: String,
    max_problems: usize,
    reader: FileReaderSync,
    /// Bytes per record of the heads (the estimate until enough was merged).
    sample: (u64, u64),
    ceiling: Option<u64>,
    /// The files (and how much of each) as planned: for the "too big" message.
    sizes: Vec<u64>,
    finished: bool,
    /// Milliseconds the parse workers spent on units (summed) and this worker spent merging.
    busy_ms: f64,
    merge_ms: f64,
    handlers: Vec<Handlers>,
    /// Buffers that brought units' bytes, to be filled again by a parse worker.
    spare: Vec<js_sys::ArrayBuffer>,
    /// A file's head, for [`super::load::warm_up`] once every parse worker has a unit.
    warm: Option<(String, Vec<u8>)>,
    /// Parse workers that said they were ready.
    started: usize,
}

thread_local! {
    static RUN: RefCell<Option<Rc<RefCell<Run>>>> = const { RefCell::new(None) };
    /// The message handlers of stopped runs, dropped when the next drop starts.
    static RETIRED: RefCell<Vec<Handlers>> = const { RefCell::new(Vec::new()) };
}

/// A parse worker's message and error handlers.
struct Handlers(
    #[allow(dead_code)] Closure<dyn FnMut(MessageEvent)>,
    #[allow(dead_code)] Closure<dyn FnMut(web_sys::ErrorEvent)>,
);

/// Read dropped files with the pool; `newest_bytes`: only the newest part of this size.
pub fn files(seq: u64, list: Vec<(File, String)>, settings: &Settings, newest_bytes: Option<u64>) {
    let t0 = js_sys::Date::now();
    // A run still going is superseded (its workers stop); stopped runs' handlers are dropped.
    if let Some(prev) = RUN.with(|r| r.borrow_mut().take()) {
        stop(&prev);
    }
    RETIRED.with(|x| x.borrow_mut().clear());
    let reader = match FileReaderSync::new() {
        Ok(r) => r,
        Err(_) => {
            return post(
                seq,
                WorkerMsg::Error {
                    message: "this browser cannot read files in a worker (FileReaderSync)".into(),
                },
            )
        }
    };
    let opts = super::load::options(settings);
    let local_zone = opts.local_zone.name();
    let max_problems = opts.max_problems_per_file.unwrap_or(100);
    let n_workers = worker_count();
    let sizes: Vec<u64> = list.iter().map(|(f, _)| f.size() as u64).collect();
    let total_all: u64 = sizes.iter().sum();

    // Sample bytes per record (and each file's first time) from the heads.
    let mut sample = (0u64, 0u64);
    let mut firsts: Vec<Option<i64>> = vec![None; list.len()];
    let mut sampled = 0u64;
    // the first head with records, to warm up detection while the parse workers read
    let mut warm: Option<(String, Vec<u8>)> = None;
    for (i, (file, path)) in list.iter().enumerate() {
        let want_time = newest_bytes.is_some();
        if sampled >= SAMPLE_TOTAL && !want_time {
            break;
        }
        let head = (sizes[i]).min(PLAN_HEAD as u64);
        let Ok(bytes) = read_range(&reader, file, 0, head) else {
            continue;
        };
        let mut f = FileIngest::new(path, &opts);
        f.feed(&bytes);
        let r = f.report();
        if warm.is_none() && r.records > 0 {
            warm = Some((path.clone(), bytes));
        }
        if sampled < SAMPLE_TOTAL {
            sample.0 += r.bytes;
            sample.1 += r.records;
            sampled += head;
        }
        firsts[i] = r.first.map(|t| t.micros);
    }
    let limit = ceiling();
    let fit = budget::estimate(total_all, sample.0, sample.1, limit);
    // What to read of each file: all of it, or (newest part) the bytes of its end that fit.
    let take: Vec<u64> = match newest_bytes {
        None => sizes.clone(),
        Some(b) => budget::newest_part(
            &sizes
                .iter()
                .zip(&firsts)
                .map(|(&bytes, &first_micros)| Part {
                    bytes,
                    first_micros,
                })
                .collect::<Vec<_>>(),
            b,
        ),
    };
    if newest_bytes.is_none() && !fit.fits {
        return too_big(seq, &list, &sizes, &firsts, fit);
    }

    // Plan the units.
    let total: u64 = take.iter().sum();
    let unit = (total / (n_workers as u64 * 4).max(1)).clamp(MIN_UNIT, MAX_UNIT);
    let mut units = Vec::new();
    let mut sequential = Vec::new();
    for (i, (file, path)) in list.iter().enumerate() {
        let (size, want) = (sizes[i], take[i]);
        if want == 0 {
            continue;
        }
        let from = size - want;
        let mut targets: Vec<u64> = Vec::new();
        if from > 0 {
            targets.push(from);
        }
        // the drop's last `unit` bytes in quarter units (`unit_targets`)
        let after: u64 = take[i + 1..].iter().sum();
        targets.extend(unit_targets(from, size, after, unit, MIN_UNIT));
        let mut read = |a: u64, b: u64| read_range(&reader, file, a, b);
        let tasks = plan_file(
            path,
            size,
            &opts,
            (PLAN_HEAD as u64).min(unit),
            &targets,
            CUT_WINDOW,
            &mut read,
        );
        if tasks.len() == 1 && size >= 2 * MIN_UNIT {
            sequential.push(path.clone());
        }
        for t in tasks {
            // the newest part of a file starts at its first cut at or after `from`
            if from > 0 && t.start < from {
                continue;
            }
            if from > 0 && t.cut.is_none() {
                continue; // cannot be cut (compressed…): all or nothing, and not all fits
            }
            units.push(Unit { file: i, task: t });
        }
    }
    let n = n_workers.min(units.len()).max(1);
    let mut ds = Dataset::new(opts);
    // sized once from the first units' density: no step-by-step regrowth of the store's
    // columns, whose old copies would stay in the worker's linear memory
    ds.expect_bytes(total);
    let run = Rc::new(RefCell::new(Run {
        seq,
        t0,
        settings: settings.clone(),
        files: list,
        queue: (0..units.len()).collect(),
        units,
        done: BTreeMap::new(),
        next_merge: 0,
        ds: Some(ds),
        merger: UnitMerger::new(),
        reports: Vec::new(),
        workers: Vec::new(),
        busy: 0,
        total,
        parsed: 0,
        merged_bytes: 0,
        sequential,
        local_zone,
        max_problems,
        reader,
        sample,
        ceiling: limit,
        sizes,
        finished: false,
        busy_ms: 0.0,
        merge_ms: 0.0,
        handlers: Vec::new(),
        spare: Vec::new(),
        warm,
        started: 0,
    }));
    RUN.with(|r| *r.borrow_mut() = Some(run.clone()));
    if run.borrow().units.is_empty() {
        return finish(&run);
    }
    for k in 0..n {
        match spawn(&run, k) {
            Ok(w) => run.borrow_mut().workers.push(w),
            Err(e) => {
                stop(&run);
                return post(
                    seq,
                    WorkerMsg::Error {
                        message: format!("could not start a parse worker: {e}"),
                    },
                );
            }
        }
    }
    progress(&run.borrow());
}

fn too_big(
    seq: u64,
    list: &[(File, String)],
    sizes: &[u64],
    firsts: &[Option<i64>],
    fit: budget::Fit,
) {
    let parts: Vec<Part> = sizes
        .iter()
        .zip(firsts)
        .map(|(&bytes, &first_micros)| Part {
            bytes,
            first_micros,
        })
        .collect();
    let take = budget::newest_part(&parts, fit.fitting_input_bytes);
    let newest = list
        .iter()
        .zip(sizes.iter().zip(&take))
        .filter(|(_, (_, t))| **t > 0)
        .map(|((_, p), (s, t))| (p.clone(), *s, *t))
        .collect();
    post(seq, WorkerMsg::TooBig { fit, newest });
}

fn spawn(run: &Rc<RefCell<Run>>, k: usize) -> Result<Worker, String> {
    let f: js_sys::Function = global("keyholeSpawnParser")
        .dyn_into()
        .map_err(|_| "worker.js did not load")?;
    let w: Worker = f
        .call0(&JsValue::NULL)
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a worker")?;
    let me = run.clone();
    let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        on_message(&me, k, e.data());
    });
    w.set_onmessage(Some(cb.as_ref().unchecked_ref()));
    let me = run.clone();
    let onerr = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        e.prevent_default();
        let seq = me.borrow().seq;
        stop(&me);
        // A parse worker died (out of memory, a trap): the drop cannot be read exactly.
        post(
            seq,
            WorkerMsg::Error {
                message: format!("a parse worker stopped: {}", e.message()),
            },
        );
    });
    w.set_onerror(Some(onerr.as_ref().unchecked_ref()));
    // Kept with the run (the last message runs the analysis inside its handler) and retired
    // when it stops: they hold the run, so forgetting them would keep every drop's run alive.
    run.borrow_mut().handlers.push(Handlers(cb, onerr));
    Ok(w)
}

/// Give worker `k` the next unit, if any.
fn dispatch(run: &mut Run, k: usize) {
    let Some(i) = run.queue.pop_front() else {
        // no unit is left for it: its memory goes now, not when the last unit is merged
        run.workers[k].terminate();
        return;
    };
    let u = &run.units[i];
    let job = Job {
        index: i,
        task: u.task.clone(),
        local_zone: run.local_zone.clone(),
        max_problems: run.max_problems,
    };
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &msg,
        &"job".into(),
        &serde_json::to_string(&job).unwrap_or_default().into(),
    );
    let _ = js_sys::Reflect::set(&msg, &"file".into(), &run.files[u.file].0);
    let sent = match run.spare.pop() {
        Some(buf) => {
            let _ = js_sys::Reflect::set(&msg, &"buf".into(), &buf);
            run.workers[k].post_message_with_transfer(&msg, &js_sys::Array::of1(&buf))
        }
        None => run.workers[k].post_message(&msg),
    };
    let _ = sent;
    run.busy += 1;
}

fn on_message(run: &Rc<RefCell<Run>>, k: usize, data: JsValue) {
    {
        let mut r = run.borrow_mut();
        if r.finished {
            return;
        }
        if js_sys::Reflect::get(&data, &"ready".into())
            .ok()
            .is_some_and(|v| v.is_truthy())
        {
            dispatch(&mut r, k);
            r.started += 1;
            if r.started == r.workers.len() {
                if let Some((path, head)) = r.warm.take() {
                    let opts = ingest_options(&r.local_zone, r.max_problems);
                    super::load::warm_up(&path, &head, &opts, &r.settings);
                }
            }
            return;
        }
        let index = js_sys::Reflect::get(&data, &"index".into())
            .ok()
            .and_then(|v| v.as_f64());
        let Some(index) = index.map(|v| v as usize) else {
            return;
        };
        let got = match js_sys::Reflect::get(&data, &"wire".into()) {
            Ok(w) if w.is_instance_of::<js_sys::ArrayBuffer>() => {
                let buf: js_sys::ArrayBuffer = w.unchecked_into();
                let len = js_sys::Reflect::get(&data, &"len".into())
                    .ok()
                    .and_then(|v| v.as_f64())
                    .map_or(buf.byte_length(), |v| (v as u32).min(buf.byte_length()));
                let bytes =
                    js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, len).to_vec();
                // back to a parse worker with its next unit (no garbage a unit)
                r.spare.push(buf);
                Ok(bytes)
            }
            _ => Err(js_sys::Reflect::get(&data, &"error".into())
                .ok()
                .and_then(|e| e.as_string())
                .unwrap_or_else(|| "the parse worker failed".into())),
        };
        r.busy = r.busy.saturating_sub(1);
        r.busy_ms += js_sys::Reflect::get(&data, &"ms".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        if let Some(u) = r.units.get(index) {
            r.parsed += u.task.bytes();
        }
        r.done.insert(index, got);
        dispatch(&mut r, k);
        let t = js_sys::Date::now();
        merge_ready(&mut r);
        r.merge_ms += js_sys::Date::now() - t;
        if r.finished {
            return;
        }
    }
    let (all_merged, over) = {
        let r = run.borrow();
        (r.next_merge >= r.units.len(), over_budget(&r))
    };
    if let Some(fit) = over {
        let (seq, list, sizes) = {
            let r = run.borrow();
            (r.seq, r.files.clone(), r.sizes.clone())
        };
        stop(run);
        let firsts = vec![None; list.len()];
        return too_big(seq, &list, &sizes, &firsts, fit);
    }
    if all_merged {
        finish(run);
    } else {
        progress(&run.borrow());
    }
}

/// Merge every unit that is next in order.
fn merge_ready(r: &mut Run) {
    while let Some(got) = r.done.remove(&r.next_merge) {
        let i = r.next_merge;
        r.next_merge += 1;
        let Run {
            units,
            files,
            ds,
            merger,
            reader,
            reports,
            seq,
            ..
        } = r;
        let (u, Some(ds)) = (&units[i], ds.as_mut()) else {
            return;
        };
        let file = &files[u.file].0;
        let mut read = |a: u64, b: u64| read_range(reader, file, a, b);
        let res = got.and_then(|w| merger.add(ds, &u.task, &w, super::load::CHUNK, &mut read));
        let ended = match res {
            Ok(Merged::FileEnd(rep)) => Some((views::file(&rep), None)),
            Ok(_) => None,
            Err(e) if merger.covers(&u.task) => {
                let _ = e; // already parsed by the unit before it
                None
            }
            Err(e) => {
                let rep = merger.abandon(ds, &u.task);
                Some((views::file(&rep), Some(format!("could not read: {e}"))))
            }
        };
        if let Some((mut view, err)) = ended {
            view.error = err;
            post(
                *seq,
                WorkerMsg::FileDone {
                    report: view.clone(),
                },
            );
            reports.push(view);
        }
        r.merged_bytes += u.task.bytes();
    }
}

/// The estimate with the bytes per record measured so far, when it no longer fits.
fn over_budget(r: &Run) -> Option<budget::Fit> {
    if r.merged_bytes < MEASURE_AFTER || r.merger.records == 0 {
        return None;
    }
    let fit = budget::estimate(r.total, r.merged_bytes, r.merger.records, r.ceiling);
    (!fit.fits).then_some(fit)
}

fn progress(r: &Run) {
    let secs = ((js_sys::Date::now() - r.t0) / 1000.0).max(0.001);
    let current = r
        .units
        .get(r.next_merge.min(r.units.len().saturating_sub(1)))
        .map(|u| (u.file, u.task.name.clone()))
        .unwrap_or_default();
    let (sb, sr) = if r.merger.records > 0 {
        (r.merged_bytes, r.merger.records)
    } else {
        r.sample
    };
    post(
        r.seq,
        WorkerMsg::Progress(Progress {
            file: current.1,
            file_index: current.0,
            files: r.files.len(),
            bytes_done: r.parsed.min(r.total),
            bytes_total: r.total,
            records: r.merger.records,
            skipped: r.merger.skipped,
            phase: "reading".into(),
            workers: r.busy.max(1) as u32,
            bytes_per_sec: r.parsed as f64 / secs,
            sequential: r.sequential.clone(),
            fit: Some(budget::estimate(r.total, sb, sr, r.ceiling)),
        }),
    );
}

/// Terminate the parse workers (the drop is done, failed or cancelled).
fn stop(run: &Rc<RefCell<Run>>) {
    let mut r = run.borrow_mut();
    r.finished = true;
    for w in r.workers.drain(..) {
        w.set_onmessage(None);
        w.set_onerror(None);
        w.terminate();
    }
    r.queue.clear();
    r.done.clear();
    // `stop` may run inside one of these handlers: they are dropped when the next drop starts.
    let retired = std::mem::take(&mut r.handlers);
    RETIRED.with(|x| x.borrow_mut().extend(retired));
    RUN.with(|x| *x.borrow_mut() = None);
}

fn finish(run: &Rc<RefCell<Run>>) {
    stop(run);
    let (seq, t0, ds, reports, settings, files, pool_ms) = {
        let mut r = run.borrow_mut();
        (
            r.seq,
            r.t0,
            r.ds.take(),
            std::mem::take(&mut r.reports),
            r.settings.clone(),
            std::mem::take(&mut r.files),
            (r.busy_ms, r.merge_ms),
        )
    };
    let Some(ds) = ds else { return };
    let keep: HashMap<String, (File, bool)> = files
        .into_iter()
        .map(|(f, p)| {
            let plain = reports
                .iter()
                .find(|r| r.file == p)
                .is_none_or(|r| r.wrappers.is_empty() || r.wrappers == ["utf8_bom"]);
            (p, (f, plain))
        })
        .collect();
    super::load::finish_files(seq, ds, t0, reports, &settings, keep, pool_ms);
}
