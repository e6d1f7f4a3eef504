//! Alerts (workbook tab 1): severity tiles, alerts per vault, alerts over time with a brush,
//! the alert list, the selected alert's detail (reason, evidence, entity graph, triage), and
//! the exports. The numbers are the core's (`Workbook::alerts`); the tab keeps only what the
//! user selected.

use super::{empty, ExportButton};
use crate::components::charts::{Series, TimeChart};
use crate::components::entity_graph::EntityGraph;
use crate::components::event_table::EventTable;
use crate::components::shown;
use crate::components::time::Time;
use crate::context::use_app;
use crate::protocol::{
    EventRow, ExportKind, FindingView, ResultView, WorkerCmd, WorkerMsg, SEVERITIES,
};
use crate::state::{Action, Triage};
use crate::storage::{download, save_triage, triage_of};
use keyhole_core::export::thousands;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Which alerts the list shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    pub severity: Option<String>,
    pub vault: Option<String>,
    /// Brushed on the chart (microseconds, inclusive).
    pub range: Option<(i64, i64)>,
}

/// Indices of the findings the selection keeps, highest severity first, then latest first.
pub fn visible(findings: &[FindingView], sel: &Selection) -> Vec<usize> {
    let mut v: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            let f = &findings[i];
            sel.severity.as_ref().is_none_or(|s| &f.severity == s)
                && sel
                    .vault
                    .as_ref()
                    .is_none_or(|v| f.vault.as_deref().unwrap_or("*") == v)
                && sel.range.is_none_or(|(lo, hi)| {
                    let t = f.first_seen.map(|t| t.micros).unwrap_or(0);
                    let u = f.last_seen.map(|t| t.micros).unwrap_or(t);
                    u >= lo && t <= hi
                })
        })
        .collect();
    v.sort_by(|&a, &b| {
        let (fa, fb) = (&findings[a], &findings[b]);
        fb.severity_rank()
            .cmp(&fa.severity_rank())
            .then_with(|| fb.last_seen.cmp(&fa.last_seen))
    });
    v
}

#[function_component(Alerts)]
pub fn alerts() -> Html {
    let app = use_app();
    let sel = use_state(Selection::default);
    let selected = use_state(|| None::<usize>);
    let evidence = use_state(Vec::<EventRow>::new);
    let Some(r) = app.state.result.clone() else {
        return empty();
    };
    let a = &r.workbook.alerts;
    let g = &r.workbook.grid;
    let tiles = SEVERITIES.iter().map(|sev| {
        let on = sel.severity.as_deref() == Some(*sev);
        let sel = sel.clone();
        let sev_s = sev.to_string();
        let onclick = Callback::from(move |_| {
            sel.set(Selection {
                severity: (!on).then(|| sev_s.clone()),
                ..(*sel).clone()
            })
        });
        html! { <button class={classes!("tile", format!("sev-{sev}"), on.then_some("on"))} data-severity={*sev} {onclick}>
            <b>{ thousands(a.severity.get(sev)) }</b><span>{ *sev }</span></button> }
    });
    let on_brush = {
        let sel = sel.clone();
        Callback::from(move |range| {
            sel.set(Selection {
                range,
                ..(*sel).clone()
            })
        })
    };
    let list = visible(&r.findings, &sel);
    let select = {
        let selected = selected.clone();
        let evidence = evidence.clone();
        let bridge = app.bridge.clone();
        let r = r.clone();
        Callback::from(move |i: usize| {
            selected.set(Some(i));
            evidence.set(Vec::new());
            let evidence = evidence.clone();
            bridge.request(
                WorkerCmd::Rows {
                    idx: r.findings[i].evidence_idx.clone(),
                },
                Callback::from(move |m| {
                    if let WorkerMsg::Rows { rows } = m {
                        evidence.set(rows);
                    }
                }),
            );
        })
    };
    html! {
        <section id="tab-alerts" class="tab-alerts">
            { rule_status(&r) }
            <div class="tiles">{ for tiles }</div>
            <div class="row2">
                <div class="card">
                    <h3>{ "Alerts per vault" }</h3>
                    <table class="grid" id="vault-grid">
                        <tr><th>{ "vault" }</th>{ for SEVERITIES.iter().map(|x| html!{ <th>{ *x }</th> }) }</tr>
                        { for a.by_vault.iter().map(|v| {
                            let on = sel.vault.as_deref() == Some(v.vault.as_str());
                            let sel = sel.clone();
                            let vv = v.vault.clone();
                            let onclick = Callback::from(move |_| sel.set(Selection { vault: (!on).then(|| vv.clone()), ..(*sel).clone() }));
                            html!{ <tr class={classes!("pick", on.then_some("on"))} {onclick}><td>{ shown(&v.vault) }</td>
                                { for SEVERITIES.iter().map(|s| { let n = v.severity.get(s); html!{ <td class={classes!(format!("sev-{s}"), (n > 0).then_some("hot"))}>{ n }</td> } }) }</tr> }
                        }) }
                    </table>
                </div>
                <div class="card">
                    <TimeChart id="alerts-chart" title="Alerts over time, by first seen (drag to select, double-click to clear)"
                        start={g.start.micros} bucket={g.bucket_micros()} series={vec![Series::counts("alerts", &a.over_time)]} bars=true
                        on_brush={Some(on_brush)} range={sel.range} />
                </div>
            </div>
            <Exports />
            <div class="row2 alerts-main">
                <ul class="alert-list" id="alert-list">
                    if list.is_empty() { <li class="muted">{ if r.findings.is_empty() { "No alerts." } else { "No alerts match the selection." } }</li> }
                    { for list.iter().map(|&i| {
                        let f = &r.findings[i];
                        let t = triage_of(&app.state.triage, &f.key());
                        let on = *selected == Some(i);
                        let onclick = select.reform(move |_: MouseEvent| i);
                        let onkeydown = {
                            let select = select.clone();
                            Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" || e.key() == " " { e.prevent_default(); select.emit(i) })
                        };
                        html!{
                            <li class={classes!("alert", format!("sev-{}", f.severity), on.then_some("on"))} data-rule={f.rule.clone()} {onclick} {onkeydown} tabindex="0">
                                <span class="sev">{ &f.severity }</span>
                                <b>{ shown(&f.title) }</b>
                                <span class="meta">{ format!("{} · {} · ", shown(f.vault.as_deref().unwrap_or("*")), shown(f.identity.label())) }
                                    if let Some(l) = f.last_seen { <Time t={l} /> }{ format!(" · ×{}", thousands(f.count)) }</span>
                                if let Some(c) = &f.confidence { <span class={classes!("confidence", format!("c-{c}"))} title={f.basis.as_deref().map(shown)}>{ format!("{c} confidence") }</span> }
                                <span class={classes!("triage", format!("t-{}", t.state.to_lowercase()))}>{ &t.state }</span>
                            </li>
                        }
                    }) }
                </ul>
                { match (*selected).and_then(|i| r.findings.get(i)) {
                    Some(f) => html!{ <Detail finding={Rc::new(f.clone())} evidence={(*evidence).clone()} /> },
                    None => html!{ <div class="detail muted">{ "Select an alert to see why it fired, its evidence and the entities involved." }</div> },
                } }
            </div>
        </section>
    }
}

/// Every rule and how it judged this drop (the core's `RuleStatus`: whether it ran, its basis on
/// this drop, what limited it, the last only when the basis does not already say it), opened
/// when a rule did not run or judged with less than it is designed for.
fn rule_status(r: &ResultView) -> Html {
    if r.rules.is_empty() && r.settings_notes.is_empty() {
        return html! {};
    }
    let idle = r.rules.iter().filter(|x| !x.ran).count();
    let limited = r.rules.iter().filter(|x| x.ran && x.note.is_some()).count();
    let summary = format!(
        "{} of {} rules ran on this drop{}{}",
        r.rules.len() - idle,
        r.rules.len(),
        if limited > 0 {
            format!(", {limited} judged with less history than they are designed for")
        } else {
            String::new()
        },
        if r.settings_notes.is_empty() {
            String::new()
        } else {
            format!(" · {}", r.settings_notes.join(" · "))
        }
    );
    let row = |x: &crate::protocol::RuleStatusView| {
        let state = if !x.ran {
            "did not run"
        } else if x.note.is_some() {
            "limited"
        } else {
            "as designed"
        };
        html! {
            <li data-rule={x.rule.clone()} data-state={state}>
                <code>{ &x.rule }</code>
                if !x.title.is_empty() { { format!(" {}", x.title) } }
                if !x.severity.is_empty() { <span class="muted">{ format!(" ({})", x.severity) }</span> }
                { ": " }<span class="judged">{ if x.judged.is_empty() { state.to_string() } else { x.judged.clone() } }</span>
                if let Some(n) = x.note.as_ref().filter(|n| !x.judged.contains(n.as_str())) { <span class="muted note">{ format!(" — {n}") }</span> }
            </li>
        }
    };
    html! {
        <details class="rule-status" id="rule-status" open={idle + limited > 0}>
            <summary>{ summary }</summary>
            <ul>{ for r.rules.iter().map(row) }</ul>
        </details>
    }
}

/// Alert exports (made by keyhole-core in the worker: identical to `keyhole analyze --format …`
/// and `keyhole workbook --format json`), the triage state, and the HTML report.
#[function_component(Exports)]
fn exports_bar() -> Html {
    let app = use_app();
    let triage = {
        let t = app.state.triage.clone();
        Callback::from(move |_| {
            download(
                "keyhole-triage.json",
                "application/json",
                &serde_json::to_string_pretty(&*t).unwrap_or_default(),
            )
        })
    };
    html! {
        <div class="exports" id="exports">
            <span>{ "Export: alerts " }</span>
            <ExportButton id="export-json" label="JSON" kind={ExportKind::AlertsJson} />
            <ExportButton id="export-jsonl" label="JSONL" kind={ExportKind::AlertsJsonl} />
            <ExportButton id="export-csv" label="CSV" kind={ExportKind::AlertsCsv} />
            <button class="button" id="export-triage" onclick={triage}>{ "Triage state" }</button>
            <span>{ " · " }</span>
            <ExportButton id="export-workbook" label="Workbook JSON" kind={ExportKind::Workbook} />
            <ExportButton id="export-report" label="HTML report" kind={ExportKind::Report} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DetailProps {
    finding: Rc<FindingView>,
    evidence: Vec<EventRow>,
}

#[function_component(Detail)]
fn detail(p: &DetailProps) -> Html {
    let app = use_app();
    let f = &p.finding;
    let key = f.key();
    let t = triage_of(&app.state.triage, &key);
    let set = |make: fn(&Triage, String) -> Triage, read: fn(&Event) -> String| {
        let state = app.state.clone();
        let key = key.clone();
        let cur = t.clone();
        Callback::from(move |e: Event| {
            let t = make(&cur, read(&e));
            let mut m = (*state.triage).clone();
            m.insert(key.clone(), t.clone());
            save_triage(&m);
            state.dispatch(Action::SetTriage(key.clone(), t));
        })
    };
    let set_state = set(
        |c, v| Triage {
            state: v,
            note: c.note.clone(),
        },
        |e| e.target_unchecked_into::<HtmlSelectElement>().value(),
    );
    let set_note = set(
        |c, v| Triage {
            state: c.state.clone(),
            note: v,
        },
        |e| {
            e.target_unchecked_into::<web_sys::HtmlTextAreaElement>()
                .value()
        },
    );
    let edges: Vec<(String, String, String, String)> = p
        .evidence
        .iter()
        .map(|e| {
            (
                shown(e.ip.as_deref().unwrap_or("")),
                shown(e.identity.as_deref().unwrap_or("")),
                e.app_id
                    .clone()
                    .filter(|a| Some(a) != e.identity.as_ref())
                    .map(|a| shown(&a))
                    .unwrap_or_default(),
                shown(&e.vault),
            )
        })
        .collect();
    let opt = |s: &Option<String>| shown(s.as_deref().unwrap_or("—"));
    html! {
        <div class="detail" id="alert-detail" data-rule={f.rule.clone()}>
            <h3>{ shown(&f.title) }</h3>
            <p class="rule"><code>{ &f.rule }</code>{ format!(" · {} · {}", f.severity, f.tactics.join(", ")) }</p>
            <p class="reason" id="alert-reason">{ shown(&f.reason) }</p>
            if f.basis.is_some() || f.confidence.is_some() {
                <p class="basis" id="alert-basis">
                    if let Some(b) = &f.basis { <span>{ format!("Basis: {}", shown(b)) }</span> }
                    if let Some(c) = &f.confidence { <span class={classes!("confidence", format!("c-{c}"))}>{ format!("Confidence: {c}") }</span> }
                </p>
            }
            <dl>
                <dt>{ "vault" }</dt><dd>{ opt(&f.vault) }</dd>
                <dt>{ "identity" }</dt><dd>{ format!("{} (object id {}, app id {})", opt(&f.identity.upn), opt(&f.identity.object_id), opt(&f.identity.app_id)) }</dd>
                <dt>{ "IP" }</dt><dd>{ opt(&f.ip) }</dd>
                <dt>{ "first / last" }</dt><dd>
                    if let Some(a) = f.first_seen { <Time t={a} /> }{ " → " }if let Some(b) = f.last_seen { <Time t={b} /> }</dd>
                <dt>{ "events" }</dt><dd>{ thousands(f.count) }</dd>
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
                <pre class="details" id="alert-details">{ shown(&serde_json::to_string_pretty(&f.details).unwrap_or_default()).replace("⟨U+000A⟩", "\n") }</pre>
            }
            <h4>{ format!("Evidence ({} of {} events)", f.evidence_idx.len().max(f.evidence.len()), thousands(f.count)) }</h4>
            <EventTable rows={p.evidence.clone()} id="evidence" />
            if f.evidence_idx.is_empty() && !f.evidence.is_empty() {
                <ul class="refs">{ for f.evidence.iter().map(|e| html!{ <li>{ format!("{}:{}", shown(&e.source), e.line) }</li> }) }</ul>
            }
            <h4>{ "Entities" }</h4>
            <EntityGraph edges={edges} />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::Timestamp;

    fn f(rule: &str, sev: &str, vault: &str, first: &str, last: &str) -> FindingView {
        FindingView {
            rule: rule.into(),
            severity: sev.into(),
            vault: Some(vault.into()),
            first_seen: Timestamp::parse_iso(first),
            last_seen: Timestamp::parse_iso(last),
            ..FindingView::default()
        }
    }

    #[test]
    fn the_list_follows_the_selection_highest_severity_first() {
        let fs = vec![
            f(
                "a",
                "low",
                "kv1",
                "2026-10-01T00:00:00Z",
                "2026-10-01T01:00:00Z",
            ),
            f(
                "b",
                "high",
                "kv2",
                "2026-10-02T00:00:00Z",
                "2026-10-02T00:00:00Z",
            ),
            f(
                "c",
                "high",
                "kv1",
                "2026-10-03T00:00:00Z",
                "2026-10-03T05:00:00Z",
            ),
        ];
        assert_eq!(visible(&fs, &Selection::default()), vec![2, 1, 0]);
        let kv1 = Selection {
            vault: Some("kv1".into()),
            ..Selection::default()
        };
        assert_eq!(visible(&fs, &kv1), vec![2, 0]);
        let high = Selection {
            severity: Some("high".into()),
            ..Selection::default()
        };
        assert_eq!(visible(&fs, &high), vec![2, 1]);
        let t = |s: &str| Timestamp::parse_iso(s).unwrap().micros;
        let range = Selection {
            range: Some((t("2026-10-01T00:30:00Z"), t("2026-10-02T00:00:00Z"))),
            ..Selection::default()
        };
        assert_eq!(visible(&fs, &range), vec![1, 0], "overlapping alerts");
    }
}
