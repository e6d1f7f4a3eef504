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
//! types after that are reported as informational: a user's rarer operations (a KeyGet or a
//! SecretSet now and then) first appear on day 3 of a drop as readily as an intruder's.

use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::judging::{hours_text, Mode};
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
    short_drop: "operation types learned from the vault's first third (at least 12 h); new types after it are informational",
};

#[derive(Default)]
struct State {
    known: FxSet<Id>,
    recent: VecDeque<(i64, Id, usize)>,
}

pub struct OperationPatternAnomaly {
    state: FxMap<(Id, Id), State>,
    groups: Groups<(Id, Id)>,
}

impl Default for OperationPatternAnomaly {
    fn default() -> Self {
        OperationPatternAnomaly {
            state: FxMap::default(),
            groups: Groups::new(MICROS_PER_DAY),
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
        let st = self.state.entry(key).or_default();
        if !st.known.insert(cx.cur.operation) {
            return;
        }
        let day = ev.time().day();
        let mode = cx.mode(ev);
        let days = cx.base.vault_principal_days_before(cx.cur.vault, pk, day);
        let known_for = cx
            .base
            .vault_principal_known_for(cx.cur.vault, pk, ev.time().micros);
        match mode {
            Mode::Learning => return,
            Mode::Rolling if days < cx.cfg.established_days => return,
            // In-drop: established = active on the vault since at least the learning part's
            // minimum (12 h) before the event.
            Mode::InDrop if known_for < cx.cfg.in_drop_min_hours as i64 * MICROS_PER_HOUR => return,
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
            // informational.
            f.severity = Severity::Informational;
            f.reason.push_str(
                " (judged on a short drop: a principal's rarer operations may not have appeared yet)",
            );
        }
        for &(_, _, i) in st.recent.iter().skip(1) {
            f.add(cx.events.row(i), i);
        }
        out.push(f);
        self.groups.insert(key, out.len() - 1);
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
