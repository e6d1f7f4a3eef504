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
use crate::event::Str;
use crate::store::EventRef;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_FirewallOpened",
    title: "Key vault firewall opened to all networks",
    severity: Severity::High,
    tactics: &["DefenseEvasion"],
    origin: "seed hunting query 1",
    doc: "networkAcls.defaultAction changes from Deny to Allow between consecutive configuration snapshots of a vault.",
    needs_baseline: false,
    basis: "configuration transition, needs no history",
    short_drop: "",
};

#[derive(Default)]
pub struct FirewallOpened {
    last: FxMap<Id, (Str, usize)>,
}

impl Rule for FirewallOpened {
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
        let Some(action) = ev
            .vault_config()
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
        let before = cx.events.row(pidx);
        let mut f = new_finding(
            &INFO,
            ev,
            idx,
            ev.vault(),
            format!(
                "the firewall of {} went from Deny to Allow: {} shows defaultAction Allow by {} at {}; the previous snapshot ({} at {}) had Deny",
                ev.vault(),
                ev.operation(),
                who(ev),
                super::secs(ev.time()),
                before.operation(),
                super::secs(before.time())
            ),
            json!({"old": {"default_action": &*prev}, "new": {"default_action": &*action}, "operation": ev.operation()}),
        );
        f.evidence
            .insert(0, crate::detect::EvidenceRef::of(before, pidx));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    use crate::event::Event;

    fn acl(ev_: Event, a: Option<&str>) -> Event {
        let mut e = ev_;
        e.vault_config = Some(Box::new(crate::event::VaultConfig {
            network_default_action: a.map(Into::into),
            ..Default::default()
        }));
        e
    }

    #[test]
    fn transition_not_presence_case_insensitive() {
        let cfg = DetectConfig::default();
        let e = |t: &str| ev(t).vault("kv").user("a@x").op("VaultGet");
        let v = vec![
            acl(e("2026-10-01T00:00:00Z"), Some("deny")),
            acl(e("2026-10-02T00:00:00Z"), Some("ALLOW")),
        ];
        assert_eq!(findings_of("KV_FirewallOpened", v, &cfg).len(), 1);
        let v = vec![
            acl(e("2026-10-01T00:00:00Z"), Some("Allow")),
            acl(e("2026-10-02T00:00:00Z"), Some("Allow")),
        ];
        assert!(findings_of("KV_FirewallOpened", v, &cfg).is_empty());
        let v = vec![
            acl(e("2026-10-01T00:00:00Z"), Some("Deny")),
            acl(e("2026-10-02T00:00:00Z"), None),
        ];
        assert!(
            findings_of("KV_FirewallOpened", v, &cfg).is_empty(),
            "a snapshot without networkAcls is not a change"
        );
    }
}
