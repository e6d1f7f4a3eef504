//! IP address functions: `ipv4_is_in_range`, `ipv4_is_private`, `ipv4_range_to_cidr_list`, `has_ipv4…`, `parse_/format_ipv4…`
//! (range lists and IPv6 masks are in `ip_ranges.rs`).

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("ipv4_is_in_range", ("ipv4, range", 2, 2) -> T(Type::Bool), "Whether an IPv4 address lies in a CIDR range.", Eval(ipv4_is_in_range), [("ipv4_is_in_range(\"10.1.2.3\", \"10.0.0.0/8\")", "true")]),
    def!("has_ipv4", ("source, ip_address", 2, 2) -> T(Type::Bool), "Whether the text holds the IPv4 address as a delimited token.", Eval(has_ipv4), [("has_ipv4('GET 10.1.2.3 200', '10.1.2.3')", "true")]),
    def!("has_ipv4_prefix", ("source, ip_prefix", 2, 2) -> T(Type::Bool), "Whether the text holds an IPv4 address starting with the prefix (whole octets, ending in a dot).", Eval(has_ipv4_prefix), [("has_ipv4_prefix('GET 10.1.2.3 200', '10.1.')", "true")]),
    def!("has_any_ipv4", ("source, ip1, ip2, … | dynamic", 2, 64) -> T(Type::Bool), "Whether the text holds any of the IPv4 addresses.", Eval(has_any_ipv4)),
    def!("has_any_ipv4_prefix", ("source, prefix1, prefix2, … | dynamic", 2, 64) -> T(Type::Bool), "Whether the text holds an IPv4 address with any of the prefixes.", Eval(has_any_ipv4_prefix), [("has_any_ipv4_prefix('from 10.1.2.3', dynamic(['192.168.', '10.']))", "true")]),
    def!("ipv4_is_match", ("ip1, ip2 [, prefix]", 2, 3) -> T(Type::Bool), "Whether two IPv4 addresses (or CIDR ranges) are equal on the prefix's bits.", Eval(ipv4_is_match), [("ipv4_is_match('192.168.1.1', '192.168.1.255', 24)", "true")]),
    def!("ipv4_compare", ("ip1, ip2 [, prefix]", 2, 3) -> T(Type::Long), "-1, 0 or 1 comparing two IPv4 addresses on the prefix's bits.", Eval(ipv4_compare)),
    def!("parse_ipv4", ("ip", 1, 1) -> T(Type::Long), "An IPv4 address (or CIDR, masked) as a number.", Eval(parse_ipv4_fn), [("parse_ipv4('127.0.0.1')", "2130706433")]),
    def!("parse_ipv4_mask", ("ip, prefix", 2, 2) -> T(Type::Long), "An IPv4 address masked to a prefix, as a number.", Eval(parse_ipv4_mask)),
    def!("format_ipv4", ("ip [, prefix]", 1, 2) -> T(Type::String), "An IPv4 address (text or number) masked and written out.", Eval(format_ipv4)),
    def!("format_ipv4_mask", ("ip [, prefix]", 1, 2) -> T(Type::String), "An IPv4 address masked and written with its prefix length.", Eval(format_ipv4_mask)),
    def!("ipv4_netmask_suffix", ("ip", 1, 1) -> T(Type::Long), "The prefix length of a CIDR (32 for an address).", Eval(ipv4_netmask_suffix)),
    def!("ipv4_range_to_cidr_list", ("start_address, end_address", 2, 2) -> T(Type::Dynamic), "The fewest CIDR ranges that cover an IPv4 address range, in order.", Eval(ipv4_range_to_cidr_list), [("ipv4_range_to_cidr_list('10.0.0.0', '10.0.2.255')", "[\"10.0.0.0/23\",\"10.0.2.0/24\"]")]),
    def!("ipv4_is_private", ("ipv4", 1, 1) -> T(Type::Bool), "Whether an IPv4 address is in a private (RFC 1918) range.", Eval(ipv4_is_private), [("ipv4_is_private(\"192.168.1.1\")", "true")]),
];

fn ipv4_is_in_range(a: &[Value], _: &Env) -> Value {
    let ip = a[0].to_kql_string();
    let range = a[1].to_kql_string();
    match (parse_ipv4(&ip), parse_cidr(&range)) {
        (Some(x), Some((net, bits))) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Value::Bool(x & mask == net & mask)
        }
        _ => Value::Null,
    }
}

fn ipv4_is_private(a: &[Value], _: &Env) -> Value {
    match parse_ipv4(&a[0].to_kql_string()) {
        Some(x) => {
            let o = x.to_be_bytes();
            Value::Bool(
                o[0] == 10
                    || (o[0] == 172 && (16..=31).contains(&o[1]))
                    || (o[0] == 192 && o[1] == 168),
            )
        }
        None => Value::Null,
    }
}

/// `ip` or `ip:port` as a number.
pub(crate) fn parse_ipv4(s: &str) -> Option<u32> {
    let s = s.trim();
    let host = match s.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => s,
    };
    host.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

/// `a.b.c.d/n` (or a single address, /32).
pub(crate) fn parse_cidr(s: &str) -> Option<(u32, u32)> {
    match s.trim().split_once('/') {
        Some((ip, bits)) => {
            let bits: u32 = bits.parse().ok()?;
            (bits <= 32).then_some(())?;
            Some((parse_ipv4(ip)?, bits))
        }
        None => Some((parse_ipv4(s)?, 32)),
    }
}

/// The IPv4 addresses written in a text as delimited tokens (runs of digits and dots bounded
/// by characters that are neither, nor letters).
fn ipv4_tokens(text: &str) -> Vec<u32> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let before_ok = start == 0 || !b[start - 1].is_ascii_alphanumeric();
            let after_ok = i == b.len() || !b[i].is_ascii_alphanumeric();
            if before_ok && after_ok {
                if let Ok(ip) = text[start..i].parse::<std::net::Ipv4Addr>() {
                    out.push(u32::from(ip));
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Values given as several arguments or one dynamic array.
fn list(a: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for v in a {
        match as_json(v) {
            Some(serde_json::Value::Array(items)) if matches!(v, Value::Dynamic(_)) => out.extend(
                items
                    .iter()
                    .map(|x| Value::dynamic(x.clone()).to_kql_string()),
            ),
            _ => out.push(v.to_kql_string()),
        }
    }
    out
}

/// A prefix of whole octets (`10.`, `10.1.`) or a full address: (value, bits).
fn ipv4_prefix(p: &str) -> Option<(u32, u32)> {
    let p = p.trim();
    if let Some(full) = parse_ipv4(p).filter(|_| !p.contains(':')) {
        return Some((full, 32));
    }
    let body = p.strip_suffix('.')?;
    let octets: Vec<&str> = body.split('.').collect();
    if octets.is_empty() || octets.len() > 3 {
        return None;
    }
    let mut v: u32 = 0;
    for o in &octets {
        let n: u8 = o.parse().ok()?;
        v = (v << 8) | n as u32;
    }
    let bits = 8 * octets.len() as u32;
    Some((v << (32 - bits), bits))
}

fn mask(bits: u32) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    }
}

fn has_any_prefix(text: &str, prefixes: &[String]) -> Value {
    let ps: Vec<(u32, u32)> = prefixes.iter().filter_map(|p| ipv4_prefix(p)).collect();
    let ips = ipv4_tokens(text);
    Value::Bool(
        ips.iter()
            .any(|ip| ps.iter().any(|(p, bits)| ip & mask(*bits) == *p)),
    )
}

fn has_ipv4(a: &[Value], _: &Env) -> Value {
    match parse_ipv4(&a[1].to_kql_string()) {
        Some(ip) => Value::Bool(ipv4_tokens(&a[0].to_kql_string()).contains(&ip)),
        None => Value::Bool(false),
    }
}

fn has_ipv4_prefix(a: &[Value], _: &Env) -> Value {
    has_any_prefix(&a[0].to_kql_string(), &[a[1].to_kql_string()])
}

fn has_any_ipv4(a: &[Value], _: &Env) -> Value {
    let ips: Vec<u32> = list(&a[1..]).iter().filter_map(|s| parse_ipv4(s)).collect();
    let found = ipv4_tokens(&a[0].to_kql_string());
    Value::Bool(found.iter().any(|f| ips.contains(f)))
}

fn has_any_ipv4_prefix(a: &[Value], _: &Env) -> Value {
    has_any_prefix(&a[0].to_kql_string(), &list(&a[1..]))
}

/// An address or CIDR and its prefix length, narrowed by an optional prefix argument.
fn ip_and_bits(v: &Value, prefix: Option<&Value>) -> Option<(u32, u32)> {
    let (ip, mut bits) = parse_cidr(&v.to_kql_string())?;
    if let Some(p) = prefix.and_then(|p| p.as_i64()) {
        if !(0..=32).contains(&p) {
            return None;
        }
        bits = bits.min(p as u32);
    }
    Some((ip, bits))
}

fn ipv4_compare_values(a: &[Value]) -> Option<i64> {
    let (x, bx) = ip_and_bits(&a[0], a.get(2))?;
    let (y, by) = ip_and_bits(&a[1], a.get(2))?;
    let m = mask(bx.min(by));
    Some(match (x & m).cmp(&(y & m)) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

fn ipv4_is_match(a: &[Value], _: &Env) -> Value {
    ipv4_compare_values(a)
        .map(|c| Value::Bool(c == 0))
        .unwrap_or(Value::Null)
}

fn ipv4_compare(a: &[Value], _: &Env) -> Value {
    ipv4_compare_values(a)
        .map(Value::Long)
        .unwrap_or(Value::Null)
}

/// An address given as text or as a number.
fn ip_value(v: &Value) -> Option<(u32, u32)> {
    match v.undyn() {
        Value::Long(n) if (0..=u32::MAX as i64).contains(&n) => Some((n as u32, 32)),
        other => parse_cidr(&other.to_kql_string()),
    }
}

fn parse_ipv4_fn(a: &[Value], _: &Env) -> Value {
    match parse_cidr(&a[0].to_kql_string()) {
        Some((ip, bits)) => Value::Long((ip & mask(bits)) as i64),
        None => Value::Null,
    }
}

fn parse_ipv4_mask(a: &[Value], _: &Env) -> Value {
    match ip_and_bits(&a[0], Some(&a[1])) {
        Some((ip, bits)) => Value::Long((ip & mask(bits)) as i64),
        None => Value::Null,
    }
}

fn masked(a: &[Value]) -> Option<(u32, u32)> {
    let (ip, mut bits) = ip_value(&a[0])?;
    if let Some(p) = a.get(1) {
        let p = p.as_i64()?;
        if !(0..=32).contains(&p) {
            return None;
        }
        bits = bits.min(p as u32);
    }
    Some((ip & mask(bits), bits))
}

fn format_ipv4(a: &[Value], _: &Env) -> Value {
    match masked(a) {
        Some((ip, _)) => Value::str(&std::net::Ipv4Addr::from(ip).to_string()),
        None => Value::str(""),
    }
}

fn format_ipv4_mask(a: &[Value], _: &Env) -> Value {
    match masked(a) {
        Some((ip, bits)) => Value::str(&format!("{}/{bits}", std::net::Ipv4Addr::from(ip))),
        None => Value::str(""),
    }
}

fn ipv4_netmask_suffix(a: &[Value], _: &Env) -> Value {
    parse_cidr(&a[0].to_kql_string())
        .map(|(_, b)| Value::Long(b as i64))
        .unwrap_or(Value::Null)
}

fn ipv4_range_to_cidr_list(a: &[Value], _: &Env) -> Value {
    let ends = (
        super::str_of(&a[0]).and_then(|s| parse_ipv4(&s)),
        super::str_of(&a[1]).and_then(|s| parse_ipv4(&s)),
    );
    let (Some(start), Some(end)) = ends else {
        return Value::Null;
    };
    let mut out = Vec::new();
    let (mut at, end) = (start as u64, end as u64);
    while at <= end {
        // The largest block aligned at `at` that stays within the range.
        let mut bits = if at == 0 {
            32
        } else {
            at.trailing_zeros().min(32)
        };
        while bits > 0 && at + (1u64 << bits) - 1 > end {
            bits -= 1;
        }
        out.push(serde_json::Value::String(format!(
            "{}/{}",
            std::net::Ipv4Addr::from(at as u32),
            32 - bits
        )));
        at += 1u64 << bits;
    }
    Value::dynamic(serde_json::Value::Array(out))
}
