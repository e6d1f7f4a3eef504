//! Detection split into parts (`analyze_in_parts`, what `keyhole` runs on its threads) finds
//! exactly what one pass finds: the same findings in the same order, the same rule statuses,
//! whatever the number of parts and the order the parts run in.

use keyhole_core::detect::{analyze, analyze_in_parts, DetectConfig, IntelKind, PartOut};
use keyhole_core::export::findings_jsonl;
use keyhole_gen::{demo_suspicious_list, demo_tor_list, GenConfig};

#[test]
fn any_number_of_parts_run_in_any_order_gives_the_one_pass_result() {
    let gen = GenConfig {
        seed: 7,
        days: 18,
        scale: 0.25,
        ..GenConfig::default()
    };
    let (recs, _) = keyhole_gen::generate_all(&gen);
    let events = keyhole_gen::raw_store(&recs);
    let mut cfg = DetectConfig::default();
    cfg.add_intel(IntelKind::Tor, "tor.txt", demo_tor_list())
        .unwrap();
    cfg.add_intel(IntelKind::Suspicious, "ti.txt", demo_suspicious_list())
        .unwrap();

    let one = analyze(&events, &cfg);
    assert!(one.findings.len() > 20, "the tenant has attacks to find");
    let expected = (
        findings_jsonl(&one.findings),
        format!("{:?}", one.rules),
        one.span,
    );
    for parts in [2, 3, 5, 23, 40] {
        let a = analyze_in_parts(&events, &cfg, parts, |jobs| {
            // the last part first: a part must not depend on another having run
            let mut outs: Vec<PartOut> = jobs.into_iter().rev().map(|j| j()).collect();
            outs.reverse();
            outs
        });
        let got = (
            findings_jsonl(&a.findings),
            format!("{:?}", a.rules),
            a.span,
        );
        assert!(got == expected, "{parts} parts differ from one pass");
    }
}
