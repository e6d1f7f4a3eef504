//! KV_AccessPolicyGranted — an access policy added to a vault (`addedAccessPolicy`).
//!
//! Why: every grant of data-plane rights is worth a look in an audit; the object id and the
//! permissions granted are in the alert (and "all"/purge rights called out). MITRE:
//! Persistence, Privilege Escalation. Grouping: (vault, changer, granted object) per 1 h.
//! Origin: seed hunting query 3.

use crate::detect::baseline::Id;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::{AccessPolicyChange, Str};
use crate::store::EventRef;
use crate::time::MICROS_PER_HOUR;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccessPolicyGranted",
    title: "Access policy granted on a key vault",
    severity: Severity::Low,
    tactics: &["Persistence", "PrivilegeEscalation"],
    origin: "seed hunting query 3",
    doc: "A successful operation carrying addedAccessPolicy; object id and permissions are in the alert.",
    needs_baseline: false,
    basis: "configuration change, needs no history",
    short_drop: "",
};

pub struct AccessPolicyGranted {
    groups: Groups<(Id, Option<Id>, Option<Str>)>,
}

impl Default for AccessPolicyGranted {
    fn default() -> Self {
        AccessPolicyGranted {
            groups: Groups::new(MICROS_PER_HOUR),
        }
    }
}

/// "secrets: get, list; keys: all" of a policy change.
pub fn permissions(p: &AccessPolicyChange) -> String {
    let mut parts = Vec::new();
    for (name, v) in [
        ("keys", &p.keys),
        ("secrets", &p.secrets),
        ("certificates", &p.certificates),
        ("storage", &p.storage),
    ] {
        if !v.is_empty() {
            parts.push(format!(
                "{name}: {}",
                v.iter().map(|s| &**s).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if parts.is_empty() {
        "no permissions listed".to_string()
    } else {
        parts.join("; ")
    }
}

pub fn policy_json(p: &AccessPolicyChange) -> serde_json::Value {
    json!({"object_id": p.object_id.as_deref(), "tenant_id": p.tenant_id.as_deref(), "keys": p.keys, "secrets": p.secrets, "certificates": p.certificates, "storage": p.storage})
}

impl Rule for AccessPolicyGranted {
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
        let Some(p) = &ev.policy_added() else { return };
        let key = (cx.cur.vault, cx.cur.principal, p.object_id.clone());
        self.groups.hit(out, key, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} granted object {} access to {} ({})",
                    who(ev),
                    p.object_id.as_deref().unwrap_or("(unknown object)"),
                    ev.vault(),
                    permissions(p)
                ),
                json!({"granted": policy_json(p), "operation": ev.operation()}),
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn permissions_are_in_details_and_reason() {
        let cfg = DetectConfig::default();
        let mut e = ev("2026-10-15T00:00:00Z")
            .vault("kv")
            .user("a@x")
            .op("VaultPut");
        e.policy_added = Some(Box::new(crate::event::AccessPolicyChange {
            object_id: Some("o1".into()),
            secrets: vec!["get".into(), "purge".into()],
            ..Default::default()
        }));
        let f = findings_of("KV_AccessPolicyGranted", vec![e], &cfg);
        assert!(
            f[0].reason.ends_with("(secrets: get, purge)"),
            "{}",
            f[0].reason
        );
        assert_eq!(f[0].details["granted"]["secrets"][1], "purge");
        assert_eq!(f[0].details["granted"]["object_id"], "o1");
    }
}
