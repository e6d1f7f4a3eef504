//! KV_SuspiciousIPAccess — a successful request from an IP/CIDR on a user threat-intel list.
//!
//! Why: access from infrastructure known to be hostile is the strongest single signal there is;
//! Defender and the Sentinel "TI map IP entity to Key Vault" rule both raise it. Keyhole has no
//! live feed: lists come from `--intel suspicious=FILE` (IPs and CIDRs, v4 and v6, `#` comments).
//! MITRE: Credential Access. Thresholds: none. Grouping: (vault, principal, IP) per 24 h.
//! Origin: Defender, Sentinel TI map.

use crate::detect::baseline::Id;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Event;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_SuspiciousIPAccess",
    title: "Access from a suspicious IP address to a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess"],
    origin: "Defender, Sentinel TI map",
    doc: "A successful request from an IP or CIDR on a --intel suspicious list. No threshold. One finding per vault, principal and IP per 24 h.",
    needs_baseline: false,
};

pub struct SuspiciousIpAccess {
    groups: Groups<(Id, Option<Id>, std::net::IpAddr)>,
}

impl Default for SuspiciousIpAccess {
    fn default() -> Self {
        SuspiciousIpAccess {
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for SuspiciousIpAccess {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !ev.is_success() {
            return;
        }
        let Some(addr) = ev.caller_addr else { return };
        let Some((src, net)) = super::intel_name(&cx.suspicious, cx.ip.suspicious) else {
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
                    "{} made a successful {} request on {} from {}, listed as suspicious ({} in {})",
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
