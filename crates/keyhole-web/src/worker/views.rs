//! The core's results in the shapes the page reads (serialisation only: no number is made
//! here).

use crate::protocol::{EventRow, FileView, FindingView, ProblemView, RuleStatusView};
use keyhole_core::detect::{Finding, RuleStatus};
use keyhole_core::ingest::FileReport;
use keyhole_core::store::EventRef;

/// One event as a table row.
pub fn row(e: EventRef<'_>, idx: u32) -> EventRow {
    let source = e.source();
    EventRow {
        idx,
        time: e.time(),
        vault: e.vault().to_string(),
        operation: e.operation().to_string(),
        object_name: e.object_name().as_deref().map(str::to_string),
        status: e.status(),
        outcome: e.outcome().as_str().into(),
        challenge: e.is_auth_challenge(),
        ip: e
            .caller_ip()
            .as_deref()
            .map(str::to_string)
            .or_else(|| e.caller_addr().map(|a| a.to_string())),
        identity: e.identity().display().map(|s| s.to_string()),
        app_id: e.identity().app_id.as_deref().map(str::to_string),
        file: source.file.to_string(),
        line: source.line,
    }
}

/// A finding as the page shows it: its spec §4 JSON read back, evidence resolved to indices.
pub fn finding(f: &Finding, events: usize) -> FindingView {
    let mut v: FindingView = serde_json::to_value(f)
        .ok()
        .and_then(|j| serde_json::from_value(j).ok())
        .unwrap_or_default();
    v.evidence_idx = f
        .evidence
        .iter()
        .filter(|e| e.event < events)
        .map(|e| e.event as u32)
        .collect();
    v
}

pub fn rule(r: &RuleStatus) -> RuleStatusView {
    let info = keyhole_core::detect::catalogue()
        .iter()
        .find(|i| i.id == r.rule);
    RuleStatusView {
        rule: r.rule.to_string(),
        title: info.map(|i| i.title.to_string()).unwrap_or_default(),
        severity: info.map(|i| name(&i.severity)).unwrap_or_default(),
        ran: r.ran,
        note: r.note.clone(),
        judged: r.judged.clone(),
    }
}

fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn file(r: &FileReport) -> FileView {
    FileView {
        file: r.file.to_string(),
        shapes: r.shapes.iter().map(name).collect(),
        wrappers: r.wrappers.iter().map(name).collect(),
        bytes: r.bytes,
        records: r.records,
        skipped: r.skipped,
        problems: r
            .problems
            .iter()
            .map(|p| ProblemView {
                line: p.line,
                reason: p.reason.clone(),
            })
            .collect(),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::detect::testkit::{ev, EventBuilder};
    use keyhole_core::detect::{analyze, DetectConfig};
    use keyhole_core::EventStore;

    #[test]
    fn findings_keep_every_field_and_resolve_evidence() {
        let events = vec![ev("2026-10-18T03:00:00Z")
            .vault("kv")
            .user("a@x")
            .op("SecretDelete")
            .obj("s")];
        let a = analyze(&EventStore::from_events(&events), &DetectConfig::default());
        let f = a
            .findings
            .iter()
            .find(|f| f.rule == "KV_SensitiveOperation")
            .unwrap();
        let v = finding(f, events.len());
        assert_eq!(v.rule, "KV_SensitiveOperation");
        assert_eq!(v.severity, f.severity.as_str());
        assert_eq!(v.first_seen, Some(f.first_seen));
        assert_eq!(v.identity.upn.as_deref(), Some("a@x"));
        assert_eq!(v.evidence_idx, vec![0]);
        assert_eq!(v.reason, f.reason);
    }

    #[test]
    fn the_challenge_row_is_marked() {
        let mut e = ev("2026-10-18T03:00:00Z").op("Authentication").status(401);
        e.identity = Default::default();
        let s = EventStore::from_events(&[e, ev("2026-10-18T03:00:00Z").status(403)]);
        assert!(row(s.row(0), 3).challenge);
        assert_eq!(row(s.row(0), 3).outcome, "denied");
        assert!(!row(s.row(1), 0).challenge);
    }
}
