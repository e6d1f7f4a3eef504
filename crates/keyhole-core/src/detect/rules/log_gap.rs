//! KV_LogGap — a vault that logs every hour falls silent for ≥ 6 h (informational).
//!
//! Why: missing logs are either an outage of the diagnostic setting or someone switching it
//! off to work unseen; either way the auditor must know the record has a hole. Defaults: the
//! vault had events in each of the 24 consecutive hours before the silence, and the silence
//! lasts ≥ 6 h before the next event. The end of the drop is not a gap (it is where the export
//! stopped). MITRE: Defense Evasion. Origin: beyond the anchors (Chainsaw "gaps").

use crate::detect::baseline::{FxMap, Id};
use crate::detect::{
    new_finding, Cx, EvidenceRef, Finding, FindingIdentity, Rule, RuleInfo, Severity,
};
use crate::event::Event;
use crate::time::MICROS_PER_HOUR;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_LogGap",
    title: "Gap in a key vault's audit log",
    severity: Severity::Informational,
    tactics: &["DefenseEvasion"],
    origin: "beyond the anchors (Chainsaw \"gaps\")",
    doc: "A vault with events in each of the 24 hours before has no event for >= 6 h.",
    needs_baseline: false,
    basis: "the vault's own activity in the hours before the silence",
};

struct State {
    last: i64,
    last_idx: usize,
    /// Consecutive hours with events, ending at the hour of `last`.
    streak: u32,
}

#[derive(Default)]
pub struct LogGap {
    state: FxMap<Id, State>,
}

impl Rule for LogGap {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: &Event,
        _allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        let t = ev.time.micros;
        let Some(st) = self.state.get_mut(&cx.cur.vault) else {
            self.state.insert(
                cx.cur.vault,
                State {
                    last: t,
                    last_idx: idx,
                    streak: 1,
                },
            );
            return;
        };
        let gap = t - st.last;
        if gap >= cx.cfg.gap_hours * MICROS_PER_HOUR && st.streak >= cx.cfg.gap_active_hours {
            let before = &cx.events[st.last_idx];
            let gap_s = super::secs(ev.time).micros - super::secs(before.time).micros;
            let mut f = new_finding(
                &INFO,
                before,
                st.last_idx,
                &ev.vault,
                format!(
                    "{} logged events in each of the {} hours up to {} and then nothing for {:.1} h, until {}",
                    ev.vault,
                    st.streak,
                    super::secs(before.time),
                    gap_s as f64 / MICROS_PER_HOUR as f64,
                    super::secs(ev.time)
                ),
                json!({"silent_hours": (gap_s as f64 / MICROS_PER_HOUR as f64 * 10.0).round() / 10.0, "active_hours_before": st.streak}),
            );
            f.identity = FindingIdentity::default();
            f.ip = None;
            f.last_seen = ev.time;
            f.count = 1;
            f.evidence.push(EvidenceRef::of(ev, idx));
            out.push(f);
        }
        let (h0, h1) = (st.last.div_euclid(MICROS_PER_HOUR), ev.time.hour());
        if h1 == h0 + 1 {
            st.streak += 1;
        } else if h1 != h0 {
            st.streak = 1;
        }
        st.last = t;
        st.last_idx = idx;
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

    fn gap(active_hours: i64, silence_min: i64) -> usize {
        let cfg = DetectConfig::default();
        let mut v: Vec<Event> = (0..active_hours)
            .map(|h| {
                ev("2026-10-01T00:10:00Z")
                    .vault("kv")
                    .service("a")
                    .secs(h * 3600)
            })
            .collect();
        let last = v.last().unwrap().clone();
        v.push(last.secs(silence_min * 60));
        findings_of("KV_LogGap", v, &cfg).len()
    }

    #[test]
    fn six_hours_after_a_full_day() {
        assert_eq!(gap(24, 360), 1);
        assert_eq!(gap(24, 359), 0);
        assert_eq!(gap(23, 600), 0, "not active every hour for a day");
    }
}
