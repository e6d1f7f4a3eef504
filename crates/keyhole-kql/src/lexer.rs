//! Tokens of KQL, with byte spans. The lexer never panics and never loops: every step consumes
//! at least one byte; bad characters become positioned errors (or `Error` tokens for the
//! highlighter).

use crate::error::{RawError, Res};
use keyhole_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC};
use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    Long(i64),
    Real(f64),
    /// Microseconds.
    TimeSpan(i64),
    /// Punctuation and symbolic operators: `|`, `(`, `==`, `..`, …
    Sym(&'static str),
    /// The unparsed text inside `datetime(…)` / `guid(…)` (quotes removed).
    Raw(String),
    Comment,
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: (usize, usize),
}

/// What the page's editor colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Tabular operators and clause words: `where`, `summarize`, `by`, `on`, `kind`, `let`, …
    Keyword,
    /// Word operators: `and`, `or`, `has`, `contains`, `in`, `between`, …
    Operator,
    /// A name followed by `(`.
    Function,
    /// Columns, tables and let names.
    Identifier,
    String,
    Number,
    TimeSpan,
    Comment,
    /// `|`, `(`, `==`, `,`, …
    Punctuation,
    /// Text the lexer cannot read (unterminated string, stray character).
    Error,
}

/// Multi-word operators joined by a dash.
const DASHED: &[&str] = &[
    "project-rename",
    "project-away",
    "project-keep",
    "project-reorder",
    "project-by-names",
    "project-smart",
    "mv-expand",
    "mv-apply",
    "make-series",
    "parse-where",
    "parse-kv",
];

const SYMS: &[&str] = &[
    "..", "==", "!=", "<>", "<=", ">=", "=~", "!~", "=>", "|", "(", ")", "[", "]", "{", "}", ",",
    ";", ".", "=", "<", ">", "+", "-", "*", "/", "%", ":", "!",
];

fn timespan_unit(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => MICROS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => MICROS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => MICROS_PER_MIN,
        "s" | "sec" | "second" | "seconds" => MICROS_PER_SEC,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1000,
        "microsecond" | "microseconds" => 1,
        _ => return None,
    })
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    pending: Vec<Token>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            b: src.as_bytes(),
            i: 0,
            pending: Vec::new(),
        }
    }

    /// After `datetime` / `guid`: `(`, the raw text up to `)`, `)` — their contents are not KQL
    /// tokens (`datetime(2024-04-03T14:03:10Z)`). After `timespan` / `time` only when the text
    /// has a colon (`time(1.02:03:04.5)`, .NET's form; `timespan(1d)` stays tokens).
    fn raw_literal(&mut self, needs_colon: bool) {
        let mut j = self.i;
        while j < self.b.len() && self.b[j].is_ascii_whitespace() {
            j += 1;
        }
        if self.b.get(j) != Some(&b'(') {
            return;
        }
        let open = j;
        let Some(close) = self.b[open + 1..]
            .iter()
            .position(|&c| c == b')' || c == b'\n')
        else {
            return;
        };
        let close = open + 1 + close;
        if self.b[close] != b')' {
            return;
        }
        let text = self.src[open + 1..close].trim();
        if needs_colon && !text.contains(':') {
            return;
        }
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
            .unwrap_or(text);
        // Reversed: next_token pops from the end.
        self.pending.push(Token {
            tok: Tok::Sym(")"),
            span: (close, close + 1),
        });
        self.pending.push(Token {
            tok: Tok::Raw(text.to_string()),
            span: (open + 1, close),
        });
        self.pending.push(Token {
            tok: Tok::Sym("("),
            span: (open, open + 1),
        });
        self.i = close + 1;
    }

    fn ident_end(&self, from: usize) -> usize {
        let mut j = from;
        while j < self.b.len() {
            if is_ident_char(self.b[j]) {
                j += 1;
            } else if self.b[j] >= 0x80 {
                match self.src[j..].chars().next() {
                    Some(c) if c.is_alphanumeric() => j += c.len_utf8(),
                    _ => break,
                }
            } else {
                break;
            }
        }
        j
    }

    fn unicode_letter_at(&self, i: usize) -> bool {
        self.b[i] >= 0x80
            && self.src.is_char_boundary(i)
            && self.src[i..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic())
    }

    /// The next token (comments included), or an error at the offending text.
    pub fn next_token(&mut self) -> Res<Token> {
        if let Some(t) = self.pending.pop() {
            return Ok(t);
        }
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let start = self.i;
        if start >= self.b.len() {
            return Ok(Token {
                tok: Tok::Eof,
                span: (start, start),
            });
        }
        let c = self.b[start];
        let rest = &self.b[start..];
        // Comments.
        if rest.starts_with(b"//") {
            let end = memchr_nl(self.b, start);
            self.i = end;
            return Ok(Token {
                tok: Tok::Comment,
                span: (start, end),
            });
        }
        // Strings: "…", '…', verbatim @"…" / @'…', with \ escapes in the non-verbatim forms.
        if c == b'"' || c == b'\'' || (c == b'@' && matches!(rest.get(1), Some(b'"' | b'\''))) {
            return self.string(start);
        }
        // `!in`, `!has`, `!contains`, … as one word.
        if c == b'!' && rest.len() > 1 && rest[1].is_ascii_alphabetic() {
            let mut end = self.ident_end(start + 1);
            if self.b.get(end) == Some(&b'~') {
                end += 1;
            }
            self.i = end;
            return Ok(Token {
                tok: Tok::Ident(self.src[start..end].to_string()),
                span: (start, end),
            });
        }
        if c.is_ascii_digit()
            || (c == b'.'
                && rest.get(1).is_some_and(|d| d.is_ascii_digit())
                && rest.get(1) != Some(&b'.'))
        {
            return self.number(start);
        }
        if is_ident_start(c) || self.unicode_letter_at(start) {
            // Past the identifier's first character (which may be several bytes).
            let first_len = self.src[start..]
                .chars()
                .next()
                .map(|ch| ch.len_utf8())
                .unwrap_or(1);
            let mut end = self.ident_end(start + first_len);
            let word = &self.src[start..end];
            // Dashed operator names (`project-by-names` has two dashes; no more are looked at,
            // so that `a-b-c-…` stays linear).
            let mut at = end;
            for _ in 0..2 {
                if self.b.get(at) != Some(&b'-') {
                    break;
                }
                at = self.ident_end(at + 1);
                let joined = &self.src[start..at];
                if DASHED.iter().any(|d| d.eq_ignore_ascii_case(joined)) {
                    end = at;
                    break;
                }
            }
            // `in~`, `has_any`-style words are plain identifiers; `in~` needs the tilde.
            if (word == "in") && self.b.get(end) == Some(&b'~') {
                end += 1;
            }
            self.i = end;
            let word = &self.src[start..end];
            if word == "datetime" || word == "guid" {
                self.raw_literal(false);
            } else if word == "timespan" || word == "time" {
                self.raw_literal(true);
            }
            return Ok(Token {
                tok: Tok::Ident(word.to_string()),
                span: (start, end),
            });
        }
        // Bracketed names: ['name with spaces'] / ["…"].
        let after_operand = start > 0
            && (is_ident_char(self.b[start - 1]) || matches!(self.b[start - 1], b')' | b']'));
        if c == b'[' && !after_operand && matches!(rest.get(1), Some(b'\'' | b'"')) {
            let q = rest[1];
            if let Some(close) = self.b[start + 2..].iter().position(|&x| x == q) {
                let name_end = start + 2 + close;
                if self.b.get(name_end + 1) == Some(&b']') {
                    self.i = name_end + 2;
                    return Ok(Token {
                        tok: Tok::Ident(self.src[start + 2..name_end].to_string()),
                        span: (start, self.i),
                    });
                }
            }
        }
        for s in SYMS {
            if rest.starts_with(s.as_bytes()) {
                self.i = start + s.len();
                return Ok(Token {
                    tok: Tok::Sym(s),
                    span: (start, self.i),
                });
            }
        }
        let ch = self.src[start..].chars().next().unwrap_or('?');
        self.i = start + ch.len_utf8();
        Err(RawError::new(
            (start, self.i),
            format!("unexpected character '{}'", ch.escape_debug()),
        ))
    }

    fn string(&mut self, start: usize) -> Res<Token> {
        let verbatim = self.b[start] == b'@';
        let qpos = if verbatim { start + 1 } else { start };
        let q = self.b[qpos];
        let mut j = qpos + 1;
        let mut out = String::new();
        loop {
            if j >= self.b.len() || self.b[j] == b'\n' {
                self.i = j;
                return Err(RawError::expected(
                    (start, j),
                    "unterminated string literal",
                    &[if q == b'"' { "\"" } else { "'" }],
                ));
            }
            let c = self.b[j];
            if c == q {
                if verbatim && self.b.get(j + 1) == Some(&q) {
                    out.push(q as char);
                    j += 2;
                    continue;
                }
                j += 1;
                break;
            }
            if c == b'\\' && !verbatim {
                let n = self.b.get(j + 1).copied().unwrap_or(b'\\');
                match n {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'\\' => out.push('\\'),
                    b'"' => out.push('"'),
                    b'\'' => out.push('\''),
                    _ => {
                        out.push('\\');
                        j += 1;
                        continue;
                    }
                }
                j += 2;
                continue;
            }
            let ch = self.src[j..].chars().next().unwrap_or('?');
            out.push(ch);
            j += ch.len_utf8();
        }
        self.i = j;
        Ok(Token {
            tok: Tok::Str(out),
            span: (start, j),
        })
    }

    fn number(&mut self, start: usize) -> Res<Token> {
        let mut j = start;
        let digits = |j: &mut usize, b: &[u8]| {
            while *j < b.len() && b[*j].is_ascii_digit() {
                *j += 1;
            }
        };
        // Hex.
        if self.b[j] == b'0' && matches!(self.b.get(j + 1), Some(b'x' | b'X')) {
            let mut k = j + 2;
            while k < self.b.len() && self.b[k].is_ascii_hexdigit() {
                k += 1;
            }
            self.i = k;
            let v = i64::from_str_radix(&self.src[j + 2..k], 16)
                .map_err(|_| RawError::new((start, k), "invalid hexadecimal number"))?;
            return Ok(Token {
                tok: Tok::Long(v),
                span: (start, k),
            });
        }
        digits(&mut j, self.b);
        let mut real = false;
        if self.b.get(j) == Some(&b'.') && self.b.get(j + 1).is_some_and(|d| d.is_ascii_digit()) {
            real = true;
            j += 1;
            digits(&mut j, self.b);
        }
        if matches!(self.b.get(j), Some(b'e' | b'E'))
            && (self.b.get(j + 1).is_some_and(|d| d.is_ascii_digit())
                || (matches!(self.b.get(j + 1), Some(b'+' | b'-'))
                    && self.b.get(j + 2).is_some_and(|d| d.is_ascii_digit())))
        {
            real = true;
            j += 2;
            digits(&mut j, self.b);
        }
        let text = &self.src[start..j];
        // Timespan suffix: 30d, 1.5h, 10m, 100ms, 2tick, 3 days is not allowed (no space).
        if j < self.b.len() && self.b[j].is_ascii_alphabetic() {
            let e = self.ident_end(j);
            let unit = &self.src[j..e];
            let n: f64 = text.parse().unwrap_or(0.0);
            let micros = if unit == "tick" || unit == "ticks" {
                Some((n / 10.0) as i64)
            } else {
                timespan_unit(unit).map(|u| (n * u as f64).round() as i64)
            };
            return match micros {
                Some(m) => {
                    self.i = e;
                    Ok(Token {
                        tok: Tok::TimeSpan(m),
                        span: (start, e),
                    })
                }
                None => {
                    self.i = e;
                    Err(RawError::expected(
                        (j, e),
                        format!("unknown timespan unit '{unit}'"),
                        &["d", "h", "m", "s", "ms", "microsecond", "tick"],
                    ))
                }
            };
        }
        self.i = j;
        if real {
            let v: f64 = text
                .parse()
                .map_err(|_| RawError::new((start, j), "invalid number"))?;
            Ok(Token {
                tok: Tok::Real(v),
                span: (start, j),
            })
        } else {
            match text.parse::<i64>() {
                Ok(v) => Ok(Token {
                    tok: Tok::Long(v),
                    span: (start, j),
                }),
                Err(_) => match text.parse::<f64>() {
                    Ok(v) => Ok(Token {
                        tok: Tok::Real(v),
                        span: (start, j),
                    }),
                    Err(_) => Err(RawError::new((start, j), "invalid number")),
                },
            }
        }
    }
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map(|p| from + p)
        .unwrap_or(b.len())
}

/// All tokens except comments, ending with `Eof`.
pub(crate) fn tokenize(src: &str) -> Res<Vec<Token>> {
    let mut lx = Lexer::new(src);
    let mut out = Vec::new();
    loop {
        let t = lx.next_token()?;
        match t.tok {
            Tok::Comment => continue,
            Tok::Eof => {
                out.push(t);
                return Ok(out);
            }
            _ => out.push(t),
        }
    }
}

pub(crate) const CLAUSE_WORDS: &[&str] = &[
    "let",
    "by",
    "on",
    "kind",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "with",
    "in",
    "true",
    "false",
    "null",
    "withsource",
    "hint.strategy",
    "step",
    "from",
    "to",
];

/// Word operators of scalar expressions, with what they test.
pub(crate) const WORD_OPERATORS: &[(&str, &str)] = &[
    ("and", "logical and"),
    ("or", "logical or"),
    ("has", "holds the whole term (case-insensitive)"),
    ("!has", "does not hold the whole term"),
    ("has_cs", "holds the whole term (case-sensitive)"),
    ("!has_cs", "does not hold the whole term (case-sensitive)"),
    ("contains", "holds the substring (case-insensitive)"),
    ("!contains", "does not hold the substring"),
    ("contains_cs", "holds the substring (case-sensitive)"),
    (
        "!contains_cs",
        "does not hold the substring (case-sensitive)",
    ),
    ("startswith", "starts with (case-insensitive)"),
    ("!startswith", "does not start with"),
    ("startswith_cs", "starts with (case-sensitive)"),
    ("!startswith_cs", "does not start with (case-sensitive)"),
    ("endswith", "ends with (case-insensitive)"),
    ("!endswith", "does not end with"),
    ("endswith_cs", "ends with (case-sensitive)"),
    ("!endswith_cs", "does not end with (case-sensitive)"),
    ("in", "equals one of a list"),
    ("!in", "equals none of a list"),
    ("in~", "equals one of a list (case-insensitive)"),
    ("!in~", "equals none of a list (case-insensitive)"),
    ("between", "lies in a closed range (a .. b)"),
    ("!between", "lies outside a closed range"),
    ("matches", "matches regex: matches a regular expression"),
    ("regex", "matches regex: matches a regular expression"),
    ("has_any", "holds any of the terms"),
    ("has_all", "holds all of the terms"),
    ("hasprefix", "holds a term starting with"),
    ("hassuffix", "holds a term ending with"),
    ("!hasprefix", "holds no term starting with"),
    ("!hassuffix", "holds no term ending with"),
];

/// Token ranges and kinds for syntax highlighting. Never fails: unreadable text is an `Error`
/// range and lexing resumes after it.
pub fn highlight(query: &str) -> Vec<(Range<usize>, TokenKind)> {
    let mut lx = Lexer::new(query);
    let mut toks: Vec<(Range<usize>, Option<Tok>)> = Vec::new();
    loop {
        match lx.next_token() {
            Ok(t) if t.tok == Tok::Eof => break,
            Ok(t) => toks.push((t.span.0..t.span.1, Some(t.tok))),
            Err(e) => {
                // The unreadable text, from where the lexer stood (ranges never overlap), to
                // the end of the error or at least one character further; lexing resumes there.
                let from = toks
                    .last()
                    .map_or(0, |(r, _)| r.end)
                    .max(e.span.0.min(query.len()));
                let mut end = e.span.1.max(lx.i).max(from + 1).min(query.len());
                while !query.is_char_boundary(end) {
                    end += 1;
                }
                lx.i = end;
                lx.pending.clear();
                if from < end {
                    toks.push((from..end, None));
                }
            }
        }
        if toks.len() > 1_000_000 {
            break;
        }
    }
    let mut out = Vec::with_capacity(toks.len());
    for i in 0..toks.len() {
        let (r, t) = &toks[i];
        let kind = match t {
            None => TokenKind::Error,
            Some(Tok::Comment) => TokenKind::Comment,
            Some(Tok::Str(_)) | Some(Tok::Raw(_)) => TokenKind::String,
            Some(Tok::Long(_) | Tok::Real(_)) => TokenKind::Number,
            Some(Tok::TimeSpan(_)) => TokenKind::TimeSpan,
            Some(Tok::Sym(_)) | Some(Tok::Eof) => TokenKind::Punctuation,
            Some(Tok::Ident(w)) => {
                let next_paren = toks[i + 1..]
                    .iter()
                    .find(|(_, t)| !matches!(t, Some(Tok::Comment)))
                    .is_some_and(|(_, t)| matches!(t, Some(Tok::Sym("("))));
                let lw = w.to_ascii_lowercase();
                if WORD_OPERATORS.iter().any(|(w, _)| *w == lw) {
                    TokenKind::Operator
                } else if crate::ops::lookup(&lw).is_some() || CLAUSE_WORDS.contains(&lw.as_str()) {
                    TokenKind::Keyword
                } else if next_paren {
                    TokenKind::Function
                } else {
                    TokenKind::Identifier
                }
            }
        };
        out.push((r.clone(), kind));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_kql_pieces() {
        assert_eq!(
            toks("| project-rename A=B // c\n| where x !in (1.5, 30d) and y =~ @'a\\b'"),
            vec![
                Tok::Sym("|"),
                Tok::Ident("project-rename".into()),
                Tok::Ident("A".into()),
                Tok::Sym("="),
                Tok::Ident("B".into()),
                Tok::Sym("|"),
                Tok::Ident("where".into()),
                Tok::Ident("x".into()),
                Tok::Ident("!in".into()),
                Tok::Sym("("),
                Tok::Real(1.5),
                Tok::Sym(","),
                Tok::TimeSpan(30 * MICROS_PER_DAY),
                Tok::Sym(")"),
                Tok::Ident("and".into()),
                Tok::Ident("y".into()),
                Tok::Sym("=~"),
                Tok::Str("a\\b".into()),
                Tok::Eof,
            ]
        );
        assert_eq!(toks("a .. b")[1], Tok::Sym(".."));
        assert_eq!(toks("10m")[0], Tok::TimeSpan(10 * MICROS_PER_MIN));
        assert_eq!(toks("100ms")[0], Tok::TimeSpan(100_000));
        assert_eq!(toks(r#""a\"b""#)[0], Tok::Str("a\"b".into()));
    }

    #[test]
    fn errors_are_positioned() {
        let e = tokenize("where x == \"abc").unwrap_err();
        assert_eq!(e.span.0, 11);
        assert!(e.message.contains("unterminated"));
        let e = tokenize("where x == 5q").unwrap_err();
        assert!(
            e.message.contains("unknown timespan unit 'q'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn highlight_classifies_and_survives_garbage() {
        let h = highlight("T | where strcat(a) has \"x\" // hi\n| take 5 ` ");
        let kinds: Vec<TokenKind> = h.iter().map(|(_, k)| *k).collect();
        assert_eq!(
            kinds,
            vec![
                TokenKind::Identifier,
                TokenKind::Punctuation,
                TokenKind::Keyword,
                TokenKind::Function,
                TokenKind::Punctuation,
                TokenKind::Identifier,
                TokenKind::Punctuation,
                TokenKind::Operator,
                TokenKind::String,
                TokenKind::Comment,
                TokenKind::Punctuation,
                TokenKind::Keyword,
                TokenKind::Number,
                TokenKind::Error,
            ]
        );
    }
}
