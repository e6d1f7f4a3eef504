//! KV_OperationPatternAnomaly — an established principal suddenly performs several operation
//! types it never performed on the vault.
//!
//! Why: a workload that only ever calls SecretGet suddenly listing, backing up and deleting is
//! someone else holding its credentials. Defaults: ≥ 3 operation types new for the
//! (vault, principal) within 1 h; only principals active on the vault on ≥ 3 earlier days,
//! after its learning period. Counted: successful and denied requests (not the challenge).
//! MITRE: Discovery, Collection, Impact. Grouping: (vault, principal) per 24 h.
//! Origin: Defender.
//!
//! On a vault with less data than the learning period the operation types are learned from the
//! drop (the vault's first third, at least 12 h, and the principal active there for 12 h); new
//! types after that are judged against the principal's peers at the end of the pass: a user's
//! rarer operations (a KeyGet or a SecretSet now and then) first appear on day 3 of a drop as
//! readily as an intruder's, but they are its colleagues' daily ones. The finding keeps the
//! rule's severity when at least `pattern_rare_ops` (2) of the new types were performed by no
//! other principal of its kind (users for a user, applications for an application; at least
//! `peer_min` of them) anywhere in the drop; informational otherwise.
//!
//! New types inside that learned first third, or before the principal has 12 h on the vault,
//! are judged on the whole drop (leave-one-out) at the end of the pass: a principal that within
//! 1 h performed >= 3 operation types it never performed on the vault otherwise, at least 2 of
//! them performed by no other principal of its kind (the peer verdict above), keeps the rule's
//! severity when it worked there on >= `stranger_around_min_days` (3) other UTC days of the
//! drop (a principal's first hour in a drop shows its usual types, and those come back on its
//! other days), or, on fewer days (a 1- or 3-day drop), when it is a user with at least
//! `peer_alert_min` (5) peers that worked there in at least one other clock hour of the drop:
//! the verdict then rests on its peers, and the basis says that the other days were dropped.
//! Not an application on fewer days: a nightly or weekly job performs its types once in a short
//! drop, and other applications run other jobs, so "no other application" says little.

use super::is_user;
use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::judging::{hours_text, Frame, Mode};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Outcome;
use crate::store::EventRef;
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN};
use serde_json::json;
use std::collections::VecDeque;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_OperationPatternAnomaly",
    title: "Unusual operation pattern on a key vault",
    severity: Severity::Medium,
    tactics: &["Discovery", "Collection", "Impact"],
    origin: "Defender",
    doc: "A principal active on a vault on >= 3 earlier days performs >= 3 operation types it never performed there within 1 h, after the 7-day learning period.",
    needs_baseline: true,
    basis: "the principal's earlier active days on the vault, after its learning period",
    short_drop: "operation types learned from the vault's first third (at least 12 h); new types after it alert when at least 2 of them are performed by no other principal of its kind in the drop, else informational; >= 3 types within 1 h never performed otherwise (inside the first third, or before the principal's 12 h there) alert the same way, by a principal active there on >= 3 other days, or by a user with >= 5 peers active there in another hour (leave-one-out; peers alone)",
};

#[derive(Default)]
struct State {
    known: FxSet<Id>,
    recent: VecDeque<(i64, Id, usize)>,
    /// Short vaults: first uses of operation types inside the learned part (time, type, event;
    /// at most 64), when each type was last performed, and the distinct UTC days active.
    learned: Vec<(i64, Id, usize)>,
    last: FxMap<Id, i64>,
    days: Vec<i64>,
    /// Short vaults: the distinct clock hours (since the epoch) the principal was active there.
    hours: Vec<i64>,
}

pub struct OperationPatternAnomaly {
    state: FxMap<(Id, Id), State>,
    groups: Groups<(Id, Id)>,
    /// Per (operation type, user?): the first two principals that performed it in the drop.
    doers: FxMap<(Id, bool), (Id, Option<Id>)>,
    /// Principals of each kind (user?) in the drop.
    principals: FxSet<(Id, bool)>,
    /// Findings judged in-drop (index in `out`), with the principal, its kind and the new
    /// operation types, for the peer verdict at the end of the pass.
    short: Vec<(usize, Id, bool, Vec<Id>)>,
    /// Short vaults: the (vault, principal) keys with new types inside the learned part.
    learned: Vec<(Id, Id)>,
}

impl Default for OperationPatternAnomaly {
    fn default() -> Self {
        OperationPatternAnomaly {
            state: FxMap::default(),
            groups: Groups::new(MICROS_PER_DAY),
            doers: FxMap::default(),
            principals: FxSet::default(),
            short: Vec::new(),
            learned: Vec::new(),
        }
    }
}

impl Rule for OperationPatternAnomaly {
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
        if allowed || !matches!(ev.outcome(), Outcome::Success | Outcome::Denied) {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let key = (cx.cur.vault, pk);
        let user = is_user(ev);
        let d = self
            .doers
            .entry((cx.cur.operation, user))
            .or_insert((pk, None));
        if d.0 != pk && d.1.is_none() {
            d.1 = Some(pk);
        }
        self.principals.insert((pk, user));
        let st = self.state.entry(key).or_default();
        let day = ev.time().day();
        let short = cx
            .vault_span()
            .is_some_and(|s| !s.long(cx.cfg.learning_days));
        if short {
            st.last.insert(cx.cur.operation, ev.time().micros);
            if st.days.last() != Some(&day) {
                st.days.push(day);
            }
            let hour = ev.time().micros.div_euclid(MICROS_PER_HOUR);
            if st.hours.last() != Some(&hour) {
                st.hours.push(hour);
            }
        }
        if !st.known.insert(cx.cur.operation) {
            return;
        }
        let mode = cx.mode(ev);
        let days = cx.base.vault_principal_days_before(cx.cur.vault, pk, day);
        let known_for = cx
            .base
            .vault_principal_known_for(cx.cur.vault, pk, ev.time().micros);
        match mode {
            Mode::Learning => {
                if short && st.learned.len() < 64 {
                    st.learned.push((ev.time().micros, cx.cur.operation, idx));
                    if st.learned.len() == 1 {
                        self.learned.push(key);
                    }
                }
                return;
            }
            Mode::Rolling if days < cx.cfg.established_days => return,
            // In-drop: established = active on the vault since at least the learning part's
            // minimum (12 h) before the event; first uses before that are judged on the whole
            // drop, like those of the learned part (`leave_one_out`).
            Mode::InDrop if known_for < cx.cfg.in_drop_min_hours as i64 * MICROS_PER_HOUR => {
                if st.learned.len() < 64 {
                    st.learned.push((ev.time().micros, cx.cur.operation, idx));
                    if st.learned.len() == 1 {
                        self.learned.push(key);
                    }
                }
                return;
            }
            _ => {}
        }
        let window = cx.cfg.pattern_window_min * MICROS_PER_MIN;
        st.recent
            .push_back((ev.time().micros, cx.cur.operation, idx));
        while let Some((t, _, _)) = st.recent.front() {
            if ev.time().micros - t >= window {
                st.recent.pop_front();
            } else {
                break;
            }
        }
        // Bounded: only the last 64 new operation types of the window are kept.
        if st.recent.len() > 64 {
            st.recent.pop_front();
        }
        if st.recent.len() < cx.cfg.pattern_new_ops {
            return;
        }
        let reason_of = |ops: &[&str], n: usize| {
            format!(
                "{}, active on {} on {} earlier days, performed {} operation types it never performed there within {} min: {}{}",
                who(ev),
                ev.vault(),
                days,
                n,
                cx.cfg.pattern_window_min,
                ops.join(", "),
                if n > ops.len() { ", …" } else { "" }
            )
        };
        if let Some(fi) = self.groups.open_at(out, &key, ev.time()) {
            // Extend the open finding: O(1) amortised, the listed names are capped at 50.
            if let Some(s) = self.short.iter_mut().rev().find(|s| s.0 == fi) {
                s.3.push(cx.cur.operation);
            }
            let f = &mut out[fi];
            f.add(ev, idx);
            let n = f.details["count"].as_u64().unwrap_or(0) as usize + 1;
            f.details["count"] = json!(n);
            if let Some(a) = f.details["new_operations"].as_array_mut() {
                if a.len() < 50 {
                    a.push(json!(cx.name(cx.cur.operation)));
                }
            }
            let names: Vec<String> = f.details["new_operations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            f.reason = reason_of(&names, n);
            return;
        }
        let ops: Vec<&str> = st.recent.iter().map(|(_, o, _)| cx.name(*o)).collect();
        let reason = reason_of(&ops, ops.len());
        let details = json!({"new_operations": ops, "count": ops.len(), "active_days": days});
        // The finding starts at the window's first new operation and cites every one of them.
        let i0 = st.recent[0].2;
        let (basis, confidence) = match mode {
            Mode::InDrop => {
                let (b, c) = cx.history_basis(ev, "");
                (
                    format!(
                        "operation types of the principal's {} on {} in this drop; {}",
                        hours_text(known_for),
                        ev.vault(),
                        b
                    ),
                    c.min(if known_for >= MICROS_PER_DAY {
                        Confidence::Medium
                    } else {
                        Confidence::Low
                    }),
                )
            }
            _ => (
                format!(
                    "operation types of the principal's {} earlier active days on {} (after its {}-day learning period)",
                    days, ev.vault(), cx.cfg.learning_days
                ),
                Confidence::High,
            ),
        };
        let mut f = new_finding(&INFO, cx.events.row(i0), i0, ev.vault(), reason, details)
            .with_basis(basis, confidence);
        if mode == Mode::InDrop {
            // A user's rarer operations (a KeyGet once a week) appear late in a short drop:
            // informational, unless its peers say otherwise (at the end of the pass).
            f.severity = Severity::Informational;
            let ops: Vec<Id> = st.recent.iter().map(|(_, o, _)| *o).collect();
            self.short.push((out.len(), pk, user, ops));
        }
        for &(_, _, i) in st.recent.iter().skip(1) {
            f.add(cx.events.row(i), i);
        }
        out.push(f);
        self.groups.insert(key, out.len() - 1);
    }

    /// Short drops: the new operation types against the principal's peers. A finding whose new
    /// types include at least `pattern_rare_ops` that no other principal of its kind (users for
    /// a user, applications for an application) performed anywhere in the drop keeps the
    /// rule's severity: a user's rarer operations are its colleagues' daily ones, an intruder's
    /// enumeration and exfiltration types are nobody's. Otherwise informational.
    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        self.leave_one_out(cx, out);
        for (fi, pk, user, ops) in std::mem::take(&mut self.short) {
            let f = &mut out[fi];
            let rare: Vec<&str> = self
                .rare(pk, user, &ops)
                .into_iter()
                .map(|o| cx.name(o))
                .collect();
            let kind = if user { "user" } else { "application" };
            let peers = self.peers(pk, user);
            if rare.len() >= cx.cfg.pattern_rare_ops && peers >= cx.cfg.peer_min {
                f.severity = INFO.severity;
                f.reason.push_str(&format!(
                    "; no other {kind} of this drop performed {}",
                    rare.join(", ")
                ));
                f.basis = format!(
                    "{}; compared with {peers} other {kind}s of the drop: {} performed by none of them",
                    f.basis,
                    rare.join(", ")
                );
                f.confidence = f.confidence.max(if peers >= cx.cfg.peer_alert_min {
                    Confidence::Medium
                } else {
                    Confidence::Low
                });
            } else {
                f.reason.push_str(
                    " (judged on a short drop: a principal's rarer operations may not have appeared yet, and its peers perform them too)",
                );
            }
        }
    }
}

impl OperationPatternAnomaly {
    /// The types of `ops` that no other principal of its kind performed in the drop.
    fn rare(&self, pk: Id, user: bool, ops: &[Id]) -> Vec<Id> {
        ops.iter()
            .copied()
            .filter(|o| {
                self.doers
                    .get(&(*o, user))
                    .is_some_and(|&(a, b)| a == pk && b.is_none())
            })
            .collect()
    }

    /// Other principals of its kind in the drop.
    fn peers(&self, pk: Id, user: bool) -> usize {
        self.principals
            .iter()
            .filter(|(p, u)| *u == user && *p != pk)
            .count()
    }

    /// New types inside the learned part of a short vault (or before the principal's 12 h
    /// there), judged on the whole drop: the first 1 h window (from a new type) holding at least
    /// `pattern_new_ops` types the principal never performed on the vault after that window, at
    /// least `pattern_rare_ops` of them performed by no other principal of its kind, by a
    /// principal active there on at least `stranger_around_min_days` other UTC days, or by a
    /// user with `peer_alert_min` peers active there in another clock hour. Only a burst the
    /// peer verdict (`finish`) will keep is reported: nothing new at informational.
    fn leave_one_out(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        let window = cx.cfg.pattern_window_min * MICROS_PER_MIN;
        for key in std::mem::take(&mut self.learned) {
            let Some(st) = self.state.get(&key) else {
                continue;
            };
            let once =
                |&&(t, op, _): &&(i64, Id, usize)| st.last.get(&op).is_none_or(|&l| l < t + window);
            let Some(&(_, _, first)) = st.learned.first() else {
                continue;
            };
            let user = is_user(cx.events.row(first));
            // The first burst the peer verdict (`finish`) will keep: on a short drop the
            // principal's usual session is as "once" as an intruder's burst, but its types are
            // its peers' too.
            let burst = st.learned.iter().enumerate().find_map(|(i, &(t0, _, _))| {
                let w: Vec<&(i64, Id, usize)> = st.learned[i..]
                    .iter()
                    .take_while(|(t, _, _)| *t - t0 < window)
                    .filter(|e| once(e))
                    .collect();
                let ids: Vec<Id> = w.iter().map(|(_, o, _)| *o).collect();
                (w.len() >= cx.cfg.pattern_new_ops
                    && once(&&st.learned[i])
                    && self.rare(key.1, user, &ids).len() >= cx.cfg.pattern_rare_ops)
                    .then_some(w)
            });
            let Some(burst) = burst else {
                continue;
            };
            let (t0, _, i0) = *burst[0];
            let day = t0.div_euclid(MICROS_PER_DAY);
            let other_days = st.days.iter().filter(|&&d| d != day).count();
            let h0 = t0.div_euclid(MICROS_PER_HOUR);
            let h1 = (t0 + window - 1).div_euclid(MICROS_PER_HOUR);
            let other_hours = st.hours.iter().filter(|&&h| h < h0 || h > h1).count();
            let ev = cx.events.row(i0);
            let ids: Vec<Id> = burst.iter().map(|(_, o, _)| *o).collect();
            let peers = self.peers(key.1, user);
            // Only what the peer verdict will keep: nothing new at informational.
            if peers < cx.cfg.peer_min {
                continue;
            }
            // Fewer other days (a 1- or 3-day drop): a user's burst rests on its peers alone,
            // `peer_alert_min` of them, and on its own work there in other clock hours that
            // shows none of those types. Not an application: a nightly or weekly job performs
            // its types once in a short drop, and other applications do other jobs.
            let around = other_days >= cx.cfg.stranger_around_min_days as usize;
            let peers_alone = user && other_hours > 0 && peers >= cx.cfg.peer_alert_min;
            if !(around || peers_alone) {
                continue;
            }
            let ops: Vec<&str> = burst.iter().map(|(_, o, _)| cx.name(*o)).collect();
            let mut f = new_finding(
                &INFO,
                ev,
                i0,
                ev.vault(),
                format!(
                    "{}, active on {} {} of this drop, performed {} operation types within {} min that it performed there at no other time: {}",
                    who(ev),
                    ev.vault(),
                    if around {
                        format!("on {other_days} other days")
                    } else {
                        format!(
                            "in {other_hours} other hour{} ({other_days} other day{})",
                            if other_hours == 1 { "" } else { "s" },
                            if other_days == 1 { "" } else { "s" }
                        )
                    },
                    ops.len(),
                    cx.cfg.pattern_window_min,
                    ops.join(", ")
                ),
                json!({"new_operations": ops, "count": ops.len(), "other_days": other_days}),
            )
            .with_basis(
                if around {
                    format!(
                        "judged on the whole drop (leave-one-out): the principal's operation types on {} on its {} other days of this drop, before and after; the burst lies {}",
                        ev.vault(),
                        other_days,
                        if Frame::mode(cx.frame.vault(key.0), t0, cx.cfg) == Mode::Learning {
                            "in the part in-drop learning only learns from".to_string()
                        } else {
                            format!(
                                "in the principal's first {} h there, before in-drop learning judges it",
                                cx.cfg.in_drop_min_hours
                            )
                        }
                    )
                } else {
                    format!(
                        "judged on the whole drop (leave-one-out): the principal's operation types on {} in its {} other hour{} of this drop; dropped: its work there on {} other days (the drop shows {}), the verdict rests on its peers",
                        ev.vault(),
                        other_hours,
                        if other_hours == 1 { "" } else { "s" },
                        cx.cfg.stranger_around_min_days,
                        other_days
                    )
                },
                if other_days >= 5 {
                    Confidence::Medium
                } else {
                    Confidence::Low
                },
            );
            f.severity = Severity::Informational;
            for &&(_, _, i) in burst.iter().skip(1) {
                f.add(cx.events.row(i), i);
            }
            self.short.push((out.len(), key.1, user, ids));
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    fn new_ops(n: usize) -> usize {
        let cfg = DetectConfig::default();
        let mut v = daily(
            &ev("2026-10-01T08:00:00Z")
                .vault("kv")
                .service("app")
                .op("SecretGet")
                .obj("s"),
            20,
        );
        for (k, op) in ["SecretList", "KeyList", "CertificateList", "SecretBackup"]
            .iter()
            .take(n)
            .enumerate()
        {
            v.push(
                ev("2026-10-15T02:00:00Z")
                    .vault("kv")
                    .service("app")
                    .op(op)
                    .secs(k as i64 * 600),
            );
        }
        findings_of("KV_OperationPatternAnomaly", v, &cfg).len()
    }

    #[test]
    fn three_new_operation_types_within_an_hour() {
        assert_eq!(new_ops(2), 0);
        assert_eq!(new_ops(3), 1);
        assert_eq!(new_ops(4), 1, "grouped");
    }
}
