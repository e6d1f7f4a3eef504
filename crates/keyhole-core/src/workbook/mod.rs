//! The workbook: every number of the page's Alerts, Analytics and Monitoring tabs (the panels
//! of Microsoft Sentinel's "Azure Key Vault" workbook, spec §3 and §5), computed once, here.
//! The page's worker and `keyhole workbook` / `keyhole report` serialise the same [`Workbook`];
//! neither computes a number of its own.
//!
//! # Definitions (one place, used by every panel)
//!
//! - **failed**: the request did not succeed (HTTP status not 2xx, or a failure signature when
//!   the status is absent) and it is not the SDK's unauthenticated 401 `Authentication`
//!   challenge, which precedes every authenticated call and is normal traffic ([`is_failure`]).
//!   The workbook's own queries test `httpStatusCode_d !startswith "20"`, which counts that
//!   challenge as a failure; an auditor would then see a failure for every successful client.
//!   **denied** (401/403 that is not the challenge) and **throttled** (429) are the parts of
//!   "failed" the Monitoring tab draws separately; the challenge is drawn as its own series.
//! - **sensitive**: what the `KV_SensitiveOperation` rule of the catalogue (spec §3) calls
//!   sensitive, so the panel and the alert agree: `VaultDelete`, `Delete`, `Purge` and `Backup`
//!   of secrets, keys and certificates, and `SecretListDeleted`
//!   ([`crate::detect::rules::sensitive_operation::is_sensitive`]). Sentinel's workbook omits
//!   certificates; a certificate delete removes its private key too, so they are in. The panel
//!   lists every attempt (successful or not, with its status); the alert fires on successes.
//! - **read** (mass retrieval): a `Get` or `Backup` of one named secret, key or certificate —
//!   an operation that returns the object's material
//!   ([`crate::detect::rules::mass_secret_retrieval::is_object_read`]). `List` returns names
//!   only, `Decrypt`/`Unwrap`/`Sign` use a key without retrieving it: not reads. A principal
//!   appears when its successful reads on one vault within one period (aligned to the epoch,
//!   UTC) reach the threshold (at least `mass_threshold`; workbook default 1000 in 24 h).
//! - **user / service**: a user when the token names a user (upn or `idtyp` user); everything
//!   else (app-only tokens, managed identities, anonymous) is a service.
//! - **identity label**: upn, else object id, else app id, else `(anonymous)`; **IP label**:
//!   the parsed caller address, else the raw caller text, else `(none)`.
//!
//! # Time grid
//!
//! Every series shares one grid ([`TimeGrid`]): hour buckets when the drop spans at most 31
//! days, day buckets beyond, aligned to UTC, from the first to the last event, at most
//! [`MAX_BUCKETS`] (a drop spanning more, from corrupt timestamps, has its tail folded into the
//! last bucket).
//!
//! # Caps
//!
//! Tables keep their first [`WorkbookOptions::rows`] rows (in their documented order) beside the
//! exact total; top lists keep [`WorkbookOptions::top`] entries beside the number of distinct
//! values; per-vault series are kept for the [`WorkbookOptions::series_vaults`] busiest vaults;
//! daily series keep the last [`MAX_DAYS`] days of each vault. Every count is exact.

mod alerts;
mod coverage;
pub mod explore;
mod grid;
pub mod report;
mod slots;
mod tables;
#[cfg(test)]
mod tests;

pub use alerts::{AlertPanels, RuleCount, SeverityCounts, VaultAlerts};
pub use coverage::{DailyPoint, VaultCoverage};
pub use explore::EventFilter;
pub use grid::{Monitoring, ObjectOps, TimeGrid, VaultSeries};
pub use tables::{
    mass_retrieval, CallerRow, Count, Dimension, FailureRow, MassRetrieval, MassRow, Rows,
    SensitiveOps, SensitiveRow, TopPanel,
};

use crate::detect::Finding;
use crate::event::{IdentityKind, Outcome};
use crate::store::{EventRef, EventStore};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

pub use crate::detect::rules::mass_secret_retrieval::is_object_read;
pub use crate::detect::rules::sensitive_operation::is_sensitive;

/// Most buckets a series has (see the module doc).
pub const MAX_BUCKETS: usize = 5000;
/// Most days a vault's daily series keeps (the latest ones).
pub const MAX_DAYS: usize = 400;

/// A failed event: not a success, and not the SDK's 401 challenge (see the module doc).
pub fn is_failure(ev: EventRef<'_>) -> bool {
    ev.outcome() != Outcome::Success && !ev.is_auth_challenge()
}

/// A user's request (the token names a user), as opposed to a service's.
pub fn is_user(ev: EventRef<'_>) -> bool {
    ev.identity().upn.is_some() || ev.identity().kind == Some(IdentityKind::User)
}

/// upn, else object id, else app id, else `(anonymous)`.
pub fn identity_label(ev: EventRef<'_>) -> String {
    ev.identity()
        .display()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "(anonymous)".into())
}

/// The parsed caller address, else the raw caller text, else `(none)`.
pub fn ip_label(ev: EventRef<'_>) -> String {
    ev.caller_addr()
        .map(|a| a.to_string())
        .or_else(|| ev.caller_ip().as_deref().map(str::to_string))
        .unwrap_or_else(|| "(none)".into())
}

/// What the caller can choose: the mass-retrieval threshold and period, and the caps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkbookOptions {
    /// Successful reads by one principal on one vault within one period (workbook: 1000).
    pub mass_threshold: u64,
    /// The mass-retrieval period in hours (workbook: 24).
    pub mass_period_hours: u64,
    /// Entries of each top list.
    pub top: usize,
    /// Rows of each table.
    pub rows: usize,
    /// Vaults (the busiest) that get their own series.
    pub series_vaults: usize,
}

impl Default for WorkbookOptions {
    fn default() -> Self {
        WorkbookOptions {
            mass_threshold: 1000,
            mass_period_hours: 24,
            top: 20,
            rows: 500,
            series_vaults: 50,
        }
    }
}

/// Every panel, for one drop (events) and its findings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workbook {
    pub options: WorkbookOptions,
    /// Events behind the panels.
    pub events: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub grid: TimeGrid,
    /// Alerts tab: severity tiles, alerts per vault, alerts over time, alerts per rule.
    pub alerts: AlertPanels,
    /// Analytics: one row per vault (sorted by name), with its daily series and anomaly score.
    pub coverage: Rows<VaultCoverage>,
    /// Monitoring: requests, failures, latency per bucket, overall and for the busiest vaults.
    pub monitoring: Monitoring,
    /// Analytics: data-plane operations per bucket, by object kind, users vs services.
    pub object_ops: ObjectOps,
    /// Analytics: events and failed events by vault, caller IP, identity, operation.
    pub top: Vec<TopPanel>,
    /// Callers by IP × vault (seeds 000 / 004), most events first.
    pub callers: Rows<CallerRow>,
    /// Failures by request URI × result signature × status, most first.
    pub failures: Rows<FailureRow>,
    /// Sensitive operations, newest first.
    pub sensitive: SensitiveOps,
    /// Mass retrieval with the chosen threshold and period.
    pub mass_retrieval: MassRetrieval,
}

/// Computes every panel. `events`: the drop's store (time-sorted); `findings` are
/// those of [`crate::detect::analyze`] over the same events.
pub fn compute(events: &EventStore, findings: &[Finding], opts: &WorkbookOptions) -> Workbook {
    let mut wb = alerts_only(events, findings, opts);
    wb.coverage = coverage::coverage(events, opts.rows);
    (wb.monitoring, wb.object_ops) = grid::series(events, &wb.grid, opts.series_vaults);
    wb.top = tables::top_panels(events, opts.top);
    wb.callers = tables::callers(events, opts.rows);
    wb.failures = tables::failures(events, opts.rows);
    wb.sensitive = tables::sensitive(events, opts.rows);
    wb.mass_retrieval = tables::mass_retrieval(
        events,
        opts.mass_threshold,
        opts.mass_period_hours,
        opts.rows,
    );
    wb
}

/// The Alerts tab's panels alone — severity tiles, alerts per vault, over time and per rule,
/// which read the findings, not the events — in a workbook whose event panels are empty. The
/// page shows it with the first alerts and sends [`compute`]'s panels when they are ready.
pub fn alerts_only(events: &EventStore, findings: &[Finding], opts: &WorkbookOptions) -> Workbook {
    // the store is sorted by time: the first and the last row (as `min`/`max` of the rows)
    let first = (!events.is_empty()).then(|| events.row(0).time());
    let last = events.len().checked_sub(1).map(|i| events.row(i).time());
    let grid = TimeGrid::spanning(first, last);
    Workbook {
        options: opts.clone(),
        events: events.len() as u64,
        first,
        last,
        alerts: alerts::panels(findings, &grid),
        coverage: none(),
        monitoring: Monitoring::default(),
        object_ops: ObjectOps::default(),
        top: Vec::new(),
        callers: none(),
        failures: none(),
        sensitive: SensitiveOps::default(),
        mass_retrieval: MassRetrieval {
            threshold: opts.mass_threshold,
            period_hours: opts.mass_period_hours,
            ..MassRetrieval::default()
        },
        grid,
    }
}

fn none<T>() -> Rows<T> {
    Rows {
        total: 0,
        rows: Vec::new(),
    }
}

impl Workbook {
    /// The workbook as pretty JSON (what `keyhole workbook --format json` prints and the page
    /// exports), with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }
}

/// Timestamps read back from their RFC 3339 text (the page reads the worker's workbook).
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Timestamp::parse_iso(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s}")))
    }
}
