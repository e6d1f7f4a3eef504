//! KV_AccountVolumeAccessDeniedAnomaly — a principal is denied on many vaults.
//!
//! Why: a token walking the estate and bouncing off vault after vault is enumeration. The 401
//! SDK challenge never counts. Default: denied on ≥ 5 distinct vaults within a sliding 24 h;
//! no baseline needed. MITRE: Discovery. Grouping: per principal and 24 h; vault "*".
//! Origin: Defender.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::baseline::{SlidingDistinct, DAY};
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Event;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccountVolumeAccessDeniedAnomaly",
    title: "Principal denied on an unusual number of key vaults",
    severity: Severity::Low,
    tactics: &["Discovery"],
    origin: "Defender",
    doc: "A principal gets 401/403 (not the SDK challenge) on >= 5 distinct vaults within 24 h. Vault '*'.",
    needs_baseline: false,
};

pub struct AccountVolumeAccessDeniedAnomaly {
    windows: FxMap<Id, SlidingDistinct<Id>>,
    groups: Groups<Id>,
}

impl Default for AccountVolumeAccessDeniedAnomaly {
    fn default() -> Self {
        AccountVolumeAccessDeniedAnomaly {
            windows: FxMap::default(),
            groups: Groups::new(DAY),
        }
    }
}

impl Rule for AccountVolumeAccessDeniedAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !ev.is_denied() {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let w = self
            .windows
            .entry(pk)
            .or_insert_with(|| SlidingDistinct::new(DAY));
        w.push(ev.time.micros, cx.cur.vault, idx);
        let n = w.distinct();
        if n < cx.cfg.denied_vaults {
            return;
        }
        let mut vaults: Vec<&str> = w.keys().map(|v| cx.name(*v)).collect();
        vaults.sort_unstable();
        let reason = format!("{} was denied on {} vaults in 24 h", who(ev), n);
        let details = json!({"vaults": vaults, "distinct_vaults": n});
        let seed = w.latest_events();
        let total = w.total() as u64;
        let (fi, new) = self.groups.hit(out, pk, ev, idx, || {
            // Evidence: the latest event on each vault of the window; count: every event in it.
            let first = seed[0];
            let mut f = new_finding(
                &INFO,
                &cx.events[first],
                first,
                "*",
                reason.clone(),
                details.clone(),
            );
            for &i in &seed[1..] {
                f.add(&cx.events[i], i);
            }
            f.count = total;
            f
        });
        if !new && out[fi].details["distinct_vaults"].as_u64().unwrap_or(0) < n as u64 {
            out[fi].reason = reason;
            out[fi].details = details;
        }
    }
}
