//! KV_SuspiciousIPAccessDenied — a denied request from a suspicious or TOR IP.
//!
//! Why: the vault held, but someone on hostile infrastructure is probing it with a token or
//! without the rights; worth knowing before they find one that works. The 401 challenge every
//! SDK receives first is not a denial and never counts. MITRE: Credential Access, Discovery.
//! Thresholds: none. Grouping: (vault, principal, IP) per 24 h. Origin: Defender.

use super::ListedIp;
use crate::detect::{who, Cx, Finding, Rule, RuleInfo, Severity};
use crate::store::EventRef;

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

pub struct SuspiciousIpAccessDenied(ListedIp);

impl Default for SuspiciousIpAccessDenied {
    fn default() -> Self {
        SuspiciousIpAccessDenied(ListedIp::new(&INFO))
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
        let hit = super::intel_name(&cx.suspicious, cx.ip.suspicious)
            .map(|h| (h, "suspicious"))
            .or_else(|| super::intel_name(&cx.tor, cx.ip.tor).map(|h| (h, "TOR exit node")));
        let Some((hit, what)) = hit else {
            return;
        };
        self.0.hit(cx, idx, ev, hit, out, |addr| {
            format!(
                "{} was denied ({}) on {} for {} from {}, listed as {} ({} in {})",
                who(ev),
                ev.status().map_or("denied".to_string(), |s| s.to_string()),
                ev.vault(),
                ev.operation(),
                addr,
                what,
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
