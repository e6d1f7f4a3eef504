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
//! On a vault with less data than the learning period (a short drop) two judgements apply:
//! - **peers**: a network from a registry region (the RIR IANA allocated its block to, bundled
//!   in `data/rir_regions.txt`) that none of the vault's principals used before it in the drop,
//!   while at least `peer_min` other principals reached the vault from public networks with a
//!   region, is reported at the rule's severity (Low for a principal seen less than 24 h), from
//!   the drop's first event on, when the principal was seen from another network before (it
//!   moved): it compares the principal with its peers, so it needs no longer history of its own.
//!   Such a network that cannot be judged when it comes (the principal's first network of the
//!   drop, or fewer than `peer_min` peers yet) is judged on the whole drop instead
//!   (leave-one-out): reported when no other principal of the vault (at least `peer_min`; of
//!   the whole drop when the vault has fewer) used the region anywhere in the drop, and, for a
//!   first network, when its whole use is one burst of at most an hour while the principal used
//!   its other networks in at least two other clock hours. A principal that works from that
//!   region uses it again and stays quiet; one whose drop opens with an intruder's request is
//!   not missed because the drop starts that day. Legacy blocks, shared and reserved space
//!   have no region and never count;
//! - **in-drop learning**: otherwise the principal's networks are learned from the drop (the
//!   vault's first third, at least 12 h, and the principal seen for 24 h): a later new network
//!   in a region the vault knows is informational, because a day or two does not show a
//!   principal's home connection, phone or travels (in generated tenants a user's home network
//!   appears first on day 3 as often as an attacker's).
//!
//! A long vault is judged on the principal's own rolling history only, as before.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::config::Net;
use crate::detect::judging::{hours_text, Mode};
use crate::detect::region::Registry;
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};
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
    short_drop: "a network from a registry region none of the vault's principals used (at least 3 peers) is reported (judged on the whole drop when it cannot be when it comes, against the drop's principals on a vault with fewer peers; a principal's first network of the drop only when it is one burst of at most an hour against its other networks in two other hours); otherwise networks are learned from the vault's first third (at least 12 h) and a new network after it is informational (a day or two does not show a principal's home or phone)",
};

#[derive(Default)]
struct Seen {
    /// The network and vault of the principal's previous request.
    last: Option<(Net, Id)>,
    seen: HashSet<Net>,
    alerted: bool,
    /// Its new networks from a region no peer had used that could not be judged when they came
    /// (its first network of the drop, or fewer than `peer_min` peers yet): indices in
    /// `deferred`.
    watched: Vec<usize>,
}

/// A short vault's new network from a registry region none of its principals had used, that
/// the peer verdict could not judge when it came: judged on the whole drop (see the module
/// doc).
struct Deferred {
    finding: Finding,
    /// The finding the in-drop judgement made of it meanwhile (index in `out`), upgraded when
    /// the whole drop confirms the peer verdict.
    existing: Option<usize>,
    principal: Id,
    vault: Id,
    net: Net,
    region: Registry,
    /// The principal had used other networks before it (it moved); else its first network.
    moved: bool,
    /// Seen for less than 24 h before it (a moved principal's finding is then Low, as the
    /// peer verdict's).
    new_principal: bool,
    /// Its first and last success from that network.
    first: i64,
    last: i64,
    /// Distinct clock hours of its successes from other networks, and the last one counted.
    other_hours: u32,
    other_last_hour: i64,
}

/// The registry regions a vault was reached from (public, non-Microsoft addresses), per
/// principal (also their union over every vault: the drop's, see `finish`).
#[derive(Default)]
struct VaultRegions {
    all: u8,
    by: FxMap<Id, u8>,
}

impl VaultRegions {
    /// Principals other than `pk` that reached the vault from an address with a region.
    fn peers(&self, pk: Id) -> usize {
        self.by.len() - usize::from(self.by.contains_key(&pk))
    }
}

pub struct UnusualAccessSuspiciousIp {
    nets: FxMap<Id, Seen>,
    vaults: FxMap<Id, VaultRegions>,
    groups: Groups<(Id, Net)>,
    deferred: Vec<Deferred>,
}

impl Default for UnusualAccessSuspiciousIp {
    fn default() -> Self {
        UnusualAccessSuspiciousIp {
            nets: FxMap::default(),
            vaults: FxMap::default(),
            groups: Groups::new(MICROS_PER_DAY),
            deferred: Vec::new(),
        }
    }
}

fn region_text(r: Registry) -> String {
    format!("{} ({})", r.name(), r.area())
}

/// "u@x succeeded on kv from 1.2.3.4 (network 1.2.0.0/16), a network it never used in 3 active
/// days; it had used 1 other network".
fn new_network_reason(ev: EventRef<'_>, addr: IpAddr, net: Net, days: u32, known: usize) -> String {
    format!(
        "{} succeeded on {} from {} (network {}), a network it never used in {} active day{}; it had used {} other network{}",
        who(ev),
        ev.vault(),
        addr,
        net,
        days,
        if days == 1 { "" } else { "s" },
        known,
        if known == 1 { "" } else { "s" }
    )
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
        let vault = cx.cur.vault;
        let st = self.nets.entry(pk).or_default();
        for &w in &st.watched {
            let c = &mut self.deferred[w];
            if net == c.net {
                c.last = c.last.max(ev.time().micros);
                if vault == c.vault && ev.time().micros - c.first <= MICROS_PER_DAY {
                    c.finding.add(ev, idx);
                }
            } else if ev.time().hour() != c.other_last_hour {
                c.other_hours += 1;
                c.other_last_hour = ev.time().hour();
            }
        }
        // Fast path: the same network and vault as the principal's previous request.
        if st.last == Some((net, vault)) && !st.alerted {
            return;
        }
        st.last = Some((net, vault));
        if st.alerted {
            if let Some(fi) = self.groups.open_at(out, &key, ev.time()) {
                out[fi].add(ev, idx);
                return;
            }
        }
        if ordinary(addr) || cx.ip.microsoft {
            st.seen.insert(net);
            return;
        }
        // The vault's regions before this request, then this request's.
        let vr = self.vaults.entry(vault).or_default();
        let peers = vr.peers(pk);
        let unused_region = cx.ip.region.filter(|r| vr.all & r.bit() == 0);
        let new_region = unused_region.filter(|_| peers >= cx.cfg.peer_min);
        if let Some(r) = cx.ip.region {
            vr.all |= r.bit();
            *vr.by.entry(pk).or_default() |= r.bit();
        }
        if st.seen.contains(&net) {
            return;
        }
        let known = st.seen.len();
        st.seen.insert(net);
        let mode = cx.mode(ev);
        let short = cx
            .frame
            .vault(vault)
            .is_some_and(|s| !s.long(cx.cfg.learning_days));
        let days = cx.base.principal_days_before(pk, ev.time().day());
        let known_for = cx.base.principal_known_for(pk, ev.time().micros);
        // A region no peer used, that the peer verdict cannot judge yet (the principal's first
        // network of the drop, or fewer than `peer_min` peers so far: a drop may open on a
        // quiet hour): judged on the whole drop at the end of the pass.
        let mut deferred = None;
        if let (true, Some(r)) = (short, unused_region) {
            if known == 0 || new_region.is_none() {
                let reason = if known == 0 {
                    format!(
                        "{} succeeded on {} from {} (network {}), its first network in this drop",
                        who(ev),
                        ev.vault(),
                        addr,
                        net
                    )
                } else {
                    new_network_reason(ev, addr, net, days, known)
                };
                let finding = new_finding(
                    &INFO,
                    ev,
                    idx,
                    ev.vault(),
                    reason,
                    json!({"network": net.to_string(), "known_networks": known, "active_days": days, "region": r.name()}),
                );
                deferred = Some(self.deferred.len());
                st.watched.extend(deferred);
                self.deferred.push(Deferred {
                    finding,
                    existing: None,
                    principal: pk,
                    vault,
                    net,
                    region: r,
                    moved: known > 0,
                    new_principal: known_for < MICROS_PER_DAY,
                    first: ev.time().micros,
                    last: ev.time().micros,
                    other_hours: 0,
                    other_last_hour: i64::MIN,
                });
            }
        }
        // On a short drop a region no peer used needs no history of the principal's own.
        // Only for a principal seen from another network before: a principal whose first request
        // comes from a region its peers do not use may simply work there.
        let by_peers = if short && known > 0 { new_region } else { None };
        if mode == Mode::Learning && by_peers.is_none() {
            return;
        }
        let established = match mode {
            Mode::Rolling => days >= cx.cfg.established_days,
            _ => known_for >= MICROS_PER_DAY,
        };
        if by_peers.is_none() && (!established || known == 0) {
            return;
        }
        st.alerted = true;
        let (fi, _) = self.groups.hit(out, key, ev, idx, || {
            let mut f = new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                new_network_reason(ev, addr, net, days, known),
                json!({"network": net.to_string(), "known_networks": known, "active_days": days}),
            )
            .with_basis(
                if let Some(r) = by_peers {
                    format!(
                        "compared with the {} other principals of {} in this drop: none reached it from {} address space before; the principal's own networks over its {} in this drop",
                        peers,
                        ev.vault(),
                        region_text(r),
                        hours_text(known_for)
                    )
                } else if mode == Mode::InDrop {
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
                match (by_peers, mode) {
                    (Some(_), _) if peers >= 5 => Confidence::Medium,
                    (Some(_), _) | (None, Mode::InDrop) => Confidence::Low,
                    _ => Confidence::High,
                },
            );
            if let Some(r) = by_peers {
                f.reason.push_str(&format!(
                    "; no principal of {} used {} address space before it in this drop",
                    ev.vault(),
                    r.name()
                ));
                f.details["region"] = json!(r.name());
                f.details["peers"] = json!(peers);
                if !established {
                    // a principal the drop shows for less than a day
                    f.severity = Severity::Low;
                }
            } else if mode == Mode::InDrop {
                // A day or two of a principal's networks does not show its home, its phone or
                // its travels: informational.
                f.severity = Severity::Informational;
                f.reason.push_str(
                    " (judged on a short drop: a principal's other usual networks may not have appeared yet)",
                );
            }
            f
        });
        if let Some(d) = deferred {
            self.deferred[d].existing = Some(fi);
        }
    }

    /// The deferred networks, on the whole drop: reported when no other principal of the vault
    /// (at least `peer_min`; of the whole drop when the vault has fewer) used the region anywhere
    /// in the drop; a principal's first network also only when its whole use is one burst of at
    /// most an hour against its other networks in two other clock hours (a principal that works
    /// there uses it again).
    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        // The regions every principal of the drop used (any vault): the peers of a deferred
        // network on a vault with fewer than `peer_min` of its own.
        let mut drop = VaultRegions::default();
        if !self.deferred.is_empty() {
            for vr in self.vaults.values() {
                drop.all |= vr.all;
                for (&p, &bits) in &vr.by {
                    *drop.by.entry(p).or_default() |= bits;
                }
            }
        }
        for c in self.deferred.drain(..) {
            let Some(vr) = self.vaults.get(&c.vault) else {
                continue;
            };
            let by_vault = vr.peers(c.principal) >= cx.cfg.peer_min;
            let regions = if by_vault { vr } else { &drop };
            let peers = regions.peers(c.principal);
            let peer_used = regions
                .by
                .iter()
                .any(|(&p, &bits)| p != c.principal && bits & c.region.bit() != 0);
            let burst = c.last - c.first;
            if peer_used
                || peers < cx.cfg.peer_min
                || (!c.moved && (burst > MICROS_PER_HOUR || c.other_hours < 2))
            {
                continue;
            }
            let mut f = c.finding;
            if !c.moved {
                f.reason = format!(
                    "{} and its only use of that network in this drop, one burst of {}, while it used its other networks in {} other clock hours",
                    f.reason,
                    super::dur(burst),
                    c.other_hours
                );
            }
            let scope = if by_vault {
                f.vault.clone()
            } else {
                format!(
                    "this drop ({} has fewer than {} that reached it from public networks)",
                    f.vault, cx.cfg.peer_min
                )
            };
            f.reason.push_str(&format!(
                "; no other principal of {scope} used {} address space in this drop",
                c.region.name()
            ));
            f.basis = format!(
                "judged on the whole drop (leave-one-out): compared with the {peers} other principals of {scope}, none of which came from {} address space in this drop{}",
                region_text(c.region),
                if c.moved {
                    ", and with the principal's own networks before it"
                } else {
                    ", and with the principal's own other networks before and after it"
                }
            );
            f.confidence = if peers >= 5 {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            f.details["peers"] = json!(peers);
            if c.moved && c.new_principal {
                f.severity = Severity::Low;
            }
            match c.existing {
                // The in-drop judgement's finding of the same network, with its evidence.
                Some(i) => {
                    let e = &mut out[i];
                    e.severity = f.severity;
                    e.reason = f.reason;
                    e.basis = f.basis;
                    e.confidence = f.confidence;
                    e.details["region"] = f.details["region"].clone();
                    e.details["peers"] = json!(peers);
                }
                None => out.push(f),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{background, daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

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
            let mut v = background("kv", 20);
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

    /// A two-day drop (short): three colleagues and the principal reach the vault from RIPE NCC
    /// space every few hours; then the principal succeeds from `ip` on day 2.
    fn two_day_drop(ip: &str, colleague_ips: [&str; 3]) -> Vec<crate::detect::Finding> {
        let cfg = DetectConfig::default();
        let at = |h: i64, who: &str, ip: &str| {
            let mut e = ev("2026-10-12T00:30:00Z")
                .vault("kv")
                .user(who)
                .op("SecretGet")
                .obj("s")
                .ip(ip);
            e.time.micros += h * 3_600_000_000;
            e
        };
        let mut v = Vec::new();
        for h in (0..46).step_by(3) {
            v.push(at(h, "me@x", "86.12.3.4"));
            for (k, ip) in colleague_ips.iter().enumerate() {
                v.push(at(h + 1, &format!("c{k}@x"), ip));
            }
        }
        v.push(at(40, "me@x", ip));
        findings_of("KV_UnusualAccessSuspiciousIP", v, &cfg)
    }

    const RIPE: [&str; 3] = ["90.1.2.3", "176.4.5.6", "217.7.8.9"];

    #[test]
    fn short_drop_a_region_no_peer_used_is_reported() {
        use crate::detect::Severity;
        let f = two_day_drop("102.89.34.12", RIPE);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].details["region"], "AFRINIC");
        assert_eq!(f[0].details["peers"], 3);
        assert!(
            f[0].basis
                .contains("compared with the 3 other principals of kv"),
            "{}",
            f[0].basis
        );
        assert!(
            f[0].reason.contains("no principal of kv used AFRINIC"),
            "{}",
            f[0].reason
        );
    }

    #[test]
    fn short_drop_benign_twins_stay_informational_or_quiet() {
        use crate::detect::Severity;
        // a colleague already works from AFRINIC space: the region is the vault's
        let f = two_day_drop("102.89.34.12", ["90.1.2.3", "176.4.5.6", "105.7.8.9"]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Informational);
        assert!(f[0].details.get("region").is_none());
        // a new home network in the region every peer uses
        let f = two_day_drop("92.50.60.70", RIPE);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Informational);
        // legacy space has no region: nothing to compare
        let f = two_day_drop("8.8.4.4", RIPE);
        assert_eq!(f[0].severity, Severity::Informational);
        // fewer than `peer_min` (3) peers: no peer verdict
        let f = two_day_drop("102.89.34.12", ["90.1.2.3", "176.4.5.6", "10.1.1.1"]);
        assert!(
            f.iter().all(|f| f.severity == Severity::Informational),
            "{f:?}"
        );
    }
}
