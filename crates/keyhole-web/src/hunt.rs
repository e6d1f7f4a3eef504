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

/// The query as highlighted text spans (every span a text node). The bytes an error points at
/// carry `k-errpos` (a wavy underline); an error at the very end gets an empty marker there.
fn highlighted(q: &str, err: Option<(usize, usize)>) -> Html {
    // Segments covering the whole query: (range, token class).
    let mut segs: Vec<(std::ops::Range<usize>, &'static str)> = Vec::new();
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
            segs.push((at..r.start, ""));
        }
        at = r.end;
        segs.push((r, class_of(k)));
    }
    if at < q.len() {
        segs.push((at..q.len(), ""));
    }
    let err = err
        .filter(|&(a, b)| a <= b && b <= q.len() && q.is_char_boundary(a) && q.is_char_boundary(b));
    let mut out = Vec::new();
    let mut push = |r: std::ops::Range<usize>, class: &'static str, in_err: bool| {
        if r.is_empty() {
            return;
        }
        let text = &q[r];
        match (class, in_err) {
            ("", false) => out.push(html! { { text } }),
            (c, false) => out.push(html! { <span class={c}>{ text }</span> }),
            (c, true) => out.push(html! { <span class={classes!(c, "k-errpos")}>{ text }</span> }),
        }
    };
    for (r, class) in segs {
        match err {
            Some((a, b)) if a < r.end && b > r.start => {
                let (lo, hi) = (a.max(r.start), b.min(r.end));
                push(r.start..lo, class, false);
                push(lo..hi, class, true);
                push(hi..r.end, class, false);
            }
            _ => push(r, class, false),
        }
    }
    if let Some((a, b)) = err {
        if a == b || a >= q.len() {
            // Nothing to underline (e.g. "expected ')'" at the end): mark the place.
            out.push(
                html! { <span class="k-errpos k-errmark" title="error here">{ "\u{00a0}" }</span> },
            );
        }
    }
    out.into_iter().collect()
}

/// Orders two result cells: numerically when both are numbers, else as text.
fn cmp_cells(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

const DEFAULT_QUERY: &str = "AzureDiagnostics\n| where ResourceProvider == \"MICROSOFT.KEYVAULT\"\n| summarize count() by CallerIPAddress, Resource, OperationName\n| top 20 by count_";

#[function_component(Hunt)]
pub fn hunt(p: &HuntProps) -> Html {
    let s = &*p.state;
    let query = use_state(|| DEFAULT_QUERY.to_string());
    // Result ordering: (column, descending), reset by every new result.
    let sort = use_state(|| None::<(usize, bool)>);
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            query.set(ta.value());
        })
    };
    let run = {
        let query = query.clone();
        let sort = sort.clone();
        Callback::from(move |_| {
            sort.set(None);
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
    let error_span = match s.kql.as_deref() {
        Some(WorkerMsg::Kql { error_span, .. }) => *error_span,
        _ => None,
    };
    if s.result.is_none() {
        return html! { <p class="muted empty">{ "Drop audit logs above, or try the demo data, then hunt with KQL." }</p> };
    }
    let result = match s.kql.as_deref() {
        Some(WorkerMsg::Kql {
            seq,
            columns,
            rows,
            total_rows,
            render,
            csv,
            error,
            millis,
            ..
        }) => {
            let mut order: Vec<usize> = (0..rows.len()).collect();
            if let Some((col, desc)) = *sort {
                order.sort_by(|&i, &j| {
                    let a = rows[i].get(col).map(String::as_str).unwrap_or("");
                    let b = rows[j].get(col).map(String::as_str).unwrap_or("");
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
                let mark = match *sort {
                    Some((c, false)) if c == i => " ▲",
                    Some((c, true)) if c == i => " ▼",
                    _ => "",
                };
                let aria = match *sort {
                    Some((c, false)) if c == i => "ascending",
                    Some((c, true)) if c == i => "descending",
                    _ => "none",
                };
                html! { <th class="sortable" aria-sort={aria} title="sort" {onclick}>{ name }{ mark }</th> }
            };
            if let Some(e) = error {
                html! { <pre class="error" id="kql-error" data-seq={seq.to_string()}>{ e }</pre> }
            } else {
                let csv = csv.clone();
                let export =
                    Callback::from(move |_| app::download("keyhole-query.csv", "text/csv", &csv));
                html! {
                    <div id="kql-result" data-seq={seq.to_string()}>
                        <p class="muted" id="kql-count" data-rows={total_rows.to_string()}>
                            { format!("{total_rows} rows in {millis:.0} ms{}{}", if (rows.len() as u64) < *total_rows { format!(" (first {} shown)", rows.len()) } else { String::new() },
                                render.as_ref().map(|r| format!(" · render {r}")).unwrap_or_default()) }
                            <button class="button" id="kql-export" onclick={export}>{ "CSV" }</button>
                        </p>
                        <div class="card"><table class="grid" id="kql-table">
                            <tr>{ for columns.iter().enumerate().map(|(i, c)| header(i, c)) }</tr>
                            { for order.iter().map(|&i| html!{ <tr>{ for rows[i].iter().map(|c| html!{ <td>{ c }</td> }) }</tr> }) }
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
            <pre class="kql-hl" aria-hidden="true">{ highlighted(&query, error_span) }</pre>
            <button class="button" id="kql-run" onclick={run}>{ "Run" }</button>
            { result }
        </section>
    }
}
