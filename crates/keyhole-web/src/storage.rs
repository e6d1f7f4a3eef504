//! What the page keeps in this browser's localStorage: detection settings, triage state and
//! the time-zone choice. Nothing else is stored, and nothing leaves the browser.

use crate::protocol::Settings;
use crate::state::{Triage, Zone};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

const SETTINGS_KEY: &str = "keyhole.settings.v1";
const TRIAGE_KEY: &str = "keyhole.triage.v1";
const ZONE_KEY: &str = "keyhole.zone.v1";
const QUERY_KEY: &str = "keyhole.query.v1";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn load<T: DeserializeOwned + Default>(key: &str) -> T {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn save<T: Serialize>(key: &str, v: &T) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, &serde_json::to_string(v).unwrap_or_default());
    }
}

pub fn load_settings() -> Settings {
    load(SETTINGS_KEY)
}

pub fn save_settings(v: &Settings) {
    save(SETTINGS_KEY, v)
}

pub fn load_triage() -> HashMap<String, Triage> {
    load(TRIAGE_KEY)
}

pub fn save_triage(t: &HashMap<String, Triage>) {
    save(TRIAGE_KEY, t)
}

pub fn load_zone() -> Zone {
    load(ZONE_KEY)
}

pub fn save_zone(z: Zone) {
    save(ZONE_KEY, &z)
}

/// The Query tab's text, kept for this browser tab's session (it survives a new drop and a
/// restarted worker).
pub fn load_query() -> Option<String> {
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .and_then(|s| s.get_item(QUERY_KEY).ok().flatten())
}

pub fn save_query(q: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.set_item(QUERY_KEY, q);
    }
}

/// The triage state of an alert (New when never set).
pub fn triage_of(t: &HashMap<String, Triage>, key: &str) -> Triage {
    t.get(key).cloned().unwrap_or(Triage {
        state: "New".into(),
        note: String::new(),
    })
}

/// Offer text as a file download (a blob: URL, never a request).
pub fn download(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
