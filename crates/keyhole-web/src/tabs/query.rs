//! The Query tab: KQL over the dropped events (keyhole-kql, run in the worker), Microsoft's Key
//! Vault hunting queries one click away, results as a sortable table and — when the query ends
//! in `render` — as the chart it asks for. Each run replaces what was on screen at once (no
//! result of an earlier run stays as if it were current), and a run whose worker died says so.

use super::empty;
use crate::components::kql_editor::KqlEditor;
use crate::components::result_chart::ResultChart;
use crate::components::shown;
use crate::context::use_app;
use crate::protocol::{KqlResult, WorkerCmd, WorkerMsg};
use crate::storage::{download, load_query, save_query};
use keyhole_core::export::thousands;
use std::rc::Rc;
use yew::prelude::*;

const DEFAULT_QUERY: &str = "AzureDiagnostics\n| where ResourceProvider == \"MICROSOFT.KEYVAULT\"\n| summarize count() by CallerIPAddress, Resource, OperationName\n| top 20 by count_";

/// What the tab shows for run `n`.
#[derive(Clone, Debug, PartialEq)]
enum Run {
    None,
    Running(u64),
    Done(u64, Rc<KqlResult>),
    Failed {
        n: u64,
        message: String,
        span: Option<(usize, usize)>,
    },
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
    let run = {
        let bridge = app.bridge.clone();
        let run_state = run_state.clone();
        let sort = sort.clone();
        let latest = latest.clone();
        Callback::from(move |()| {
            let n = *runs.borrow() + 1;
            *runs.borrow_mut() = n;
            sort.set(None);
            run_state.set(Run::Running(n));
            let run_state = run_state.clone();
            let runs = runs.clone();
            bridge.request(
                WorkerCmd::Kql {
                    query: latest.borrow().clone(),
                },
                Callback::from(move |m| {
                    if *runs.borrow() != n {
                        return;
                    }
                    run_state.set(match m {
                        WorkerMsg::Kql { result } => Run::Done(n, Rc::new(*result)),
                        WorkerMsg::KqlError { message, span } => Run::Failed { n, message, span },
                        WorkerMsg::Error { message } => Run::Failed {
                            n,
                            message,
                            span: None,
                        },
                        _ => return,
                    });
                }),
            );
        })
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
        Run::Running(n) => {
            html! { <p class="muted" id="kql-running" data-seq={n.to_string()}>{ "Running…" }</p> }
        }
        Run::Failed { n, message, .. } => {
            html! { <pre class="error" id="kql-error" data-seq={n.to_string()}>{ shown(message).replace("⟨U+000A⟩", "\n") }</pre> }
        }
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
            <span class="muted">{ " Ctrl+Enter runs the query." }</span>
            { result }
        </section>
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
