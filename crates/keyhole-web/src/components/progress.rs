//! While a drop is read: the progress bar with bytes, records and skipped lines, and Cancel.
//! After: the status line, and the files that had problems.

use super::shown;
use crate::context::use_app;
use crate::protocol::FileView;
use crate::state::Phase;
use keyhole_core::export::{human_bytes, thousands};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub on_cancel: Callback<()>,
}

#[function_component(ProgressBar)]
pub fn progress_bar(p: &ProgressProps) -> Html {
    let app = use_app();
    let s = &*app.state;
    if s.phase != Phase::Running {
        return html! {};
    }
    let pr = s.progress.clone().unwrap_or_default();
    let phase = if pr.phase.is_empty() {
        "starting".to_string()
    } else {
        pr.phase.clone()
    };
    let oncancel = p.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="progress" id="progress">
            <progress max={pr.bytes_total.max(1).to_string()} value={pr.bytes_done.to_string()} />
            <span>{ format!("{phase} {} of {} · file {} of {} {} · {} records · {} skipped",
                human_bytes(pr.bytes_done), human_bytes(pr.bytes_total), (pr.file_index + 1).min(pr.files.max(1)), pr.files,
                shown(&pr.file), thousands(pr.records), thousands(pr.skipped)) }</span>
            <button id="cancel" class="button" onclick={oncancel}>{ "Cancel" }</button>
        </div>
    }
}

/// One line on the finished drop (the test harness reads its data attributes).
#[function_component(StatusLine)]
pub fn status_line() -> Html {
    let app = use_app();
    let s = &*app.state;
    let (Phase::Done, Some(r)) = (s.phase, &s.result) else {
        return html! {};
    };
    let wb = &r.workbook;
    html! {
        <p class="status" id="status" data-done="1" data-records={r.records.to_string()} data-alerts={r.findings.len().to_string()}>
            { format!("{} files · {} records · {} skipped · {} duplicates · {} alerts · {} vaults · read in {:.0} ms, detections {:.0} ms, workbook {:.0} ms",
                thousands(r.files.len() as u64), thousands(r.records), thousands(r.skipped), thousands(r.duplicates),
                thousands(r.findings.len() as u64), thousands(r.vault_count), r.millis_ingest, r.millis_detect, r.millis_workbook) }
            if let (Some(a), Some(b)) = (wb.first, wb.last) {
                { " · " }<super::time::Time t={a} />{ " → " }<super::time::Time t={b} />
            }
        </p>
    }
}

/// Files that were skipped in part or in whole, with their first problems (file:line).
#[function_component(FileProblems)]
pub fn file_problems() -> Html {
    let app = use_app();
    let bad: Vec<&FileView> = app
        .state
        .files
        .iter()
        .filter(|f| f.skipped > 0 || f.error.is_some() || f.records == 0)
        .collect();
    if bad.is_empty() {
        return html! {};
    }
    html! {
        <div class="problems" id="problems">
            { for bad.iter().take(50).map(|f| html!{
                <p class="warn">
                    <b>{ shown(&f.file) }</b>
                    { if let Some(e) = &f.error { format!(": {}.", shown(e)) }
                      else if f.records == 0 && f.skipped == 0 { ": no Key Vault audit records recognised in this file.".to_string() }
                      else { format!(": {} records kept, {} lines skipped", thousands(f.records), thousands(f.skipped)) } }
                    { for f.problems.iter().take(3).map(|p| html!{ <span class="pos">{ format!(" line {}: {};", p.line, shown(&p.reason)) }</span> }) }
                </p>
            }) }
            if bad.len() > 50 { <p class="muted">{ format!("… and {} more files with problems (see the Files tab)", thousands(bad.len() as u64 - 50)) }</p> }
        </div>
    }
}
