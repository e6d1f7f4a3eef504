//! KV_FirewallOpened — a vault's firewall default action goes Deny → Allow.
//!
//! Why: opening the network ACL exposes the vault to the internet; attackers do it before
//! reading from outside. Every VaultGet/Put/Patch record repeats the current configuration, so
//! the change is a *transition* between consecutive snapshots of one vault (tracked through
//! every principal, allow-listed ones included), never the presence of a field. Attribution:
//! the principal of the record that first shows the new value (normally the VaultPut/Patch).
//! MITRE: Defense Evasion. No threshold. Origin: seed hunting query 1.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::{new_finding, who, Cx, Finding, Rule, RuleInfo, Severity};
use crate::event::{Event, Str};
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_FirewallOpened",
    title: "Key vault firewall opened to all networks",
    severity: Severity::High,
    tactics: &["DefenseEvasion"],
    origin: "seed hunting query 1",
    doc: "networkAcls.defaultAction changes from Deny to Allow between consecutive configuration snapshots of a vault.",
    needs_baseline: false,
};

#[derive(Default)]
pub struct FirewallOpened {
    last: FxMap<Id, (Str, usize)>,
}

impl Rule for FirewallOpened {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        let Some(action) = ev
            .vault_config
            .as_ref()
            .and_then(|c| c.network_default_action.clone())
        else {
            return;
        };
        if !ev.is_success() {
            return;
        }
        let prev = self.last.insert(cx.cur.vault, (action.clone(), idx));
        let Some((prev, pidx)) = prev else { return };
        if allowed || !prev.eq_ignore_ascii_case("deny") || !action.eq_ignore_ascii_case("allow") {
            return;
        }
        let before = &cx.events[pidx];
        let mut f = new_finding(
            &INFO,
            ev,
            idx,
            &ev.vault,
            format!(
                "the firewall of {} went from Deny to Allow: {} shows defaultAction Allow by {} at {}; the previous snapshot ({} at {}) had Deny",
                ev.vault,
                ev.operation,
                who(ev),
                super::secs(ev.time),
                before.operation,
                super::secs(before.time)
            ),
            json!({"old": {"default_action": &*prev}, "new": {"default_action": &*action}, "operation": &*ev.operation}),
        );
        f.evidence
            .insert(0, crate::detect::EvidenceRef::of(before, pidx));
        out.push(f);
    }
}
