//! The real public samples (`../shared/samples`, read-only, never copied here) through the real
//! ingest and every rule: no panic, the analysis covers every vault, the short drop says which
//! rules had too little history, and what the records show is found.

use keyhole_core::detect::{analyze, DetectConfig};
use keyhole_core::ingest::{Dataset, IngestOptions};
use std::path::Path;

#[test]
fn real_samples_analyse_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if !dir.exists() {
        println!("skipped: ../shared/samples not present");
        return;
    }
    let mut ds = Dataset::new(IngestOptions::default());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    for p in &names {
        let bytes = std::fs::read(p).unwrap();
        let mut f = ds.open(&p.file_name().unwrap().to_string_lossy());
        f.feed(&bytes);
        ds.close(f);
    }
    let (events, _summary) = ds.finish();
    assert!(events.len() >= 30, "{} events", events.len());
    let a = analyze(&events, &DetectConfig::default());
    for f in &a.findings {
        println!(
            "{} {} {} {} {}",
            f.first_seen,
            f.rule,
            f.vault,
            f.identity.label(),
            f.reason
        );
        assert!(!f.evidence.is_empty() && f.count >= f.evidence.len() as u64);
        for e in &f.evidence {
            assert!(e.line >= 1, "evidence points at a line: {e:?}");
        }
    }
    let has = |rule: &str, vault: &str, text: &str| {
        a.findings
            .iter()
            .any(|f| f.rule == rule && f.vault == vault && f.reason.contains(text))
    };
    assert!(has(
        "KV_SensitiveOperation",
        "testpermissionvault",
        "SecretBackup secret 'keykey'"
    ));
    assert!(has(
        "KV_SensitiveOperation",
        "testpermissionvault",
        "SecretListDeleted"
    ));
    assert!(has(
        "KV_SensitiveOperation",
        "testpermissionvault",
        "KeyDelete key 'egzghfgrrg'"
    ));
    assert!(has(
        "KV_AdministrativeOperation",
        "myright3",
        "VaultPatch x1"
    ));
    // The forbidden purges (403 with resultType "Success") are not successful purges.
    assert!(!a.findings.iter().any(|f| f.reason.contains("Purge")));
    // The samples span months but every vault has a day or two of data: the baseline rules say so.
    let silent: Vec<_> = a.rules.iter().filter(|r| !r.ran).collect();
    assert!(!silent.is_empty());
    for r in &silent {
        let note = r.note.as_deref().unwrap_or("");
        assert!(
            note.starts_with("needs 7 days of history before it judges; no vault has more than"),
            "{note}"
        );
    }
    // The 401 challenges in the samples are never reported as denials.
    assert!(a.findings.iter().all(|f| !(f.rule.contains("Denied")
        && f.reason.contains("(401)")
        && f.identity.label() == "unknown principal")));
}
