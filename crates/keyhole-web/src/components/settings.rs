//! Detection settings: threat intel, allow-list, learning period, portal CSV zone (kept in this
//! browser, applied to the next drop).

use crate::protocol::Settings;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[function_component(SettingsPanel)]
pub fn settings_panel() -> Html {
    let cur = use_state(crate::storage::load_settings);
    let saved = use_state(|| false);
    let upd = |f: fn(&mut Settings, String)| {
        let cur = cur.clone();
        let saved = saved.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target()
                .and_then(|t| {
                    t.clone()
                        .dyn_into::<web_sys::HtmlTextAreaElement>()
                        .map(|x| x.value())
                        .ok()
                        .or_else(|| t.dyn_into::<HtmlInputElement>().ok().map(|x| x.value()))
                })
                .unwrap_or_default();
            let mut s = (*cur).clone();
            f(&mut s, v);
            crate::storage::save_settings(&s);
            cur.set(s);
            saved.set(true);
        })
    };
    // what the next drop's [Local Time] columns will be read in, said next to the field
    let here = crate::worker::load::browser_zone()
        .map(|z| format!("empty: this computer's zone, {}", z.name()))
        .unwrap_or_else(|| "empty: this computer's zone".into());
    let typed = cur
        .local_zone
        .as_deref()
        .map(keyhole_core::LocalZone::parse);
    let zone_ok = !matches!(typed, Some(Err(_)));
    let zone_note = match typed {
        Some(Err(e)) => format!(
            " {e}; {} is used",
            crate::worker::load::local_zone(&cur).name()
        ),
        _ => format!(" read in: {}", crate::worker::load::local_zone(&cur).name()),
    };
    html! {
        <details class="settings" id="settings">
            <summary>{ "Detection settings: threat intel, allow-list, learning period" }</summary>
            <div class="settings-grid">
                <label>{ "TOR exit nodes (added to the bundled snapshot; one IP or CIDR a line, # comments)" }
                    <textarea id="set-tor" value={cur.tor.clone()} onchange={upd(|s, v| s.tor = v)} /></label>
                <label>{ "Threat-intel IPs / CIDRs (KV_SuspiciousIPAccess)" }
                    <textarea id="set-suspicious" value={cur.suspicious.clone()} onchange={upd(|s, v| s.suspicious = v)} /></label>
                <label>{ "Allow-list: principals (upn, object id, app id) and IPs / CIDRs to suppress" }
                    <textarea id="set-allow" value={cur.allow.clone()} onchange={upd(|s, v| s.allow = v)} /></label>
                <label>{ "Portal CSV [Local Time] zone: an IANA zone, daylight saving included, or an offset such as +02:00 " }
                    <input id="set-local-zone" type="text" placeholder={here.clone()} value={cur.local_zone.clone().unwrap_or_default()}
                        onchange={upd(|s, v| s.local_zone = Some(v.trim().to_string()).filter(|v| !v.is_empty()))} />
                    <span id="local-zone-used" class={if zone_ok { "muted" } else { "error" }}>{ zone_note }</span></label>
                <label>{ "… or a fixed offset, minutes east of UTC (used when no zone is set above) " }
                    <input id="set-local-offset" type="number" min="-840" max="840" value={cur.local_offset_minutes.map(|m| m.to_string()).unwrap_or_default()}
                        onchange={upd(|s, v| s.local_offset_minutes = v.trim().parse().ok())} /></label>
                <label>{ "Learning days (each vault's first days only build the baseline) " }
                    <input id="set-learning" type="number" min="1" max="365" value={cur.learning_days.to_string()}
                        onchange={upd(|s, v| s.learning_days = v.parse().unwrap_or(7))} /></label>
            </div>
            if *saved { <p class="muted">{ "Saved in this browser; applies to the next drop." }</p> }
        </details>
    }
}
