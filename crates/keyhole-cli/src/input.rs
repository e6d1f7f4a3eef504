//! Reading PATH arguments (files, folders, `.zip`, `.gz`, `-` for stdin) into the core's push
//! parser, with a progress bar on a terminal and the drop summary on standard error.

use crate::progress::Progress;
use crate::units::{self, Files, Input, Tally};
use keyhole_core::detect::{self, Analysis, DetectConfig};
use keyhole_core::export::{human_bytes, thousands, visible};
use keyhole_core::ingest::{Dataset, IngestOptions, Summary};
use keyhole_core::store::EventStore;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Expands folders (recursively, sorted, hidden entries skipped) into files.
fn expand(paths: &[PathBuf], problems: &mut Vec<String>) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::Stdin);
        } else if p.is_dir() {
            walk(p, &mut out, problems);
        } else if p.exists() {
            out.push(Input::File(p.clone()));
        } else {
            problems.push(format!("{}: no such file or folder", p.display()));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Input>, problems: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            problems.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, problems);
        } else {
            out.push(Input::File(p));
        }
    }
}

/// Everything read from the PATH arguments.
pub struct Loaded {
    pub store: EventStore,
    pub summary: Summary,
    /// Paths that could not be opened at all.
    pub unreadable: Vec<String>,
    /// The input files, to re-read records from.
    #[allow(dead_code)]
    pub files: Files,
    /// The worker threads it was read with (detection uses as many).
    pub threads: usize,
}

/// Worker threads: `--threads N`, else every core.
pub fn threads(arg: Option<usize>) -> usize {
    arg.filter(|&n| n > 0).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

pub fn load(
    paths: &[PathBuf],
    opts: IngestOptions,
    threads: usize,
    unit_bytes: Option<u64>,
) -> Loaded {
    let mut unreadable = Vec::new();
    let inputs = expand(paths, &mut unreadable);
    let total: u64 = inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Input::Stdin => 0,
        })
        .sum();
    let plan = units::plan(&inputs, threads, &opts, unit_bytes);
    let mut how = format!("{threads} thread(s)");
    if !plan.sequential.is_empty() {
        how.push_str(&format!(
            "; read as one sequential stream (gzip, zip, UTF-16, stdin, or no safe cut): {}",
            plan.sequential.join(", ")
        ));
    }
    let mut progress = Progress::new(total, how);
    let mut ds = Dataset::new(opts);
    ds.expect_bytes(total);
    let tally = Tally {
        bytes: AtomicU64::new(0),
        records: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
    };
    let mut shown = 0u64;
    let errors = units::run(&inputs, plan, threads, &mut ds, &tally, || {
        let b = tally.bytes.load(Ordering::Relaxed);
        progress.update(
            b - shown,
            tally.records.load(Ordering::Relaxed),
            tally.skipped.load(Ordering::Relaxed),
        );
        shown = b;
    });
    unreadable.extend(errors);
    progress.finish();
    let t = std::time::Instant::now();
    let (store, summary) = ds.finish_store();
    if crate::output::timings() {
        eprintln!(
            "timings: store finished in {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
    Loaded {
        store,
        summary,
        unreadable,
        files: Files::new(&inputs),
        threads,
    }
}

/// Every rule over the loaded drop, the rules split over the reading threads (the core's
/// `analyze_in_parts`: the same findings for any thread count).
pub fn detect(loaded: &Loaded, cfg: &DetectConfig) -> Analysis {
    detect::analyze_in_parts(&loaded.store, cfg, loaded.threads, |jobs| {
        std::thread::scope(|s| {
            let running: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
            running
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    })
}

/// Files listed one a line in the summary; the rest are counted.
const SUMMARY_FILES: usize = 20;
/// Vault names listed in the summary; the rest are counted.
const SUMMARY_VAULTS: usize = 10;

/// The drop summary on standard error: files, shapes, records, skipped lines with their first
/// reasons (file:line), duplicates, time span, vaults. Every name and reason goes through
/// [`visible`] (log text may hold terminal escapes); long lists end with "… and N more".
pub fn print_summary(l: &Loaded) {
    eprint!("{}", summary_text(l));
}

pub fn summary_text(l: &Loaded) -> String {
    let s = &l.summary;
    let mut err = String::new();
    let skipped: u64 = s.files.iter().map(|f| f.skipped).sum();
    err.push_str(&format!(
        "keyhole: {} file(s), {} record(s), {} duplicate(s) removed, {} skipped\n",
        s.files.len(),
        s.records,
        s.duplicates,
        skipped
    ));
    for f in s.files.iter().take(SUMMARY_FILES) {
        let shapes: Vec<String> = f
            .shapes
            .iter()
            .map(|sh| format!("{sh:?}"))
            .chain(f.wrappers.iter().map(|w| format!("{w:?}")))
            .collect();
        err.push_str(&format!(
            "  {}: {} [{}], {} record(s), {} skipped\n",
            visible(&f.file),
            human_bytes(f.bytes),
            if shapes.is_empty() {
                "unrecognised".to_string()
            } else {
                shapes.join(", ")
            },
            f.records,
            f.skipped
        ));
        for p in f.problems.iter().take(5) {
            err.push_str(&format!(
                "    {}:{}: {}\n",
                visible(&p.file),
                p.line,
                visible(&p.reason)
            ));
        }
        if f.skipped > 5 && f.problems.len() >= 5 {
            err.push_str(&format!("    … {} more\n", thousands(f.skipped - 5)));
        }
    }
    if s.files.len() > SUMMARY_FILES {
        let rest = &s.files[SUMMARY_FILES..];
        err.push_str(&format!(
            "  … and {} more file(s): {} record(s), {} skipped\n",
            thousands(rest.len() as u64),
            thousands(rest.iter().map(|f| f.records).sum()),
            thousands(rest.iter().map(|f| f.skipped).sum())
        ));
    }
    for u in l.unreadable.iter().take(SUMMARY_FILES) {
        err.push_str(&format!("  {}\n", visible(u)));
    }
    if l.unreadable.len() > SUMMARY_FILES {
        err.push_str(&format!(
            "  … and {} more unreadable path(s)\n",
            thousands((l.unreadable.len() - SUMMARY_FILES) as u64)
        ));
    }
    match (s.first, s.last) {
        (Some(a), Some(b)) => err.push_str(&format!("  time span: {a} .. {b}\n")),
        _ => err.push_str("  time span: none\n"),
    }
    let vaults: Vec<String> = s
        .vaults
        .iter()
        .take(SUMMARY_VAULTS)
        .map(|v| visible(v).into_owned())
        .collect();
    let rest = s.vaults.len().saturating_sub(SUMMARY_VAULTS);
    err.push_str(&format!(
        "  vaults ({}): {}{}\n",
        s.vaults.len(),
        vaults.join(", "),
        if rest > 0 {
            format!(" … and {} more", thousands(rest as u64))
        } else {
            String::new()
        }
    ));
    err
}
