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
    let rate = if pr.workers > 0 {
        format!(
            " · {:.0} MB/s on {} parse worker{}",
            pr.bytes_per_sec / 1e6,
            pr.workers,
            if pr.workers == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let sequential = match pr.sequential.len() {
        0 => String::new(),
        1 => format!(" · {} is read as one sequential stream (compressed, UTF-16 or no safe cut)", shown(&pr.sequential[0])),
        n => format!(" · {n} files are read as single sequential streams (compressed, UTF-16 or no safe cut)"),
    };
    let memory = pr
        .fit
        .as_ref()
        .map(|f| {
            format!(
                " · memory needed about {} of {}",
                human_bytes(f.needed_bytes),
                human_bytes(f.limit_bytes)
            )
        })
        .unwrap_or_default();
    html! {
        <div class="progress" id="progress" data-workers={pr.workers.to_string()}>
            <progress max={pr.bytes_total.max(1).to_string()} value={pr.bytes_done.to_string()} />
            <span>{ format!("{phase} {} of {} · file {} of {} {} · {} records · {} skipped{rate}{memory}{sequential}",
                human_bytes(pr.bytes_done), human_bytes(pr.bytes_total), (pr.file_index + 1).min(pr.files.max(1)), pr.files,
                shown(&pr.file), thousands(pr.records), thousands(pr.skipped)) }</span>
            <button id="cancel" class="button" onclick={oncancel}>{ "Cancel" }</button>
        </div>
    }
}

/// A drop that will not fit in this tab's memory: the core's numbers, and a button that reads
/// the newest part that fits instead.
#[function_component(TooBigNotice)]
pub fn too_big_notice() -> Html {
    let app = use_app();
    let Some(tb) = app.state.too_big.clone() else {
        return html! {};
    };
    let (fit, newest) = &*tb;
    let part: u64 = newest.iter().map(|(_, _, t)| t).sum();
    let onclick = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| {
            app.state.dispatch(crate::state::Action::Started {
                notice: None,
                at: crate::bridge::now_ms(),
            });
            app.bridge.load_newest(part);
        })
    };
    html! {
        <div class="notice warn" id="too-big" data-needed={fit.needed_bytes.to_string()} data-limit={fit.limit_bytes.to_string()}>
            <p>{ format!("This drop will not fit in this tab's memory, so it was not read. {} of logs at about {:.0} bytes a record \
                 is about {} events; reading them to the first alert needs about {} of memory ({} bytes an event), \
                 and this tab's WebAssembly memory allows {} (its ceiling less headroom). About {} of these logs fit. \
                 The keyhole command-line tool has no such limit.",
                human_bytes(fit.input_bytes), fit.bytes_per_record, thousands(fit.events), human_bytes(fit.needed_bytes),
                fit.bytes_per_event, human_bytes(fit.limit_bytes), human_bytes(fit.fitting_input_bytes)) }</p>
            if part > 0 {
                <p>{ "The newest part that fits (files newest first; of a file that fits only in part, its end):" }</p>
                <ul>{ for newest.iter().map(|(name, size, take)| html!{
                    <li>{ if take == size { format!("{} (all, {})", shown(name), human_bytes(*size)) }
                          else { format!("{}: its last {} of {} (line numbers counted from there)", shown(name), human_bytes(*take), human_bytes(*size)) } }</li>
                }) }</ul>
                <button id="newest-part" class="button" {onclick}>{ format!("Analyse the newest {}", human_bytes(part)) }</button>
            }
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
    // `data-done` once every panel is there (the alerts come first)
    let done = if r.workbook_pending { "0" } else { "1" };
    let workbook = if r.workbook_pending {
        "workbook panels being computed".to_string()
    } else {
        format!("workbook {:.0} ms", r.millis_workbook)
    };
    html! {
        <p class="status" id="status" data-done={done} data-records={r.records.to_string()} data-alerts={r.findings.len().to_string()}>
            { format!("{} files · {} records · {} skipped · {} duplicates · {} alerts · {} vaults · read in {:.0} ms, detections {:.0} ms, {workbook}",
                thousands(r.files.len() as u64), thousands(r.records), thousands(r.skipped), thousands(r.duplicates),
                thousands(r.findings.len() as u64), thousands(r.vault_count), r.millis_ingest, r.millis_detect) }
            if r.millis_workers > 0.0 {
                { format!(" (parse workers busy {:.0} ms in all, merging {:.0} ms)", r.millis_workers, r.millis_merge) }
            }
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
