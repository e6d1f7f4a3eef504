//! The drop zone: files and folders dropped or picked (folders walked by `web/drop.js`), and
//! "Try with demo data". It only collects File objects; reading happens in the worker.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

/// Files with their relative paths.
pub type Picked = Vec<(File, String)>;

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    pub on_files: Callback<Picked>,
    pub on_demo: Callback<()>,
    pub busy: bool,
}

/// Files of a drop, folders walked (webkitGetAsEntry, in drop.js), with their relative paths.
async fn collect_drop(dt: web_sys::DataTransfer) -> Picked {
    let mut out = Vec::new();
    let f = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"keyholeCollectDrop".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(p) = f
        .and_then(|f| f.call1(&JsValue::NULL, &dt).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    {
        if let Ok(v) = wasm_bindgen_futures::JsFuture::from(p).await {
            let arr: js_sys::Array = v.dyn_into().unwrap_or_default();
            for pair in arr.iter() {
                let pair: js_sys::Array = pair.dyn_into().unwrap_or_default();
                if let (Ok(file), Some(path)) =
                    (pair.get(0).dyn_into::<File>(), pair.get(1).as_string())
                {
                    out.push((file, path));
                }
            }
            return out;
        }
    }
    if let Some(list) = dt.files() {
        for i in 0..list.length() {
            if let Some(f) = list.get(i) {
                let name = f.name();
                out.push((f, name));
            }
        }
    }
    out
}

fn input_files(input: &HtmlInputElement) -> Picked {
    let mut out = Vec::new();
    if let Some(list) = input.files() {
        for i in 0..list.length() {
            if let Some(f) = list.get(i) {
                let rel = js_sys::Reflect::get(&f, &"webkitRelativePath".into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| f.name());
                out.push((f, rel));
            }
        }
    }
    out
}

#[function_component(DropZone)]
pub fn drop_zone(p: &DropZoneProps) -> Html {
    let dragging = use_state(|| false);
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let dragging = dragging.clone();
        let on_files = p.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(dt) = e.data_transfer() {
                let on_files = on_files.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    on_files.emit(collect_drop(dt).await);
                });
            }
        })
    };
    let onpick = {
        let on_files = p.on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_files.emit(input_files(&input));
            input.set_value("");
        })
    };
    let ondemo = p.on_demo.reform(|_: MouseEvent| ());
    html! {
        <section id="dropzone" class={classes!("drop", (*dragging).then_some("over"))} {ondragover} {ondragleave} {ondrop}>
            <p>{ "Drop Key Vault audit logs here: files, folders, .zip or .gz; raw diagnostic records, AzureDiagnostics or AZKVAuditLogs exports, portal CSV." }</p>
            <label class="button">{ "Choose files…" }<input id="file-input" type="file" multiple=true onchange={onpick.clone()} /></label>
            <label class="button">{ "Choose a folder…" }<input id="folder-input" type="file" multiple=true webkitdirectory=true onchange={onpick} /></label>
            <button id="demo" class="button" onclick={ondemo} disabled={p.busy}>{ "Try with demo data" }</button>
        </section>
    }
}
