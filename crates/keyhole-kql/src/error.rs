//! Positioned, friendly errors.

use std::fmt;

/// An error in a query: where (1-based line and column, in characters; byte span in the query),
/// what went wrong, and what would have been accepted there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KqlError {
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub expected: Vec<String>,
    /// Byte range in the query text.
    pub span: (usize, usize),
}

impl fmt::Display for KqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for KqlError {}

/// An error before its position has been resolved to line/column.
#[derive(Clone, Debug)]
pub(crate) struct RawError {
    pub span: (usize, usize),
    pub message: String,
    pub expected: Vec<String>,
}

impl RawError {
    pub fn new(span: (usize, usize), message: impl Into<String>) -> RawError {
        RawError {
            span,
            message: message.into(),
            expected: Vec::new(),
        }
    }

    pub fn expected(
        span: (usize, usize),
        message: impl Into<String>,
        expected: &[&str],
    ) -> RawError {
        RawError {
            span,
            message: message.into(),
            expected: expected.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn resolve(self, src: &str) -> KqlError {
        let start = self.span.0.min(src.len());
        let (line, column) = line_col(src, start);
        KqlError {
            line,
            column,
            message: self.message,
            expected: self.expected,
            span: (start, self.span.1.clamp(start, src.len())),
        }
    }
}

pub(crate) type Res<T> = Result<T, RawError>;

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (u32, u32) {
    let mut off = offset.min(src.len());
    while !src.is_char_boundary(off) {
        off -= 1;
    }
    let before = &src[..off];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = src[line_start..off].chars().count() as u32 + 1;
    (line, column)
}

/// Levenshtein distance, case-insensitive, bounded work (names are short; inputs are capped).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(128).flat_map(|c| c.to_lowercase()).collect();
    let b: Vec<char> = b.chars().take(128).flat_map(|c| c.to_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c.eq_ignore_ascii_case(name) {
            return Some(c);
        }
        let d = distance(name, c);
        if best.map(|(bd, _)| d < bd).unwrap_or(true) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (name.chars().count() / 3).clamp(1, 4);
    (d <= limit).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_characters() {
        let src = "ab\ncdé f";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 8), (2, 5));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("OperatioName", ["Resource", "OperationName"]),
            Some("OperationName")
        );
        assert_eq!(did_you_mean("xyz", ["Resource", "OperationName"]), None);
    }
}
