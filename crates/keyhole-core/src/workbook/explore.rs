//! The events explorer's filter ("all audit events, newest first", spec §3 and §5): a time
//! range, the vault, and case-insensitive substrings of identity, IP and operation, and the
//! outcome.

use crate::store::{EventRef, EventStore};
use serde::{Deserialize, Serialize};

/// What the explorer shows. Empty strings and `None` bounds match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    /// Inclusive bounds, microseconds since the epoch (UTC).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// The vault name (case-insensitive, whole name).
    pub vault: String,
    /// Part of the upn, object id or app id.
    pub identity: String,
    /// Part of the caller IP (as logged or as parsed).
    pub ip: String,
    /// Part of the operation name.
    pub operation: String,
    /// An outcome name of spec §2 (`success`, `denied`, `not_found`, …).
    pub outcome: String,
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

impl EventFilter {
    /// The filter with its text fields trimmed.
    pub fn normalised(mut self) -> EventFilter {
        for s in [
            &mut self.vault,
            &mut self.identity,
            &mut self.ip,
            &mut self.operation,
            &mut self.outcome,
        ] {
            *s = s.trim().to_string();
        }
        self
    }

    pub fn matches(&self, e: EventRef<'_>) -> bool {
        if self.from.is_some_and(|f| e.time().micros < f)
            || self.to.is_some_and(|t| e.time().micros > t)
        {
            return false;
        }
        if !self.vault.is_empty() && !e.vault().eq_ignore_ascii_case(&self.vault) {
            return false;
        }
        if !self.outcome.is_empty() && !e.outcome().as_str().eq_ignore_ascii_case(&self.outcome) {
            return false;
        }
        if !contains_ci(e.operation(), &self.operation) {
            return false;
        }
        if !self.ip.is_empty() {
            let text = e
                .caller_ip()
                .as_deref()
                .is_some_and(|t| contains_ci(t, &self.ip));
            let addr = e
                .caller_addr()
                .is_some_and(|a| contains_ci(&a.to_string(), &self.ip));
            if !text && !addr {
                return false;
            }
        }
        if !self.identity.is_empty() {
            let id = &e.identity();
            let hit = [&id.upn, &id.object_id, &id.app_id]
                .into_iter()
                .any(|f| f.as_deref().is_some_and(|s| contains_ci(s, &self.identity)));
            if !hit {
                return false;
            }
        }
        true
    }

    /// Indices of the matching events, newest first (ties: the later index first).
    pub fn newest_first(&self, events: &EventStore) -> Vec<u32> {
        let mut out: Vec<u32> = (0..events.len())
            .filter(|&i| self.matches(events.row(i)))
            .map(|i| i as u32)
            .collect();
        out.sort_by(|&a, &b| {
            events.times()[b as usize]
                .cmp(&events.times()[a as usize])
                .then(b.cmp(&a))
        });
        out
    }
}
