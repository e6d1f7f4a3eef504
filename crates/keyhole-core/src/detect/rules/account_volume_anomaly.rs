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
//!
//! On a drop no longer than the learning period a principal's usual breadth is unknown, and
//! administrators list the secrets of many vaults from the portal every day; so only vaults
//! whose contents the principal read (a Get or Backup of a named secret, key or certificate)
//! count: listing names across vaults is administration, reading values across vaults is
//! harvesting. ≥ 5 such vaults in 24 h are judged against the principal's maximum on its earlier
//! days in the drop (≥ 3 more) and against its peers (the drop's other users, or other
//! applications: above every peer and ≥ 3 × their median, robust z ≥ 3): medium when every
//! available basis says unusual, informational on the threshold alone.

use super::is_user;
use super::mass_secret_retrieval::is_object_read;
use crate::detect::baseline::{FxMap, Id};
use crate::detect::baseline::{LaggedMax, SlidingDistinct, DAY};
use crate::detect::judging::{
    earlier_max, OwnHistory, PeerScope, Peers, Pending, ShortVerdict, TENANT,
};
use crate::detect::{who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccountVolumeAnomaly",
    title: "Unusual number of key vaults accessed by a principal",
    severity: Severity::Medium,
    tactics: &["Discovery", "Collection"],
    origin: "Defender",
    doc: "An established principal succeeds (data plane or vault writes) on >= 5 vaults in 24 h and >= 3 more than its maximum so far, after the 7-day learning period. Vault '*'.",
    needs_baseline: true,
    basis: "the principal's rolling history, after the drop's learning period",
    short_drop: "vaults whose contents were read in 24 h, against the principal's earlier days in the drop and its peers (the drop's other users or applications); informational on the threshold alone",
};

#[derive(Default)]
struct State {
    window: Option<SlidingDistinct<Id>>,
    max: LaggedMax,
    /// Short drops: vaults whose contents the principal read in 24 h, and their daily maximum.
    reads: Option<SlidingDistinct<Id>>,
    reads_max: LaggedMax,
}

/// A short-drop candidate: the principal's earlier days in the drop and their maximum.
struct Candidate {
    principal: Id,
    user: bool,
    earlier: (u32, u64),
    vaults: usize,
}

pub struct AccountVolumeAnomaly {
    state: FxMap<Id, State>,
    groups: Groups<Id>,
    peers: Peers,
    pending: Pending<Id, Candidate>,
}

impl Default for AccountVolumeAnomaly {
    fn default() -> Self {
        AccountVolumeAnomaly {
            state: FxMap::default(),
            groups: Groups::new(DAY),
            peers: Peers::default(),
            pending: Pending::new(DAY),
        }
    }
}

impl Rule for AccountVolumeAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        self.finish_short(cx, out);
    }

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        if allowed || !ev.is_success() || !(ev.is_data_plane() || ev.op().is_vault_write()) {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let day = ev.time().day();
        let st = self.state.entry(pk).or_default();
        if !cx.frame.drop.is_some_and(|s| s.long(cx.cfg.learning_days)) {
            if !is_object_read(ev) {
                return;
            }
            let w = st.reads.get_or_insert_with(|| SlidingDistinct::new(DAY));
            w.push(ev.time().micros, cx.cur.vault, idx);
            let n = w.distinct();
            let max = st.reads_max.before(day);
            st.reads_max.observe(day, n as u64);
            let user = is_user(ev);
            self.peers.observe(TENANT, pk, user, n as u64);
            if n < cx.cfg.account_vaults {
                return;
            }
            let earlier = (cx.base.principal_days_before(pk, day), max);
            let (groups, findings, meta) = self.pending.parts();
            let (fi, new) = super::cross_vault_hit(
                groups,
                cx,
                findings,
                (pk, ev, idx),
                w,
                &INFO,
                (String::new(), String::new()),
                json!({}),
            );
            if new {
                meta.push(Candidate {
                    principal: pk,
                    user,
                    earlier,
                    vaults: n,
                });
            } else {
                meta[fi].vaults = meta[fi].vaults.max(n);
            }
            return;
        }
        let w = st.window.get_or_insert_with(|| SlidingDistinct::new(DAY));
        w.push(ev.time().micros, cx.cur.vault, idx);
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
        let reason = format!(
            "{} succeeded on {} vaults in 24 h; its maximum over {} earlier active days was {}",
            who(ev),
            n,
            days,
            max
        );
        super::cross_vault_hit(
            &mut self.groups,
            cx,
            out,
            (pk, ev, idx),
            w,
            &INFO,
            (
                reason,
                format!(
                    "the principal's maximum over {} earlier active days (after the drop's {}-day learning period)",
                    days, cx.cfg.learning_days
                ),
            ),
            json!({"previous_max": max, "active_days": days}),
        );
    }
}

impl AccountVolumeAnomaly {
    fn finish_short(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        let cfg = cx.cfg;
        for (f, c) in self.pending.drain() {
            let (days, max) = c.earlier;
            let n = c.vaults;
            let own =
                OwnHistory::earlier_max(days, max, n as u64 >= max + cfg.account_margin as u64);
            let peers = self.peers.judge(
                PeerScope::Tenant,
                (TENANT, "*"),
                c.principal,
                c.user,
                n as u64,
                (3.0, 1.0),
                cfg,
            );
            let absolute = format!(
                "read the contents of >= {} vaults in 24 h",
                cfg.account_vaults
            );
            let verdict = ShortVerdict::of(
                own,
                peers.as_ref(),
                (
                    &absolute,
                    &format!(
                        ">= {} more vaults than the principal's usual",
                        cfg.account_margin
                    ),
                    "vaults read in 24 h",
                ),
                cfg,
            );
            let reason = format!(
                "{} read secrets, keys or certificates on {} vaults in 24 h",
                f.identity.label(),
                n
            );
            let context: Vec<String> = earlier_max(days, max)
                .into_iter()
                .chain(peers.as_ref().map(|p| p.phrase("read on")))
                .collect();
            let Some(mut f) = verdict.apply(
                f,
                reason,
                &context,
                " (nothing in this drop to compare it with)",
            ) else {
                continue;
            };
            f.details["distinct_vaults"] = json!(n);
            f.details["previous_max"] = json!(max);
            f.details["active_days"] = json!(days);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    fn scenario(prev_max: usize, today: usize) -> usize {
        let cfg = DetectConfig::default();
        let mut v = Vec::new();
        for d in 0..10 {
            for k in 0..prev_max {
                let t = format!("2026-10-{:02}T08:{:02}:00Z", d + 1, k);
                v.push(
                    ev(&t)
                        .vault(&format!("kv{k}"))
                        .user("u@x")
                        .op("SecretGet")
                        .obj("s"),
                );
            }
        }
        for k in 0..today {
            let t = format!("2026-10-15T20:{:02}:00Z", k);
            v.push(
                ev(&t)
                    .vault(&format!("kv{k}"))
                    .user("u@x")
                    .op("SecretGet")
                    .obj("s"),
            );
        }
        findings_of("KV_AccountVolumeAnomaly", v, &cfg).len()
    }

    #[test]
    fn five_vaults_and_three_above_the_maximum() {
        assert_eq!(scenario(2, 5), 1);
        assert_eq!(scenario(3, 5), 0, "5 < 3 + 3");
        assert_eq!(scenario(1, 4), 0, "fewer than 5 vaults");
        assert_eq!(scenario(3, 6), 1);
    }
}
