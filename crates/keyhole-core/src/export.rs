//! Output shared by the CLI and the page: findings as table / JSON lines / JSON / CSV, and the
//! text rules every output follows.
//!
//! - **CSV** (RFC 4180): CRLF line ends, cells quoted when they hold `,` `"` CR or LF, and a
//!   cell a spreadsheet would run as a formula — its first non-blank character (after spaces,
//!   tabs, CR, LF, NBSP or any other Unicode white space) is `=` `+` `-` `@`, or it starts with
//!   a tab or CR — gets a leading `'` ([`defuse_csv_cell`]). Log text is attacker-controlled.
//! - **Names on a terminal or a page** go through [`visible`]: control characters (which carry
//!   terminal escape sequences), bidirectional overrides and other invisible format characters
//!   are shown as `⟨U+202E⟩`, so `evil\u{202E}nosj.exe` cannot pass for `evilexe.json`.
//! - **Sizes** are binary (IEC) units, `1.5 MiB` ([`human_bytes`]); counts group thousands
//!   with commas, `199,990` ([`thousands`]).
//! - Evidence in one cell: `file:line` references joined by `; `.

use crate::detect::Finding;
use std::borrow::Cow;

/// A character shown as `⟨U+XXXX⟩` by [`visible`]: controls (C0, DEL, C1), bidi embeddings,
/// overrides, isolates and marks, zero-width and other invisible format characters, line and
/// paragraph separators, and Unicode tags.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180E
            | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0x3164
            | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB | 0xE0000..=0xE0FFF)
}

/// Text safe to show as a name on a terminal or a page: every [`is_hidden_char`] becomes
/// `⟨U+XXXX⟩` (e.g. `\u{1b}` → `⟨U+001B⟩`, `\u{202E}` → `⟨U+202E⟩`); the rest is unchanged.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hidden_char(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes in binary (IEC) units: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.0 GiB`.
pub fn human_bytes(b: u64) -> String {
    const U: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// A count with thousands grouped by commas: `199990` → `199,990`.
pub fn thousands(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Defuse one cell against formula injection (see the module doc): prefix `'` when its first
/// non-blank character is `= + - @`, or when it starts with a tab or CR.
pub fn defuse_csv_cell(s: &str) -> Cow<'_, str> {
    let starts_blank = matches!(s.chars().next(), Some('\t' | '\r'));
    let first = s.chars().find(|c| !c.is_whitespace());
    if starts_blank || matches!(first, Some('=' | '+' | '-' | '@')) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// One CSV cell: defused, then quoted (RFC 4180) when it holds `,` `"` CR or LF.
pub fn csv_cell(s: &str) -> String {
    let d = defuse_csv_cell(s);
    if d.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", d.replace('"', "\"\""))
    } else {
        d.into_owned()
    }
}

/// One CSV record (cells defused and quoted, CRLF-terminated).
pub fn csv_record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(c.as_ref()));
    }
    out.push_str("\r\n");
    out
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
    let mut out = csv_record(CSV_HEADER);
    for f in findings {
        let ev = f
            .evidence
            .iter()
            .map(|e| format!("{}:{}", e.source, e.line))
            .collect::<Vec<_>>()
            .join("; ");
        out.push_str(&csv_record(&[
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
        ]));
    }
    out
}

/// [`visible`], cut to `n` characters with `…`.
pub fn clip(s: &str, n: usize) -> String {
    let s = visible(s);
    if s.chars().count() <= n {
        s.into_owned()
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
        out.push_str(&format!("    {}\n", visible(&f.reason)));
        out.push_str(&format!(
            "    basis: {} (confidence {})\n",
            visible(&f.basis),
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

    #[test]
    fn defuses_by_the_first_non_blank_character() {
        for cell in [
            " =1+1",
            "\n=1+1",
            "\u{a0}@SUM(A1)",
            "  \u{2003}-2",
            "\r\n+3",
            " \t =cmd",
        ] {
            assert!(defuse_csv_cell(cell).starts_with('\''), "{cell:?}");
        }
        for cell in [" 1", "a=b", " kv-1", "\u{a0}x", "user@contoso.com"] {
            assert_eq!(defuse_csv_cell(cell), cell, "{cell:?}");
        }
        assert_eq!(csv_cell(" =1"), "' =1");
        assert_eq!(csv_cell("\n=1"), "\"'\n=1\"");
        assert_eq!(csv_record(&["a", "=b", "c,d"]), "a,'=b,\"c,d\"\r\n");
    }

    #[test]
    fn visible_shows_controls_and_bidi_overrides() {
        assert_eq!(visible("kv-prod"), "kv-prod");
        assert!(matches!(visible("kv-prod"), Cow::Borrowed(_)));
        assert_eq!(visible("evil\u{202E}nosj.exe"), "evil⟨U+202E⟩nosj.exe");
        assert_eq!(
            visible("\u{1b}[31mred\u{1b}[0m"),
            "⟨U+001B⟩[31mred⟨U+001B⟩[0m"
        );
        assert_eq!(
            visible("\u{1b}]0;title\u{7}"),
            "⟨U+001B⟩]0;title⟨U+0007⟩",
            "an OSC title sequence"
        );
        assert_eq!(visible("a\nb\tc"), "a⟨U+000A⟩b⟨U+0009⟩c");
        assert_eq!(visible("\u{9b}31m"), "⟨U+009B⟩31m", "C1 CSI");
        assert_eq!(
            visible("x\u{2066}y\u{200B}z\u{feff}"),
            "x⟨U+2066⟩y⟨U+200B⟩z⟨U+FEFF⟩"
        );
        assert_eq!(visible("Zürich ✓ 日本"), "Zürich ✓ 日本");
        assert_eq!(clip("\u{202E}abcdef", 8), "⟨U+202E…");
    }

    #[test]
    fn sizes_are_binary_units_and_counts_group_thousands() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(199_990), "199,990");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
