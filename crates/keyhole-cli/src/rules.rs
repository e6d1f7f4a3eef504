//! `keyhole rules`: the alert catalogue, and every rule as a Microsoft Sentinel scheduled
//! analytics rule (the core builds the queries and documents; this writes them).

use keyhole_core::detect::sentinel::{
    self, Exactness, ExportOptions, Exported, ListMode, LogTable,
};
use keyhole_core::detect::DetectConfig;
use serde_json::json;
use std::io::Write;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    /// One line a rule: id, severity, tactics, techniques, schedule, thresholds.
    Table,
    /// The catalogue with thresholds, defaults and the Sentinel metadata.
    Json,
    /// One Azure-Sentinel analytics-rule YAML a rule (with -o DIR: DIR/RULE.yaml and the
    /// watchlists they read in DIR/watchlists/).
    Sentinel,
    /// The queries alone (with -o DIR: DIR/RULE.kql).
    Kql,
}

pub fn parse_table(s: &str) -> Result<LogTable, String> {
    LogTable::parse(s)
        .ok_or_else(|| format!("unknown table '{s}': use AzureDiagnostics or AZKVAuditLogs"))
}

/// The exported rules, in catalogue order.
pub fn exported(cfg: &DetectConfig, table: LogTable, inline: bool) -> Vec<Exported> {
    sentinel::export(
        cfg,
        ExportOptions {
            table,
            lists: if inline {
                ListMode::Inline
            } else {
                ListMode::Auto
            },
        },
    )
}

/// One rule as YAML in the Azure-Sentinel repository's schema.
pub fn yaml(e: &Exported) -> Result<String, String> {
    serde_norway::to_string(&e.doc).map_err(|e| format!("YAML: {e}"))
}

fn table_text(cfg: &DetectConfig, table: LogTable) -> String {
    let mut rows: Vec<[String; 7]> = vec![[
        "RULE".into(),
        "SEVERITY".into(),
        "TACTICS".into(),
        "TECHNIQUES".into(),
        "SENTINEL".into(),
        "EXACT".into(),
        "THRESHOLDS (default)".into(),
    ]];
    for r in sentinel::RULES {
        let info = r.info();
        let params: Vec<String> = r
            .params(cfg)
            .iter()
            .map(|p| {
                if p.value == p.default {
                    format!("{}={}", p.name, p.value)
                } else {
                    format!("{}={} ({})", p.name, p.value, p.default)
                }
            })
            .collect();
        rows.push([
            info.id.to_string(),
            info.severity.as_str().to_string(),
            info.tactics.join(","),
            r.techniques.join(","),
            format!(
                "every {} over {}",
                sentinel::timespan(r.frequency),
                sentinel::timespan(r.period(cfg))
            ),
            match r.exactness {
                Exactness::Exact => "yes".into(),
                Exactness::Approximate(_) => "approx".into(),
            },
            params.join(" "),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 6 {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        s.push_str(line.join("  ").trim_end());
        s.push('\n');
    }
    s.push_str(&format!(
        "\nSentinel queries read {}; `keyhole rules --format sentinel -o DIR` writes one analytics rule a file.\n",
        table.name()
    ));
    s
}

fn json_text(cfg: &DetectConfig, table: LogTable) -> String {
    let v: Vec<serde_json::Value> = sentinel::RULES
        .iter()
        .map(|r| {
            let info = r.info();
            json!({
                "id": info.id,
                "title": info.title,
                "severity": info.severity,
                "tactics": info.tactics,
                "techniques": r.techniques,
                "origin": info.origin,
                "description": info.doc,
                "needs_baseline": info.needs_baseline,
                "thresholds": r.params(cfg),
                "sentinel": {
                    "id": r.guid(table),
                    "table": table.name(),
                    "queryFrequency": sentinel::timespan(r.frequency),
                    "queryPeriod": sentinel::timespan(r.period(cfg)),
                    "exactness": r.exactness,
                    "description": r.description(cfg, table),
                },
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `keyhole rules`.
pub fn run(
    cfg: &DetectConfig,
    format: RulesFormat,
    table: LogTable,
    inline: bool,
    dir: Option<&Path>,
) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    let mut print = |s: &str| -> Result<(), String> {
        stdout
            .write_all(s.as_bytes())
            .and_then(|_| stdout.flush())
            .map_err(|e| format!("write error: {e}"))
    };
    match format {
        RulesFormat::Table => print(&table_text(cfg, table)),
        RulesFormat::Json => match dir {
            Some(d) => {
                std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
                write_file(&d.join("rules.json"), &json_text(cfg, table))
            }
            None => print(&json_text(cfg, table)),
        },
        RulesFormat::Sentinel | RulesFormat::Kql => {
            let rules = exported(cfg, table, inline);
            let ext = if format == RulesFormat::Kql {
                "kql"
            } else {
                "yaml"
            };
            let text_of = |e: &Exported| -> Result<String, String> {
                if format == RulesFormat::Kql {
                    Ok(e.query.clone())
                } else {
                    yaml(e)
                }
            };
            match dir {
                Some(d) => {
                    std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
                    let mut lists = std::collections::BTreeMap::new();
                    for e in &rules {
                        write_file(&d.join(format!("{}.{ext}", e.rule)), &text_of(e)?)?;
                        for w in &e.watchlists {
                            lists.insert(w.alias, w.csv());
                        }
                    }
                    if !lists.is_empty() {
                        let wd = d.join("watchlists");
                        std::fs::create_dir_all(&wd)
                            .map_err(|e| format!("{}: {e}", wd.display()))?;
                        for (alias, csv) in &lists {
                            write_file(&wd.join(format!("{alias}.csv")), csv)?;
                        }
                    }
                    eprintln!(
                        "keyhole: {} rule(s) for {} in {}{}",
                        rules.len(),
                        table.name(),
                        d.display(),
                        if lists.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; watchlists to upload first (search key: Range): {}",
                                lists.keys().copied().collect::<Vec<_>>().join(", ")
                            )
                        }
                    );
                    Ok(())
                }
                None => {
                    let mut out = String::new();
                    for (i, e) in rules.iter().enumerate() {
                        if format == RulesFormat::Kql {
                            out.push_str(&format!("// ---- {}\n", e.rule));
                        } else if i > 0 {
                            out.push_str("---\n");
                        }
                        out.push_str(&text_of(e)?);
                        if format == RulesFormat::Kql {
                            out.push('\n');
                        }
                    }
                    print(&out)
                }
            }
        }
    }
}
