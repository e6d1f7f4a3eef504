//! KV_OperationPatternAnomaly — an established principal suddenly performs several operation
//! types it never performed on the vault.
//!
//! Why: a workload that only ever calls SecretGet suddenly listing, backing up and deleting is
//! someone else holding its credentials. Defaults: ≥ 3 operation types new for the
//! (vault, principal) within 1 h; only principals active on the vault on ≥ 3 earlier days,
//! after its learning period. Counted: successful and denied requests (not the challenge).
//! MITRE: Discovery, Collection, Impact. Grouping: (vault, principal) per 24 h.
//! Origin: Defender.

use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::{Event, Outcome};
use crate::time::{MICROS_PER_DAY, MICROS_PER_MIN};
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

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !matches!(ev.outcome, Outcome::Success | Outcome::Denied) {
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
        let day = ev.time.day();
        if cx.learning(ev) {
            return;
        }
        let days = cx.base.vault_principal_days_before(cx.cur.vault, pk, day);
        if days < cx.cfg.established_days {
            return;
        }
        let window = cx.cfg.pattern_window_min * MICROS_PER_MIN;
        st.recent.push_back((ev.time.micros, cx.cur.operation, idx));
        while let Some((t, _, _)) = st.recent.front() {
            if ev.time.micros - t >= window {
                st.recent.pop_front();
            } else {
                break;
            }
        }
        if st.recent.len() < cx.cfg.pattern_new_ops {
            return;
        }
        let ops: Vec<&str> = st.recent.iter().map(|(_, o, _)| cx.name(*o)).collect();
        let reason = format!(
            "{}, active on {} on {} earlier days, performed {} operation types it never performed there within {} min: {}",
            who(ev),
            ev.vault,
            days,
            ops.len(),
            cx.cfg.pattern_window_min,
            ops.join(", ")
        );
        let details = json!({"new_operations": ops, "active_days": days});
        if let Some(fi) = self.groups.open_at(out, &key, ev.time) {
            out[fi].add(ev, idx);
            out[fi].reason = reason;
            out[fi].details = details;
            return;
        }
        // The finding starts at the window's first new operation and cites every one of them.
        let i0 = st.recent[0].2;
        let mut f = new_finding(&INFO, &cx.events[i0], i0, &ev.vault, reason, details);
        for &(_, _, i) in st.recent.iter().skip(1) {
            f.add(&cx.events[i], i);
        }
        out.push(f);
        self.groups.insert(key, out.len() - 1);
    }
}
