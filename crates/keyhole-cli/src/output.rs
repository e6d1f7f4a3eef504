//! Output destinations: standard output or `-o FILE`, buffered.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub fn open(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p.as_os_str() != "-" => Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(p)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?,
        )),
        _ => Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
    })
}

/// One CSV cell per RFC 4180, with spreadsheet formulas defused: a cell that starts with
/// `= + - @` (or a tab / carriage return) gets a leading `'` so a spreadsheet shows it as text.
pub fn csv_cell(s: &str, out: &mut String) {
    let defuse = matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let needs_quotes = defuse || s.contains([',', '"', '\n', '\r']);
    if needs_quotes {
        out.push('"');
        if defuse {
            out.push('\'');
        }
        for c in s.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    fn cell(s: &str) -> String {
        let mut o = String::new();
        csv_cell(s, &mut o);
        o
    }

    #[test]
    fn formulas_are_defused_and_quotes_doubled() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(cell("+1"), "\"'+1\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
