//! Pure computations the worker runs on the normalised events: workbook aggregates, explorer
//! filtering, rows, exports. No web-sys here, so it is unit-tested natively.

use crate::model::*;
use keyhole_core::event::{Event, ObjectKind, Op, Outcome, Str, Verb};
use keyhole_core::time::{Timestamp, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One event as a table row.
pub fn row(e: &Event, idx: u32) -> EventRow {
    EventRow {
        idx,
        time: e.time.to_rfc3339(),
        vault: e.vault.to_string(),
        operation: e.operation.to_string(),
        object_kind: e.object_kind.as_str().into(),
        object_name: e.object_name.as_deref().map(str::to_string),
        status: e.status,
        outcome: e.outcome.as_str().into(),
        ip: e
            .caller_ip
            .as_deref()
            .map(str::to_string)
            .or_else(|| e.caller_addr.map(|a| a.to_string())),
        identity: e.identity.display().map(|s| s.to_string()),
        object_id: e.identity.object_id.as_deref().map(str::to_string),
        app_id: e.identity.app_id.as_deref().map(str::to_string),
        kind: e.identity.kind.map(|k| {
            match k {
                keyhole_core::IdentityKind::User => "user",
                keyhole_core::IdentityKind::App => "app",
            }
            .to_string()
        }),
        client_info: e.client_info.as_deref().map(str::to_string),
        request_uri: e.request_uri.as_deref().map(str::to_string),
        duration_ms: e.duration_ms,
        file: e.source.file.to_string(),
        line: e.source.line,
    }
}

/// `YYYY-MM-DDTHH:MM[:SS]` in a zone `tz_minutes` east of UTC → microseconds UTC.
pub fn parse_local(s: &str, tz_minutes: i32) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let t = Timestamp::parse_iso(s).or_else(|| Timestamp::parse_iso(&format!("{s}:00")))?;
    // parse_iso read it as UTC (no zone given): shift by the zone.
    Some(t.micros - tz_minutes as i64 * MICROS_PER_MIN)
}

/// Compiled filter: lower-cased needles and time bounds.
pub struct Matcher {
    from: Option<i64>,
    to: Option<i64>,
    vault: String,
    identity: String,
    ip: String,
    operation: String,
    outcome: String,
}

fn contains_ci(hay: Option<&str>, needle: &str) -> bool {
    needle.is_empty()
        || hay
            .map(|h| h.to_ascii_lowercase().contains(needle))
            .unwrap_or(false)
}

impl Matcher {
    pub fn new(f: &Filter) -> Matcher {
        Matcher {
            from: parse_local(&f.from, f.tz_minutes),
            to: parse_local(&f.to, f.tz_minutes),
            vault: f.vault.trim().to_ascii_lowercase(),
            identity: f.identity.trim().to_ascii_lowercase(),
            ip: f.ip.trim().to_ascii_lowercase(),
            operation: f.operation.trim().to_ascii_lowercase(),
            outcome: f.outcome.trim().to_ascii_lowercase(),
        }
    }

    pub fn matches(&self, e: &Event) -> bool {
        if let Some(f) = self.from {
            if e.time.micros < f {
                return false;
            }
        }
        if let Some(t) = self.to {
            if e.time.micros > t {
                return false;
            }
        }
        if !self.vault.is_empty() && *e.vault != *self.vault {
            return false;
        }
        if !self.outcome.is_empty() && e.outcome.as_str() != self.outcome {
            return false;
        }
        if !contains_ci(Some(&e.operation), &self.operation) {
            return false;
        }
        if !self.ip.is_empty() {
            let text = e.caller_ip.as_deref();
            let addr = e.caller_addr.map(|a| a.to_string());
            if !contains_ci(text, &self.ip) && !contains_ci(addr.as_deref(), &self.ip) {
                return false;
            }
        }
        if !self.identity.is_empty() {
            let id = &e.identity;
            if !contains_ci(id.upn.as_deref(), &self.identity)
                && !contains_ci(id.object_id.as_deref(), &self.identity)
                && !contains_ci(id.app_id.as_deref(), &self.identity)
            {
                return false;
            }
        }
        true
    }
}

/// Indices of matching events, newest first.
pub fn filter_newest_first(events: &[Event], f: &Filter) -> Vec<u32> {
    let m = Matcher::new(f);
    let mut out: Vec<u32> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| m.matches(e))
        .map(|(i, _)| i as u32)
        .collect();
    // Events are sorted by time ascending; stable reverse gives newest first.
    out.sort_by(|a, b| events[*b as usize].time.cmp(&events[*a as usize].time));
    out
}

fn is_failure(e: &Event) -> bool {
    e.outcome != Outcome::Success && !e.is_auth_challenge()
}

/// Operations the workbook lists as sensitive (deletes, purges, backups, deleted-item listing).
pub fn is_sensitive(e: &Event) -> bool {
    matches!(
        e.op,
        Op::VaultDelete
            | Op::Object(
                _,
                Verb::Delete | Verb::Purge | Verb::Backup | Verb::ListDeleted
            )
    )
}

fn top(map: HashMap<Str, u64>, n: usize) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(key, n)| Count {
            key: key.to_string(),
            n,
        })
        .collect();
    v.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.key.cmp(&b.key)));
    v.truncate(n);
    v
}

fn top_pairs(map: HashMap<(String, String, String), u64>, n: usize) -> Vec<PairCount> {
    let mut v: Vec<PairCount> = map
        .into_iter()
        .map(|((a, b, c), n)| PairCount { a, b, c, n })
        .collect();
    v.sort_by(|x, y| {
        y.n.cmp(&x.n)
            .then_with(|| x.a.cmp(&y.a))
            .then_with(|| x.b.cmp(&y.b))
    });
    v.truncate(n);
    v
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Robust z-score of each day's count against the trailing 14 days (median / MAD), as the
/// workbook's anomaly grid. Days with fewer than 3 days of history score 0.
pub fn anomaly_scores(daily: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(daily.len());
    for i in 0..daily.len() {
        let lo = i.saturating_sub(14);
        let hist = &daily[lo..i];
        if hist.len() < 3 {
            out.push(0.0);
            continue;
        }
        let mut h = hist.to_vec();
        let med = median(&mut h);
        let mut dev: Vec<f64> = hist.iter().map(|x| (x - med).abs()).collect();
        let mad = median(&mut dev).max(1.0);
        let z = 0.6745 * (daily[i] - med) / mad;
        out.push((z * 10.0).round() / 10.0);
    }
    out
}

/// All aggregates of the Analytics and Monitoring tabs. `events` are in time order.
pub fn aggregates(events: &[Event]) -> Aggregates {
    let mut a = Aggregates::default();
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        a.bucket = MICROS_PER_HOUR;
        return a;
    };
    let span = (last.time.micros - first.time.micros).max(0);
    let bucket = if span <= 31 * MICROS_PER_DAY {
        MICROS_PER_HOUR
    } else {
        MICROS_PER_DAY
    };
    let start = first.time.micros.div_euclid(bucket) * bucket;
    let buckets = ((last.time.micros - start) / bucket + 1).clamp(1, 100_000) as usize;
    let bidx = |t: i64| (((t - start) / bucket).max(0) as usize).min(buckets - 1);
    a.start = start;
    a.bucket = bucket;
    a.buckets = buckets;
    a.requests = vec![0.0; buckets];
    a.failures = vec![0.0; buckets];
    a.denied = vec![0.0; buckets];
    a.throttled = vec![0.0; buckets];
    let mut lat_sum = vec![0.0; buckets];
    let mut lat_n = vec![0.0; buckets];
    a.latency_max = vec![0.0; buckets];
    let day0 = first.time.day();
    let days = ((last.time.day() - day0) + 1).clamp(1, 100_000) as usize;
    a.day0 = day0;
    a.days = days;

    struct V {
        first: Timestamp,
        last: Timestamp,
        events: u64,
        failed: u64,
        principals: HashSet<Str>,
        hours: HashSet<i64>,
        daily: Vec<f64>,
        req: Vec<f64>,
        fail: Vec<f64>,
        lat_sum: Vec<f64>,
        lat_n: Vec<f64>,
    }
    let mut vaults: BTreeMap<Str, V> = BTreeMap::new();
    let labels = ["vault", "caller IP", "identity", "operation"];
    // Keys are the events' shared strings (Arc clones), not fresh allocations per event.
    let mut all: Vec<HashMap<Str, u64>> = vec![HashMap::new(); 4];
    let mut failed: Vec<HashMap<Str, u64>> = vec![HashMap::new(); 4];
    let mut callers: HashMap<(Str, Str), u64> = HashMap::new();
    type UriKey = (Option<Str>, Option<Str>, Option<u16>);
    let mut fails_uri: HashMap<UriKey, u64> = HashMap::new();
    let mut addr_text: HashMap<std::net::IpAddr, Str> = HashMap::new();
    let none: Str = Str::from("(none)");
    let anonymous: Str = Str::from("(anonymous)");
    let mut dp = vec![vec![0.0; buckets]; 6];
    for (i, e) in events.iter().enumerate() {
        let b = bidx(e.time.micros);
        a.requests[b] += 1.0;
        let fail = is_failure(e);
        if fail {
            a.failures[b] += 1.0;
        }
        if e.is_denied() {
            a.denied[b] += 1.0;
        }
        if e.outcome == Outcome::Throttled {
            a.throttled[b] += 1.0;
        }
        if let Some(d) = e.duration_ms {
            lat_sum[b] += d as f64;
            lat_n[b] += 1.0;
            if d as f64 > a.latency_max[b] {
                a.latency_max[b] = d as f64;
            }
        }
        let v = vaults.entry(e.vault.clone()).or_insert_with(|| V {
            first: e.time,
            last: e.time,
            events: 0,
            failed: 0,
            principals: HashSet::new(),
            hours: HashSet::new(),
            daily: vec![0.0; days],
            req: vec![0.0; buckets],
            fail: vec![0.0; buckets],
            lat_sum: vec![0.0; buckets],
            lat_n: vec![0.0; buckets],
        });
        v.last = e.time;
        v.events += 1;
        v.req[b] += 1.0;
        if fail {
            v.failed += 1;
            v.fail[b] += 1.0;
        }
        if let Some(d) = e.duration_ms {
            v.lat_sum[b] += d as f64;
            v.lat_n[b] += 1.0;
        }
        if let Some(p) = e.identity.principal_key() {
            if v.principals.len() < 100_000 {
                v.principals.insert(p.clone());
            }
        }
        v.hours.insert(e.time.hour());
        let d = ((e.time.day() - day0).max(0) as usize).min(days - 1);
        v.daily[d] += 1.0;

        let ip: Str = match (e.caller_addr, &e.caller_ip) {
            (Some(a), _) => addr_text
                .entry(a)
                .or_insert_with(|| Str::from(a.to_string().as_str()))
                .clone(),
            (None, Some(t)) => t.clone(),
            (None, None) => none.clone(),
        };
        let who = e
            .identity
            .display()
            .cloned()
            .unwrap_or_else(|| anonymous.clone());
        let keys = [e.vault.clone(), ip.clone(), who, e.operation.clone()];
        for (k, key) in keys.into_iter().enumerate() {
            if fail {
                *failed[k].entry(key.clone()).or_default() += 1;
            }
            *all[k].entry(key).or_default() += 1;
        }
        *callers.entry((ip, e.vault.clone())).or_default() += 1;
        if fail {
            *fails_uri
                .entry((e.request_uri.clone(), e.result_signature.clone(), e.status))
                .or_default() += 1;
        }
        if e.is_data_plane() {
            let kind = match e.object_kind {
                ObjectKind::Secret => 0,
                ObjectKind::Key => 1,
                _ => 2,
            };
            let app = e.identity.kind == Some(keyhole_core::IdentityKind::App)
                || (e.identity.upn.is_none() && e.identity.app_id.is_some());
            dp[kind * 2 + usize::from(app)][b] += 1.0;
        }
        if is_sensitive(e) && e.is_success() {
            a.sensitive_total += 1;
            if a.sensitive.len() < 2000 {
                a.sensitive.push(row(e, i as u32));
            }
        }
    }
    a.sensitive.reverse();
    a.latency_avg = lat_sum
        .iter()
        .zip(&lat_n)
        .map(|(s, n)| if *n > 0.0 { (s / n).round() } else { 0.0 })
        .collect();
    for (name, v) in vaults {
        let name = name.to_string();
        let score = anomaly_scores(&v.daily);
        let span_hours = ((v.last.hour() - v.first.hour()) + 1).max(1) as u64;
        a.coverage.push(Coverage {
            vault: name.clone(),
            first: v.first.to_rfc3339(),
            last: v.last.to_rfc3339(),
            events: v.events,
            failed: v.failed,
            principals: v.principals.len() as u64,
            active_hours: v.hours.len() as u64,
            span_hours,
            score_latest: score.last().copied().unwrap_or(0.0),
            score_max: score.iter().copied().fold(0.0, f64::max),
            daily: v.daily,
            score,
        });
        a.vault_requests.push(Series {
            label: name.clone(),
            values: v.req,
        });
        a.vault_failures.push(Series {
            label: name.clone(),
            values: v.fail,
        });
        a.vault_latency.push(Series {
            label: name,
            values: v
                .lat_sum
                .iter()
                .zip(&v.lat_n)
                .map(|(s, n)| if *n > 0.0 { (s / n).round() } else { 0.0 })
                .collect(),
        });
    }
    for (k, (am, fm)) in all.into_iter().zip(failed).enumerate() {
        a.top_all.push((labels[k].to_string(), top(am, 15)));
        a.top_failed.push((labels[k].to_string(), top(fm, 15)));
    }
    a.callers = top_pairs(
        callers
            .into_iter()
            .map(|((ip, v), n)| ((ip.to_string(), v.to_string(), String::new()), n))
            .collect(),
        100,
    );
    a.failures_by_uri = top_pairs(
        fails_uri
            .into_iter()
            .map(|((u, r, st), n)| {
                (
                    (
                        u.as_deref().unwrap_or("(none)").to_string(),
                        r.as_deref().unwrap_or("").to_string(),
                        st.map(|x| x.to_string()).unwrap_or_default(),
                    ),
                    n,
                )
            })
            .collect(),
        100,
    );
    let names = [
        "secrets · users",
        "secrets · services",
        "keys · users",
        "keys · services",
        "certificates · users",
        "certificates · services",
    ];
    a.dataplane = dp
        .into_iter()
        .zip(names)
        .map(|(values, l)| Series {
            label: l.into(),
            values,
        })
        .collect();
    a
}

/// The workbook's mass-retrieval table: per principal and vault, windows of `hours` in which
/// successful data-plane reads reach `threshold`.
pub fn mass_retrieval(events: &[Event], threshold: u64, hours: u64) -> Vec<MassRow> {
    let width = (hours.clamp(1, 24 * 366) as i64) * MICROS_PER_HOUR;
    let mut map: HashMap<(String, String, i64), (u64, HashSet<String>)> = HashMap::new();
    for e in events {
        if !(e.is_success() && e.op.is_data_read()) {
            continue;
        }
        let who = e
            .identity
            .display()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "(anonymous)".into());
        let w = e.time.micros.div_euclid(width);
        let ent = map.entry((who, e.vault.to_string(), w)).or_default();
        ent.0 += 1;
        if ent.1.len() < 100_000 {
            ent.1.insert(
                e.object_name
                    .as_deref()
                    .or(e.object_id.as_deref())
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    let mut rows: Vec<MassRow> = map
        .into_iter()
        .filter(|(_, (n, _))| *n >= threshold)
        .map(|((identity, vault, w), (reads, set))| MassRow {
            identity,
            vault,
            window_start: Timestamp {
                micros: w * width,
                digits: 0,
            }
            .to_rfc3339(),
            reads,
            distinct: set.len() as u64,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.reads
            .cmp(&a.reads)
            .then_with(|| a.window_start.cmp(&b.window_start))
    });
    rows.truncate(1000);
    rows
}

/// A CSV cell that a spreadsheet will not execute: cells starting with `= + - @` (or a tab /
/// carriage return) get a leading apostrophe; then RFC 4180 quoting.
pub fn csv_cell(s: &str) -> String {
    keyhole_core::export::csv_cell(s)
}

/// Alerts as CSV (one alert a row, formula-safe), with triage state when given.
pub fn findings_csv(
    findings: &[FindingView],
    triage: &dyn Fn(&FindingView) -> (String, String),
) -> String {
    let mut out = String::from(
        "rule,title,severity,tactics,vault,upn,object_id,app_id,ip,first_seen,last_seen,count,reason,evidence,triage,note\n",
    );
    for f in findings {
        let (state, note) = triage(f);
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{}:{}", e.source, e.line))
            .collect();
        let cells = [
            f.rule.clone(),
            f.title.clone(),
            f.severity.clone(),
            f.tactics.join(" "),
            f.vault.clone().unwrap_or_default(),
            f.identity.upn.clone().unwrap_or_default(),
            f.identity.object_id.clone().unwrap_or_default(),
            f.identity.app_id.clone().unwrap_or_default(),
            f.ip.clone().unwrap_or_default(),
            f.first_seen.clone().unwrap_or_default(),
            f.last_seen.clone().unwrap_or_default(),
            f.count.to_string(),
            f.reason.clone(),
            ev.join(" "),
            state,
            note,
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Alerts as spec §4 JSON objects (without the page-internal `evidence_idx`), with triage.
pub fn finding_json(f: &FindingView, state: &str, note: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or(serde_json::Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("evidence_idx");
        o.insert(
            "triage".into(),
            serde_json::json!({"state": state, "note": note}),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::event::{Identity, Source};
    use std::sync::Arc;

    pub fn ev(t: &str, vault: &str, op: &str, status: u16, upn: &str, ip: &str) -> Event {
        let o = Op::parse(op);
        Event {
            time: Timestamp::parse_iso(t).unwrap(),
            vault: Arc::from(vault),
            subscription: None,
            resource_group: None,
            operation: Arc::from(op),
            op: o,
            operation_version: None,
            category: None,
            object_kind: o.object_kind(),
            object_name: Some(Arc::from("s1")),
            object_version: None,
            status: Some(status),
            outcome: Outcome::from_status(status),
            result_type: None,
            result_signature: None,
            result_description: None,
            caller_ip: Some(Arc::from(ip)),
            caller_addr: ip.parse().ok(),
            identity: Identity {
                upn: Some(Arc::from(upn)),
                ..Identity::default()
            },
            client_info: None,
            request_uri: None,
            object_id: None,
            duration_ms: Some(10),
            tls_version: None,
            correlation_id: None,
            authorization: Default::default(),
            vault_config: None,
            policy_added: None,
            policy_removed: None,
            ip_rule_added: None,
            ip_rule_removed: None,
            source: Source {
                file: Arc::from("f.json"),
                line: 1,
                ..Source::default()
            },
        }
    }

    #[test]
    fn csv_defuses_formulas_and_quotes() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
    }

    #[test]
    fn filter_by_vault_outcome_ip_identity_and_time_zone() {
        let evs = vec![
            ev(
                "2024-01-01T10:00:00Z",
                "kv1",
                "SecretGet",
                200,
                "a@x",
                "1.2.3.4",
            ),
            ev(
                "2024-01-01T11:00:00Z",
                "kv2",
                "SecretGet",
                403,
                "b@x",
                "5.6.7.8",
            ),
            ev(
                "2024-01-01T12:00:00Z",
                "kv1",
                "KeySign",
                200,
                "b@x",
                "5.6.7.8",
            ),
        ];
        let f = Filter {
            vault: "kv1".into(),
            ..Filter::default()
        };
        assert_eq!(filter_newest_first(&evs, &f), vec![2, 0]);
        let f = Filter {
            outcome: "denied".into(),
            ..Filter::default()
        };
        assert_eq!(filter_newest_first(&evs, &f), vec![1]);
        let f = Filter {
            identity: "B@".into(),
            ip: "5.6".into(),
            ..Filter::default()
        };
        assert_eq!(filter_newest_first(&evs, &f), vec![2, 1]);
        // 12:30 at UTC+2 is 10:30 UTC: only the first event is before it.
        let f = Filter {
            to: "2024-01-01T12:30".into(),
            tz_minutes: 120,
            ..Filter::default()
        };
        assert_eq!(filter_newest_first(&evs, &f), vec![0]);
    }

    #[test]
    fn aggregates_count_failures_without_the_401_challenge() {
        let mut challenge = ev("2024-01-01T10:05:00Z", "kv1", "Authentication", 401, "", "");
        challenge.identity = Identity::default();
        let evs = vec![
            ev(
                "2024-01-01T10:00:00Z",
                "kv1",
                "SecretGet",
                200,
                "a@x",
                "1.2.3.4",
            ),
            challenge,
            ev(
                "2024-01-01T11:00:00Z",
                "kv2",
                "SecretGet",
                403,
                "b@x",
                "5.6.7.8",
            ),
            ev(
                "2024-01-01T12:00:00Z",
                "kv1",
                "SecretDelete",
                200,
                "b@x",
                "5.6.7.8",
            ),
        ];
        let a = aggregates(&evs);
        assert_eq!(a.bucket, MICROS_PER_HOUR);
        assert_eq!(a.buckets, 3);
        assert_eq!(a.requests, vec![2.0, 1.0, 1.0]);
        assert_eq!(a.failures, vec![0.0, 1.0, 0.0]);
        assert_eq!(a.denied, vec![0.0, 1.0, 0.0]);
        assert_eq!(a.coverage.len(), 2);
        assert_eq!(a.coverage[0].vault, "kv1");
        assert_eq!(a.coverage[0].events, 3);
        assert_eq!(a.sensitive_total, 1);
        assert_eq!(a.sensitive[0].operation, "SecretDelete");
        assert_eq!(a.failures_by_uri.len(), 1);
        assert_eq!(a.failures_by_uri[0].c, "403");
    }

    #[test]
    fn anomaly_score_flags_a_spike() {
        let mut daily = vec![10.0, 11.0, 9.0, 10.0, 12.0, 10.0];
        daily.push(100.0);
        let s = anomaly_scores(&daily);
        assert_eq!(s[0], 0.0);
        assert!(s[6] > 10.0, "{s:?}");
        assert!(s[5].abs() < 3.0, "{s:?}");
    }

    #[test]
    fn mass_retrieval_respects_threshold_and_period() {
        let mut evs = Vec::new();
        for i in 0..30 {
            let mut e = ev(
                &format!("2024-01-01T10:{:02}:00Z", i),
                "kv1",
                "SecretGet",
                200,
                "a@x",
                "1.2.3.4",
            );
            e.object_name = Some(Arc::from(format!("s{}", i % 7).as_str()));
            evs.push(e);
        }
        let rows = mass_retrieval(&evs, 25, 24);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].reads, 30);
        assert_eq!(rows[0].distinct, 7);
        assert!(mass_retrieval(&evs, 31, 24).is_empty());
    }
}
