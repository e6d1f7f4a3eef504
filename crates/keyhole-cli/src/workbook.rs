//! `keyhole workbook`: every panel of the page's Alerts, Analytics and Monitoring tabs, as the
//! core computes them (`keyhole_core::workbook`), in JSON (the page's "workbook JSON" export,
//! byte for byte) or as terminal tables. `keyhole report`: the same panels and every alert in
//! one self-contained HTML file.

use crate::input::Loaded;
use keyhole_core::detect::{Analysis, DetectConfig};
use keyhole_core::export::{clip, thousands};
use keyhole_core::workbook::{self, report, Workbook, WorkbookOptions};
use keyhole_core::Timestamp;
use std::fmt::Write as _;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum WorkbookFormat {
    Table,
    Json,
}

/// The mass-retrieval controls of the workbook (the page has the same two fields).
#[derive(clap::Args, Clone, Debug)]
pub struct PanelArgs {
    /// Mass retrieval: successful reads by one principal on one vault within one period.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub mass_threshold: u64,
    /// Mass retrieval: the period, in hours.
    #[arg(long, value_name = "H", default_value_t = 24)]
    pub mass_hours: u64,
}

impl PanelArgs {
    pub fn options(&self) -> WorkbookOptions {
        WorkbookOptions {
            mass_threshold: self.mass_threshold,
            mass_period_hours: self.mass_hours,
            ..WorkbookOptions::default()
        }
    }
}

/// Detection and the workbook over the loaded drop.
pub fn compute(loaded: &Loaded, cfg: &DetectConfig, panels: &PanelArgs) -> (Analysis, Workbook) {
    let analysis = crate::input::detect(loaded, cfg);
    let wb = workbook::compute(&loaded.store, &analysis.findings, &panels.options());
    (analysis, wb)
}

pub fn write(wb: &Workbook, format: WorkbookFormat, out: &mut dyn Write) -> io::Result<()> {
    let text = match format {
        WorkbookFormat::Json => wb.to_json(),
        WorkbookFormat::Table => table(wb),
    };
    out.write_all(text.as_bytes())?;
    out.flush()
}

pub fn write_report(
    loaded: &Loaded,
    analysis: &Analysis,
    wb: &Workbook,
    out: &mut dyn Write,
) -> io::Result<()> {
    let html = report::html(&report::ReportInput {
        summary: &loaded.summary,
        findings: &analysis.findings,
        rules: &analysis.rules,
        workbook: wb,
    });
    out.write_all(html.as_bytes())?;
    out.flush()
}

fn short(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    s.get(..19).map(|x| x.replace('T', " ")).unwrap_or(s)
}

fn score(s: Option<f64>) -> String {
    s.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into())
}

fn more(o: &mut String, shown: usize, total: u64) {
    if (shown as u64) < total {
        let _ = writeln!(o, "  … and {} more", thousands(total - shown as u64));
    }
}

/// The panels as fixed-width text (log text made visible and clipped).
pub fn table(wb: &Workbook) -> String {
    let mut o = String::new();
    let a = &wb.alerts;
    let _ = writeln!(
        o,
        "WORKBOOK  {} events, {} .. {} (UTC), buckets of {}",
        thousands(wb.events),
        wb.first.map(short).unwrap_or_else(|| "-".into()),
        wb.last.map(short).unwrap_or_else(|| "-".into()),
        if wb.grid.bucket_seconds >= 86_400 {
            "a day"
        } else {
            "an hour"
        }
    );
    let _ = writeln!(
        o,
        "\nALERTS  {}: high {}, medium {}, low {}, informational {}",
        thousands(a.total),
        a.severity.high,
        a.severity.medium,
        a.severity.low,
        a.severity.informational
    );
    if !a.by_vault.is_empty() {
        let _ = writeln!(
            o,
            "  {:<32} {:>6} {:>6} {:>6} {:>6}",
            "VAULT", "HIGH", "MED", "LOW", "INFO"
        );
        for v in &a.by_vault {
            let s = v.severity;
            let _ = writeln!(
                o,
                "  {:<32} {:>6} {:>6} {:>6} {:>6}",
                clip(&v.vault, 32),
                s.high,
                s.medium,
                s.low,
                s.informational
            );
        }
        let _ = writeln!(o, "  {:<36} {:>8} {:>10}", "RULE", "ALERTS", "EVENTS");
        for r in &a.by_rule {
            let _ = writeln!(
                o,
                "  {:<36} {:>8} {:>10}",
                clip(&r.rule, 36),
                r.alerts,
                thousands(r.events)
            );
        }
    }
    let c = &wb.coverage;
    let _ = writeln!(o, "\nCOVERAGE  {} vault(s)", thousands(c.total));
    let _ = writeln!(
        o,
        "  {:<28} {:<19} {:<19} {:>9} {:>7} {:>6} {:>5} {:>5} {:>7} {:>7} {:>7}",
        "VAULT",
        "FIRST",
        "LAST",
        "EVENTS",
        "FAILED",
        "PRINC",
        "DAYS",
        "GAPS",
        "HOURS",
        "LATEST",
        "MAX"
    );
    for v in &c.rows {
        let _ = writeln!(
            o,
            "  {:<28} {:<19} {:<19} {:>9} {:>7} {:>6} {:>5} {:>5} {:>7} {:>7} {:>7}",
            clip(&v.vault, 28),
            short(v.first),
            short(v.last),
            thousands(v.events),
            thousands(v.failed),
            v.principals,
            v.days_with_data,
            v.missing_days,
            v.hours_with_data,
            score(v.latest_score),
            score(v.max_score)
        );
    }
    more(&mut o, c.rows.len(), c.total);
    for p in &wb.top {
        for (failed, rows, distinct) in [
            (false, &p.all, p.distinct),
            (true, &p.failed, p.distinct_failed),
        ] {
            let _ = writeln!(
                o,
                "\n{} BY {}  {} distinct",
                if failed { "FAILED EVENTS" } else { "EVENTS" },
                p.dimension.label().to_uppercase(),
                thousands(distinct)
            );
            for r in rows.iter() {
                let _ = writeln!(
                    o,
                    "  {:<48} {:>10} {:>9}",
                    clip(&r.key, 48),
                    thousands(r.events),
                    thousands(r.failed)
                );
            }
            more(&mut o, rows.len(), distinct);
        }
    }
    let cr = &wb.callers;
    let _ = writeln!(o, "\nCALLERS BY IP x VAULT  {}", thousands(cr.total));
    for r in &cr.rows {
        let _ = writeln!(
            o,
            "  {:<40} {:<28} {:>9} {:>7}  {}",
            clip(&r.ip, 40),
            clip(&r.vault, 28),
            thousands(r.events),
            thousands(r.failed),
            clip(&r.identities.join(", "), 60)
        );
    }
    more(&mut o, cr.rows.len(), cr.total);
    let fr = &wb.failures;
    let _ = writeln!(
        o,
        "\nFAILURES BY REQUEST URI x RESULT x STATUS  {}",
        thousands(fr.total)
    );
    for r in &fr.rows {
        let _ = writeln!(
            o,
            "  {:<64} {:<20} {:>5} {:>9}",
            clip(&r.request_uri, 64),
            clip(&r.result_signature, 20),
            r.status.map(|s| s.to_string()).unwrap_or_default(),
            thousands(r.events)
        );
    }
    more(&mut o, fr.rows.len(), fr.total);
    let s = &wb.sensitive;
    let _ = writeln!(
        o,
        "\nSENSITIVE OPERATIONS  {} attempt(s), {} succeeded",
        thousands(s.total),
        thousands(s.succeeded)
    );
    for r in &s.rows {
        let _ = writeln!(
            o,
            "  {:<19} {:<24} {:<22} {:<24} {:<32} {:>5}",
            short(r.time),
            clip(&r.vault, 24),
            clip(&r.operation, 22),
            clip(r.object.as_deref().unwrap_or(""), 24),
            clip(&r.identity, 32),
            r.status.map(|s| s.to_string()).unwrap_or_default()
        );
    }
    more(&mut o, s.rows.len(), s.total);
    let m = &wb.mass_retrieval;
    let _ = writeln!(
        o,
        "\nMASS RETRIEVAL  at least {} reads in {} h: {}",
        thousands(m.threshold),
        m.period_hours,
        thousands(m.total)
    );
    for r in &m.rows {
        let _ = writeln!(
            o,
            "  {:<19} {:<32} {:<28} {:>9} {:>8}",
            short(r.period_start),
            clip(&r.identity, 32),
            clip(&r.vault, 28),
            thousands(r.reads),
            thousands(r.distinct_objects)
        );
    }
    more(&mut o, m.rows.len(), m.total);
    let mo = &wb.monitoring;
    let _ = writeln!(o, "\nMONITORING  (buckets with requests)");
    let _ = writeln!(
        o,
        "  {:<19} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "BUCKET",
        "REQUESTS",
        "FAILED",
        "DENIED",
        "THROTTLED",
        "CHALLENGE",
        "AVG MS",
        "P95 MS",
        "MAX MS"
    );
    for i in (0..wb.grid.buckets).filter(|&i| mo.requests[i] > 0) {
        let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            o,
            "  {:<19} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>8} {:>8}",
            short(wb.grid.time_of(i)),
            mo.requests[i],
            mo.failed[i],
            mo.denied[i],
            mo.throttled[i],
            mo.challenges[i],
            mo.latency_avg_ms[i]
                .map(|x| format!("{x:.1}"))
                .unwrap_or_else(|| "-".into()),
            n(mo.latency_p95_ms[i]),
            n(mo.latency_max_ms[i])
        );
    }
    let ob = &wb.object_ops;
    let _ = writeln!(
        o,
        "\nSECRETS / KEYS / CERTIFICATES OPERATIONS  users / services (buckets with operations)"
    );
    let _ = writeln!(
        o,
        "  {:<19} {:>15} {:>15} {:>15}",
        "BUCKET", "SECRETS", "KEYS", "CERTIFICATES"
    );
    for i in 0..wb.grid.buckets {
        let row = [
            ob.secret_users[i],
            ob.secret_services[i],
            ob.key_users[i],
            ob.key_services[i],
            ob.certificate_users[i],
            ob.certificate_services[i],
        ];
        if row.iter().all(|&x| x == 0) {
            continue;
        }
        let pair = |u: u64, s: u64| format!("{u} / {s}");
        let _ = writeln!(
            o,
            "  {:<19} {:>15} {:>15} {:>15}",
            short(wb.grid.time_of(i)),
            pair(row[0], row[1]),
            pair(row[2], row[3]),
            pair(row[4], row[5])
        );
    }
    o
}
