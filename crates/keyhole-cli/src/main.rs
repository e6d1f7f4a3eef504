//! `keyhole`: the native command line over keyhole-core (spec §4).

mod analyze;
mod events;
mod input;
mod output;
mod progress;
mod query;
mod units;

use analyze::{FindingFormat, IntelArg};
use clap::{Args, Parser, Subcommand, ValueEnum};
use keyhole_core::ingest::IngestOptions;
use keyhole_core::Timestamp;
use query::TableFormat;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "keyhole",
    version,
    about = "Who touched my Azure Key Vault, and was any of it an attack? Offline analysis of exported audit logs."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EventFormat {
    Jsonl,
    Csv,
}

/// How to read: threads and archive limits.
#[derive(Args)]
struct LoadArgs {
    /// Worker threads for reading (default: every core). Large plain files are cut into
    /// record-aligned ranges; the result is the same for any N.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Stop reading an archive (gzip, zip) that expands to more than this many GiB (default 64).
    #[arg(long, value_name = "GB")]
    max_expanded_gb: Option<u64>,
    /// Stop reading an archive that expands to more than this many times its size (default 200).
    #[arg(long, value_name = "RATIO")]
    max_ratio: Option<u64>,
    /// Target size of a parse unit in bytes (tests: many cuts in small files).
    #[arg(long, value_name = "BYTES", hide = true)]
    unit_bytes: Option<u64>,
}

/// Options every subcommand shares: what to read.
#[derive(Args)]
struct InputArgs {
    /// Offset from UTC, in minutes, of a portal CSV "[Local Time]" column (e.g. 120 for UTC+2).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    local_offset: i32,
    #[command(flatten)]
    load: LoadArgs,
    /// Files, folders, .zip, .gz, or - for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run every rule of the alert catalogue and print the findings.
    Analyze {
        /// Threat intel: tor=FILE or suspicious=FILE (one IP or CIDR a line, # comments). Repeatable.
        #[arg(long = "intel", value_name = "KIND=FILE", value_parser = analyze::parse_intel)]
        intel: Vec<IntelArg>,
        /// Principals (upn, object id, app id) and IPs/CIDRs to suppress, one a line.
        #[arg(long, value_name = "FILE")]
        allow: Option<PathBuf>,
        /// Days of each vault's data that only build the baseline (default 7).
        #[arg(long, value_name = "N")]
        learning_days: Option<u32>,
        #[arg(long, value_enum, default_value = "table")]
        format: FindingFormat,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print the normalised events (spec §2), de-duplicated and in time order.
    Events {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: EventFormat,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Run a KQL query over the events (tables AzureDiagnostics and AZKVAuditLogs).
    Query {
        #[arg(long, value_enum, default_value = "table")]
        format: TableFormat,
        /// Read the query from FILE instead of the first argument.
        #[arg(long, value_name = "Q.kql")]
        file: Option<PathBuf>,
        /// What ago() and now() are relative to (default: the end of the dropped data).
        #[arg(long, value_name = "RFC3339", value_parser = query::parse_now)]
        now: Option<Timestamp>,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// The query (unless --file), then files, folders, .zip, .gz, or -.
        #[arg(required = true)]
        args: Vec<String>,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        local_offset: i32,
        #[command(flatten)]
        load: LoadArgs,
    },
}

fn load(paths: &[PathBuf], local_offset: i32, how: &LoadArgs) -> Result<input::Loaded, ExitCode> {
    let opts = IngestOptions {
        local_time_offset_minutes: local_offset,
        max_expanded_bytes: how.max_expanded_gb.map(|g| g.saturating_mul(1 << 30)),
        max_expansion_ratio: how.max_ratio,
        ..IngestOptions::default()
    };
    let t = std::time::Instant::now();
    let threads = input::threads(how.threads);
    let loaded = input::load(paths, opts, threads, how.unit_bytes);
    if std::env::var_os("KEYHOLE_TIMINGS").is_some() {
        let b = loaded.store.heap_bytes();
        eprintln!(
            "timings: ingest {:.3} s ({threads} threads); store {} events, {:.1} bytes/event (columns + provenance), {} MiB in all",
            t.elapsed().as_secs_f64(),
            b.events,
            b.per_event(),
            b.total() >> 20
        );
    }
    input::print_summary(&loaded);
    if loaded.store.is_empty() {
        eprintln!("keyhole: nothing could be read");
        return Err(ExitCode::from(2));
    }
    Ok(loaded)
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("keyhole: {msg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze {
            intel,
            allow,
            learning_days,
            format,
            output,
            input,
        } => {
            let cfg = match analyze::config(&intel, allow.as_deref(), learning_days) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let loaded = match load(&input.paths, input.local_offset, &input.load) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let mut out = match output::open(output.as_deref()) {
                Ok(o) => o,
                Err(e) => return fail(e),
            };
            match analyze::run(&loaded, &cfg, format, &mut out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("write error: {e}")),
            }
        }
        Command::Events {
            format,
            output,
            input,
        } => {
            let loaded = match load(&input.paths, input.local_offset, &input.load) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let mut out = match output::open(output.as_deref()) {
                Ok(o) => o,
                Err(e) => return fail(e),
            };
            match events::write(&loaded.store, format, &mut out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("write error: {e}")),
            }
        }
        Command::Query {
            format,
            file,
            now,
            output,
            mut args,
            local_offset,
            load: how,
        } => {
            let query = match file {
                Some(f) => match std::fs::read_to_string(&f) {
                    Ok(q) => q,
                    Err(e) => return fail(format!("{}: {e}", f.display())),
                },
                None => args.remove(0),
            };
            if args.is_empty() {
                return fail("no PATH given: name files, folders, .zip, .gz or - after the query");
            }
            let paths: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
            let loaded = match load(&paths, local_offset, &how) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let mut out = match output::open(output.as_deref()) {
                Ok(o) => o,
                Err(e) => return fail(e),
            };
            match query::run(&loaded, &query, now, format, &mut out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
    }
}
