//! String functions (`strcat`, `split`, `extract`, `replace_regex`, `substring`, …) and the
//! semantics of the string operators (`has`, `contains`, `startswith`, …).

use super::{def, str_of, Env, FnDef, Imp::Checked, Imp::Eval, Ret::T};
use crate::ast::{Span, StrOp};
use crate::error::{RawError, Res};
use crate::expr::CE;
use crate::value::{Type, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("strcat", ("arg1, arg2, …", 1, 64) -> T(Type::String), "The arguments' text, concatenated.", Eval(strcat), [("strcat(\"a\", 1, \"b\")", "a1b")]),
    def!("strcat_delim", ("delimiter, arg1, arg2, …", 2, 64) -> T(Type::String), "The arguments' text joined by a delimiter.", Eval(strcat_delim), [("strcat_delim(\"-\", \"a\", \"b\")", "a-b")]),
    def!("tolower", ("text", 1, 1) -> T(Type::String), "Lower-cased text.", Eval(tolower), [("tolower(\"AbC\")", "abc")]),
    def!("toupper", ("text", 1, 1) -> T(Type::String), "Upper-cased text.", Eval(toupper), [("toupper(\"AbC\")", "ABC")]),
    def!("split", ("text, delimiter [, index]", 2, 3) -> T(Type::Dynamic), "Text split on a delimiter, as an array (or the one part at `index`).", Eval(split), [("split(\"a,b\", \",\")", "[\"a\",\"b\"]")]),
    def!("extract", ("regex, group, text [, typeof(T)]", 3, 4) -> T(Type::String), "The text a regex capture group matched (an empty string when none), optionally converted to a type.", Checked(check_extract, extract), [("extract(\"x=([0-9]+)\", 1, \"a x=12\")", "12"), ("extract(\"x=([0-9]+)\", 1, \"a x=12\", typeof(long)) + 1", "13")]),
    def!("extract_all", ("regex, [groups,] text", 2, 3) -> T(Type::Dynamic), "Every match of a regex: the whole match or single group as strings, several groups as arrays.", Checked(check_extract_all, extract_all), [("extract_all(\"([a-c])\", \"xaybz\")", "[\"a\",\"b\"]")]),
    def!("parse_csv", ("csv_text", 1, 1) -> T(Type::Dynamic), "The fields of the first CSV record (quoted fields, doubled quotes).", Eval(parse_csv), [("parse_csv('a,\"b,c\",d')", "[\"a\",\"b,c\",\"d\"]")]),
    def!("parse_command_line", ("command_line, parser", 2, 2) -> T(Type::Dynamic), "A Windows command line split into arguments.", Eval(parse_command_line), [("parse_command_line('echo \"hello world\"', 'windows')", "[\"echo\",\"hello world\"]")]),
    def!("parse_urlquery", ("query", 1, 1) -> T(Type::Dynamic), "A URL query string's parameters, as {\"Query Parameters\": {…}}.", Eval(parse_urlquery), [("parse_urlquery('a=1&b=x%20y')['Query Parameters'].b", "x y")]),
    def!("strrep", ("text, multiplier [, delimiter]", 2, 3) -> T(Type::String), "The text repeated.", Eval(strrep), [("strrep('ab', 3, '-')", "ab-ab-ab")]),
    def!("reverse", ("text", 1, 1) -> T(Type::String), "The text's characters in reverse order.", Eval(reverse), [("reverse('abc')", "cba")]),
    def!("strcmp", ("text1, text2", 2, 2) -> T(Type::Long), "-1, 0 or 1 comparing two texts.", Eval(strcmp), [("strcmp('a', 'b')", "-1")]),
    def!("string_size", ("text", 1, 1) -> T(Type::Long), "The text's size in bytes (UTF-8).", Eval(string_size), [("string_size('é')", "2")]),
    def!("translate", ("searchList, replacementList, text", 3, 3) -> T(Type::String), "Characters replaced one for one (dropped when the replacement list is shorter).", Eval(translate), [("translate('abc', 'x', 'aabbcc')", "xxxxxx")]),
    def!("new_guid", ("", 0, 0) -> T(Type::Guid), "A random guid.", Eval(new_guid)),
    def!("current_principal_is_member_of", ("group1, group2, …", 1, 64) -> T(Type::Bool), "Whether the principal running the query is in a group: offline, never.", Eval(never)),
    def!("strlen", ("text", 1, 1) -> T(Type::Long), "Length in characters.", Eval(strlen), [("strlen(\"héllo\")", "5")]),
    def!("substring", ("text, start [, length]", 2, 3) -> T(Type::String), "Part of the text from a 0-based character index.", Eval(substring), [("substring(\"abcdef\", 1, 3)", "bcd")]),
    def!("parse_path", ("path", 1, 1) -> T(Type::Dynamic), "A file path's parts: Scheme, RootPath, DirectoryPath, DirectoryName, Filename, Extension, AlternateDataStreamName.", Eval(parse_path)),
    def!("replace_strings", ("text, lookups, rewrites", 3, 3) -> T(Type::String), "Every match of each lookup replaced by its rewrite; an earlier lookup's matches win, matches do not overlap, a non-string rewrite keeps the match.", Eval(replace_strings), [("replace_strings(\"a cat, a dog\", dynamic(['cat', 'dog']), dynamic(['dog', 'bird']))", "a dog, a bird")]),
    def!("has_any_index", ("source, values", 2, 2) -> T(Type::Long), "The index of the first of the values that `source` has as a term, or -1.", Eval(has_any_index), [("has_any_index(\"this is an example\", dynamic(['not', 'example']))", "1")]),
    def!("replace_string", ("text, lookup, rewrite", 3, 3) -> T(Type::String), "Every occurrence of a string replaced.", Eval(replace_string), [("replace_string(\"a.b.c\", \".\", \"/\")", "a/b/c")]),
    def!("replace_regex", ("text, regex, rewrite", 3, 3) -> T(Type::String), "Every match of a regex replaced (`$1` refers to a group).", Eval(replace_regex), [("replace_regex(\"a1b22\", \"[0-9]+\", \"#\")", "a#b#"), ("replace_regex(\"is 5\", @\"is (\\d+)\", @\"was: \\1\")", "was: 5")]),
    def!("replace", ("regex, rewrite, text", 3, 3) -> T(Type::String), "Deprecated form of replace_regex (arguments in another order).", Eval(replace_old), [("replace(\"'\", '\"', \"'a'\")", "\"a\"")]),
    def!("trim", ("regex, text", 2, 2) -> T(Type::String), "Text without leading and trailing matches of a regex.", Eval(trim), [("trim(\"-\", \"--a--\")", "a")]),
    def!("trim_start", ("regex, text", 2, 2) -> T(Type::String), "Text without leading matches of a regex.", Eval(trim_start), [("trim_start(\"-\", \"--a--\")", "a--")]),
    def!("trim_end", ("regex, text", 2, 2) -> T(Type::String), "Text without trailing matches of a regex.", Eval(trim_end), [("trim_end(\"-\", \"--a--\")", "--a")]),
    def!("indexof", ("text, lookup", 2, 2) -> T(Type::Long), "0-based character index of the first occurrence, or -1.", Eval(indexof), [("indexof(\"abcd\", \"cd\")", "2")]),
    def!("countof", ("text, search", 2, 2) -> T(Type::Long), "How many times a substring occurs.", Eval(countof), [("countof(\"aXbXc\", \"X\")", "2")]),
    def!("parse_url", ("url", 1, 1) -> T(Type::Dynamic), "A URL's parts (Scheme, Host, Port, Path, Query Parameters, Fragment).", Eval(parse_url), [("parse_url(\"https://h:8/p?a=1\").Host", "h")]),
];

fn strcat(a: &[Value], env: &Env) -> Value {
    let parts: Vec<String> = a.iter().map(|v| v.to_kql_string()).collect();
    if !env.fits("strcat", parts.iter().map(|p| p.len()).sum()) {
        return Value::Null;
    }
    Value::str(&parts.concat())
}

fn strcat_delim(a: &[Value], env: &Env) -> Value {
    let d = a[0].to_kql_string();
    let parts: Vec<String> = a[1..].iter().map(|v| v.to_kql_string()).collect();
    let n: usize = parts.iter().map(|p| p.len() + d.len()).sum();
    if !env.fits("strcat_delim", n) {
        return Value::Null;
    }
    Value::str(&parts.join(&d))
}

fn tolower(a: &[Value], _: &Env) -> Value {
    Value::str(&a[0].to_kql_string().to_lowercase())
}

fn toupper(a: &[Value], _: &Env) -> Value {
    Value::str(&a[0].to_kql_string().to_uppercase())
}

fn split(a: &[Value], env: &Env) -> Value {
    let s = a[0].to_kql_string();
    let d = a[1].to_kql_string();
    if !d.is_empty() {
        // Each part costs a JSON slot besides its text.
        let parts = s.matches(d.as_str()).count() + 1;
        let slot = std::mem::size_of::<serde_json::Value>();
        if !env.fits("split", s.len() + parts.saturating_mul(slot)) {
            return Value::Null;
        }
    }
    let parts: Vec<serde_json::Value> = if d.is_empty() {
        vec![serde_json::Value::String(s.clone())]
    } else {
        s.split(d.as_str())
            .map(|p| serde_json::Value::String(p.to_string()))
            .collect()
    };
    if a.len() == 3 {
        match a[2].as_i64() {
            Some(i) if i >= 0 && (i as usize) < parts.len() => {
                Value::dynamic(serde_json::Value::Array(vec![parts[i as usize].clone()]))
            }
            _ => Value::dynamic(serde_json::Value::Array(vec![])),
        }
    } else {
        Value::dynamic(serde_json::Value::Array(parts))
    }
}

/// A compiled regex, cached by pattern (constant patterns are the norm; the cache is bounded).
pub(crate) fn regex(pat: &str) -> Result<Arc<regex::Regex>, String> {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<String, Arc<regex::Regex>>> = std::cell::RefCell::new(HashMap::new());
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(pat).cloned()) {
        return Ok(r);
    }
    let re = regex::RegexBuilder::new(pat)
        .size_limit(1 << 20)
        .build()
        .map(Arc::new)
        .map_err(|e| {
            format!(
                "invalid regular expression: {}",
                e.to_string().lines().last().unwrap_or("")
            )
        })?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(pat.to_string(), re.clone());
    });
    Ok(re)
}

/// A constant regex argument, compiled (positioned errors otherwise).
pub(crate) fn const_regex(pat: &CE, span: Span) -> Res<Arc<regex::Regex>> {
    match pat {
        CE::Const(Value::String(p)) => regex(p).map_err(|e| RawError::new(span, e)),
        _ => Err(RawError::new(
            span,
            "the regular expression must be a constant string",
        )),
    }
}

fn check_extract(args: &[CE], spans: &[Span]) -> Res<()> {
    let re = const_regex(&args[0], spans[0])?;
    match &args[1] {
        CE::Const(Value::Long(g)) if *g >= 0 && (*g as usize) < re.captures_len() => Ok(()),
        _ => Err(RawError::new(
            spans[1],
            format!(
                "capture group must be a constant between 0 and {}",
                re.captures_len() - 1
            ),
        )),
    }
}

fn extract(a: &[Value], _: &Env) -> Value {
    let Ok(re) = regex(&a[0].to_kql_string()) else {
        return Value::Null;
    };
    let group = a[1].as_i64().unwrap_or(0).max(0) as usize;
    let s = a[2].to_kql_string();
    let found = re
        .captures(&s)
        .and_then(|c| c.get(group))
        .map(|m| m.as_str().to_string());
    match (a.get(3), found) {
        (Some(t), Some(m)) => match crate::parser::parse_type(&t.to_kql_string()) {
            Some(ty) => super::cast(&Value::str(&m), ty),
            None => Value::str(&m),
        },
        (Some(_), None) => Value::Null,
        (None, Some(m)) => Value::str(&m),
        (None, None) => Value::str(""),
    }
}

fn check_extract_all(args: &[CE], spans: &[Span]) -> Res<()> {
    const_regex(&args[0], spans[0]).map(|_| ())
}

fn extract_all(a: &[Value], env: &Env) -> Value {
    let Ok(re) = regex(&a[0].to_kql_string()) else {
        return Value::Null;
    };
    let text = a[a.len() - 1].to_kql_string();
    // Which groups: all of them by default (the whole match when there are none).
    let groups: Vec<usize> = if a.len() == 3 {
        match super::as_json(&a[1]) {
            Some(serde_json::Value::Array(g)) => g
                .iter()
                .filter_map(|x| match x {
                    serde_json::Value::Number(n) => n.as_u64().map(|n| n as usize),
                    serde_json::Value::String(name) => {
                        re.capture_names().position(|c| c == Some(name.as_str()))
                    }
                    _ => None,
                })
                .collect(),
            _ => return Value::Null,
        }
    } else if re.captures_len() > 1 {
        (1..re.captures_len()).collect()
    } else {
        vec![0]
    };
    let mut out = Vec::new();
    let mut size = 0usize;
    for caps in re.captures_iter(&text) {
        let pick = |g: usize| {
            caps.get(g)
                .map(|m| serde_json::Value::String(m.as_str().to_string()))
                .unwrap_or(serde_json::Value::Null)
        };
        size += 64;
        if !env.fits("extract_all", size) {
            return Value::Null;
        }
        out.push(if groups.len() == 1 && a.len() == 2 {
            pick(groups[0])
        } else {
            serde_json::Value::Array(groups.iter().map(|&g| pick(g)).collect())
        });
    }
    if out.is_empty() {
        return Value::Null;
    }
    Value::dynamic(serde_json::Value::Array(out))
}

/// The fields of the first record of a CSV text.
fn parse_csv(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            ('\n', false) => break,
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    Value::dynamic(serde_json::Value::Array(
        fields.into_iter().map(serde_json::Value::String).collect(),
    ))
}

/// A Windows command line split into arguments (quotes group, backslashes escape quotes).
fn parse_command_line(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
                any = true;
            }
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    args.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        args.push(cur);
    }
    Value::dynamic(serde_json::Value::Array(
        args.into_iter().map(serde_json::Value::String).collect(),
    ))
}

fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode_bytes(s)).into_owned()
}

/// `%41` → `A` and `+` → space, as bytes.
pub(crate) fn percent_decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    out
}

fn parse_urlquery(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let q = s.strip_prefix('?').unwrap_or(&s);
    let mut params = serde_json::Map::new();
    for kv in q.split('&').filter(|x| !x.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        params.insert(
            percent_decode(k),
            serde_json::Value::String(percent_decode(v)),
        );
    }
    Value::dynamic(serde_json::json!({ "Query Parameters": params }))
}

fn strrep(a: &[Value], env: &Env) -> Value {
    let s = a[0].to_kql_string();
    let Some(n) = a[1].as_i64().filter(|n| *n >= 0) else {
        return Value::Null;
    };
    let d = a.get(2).map(|d| d.to_kql_string()).unwrap_or_default();
    let n = n as usize;
    if !env.fits("strrep", n.saturating_mul(s.len() + d.len())) {
        return Value::Null;
    }
    Value::str(&vec![s; n].join(&d))
}

fn reverse(a: &[Value], _: &Env) -> Value {
    Value::str(&a[0].to_kql_string().chars().rev().collect::<String>())
}

fn strcmp(a: &[Value], _: &Env) -> Value {
    Value::Long(match a[0].to_kql_string().cmp(&a[1].to_kql_string()) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

fn string_size(a: &[Value], _: &Env) -> Value {
    Value::Long(a[0].to_kql_string().len() as i64)
}

fn translate(a: &[Value], _: &Env) -> Value {
    let from: Vec<char> = a[0].to_kql_string().chars().collect();
    let to: Vec<char> = a[1].to_kql_string().chars().collect();
    let out: String = a[2]
        .to_kql_string()
        .chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) if to.is_empty() => {
                let _ = i;
                None
            }
            Some(i) => Some(*to.get(i).unwrap_or(to.last().unwrap_or(&c))),
            None => Some(c),
        })
        .collect();
    Value::str(&out)
}

fn new_guid(_: &[Value], _: &Env) -> Value {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let a = xxhash_rust::xxh64::xxh64(&N.fetch_add(1, Ordering::Relaxed).to_le_bytes(), 7);
    let b = xxhash_rust::xxh64::xxh64(&a.to_le_bytes(), 11);
    let h = format!("{a:016x}{b:016x}");
    Value::str(&format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    ))
}

fn never(_: &[Value], _: &Env) -> Value {
    Value::Bool(false)
}

fn strlen(a: &[Value], _: &Env) -> Value {
    match &a[0] {
        Value::Null => Value::Null,
        v => Value::Long(v.to_kql_string().chars().count() as i64),
    }
}

fn substring(a: &[Value], _: &Env) -> Value {
    let s: Vec<char> = a[0].to_kql_string().chars().collect();
    let start = a[1].as_i64().unwrap_or(0).clamp(0, s.len() as i64) as usize;
    let len = if a.len() == 3 {
        a[2].as_i64().unwrap_or(0).max(0) as usize
    } else {
        s.len()
    };
    let end = start.saturating_add(len).min(s.len());
    Value::str(&s[start..end].iter().collect::<String>())
}

fn replace_string(a: &[Value], env: &Env) -> Value {
    let s = a[0].to_kql_string();
    let from = a[1].to_kql_string();
    if from.is_empty() {
        return Value::str(&s);
    }
    let to = a[2].to_kql_string();
    let n = s.matches(from.as_str()).count();
    let len = (s.len() - n * from.len()).saturating_add(n.saturating_mul(to.len()));
    if !env.fits("replace_string", len) {
        return Value::Null;
    }
    Value::str(&s.replace(&from, &to))
}

/// A path (Windows, UNC, Unix, or a `scheme://` URL) split as Kusto's parse_path does: the
/// drive is the root, the directory runs to the last `\\` or `/`, an NTFS alternate data
/// stream follows the file name after a `:`.
fn parse_path(a: &[Value], _: &Env) -> Value {
    let p = a[0].to_kql_string();
    let (scheme, rest) = match p.find("://") {
        Some(i)
            if i > 0
                && p[..i].starts_with(|c: char| c.is_ascii_alphabetic())
                && p[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            (&p[..i], &p[i + 3..])
        }
        _ => ("", p.as_str()),
    };
    let b = rest.as_bytes();
    let root = if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        &rest[..2]
    } else {
        ""
    };
    let (dir, file) = match rest.rfind(['\\', '/']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let (file, stream) = match file.split_once(':') {
        Some((f, s)) if root.is_empty() || !dir.is_empty() => (f, s),
        _ => (file, ""),
    };
    let dir_name = match dir.rfind(['\\', '/']) {
        Some(i) => &dir[i + 1..],
        None => dir,
    };
    let ext = file.rsplit_once('.').map_or("", |(_, e)| e);
    Value::dynamic(serde_json::json!({
        "Scheme": scheme,
        "RootPath": root,
        "DirectoryPath": dir,
        "DirectoryName": dir_name,
        "Filename": file,
        "Extension": ext,
        "AlternateDataStreamName": stream,
    }))
}

fn replace_strings(a: &[Value], env: &Env) -> Value {
    let s = a[0].to_kql_string();
    let items = |v: &Value| -> Vec<Option<String>> {
        match super::as_json(v) {
            Some(serde_json::Value::Array(x)) => {
                x.iter().map(|e| e.as_str().map(str::to_string)).collect()
            }
            _ => Vec::new(),
        }
    };
    let (lookups, rewrites) = (items(&a[1]), items(&a[2]));
    // Matches claimed so far: (start, end, rewrite or None to keep the text).
    let mut claims: Vec<(usize, usize, Option<&str>)> = Vec::new();
    for (i, l) in lookups.iter().enumerate() {
        let Some(l) = l.as_deref().filter(|l| !l.is_empty()) else {
            continue;
        };
        let to = rewrites.get(i).and_then(|r| r.as_deref());
        let mut from = 0;
        while let Some(p) = s[from..].find(l) {
            let (b, e) = (from + p, from + p + l.len());
            if claims.iter().all(|&(cb, ce, _)| e <= cb || b >= ce) {
                claims.push((b, e, to));
                from = e;
            } else {
                from = b + s[b..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    claims.sort_by_key(|c| c.0);
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (b, e, to) in claims {
        out.push_str(&s[at..b]);
        out.push_str(to.unwrap_or(&s[b..e]));
        at = e;
        if !env.fits("replace_strings", out.len()) {
            return Value::Null;
        }
    }
    out.push_str(&s[at..]);
    Value::str(&out)
}

fn has_any_index(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let Some(serde_json::Value::Array(values)) = super::as_json(&a[1]) else {
        return Value::Long(-1);
    };
    let found = values.iter().position(|v| {
        let term = Value::dynamic(v.clone()).to_kql_string();
        !v.is_null() && !term.is_empty() && has_term(&s, &term, false, false, false)
    });
    Value::Long(found.map_or(-1, |i| i as i64))
}

fn replace_regex(a: &[Value], env: &Env) -> Value {
    let text = a[0].to_kql_string();
    let Ok(re) = regex(&a[1].to_kql_string()) else {
        return Value::Null;
    };
    let rewrite = rewrite_syntax(&a[2].to_kql_string());
    // Built piece by piece, so that a replacement that multiplies the text stops at the
    // per-value limit instead of allocating gigabytes.
    let mut out = String::new();
    let mut last = 0;
    for caps in re.captures_iter(&text) {
        let m = caps.get(0).expect("group 0 always matches");
        out.push_str(&text[last..m.start()]);
        caps.expand(&rewrite, &mut out);
        last = m.end();
        if !env.fits("replace_regex", out.len()) {
            return Value::Null;
        }
    }
    out.push_str(&text[last..]);
    env.string("replace_regex", out)
}

/// Kusto's rewrite (`\\1` is group 1, `$` is literal) in the regex crate's syntax.
fn rewrite_syntax(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            '\\' if chars.peek() == Some(&'\\') => {
                chars.next();
                out.push('\\');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn replace_old(a: &[Value], env: &Env) -> Value {
    replace_regex(&[a[2].clone(), a[0].clone(), a[1].clone()], env)
}

/// The text without leading (and/or trailing) matches of a regex.
fn trim_with(a: &[Value], start: bool, end: bool) -> Value {
    let pat = a[0].to_kql_string();
    let s = a[1].to_kql_string();
    let mut t: &str = &s;
    if start {
        if let Ok(re) = regex(&format!("^(?:{pat})+")) {
            if let Some(m) = re.find(t) {
                t = &t[m.end()..];
            }
        }
    }
    if end {
        if let Ok(re) = regex(&format!("(?:{pat})+$")) {
            if let Some(m) = re.find(t) {
                t = &t[..m.start()];
            }
        }
    }
    Value::str(t)
}

fn trim(a: &[Value], _: &Env) -> Value {
    trim_with(a, true, true)
}

fn trim_start(a: &[Value], _: &Env) -> Value {
    trim_with(a, true, false)
}

fn trim_end(a: &[Value], _: &Env) -> Value {
    trim_with(a, false, true)
}

fn indexof(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let n = a[1].to_kql_string();
    Value::Long(
        s.find(&n)
            .map(|p| s[..p].chars().count() as i64)
            .unwrap_or(-1),
    )
}

fn countof(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let n = a[1].to_kql_string();
    Value::Long(if n.is_empty() {
        0
    } else {
        s.matches(n.as_str()).count() as i64
    })
}

fn parse_url(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let (scheme, rest) = s.split_once("://").unwrap_or(("", &s));
    let (host_port, path_q) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, ""),
    };
    let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
    let mut params = serde_json::Map::new();
    for kv in query.split('&').filter(|x| !x.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        params.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    Value::dynamic(serde_json::json!({
        "Scheme": scheme, "Host": host, "Port": port, "Path": path,
        "Query Parameters": params, "Fragment": "",
    }))
}

// ---- the string operators ----

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Kusto's `has`: the needle occurs as a whole term (bounded by non-alphanumerics).
pub(crate) fn has_term(
    hay: &str,
    needle: &str,
    cs: bool,
    prefix_only: bool,
    suffix_only: bool,
) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (h, n) = if cs {
        (hay.to_string(), needle.to_string())
    } else {
        (lower(hay), lower(needle))
    };
    let nstart_alnum = n.chars().next().is_some_and(is_term_char);
    let nend_alnum = n.chars().last().is_some_and(is_term_char);
    let mut from = 0;
    while let Some(p) = h[from..].find(&n) {
        let s = from + p;
        let e = s + n.len();
        let before_ok = !nstart_alnum || h[..s].chars().last().is_none_or(|c| !is_term_char(c));
        let after_ok = !nend_alnum || h[e..].chars().next().is_none_or(|c| !is_term_char(c));
        let ok = if prefix_only {
            before_ok
        } else if suffix_only {
            after_ok
        } else {
            before_ok && after_ok
        };
        if ok {
            return true;
        }
        from = s + h[s..].chars().next().map(|c| c.len_utf8()).unwrap_or(1);
    }
    false
}

/// A string operator over two values (`None` for `matches regex`, which is compiled apart).
pub(crate) fn str_op(op: StrOp, l: &Value, r: &Value) -> Option<bool> {
    let l = str_of(l).unwrap_or_default();
    let r = str_of(r).unwrap_or_default();
    Some(match op {
        StrOp::Has { cs } => has_term(&l, &r, cs, false, false),
        StrOp::HasPrefix => has_term(&l, &r, false, true, false),
        StrOp::HasSuffix => has_term(&l, &r, false, false, true),
        StrOp::Contains { cs: true } => l.contains(&r),
        StrOp::Contains { cs: false } => lower(&l).contains(&lower(&r)),
        StrOp::StartsWith { cs: true } => l.starts_with(&r),
        StrOp::StartsWith { cs: false } => lower(&l).starts_with(&lower(&r)),
        StrOp::EndsWith { cs: true } => l.ends_with(&r),
        StrOp::EndsWith { cs: false } => lower(&l).ends_with(&lower(&r)),
        StrOp::MatchesRegex => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_is_term_match() {
        assert!(has_term(
            "SecretGet from kv-prod",
            "kv",
            false,
            false,
            false
        ));
        assert!(has_term("a KV b", "kv", false, false, false));
        assert!(!has_term("kvprod", "kv", false, false, false));
        assert!(has_term("kvprod", "kv", false, true, false));
        assert!(!has_term("a KV b", "kv", true, false, false));
    }
}
