//! The zoom shared by the Analytics and Monitoring charts: brushing one chart zooms all of
//! them; "Show these events" opens the explorer on the same range.

use super::time::{minute, offset};
use crate::context::use_app;
use crate::route::{route_hash, Filter, Tab};
use crate::state::Action;
use keyhole_core::workbook::TimeGrid;
use keyhole_core::Timestamp;
use yew::prelude::*;

/// Buckets `[lo, hi]` of the grid that a brushed range covers (all of them without one).
pub fn zoom_range(g: &TimeGrid, r: Option<(i64, i64)>) -> (usize, usize) {
    let n = g.buckets.max(1);
    let b = g.bucket_micros().max(1);
    match r {
        Some((t0, t1)) => {
            let lo = ((t0 - g.start.micros) / b).clamp(0, n as i64 - 1) as usize;
            let hi = ((t1 - g.start.micros) / b).clamp(lo as i64, n as i64 - 1) as usize;
            (lo, hi)
        }
        None => (0, n - 1),
    }
}

fn at(micros: i64) -> Timestamp {
    Timestamp { micros, digits: 0 }
}

#[function_component(ZoomBar)]
pub fn zoom_bar() -> Html {
    let app = use_app();
    let zone = app.state.zone;
    let Some((t0, t1)) = app.state.chart_range else {
        return html! { <p class="muted">{ "Drag across any chart to zoom all charts into a time range." }</p> };
    };
    let clear = {
        let state = app.state.clone();
        Callback::from(move |_| state.dispatch(Action::ChartRange(None)))
    };
    let events = Callback::from(move |_| {
        // The explorer's filter is in UTC to the minute: the range as the charts drew it.
        let f = Filter {
            from: minute(at(t0), 0).replace(' ', "T"),
            to: minute(at(t1), 0).replace(' ', "T"),
            ..Filter::default()
        };
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(&route_hash(Tab::Events, &f));
        }
    });
    html! {
        <p class="zoom" id="zoom">{ format!("Zoomed to {} → {} ", minute(at(t0), offset(zone, t0)), minute(at(t1), offset(zone, t1))) }
            <button class="button" id="zoom-events" onclick={events}>{ "Show these events" }</button>
            <button class="button" id="zoom-clear" onclick={clear}>{ "Reset zoom" }</button></p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brushed_range_to_buckets() {
        let g = TimeGrid {
            start: Timestamp::parse_iso("2026-10-01T00:00:00Z").unwrap(),
            bucket_seconds: 3600,
            buckets: 48,
        };
        assert_eq!(zoom_range(&g, None), (0, 47));
        let h = 3_600_000_000;
        let s = g.start.micros;
        assert_eq!(zoom_range(&g, Some((s + 2 * h, s + 5 * h - 1))), (2, 4));
        assert_eq!(zoom_range(&g, Some((s - 10 * h, s + 100 * h))), (0, 47));
    }
}
