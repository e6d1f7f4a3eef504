//! IP range lists and IPv6 masks: `ipv4_is_in_any_range`, `ipv6_is_in_any_range`, `format_ipv6_mask`
//! (`format_ipv4_mask` is in `ip.rs`). The exported Sentinel rules test caller addresses against intel lists and
//! allow-lists with these, so the membership test is the core's own ([`NetSet`]: most specific
//! prefix, IPv4-mapped IPv6 treated as IPv4), and a list given as one constant `dynamic([...])`
//! is parsed once per run, not once per row (an 11,000-range list over a million rows).

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use keyhole_core::detect::config::parse_ip_loose;
use keyhole_core::detect::{Net, NetSet};
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("ipv4_is_in_any_range", ("ipv4, range1 | dynamic([ranges]), …", 2, 64) -> T(Type::Bool), "Whether an IPv4 address lies in any of the ranges (CIDR strings, or arrays of them); null when the address is not IPv4.", Eval(ipv4_in_any), [("ipv4_is_in_any_range(\"10.1.2.3\", dynamic([\"192.168.0.0/16\", \"10.0.0.0/8\"]))", "true")]),
    def!("ipv6_is_in_any_range", ("ipv6, range1 | dynamic([ranges]), …", 2, 64) -> T(Type::Bool), "Whether an IPv6 (or IPv4) address lies in any of the ranges; null when it is not an address.", Eval(ipv6_in_any), [("ipv6_is_in_any_range(\"2001:db8::1\", \"2001:db8::/32\")", "true")]),
    def!("format_ipv6_mask", ("ipv6 [, prefix]", 1, 2) -> T(Type::String), "An IPv6 address with the bits past the prefix cleared (prefix 128 by default); empty when it is not an address.", Eval(format_ipv6_mask), [("format_ipv6_mask(\"2001:db8:1:2::7\", 32)", "2001:db8::")]),
];

/// The address of a value: plain v4/v6, `ip:port`, `[v6]:port` (the core's parser).
fn addr(v: &Value) -> Option<IpAddr> {
    match v {
        Value::Null => None,
        other => parse_ip_loose(&other.to_kql_string()),
    }
}

thread_local! {
    /// Parsed constant range lists, keyed by the address of their shared JSON value (the clone
    /// kept in the entry pins the address). Bounded.
    static LISTS: std::cell::RefCell<Vec<(Arc<serde_json::Value>, Arc<NetSet>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn add_text(set: &mut NetSet, s: &str) {
    if let Ok(n) = Net::parse(s) {
        set.insert(n);
    }
}

fn list_of(v: &Value) -> Arc<NetSet> {
    if let Value::Dynamic(d) = v {
        if let Some(hit) = LISTS.with(|l| {
            l.borrow()
                .iter()
                .find(|(k, _)| Arc::ptr_eq(k, d))
                .map(|(_, s)| s.clone())
        }) {
            return hit;
        }
        let mut set = NetSet::default();
        match &**d {
            serde_json::Value::Array(a) => {
                for x in a {
                    if let Some(s) = x.as_str() {
                        add_text(&mut set, s);
                    }
                }
            }
            serde_json::Value::String(s) => add_text(&mut set, s),
            _ => {}
        }
        let set = Arc::new(set);
        LISTS.with(|l| {
            let mut l = l.borrow_mut();
            if l.len() >= 32 {
                l.remove(0);
            }
            l.push((d.clone(), set.clone()));
        });
        return set;
    }
    let mut set = NetSet::default();
    match as_json(v) {
        Some(serde_json::Value::Array(a)) => {
            for x in a {
                if let Some(s) = x.as_str() {
                    add_text(&mut set, s);
                }
            }
        }
        _ => add_text(&mut set, &v.to_kql_string()),
    }
    Arc::new(set)
}

fn in_any(a: &[Value], want_v4: bool) -> Value {
    let Some(ip) = addr(&a[0]) else {
        return Value::Null;
    };
    if want_v4 && !ip.is_ipv4() {
        return Value::Null;
    }
    Value::Bool(a[1..].iter().any(|r| list_of(r).contains(ip)))
}

fn ipv4_in_any(a: &[Value], _: &Env) -> Value {
    in_any(a, true)
}

fn ipv6_in_any(a: &[Value], _: &Env) -> Value {
    in_any(a, false)
}

fn prefix(a: &[Value], max: i64) -> u8 {
    a.get(1)
        .and_then(|v| v.as_i64())
        .unwrap_or(max)
        .clamp(0, max) as u8
}

fn format_ipv6_mask(a: &[Value], _: &Env) -> Value {
    match addr(&a[0]) {
        Some(ip) => Value::str(&Net::new(ip, prefix(a, 128)).addr.to_string()),
        None => Value::str(""),
    }
}

#[cfg(test)]
mod tests {
    fn one(q: &str) -> String {
        let t = crate::run(
            &format!("print r = {q}"),
            &keyhole_core::EventStore::default(),
            &Default::default(),
        )
        .unwrap();
        t.rows[0][0].to_string()
    }

    #[test]
    fn membership_follows_the_core() {
        let l = r#"dynamic(["193.142.146.0/24", "45.155.205.233", "2001:db8::/32"])"#;
        assert_eq!(
            one(&format!("ipv4_is_in_any_range('193.142.146.17', {l})")),
            "true"
        );
        assert_eq!(
            one(&format!("ipv4_is_in_any_range('45.155.205.233:443', {l})")),
            "true"
        );
        assert_eq!(
            one(&format!("ipv4_is_in_any_range('45.155.205.234', {l})")),
            "false"
        );
        // Not IPv4: null for the IPv4 function, a real answer for the IPv6 one.
        assert_eq!(
            one(&format!("isnull(ipv4_is_in_any_range('2001:db8::9', {l}))")),
            "true"
        );
        assert_eq!(
            one(&format!("ipv6_is_in_any_range('2001:db8::9', {l})")),
            "true"
        );
        assert_eq!(
            one(&format!("ipv6_is_in_any_range('193.142.146.1', {l})")),
            "true"
        );
        assert_eq!(
            one(&format!("isnull(ipv6_is_in_any_range('<Redacted>', {l}))")),
            "true"
        );
        // Several range arguments, plain strings.
        assert_eq!(
            one("ipv4_is_in_any_range('10.1.1.1', '192.168.0.0/16', '10.0.0.0/8')"),
            "true"
        );
        // An empty list holds nothing.
        assert_eq!(
            one("ipv4_is_in_any_range('10.1.1.1', dynamic([]))"),
            "false"
        );
    }

    #[test]
    fn masks() {
        assert_eq!(one("format_ipv4_mask('81.2.61.49', 16)"), "81.2.0.0/16");
        assert_eq!(one("format_ipv4_mask('81.2.61.49')"), "81.2.61.49/32");
        assert_eq!(one("format_ipv4_mask('2a01:cb00::1', 16)"), "");
        assert_eq!(
            one("format_ipv6_mask('2a01:cb00:123:4567::9', 32)"),
            "2a01:cb00::"
        );
    }

    #[test]
    fn a_constant_list_is_parsed_once_per_run() {
        // 20,000 ranges over 2,000 rows: the list is parsed once (a per-row parse would take
        // minutes in a debug build).
        let ranges: Vec<String> = (0..20_000)
            .map(|i| format!("\"10.{}.{}.0/24\"", i / 256, i % 256))
            .collect();
        let q = format!(
            "range x from 1 to 2000 step 1 | extend ip = strcat('10.', x % 78, '.', x % 256, '.7') | where ipv4_is_in_any_range(ip, dynamic([{}])) | count",
            ranges.join(",")
        );
        let t = crate::run(
            &q,
            &keyhole_core::EventStore::default(),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(t.rows[0][0].to_string(), "2000");
    }
}
