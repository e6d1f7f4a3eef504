//! The real public samples (`../shared/samples`, read-only, never copied here) through the real
//! ingest and every rule: no panic, the analysis covers every vault, the short drop says how each
//! rule judged it, and what the records show is found.

use keyhole_core::detect::{analyze, DetectConfig};
use keyhole_core::ingest::{Dataset, IngestOptions};
use std::path::Path;

#[test]
fn real_samples_analyse_cleanly() {
    // `KEYHOLE_SAMPLES_DIR` points at the samples from a worktree elsewhere.
    let dir = std::env::var_os("KEYHOLE_SAMPLES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples"));
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
    let (events, _summary) = ds.finish_store();
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
    // The samples span months but every vault has a day or two of data: the rules that need a
    // history judge each vault from its own earlier part and say so.
    assert!(a.rules.iter().all(|r| r.ran));
    for r in a.rules.iter().filter(|r| {
        keyhole_core::detect::catalogue()
            .iter()
            .any(|i| i.id == r.rule && i.needs_baseline && r.rule != "KV_AccountVolumeAnomaly")
    }) {
        let note = r.note.as_deref().unwrap_or("");
        assert!(
            note.contains("no vault has more than 7 days of data: "),
            "{}: {note}",
            r.rule
        );
        assert_eq!(r.judged, note);
    }
    // The securathesis attacker's first data-plane operations on its vault are surfaced, as
    // informational: two days of a vault cannot say it was unusual.
    let novel = a
        .findings
        .iter()
        .find(|f| f.rule == "KV_UserAnomaly" && f.vault == "securaallkeyvault")
        .expect("the sample attacker's first access");
    assert_eq!(
        novel.severity,
        keyhole_core::detect::Severity::Informational
    );
    assert!(
        novel.basis.starts_with("learned from the first "),
        "{}",
        novel.basis
    );
    // The 401 challenges in the samples are never reported as denials.
    assert!(a.findings.iter().all(|f| !(f.rule.contains("Denied")
        && f.reason.contains("(401)")
        && f.identity.label() == "unknown principal")));
}
