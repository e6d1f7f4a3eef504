//! `keyhole`: the native command line over keyhole-core (spec §4).

mod analyze;
mod events;
mod input;
mod output;
mod progress;
mod query;
mod replay;
mod rules;
mod units;
mod workbook;

use analyze::{FindingFormat, IntelArg};
use clap::{Args, Parser, Subcommand, ValueEnum};
use keyhole_core::ingest::IngestOptions;
use keyhole_core::{LocalZone, Timestamp};
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

/// The detection options of `analyze`, shared by `workbook` and `report`.
#[derive(Args)]
struct DetectArgs {
    /// Threat intel: tor=FILE or suspicious=FILE (one IP or CIDR a line, # comments). Repeatable.
    #[arg(long = "intel", value_name = "KIND=FILE", value_parser = analyze::parse_intel)]
    intel: Vec<IntelArg>,
    /// Principals (upn, object id, app id) and IPs/CIDRs to suppress, one a line.
    #[arg(long, value_name = "FILE")]
    allow: Option<PathBuf>,
    /// Days of each vault's data that only build the baseline (default 7).
    #[arg(long, value_name = "N")]
    learning_days: Option<u32>,
}

impl DetectArgs {
    fn config(&self) -> Result<keyhole_core::detect::DetectConfig, String> {
        analyze::config(&self.intel, self.allow.as_deref(), self.learning_days)
    }
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

/// The zone of a portal CSV export's "TimeGenerated [Local Time]" column.
#[derive(Args)]
struct ZoneArgs {
    /// The zone a portal CSV "[Local Time]" column was exported in: an IANA zone (Europe/Berlin:
    /// each time gets the offset in force then, daylight saving included) or a fixed offset
    /// (+02:00). Default: this computer's zone, as the page reads it (the `TZ` environment
    /// variable when it names a zone, else the system's), UTC when neither can be told.
    #[arg(long, value_name = "ZONE", value_parser = parse_zone, conflicts_with = "local_offset")]
    local_zone: Option<LocalZone>,
    /// A fixed offset from UTC in minutes for a "[Local Time]" column (120 for UTC+02:00).
    #[arg(long, value_name = "MINUTES", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-840..=840))]
    local_offset: Option<i32>,
}

impl ZoneArgs {
    fn zone(&self) -> LocalZone {
        self.local_zone
            .or(self.local_offset.map(LocalZone::fixed))
            .or_else(this_computer_zone)
            .unwrap_or_default()
    }
}

/// This computer's zone, the default for a "[Local Time]" column: a portal export's local times
/// are those of the browser that exported them, most often on the machine that reads them, and
/// the page defaults to its browser's zone the same way. `TZ` wins when it names a zone (`:` prefix
/// allowed, as libc takes it); a POSIX rule such as `CET-1CEST` is not a zone name and falls
/// through to the system's setting.
fn this_computer_zone() -> Option<LocalZone> {
    let from_env = std::env::var("TZ")
        .ok()
        .and_then(|tz| LocalZone::parse(tz.trim_start_matches(':')).ok());
    from_env.or_else(|| {
        iana_time_zone::get_timezone()
            .ok()
            .and_then(|name| LocalZone::parse(&name).ok())
    })
}

fn parse_zone(s: &str) -> Result<LocalZone, String> {
    LocalZone::parse(s)
}

/// Options every subcommand shares: what to read.
#[derive(Args)]
struct InputArgs {
    #[command(flatten)]
    zone: ZoneArgs,
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
        #[command(flatten)]
        detect: DetectArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: FindingFormat,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print every panel of the page's Alerts, Analytics and Monitoring tabs.
    Workbook {
        #[command(flatten)]
        detect: DetectArgs,
        #[command(flatten)]
        panels: workbook::PanelArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: workbook::WorkbookFormat,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Write one self-contained, script-free HTML report: every alert and every workbook panel.
    Report {
        #[command(flatten)]
        detect: DetectArgs,
        #[command(flatten)]
        panels: workbook::PanelArgs,
        /// The HTML file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
        output: PathBuf,
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
        /// Bind a workbook parameter ({NAME}, {NAME:start}, … in the query), repeatable.
        /// Unset ones take what a workbook would pick on the drop (every vault, the whole
        /// time range, the workbook's thresholds). A time range (START..END or a timespan such
        /// as 14d) is also the query's time context: every table is narrowed to it, as a
        /// workbook item's time range narrows its query (TimeRange, or the time range the
        /// query names).
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = query::parse_param)]
        params: Vec<(String, String)>,
        /// The query (unless --file), then files, folders, .zip, .gz, or -.
        #[arg(required = true)]
        args: Vec<String>,
        #[command(flatten)]
        zone: ZoneArgs,
        /// Run the query as a scheduler would, every FREQ (5m, 1h, 1d…) across the drop, with
        /// now() at each tick; the rows of every run, with a ReplayTime column.
        #[arg(long, value_name = "FREQ", value_parser = replay::parse_duration)]
        replay: Option<i64>,
        /// With --replay: each run sees only the last PERIOD of events (Sentinel's queryPeriod).
        #[arg(long, value_name = "PERIOD", value_parser = replay::parse_duration, requires = "replay")]
        period: Option<i64>,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// The alert catalogue; every rule as a Microsoft Sentinel analytics rule or KQL query.
    Rules {
        #[arg(long, value_enum, default_value = "table")]
        format: rules::RulesFormat,
        /// The table the exported queries read.
        #[arg(long, default_value = "AzureDiagnostics", value_parser = rules::parse_table)]
        table: keyhole_core::detect::sentinel::LogTable,
        /// Write one file a rule into DIR (YAML or .kql; watchlists in DIR/watchlists).
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
        /// Keep every list inline even past Sentinel's 10,000-character query limit (for
        /// `keyhole query --replay`, which has no watchlists).
        #[arg(long)]
        inline_lists: bool,
        /// Threat intel the queries carry: tor=FILE or suspicious=FILE. Repeatable.
        #[arg(long = "intel", value_name = "KIND=FILE", value_parser = analyze::parse_intel)]
        intel: Vec<IntelArg>,
        /// Principals and IPs/CIDRs the queries allow-list, one a line.
        #[arg(long, value_name = "FILE")]
        allow: Option<PathBuf>,
        #[arg(long, value_name = "N")]
        learning_days: Option<u32>,
    },
}

fn load(paths: &[PathBuf], zone: LocalZone, how: &LoadArgs) -> Result<input::Loaded, ExitCode> {
    let opts = IngestOptions {
        local_zone: zone,
        max_expanded_bytes: how.max_expanded_gb.map(|g| g.saturating_mul(1 << 30)),
        max_expansion_ratio: how.max_ratio,
        ..IngestOptions::default()
    };
    let t = std::time::Instant::now();
    let threads = input::threads(how.threads);
    let loaded = input::load(paths, opts, threads, how.unit_bytes);
    if crate::output::timings() {
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

/// What `analyze`, `workbook` and `report` start with: the detection config, the drop, and
/// where the output goes.
fn prepare(
    detect: &DetectArgs,
    input: &InputArgs,
    output: Option<&std::path::Path>,
) -> Result<
    (
        keyhole_core::detect::DetectConfig,
        input::Loaded,
        Box<dyn std::io::Write>,
    ),
    ExitCode,
> {
    let cfg = detect.config().map_err(fail)?;
    let loaded = load(&input.paths, input.zone.zone(), &input.load)?;
    let out = output::open(output).map_err(fail)?;
    Ok((cfg, loaded, out))
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("keyhole: {msg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze {
            detect,
            format,
            output,
            input,
        } => {
            let (cfg, loaded, mut out) = match prepare(&detect, &input, output.as_deref()) {
                Ok(p) => p,
                Err(code) => return code,
            };
            match analyze::run(&loaded, &cfg, format, &mut out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("write error: {e}")),
            }
        }
        Command::Workbook {
            detect,
            panels,
            format,
            output,
            input,
        } => {
            let (cfg, loaded, mut out) = match prepare(&detect, &input, output.as_deref()) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let (_, wb) = workbook::compute(&loaded, &cfg, &panels);
            match workbook::write(&wb, format, &mut out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("write error: {e}")),
            }
        }
        Command::Report {
            detect,
            panels,
            output,
            input,
        } => {
            let (cfg, loaded, mut out) = match prepare(&detect, &input, Some(&output)) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let (analysis, wb) = workbook::compute(&loaded, &cfg, &panels);
            eprintln!("keyhole: {} finding(s)", analysis.findings.len());
            match workbook::write_report(&loaded, &analysis, &wb, &mut out) {
                Ok(()) => {
                    eprintln!("keyhole: report written to {}", output.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("write error: {e}")),
            }
        }
        Command::Events {
            format,
            output,
            input,
        } => {
            let loaded = match load(&input.paths, input.zone.zone(), &input.load) {
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
            params,
            mut args,
            zone,
            replay,
            period,
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
            let loaded = match load(&paths, zone.zone(), &how) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let mut out = match output::open(output.as_deref()) {
                Ok(o) => o,
                Err(e) => return fail(e),
            };
            let done = match replay {
                Some(every) => {
                    replay::run(&loaded, &query, every, period, &params, format, &mut out)
                }
                None => query::run(&loaded, &query, now, &params, format, &mut out),
            };
            match done {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Command::Rules {
            format,
            table,
            output,
            inline_lists,
            intel,
            allow,
            learning_days,
        } => {
            let cfg = match analyze::config(&intel, allow.as_deref(), learning_days) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            match rules::run(&cfg, format, table, inline_lists, output.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
    }
}
