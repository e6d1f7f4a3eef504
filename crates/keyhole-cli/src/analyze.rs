//! `keyhole analyze`: every rule of the catalogue over the drop, findings in four formats.

use crate::input::Loaded;
use keyhole_core::detect::{self, DetectConfig, IntelKind};
use keyhole_core::export;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum FindingFormat {
    Table,
    Jsonl,
    Json,
    Csv,
}

/// `--intel KIND=FILE`.
#[derive(Clone, Debug)]
pub struct IntelArg {
    pub kind: IntelKind,
    pub file: PathBuf,
}

pub fn parse_intel(s: &str) -> Result<IntelArg, String> {
    let (kind, file) = s
        .split_once('=')
        .ok_or_else(|| format!("expected KIND=FILE (tor=FILE or suspicious=FILE), got '{s}'"))?;
    let kind = match kind.to_ascii_lowercase().as_str() {
        "tor" => IntelKind::Tor,
        "suspicious" | "ti" | "threat" => IntelKind::Suspicious,
        other => {
            return Err(format!(
                "unknown intel kind '{other}': use tor or suspicious"
            ))
        }
    };
    Ok(IntelArg {
        kind,
        file: PathBuf::from(file),
    })
}

fn read_text(p: &Path) -> Result<String, String> {
    std::fs::read(p)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// Builds the detection config from the command line; list problems are reported, not fatal.
pub fn config(
    intel: &[IntelArg],
    allow: Option<&Path>,
    learning_days: Option<u32>,
) -> Result<DetectConfig, String> {
    let mut cfg = DetectConfig::default();
    if let Some(d) = learning_days {
        cfg.learning_days = d;
    }
    for arg in intel {
        let text = read_text(&arg.file)?;
        let name = arg.file.display().to_string();
        match cfg.add_intel(arg.kind, &name, &text) {
            Ok(n) => eprintln!("keyhole: intel {name}: {n} entries"),
            Err(bad) => {
                for (line, reason) in bad.iter().take(5) {
                    eprintln!("keyhole: {name}:{line}: {reason}");
                }
            }
        }
    }
    if let Some(p) = allow {
        let text = read_text(p)?;
        cfg.add_allow_list(&text);
    }
    Ok(cfg)
}

/// How each rule judged the drop (spec §3): the rules that judged as designed on one line, then
/// one line per rule whose judging this drop limited (vaults shorter than the learning period:
/// in-drop learning, peers, absolute thresholds), or that could not run.
pub fn judging_lines(rules: &[detect::RuleStatus]) -> Vec<String> {
    let mut lines = Vec::new();
    let as_designed: Vec<&str> = rules
        .iter()
        .filter(|r| r.ran && r.note.is_none())
        .map(|r| r.rule)
        .collect();
    if !as_designed.is_empty() {
        lines.push(format!(
            "judged as designed (rolling history after the learning period, or no history needed): {}",
            as_designed.join(", ")
        ));
    }
    for r in rules.iter().filter(|r| !r.ran || r.note.is_some()) {
        lines.push(format!(
            "{}: {}{}",
            r.rule,
            if r.ran { "" } else { "did not run: " },
            r.note.as_deref().unwrap_or(&r.judged)
        ));
    }
    lines
}

pub fn run(
    loaded: &Loaded,
    cfg: &DetectConfig,
    format: FindingFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let t = std::time::Instant::now();
    let analysis = crate::input::detect(loaded, cfg);
    let detect_secs = t.elapsed().as_secs_f64();
    if crate::output::timings() {
        eprintln!("timings: detection {detect_secs:.3} s");
    }
    for line in judging_lines(&analysis.rules) {
        eprintln!("keyhole: {line}");
    }
    eprintln!("keyhole: {} finding(s)", analysis.findings.len());
    let text = match format {
        FindingFormat::Table => export::findings_table(&analysis.findings),
        FindingFormat::Jsonl => export::findings_jsonl(&analysis.findings),
        FindingFormat::Json => export::findings_json(&analysis.findings),
        FindingFormat::Csv => export::findings_csv(&analysis.findings),
    };
    out.write_all(text.as_bytes())?;
    out.flush()
}
