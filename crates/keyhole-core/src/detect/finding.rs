//! Findings (alerts) as spec §3/§4 describe them.

use crate::event::Identity;
use crate::store::EventRef;
use crate::time::Timestamp;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Alert severity, ordered Informational < Low < Medium < High.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// How much the basis of a finding can be trusted (serialised lower-case).
///
/// - `high`: the rule judged with everything it is designed for: a rolling history after the
///   learning period, or a condition that needs no history (a threat-intel match, a
///   configuration transition, an absolute threshold that is the whole rule);
/// - `medium`: a reduced basis: learned from the drop's own earlier part, compared with enough
///   peers, or one relative condition dropped for want of history (the finding says which);
/// - `low`: a thin basis: few peers, a few hours of in-drop history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Who the finding is about (all `None` for vault-level findings such as log gaps).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FindingIdentity {
    pub upn: Option<String>,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
}

impl FindingIdentity {
    pub fn of(id: &Identity) -> FindingIdentity {
        FindingIdentity {
            upn: id.upn.as_deref().map(str::to_string),
            object_id: id.object_id.as_deref().map(str::to_string),
            app_id: id.app_id.as_deref().map(str::to_string),
        }
    }

    /// A human label: upn, else object id, else app id, else "unknown principal".
    pub fn label(&self) -> &str {
        self.upn
            .as_deref()
            .or(self.object_id.as_deref())
            .or(self.app_id.as_deref())
            .unwrap_or("unknown principal")
    }
}

/// A reference back to the event that supports a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// File (zip members as `archive.zip:member/path`).
    pub source: String,
    /// 1-based line of the record.
    pub line: u64,
    /// Row of the event in the store given to `analyze`.
    pub event: usize,
}

impl EvidenceRef {
    pub fn of(ev: EventRef<'_>, idx: usize) -> EvidenceRef {
        let source = ev.source();
        EvidenceRef {
            source: source.file.to_string(),
            line: source.line,
            event: idx,
        }
    }
}

/// At most this many evidence references are kept per finding (`count` stays exact).
pub const MAX_EVIDENCE: usize = 50;

/// One alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    pub title: String,
    pub severity: Severity,
    pub tactics: Vec<&'static str>,
    /// Vault name, or `*` when the finding spans vaults.
    pub vault: String,
    pub identity: FindingIdentity,
    pub ip: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Exact number of events behind the finding.
    pub count: u64,
    /// Plain-language reason with the numbers behind it.
    pub reason: String,
    /// What the verdict was judged against: "rolling 14-day history", "configuration transition,
    /// needs no history", "compared with 6 other principals of kv-x"; names any relative
    /// condition that could not be evaluated on this drop.
    pub basis: String,
    pub confidence: Confidence,
    /// The first [`MAX_EVIDENCE`] supporting events.
    pub evidence: Vec<EvidenceRef>,
    /// Rule-specific details (permissions granted, range added, old/new configuration…).
    pub details: serde_json::Value,
}

impl Finding {
    /// Add one more supporting event (count, last seen, evidence up to the cap).
    pub fn add(&mut self, ev: EventRef<'_>, idx: usize) {
        self.count += 1;
        if ev.time() > self.last_seen {
            self.last_seen = ev.time();
        }
        if ev.time() < self.first_seen {
            self.first_seen = ev.time();
        }
        if self.evidence.len() < MAX_EVIDENCE && !self.evidence.iter().any(|e| e.event == idx) {
            self.evidence.push(EvidenceRef::of(ev, idx));
        }
    }

    /// The same finding with another basis and confidence.
    pub fn with_basis(mut self, basis: String, confidence: Confidence) -> Finding {
        self.basis = basis;
        self.confidence = confidence;
        self
    }

    /// The same finding without its provenance (evidence), for comparing analyses of the same
    /// events read from different shapes.
    pub fn without_evidence(&self) -> Finding {
        Finding {
            evidence: Vec::new(),
            ..self.clone()
        }
    }
}

/// Serialised in the order of spec §4's JSONL example, then `details`.
impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("rule", self.rule)?;
        m.serialize_entry("title", &self.title)?;
        m.serialize_entry("severity", &self.severity)?;
        m.serialize_entry("tactics", &self.tactics)?;
        m.serialize_entry("vault", &self.vault)?;
        m.serialize_entry("identity", &self.identity)?;
        m.serialize_entry("ip", &self.ip)?;
        m.serialize_entry("first_seen", &self.first_seen)?;
        m.serialize_entry("last_seen", &self.last_seen)?;
        m.serialize_entry("count", &self.count)?;
        m.serialize_entry("reason", &self.reason)?;
        m.serialize_entry("basis", &self.basis)?;
        m.serialize_entry("confidence", &self.confidence)?;
        m.serialize_entry("evidence", &self.evidence)?;
        m.serialize_entry("details", &self.details)?;
        m.end()
    }
}

/// Catalogue entry of a rule (for the page's rule list and the docs).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RuleInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub tactics: &'static [&'static str],
    /// Where the rule comes from (Defender, Sentinel, seed hunting query, beyond the anchors).
    pub origin: &'static str,
    /// What it detects, why, and its default thresholds.
    pub doc: &'static str,
    /// True when the rule needs a baseline (learning period) to judge.
    pub needs_baseline: bool,
    /// The basis of the rule's findings when it judges with everything it is designed for
    /// (rules with a history refine it with their numbers): "configuration transition, needs no
    /// history".
    pub basis: &'static str,
    /// How the rule judges a vault with no more data than the learning period (see
    /// `detect::judging`); empty when it judges it like any other.
    pub short_drop: &'static str,
}

/// Whether a rule ran on this drop, and how it judged it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleStatus {
    pub rule: &'static str,
    pub ran: bool,
    /// What limited the rule on this drop (its vaults shorter than the learning period, or why
    /// it could not run); `None` when it judged as designed.
    pub note: Option<String>,
    /// How the rule judged this drop: "needs no history", "rolling history after the 7-day
    /// learning period (5 vaults)", or its short-drop basis.
    pub judged: String,
}

/// The result of [`super::analyze`].
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Sorted by first seen, then severity (highest first), then rule, vault, identity.
    pub findings: Vec<Finding>,
    pub rules: Vec<RuleStatus>,
    /// First and last event time (`None` for an empty drop).
    pub span: Option<(Timestamp, Timestamp)>,
}
