//! What every component can reach through Yew's context (instead of globals): the page state
//! with its dispatcher, and the worker bridge.

use crate::bridge::Bridge;
use crate::state::State;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct AppContext {
    pub state: UseReducerHandle<State>,
    pub bridge: Bridge,
}

/// The page's context (provided by `App`).
#[hook]
pub fn use_app() -> AppContext {
    use_context::<AppContext>().expect("AppContext is provided by App")
}
