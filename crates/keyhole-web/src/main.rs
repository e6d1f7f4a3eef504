//! Keyhole's page: a Yew UI on the main thread and a Web Worker running keyhole-core, both from
//! this one wasm module (the worker calls [`worker::worker_start`]).

mod analysis;
mod app;
mod charts;
mod demo;
mod detection;
mod hunt;
mod model;
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
