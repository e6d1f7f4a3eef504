//! `parse-kv Expr as (Key: type, …) [with (…)]` (parse-kv-operator.md): the input with one
//! column per listed key, holding the first value of that key in the text (converted as
//! `parse` converts; a missing key is null, or "" for a string), in one of three modes:
//!
//! - delimiters (`pair_delimiter`, `kv_delimiter`): pairs split at the pair delimiter, key from
//!   value at the first key/value delimiter; a piece without one is dropped, or with
//!   `greedy = true` belongs to the value before it (so values may hold the pair delimiter);
//! - no delimiters: a key is found as a whole word, its value is the next run of letters,
//!   digits and `_` after the non-alphanumeric characters that follow it;
//! - `regex`: each match's two groups are a key and its value.
//!
//! In the first two modes a key or value may be quoted (`quote = '"'`, or `'()'` for different
//! opening and closing characters, repeatable) with escape characters inside (`escape`).
//! Keys and values are trimmed of white space.

use crate::ast::Expr;
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Ctx};
use crate::value::{Type, Value};

struct Opts {
    pair: Option<String>,
    kv: Option<String>,
    quotes: Vec<(char, char)>,
    escapes: Vec<char>,
    greedy: bool,
    regex: Option<std::sync::Arc<regex::Regex>>,
}

fn options(ctx: &Ctx, options: &[(String, Expr)]) -> Res<Opts> {
    let mut o = Opts {
        pair: None,
        kv: None,
        quotes: Vec::new(),
        escapes: Vec::new(),
        greedy: false,
        regex: None,
    };
    for (name, e) in options {
        let v = ctx.eval_const(e)?;
        let text = v.to_kql_string();
        let bad = |what: &str| RawError::new(e.span, format!("parse-kv: {name} must be {what}"));
        match name.as_str() {
            "pair_delimiter" if !text.is_empty() => o.pair = Some(text),
            "kv_delimiter" if !text.is_empty() => o.kv = Some(text),
            "quote" => {
                let c: Vec<char> = text.chars().collect();
                match c.as_slice() {
                    [q] => o.quotes.push((*q, *q)),
                    [a, b] => o.quotes.push((*a, *b)),
                    _ => return Err(bad("one or two characters")),
                }
            }
            "escape" => {
                let c: Vec<char> = text.chars().collect();
                match c.as_slice() {
                    [x] => o.escapes.push(*x),
                    _ => return Err(bad("one character")),
                }
            }
            "greedy" => match v.undyn() {
                Value::Bool(g) => o.greedy = g,
                _ => return Err(bad("a bool")),
            },
            "regex" => {
                let re = crate::functions::const_regex(
                    &crate::expr::CE::Const(Value::str(&text)),
                    e.span,
                )?;
                if re.captures_len() != 3 {
                    return Err(bad("a regular expression with exactly two groups"));
                }
                o.regex = Some(re);
            }
            "pair_delimiter" | "kv_delimiter" => return Err(bad("a non-empty string")),
            _ => {
                return Err(RawError::expected(
                    e.span,
                    format!("parse-kv has no option '{name}'"),
                    &crate::ast::PARSE_KV_OPTIONS,
                ))
            }
        }
    }
    if o.pair.is_some() != o.kv.is_some() {
        let at = options.first().map_or((0, 0), |(_, e)| e.span);
        return Err(RawError::new(
            at,
            "parse-kv: pair_delimiter and kv_delimiter go together",
        ));
    }
    Ok(o)
}

/// A scanner over the text's characters.
struct Scan<'a> {
    c: Vec<char>,
    i: usize,
    o: &'a Opts,
}

impl Scan<'_> {
    fn at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, ch)| self.c.get(self.i + k) == Some(&ch))
    }

    fn skip_ws(&mut self) {
        while self.c.get(self.i).is_some_and(|c| c.is_whitespace()) {
            self.i += 1;
        }
    }

    /// A quoted item at the cursor (its text, escapes applied), or None when no quote opens.
    fn quoted(&mut self) -> Option<String> {
        let first = *self.c.get(self.i)?;
        let (_, close) = *self.o.quotes.iter().find(|(open, _)| *open == first)?;
        self.i += 1;
        let mut out = String::new();
        while let Some(&ch) = self.c.get(self.i) {
            self.i += 1;
            if self.o.escapes.contains(&ch) {
                if let Some(&next) = self.c.get(self.i) {
                    out.push(next);
                    self.i += 1;
                }
            } else if ch == close {
                break;
            } else {
                out.push(ch);
            }
        }
        Some(out)
    }

    /// An item up to (not including) the first of the stop strings or the end: quoted, or
    /// the raw text trimmed. A quoted item's trailing text before the stop is skipped.
    fn item(&mut self, stops: &[&str]) -> String {
        self.skip_ws();
        let q = self.quoted();
        let start = self.i;
        while self.i < self.c.len() && !stops.iter().any(|s| self.at(s)) {
            self.i += 1;
        }
        match q {
            Some(q) => q,
            None => self.c[start..self.i]
                .iter()
                .collect::<String>()
                .trim()
                .to_string(),
        }
    }
}

/// The (key, value) pairs of delimited text, in order.
fn delimited(text: &str, o: &Opts, pair: &str, kv: &str) -> Vec<(String, String)> {
    let mut s = Scan {
        c: text.chars().collect(),
        i: 0,
        o,
    };
    let mut out: Vec<(String, String)> = Vec::new();
    while s.i < s.c.len() {
        let key = s.item(&[kv, pair]);
        if s.at(kv) {
            s.i += kv.chars().count();
            let value = s.item(&[pair]);
            out.push((key, value));
        } else if o.greedy && !key.is_empty() {
            if let Some(last) = out.last_mut() {
                last.1.push_str(pair);
                last.1.push_str(&key);
            }
        }
        if s.at(pair) {
            s.i += pair.chars().count();
        }
    }
    out
}

/// The value of `key` in text without delimiters: the key as a whole word, then past the
/// non-alphanumeric characters after it, a quoted value or a run of word characters.
fn undelimited(text: &str, o: &Opts, key: &str) -> Option<String> {
    let c: Vec<char> = text.chars().collect();
    let k: Vec<char> = key.chars().collect();
    let word = |ch: &char| ch.is_alphanumeric() || *ch == '_';
    let mut i = 0;
    while i + k.len() <= c.len() {
        let bounded_before = i == 0 || !word(&c[i - 1]);
        if bounded_before && c[i..i + k.len()] == k[..] {
            let mut j = i + k.len();
            if j < c.len() && !word(&c[j]) {
                while j < c.len() && !word(&c[j]) && !o.quotes.iter().any(|q| q.0 == c[j]) {
                    j += 1;
                }
                let mut s = Scan {
                    c: c.clone(),
                    i: j,
                    o,
                };
                if let Some(q) = s.quoted() {
                    return Some(q);
                }
                let end = (j..c.len()).find(|&x| !word(&c[x])).unwrap_or(c.len());
                return Some(c[j..end].iter().collect());
            }
        }
        i += 1;
    }
    None
}

pub(crate) fn run(
    ctx: &mut Ctx,
    b: Batch,
    expr: &Expr,
    keys: &[(String, Type)],
    opts: &[(String, Expr)],
) -> Res<Batch> {
    let o = options(ctx, opts)?;
    let (c, _) = ctx.compile(expr, &b)?;
    let texts = ctx.eval_rows(&c, &b);
    let mut out: Vec<Vec<Value>> = vec![Vec::with_capacity(b.len); keys.len()];
    for t in &texts {
        let text = t.to_kql_string();
        let found: Vec<Option<String>> = match (&o.regex, &o.pair, &o.kv) {
            (Some(re), _, _) => {
                let mut vals = vec![None; keys.len()];
                for cap in re.captures_iter(&text) {
                    let k = cap.get(1).map_or("", |m| m.as_str()).trim();
                    let v = cap.get(2).map_or("", |m| m.as_str()).trim();
                    if let Some(i) = keys.iter().position(|(n, _)| n == k) {
                        vals[i].get_or_insert_with(|| v.to_string());
                    }
                }
                vals
            }
            (None, Some(pair), Some(kv)) => {
                let pairs = delimited(&text, &o, pair, kv);
                keys.iter()
                    .map(|(n, _)| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
                    .collect()
            }
            _ => keys
                .iter()
                .map(|(n, _)| undelimited(&text, &o, n))
                .collect(),
        };
        for ((vals, (_, ty)), v) in out.iter_mut().zip(keys).zip(found) {
            vals.push(match v {
                Some(v) => super::parse::convert_text(&v, *ty),
                None => ty.missing(),
            });
        }
    }
    let mut b = b;
    for ((name, ty), vals) in keys.iter().zip(out) {
        b.set_col(values_col(name.clone(), *ty, vals));
    }
    Ok(b)
}
