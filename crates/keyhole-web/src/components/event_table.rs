//! A table of events (explorer, evidence): clicking a row opens its raw record. The SDK's 401
//! challenge is drawn muted (normal traffic), real denials red.

use super::shown;
use super::time::Time;
use crate::context::use_app;
use crate::protocol::{EventRow, WorkerCmd, WorkerMsg};
use crate::state::{Action, RawRecord};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    pub rows: Vec<EventRow>,
    pub id: AttrValue,
}

/// The CSS class of a row's outcome.
pub fn outcome_class(e: &EventRow) -> String {
    if e.challenge {
        "o-challenge".into()
    } else {
        format!("o-{}", e.outcome)
    }
}

#[function_component(EventTable)]
pub fn event_table(p: &EventTableProps) -> Html {
    let app = use_app();
    let open = {
        let app = app.clone();
        move |idx: u32| {
            let state = app.state.clone();
            app.bridge.request(
                WorkerCmd::Raw { idx },
                Callback::from(move |m: WorkerMsg| match m {
                    WorkerMsg::Raw {
                        idx,
                        text,
                        normalised,
                    } => state.dispatch(Action::ShowRaw(RawRecord {
                        idx,
                        text,
                        normalised,
                    })),
                    WorkerMsg::Error { message } => state.dispatch(Action::Error(message)),
                    _ => {}
                }),
            );
        }
    };
    html! {
        <table class="events" id={p.id.clone()}>
            <tr><th>{ "time" }</th><th>{ "vault" }</th><th>{ "operation" }</th><th>{ "object" }</th><th>{ "status" }</th><th>{ "identity" }</th><th>{ "IP" }</th><th>{ "source" }</th></tr>
            { for p.rows.iter().map(|e| {
                let idx = e.idx;
                let open = open.clone();
                let onclick = Callback::from(move |_| open(idx));
                let status = match (e.status, e.challenge) {
                    (Some(s), true) => format!("{s} (challenge)"),
                    (Some(s), false) => s.to_string(),
                    (None, _) => String::new(),
                };
                html!{ <tr class={classes!("ev", outcome_class(e))} data-idx={idx.to_string()} {onclick}
                        title={e.challenge.then_some("the SDK's unauthenticated 401 challenge before its first real call: normal traffic")}>
                    <td><Time t={e.time} /></td><td>{ shown(&e.vault) }</td><td>{ shown(&e.operation) }</td>
                    <td>{ shown(e.object_name.as_deref().unwrap_or("")) }</td>
                    <td>{ status }</td><td>{ shown(e.identity.as_deref().unwrap_or("")) }</td>
                    <td>{ shown(e.ip.as_deref().unwrap_or("")) }</td><td class="src">{ format!("{}:{}", shown(&e.file), e.line) }</td></tr> }
            }) }
        </table>
    }
}
