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
                <label>{ "Portal CSV [Local Time] zone, minutes east of UTC (empty: this computer's zone) " }
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
