//! Times as a reader wants them: `2026-10-13 16:49:47` at a glance, in UTC or this computer's
//! zone (the toggle in the header), with the full precision and both zones on hover.

use crate::context::use_app;
use crate::state::{Action, Zone};
use keyhole_core::time::MICROS_PER_MIN;
use keyhole_core::zone::offset_text;
use keyhole_core::Timestamp;
use yew::prelude::*;

/// Minutes east of UTC of this computer's zone at `micros` (daylight saving included).
pub fn local_offset(micros: i64) -> i32 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((micros / 1000) as f64));
    -(d.get_timezone_offset() as i32)
}

/// The offset a zone uses at `micros`.
pub fn offset(zone: Zone, micros: i64) -> i32 {
    match zone {
        Zone::Utc => 0,
        Zone::Local => local_offset(micros),
    }
}

/// `2026-10-13 16:49:47` of `t` shifted by `minutes` (seconds precision).
pub fn short(t: Timestamp, minutes: i32) -> String {
    let shifted = Timestamp {
        micros: t.micros + minutes as i64 * MICROS_PER_MIN,
        digits: 0,
    };
    let s = shifted.to_rfc3339();
    s.get(..19).map(|x| x.replace('T', " ")).unwrap_or(s)
}

/// `2026-10-13 16:49` (chart axes and buckets).
pub fn minute(t: Timestamp, minutes: i32) -> String {
    let s = short(t, minutes);
    s.get(..16).map(str::to_string).unwrap_or(s)
}

/// RFC 3339 with the input's precision, in the zone (`…Z` for UTC).
pub fn full(t: Timestamp, minutes: i32) -> String {
    let shifted = Timestamp {
        micros: t.micros + minutes as i64 * MICROS_PER_MIN,
        digits: t.digits,
    };
    let s = shifted.to_rfc3339();
    match s.strip_suffix('Z') {
        Some(body) if minutes != 0 => format!("{body}{}", offset_text(minutes)),
        _ => s,
    }
}

/// The zone's name for headers: `UTC` or `UTC+02:00`.
pub fn zone_label(zone: Zone, micros: i64) -> String {
    match zone {
        Zone::Utc => "UTC".into(),
        Zone::Local => keyhole_core::LocalZone::Fixed(local_offset(micros)).name(),
    }
}

#[derive(Properties, PartialEq)]
pub struct TimeProps {
    pub t: Timestamp,
}

/// One time: short in the chosen zone, full precision (UTC and local) on hover.
#[function_component(Time)]
pub fn time(p: &TimeProps) -> Html {
    let zone = use_app().state.zone;
    let m = offset(zone, p.t.micros);
    let title = format!("{} · {}", full(p.t, 0), full(p.t, local_offset(p.t.micros)));
    html! { <time datetime={full(p.t, 0)} {title}>{ short(p.t, m) }</time> }
}

/// UTC / local switch (kept in this browser).
#[function_component(ZoneToggle)]
pub fn zone_toggle() -> Html {
    let app = use_app();
    let zone = app.state.zone;
    let pick = |z: Zone| {
        let state = app.state.clone();
        Callback::from(move |_| {
            crate::storage::save_zone(z);
            state.dispatch(Action::SetZone(z));
        })
    };
    let now = js_sys::Date::now() as i64 * 1000;
    html! {
        <span class="zone" id="zone-toggle" role="group" aria-label="time zone">
            { "Times in " }
            <button class={classes!("button", (zone == Zone::Utc).then_some("on"))} id="zone-utc" onclick={pick(Zone::Utc)}>{ "UTC" }</button>
            <button class={classes!("button", (zone == Zone::Local).then_some("on"))} id="zone-local" onclick={pick(Zone::Local)}>
                { format!("this computer ({})", zone_label(Zone::Local, now)) }</button>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_iso(s).unwrap()
    }

    #[test]
    fn short_and_full_forms() {
        let x = t("2026-10-13T16:49:47.517417Z");
        assert_eq!(short(x, 0), "2026-10-13 16:49:47");
        assert_eq!(minute(x, 0), "2026-10-13 16:49");
        assert_eq!(full(x, 0), "2026-10-13T16:49:47.517417Z");
        assert_eq!(short(x, 120), "2026-10-13 18:49:47");
        assert_eq!(full(x, 120), "2026-10-13T18:49:47.517417+02:00");
        assert_eq!(short(x, -330), "2026-10-13 11:19:47");
        assert_eq!(full(x, -330), "2026-10-13T11:19:47.517417-05:30");
        assert_eq!(short(t("2026-12-31T23:30:00Z"), 60), "2027-01-01 00:30:00");
        assert_eq!(offset_text(0), "Z");
        assert_eq!(offset(Zone::Utc, 0), 0);
    }
}
