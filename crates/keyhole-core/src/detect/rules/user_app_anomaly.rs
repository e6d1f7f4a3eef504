//! KV_UserAppAnomaly — a user known on the vault comes through an application it never used
//! with that vault.
//!
//! Why: a user who always reads a vault through the portal or one internal tool suddenly
//! arriving through another client id (a script, a third-party app granted consent) suggests
//! token theft or an illicit consent grant. Judged on successful data-plane operations after
//! the vault's learning period, for users who already had a data-plane success on the vault.
//! MITRE: Credential Access, Defense Evasion. Grouping: (vault, user, app) per 24 h.
//! Origin: Defender.

use super::{is_user, object_phrase};
use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::judging::Mode;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_UserAppAnomaly",
    title: "Unusual user-application pair accessed a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "DefenseEvasion"],
    origin: "Defender",
    doc: "A user with earlier data-plane successes on a vault succeeds through an application id it never used with that vault, after the vault's 7-day learning period. One finding per vault, user and app per 24 h.",
    needs_baseline: true,
    basis: "the vault's history before the event, after its learning period",
    short_drop: "learned from the vault's first third (at least 12 h), then rolling",
};

pub struct UserAppAnomaly {
    apps: FxMap<(Id, Id), FxSet<Id>>,
    groups: Groups<(Id, Id, Id)>,
}

impl Default for UserAppAnomaly {
    fn default() -> Self {
        UserAppAnomaly {
            apps: FxMap::default(),
            groups: Groups::new(MICROS_PER_DAY),
        }
    }
}

impl Rule for UserAppAnomaly {
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
        if allowed || !ev.is_success() || !ev.is_data_plane() || !is_user(ev) {
            return;
        }
        let (Some(pk), Some(app), Some(app_text)) =
            (cx.cur.principal, cx.cur.app, ev.identity().app_id.as_ref())
        else {
            return;
        };
        let gkey = (cx.cur.vault, pk, app);
        if let Some(fi) = self.groups.open_at(out, &gkey, ev.time()) {
            out[fi].add(ev, idx);
            return;
        }
        let known = self.apps.entry((cx.cur.vault, pk)).or_default();
        let first_on_vault = known.is_empty();
        if !known.insert(app) || first_on_vault || cx.mode(ev) == Mode::Learning {
            return;
        }
        let n_prior = known.len() - 1;
        // At most 20 prior apps are named (sorted), so a user with thousands of app ids costs
        // no more than one with twenty.
        let mut prior: Vec<&str> = known
            .iter()
            .filter(|a| **a != app)
            .take(20)
            .map(|a| cx.name(*a))
            .collect();
        prior.sort_unstable();
        let prior_list = prior.iter().take(5).copied().collect::<Vec<_>>().join(", ");
        let (basis, confidence) = cx.history_basis(ev, "applications the user used with the vault");
        self.groups.hit(out, gkey, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "user {} performed {}{} on {} through application {}, never used with this vault before; it had used {} application{} there ({})",
                    who(ev),
                    ev.operation(),
                    object_phrase(ev),
                    ev.vault(),
                    app_text,
                    n_prior,
                    if n_prior == 1 { "" } else { "s" },
                    prior_list
                ),
                json!({"app_id": &**app_text, "known_apps": prior}),
            )
            .with_basis(basis, confidence)
        });
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
    fn needs_an_app_id_and_a_user_known_on_the_vault() {
        let cfg = DetectConfig::default();
        let u = |t: &str| ev(t).vault("kv").user("u@x").op("SecretGet").obj("s");
        let mut v = bg("kv", 20);
        v.extend(daily(&u("2026-10-01T09:00:00Z").app("portal"), 10));
        v.push(u("2026-10-15T09:00:00Z"));
        v.push(u("2026-10-15T09:01:00Z").app("portal"));
        assert!(findings_of("KV_UserAppAnomaly", v.clone(), &cfg).is_empty());
        v.push(u("2026-10-15T09:02:00Z").app("script"));
        let f = findings_of("KV_UserAppAnomaly", v, &cfg);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].details["known_apps"][0], "portal");
    }
}
