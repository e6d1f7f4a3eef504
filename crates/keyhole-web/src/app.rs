//! The page: state (a reducer, as Yew's todomvc), the worker link, drop/pick, routing in the URL
//! hash, and the top-level layout. Tabs live in `tabs.rs`.

use crate::model::*;
use crate::tabs;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement, MessageEvent, Worker};
use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Alerts,
    Analytics,
    Monitoring,
    Events,
    Hunt,
    Files,
}

impl Tab {
    pub fn slug(self) -> &'static str {
        match self {
            Tab::Alerts => "alerts",
            Tab::Analytics => "analytics",
            Tab::Monitoring => "monitoring",
            Tab::Events => "events",
            Tab::Hunt => "hunt",
            Tab::Files => "files",
        }
    }
    pub const ALL: [Tab; 6] = [
        Tab::Alerts,
        Tab::Analytics,
        Tab::Monitoring,
        Tab::Events,
        Tab::Hunt,
        Tab::Files,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Alerts => "Alerts",
            Tab::Analytics => "Analytics",
            Tab::Monitoring => "Monitoring",
            Tab::Events => "Events",
            Tab::Hunt => "Hunt (KQL)",
            Tab::Files => "Files",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Running,
    Done,
    Failed,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Triage {
    pub state: String,
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventsPage {
    pub seq: u64,
    pub total: u64,
    pub offset: u64,
    pub rows: Vec<EventRow>,
    pub loaded: bool,
}

#[derive(Clone, PartialEq)]
pub struct State {
    pub phase: Phase,
    pub progress: Option<WorkerMsg>,
    pub files: Vec<FileView>,
    pub result: Option<Rc<ResultView>>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub tab: Tab,
    pub filter: Filter,
    pub selected: Option<usize>,
    pub evidence: Vec<EventRow>,
    pub raw: Option<(u32, String, String)>,
    pub events: EventsPage,
    pub mass: Option<Vec<MassRow>>,
    pub triage: Rc<HashMap<String, Triage>>,
    pub alert_range: Option<(i64, i64)>,
    pub sev_filter: Option<String>,
    pub vault_filter: Option<String>,
    pub selected_vault: Option<String>,
    pub kql: Option<Rc<WorkerMsg>>,
    pub chart_range: Option<(i64, i64)>,
    pub started_at: f64,
    pub first_alerts_ms: Option<f64>,
}

pub enum Action {
    Worker(WorkerMsg),
    Started { notice: Option<String> },
    Cancelled,
    WorkerDied(String),
    Route(Tab, Filter),
    Select(Option<usize>),
    CloseRaw,
    SetTriage(String, Triage),
    AlertRange(Option<(i64, i64)>),
    SevFilter(Option<String>),
    VaultFilter(Option<String>),
    SelectVault(Option<String>),
    ChartRange(Option<(i64, i64)>),
    Error(String),
}

const TRIAGE_KEY: &str = "keyhole.triage.v1";
const SETTINGS_KEY: &str = "keyhole.settings.v1";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

pub fn load_settings() -> Settings {
    storage()
        .and_then(|s| s.get_item(SETTINGS_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn save_settings(v: &Settings) {
    if let Some(s) = storage() {
        let _ = s.set_item(SETTINGS_KEY, &serde_json::to_string(v).unwrap_or_default());
    }
}

fn load_triage() -> HashMap<String, Triage> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(TRIAGE_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn save_triage(t: &HashMap<String, Triage>) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(TRIAGE_KEY, &serde_json::to_string(t).unwrap_or_default());
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Default for State {
    fn default() -> Self {
        let (tab, filter) = read_route();
        State {
            phase: Phase::Idle,
            progress: None,
            files: Vec::new(),
            result: None,
            error: None,
            notice: None,
            tab,
            filter,
            selected: None,
            evidence: Vec::new(),
            raw: None,
            events: EventsPage::default(),
            mass: None,
            triage: Rc::new(load_triage()),
            alert_range: None,
            sev_filter: None,
            vault_filter: None,
            selected_vault: None,
            kql: None,
            chart_range: None,
            started_at: 0.0,
            first_alerts_ms: None,
        }
    }
}

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Worker(msg) => match msg {
                WorkerMsg::Ready => {}
                p @ WorkerMsg::Progress { .. } => s.progress = Some(p),
                WorkerMsg::FileDone { report } => s.files.push(report),
                WorkerMsg::Done { result } => {
                    s.phase = Phase::Done;
                    s.first_alerts_ms = Some(now_ms() - s.started_at);
                    s.files = result.files.clone();
                    s.result = Some(Rc::new(*result));
                    s.selected = None;
                    s.evidence.clear();
                    s.events = EventsPage::default();
                    s.mass = None;
                }
                WorkerMsg::Events {
                    seq,
                    total,
                    offset,
                    rows,
                } => {
                    if seq >= s.events.seq {
                        s.events = EventsPage {
                            seq,
                            total,
                            offset,
                            rows,
                            loaded: true,
                        };
                    }
                }
                WorkerMsg::Rows { seq, rows } => {
                    if seq == EVIDENCE_SEQ.with(|c| c.get()) {
                        s.evidence = rows;
                    }
                }
                WorkerMsg::Raw {
                    idx,
                    text,
                    normalised,
                } => s.raw = Some((idx, text, normalised)),
                WorkerMsg::Mass { rows } => s.mass = Some(rows),
                k @ WorkerMsg::Kql { .. } => s.kql = Some(Rc::new(k)),
                WorkerMsg::Error { message } => {
                    if s.phase == Phase::Running {
                        s.phase = Phase::Failed;
                    }
                    s.error = Some(message);
                }
            },
            Action::Started { notice } => {
                s.phase = Phase::Running;
                s.progress = None;
                s.files.clear();
                s.result = None;
                s.error = None;
                s.notice = notice;
                s.selected = None;
                s.raw = None;
                s.started_at = now_ms();
                s.first_alerts_ms = None;
                s.alert_range = None;
                s.sev_filter = None;
                s.vault_filter = None;
                s.selected_vault = None;
                s.chart_range = None;
                s.kql = None;
            }
            Action::Cancelled => {
                s.phase = Phase::Idle;
                s.progress = None;
                s.error = Some("Cancelled. Nothing was kept from the cancelled drop.".into());
            }
            Action::WorkerDied(why) => {
                let at = match &s.progress {
                    Some(WorkerMsg::Progress {
                        file,
                        bytes_done,
                        bytes_total,
                        ..
                    }) => format!(
                        " while reading {file} ({} of {})",
                        tabs::fmt_bytes(*bytes_done),
                        tabs::fmt_bytes(*bytes_total)
                    ),
                    _ => String::new(),
                };
                if why.contains("importScripts") || why.contains("NetworkError") {
                    s.phase = Phase::Failed;
                    s.error = Some(format!("The analysis worker could not start: {why}"));
                } else if s.phase == Phase::Running {
                    s.phase = Phase::Failed;
                    s.error = Some(format!(
                        "The analysis stopped{at}: {why}. This usually means the browser ran out of memory for this \
                         drop; try fewer or smaller files, or the keyhole command-line tool."
                    ));
                } else {
                    s.error = Some(format!("The analysis worker stopped: {why}"));
                }
            }
            Action::Route(tab, filter) => {
                if filter != s.filter {
                    s.events = EventsPage::default();
                }
                s.tab = tab;
                s.filter = filter;
            }
            Action::Select(i) => {
                s.selected = i;
                s.evidence.clear();
            }
            Action::CloseRaw => s.raw = None,
            Action::SetTriage(k, t) => {
                let mut m = (*s.triage).clone();
                m.insert(k, t);
                save_triage(&m);
                s.triage = Rc::new(m);
            }
            Action::AlertRange(r) => s.alert_range = r,
            Action::SevFilter(v) => s.sev_filter = v,
            Action::VaultFilter(v) => s.vault_filter = v,
            Action::SelectVault(v) => s.selected_vault = v,
            Action::ChartRange(r) => s.chart_range = r,
            Action::Error(e) => s.error = Some(e),
        }
        Rc::new(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Worker link

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static DISPATCH: RefCell<Option<UseReducerDispatcher<State>>> = const { RefCell::new(None) };
    static SEQ: Cell<u64> = const { Cell::new(0) };
    static EVIDENCE_SEQ: Cell<u64> = const { Cell::new(0) };
    /// Whether the current worker holds (or is building) a dataset; a fresh one is reused.
    static WORKER_USED: Cell<bool> = const { Cell::new(false) };
}

pub fn dispatch(a: Action) {
    DISPATCH.with(|d| {
        if let Some(d) = d.borrow().as_ref() {
            d.dispatch(a)
        }
    });
}

pub fn next_seq() -> u64 {
    SEQ.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

/// Start a fresh worker (boot.js hands it the compiled wasm module).
fn spawn_worker() -> Result<Worker, String> {
    let w = web_sys::window().ok_or("no window")?;
    let f = js_sys::Reflect::get(&w, &"keyholeSpawnWorker".into()).map_err(|_| "no spawn")?;
    let f: js_sys::Function = f.dyn_into().map_err(|_| "boot.js did not load")?;
    let worker: Worker = f
        .call0(&JsValue::NULL)
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a worker")?;
    let onmsg = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        if let Some(text) = e.data().as_string() {
            match serde_json::from_str::<WorkerMsg>(&text) {
                Ok(m) => dispatch(Action::Worker(m)),
                Err(err) => dispatch(Action::Error(format!("bad worker message: {err}"))),
            }
        }
    });
    worker.set_onmessage(Some(onmsg.as_ref().unchecked_ref()));
    onmsg.forget();
    let onerr = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|e: web_sys::ErrorEvent| {
        e.prevent_default();
        dispatch(Action::WorkerDied(e.message()));
    });
    worker.set_onerror(Some(onerr.as_ref().unchecked_ref()));
    onerr.forget();
    Ok(worker)
}

fn with_worker(f: impl FnOnce(&Worker)) {
    WORKER.with(|w| {
        let mut w = w.borrow_mut();
        if w.is_none() {
            match spawn_worker() {
                Ok(x) => *w = Some(x),
                Err(e) => {
                    dispatch(Action::Error(format!("could not start the worker: {e}")));
                    return;
                }
            }
        }
        if let Some(x) = w.as_ref() {
            f(x)
        }
    });
}

pub fn send(cmd: &WorkerCmd) {
    send_with(cmd, None);
}

fn send_with(cmd: &WorkerCmd, files: Option<js_sys::Array>) {
    let obj = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &obj,
        &"json".into(),
        &serde_json::to_string(cmd).unwrap_or_default().into(),
    );
    if let Some(f) = files {
        let _ = js_sys::Reflect::set(&obj, &"files".into(), &f);
    }
    with_worker(|w| {
        let _ = w.post_message(&obj);
    });
}

/// Drop the worker if it holds a dataset (its memory goes with it); a fresh, idle one is kept.
fn fresh_worker() {
    if WORKER_USED.with(|u| u.get()) {
        kill_worker();
    }
    WORKER_USED.with(|u| u.set(true));
}

fn kill_worker() {
    WORKER_USED.with(|u| u.set(false));
    WORKER.with(|w| {
        if let Some(x) = w.borrow_mut().take() {
            x.terminate();
        }
    });
}

pub fn request_evidence(idx: Vec<u32>) {
    let seq = next_seq();
    EVIDENCE_SEQ.with(|c| c.set(seq));
    send(&WorkerCmd::Rows { seq, idx });
}

/// Above this, say honestly what may happen before the tab runs out of memory.
const BIG_DROP: u64 = 1 << 30;

fn start_files(files: Vec<(File, String)>) {
    if files.is_empty() {
        dispatch(Action::Error(
            "Nothing to read: the drop held no files.".into(),
        ));
        return;
    }
    let total: u64 = files.iter().map(|(f, _)| f.size() as u64).sum();
    let compressed = files.iter().any(|(_, p)| {
        let p = p.to_ascii_lowercase();
        p.ends_with(".gz") || p.ends_with(".zip")
    });
    let notice = (total >= BIG_DROP || (compressed && total >= BIG_DROP / 8)).then(|| {
        format!(
            "{} dropped{}. Keyhole reads it in 4 MB chunks, but keeps every normalised event in this tab's memory: \
             measured at about 1.7 bytes of memory per byte of raw JSON, and a browser tab's WebAssembly memory \
             stops at 4 GB, so more than about 2 GB of uncompressed logs will probably not fit. If memory runs out \
             you will be told which file it reached. The keyhole command-line tool has no such limit.",
            tabs::fmt_bytes(total),
            if compressed { " (compressed: the logs inside are several times larger)" } else { "" }
        )
    });
    fresh_worker();
    dispatch(Action::Started { notice });
    let arr = js_sys::Array::new();
    let mut paths = Vec::new();
    for (f, p) in files {
        arr.push(&f);
        paths.push(p);
    }
    send_with(
        &WorkerCmd::Analyze {
            paths,
            settings: load_settings(),
        },
        Some(arr),
    );
}

fn start_demo() {
    fresh_worker();
    dispatch(Action::Started { notice: None });
    send(&WorkerCmd::Demo {
        settings: load_settings(),
    });
}

fn cancel() {
    kill_worker();
    dispatch(Action::Cancelled);
}

/// Files of a drop, folders walked (webkitGetAsEntry, in drop.js), with their relative paths.
async fn collect_drop(dt: web_sys::DataTransfer) -> Vec<(File, String)> {
    let Some(w) = web_sys::window() else {
        return Vec::new();
    };
    let f = js_sys::Reflect::get(&w, &"keyholeCollectDrop".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let mut out = Vec::new();
    if let Some(f) = f {
        if let Ok(p) = f.call1(&JsValue::NULL, &dt) {
            if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
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
        }
    }
    // Fallback: plain file list.
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

fn input_files(input: &HtmlInputElement) -> Vec<(File, String)> {
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

// ---------------------------------------------------------------------------------------------
// Routing: `#events?vault=kv1&outcome=denied` — Back and bookmarks work.

fn read_route() -> (Tab, Filter) {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    parse_route(&hash)
}

pub fn parse_route(hash: &str) -> (Tab, Filter) {
    let h = hash.trim_start_matches('#');
    let (path, query) = h.split_once('?').unwrap_or((h, ""));
    let tab = Tab::ALL
        .into_iter()
        .find(|t| t.slug() == path)
        .unwrap_or(Tab::Alerts);
    let mut f = Filter::default();
    if let Ok(q) = web_sys::UrlSearchParams::new_with_str(query) {
        let g = |k: &str| q.get(k).unwrap_or_default();
        f.from = g("from");
        f.to = g("to");
        f.tz_minutes = g("tz").parse().unwrap_or(0);
        f.vault = g("vault");
        f.identity = g("identity");
        f.ip = g("ip");
        f.operation = g("operation");
        f.outcome = g("outcome");
    }
    (tab, f)
}

pub fn route_hash(tab: Tab, f: &Filter) -> String {
    let mut q = Vec::new();
    let enc = |s: &str| String::from(js_sys::encode_uri_component(s));
    for (k, v) in [
        ("from", &f.from),
        ("to", &f.to),
        ("vault", &f.vault),
        ("identity", &f.identity),
        ("ip", &f.ip),
        ("operation", &f.operation),
        ("outcome", &f.outcome),
    ] {
        if !v.is_empty() {
            q.push(format!("{k}={}", enc(v)));
        }
    }
    if f.tz_minutes != 0 {
        q.push(format!("tz={}", f.tz_minutes));
    }
    if q.is_empty() {
        format!("#{}", tab.slug())
    } else {
        format!("#{}?{}", tab.slug(), q.join("&"))
    }
}

/// Navigate (adds a history entry; the hashchange listener updates the state).
pub fn navigate(tab: Tab, f: &Filter) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route_hash(tab, f));
    }
}

/// Offer text as a file download (a blob: URL, never a request).
pub fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
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

// ---------------------------------------------------------------------------------------------

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    {
        let d = state.dispatcher();
        DISPATCH.with(|x| *x.borrow_mut() = Some(d));
    }
    use_effect_with((), |_| {
        let cb = Closure::<dyn FnMut()>::new(|| {
            let (t, f) = read_route();
            dispatch(Action::Route(t, f));
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
        }
        cb.forget();
        // Warm up the worker so the first drop starts at once.
        with_worker(|_| ());
        || ()
    });
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
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(dt) = e.data_transfer() {
                wasm_bindgen_futures::spawn_local(async move {
                    let files = collect_drop(dt).await;
                    start_files(files);
                });
            }
        })
    };
    let onpick = Callback::from(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let files = input_files(&input);
        start_files(files);
        input.set_value("");
    });
    let ondemo = Callback::from(|_| start_demo());
    let onkeydown = Callback::from(|e: KeyboardEvent| {
        if e.key() == "Escape" {
            dispatch(Action::CloseRaw);
        }
    });
    let oncancel = Callback::from(|_| cancel());
    let s = &*state;
    let tab_link = |t: Tab| {
        let f = s.filter.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            navigate(t, &f);
        });
        html! { <a href={route_hash(t, &s.filter)} class={classes!("tab", (s.tab == t).then_some("on"))} data-tab={t.slug()} {onclick}>{ t.label() }</a> }
    };
    html! {
        <div class="app" {onkeydown}>
            <header class="top">
                <h1>{ "Keyhole" }<small>{ " · who touched my Key Vault?" }</small></h1>
                <p class="private">{ "Everything runs in this tab. Nothing is uploaded; the page cannot make network requests (Content-Security-Policy connect-src 'none')." }</p>
            </header>
            <section id="dropzone" class={classes!("drop", (*dragging).then_some("over"))} {ondragover} {ondragleave} {ondrop}>
                <p>{ "Drop Key Vault audit logs here: files, folders, .zip or .gz; raw diagnostic records, AzureDiagnostics or AZKVAuditLogs exports, portal CSV." }</p>
                <label class="button">{ "Choose files…" }<input id="file-input" type="file" multiple=true onchange={onpick.clone()} /></label>
                <label class="button">{ "Choose a folder…" }<input id="folder-input" type="file" multiple=true webkitdirectory=true onchange={onpick} /></label>
                <button id="demo" class="button" onclick={ondemo} disabled={s.phase == Phase::Running}>{ "Try with demo data" }</button>
            </section>
            <crate::tabs::SettingsPanel />
            { progress_view(s, oncancel) }
            if let Some(n) = &s.notice { <p class="notice" id="notice">{ n }</p> }
            if let Some(e) = &s.error { <p class="error" id="error">{ e }</p> }
            { file_problems(s) }
            <nav class="tabs">{ for Tab::ALL.into_iter().map(tab_link) }</nav>
            <main>
                { match s.tab {
                    Tab::Alerts => tabs::alerts(s),
                    Tab::Analytics => tabs::analytics(s),
                    Tab::Monitoring => tabs::monitoring(s),
                    Tab::Events => html!{ <tabs::Explorer state={state.clone()} /> },
                    Tab::Hunt => html!{ <crate::hunt::Hunt state={state.clone()} /> },
                    Tab::Files => tabs::files(s),
                } }
            </main>
            { tabs::raw_modal(s) }
            { tabs::print_report(s) }
        </div>
    }
}

fn progress_view(s: &State, oncancel: Callback<MouseEvent>) -> Html {
    if s.phase != Phase::Running {
        if let (Phase::Done, Some(r)) = (&s.phase, &s.result) {
            return html! {
                <p class="status" id="status" data-done="1" data-records={r.records.to_string()} data-alerts={r.findings.len().to_string()}>
                    { format!("{} files · {} records · {} skipped · {} duplicates · {} alerts · {} vaults · read in {:.0} ms, detections {:.0} ms, workbook {:.0} ms",
                        r.files.len(), r.records, r.skipped, r.duplicates, r.findings.len(), r.vaults.len(), r.millis_ingest, r.millis_detect, r.millis_aggregate) }
                    if let (Some(a), Some(b)) = (&r.first, &r.last) { { format!(" · {a} → {b} (UTC)") } }
                </p>
            };
        }
        return html! {};
    }
    let (file, done, total, records, skipped, phase, fi, nf) = match &s.progress {
        Some(WorkerMsg::Progress {
            file,
            bytes_done,
            bytes_total,
            records,
            skipped,
            phase,
            file_index,
            files,
        }) => (
            file.clone(),
            *bytes_done,
            *bytes_total,
            *records,
            *skipped,
            phase.clone(),
            *file_index,
            *files,
        ),
        _ => (String::new(), 0, 0, 0, 0, "starting".into(), 0, 0),
    };
    html! {
        <div class="progress" id="progress">
            <progress max={total.max(1).to_string()} value={done.to_string()} />
            <span>{ format!("{phase} {} of {} · file {} of {} {} · {} records · {} skipped", tabs::fmt_bytes(done), tabs::fmt_bytes(total), (fi + 1).min(nf.max(1)), nf, file, records, skipped) }</span>
            <button id="cancel" class="button" onclick={oncancel}>{ "Cancel" }</button>
        </div>
    }
}

fn file_problems(s: &State) -> Html {
    let bad: Vec<&FileView> = s
        .files
        .iter()
        .filter(|f| f.skipped > 0 || f.error.is_some() || f.records == 0)
        .collect();
    if bad.is_empty() {
        return html! {};
    }
    html! {
        <div class="problems" id="problems">
            { for bad.iter().map(|f| html!{
                <p class="warn">
                    <b>{ &f.file }</b>
                    { if let Some(e) = &f.error { format!(": {e}.") }
                      else if f.records == 0 && f.skipped == 0 { ": no Key Vault audit records recognised in this file.".to_string() }
                      else { format!(": {} records kept, {} lines skipped", f.records, f.skipped) } }
                    { for f.problems.iter().take(3).map(|p| html!{ <span class="pos">{ format!(" line {}: {};", p.line, p.reason) }</span> }) }
                </p>
            }) }
        </div>
    }
}
