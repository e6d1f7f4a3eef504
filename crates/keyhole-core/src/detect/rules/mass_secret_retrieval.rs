//! KV_MassSecretRetrieval — many distinct secrets, keys or certificates read in 24 h.
//!
//! Why: dumping a vault reads many objects fast. Sentinel's "Mass secret retrieval" rule fires
//! on > 10 distinct objects and > 50 reads in 24 h; on its own that flags every config loader.
//! Keyhole adds Defender's sense of normal: for a principal established on the vault (active
//! there on ≥ 3 days) it fires (medium) only when the distinct objects also exceed 3 × the
//! principal's maximum over 24 h windows on earlier days; a principal with no history there
//! (after the vault's learning period) gets the Sentinel verdict alone (low). A config loader
//! that reads the same 40 secrets 300 times a day never exceeds 3 × its own 40.
//!
//! On a vault with less data than the learning period (see `detect::judging`), the Sentinel
//! threshold is judged from the first read, and "unusual" comes from what the drop has: the
//! principal's maximum on its earlier days in the drop (its distinct objects must exceed 3 ×
//! it), and its peers (a user against the vault's other users, an application against itself
//! on other vaults: above every peer, ≥ 3 × their median, robust z ≥ 3). Medium when every
//! available basis says unusual; with neither (a principal's first day, no peers: a config
//! loader's first run looks exactly like a dump) the Sentinel threshold alone is reported as
//! informational, its basis naming the dropped condition.
//! Counted: successful Get/Backup of secrets, keys and certificates with an object name.
//! MITRE: Credential Access, Collection. Grouping: (vault, principal) per 24 h.
//! Origin: Sentinel rule + workbook.

use super::is_user;
use crate::detect::baseline::{FxMap, Id};
use crate::detect::baseline::{LaggedMax, SlidingDistinct, DAY};
use crate::detect::judging::{
    earlier_max, Mode, OwnHistory, PeerScope, Peers, Pending, ShortVerdict,
};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::{Op, Verb};
use crate::store::EventRef;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_MassSecretRetrieval",
    title: "Mass retrieval of key vault objects",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "Collection"],
    origin: "Sentinel rule + workbook",
    doc: "> 10 distinct objects and > 50 reads in 24 h (Sentinel). Medium when the principal is established on the vault and its distinct objects exceed 3 x its daily maximum so far; low when it has no history there. After the 7-day learning period; on a shorter vault, medium when the distinct objects exceed 3 x the principal's maximum on its earlier days in the drop and its peers (other users of the vault, the same app on other vaults), informational on the Sentinel threshold alone.",
    needs_baseline: true,
    basis: "rolling history of the principal on the vault, after its learning period",
    short_drop: "Sentinel's threshold from the first read, against the principal's earlier days in the drop and its peers (the vault's other users, the same application on other vaults); informational on the threshold alone",
};

/// A read of one named object (what the mass-retrieval rule and workbook panel count).
pub fn is_object_read(ev: EventRef<'_>) -> bool {
    matches!(ev.op(), Op::Object(_, Verb::Get | Verb::Backup)) && ev.object_name().is_some()
}

#[derive(Default)]
struct State {
    window: Option<SlidingDistinct<Id>>,
    max: LaggedMax,
}

/// What a short-drop candidate needs for its verdict at the end of the pass.
struct Candidate {
    vault: Id,
    principal: Id,
    user: bool,
    /// Earlier days of the principal on the vault in the drop and its maximum on them.
    earlier: (u32, u64),
    distinct: usize,
    reads: u64,
}

pub struct MassSecretRetrieval {
    state: FxMap<(Id, Id), State>,
    groups: Groups<(Id, Id)>,
    peers: Peers,
    pending: Pending<(Id, Id), Candidate>,
}

impl Default for MassSecretRetrieval {
    fn default() -> Self {
        MassSecretRetrieval {
            state: FxMap::default(),
            groups: Groups::new(DAY),
            peers: Peers::default(),
            pending: Pending::new(DAY),
        }
    }
}

impl Rule for MassSecretRetrieval {
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
        if allowed || !ev.is_success() || !is_object_read(ev) {
            return;
        }
        let (Some(pk), Some(name)) = (cx.cur.principal, cx.cur.object) else {
            return;
        };
        let day = ev.time().day();
        let key = (cx.cur.vault, pk);
        let st = self.state.entry(key).or_default();
        let w = st.window.get_or_insert_with(|| SlidingDistinct::new(DAY));
        w.push(ev.time().micros, name, idx);
        let (distinct, reads) = (w.distinct(), w.total() as u64);
        let max = st.max.before(day);
        st.max.observe(day, distinct as u64);
        let short = !cx
            .vault_span()
            .is_some_and(|s| s.long(cx.cfg.learning_days));
        let user = is_user(ev);
        if short {
            // Peers are only needed (and only kept) for vaults judged by the short-drop modes.
            self.peers.observe(cx.cur.vault, pk, user, distinct as u64);
        }
        if distinct <= cx.cfg.mass_objects || reads <= cx.cfg.mass_reads {
            return;
        }
        if short {
            let earlier = (
                cx.base.vault_principal_days_before(cx.cur.vault, pk, day),
                max,
            );
            let (fi, new) = self.pending.hit(key, ev, idx, || {
                (
                    new_finding(&INFO, ev, idx, ev.vault(), String::new(), json!({})),
                    Candidate {
                        vault: cx.cur.vault,
                        principal: pk,
                        user,
                        earlier,
                        distinct,
                        reads,
                    },
                )
            });
            if !new {
                let c = &mut self.pending.meta[fi];
                if distinct >= c.distinct {
                    c.distinct = distinct;
                    c.reads = reads;
                }
            }
            return;
        }
        if cx.mode(ev) != Mode::Rolling {
            return;
        }
        let days = cx.base.vault_principal_days_before(cx.cur.vault, pk, day);
        let (severity, reason, basis, confidence) = if days >= cx.cfg.established_days {
            if (distinct as f64) <= cx.cfg.mass_factor * max as f64 {
                return;
            }
            (
                Severity::Medium,
                format!(
                    "{} read {} distinct objects ({} reads) on {} in 24 h; its maximum on {} earlier active days was {}",
                    who(ev), distinct, reads, ev.vault(), days, max
                ),
                format!(
                    "rolling history of the principal on {} ({} earlier active days, after the vault's {}-day learning period)",
                    ev.vault(), days, cx.cfg.learning_days
                ),
                Confidence::High,
            )
        } else {
            (
                Severity::Low,
                format!(
                    "{} read {} distinct objects ({} reads) on {} in 24 h with no history on this vault ({} earlier active days)",
                    who(ev), distinct, reads, ev.vault(), days
                ),
                format!(
                    "absolute threshold (Sentinel: > {} distinct objects and > {} reads in 24 h); dropped: distinct objects > {} x the principal's daily maximum (no history on the vault)",
                    cx.cfg.mass_objects, cx.cfg.mass_reads, cx.cfg.mass_factor
                ),
                Confidence::Medium,
            )
        };
        let details = json!({"distinct_objects": distinct, "reads": reads, "previous_max": max, "active_days": days});
        let (fi, new) = self.groups.hit(out, key, ev, idx, || {
            let mut f = new_finding(&INFO, ev, idx, ev.vault(), reason.clone(), details.clone())
                .with_basis(basis.clone(), confidence);
            f.severity = severity;
            f
        });
        if !new && out[fi].details["distinct_objects"].as_u64().unwrap_or(0) <= distinct as u64 {
            out[fi].reason = reason;
            out[fi].details = details;
            if severity >= out[fi].severity {
                out[fi].basis = basis;
                out[fi].confidence = confidence;
            }
            out[fi].severity = out[fi].severity.max(severity);
        }
    }

    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        let cfg = cx.cfg;
        for (f, c) in self.pending.drain() {
            let (days, max) = c.earlier;
            let own = OwnHistory::earlier_max(
                days,
                max,
                c.distinct as f64 > cfg.mass_factor * max as f64,
            );
            let peers = self.peers.judge(
                PeerScope::Vault,
                (c.vault, &f.vault),
                c.principal,
                c.user,
                c.distinct as u64,
                (cfg.mass_factor, 1.0),
                cfg,
            );
            let absolute = format!(
                "absolute threshold (Sentinel: > {} distinct objects and > {} reads in 24 h)",
                cfg.mass_objects, cfg.mass_reads
            );
            let verdict = ShortVerdict::of(
                own,
                peers.as_ref(),
                (
                    &absolute,
                    &format!(
                        "distinct objects > {} x the principal's usual",
                        cfg.mass_factor
                    ),
                    "distinct objects in 24 h",
                ),
                cfg,
            );
            let reason = format!(
                "{} read {} distinct objects ({} reads) on {} in 24 h",
                f.identity.label(),
                c.distinct,
                c.reads,
                f.vault
            );
            let context: Vec<String> = earlier_max(days, max)
                .into_iter()
                .chain(peers.as_ref().map(|p| p.phrase("read")))
                .collect();
            let Some(mut f) = verdict.apply(
                f,
                reason,
                &context,
                " (Sentinel's threshold; this drop holds nothing to compare it with)",
            ) else {
                continue;
            };
            f.details = json!({"distinct_objects": c.distinct, "reads": c.reads, "previous_max": max, "active_days": days, "peers": peers.as_ref().map(|p| json!({"n": p.n, "max": p.max, "median": p.median, "robust_z": (p.z * 10.0).round() / 10.0}))});
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{background, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    fn reads(distinct: i64, total: i64) -> Vec<crate::detect::Finding> {
        let cfg = DetectConfig::default();
        let mut v = background("kv", 20);
        for k in 0..total {
            v.push(
                ev("2026-10-15T02:00:00Z")
                    .vault("kv")
                    .service("new")
                    .op("SecretGet")
                    .obj(&format!("s{}", k % distinct))
                    .secs(k),
            );
        }
        findings_of("KV_MassSecretRetrieval", v, &cfg)
    }

    #[test]
    fn sentinel_thresholds_are_strict_inequalities() {
        assert!(reads(10, 60).is_empty(), "10 distinct is not > 10");
        assert!(reads(11, 50).is_empty(), "50 reads is not > 50");
        let f = reads(11, 51);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].severity,
            crate::detect::Severity::Low,
            "no history on the vault"
        );
    }
}
