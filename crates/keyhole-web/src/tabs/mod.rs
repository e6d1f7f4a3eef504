//! The tabs, one a file; each keeps what only it needs (selection, pages, query) in its own
//! hooks and is remounted for every new result (its `key` is the result's generation).

pub mod alerts;
pub mod analytics;
pub mod events;
pub mod files;
pub mod monitoring;
pub mod query;

use crate::context::use_app;
use crate::protocol::{ExportKind, WorkerCmd, WorkerMsg};
use crate::state::Action;
use crate::storage::download;
use keyhole_core::workbook::WorkbookOptions;
use yew::prelude::*;

/// What a tab shows without a result: while a drop is read, or before any.
pub fn empty() -> Html {
    html! { <Empty /> }
}

/// An Analytics or Monitoring tab opened while the worker computes its panels (right after
/// the alerts were shown).
pub fn pending() -> Html {
    html! { <p class="muted empty" id="workbook-pending">{ "Computing the workbook panels…" }</p> }
}

#[function_component(Empty)]
fn empty_view() -> Html {
    let app = use_app();
    let text = if app.state.phase == crate::state::Phase::Running {
        "Reading the drop…"
    } else {
        "Drop audit logs above, or try the demo data."
    };
    html! { <p class="muted empty" id="empty">{ text }</p> }
}

#[derive(Properties, PartialEq)]
pub struct ExportButtonProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub kind: ExportKind,
    /// Workbook options (mass-retrieval threshold and period) for workbook exports.
    #[prop_or_default]
    pub options: WorkbookOptions,
}

/// A button that asks the worker for an export (made by keyhole-core) and downloads it.
#[function_component(ExportButton)]
pub fn export_button(p: &ExportButtonProps) -> Html {
    let app = use_app();
    let onclick = {
        let (kind, options) = (p.kind, p.options.clone());
        let state = app.state.clone();
        let bridge = app.bridge.clone();
        Callback::from(move |_| {
            let state = state.clone();
            bridge.request(
                WorkerCmd::Export {
                    kind,
                    options: options.clone(),
                },
                Callback::from(move |m| match m {
                    WorkerMsg::Export { name, mime, text } => download(&name, &mime, &text),
                    WorkerMsg::Error { message } => state.dispatch(Action::Error(message)),
                    _ => {}
                }),
            );
        })
    };
    html! { <button class="button" id={p.id.clone()} {onclick}>{ &p.label }</button> }
}
