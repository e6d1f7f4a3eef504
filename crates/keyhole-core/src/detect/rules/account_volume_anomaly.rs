//! KV_AccountVolumeAnomaly — a principal succeeds on an unusually large number of vaults.
//!
//! Why: an identity that normally works on one or two vaults suddenly touching many is an
//! attacker harvesting with a stolen token. Counted: successful data-plane operations and vault
//! writes (management-plane reads such as the portal's VaultGet/VaultList are not access to a
//! vault's contents, so an admin browsing vaults stays quiet). Defaults: ≥ 5 distinct vaults
//! in a sliding 24 h window and ≥ 3 more than the principal's maximum over 24 h windows on
//! earlier days; only established principals (active on ≥ 3 days), after the drop's learning
//! period. MITRE: Discovery, Collection. Grouping: per principal and 24 h; vault "*".
//! Origin: Defender.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::baseline::{LaggedMax, SlidingDistinct, DAY};
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Event;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccountVolumeAnomaly",
    title: "Unusual number of key vaults accessed by a principal",
    severity: Severity::Medium,
    tactics: &["Discovery", "Collection"],
    origin: "Defender",
    doc: "An established principal succeeds (data plane or vault writes) on >= 5 vaults in 24 h and >= 3 more than its maximum so far, after the 7-day learning period. Vault '*'.",
    needs_baseline: true,
};

#[derive(Default)]
struct State {
    window: Option<SlidingDistinct<Id>>,
    max: LaggedMax,
}

pub struct AccountVolumeAnomaly {
    state: FxMap<Id, State>,
    groups: Groups<Id>,
}

impl Default for AccountVolumeAnomaly {
    fn default() -> Self {
        AccountVolumeAnomaly {
            state: FxMap::default(),
            groups: Groups::new(DAY),
        }
    }
}

impl Rule for AccountVolumeAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !ev.is_success() || !(ev.is_data_plane() || ev.op.is_vault_write()) {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let day = ev.time.day();
        let st = self.state.entry(pk).or_default();
        let w = st.window.get_or_insert_with(|| SlidingDistinct::new(DAY));
        w.push(ev.time.micros, cx.cur.vault, idx);
        let n = w.distinct();
        let max = st.max.before(day);
        st.max.observe(day, n as u64);
        if n < cx.cfg.account_vaults
            || (n as u64) < max + cx.cfg.account_margin as u64
            || cx.base.drop_learning(day, cx.cfg.learning_days)
        {
            return;
        }
        let days = cx.base.principal_days_before(pk, day);
        if days < cx.cfg.established_days {
            return;
        }
        let mut vaults: Vec<&str> = w.keys().map(|v| cx.name(*v)).collect();
        vaults.sort_unstable();
        let reason = format!(
            "{} succeeded on {} vaults in 24 h; its maximum over {} earlier active days was {}",
            who(ev),
            n,
            days,
            max
        );
        let details = json!({"vaults": vaults, "distinct_vaults": n, "previous_max": max, "active_days": days});
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
