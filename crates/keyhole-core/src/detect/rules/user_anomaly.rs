//! KV_UserAnomaly — a user succeeds in a data-plane operation on a vault where it never did one.
//!
//! Why: a user account reading secrets, keys or certificates of a vault for the first time is
//! how a compromised account or an insider shows up. Management-plane reads (VaultGet from the
//! portal) are not access to the vault's contents and never count. Judged after the vault's
//! learning period (7 days), against everything before the event. MITRE: Collection,
//! Credential Access. Grouping: (vault, user) per 24 h. Origin: Defender, seed hunting
//! query "new user vs 30 d".

use super::{is_user, object_phrase};
use crate::detect::baseline::{FxSet, Id};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Event;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_UserAnomaly",
    title: "Unusual user accessed a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "Collection"],
    origin: "Defender, seed hunting \"new user vs 30 d\"",
    doc: "A user's first successful data-plane operation (secret, key, certificate) on a vault, after the vault's 7-day learning period. One finding per vault and user per 24 h.",
    needs_baseline: true,
    basis: "the vault's history before the event, after its learning period",
};

/// Shared by KV_UserAnomaly and KV_AppAnomaly: first data-plane success of a principal on a vault.
pub struct Novelty {
    users: bool,
    known: FxSet<(Id, Id)>,
    groups: Groups<(Id, Id)>,
}

impl Novelty {
    pub fn new(users: bool) -> Self {
        Novelty {
            users,
            known: FxSet::default(),
            groups: Groups::new(MICROS_PER_DAY),
        }
    }

    pub fn judge(
        &mut self,
        info: &'static RuleInfo,
        cx: &Cx,
        idx: usize,
        ev: &Event,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        if allowed || !ev.is_success() || !ev.is_data_plane() || is_user(ev) != self.users {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let key = (cx.cur.vault, pk);
        if let Some(fi) = self.groups.open_at(out, &key, ev.time) {
            out[fi].add(ev, idx);
            return;
        }
        if !self.known.insert(key) || cx.learning(ev) {
            return;
        }
        let first = cx
            .base
            .vault_first_day
            .get(&cx.cur.vault)
            .copied()
            .unwrap_or(ev.time.day());
        let days = ev.time.day() - first;
        let kind = if self.users { "user" } else { "application" };
        self.groups.hit(out, key, ev, idx, || {
            new_finding(
                info,
                ev,
                idx,
                &ev.vault,
                format!(
                    "{} {} performed {}{} on {}: its first successful data-plane operation there in {} days of the vault's history",
                    kind,
                    who(ev),
                    ev.operation,
                    object_phrase(ev),
                    ev.vault,
                    days
                ),
                json!({"history_days": days, "operation": &*ev.operation}),
            )
            .with_basis(cx.rolling_basis(ev, ""), Confidence::High)
        });
    }
}

pub struct UserAnomaly(Novelty);

impl Default for UserAnomaly {
    fn default() -> Self {
        UserAnomaly(Novelty::new(true))
    }
}

impl Rule for UserAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }
    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        self.0.judge(&INFO, cx, idx, ev, allowed, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    #[allow(unused_imports)]
    use crate::event::Event;

    #[allow(dead_code)]
    fn bg(vault: &str, days: i64) -> Vec<Event> {
        daily(
            &ev("2026-10-01T06:00:00Z")
                .vault(vault)
                .service("bg-app")
                .op("SecretGet")
                .obj("s")
                .ip("203.0.113.1"),
            days,
        )
    }

    #[test]
    fn first_success_counts_learning_period_is_history() {
        let cfg = DetectConfig::default();
        let u = |t: &str| {
            ev(t)
                .vault("kv")
                .user("u@x")
                .op("SecretGet")
                .obj("s")
                .ip("203.0.113.5")
        };
        let mut v = bg("kv", 20);
        v.push(u("2026-10-03T09:00:00Z"));
        v.push(u("2026-10-15T09:00:00Z"));
        assert!(
            findings_of("KV_UserAnomaly", v, &cfg).is_empty(),
            "known from the learning period"
        );
        let mut v = bg("kv", 20);
        v.push(u("2026-10-15T09:00:00Z").status(403));
        assert!(
            findings_of("KV_UserAnomaly", v, &cfg).is_empty(),
            "a denial is not access"
        );
        let mut v = bg("kv", 20);
        v.push(u("2026-10-15T09:00:00Z").op("VaultGet"));
        assert!(
            findings_of("KV_UserAnomaly", v, &cfg).is_empty(),
            "management plane"
        );
        let mut v = bg("kv", 20);
        v.push(u("2026-10-15T09:00:00Z"));
        assert_eq!(findings_of("KV_UserAnomaly", v, &cfg).len(), 1);
    }
}
