//! KV_TORAccess — a successful request from a TOR exit node.
//!
//! Why: TOR hides who is calling; legitimate workloads and admins do not reach a vault through
//! it. Defender for Key Vault raises this alert from its own exit-node feed; Keyhole uses the
//! bundled snapshot (`data/tor_exit_nodes.txt`, dated in its header) plus `--intel tor=FILE`.
//! MITRE: Credential Access, Defense Evasion. Thresholds: none (one request is enough).
//! Grouping: one finding per (vault, principal, IP) and 24 h. Origin: Defender.

use crate::detect::baseline::Id;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Event;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_TORAccess",
    title: "Access from a TOR exit node to a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "DefenseEvasion"],
    origin: "Defender",
    doc: "A successful request from an IP on the bundled TOR exit-node snapshot or a --intel tor list. No threshold. One finding per vault, principal and IP per 24 h.",
    needs_baseline: false,
};

pub struct TorAccess {
    groups: Groups<(Id, Option<Id>, std::net::IpAddr)>,
}

impl Default for TorAccess {
    fn default() -> Self {
        TorAccess {
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for TorAccess {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !ev.is_success() {
            return;
        }
        let Some(addr) = ev.caller_addr else { return };
        let Some((src, net)) = super::intel_name(&cx.tor, cx.ip.tor) else {
            return;
        };
        let key = (cx.cur.vault, cx.cur.principal, addr);
        self.groups.hit(out, key, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                &ev.vault,
                format!(
                    "{} made a successful {} request on {} from {}, a TOR exit node ({} on the {})",
                    who(ev),
                    ev.operation,
                    ev.vault,
                    addr,
                    net,
                    src
                ),
                json!({"list": src, "network": net.to_string(), "operation": &*ev.operation}),
            )
        });
    }
}
