//! Analytics (workbook tab 2): coverage and the daily anomaly score per vault, activity,
//! secrets / keys / certificates operations by users and services, top lists for all and
//! failed events, callers, failures, sensitive operations and mass retrieval. Every number is
//! the core's `Workbook`; the tab draws it and keeps the mass-retrieval controls.

use super::{empty, ExportButton};
use crate::components::charts::{Bar, BarList, Series, Sparkline, TimeChart};
use crate::components::shown;
use crate::components::time::Time;
use crate::components::zoom::{zoom_range, ZoomBar};
use crate::context::use_app;
use crate::protocol::{ExportKind, WorkerCmd, WorkerMsg};
use crate::route::{route_hash, Filter, Tab};
use crate::state::{Action, RawRecord};
use keyhole_core::export::thousands;
use keyhole_core::workbook::{Count, Dimension, MassRetrieval, Workbook, WorkbookOptions};
use web_sys::HtmlInputElement;
use yew::prelude::*;

fn score(s: Option<f64>) -> String {
    s.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
}

fn bars(rows: &[Count], failed: bool) -> Vec<Bar> {
    rows.iter()
        .map(|c| Bar {
            key: c.key.clone(),
            n: if failed { c.failed } else { c.events },
        })
        .collect()
}

fn dim_id(d: Dimension) -> &'static str {
    match d {
        Dimension::Vault => "vault",
        Dimension::CallerIp => "ip",
        Dimension::Identity => "identity",
        Dimension::Operation => "operation",
    }
}

fn go_events(f: Filter) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route_hash(Tab::Events, &f));
    }
}

#[function_component(Analytics)]
pub fn analytics() -> Html {
    let app = use_app();
    let Some(r) = app.state.result.clone() else {
        return empty();
    };
    if r.workbook_pending {
        return super::pending();
    }
    let wb = &r.workbook;
    let g = &wb.grid;
    let sel = app.state.selected_vault.clone();
    let z = zoom_range(g, app.state.chart_range);
    let zstart = g.start.micros + z.0 as i64 * g.bucket_micros();
    let on_brush = {
        let state = app.state.clone();
        Some(Callback::from(move |r| {
            state.dispatch(Action::ChartRange(r))
        }))
    };
    let m = &wb.monitoring;
    let vault_series = sel
        .as_ref()
        .and_then(|v| m.by_vault.iter().find(|s| &s.vault == v));
    let activity = match vault_series {
        Some(v) => vec![
            Series::counts(&format!("{} requests", shown(&v.vault)), &v.requests).slice(z),
            Series::counts("failed", &v.failed).slice(z),
        ],
        None => vec![
            Series::counts("requests", &m.requests).slice(z),
            Series::counts("failed", &m.failed).slice(z),
        ],
    };
    let o = &wb.object_ops;
    let objects: Vec<Series> = [
        ("secrets · users", &o.secret_users),
        ("secrets · services", &o.secret_services),
        ("keys · users", &o.key_users),
        ("keys · services", &o.key_services),
        ("certificates · users", &o.certificate_users),
        ("certificates · services", &o.certificate_services),
    ]
    .iter()
    .map(|(l, v)| Series::counts(l, v).slice(z))
    .collect();
    let pick_vault = Callback::from(|v: String| {
        go_events(Filter {
            vault: v,
            ..Filter::default()
        })
    });
    html! {
        <section id="tab-analytics">
            { coverage(wb, sel.as_deref(), &app.state) }
            <ZoomBar />
            <div class="card"><TimeChart id="activity-chart" title={format!("Activity{}", sel.as_ref().map(|v| format!(" — {}", shown(v))).unwrap_or_default())}
                start={zstart} bucket={g.bucket_micros()} series={activity} on_brush={on_brush.clone()} /></div>
            if sel.is_some() && vault_series.is_none() {
                <p class="muted">{ format!("Series are kept for the {} busiest vaults; this one is not among them: the chart shows every vault.", m.by_vault.len()) }</p>
            }
            <div class="card"><TimeChart id="dataplane-chart" title="Secrets / keys / certificates operations, users vs services" start={zstart} bucket={g.bucket_micros()} series={objects} {on_brush} /></div>
            <div class="card"><h3>{ "Events by vault, caller IP, identity, operation" }</h3>
                <div class="bars">{ for wb.top.iter().map(|p| {
                    let on_pick = (p.dimension == Dimension::Vault).then(|| pick_vault.clone());
                    html!{ <BarList id={format!("top-all-{}", dim_id(p.dimension))} title={format!("all · {} ({} distinct)", p.dimension.label(), thousands(p.distinct))} rows={bars(&p.all, false)} {on_pick} /> }
                }) }</div>
            </div>
            <div class="card"><h3>{ "Failed events (the 401 authentication challenge excluded)" }</h3>
                <div class="bars">{ for wb.top.iter().map(|p| html!{
                    <BarList id={format!("top-failed-{}", dim_id(p.dimension))} title={format!("failed · {} ({} distinct)", p.dimension.label(), thousands(p.distinct_failed))} rows={bars(&p.failed, true)} />
                }) }</div>
            </div>
            <div class="row2">
                <div class="card"><h3>{ format!("Callers by IP × vault ({})", thousands(wb.callers.total)) }</h3>
                    <table class="grid" id="callers">
                        <tr><th>{ "caller IP" }</th><th>{ "vault" }</th><th>{ "events" }</th><th>{ "failed" }</th><th>{ "identities" }</th></tr>
                        { for wb.callers.rows.iter().take(200).map(|c| html!{ <tr><td>{ shown(&c.ip) }</td><td>{ shown(&c.vault) }</td>
                            <td>{ thousands(c.events) }</td><td>{ thousands(c.failed) }</td><td>{ shown(&c.identities.join(", ")) }</td></tr> }) }
                    </table></div>
                <div class="card"><h3>{ format!("Failures by request URI × result × status ({})", thousands(wb.failures.total)) }</h3>
                    <table class="grid" id="failures">
                        <tr><th>{ "request URI" }</th><th>{ "result signature" }</th><th>{ "status" }</th><th>{ "events" }</th></tr>
                        { for wb.failures.rows.iter().take(200).map(|f| html!{ <tr><td>{ shown(&f.request_uri) }</td><td>{ shown(&f.result_signature) }</td>
                            <td>{ f.status.map(|s| s.to_string()).unwrap_or_default() }</td><td>{ thousands(f.events) }</td></tr> }) }
                    </table></div>
            </div>
            { sensitive(wb, &app) }
            <Mass initial={wb.mass_retrieval.clone()} />
        </section>
    }
}

fn coverage(
    wb: &Workbook,
    sel: Option<&str>,
    state: &UseReducerHandle<crate::state::State>,
) -> Html {
    let c = &wb.coverage;
    html! {
        <div class="card">
            <h3>{ format!("Coverage and daily anomaly score per vault ({} vaults; click a vault to drive the charts)", thousands(c.total)) }</h3>
            <table class="grid" id="anomaly-grid">
                <tr><th>{ "vault" }</th><th>{ "first" }</th><th>{ "last" }</th><th>{ "events" }</th><th>{ "failed" }</th><th>{ "principals" }</th>
                    <th>{ "caller IPs" }</th><th>{ "days with data" }</th><th>{ "missing days" }</th><th>{ "active hours" }</th>
                    <th>{ "daily events" }</th><th>{ "anomaly score" }</th><th>{ "latest" }</th><th>{ "max" }</th></tr>
                { for c.rows.iter().map(|v| {
                    let name = v.vault.clone();
                    let on = sel == Some(v.vault.as_str());
                    let state = state.clone();
                    let onclick = Callback::from(move |_| state.dispatch(Action::SelectVault((!on).then(|| name.clone()))));
                    let daily: Vec<f64> = v.daily.iter().map(|d| d.events as f64).collect();
                    let scores: Vec<f64> = v.daily.iter().map(|d| d.score.unwrap_or(0.0)).collect();
                    let hot = |s: Option<f64>| s.is_some_and(|x| x.abs() > 3.0).then_some("hot");
                    html!{ <tr class={classes!("pick", on.then_some("on"))} data-vault={v.vault.clone()} {onclick}>
                        <td>{ shown(&v.vault) }</td><td><Time t={v.first} /></td><td><Time t={v.last} /></td>
                        <td>{ thousands(v.events) }</td><td>{ thousands(v.failed) }</td><td>{ thousands(v.principals) }</td>
                        <td>{ thousands(v.caller_ips) }</td><td>{ v.days_with_data }</td><td>{ v.missing_days }</td>
                        <td>{ format!("{} / {}", v.hours_with_data, v.span_hours) }</td>
                        <td><Sparkline values={daily} title={v.daily.iter().map(|d| format!("{}: {}", d.date, d.events)).collect::<Vec<_>>().join(", ")} /></td>
                        <td><Sparkline values={scores} class="score" title={v.daily.iter().map(|d| format!("{}: {}", d.date, score(d.score))).collect::<Vec<_>>().join(", ")} /></td>
                        <td class={classes!(hot(v.latest_score))}>{ score(v.latest_score) }</td>
                        <td class={classes!(hot(v.max_score))}>{ score(v.max_score) }</td></tr> }
                }) }
            </table>
            if (c.rows.len() as u64) < c.total { <p class="muted">{ format!("first {} of {} vaults (by name)", c.rows.len(), thousands(c.total)) }</p> }
        </div>
    }
}

fn sensitive(wb: &Workbook, app: &crate::context::AppContext) -> Html {
    let s = &wb.sensitive;
    let open = |idx: usize| {
        let state = app.state.clone();
        let bridge = app.bridge.clone();
        Callback::from(move |_| {
            let state = state.clone();
            bridge.request(
                WorkerCmd::Raw { idx: idx as u32 },
                Callback::from(move |m| {
                    if let WorkerMsg::Raw {
                        idx,
                        text,
                        normalised,
                    } = m
                    {
                        state.dispatch(Action::ShowRaw(RawRecord {
                            idx,
                            text,
                            normalised,
                        }))
                    }
                }),
            );
        })
    };
    html! {
        <div class="card"><h3>{ format!("Sensitive operations: {} attempts, {} succeeded (deletes, purges, backups, SecretListDeleted, vault deletes)", thousands(s.total), thousands(s.succeeded)) }</h3>
            <table class="events" id="sensitive">
                <tr><th>{ "time" }</th><th>{ "vault" }</th><th>{ "operation" }</th><th>{ "object" }</th><th>{ "identity" }</th><th>{ "IP" }</th><th>{ "status" }</th></tr>
                { for s.rows.iter().take(200).map(|x| html!{
                    <tr class={classes!("ev", format!("o-{}", x.outcome))} data-idx={x.event.to_string()} onclick={open(x.event)}>
                        <td><Time t={x.time} /></td><td>{ shown(&x.vault) }</td><td>{ shown(&x.operation) }</td>
                        <td>{ shown(x.object.as_deref().unwrap_or("")) }</td><td>{ shown(&x.identity) }</td><td>{ shown(&x.ip) }</td>
                        <td>{ x.status.map(|s| s.to_string()).unwrap_or_default() }</td></tr> }) }
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct MassProps {
    initial: MassRetrieval,
}

fn number(id: &str, default: u64) -> u64 {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(e).ok())
        .and_then(|i| i.value().trim().parse().ok())
        .unwrap_or(default)
}

/// Mass retrieval with the user's own threshold and period (the worker asks the core).
#[function_component(Mass)]
fn mass(p: &MassProps) -> Html {
    let app = use_app();
    let panel = use_state(|| p.initial.clone());
    let run = {
        let panel = panel.clone();
        let bridge = app.bridge.clone();
        Callback::from(move |_| {
            let panel = panel.clone();
            bridge.request(
                WorkerCmd::Mass {
                    threshold: number("mass-threshold", 1000),
                    hours: number("mass-hours", 24),
                },
                Callback::from(move |m| {
                    if let WorkerMsg::Mass { panel: p } = m {
                        panel.set(p);
                    }
                }),
            );
        })
    };
    let options = WorkbookOptions {
        mass_threshold: panel.threshold,
        mass_period_hours: panel.period_hours,
        ..WorkbookOptions::default()
    };
    html! {
        <div class="card" id="mass">
            <h3>{ "Mass secret retrieval (successful Get / Backup of named secrets, keys, certificates)" }</h3>
            <label>{ "at least " }<input id="mass-threshold" type="number" min="1" value={panel.threshold.to_string()} /></label>
            <label>{ " reads in " }<input id="mass-hours" type="number" min="1" value={panel.period_hours.to_string()} />{ " hours " }</label>
            <button class="button" id="mass-run" onclick={run}>{ "Show" }</button>
            <ExportButton id="mass-export-workbook" label="Workbook JSON with these settings" kind={ExportKind::Workbook} {options} />
            <table class="grid" id="mass-table" data-threshold={panel.threshold.to_string()} data-hours={panel.period_hours.to_string()}>
                <tr><th>{ "identity" }</th><th>{ "vault" }</th><th>{ "period start" }</th><th>{ "reads" }</th><th>{ "distinct objects" }</th></tr>
                if panel.rows.is_empty() { <tr><td colspan="5" class="muted">{ "no principal reached the threshold" }</td></tr> }
                { for panel.rows.iter().map(|m| html!{ <tr><td>{ shown(&m.identity) }</td><td>{ shown(&m.vault) }</td><td><Time t={m.period_start} /></td>
                    <td>{ thousands(m.reads) }</td><td>{ thousands(m.distinct_objects) }</td></tr> }) }
            </table>
            if (panel.rows.len() as u64) < panel.total { <p class="muted">{ format!("first {} of {}", panel.rows.len(), thousands(panel.total)) }</p> }
        </div>
    }
}
