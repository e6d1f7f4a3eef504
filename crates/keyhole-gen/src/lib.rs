//! # keyhole-gen
//!
//! Realistic synthetic Azure Key Vault audit logs with injected attacks, written in every input
//! shape Keyhole reads (spec §1). Pure library: no clock, no threads, no file I/O, no OS
//! randomness (a seeded PRNG), so the web page's "Try with demo data" runs it in the browser.
//!
//! ```text
//! let cfg = GenConfig::demo();
//! for rec in Generator::new(cfg.clone()) { writer.write_record(&rec, &mut out); }
//! let attacks = manifest(&cfg);      // one InjectedAttack per catalogue rule id
//! ```
//!
//! The tenant: several vaults in several subscriptions and resource groups; users who work
//! business hours (Monday rise, weekend dip) on a few vaults each; applications (service
//! principals / managed identities) reading the same secrets on a schedule with the SDK's
//! unauthenticated 401 challenge; Microsoft first-party sweeps (Azure Resource Graph, Policy
//! Insights); portal administrators; occasional 404, 409, 429 and 403. Attacks happen after the
//! detectors' learning period (day index ≥ 8) and are recorded in the manifest.
//!
//! Shapes ([`OutShape`], named after [`keyhole_core::ingest::Shape`]): raw JSON lines,
//! `{"records":[…]}`, bare array, AzureDiagnostics typed JSON lines, `az` CLI strings, REST
//! `{"tables"}`, `{"value"}`, portal CSV (`[UTC]` and `[Local Time]`), AZKVAuditLogs JSON lines;
//! containers and encodings in [`zip`]: the storage-container zip tree (optionally with the
//! storage quirks), the folder tree, gzip, UTF-16 LE.
//!
//! Binary: `keyhole-gen --seed 1 --scale 16 --attacks --size 1GB --shape raw-jsonl --out big.json
//! --manifest attacks.json --lists intel/` (see `keyhole-gen --help`; figures go to stderr).

pub mod build;
pub mod diag;
pub mod generate;
pub mod record;
pub mod rng;
pub mod tenant;
pub mod write;
pub mod zip;

pub use generate::{Generator, World};
pub use record::Record;
pub use write::{writer_for, OutShape, Writer};

use keyhole_core::time::{days_from_civil, Timestamp};
use serde::Serialize;

/// Every rule id of spec §3's catalogue, in the catalogue's order. The manifest holds exactly one
/// injected attack per id when attacks are on.
pub const RULES: [&str; 23] = [
    "KV_TORAccess",
    "KV_SuspiciousIPAccess",
    "KV_SuspiciousIPAccessDenied",
    "KV_UnusualAccessSuspiciousIP",
    "KV_UserAnomaly",
    "KV_AppAnomaly",
    "KV_UserAppAnomaly",
    "KV_UserAccessDeniedAnomaly",
    "KV_AccountVolumeAnomaly",
    "KV_AccountVolumeAccessDeniedAnomaly",
    "KV_OperationVolumeAnomaly",
    "KV_OperationPatternAnomaly",
    "KV_ListGetAnomaly",
    "KV_PutGetAnomaly",
    "KV_MassSecretRetrieval",
    "KV_FirewallOpened",
    "KV_FirewallRuleAdded",
    "KV_AccessPolicyGranted",
    "KV_AccessPolicyFlash",
    "KV_SensitiveOperation",
    "KV_ProtectionWeakened",
    "KV_AdministrativeOperation",
    "KV_LogGap",
];

/// Generation settings. Counts left at `None` are sized by `scale`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenConfig {
    pub seed: u64,
    /// First day, `YYYY-MM-DD` (UTC).
    pub start_day: String,
    pub days: u32,
    /// 1.0 ≈ 50–100k records over 28 days; records grow about linearly with scale.
    pub scale: f64,
    /// Vaults (at least 7: the attack plan needs them). Default `max(7, 9 × scale)`.
    pub vaults: Option<u32>,
    /// Ordinary users (victim accounts and administrators come on top). Default `32 × scale`.
    pub users: Option<u32>,
    /// Applications (one scheduled reader per vault at least). Default `vaults + 3 × scale`.
    pub apps: Option<u32>,
    /// Inject one attack per catalogue rule (needs `days ≥ 9`).
    pub attacks: bool,
    /// A benign trap for short drops: a new deployment (an application never seen before) that
    /// starts reading its secrets on this day index and reads them every hour from then on.
    /// `None` (the default) leaves the output as it always was.
    pub new_deployment_day: Option<u32>,
}

impl Default for GenConfig {
    fn default() -> GenConfig {
        GenConfig {
            seed: 1,
            start_day: "2026-10-01".to_string(),
            days: 28,
            scale: 1.0,
            vaults: None,
            users: None,
            apps: None,
            attacks: true,
            new_deployment_day: None,
        }
    }
}

impl GenConfig {
    /// The page's demo: small (≈ 10–20k records), every attack kind.
    pub fn demo() -> GenConfig {
        GenConfig {
            seed: 2026,
            days: 14,
            scale: 0.25,
            attacks: true,
            ..GenConfig::default()
        }
    }

    pub fn vault_count(&self) -> u32 {
        self.vaults
            .unwrap_or_else(|| (9.0 * self.scale).round() as u32)
            .clamp(7, 100_000)
    }
    pub fn user_count(&self) -> u32 {
        self.users
            .unwrap_or_else(|| (32.0 * self.scale).round() as u32)
            .clamp(1, 1_000_000)
    }
    pub fn app_count(&self) -> u32 {
        let v = self.vault_count();
        self.apps
            .unwrap_or_else(|| v + ((3.0 * self.scale).round() as u32).max(1))
            .clamp(v, 1_000_000)
    }

    /// Day number (since 1970-01-01) of `start_day`.
    pub fn start_epoch_day(&self) -> Result<i64, String> {
        let t = Timestamp::parse_iso(&self.start_day)
            .ok_or_else(|| format!("start day {:?} is not YYYY-MM-DD", self.start_day))?;
        let (y, m, d) = keyhole_core::time::civil_from_days(t.day());
        Ok(days_from_civil(y, m, d))
    }

    /// Problems with the settings, for the binary's messages.
    pub fn validate(&self) -> Result<(), String> {
        self.start_epoch_day()?;
        if self.days == 0 {
            return Err("days must be at least 1".into());
        }
        if self.attacks && self.days < 9 {
            return Err(
                "attacks need at least 9 days (7 learning days, attacks from day index 8)".into(),
            );
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err("scale must be a positive number".into());
        }
        Ok(())
    }

    /// A copy with invalid values replaced by defaults (the library never panics on settings).
    pub fn sanitized(&self) -> GenConfig {
        let mut c = self.clone();
        if c.start_epoch_day().is_err() {
            c.start_day = GenConfig::default().start_day;
        }
        if !(c.scale.is_finite() && c.scale > 0.0) {
            c.scale = 1.0;
        }
        c.scale = c.scale.min(10_000.0);
        c
    }
}

/// One injected attack: what the detection engine must find.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InjectedAttack {
    /// Catalogue rule id (`KV_ListGetAnomaly`).
    pub rule: &'static str,
    /// Lower-case vault name, or `*` when the attack spans vaults.
    pub vault: String,
    /// The acting principal: upn for users, object id for applications; `None` for a log gap.
    pub principal: Option<String>,
    pub ip: Option<String>,
    pub first: Timestamp,
    pub last: Timestamp,
    pub note: String,
    /// Every identity involved (upn / object id / app id): none of them is a benign principal.
    pub principals: Vec<String>,
}

/// Records and manifest of a whole configuration (for tests and the demo).
pub fn generate_all(cfg: &GenConfig) -> (Vec<Record>, Vec<InjectedAttack>) {
    let g = Generator::new(cfg.clone());
    let m = g.manifest().to_vec();
    (g.collect(), m)
}

/// The drop a responder exports around an incident: the last `n` days of the tenant (the records
/// of those days exactly as the full run writes them) and the attacks whose injected events
/// fall inside them. `n` ≥ `days` is the whole tenant.
pub fn generate_last_days(cfg: &GenConfig, n: u32) -> (Vec<Record>, Vec<InjectedAttack>) {
    let cfg = cfg.sanitized();
    let from = cfg.days.saturating_sub(n);
    let g = Generator::new(cfg.clone()).from_day(from);
    let (start, end) = window_bounds(&cfg, from, cfg.days);
    let m = attacks_inside(g.manifest(), start, end);
    (g.collect(), m)
}

/// The time span of day indices `first..end` of a configuration: [start, end).
pub fn window_bounds(cfg: &GenConfig, first: u32, end: u32) -> (Timestamp, Timestamp) {
    let d0 = cfg.sanitized().start_epoch_day().unwrap_or(0);
    let at = |d: u32| Timestamp::from_micros((d0 + d as i64) * keyhole_core::time::MICROS_PER_DAY);
    (at(first), at(end.max(first)))
}

/// The attacks whose injected events all fall inside [start, end).
pub fn attacks_inside(
    manifest: &[InjectedAttack],
    start: Timestamp,
    end: Timestamp,
) -> Vec<InjectedAttack> {
    manifest
        .iter()
        .filter(|m| m.first.micros >= start.micros && m.last.micros < end.micros)
        .cloned()
        .collect()
}

/// The attacks a configuration injects (without generating the benign traffic).
pub fn manifest(cfg: &GenConfig) -> Vec<InjectedAttack> {
    World::new(cfg.clone()).manifest().to_vec()
}

/// The demo TOR exit list (one address a line, `#` comments): contains the TOR attack's address.
/// `recs` written as raw JSON lines and read back through the core's real ingest: the store a
/// test analyses (the generator's own records, so nothing is skipped).
pub fn raw_store(recs: &[Record]) -> keyhole_core::EventStore {
    let mut w = writer_for(OutShape::RawJsonLines, 0);
    let mut bytes = Vec::new();
    for r in recs {
        w.write_record(r, &mut bytes);
    }
    w.finish(&mut bytes);
    let mut ds = keyhole_core::ingest::Dataset::new(keyhole_core::ingest::IngestOptions::default());
    let mut f = ds.open("generated.jsonl");
    f.feed(&bytes);
    ds.close(f);
    ds.finish_store().0
}

pub fn demo_tor_list() -> &'static str {
    "# Demo TOR exit-node snapshot (keyhole-gen)\n185.220.101.47\n185.220.101.48\n185.220.100.252\n199.249.230.87\n204.8.96.140\n"
}

/// The demo threat-intel list: an address and a CIDR, used by the suspicious-IP attacks.
pub fn demo_suspicious_list() -> &'static str {
    "# Demo threat-intel list (keyhole-gen)\n45.155.205.233\n193.142.146.0/24\n"
}
