//! The Query tab: KQL over the dropped events (keyhole-kql, run in the worker), Microsoft's Key
//! Vault hunting queries one click away, results as a sortable table and — when the query ends
//! in `render` — as the chart it asks for. Each run replaces what was on screen at once (no
//! result of an earlier run stays as if it were current), and a run whose worker died says so.
//!
//! The replay switch runs the query as Sentinel's scheduler would (`keyhole query --replay`):
//! at every tick of the frequency across the drop, each run seeing the last period, rows with
//! their `ReplayTime`. Workbook parameters (`{KeyVault}`, `{TimeRange:start}`, …) follow the
//! page's vault and time filters (see [`scope`]) and the `NAME=VALUE` lines typed here; the
//! result says what each was bound to.

use super::empty;
use crate::components::kql_editor::KqlEditor;
use crate::components::result_chart::ResultChart;
use crate::components::shown;
use crate::context::use_app;
use crate::protocol::{BoundParam, KqlResult, ParamScope, WorkerCmd, WorkerMsg};
use crate::route::Filter;
use crate::storage::{download, load_query, save_query};
use keyhole_core::export::thousands;
use std::rc::Rc;
use yew::prelude::*;

const DEFAULT_QUERY: &str = "AzureDiagnostics\n| where ResourceProvider == \"MICROSOFT.KEYVAULT\"\n| summarize count() by CallerIPAddress, Resource, OperationName\n| top 20 by count_";

/// What the tab shows for run `n`.
#[derive(Clone, Debug, PartialEq)]
enum Run {
    None,
    /// Run `n`, and for a replay the ticks done of all.
    Running(u64, Option<(u64, u64)>),
    Done(u64, Rc<KqlResult>),
    Failed {
        n: u64,
        message: String,
        span: Option<(usize, usize)>,
        params: Vec<BoundParam>,
    },
}

/// The replay switch and its inputs.
#[derive(Clone, Debug, PartialEq)]
struct ReplayForm {
    on: bool,
    every: String,
    period: String,
}

/// What the query's workbook parameters follow: the Events tab's vault and time filters (the
/// URL's), else the vault picked in Analytics/Monitoring and the charts' zoom; then the
/// `NAME=VALUE` lines typed in the Query tab.
pub fn scope(
    filter: &Filter,
    selected_vault: Option<&str>,
    chart_range: Option<(i64, i64)>,
    typed: &str,
) -> ParamScope {
    let vault = match (filter.vault.trim(), selected_vault) {
        (v, _) if !v.is_empty() => Some((v.to_string(), "the Events tab's vault filter".into())),
        (_, Some(v)) => Some((v.to_string(), "the vault picked in Analytics".into())),
        _ => None,
    };
    let f = filter.to_event_filter();
    let range = if f.from.is_some() || f.to.is_some() {
        Some((f.from, f.to, "the Events tab's time filter".into()))
    } else {
        chart_range.map(|(a, b)| (Some(a), Some(b), "the charts' zoom".into()))
    };
    ParamScope {
        vault,
        range,
        overrides: overrides(typed),
    }
}

/// `NAME=VALUE` lines (blank lines and lines without `=` are skipped).
pub fn overrides(typed: &str) -> Vec<(String, String)> {
    typed
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Orders two result cells: numerically when both are numbers, else as text.
pub fn cmp_cells(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

#[function_component(Query)]
pub fn query() -> Html {
    let app = use_app();
    let text = use_state(|| load_query().unwrap_or_else(|| DEFAULT_QUERY.to_string()));
    let run_state = use_state(|| Run::None);
    let runs = use_mut_ref(|| 0u64);
    // Result ordering: (column, descending), reset by every run.
    let sort = use_state(|| None::<(usize, bool)>);
    // The editor's latest text (Ctrl+Enter runs what is typed, even before a re-render).
    let latest = use_mut_ref(|| (*text).clone());
    let on_input = {
        let text = text.clone();
        let latest = latest.clone();
        Callback::from(move |v: String| {
            save_query(&v);
            *latest.borrow_mut() = v.clone();
            text.set(v);
        })
    };
    let replay = use_state(|| ReplayForm {
        on: false,
        every: "1h".into(),
        period: String::new(),
    });
    let typed = use_state(String::new);
    let scope_now = {
        let st = &app.state;
        scope(
            &st.filter,
            st.selected_vault.as_deref(),
            st.chart_range,
            &typed,
        )
    };
    let run = {
        let bridge = app.bridge.clone();
        let run_state = run_state.clone();
        let sort = sort.clone();
        let latest = latest.clone();
        let replay = (*replay).clone();
        let params = scope_now.clone();
        Callback::from(move |()| {
            let n = *runs.borrow() + 1;
            *runs.borrow_mut() = n;
            sort.set(None);
            run_state.set(Run::Running(n, replay.on.then_some((0, 0))));
            let run_state = run_state.clone();
            let runs = runs.clone();
            let query = latest.borrow().clone();
            let cmd = if replay.on {
                WorkerCmd::Replay {
                    query,
                    every: replay.every.clone(),
                    period: Some(replay.period.clone()).filter(|p| !p.trim().is_empty()),
                    params: params.clone(),
                }
            } else {
                WorkerCmd::Kql {
                    query,
                    params: params.clone(),
                }
            };
            bridge.request(
                cmd,
                Callback::from(move |m| {
                    if *runs.borrow() != n {
                        return;
                    }
                    run_state.set(match m {
                        WorkerMsg::ReplayProgress { done, total } => {
                            Run::Running(n, Some((done, total)))
                        }
                        WorkerMsg::Kql { result } => Run::Done(n, Rc::new(*result)),
                        WorkerMsg::KqlError {
                            message,
                            span,
                            params,
                        } => Run::Failed {
                            n,
                            message,
                            span,
                            params,
                        },
                        WorkerMsg::Error { message } => Run::Failed {
                            n,
                            message,
                            span: None,
                            params: Vec::new(),
                        },
                        _ => return,
                    });
                }),
            );
        })
    };
    // A replay cannot be interrupted inside the worker (it is busy running it): Stop ends that
    // worker and reads the drop again in a new one, as when a worker dies.
    let stop = {
        let bridge = app.bridge.clone();
        Callback::from(move |_: MouseEvent| bridge.restart("you stopped the replay"))
    };
    let replay_controls = {
        let set = |f: fn(&mut ReplayForm, &web_sys::HtmlInputElement)| {
            let replay = replay.clone();
            Callback::from(move |e: Event| {
                let el: web_sys::HtmlInputElement = e.target_unchecked_into();
                let mut r = (*replay).clone();
                f(&mut r, &el);
                replay.set(r);
            })
        };
        let on = set(|r, el| r.on = el.checked());
        let every = set(|r, el| r.every = el.value());
        let period = set(|r, el| r.period = el.value());
        let on_typed = {
            let typed = typed.clone();
            Callback::from(move |e: Event| {
                let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
                typed.set(el.value());
            })
        };
        html! {
            <div class="query-opts">
                <label title="Run the query as a Microsoft Sentinel scheduled rule would, at every tick across the drop (keyhole query --replay)">
                    <input type="checkbox" id="kql-replay" checked={replay.on} onchange={on} />{ " Replay as a scheduled rule" }</label>
                if replay.on {
                    <label>{ " every " }<input id="kql-replay-every" size="5" value={replay.every.clone()} onchange={every}
                        title="queryFrequency: 5m, 1h, 1d…" /></label>
                    <label>{ " over the last " }<input id="kql-replay-period" size="5" value={replay.period.clone()} onchange={period}
                        placeholder="all" title="queryPeriod (empty: everything up to the tick)" /></label>
                }
                <details class="param-input">
                    <summary>{ "Workbook parameters" }</summary>
                    <p class="muted">{ param_scope_text(&scope_now) }</p>
                    <label>{ "NAME=VALUE, one a line (wins over the filters): " }
                        <textarea id="kql-param-values" rows="2" cols="50" spellcheck="false" value={(*typed).clone()} onchange={on_typed} /></label>
                </details>
            </div>
        }
    };
    let pick = {
        let on_input = on_input.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(q) = keyhole_kql::library()
                .iter()
                .find(|q| q.name == sel.value())
            {
                on_input.emit(q.text.to_string());
            }
        })
    };
    if app.state.result.is_none() {
        return empty();
    }
    let error_span = match &*run_state {
        Run::Failed { span, .. } => *span,
        _ => None,
    };
    let result = match &*run_state {
        Run::None => html! {},
        Run::Running(n, None) => {
            html! { <p class="muted" id="kql-running" data-seq={n.to_string()}>{ "Running…" }</p> }
        }
        Run::Running(n, Some((done, total))) => html! {
            <p class="muted" id="kql-running" data-seq={n.to_string()}>
                { if *total == 0 { "Replaying…".to_string() } else { format!("Replaying: tick {} of {} ", thousands(*done), thousands(*total)) } }
                <progress max={total.to_string()} value={done.to_string()} />
                { " " }<button class="button" id="kql-stop" onclick={stop}>{ "Stop" }</button>
            </p>
        },
        Run::Failed {
            n, message, params, ..
        } => html! {
            <>
                <pre class="error" id="kql-error" data-seq={n.to_string()}>{ shown(message).replace("⟨U+000A⟩", "\n") }</pre>
                { bound(params) }
            </>
        },
        Run::Done(n, r) => table(*n, r, &sort),
    };
    let onclick = run.reform(|_: MouseEvent| ());
    html! {
        <section id="tab-hunt">
            <p>
                <label>{ "Library " }<select id="kql-library" onchange={pick}>
                    <option value="" selected=true>{ "— Key Vault hunting queries —" }</option>
                    { for keyhole_kql::library().iter().map(|q| html!{ <option value={q.name} title={q.description}>{ format!("{} ({})", q.title, q.name) }</option> }) }
                </select></label>
                { " Tables: " }{ keyhole_kql::table_names().join(", ") }
            </p>
            <KqlEditor value={(*text).clone()} {on_input} on_run={run} {error_span} />
            <button class="button" id="kql-run" {onclick} title="Ctrl+Enter">{ "Run" }</button>
            <span class="muted">{ " Ctrl+Enter runs the query; Ctrl+Space completes." }</span>
            { replay_controls }
            { result }
        </section>
    }
}

/// What the page's filters and the typed lines bind, in words.
fn param_scope_text(s: &ParamScope) -> String {
    let mut parts = Vec::new();
    if let Some((v, from)) = &s.vault {
        parts.push(format!("{{KeyVault}} follows {from} ({})", shown(v)));
    }
    if let Some((_, _, from)) = &s.range {
        parts.push(format!("{{TimeRange}} follows {from}"));
    }
    if !s.overrides.is_empty() {
        parts.push(format!("{} typed below", s.overrides.len()));
    }
    if parts.is_empty() {
        "No filter is set: parameters take the values a workbook would pick on this drop (every vault, the whole time range)."
            .to_string()
    } else {
        format!(
            "{}; the others take the workbook's defaults on this drop.",
            parts.join("; ")
        )
    }
}

/// The workbook parameters a run used, each with its value and where that came from.
fn bound(params: &[BoundParam]) -> Html {
    if params.is_empty() {
        return html! {};
    }
    html! {
        <table class="grid params" id="kql-params">
            <caption>{ "Workbook parameters" }</caption>
            <tr><th>{ "Parameter" }</th><th>{ "Value" }</th><th>{ "From" }</th></tr>
            { for params.iter().map(|p| html!{
                <tr data-param={p.name.clone()}>
                    <td><code>{ format!("{{{}}}", shown(&p.name)) }</code></td>
                    <td class="value">{ p.value.as_deref().map(shown).unwrap_or_else(|| "— unbound —".into()) }</td>
                    <td>{ shown(&p.source) }</td>
                </tr>
            }) }
        </table>
    }
}

fn table(n: u64, r: &Rc<KqlResult>, sort: &UseStateHandle<Option<(usize, bool)>>) -> Html {
    let mut order: Vec<usize> = (0..r.rows.len()).collect();
    if let Some((col, desc)) = **sort {
        order.sort_by(|&i, &j| {
            let a = r.rows[i].get(col).map(String::as_str).unwrap_or("");
            let b = r.rows[j].get(col).map(String::as_str).unwrap_or("");
            let o = cmp_cells(a, b);
            if desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    let header = |i: usize, name: &String| {
        let handle = sort.clone();
        let onclick = Callback::from(move |_| {
            let desc = matches!(*handle, Some((c, false)) if c == i);
            handle.set(Some((i, desc)));
        });
        let (mark, aria) = match **sort {
            Some((c, false)) if c == i => (" ▲", "ascending"),
            Some((c, true)) if c == i => (" ▼", "descending"),
            _ => ("", "none"),
        };
        html! { <th class="sortable" aria-sort={aria} title="sort" {onclick}>{ shown(name) }{ mark }</th> }
    };
    let csv = r.csv.clone();
    let export = Callback::from(move |_| download("keyhole-query.csv", "text/csv", &csv));
    html! {
        <div id="kql-result" data-seq={n.to_string()}>
            <p class="muted" id="kql-count" data-rows={r.total_rows.to_string()}>
                { format!("{} rows in {:.0} ms{}{}", thousands(r.total_rows), r.millis,
                    if (r.rows.len() as u64) < r.total_rows { format!(" (first {} shown)", thousands(r.rows.len() as u64)) } else { String::new() },
                    r.render.as_ref().map(|x| format!(" · render {x}")).unwrap_or_default()) }
                <button class="button" id="kql-export" onclick={export}>{ "CSV" }</button>
            </p>
            if let Some(x) = &r.replay {
                <p class="muted" id="kql-replayed">{ format!("Replayed every {}{}: {} ticks, {} with rows.", x.every,
                    x.period.as_ref().map(|p| format!(" over the last {p}")).unwrap_or_else(|| " over everything up to each tick".into()),
                    thousands(x.ticks), thousands(x.ticks_with_rows)) }</p>
            }
            if let Some(c) = &r.time_context {
                <p class="muted" id="kql-time-context">{ format!("The {c}.") }</p>
            }
            { bound(&r.params) }
            if let Some(spec) = &r.chart { <div class="card"><ResultChart spec={spec.clone()} /></div> }
            <div class="card"><table class="grid" id="kql-table">
                <tr>{ for r.columns.iter().enumerate().map(|(i, c)| header(i, c)) }</tr>
                { for order.iter().map(|&i| html!{ <tr>{ for r.rows[i].iter().map(|c| html!{ <td>{ shown(c) }</td> }) }</tr> }) }
            </table></div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_follow_the_events_filter_then_the_charts_then_typed_lines() {
        let none = scope(&Filter::default(), None, None, "");
        assert_eq!(none, ParamScope::default());
        // The charts' vault and zoom when the Events filter is empty.
        let s = scope(&Filter::default(), Some("kv-b"), Some((1, 2)), "");
        assert_eq!(s.vault.as_ref().map(|v| v.0.as_str()), Some("kv-b"));
        assert_eq!(
            s.range.as_ref().map(|r| (r.0, r.1)),
            Some((Some(1), Some(2)))
        );
        // The Events filter wins, its time range in UTC.
        let f = Filter {
            vault: "kv-a".into(),
            from: "2026-10-18T04:00".into(),
            tz_minutes: 60,
            ..Filter::default()
        };
        let s = scope(
            &f,
            Some("kv-b"),
            Some((1, 2)),
            "EventCountThreshold = 5\n\nbad line\n =x\nKeyVault='v'",
        );
        assert_eq!(s.vault.unwrap().0, "kv-a");
        let (from, to, src) = s.range.unwrap();
        assert_eq!(
            from,
            Some(
                keyhole_core::Timestamp::parse_iso("2026-10-18T03:00:00Z")
                    .unwrap()
                    .micros
            )
        );
        assert_eq!((to, src.contains("Events")), (None, true));
        assert_eq!(
            s.overrides,
            vec![
                ("EventCountThreshold".to_string(), "5".to_string()),
                ("KeyVault".to_string(), "'v'".to_string())
            ]
        );
    }

    #[test]
    fn cells_sort_numerically_when_both_are_numbers() {
        use std::cmp::Ordering::*;
        assert_eq!(cmp_cells("9", "10"), Less);
        assert_eq!(cmp_cells("-1.5", "2"), Less);
        assert_eq!(cmp_cells("b", "a"), Greater);
        assert_eq!(
            cmp_cells("10", "9x"),
            Less,
            "text order when one is not a number"
        );
    }
}
