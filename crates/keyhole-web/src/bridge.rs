//! The link to the analysis worker (as Yew's web_worker_prime: one typed bridge). A request gets
//! a sequence number and its reply goes back to whoever asked; the drop's own messages
//! (progress, files, the result) go to the page state. When the worker dies (a wasm trap such
//! as "memory access out of bounds", or the tab's memory limit) every pending request is told,
//! the page says so, and — when a drop had been read — a new worker reads the same files again,
//! so the next request runs on the same data. Cancel terminates the worker.

use crate::protocol::{Reply, Request, WorkerCmd, WorkerMsg};
use crate::state::{Action, State};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};
use yew::prelude::*;

/// How messages cross the worker boundary (see [`codec`]).
pub mod codec {
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use wasm_bindgen::JsValue;

    /// Structured JS objects (serde-wasm-bindgen) or JSON text. JSON text is kept: measured
    /// about twice as fast end to end (encode + structured clone + decode, medians of 7 rounds,
    /// headless Chromium, `keyholeBenchCodec` run by `tests/e2e/bench.test.mjs`): the demo
    /// drop's result (150 kB of JSON) 9.3 ms as JSON vs 18.9 ms as objects; an explorer page of
    /// 2,000 rows (680 kB) 16.0 ms vs 32.5 ms. Objects also lose the float/integer distinction
    /// inside `serde_json::Value` (an alert's `details` would show `7` for `7.0`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Codec {
        Json,
        /// Kept for the benchmark.
        #[allow(dead_code)]
        Objects,
    }

    pub const CODEC: Codec = Codec::Json;

    pub fn encode<T: Serialize>(codec: Codec, v: &T) -> Result<JsValue, String> {
        match codec {
            Codec::Json => serde_json::to_string(v)
                .map(|s| JsValue::from_str(&s))
                .map_err(|e| e.to_string()),
            Codec::Objects => serde_wasm_bindgen::to_value(v).map_err(|e| e.to_string()),
        }
    }

    pub fn decode<T: DeserializeOwned>(codec: Codec, v: JsValue) -> Result<T, String> {
        match codec {
            Codec::Json => {
                let s = v.as_string().ok_or("not a JSON string")?;
                serde_json::from_str(&s).map_err(|e| e.to_string())
            }
            Codec::Objects => serde_wasm_bindgen::from_value(v).map_err(|e| e.to_string()),
        }
    }
}

/// The command that read the current drop, kept to read it again in a new worker.
struct Load {
    cmd: WorkerCmd,
    files: Option<js_sys::Array>,
}

struct Inner {
    dispatch: UseReducerDispatcher<State>,
    worker: RefCell<Option<Worker>>,
    seq: Cell<u64>,
    pending: RefCell<HashMap<u64, Callback<WorkerMsg>>>,
    load: RefCell<Option<Load>>,
    load_seq: Cell<u64>,
    /// The worker holds a finished dataset.
    loaded: Cell<bool>,
    /// The worker has been given a drop (a new drop gets a new worker: memory goes with it).
    used: Cell<bool>,
    /// The current worker has said it is ready: a death before that is a failure to start.
    ready: Cell<bool>,
    /// The worker's event handlers (kept alive with the bridge).
    handlers: RefCell<Vec<Box<dyn std::any::Any>>>,
}

/// A cheap handle to the worker link, shared through the page's context.
#[derive(Clone)]
pub struct Bridge(Rc<Inner>);

impl PartialEq for Bridge {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Bridge {
    pub fn new(dispatch: UseReducerDispatcher<State>) -> Bridge {
        Bridge(Rc::new(Inner {
            dispatch,
            worker: RefCell::new(None),
            seq: Cell::new(0),
            pending: RefCell::new(HashMap::new()),
            load: RefCell::new(None),
            load_seq: Cell::new(0),
            loaded: Cell::new(false),
            used: Cell::new(false),
            ready: Cell::new(false),
            handlers: RefCell::new(Vec::new()),
        }))
    }

    fn next_seq(&self) -> u64 {
        let s = self.0.seq.get() + 1;
        self.0.seq.set(s);
        s
    }

    /// Start the worker now, so that the first drop starts at once.
    pub fn warm(&self) {
        let _ = self.worker();
    }

    fn worker(&self) -> Option<Worker> {
        if let Some(w) = self.0.worker.borrow().as_ref() {
            return Some(w.clone());
        }
        match self.spawn() {
            Ok(w) => {
                *self.0.worker.borrow_mut() = Some(w.clone());
                Some(w)
            }
            Err(e) => {
                self.0
                    .dispatch
                    .dispatch(Action::Error(format!("could not start the worker: {e}")));
                None
            }
        }
    }

    fn spawn(&self) -> Result<Worker, String> {
        let w = web_sys::window().ok_or("no window")?;
        let f = js_sys::Reflect::get(&w, &"keyholeSpawnWorker".into()).map_err(|_| "no spawn")?;
        let f: js_sys::Function = f.dyn_into().map_err(|_| "boot.js did not load")?;
        let worker: Worker = f
            .call0(&JsValue::NULL)
            .map_err(|e| format!("{e:?}"))?
            .dyn_into()
            .map_err(|_| "not a worker")?;
        self.0.ready.set(false);
        let me = self.clone();
        let onmsg = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            match codec::decode::<Reply>(codec::CODEC, e.data()) {
                Ok(r) => me.on_reply(r),
                Err(err) => {
                    me.0.dispatch
                        .dispatch(Action::Error(format!("bad worker message: {err}")))
                }
            }
        });
        worker.set_onmessage(Some(onmsg.as_ref().unchecked_ref()));
        let me = self.clone();
        let this = worker.clone();
        let onerr =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                e.prevent_default();
                // Only the current worker's death matters (a terminated one can still report).
                let current = me.0.worker.borrow().as_ref().is_some_and(|w| *w == this);
                if current {
                    me.on_death(e.message());
                }
            });
        worker.set_onerror(Some(onerr.as_ref().unchecked_ref()));
        let mut h = self.0.handlers.borrow_mut();
        h.push(Box::new(onmsg));
        h.push(Box::new(onerr));
        Ok(worker)
    }

    fn post(&self, req: &Request, files: Option<&js_sys::Array>) {
        let Some(w) = self.worker() else { return };
        let body = match codec::encode(codec::CODEC, req) {
            Ok(b) => b,
            Err(e) => {
                self.0
                    .dispatch
                    .dispatch(Action::Error(format!("could not send to the worker: {e}")));
                return;
            }
        };
        let obj = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&obj, &"req".into(), &body);
        if let Some(f) = files {
            let _ = js_sys::Reflect::set(&obj, &"files".into(), f);
        }
        let _ = w.post_message(&obj);
    }

    fn on_reply(&self, r: Reply) {
        if matches!(r.msg, WorkerMsg::Ready) {
            self.0.ready.set(true);
        }
        if r.seq == 0 || r.seq == self.0.load_seq.get() {
            if matches!(r.msg, WorkerMsg::Done { .. }) {
                self.0.loaded.set(true);
            }
            self.0.dispatch.dispatch(Action::Worker {
                msg: r.msg,
                at: now_ms(),
            });
            return;
        }
        // A progress message: more follow for the same request.
        let cb = if matches!(r.msg, WorkerMsg::ReplayProgress { .. }) {
            self.0.pending.borrow().get(&r.seq).cloned()
        } else {
            self.0.pending.borrow_mut().remove(&r.seq)
        };
        if let Some(cb) = cb {
            cb.emit(r.msg);
        }
    }

    fn on_death(&self, message: String) {
        if let Some(w) = self.0.worker.borrow_mut().take() {
            w.terminate();
        }
        self.0.used.set(false);
        let pending: Vec<Callback<WorkerMsg>> = self
            .0
            .pending
            .borrow_mut()
            .drain()
            .map(|(_, c)| c)
            .collect();
        for cb in pending {
            cb.emit(WorkerMsg::Error {
                message: format!("The analysis worker stopped while answering this: {message}"),
            });
        }
        let reload = self.0.loaded.get() && self.0.load.borrow().is_some();
        self.0.loaded.set(false);
        self.0.dispatch.dispatch(Action::WorkerDied {
            message,
            reloading: reload,
            started: self.0.ready.get(),
        });
        if reload {
            let load = self.0.load.borrow_mut().take();
            if let Some(l) = load {
                self.start_load(l);
            }
        } else {
            *self.0.load.borrow_mut() = None;
        }
    }

    fn start_load(&self, l: Load) {
        if self.0.used.get() {
            if let Some(w) = self.0.worker.borrow_mut().take() {
                w.terminate();
            }
        }
        self.0.used.set(true);
        self.0.loaded.set(false);
        self.0.pending.borrow_mut().clear();
        let seq = self.next_seq();
        self.0.load_seq.set(seq);
        self.post(
            &Request {
                seq,
                cmd: l.cmd.clone(),
            },
            l.files.as_ref(),
        );
        *self.0.load.borrow_mut() = Some(l);
    }

    /// Read a drop (`Analyze` with its File objects, or `Demo`) in a fresh worker; its progress
    /// and result go to the page state.
    pub fn load(&self, cmd: WorkerCmd, files: Option<js_sys::Array>) {
        self.start_load(Load { cmd, files });
    }

    /// Read the newest `bytes` of the last drop again (the answer to a drop that will not fit).
    pub fn load_newest(&self, bytes: u64) {
        let last = self
            .0
            .load
            .borrow()
            .as_ref()
            .map(|l| (l.cmd.clone(), l.files.clone()));
        if let Some((
            WorkerCmd::Analyze {
                paths, settings, ..
            },
            files,
        )) = last
        {
            let cmd = WorkerCmd::Analyze {
                paths,
                settings,
                newest_bytes: Some(bytes),
            };
            self.start_load(Load { cmd, files });
        }
    }

    /// Ask the worker; `on_reply` gets its answer (or an `Error` if the worker dies first).
    pub fn request(&self, cmd: WorkerCmd, on_reply: Callback<WorkerMsg>) -> u64 {
        let seq = self.next_seq();
        self.0.pending.borrow_mut().insert(seq, on_reply);
        self.post(&Request { seq, cmd }, None);
        seq
    }

    /// Stop what the worker is busy with (it cannot hear a message while it runs): end it and
    /// read the same drop again in a new one, as when a worker dies.
    pub fn restart(&self, why: &str) {
        self.on_death(why.to_string());
    }

    /// Stop whatever the worker does; nothing of the drop is kept.
    pub fn cancel(&self) {
        if let Some(w) = self.0.worker.borrow_mut().take() {
            w.terminate();
        }
        self.0.used.set(false);
        self.0.loaded.set(false);
        self.0.pending.borrow_mut().clear();
        *self.0.load.borrow_mut() = None;
        self.0.load_seq.set(0);
    }
}
