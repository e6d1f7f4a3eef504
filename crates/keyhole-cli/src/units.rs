//! Parallel loading: every input becomes parse units — a whole file, or record-aligned byte
//! ranges of a large plain file (the core finds safe cuts) — parsed on `--threads` worker
//! threads and merged in input order by the core, so the events are the same whatever the
//! thread count. A gzip stream or a zip archive is one unit (sequential), and so is stdin.

use keyhole_core::ingest::unit::unit_targets;
use keyhole_core::ingest::{Cut, Dataset, FileIngest, IngestOptions, SplitPlan, PLAN_HEAD};
use keyhole_core::store::RawSource;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const CHUNK: usize = 4 << 20;
/// Units are at least this large (smaller files are one unit).
const MIN_UNIT: u64 = 4 << 20;
/// … and at most this large (memory held by a unit's batch before it is merged).
const MAX_UNIT: u64 = 64 << 20;
/// Bytes looked at from a target offset for a safe cut.
const CUT_WINDOW: usize = 1 << 20;

/// One input to read: a file on disk or standard input.
#[derive(Clone, Debug)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }
}

/// One parse unit.
struct Job {
    input: usize,
    name: String,
    /// Byte range; `end == None`: to the end of the file (or stdin).
    start: u64,
    end: Option<u64>,
    resume: Option<(Arc<SplitPlan>, Cut)>,
    last_of_input: bool,
}

/// What the inputs were cut into, for the progress line.
pub struct Plan {
    jobs: Vec<Job>,
    /// Inputs read as one sequential stream although large (gzip, zip, UTF-16, stdin).
    pub sequential: Vec<String>,
}

fn read_at(path: &PathBuf, at: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::with_capacity(len);
    f.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Cut every input into units for `threads` workers (`unit_bytes`: the target size of a unit,
/// instead of one from the total size and the thread count).
pub fn plan(
    inputs: &[Input],
    threads: usize,
    opts: &IngestOptions,
    unit_bytes: Option<u64>,
) -> Plan {
    let sizes: Vec<u64> = inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Input::Stdin => 0,
        })
        .collect();
    let total: u64 = sizes.iter().sum();
    let unit = unit_bytes
        .filter(|&u| u > 0)
        .unwrap_or_else(|| (total / (threads as u64 * 8).max(1)).clamp(MIN_UNIT, MAX_UNIT));
    let mut jobs = Vec::new();
    let mut sequential = Vec::new();
    for (k, input) in inputs.iter().enumerate() {
        let name = input.name();
        let whole = |jobs: &mut Vec<Job>| {
            jobs.push(Job {
                input: k,
                name: name.clone(),
                start: 0,
                end: None,
                resume: None,
                last_of_input: true,
            })
        };
        let Input::File(path) = input else {
            sequential.push(name.clone());
            whole(&mut jobs);
            continue;
        };
        let size = sizes[k];
        if size < 2 * unit {
            // a compressed stream is one unit however large it expands: say so when it is big
            let magic = read_at(path, 0, 4).unwrap_or_default();
            let compressed = magic.starts_with(&[0x1f, 0x8b]) || magic.starts_with(b"PK\x03\x04");
            if compressed && size >= MIN_UNIT {
                sequential.push(name.clone());
            }
            whole(&mut jobs);
            continue;
        }
        let head = PLAN_HEAD.min(unit as usize);
        let plan = read_at(path, 0, head)
            .ok()
            .and_then(|head| SplitPlan::new(&head, opts));
        let Some(plan) = plan.map(Arc::new) else {
            sequential.push(name.clone());
            whole(&mut jobs);
            continue;
        };
        let mut cuts: Vec<Cut> = Vec::new();
        // the input's last `unit` bytes in quarter units, so no thread idles long at the end
        let after: u64 = sizes[k + 1..].iter().sum();
        for at in unit_targets(0, size, after, unit, MIN_UNIT) {
            if let Ok(window) = read_at(path, at, CUT_WINDOW) {
                if let Some(c) = plan.find_cut(at, &window) {
                    if c.offset < size && cuts.last().is_none_or(|l| l.offset < c.offset) {
                        cuts.push(c);
                    }
                }
            }
        }
        let first_end = cuts.first().map(|c| c.offset);
        jobs.push(Job {
            input: k,
            name: name.clone(),
            start: 0,
            end: first_end,
            resume: None,
            last_of_input: cuts.is_empty(),
        });
        for (i, c) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map(|n| n.offset);
            jobs.push(Job {
                input: k,
                name: name.clone(),
                start: c.offset,
                end,
                resume: Some((plan.clone(), *c)),
                last_of_input: end.is_none(),
            });
        }
    }
    Plan { jobs, sequential }
}

/// Feed `f` the bytes of `input` in `start..end` (to EOF when `end` is `None`).
fn feed(
    input: &Input,
    start: u64,
    end: Option<u64>,
    buf: &mut [u8],
    progress: &AtomicU64,
    mut f: impl FnMut(&[u8]),
) -> Result<(), String> {
    let mut reader: Box<dyn Read> = match input {
        Input::File(p) => {
            let mut file = File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if start > 0 {
                file.seek(SeekFrom::Start(start))
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
            match end {
                Some(e) => Box::new(file.take(e - start)),
                None => Box::new(file),
            }
        }
        Input::Stdin => Box::new(io::stdin().lock()),
    };
    let mut done = 0u64;
    loop {
        match reader.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                f(&buf[..n]);
                done += n as u64;
                progress.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(format!(
                    "{}: read error after {} bytes: {e}",
                    input.name(),
                    start + done
                ))
            }
        }
    }
}

fn run_job(
    job: &Job,
    input: &Input,
    opts: &IngestOptions,
    buf: &mut [u8],
    progress: &AtomicU64,
) -> (FileIngest, Option<String>) {
    let mut f = match &job.resume {
        None => FileIngest::new(&job.name, opts),
        Some((plan, cut)) => FileIngest::resume(&job.name, opts, plan, *cut),
    };
    if let Some(end) = job.end {
        f.expect_bytes(end - job.start);
    }
    let err = feed(input, job.start, job.end, buf, progress, |b| f.feed(b)).err();
    (f, err)
}

/// Live figures for the progress line.
pub struct Tally {
    pub bytes: AtomicU64,
    pub records: AtomicU64,
    pub skipped: AtomicU64,
}

/// Parse every unit on `threads` workers and merge them in order into `ds`. Returns the inputs
/// that could not be read (with the reason).
pub fn run(
    inputs: &[Input],
    plan: Plan,
    threads: usize,
    ds: &mut Dataset,
    tally: &Tally,
    mut tick: impl FnMut(),
) -> Vec<String> {
    let opts = ds.options().clone();
    let jobs = plan.jobs;
    let next = AtomicUsize::new(0);
    let mut unreadable = Vec::new();
    let (tx, rx) = mpsc::channel::<(usize, FileIngest, Option<String>)>();
    // when each thread found no unit left (for the timings: how long the first one idled)
    let finished = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (jobs, next, opts, finished) = (&jobs, &next, &opts, &finished);
            s.spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let (f, err) = run_job(job, &inputs[job.input], opts, &mut buf, &tally.bytes);
                    if tx.send((i, f, err)).is_err() {
                        break;
                    }
                }
                if let Ok(mut f) = finished.lock() {
                    f.push(std::time::Instant::now());
                }
            });
        }
        drop(tx);
        // Merge in job order as results arrive.
        let mut pending: BTreeMap<usize, (FileIngest, Option<String>)> = BTreeMap::new();
        let mut merge_next = 0usize;
        let mut buf = vec![0u8; CHUNK];
        let timed = crate::output::timings();
        let (t0, mut merging) = (std::time::Instant::now(), Duration::ZERO);
        loop {
            let got = rx.recv_timeout(Duration::from_millis(100));
            let disconnected = matches!(got, Err(mpsc::RecvTimeoutError::Disconnected));
            if let Ok((i, f, err)) = got {
                pending.insert(i, (f, err));
            }
            while let Some((f, err)) = pending.remove(&merge_next) {
                let m = std::time::Instant::now();
                let job = &jobs[merge_next];
                let r = f.report();
                tally.records.fetch_add(r.records, Ordering::Relaxed);
                tally.skipped.fetch_add(r.skipped, Ordering::Relaxed);
                if let Some(e) = err {
                    unreadable.push(e);
                }
                if let Err(mut again) = ds.add_unit(f) {
                    // its assumed start did not hold: parse it after the unit before it
                    let range = again.range();
                    let sink = AtomicU64::new(0);
                    if let Err(e) = feed(
                        &inputs[job.input],
                        range.start,
                        Some(range.end),
                        &mut buf,
                        &sink,
                        |b| again.feed(b),
                    ) {
                        unreadable.push(e);
                    }
                    let _ = ds.add_unit(again.into_unit());
                }
                if job.last_of_input {
                    ds.end_file();
                }
                merge_next += 1;
                merging += m.elapsed();
            }
            tick();
            if disconnected && pending.is_empty() {
                break;
            }
        }
        if timed {
            let f = finished.lock().map(|f| f.clone()).unwrap_or_default();
            let spread = match (f.iter().min(), f.iter().max()) {
                (Some(a), Some(b)) => b.duration_since(*a),
                _ => Duration::ZERO,
            };
            eprintln!(
                "timings: units parsed and merged in {:.3} s; merging {:.3} s of it ({} units); \
                 the first thread out of units idled {:.3} s before the last",
                t0.elapsed().as_secs_f64(),
                merging.as_secs_f64(),
                jobs.len(),
                spread.as_secs_f64()
            );
        }
    });
    unreadable
}

/// Re-reads records from the input files: the CLI side of the store's raw-record view
/// (`EventStore::raw_record`). No command prints raw records yet (the evidence view of phase 2
/// of issue 10 will); the test below proves the round trip.
#[allow(dead_code)]
pub struct Files {
    paths: Vec<(String, PathBuf)>,
}

impl Files {
    pub fn new(inputs: &[Input]) -> Files {
        Files {
            paths: inputs
                .iter()
                .filter_map(|i| match i {
                    Input::File(p) => Some((i.name(), p.clone())),
                    Input::Stdin => None,
                })
                .collect(),
        }
    }
}

/// A [`RawSource`] over the store's file table: file ids resolve by name to the input paths.
#[allow(dead_code)]
pub struct FileSource<'a> {
    pub files: &'a Files,
    pub names: Vec<String>,
}

impl RawSource for FileSource<'_> {
    fn read(&self, file: u32, offset: u64, len: u32, buf: &mut Vec<u8>) -> bool {
        let Some(name) = self.names.get(file as usize) else {
            return false;
        };
        let Some((_, path)) = self.files.paths.iter().find(|(n, _)| n == name) else {
            return false;
        };
        match read_at(path, offset, len as usize) {
            Ok(b) if b.len() == len as usize => {
                *buf = b;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::ingest::IngestOptions;

    #[test]
    fn records_are_re_read_from_plain_files_only() {
        let dir = std::env::temp_dir().join(format!("keyhole-raw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let line = |i: u32| {
            format!(
                "{{\"time\":\"2026-10-01T00:00:{:02}Z\",\"operationName\":\"SecretGet\",\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV\",\"correlationId\":\"{i:08}-0000-4000-8000-000000000000\"}}",
                i % 60
            )
        };
        let text: String = (0..50).map(|i| line(i) + "\n").collect();
        // a BOM: offsets are of the decoded text, the re-read adds the BOM back
        let plain = dir.join("a.jsonl");
        std::fs::write(&plain, [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat()).unwrap();
        let gz = dir.join("b.jsonl.gz");
        let more: String = (50..60).map(|i| line(i) + "\n").collect();
        std::fs::write(&gz, keyhole_gen::zip::gzip(more.as_bytes())).unwrap();
        let inputs = vec![Input::File(plain.clone()), Input::File(gz.clone())];
        let mut ds = Dataset::new(IngestOptions::default());
        let tally = Tally {
            bytes: AtomicU64::new(0),
            records: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        };
        let opts = IngestOptions::default();
        let errs = run(
            &inputs,
            plan(&inputs, 2, &opts, None),
            2,
            &mut ds,
            &tally,
            || {},
        );
        assert!(errs.is_empty(), "{errs:?}");
        let (store, _) = ds.finish_store();
        let files = Files::new(&inputs);
        let src = FileSource {
            files: &files,
            names: store.files().iter().map(|f| f.name.to_string()).collect(),
        };
        let (mut plain_rows, mut gz_rows) = (0, 0);
        for (i, e) in store.rows().enumerate() {
            let raw = store.raw_record(i, &src);
            let corr = e.correlation_id().unwrap();
            if e.source().file.ends_with(".gz") {
                assert!(raw.is_none(), "a decompressed record is not re-read");
                gz_rows += 1;
            } else {
                let raw = String::from_utf8(raw.expect("re-read")).unwrap();
                assert!(raw.starts_with('{') && raw.contains(&*corr), "{raw}");
                plain_rows += 1;
            }
        }
        assert_eq!((plain_rows, gz_rows), (50, 10));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
