//! KV_UserAccessDeniedAnomaly — denied requests on a vault by a principal that never
//! succeeded there.
//!
//! Why: someone with a valid token but no rights trying a vault is reconnaissance or a
//! compromised identity feeling its way. The 401 challenge that precedes every SDK call is not
//! a denial; 404 on a missing secret is not a denial. Judged after the vault's learning period.
//! On a vault with less data than the learning period, every denial is a candidate and the
//! verdict waits for the end of the drop: it fires when the principal never succeeded on the
//! vault anywhere in the drop, before or after the denial (a user whose SecretSet was refused
//! but who reads there the same afternoon stays quiet); a single denial is informational, a
//! repeated one the rule's severity.
//! MITRE: Discovery, Credential Access. Grouping: (vault, principal) per 24 h. Origin: Defender.

use crate::detect::baseline::{FxSet, Id};
use crate::detect::judging::{hours_text, Pending};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_UserAccessDeniedAnomaly",
    title: "Denied access to a key vault by a principal that never succeeded there",
    severity: Severity::Low,
    tactics: &["Discovery", "CredentialAccess"],
    origin: "Defender",
    doc: "A 401/403 (not the SDK challenge) on a vault by a principal with no earlier success on that vault, after the vault's 7-day learning period. One finding per vault and principal per 24 h.",
    needs_baseline: true,
    basis: "the vault's history before the event, after its learning period",
    short_drop: "the whole drop: denials by a principal that never succeeded on the vault in it (a single denial informational)",
};

pub struct UserAccessDeniedAnomaly {
    succeeded: FxSet<(Id, Id)>,
    groups: Groups<(Id, Id)>,
    /// Short vaults: denials waiting for the end of the drop, with (vault, principal).
    pending: Pending<(Id, Id), (Id, Id)>,
}

impl Default for UserAccessDeniedAnomaly {
    fn default() -> Self {
        UserAccessDeniedAnomaly {
            succeeded: FxSet::default(),
            groups: Groups::new(MICROS_PER_DAY),
            pending: Pending::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for UserAccessDeniedAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn finish(&mut self, _cx: &Cx, out: &mut Vec<Finding>) {
        self.finish_short(out);
    }

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        if allowed {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let key = (cx.cur.vault, pk);
        if ev.is_success() {
            self.succeeded.insert(key);
            return;
        }
        if !ev.is_denied() || self.succeeded.contains(&key) {
            return;
        }
        if let Some(span) = cx.vault_span().filter(|s| !s.long(cx.cfg.learning_days)) {
            self.pending.hit(key, ev, idx, || {
                let f = new_finding(
                    &INFO,
                    ev,
                    idx,
                    ev.vault(),
                    format!(
                        "{} was denied ({}) {} on {} and never succeeded on this vault in the {} of this drop",
                        who(ev),
                        ev.status().map_or("denied".to_string(), |s| s.to_string()),
                        ev.operation(),
                        ev.vault(),
                        hours_text(span.last - span.first)
                    ),
                    json!({"operation": ev.operation(), "status": ev.status()}),
                )
                .with_basis(
                    format!(
                        "the whole drop: no success on {} in its {} (shorter than the {}-day learning period)",
                        ev.vault(),
                        hours_text(span.last - span.first),
                        cx.cfg.learning_days
                    ),
                    if span.last - span.first >= MICROS_PER_DAY {
                        Confidence::Medium
                    } else {
                        Confidence::Low
                    },
                );
                (f, key)
            });
            return;
        }
        if cx.learning(ev) {
            return;
        }
        self.groups.hit(out, key, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} was denied ({}) {} on {} and never succeeded on this vault before",
                    who(ev),
                    ev.status().map_or("denied".to_string(), |s| s.to_string()),
                    ev.operation(),
                    ev.vault()
                ),
                json!({"operation": ev.operation(), "status": ev.status()}),
            )
            .with_basis(
                cx.rolling_basis(ev, "successes on the vault"),
                Confidence::High,
            )
        });
    }
}

impl UserAccessDeniedAnomaly {
    /// Short vaults: the denials of principals that never succeeded there in the whole drop.
    fn finish_short(&mut self, out: &mut Vec<Finding>) {
        let succeeded = &self.succeeded;
        out.extend(
            self.pending
                .drain()
                .filter(|(_, key)| !succeeded.contains(key))
                .map(|(mut f, _)| {
                    if f.count < 2 {
                        // One refusal with nothing to compare it with (a SecretSet the user may
                        // not do, on a Sunday) is not yet a pattern.
                        f.severity = Severity::Informational;
                        f.confidence = Confidence::Low;
                        f.reason.push_str(" (a single denial)");
                    }
                    f
                }),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{background, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn a_principal_that_succeeded_once_is_not_anomalous() {
        let cfg = DetectConfig::default();
        let u = |t: &str, st: u16| {
            ev(t)
                .vault("kv")
                .user("u@x")
                .op("SecretGet")
                .obj("s")
                .status(st)
        };
        let mut v = background("kv", 20);
        v.push(u("2026-10-02T09:00:00Z", 200));
        v.push(u("2026-10-15T09:00:00Z", 403));
        assert!(findings_of("KV_UserAccessDeniedAnomaly", v, &cfg).is_empty());
        let mut v = background("kv", 20);
        v.push(u("2026-10-15T09:00:00Z", 401));
        v.push(u("2026-10-15T09:00:01Z", 403));
        let f = findings_of("KV_UserAccessDeniedAnomaly", v, &cfg);
        assert_eq!(
            (f.len(), f[0].count),
            (1, 2),
            "a 401 with an identity is a real denial"
        );
    }
}
