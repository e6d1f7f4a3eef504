//! Dynamic values (JSON arrays and property bags): `array_length`, `bag_keys`, `pack`,
//! `pack_array`, `set_has_element`, `strcat_array`.

use super::{as_json, def, Env, FnDef, Imp::Eval, Imp::Special, Ret::T};
use crate::value::{kql_eq, Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("array_length", ("array", 1, 1) -> T(Type::Long), "The number of elements of an array (null if not an array).", Eval(array_length), [("array_length(dynamic([1, 2, 3]))", "3")]),
    def!("bag_keys", ("bag", 1, 1) -> T(Type::Dynamic), "The keys of a property bag, as an array.", Eval(bag_keys), [("bag_keys(dynamic({\"a\": 1, \"b\": 2}))", "[\"a\",\"b\"]")]),
    def!("pack" | "bag_pack", ("key1, value1, key2, value2, …", 2, 128) -> T(Type::Dynamic), "A property bag from key/value pairs.", Eval(pack), [("bag_pack(\"a\", 1)", "{\"a\":1}")]),
    def!("pack_all" | "bag_pack_columns_all", ("[ignore_null_empty]", 0, 1) -> T(Type::Dynamic), "A property bag of every column of the row (without null and empty values when `ignore_null_empty` is true).", Special),
    def!("pack_array", ("value1, value2, …", 1, 128) -> T(Type::Dynamic), "An array of the arguments.", Eval(pack_array), [("pack_array(1, \"x\")", "[1,\"x\"]")]),
    def!("set_has_element" | "array_contains", ("set, value", 2, 2) -> T(Type::Bool), "Whether an array holds a value.", Eval(set_has_element), [("set_has_element(dynamic([1, 2]), 2)", "true")]),
    def!("bag_has_key", ("bag, key", 2, 2) -> T(Type::Bool), "Whether a property bag has a key (or a `$.a.b` path).", Eval(bag_has_key), [("bag_has_key(dynamic({'a': 1}), 'a')", "true")]),
    def!("bag_set_key", ("bag, key, value", 3, 3) -> T(Type::Dynamic), "The bag with a key (or `$.a.b` path) set to a value.", Eval(bag_set_key), [("bag_set_key(dynamic({'a': 1}), 'b', 2)", "{\"a\":1,\"b\":2}")]),
    def!("bag_remove_keys", ("bag, keys", 2, 2) -> T(Type::Dynamic), "The bag without the given keys (or paths).", Eval(bag_remove_keys), [("bag_remove_keys(dynamic({'a': 1, 'b': 2}), dynamic(['a']))", "{\"b\":2}")]),
    def!("bag_merge", ("bag1, bag2, …", 2, 64) -> T(Type::Dynamic), "The bags merged (the first bag's value wins).", Eval(bag_merge), [("bag_merge(dynamic({'a': 1}), dynamic({'a': 2, 'b': 3}))", "{\"a\":1,\"b\":3}")]),
    def!("bag_zip", ("keys, values", 2, 2) -> T(Type::Dynamic), "A bag from an array of keys and an array of values.", Eval(bag_zip)),
    def!("strcat_array", ("array, delimiter", 2, 2) -> T(Type::String), "An array's elements joined by a delimiter.", Eval(strcat_array), [("strcat_array(dynamic([1, 2]), \"-\")", "1-2")]),
];

fn array_length(a: &[Value], _: &Env) -> Value {
    match as_json(&a[0]) {
        Some(serde_json::Value::Array(v)) => Value::Long(v.len() as i64),
        _ => Value::Null,
    }
}

fn bag_keys(a: &[Value], _: &Env) -> Value {
    match as_json(&a[0]) {
        Some(serde_json::Value::Object(m)) => Value::dynamic(serde_json::Value::Array(
            m.keys()
                .map(|k| serde_json::Value::String(k.clone()))
                .collect(),
        )),
        _ => Value::Null,
    }
}

/// Whether values of these sizes may be gathered into one dynamic value.
fn gather_fits(env: &Env, what: &str, a: &[Value]) -> bool {
    env.fits(what, a.iter().map(|v| super::text_size(v) + 1).sum())
}

fn pack(a: &[Value], env: &Env) -> Value {
    if !gather_fits(env, "pack", a) {
        return Value::Null;
    }
    let mut m = serde_json::Map::new();
    for kv in a.chunks_exact(2) {
        m.insert(kv[0].to_kql_string(), kv[1].to_json());
    }
    Value::dynamic(serde_json::Value::Object(m))
}

/// `pack_all(true)`: the key/value pairs whose value is neither null nor empty (what
/// `pack_all` compiles to; the compiler passes every column as a pair).
pub(crate) static PACK_NON_EMPTY: FnDef = def!("pack_all", ("key1, value1, …", 0, usize::MAX) -> T(Type::Dynamic), "Key/value pairs without null and empty values, as a property bag.", Eval(pack_non_empty));

/// `pack_all()` / `pack_all(false)`: every pair, like `pack` but with no limit on their number.
pub(crate) static PACK_EVERY: FnDef = def!("pack_all", ("key1, value1, …", 0, usize::MAX) -> T(Type::Dynamic), "Key/value pairs as a property bag.", Eval(pack));

fn pack_non_empty(a: &[Value], env: &Env) -> Value {
    let kept: Vec<Value> = a
        .chunks_exact(2)
        .filter(|kv| !kv[1].is_null() && !matches!(&kv[1], Value::String(s) if s.is_empty()))
        .flatten()
        .cloned()
        .collect();
    pack(&kept, env)
}

fn pack_array(a: &[Value], env: &Env) -> Value {
    if !gather_fits(env, "pack_array", a) {
        return Value::Null;
    }
    Value::dynamic(serde_json::Value::Array(
        a.iter().map(|v| v.to_json()).collect(),
    ))
}

fn set_has_element(a: &[Value], _: &Env) -> Value {
    let needle = a[1].undyn();
    match as_json(&a[0]) {
        Some(serde_json::Value::Array(v)) => Value::Bool(
            v.iter()
                .any(|x| kql_eq(&Value::dynamic(x.clone()).undyn(), &needle) == Some(true)),
        ),
        _ => Value::Null,
    }
}

fn strcat_array(a: &[Value], env: &Env) -> Value {
    match as_json(&a[0]) {
        Some(serde_json::Value::Array(v)) => {
            let d = a[1].to_kql_string();
            let parts: Vec<String> = v
                .iter()
                .map(|x| Value::dynamic(x.clone()).to_kql_string())
                .collect();
            if !env.fits(
                "strcat_array",
                parts.iter().map(|p| p.len() + d.len()).sum(),
            ) {
                return Value::Null;
            }
            Value::str(&parts.join(&d))
        }
        _ => Value::str(""),
    }
}

/// A key or a `$.a.b` / `$['a']['b']` path, as its steps.
fn path(key: &str) -> Vec<String> {
    match key.strip_prefix('$') {
        Some(rest) => {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '.' => {
                        if !cur.is_empty() {
                            out.push(std::mem::take(&mut cur));
                        }
                    }
                    '[' => {
                        if !cur.is_empty() {
                            out.push(std::mem::take(&mut cur));
                        }
                        let mut inner = String::new();
                        for d in chars.by_ref() {
                            if d == ']' {
                                break;
                            }
                            inner.push(d);
                        }
                        out.push(inner.trim_matches(|q| q == '\'' || q == '"').to_string());
                    }
                    c => cur.push(c),
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
            out
        }
        None => vec![key.to_string()],
    }
}

fn bag(v: &Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    match as_json(v)? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

fn bag_has_key(a: &[Value], _: &Env) -> Value {
    let Some(m) = bag(&a[0]) else {
        return Value::Null;
    };
    let mut cur = &serde_json::Value::Object(m);
    for step in path(&a[1].to_kql_string()) {
        match cur.get(&step) {
            Some(x) => cur = x,
            None => return Value::Bool(false),
        }
    }
    Value::Bool(true)
}

fn bag_set_key(a: &[Value], _: &Env) -> Value {
    let Some(m) = bag(&a[0]) else {
        return Value::Null;
    };
    let mut root = serde_json::Value::Object(m);
    let steps = path(&a[1].to_kql_string());
    let mut cur = &mut root;
    for (i, step) in steps.iter().enumerate() {
        if !cur.is_object() {
            *cur = serde_json::Value::Object(Default::default());
        }
        let obj = cur.as_object_mut().expect("an object");
        if i + 1 == steps.len() {
            obj.insert(step.clone(), a[2].to_json());
            break;
        }
        cur = obj
            .entry(step.clone())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
    }
    Value::dynamic(root)
}

/// The value at a path of keys, if every step exists.
fn walk<'a>(v: &'a mut serde_json::Value, steps: &[String]) -> Option<&'a mut serde_json::Value> {
    let mut cur = v;
    for s in steps {
        cur = cur.get_mut(s)?;
    }
    Some(cur)
}

fn bag_remove_keys(a: &[Value], _: &Env) -> Value {
    let (Some(m), Some(serde_json::Value::Array(keys))) = (bag(&a[0]), as_json(&a[1])) else {
        return Value::Null;
    };
    let mut root = serde_json::Value::Object(m);
    for k in keys {
        let steps = path(&Value::dynamic(k).to_kql_string());
        let Some((last, init)) = steps.split_last() else {
            continue;
        };
        if let Some(o) = walk(&mut root, init).and_then(|c| c.as_object_mut()) {
            o.remove(last);
        }
    }
    Value::dynamic(root)
}

fn bag_merge(a: &[Value], _: &Env) -> Value {
    let mut m = serde_json::Map::new();
    for v in a {
        if let Some(b) = bag(v) {
            for (k, x) in b {
                m.entry(k).or_insert(x);
            }
        }
    }
    Value::dynamic(serde_json::Value::Object(m))
}

fn bag_zip(a: &[Value], _: &Env) -> Value {
    let (Some(serde_json::Value::Array(k)), Some(serde_json::Value::Array(v))) =
        (as_json(&a[0]), as_json(&a[1]))
    else {
        return Value::Null;
    };
    let mut m = serde_json::Map::new();
    for (i, key) in k.iter().enumerate() {
        if let Some(key) = key.as_str() {
            m.insert(
                key.to_string(),
                v.get(i).cloned().unwrap_or(serde_json::Value::Null),
            );
        }
    }
    Value::dynamic(serde_json::Value::Object(m))
}
