//! KV_TORAccess — a successful request from a TOR exit node.
//!
//! Why: TOR hides who is calling; legitimate workloads and admins do not reach a vault through
//! it. Defender for Key Vault raises this alert from its own exit-node feed; Keyhole uses the
//! bundled snapshot (`data/tor_exit_nodes.txt`, dated in its header) plus `--intel tor=FILE`.
//! MITRE: Credential Access, Defense Evasion. Thresholds: none (one request is enough).
//! Grouping: one finding per (vault, principal, IP) and 24 h. Origin: Defender.

use super::ListedIp;
use crate::detect::{who, Cx, Finding, Rule, RuleInfo, Severity};
use crate::store::EventRef;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_TORAccess",
    title: "Access from a TOR exit node to a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "DefenseEvasion"],
    origin: "Defender",
    doc: "A successful request from an IP on the bundled TOR exit-node snapshot or a --intel tor list. No threshold. One finding per vault, principal and IP per 24 h.",
    needs_baseline: false,
    basis: "IP on a TOR exit-node list, needs no history",
    short_drop: "",
};

pub struct TorAccess(ListedIp);

impl Default for TorAccess {
    fn default() -> Self {
        TorAccess(ListedIp::new(&INFO))
    }
}

impl Rule for TorAccess {
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
        let Some(hit) = super::intel_name(&cx.tor, cx.ip.tor) else {
            return;
        };
        self.0.hit(cx, idx, ev, hit, out, |addr| {
            format!(
                "{} made a successful {} request on {} from {}, a TOR exit node ({} on the {})",
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
    fn denied_or_challenge_from_tor_is_not_access_and_mapped_v6_matches() {
        let cfg = DetectConfig::default();
        let e = |t: &str| ev(t).vault("kv").user("m@x").op("SecretGet").obj("s");
        let denied = vec![e("2026-10-15T01:00:00Z").ip("2.26.97.42").status(403)];
        assert!(findings_of("KV_TORAccess", denied, &cfg).is_empty());
        let mapped = vec![e("2026-10-15T01:00:00Z").ip("::ffff:2.26.97.42")];
        assert_eq!(findings_of("KV_TORAccess", mapped, &cfg).len(), 1);
        let two_days = vec![
            e("2026-10-15T01:00:00Z").ip("2.26.97.42"),
            e("2026-10-16T01:00:01Z").ip("2.26.97.42"),
        ];
        let f = findings_of("KV_TORAccess", two_days, &cfg);
        assert_eq!(f.len(), 2, "one finding per 24 h window");
    }
}
