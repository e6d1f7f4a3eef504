//! KV_AdministrativeOperation — VaultPut, VaultPatch, VaultDelete (informational).
//!
//! Why: the Azure Monitor alert of seed 004 lists every administrative write to a vault; an
//! auditor wants them all in the timeline, even the benign ones. Successful operations only.
//! MITRE: Persistence, Defense Evasion. Grouping: (vault, principal) per 24 h, operations in
//! the details. Origin: seed 004 Azure Monitor alert.

use crate::detect::baseline::Id;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AdministrativeOperation",
    title: "Administrative operation on a key vault",
    severity: Severity::Informational,
    tactics: &["Persistence", "DefenseEvasion"],
    origin: "seed 004 Azure Monitor alert",
    doc: "Successful VaultPut, VaultPatch or VaultDelete. One finding per vault and principal per 24 h.",
    needs_baseline: false,
    basis: "the operation itself, needs no history",
    short_drop: "",
};

pub struct AdministrativeOperation {
    groups: Groups<(Id, Option<Id>)>,
}

impl Default for AdministrativeOperation {
    fn default() -> Self {
        AdministrativeOperation {
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for AdministrativeOperation {
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
        if allowed || !ev.is_success() || !ev.op().is_vault_write() {
            return;
        }
        let key = (cx.cur.vault, cx.cur.principal);
        let (fi, _) = self.groups.hit(out, key, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                String::new(),
                json!({"operations": {}}),
            )
        });
        let f = &mut out[fi];
        if let Some(m) = f.details["operations"].as_object_mut() {
            let n = m
                .get(&**ev.operation())
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            m.insert(ev.operation().to_string(), json!(n + 1));
        }
        let ops: Vec<String> = f.details["operations"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k} x{v}")).collect())
            .unwrap_or_default();
        f.reason = format!("{} performed {} on {}", who(ev), ops.join(", "), ev.vault());
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn vault_writes_only_successful() {
        let cfg = DetectConfig::default();
        let e = |op: &str, st: u16| {
            ev("2026-10-15T00:00:00Z")
                .vault("kv")
                .user("a@x")
                .op(op)
                .status(st)
        };
        assert_eq!(
            findings_of(
                "KV_AdministrativeOperation",
                vec![e("VaultDelete", 200)],
                &cfg
            )
            .len(),
            1
        );
        assert!(findings_of(
            "KV_AdministrativeOperation",
            vec![e("VaultPatch", 403)],
            &cfg
        )
        .is_empty());
        assert!(
            findings_of("KV_AdministrativeOperation", vec![e("VaultGet", 200)], &cfg).is_empty()
        );
        let f = findings_of("KV_AdministrativeOperation", vec![e("VaultPut", 200)], &cfg);
        assert_eq!(f[0].severity, crate::detect::Severity::Informational);
    }
}
