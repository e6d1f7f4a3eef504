//! IP address functions: `ipv4_is_in_range`, `ipv4_is_private`.

use super::{def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("ipv4_is_in_range", ("ipv4, range", 2, 2) -> T(Type::Bool), "Whether an IPv4 address lies in a CIDR range.", Eval(ipv4_is_in_range), [("ipv4_is_in_range(\"10.1.2.3\", \"10.0.0.0/8\")", "true")]),
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
