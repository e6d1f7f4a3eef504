//! Reusable pieces of the page, one a file: props in, callbacks out.

pub mod charts;
pub mod completion;
pub mod dropzone;
pub mod entity_graph;
pub mod event_table;
pub mod kql_editor;
pub mod progress;
pub mod raw_modal;
pub mod result_chart;
pub mod settings;
pub mod time;
pub mod zoom;

/// Log text shown as a name: control and bidi characters made visible (`⟨U+202E⟩`), the
/// one rule keyhole-core applies to every terminal line too.
pub fn shown(s: &str) -> String {
    keyhole_core::export::visible(s).into_owned()
}
