//! KV_ProtectionWeakened — soft delete or purge protection turned off, RBAC mode switched, or
//! soft-delete retention shortened.
//!
//! Why: these settings are what stands between a destructive attacker and permanent loss
//! (soft delete, purge protection, retention) or what defines who may read at all (switching
//! between access policies and RBAC changes every grant at once). Like the firewall, a change
//! is a transition between consecutive configuration snapshots of one vault. MITRE: Defense
//! Evasion, Impact. One finding per transition. Origin: beyond the anchors.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::{new_finding, who, Cx, EvidenceRef, Finding, Rule, RuleInfo, Severity};
use crate::event::VaultConfig;
use crate::store::EventRef;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_ProtectionWeakened",
    title: "Key vault protection weakened",
    severity: Severity::High,
    tactics: &["DefenseEvasion", "Impact"],
    origin: "beyond the anchors",
    doc: "Between consecutive configuration snapshots of a vault: enableSoftDelete or enablePurgeProtection true -> false, enableRbacAuthorization switched, or softDeleteRetentionInDays shortened.",
    needs_baseline: false,
    basis: "configuration transition, needs no history",
    short_drop: "",
};

#[derive(Default)]
pub struct ProtectionWeakened {
    last: FxMap<Id, (VaultConfig, usize)>,
}

fn b(v: Option<bool>) -> serde_json::Value {
    json!(v)
}

impl Rule for ProtectionWeakened {
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
        let Some(cfg) = &ev.vault_config() else {
            return;
        };
        if !ev.is_success() {
            return;
        }
        let Some((prev, pidx)) = self.last.get(&cx.cur.vault).cloned() else {
            self.last.insert(cx.cur.vault, ((**cfg).clone(), idx));
            return;
        };
        // Carry forward what this snapshot does not say, so a shape without a field does not
        // look like a change.
        let mut cur = (**cfg).clone();
        cur.soft_delete = cur.soft_delete.or(prev.soft_delete);
        cur.purge_protection = cur.purge_protection.or(prev.purge_protection);
        cur.rbac_authorization = cur.rbac_authorization.or(prev.rbac_authorization);
        cur.soft_delete_retention_days = cur
            .soft_delete_retention_days
            .or(prev.soft_delete_retention_days);
        let mut changes = Vec::new();
        if prev.soft_delete == Some(true) && cur.soft_delete == Some(false) {
            changes.push("soft delete turned off".to_string());
        }
        if prev.purge_protection == Some(true) && cur.purge_protection == Some(false) {
            changes.push("purge protection turned off".to_string());
        }
        if let (Some(a), Some(c)) = (prev.rbac_authorization, cur.rbac_authorization) {
            if a != c {
                changes.push(if c {
                    "authorization switched from access policies to RBAC".to_string()
                } else {
                    "authorization switched from RBAC to access policies".to_string()
                });
            }
        }
        if let (Some(a), Some(c)) = (
            prev.soft_delete_retention_days,
            cur.soft_delete_retention_days,
        ) {
            if c < a {
                changes.push(format!(
                    "soft-delete retention shortened from {a} to {c} days"
                ));
            }
        }
        self.last.insert(cx.cur.vault, (cur.clone(), idx));
        if changes.is_empty() || allowed {
            return;
        }
        let before = cx.events.row(pidx);
        let mut f = new_finding(
            &INFO,
            ev,
            idx,
            ev.vault(),
            format!(
                "{} on {} ({} by {})",
                changes.join("; "),
                ev.vault(),
                ev.operation(),
                who(ev)
            ),
            json!({
                "changes": changes,
                "old": {"soft_delete": b(prev.soft_delete), "purge_protection": b(prev.purge_protection), "rbac_authorization": b(prev.rbac_authorization), "soft_delete_retention_days": prev.soft_delete_retention_days},
                "new": {"soft_delete": b(cur.soft_delete), "purge_protection": b(cur.purge_protection), "rbac_authorization": b(cur.rbac_authorization), "soft_delete_retention_days": cur.soft_delete_retention_days},
            }),
        );
        f.evidence.insert(0, EvidenceRef::of(before, pidx));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    use crate::event::Event;

    fn cfg_ev(t: &str, c: crate::event::VaultConfig) -> Event {
        let mut e = ev(t).vault("kv").user("a@x").op("VaultPatch");
        e.vault_config = Some(Box::new(c));
        e
    }

    #[test]
    fn purge_protection_off_and_equal_retention() {
        use crate::event::VaultConfig;
        let cfg = DetectConfig::default();
        let on = VaultConfig {
            purge_protection: Some(true),
            soft_delete_retention_days: Some(30),
            ..Default::default()
        };
        let off = VaultConfig {
            purge_protection: Some(false),
            soft_delete_retention_days: Some(30),
            ..Default::default()
        };
        let f = findings_of(
            "KV_ProtectionWeakened",
            vec![
                cfg_ev("2026-10-01T00:00:00Z", on.clone()),
                cfg_ev("2026-10-02T00:00:00Z", off),
            ],
            &cfg,
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].reason.starts_with("purge protection turned off on kv"),
            "{}",
            f[0].reason
        );
        let f = findings_of(
            "KV_ProtectionWeakened",
            vec![
                cfg_ev("2026-10-01T00:00:00Z", on.clone()),
                cfg_ev("2026-10-02T00:00:00Z", on),
            ],
            &cfg,
        );
        assert!(f.is_empty());
    }
}
