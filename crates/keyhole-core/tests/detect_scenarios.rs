//! Scenario suite: weeks of generated benign traffic with one injected attack per catalogue rule
//! (keyhole-gen), written in every input shape, read back by the real ingest, analysed:
//! every manifest attack is found, no benign principal is alerted above informational, and the
//! findings are identical whatever the shape (evidence positions aside).

use keyhole_core::detect::{analyze, Analysis, DetectConfig, Finding, IntelKind, Severity};
use keyhole_core::ingest::{Dataset, IngestOptions};
use keyhole_core::{EventStore, Timestamp};
use keyhole_gen::{
    demo_suspicious_list, demo_tor_list, writer_for, GenConfig, InjectedAttack, OutShape,
};

fn config() -> DetectConfig {
    let mut cfg = DetectConfig::default();
    cfg.add_intel(IntelKind::Tor, "demo-tor.txt", demo_tor_list())
        .unwrap();
    cfg.add_intel(IntelKind::Suspicious, "demo-ti.txt", demo_suspicious_list())
        .unwrap();
    cfg
}

fn read(shape: OutShape, recs: &[keyhole_gen::Record]) -> EventStore {
    let mut w = writer_for(shape, 120);
    let mut bytes = Vec::new();
    for r in recs {
        w.write_record(r, &mut bytes);
    }
    w.finish(&mut bytes);
    let opts = IngestOptions {
        local_zone: keyhole_core::LocalZone::Fixed(120),
        ..IngestOptions::default()
    };
    let mut ds = Dataset::new(opts);
    let mut f = ds.open(&format!("scenario.{}", shape.name()));
    for chunk in bytes.chunks(1 << 16) {
        f.feed(chunk);
    }
    let rep = ds.close(f);
    assert_eq!(rep.skipped, 0, "{}: {:?}", shape.name(), rep.problems);
    ds.finish_store().0
}

fn involves(f: &Finding, who: &str) -> bool {
    let id = &f.identity;
    [&id.upn, &id.object_id, &id.app_id]
        .iter()
        .any(|v| v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(who)))
}

fn found(a: &Analysis, atk: &InjectedAttack) -> bool {
    let slack = 3_600_000_000i64;
    a.findings.iter().any(|f| {
        f.rule == atk.rule
            && (f.vault == atk.vault || atk.vault == "*" || f.vault == "*")
            && atk
                .principal
                .as_deref()
                .is_none_or(|p| involves(f, p) || atk.principals.iter().any(|q| involves(f, q)))
            && f.first_seen.micros <= atk.last.micros + slack
            && f.last_seen.micros >= atk.first.micros - slack
    })
}

/// Every identity involved in the attacks (none of them is a benign principal).
fn attackers(manifest: &[InjectedAttack]) -> Vec<&str> {
    manifest
        .iter()
        .flat_map(|m| {
            m.principals
                .iter()
                .map(|s| s.as_str())
                .chain(m.principal.as_deref())
        })
        .collect()
}

fn check(shape: OutShape, a: &Analysis, manifest: &[InjectedAttack]) -> Vec<String> {
    let mut problems = Vec::new();
    for atk in manifest {
        if !found(a, atk) {
            problems.push(format!(
                "{}: attack not found: {} on {} by {:?} ({} .. {}): {}",
                shape.name(),
                atk.rule,
                atk.vault,
                atk.principal,
                atk.first,
                atk.last,
                atk.note
            ));
        }
    }
    let attackers = attackers(manifest);
    for f in &a.findings {
        if f.severity > Severity::Informational && !attackers.iter().any(|p| involves(f, p)) {
            problems.push(format!(
                "{}: benign principal alerted: {} {:?} {} {} — {}",
                shape.name(),
                f.rule,
                f.severity,
                f.vault,
                f.identity.label(),
                f.reason
            ));
        }
    }
    problems
}

/// A finding without its provenance, times at millisecond precision (the portal CSV export has
/// only milliseconds; every other shape has 7 digits).
fn comparable(a: &Analysis) -> Vec<String> {
    let ms = |t: Timestamp| Timestamp {
        micros: t.millis() * 1000,
        digits: 3,
    };
    a.findings
        .iter()
        .map(|f| {
            let mut g = f.without_evidence();
            g.first_seen = ms(g.first_seen);
            g.last_seen = ms(g.last_seen);
            serde_json::to_string(&g).unwrap()
        })
        .collect()
}

/// The difference between the findings of two shapes (`None` when they agree).
fn differ(first: &(OutShape, Vec<String>), shape: OutShape, cmp: &[String]) -> Option<String> {
    let (s0, c0) = first;
    if c0.as_slice() == cmp {
        return None;
    }
    let only_a: Vec<_> = c0.iter().filter(|x| !cmp.contains(x)).take(3).collect();
    let only_b: Vec<_> = cmp.iter().filter(|x| !c0.contains(x)).take(3).collect();
    Some(format!(
        "findings differ between {} and {}:\n  only in first: {only_a:#?}\n  only in second: {only_b:#?}",
        s0.name(),
        shape.name()
    ))
}

fn scenario(gen: GenConfig, shapes: &[OutShape]) {
    let (recs, manifest) = keyhole_gen::generate_all(&gen);
    assert_eq!(manifest.len(), 23, "one attack per rule");
    let cfg = config();
    let mut baseline: Option<(OutShape, Vec<String>)> = None;
    let mut problems = Vec::new();
    for &shape in shapes {
        let events = read(shape, &recs);
        assert!(!events.is_empty());
        let a = analyze(&events, &cfg);
        problems.extend(check(shape, &a, &manifest));
        let cmp = comparable(&a);
        match &baseline {
            None => baseline = Some((shape, cmp)),
            Some(b) => problems.extend(differ(b, shape, &cmp)),
        }
    }
    assert_no_problems(problems);
}

#[test]
fn every_injected_attack_is_found_in_every_shape_and_benign_principals_stay_quiet() {
    let gen = GenConfig {
        seed: 7,
        days: 18,
        scale: 0.25,
        ..GenConfig::default()
    };
    scenario(gen, &OutShape::ALL);
}

#[test]
fn a_second_seed_and_a_month_in_raw_records() {
    let gen = GenConfig {
        seed: 4242,
        days: 30,
        scale: 0.5,
        ..GenConfig::default()
    };
    scenario(
        gen,
        &[OutShape::RawJsonLines, OutShape::AzureDiagnosticsJsonLines],
    );
}

/// A bigger tenant (about 250k records): `cargo test --release -p keyhole-core --test
/// detect_scenarios -- --ignored`. `KEYHOLE_SCENARIO=seed,days,scale` picks another one.
#[test]
#[ignore]
fn a_large_tenant_in_raw_records() {
    let mut gen = GenConfig {
        seed: 99,
        days: 28,
        scale: 5.0,
        ..GenConfig::default()
    };
    if let Ok(v) = std::env::var("KEYHOLE_SCENARIO") {
        let p: Vec<&str> = v.split(',').collect();
        gen.seed = p[0].parse().expect("seed");
        gen.days = p[1].parse().expect("days");
        gen.scale = p[2].parse().expect("scale");
    }
    scenario(gen, &[OutShape::RawJsonLines]);
}

// ---- Short drops (issue 11, spec §6): the last 7, 3 and 1 day(s) of a tenant. ----

/// The records of `start..stop` read as a drop of their own (event time = ticks / 10), and
/// what detection finds in it.
fn window_drop(
    recs: &[keyhole_gen::Record],
    (start, stop): (Timestamp, Timestamp),
    cfg: &DetectConfig,
) -> (EventStore, Analysis) {
    let window: Vec<keyhole_gen::Record> = recs
        .iter()
        .filter(|r| (start.micros..stop.micros).contains(&r.ticks.div_euclid(10)))
        .cloned()
        .collect();
    let events = read(OutShape::RawJsonLines, &window);
    let a = analyze(&events, cfg);
    (events, a)
}

/// What one analysed window scored: attacks inside it that were found (above informational,
/// unless the rule itself is informational), the misses, and the benign principals alerted
/// above informational.
#[derive(Default)]
struct Score {
    inside: usize,
    found: usize,
    missed: Vec<String>,
    /// Misses that are documented limits of judging a drop shorter than the learning period
    /// (see `known_limit`), and whether the attack was surfaced as informational.
    limited: Vec<(String, bool)>,
    false_positives: Vec<String>,
    /// Rules of the informational findings about benign principals (shown, not counted).
    informational: Vec<&'static str>,
}

/// What the window shows of an attack's principal on the attack's vault (successful
/// data-plane events).
struct Facts {
    /// How long before the attack its first one in the window was (`None`: none before).
    history: Option<i64>,
    /// Whether it read a secret there again an hour or more after the attack began.
    after: bool,
    /// Distinct clock hours it was active there outside the attack.
    other_hours: usize,
    /// Its data-plane successes on any vault before the attack's UTC day: distinct days,
    /// operations and vaults.
    earlier: (usize, usize, usize),
    /// Its data-plane successes on the other vaults, before and after the attack: distinct
    /// days other than the attack's UTC day, operations and vaults; and whether it came back to
    /// the attack's vault 24 h or more after its first success there.
    around: (usize, usize, usize, bool),
    /// Distinct UTC days other than the attack's with its successes on the attack's vault.
    days_here: usize,
    /// Its successes from the network of the attack's address (IPv4 /16) on any vault: whether
    /// it had any success before the attack (any network), and the distinct clock hours of its
    /// successes from other networks.
    networks: (bool, usize),
}

fn facts(events: &EventStore, atk: &InjectedAttack) -> Facts {
    let mut f = Facts {
        history: None,
        after: false,
        other_hours: 0,
        earlier: (0, 0, 0),
        around: (0, 0, 0, false),
        days_here: 0,
        networks: (false, 0),
    };
    let Some(p) = atk.principal.as_deref() else {
        return f;
    };
    let hour = 3_600_000_000i64;
    let mut hours = std::collections::BTreeSet::new();
    let day = 86_400_000_000i64;
    let (mut days, mut vaults) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    let (mut other_days, mut other_vaults) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    let mut first_here: Option<i64> = None;
    let mut days_here = std::collections::BTreeSet::new();
    let net16 = |ip: std::net::IpAddr| match ip {
        std::net::IpAddr::V4(a) => u32::from(a) >> 16,
        std::net::IpAddr::V6(_) => u32::MAX,
    };
    let atk_net = atk
        .ip
        .as_deref()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .map(net16);
    let mut other_net_hours = std::collections::BTreeSet::new();
    for e in events.rows() {
        let anyone = e.is_success()
            && [&e.identity().upn, &e.identity().object_id]
                .iter()
                .any(|v| v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(p)));
        if anyone {
            let t = e.time().micros;
            f.networks.0 |= t < atk.first.micros;
            if atk_net.is_some_and(|n| e.caller_addr().is_some_and(|a| net16(a) != n)) {
                other_net_hours.insert(t.div_euclid(3_600_000_000));
            }
        }
        let theirs = e.is_success()
            && e.is_data_plane()
            && [&e.identity().upn, &e.identity().object_id]
                .iter()
                .any(|v| v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(p)));
        if theirs && e.time().micros.div_euclid(day) < atk.first.micros.div_euclid(day) {
            days.insert(e.time().micros.div_euclid(day));
            vaults.insert(e.vault().to_string());
            f.earlier.1 += 1;
        }
        let t = e.time().micros;
        if theirs && &**e.vault() != atk.vault.as_str() {
            if t.div_euclid(day) != atk.first.micros.div_euclid(day) {
                other_days.insert(t.div_euclid(day));
            }
            other_vaults.insert(e.vault().to_string());
            f.around.1 += 1;
        }
        if !theirs || &**e.vault() != atk.vault.as_str() {
            continue;
        }
        let first = *first_here.get_or_insert(t);
        if t.div_euclid(day) != atk.first.micros.div_euclid(day) {
            days_here.insert(t.div_euclid(day));
        }
        f.around.3 |= t >= first + day;
        if t < atk.first.micros && f.history.is_none() {
            f.history = Some(atk.first.micros - t);
        }
        if t >= atk.first.micros + hour && e.operation().eq_ignore_ascii_case("SecretGet") {
            f.after = true;
        }
        if t < atk.first.micros || t > atk.last.micros {
            hours.insert(t.div_euclid(hour));
        }
    }
    f.other_hours = hours.len();
    f.earlier.0 = days.len();
    f.earlier.2 = vaults.len();
    f.around.0 = other_days.len();
    f.around.2 = other_vaults.len();
    f.days_here = days_here.len();
    f.networks.1 = other_net_hours.len();
    f
}

/// Why a rule may miss an attack on a drop shorter than the learning period, or `None` when it
/// must find it (`start..end`: the window, as long as every vault's data in it):
/// - a user's new vault is judged on the whole drop: it needs the user's work on one other
///   vault only on 3 earlier UTC days of the window (5 data-plane successes), or on 3 other
///   days before and after it with no return to the vault after its first 24 h there — a
///   one-day drop shows no working pattern to compare with, and two earlier days are what a
///   benign user who visits its second vault every few days shows too (held-out seeds 99,
///   2026 and 31337 had five such users alerting on two);
/// - a network from a region no peer used is judged when it comes for a principal seen from
///   another network before; a principal's first network of the window is judged on the whole
///   window against its other networks, which must show in two other clock hours;
/// - new operation types are judged after the learned first third, for a principal active on
///   the vault for 12 h, or else on the whole drop for a principal active there on 3 other
///   days, or for a user active there in another clock hour (then against its peers): a
///   burst with no other hour of the principal's work on the vault has nothing to be new to;
/// - a List then never-read secrets needs 12 h of the principal's own reads on the vault before
///   the list, or its own reads on both sides of it;
/// - a user's new client that nothing before it judges (inside the learned first third, or
///   the user's first success there) is judged against the user's usual client, which must
///   show in two other clock hours of the window.
fn known_limit(
    atk: &InjectedAttack,
    (start, end): (i64, i64),
    facts: &Facts,
    learning_days: u32,
) -> Option<&'static str> {
    let day = 86_400_000_000i64;
    if end - start > learning_days as i64 * day {
        return None;
    }
    let learned = start + ((end - start) / 3).max(12 * 3_600_000_000);
    let judged_before = facts.history.is_some() && atk.first.micros >= learned;
    match atk.rule {
        "KV_UserAnomaly"
            if (facts.earlier.0 < 3 || facts.earlier.1 < 5 || facts.earlier.2 != 1)
                && (facts.around.0 < 3
                    || facts.around.1 < 5
                    || facts.around.2 != 1
                    || facts.around.3) =>
        {
            Some("fewer than 3 other days of the user's work on one vault in the window")
        }
        "KV_UnusualAccessSuspiciousIP" if !facts.networks.0 && facts.networks.1 < 2 => Some(
            "the principal's first network of the window, and its other networks in fewer than 2 other hours",
        ),
        "KV_OperationPatternAnomaly"
            if !((facts.history.is_some_and(|h| h >= 12 * 3_600_000_000)
                && atk.first.micros >= learned)
                || facts.days_here >= 3
                || facts.other_hours > 0) =>
        {
            Some("no other hour of the principal's work on the vault in the window")
        }
        "KV_ListGetAnomaly"
            if facts.history.is_none_or(|h| h < 12 * 3_600_000_000)
                && (facts.history.is_none() || !facts.after) =>
        {
            Some("less than 12 h of the principal's reads before the list and none of its reads on both sides of it")
        }
        "KV_UserAppAnomaly" if !judged_before && facts.other_hours < 2 => Some(
            "nothing before the new client, and the user's usual client in fewer than 2 other hours",
        ),
        _ => None,
    }
}

/// A finding that reports the attack at a severity that asks for attention: an attack that only
/// shows as informational is not found (benign principals may be informational too).
fn found_alerting(a: &Analysis, atk: &InjectedAttack) -> bool {
    let informational_rule = keyhole_core::detect::catalogue()
        .iter()
        .any(|r| r.id == atk.rule && r.severity == Severity::Informational);
    let slack = 3_600_000_000i64;
    a.findings.iter().any(|f| {
        f.rule == atk.rule
            && (f.severity > Severity::Informational || informational_rule)
            && (f.vault == atk.vault || atk.vault == "*" || f.vault == "*")
            && atk
                .principal
                .as_deref()
                .is_none_or(|p| involves(f, p) || atk.principals.iter().any(|q| involves(f, q)))
            && f.first_seen.micros <= atk.last.micros + slack
            && f.last_seen.micros >= atk.first.micros - slack
    })
}

/// Score a window: `inside` are the attacks whose injected events fall inside it; only their
/// principals count as attackers (a victim whose attack lies outside the window is benign here).
fn score(
    a: &Analysis,
    inside: &[InjectedAttack],
    window: (i64, i64),
    events: &EventStore,
) -> Score {
    let mut s = Score {
        inside: inside.len(),
        ..Score::default()
    };
    for atk in inside {
        if found_alerting(a, atk) {
            s.found += 1;
        } else if let Some(why) =
            known_limit(atk, window, &facts(events, atk), config().learning_days)
        {
            s.limited
                .push((format!("{}: {why} ({})", atk.rule, atk.note), found(a, atk)));
        } else {
            s.missed.push(format!("{} ({})", atk.rule, atk.note));
        }
    }
    let attackers = attackers(inside);
    for f in &a.findings {
        if f.severity == Severity::Informational
            && !attackers.iter().any(|p| involves(f, p))
            && !matches!(f.rule, "KV_AdministrativeOperation" | "KV_LogGap")
        {
            s.informational.push(f.rule);
        }
        if f.severity > Severity::Informational && !attackers.iter().any(|p| involves(f, p)) {
            s.false_positives.push(format!(
                "{} {} {} {} [{}; {}] — {}",
                f.rule,
                f.severity.as_str(),
                f.vault,
                f.identity.label(),
                f.basis,
                f.confidence.as_str(),
                f.reason
            ));
        }
    }
    s
}

fn window_label(days: u32, of: u32) -> String {
    if days >= of {
        format!("full {of} d")
    } else {
        format!("last {days} d")
    }
}

/// The tenant cut to its last `windows` days (with a new deployment from the drop's second day),
/// written in every shape of `shapes` and read back:
/// prints recall and false positives per window and shape; returns the problems (misses, false
/// positives, findings that differ between shapes).
fn short_drop_report(gen: &GenConfig, windows: &[u32], shapes: &[OutShape]) -> Vec<String> {
    let cfg = config();
    let mut problems = Vec::new();
    println!(
        "short drops: seed {}, {} days, scale {}: attacks found (above informational) / inside the window; benign principals above informational",
        gen.seed, gen.days, gen.scale
    );
    println!(
        "{:<12} {:<28} {:>8} {:>5}  misses that are documented limits",
        "window", "shape", "found", "FP"
    );
    for &n in windows {
        // Short drops carry the day-2 trap: a new deployment that starts reading its secrets on
        // the drop's second day (benign: it must stay at informational at most).
        let gen_n = GenConfig {
            new_deployment_day: (n < gen.days).then(|| gen.days - n + 1),
            ..gen.clone()
        };
        let (recs, inside) = keyhole_gen::generate_last_days(&gen_n, n);
        let (start, end) = keyhole_gen::window_bounds(gen, gen.days.saturating_sub(n), gen.days);
        let label = window_label(n, gen.days);
        let mut first: Option<(OutShape, Vec<String>)> = None;
        for &shape in shapes {
            let events = read(shape, &recs);
            let a = analyze(&events, &cfg);
            let s = score(&a, &inside, (start.micros, end.micros), &events);
            println!(
                "{:<12} {:<28} {:>8} {:>5}  {}",
                label,
                shape.name(),
                format!("{}/{}", s.found, s.inside),
                s.false_positives.len(),
                s.limited
                    .iter()
                    .map(|(m, info)| format!(
                        "[known limit{}: {}]",
                        if *info { ", informational" } else { "" },
                        m.split(" (").next().unwrap_or("")
                    ))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let cmp = comparable(&a);
            match &first {
                None => {
                    for m in &s.missed {
                        problems.push(format!("{label} {}: missed {m}", shape.name()));
                    }
                    for f in &s.false_positives {
                        problems.push(format!("{label} {}: false positive {f}", shape.name()));
                    }
                    first = Some((shape, cmp));
                }
                Some(b) => problems.extend(differ(b, shape, &cmp).map(|d| format!("{label}: {d}"))),
            }
        }
    }
    problems
}

/// Every window of `n` days that ends on a day of the tenant and holds at least one attack, in
/// raw records (the shapes read the same events: see the test above): a responder may export
/// any week, any three days, any day around an incident. Prints the totals per window length.
fn sliding_report(gen: &GenConfig, windows: &[u32]) -> Vec<String> {
    let cfg = config();
    let (recs, manifest) = keyhole_gen::generate_all(gen);
    let mut problems = Vec::new();
    println!(
        "sliding windows: seed {}, {} days, scale {} (raw records)",
        gen.seed, gen.days, gen.scale
    );
    println!(
        "{:<8} {:>8} {:>14} {:>5}  missed rules",
        "window", "windows", "found", "FP"
    );
    for &n in windows {
        let (mut inside_total, mut found, mut fps, mut count) = (0, 0, 0, 0);
        let (mut limited, mut limited_info) = (0, 0);
        let mut missed_rules: std::collections::BTreeMap<String, usize> = Default::default();
        let mut info_rules: std::collections::BTreeMap<&str, usize> = Default::default();
        let mut fp_rules: std::collections::BTreeMap<String, usize> = Default::default();
        let mut limits = Vec::new();
        for end in n..=gen.days {
            let (start, stop) = keyhole_gen::window_bounds(gen, end - n, end);
            let inside = keyhole_gen::attacks_inside(&manifest, start, stop);
            if inside.is_empty() {
                continue;
            }
            let (events, a) = window_drop(&recs, (start, stop), &cfg);
            let s = score(&a, &inside, (start.micros, stop.micros), &events);
            count += 1;
            limited += s.limited.len();
            limited_info += s.limited.iter().filter(|(_, i)| *i).count();
            inside_total += s.inside;
            found += s.found;
            fps += s.false_positives.len();
            for r in &s.informational {
                *info_rules.entry(r).or_default() += 1;
            }
            let label = format!(
                "days {}..{} ({} d)",
                start.date_string(),
                Timestamp::from_micros(stop.micros - 1).date_string(),
                n
            );
            for m in &s.missed {
                *missed_rules
                    .entry(m.split(' ').next().unwrap_or("").to_string())
                    .or_default() += 1;
                problems.push(format!("{label}: missed {m}"));
            }
            for (m, _) in &s.limited {
                *missed_rules
                    .entry(m.split(':').next().unwrap_or("").to_string())
                    .or_default() += 1;
                limits.push(format!("{label}: {m}"));
            }
            for f in &s.false_positives {
                *fp_rules
                    .entry(f.split(' ').next().unwrap_or("").to_string())
                    .or_default() += 1;
                problems.push(format!("{label}: false positive {f}"));
            }
        }
        println!(
            "{:<8} {:>8} {:>14} {:>5}  {:?}",
            format!("{n} d"),
            count,
            format!("{found}/{inside_total}"),
            fps,
            missed_rules
        );
        println!(
            "         misses that are documented limits: {limited} ({limited_info} surfaced as informational); other misses: {}",
            inside_total - found - limited
        );
        for l in &limits {
            println!("           {l}");
        }
        if !fp_rules.is_empty() {
            println!("         false positives by rule: {fp_rules:?}");
        }
        if !info_rules.is_empty() {
            println!("         benign principals reported as informational: {info_rules:?}");
        }
    }
    problems
}

fn assert_no_problems(problems: Vec<String>) {
    for p in problems.iter().take(60) {
        println!("  {p}");
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// No false positive in any window and shape; every attack inside a window is found above
/// informational except the documented limits of `known_limit`; the shapes agree.
/// `cargo test -p keyhole-core --test detect_scenarios short_drops -- --nocapture --test-threads 1`
/// prints the tables.
#[test]
fn short_drops_the_last_7_3_and_1_days_in_every_shape() {
    let gen = GenConfig {
        seed: 7,
        days: 21,
        scale: 0.25,
        ..GenConfig::default()
    };
    assert_no_problems(short_drop_report(&gen, &[21, 7, 3, 1], &OutShape::ALL));
}

/// The tenants of the sliding-window sweep, or `KEYHOLE_SHORT_TENANTS=seed,days,scale;…`: seed
/// 7 (21 days) and 4242 (30 days), on which the short-drop rules were designed, and five that
/// were held out until they showed rules fitted to those two (seeds 1, 99, 2026, 31337: a first
/// network of the window from a region no peer used missed, a user's second vault on the third
/// day of a window alerting; 12345, a large tenant: a power user's day alerting on peers alone
/// in a one-day window): new tenants, sizes and lengths keep the rules honest.
fn tenants() -> Vec<(u64, u32, f64)> {
    match std::env::var("KEYHOLE_SHORT_TENANTS") {
        Ok(v) => v
            .split(';')
            .map(|t| {
                let p: Vec<&str> = t.split(',').collect();
                (
                    p[0].trim().parse().expect("seed"),
                    p[1].trim().parse().expect("days"),
                    p[2].trim().parse().expect("scale"),
                )
            })
            .collect(),
        Err(_) => vec![
            (7, 21, 0.25),
            (4242, 30, 0.5),
            (1, 21, 0.25),
            (99, 28, 0.5),
            (2026, 21, 1.0),
            (31337, 30, 0.3),
            (12345, 21, 2.0),
        ],
    }
}

#[test]
fn short_drops_every_window_of_seven_tenants() {
    let mut problems = Vec::new();
    for (seed, days, scale) in tenants() {
        let gen = GenConfig {
            seed,
            days,
            scale,
            ..GenConfig::default()
        };
        problems.extend(sliding_report(&gen, &[7, 3, 1]));
    }
    assert_no_problems(problems);
}

/// Every finding of the rules in `KEYHOLE_DUMP_RULES` (comma-separated) in every sliding window
/// of 7, 3 and 1 day(s) of the sweep's tenants, attackers marked: a tool to study what separates an
/// attack from benign principals on short drops.
/// `KEYHOLE_DUMP_RULES=KV_UserAnomaly cargo test -p keyhole-core --test detect_scenarios dump -- --ignored --nocapture`
#[test]
#[ignore]
fn short_drops_dump_findings() {
    let rules = std::env::var("KEYHOLE_DUMP_RULES").unwrap_or_default();
    let rules: Vec<&str> = rules.split(',').filter(|s| !s.is_empty()).collect();
    let cfg = config();
    for (seed, days, scale) in tenants() {
        let gen = GenConfig {
            seed,
            days,
            scale,
            ..GenConfig::default()
        };
        let (recs, manifest) = keyhole_gen::generate_all(&gen);
        for n in [7u32, 3, 1] {
            for end in n..=gen.days {
                let (start, stop) = keyhole_gen::window_bounds(&gen, end - n, end);
                let inside = keyhole_gen::attacks_inside(&manifest, start, stop);
                let (_, a) = window_drop(&recs, (start, stop), &cfg);
                let attackers = attackers(&inside);
                for f in &a.findings {
                    if !rules.contains(&f.rule) {
                        continue;
                    }
                    let atk = attackers.iter().any(|p| involves(f, p));
                    let hit = inside.iter().any(|m| m.rule == f.rule && found(&a, m));
                    println!(
                        "seed {seed} {n}d end {end} {} {} {} {} {} | {} | {} | {}",
                        if atk && hit {
                            "ATTACK"
                        } else if atk {
                            "attacker"
                        } else {
                            "benign"
                        },
                        f.rule,
                        f.severity.as_str(),
                        f.vault,
                        f.identity.label(),
                        f.reason,
                        f.basis,
                        f.details
                    );
                }
                for m in &inside {
                    if rules.contains(&m.rule)
                        && !a.findings.iter().any(|f| f.rule == m.rule && found(&a, m))
                    {
                        println!(
                            "seed {seed} {n}d end {end} MISSED {} {} {:?} ({})",
                            m.rule, m.vault, m.principal, m.note
                        );
                    }
                }
            }
        }
    }
}
