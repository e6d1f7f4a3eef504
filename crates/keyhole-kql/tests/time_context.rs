//! A query's time context: a bound time-range parameter narrows every table before the query
//! runs, as Log Analytics applies a workbook item's time range (a pie chart that never names
//! `{TimeRange}` counts only its range too).

mod support;

use keyhole_core::EventStore;
use keyhole_kql::{run, time_context, workbook_defaults, QueryOptions};
use std::collections::BTreeMap;
use support::*;

/// One event a day, 2026-10-01 … 2026-10-10, at noon.
fn drop10() -> EventStore {
    let evs: Vec<_> = (1..=10)
        .map(|d| ev(&format!("2026-10-{d:02}T12:00:00Z"), "kv-a", "SecretGet").0)
        .collect();
    EventStore::from_events(&evs)
}

fn opts(pairs: &[(&str, &str)], base: BTreeMap<String, String>) -> QueryOptions {
    let mut params = base;
    for (k, v) in pairs {
        params.insert(k.to_string(), v.to_string());
    }
    QueryOptions {
        params,
        ..QueryOptions::default()
    }
}

fn count(q: &str, s: &EventStore, o: &QueryOptions) -> String {
    run(q, s, o).unwrap().to_csv().replace("\r\n", "\n")
}

#[test]
fn a_bound_time_range_narrows_queries_that_do_not_name_it() {
    let s = drop10();
    let o = opts(
        &[("TimeRange", "2026-10-03T00:00:00Z..2026-10-05T23:59:59Z")],
        workbook_defaults(&s),
    );
    let pie = "AzureDiagnostics | summarize n = count()";
    assert_eq!(count(pie, &s, &o), "n\n3\n");
    // the same as naming it: the context and an explicit filter agree
    let named = "AzureDiagnostics | where TimeGenerated {TimeRange} | summarize n = count()";
    assert_eq!(count(named, &s, &o), "n\n3\n");
    let c = time_context(pie, &s, &o).unwrap();
    assert_eq!((c.rows.clone(), c.of), (2..5, 10));
    assert_eq!(c.params, vec!["TimeRange".to_string()]);
    // now() stays the drop's latest event, not the context's
    assert_eq!(
        count("print t = now()", &s, &o),
        count("print t = now()", &s, &opts(&[], workbook_defaults(&s)))
    );
    assert!(count("print t = now()", &s, &o).contains("2026-10-10"));
}

#[test]
fn the_defaults_and_no_parameters_read_every_event() {
    let s = drop10();
    let q = "AzureDiagnostics | summarize n = count()";
    let d = opts(&[], workbook_defaults(&s));
    assert_eq!(time_context(q, &s, &d), None, "the whole drop");
    assert_eq!(count(q, &s, &d), "n\n10\n");
    let none = QueryOptions::default();
    assert_eq!(time_context(q, &s, &none), None, "nothing bound");
    assert_eq!(count(q, &s, &none), "n\n10\n");
}

#[test]
fn the_time_range_the_query_names_is_its_context() {
    let s = drop10();
    let o = opts(
        &[
            ("TimeRange", "2026-10-09T00:00:00Z..2026-10-10T23:59:59Z"),
            (
                "BaselineTimeRange",
                "2026-10-01T00:00:00Z..2026-10-06T23:59:59Z",
            ),
        ],
        BTreeMap::new(),
    );
    // a baseline query is read over its baseline, not over TimeRange
    let base = "AzureDiagnostics | where TimeGenerated >= {BaselineTimeRange:start} | summarize n = count()";
    assert_eq!(count(base, &s, &o), "n\n6\n");
    // naming both reads their union
    let both = "AzureDiagnostics | extend b = {BaselineTimeRange:start}, r = {TimeRange:start} | summarize n = count()";
    assert_eq!(count(both, &s, &o), "n\n10\n");
    assert_eq!(time_context(both, &s, &o), None);
    // a timespan ends at now (the latest event): 2 days back from 2026-10-10 12:00
    let o = opts(&[("TimeRange", "2d")], BTreeMap::new());
    assert_eq!(count("AzureDiagnostics | count", &s, &o), "Count\n3\n");
}
