//! Keyhole's page: a Yew UI on the main thread and a Web Worker running keyhole-core, both from
//! this one wasm module (the worker enters through [`worker::worker_start`]).
//!
//! Layout (as Yew's function_todomvc and web_worker_prime):
//! - `app.rs`: the root component (composes, provides the context);
//! - `state.rs`: page-wide state, actions, reducer; `context.rs`: what components reach;
//! - `bridge.rs`: the worker link (requests, replies by sequence number, restarts);
//! - `protocol.rs`: the messages and the view types they carry;
//! - `route.rs`: URL hash ↔ tab and explorer filter; `storage.rs`: localStorage;
//! - `components/`: charts, drop zone, progress, settings, tables, entity graph, time, editor;
//! - `tabs/`: one file per tab, each with its own UI state in hooks;
//! - `worker/`: the worker side; it calls keyhole-core and serialises;
//! - `mem.rs`: `memcmp` for wasm32 by 8-byte words (compiler-builtins' compares byte by byte).

mod app;
mod bridge;
mod components;
mod context;
mod mem;
mod protocol;
mod route;
mod state;
mod storage;
mod tabs;
mod worker;

pub use worker::worker_start;

fn main() {
    // In the worker there is no window: worker.js calls `worker_start` instead.
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    match doc.get_element_by_id("app") {
        Some(root) => {
            yew::Renderer::<app::App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<app::App>::new().render();
        }
    }
}
