//! KV_UserAppAnomaly — a user known on the vault comes through an application it never used
//! with that vault.
//!
//! Why: a user who always reads a vault through the portal or one internal tool suddenly
//! arriving through another client id (a script, a third-party app granted consent) suggests
//! token theft or an illicit consent grant. Judged on successful data-plane operations after
//! the vault's learning period, for users who already had a data-plane success on the vault.
//! MITRE: Credential Access, Defense Evasion. Grouping: (vault, user, app) per 24 h.
//! Origin: Defender.
//!
//! On a vault with less data than the learning period the user's applications are learned from
//! the vault's first third (at least 12 h), then judged rolling. A new application that nothing
//! before it can judge (used inside the learned part, or the user's very first application on
//! the vault) is judged on the whole drop, leave-one-out: reported when its whole use of the
//! vault is one burst of at most an hour while the user used another application there in at
//! least two other clock hours (before or after the burst); an application the user comes back
//! to, or a user seen in one session only, stays quiet.

use super::{is_user, object_phrase};
use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::judging::{hours_text, Mode};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};
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
    short_drop: "learned from the vault's first third (at least 12 h), then rolling; an application used there only in one burst inside the learned part (or as the user's first) against the user's usual application in two other hours of the drop",
};

pub struct UserAppAnomaly {
    apps: FxMap<(Id, Id), FxSet<Id>>,
    groups: Groups<(Id, Id, Id)>,
    /// Short vaults: every (vault, user, app)'s use, and the findings of the pairs nothing
    /// before them can judge, decided on the whole drop at the end of the pass.
    uses: FxMap<(Id, Id, Id), Use>,
    retro: Vec<Finding>,
}

/// A user's use of one application with a short vault: first and last data-plane success,
/// distinct clock hours it was used in, and its pending finding when it is judged on the whole
/// drop (first used inside the learned part, or the user's first application on the vault).
struct Use {
    first: i64,
    last: i64,
    hours: u32,
    last_hour: i64,
    retro: Option<usize>,
}

impl Default for UserAppAnomaly {
    fn default() -> Self {
        UserAppAnomaly {
            apps: FxMap::default(),
            groups: Groups::new(MICROS_PER_DAY),
            uses: FxMap::default(),
            retro: Vec::new(),
        }
    }
}

impl UserAppAnomaly {
    /// Record the use on a short vault; `judge` asks for a pending finding (the use is not
    /// judged against the history before it).
    fn record(
        &mut self,
        key: (Id, Id, Id),
        ev: EventRef<'_>,
        idx: usize,
        judge: Option<&dyn Fn() -> Finding>,
    ) {
        let t = ev.time().micros;
        let hour = t.div_euclid(MICROS_PER_HOUR);
        let u = self.uses.entry(key).or_insert(Use {
            first: t,
            last: t,
            hours: 0,
            last_hour: i64::MIN,
            retro: None,
        });
        u.last = t;
        if hour != u.last_hour {
            u.last_hour = hour;
            u.hours += 1;
        }
        match (u.retro, judge) {
            (Some(fi), _) if t - u.first <= MICROS_PER_HOUR => self.retro[fi].add(ev, idx),
            (None, Some(make)) if u.hours == 1 && u.first == t => {
                self.retro.push(make());
                u.retro = Some(self.retro.len() - 1);
            }
            _ => {}
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
        let short = cx
            .vault_span()
            .filter(|s| !s.long(cx.cfg.learning_days))
            .is_some();
        if let Some(fi) = self.groups.open_at(out, &gkey, ev.time()) {
            out[fi].add(ev, idx);
            if short {
                self.record(gkey, ev, idx, None);
            }
            return;
        }
        let known = self.apps.entry((cx.cur.vault, pk)).or_default();
        let first_on_vault = known.is_empty();
        let new_app = known.insert(app);
        let n_prior = known.len() - 1;
        // At most 20 prior apps are named (sorted), so a user with thousands of app ids costs
        // no more than one with twenty.
        let mut prior: Vec<&str> = known
            .iter()
            .filter(|a| **a != app)
            .take(20)
            .map(|a| cx.name(*a))
            .collect();
        if short {
            // Not judged against what came before it (the learned part, or the user's first
            // application there): a pending finding judged on the whole drop.
            let unjudged = new_app && (first_on_vault || cx.mode(ev) == Mode::Learning);
            let make = || {
                new_finding(
                    &INFO,
                    ev,
                    idx,
                    ev.vault(),
                    format!(
                        "user {} performed {}{} on {} through application {}",
                        who(ev),
                        ev.operation(),
                        object_phrase(ev),
                        ev.vault(),
                        app_text
                    ),
                    json!({"app_id": &**app_text, "known_apps": []}),
                )
            };
            self.record(
                gkey,
                ev,
                idx,
                unjudged.then_some(&make as &dyn Fn() -> Finding),
            );
        }
        if !new_app || first_on_vault || cx.mode(ev) == Mode::Learning {
            return;
        }
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

    /// Short vaults, leave-one-out: a user's application that nothing before it could judge is
    /// reported when its whole use of the vault in the drop is one burst of at most an hour
    /// while the user used another application there in at least two other clock hours (its
    /// usual client, before or after the burst).
    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        let mut by_user: FxMap<(Id, Id), Vec<(Id, &Use)>> = FxMap::default();
        for (&(v, p, a), u) in &self.uses {
            by_user.entry((v, p)).or_default().push((a, u));
        }
        for ((v, p), apps) in by_user {
            for &(a, u) in &apps {
                let Some(fi) = u.retro else { continue };
                if u.last - u.first > MICROS_PER_HOUR {
                    continue;
                }
                // The user's usual application: used in >= 2 clock hours outside the burst.
                let mut usual: Vec<(&str, u32)> = apps
                    .iter()
                    .filter(|(b, w)| {
                        *b != a && w.hours >= 2 && (w.first < u.first || w.last > u.last)
                    })
                    .map(|(b, w)| (cx.name(*b), w.hours))
                    .collect();
                if usual.is_empty() {
                    continue;
                }
                usual.sort_unstable();
                let mut f = self.retro[fi].clone();
                let names: Vec<&str> = usual.iter().map(|(n, _)| *n).collect();
                f.reason = format!(
                    "{}: its only use of that application with the vault in this drop, one burst of {}, while it used {} there in {} other clock hours",
                    f.reason,
                    super::dur(u.last - u.first),
                    names.join(", "),
                    usual.iter().map(|(_, h)| h).sum::<u32>()
                );
                f.details = json!({"app_id": cx.name(a), "known_apps": names});
                let span = cx.frame.vault(v);
                f.basis = format!(
                    "judged on the whole drop (leave-one-out): the user's applications with {} over {} of its data in this drop (shorter than the {}-day learning period); nothing before the burst to judge it against",
                    f.vault,
                    span.map_or_else(String::new, |s| hours_text(s.last - s.first)),
                    cx.cfg.learning_days
                );
                f.confidence = Confidence::Low;
                let _ = p;
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{background, daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn needs_an_app_id_and_a_user_known_on_the_vault() {
        let cfg = DetectConfig::default();
        let u = |t: &str| ev(t).vault("kv").user("u@x").op("SecretGet").obj("s");
        let mut v = background("kv", 20);
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
