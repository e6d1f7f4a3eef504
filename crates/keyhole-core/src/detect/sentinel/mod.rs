//! Every rule of the catalogue as a Microsoft Sentinel scheduled analytics rule (issue 13): the
//! query (one `.kql` template a rule under `kql/`, run on `AzureDiagnostics` or `AZKVAuditLogs`)
//! and the metadata of the Azure-Sentinel repository's analytics-rule schema (stable GUID,
//! tactics, techniques, entity mappings, custom details, frequency and period).
//!
//! A query is the template behind a header of `let` lines filled from [`DetectConfig`]: the
//! rule's thresholds, the Microsoft first-party allow-list, the user's allow-lists, the intel
//! lists it reads; then the shared normalisation ([`prelude`]), which also leaves out the SDK's
//! 401 challenge. What Keyhole finds offline the exported rule finds online, with one difference
//! every baseline rule states in its description: a scheduled rule sees at most 14 days
//! (`queryPeriod`), Keyhole sees the whole drop. Where a rule cannot be expressed exactly,
//! [`Exactness::Approximate`] says how it differs (and the description says it too); the
//! agreement test replays every query over the generator's scenarios and prints the comparison.
//!
//! The core stays pure: this module produces strings and a serialisable document; the CLI writes
//! the YAML files.

pub mod prelude;

use super::config::{parse_net_list, BUNDLED_MICROSOFT, BUNDLED_TOR, FIRST_PARTY_APPS};
use super::{catalogue, DetectConfig, IntelKind, Net, RuleInfo, Severity};
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN};
use prelude::Extra;
use serde::Serialize;
use std::collections::BTreeMap;

/// Sentinel's limit on a scheduled rule's query (the Azure-Sentinel schema's `StringLength`).
pub const MAX_QUERY_CHARS: usize = 10_000;
/// Sentinel's longest `queryPeriod`.
pub const MAX_PERIOD: i64 = 14 * MICROS_PER_DAY;

/// The Log Analytics table a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogTable {
    AzureDiagnostics,
    AzkvAuditLogs,
}

impl LogTable {
    pub const ALL: [LogTable; 2] = [LogTable::AzureDiagnostics, LogTable::AzkvAuditLogs];

    pub fn name(self) -> &'static str {
        match self {
            LogTable::AzureDiagnostics => "AzureDiagnostics",
            LogTable::AzkvAuditLogs => "AZKVAuditLogs",
        }
    }

    pub fn parse(s: &str) -> Option<LogTable> {
        match s.to_ascii_lowercase().as_str() {
            "azurediagnostics" => Some(LogTable::AzureDiagnostics),
            "azkvauditlogs" => Some(LogTable::AzkvAuditLogs),
            _ => None,
        }
    }
}

/// How lists (intel, Microsoft ranges) reach the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListMode {
    /// Inline when the query stays within [`MAX_QUERY_CHARS`]; otherwise the longest lists become
    /// Sentinel watchlists (`_GetWatchlist`), written beside the rules.
    Auto,
    /// Always inline (for Keyhole's own engine, e.g. `query --replay`; no length limit).
    Inline,
}

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    pub table: LogTable,
    pub lists: ListMode,
}

/// Whether the exported query finds exactly what the offline rule finds (given the same
/// history), and if not, how it differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "note", rename_all = "snake_case")]
pub enum Exactness {
    Exact,
    Approximate(&'static str),
}

/// A threshold as a `let` line: name, value (KQL literal), and what it means.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Param {
    pub name: &'static str,
    pub value: String,
    /// The value under [`DetectConfig::default`].
    pub default: String,
    pub doc: &'static str,
}

/// The lists a rule's query reads, beyond the allow-lists every query has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Tor,
    Suspicious,
    Microsoft,
    Ordinary,
}

impl List {
    /// (let name, membership column, watchlist alias).
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            List::Tor => ("TorExitNodes", "InTor", "KeyholeTorExitNodes"),
            List::Suspicious => ("SuspiciousIps", "InSuspicious", "KeyholeSuspiciousIps"),
            List::Microsoft => ("MicrosoftRanges", "InMicrosoft", "KeyholeMicrosoftRanges"),
            List::Ordinary => ("OrdinaryRanges", "Ordinary", "KeyholeOrdinaryRanges"),
        }
    }

    fn doc(self) -> &'static str {
        match self {
            List::Tor => "TOR exit nodes",
            List::Suspicious => "threat-intel addresses and networks",
            List::Microsoft => "Microsoft Azure public ranges: never 'unusual'",
            List::Ordinary => "private, loopback and link-local: never 'unusual'",
        }
    }

    fn nets(self, cfg: &DetectConfig) -> Vec<Net> {
        let mut v = Vec::new();
        match self {
            List::Tor => {
                if cfg.bundled_tor {
                    v.extend(parse_net_list(BUNDLED_TOR).0);
                }
                for l in cfg.intel.iter().filter(|l| l.kind == IntelKind::Tor) {
                    v.extend(l.nets.iter());
                }
            }
            List::Suspicious => {
                for l in cfg.intel.iter().filter(|l| l.kind == IntelKind::Suspicious) {
                    v.extend(l.nets.iter());
                }
            }
            List::Microsoft => v.extend(parse_net_list(BUNDLED_MICROSOFT).0),
            List::Ordinary => {
                for s in [
                    "10.0.0.0/8",
                    "172.16.0.0/12",
                    "192.168.0.0/16",
                    "127.0.0.0/8",
                    "169.254.0.0/16",
                    "0.0.0.0/32",
                    "::1/128",
                    "::/128",
                    "fc00::/7",
                    "fe80::/10",
                ] {
                    v.extend(Net::parse(s));
                }
            }
        }
        v.sort_by_key(|n| (n.addr, n.prefix));
        v.dedup();
        v
    }
}

/// One rule's Sentinel form.
pub struct SentinelRule {
    pub rule: &'static str,
    /// `id` of the `AzureDiagnostics` and of the `AZKVAuditLogs` rule (never change them:
    /// Sentinel updates a rule in place by its id).
    pub guids: [&'static str; 2],
    /// `queryFrequency`, microseconds.
    pub frequency: i64,
    /// `queryPeriod` from the configuration, microseconds.
    period: fn(&DetectConfig) -> i64,
    /// MITRE ATT&CK technique ids (`relevantTechniques`).
    pub techniques: &'static [&'static str],
    extras: &'static [Extra],
    lists: &'static [List],
    params: fn(&DetectConfig) -> Vec<(&'static str, String, &'static str)>,
    pub exactness: Exactness,
    /// `customDetails`: key → result column.
    pub custom_details: &'static [(&'static str, &'static str)],
    /// The query returns `AlertSeverity` (low/medium per row).
    pub severity_column: bool,
    /// The vault-level rule has no principal (no Account or IP entity).
    pub vault_only: bool,
    /// Conditions on the table's own columns (AzureDiagnostics, AZKVAuditLogs) that keep only
    /// the records the rule reads, before the normalisation runs on them.
    prefilter: Option<(&'static str, &'static str)>,
    template: &'static str,
}

/// Records that carry the vault's firewall default action.
const ACL_SNAPSHOTS: (&str, &str) = (
    "isnotempty(column_ifexists(\"properties_networkAcls_defaultAction_s\", \"\"))",
    "isnotempty(tostring(NetworkAcls.defaultAction))",
);
/// Records that carry any of the protection settings.
const PROTECTION_SNAPSHOTS: (&str, &str) = (
    "isnotnull(column_ifexists(\"properties_enableSoftDelete_b\", bool(null))) or isnotnull(column_ifexists(\"properties_enablePurgeProtection_b\", bool(null))) or isnotnull(column_ifexists(\"properties_enableRbacAuthorization_b\", bool(null))) or isnotnull(column_ifexists(\"properties_softDeleteRetentionInDays_d\", real(null)))",
    "isnotnull(EnableSoftDelete) or isnotnull(EnablePurgeProtection) or isnotnull(EnableRbacAuthorization) or isnotnull(SoftDeleteRetentionInDays)",
);
/// Records that may be denials: 401/403, or no status at all (judged by the result signature).
const MAYBE_DENIED: (&str, &str) = (
    "coalesce(toint(column_ifexists(\"httpStatusCode_d\", real(null))), 0) in (0, 401, 403)",
    "coalesce(toint(HttpStatusCode), 0) in (0, 401, 403)",
);

const H: i64 = MICROS_PER_HOUR;
const D: i64 = MICROS_PER_DAY;

fn hour(_: &DetectConfig) -> i64 {
    H
}
fn fortnight(_: &DetectConfig) -> i64 {
    MAX_PERIOD
}
fn none(_: &DetectConfig) -> Vec<(&'static str, String, &'static str)> {
    Vec::new()
}

/// A KQL timespan literal (`10m`, `1h`, `14d`).
pub fn timespan(micros: i64) -> String {
    if micros % D == 0 {
        format!("{}d", micros / D)
    } else if micros % H == 0 {
        format!("{}h", micros / H)
    } else if micros % MICROS_PER_MIN == 0 {
        format!("{}m", micros / MICROS_PER_MIN)
    } else {
        format!("{}s", micros / 1_000_000)
    }
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

type P = (&'static str, String, &'static str);

fn learning(c: &DetectConfig) -> P {
    (
        "LearningDays",
        c.learning_days.to_string(),
        "a vault's first days of data only build its baseline",
    )
}
fn established(c: &DetectConfig) -> P {
    (
        "EstablishedDays",
        c.established_days.to_string(),
        "a principal is established once active on this many earlier days",
    )
}

/// Every rule of the catalogue, in catalogue order.
pub static RULES: &[SentinelRule] = &[
    SentinelRule {
        rule: "KV_TORAccess",
        guids: ["bfe8c0dc-7e9b-5d72-8390-250dbf39236c", "0e56b39a-727a-5b62-946c-f5380217ca5e"],
        frequency: H,
        period: hour,
        techniques: &["T1555.006", "T1078.004"],
        extras: &[],
        lists: &[List::Tor],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("Operations", "Operations")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/tor_access.kql"),
    },
    SentinelRule {
        rule: "KV_SuspiciousIPAccess",
        guids: ["f183809f-6960-54d7-aee2-67a5a3a2b721", "b1643eab-af42-5277-9fbe-5ac6a1cf036c"],
        frequency: H,
        period: hour,
        techniques: &["T1555.006"],
        extras: &[],
        lists: &[List::Suspicious],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("Operations", "Operations")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/suspicious_ip_access.kql"),
    },
    SentinelRule {
        rule: "KV_SuspiciousIPAccessDenied",
        guids: ["9e736493-bdd9-5259-a30e-bfafe27ede0b", "5af30f55-8e49-5265-b0de-7719c525f56d"],
        frequency: H,
        period: hour,
        techniques: &["T1555.006", "T1526"],
        extras: &[],
        lists: &[List::Suspicious, List::Tor],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("Operations", "Operations"), ("Statuses", "Statuses")],
        severity_column: false,
        vault_only: false,
        prefilter: Some(MAYBE_DENIED),
        template: include_str!("kql/suspicious_ip_access_denied.kql"),
    },
    SentinelRule {
        rule: "KV_UnusualAccessSuspiciousIP",
        guids: ["60542cd0-8afc-55ee-96f7-6566135cea14", "54eb5b9c-474e-5a6b-82d2-f6ae165e33a8"],
        frequency: D,
        period: fortnight,
        techniques: &["T1078.004", "T1555.006"],
        extras: &[],
        lists: &[List::Microsoft, List::Ordinary],
        params: |c| {
            vec![
                learning(c),
                established(c),
                ("NetworkPrefixV4", c.network_prefix_v4.to_string(), "an IPv4 'network' is this many leading bits"),
                ("NetworkPrefixV6", c.network_prefix_v6.to_string(), "an IPv6 'network' is this many leading bits"),
            ]
        },
        exactness: Exactness::Approximate("a principal's known networks and active days are those of the last 14 days (queryPeriod), not of all its history: a network last used more than 14 days ago is new again"),
        custom_details: &[("Network", "Network"), ("KnownNetworks", "KnownNetworks"), ("ActiveDays", "ActiveDays")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/unusual_access_suspicious_ip.kql"),
    },
    SentinelRule {
        rule: "KV_UserAnomaly",
        guids: ["feede084-c475-52f6-adef-f769082ad8ee", "61dbbfe0-aac4-544f-a7c2-f1828440ce41"],
        frequency: D,
        period: fortnight,
        techniques: &["T1555.006", "T1530"],
        extras: &[],
        lists: &[],
        params: |c| vec![learning(c)],
        exactness: Exactness::Approximate("'never before' means not in the last 14 days (queryPeriod): a user whose previous data-plane success on the vault is older than that is new again"),
        custom_details: &[("Operations", "Operations"), ("HistoryDays", "HistoryDays")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/user_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_AppAnomaly",
        guids: ["fa21fcb8-f7a1-5d11-a699-e34f633d7d54", "b1e1ffbe-872d-5507-a3d2-a50176c46951"],
        frequency: D,
        period: fortnight,
        techniques: &["T1555.006", "T1530"],
        extras: &[],
        lists: &[],
        params: |c| vec![learning(c)],
        exactness: Exactness::Approximate("'never before' means not in the last 14 days (queryPeriod): an application whose previous data-plane success on the vault is older than that is new again"),
        custom_details: &[("Operations", "Operations"), ("HistoryDays", "HistoryDays")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/app_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_UserAppAnomaly",
        guids: ["3096f9ed-c9b5-5b53-8e5e-0bf9b7ff141d", "b1640459-33dc-57bc-90d3-c4e6fad2b9e4"],
        frequency: D,
        period: fortnight,
        techniques: &["T1555.006", "T1550.001"],
        extras: &[],
        lists: &[],
        params: |c| vec![learning(c)],
        exactness: Exactness::Approximate("the applications a user used with the vault are those of the last 14 days (queryPeriod), not of all its history"),
        custom_details: &[("KnownApps", "KnownApps")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/user_app_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_UserAccessDeniedAnomaly",
        guids: ["5994c9c5-1ce8-51b5-af9e-acab109c2ec4", "25baa771-7bac-5ddb-b092-6137bff0ee63"],
        frequency: D,
        period: fortnight,
        techniques: &["T1526", "T1555.006"],
        extras: &[],
        lists: &[],
        params: |c| vec![learning(c)],
        exactness: Exactness::Approximate("'never succeeded there' means not in the last 14 days (queryPeriod)"),
        custom_details: &[("Operations", "Operations"), ("Statuses", "Statuses")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/user_access_denied_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_AccountVolumeAnomaly",
        guids: ["3109ae2b-82f6-503a-9433-13b6b1d46405", "e2dc6e40-8b4e-51e7-9ecb-aa8032cd0b0e"],
        frequency: D,
        period: fortnight,
        techniques: &["T1526", "T1530"],
        extras: &[],
        lists: &[],
        params: |c| {
            vec![
                learning(c),
                established(c),
                ("AccountVaults", c.account_vaults.to_string(), "distinct vaults in a sliding 24 h"),
                ("AccountMargin", c.account_margin.to_string(), "and this many more than the principal's maximum on earlier days"),
            ]
        },
        exactness: Exactness::Approximate("the principal's maximum so far and its active days are those of the last 14 days (queryPeriod); the sliding 24 h distinct-vault count itself is exact"),
        custom_details: &[("Vaults", "Vaults"), ("DistinctVaults", "DistinctVaults"), ("PreviousMax", "PreviousMax")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/account_volume_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_AccountVolumeAccessDeniedAnomaly",
        guids: ["a2428e31-ebd6-5e77-81d6-29fbde708afc", "64b67e72-a956-5b48-851e-d591ed5d5fe3"],
        frequency: H,
        period: |_| H + D,
        techniques: &["T1526"],
        extras: &[],
        lists: &[],
        params: |c| vec![("DeniedVaults", c.denied_vaults.to_string(), "distinct vaults denied in a sliding 24 h")],
        exactness: Exactness::Exact,
        custom_details: &[("Vaults", "Vaults"), ("DistinctVaults", "DistinctVaults")],
        severity_column: false,
        vault_only: false,
        prefilter: Some(MAYBE_DENIED),
        template: include_str!("kql/account_volume_access_denied_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_OperationVolumeAnomaly",
        guids: ["1604c516-1e48-56b9-a851-5ae932995b53", "99176238-ae05-5aea-b359-bebce5432894"],
        frequency: D,
        period: fortnight,
        techniques: &["T1530"],
        extras: &[],
        lists: &[],
        params: |c| {
            vec![
                learning(c),
                established(c),
                ("TrailingDays", (c.volume_window_days as i64).min(13).to_string(), "days before the judged day in the baseline (Keyhole: volume_window_days; a 14-day queryPeriod holds 13 of them)"),
                ("VolumeRatio", num(c.volume_ratio), "the day's operations reach this many times the trailing median"),
                ("VolumeZ", num(c.volume_z), "robust z-score (median/MAD, scale floored at 1)"),
                ("VolumeMin", c.volume_min.to_string(), "and at least this many operations"),
                ("VolumeMaxFactor", num(c.volume_max_factor), "and this many times the busiest day of the window"),
            ]
        },
        exactness: Exactness::Approximate("the trailing baseline holds 13 days (a 14-day queryPeriod minus the judged day), Keyhole's 14; days are judged when complete (a daily run), Keyhole judges as the day goes"),
        custom_details: &[("Operations", "EventCount"), ("Median", "Median"), ("Mad", "Mad"), ("RobustZ", "RobustZ"), ("BusiestDay", "BusiestDay")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/operation_volume_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_OperationPatternAnomaly",
        guids: ["e7b6869c-06b7-5516-832a-7cc3139cc5fe", "225c7e5b-3624-59cd-934d-c571c9acd3fb"],
        frequency: D,
        period: fortnight,
        techniques: &["T1526", "T1530", "T1485"],
        extras: &[],
        lists: &[],
        params: |c| {
            vec![
                learning(c),
                established(c),
                ("PatternNewOps", c.pattern_new_ops.to_string(), "operation types new for the principal on the vault"),
                ("PatternWindow", timespan(c.pattern_window_min * MICROS_PER_MIN), "within this long"),
            ]
        },
        exactness: Exactness::Approximate("'never performed on the vault' and the active days mean within the last 14 days (queryPeriod)"),
        custom_details: &[("NewOperations", "NewOperations"), ("NewTypes", "NewTypes"), ("ActiveDays", "ActiveDays")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/operation_pattern_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_ListGetAnomaly",
        guids: ["ce752f40-967d-5b8d-acb0-b7eac54577d9", "1d7e9219-0ff8-528f-927a-585c84bb8498"],
        frequency: D,
        period: fortnight,
        techniques: &["T1526", "T1555.006"],
        extras: &[Extra::ObjectName],
        lists: &[],
        params: |c| {
            vec![
                learning(c),
                ("ListGetSecrets", c.list_get_secrets.to_string(), "secrets never read before by the principal"),
                ("ListGetWindow", timespan(c.list_get_window_min * MICROS_PER_MIN), "read within this long after a SecretList"),
            ]
        },
        exactness: Exactness::Approximate("'never read before' means not in the last 14 days (queryPeriod)"),
        custom_details: &[("NewSecrets", "NewSecrets"), ("Secrets", "Secrets"), ("ListTime", "ListTime")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/list_get_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_PutGetAnomaly",
        guids: ["95277a32-e6e2-5fe4-9e27-27ca82bd0c41", "ecb53b48-aa1c-56da-9a92-dca16dfad03c"],
        frequency: H,
        period: |c| H + c.put_get_window_min * MICROS_PER_MIN,
        techniques: &["T1078.004", "T1555.006"],
        extras: &[Extra::PolicyAdded],
        lists: &[],
        params: |c| vec![("PutGetWindow", timespan(c.put_get_window_min * MICROS_PER_MIN), "reads this soon after the access-policy change")],
        exactness: Exactness::Exact,
        custom_details: &[("GrantedObjectId", "GrantedObjectId"), ("ChangeTime", "ChangeTime"), ("Role", "Role")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/put_get_anomaly.kql"),
    },
    SentinelRule {
        rule: "KV_MassSecretRetrieval",
        guids: ["65968cc9-fabe-5ca8-8664-6962211035f1", "460238dd-e32f-5b99-a7ce-5bbbb6576185"],
        frequency: D,
        period: fortnight,
        techniques: &["T1555.006", "T1530"],
        extras: &[Extra::ObjectName],
        lists: &[],
        params: |c| {
            vec![
                learning(c),
                established(c),
                ("MassObjects", c.mass_objects.to_string(), "more than this many distinct objects read in 24 h"),
                ("MassReads", c.mass_reads.to_string(), "and more than this many reads"),
                ("MassFactor", num(c.mass_factor), "established principals: distinct objects above this many times their daily maximum so far"),
            ]
        },
        exactness: Exactness::Approximate("the 24 h windows end on whole hours (Keyhole slides them to every read), and the daily maximum so far is that of the last 14 days (queryPeriod)"),
        custom_details: &[("DistinctObjects", "DistinctObjects"), ("Reads", "Reads"), ("PreviousMax", "PreviousMax")],
        severity_column: true,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/mass_secret_retrieval.kql"),
    },
    SentinelRule {
        rule: "KV_FirewallOpened",
        guids: ["45c0944f-c93b-5a5f-ad78-055f3ea18699", "86d3cce3-6a27-5fa7-9cf3-d9636fdd9e48"],
        frequency: H,
        period: fortnight,
        techniques: &["T1562.007"],
        extras: &[Extra::NetworkDefaultAction],
        lists: &[],
        params: none,
        exactness: Exactness::Approximate("the previous configuration snapshot must be within the last 14 days (queryPeriod)"),
        custom_details: &[("PreviousSnapshot", "PreviousSnapshot")],
        severity_column: false,
        vault_only: false,
        prefilter: Some(ACL_SNAPSHOTS),
        template: include_str!("kql/firewall_opened.kql"),
    },
    SentinelRule {
        rule: "KV_FirewallRuleAdded",
        guids: ["9a2deb44-7920-55fb-93c6-a199eccecc26", "a5e0d7f7-a0cd-549a-a00b-755f6dcb724d"],
        frequency: H,
        period: hour,
        techniques: &["T1562.007", "T1098"],
        extras: &[Extra::IpRuleAdded],
        lists: &[],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("IpRule", "IpRule")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/firewall_rule_added.kql"),
    },
    SentinelRule {
        rule: "KV_AccessPolicyGranted",
        guids: ["ec240855-d35d-5618-af55-20ef638c3093", "6ca2b374-d1d4-568c-a7a7-39d55b711aac"],
        frequency: H,
        period: hour,
        techniques: &["T1098.003", "T1078.004"],
        extras: &[Extra::PolicyAdded],
        lists: &[],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("GrantedObjectId", "GrantedObjectId"), ("Permissions", "Permissions")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/access_policy_granted.kql"),
    },
    SentinelRule {
        rule: "KV_AccessPolicyFlash",
        guids: ["c4369747-f31d-578e-b550-0d6eb032db42", "a3f44748-c475-512b-bf52-665f151d9885"],
        frequency: H,
        period: |c| H + c.flash_window_min * MICROS_PER_MIN,
        techniques: &["T1070", "T1555.006"],
        extras: &[Extra::PolicyAdded, Extra::PolicyRemoved],
        lists: &[],
        params: |c| vec![("FlashWindow", timespan(c.flash_window_min * MICROS_PER_MIN), "granted then removed within this long")],
        exactness: Exactness::Exact,
        custom_details: &[("GrantedObjectId", "GrantedObjectId"), ("RemovedBy", "RemovedBy"), ("Seconds", "Seconds")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/access_policy_flash.kql"),
    },
    SentinelRule {
        rule: "KV_SensitiveOperation",
        guids: ["2dd449bf-b0a9-5967-82cf-5112ef63c3d6", "9103b05e-39c6-5c60-8f2c-e5a842634b27"],
        frequency: H,
        period: hour,
        techniques: &["T1485", "T1537"],
        extras: &[Extra::ObjectName],
        lists: &[],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("Operation", "Operation"), ("Objects", "Objects")],
        severity_column: true,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/sensitive_operation.kql"),
    },
    SentinelRule {
        rule: "KV_ProtectionWeakened",
        guids: ["cc2836a3-223b-52fc-babe-6f558e418af4", "1cf6fef8-5845-5d85-ac24-a19282446a68"],
        frequency: H,
        period: fortnight,
        techniques: &["T1562", "T1490"],
        extras: &[Extra::Protection],
        lists: &[],
        params: none,
        exactness: Exactness::Approximate("each setting's previous value must be within the last 14 days (queryPeriod)"),
        custom_details: &[("Changes", "Changes")],
        severity_column: false,
        vault_only: false,
        prefilter: Some(PROTECTION_SNAPSHOTS),
        template: include_str!("kql/protection_weakened.kql"),
    },
    SentinelRule {
        rule: "KV_AdministrativeOperation",
        guids: ["8392a968-d503-5167-a995-e7541aab8194", "e75ed870-5a4d-572c-bcee-92e25b72cc1d"],
        frequency: H,
        period: hour,
        techniques: &["T1098"],
        extras: &[],
        lists: &[],
        params: none,
        exactness: Exactness::Exact,
        custom_details: &[("Operations", "Operations")],
        severity_column: false,
        vault_only: false,
        prefilter: None,
        template: include_str!("kql/administrative_operation.kql"),
    },
    SentinelRule {
        rule: "KV_LogGap",
        guids: ["63d6e900-f7a9-54b3-8939-84179ba7bed9", "e7586401-0dee-5383-9f83-e1bb92e4d6e5"],
        frequency: D,
        period: fortnight,
        techniques: &["T1562.008"],
        extras: &[],
        lists: &[],
        params: |c| {
            vec![
                ("GapLength", timespan(c.gap_hours * H), "silence at least this long"),
                ("GapActiveHours", c.gap_active_hours.to_string(), "after this many consecutive hours with events"),
            ]
        },
        exactness: Exactness::Approximate("a silence is seen when the vault logs again, and only when the last event before it is within the last 14 days (queryPeriod)"),
        custom_details: &[("SilentHours", "SilentHours")],
        severity_column: false,
        vault_only: true,
        prefilter: None,
        template: include_str!("kql/log_gap.kql"),
    },
];

/// The Sentinel form of a rule id.
pub fn rule(id: &str) -> Option<&'static SentinelRule> {
    RULES.iter().find(|r| r.rule == id)
}

impl SentinelRule {
    /// The catalogue entry.
    pub fn info(&self) -> &'static RuleInfo {
        catalogue()
            .iter()
            .find(|i| i.id == self.rule)
            .expect("every Sentinel rule is in the catalogue")
    }

    pub fn guid(&self, table: LogTable) -> &'static str {
        self.guids[match table {
            LogTable::AzureDiagnostics => 0,
            LogTable::AzkvAuditLogs => 1,
        }]
    }

    /// `queryPeriod` for this configuration (at most 14 days).
    pub fn period(&self, cfg: &DetectConfig) -> i64 {
        (self.period)(cfg).min(MAX_PERIOD)
    }

    /// The rule's thresholds with their defaults.
    pub fn params(&self, cfg: &DetectConfig) -> Vec<Param> {
        let defaults = (self.params)(&DetectConfig::default());
        (self.params)(cfg)
            .into_iter()
            .map(|(name, value, doc)| Param {
                name,
                default: defaults
                    .iter()
                    .find(|d| d.0 == name)
                    .map(|d| d.1.clone())
                    .unwrap_or_else(|| value.clone()),
                value,
                doc,
            })
            .collect()
    }

    /// True for rules that judge against history (and so see only `queryPeriod` of it).
    pub fn uses_history(&self) -> bool {
        self.info().needs_baseline || (self.period)(&DetectConfig::default()) >= MAX_PERIOD
    }

    /// The description of the Sentinel rule: the catalogue's, how it runs in Sentinel, the
    /// history it sees, and how it differs from the offline rule when it does.
    pub fn description(&self, cfg: &DetectConfig, table: LogTable) -> String {
        let info = self.info();
        let mut d = format!(
            "{} Keyhole rule {} ({}).\nIn Microsoft Sentinel it runs every {} over the last {} of {}.",
            info.doc,
            info.id,
            info.origin,
            timespan(self.frequency),
            timespan(self.period(cfg)),
            table.name()
        );
        if self.uses_history() {
            d.push_str(" It judges against the history Sentinel gives a scheduled rule, at most 14 days (queryPeriod); Keyhole offline judges against the whole drop.");
        }
        if let Exactness::Approximate(note) = self.exactness {
            d.push_str(&format!(" Not exactly Keyhole's rule: {note}."));
        }
        d.push_str(" Thresholds, allow-lists and lists are the let lines at the top of the query.");
        d
    }
}

/// A Sentinel watchlist a query reads (a list too long to inline), with its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watchlist {
    /// `_GetWatchlist` alias; the file is `<alias>.csv` with one column, `Range` (the search key).
    pub alias: &'static str,
    pub ranges: Vec<String>,
}

impl Watchlist {
    /// The CSV a user uploads as the watchlist (search key: `Range`).
    pub fn csv(&self) -> String {
        let mut s = String::from("Range\n");
        for r in &self.ranges {
            s.push_str(r);
            s.push('\n');
        }
        s
    }
}

/// One exported rule.
#[derive(Clone, Debug)]
pub struct Exported {
    pub rule: &'static str,
    pub table: LogTable,
    pub query: String,
    /// Watchlists the query reads (empty when every list is inline).
    pub watchlists: Vec<Watchlist>,
    /// The analytics rule in the Azure-Sentinel repository's schema.
    pub doc: AnalyticsRule,
}

/// `entityMappings[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityMapping {
    pub entity_type: &'static str,
    pub field_mappings: Vec<FieldMapping>,
}

/// `entityMappings[].fieldMappings[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldMapping {
    pub identifier: &'static str,
    pub column_name: &'static str,
}

/// `requiredDataConnectors[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataConnector {
    pub connector_id: &'static str,
    pub data_types: Vec<&'static str>,
}

/// `alertDetailsOverride`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertDetailsOverride {
    pub alert_display_name_format: String,
    pub alert_description_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_severity_column_name: Option<&'static str>,
}

/// `eventGroupingSettings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventGrouping {
    pub aggregation_kind: &'static str,
}

/// A scheduled analytics rule, fields in the order of the Azure-Sentinel repository's rule
/// files (`Solutions/Azure Key Vault/Analytic Rules/*.yaml`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsRule {
    pub id: &'static str,
    pub name: String,
    pub description: String,
    pub severity: &'static str,
    pub status: &'static str,
    pub required_data_connectors: Vec<DataConnector>,
    pub query_frequency: String,
    pub query_period: String,
    pub trigger_operator: &'static str,
    pub trigger_threshold: u32,
    pub tactics: Vec<&'static str>,
    pub relevant_techniques: Vec<&'static str>,
    pub query: String,
    pub entity_mappings: Vec<EntityMapping>,
    pub custom_details: BTreeMap<&'static str, &'static str>,
    pub alert_details_override: AlertDetailsOverride,
    pub event_grouping_settings: EventGrouping,
    pub version: &'static str,
    pub kind: &'static str,
}

/// The version of the exported rules (bump when a query changes meaning).
pub const RULE_VERSION: &str = "1.0.0";

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Informational => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
    }
}

/// The items of a `dynamic([...])` list. A one-item list gets a leading space: Keyhole's lexer
/// reads `["x"]` right after `(` as a bracketed column name.
fn quote_list(v: &[String]) -> String {
    let items = v
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if v.len() == 1 {
        format!(" {items}")
    } else {
        items
    }
}

/// v4 and v6 texts of a list of networks.
fn split_nets(nets: &[Net]) -> (Vec<String>, Vec<String>) {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for n in nets {
        if n.addr.is_ipv4() {
            v4.push(n.to_string());
        } else {
            v6.push(n.to_string());
        }
    }
    (v4, v6)
}

/// `let` lines of a list (IPv4 and IPv6 apart: Kusto's IPv4 range functions take IPv4 ranges
/// only), inline or from a watchlist.
fn list_lets(name: &str, doc: &str, nets: &[Net], watchlist: Option<&str>) -> String {
    match watchlist {
        None => {
            let (v4, v6) = split_nets(nets);
            format!(
                "let {name} = dynamic([{}]); // {doc}\nlet {name}V6 = dynamic([{}]);\n",
                quote_list(&v4),
                quote_list(&v6)
            )
        }
        Some(alias) => format!(
            "// {doc}: the watchlist {alias} (column Range, the search key), written beside this rule\nlet {name} = toscalar(_GetWatchlist(\"{alias}\") | extend Range = tostring(SearchKey) | where Range !contains \":\" | summarize make_list(Range));\nlet {name}V6 = toscalar(_GetWatchlist(\"{alias}\") | extend Range = tostring(SearchKey) | where Range contains \":\" | summarize make_list(Range));\n"
        ),
    }
}

fn membership(name: &str) -> String {
    format!(
        "iff(ipv4_is_in_any_range(Ip, {name}) or ipv6_is_in_any_range(Ip, {name}V6), true, false)"
    )
}

impl SentinelRule {
    /// The query for `table`, lists inline or (the names in `watchlists`) from watchlists.
    fn render(&self, cfg: &DetectConfig, table: LogTable, watchlists: &[List]) -> String {
        let info = self.info();
        let mut q = format!(
            "// {} (Keyhole {}, {}). Thresholds, allow-lists and lists are the let lines below.\n",
            info.title,
            info.id,
            table.name()
        );
        q.push_str(&format!(
            "let queryFrequency = {};\nlet queryPeriod = {};\n",
            timespan(self.frequency),
            timespan(self.period(cfg))
        ));
        for p in self.params(cfg) {
            q.push_str(&format!("let {} = {}; // {}\n", p.name, p.value, p.doc));
        }
        let first_party: Vec<String> = if cfg.allow_first_party {
            FIRST_PARTY_APPS
                .iter()
                .map(|(id, _)| id.to_string())
                .collect()
        } else {
            Vec::new()
        };
        q.push_str(&format!(
            "let FirstPartyApps = dynamic([{}]); // Microsoft first-party service principals: their app-only traffic is allow-listed\n",
            quote_list(&first_party)
        ));
        let mut principals: Vec<String> = cfg.allow_principals.iter().cloned().collect();
        principals.sort();
        q.push_str(&format!(
            "let AllowedPrincipals = dynamic([{}]); // your allow-list: upn, object id or app id\n",
            quote_list(&principals)
        ));
        let mut allowed_ips: Vec<Net> = cfg.allow_ips.iter().collect();
        allowed_ips.sort_by_key(|n| (n.addr, n.prefix));
        q.push_str(&list_lets(
            "AllowedIpRanges",
            "your allow-list: addresses and CIDRs",
            &allowed_ips,
            None,
        ));
        let mut columns = Vec::new();
        for l in self.lists {
            let (name, column, alias) = l.names();
            let wl = watchlists.contains(l).then_some(alias);
            q.push_str(&list_lets(name, l.doc(), &l.nets(cfg), wl));
            columns.push((column.to_string(), membership(name)));
        }
        q.push_str(&prelude::render(
            table,
            self.extras,
            &columns,
            self.prefilter,
        ));
        q.push_str(self.template.trim_end());
        q.push('\n');
        q
    }

    /// This rule for `table`.
    pub fn export(&self, cfg: &DetectConfig, opts: ExportOptions) -> Exported {
        let mut wl: Vec<List> = Vec::new();
        let mut query = self.render(cfg, opts.table, &wl);
        if opts.lists == ListMode::Auto {
            // Move the longest lists to watchlists until the query fits.
            let mut by_len: Vec<List> = self.lists.to_vec();
            by_len.sort_by_key(|l| std::cmp::Reverse(l.nets(cfg).len()));
            for l in by_len {
                if query.chars().count() <= MAX_QUERY_CHARS {
                    break;
                }
                wl.push(l);
                query = self.render(cfg, opts.table, &wl);
            }
        }
        let watchlists = wl
            .iter()
            .map(|l| Watchlist {
                alias: l.names().2,
                ranges: l.nets(cfg).iter().map(|n| n.to_string()).collect(),
            })
            .collect();
        let info = self.info();
        let mut entity_mappings = Vec::new();
        if !self.vault_only {
            entity_mappings.push(EntityMapping {
                entity_type: "Account",
                field_mappings: vec![
                    FieldMapping {
                        identifier: "FullName",
                        column_name: "AccountUpn",
                    },
                    FieldMapping {
                        identifier: "AadUserId",
                        column_name: "AccountObjectId",
                    },
                ],
            });
            entity_mappings.push(EntityMapping {
                entity_type: "IP",
                field_mappings: vec![FieldMapping {
                    identifier: "Address",
                    column_name: "IPAddress",
                }],
            });
        }
        entity_mappings.push(EntityMapping {
            entity_type: "AzureResource",
            field_mappings: vec![FieldMapping {
                identifier: "ResourceId",
                column_name: "ResourceId",
            }],
        });
        let mut custom_details: BTreeMap<&'static str, &'static str> =
            self.custom_details.iter().copied().collect();
        custom_details.insert("KeyholeRule", "KeyholeRule");
        custom_details.insert("EventCount", "EventCount");
        let doc = AnalyticsRule {
            id: self.guid(opts.table),
            name: format!("{} (Keyhole)", info.title),
            description: self.description(cfg, opts.table),
            severity: severity_name(info.severity),
            status: "Available",
            required_data_connectors: vec![DataConnector {
                connector_id: "AzureKeyVault",
                data_types: vec![match opts.table {
                    LogTable::AzureDiagnostics => "KeyVaultData",
                    LogTable::AzkvAuditLogs => "AZKVAuditLogs",
                }],
            }],
            query_frequency: timespan(self.frequency),
            query_period: timespan(self.period(cfg)),
            trigger_operator: "gt",
            trigger_threshold: 0,
            tactics: info.tactics.to_vec(),
            relevant_techniques: self.techniques.to_vec(),
            query: query.clone(),
            entity_mappings,
            custom_details,
            alert_details_override: AlertDetailsOverride {
                alert_display_name_format: format!("{} on {{{{Vault}}}}", info.title),
                alert_description_format: "{{Reason}}",
                alert_severity_column_name: self.severity_column.then_some("AlertSeverity"),
            },
            event_grouping_settings: EventGrouping {
                aggregation_kind: "AlertPerResult",
            },
            version: RULE_VERSION,
            kind: "Scheduled",
        };
        Exported {
            rule: self.rule,
            table: opts.table,
            query,
            watchlists,
            doc,
        }
    }
}

/// Every rule for one table.
pub fn export(cfg: &DetectConfig, opts: ExportOptions) -> Vec<Exported> {
    RULES.iter().map(|r| r.export(cfg, opts)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sentinel_rule_per_catalogue_rule_with_unique_guids() {
        assert_eq!(RULES.len(), catalogue().len());
        for (r, info) in RULES.iter().zip(catalogue()) {
            assert_eq!(r.rule, info.id);
        }
        let mut ids = std::collections::HashSet::new();
        for r in RULES {
            for g in r.guids {
                assert_eq!(g.len(), 36, "{g}");
                assert!(g
                    .chars()
                    .enumerate()
                    .all(|(i, c)| if [8, 13, 18, 23].contains(&i) {
                        c == '-'
                    } else {
                        c.is_ascii_hexdigit()
                    }));
                assert!(ids.insert(g), "{g} twice");
            }
        }
    }

    #[test]
    fn queries_carry_the_configuration() {
        let mut cfg = DetectConfig {
            mass_objects: 17,
            ..DetectConfig::default()
        };
        cfg.add_allow_list("svc@contoso.com\n203.0.113.0/24\n2001:db8::/32\n");
        let opts = ExportOptions {
            table: LogTable::AzureDiagnostics,
            lists: ListMode::Auto,
        };
        let e = rule("KV_MassSecretRetrieval").unwrap().export(&cfg, opts);
        assert!(e.query.contains("let MassObjects = 17;"));
        assert!(e.query.contains("\"svc@contoso.com\""));
        assert!(e
            .query
            .contains("let AllowedIpRanges = dynamic([ \"203.0.113.0/24\"]);"));
        assert!(e
            .query
            .contains("let AllowedIpRangesV6 = dynamic([ \"2001:db8::/32\"]);"));
        assert!(e.query.contains("509e4652-da8d-478d-a730-e9d4a1996ca4"));
        assert!(e.query.contains("not(Challenge)"));
        let p = rule("KV_MassSecretRetrieval").unwrap().params(&cfg);
        let m = p.iter().find(|p| p.name == "MassObjects").unwrap();
        assert_eq!((m.value.as_str(), m.default.as_str()), ("17", "10"));
    }

    #[test]
    fn long_lists_become_watchlists_and_every_query_fits() {
        let cfg = DetectConfig::default();
        for table in LogTable::ALL {
            let opts = ExportOptions {
                table,
                lists: ListMode::Auto,
            };
            for e in export(&cfg, opts) {
                assert!(
                    e.query.chars().count() <= MAX_QUERY_CHARS,
                    "{} {}: {} chars",
                    e.rule,
                    table.name(),
                    e.query.len()
                );
            }
            let unusual = rule("KV_UnusualAccessSuspiciousIP")
                .unwrap()
                .export(&cfg, opts);
            assert_eq!(unusual.watchlists.len(), 1);
            assert!(unusual.watchlists[0].ranges.len() > 10_000);
            assert!(unusual
                .query
                .contains("_GetWatchlist(\"KeyholeMicrosoftRanges\")"));
            let inline = rule("KV_UnusualAccessSuspiciousIP").unwrap().export(
                &cfg,
                ExportOptions {
                    table,
                    lists: ListMode::Inline,
                },
            );
            assert!(inline.watchlists.is_empty() && !inline.query.contains("_GetWatchlist"));
        }
    }

    #[test]
    fn baseline_rules_say_they_see_fourteen_days() {
        let cfg = DetectConfig::default();
        for r in RULES {
            assert!(r.period(&cfg) >= r.frequency && r.period(&cfg) <= MAX_PERIOD);
            let d = r.description(&cfg, LogTable::AzureDiagnostics);
            if r.info().needs_baseline {
                assert!(d.contains("at most 14 days"), "{}", r.rule);
            }
            if let Exactness::Approximate(note) = r.exactness {
                assert!(d.contains(note));
            }
        }
    }
}
