//! KV_SuspiciousIPAccess — a successful request from an IP/CIDR on a user threat-intel list.
//!
//! Why: access from infrastructure known to be hostile is the strongest single signal there is;
//! Defender and the Sentinel "TI map IP entity to Key Vault" rule both raise it. Keyhole has no
//! live feed: lists come from `--intel suspicious=FILE` (IPs and CIDRs, v4 and v6, `#` comments).
//! MITRE: Credential Access. Thresholds: none. Grouping: (vault, principal, IP) per 24 h.
//! Origin: Defender, Sentinel TI map.

use super::ListedIp;
use crate::detect::{who, Cx, Finding, Rule, RuleInfo, Severity};
use crate::store::EventRef;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_SuspiciousIPAccess",
    title: "Access from a suspicious IP address to a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess"],
    origin: "Defender, Sentinel TI map",
    doc: "A successful request from an IP or CIDR on a --intel suspicious list. No threshold. One finding per vault, principal and IP per 24 h.",
    needs_baseline: false,
    basis: "IP on a threat-intel list, needs no history",
    short_drop: "",
};

pub struct SuspiciousIpAccess(ListedIp);

impl Default for SuspiciousIpAccess {
    fn default() -> Self {
        SuspiciousIpAccess(ListedIp::new(&INFO))
    }
}

impl Rule for SuspiciousIpAccess {
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
        let Some(hit) = super::intel_name(&cx.suspicious, cx.ip.suspicious) else {
            return;
        };
        self.0.hit(cx, idx, ev, hit, out, |addr| {
            format!(
                "{} made a successful {} request on {} from {}, listed as suspicious ({} in {})",
                who(ev),
                ev.operation(),
                ev.vault(),
                addr,
                hit.1,
                hit.0
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn cidr_edges() {
        let mut cfg = DetectConfig::default();
        cfg.add_intel(
            crate::detect::IntelKind::Suspicious,
            "ti",
            "198.51.100.0/24",
        )
        .unwrap();
        let e = |ip: &str| {
            ev("2026-10-15T01:00:00Z")
                .vault("kv")
                .user("m@x")
                .op("SecretGet")
                .obj("s")
                .ip(ip)
        };
        assert_eq!(
            findings_of("KV_SuspiciousIPAccess", vec![e("198.51.100.255")], &cfg).len(),
            1
        );
        assert!(findings_of("KV_SuspiciousIPAccess", vec![e("198.51.101.0")], &cfg).is_empty());
        assert!(findings_of("KV_SuspiciousIPAccess", vec![e("<Redacted>")], &cfg).is_empty());
    }
}
