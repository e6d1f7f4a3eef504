//! The page's detection settings → the core's `DetectConfig`, with what the lists said.

use crate::protocol::Settings;
use keyhole_core::detect::{DetectConfig, IntelKind};

/// The engine's configuration from the page's settings (and the demo's lists), with one note
/// per list: entries loaded, or the bad lines that were ignored.
pub fn config(s: &Settings, extra: &[(IntelKind, &str, &str)]) -> (DetectConfig, Vec<String>) {
    let mut cfg = DetectConfig {
        learning_days: s.learning_days.clamp(1, 365),
        ..DetectConfig::default()
    };
    let mut notes = Vec::new();
    let lists = [
        (IntelKind::Tor, "TOR list in Settings", s.tor.as_str()),
        (
            IntelKind::Suspicious,
            "threat-intel list in Settings",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_loaded_and_bad_lines_reported() {
        let s = Settings {
            tor: "1.2.3.4\n# comment\n".into(),
            suspicious: "not an ip\n5.6.7.0/24\n".into(),
            allow: "a@x\n".into(),
            learning_days: 0,
            ..Settings::default()
        };
        let (cfg, notes) = config(&s, &[]);
        assert_eq!(cfg.learning_days, 1, "clamped");
        assert_eq!(notes[0], "TOR list in Settings: 1 entries");
        assert!(
            notes[1].starts_with("threat-intel list in Settings: 1 bad lines ignored (line 1"),
            "{notes:?}"
        );
        assert_eq!(notes[2], "allow-list: 1 entries suppressed");
    }
}
