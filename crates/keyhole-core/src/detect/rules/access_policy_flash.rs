//! KV_AccessPolicyFlash — access granted then removed for the same object within 10 min.
//!
//! Why: the classic cover-your-tracks move: grant, read, revoke, so that a later look at the
//! vault's policies shows nothing. Default window 10 min between the grant and the removal for
//! the same object id on the same vault. MITRE: Defense Evasion, Credential Access.
//! No grouping: one finding per grant/removal pair. Origin: seed hunting query 4, Sentinel hunting.

use super::access_policy_granted::{permissions, policy_json};
use crate::detect::baseline::{FxMap, Id};
use crate::detect::{new_finding, who, Cx, EvidenceRef, Finding, Rule, RuleInfo, Severity};
use crate::event::Str;
use crate::store::EventRef;
use crate::time::MICROS_PER_MIN;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccessPolicyFlash",
    title: "Access policy granted then removed within minutes",
    severity: Severity::High,
    tactics: &["DefenseEvasion", "CredentialAccess"],
    origin: "seed hunting query 4, Sentinel hunting",
    doc: "addedAccessPolicy then removedAccessPolicy for the same object id on the same vault within 10 min.",
    needs_baseline: false,
    basis: "grant then removal within minutes, needs no history",
    short_drop: "",
};

#[derive(Default)]
pub struct AccessPolicyFlash {
    grants: FxMap<(Id, Str), usize>,
}

impl Rule for AccessPolicyFlash {
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
        if !ev.is_success() {
            return;
        }
        if let Some(oid) = ev.policy_added().as_ref().and_then(|p| p.object_id.clone()) {
            self.grants
                .insert((cx.cur.vault, oid.to_ascii_lowercase().into()), idx);
        }
        let Some(oid) = ev
            .policy_removed()
            .as_ref()
            .and_then(|p| p.object_id.clone())
        else {
            return;
        };
        let key: (Id, Str) = (cx.cur.vault, oid.to_ascii_lowercase().into());
        let Some(gi) = self.grants.get(&key).copied() else {
            return;
        };
        let grant = cx.events.row(gi);
        let dt = ev.time().micros - grant.time().micros;
        if allowed || dt > cx.cfg.flash_window_min * MICROS_PER_MIN || gi == idx {
            return;
        }
        self.grants.remove(&key);
        let p = grant.policy_added().expect("grant has policy_added");
        let mut f = new_finding(
            &INFO,
            grant,
            gi,
            ev.vault(),
            format!(
                "{} granted object {} access to {} ({}) and {} removed it {} later",
                who(grant),
                oid,
                ev.vault(),
                permissions(p),
                who(ev),
                super::dur_between(grant.time(), ev.time())
            ),
            json!({"granted": policy_json(p), "seconds": (super::secs(ev.time()).micros - super::secs(grant.time()).micros) / 1_000_000, "removed_by": who(ev)}),
        );
        f.add(ev, idx);
        debug_assert!(f.evidence.contains(&EvidenceRef::of(ev, idx)));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    fn flash(secs: i64) -> usize {
        let cfg = DetectConfig::default();
        let mut g = ev("2026-10-15T00:00:00Z")
            .vault("kv")
            .user("a@x")
            .op("VaultPut");
        g.policy_added = Some(Box::new(crate::event::AccessPolicyChange {
            object_id: Some("o1".into()),
            ..Default::default()
        }));
        let mut r = ev("2026-10-15T00:00:00Z")
            .vault("kv")
            .user("a@x")
            .op("VaultPut")
            .secs(secs);
        r.policy_removed = Some(Box::new(crate::event::AccessPolicyChange {
            object_id: Some("O1".into()),
            ..Default::default()
        }));
        findings_of("KV_AccessPolicyFlash", vec![g, r], &cfg).len()
    }

    #[test]
    fn ten_minutes_inclusive() {
        assert_eq!(flash(600), 1);
        assert_eq!(flash(601), 0);
    }
}
