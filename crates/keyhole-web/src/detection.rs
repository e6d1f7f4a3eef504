//! Bridge to the core's detection engine: settings → `DetectConfig`, core findings →
//! [`FindingView`]s with evidence resolved to event indices.

use crate::model::{FindingView, RuleStatusView, Settings};
use keyhole_core::detect::{analyze, DetectConfig, IntelKind};
use keyhole_core::event::Event;

/// The engine's configuration from the page's settings, with messages about the lists.
pub fn config(s: &Settings, extra: &[(IntelKind, &str, &str)]) -> (DetectConfig, Vec<String>) {
    let mut cfg = DetectConfig {
        learning_days: s.learning_days.clamp(1, 365),
        ..DetectConfig::default()
    };
    let mut notes = Vec::new();
    let lists = [
        (IntelKind::Tor, "your TOR list", s.tor.as_str()),
        (
            IntelKind::Suspicious,
            "your threat-intel list",
            s.suspicious.as_str(),
        ),
    ];
    for (kind, name, text) in lists.iter().copied().chain(extra.iter().copied()) {
        if text.trim().is_empty() {
            continue;
        }
        match cfg.add_intel(kind, name, text) {
            Ok(n) => notes.push(format!("{name}: {n} entries")),
            Err(bad) => notes.push(format!(
                "{name}: {} bad lines ignored ({})",
                bad.len(),
                bad.iter()
                    .take(3)
                    .map(|(l, why)| format!("line {l}: {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
    if !s.allow.trim().is_empty() {
        let n = cfg.add_allow_list(&s.allow);
        notes.push(format!("allow-list: {n} entries suppressed"));
    }
    (cfg, notes)
}

/// Run every rule on the events (time-ordered).
pub fn run(events: &[Event], cfg: &DetectConfig) -> (Vec<FindingView>, Vec<RuleStatusView>) {
    let a = analyze(events, cfg);
    let findings = a
        .findings
        .iter()
        .map(|f| {
            let mut v: FindingView = serde_json::to_value(f)
                .ok()
                .and_then(|j| serde_json::from_value(j).ok())
                .unwrap_or_default();
            v.evidence_idx = f
                .evidence
                .iter()
                .filter(|e| e.event < events.len())
                .map(|e| e.event as u32)
                .collect();
            v
        })
        .collect();
    let rules = a
        .rules
        .iter()
        .map(|r| RuleStatusView {
            rule: r.rule.to_string(),
            ran: r.ran,
            note: r.note.clone(),
        })
        .collect();
    (findings, rules)
}
