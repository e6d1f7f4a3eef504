//! Behaviour of the generator: determinism, order, realism quirks, rhythm, the attack manifest,
//! and that benign principals stay clean of every catalogue behaviour.

use keyhole_gen::generate::{weekday, SUSPICIOUS_CIDR_IP, SUSPICIOUS_IP, TOR_IP};
use keyhole_gen::record::{Dialect, Record, TICKS_PER_DAY, TICKS_PER_HOUR};
use keyhole_gen::tenant::{APPID_POLICY_INSIGHTS, APPID_RESOURCE_GRAPH, CLIENT_RESOURCE_GRAPH};
use keyhole_gen::write::{writer_for, OutShape};
use keyhole_gen::{generate_all, manifest, GenConfig, Generator, InjectedAttack, RULES};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

fn raw_bytes(cfg: &GenConfig) -> Vec<u8> {
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut out = Vec::new();
    for r in Generator::new(cfg.clone()) {
        w.write_record(&r, &mut out);
    }
    w.finish(&mut out);
    out
}

fn small() -> GenConfig {
    GenConfig {
        seed: 99,
        days: 10,
        scale: 0.2,
        ..GenConfig::default()
    }
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let a = raw_bytes(&small());
    let b = raw_bytes(&small());
    assert!(!a.is_empty());
    assert_eq!(a, b, "same seed must give the same bytes");
    let c = raw_bytes(&GenConfig {
        seed: 100,
        ..small()
    });
    assert_ne!(a, c, "a different seed must give different bytes");
    assert_eq!(manifest(&small()), manifest(&small()));
}

#[test]
fn records_are_in_time_order_inside_the_configured_days() {
    let cfg = GenConfig::demo();
    let start = cfg.start_epoch_day().unwrap() * TICKS_PER_DAY;
    let end = start + cfg.days as i64 * TICKS_PER_DAY;
    let mut prev = i64::MIN;
    let mut n = 0;
    for r in Generator::new(cfg) {
        assert!(r.ticks >= prev, "out of order at record {n}");
        assert!(
            r.ticks >= start && r.ticks < end,
            "record {n} outside the days"
        );
        prev = r.ticks;
        n += 1;
    }
    assert!((10_000..=25_000).contains(&n), "demo size {n}");
}

#[test]
fn scale_one_is_fifty_to_hundred_thousand_records_and_grows_with_scale() {
    let n1 = Generator::new(GenConfig {
        attacks: false,
        ..GenConfig::default()
    })
    .count();
    assert!((50_000..=100_000).contains(&n1), "scale 1.0 gave {n1}");
    let mut g = Generator::new(GenConfig {
        scale: 4.0,
        days: 2,
        attacks: false,
        ..GenConfig::default()
    });
    let day: usize = g.next_day().unwrap().len() + g.next_day().unwrap().len();
    let mut g1 = Generator::new(GenConfig {
        scale: 1.0,
        days: 2,
        attacks: false,
        ..GenConfig::default()
    });
    let day1: usize = g1.next_day().unwrap().len() + g1.next_day().unwrap().len();
    assert!(
        day as f64 > 3.0 * day1 as f64,
        "scale 4 {day} vs scale 1 {day1}"
    );
}

#[test]
fn unbounded_generator_keeps_going_past_the_configured_days() {
    let cfg = GenConfig {
        days: 2,
        attacks: false,
        scale: 0.2,
        ..GenConfig::default()
    };
    let mut g = Generator::unbounded(cfg);
    for _ in 0..4 {
        assert!(!g.next_day().unwrap().is_empty());
    }
    assert_eq!(g.days_done(), 4);
}

#[test]
fn the_quirks_of_real_tenants_are_present() {
    let (recs, _) = generate_all(&GenConfig::demo());
    let challenges = recs
        .iter()
        .filter(|r| r.operation == "Authentication" && r.status == 401 && r.identity.is_none())
        .count();
    assert!(
        challenges > 100,
        "401 challenges with empty identity: {challenges}"
    );
    let arg = recs
        .iter()
        .filter(|r| {
            r.operation == "VaultGet"
                && r.identity
                    .as_ref()
                    .is_some_and(|c| &*c.appid == APPID_RESOURCE_GRAPH)
                && &*r.client_info == CLIENT_RESOURCE_GRAPH
        })
        .count();
    assert!(arg > 7 * 14, "Resource Graph sweeps: {arg}");
    let arg_vaults: HashSet<&str> = recs
        .iter()
        .filter(|r| {
            r.identity
                .as_ref()
                .is_some_and(|c| &*c.appid == APPID_RESOURCE_GRAPH)
        })
        .map(|r| r.vault_name())
        .collect();
    let all_vaults: HashSet<&str> = recs.iter().map(|r| r.vault_name()).collect();
    assert_eq!(arg_vaults, all_vaults, "the sweep covers every vault");
    assert!(recs.iter().any(|r| r
        .identity
        .as_ref()
        .is_some_and(|c| &*c.appid == APPID_POLICY_INSIGHTS)));
    for status in [404u16, 403, 409, 429] {
        assert!(recs.iter().any(|r| r.status == status), "no {status}");
    }
    assert!(recs.iter().any(|r| r
        .identity
        .as_ref()
        .is_some_and(|c| c.dialect == Dialect::Arm)));
    assert!(recs.iter().any(|r| r
        .identity
        .as_ref()
        .is_some_and(|c| c.dialect == Dialect::Jwt && c.app_only)));
    assert!(recs.iter().any(|r| r
        .identity
        .as_ref()
        .is_some_and(|c| c.dialect == Dialect::Jwt && !c.app_only)));
    assert!(
        recs.iter().any(|r| r.caller_ip.contains("::")),
        "an IPv6 caller"
    );
    assert!(
        recs.iter().any(|r| r.caller_ip.matches(':').count() == 1),
        "an ip:port caller"
    );
    assert!(recs
        .iter()
        .any(|r| r.vault_props.is_some() && r.operation == "VaultGet"));

    // The raw JSON: durationMs a string, 7 fractional digits, resultType Success on 4xx,
    // both claim dialects, upper-case resource ids, versioned object ids.
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut seen_404 = false;
    let mut seen_short = false;
    let mut seen_uri = false;
    for r in recs.iter().take(20_000) {
        let mut out = Vec::new();
        w.write_record(r, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(v["durationMs"].is_string());
        let t = v["time"].as_str().unwrap();
        assert_eq!(t.len(), 28, "{t}");
        assert_eq!(&t[19..20], ".");
        assert_eq!(v["resultType"], "Success");
        let rid = v["resourceId"].as_str().unwrap();
        assert_eq!(rid, rid.to_ascii_uppercase());
        assert!(
            rid.starts_with("/SUBSCRIPTIONS/")
                && rid.contains("/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/")
        );
        if v["properties"]["httpStatusCode"] == 404 {
            seen_404 = true;
        }
        let claim = &v["identity"]["claim"];
        if claim.get("oid").is_some() {
            seen_short = true;
            assert!(claim["xms_az_nwperimid"].is_array());
        }
        if claim
            .get("http://schemas.microsoft.com/identity/claims/objectidentifier")
            .is_some()
        {
            seen_uri = true;
        }
        if r.operation == "SecretGet" && r.status == 200 {
            let id = v["properties"]["id"].as_str().unwrap();
            let ver = id.rsplit('/').next().unwrap();
            assert_eq!(ver.len(), 32, "{id}");
            assert!(ver.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(id.starts_with(&format!(
                "https://{}.vault.azure.net/secrets/",
                r.vault_name()
            )));
        }
    }
    assert!(seen_404 && seen_short && seen_uri);
}

#[test]
fn users_follow_business_days() {
    let cfg = GenConfig {
        attacks: false,
        ..GenConfig::default()
    };
    let start = cfg.start_epoch_day().unwrap();
    let (recs, _) = generate_all(&cfg);
    let mut per_day: BTreeMap<i64, usize> = BTreeMap::new();
    for r in &recs {
        if r.identity.as_ref().is_some_and(|c| c.upn.is_some()) {
            *per_day
                .entry(r.ticks.div_euclid(TICKS_PER_DAY))
                .or_default() += 1;
        }
    }
    let mut by_wd: [Vec<usize>; 7] = Default::default();
    for (d, n) in &per_day {
        if *d >= start + 2 {
            by_wd[weekday(*d) as usize].push(*n);
        }
    }
    let avg = |v: &Vec<usize>| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
    let weekend = (avg(&by_wd[5]) + avg(&by_wd[6])) / 2.0;
    let midweek = (1..5).map(|d| avg(&by_wd[d])).sum::<f64>() / 4.0;
    let monday = avg(&by_wd[0]);
    assert!(
        midweek > 3.0 * weekend,
        "midweek {midweek} weekend {weekend}"
    );
    assert!(monday > midweek, "monday {monday} midweek {midweek}");
    // Business hours: most user activity between 06:00 and 19:00 UTC.
    let in_hours = recs
        .iter()
        .filter(|r| r.identity.as_ref().is_some_and(|c| c.upn.is_some()))
        .filter(|r| (6..19).contains(&(r.ticks.rem_euclid(TICKS_PER_DAY) / TICKS_PER_HOUR)))
        .count();
    let users = recs
        .iter()
        .filter(|r| r.identity.as_ref().is_some_and(|c| c.upn.is_some()))
        .count();
    assert!(in_hours as f64 > 0.95 * users as f64);
}

fn check_manifest(cfg: &GenConfig, recs: &[Record], m: &[InjectedAttack]) {
    let start = cfg.start_epoch_day().unwrap() * TICKS_PER_DAY;
    let ids: Vec<&str> = m.iter().map(|a| a.rule).collect();
    assert_eq!(
        ids,
        RULES.to_vec(),
        "one attack per catalogue rule, in order"
    );
    let days: BTreeSet<i64> = m
        .iter()
        .map(|a| (a.first.micros * 10 - start) / TICKS_PER_DAY)
        .collect();
    assert!(
        days.len() >= 5,
        "attacks spread over several days: {days:?}"
    );
    for a in m {
        let first = a.first.micros * 10;
        let last = a.last.micros * 10;
        assert!(
            first >= start + 8 * TICKS_PER_DAY,
            "{} on day {}",
            a.rule,
            (first - start) / TICKS_PER_DAY
        );
        assert!(first <= last);
        if a.rule == "KV_LogGap" {
            let n = recs
                .iter()
                .filter(|r| r.vault_name() == a.vault && r.ticks >= first && r.ticks < last)
                .count();
            assert_eq!(n, 0, "the gap is silent");
            let before = recs.iter().any(|r| {
                r.vault_name() == a.vault && r.ticks < first && r.ticks >= first - TICKS_PER_HOUR
            });
            let after = recs.iter().any(|r| {
                r.vault_name() == a.vault && r.ticks >= last && r.ticks < last + TICKS_PER_HOUR
            });
            assert!(before && after, "active in the hours around the gap");
            // Active every hour before the gap.
            let hours: HashSet<i64> = recs
                .iter()
                .filter(|r| r.vault_name() == a.vault && r.ticks < first)
                .map(|r| r.ticks / TICKS_PER_HOUR)
                .collect();
            let span = (first / TICKS_PER_HOUR) - start / TICKS_PER_HOUR;
            assert!(
                hours.len() as i64 >= span - 1,
                "{} of {span} hours",
                hours.len()
            );
            continue;
        }
        let p = a.principal.as_deref().unwrap();
        let ip = a.ip.as_deref().unwrap();
        let hits = recs
            .iter()
            .filter(|r| r.ticks / 10 >= first / 10 && r.ticks / 10 <= last / 10)
            .filter(|r| {
                r.principal() == Some(p) || r.identity.as_ref().is_some_and(|c| &*c.oid == p)
            })
            .filter(|r| keyhole_gen::record::strip_port(&r.caller_ip) == ip)
            .count();
        assert!(hits > 0, "{}: no record of {p} from {ip}", a.rule);
        if a.vault != "*" {
            assert!(recs.iter().any(|r| r.vault_name() == a.vault
                && r.ticks / 10 >= first / 10
                && r.ticks / 10 <= last / 10));
        }
    }
}

#[test]
fn every_catalogue_rule_is_injected_once_after_the_learning_days() {
    for cfg in [
        GenConfig::demo(),
        GenConfig::default(),
        GenConfig {
            seed: 7,
            days: 30,
            scale: 0.5,
            ..GenConfig::default()
        },
    ] {
        let (recs, m) = generate_all(&cfg);
        check_manifest(&cfg, &recs, &m);
    }
    let none = manifest(&GenConfig {
        attacks: false,
        ..GenConfig::default()
    });
    assert!(none.is_empty());
    assert!(keyhole_gen::demo_tor_list().lines().any(|l| l == TOR_IP));
    assert!(keyhole_gen::demo_suspicious_list()
        .lines()
        .any(|l| l == SUSPICIOUS_IP));
    assert!(keyhole_gen::demo_suspicious_list()
        .lines()
        .any(|l| l == "193.142.146.0/24"));
    assert!(SUSPICIOUS_CIDR_IP.starts_with("193.142.146."));
}

/// A compact re-statement of the catalogue's behaviours, applied to every principal that is not
/// in the manifest: benign traffic must trip none of them after the learning days.
fn assert_benign_clean(cfg: &GenConfig) {
    let (recs, m) = generate_all(cfg);
    let start = cfg.start_epoch_day().unwrap() * TICKS_PER_DAY;
    let learn_end = start + 7 * TICKS_PER_DAY;
    let attackers: HashSet<String> = m
        .iter()
        .flat_map(|a| a.principals.iter().cloned())
        .collect();
    let first_party = [APPID_RESOURCE_GRAPH, APPID_POLICY_INSIGHTS];
    let key = |r: &Record| -> Option<String> { r.identity.as_ref().map(|c| c.oid.to_string()) };
    let benign = |r: &Record| -> bool {
        match &r.identity {
            None => false,
            Some(c) => {
                !first_party.contains(&&*c.appid)
                    && !attackers.contains(&*c.oid)
                    && !c.upn.as_deref().is_some_and(|u| attackers.contains(u))
            }
        }
    };
    let ok = |r: &Record| (200..300).contains(&r.status);
    let data_plane = |r: &Record| {
        r.operation.starts_with("Secret")
            || r.operation.starts_with("Key")
            || r.operation.starts_with("Certificate")
    };
    let net = |ip: &str| -> String {
        let a = keyhole_gen::record::strip_port(ip);
        if a.contains(':') {
            a.split(':').take(3).collect::<Vec<_>>().join(":")
        } else {
            a.rsplit_once('.').map(|x| x.0).unwrap_or(a).to_string()
        }
    };
    let mut dp_ok: HashSet<(String, String)> = HashSet::new();
    let mut any_ok: HashSet<(String, String)> = HashSet::new();
    let mut nets: HashSet<(String, String)> = HashSet::new();
    let mut apps: HashSet<(String, String, String)> = HashSet::new();
    let mut ops: HashSet<(String, String, &str)> = HashSet::new();
    let mut read: HashSet<(String, String, String)> = HashSet::new();
    let mut new_ops_by_hour: HashMap<(String, i64), usize> = HashMap::new();
    // daily counts: (principal, vault) -> day -> count; principal -> day -> vault set; principal -> day -> distinct secrets/reads
    let mut daily: HashMap<(String, String), BTreeMap<i64, usize>> = HashMap::new();
    let mut vaults_day: HashMap<String, BTreeMap<i64, HashSet<String>>> = HashMap::new();
    let mut secrets_day: HashMap<String, BTreeMap<i64, (HashSet<String>, usize)>> = HashMap::new();
    for r in recs.iter().filter(|r| benign(r)) {
        let p = key(r).unwrap();
        let v = r.vault_name().to_string();
        let after = r.ticks >= learn_end;
        let who = r.principal().unwrap_or("?").to_string();
        let ip = keyhole_gen::record::strip_port(&r.caller_ip);
        assert!(
            ![TOR_IP, SUSPICIOUS_IP, SUSPICIOUS_CIDR_IP].contains(&ip),
            "{who} from a listed IP"
        );
        assert!(!ip.starts_with("193.142.146."));
        assert!(
            !(ok(r)
                && (r.operation.ends_with("Delete")
                    || r.operation.ends_with("Purge")
                    || r.operation.ends_with("Backup")
                    || r.operation == "SecretListDeleted")),
            "{who}: sensitive {}",
            r.operation
        );
        assert!(
            r.added_access_policy.is_none()
                && r.removed_access_policy.is_none()
                && r.added_ip_rule.is_none()
        );
        assert_ne!(r.operation, "VaultPut", "{who}");
        if r.status == 401 || r.status == 403 {
            assert!(
                any_ok.contains(&(p.clone(), v.clone())),
                "{who} denied on {v} where it never succeeded"
            );
        }
        if after {
            assert!(
                nets.contains(&(p.clone(), net(&r.caller_ip))),
                "{who}: new network {}",
                r.caller_ip
            );
            if r.identity.as_ref().is_some_and(|c| c.upn.is_some()) {
                let c = r.identity.as_ref().unwrap();
                assert!(
                    apps.contains(&(p.clone(), v.clone(), c.appid.to_string())),
                    "{who}: new app on {v}"
                );
            }
            if data_plane(r) && ok(r) {
                assert!(
                    dp_ok.contains(&(p.clone(), v.clone())),
                    "{who}: first data-plane success on {v}"
                );
            }
            if !ops.contains(&(p.clone(), v.clone(), r.operation)) {
                let n = new_ops_by_hour
                    .entry((p.clone(), r.ticks / TICKS_PER_HOUR))
                    .or_default();
                *n += 1;
                assert!(*n < 3, "{who}: 3 new operation types in an hour");
            }
            if (r.operation == "SecretGet") && ok(r) {
                let name =
                    r.id.as_deref()
                        .unwrap_or("")
                        .split('/')
                        .nth(4)
                        .unwrap_or("")
                        .to_string();
                assert!(
                    read.contains(&(p.clone(), v.clone(), name.clone())),
                    "{who}: first read of {name} on {v}"
                );
            }
        }
        nets.insert((p.clone(), net(&r.caller_ip)));
        if let Some(c) = &r.identity {
            apps.insert((p.clone(), v.clone(), c.appid.to_string()));
        }
        ops.insert((p.clone(), v.clone(), r.operation));
        if ok(r) {
            any_ok.insert((p.clone(), v.clone()));
            if data_plane(r) {
                dp_ok.insert((p.clone(), v.clone()));
            }
            let d = r.ticks / TICKS_PER_DAY;
            vaults_day
                .entry(p.clone())
                .or_default()
                .entry(d)
                .or_default()
                .insert(v.clone());
            if r.operation == "SecretGet" {
                let name =
                    r.id.as_deref()
                        .unwrap_or("")
                        .split('/')
                        .nth(4)
                        .unwrap_or("")
                        .to_string();
                read.insert((p.clone(), v.clone(), name.clone()));
                let e = secrets_day
                    .entry(p.clone())
                    .or_default()
                    .entry(d)
                    .or_default();
                e.0.insert(format!("{v}/{name}"));
                e.1 += 1;
            }
        }
        if r.status != 401 {
            *daily
                .entry((p.clone(), v.clone()))
                .or_default()
                .entry(r.ticks / TICKS_PER_DAY)
                .or_default() += 1;
        }
    }
    let learn_day = learn_end / TICKS_PER_DAY;
    // Operation volume: ≥ 25 and ≥ 5 × trailing 14-day median (days with activity).
    for ((p, v), days) in &daily {
        for (&d, &n) in days.range(learn_day..) {
            let mut hist: Vec<usize> = days.range(d - 14..d).map(|(_, &c)| c).collect();
            if hist.is_empty() {
                continue;
            }
            hist.sort_unstable();
            let median = hist[hist.len() / 2];
            assert!(
                !(n >= 25 && n >= 5 * median.max(1)),
                "{p} on {v}: {n} ops vs median {median}"
            );
        }
    }
    // Account volume: ≥ 5 vaults in a day and ≥ 3 more than the daily maximum so far.
    for (p, days) in &vaults_day {
        let mut max = 0;
        for (&d, set) in days {
            if d >= learn_day {
                assert!(
                    !(set.len() >= 5 && set.len() >= max + 3),
                    "{p}: {} vaults vs max {max}",
                    set.len()
                );
            }
            max = max.max(set.len());
        }
    }
    // Mass retrieval: > 10 distinct and > 50 reads and distinct > 3 × the daily maximum so far.
    for (p, days) in &secrets_day {
        let mut max = 0;
        for (&d, (set, reads)) in days {
            if d >= learn_day {
                assert!(
                    !(set.len() > 10 && *reads > 50 && set.len() > 3 * max),
                    "{p}: mass retrieval"
                );
            }
            max = max.max(set.len());
        }
    }
    // Vault configuration transitions happen only in the attacks that make them.
    let mut last: HashMap<&str, &keyhole_gen::record::VaultProps> = HashMap::new();
    let mut transitions = 0;
    for r in &recs {
        if let Some(p) = &r.vault_props {
            if let Some(prev) = last.get(r.vault_name()) {
                if *prev != p {
                    transitions += 1;
                    assert!(
                        !benign(r),
                        "config change by a benign principal on {}",
                        r.vault_name()
                    );
                }
            }
            last.insert(r.vault_name(), p);
        }
    }
    if cfg.attacks {
        assert_eq!(transitions, 2, "FirewallOpened and ProtectionWeakened");
    } else {
        assert_eq!(transitions, 0);
    }
}

#[test]
fn benign_principals_trip_no_catalogue_behaviour() {
    assert_benign_clean(&GenConfig::demo());
    assert_benign_clean(&GenConfig::default());
    assert_benign_clean(&GenConfig {
        seed: 5,
        days: 28,
        scale: 2.0,
        attacks: false,
        ..GenConfig::default()
    });
}

#[test]
fn odd_settings_never_panic_and_validate_explains() {
    let odd = [
        GenConfig {
            scale: 0.0,
            days: 2,
            ..GenConfig::default()
        },
        GenConfig {
            scale: f64::NAN,
            days: 2,
            ..GenConfig::default()
        },
        GenConfig {
            scale: -3.0,
            days: 2,
            ..GenConfig::default()
        },
        GenConfig {
            start_day: "yesterday".into(),
            days: 2,
            ..GenConfig::default()
        },
        GenConfig {
            days: 0,
            ..GenConfig::default()
        },
        GenConfig {
            days: 5,
            attacks: true,
            ..GenConfig::default()
        },
        GenConfig {
            vaults: Some(0),
            users: Some(0),
            apps: Some(0),
            days: 2,
            ..GenConfig::default()
        },
        GenConfig {
            start_day: "1970-01-01".into(),
            days: 1,
            ..GenConfig::default()
        },
        GenConfig {
            start_day: "9999-12-30".into(),
            days: 1,
            ..GenConfig::default()
        },
    ];
    for cfg in odd {
        let problem = cfg.validate();
        let (recs, m) = generate_all(&cfg);
        if cfg.days >= 1 && problem.is_ok() {
            assert!(!recs.is_empty(), "{cfg:?}");
        }
        if cfg.days < 9 {
            assert!(m.is_empty());
        }
    }
    assert!(GenConfig {
        days: 5,
        attacks: true,
        ..GenConfig::default()
    }
    .validate()
    .is_err());
    assert!(GenConfig {
        start_day: "2026-13-01".into(),
        ..GenConfig::default()
    }
    .validate()
    .is_err());
    assert!(GenConfig {
        scale: f64::NAN,
        ..GenConfig::default()
    }
    .validate()
    .is_err());
    assert!(GenConfig::default().validate().is_ok());
    assert!(GenConfig::demo().validate().is_ok());
}

#[test]
fn benign_traffic_stays_clean_for_more_seeds() {
    for seed in [2u64, 3, 4] {
        assert_benign_clean(&GenConfig {
            seed,
            days: 24,
            scale: 0.6,
            ..GenConfig::default()
        });
    }
}

/// Each injected attack meets its rule's condition (a compact oracle of spec §3) against the
/// history generated before it.
fn assert_attacks_meet_their_rules(cfg: &GenConfig) {
    let (recs, m) = generate_all(cfg);
    let ok = |r: &Record| (200..300).contains(&r.status);
    let dp = |r: &Record| {
        r.operation.starts_with("Secret")
            || r.operation.starts_with("Key")
            || r.operation.starts_with("Certificate")
    };
    let is = |r: &Record, p: &str| {
        r.principal() == Some(p) || r.identity.as_ref().is_some_and(|c| &*c.oid == p)
    };
    let secret_name = |r: &Record| {
        r.id.as_deref()
            .unwrap_or("")
            .split('/')
            .nth(4)
            .unwrap_or("")
            .to_string()
    };
    let day = |t: i64| t / TICKS_PER_DAY;
    for a in &m {
        let first = a.first.micros * 10;
        let last = a.last.micros * 10 + 9;
        let p = a.principal.clone().unwrap_or_default();
        let before: Vec<&Record> = recs
            .iter()
            .filter(|r| r.ticks < first && is(r, &p))
            .collect();
        let during: Vec<&Record> = recs
            .iter()
            .filter(|r| r.ticks >= first && r.ticks <= last && is(r, &p))
            .collect();
        let v = a.vault.as_str();
        let on_v = |r: &&&Record| r.vault_name() == v;
        let rule = a.rule;
        let cond = match rule {
            "KV_TORAccess" => during.iter().any(|r| ok(r) && r.caller_addr() == TOR_IP),
            "KV_SuspiciousIPAccess" => during
                .iter()
                .any(|r| ok(r) && r.caller_addr() == SUSPICIOUS_IP),
            "KV_SuspiciousIPAccessDenied" => during
                .iter()
                .any(|r| r.status == 403 && r.caller_addr() == SUSPICIOUS_CIDR_IP),
            "KV_UnusualAccessSuspiciousIP" => {
                !before.is_empty()
                    && during
                        .iter()
                        .any(|r| ok(r) && before.iter().all(|b| b.caller_addr() != r.caller_addr()))
            }
            "KV_UserAnomaly" | "KV_AppAnomaly" => {
                during.iter().any(|r| ok(r) && dp(r) && r.vault_name() == v)
                    && !before.iter().filter(on_v).any(|r| ok(r) && dp(r))
                    && (rule == "KV_AppAnomaly") == during[0].identity.as_ref().unwrap().app_only
            }
            "KV_UserAppAnomaly" => {
                let apps: HashSet<&str> = before
                    .iter()
                    .filter(on_v)
                    .map(|r| &*r.identity.as_ref().unwrap().appid)
                    .collect();
                before.iter().filter(on_v).any(|r| ok(r))
                    && during
                        .iter()
                        .any(|r| ok(r) && !apps.contains(&*r.identity.as_ref().unwrap().appid))
            }
            "KV_UserAccessDeniedAnomaly" => {
                during
                    .iter()
                    .filter(on_v)
                    .filter(|r| r.status == 403)
                    .count()
                    >= 2
                    && !before.iter().filter(on_v).any(|r| ok(r))
            }
            "KV_AccountVolumeAnomaly" | "KV_AccountVolumeAccessDeniedAnomaly" => {
                let want_ok = rule == "KV_AccountVolumeAnomaly";
                let hit: HashSet<&str> = during
                    .iter()
                    .filter(|r| if want_ok { ok(r) } else { r.status == 403 })
                    .map(|r| r.vault_name())
                    .collect();
                let mut per_day: HashMap<i64, HashSet<&str>> = HashMap::new();
                for r in before.iter().filter(|r| ok(r)) {
                    per_day
                        .entry(day(r.ticks))
                        .or_default()
                        .insert(r.vault_name());
                }
                let max = per_day.values().map(|s| s.len()).max().unwrap_or(0);
                hit.len() >= 5 && (!want_ok || hit.len() >= max + 3)
            }
            "KV_OperationVolumeAnomaly" => {
                let d = day(first);
                let n = recs
                    .iter()
                    .filter(|r| is(r, &p) && r.vault_name() == v && day(r.ticks) == d)
                    .count();
                let mut hist: Vec<usize> = (d - 14..d)
                    .map(|k| {
                        before
                            .iter()
                            .filter(on_v)
                            .filter(|r| day(r.ticks) == k)
                            .count()
                    })
                    .collect();
                hist.sort_unstable();
                let median = hist[hist.len() / 2];
                n >= 25 && n >= 5 * median.max(1)
            }
            "KV_OperationPatternAnomaly" => {
                let known: HashSet<&str> =
                    before.iter().filter(on_v).map(|r| r.operation).collect();
                let fresh: HashSet<&str> = during
                    .iter()
                    .filter(|r| ok(r) && !known.contains(r.operation))
                    .map(|r| r.operation)
                    .collect();
                before.len() > 20 && fresh.len() >= 3 && last - first <= TICKS_PER_HOUR
            }
            "KV_ListGetAnomaly" => {
                let read: HashSet<String> = before
                    .iter()
                    .filter(on_v)
                    .filter(|r| r.operation == "SecretGet")
                    .map(|r| secret_name(r))
                    .collect();
                let list = during
                    .iter()
                    .find(|r| r.operation == "SecretList")
                    .map(|r| r.ticks);
                let fresh: HashSet<String> = during
                    .iter()
                    .filter(|r| {
                        r.operation == "SecretGet" && ok(r) && !read.contains(&secret_name(r))
                    })
                    .filter(|r| list.is_some_and(|t| r.ticks > t && r.ticks - t <= TICKS_PER_HOUR))
                    .map(|r| secret_name(r))
                    .collect();
                fresh.len() >= 5
            }
            "KV_PutGetAnomaly" => {
                let grant = recs.iter().find(|r| {
                    r.ticks >= first - TICKS_PER_HOUR
                        && r.vault_name() == v
                        && r.added_access_policy
                            .as_ref()
                            .is_some_and(|x| x.object_id == p)
                });
                grant.is_some_and(|g| {
                    during.iter().any(|r| {
                        ok(r) && dp(r) && r.ticks > g.ticks && r.ticks - g.ticks <= TICKS_PER_HOUR
                    })
                })
            }
            "KV_MassSecretRetrieval" => {
                let reads: Vec<&&Record> = during
                    .iter()
                    .filter(|r| ok(r) && r.operation == "SecretGet")
                    .collect();
                let distinct: HashSet<String> = reads.iter().map(|r| secret_name(r)).collect();
                let mut per_day: HashMap<i64, HashSet<String>> = HashMap::new();
                for r in before
                    .iter()
                    .filter(|r| ok(r) && r.operation == "SecretGet")
                {
                    per_day
                        .entry(day(r.ticks))
                        .or_default()
                        .insert(secret_name(r));
                }
                let max = per_day.values().map(|s| s.len()).max().unwrap_or(0);
                distinct.len() > 10
                    && reads.len() > 50
                    && distinct.len() > 3 * max
                    && last - first <= TICKS_PER_DAY
            }
            "KV_FirewallOpened" | "KV_ProtectionWeakened" => {
                let prev = recs
                    .iter()
                    .filter(|r| r.ticks < first && r.vault_name() == v)
                    .filter_map(|r| r.vault_props.as_ref())
                    .next_back();
                let now = during.iter().find_map(|r| r.vault_props.as_ref());
                match (prev, now) {
                    (Some(a), Some(b)) if rule == "KV_FirewallOpened" => {
                        a.network_acls.map(|x| x.1) == Some("Deny")
                            && b.network_acls.map(|x| x.1) == Some("Allow")
                    }
                    (Some(a), Some(b)) => {
                        b.soft_delete_retention_days < a.soft_delete_retention_days
                            || a.enable_rbac_authorization != b.enable_rbac_authorization
                    }
                    _ => false,
                }
            }
            "KV_FirewallRuleAdded" => during.iter().any(|r| r.added_ip_rule.is_some()),
            "KV_AccessPolicyGranted" => during.iter().any(|r| r.added_access_policy.is_some()),
            "KV_AccessPolicyFlash" => {
                let add = during.iter().find_map(|r| {
                    r.added_access_policy
                        .as_ref()
                        .map(|x| (r.ticks, x.object_id.clone()))
                });
                let rem = during.iter().find_map(|r| {
                    r.removed_access_policy
                        .as_ref()
                        .map(|x| (r.ticks, x.object_id.clone()))
                });
                matches!((add, rem), (Some((t1, o1)), Some((t2, o2))) if o1 == o2 && t2 > t1 && t2 - t1 <= 10 * 60 * 10_000_000)
            }
            "KV_SensitiveOperation" => during.iter().any(|r| {
                ok(r)
                    && (r.operation.ends_with("Purge")
                        || r.operation.ends_with("Backup")
                        || r.operation == "SecretListDeleted")
            }),
            "KV_AdministrativeOperation" => during
                .iter()
                .any(|r| ok(r) && (r.operation == "VaultPut" || r.operation == "VaultPatch")),
            "KV_LogGap" => true, // checked in check_manifest
            other => panic!("no oracle for {other}"),
        };
        assert!(
            cond,
            "{rule}: the injected attack does not meet the rule ({})",
            a.note
        );
    }
}

#[test]
fn every_injected_attack_meets_its_rule() {
    assert_attacks_meet_their_rules(&GenConfig::demo());
    assert_attacks_meet_their_rules(&GenConfig::default());
    assert_attacks_meet_their_rules(&GenConfig {
        seed: 12,
        days: 40,
        scale: 1.5,
        ..GenConfig::default()
    });
}

#[test]
fn the_last_days_are_the_full_runs_records_of_those_days_with_the_attacks_inside_them() {
    let cfg = GenConfig {
        seed: 5,
        days: 12,
        scale: 0.2,
        ..GenConfig::default()
    };
    let (all, full) = generate_all(&cfg);
    for n in [3u32, 1] {
        let (recs, m) = keyhole_gen::generate_last_days(&cfg, n);
        let from = (cfg.start_epoch_day().unwrap() + (cfg.days - n) as i64) * TICKS_PER_DAY;
        let want: Vec<&Record> = all.iter().filter(|r| r.ticks >= from).collect();
        assert!(!recs.is_empty());
        assert_eq!(recs.iter().collect::<Vec<_>>(), want, "last {n} days");
        let inside: Vec<&InjectedAttack> = full
            .iter()
            .filter(|a| a.first.micros * 10 >= from)
            .collect();
        assert_eq!(m.iter().collect::<Vec<_>>(), inside, "last {n} days");
        assert!(m.len() < full.len());
    }
    let (recs, m) = keyhole_gen::generate_last_days(&cfg, 40);
    assert_eq!(
        (recs, m),
        (all, full),
        "more days than the tenant: the whole tenant"
    );
}

#[test]
fn a_new_deployment_starts_reading_on_its_day_and_changes_nothing_else() {
    let base = GenConfig {
        seed: 5,
        days: 10,
        scale: 0.2,
        ..GenConfig::default()
    };
    let with = GenConfig {
        new_deployment_day: Some(6),
        ..base.clone()
    };
    let (plain, m0) = generate_all(&base);
    let (recs, m1) = generate_all(&with);
    assert_eq!(m0, m1, "the deployment is benign: not in the manifest");
    let app = keyhole_gen::World::new(with.clone())
        .deployment
        .expect("configured");
    let start = (with.start_epoch_day().unwrap() + 6) * TICKS_PER_DAY;
    // Its records: its own principal, and the SDK challenges (no identity) from its address.
    let (dep, rest): (Vec<&Record>, Vec<&Record>) = recs.iter().partition(|r| {
        r.principal() == Some(&*app.oid) || (r.identity.is_none() && r.caller_ip == app.ip)
    });
    assert!(
        dep.len() >= 4 * 24 * 4,
        "every hour of four days: {}",
        dep.len()
    );
    assert!(dep.iter().all(|r| r.ticks >= start));
    assert!(dep
        .iter()
        .any(|r| r.operation == "SecretGet" && r.status == 200));
    assert_eq!(rest.len(), plain.len());
    assert!(
        rest.iter().zip(&plain).all(|(a, b)| *a == b),
        "nothing else changes"
    );
}
