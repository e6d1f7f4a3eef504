//! The Files tab: what happened to every file of the drop (shape, wrappers, size, records,
//! skipped lines with their positions).

use crate::components::shown;
use crate::context::use_app;
use keyhole_core::export::{human_bytes, thousands};
use yew::prelude::*;

#[function_component(Files)]
pub fn files() -> Html {
    let app = use_app();
    let files = &app.state.files;
    if files.is_empty() {
        return html! { <p class="muted empty">{ "No files read yet." }</p> };
    }
    html! {
        <section id="tab-files">
            <table class="grid" id="files-table">
                <tr><th>{ "file" }</th><th>{ "shape" }</th><th>{ "wrappers" }</th><th>{ "size" }</th><th>{ "records" }</th><th>{ "skipped" }</th><th>{ "problems (file:line)" }</th></tr>
                { for files.iter().map(|f| html!{ <tr>
                    <td>{ shown(&f.file) }</td><td>{ f.shapes.join(", ") }</td><td>{ f.wrappers.join(", ") }</td><td>{ human_bytes(f.bytes) }</td>
                    <td>{ thousands(f.records) }</td><td class={classes!((f.skipped > 0).then_some("hot"))}>{ thousands(f.skipped) }</td>
                    <td>{ shown(f.error.as_deref().unwrap_or("")) }{ for f.problems.iter().map(|p| html!{ <div class="pos">{ format!("{}:{}: {}", shown(&f.file), p.line, shown(&p.reason)) }</div> }) }</td>
                </tr> }) }
            </table>
        </section>
    }
}
