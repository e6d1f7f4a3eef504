//! IP range lists and IPv6 addresses: `ipv4_is_in_any_range`, `ipv6_is_in_any_range`,
//! `ipv6_is_in_range`,
//! `format_ipv6_mask`, `parse_ipv6`, `parse_ipv6_mask`, `ipv6_compare`, `ipv6_is_match` (the
//! IPv4-only functions are in `ip.rs`). The exported Sentinel rules test caller addresses against intel lists and
//! allow-lists with these, so the membership test is the core's own ([`NetSet`]: most specific
//! prefix, IPv4-mapped IPv6 treated as IPv4), and a list given as one constant `dynamic([...])`
//! is parsed once per run, not once per row (an 11,000-range list over a million rows).

use super::{as_json, def, str_of, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use keyhole_core::detect::config::parse_ip_loose;
use keyhole_core::detect::{Net, NetSet};
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("ipv4_is_in_any_range", ("ipv4, range1 | dynamic([ranges]), …", 2, 64) -> T(Type::Bool), "Whether an IPv4 address lies in any of the ranges (CIDR strings, or arrays of them); null when the address is not IPv4.", Eval(ipv4_in_any), [("ipv4_is_in_any_range(\"10.1.2.3\", dynamic([\"192.168.0.0/16\", \"10.0.0.0/8\"]))", "true")]),
    def!("ipv6_is_in_any_range", ("ipv6, range1 | dynamic([ranges]), …", 2, 64) -> T(Type::Bool), "Whether an IPv6 (or IPv4) address lies in any of the ranges; null when it is not an address.", Eval(ipv6_in_any), [("ipv6_is_in_any_range(\"2001:db8::1\", \"2001:db8::/32\")", "true")]),
    def!("ipv6_is_in_range", ("ipv6, range", 2, 2) -> T(Type::Bool), "Whether an IPv6 (or IPv4) address lies in a range in IP-prefix notation; null when either is not an address.", Eval(ipv6_is_in_range), [("ipv6_is_in_range('2001:db8::7', '2001:db8::/64')", "true")]),
    def!("format_ipv6_mask", ("ipv6 [, prefix]", 1, 2) -> T(Type::String), "An IPv6 address with the bits past the prefix cleared (prefix 128 by default); empty when it is not an address.", Eval(format_ipv6_mask), [("format_ipv6_mask(\"2001:db8:1:2::7\", 32)", "2001:db8::")]),
    def!("parse_ipv6", ("ip", 1, 1) -> T(Type::String), "An IPv6 or IPv4 address (or CIDR, masked) in canonical IPv6 form: eight groups of four hex digits, IPv4 as IPv4-mapped; empty when it is not an address.", Eval(parse_ipv6_fn), [("parse_ipv6('127.0.0.1')", "0000:0000:0000:0000:0000:ffff:7f00:0001")]),
    def!("parse_ipv6_mask", ("ip, prefix", 2, 2) -> T(Type::String), "An IPv6 or IPv4 address masked to the prefix (0 to 128 bits, narrowed by a CIDR suffix) in canonical IPv6 form; empty when it is not an address.", Eval(parse_ipv6_mask), [("parse_ipv6_mask('fe80::85d:e82c:9446:7994', 120)", "fe80:0000:0000:0000:085d:e82c:9446:7900")]),
    def!("ipv6_compare", ("ip1, ip2 [, prefix]", 2, 3) -> T(Type::Long), "-1, 0 or 1 comparing two IPv6 or IPv4 addresses (or CIDR ranges) on the prefix's bits (the smallest of the two suffixes and the argument, 0 to 128); null when either is not an address.", Eval(ipv6_compare), [("ipv6_compare('::ffff:7f00:1', '127.0.0.1')", "0")]),
    def!("ipv6_is_match", ("ip1, ip2 [, prefix]", 2, 3) -> T(Type::Bool), "Whether two IPv6 or IPv4 addresses (or CIDR ranges) are equal on the prefix's bits; null when either is not an address.", Eval(ipv6_is_match), [("ipv6_is_match('fe80::85d:e82c:9446:7994/127', 'fe80::85d:e82c:9446:7995')", "true")]),
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

/// An IPv6 or IPv4 address with an optional `/n` suffix, as Kusto's IPv6 functions read it:
/// (128-bit address, prefix length). IPv4, written alone or as the dotted tail of an IPv6
/// address (`::192.168.1.1`, `::ffff:192.168.1.1`), is the IPv4-mapped address, and its suffix
/// counts the IPv4 bits (`/24` is 96 + 24 = 120).
pub(crate) fn parse_ipv6_net(s: &str) -> Option<(u128, u32)> {
    let s = s.trim();
    let (host, suffix) = match s.split_once('/') {
        Some((h, n)) => (h.trim(), Some(n.trim().parse::<u32>().ok()?)),
        None => (s, None),
    };
    const MAPPED: u128 = 0xffff << 32;
    let (addr, v4) = if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        (MAPPED | u32::from(v4) as u128, true)
    } else {
        let v6 = u128::from(host.parse::<std::net::Ipv6Addr>().ok()?);
        if host.contains('.') && (v6 >> 32 == 0 || v6 >> 32 == 0xffff) {
            (MAPPED | (v6 & 0xffff_ffff), true)
        } else {
            (v6, false)
        }
    };
    let bits = match (suffix, v4) {
        (None, _) => 128,
        (Some(n), true) if n <= 32 => 96 + n,
        (Some(n), false) if n <= 128 => n,
        _ => return None,
    };
    Some((addr, bits))
}

fn ipv6_is_in_range(a: &[Value], _: &Env) -> Value {
    let net = |v: &Value| str_of(v).and_then(|s| parse_ipv6_net(&s));
    match (net(&a[0]), net(&a[1])) {
        (Some((ip, _)), Some((range, bits))) => {
            let m = mask128(bits);
            Value::Bool(ip & m == range & m)
        }
        _ => Value::Null,
    }
}

fn mask128(bits: u32) -> u128 {
    match bits {
        0 => 0,
        b => u128::MAX << (128 - b.min(128)),
    }
}

/// Eight groups of four lowercase hex digits.
fn canonical(a: u128) -> String {
    let g: Vec<String> = (0..8)
        .rev()
        .map(|i| format!("{:04x}", (a >> (16 * i)) & 0xffff))
        .collect();
    g.join(":")
}

/// An address and its bits, narrowed by a prefix argument (null or outside 0..=128: none).
fn net_with_prefix(v: &Value, prefix: Option<&Value>) -> Option<(u128, u32)> {
    let (a, mut bits) = parse_ipv6_net(&str_of(v)?)?;
    if let Some(p) = prefix {
        let p = p.as_i64()?;
        if !(0..=128).contains(&p) {
            return None;
        }
        bits = bits.min(p as u32);
    }
    Some((a, bits))
}

fn parse_ipv6_fn(a: &[Value], _: &Env) -> Value {
    match net_with_prefix(&a[0], None) {
        Some((ip, bits)) => Value::str(&canonical(ip & mask128(bits))),
        None => Value::str(""),
    }
}

fn parse_ipv6_mask(a: &[Value], _: &Env) -> Value {
    match net_with_prefix(&a[0], Some(&a[1])) {
        Some((ip, bits)) => Value::str(&canonical(ip & mask128(bits))),
        None => Value::str(""),
    }
}

/// Two addresses compared on the fewest bits either keeps (and the prefix argument).
pub(crate) fn ipv6_order(x: (u128, u32), y: (u128, u32)) -> std::cmp::Ordering {
    let m = mask128(x.1.min(y.1));
    (x.0 & m).cmp(&(y.0 & m))
}

fn ipv6_compare_values(a: &[Value]) -> Option<std::cmp::Ordering> {
    let x = net_with_prefix(&a[0], a.get(2))?;
    let y = net_with_prefix(&a[1], a.get(2))?;
    Some(ipv6_order(x, y))
}

fn ipv6_compare(a: &[Value], _: &Env) -> Value {
    match ipv6_compare_values(a) {
        Some(o) => Value::Long(o as i64),
        None => Value::Null,
    }
}

fn ipv6_is_match(a: &[Value], _: &Env) -> Value {
    match ipv6_compare_values(a) {
        Some(o) => Value::Bool(o.is_eq()),
        None => Value::Null,
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
    fn ipv6_canonical_forms() {
        // IPv4 is IPv4-mapped; its CIDR suffix counts IPv4 bits (/16 is 112 of 128).
        assert_eq!(
            one("parse_ipv6('10.1.2.3')"),
            "0000:0000:0000:0000:0000:ffff:0a01:0203"
        );
        assert_eq!(
            one("parse_ipv6_mask('10.1.2.3/16', 128)"),
            "0000:0000:0000:0000:0000:ffff:0a01:0000"
        );
        assert_eq!(
            one("parse_ipv6_mask('10.1.2.3', 124)"),
            "0000:0000:0000:0000:0000:ffff:0a01:0200"
        );
        // IPv4 written as the dotted tail of an IPv6 address is IPv4 too.
        assert_eq!(
            one("parse_ipv6_mask('::10.1.2.3/8', 128)"),
            "0000:0000:0000:0000:0000:ffff:0a00:0000"
        );
        assert_eq!(
            one("parse_ipv6_mask('2001:db8:0:1::abcd/112', 120)"),
            "2001:0db8:0000:0001:0000:0000:0000:0000"
        );
        assert_eq!(
            one("parse_ipv6('2001:DB8::1')"),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        // Not an address, a suffix or a prefix out of range: empty.
        assert_eq!(one("parse_ipv6('<Redacted>')"), "");
        assert_eq!(one("parse_ipv6_mask('10.1.2.3/33', 128)"), "");
        assert_eq!(one("parse_ipv6_mask('2001:db8::1', 129)"), "");
    }

    #[test]
    fn ipv6_comparison() {
        assert_eq!(one("ipv6_compare('2001:db8::1', '2001:db8::2')"), "-1");
        assert_eq!(one("ipv6_compare('2001:db8::2', '2001:db8::1')"), "1");
        assert_eq!(one("ipv6_compare('2001:db8::1', '2001:db8::2', 126)"), "0");
        // The fewest bits either side keeps: a /126 suffix on one side is enough.
        assert_eq!(one("ipv6_compare('2001:db8::1/126', '2001:db8::2')"), "0");
        // IPv4 and its mapped form are one address.
        assert_eq!(one("ipv6_compare('10.0.0.1/24', '::ffff:a00:ff')"), "0");
        assert_eq!(one("ipv6_compare('10.0.0.1', '::ffff:a00:ff')"), "-1");
        assert_eq!(one("ipv6_is_match('10.0.0.1', '10.0.0.9', 124)"), "true");
        assert_eq!(one("ipv6_is_match('10.0.0.1', '10.0.0.17', 124)"), "false");
        assert_eq!(one("isnull(ipv6_compare('2001:db8::1', 'x'))"), "true");
        assert_eq!(
            one("isnull(ipv6_is_match('2001:db8::1', '2001:db8::1', 200))"),
            "true"
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
