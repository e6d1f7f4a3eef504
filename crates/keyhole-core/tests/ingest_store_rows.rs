//! The store's two read paths, proven on real consumers before they are converted (issue 10,
//! phase 2 converts the rules, the workbook and KQL):
//! - the row view: two workbook panels rewritten over `EventRef` by the mechanical change
//!   (`ev.field` → `ev.field()`) give exactly what they give over today's `&[Event]`;
//! - the columns: the seed000-1 aggregate (requests by caller IP and vault) counted over the id
//!   columns, each dictionary entry resolved once per group, equals the count over `Event`s.

use keyhole_core::ingest::{Dataset, IngestOptions};
use keyhole_core::store::{to_events, EventRef, EventStore};
use keyhole_core::workbook::{self, CallerRow, FailureRow};
use keyhole_core::{Event, Outcome, Timestamp};
use keyhole_gen::{generate_all, writer_for, GenConfig, OutShape};
use std::collections::HashMap;

fn store() -> EventStore {
    let cfg = GenConfig {
        seed: 31,
        days: 12,
        scale: 0.15,
        attacks: true,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    let mut ds = Dataset::new(IngestOptions::default());
    // two shapes of overlapping records: duplicates, several files
    for (name, shape, part) in [
        (
            "a.jsonl",
            OutShape::RawJsonLines,
            &recs[..recs.len() * 2 / 3],
        ),
        (
            "b.json",
            OutShape::AzureDiagnosticsCli,
            &recs[recs.len() / 3..],
        ),
    ] {
        let mut w = writer_for(shape, 0);
        let mut bytes = Vec::new();
        for r in part {
            w.write_record(r, &mut bytes);
        }
        w.finish(&mut bytes);
        let mut f = ds.open(name);
        f.feed(&bytes);
        ds.close(f);
    }
    let (store, summary) = ds.finish_store();
    assert!(summary.duplicates > 0 && store.len() > 5_000);
    store
}

// ---- the workbook's `callers_by_ip_vault` and `failures`, converted mechanically ----

fn is_failure(ev: EventRef) -> bool {
    ev.outcome() != Outcome::Success && !ev.is_auth_challenge()
}

fn ip_label(ev: EventRef) -> String {
    ev.caller_addr()
        .map(|a| a.to_string())
        .or_else(|| ev.caller_ip().as_deref().map(str::to_string))
        .unwrap_or_else(|| "(none)".into())
}

fn callers_by_ip_vault<'a>(events: impl Iterator<Item = EventRef<'a>>) -> Vec<CallerRow> {
    let mut m: HashMap<(String, &str), CallerRow> = HashMap::new();
    for ev in events {
        if ev.is_auth_challenge() {
            continue;
        }
        let ip = ip_label(ev);
        let r = m
            .entry((ip.clone(), ev.vault()))
            .or_insert_with(|| CallerRow {
                ip,
                vault: ev.vault().to_string(),
                events: 0,
                failed: 0,
                identities: Vec::new(),
                first: ev.time(),
                last: ev.time(),
            });
        r.events += 1;
        if is_failure(ev) {
            r.failed += 1;
        }
        r.first = r.first.min(ev.time());
        r.last = r.last.max(ev.time());
        if let Some(id) = ev.identity().display() {
            if r.identities.len() < 20 && !r.identities.iter().any(|x| **x == **id) {
                r.identities.push(id.to_string());
            }
        }
    }
    let mut out: Vec<CallerRow> = m.into_values().collect();
    for r in &mut out {
        r.identities.sort();
    }
    out.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then(a.ip.cmp(&b.ip))
            .then(a.vault.cmp(&b.vault))
    });
    out
}

fn failures<'a>(events: impl Iterator<Item = EventRef<'a>>) -> Vec<FailureRow> {
    let mut m: HashMap<(String, String, Option<u16>), FailureRow> = HashMap::new();
    for ev in events {
        if !is_failure(ev) {
            continue;
        }
        // the one non-mechanical line: the request URI is rebuilt, a `Cow`
        let uri = ev
            .request_uri()
            .map(|u| u.split('?').next().unwrap_or(&u).to_string())
            .unwrap_or_default();
        let sig = ev.result_signature().as_deref().unwrap_or("").to_string();
        let r = m
            .entry((uri.clone(), sig.clone(), ev.status()))
            .or_insert_with(|| FailureRow {
                request_uri: uri,
                result_signature: sig,
                status: ev.status(),
                events: 0,
                vaults: Vec::new(),
                last: ev.time(),
            });
        r.events += 1;
        r.last = r.last.max(ev.time());
        if r.vaults.len() < 20 && !r.vaults.iter().any(|v| **v == **ev.vault()) {
            r.vaults.push(ev.vault().to_string());
        }
    }
    let mut out: Vec<FailureRow> = m.into_values().collect();
    for r in &mut out {
        r.vaults.sort();
    }
    out.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then(a.request_uri.cmp(&b.request_uri))
            .then(a.result_signature.cmp(&b.result_signature))
            .then(a.status.cmp(&b.status))
    });
    out
}

#[test]
fn workbook_panels_over_the_row_view_equal_the_event_path() {
    let store = store();
    let events: Vec<Event> = to_events(&store);
    let want = workbook::callers_by_ip_vault(&events);
    assert!(want.len() > 10);
    assert_eq!(callers_by_ip_vault(store.rows()), want);
    let want = workbook::failures(&events);
    assert!(!want.is_empty());
    assert_eq!(failures(store.rows()), want);
}

#[test]
fn column_aggregate_equals_the_event_path() {
    let store = store();
    // seed000-1: `summarize count() by CallerIPAddress, Resource` over the id columns
    let (callers, vaults) = (store.caller_ids(), store.vault_ids());
    let mut by_ids: HashMap<(u32, u32), u64> = HashMap::new();
    for i in 0..store.len() {
        *by_ids.entry((callers.get(i), vaults.get(i))).or_default() += 1;
    }
    // resolve each dictionary entry once per group (the vault id names a resource tuple:
    // several tuples may share a vault name, so texts are summed again)
    let mut by_text: HashMap<(Option<String>, String), u64> = HashMap::new();
    for ((c, v), n) in by_ids {
        let ip = store.callers()[c as usize]
            .caller_ip
            .as_deref()
            .map(str::to_string);
        let vault = store.resources()[v as usize].vault.to_ascii_uppercase();
        *by_text.entry((ip, vault)).or_default() += n;
    }
    let mut want: HashMap<(Option<String>, String), u64> = HashMap::new();
    for e in to_events(&store) {
        *want
            .entry((
                e.caller_ip.as_deref().map(str::to_string),
                e.vault.to_ascii_uppercase(),
            ))
            .or_default() += 1;
    }
    assert!(want.len() > 10);
    assert_eq!(by_text, want);
    // and the time column is the rows' times, sorted
    let times: Vec<i64> = store.rows().map(|e| e.time().micros).collect();
    assert_eq!(store.times(), &times[..]);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let _ = Timestamp::from_micros(times[0]);
}

#[test]
fn rows_sort_by_time_stably_and_keep_the_first_of_duplicates() {
    // times out of order, equal times, and a duplicate of line 2 on line 7
    let times = [5, 3, 9, 3, 1, 5, 3, 9, 3, 7];
    let mut text = String::new();
    for (i, t) in times.iter().enumerate() {
        let corr = if i == 6 { 1 } else { i };
        text.push_str(&format!(
            "{{\"time\":\"2026-10-01T00:00:0{t}Z\",\"operationName\":\"SecretGet\",\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV\",\"correlationId\":\"{corr:08}-0000-4000-8000-000000000000\"}}\n"
        ));
    }
    let mut ds = Dataset::new(IngestOptions::default());
    let mut f = ds.open("t.jsonl");
    f.feed(text.as_bytes());
    ds.close(f);
    let (store, summary) = ds.finish_store();
    assert_eq!(summary.duplicates, 1);
    let got: Vec<(i64, u64)> = store
        .rows()
        .zip(store.sources())
        .map(|(e, s)| (e.time().micros / 1_000_000 % 60, s.line))
        .collect();
    let mut want: Vec<(i64, u64)> = times
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 6)
        .map(|(i, t)| (*t as i64, i as u64 + 1))
        .collect();
    want.sort(); // by time, then by line: what a stable sort of the arrival order gives
    assert_eq!(got, want);
    // the row view and the sequential sources agree
    for (e, s) in store.rows().zip(store.sources()) {
        assert_eq!(e.source(), s);
    }
}
