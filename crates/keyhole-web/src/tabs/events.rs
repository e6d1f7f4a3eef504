//! The events explorer: every audit event newest first, filtered by time range (in an explicit
//! zone), vault, identity, IP, operation and outcome (the filter lives in the URL), virtualised
//! (only the rows in view exist in the page; the worker filters with the core and pages).

use super::empty;
use crate::components::event_table::EventTable;
use crate::components::shown;
use crate::context::use_app;
use crate::protocol::{EventRow, WorkerCmd, WorkerMsg};
use crate::route::{route_hash, Filter, Tab};
use keyhole_core::export::thousands;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub const ROW_H: f64 = 26.0;
const VIEW_ROWS: u64 = 40;

#[derive(Clone, Debug, Default, PartialEq)]
struct Page {
    /// The filter these rows match.
    filter: Filter,
    total: u64,
    offset: u64,
    rows: Vec<EventRow>,
    loaded: bool,
}

fn set_height(node: &NodeRef, px: f64) {
    if let Some(el) = node.cast::<HtmlElement>() {
        // CSSOM, not a style attribute: allowed by style-src 'self'.
        let _ = el.style().set_property("height", &format!("{px}px"));
    }
}

fn navigate(f: &Filter) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route_hash(Tab::Events, f));
    }
}

#[function_component(Events)]
pub fn events() -> Html {
    let app = use_app();
    let scroller = use_node_ref();
    let above = use_node_ref();
    let below = use_node_ref();
    let first_row = use_state(|| 0u64);
    let page = use_state(Page::default);
    // The latest request; older answers are dropped.
    let latest = use_mut_ref(|| 0u64);
    let filter = app.state.filter.clone();
    let has_result = app.state.result.is_some();
    {
        let bridge = app.bridge.clone();
        let page = page.clone();
        let latest = latest.clone();
        let first = *first_row;
        let cur = (*page).clone();
        use_effect_with((filter.clone(), first), move |(filter, first)| {
            let need_hi = (first + VIEW_ROWS).min(cur.total);
            let have = cur.loaded
                && cur.filter == *filter
                && cur.offset <= *first
                && cur.offset + cur.rows.len() as u64 >= need_hi;
            if has_result && !have {
                let n = *latest.borrow() + 1;
                *latest.borrow_mut() = n;
                let latest = latest.clone();
                let for_filter = filter.clone();
                bridge.request(
                    WorkerCmd::Events {
                        filter: filter.to_event_filter(),
                        offset: first.saturating_sub(100),
                        limit: 300,
                    },
                    Callback::from(move |m| {
                        if let WorkerMsg::Events {
                            total,
                            offset,
                            rows,
                        } = m
                        {
                            if *latest.borrow() == n {
                                page.set(Page {
                                    filter: for_filter.clone(),
                                    total,
                                    offset,
                                    rows,
                                    loaded: true,
                                });
                            }
                        }
                    }),
                );
            }
            || ()
        });
    }
    let total = page.total;
    let lo = (*first_row).min(total);
    let hi = (lo + VIEW_ROWS).min(total);
    let rows: Vec<EventRow> = page
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| (lo..hi).contains(&(page.offset + *i as u64)))
        .map(|(_, e)| e.clone())
        .collect();
    let shown_n = rows.len() as u64;
    {
        let (above, below) = (above.clone(), below.clone());
        use_effect_with((lo, shown_n, total), move |(lo, n, total)| {
            set_height(&above, *lo as f64 * ROW_H);
            set_height(&below, total.saturating_sub(lo + n) as f64 * ROW_H);
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
    let Some(r) = app.state.result.clone() else {
        return empty();
    };
    let f = filter.clone();
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
            f.set(name, v);
            navigate(&f);
        });
        match kind {
            "vault" => html! { <label>{ label }<select id={format!("f-{name}")} {onchange}>
            <option value="" selected={value.is_empty()}>{ "all" }</option>
            { for r.vaults.iter().map(|v| html!{ <option value={v.clone()} selected={*v == value}>{ shown(v) }</option> }) }</select></label> },
            "outcome" => html! { <label>{ label }<select id={format!("f-{name}")} {onchange}>
            <option value="" selected={value.is_empty()}>{ "all" }</option>
            { for ["success", "denied", "not_found", "throttled", "client_error", "server_error"].iter().map(|v| html!{ <option value={*v} selected={*v == value}>{ *v }</option> }) }</select></label> },
            "tz" => {
                let local = -js_sys::Date::new_0().get_timezone_offset() as i32;
                let name = |m: i32| format!("UTC{:+03}:{:02}", m / 60, (m % 60).abs());
                html! { <label>{ label }<select id="f-tz" {onchange}>
                    <option value="0" selected={f.tz_minutes == 0}>{ "UTC" }</option>
                    if local != 0 { <option value={local.to_string()} selected={f.tz_minutes == local}>{ format!("this computer ({})", name(local)) }</option> }
                    if f.tz_minutes != 0 && f.tz_minutes != local { <option value={f.tz_minutes.to_string()} selected=true>{ name(f.tz_minutes) }</option> }
                </select></label> }
            }
            _ => {
                html! { <label>{ label }<input id={format!("f-{name}")} type={kind} value={value} {onchange} /></label> }
            }
        }
    };
    let clear = Callback::from(|_| navigate(&Filter::default()));
    html! {
        <section id="tab-events">
            <form class="filters" id="filters" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { field("from", "from ", f.from.clone(), "datetime-local") }
                { field("to", "to ", f.to.clone(), "datetime-local") }
                { field("tz", "zone of the range ", String::new(), "tz") }
                { field("vault", "vault ", f.vault.clone(), "vault") }
                { field("identity", "identity ", f.identity.clone(), "search") }
                { field("ip", "IP ", f.ip.clone(), "search") }
                { field("operation", "operation ", f.operation.clone(), "search") }
                { field("outcome", "outcome ", f.outcome.clone(), "outcome") }
                <button type="button" class="button" onclick={clear}>{ "Clear" }</button>
            </form>
            <p id="events-count" data-total={total.to_string()}>{ format!("{} of {} events, newest first (click a row for its raw record; the 401 challenge is shown muted)", thousands(total), thousands(r.records)) }</p>
            <div class="vlist" ref={scroller} {onscroll} id="events-scroller">
                <div ref={above} class="spacer"></div>
                <EventTable rows={rows} id="events-table" />
                <div ref={below} class="spacer"></div>
            </div>
        </section>
    }
}
