//! Findings → table text, JSON lines, JSON and CSV. CSV cells that a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) are defused with a leading
//! `'`: log text is attacker-controlled.

use crate::detect::Finding;

/// Defuse one cell against formula injection: prefix `'` when it starts with = + - @ tab CR.
pub fn defuse_csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Quote a (defused) cell for CSV (RFC 4180): quotes when it holds , " CR or LF.
pub fn csv_cell(s: &str) -> String {
    let d = defuse_csv_cell(s);
    if d.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", d.replace('"', "\"\""))
    } else {
        d
    }
}

/// One finding a line, spec §4's field order.
pub fn findings_jsonl(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&serde_json::to_string(f).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// A JSON array of findings (pretty-printed).
pub fn findings_json(findings: &[Finding]) -> String {
    let mut s = serde_json::to_string_pretty(findings).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

pub const CSV_HEADER: &[&str] = &[
    "rule",
    "title",
    "severity",
    "tactics",
    "vault",
    "upn",
    "object_id",
    "app_id",
    "ip",
    "first_seen",
    "last_seen",
    "count",
    "reason",
    "basis",
    "confidence",
    "evidence",
];

/// CSV with a header row; evidence as `file:line` joined by `; `.
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for f in findings {
        let ev = f
            .evidence
            .iter()
            .map(|e| format!("{}:{}", e.source, e.line))
            .collect::<Vec<_>>()
            .join("; ");
        let cells = [
            f.rule.to_string(),
            f.title.clone(),
            f.severity.as_str().to_string(),
            f.tactics.join(" "),
            f.vault.clone(),
            f.identity.upn.clone().unwrap_or_default(),
            f.identity.object_id.clone().unwrap_or_default(),
            f.identity.app_id.clone().unwrap_or_default(),
            f.ip.clone().unwrap_or_default(),
            f.first_seen.to_rfc3339(),
            f.last_seen.to_rfc3339(),
            f.count.to_string(),
            f.reason.clone(),
            f.basis.clone(),
            f.confidence.as_str().to_string(),
            ev,
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// Control characters (from attacker-controlled log text) shown as `?` in terminal output.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn clip(s: &str, n: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A fixed-width table for terminals: one row a finding, reason on its own indented line.
pub fn findings_table(findings: &[Finding]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<20} {:<13} {:<36} {:<24} {:<32} {:>6}\n",
        "FIRST SEEN", "SEVERITY", "RULE", "VAULT", "IDENTITY", "COUNT"
    ));
    for f in findings {
        let t = f.first_seen.to_rfc3339();
        out.push_str(&format!(
            "{:<20} {:<13} {:<36} {:<24} {:<32} {:>6}\n",
            clip(&t[..t.len().min(19)], 20),
            f.severity.as_str(),
            clip(f.rule, 36),
            clip(&f.vault, 24),
            clip(f.identity.label(), 32),
            f.count
        ));
        out.push_str(&format!("    {}\n", clean(&f.reason)));
        out.push_str(&format!(
            "    basis: {} (confidence {})\n",
            clean(&f.basis),
            f.confidence.as_str()
        ));
    }
    if findings.is_empty() {
        out.push_str("(no findings)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defuses_formula_cells() {
        assert_eq!(defuse_csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse_csv_cell("+1"), "'+1");
        assert_eq!(defuse_csv_cell("-1"), "'-1");
        assert_eq!(defuse_csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse_csv_cell("\tx"), "'\tx");
        assert_eq!(defuse_csv_cell("\rx"), "'\rx");
        assert_eq!(defuse_csv_cell("kv1"), "kv1");
        assert_eq!(defuse_csv_cell(""), "");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_cell("=1,2"), "\"'=1,2\"");
    }
}
