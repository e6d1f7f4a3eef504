//! Messages and view models shared by the UI and the worker. Everything crosses the worker
//! boundary as JSON text (File objects travel as JS values beside it).

use serde::{Deserialize, Serialize};

/// An alert as the page shows it: the fields of spec §4's `--format jsonl` line, plus the
/// evidence resolved to event indices in the worker's dataset.
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
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub count: u64,
    pub reason: String,
    pub evidence: Vec<EvidenceRef>,
    /// Rule-specific details (permissions granted, range added, old/new configuration…).
    pub details: serde_json::Value,
    /// Indices into the worker's event list (resolved from `evidence`).
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
    pub fn label(&self) -> String {
        self.upn
            .clone()
            .or_else(|| self.object_id.clone())
            .or_else(|| self.app_id.clone())
            .unwrap_or_else(|| "—".into())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvidenceRef {
    pub source: String,
    pub line: u64,
    /// Index of the event in the analysed list (the core's `EvidenceRef::event`).
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
            self.first_seen.as_deref().unwrap_or("")
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

/// A problem in one file (bad line, truncated record…).
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
    /// Set when the file could not be read at all (I/O error in the browser).
    pub error: Option<String>,
}

/// One row of the events explorer / evidence tables.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub idx: u32,
    pub time: String,
    pub vault: String,
    pub operation: String,
    pub object_kind: String,
    pub object_name: Option<String>,
    pub status: Option<u16>,
    pub outcome: String,
    pub ip: Option<String>,
    pub identity: Option<String>,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
    pub kind: Option<String>,
    pub client_info: Option<String>,
    pub request_uri: Option<String>,
    pub duration_ms: Option<u64>,
    pub file: String,
    pub line: u64,
}

/// Events explorer filter (spec §5). Times are `YYYY-MM-DDTHH:MM` in the zone `tz_minutes`
/// (offset east of UTC), so the user always knows which zone the range is in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub tz_minutes: i32,
    pub vault: String,
    pub identity: String,
    pub ip: String,
    pub operation: String,
    pub outcome: String,
}

/// A labelled series of counts over time buckets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub label: String,
    pub values: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub n: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub vault: String,
    pub first: String,
    pub last: String,
    pub events: u64,
    pub failed: u64,
    pub principals: u64,
    pub active_hours: u64,
    pub span_hours: u64,
    /// Daily event counts over the drop's days (for the sparkline).
    pub daily: Vec<f64>,
    /// Daily anomaly score (robust z of the day's count against the trailing 14 days).
    pub score: Vec<f64>,
    pub score_latest: f64,
    pub score_max: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairCount {
    pub a: String,
    pub b: String,
    pub c: String,
    pub n: u64,
}

/// Aggregates for the Analytics and Monitoring tabs (Sentinel Key Vault workbook panels).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// Start of the first bucket, microseconds since the epoch (UTC).
    pub start: i64,
    /// Bucket width in microseconds (an hour or a day).
    pub bucket: i64,
    pub buckets: usize,
    pub requests: Vec<f64>,
    pub failures: Vec<f64>,
    pub denied: Vec<f64>,
    pub throttled: Vec<f64>,
    pub latency_avg: Vec<f64>,
    pub latency_max: Vec<f64>,
    /// Per-vault requests and failures per bucket (same order as `coverage`).
    pub vault_requests: Vec<Series>,
    pub vault_failures: Vec<Series>,
    pub vault_latency: Vec<Series>,
    /// First day (days since epoch) of the daily series.
    pub day0: i64,
    pub days: usize,
    pub coverage: Vec<Coverage>,
    pub top_all: Vec<(String, Vec<Count>)>,
    pub top_failed: Vec<(String, Vec<Count>)>,
    pub callers: Vec<PairCount>,
    pub failures_by_uri: Vec<PairCount>,
    /// Data-plane operations per bucket: secrets/keys/certificates × users/services.
    pub dataplane: Vec<Series>,
    pub sensitive: Vec<EventRow>,
    pub sensitive_total: u64,
}

/// The summary of a finished analysis.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultView {
    pub files: Vec<FileView>,
    pub records: u64,
    pub duplicates: u64,
    pub skipped: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub vaults: Vec<String>,
    pub findings: Vec<FindingView>,
    /// Why there are no findings when the engine could not run (never silently empty).
    pub detection_note: Option<String>,
    /// Which rules ran on this drop, and why the others could not.
    pub rules: Vec<RuleStatusView>,
    /// Threat-intel and allow-list messages (entries loaded, bad lines).
    pub settings_notes: Vec<String>,
    pub agg: Aggregates,
    pub millis_ingest: f64,
    pub millis_detect: f64,
    pub millis_aggregate: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MassRow {
    pub identity: String,
    pub vault: String,
    pub window_start: String,
    pub reads: u64,
    pub distinct: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleStatusView {
    pub rule: String,
    pub ran: bool,
    pub note: Option<String>,
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
    /// Zone of portal CSV `[Local Time]` columns, minutes east of UTC (`None`: this computer's).
    pub local_offset_minutes: Option<i32>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tor: String::new(),
            suspicious: String::new(),
            allow: String::new(),
            learning_days: 7,
            local_offset_minutes: None,
        }
    }
}

/// Worker → UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerMsg {
    Ready,
    Progress {
        file: String,
        file_index: usize,
        files: usize,
        bytes_done: u64,
        bytes_total: u64,
        records: u64,
        skipped: u64,
        phase: String,
    },
    FileDone {
        report: FileView,
    },
    Done {
        result: Box<ResultView>,
    },
    Events {
        seq: u64,
        total: u64,
        offset: u64,
        rows: Vec<EventRow>,
    },
    Rows {
        seq: u64,
        rows: Vec<EventRow>,
    },
    Raw {
        idx: u32,
        text: String,
        normalised: String,
    },
    Mass {
        rows: Vec<MassRow>,
    },
    /// A KQL result (cells as text), or the error with its position.
    Kql {
        seq: u64,
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
        total_rows: u64,
        render: Option<String>,
        csv: String,
        error: Option<String>,
        /// Byte range of the query the error points at (underlined in the editor).
        error_span: Option<(usize, usize)>,
        millis: f64,
    },
    Error {
        message: String,
    },
}

/// UI → worker (File objects are passed beside, in a JS array, for `Analyze`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum WorkerCmd {
    Analyze {
        paths: Vec<String>,
        settings: Settings,
    },
    Demo {
        settings: Settings,
    },
    Events {
        seq: u64,
        filter: Filter,
        offset: u64,
        limit: u64,
    },
    Rows {
        seq: u64,
        idx: Vec<u32>,
    },
    Raw {
        idx: u32,
    },
    Mass {
        threshold: u64,
        hours: u64,
    },
    Kql {
        seq: u64,
        query: String,
    },
}
