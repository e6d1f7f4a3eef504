//! `keyhole`: the native command line over keyhole-core (spec §4).

mod events;
mod input;
mod output;
mod progress;

use clap::{Parser, Subcommand, ValueEnum};
use keyhole_core::ingest::IngestOptions;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "keyhole",
    version,
    about = "Who touched my Azure Key Vault, and was any of it an attack? Offline analysis of exported audit logs.",
    long_about = None
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

#[derive(Subcommand)]
enum Command {
    /// Print the normalised events (spec §2), de-duplicated and in time order.
    Events {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: EventFormat,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Offset from UTC, in minutes, of a portal CSV "[Local Time]" column (e.g. 120 for UTC+2).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        local_offset: i32,
        /// Files, folders, .zip, .gz, or - for standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Events {
            format,
            output,
            local_offset,
            paths,
        } => {
            let opts = IngestOptions {
                local_time_offset_minutes: local_offset,
                ..IngestOptions::default()
            };
            let loaded = input::load(&paths, opts);
            input::print_summary(&loaded);
            if loaded.summary.records == 0 && loaded.events.is_empty() {
                eprintln!("keyhole: nothing could be read");
                return ExitCode::from(2);
            }
            match output::open(output.as_deref()) {
                Ok(mut out) => {
                    if let Err(e) = events::write(&loaded.events, format, &mut out) {
                        eprintln!("keyhole: write error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
                Err(e) => {
                    eprintln!("keyhole: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
    }
}
