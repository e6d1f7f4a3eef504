//! KV_SensitiveOperation — destructive or exfiltrating operations.
//!
//! Why: deleting, purging or backing up secrets/keys/certificates, deleting a vault, or listing
//! deleted secrets are rare and either destroy data (ransom, sabotage) or move it out (a backup
//! blob can be restored into an attacker's vault). Successful operations only. Severity low;
//! purge (irreversible) medium. MITRE: Impact, Exfiltration. Grouping: (vault, principal,
//! operation) per 24 h, objects listed in the details. Origin: seed query, Sentinel rule.

use super::object_phrase;
use crate::detect::baseline::Id;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::{ObjectKind, Op, Verb};
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_SensitiveOperation",
    title: "Sensitive key vault operation",
    severity: Severity::Low,
    tactics: &["Impact", "Exfiltration"],
    origin: "seed query, Sentinel rule",
    doc: "Successful VaultDelete, Key/Secret/CertificateDelete, ...Purge, ...Backup, SecretListDeleted. Low; purge is medium. One finding per vault, principal and operation per 24 h.",
    needs_baseline: false,
    basis: "the operation itself, needs no history",
    short_drop: "",
};

/// The operations this rule (and the workbook's sensitive-operations panel) consider sensitive.
pub fn is_sensitive(op: Op) -> bool {
    matches!(
        op,
        Op::VaultDelete
            | Op::Object(_, Verb::Delete | Verb::Purge | Verb::Backup)
            | Op::Object(ObjectKind::Secret, Verb::ListDeleted)
    )
}

pub struct SensitiveOperation {
    groups: Groups<(Id, Option<Id>, Id)>,
}

impl Default for SensitiveOperation {
    fn default() -> Self {
        SensitiveOperation {
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for SensitiveOperation {
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
        if allowed || !ev.is_success() || !is_sensitive(ev.op()) {
            return;
        }
        let key = (cx.cur.vault, cx.cur.principal, cx.cur.operation);
        let (fi, new) = self.groups.hit(out, key, ev, idx, || {
            let mut f = new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} performed {}{} on {}",
                    who(ev),
                    ev.operation(),
                    object_phrase(ev),
                    ev.vault()
                ),
                json!({"operation": ev.operation(), "objects": []}),
            );
            if matches!(ev.op(), Op::Object(_, Verb::Purge)) {
                f.severity = Severity::Medium;
                f.reason.push_str(" (a purge cannot be undone)");
            }
            f
        });
        if let (Some(name), Some(objs)) =
            (&ev.object_name(), out[fi].details["objects"].as_array_mut())
        {
            if objs.len() < 50 && !objs.iter().any(|o| o.as_str() == Some(name)) {
                objs.push(json!(&**name));
            }
        }
        if !new {
            let n = out[fi].details["objects"].as_array().map_or(0, |a| a.len());
            if n > 1 {
                out[fi].reason = format!(
                    "{} performed {} on {} objects of {}{}",
                    out[fi].identity.label(),
                    ev.operation(),
                    n,
                    ev.vault(),
                    if matches!(ev.op(), Op::Object(_, Verb::Purge)) {
                        " (a purge cannot be undone)"
                    } else {
                        ""
                    }
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn which_operations_and_severities() {
        let cfg = DetectConfig::default();
        let e = |op: &str, st: u16| {
            ev("2026-10-15T00:00:00Z")
                .vault("kv")
                .user("a@x")
                .op(op)
                .obj("o")
                .status(st)
        };
        let f = findings_of("KV_SensitiveOperation", vec![e("KeyPurge", 200)], &cfg);
        assert_eq!(f[0].severity, crate::detect::Severity::Medium);
        let f = findings_of(
            "KV_SensitiveOperation",
            vec![e("SecretListDeleted", 200)],
            &cfg,
        );
        assert_eq!(f[0].severity, crate::detect::Severity::Low);
        assert!(findings_of("KV_SensitiveOperation", vec![e("SecretPurge", 403)], &cfg).is_empty());
        assert!(findings_of(
            "KV_SensitiveOperation",
            vec![e("SecretListVersions", 200)],
            &cfg
        )
        .is_empty());
        assert_eq!(
            findings_of("KV_SensitiveOperation", vec![e("VaultDelete", 200)], &cfg).len(),
            1
        );
    }
}
