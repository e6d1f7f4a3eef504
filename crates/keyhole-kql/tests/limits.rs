//! Hostile input (issue 14, items 1 and 2): long operator chains neither overflow the stack nor
//! fail when they are a real indicator hunt; a chain too long for the engine is a positioned
//! "too many terms" error; values that would explode are stopped at the 16 MiB per-value limit;
//! a query that materialises too much stops at its memory budget. Every error names its limit.

mod support;
use keyhole_core::Event;
use keyhole_kql::{run, KqlError, QueryOptions, Table};
use std::collections::HashSet;
use std::sync::OnceLock;
use support::*;

fn gen_events() -> &'static Vec<Event> {
    static D: OnceLock<Vec<Event>> = OnceLock::new();
    D.get_or_init(|| generated(&keyhole_gen::GenConfig::demo()))
}

fn ok(q: &str, ev: &[Event]) -> Table {
    run(
        q,
        &keyhole_core::EventStore::from_events(ev),
        &QueryOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn fails(q: &str, ev: &[Event], opts: &QueryOptions) -> KqlError {
    match run(q, &keyhole_core::EventStore::from_events(ev), opts) {
        Ok(t) => panic!("query should fail; got {} rows", t.rows.len()),
        Err(e) => e,
    }
}

/// The issue's indicator list: `10.0.i/256.i%256` for i < n, with the caller addresses of
/// `real` events at the end so that the hunt finds something.
fn indicator_hunt(n: usize, column: &str, real: &[String]) -> (String, HashSet<String>) {
    let mut ips: Vec<String> = (0..n - real.len())
        .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
        .collect();
    ips.extend(real.iter().cloned());
    let terms: Vec<String> = ips
        .iter()
        .map(|ip| format!("{column} == \"{ip}\""))
        .collect();
    (
        format!("AZKVAuditLogs | where {}", terms.join(" or ")),
        ips.into_iter().collect(),
    )
}

#[test]
fn a_20000_term_indicator_hunt_runs() {
    let ev = gen_events();
    let mut real: Vec<String> = ev
        .iter()
        .filter_map(|e| e.caller_ip.as_deref().map(str::to_string))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    real.sort();
    real.truncate(3);
    assert!(!real.is_empty());
    let (q, ips) = indicator_hunt(20_000, "CallerIpAddress", &real);
    let t = ok(&q, ev);
    let want = ev
        .iter()
        .filter(|e| e.caller_ip.as_deref().is_some_and(|ip| ips.contains(ip)))
        .count();
    assert!(want > 0);
    assert_eq!(t.rows.len(), want);
}

#[test]
fn a_100000_term_or_chain_runs() {
    let ev = vec![
        ev("2026-10-01T00:00:00Z", "kv-a", "SecretGet")
            .ip("10.0.3.7")
            .build(),
        ev("2026-10-01T00:00:01Z", "kv-a", "SecretGet")
            .ip("192.0.2.1")
            .build(),
    ];
    let (q, _) = indicator_hunt(100_000, "CallerIpAddress", &[]);
    let t = ok(&q, &ev);
    assert_eq!(rows(&t).len(), 1);
    // Mixed terms (not only equalities) take the general path and agree.
    let q = q.replace(
        "CallerIpAddress == \"10.0.0.0\"",
        "CallerIpAddress startswith \"192.0.2.\"",
    );
    assert_eq!(ok(&q, &ev).rows.len(), 2);
    // The same chain with `and` and arithmetic runs too.
    let q = format!("print x = {}", vec!["1"; 100_000].join(" + "));
    assert_eq!(rows(&ok(&q, &[]))[0][0], "100000");
    let q = format!("print x = {}", vec!["true"; 100_000].join(" and "));
    assert_eq!(rows(&ok(&q, &[]))[0][0], "true");
}

#[test]
fn the_issue_plus_chain_prints() {
    let q = format!("print x={}", vec!["1"; 10_000].join("+"));
    let t = ok(&q, &[]);
    assert_eq!(rows(&t), vec![vec!["10000".to_string()]]);
}

#[test]
fn too_many_terms_is_a_positioned_error() {
    let n = 250_001;
    let q = format!("print x = {}", vec!["1"; n].join("\nor "));
    let e = fails(&q, &[], &QueryOptions::default());
    assert!(e.message.contains("too many terms"), "{e}");
    assert!(e.message.contains("250000"), "{e}");
    // At the operator that goes past the limit (operand k + 1 is on line k + 1).
    assert_eq!((e.line, e.column), (250_001, 1), "{e}");
}

/// The deepest expressions the parser accepts compile and evaluate within a 1 MiB stack (the
/// size of a WebAssembly worker's); one level deeper is an error, not a crash.
#[test]
fn nesting_at_the_limit_fits_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let depth = 90;
            let cases = [
                format!("print x = {}1{}", "(".repeat(depth), ")".repeat(depth)),
                format!("print x = {}1{}", "abs(".repeat(depth), ")".repeat(depth)),
                format!("print x = {}1", "-".repeat(depth)),
                format!("print x = dynamic({{\"a\":1}}){}", ".a".repeat(depth)),
                format!("print x = 1{}", " == 1".repeat(depth)),
                format!(
                    "print x = {}strcat(\"a\", \"b\"){}",
                    "tolower(".repeat(depth),
                    ")".repeat(depth)
                ),
                format!("print x = {}1{}", "(1 + ".repeat(depth), ")".repeat(depth)),
            ];
            for q in &cases {
                if let Err(e) = run(
                    q,
                    &keyhole_core::EventStore::default(),
                    &QueryOptions::default(),
                ) {
                    panic!("{q}: {e}");
                }
                let deeper = q.replace("print x = ", "print x = (((((((");
                let deeper = format!("{deeper})))))))");
                let _ = run(
                    &deeper,
                    &keyhole_core::EventStore::default(),
                    &QueryOptions::default(),
                );
            }
            let q = format!("print x = {}1{}", "(".repeat(200), ")".repeat(200));
            let e = run(
                &q,
                &keyhole_core::EventStore::default(),
                &QueryOptions::default(),
            )
            .unwrap_err();
            assert!(e.message.contains("nested too deeply"), "{e}");
        })
        .unwrap();
    handle.join().expect("no stack overflow");
}

#[test]
fn exploding_replace_regex_stops_at_the_value_limit() {
    // The issue's query: each step squares the length (10, 100, 10^4, 10^8, 10^16 bytes).
    let q = "print a=\"aaaaaaaaaa\" | extend b=replace_regex(a,\"a\",a) | extend c=replace_regex(b,\"a\",b) | extend d=replace_regex(c,\"a\",c) | extend e=replace_regex(d,\"a\",d) | project strlen(e)";
    let e = fails(q, &[], &QueryOptions::default());
    assert!(e.message.contains("16 MiB"), "{e}");
    assert!(e.message.contains("replace_regex"), "{e}");
    // At the call that would have built 10^8 bytes (the third extend).
    let at = q.find("d=replace_regex").unwrap() + 2;
    assert_eq!(e.span.0, at, "{e}");
    // One step less is fine.
    let q = "print a=\"aaaaaaaaaa\" | extend b=replace_regex(a,\"a\",a) | extend c=replace_regex(b,\"a\",b) | project strlen(c)";
    assert_eq!(rows(&ok(q, &[]))[0][0], "10000");
}

#[test]
fn other_growing_functions_stop_at_the_value_limit() {
    // s4 is 27,994 bytes, b 20 times that (547 KiB); 35 copies of b are past 16 MiB.
    let big = format!(
        "let s = strcat_delim(\"\", \"0123456789abcdef\", \"0123456789abcdef\"); let s2 = replace_string(s, \"0\", s); let s3 = replace_string(s2, \"1\", s2); let s4 = replace_string(s3, \"2\", s3); let b = strcat({});",
        vec!["s4"; 20].join(", ")
    );
    let b35 = vec!["b"; 35].join(", ");
    for tail in [
        "print strlen(replace_string(s4, \"3\", s4))".to_string(),
        format!("print strlen(strcat({b35}))"),
        format!("print array_length(pack_array({b35}))"),
        format!("print strlen(strcat_delim(\",\", {b35}))"),
        "range i from 1 to 40 step 1 | extend s = b | summarize l = make_list(s) | project array_length(l)".to_string(),
    ] {
        let q = format!("{big}\n{tail}");
        let e = fails(&q, &[], &QueryOptions::default());
        assert!(e.message.contains("16 MiB"), "{tail}: {e}");
    }
    // The building blocks themselves are within the limit.
    let q = format!("{big}\nprint strlen(b)");
    assert_eq!(rows(&ok(&q, &[]))[0][0], "559880");
}

#[test]
fn a_query_past_its_memory_budget_says_so() {
    let q = "range i from 1 to 100000 step 1 | extend s = strcat(\"padding-padding-padding-\", i)";
    let opts = QueryOptions {
        memory_limit: Some(1 << 20),
        ..Default::default()
    };
    let e = fails(q, &[], &opts);
    assert!(e.message.contains("memory budget of 1 MiB"), "{e}");
    // The default budget runs it.
    assert_eq!(ok(q, &[]).rows.len(), 100_000);
}
