//! KV_LogGap — a vault that logs every hour falls silent for ≥ 6 h (informational).
//!
//! Why: missing logs are either an outage of the diagnostic setting or someone switching it
//! off to work unseen; either way the auditor must know the record has a hole. Defaults: the
//! vault had events in each of the 24 consecutive hours before the silence, and the silence
//! lasts ≥ 6 h before the next event. The end of the drop is not a gap (it is where the export
//! stopped). On a vault with less data than the learning period a silence near its start has
//! fewer than 24 hours before it; there the vault's other hours are the baseline: the silence is
//! a gap when the vault had events in every other hour of its data in the drop (at least 12).
//! MITRE: Defense Evasion. Origin: beyond the anchors (Chainsaw "gaps").

use crate::detect::baseline::{FxMap, Id};
use crate::detect::{
    new_finding, Confidence, Cx, EvidenceRef, Finding, FindingIdentity, Rule, RuleInfo, Severity,
};
use crate::store::EventRef;
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
    short_drop:
        "a silence against the vault's other hours (events in every other hour, at least 12)",
};

struct State {
    last: i64,
    last_idx: usize,
    /// Consecutive hours with events, ending at the hour of `last`.
    streak: u32,
    /// Hours with events, and the first one.
    hours: i64,
    first_hour: i64,
}

/// A silence on a short vault with fewer active hours before it than `gap_active_hours`:
/// (vault, event before, event after).
type Candidate = (Id, usize, usize);

#[derive(Default)]
pub struct LogGap {
    state: FxMap<Id, State>,
    short: Vec<Candidate>,
}

/// The finding for a silence between events `bi` and `ai`; `why` says what made the vault
/// "active every hour".
fn gap_finding(cx: &Cx, (bi, ai): (usize, usize), why: String) -> Finding {
    let (before, ev) = (cx.events.row(bi), cx.events.row(ai));
    let gap_s = super::secs(ev.time()).micros - super::secs(before.time()).micros;
    let mut f = new_finding(
        &INFO,
        before,
        bi,
        ev.vault(),
        format!(
            "{} logged events {} and then nothing for {:.1} h, until {}",
            ev.vault(),
            why,
            gap_s as f64 / MICROS_PER_HOUR as f64,
            super::secs(ev.time())
        ),
        json!({"silent_hours": (gap_s as f64 / MICROS_PER_HOUR as f64 * 10.0).round() / 10.0}),
    );
    f.identity = FindingIdentity::default();
    f.ip = None;
    f.last_seen = ev.time();
    f.count = 1;
    f.evidence.push(EvidenceRef::of(ev, ai));
    f
}

impl Rule for LogGap {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        _allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        let t = ev.time().micros;
        let Some(st) = self.state.get_mut(&cx.cur.vault) else {
            self.state.insert(
                cx.cur.vault,
                State {
                    last: t,
                    last_idx: idx,
                    streak: 1,
                    hours: 1,
                    first_hour: ev.time().hour(),
                },
            );
            return;
        };
        let gap = t - st.last;
        if gap >= cx.cfg.gap_hours * MICROS_PER_HOUR {
            if st.streak >= cx.cfg.gap_active_hours {
                let before = cx.events.row(st.last_idx);
                let mut f = gap_finding(
                    cx,
                    (st.last_idx, idx),
                    format!(
                        "in each of the {} hours up to {}",
                        st.streak,
                        super::secs(before.time())
                    ),
                );
                f.details["active_hours_before"] = json!(st.streak);
                out.push(f);
            } else if !cx
                .vault_span()
                .is_some_and(|s| s.long(cx.cfg.learning_days))
            {
                self.short.push((cx.cur.vault, st.last_idx, idx));
            }
        }
        let (h0, h1) = (st.last.div_euclid(MICROS_PER_HOUR), ev.time().hour());
        if h1 == h0 + 1 {
            st.streak += 1;
        } else if h1 != h0 {
            st.streak = 1;
        }
        if h1 != h0 {
            st.hours += 1;
        }
        st.last = t;
        st.last_idx = idx;
    }

    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        // Short vaults: a silence is a gap when every other hour of the vault's data had events.
        for &(v, bi, ai) in &self.short {
            let Some(st) = self.state.get(&v) else {
                continue;
            };
            let (h0, h1) = (
                cx.events.row(bi).time().hour(),
                cx.events.row(ai).time().hour(),
            );
            let span_hours = st.last.div_euclid(MICROS_PER_HOUR) - st.first_hour + 1;
            let other = span_hours - (h1 - h0 - 1);
            if st.hours != other || other < cx.cfg.in_drop_min_hours as i64 {
                continue;
            }
            let mut f = gap_finding(
                cx,
                (bi, ai),
                format!("in each of the other {other} hours of its data in this drop"),
            )
            .with_basis(
                format!(
                    "the vault's other hours: events in each of its {other} other hours of this drop (shorter than the {}-day learning period)",
                    cx.cfg.learning_days
                ),
                if other >= 24 {
                    Confidence::Medium
                } else {
                    Confidence::Low
                },
            );
            f.details["active_hours_in_drop"] = json!(other);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    use crate::event::Event;

    /// Hourly events at `hours` (from 00:10), then one `silence_min` after the last; `long` puts
    /// an event ten days earlier so the vault has more data than the learning period.
    fn gap_after(
        hours: impl Iterator<Item = i64>,
        silence_min: i64,
        long: bool,
    ) -> Vec<crate::detect::Finding> {
        let mut v: Vec<Event> = hours
            .map(|h| {
                ev("2026-10-11T00:10:00Z")
                    .vault("kv")
                    .service("a")
                    .secs(h * 3600)
            })
            .collect();
        let last = v.last().unwrap().clone();
        v.push(last.secs(silence_min * 60));
        if long {
            v.insert(0, ev("2026-10-01T00:10:00Z").vault("kv").service("a"));
        }
        findings_of("KV_LogGap", v, &DetectConfig::default())
    }

    fn gap(active_hours: i64, silence_min: i64, long: bool) -> Vec<crate::detect::Finding> {
        gap_after(0..active_hours, silence_min, long)
    }

    #[test]
    fn six_hours_after_a_full_day() {
        assert_eq!(gap(24, 360, true).len(), 1);
        assert_eq!(gap(24, 359, true).len(), 0);
        assert_eq!(
            gap(23, 600, true).len(),
            0,
            "not active every hour for a day"
        );
    }

    #[test]
    fn a_short_vault_compares_the_silence_with_its_other_hours() {
        let f = gap(14, 420, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence, crate::detect::Confidence::Low);
        assert!(
            f[0].basis
                .starts_with("the vault's other hours: events in each of its 15 other hours"),
            "{}",
            f[0].basis
        );
        assert!(gap(10, 420, false).is_empty(), "fewer than 12 other hours");
        // One more silent hour elsewhere: not "active every hour".
        assert!(gap_after((0..16).filter(|h| *h != 3), 420, false).is_empty());
    }
}
