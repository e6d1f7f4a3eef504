//! KV_ListGetAnomaly — SecretList, then within 1 h gets of many secrets the principal never
//! read before.
//!
//! Why: an intruder does not know the secret names; it lists them and then reads them one by
//! one. A workload reads the same few names it always reads. Defaults: ≥ 5 distinct secrets new
//! to the (vault, principal) read within 60 min after a successful SecretList, after the vault's
//! learning period. MITRE: Discovery, Credential Access. Grouping: (vault, principal) per 1 h
//! window after the list. Origin: Defender (the sample Defender alert in the shared samples is
//! this one).
//!
//! On a vault with less data than the learning period the pattern is an absolute threshold,
//! judged from the first event ("never read" = not read in this drop before). Early in a drop
//! everything is "never read", so the verdict waits for the end of the pass: medium when the
//! principal had at least `in_drop_min_hours` (12 h) of secret reads and lists on the vault
//! before the list (peers alone do not make "never read" meaningful), unless its distinct
//! secrets read there in the drop are usual among its peers (no more than some other user of
//! the vault reads; an application against itself on other vaults); informational on the
//! pattern alone.

use super::is_user;
use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::judging::{hours_text, OwnHistory, PeerScope, Peers};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Rule, RuleInfo, Severity};
use crate::event::{ObjectKind, Op, Verb};
use crate::store::EventRef;
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN};
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_ListGetAnomaly",
    title: "Unusual secret listing followed by retrieval of many secrets",
    severity: Severity::Medium,
    tactics: &["Discovery", "CredentialAccess"],
    origin: "Defender",
    doc: "A successful SecretList followed within 60 min by successful gets of >= 5 secrets the principal never read on that vault, after the 7-day learning period; on a shorter vault from the first event, medium when the principal has 12 h of history there and reads more distinct secrets than its peers, else informational.",
    needs_baseline: true,
    basis: "every secret the principal read on the vault before, after its learning period",
    short_drop: "absolute from the first event; medium with 12 h of the principal's own reads before the list unless usual among its peers, else informational",
};

#[derive(Default)]
struct State {
    read: FxSet<Id>,
    /// Time and event of the last SecretList.
    list: Option<(i64, usize)>,
    /// New secrets read since that list, with their events.
    fresh: Vec<(Id, usize)>,
    /// How many new secrets since the list (`fresh` keeps the first 50).
    fresh_n: usize,
    /// The open finding (in `out`, or in `pending` on a short vault).
    open: Option<usize>,
    /// When the principal's first secret list or read on the vault was.
    since: i64,
    user: bool,
}

/// A short-vault finding waiting for the peers: (vault, principal, history before the list).
type Candidate = (Id, Id, i64);

#[derive(Default)]
pub struct ListGetAnomaly {
    state: FxMap<(Id, Id), State>,
    pending: Vec<(Finding, Candidate)>,
}

impl Rule for ListGetAnomaly {
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
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let is_list = match ev.op() {
            Op::Object(ObjectKind::Secret, Verb::List) => true,
            Op::Object(ObjectKind::Secret, Verb::Get) => false,
            _ => return,
        };
        let st = self
            .state
            .entry((cx.cur.vault, pk))
            .or_insert_with(|| State {
                since: ev.time().micros,
                user: is_user(ev),
                ..State::default()
            });
        if is_list {
            st.list = Some((ev.time().micros, idx));
            st.fresh.clear();
            st.fresh_n = 0;
            st.open = None;
            return;
        }
        let Some(name) = cx.cur.object else { return };
        if !st.read.insert(name) {
            return;
        }
        let Some((lt, li)) = st.list else { return };
        let window = cx.cfg.list_get_window_min * MICROS_PER_MIN;
        // A vault shorter than the learning period: the absolute pattern, judged from the
        // first event ("never read" = not in this drop before), verdict at the end.
        let span = cx.vault_span().filter(|s| !s.long(cx.cfg.learning_days));
        if ev.time().micros - lt > window || (span.is_none() && cx.learning(ev)) {
            return;
        }
        st.fresh_n += 1;
        if st.fresh.len() < 50 {
            st.fresh.push((name, idx));
        }
        if st.fresh_n < cx.cfg.list_get_secrets {
            return;
        }
        let names: Vec<&str> = st.fresh.iter().map(|(n, _)| cx.name(*n)).collect();
        let reason =
            format!(
            "{} listed the secrets of {} and within {} read {} secrets it never read before ({})",
            who(ev),
            ev.vault(),
            super::dur_between(crate::time::Timestamp::from_micros(lt), ev.time()),
            st.fresh_n,
            names.iter().take(10).copied().collect::<Vec<_>>().join(", ")
                + if st.fresh_n > 10 { ", …" } else { "" }
        );
        let details = json!({"new_secrets": names, "count": st.fresh_n, "list_time": super::secs(crate::time::Timestamp::from_micros(lt)).to_rfc3339()});
        if span.is_some() {
            // Pending findings live in `self.pending`; `open` indexes it.
            if let Some(fi) = st.open {
                let f = &mut self.pending[fi].0;
                f.add(ev, idx);
                f.reason = reason;
                f.details = details;
                return;
            }
            let mut f = new_finding(&INFO, cx.events.row(li), li, ev.vault(), reason, details);
            f.count = 0;
            for &(_, i) in &st.fresh {
                f.add(cx.events.row(i), i);
            }
            self.pending.push((f, (cx.cur.vault, pk, lt - st.since)));
            st.open = Some(self.pending.len() - 1);
            return;
        }
        match st.open {
            Some(fi) => {
                out[fi].add(ev, idx);
                out[fi].reason = reason;
                out[fi].details = details;
            }
            None => {
                let mut f = new_finding(&INFO, cx.events.row(li), li, ev.vault(), reason, details)
                    .with_basis(
                        cx.rolling_basis(ev, "secrets the principal read"),
                        Confidence::High,
                    );
                f.count = 0;
                for &(_, i) in &st.fresh {
                    f.add(cx.events.row(i), i);
                }
                out.push(f);
                st.open = Some(out.len() - 1);
            }
        }
    }

    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        if self.pending.is_empty() {
            return;
        }
        let cfg = cx.cfg;
        let mut peers = Peers::default();
        for (&(v, p), st) in &self.state {
            peers.observe(v, p, st.user, st.read.len() as u64);
        }
        for (mut f, (v, p, known)) in self.pending.drain(..) {
            let Some(st) = self.state.get(&(v, p)) else {
                continue;
            };
            let own =
                (known >= cfg.in_drop_min_hours as i64 * MICROS_PER_HOUR).then(|| OwnHistory {
                    exceeded: true,
                    basis: format!(
                        "never read in its {} of secret reads and lists on {} before the list",
                        hours_text(known),
                        f.vault
                    ),
                    confidence: if known >= MICROS_PER_DAY {
                        Confidence::Medium
                    } else {
                        Confidence::Low
                    },
                });
            let pv = peers.judge(
                PeerScope::Vault,
                (v, &f.vault),
                p,
                st.user,
                st.read.len() as u64,
                (1.0, 1.0),
                cfg,
            );
            let absolute = format!(
                "absolute: a SecretList then >= {} secrets never read in this drop (the vault's data is shorter than the {}-day learning period)",
                cfg.list_get_secrets, cfg.learning_days
            );
            let read_n = st.read.len() as u64;
            // Peers only veto here: a read set no larger than some peer's is usual on the vault.
            if pv.as_ref().is_some_and(|p| read_n <= p.max) {
                continue;
            }
            match own {
                Some(o) => {
                    let mut parts = vec![absolute, o.basis];
                    let mut confidence = o.confidence;
                    if let Some(p) = &pv {
                        let (b, c) = p.basis("distinct secrets read in this drop");
                        parts.push(b);
                        confidence = confidence.max(c);
                        f.reason.push_str(&format!(
                            "; it read {} distinct secrets there in this drop, {} at most {} (median {})",
                            read_n, p.group, p.max, p.median
                        ));
                    }
                    f = f.with_basis(parts.join("; "), confidence);
                }
                None => {
                    // Without the principal's own history "never read" means "not read yet in
                    // this drop": informational.
                    f.reason
                        .push_str(" (early in this drop everything is \"never read\")");
                    f = f.with_basis(
                        format!(
                            "{absolute}; dropped: a known read set ({} h of the principal's secret reads before the list)",
                            cfg.in_drop_min_hours
                        ),
                        Confidence::Low,
                    );
                    f.severity = Severity::Informational;
                }
            }
            out.push(f);
        }
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

    fn gets_after_list(n: i64, delay_min: i64) -> usize {
        let cfg = DetectConfig::default();
        let mut v = bg("kv", 20);
        v.push(
            ev("2026-10-15T02:00:00Z")
                .vault("kv")
                .service("x")
                .op("SecretList"),
        );
        for k in 0..n {
            v.push(
                ev("2026-10-15T02:00:00Z")
                    .vault("kv")
                    .service("x")
                    .op("SecretGet")
                    .obj(&format!("n{k}"))
                    .secs(delay_min * 60 + k),
            );
        }
        findings_of("KV_ListGetAnomaly", v, &cfg).len()
    }

    #[test]
    fn five_new_secrets_within_the_hour() {
        assert_eq!(gets_after_list(4, 1), 0);
        assert_eq!(gets_after_list(5, 1), 1);
        assert_eq!(gets_after_list(5, 61), 0, "too long after the list");
    }
}
