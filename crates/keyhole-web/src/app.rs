//! The root component: it owns the page state and the worker bridge, provides both as context,
//! follows the URL hash, starts drops, and composes the header, the drop zone, the progress
//! and the open tab. It computes nothing.

use crate::bridge::{now_ms, Bridge};
use crate::components::dropzone::{DropZone, Picked};
use crate::components::progress::{FileProblems, ProgressBar, StatusLine, TooBigNotice};
use crate::components::raw_modal::RawModal;
use crate::components::settings::SettingsPanel;
use crate::components::time::ZoneToggle;
use crate::context::AppContext;
use crate::protocol::WorkerCmd;
use crate::route::{parse_route, route_hash, Tab};
use crate::state::{Action, Phase, State};
use crate::storage::{load_settings, load_triage, load_zone};
use crate::tabs;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// What to tell the user before a drop that may not fit in a tab.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        let (tab, filter) = parse_route(&current_hash());
        State::new(tab, filter, load_triage(), load_zone())
    });
    let bridge = use_state(|| Bridge::new(state.dispatcher()));
    let bridge = (*bridge).clone();
    {
        let state = state.clone();
        let bridge = bridge.clone();
        use_effect_with((), move |_| {
            let cb = Closure::<dyn FnMut()>::new(move || {
                let (t, f) = parse_route(&current_hash());
                state.dispatch(Action::Route(t, f));
            });
            if let Some(w) = web_sys::window() {
                let _ =
                    w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
            }
            cb.forget();
            bridge.warm();
            || ()
        });
    }
    let on_files = {
        let state = state.clone();
        let bridge = bridge.clone();
        Callback::from(move |files: Picked| {
            if files.is_empty() {
                state.dispatch(Action::Error(
                    "Nothing to read: the drop held no files.".into(),
                ));
                return;
            }
            let arr = js_sys::Array::new();
            let mut paths = Vec::new();
            for (f, p) in files {
                arr.push(&f);
                paths.push(p);
            }
            // (whether the drop fits in memory is the worker's estimate: `TooBig`)
            state.dispatch(Action::Started {
                notice: None,
                at: now_ms(),
            });
            bridge.load(
                WorkerCmd::Analyze {
                    paths,
                    settings: load_settings(),
                    newest_bytes: None,
                },
                Some(arr),
            );
        })
    };
    let on_demo = {
        let state = state.clone();
        let bridge = bridge.clone();
        Callback::from(move |()| {
            state.dispatch(Action::Started {
                notice: None,
                at: now_ms(),
            });
            bridge.load(
                WorkerCmd::Demo {
                    settings: load_settings(),
                },
                None,
            );
        })
    };
    let on_cancel = {
        let state = state.clone();
        let bridge = bridge.clone();
        Callback::from(move |()| {
            bridge.cancel();
            state.dispatch(Action::Cancelled);
        })
    };
    let onkeydown = {
        let state = state.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                state.dispatch(Action::CloseRaw);
            }
        })
    };
    let s = &*state;
    let tab_link = |t: Tab| {
        let href = route_hash(t, &s.filter);
        let target = href.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_hash(&target);
            }
        });
        html! { <a {href} class={classes!("tab", (s.tab == t).then_some("on"))} data-tab={t.slug()} {onclick}>{ t.label() }</a> }
    };
    let key = s.generation.to_string();
    let ctx = AppContext {
        state: state.clone(),
        bridge,
    };
    html! {
        <ContextProvider<AppContext> context={ctx}>
        <div class="app" {onkeydown}>
            <header class="top">
                <h1>{ "Keyhole" }<small>{ " · who touched my Key Vault?" }</small></h1>
                <ZoneToggle />
                <p class="private">{ "Everything runs in this tab. Nothing is uploaded; the page cannot make network requests (Content-Security-Policy connect-src 'none')." }</p>
            </header>
            <DropZone {on_files} {on_demo} busy={s.phase == Phase::Running} />
            <SettingsPanel />
            <ProgressBar {on_cancel} />
            <TooBigNotice />
            <StatusLine />
            if let Some(n) = &s.notice { <p class="notice" id="notice">{ n }</p> }
            if let Some(e) = &s.error { <p class="error" id="error">{ e }</p> }
            <FileProblems />
            <nav class="tabs">{ for Tab::ALL.into_iter().map(tab_link) }</nav>
            <main>
                { match s.tab {
                    Tab::Alerts => html!{ <tabs::alerts::Alerts key={key} /> },
                    Tab::Analytics => html!{ <tabs::analytics::Analytics key={key} /> },
                    Tab::Monitoring => html!{ <tabs::monitoring::Monitoring key={key} /> },
                    Tab::Events => html!{ <tabs::events::Events key={key} /> },
                    Tab::Query => html!{ <tabs::query::Query key={key} /> },
                    Tab::Files => html!{ <tabs::files::Files key={key} /> },
                } }
            </main>
            <RawModal />
        </div>
        </ContextProvider<AppContext>>
    }
}
