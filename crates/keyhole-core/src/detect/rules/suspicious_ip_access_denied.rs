//! KV_SuspiciousIPAccessDenied — a denied request from a suspicious or TOR IP.
//!
//! Why: the vault held, but someone on hostile infrastructure is probing it with a token or
//! without the rights; worth knowing before they find one that works. The 401 challenge every
//! SDK receives first is not a denial and never counts. MITRE: Credential Access, Discovery.
//! Thresholds: none. Grouping: (vault, principal, IP) per 24 h. Origin: Defender.

use crate::detect::baseline::Id;
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_SuspiciousIPAccessDenied",
    title: "Denied access from a suspicious IP address to a key vault",
    severity: Severity::Low,
    tactics: &["CredentialAccess", "Discovery"],
    origin: "Defender",
    doc: "A denied request (401/403, not the SDK challenge) from an IP on a --intel suspicious list or a TOR list. One finding per vault, principal and IP per 24 h.",
    needs_baseline: false,
    basis: "IP on a threat-intel or TOR list, needs no history",
    short_drop: "",
};

pub struct SuspiciousIpAccessDenied {
    groups: Groups<(Id, Option<Id>, std::net::IpAddr)>,
}

impl Default for SuspiciousIpAccessDenied {
    fn default() -> Self {
        SuspiciousIpAccessDenied {
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for SuspiciousIpAccessDenied {
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
        if allowed || !ev.is_denied() {
            return;
        }
        let Some(addr) = ev.caller_addr() else { return };
        let hit = super::intel_name(&cx.suspicious, cx.ip.suspicious)
            .map(|h| (h, "suspicious"))
            .or_else(|| super::intel_name(&cx.tor, cx.ip.tor).map(|h| (h, "TOR exit node")));
        let Some(((src, net), what)) = hit else {
            return;
        };
        let key = (cx.cur.vault, cx.cur.principal, addr);
        self.groups.hit(out, key, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} was denied ({}) on {} for {} from {}, listed as {} ({} in {})",
                    who(ev),
                    ev.status().map_or("denied".to_string(), |s| s.to_string()),
                    ev.vault(),
                    ev.operation(),
                    addr,
                    what,
                    net,
                    src
                ),
                json!({"list": src, "network": net.to_string(), "operation": ev.operation()}),
            )
            .with_basis(
                format!("IP listed in {src}, needs no history"),
                Confidence::High,
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn only_real_denials_count() {
        let mut cfg = DetectConfig::default();
        cfg.add_intel(crate::detect::IntelKind::Suspicious, "ti", "198.51.100.7")
            .unwrap();
        let e = |st: u16| {
            ev("2026-10-15T01:00:00Z")
                .vault("kv")
                .user("m@x")
                .op("SecretGet")
                .obj("s")
                .ip("198.51.100.7")
                .status(st)
        };
        assert!(findings_of("KV_SuspiciousIPAccessDenied", vec![e(404)], &cfg).is_empty());
        assert!(findings_of("KV_SuspiciousIPAccessDenied", vec![e(200)], &cfg).is_empty());
        let mut challenge = e(401).op("Authentication");
        challenge.identity = Default::default();
        assert!(findings_of("KV_SuspiciousIPAccessDenied", vec![challenge], &cfg).is_empty());
        assert_eq!(
            findings_of("KV_SuspiciousIPAccessDenied", vec![e(403)], &cfg).len(),
            1
        );
    }
}
