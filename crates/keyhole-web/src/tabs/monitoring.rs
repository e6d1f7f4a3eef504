//! Monitoring (workbook tab 3): requests, latency (`durationMs`: average, 95th percentile,
//! maximum), failures, denials and throttling over time, for every vault or one, from the core's
//! `Workbook::monitoring`. The SDK's 401 challenge is drawn muted: normal traffic.

use super::empty;
use crate::components::charts::{Series, TimeChart};
use crate::components::shown;
use crate::components::zoom::{zoom_range, ZoomBar};
use crate::context::use_app;
use crate::state::Action;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[function_component(Monitoring)]
pub fn monitoring() -> Html {
    let app = use_app();
    let Some(r) = app.state.result.clone() else {
        return empty();
    };
    if r.workbook_pending {
        return super::pending();
    }
    let wb = &r.workbook;
    let g = &wb.grid;
    let m = &wb.monitoring;
    let sel = app.state.selected_vault.clone();
    let v = sel
        .as_ref()
        .and_then(|s| m.by_vault.iter().find(|x| &x.vault == s));
    let z = zoom_range(g, app.state.chart_range);
    let zstart = g.start.micros + z.0 as i64 * g.bucket_micros();
    let b = g.bucket_micros();
    let on_brush = {
        let state = app.state.clone();
        Some(Callback::from(move |r| {
            state.dispatch(Action::ChartRange(r))
        }))
    };
    let onchange = {
        let state = app.state.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            state.dispatch(Action::SelectVault((!v.is_empty()).then_some(v)));
        })
    };
    let (requests, latency, failures) = match v {
        Some(v) => (
            vec![Series::counts("requests", &v.requests).slice(z)],
            vec![Series::opt("avg ms", &v.latency_avg_ms).slice(z)],
            vec![Series::counts("failed", &v.failed).slice(z)],
        ),
        None => (
            vec![Series::counts("requests", &m.requests).slice(z)],
            vec![
                Series::opt("avg ms", &m.latency_avg_ms).slice(z),
                Series::opt_u("p95 ms", &m.latency_p95_ms).slice(z),
                Series::opt_u("max ms", &m.latency_max_ms).slice(z),
            ],
            vec![
                Series::counts("failed", &m.failed).slice(z),
                Series::counts("denied", &m.denied).slice(z),
                Series::counts("throttled (429)", &m.throttled).slice(z),
                Series::counts("401 challenge (normal traffic)", &m.challenges)
                    .slice(z)
                    .muted(),
            ],
        ),
    };
    html! {
        <section id="tab-monitoring">
            <p><label>{ "vault " }<select id="monitor-vault" {onchange}>
                <option value="" selected={v.is_none()}>{ "all vaults" }</option>
                { for m.by_vault.iter().map(|x| html!{ <option value={x.vault.clone()} selected={sel.as_deref() == Some(x.vault.as_str())}>{ shown(&x.vault) }</option> }) }
            </select></label>
            { format!(" · buckets of {}", if g.bucket_seconds >= 86_400 { "a day" } else { "an hour" }) }</p>
            <ZoomBar />
            <div class="card"><TimeChart id="requests-chart" title="Requests" start={zstart} bucket={b} series={requests} bars=true on_brush={on_brush.clone()} /></div>
            <div class="card"><TimeChart id="latency-chart" title="Latency (durationMs)" start={zstart} bucket={b} series={latency} on_brush={on_brush.clone()} /></div>
            <div class="card"><TimeChart id="failures-chart" title="Failures, denials and throttling" start={zstart} bucket={b} series={failures} {on_brush} /></div>
        </section>
    }
}
