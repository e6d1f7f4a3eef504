//! Hunt tab: KQL over the dropped events (keyhole-kql, run in the worker), with the library of
//! Microsoft's Key Vault hunting queries one click away. Results are text cells, never HTML.

use crate::app::{self, State};
use crate::model::{WorkerCmd, WorkerMsg};
use keyhole_kql::TokenKind;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HuntProps {
    pub state: UseReducerHandle<State>,
}

fn class_of(k: TokenKind) -> &'static str {
    match k {
        TokenKind::Keyword => "k-kw",
        TokenKind::Operator => "k-op",
        TokenKind::Function => "k-fn",
        TokenKind::Identifier => "k-id",
        TokenKind::String => "k-str",
        TokenKind::Number | TokenKind::TimeSpan => "k-num",
        TokenKind::Comment => "k-com",
        TokenKind::Punctuation => "k-p",
        TokenKind::Error => "k-err",
    }
}

/// The query as highlighted text spans (every span a text node).
fn highlighted(q: &str) -> Html {
    let mut out = Vec::new();
    let mut at = 0;
    for (r, k) in keyhole_kql::highlight(q) {
        if r.start < at
            || r.end > q.len()
            || !q.is_char_boundary(r.start)
            || !q.is_char_boundary(r.end)
        {
            continue;
        }
        if r.start > at {
            out.push(html! { { &q[at..r.start] } });
        }
        out.push(html! { <span class={class_of(k)}>{ &q[r.clone()] }</span> });
        at = r.end;
    }
    if at < q.len() {
        out.push(html! { { &q[at..] } });
    }
    out.into_iter().collect()
}

const DEFAULT_QUERY: &str = "AzureDiagnostics\n| where ResourceProvider == \"MICROSOFT.KEYVAULT\"\n| summarize count() by CallerIPAddress, Resource, OperationName\n| top 20 by count_";

#[function_component(Hunt)]
pub fn hunt(p: &HuntProps) -> Html {
    let s = &*p.state;
    let query = use_state(|| DEFAULT_QUERY.to_string());
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            query.set(ta.value());
        })
    };
    let run = {
        let query = query.clone();
        Callback::from(move |_| {
            app::send(&WorkerCmd::Kql {
                seq: app::next_seq(),
                query: (*query).clone(),
            })
        })
    };
    let pick = {
        let query = query.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(q) = keyhole_kql::library()
                .iter()
                .find(|q| q.name == sel.value())
            {
                query.set(q.text.to_string());
            }
        })
    };
    if s.result.is_none() {
        return html! { <p class="muted empty">{ "Drop audit logs above, or try the demo data, then hunt with KQL." }</p> };
    }
    let result = match s.kql.as_deref() {
        Some(WorkerMsg::Kql {
            columns,
            rows,
            total_rows,
            render,
            csv,
            error,
            millis,
            ..
        }) => {
            if let Some(e) = error {
                html! { <pre class="error" id="kql-error">{ e }</pre> }
            } else {
                let csv = csv.clone();
                let export =
                    Callback::from(move |_| app::download("keyhole-query.csv", "text/csv", &csv));
                html! {
                    <div id="kql-result">
                        <p class="muted" id="kql-count" data-rows={total_rows.to_string()}>
                            { format!("{total_rows} rows in {millis:.0} ms{}{}", if (rows.len() as u64) < *total_rows { format!(" (first {} shown)", rows.len()) } else { String::new() },
                                render.as_ref().map(|r| format!(" · render {r}")).unwrap_or_default()) }
                            <button class="button" id="kql-export" onclick={export}>{ "CSV" }</button>
                        </p>
                        <div class="card"><table class="grid" id="kql-table">
                            <tr>{ for columns.iter().map(|c| html!{ <th>{ c }</th> }) }</tr>
                            { for rows.iter().map(|r| html!{ <tr>{ for r.iter().map(|c| html!{ <td>{ c }</td> }) }</tr> }) }
                        </table></div>
                    </div>
                }
            }
        }
        _ => html! {},
    };
    html! {
        <section id="tab-hunt">
            <p>
                <label>{ "Library " }<select id="kql-library" onchange={pick}>
                    <option value="" selected=true>{ "— Key Vault hunting queries —" }</option>
                    { for keyhole_kql::library().iter().map(|q| html!{ <option value={q.name} title={q.description}>{ format!("{} ({})", q.title, q.name) }</option> }) }
                </select></label>
                { " Tables: " }{ keyhole_kql::table_names().join(", ") }
            </p>
            <textarea id="kql-query" class="kql" spellcheck="false" value={(*query).clone()} {oninput} />
            <pre class="kql-hl" aria-hidden="true">{ highlighted(&query) }</pre>
            <button class="button" id="kql-run" onclick={run}>{ "Run" }</button>
            { result }
        </section>
    }
}
