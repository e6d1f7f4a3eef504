//! The tabs: Alerts (workbook tab 1), Analytics (tab 2), Monitoring (tab 3), the Events explorer
//! and the Files report. All log text goes in as text nodes.

use crate::analysis;
use crate::app::{self, dispatch as app_dispatch, Action, State, Tab, Triage};
use crate::charts::{fmt_time, BarList, EntityGraph, Sparkline, TimeChart};
use crate::model::*;
use keyhole_core::time::Timestamp;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

fn empty(s: &State) -> Option<Html> {
    if s.result.is_none() {
        Some(
            html! { <p class="muted empty">{ "Drop audit logs above, or try the demo data." }</p> },
        )
    } else {
        None
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "—".into())
}

fn ts_micros(s: &Option<String>) -> Option<i64> {
    s.as_deref()
        .and_then(Timestamp::parse_iso)
        .map(|t| t.micros)
}

pub fn visible_findings(s: &State, r: &ResultView) -> Vec<usize> {
    let mut v: Vec<usize> = (0..r.findings.len())
        .filter(|&i| {
            let f = &r.findings[i];
            if let Some(sev) = &s.sev_filter {
                if &f.severity != sev {
                    return false;
                }
            }
            if let Some(vault) = &s.vault_filter {
                if f.vault.as_deref() != Some(vault.as_str()) {
                    return false;
                }
            }
            if let Some((lo, hi)) = s.alert_range {
                let t = ts_micros(&f.first_seen).unwrap_or(0);
                let u = ts_micros(&f.last_seen).unwrap_or(t);
                if u < lo || t > hi {
                    return false;
                }
            }
            true
        })
        .collect();
    v.sort_by(|&a, &b| {
        let (fa, fb) = (&r.findings[a], &r.findings[b]);
        fb.severity_rank()
            .cmp(&fa.severity_rank())
            .then_with(|| fb.last_seen.cmp(&fa.last_seen))
    });
    v
}

pub fn triage_of(s: &State, f: &FindingView) -> Triage {
    s.triage.get(&f.key()).cloned().unwrap_or(Triage {
        state: "New".into(),
        note: String::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Alerts

pub fn alerts(s: &State) -> Html {
    if let Some(h) = empty(s) {
        return h;
    }
    let r = s.result.clone().expect("checked");
    let mut by_sev = [0usize; 4];
    for f in &r.findings {
        if let Some(i) = SEVERITIES.iter().position(|x| *x == f.severity) {
            by_sev[i] += 1;
        }
    }
    let tiles = SEVERITIES.iter().enumerate().map(|(i, sev)| {
        let on = s.sev_filter.as_deref() == Some(*sev);
        let sev_s = sev.to_string();
        let onclick = Callback::from(move |_| {
            app_dispatch(Action::SevFilter(if on { None } else { Some(sev_s.clone()) }))
        });
        html! { <button class={classes!("tile", format!("sev-{sev}"), on.then_some("on"))} data-severity={*sev} {onclick}>
            <b>{ by_sev[i] }</b><span>{ *sev }</span></button> }
    });
    // Per-vault grid.
    let mut vaults: std::collections::BTreeMap<String, [usize; 4]> = Default::default();
    for f in &r.findings {
        let v = vaults
            .entry(f.vault.clone().unwrap_or_else(|| "*".into()))
            .or_default();
        if let Some(i) = SEVERITIES.iter().position(|x| *x == f.severity) {
            v[i] += 1;
        }
    }
    // Alerts over time.
    let agg = &r.agg;
    let mut counts = vec![0.0; agg.buckets.max(1)];
    for f in &r.findings {
        if let Some(t) = ts_micros(&f.first_seen) {
            let b = ((t - agg.start) / agg.bucket.max(1)).clamp(0, counts.len() as i64 - 1);
            counts[b as usize] += 1.0;
        }
    }
    let on_brush = Callback::from(|r| app_dispatch(Action::AlertRange(r)));
    let list = visible_findings(s, &r);
    let exports = export_buttons(s, &r);
    html! {
        <section id="tab-alerts" class="tab-alerts">
            if let Some(n) = &r.detection_note { <p class="notice" id="detection-note">{ n }</p> }
            { rule_status(&r) }
            <div class="tiles">{ for tiles }</div>
            <div class="row2">
                <div class="card">
                    <h3>{ "Alerts per vault" }</h3>
                    <table class="grid" id="vault-grid">
                        <tr><th>{ "vault" }</th>{ for SEVERITIES.iter().map(|x| html!{ <th>{ *x }</th> }) }</tr>
                        { for vaults.iter().map(|(v, c)| {
                            let vv = v.clone();
                            let on = s.vault_filter.as_deref() == Some(v.as_str());
                            let onclick = Callback::from(move |_| app_dispatch(Action::VaultFilter(if on { None } else { Some(vv.clone()) })));
                            html!{ <tr class={classes!("pick", on.then_some("on"))} {onclick}><td>{ v }</td>
                                { for c.iter().enumerate().map(|(i, n)| html!{ <td class={classes!(format!("sev-{}", SEVERITIES[i]), (*n > 0).then_some("hot"))}>{ n }</td> }) }</tr> }
                        }) }
                    </table>
                </div>
                <div class="card">
                    <TimeChart id="alerts-chart" title="Alerts over time (drag to select, double-click to clear)" start={agg.start} bucket={agg.bucket}
                        series={vec![Series { label: "alerts".into(), values: counts }]} bars=true on_brush={Some(on_brush)} range={s.alert_range} />
                </div>
            </div>
            { exports }
            <div class="row2 alerts-main">
                <ul class="alert-list" id="alert-list">
                    if list.is_empty() { <li class="muted">{ if r.findings.is_empty() { "No alerts." } else { "No alerts match the selection." } }</li> }
                    { for list.iter().map(|&i| {
                        let f = &r.findings[i];
                        let t = triage_of(s, f);
                        let sel = s.selected == Some(i);
                        let ev = f.evidence_idx.clone();
                        let select = move || {
                            app_dispatch(Action::Select(Some(i)));
                            app::request_evidence(ev.clone());
                        };
                        let onkeydown = {
                            let select = select.clone();
                            Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" || e.key() == " " { e.prevent_default(); select() })
                        };
                        let onclick = Callback::from(move |_| select());
                        html!{
                            <li class={classes!("alert", format!("sev-{}", f.severity), sel.then_some("on"))} data-rule={f.rule.clone()} {onclick} {onkeydown} tabindex="0">
                                <span class="sev">{ &f.severity }</span>
                                <b>{ &f.title }</b>
                                <span class="meta">{ format!("{} · {} · {} · ×{}", f.vault.clone().unwrap_or_else(|| "*".into()), f.identity.label(), opt(&f.last_seen), f.count) }</span>
                                <span class={classes!("triage", format!("t-{}", t.state.to_lowercase()))}>{ &t.state }</span>
                            </li>
                        }
                    }) }
                </ul>
                { detail(s, &r) }
            </div>
        </section>
    }
}

fn rule_status(r: &ResultView) -> Html {
    let idle: Vec<&RuleStatusView> = r.rules.iter().filter(|x| !x.ran).collect();
    if idle.is_empty() && r.settings_notes.is_empty() {
        return html! {};
    }
    html! {
        <details class="rule-status" id="rule-status">
            <summary>{ format!("{} of {} rules ran on this drop{}", r.rules.len() - idle.len(), r.rules.len(),
                if r.settings_notes.is_empty() { String::new() } else { format!(" · {}", r.settings_notes.join(" · ")) }) }</summary>
            <ul>{ for idle.iter().map(|x| html!{ <li><code>{ &x.rule }</code>{ format!(": {}", x.note.clone().unwrap_or_default()) }</li> }) }</ul>
        </details>
    }
}

fn export_buttons(s: &State, r: &Rc<ResultView>) -> Html {
    let mk = |fmt: &'static str| {
        let r = r.clone();
        let triage = s.triage.clone();
        Callback::from(move |_| {
            let tri = |f: &FindingView| {
                let t = triage.get(&f.key()).cloned().unwrap_or(Triage {
                    state: "New".into(),
                    note: String::new(),
                });
                (t.state, t.note)
            };
            match fmt {
                "csv" => app::download(
                    "keyhole-alerts.csv",
                    "text/csv",
                    &analysis::findings_csv(&r.findings, &tri),
                ),
                "jsonl" => {
                    let mut out = String::new();
                    for f in &r.findings {
                        let (st, note) = tri(f);
                        out.push_str(&analysis::finding_json(f, &st, &note).to_string());
                        out.push('\n');
                    }
                    app::download("keyhole-alerts.jsonl", "application/x-ndjson", &out)
                }
                "json" => {
                    let v: Vec<serde_json::Value> = r
                        .findings
                        .iter()
                        .map(|f| {
                            let (st, note) = tri(f);
                            analysis::finding_json(f, &st, &note)
                        })
                        .collect();
                    app::download(
                        "keyhole-alerts.json",
                        "application/json",
                        &serde_json::to_string_pretty(&v).unwrap_or_default(),
                    )
                }
                "triage" => app::download(
                    "keyhole-triage.json",
                    "application/json",
                    &serde_json::to_string_pretty(&*triage).unwrap_or_default(),
                ),
                _ => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.print();
                    }
                }
            }
        })
    };
    html! {
        <div class="exports" id="exports">
            <span>{ "Export alerts: " }</span>
            <button class="button" id="export-json" onclick={mk("json")}>{ "JSON" }</button>
            <button class="button" id="export-jsonl" onclick={mk("jsonl")}>{ "JSONL" }</button>
            <button class="button" id="export-csv" onclick={mk("csv")}>{ "CSV" }</button>
            <button class="button" id="export-triage" onclick={mk("triage")}>{ "Triage state" }</button>
            <button class="button" id="print" onclick={mk("print")}>{ "Printable report" }</button>
        </div>
    }
}

fn detail(s: &State, r: &ResultView) -> Html {
    let Some(f) = s.selected.and_then(|i| r.findings.get(i)) else {
        return html! { <div class="detail muted">{ "Select an alert to see why it fired, its evidence and the entities involved." }</div> };
    };
    let t = triage_of(s, f);
    let key = f.key();
    let set_state = {
        let key = key.clone();
        let note = t.note.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            app_dispatch(Action::SetTriage(
                key.clone(),
                Triage {
                    state: sel.value(),
                    note: note.clone(),
                },
            ));
        })
    };
    let set_note = {
        let key = key.clone();
        let state = t.state.clone();
        Callback::from(move |e: Event| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            app_dispatch(Action::SetTriage(
                key.clone(),
                Triage {
                    state: state.clone(),
                    note: ta.value(),
                },
            ));
        })
    };
    let edges: Vec<(String, String, String, String)> = s
        .evidence
        .iter()
        .map(|e| {
            (
                e.ip.clone().unwrap_or_default(),
                e.identity.clone().unwrap_or_default(),
                e.app_id
                    .clone()
                    .filter(|a| Some(a) != e.identity.as_ref())
                    .unwrap_or_default(),
                e.vault.clone(),
            )
        })
        .collect();
    html! {
        <div class="detail" id="alert-detail" data-rule={f.rule.clone()}>
            <h3>{ &f.title }</h3>
            <p class="rule"><code>{ &f.rule }</code>{ format!(" · {} · {}", f.severity, f.tactics.join(", ")) }</p>
            <p class="reason" id="alert-reason">{ &f.reason }</p>
            <dl>
                <dt>{ "vault" }</dt><dd>{ f.vault.clone().unwrap_or_else(|| "*".into()) }</dd>
                <dt>{ "identity" }</dt><dd>{ format!("{} (object id {}, app id {})", opt(&f.identity.upn), opt(&f.identity.object_id), opt(&f.identity.app_id)) }</dd>
                <dt>{ "IP" }</dt><dd>{ opt(&f.ip) }</dd>
                <dt>{ "first / last" }</dt><dd>{ format!("{} → {}", opt(&f.first_seen), opt(&f.last_seen)) }</dd>
                <dt>{ "count" }</dt><dd>{ f.count }</dd>
            </dl>
            <div class="triage-edit">
                <label>{ "Triage " }
                    <select id="triage-state" onchange={set_state}>
                        { for ["New", "Acknowledged", "Closed"].iter().map(|x| html!{ <option value={*x} selected={t.state == *x}>{ *x }</option> }) }
                    </select>
                </label>
                <textarea id="triage-note" placeholder="note (kept in this browser)" value={t.note.clone()} onchange={set_note} />
            </div>
            if !f.details.is_null() && f.details != serde_json::json!({}) {
                <h4>{ "Details" }</h4>
                <pre class="details" id="alert-details">{ serde_json::to_string_pretty(&f.details).unwrap_or_default() }</pre>
            }
            <h4>{ format!("Evidence ({} of {} events)", f.evidence_idx.len().max(f.evidence.len()), f.count) }</h4>
            { event_table(&s.evidence, "evidence") }
            if f.evidence_idx.is_empty() && !f.evidence.is_empty() {
                <ul class="refs">{ for f.evidence.iter().map(|e| html!{ <li>{ format!("{}:{}", e.source, e.line) }</li> }) }</ul>
            }
            <h4>{ "Entities" }</h4>
            <EntityGraph edges={edges} />
        </div>
    }
}

/// A table of events; clicking a row opens its raw record.
pub fn event_table(rows: &[EventRow], id: &'static str) -> Html {
    html! {
        <table class="events" id={id}>
            <tr><th>{ "time (UTC)" }</th><th>{ "vault" }</th><th>{ "operation" }</th><th>{ "object" }</th><th>{ "status" }</th><th>{ "identity" }</th><th>{ "IP" }</th><th>{ "source" }</th></tr>
            { for rows.iter().map(|e| {
                let idx = e.idx;
                let onclick = Callback::from(move |_| app::send(&WorkerCmd::Raw { idx }));
                html!{ <tr class={classes!("ev", format!("o-{}", e.outcome))} data-idx={idx.to_string()} {onclick}>
                    <td>{ &e.time }</td><td>{ &e.vault }</td><td>{ &e.operation }</td><td>{ e.object_name.clone().unwrap_or_default() }</td>
                    <td>{ e.status.map(|x| x.to_string()).unwrap_or_default() }</td><td>{ e.identity.clone().unwrap_or_default() }</td>
                    <td>{ e.ip.clone().unwrap_or_default() }</td><td class="src">{ format!("{}:{}", e.file, e.line) }</td></tr> }
            }) }
        </table>
    }
}

pub fn raw_modal(s: &State) -> Html {
    let Some((idx, raw, norm)) = &s.raw else {
        return html! {};
    };
    let close = Callback::from(|_| app_dispatch(Action::CloseRaw));
    html! {
        <div class="modal" id="raw-modal" data-idx={idx.to_string()}>
            <div class="modal-body">
                <button class="button close" id="raw-close" onclick={close}>{ "Close" }</button>
                <h3>{ "Raw record" }</h3>
                if raw.is_empty() { <p class="muted">{ "The original bytes are inside a compressed (zip, gzip) or re-encoded (UTF-16) file and are not kept; the normalised event below carries everything Keyhole read from it." }</p> }
                else { <pre id="raw-text">{ raw }</pre> }
                <h3>{ "Normalised event" }</h3>
                <pre id="raw-normalised">{ norm }</pre>
            </div>
        </div>
    }
}

// ---------------------------------------------------------------------------------------------
// Zoom shared by the Analytics and Monitoring charts: brushing one zooms all of them.

/// Bucket range [lo, hi] of the brushed time range.
fn zoom_range(a: &Aggregates, r: Option<(i64, i64)>) -> (usize, usize) {
    let n = a.buckets.max(1);
    match r {
        Some((t0, t1)) if a.bucket > 0 => {
            let lo = ((t0 - a.start) / a.bucket).clamp(0, n as i64 - 1) as usize;
            let hi = ((t1 - a.start) / a.bucket).clamp(lo as i64, n as i64 - 1) as usize;
            (lo, hi)
        }
        _ => (0, n - 1),
    }
}

fn zoomed(v: &[f64], (lo, hi): (usize, usize)) -> Vec<f64> {
    v.get(lo..=hi.min(v.len().saturating_sub(1)))
        .map(|x| x.to_vec())
        .unwrap_or_default()
}

fn zs(label: &str, v: &[f64], z: (usize, usize)) -> Series {
    Series {
        label: label.into(),
        values: zoomed(v, z),
    }
}

fn zoom_bar(s: &State) -> Html {
    let Some((t0, t1)) = s.chart_range else {
        return html! { <p class="muted">{ "Drag across any chart to zoom all charts into a time range." }</p> };
    };
    let clear = Callback::from(|_| app_dispatch(Action::ChartRange(None)));
    let events = Callback::from(move |_| {
        let f = Filter {
            from: fmt_time(t0).replace(' ', "T"),
            to: fmt_time(t1).replace(' ', "T"),
            ..Filter::default()
        };
        app::navigate(Tab::Events, &f);
    });
    html! {
        <p class="zoom" id="zoom">{ format!("Zoomed to {} → {} (UTC) ", fmt_time(t0), fmt_time(t1)) }
            <button class="button" id="zoom-events" onclick={events}>{ "Show these events" }</button>
            <button class="button" id="zoom-clear" onclick={clear}>{ "Reset zoom" }</button></p>
    }
}

// ---------------------------------------------------------------------------------------------
// Analytics (workbook tab 2)

pub fn analytics(s: &State) -> Html {
    if let Some(h) = empty(s) {
        return h;
    }
    let r = s.result.clone().expect("checked");
    let a = &r.agg;
    let sel = s.selected_vault.clone();
    let vi = sel
        .as_ref()
        .and_then(|v| a.coverage.iter().position(|c| &c.vault == v));
    let z = zoom_range(a, s.chart_range);
    let zstart = a.start + z.0 as i64 * a.bucket;
    let on_brush = Some(Callback::from(|r| app_dispatch(Action::ChartRange(r))));
    let activity = match vi {
        Some(i) => vec![
            zs(
                &format!("{} requests", a.vault_requests[i].label),
                &a.vault_requests[i].values,
                z,
            ),
            zs("failed", &a.vault_failures[i].values, z),
        ],
        None => vec![zs("requests", &a.requests, z), zs("failed", &a.failures, z)],
    };
    let dataplane: Vec<Series> = a
        .dataplane
        .iter()
        .map(|x| zs(&x.label, &x.values, z))
        .collect();
    let pick_vault = |v: String| {
        let f = Filter {
            vault: v,
            ..Filter::default()
        };
        app::navigate(Tab::Events, &f);
    };
    let mass = mass_panel(s);
    html! {
        <section id="tab-analytics">
            <div class="card">
                <h3>{ "Coverage and daily anomaly score per vault (click a vault to drive the charts)" }</h3>
                <table class="grid" id="anomaly-grid">
                    <tr><th>{ "vault" }</th><th>{ "first" }</th><th>{ "last" }</th><th>{ "events" }</th><th>{ "failed" }</th><th>{ "principals" }</th><th>{ "active hours" }</th><th>{ "daily events" }</th><th>{ "anomaly score" }</th><th>{ "latest" }</th><th>{ "max" }</th></tr>
                    { for a.coverage.iter().map(|c| {
                        let v = c.vault.clone();
                        let on = sel.as_deref() == Some(c.vault.as_str());
                        let onclick = Callback::from(move |_| app_dispatch(Action::SelectVault(if on { None } else { Some(v.clone()) })));
                        html!{ <tr class={classes!("pick", on.then_some("on"))} data-vault={c.vault.clone()} {onclick}>
                            <td>{ &c.vault }</td><td>{ &c.first }</td><td>{ &c.last }</td><td>{ c.events }</td><td>{ c.failed }</td><td>{ c.principals }</td>
                            <td>{ format!("{} / {}", c.active_hours, c.span_hours) }</td>
                            <td><Sparkline values={c.daily.clone()} /></td><td><Sparkline values={c.score.clone()} class="score" /></td>
                            <td class={classes!((c.score_latest >= 3.0).then_some("hot"))}>{ format!("{:.1}", c.score_latest) }</td>
                            <td class={classes!((c.score_max >= 3.0).then_some("hot"))}>{ format!("{:.1}", c.score_max) }</td></tr> }
                    }) }
                </table>
            </div>
            { zoom_bar(s) }
            <div class="card"><TimeChart id="activity-chart" title={format!("Activity{}", sel.as_ref().map(|v| format!(" — {v}")).unwrap_or_default())} start={zstart} bucket={a.bucket} series={activity} on_brush={on_brush.clone()} /></div>
            <div class="card"><TimeChart id="dataplane-chart" title="Secrets / keys / certificates operations, users vs services" start={zstart} bucket={a.bucket} series={dataplane} {on_brush} /></div>
            <div class="card"><h3>{ "Events by vault, caller IP, identity, operation" }</h3>
                <div class="bars">{ for a.top_all.iter().map(|(l, rows)| {
                    let on_pick = (l == "vault").then(|| Callback::from(pick_vault));
                    html!{ <BarList title={format!("all · {l}")} rows={rows.clone()} {on_pick} /> }
                }) }</div>
            </div>
            <div class="card"><h3>{ "Failed events (the 401 authentication challenge excluded)" }</h3>
                <div class="bars">{ for a.top_failed.iter().map(|(l, rows)| html!{ <BarList title={format!("failed · {l}")} rows={rows.clone()} /> }) }</div>
            </div>
            <div class="row2">
                <div class="card"><h3>{ "Callers by IP × vault" }</h3>{ pair_table(&a.callers, ["caller IP", "vault", ""], "callers") }</div>
                <div class="card"><h3>{ "Failures by request URI × result × status" }</h3>{ pair_table(&a.failures_by_uri, ["request URI", "result signature", "status"], "failures") }</div>
            </div>
            <div class="card"><h3>{ format!("Sensitive operations ({}; deletes, purges, backups, deleted-item listings)", a.sensitive_total) }</h3>
                { event_table(&a.sensitive.iter().take(200).cloned().collect::<Vec<_>>(), "sensitive") }</div>
            { mass }
        </section>
    }
}

fn pair_table(rows: &[PairCount], heads: [&str; 3], id: &'static str) -> Html {
    html! {
        <table class="grid" id={id}>
            <tr>{ for heads.iter().filter(|h| !h.is_empty()).map(|h| html!{ <th>{ *h }</th> }) }<th>{ "count" }</th></tr>
            { for rows.iter().map(|p| html!{ <tr><td>{ &p.a }</td><td>{ &p.b }</td>
                if !heads[2].is_empty() { <td>{ &p.c }</td> }<td>{ p.n }</td></tr> }) }
        </table>
    }
}

fn mass_panel(s: &State) -> Html {
    let threshold = input_value("mass-threshold", "1000");
    let hours = input_value("mass-hours", "24");
    let run = Callback::from(move |_| {
        let t = threshold().parse().unwrap_or(1000);
        let h = hours().parse().unwrap_or(24);
        app::send(&WorkerCmd::Mass {
            threshold: t,
            hours: h,
        });
    });
    html! {
        <div class="card" id="mass">
            <h3>{ "Mass secret retrieval" }</h3>
            <label>{ "threshold " }<input id="mass-threshold" type="number" min="1" value="1000" /></label>
            <label>{ " reads in " }<input id="mass-hours" type="number" min="1" value="24" />{ " hours " }</label>
            <button class="button" id="mass-run" onclick={run}>{ "Show" }</button>
            if let Some(rows) = &s.mass {
                <table class="grid" id="mass-table">
                    <tr><th>{ "identity" }</th><th>{ "vault" }</th><th>{ "window start (UTC)" }</th><th>{ "reads" }</th><th>{ "distinct objects" }</th></tr>
                    if rows.is_empty() { <tr><td colspan="5" class="muted">{ "no principal reached the threshold" }</td></tr> }
                    { for rows.iter().map(|m| html!{ <tr><td>{ &m.identity }</td><td>{ &m.vault }</td><td>{ &m.window_start }</td><td>{ m.reads }</td><td>{ m.distinct }</td></tr> }) }
                </table>
            }
        </div>
    }
}

/// Read an input's current value by id (form fields that need no state of their own).
fn input_value(id: &'static str, default: &'static str) -> impl Fn() -> String {
    move || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_else(|| default.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Monitoring (workbook tab 3)

pub fn monitoring(s: &State) -> Html {
    if let Some(h) = empty(s) {
        return h;
    }
    let r = s.result.clone().expect("checked");
    let a = &r.agg;
    let vi = s
        .selected_vault
        .as_ref()
        .and_then(|v| a.coverage.iter().position(|c| &c.vault == v));
    let vault_select = {
        let onchange = Callback::from(|e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            app_dispatch(Action::SelectVault(if v.is_empty() {
                None
            } else {
                Some(v)
            }));
        });
        html! {
            <label>{ "vault " }<select id="monitor-vault" {onchange}>
                <option value="" selected={vi.is_none()}>{ "all vaults" }</option>
                { for a.coverage.iter().map(|c| html!{ <option value={c.vault.clone()} selected={s.selected_vault.as_deref() == Some(c.vault.as_str())}>{ &c.vault }</option> }) }
            </select></label>
        }
    };
    let z = zoom_range(a, s.chart_range);
    let zstart = a.start + z.0 as i64 * a.bucket;
    let on_brush = Some(Callback::from(|r| app_dispatch(Action::ChartRange(r))));
    let (req, fail, lat) = match vi {
        Some(i) => (
            zoomed(&a.vault_requests[i].values, z),
            zoomed(&a.vault_failures[i].values, z),
            zoomed(&a.vault_latency[i].values, z),
        ),
        None => (
            zoomed(&a.requests, z),
            zoomed(&a.failures, z),
            zoomed(&a.latency_avg, z),
        ),
    };
    html! {
        <section id="tab-monitoring">
            <p>{ vault_select }{ format!(" · buckets of {} (UTC)", if a.bucket >= 86_400_000_000 { "a day" } else { "an hour" }) }</p>
            { zoom_bar(s) }
            <div class="card"><TimeChart id="requests-chart" title="Requests" start={zstart} bucket={a.bucket} series={vec![Series { label: "requests".into(), values: req }]} bars=true on_brush={on_brush.clone()} /></div>
            <div class="card"><TimeChart id="latency-chart" title="Latency (durationMs)" start={zstart} bucket={a.bucket} on_brush={on_brush.clone()}
                series={ if vi.is_some() { vec![Series { label: "avg ms".into(), values: lat }] } else { vec![Series { label: "avg ms".into(), values: lat }, zs("max ms", &a.latency_max, z)] } } /></div>
            <div class="card"><TimeChart id="failures-chart" title="Failures and throttling" start={zstart} bucket={a.bucket} {on_brush}
                series={vec![Series { label: "failed".into(), values: fail }, zs("denied", &a.denied, z), zs("throttled (429)", &a.throttled, z)]} /></div>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Events explorer

pub const ROW_H: f64 = 26.0;
const VIEW_ROWS: u64 = 40;

#[derive(Properties, PartialEq)]
pub struct ExplorerProps {
    pub state: UseReducerHandle<State>,
}

fn set_height(node: &NodeRef, px: f64) {
    if let Some(el) = node.cast::<HtmlElement>() {
        // CSSOM, not a style attribute: allowed by style-src 'self'.
        let _ = el.style().set_property("height", &format!("{px}px"));
    }
}

/// Newest first, virtualised: only the rows in view (plus a margin) exist in the DOM; the worker
/// filters and pages. The filter lives in the URL hash.
#[function_component(Explorer)]
pub fn explorer(p: &ExplorerProps) -> Html {
    let s = &*p.state;
    let scroller = use_node_ref();
    let above = use_node_ref();
    let below = use_node_ref();
    let first_row = use_state(|| 0u64);
    let has_result = s.result.is_some();
    let result_key = s
        .result
        .as_ref()
        .map(|r| Rc::as_ptr(r) as usize)
        .unwrap_or(0);
    // Fetch the window when the filter, the data or the scroll position changes.
    {
        let filter = s.filter.clone();
        let first = *first_row;
        let page = s.events.clone();
        use_effect_with(
            (filter, first, result_key, page.loaded),
            move |(filter, first, _, _)| {
                if has_result {
                    let need_lo = first.saturating_sub(0);
                    let need_hi = first + VIEW_ROWS;
                    let have = page.loaded
                        && page.offset <= need_lo
                        && page.offset + page.rows.len() as u64 >= need_hi.min(page.total);
                    if !have {
                        let offset = first.saturating_sub(100);
                        app::send(&WorkerCmd::Events {
                            seq: app::next_seq(),
                            filter: filter.clone(),
                            offset,
                            limit: 300,
                        });
                    }
                }
                || ()
            },
        );
    }
    let total = s.events.total;
    let lo = (*first_row).min(total);
    let hi = (lo + VIEW_ROWS).min(total);
    // Rows of [lo, hi) already fetched; the spacers keep the full height constant even while
    // the window is being fetched, so the scroll position never jumps.
    let shown = s
        .events
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let pos = s.events.offset + *i as u64;
            pos >= lo && pos < hi
        })
        .count() as u64;
    {
        let (above, below) = (above.clone(), below.clone());
        use_effect_with((lo, shown, total), move |(lo, shown, total)| {
            set_height(&above, *lo as f64 * ROW_H);
            set_height(&below, total.saturating_sub(lo + shown) as f64 * ROW_H);
            || ()
        });
    }
    let onscroll = {
        let scroller = scroller.clone();
        let first_row = first_row.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                let r = (el.scroll_top() as f64 / ROW_H).floor().max(0.0) as u64;
                if r != *first_row {
                    first_row.set(r);
                }
            }
        })
    };
    if let Some(h) = empty(s) {
        return h;
    }
    let r = s.result.clone().expect("checked");
    let f = s.filter.clone();
    let field = |name: &'static str, label: &'static str, value: String, kind: &'static str| {
        let fc = f.clone();
        let onchange = Callback::from(move |e: Event| {
            let v = e
                .target()
                .and_then(|t| {
                    t.clone()
                        .dyn_into::<HtmlInputElement>()
                        .map(|i| i.value())
                        .ok()
                        .or_else(|| t.dyn_into::<HtmlSelectElement>().ok().map(|s| s.value()))
                })
                .unwrap_or_default();
            let mut f = fc.clone();
            match name {
                "from" => f.from = v,
                "to" => f.to = v,
                "tz" => f.tz_minutes = v.parse().unwrap_or(0),
                "vault" => f.vault = v,
                "identity" => f.identity = v,
                "ip" => f.ip = v,
                "operation" => f.operation = v,
                _ => f.outcome = v,
            }
            app::navigate(Tab::Events, &f);
        });
        match kind {
            "vault" => html! { <label>{ label }<select id={format!("f-{name}")} {onchange}>
            <option value="" selected={value.is_empty()}>{ "all" }</option>
            { for r.vaults.iter().map(|v| html!{ <option value={v.clone()} selected={*v == value}>{ v }</option> }) }</select></label> },
            "outcome" => html! { <label>{ label }<select id={format!("f-{name}")} {onchange}>
            <option value="" selected={value.is_empty()}>{ "all" }</option>
            { for ["success", "denied", "not_found", "throttled", "client_error", "server_error"].iter().map(|v| html!{ <option value={*v} selected={*v == value}>{ *v }</option> }) }</select></label> },
            "tz" => {
                let local = -js_sys::Date::new_0().get_timezone_offset() as i32;
                html! { <label>{ label }<select id="f-tz" {onchange}>
                    <option value="0" selected={f.tz_minutes == 0}>{ "UTC" }</option>
                    if local != 0 { <option value={local.to_string()} selected={f.tz_minutes == local}>{ format!("this computer (UTC{:+03}:{:02})", local / 60, (local % 60).abs()) }</option> }
                    if f.tz_minutes != 0 && f.tz_minutes != local { <option value={f.tz_minutes.to_string()} selected=true>{ format!("UTC{:+03}:{:02}", f.tz_minutes / 60, (f.tz_minutes % 60).abs()) }</option> }
                </select></label> }
            }
            _ => {
                html! { <label>{ label }<input id={format!("f-{name}")} type={kind} value={value} {onchange} /></label> }
            }
        }
    };
    let rows: Vec<EventRow> = s
        .events
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let pos = s.events.offset + *i as u64;
            pos >= lo && pos < hi
        })
        .map(|(_, e)| e.clone())
        .collect();
    let clear = Callback::from(|_| app::navigate(Tab::Events, &Filter::default()));
    html! {
        <section id="tab-events">
            <form class="filters" id="filters" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { field("from", "from ", f.from.clone(), "datetime-local") }
                { field("to", "to ", f.to.clone(), "datetime-local") }
                { field("tz", "zone ", String::new(), "tz") }
                { field("vault", "vault ", f.vault.clone(), "vault") }
                { field("identity", "identity ", f.identity.clone(), "search") }
                { field("ip", "IP ", f.ip.clone(), "search") }
                { field("operation", "operation ", f.operation.clone(), "search") }
                { field("outcome", "outcome ", f.outcome.clone(), "outcome") }
                <button type="button" class="button" onclick={clear}>{ "Clear" }</button>
            </form>
            <p id="events-count" data-total={total.to_string()}>{ format!("{} of {} events, newest first (times in UTC; click a row for its raw record)", total, r.records) }</p>
            <div class="vlist" ref={scroller} {onscroll} id="events-scroller">
                <div ref={above} class="spacer"></div>
                { event_table(&rows, "events-table") }
                <div ref={below} class="spacer"></div>
            </div>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------

pub fn files(s: &State) -> Html {
    if s.files.is_empty() {
        return html! { <p class="muted empty">{ "No files read yet." }</p> };
    }
    html! {
        <section id="tab-files">
            <table class="grid" id="files-table">
                <tr><th>{ "file" }</th><th>{ "shape" }</th><th>{ "wrappers" }</th><th>{ "bytes" }</th><th>{ "records" }</th><th>{ "skipped" }</th><th>{ "problems (file:line)" }</th></tr>
                { for s.files.iter().map(|f| html!{ <tr>
                    <td>{ &f.file }</td><td>{ f.shapes.join(", ") }</td><td>{ f.wrappers.join(", ") }</td><td>{ fmt_bytes(f.bytes) }</td>
                    <td>{ f.records }</td><td class={classes!((f.skipped > 0).then_some("hot"))}>{ f.skipped }</td>
                    <td>{ f.error.clone().unwrap_or_default() }{ for f.problems.iter().map(|p| html!{ <div class="pos">{ format!("{}:{}: {}", f.file, p.line, p.reason) }</div> }) }</td>
                </tr> }) }
            </table>
        </section>
    }
}

/// The printable report (hidden on screen, shown by the print stylesheet).
pub fn print_report(s: &State) -> Html {
    let Some(r) = &s.result else {
        return html! {};
    };
    html! {
        <section class="print-report" id="print-report">
            <h1>{ "Keyhole report" }</h1>
            <p>{ format!("{} files · {} records · {} skipped · {} vaults · {} → {} (UTC)", r.files.len(), r.records, r.skipped, r.vaults.len(), opt(&r.first), opt(&r.last)) }</p>
            <h2>{ format!("{} alerts", r.findings.len()) }</h2>
            { for r.findings.iter().map(|f| {
                let t = triage_of(s, f);
                html!{ <div class="p-alert">
                    <h3>{ format!("[{}] {} — {}", f.severity, f.title, f.rule) }</h3>
                    <p>{ &f.reason }</p>
                    <p>{ format!("vault {} · identity {} · IP {} · {} → {} · ×{} · triage {}{}", f.vault.clone().unwrap_or_else(|| "*".into()), f.identity.label(), opt(&f.ip), opt(&f.first_seen), opt(&f.last_seen), f.count, t.state, if t.note.is_empty() { String::new() } else { format!(": {}", t.note) }) }</p>
                </div> }
            }) }
            <h2>{ "Files" }</h2>
            <ul>{ for r.files.iter().map(|f| html!{ <li>{ format!("{}: {} records, {} skipped", f.file, f.records, f.skipped) }</li> }) }</ul>
            <p>{ format!("Generated by Keyhole from {} normalised events; first alert at {}.", r.records, fmt_time(r.agg.start)) }</p>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Settings: threat intel, allow-list, learning period (kept in this browser, applied to the next drop).

#[function_component(SettingsPanel)]
pub fn settings_panel() -> Html {
    let cur = use_state(app::load_settings);
    let saved = use_state(|| false);
    let upd = |f: fn(&mut Settings, String)| {
        let cur = cur.clone();
        let saved = saved.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target()
                .and_then(|t| {
                    t.clone()
                        .dyn_into::<web_sys::HtmlTextAreaElement>()
                        .map(|x| x.value())
                        .ok()
                        .or_else(|| t.dyn_into::<HtmlInputElement>().ok().map(|x| x.value()))
                })
                .unwrap_or_default();
            let mut s = (*cur).clone();
            f(&mut s, v);
            app::save_settings(&s);
            cur.set(s);
            saved.set(true);
        })
    };
    html! {
        <details class="settings" id="settings">
            <summary>{ "Detection settings: threat intel, allow-list, learning period" }</summary>
            <div class="settings-grid">
                <label>{ "TOR exit nodes (added to the bundled snapshot; one IP or CIDR a line, # comments)" }
                    <textarea id="set-tor" value={cur.tor.clone()} onchange={upd(|s, v| s.tor = v)} /></label>
                <label>{ "Threat-intel IPs / CIDRs (KV_SuspiciousIPAccess)" }
                    <textarea id="set-suspicious" value={cur.suspicious.clone()} onchange={upd(|s, v| s.suspicious = v)} /></label>
                <label>{ "Allow-list: principals (upn, object id, app id) and IPs / CIDRs to suppress" }
                    <textarea id="set-allow" value={cur.allow.clone()} onchange={upd(|s, v| s.allow = v)} /></label>
                <label>{ "Portal CSV [Local Time] zone, minutes east of UTC (empty: this computer's zone) " }
                    <input id="set-local-offset" type="number" min="-840" max="840" value={cur.local_offset_minutes.map(|m| m.to_string()).unwrap_or_default()}
                        onchange={upd(|s, v| s.local_offset_minutes = v.trim().parse().ok())} /></label>
                <label>{ "Learning days (each vault's first days only build the baseline) " }
                    <input id="set-learning" type="number" min="1" max="365" value={cur.learning_days.to_string()}
                        onchange={upd(|s, v| s.learning_days = v.parse().unwrap_or(7))} /></label>
            </div>
            if *saved { <p class="muted">{ "Saved in this browser; applies to the next drop." }</p> }
        </details>
    }
}
