//! The raw record behind an event and the normalised event, in a modal (Escape closes it).

use crate::context::use_app;
use crate::state::Action;
use yew::prelude::*;

#[function_component(RawModal)]
pub fn raw_modal() -> Html {
    let app = use_app();
    let Some(r) = app.state.raw.clone() else {
        return html! {};
    };
    let close = {
        let state = app.state.clone();
        Callback::from(move |_| state.dispatch(Action::CloseRaw))
    };
    html! {
        <div class="modal" id="raw-modal" data-idx={r.idx.to_string()}>
            <div class="modal-body">
                <button class="button close" id="raw-close" onclick={close}>{ "Close" }</button>
                <h3>{ "Raw record" }</h3>
                if r.text.is_empty() { <p class="muted">{ "The original bytes are inside a compressed (zip, gzip) or re-encoded (UTF-16) file and are not kept; the normalised event below carries everything Keyhole read from it." }</p> }
                else { <pre id="raw-text">{ &r.text }</pre> }
                <h3>{ "Normalised event" }</h3>
                <pre id="raw-normalised">{ &r.normalised }</pre>
            </div>
        </div>
    }
}
