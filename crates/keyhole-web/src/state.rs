//! Page-wide state, its actions and the reducer (as Yew's function_todomvc). What only one tab
//! needs (the selected alert, the explorer's window, the query result, …) lives in that tab's
//! own hooks. The reducer is pure: no browser call, so it is tested natively.

use crate::protocol::{FileView, Progress, ResultView, WorkerMsg};
use crate::route::{Filter, Tab};
use keyhole_core::store::budget::Fit;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Running,
    Done,
    Failed,
}

/// How times are shown: UTC, or this computer's zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Zone {
    #[default]
    Utc,
    Local,
}

/// An alert's triage state (kept in this browser).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub state: String,
    pub note: String,
}

/// The record behind an event row, shown in a modal.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRecord {
    pub idx: u32,
    pub text: String,
    pub normalised: String,
}

/// The core's estimate of a drop that will not fit, and per file (name, size, bytes of its end)
/// the newest part that does.
pub type TooBig = (Fit, Vec<(String, u64, u64)>);

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub phase: Phase,
    pub progress: Option<Progress>,
    pub files: Vec<FileView>,
    pub result: Option<Rc<ResultView>>,
    /// Counts results: tabs drop their own state when it changes.
    pub generation: u64,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// The last drop will not fit: the core's estimate and its newest part that does.
    pub too_big: Option<Rc<TooBig>>,
    pub tab: Tab,
    pub filter: Filter,
    pub raw: Option<Rc<RawRecord>>,
    pub triage: Rc<HashMap<String, Triage>>,
    pub zone: Zone,
    /// The zoom shared by the Analytics and Monitoring charts (microseconds, inclusive).
    pub chart_range: Option<(i64, i64)>,
    /// The vault that drives the Analytics and Monitoring charts.
    pub selected_vault: Option<String>,
    /// Page time (ms) when the current analysis started, and how long it took.
    pub started_at: f64,
    pub took_ms: Option<f64>,
}

impl State {
    pub fn new(tab: Tab, filter: Filter, triage: HashMap<String, Triage>, zone: Zone) -> State {
        State {
            phase: Phase::Idle,
            progress: None,
            files: Vec::new(),
            result: None,
            generation: 0,
            error: None,
            notice: None,
            too_big: None,
            tab,
            filter,
            raw: None,
            triage: Rc::new(triage),
            zone,
            chart_range: None,
            selected_vault: None,
            started_at: 0.0,
            took_ms: None,
        }
    }
}

pub enum Action {
    /// A page-wide message from the worker, at page time `at` (ms).
    Worker {
        msg: WorkerMsg,
        at: f64,
    },
    Started {
        notice: Option<String>,
        at: f64,
    },
    Cancelled,
    /// The worker died (`message`); `reloading` when the page restarts it on the same files;
    /// `started` unless it died before it said it was ready (it could not start).
    WorkerDied {
        message: String,
        reloading: bool,
        started: bool,
    },
    Route(Tab, Filter),
    ShowRaw(RawRecord),
    CloseRaw,
    SetTriage(String, Triage),
    SetZone(Zone),
    ChartRange(Option<(i64, i64)>),
    SelectVault(Option<String>),
    Error(String),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Worker { msg, at } => match msg {
                WorkerMsg::Progress(p) => s.progress = Some(p),
                WorkerMsg::FileDone { report } => s.files.push(report),
                WorkerMsg::Done { result } => {
                    s.phase = Phase::Done;
                    s.took_ms = Some(at - s.started_at);
                    s.files = result.files.clone();
                    s.result = Some(Rc::new(*result));
                    s.generation += 1;
                    s.progress = None;
                }
                WorkerMsg::Workbook { workbook, millis } => {
                    if let Some(r) = &s.result {
                        let mut r = (**r).clone();
                        r.workbook = *workbook;
                        r.workbook_pending = false;
                        r.millis_workbook = millis;
                        s.result = Some(Rc::new(r));
                    }
                }
                WorkerMsg::TooBig { fit, newest } => {
                    s.phase = Phase::Idle;
                    s.progress = None;
                    s.too_big = Some(Rc::new((fit, newest)));
                }
                WorkerMsg::Error { message } => {
                    if s.phase == Phase::Running {
                        s.phase = Phase::Failed;
                    }
                    s.error = Some(message);
                }
                _ => {}
            },
            Action::Started { notice, at } => {
                s.phase = Phase::Running;
                s.progress = None;
                s.files.clear();
                s.result = None;
                s.generation += 1;
                s.error = None;
                s.notice = notice;
                s.too_big = None;
                s.raw = None;
                s.started_at = at;
                s.took_ms = None;
                s.chart_range = None;
                s.selected_vault = None;
            }
            Action::Cancelled => {
                s.phase = Phase::Idle;
                s.progress = None;
                s.error = Some("Cancelled. Nothing was kept from the cancelled drop.".into());
            }
            Action::WorkerDied {
                message,
                reloading,
                started,
            } => {
                let at = match &s.progress {
                    Some(p) if s.phase == Phase::Running => format!(
                        " while reading {} ({} of {})",
                        keyhole_core::export::visible(&p.file),
                        keyhole_core::export::human_bytes(p.bytes_done),
                        keyhole_core::export::human_bytes(p.bytes_total)
                    ),
                    _ => String::new(),
                };
                s.raw = None;
                if !started {
                    // whatever the browser's message says, this is not the drop's memory
                    s.phase = Phase::Failed;
                    s.error = Some(format!("The analysis worker could not start: {message}"));
                } else if s.phase == Phase::Running && !reloading {
                    s.phase = Phase::Failed;
                    s.error = Some(format!(
                        "The analysis stopped{at}: {message}. This usually means the browser ran out of memory for \
                         this drop; try fewer or smaller files, or the keyhole command-line tool."
                    ));
                } else if reloading {
                    // The dataset died with the worker: nothing on screen is current until the
                    // new worker has read the same files again.
                    s.phase = Phase::Running;
                    s.progress = None;
                    s.result = None;
                    s.generation += 1;
                    s.error = Some(format!(
                        "The analysis worker stopped ({message}). It has been restarted on the same files, and \
                         what was on screen was cleared: run the query again once they are read."
                    ));
                } else {
                    s.error = Some(format!("The analysis worker stopped: {message}"));
                }
            }
            Action::Route(tab, filter) => {
                s.tab = tab;
                s.filter = filter;
            }
            Action::ShowRaw(r) => s.raw = Some(Rc::new(r)),
            Action::CloseRaw => s.raw = None,
            Action::SetTriage(k, t) => {
                let mut m = (*s.triage).clone();
                m.insert(k, t);
                s.triage = Rc::new(m);
            }
            Action::SetZone(z) => s.zone = z,
            Action::ChartRange(r) => s.chart_range = r,
            Action::SelectVault(v) => s.selected_vault = v,
            Action::Error(e) => s.error = Some(e),
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ResultView;
    use keyhole_core::workbook::{compute, WorkbookOptions};

    fn state() -> Rc<State> {
        Rc::new(State::new(
            Tab::Alerts,
            Filter::default(),
            HashMap::new(),
            Zone::Utc,
        ))
    }

    fn result() -> Box<ResultView> {
        Box::new(ResultView {
            files: vec![FileView {
                file: "a.json".into(),
                records: 3,
                ..FileView::default()
            }],
            records: 3,
            duplicates: 0,
            skipped: 0,
            vaults: vec![],
            vault_count: 0,
            findings: vec![],
            rules: vec![],
            settings_notes: vec![],
            workbook: compute(&Default::default(), &[], &WorkbookOptions::default()),
            workbook_pending: true,
            millis_ingest: 0.0,
            millis_detect: 0.0,
            millis_workbook: 0.0,
            millis_workers: 0.0,
            millis_merge: 0.0,
        })
    }

    #[test]
    fn an_analysis_runs_then_finishes() {
        let s = state().reduce(Action::Started {
            notice: None,
            at: 100.0,
        });
        assert_eq!(s.phase, Phase::Running);
        let g = s.generation;
        let s = s.reduce(Action::Worker {
            msg: WorkerMsg::Done { result: result() },
            at: 350.0,
        });
        assert_eq!(s.phase, Phase::Done);
        assert_eq!(s.took_ms, Some(250.0));
        assert_eq!(s.files.len(), 1);
        assert!(s.generation > g);
    }

    #[test]
    fn the_workbook_panels_follow_the_alerts() {
        let s = state()
            .reduce(Action::Started {
                notice: None,
                at: 0.0,
            })
            .reduce(Action::Worker {
                msg: WorkerMsg::Done { result: result() },
                at: 1.0,
            });
        assert!(s.result.as_ref().unwrap().workbook_pending);
        let g = s.generation;
        let mut full = s.result.as_ref().unwrap().workbook.clone();
        full.events = 3;
        let s = s.reduce(Action::Worker {
            msg: WorkerMsg::Workbook {
                workbook: Box::new(full.clone()),
                millis: 12.0,
            },
            at: 2.0,
        });
        let r = s.result.as_ref().unwrap();
        assert!(!r.workbook_pending);
        assert_eq!(r.workbook, full);
        assert_eq!(r.millis_workbook, 12.0);
        assert_eq!(s.generation, g, "the same drop: views keep their place");
        assert_eq!(s.phase, Phase::Done);
    }

    #[test]
    fn a_dead_worker_clears_the_result_and_says_so() {
        let s = state()
            .reduce(Action::Started {
                notice: None,
                at: 0.0,
            })
            .reduce(Action::Worker {
                msg: WorkerMsg::Done { result: result() },
                at: 1.0,
            })
            .reduce(Action::ShowRaw(RawRecord {
                idx: 0,
                text: String::new(),
                normalised: String::new(),
            }));
        let g = s.generation;
        let s = s.reduce(Action::WorkerDied {
            message: "RuntimeError: memory access out of bounds".into(),
            reloading: true,
            started: true,
        });
        assert!(s.result.is_none(), "no stale result");
        assert!(s.raw.is_none());
        assert!(s.generation > g, "tabs drop their own state");
        assert_eq!(s.phase, Phase::Running);
        let e = s.error.clone().unwrap();
        assert!(e.contains("memory access out of bounds") && e.contains("restarted"));
        // Dying while reading a drop (no reload): the drop failed, with where it was.
        let s = state()
            .reduce(Action::Started {
                notice: None,
                at: 0.0,
            })
            .reduce(Action::Worker {
                msg: WorkerMsg::Progress(Progress {
                    file: "big\u{202E}.json".into(),
                    bytes_done: 1 << 20,
                    bytes_total: 2 << 20,
                    ..Progress::default()
                }),
                at: 1.0,
            })
            .reduce(Action::WorkerDied {
                message: "out of memory".into(),
                reloading: false,
                started: true,
            });
        assert_eq!(s.phase, Phase::Failed);
        let e = s.error.clone().unwrap();
        assert!(e.contains("big⟨U+202E⟩.json (1.0 MiB of 2.0 MiB)"), "{e}");
        assert!(e.contains("ran out of memory"), "{e}");
        // Dying before it said it was ready: it could not start, whatever the message says
        // (not "ran out of memory for this drop").
        let s = state()
            .reduce(Action::Started {
                notice: None,
                at: 0.0,
            })
            .reduce(Action::WorkerDied {
                message: "Uncaught RangeError: WebAssembly.Memory(): could not allocate".into(),
                reloading: false,
                started: false,
            });
        assert_eq!(s.phase, Phase::Failed);
        let e = s.error.clone().unwrap();
        assert!(
            e.starts_with("The analysis worker could not start: Uncaught RangeError"),
            "{e}"
        );
        assert!(!e.contains("this drop"), "{e}");
    }

    #[test]
    fn cancel_and_triage() {
        let s = state()
            .reduce(Action::Started {
                notice: None,
                at: 0.0,
            })
            .reduce(Action::Cancelled);
        assert_eq!(s.phase, Phase::Idle);
        assert!(s.error.as_deref().unwrap().starts_with("Cancelled"));
        let s = s.reduce(Action::SetTriage(
            "k".into(),
            Triage {
                state: "Closed".into(),
                note: "ok".into(),
            },
        ));
        assert_eq!(s.triage["k"].state, "Closed");
    }
}
