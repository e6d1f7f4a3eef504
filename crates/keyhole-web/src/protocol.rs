//! What the page and its worker say to each other: one [`Request`] type in, one [`Reply`] type
//! out, each carrying a sequence number (the bridge routes a reply to whoever asked), and the
//! view types inside them. Every number in them comes from keyhole-core; these types only carry.

use keyhole_core::store::budget::Fit;
use keyhole_core::workbook::{EventFilter, MassRetrieval, Workbook, WorkbookOptions};
use keyhole_core::Timestamp;
use serde::{Deserialize, Serialize};

/// An alert as the page shows it: the fields of the core's finding (spec §4's JSON line), with
/// its evidence resolved to event indices in the worker's dataset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingView {
    pub rule: String,
    pub title: String,
    pub severity: String,
    pub tactics: Vec<String>,
    pub vault: Option<String>,
    pub identity: IdentityView,
    pub ip: Option<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub count: u64,
    pub reason: String,
    /// What the judgement rests on (e.g. "rolling 14-day history"), when the engine says.
    pub basis: Option<String>,
    /// How sure the engine is (`high`, `medium`, `low`), when it says.
    pub confidence: Option<String>,
    pub evidence: Vec<EvidenceRef>,
    pub details: serde_json::Value,
    /// Indices into the worker's events (from `evidence`).
    pub evidence_idx: Vec<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityView {
    pub upn: Option<String>,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
}

impl IdentityView {
    /// upn, else object id, else app id, else `—`.
    pub fn label(&self) -> &str {
        self.upn
            .as_deref()
            .or(self.object_id.as_deref())
            .or(self.app_id.as_deref())
            .unwrap_or("—")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvidenceRef {
    pub source: String,
    pub line: u64,
    pub event: Option<usize>,
}

impl FindingView {
    /// A stable key for triage state: the same alert on the same data gets the same key.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.rule,
            self.vault.as_deref().unwrap_or("*"),
            self.identity.label(),
            self.ip.as_deref().unwrap_or(""),
            self.first_seen.map(|t| t.to_rfc3339()).unwrap_or_default()
        )
    }

    pub fn severity_rank(&self) -> u8 {
        severity_rank(&self.severity)
    }
}

pub fn severity_rank(s: &str) -> u8 {
    match s {
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "informational" => 1,
        _ => 0,
    }
}

pub const SEVERITIES: [&str; 4] = ["high", "medium", "low", "informational"];

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProblemView {
    pub line: u64,
    pub reason: String,
}

/// What happened to one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileView {
    pub file: String,
    pub shapes: Vec<String>,
    pub wrappers: Vec<String>,
    pub bytes: u64,
    pub records: u64,
    pub skipped: u64,
    pub problems: Vec<ProblemView>,
    /// Set when the browser could not read the file at all.
    pub error: Option<String>,
}

/// One event as a row of the explorer and evidence tables.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub idx: u32,
    pub time: Timestamp,
    pub vault: String,
    pub operation: String,
    pub object_name: Option<String>,
    pub status: Option<u16>,
    pub outcome: String,
    /// The SDK's 401 challenge: normal traffic, shown muted.
    pub challenge: bool,
    pub ip: Option<String>,
    pub identity: Option<String>,
    pub app_id: Option<String>,
    pub file: String,
    pub line: u64,
}

/// A rule of the catalogue and how it judged this drop (the core's `RuleStatus`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleStatusView {
    pub rule: String,
    pub title: String,
    pub severity: String,
    pub ran: bool,
    /// What limited the rule on this drop, when something did.
    pub note: Option<String>,
    /// How it judged this drop ("needs no history", "learned from the first 24 h of this
    /// drop", …).
    pub judged: String,
}

/// A finished analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultView {
    pub files: Vec<FileView>,
    pub records: u64,
    pub duplicates: u64,
    pub skipped: u64,
    /// Vault names of the drop (the first ones; `vault_count` says how many there are).
    pub vaults: Vec<String>,
    pub vault_count: u64,
    pub findings: Vec<FindingView>,
    pub rules: Vec<RuleStatusView>,
    /// Threat-intel and allow-list messages (entries loaded, bad lines).
    pub settings_notes: Vec<String>,
    /// The workbook: at first its Alerts panels alone (`workbook_pending`), then every panel
    /// ([`WorkerMsg::Workbook`] follows the result).
    pub workbook: Workbook,
    /// The event panels are still being computed.
    #[serde(default)]
    pub workbook_pending: bool,
    pub millis_ingest: f64,
    pub millis_detect: f64,
    pub millis_workbook: f64,
    /// A pooled read: the parse workers' busy time, summed, and the analysis worker's merging.
    pub millis_workers: f64,
    pub millis_merge: f64,
}

/// Detection settings the user can change (kept in the browser).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// TOR exit nodes (one IP or CIDR a line, `#` comments), on top of the bundled snapshot.
    pub tor: String,
    /// Threat-intel IPs / CIDRs.
    pub suspicious: String,
    /// Principals (upn, object id, app id) and IPs / CIDRs to suppress.
    pub allow: String,
    pub learning_days: u32,
    /// Zone of portal CSV `[Local Time]` columns as an IANA name or an offset (`+02:00`); it
    /// wins over `local_offset_minutes`. Neither: this computer's zone, daylight saving included.
    pub local_zone: Option<String>,
    /// Zone of portal CSV `[Local Time]` columns as a fixed offset, minutes east of UTC.
    pub local_offset_minutes: Option<i32>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tor: String::new(),
            suspicious: String::new(),
            allow: String::new(),
            learning_days: 7,
            local_zone: None,
            local_offset_minutes: None,
        }
    }
}

/// What the page can download (the worker produces it with keyhole-core's exporters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    AlertsJson,
    AlertsJsonl,
    AlertsCsv,
    Workbook,
    Report,
}

/// A chart of a KQL result, as its `render` operator asks: x values (times as microseconds
/// for a time chart, else category labels) and one or more numeric series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartSpec {
    /// `timechart`, `linechart`, `areachart`, `columnchart`, `barchart`, `piechart`.
    pub kind: String,
    pub x_label: String,
    /// Times (microseconds, UTC) for a time chart.
    pub x_times: Vec<i64>,
    /// Category labels for column, bar and pie charts.
    pub x_labels: Vec<String>,
    pub series: Vec<ChartSeries>,
    /// Why the result could not be drawn (no numeric column, …).
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    pub label: String,
    /// One value per x (`None`: no row for that x).
    pub values: Vec<Option<f64>>,
}

/// What a query's workbook parameters (`{KeyVault}`, `{TimeRange:start}`, …) follow on the
/// page: its vault and time filters, and the values typed in the Query tab. The worker binds
/// them over the defaults a workbook would pick on the drop (`keyhole_kql::workbook_defaults`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParamScope {
    /// The vault the page is filtered to, and which filter that is.
    pub vault: Option<(String, String)>,
    /// The page's time filter (microseconds UTC, inclusive; an open side is the drop's), and
    /// which filter that is.
    pub range: Option<(Option<i64>, Option<i64>, String)>,
    /// `NAME=VALUE` typed in the Query tab: they win over everything.
    pub overrides: Vec<(String, String)>,
}

/// A workbook parameter the query names, the value it was given and where that came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BoundParam {
    pub name: String,
    /// `None`: nothing binds it (the engine's error names it).
    pub value: Option<String>,
    pub source: String,
}

/// How a replayed result was made (`keyhole query --replay`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplayInfo {
    pub every: String,
    pub period: Option<String>,
    pub ticks: u64,
    pub ticks_with_rows: u64,
}

/// A KQL result (cells as text).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KqlResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total_rows: u64,
    pub render: Option<String>,
    pub chart: Option<ChartSpec>,
    pub csv: String,
    pub millis: f64,
    /// The workbook parameters the query names, as bound.
    pub params: Vec<BoundParam>,
    /// Set when the query was replayed as a scheduler would run it.
    pub replay: Option<ReplayInfo>,
    /// The time range every table was narrowed to, in words (`keyhole_kql::TimeContext`),
    /// when it left events out.
    #[serde(default)]
    pub time_context: Option<String>,
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub seq: u64,
    pub cmd: WorkerCmd,
}

/// Worker → page: the answer to request `seq` (0: not an answer, e.g. `Ready`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub seq: u64,
    pub msg: WorkerMsg,
}

/// UI → worker (File objects travel beside an `Analyze`, in a JS array).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum WorkerCmd {
    Analyze {
        paths: Vec<String>,
        settings: Settings,
        /// Read only the newest this many bytes of the drop (the answer to `TooBig`).
        #[serde(default)]
        newest_bytes: Option<u64>,
    },
    Demo {
        settings: Settings,
    },
    /// A window of the explorer: the matching events newest first, from `offset`.
    Events {
        filter: EventFilter,
        offset: u64,
        limit: u64,
    },
    /// Rows of the given events (an alert's evidence).
    Rows {
        idx: Vec<u32>,
    },
    /// The raw record and the normalised event.
    Raw {
        idx: u32,
    },
    Mass {
        threshold: u64,
        hours: u64,
    },
    Kql {
        query: String,
        #[serde(default)]
        params: ParamScope,
    },
    /// The query run at every tick (`every`, e.g. `1h`) across the drop, each run seeing the
    /// last `period` (or everything) up to its tick; answered by `ReplayProgress` messages,
    /// then `Kql` with a `ReplayTime` column (or `KqlError`).
    Replay {
        query: String,
        every: String,
        period: Option<String>,
        #[serde(default)]
        params: ParamScope,
    },
    Export {
        kind: ExportKind,
        options: WorkbookOptions,
    },
}

/// Worker → UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerMsg {
    Ready,
    Progress(Progress),
    FileDone {
        report: FileView,
    },
    Done {
        result: Box<ResultView>,
    },
    /// Every workbook panel of the drop just done (it follows `Done`, which showed the alerts
    /// with the Alerts panels only) and the milliseconds it took.
    Workbook {
        workbook: Box<Workbook>,
        millis: f64,
    },
    Events {
        total: u64,
        offset: u64,
        rows: Vec<EventRow>,
    },
    Rows {
        rows: Vec<EventRow>,
    },
    Raw {
        idx: u32,
        text: String,
        normalised: String,
    },
    Mass {
        panel: MassRetrieval,
    },
    Kql {
        result: Box<KqlResult>,
    },
    /// A query that did not run: the message, the byte range of the query it points at, and
    /// the workbook parameters as bound.
    KqlError {
        message: String,
        span: Option<(usize, usize)>,
        #[serde(default)]
        params: Vec<BoundParam>,
    },
    /// A replay ran `done` of its `total` ticks (more messages follow for the same request).
    ReplayProgress {
        done: u64,
        total: u64,
    },
    Export {
        name: String,
        mime: String,
        text: String,
    },
    Error {
        message: String,
    },
    /// The drop will not fit in the worker's memory (nothing was kept): the estimate, and the
    /// newest part that fits (per file: its name, size and the bytes of its end that fit).
    TooBig {
        fit: Fit,
        newest: Vec<(String, u64, u64)>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub file: String,
    pub file_index: usize,
    pub files: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub records: u64,
    pub skipped: u64,
    pub phase: String,
    /// Parse workers running, the read rate, and the inputs read as one sequential stream.
    #[serde(default)]
    pub workers: u32,
    #[serde(default)]
    pub bytes_per_sec: f64,
    #[serde(default)]
    pub sequential: Vec<String>,
    /// The memory estimate as it stands (bytes per record measured so far).
    #[serde(default)]
    pub fit: Option<Fit>,
}
