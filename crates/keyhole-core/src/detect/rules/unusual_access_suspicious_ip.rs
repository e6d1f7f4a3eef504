//! KV_UnusualAccessSuspiciousIP — an established principal's first access from a network it
//! never used, outside Microsoft ranges.
//!
//! Why: a stolen token or secret is used from the attacker's network, not from where the
//! principal always works. Defender compares against ASNs; without an ASN database Keyhole
//! compares networks of `network_prefix_v4` (default /16) and `network_prefix_v6` (/32) bits,
//! coarse enough that DHCP churn inside one provider stays quiet. Addresses in the bundled
//! Microsoft Azure ranges, private, loopback and link-local addresses are never "unusual".
//! Judged: successful requests of principals established (active on ≥ `established_days`
//! days) after the vault's learning period. MITRE: Initial Access, Credential Access.
//! Grouping: (principal, network) per 24 h. Origin: Defender.
//!
//! On a vault with less data than the learning period the principal's networks are learned
//! from the drop (the vault's first third, at least 12 h, and the principal seen for 24 h): a
//! later new network is reported as informational, because a day or two does not show a
//! principal's home connection, phone or travels (in generated tenants a user's home network
//! appears first on day 3 as often as an attacker's).

use crate::detect::baseline::{FxMap, Id};
use crate::detect::config::Net;
use crate::detect::judging::{hours_text, Mode};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use serde_json::json;
use std::collections::HashSet;
use std::net::IpAddr;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_UnusualAccessSuspiciousIP",
    title: "Unusual access to a key vault from a network the principal never used",
    severity: Severity::Medium,
    tactics: &["InitialAccess", "CredentialAccess"],
    origin: "Defender",
    doc: "An established principal (active on >= 3 days) succeeds from a /16 (IPv6 /32) it never used, outside Microsoft Azure ranges and private networks, after the vault's 7-day learning period.",
    needs_baseline: true,
    basis: "the principal's networks before the event, after the vault's learning period",
    short_drop: "networks learned from the vault's first third (at least 12 h); a new network after it is informational (a day or two does not show a principal's home or phone)",
};

#[derive(Default)]
struct Seen {
    last: Option<Net>,
    seen: HashSet<Net>,
    alerted: bool,
}

pub struct UnusualAccessSuspiciousIp {
    nets: FxMap<Id, Seen>,
    groups: Groups<(Id, Net)>,
}

impl Default for UnusualAccessSuspiciousIp {
    fn default() -> Self {
        UnusualAccessSuspiciousIp {
            nets: FxMap::default(),
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

fn ordinary(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            a.is_private() || a.is_loopback() || a.is_link_local() || a.is_unspecified()
        }
        IpAddr::V6(a) => {
            a.is_loopback()
                || a.is_unspecified()
                || (a.segments()[0] & 0xfe00) == 0xfc00
                || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

impl Rule for UnusualAccessSuspiciousIp {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        if allowed || !ev.is_success() {
            return;
        }
        let (Some(addr), Some(pk)) = (ev.caller_addr(), cx.cur.principal) else {
            return;
        };
        let prefix = if addr.is_ipv4() {
            cx.cfg.network_prefix_v4
        } else {
            cx.cfg.network_prefix_v6
        };
        let net = Net::new(addr, prefix);
        let key = (pk, net);
        let st = self.nets.entry(pk).or_default();
        // Fast path: the same network as the principal's previous request.
        if st.last == Some(net) && !st.alerted {
            return;
        }
        st.last = Some(net);
        if st.alerted {
            if let Some(fi) = self.groups.open_at(out, &key, ev.time()) {
                out[fi].add(ev, idx);
                return;
            }
        }
        if st.seen.contains(&net) {
            return;
        }
        let known = st.seen.len();
        st.seen.insert(net);
        let mode = cx.mode(ev);
        if ordinary(addr) || cx.ip.microsoft || mode == Mode::Learning {
            return;
        }
        let days = cx.base.principal_days_before(pk, ev.time().day());
        let known_for = cx.base.principal_known_for(pk, ev.time().micros);
        let established = match mode {
            Mode::InDrop => known_for >= MICROS_PER_DAY,
            _ => days >= cx.cfg.established_days,
        };
        if !established || known == 0 {
            return;
        }
        st.alerted = true;
        self.groups.hit(out, key, ev, idx, || {
            let mut f = new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} succeeded on {} from {} (network {}), a network it never used in {} active days; it had used {} other network{}",
                    who(ev),
                    ev.vault(),
                    addr,
                    net,
                    days,
                    known,
                    if known == 1 { "" } else { "s" }
                ),
                json!({"network": net.to_string(), "known_networks": known, "active_days": days}),
            )
            .with_basis(
                if mode == Mode::InDrop {
                    format!(
                        "the principal's networks over its {} in this drop; {}",
                        hours_text(known_for),
                        cx.history_basis(ev, "").0
                    )
                } else {
                    format!(
                        "the principal's networks over {} active days (after the vault's {}-day learning period)",
                        days, cx.cfg.learning_days
                    )
                },
                if mode == Mode::InDrop {
                    Confidence::Low
                } else {
                    Confidence::High
                },
            );
            if mode == Mode::InDrop {
                // A day or two of a principal's networks does not show its home, its phone or
                // its travels: informational.
                f.severity = Severity::Informational;
                f.reason.push_str(
                    " (judged on a short drop: a principal's other usual networks may not have appeared yet)",
                );
            }
            f
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    #[allow(unused_imports)]
    use crate::event::Event;

    #[allow(dead_code)]
    fn bg(vault: &str, days: i64) -> Vec<Event> {
        daily(
            &ev("2026-10-01T06:00:00Z")
                .vault(vault)
                .service("bg-app")
                .op("SecretGet")
                .obj("s")
                .ip("203.0.113.1"),
            days,
        )
    }

    #[test]
    fn needs_an_established_principal_and_a_new_network() {
        let cfg = DetectConfig::default();
        let me = |t: &str, ip: &str| {
            ev(t)
                .vault("kv")
                .user("u@x")
                .op("SecretGet")
                .obj("s")
                .ip(ip)
        };
        let run = |history_days: i64, ip: &str| {
            let mut v = bg("kv", 20);
            v.extend(daily(
                &me("2026-10-12T09:00:00Z", "198.18.5.5"),
                history_days,
            ));
            v.push(me("2026-10-15T03:00:00Z", ip));
            findings_of("KV_UnusualAccessSuspiciousIP", v, &cfg)
        };
        assert_eq!(
            run(3, "45.155.205.3").len(),
            1,
            "three earlier days: established"
        );
        assert!(
            run(2, "45.155.205.3").is_empty(),
            "two earlier days: not yet"
        );
        assert!(run(3, "198.18.77.1").is_empty(), "same /16");
        assert!(run(3, "10.9.9.9").is_empty(), "private");
    }
}
