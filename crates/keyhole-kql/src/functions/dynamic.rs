//! Dynamic values (JSON arrays and property bags): `array_length`, `bag_keys`, `pack`,
//! `pack_array`, `set_has_element`, `strcat_array`.

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{kql_eq, Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("array_length", ("array", 1, 1) -> T(Type::Long), "The number of elements of an array (null if not an array).", Eval(array_length), [("array_length(dynamic([1, 2, 3]))", "3")]),
    def!("bag_keys", ("bag", 1, 1) -> T(Type::Dynamic), "The keys of a property bag, as an array.", Eval(bag_keys), [("bag_keys(dynamic({\"a\": 1, \"b\": 2}))", "[\"a\",\"b\"]")]),
    def!("pack" | "bag_pack", ("key1, value1, key2, value2, …", 2, 128) -> T(Type::Dynamic), "A property bag from key/value pairs.", Eval(pack), [("bag_pack(\"a\", 1)", "{\"a\":1}")]),
    def!("pack_array", ("value1, value2, …", 1, 128) -> T(Type::Dynamic), "An array of the arguments.", Eval(pack_array), [("pack_array(1, \"x\")", "[1,\"x\"]")]),
    def!("set_has_element" | "array_contains", ("set, value", 2, 2) -> T(Type::Bool), "Whether an array holds a value.", Eval(set_has_element), [("set_has_element(dynamic([1, 2]), 2)", "true")]),
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
    let slot = std::mem::size_of::<serde_json::Value>();
    env.fits(what, a.iter().map(|v| super::heap_size(v) + slot).sum())
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
