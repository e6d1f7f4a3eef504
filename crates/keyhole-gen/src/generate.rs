//! Benign traffic, the attack plan and the streaming [`Generator`].

use crate::build::{Caller, Ctx};
use crate::record::*;
use crate::rng::Rng;
use crate::tenant::*;
use crate::{GenConfig, InjectedAttack, RULES};
use keyhole_core::time::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The TOR exit address the TOR attack uses (also in [`crate::demo_tor_list`]).
pub const TOR_IP: &str = "185.220.101.47";
/// A single address on the demo threat-intel list (successful access).
pub const SUSPICIOUS_IP: &str = "45.155.205.233";
/// A CIDR on the demo threat-intel list and the address inside it used for denied access.
pub const SUSPICIOUS_CIDR: &str = "193.142.146.0/24";
pub const SUSPICIOUS_CIDR_IP: &str = "193.142.146.17";
/// A residential/mobile network no tenant principal ever used (not on any list, not Microsoft).
pub const NEW_NETWORK_IP: &str = "102.89.34.12";
/// Password-spray source of the denied-on-many-vaults attack.
pub const SPRAY_IP: &str = "91.240.118.29";
/// Where the object granted by the access-policy attack reads from.
pub const GRANTED_READER_IP: &str = "5.188.62.140";
/// The firewall rule the attacker adds.
pub const ADDED_IP_RULE: &str = "185.107.56.0/24";
/// A Microsoft-range address the new application calls from.
pub const NEW_APP_IP: &str = "52.146.80.19";

/// Weekday (0 = Monday) of a day number since 1970-01-01 (a Thursday).
pub fn weekday(epoch_day: i64) -> i64 {
    (epoch_day + 3).rem_euclid(7)
}

/// Activity factor of a weekday: Monday rise, weekend dip.
pub fn day_factor(epoch_day: i64) -> f64 {
    match weekday(epoch_day) {
        0 => 1.3,
        1..=4 => 1.0,
        _ => 0.12,
    }
}

fn jitter(rng: &mut Rng, max_secs: i64) -> i64 {
    rng.range(0, max_secs * TICKS_PER_SEC)
}

/// Vault configuration over time: the initial snapshot and every change the plan makes.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    changes: Vec<Vec<(i64, VaultProps)>>,
}

impl Timeline {
    fn new(t: &Tenant) -> Timeline {
        Timeline {
            changes: t
                .vaults
                .iter()
                .map(|v| vec![(i64::MIN, v.initial.clone())])
                .collect(),
        }
    }
    /// The configuration of vault `v` at `ticks`.
    pub fn at(&self, v: usize, ticks: i64) -> &VaultProps {
        let list = &self.changes[v];
        let mut cur = &list[0].1;
        for (t, p) in list.iter() {
            if *t <= ticks {
                cur = p;
            } else {
                break;
            }
        }
        cur
    }
    fn set(&mut self, v: usize, ticks: i64, p: VaultProps) {
        let list = &mut self.changes[v];
        let pos = list.partition_point(|(t, _)| *t <= ticks);
        list.insert(pos, (ticks, p));
    }
}

/// Precomputed attack records and their manifest entries.
struct Plan {
    by_day: BTreeMap<u32, Vec<Record>>,
    manifest: Vec<InjectedAttack>,
    /// Log-gap windows: (day index, vault index, start ticks, end ticks).
    gaps: Vec<(u32, usize, i64, i64)>,
    timeline: Timeline,
}

/// The state shared by every day of a run.
pub struct World {
    pub cfg: GenConfig,
    pub tenant: Tenant,
    pub start_epoch_day: i64,
    plan: Plan,
    /// The new deployment of [`GenConfig::new_deployment_day`].
    pub deployment: Option<App>,
}

fn user_caller(u: &User, ip: &Arc<str>) -> Caller {
    Caller {
        oid: u.oid.clone(),
        upn: Some(u.upn.clone()),
        appid: u.client.appid.clone(),
        app_only: false,
        ip: ip.clone(),
        client_info: u.client.client_info.clone(),
        tls: u.tls,
    }
}

fn portal_caller(u: &User, ip: &Arc<str>) -> Caller {
    Caller {
        oid: u.oid.clone(),
        upn: Some(u.upn.clone()),
        appid: Arc::from(APPID_PORTAL),
        app_only: false,
        ip: ip.clone(),
        client_info: Arc::from(UA_PORTAL),
        tls: u.tls,
    }
}

fn app_caller(a: &App) -> Caller {
    Caller {
        oid: a.oid.clone(),
        upn: None,
        appid: a.appid.clone(),
        app_only: true,
        ip: a.ip.clone(),
        client_info: a.client_info.clone(),
        tls: a.tls,
    }
}

/// The new deployment of [`GenConfig::new_deployment_day`]: a service principal of its own
/// (drawn from a stream no other part of the tenant uses) reading four secrets of vault 1 every
/// hour from an Azure address, with the SDK's challenge on its first refresh of the day.
fn new_deployment(seed: u64, t: &Tenant) -> App {
    let mut rng = Rng::stream(seed, 10, 0);
    let vault = 1 % t.vaults.len();
    let n = t.vaults[vault].secrets.len();
    let mut secrets: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut secrets);
    secrets.truncate(4);
    secrets.sort_unstable();
    App {
        name: "orders-api-v2".to_string(),
        oid: Arc::from(rng.guid()),
        appid: Arc::from(rng.guid()),
        ip: Arc::from(format!(
            "20.{}.{}.{}",
            rng.range(30, 230),
            rng.range(0, 255),
            rng.range(1, 254)
        )),
        client_info: Arc::from(
            "azsdk-net-Security.KeyVault.Secrets/4.6.0 (.NET 8.0.8; Linux 5.15.0-1071-azure #80-Ubuntu SMP)",
        ),
        vault,
        kind: AppKind::Secrets,
        secrets,
        keys: vec![],
        period_min: 60,
        phase_min: rng.below(60) as u32,
        missing: None,
        challenge_every_refresh: false,
        tls: "TLS1_3",
        rotates: false,
    }
}

fn uri_path_of(op: &str) -> &'static str {
    if op.starts_with("Key") {
        "keys"
    } else if op.starts_with("Certificate") {
        "certificates"
    } else {
        "secrets"
    }
}

impl World {
    pub fn new(cfg: GenConfig) -> World {
        let cfg = cfg.sanitized();
        let tenant = Tenant::build(&cfg);
        let start_epoch_day = cfg.start_epoch_day().unwrap_or(0);
        let deployment = cfg
            .new_deployment_day
            .map(|_| new_deployment(cfg.seed, &tenant));
        let mut w = World {
            cfg,
            tenant,
            start_epoch_day,
            plan: Plan::empty(),
            deployment,
        };
        w.plan = w.make_plan();
        w
    }

    pub fn manifest(&self) -> &[InjectedAttack] {
        &self.plan.manifest
    }

    fn day_start(&self, day: u32) -> i64 {
        (self.start_epoch_day + day as i64) * TICKS_PER_DAY
    }

    fn ctx(&self, v: usize, ticks: i64) -> Ctx<'_> {
        Ctx {
            seed: self.cfg.seed,
            vault: &self.tenant.vaults[v],
            rbac: self.plan.timeline.at(v, ticks).enable_rbac_authorization,
        }
    }

    fn ctx_t<'a>(&'a self, tl: &Timeline, v: usize, ticks: i64) -> Ctx<'a> {
        Ctx {
            seed: self.cfg.seed,
            vault: &self.tenant.vaults[v],
            rbac: tl.at(v, ticks).enable_rbac_authorization,
        }
    }

    /// All records of one day (benign + attacks), sorted by time.
    pub fn day(&self, day: u32) -> Vec<Record> {
        let mut out = Vec::new();
        self.benign_apps(day, &mut out);
        self.benign_users(day, &mut out);
        self.benign_admins(day, &mut out);
        self.first_party(day, &mut out);
        let lo = self.day_start(day);
        let hi = lo + TICKS_PER_DAY;
        for r in out.iter_mut() {
            r.ticks = r.ticks.clamp(lo, hi - 1);
        }
        for (gday, v, s, e) in &self.plan.gaps {
            if *gday == day {
                let name = &self.tenant.vaults[*v].r.name;
                out.retain(|r| !(r.vault.name == *name && r.ticks >= *s && r.ticks < *e));
            }
        }
        if let Some(recs) = self.plan.by_day.get(&day) {
            out.extend(recs.iter().cloned());
        }
        out.sort_by_key(|r| r.ticks);
        out
    }

    fn benign_apps(&self, day: u32, out: &mut Vec<Record>) {
        for (i, a) in self.tenant.apps.iter().enumerate() {
            let mut rng = Rng::stream(self.cfg.seed, 1, ((i as u64) << 32) | day as u64);
            self.app_day(a, day, &mut rng, out);
        }
        if let (Some(a), Some(first)) = (&self.deployment, self.cfg.new_deployment_day) {
            if day >= first {
                let mut rng = Rng::stream(self.cfg.seed, 9, day as u64);
                self.app_day(a, day, &mut rng, out);
            }
        }
    }

    /// One application's day: its refreshes (challenge, reads, throttling, 404s) and rotation.
    fn app_day(&self, a: &App, day: u32, rng: &mut Rng, out: &mut Vec<Record>) {
        let d0 = self.day_start(day);
        let c = app_caller(a);
        let vault = &self.tenant.vaults[a.vault];
        let mut first = true;
        let mut minute = a.phase_min as i64;
        while minute < 1440 {
            let mut t = d0 + minute * TICKS_PER_MIN + jitter(rng, 50);
            let ctx = self.ctx(a.vault, t);
            if first || a.challenge_every_refresh {
                let path = if a.kind == AppKind::Cmk {
                    "keys"
                } else {
                    "secrets"
                };
                out.push(ctx.challenge(rng, t, &c, path));
                t += rng.range(30, 300) * 10_000;
            }
            first = false;
            match a.kind {
                AppKind::Secrets => {
                    for &s in &a.secrets {
                        let name = &vault.secrets[s];
                        if rng.chance(0.002) {
                            out.push(ctx.data(rng, t, &c, "SecretGet", Some(name), 429));
                            t += rng.range(1, 3) * TICKS_PER_SEC;
                        }
                        out.push(ctx.data(rng, t, &c, "SecretGet", Some(name), 200));
                        t += rng.range(20, 400) * 10_000;
                    }
                    if let Some(m) = &a.missing {
                        out.push(ctx.data(rng, t, &c, "SecretGet", Some(m), 404));
                    }
                }
                AppKind::Cmk => {
                    for &k in &a.keys {
                        let name = &vault.keys[k];
                        out.push(ctx.data(rng, t, &c, "KeyGet", Some(name), 200));
                        t += rng.range(20, 400) * 10_000;
                        out.push(ctx.data(rng, t, &c, "KeyUnwrap", Some(name), 200));
                        t += rng.range(20, 400) * 10_000;
                    }
                }
            }
            minute += a.period_min as i64;
        }
        // Rotation jobs: once a day, a new version of the first secret (409 when a previous
        // rotation is still in flight, then a retry).
        if a.rotates {
            if let Some(&s) = a.secrets.first() {
                let name = &vault.secrets[s];
                let mut t = d0
                    + 2 * TICKS_PER_HOUR
                    + (a.phase_min as i64) * TICKS_PER_MIN
                    + jitter(rng, 50);
                let ctx = self.ctx(a.vault, t);
                if rng.chance(0.25) {
                    out.push(ctx.data(rng, t, &c, "SecretSet", Some(name), 409));
                    t += rng.range(5, 30) * TICKS_PER_SEC;
                }
                out.push(ctx.data(rng, t, &c, "SecretSet", Some(name), 200));
            }
        }
    }

    /// One user's day. `warm` days exercise the whole repertoire (every vault, secret, IP) so
    /// later days hold nothing new for the behavioural rules.
    fn user_day(&self, u: &User, day: u32, rng: &mut Rng, out: &mut Vec<Record>) {
        let d0 = self.day_start(day);
        let epoch_day = self.start_epoch_day + day as i64;
        let warm = day < 2;
        if warm {
            let mut t =
                d0 + (9 - u.utc_offset_hours + day as i64) * TICKS_PER_HOUR + jitter(rng, 1800);
            for (k, ip) in u.ips.iter().enumerate() {
                let c = user_caller(u, ip);
                let pc = portal_caller(u, ip);
                for uv in &u.vaults {
                    let vault = &self.tenant.vaults[uv.vault];
                    if u.client.sdk {
                        out.push(self.ctx(uv.vault, t).challenge(rng, t, &c, "secrets"));
                        t += rng.range(30, 300) * 10_000;
                    }
                    for op in &u.repertoire {
                        let ctx = self.ctx(uv.vault, t);
                        match *op {
                            "SecretGet" => {
                                for &s in &uv.secrets {
                                    out.push(ctx.data(
                                        rng,
                                        t,
                                        &c,
                                        "SecretGet",
                                        Some(&vault.secrets[s]),
                                        200,
                                    ));
                                    t += rng.range(2, 40) * TICKS_PER_SEC;
                                }
                                if k == 0 && day == 0 {
                                    out.push(ctx.data(
                                        rng,
                                        t,
                                        &c,
                                        "SecretGet",
                                        Some(&u.missing),
                                        404,
                                    ));
                                }
                            }
                            "SecretSet" => {
                                if let Some(&s) = uv.secrets.first() {
                                    out.push(ctx.data(
                                        rng,
                                        t,
                                        &c,
                                        "SecretSet",
                                        Some(&vault.secrets[s]),
                                        200,
                                    ));
                                }
                            }
                            "KeyGet" => {
                                for &s in &uv.keys {
                                    out.push(ctx.data(
                                        rng,
                                        t,
                                        &c,
                                        "KeyGet",
                                        Some(&vault.keys[s]),
                                        200,
                                    ));
                                }
                            }
                            "CertificateGet" => {
                                for &s in &uv.certs {
                                    out.push(ctx.data(
                                        rng,
                                        t,
                                        &c,
                                        "CertificateGet",
                                        Some(&vault.certs[s]),
                                        200,
                                    ));
                                }
                            }
                            "VaultGet" => {
                                let p = self.plan.timeline.at(uv.vault, t);
                                out.push(ctx.arm(rng, t, &pc, "VaultGet", p, false, 200));
                            }
                            op => out.push(ctx.data(rng, t, &c, op, None, 200)),
                        }
                        t += rng.range(2, 60) * TICKS_PER_SEC;
                    }
                }
                t += rng.range(20, 90) * TICKS_PER_MIN;
            }
        }
        if u.vaults.is_empty() {
            return;
        }
        // Each vault gets its own share of the day (steady per-vault volume day to day).
        let per_vault = u.mean / u.vaults.len() as f64;
        for uv in &u.vaults {
            let n = rng.poisson(per_vault * day_factor(epoch_day)) as usize;
            self.user_sessions(u, uv, n, d0, rng, out);
        }
    }

    fn user_sessions(
        &self,
        u: &User,
        uv: &UserVault,
        n: usize,
        d0: i64,
        rng: &mut Rng,
        out: &mut Vec<Record>,
    ) {
        let mut left = n;
        while left > 0 {
            let k = left.min(rng.range(3, 10) as usize);
            left -= k;
            let local_h = *rng.pick(&[8i64, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 15, 16, 17]);
            let mut t = d0 + (local_h - u.utc_offset_hours) * TICKS_PER_HOUR + jitter(rng, 3599);
            let ip = if u.ips.len() > 1 && rng.chance(0.25) {
                &u.ips[1]
            } else {
                &u.ips[0]
            };
            let ip: Arc<str> = if !ip.contains(':') && rng.chance(0.05) {
                Arc::from(format!("{ip}:{}", rng.range(1024, 65000)))
            } else {
                ip.clone()
            };
            let c = user_caller(u, &ip);
            let pc = portal_caller(u, &ip);
            let vault = &self.tenant.vaults[uv.vault];
            let mut challenged = false;
            for _ in 0..k {
                let op = pick_op(rng, &u.repertoire);
                let ctx = self.ctx(uv.vault, t);
                if u.client.sdk && !challenged && op != "VaultGet" {
                    out.push(ctx.challenge(rng, t, &c, uri_path_of(op)));
                    t += rng.range(30, 300) * 10_000;
                    challenged = true;
                }
                match op {
                    "SecretGet" => {
                        if rng.chance(0.02) {
                            out.push(ctx.data(rng, t, &c, "SecretGet", Some(&u.missing), 404));
                        } else {
                            let s = *rng.pick(&uv.secrets);
                            let status = if rng.chance(0.002) { 429 } else { 200 };
                            out.push(ctx.data(
                                rng,
                                t,
                                &c,
                                "SecretGet",
                                Some(&vault.secrets[s]),
                                status,
                            ));
                        }
                    }
                    "SecretSet" => {
                        let s = *rng.pick(&uv.secrets);
                        let status = if rng.chance(0.08) {
                            409
                        } else if rng.chance(0.04) {
                            403
                        } else {
                            200
                        };
                        out.push(ctx.data(
                            rng,
                            t,
                            &c,
                            "SecretSet",
                            Some(&vault.secrets[s]),
                            status,
                        ));
                    }
                    "KeyGet" if !uv.keys.is_empty() => {
                        let s = *rng.pick(&uv.keys);
                        out.push(ctx.data(rng, t, &c, "KeyGet", Some(&vault.keys[s]), 200));
                    }
                    "CertificateGet" if !uv.certs.is_empty() => {
                        let s = *rng.pick(&uv.certs);
                        out.push(ctx.data(
                            rng,
                            t,
                            &c,
                            "CertificateGet",
                            Some(&vault.certs[s]),
                            200,
                        ));
                    }
                    "VaultGet" => {
                        let p = self.plan.timeline.at(uv.vault, t);
                        out.push(ctx.arm(rng, t, &pc, "VaultGet", p, false, 200));
                    }
                    "SecretList" | "KeyList" => out.push(ctx.data(rng, t, &c, op, None, 200)),
                    _ => {
                        let s = *rng.pick(&uv.secrets);
                        out.push(ctx.data(rng, t, &c, "SecretGet", Some(&vault.secrets[s]), 200));
                    }
                }
                t += rng.range(3, 120) * TICKS_PER_SEC;
            }
        }
    }

    fn benign_users(&self, day: u32, out: &mut Vec<Record>) {
        for (i, u) in self
            .tenant
            .users
            .iter()
            .chain(self.tenant.victims.iter())
            .enumerate()
        {
            let mut rng = Rng::stream(self.cfg.seed, 2, ((i as u64) << 32) | day as u64);
            self.user_day(u, day, &mut rng, out);
        }
    }

    /// Portal administrators: VaultGet over many vaults, SecretList, and a weekly no-op VaultPatch
    /// at the end of the day (never followed by reads within the hour).
    fn benign_admins(&self, day: u32, out: &mut Vec<Record>) {
        let d0 = self.day_start(day);
        let epoch_day = self.start_epoch_day + day as i64;
        let n = self.tenant.vaults.len();
        for (i, u) in self.tenant.admins.iter().enumerate() {
            let mut rng = Rng::stream(self.cfg.seed, 3, ((i as u64) << 32) | day as u64);
            let warm = day < 2;
            let weekend = weekday(epoch_day) >= 5;
            if weekend && !warm {
                continue;
            }
            let ip = u.ips[0].clone();
            let c = portal_caller(u, &ip);
            let sessions = if warm { 1 } else { rng.range(1, 2) };
            for _ in 0..sessions {
                let mut t = d0 + rng.range(8, 14) * TICKS_PER_HOUR + jitter(&mut rng, 3599);
                let targets: Vec<usize> = if warm {
                    (0..n).collect()
                } else {
                    (0..rng.range(2, 6))
                        .map(|_| rng.below(n as u64) as usize)
                        .collect()
                };
                for &v in &targets {
                    let p = self.plan.timeline.at(v, t);
                    out.push(
                        self.ctx(v, t)
                            .arm(&mut rng, t, &c, "VaultGet", p, false, 200),
                    );
                    t += rng.range(5, 60) * TICKS_PER_SEC;
                    if warm || rng.chance(0.4) {
                        out.push(
                            self.ctx(v, t)
                                .data(&mut rng, t, &c, "SecretList", None, 200),
                        );
                        t += rng.range(5, 60) * TICKS_PER_SEC;
                    }
                }
            }
            if day == 0 || weekday(epoch_day) == 2 {
                let v = rng.below(n as u64) as usize;
                let t = d0 + 17 * TICKS_PER_HOUR + rng.range(30, 50) * TICKS_PER_MIN;
                let p = self.plan.timeline.at(v, t).clone();
                out.push(
                    self.ctx(v, t)
                        .arm(&mut rng, t, &c, "VaultPatch", &p, false, 200),
                );
            }
        }
    }

    /// Microsoft first-party sweeps: Azure Resource Graph VaultGet several times a day on every
    /// vault; Policy Insights' daily compliance scan (VaultGet + data-plane listings).
    fn first_party(&self, day: u32, out: &mut Vec<Record>) {
        let d0 = self.day_start(day);
        let t_ = &self.tenant;
        for (v, _vault) in t_.vaults.iter().enumerate() {
            let mut rng = Rng::stream(self.cfg.seed, 4, ((v as u64) << 32) | day as u64);
            let arg = Caller {
                oid: t_.arg_oid.clone(),
                upn: None,
                appid: Arc::from(APPID_RESOURCE_GRAPH),
                app_only: true,
                ip: rng.pick(&t_.microsoft_ips).clone(),
                client_info: Arc::from(CLIENT_RESOURCE_GRAPH),
                tls: "TLS1_2",
            };
            for _ in 0..rng.range(3, 5) {
                let t = d0 + jitter(&mut rng, 86_399);
                let p = self.plan.timeline.at(v, t);
                out.push(
                    self.ctx(v, t)
                        .arm(&mut rng, t, &arg, "VaultGet", p, true, 200),
                );
            }
            let pol = Caller {
                oid: t_.policy_oid.clone(),
                upn: None,
                appid: Arc::from(APPID_POLICY_INSIGHTS),
                app_only: true,
                ip: rng.pick(&t_.microsoft_ips).clone(),
                client_info: Arc::from(CLIENT_POLICY_INSIGHTS),
                tls: "TLS1_2",
            };
            let mut t = d0 + rng.range(2, 4) * TICKS_PER_HOUR + jitter(&mut rng, 3599);
            let p = self.plan.timeline.at(v, t);
            let ctx = self.ctx(v, t);
            out.push(ctx.arm(&mut rng, t, &pol, "VaultGet", p, false, 200));
            t += rng.range(1, 5) * TICKS_PER_SEC;
            out.push(ctx.challenge(&mut rng, t, &pol, "secrets"));
            for op in ["SecretList", "KeyList", "CertificateList"] {
                t += rng.range(200, 3000) * 10_000;
                out.push(ctx.data(&mut rng, t, &pol, op, None, 200));
            }
        }
    }
}

fn pick_op(rng: &mut Rng, rep: &[&'static str]) -> &'static str {
    let w = |op: &str| -> u64 {
        match op {
            "SecretGet" => 50,
            "SecretList" => 10,
            "VaultGet" => 10,
            "KeyGet" => 8,
            "CertificateGet" => 7,
            "SecretSet" => 5,
            "KeyList" => 5,
            _ => 0,
        }
    };
    let total: u64 = rep.iter().map(|o| w(o)).sum();
    let mut x = rng.below(total.max(1));
    for op in rep {
        let k = w(op);
        if x < k {
            return op;
        }
        x -= k;
    }
    "SecretGet"
}

impl Plan {
    fn empty() -> Plan {
        Plan {
            by_day: BTreeMap::new(),
            manifest: Vec::new(),
            gaps: Vec::new(),
            timeline: Timeline::default(),
        }
    }
}

/// Builder of one attack's records.
struct Atk<'w> {
    w: &'w World,
    rng: Rng,
    t: i64,
    recs: Vec<Record>,
}

impl<'w> Atk<'w> {
    fn step(&mut self, lo_s: i64, hi_s: i64) {
        self.t += self.rng.range(lo_s * TICKS_PER_SEC, hi_s * TICKS_PER_SEC);
    }
    fn data(
        &mut self,
        tl: &Timeline,
        v: usize,
        c: &Caller,
        op: &'static str,
        name: Option<&str>,
        status: u16,
    ) {
        let ctx = self.w.ctx_t(tl, v, self.t);
        let r = ctx.data(&mut self.rng, self.t, c, op, name, status);
        self.recs.push(r);
    }
    fn challenge(&mut self, tl: &Timeline, v: usize, c: &Caller) {
        let ctx = self.w.ctx_t(tl, v, self.t);
        let r = ctx.challenge(&mut self.rng, self.t, c, "secrets");
        self.recs.push(r);
        self.t += self.rng.range(30, 300) * 10_000;
    }
    fn arm(
        &mut self,
        tl: &Timeline,
        v: usize,
        c: &Caller,
        op: &'static str,
        p: &VaultProps,
    ) -> &mut Record {
        let ctx = self.w.ctx_t(tl, v, self.t);
        let r = ctx.arm(&mut self.rng, self.t, c, op, p, false, 200);
        self.recs.push(r);
        self.recs.last_mut().expect("just pushed")
    }
}

fn new_principal(
    rng: &mut Rng,
    ip: &str,
    client: &str,
    appid: Option<&str>,
    upn: Option<&str>,
) -> Caller {
    Caller {
        oid: Arc::from(rng.guid()),
        upn: upn.map(Arc::from),
        appid: Arc::from(appid.map(str::to_string).unwrap_or_else(|| rng.guid())),
        app_only: upn.is_none(),
        ip: Arc::from(ip),
        client_info: Arc::from(client),
        tls: "TLS1_2",
    }
}

const PY_SDK: &str = "azsdk-python-keyvault-secrets/4.7.0 Python/3.10.12 (Linux-6.2.0-39-generic-x86_64-with-glibc2.35)";

impl World {
    fn make_plan(&self) -> Plan {
        let mut plan = Plan::empty();
        plan.timeline = Timeline::new(&self.tenant);
        if !self.cfg.attacks || self.cfg.days < 9 {
            return plan;
        }
        let span = (self.cfg.days - 8) as u64;
        let mut prng = Rng::stream(self.cfg.seed, 5, 0);
        let off = prng.below(span);
        // (rule index, day, start ticks)
        let mut sched: Vec<(usize, u32, i64)> = Vec::new();
        for (i, rule) in RULES.iter().enumerate() {
            let day = 8 + ((i as u64 * 7 + off) % span) as u32;
            let d0 = self.day_start(day);
            let start = match *rule {
                "KV_TORAccess" => d0 + 3 * TICKS_PER_HOUR + prng.range(0, 59) * TICKS_PER_MIN,
                "KV_LogGap" => d0 + 30 * TICKS_PER_MIN + prng.range(0, 40) * TICKS_PER_MIN,
                _ => d0 + prng.range(9, 16) * TICKS_PER_HOUR + prng.range(0, 59) * TICKS_PER_MIN,
            } + prng.range(0, TICKS_PER_MIN - 1);
            sched.push((i, day, start));
        }
        sched.sort_by_key(|s| (s.2, s.0));
        for (i, day, start) in sched {
            let mut a = Atk {
                w: self,
                rng: Rng::stream(self.cfg.seed, 6, i as u64),
                t: start,
                recs: Vec::new(),
            };
            let entry = self.attack(RULES[i], &mut a, &mut plan);
            if !a.recs.is_empty() {
                plan.by_day.entry(day).or_default().extend(a.recs);
            }
            plan.manifest.push(entry);
        }
        plan.manifest
            .sort_by_key(|m| RULES.iter().position(|r| *r == m.rule));
        plan
    }

    /// Generate one attack's records into `a` and return its manifest entry.
    fn attack(&self, rule: &'static str, a: &mut Atk, plan: &mut Plan) -> InjectedAttack {
        let t = &self.tenant;
        let nv = t.vaults.len();
        let tl = &mut plan.timeline;
        let victim = |j: usize| -> &User { &t.victims[j] };
        let home = |j: usize| -> usize { t.victims[j].vaults[0].vault };
        let vname = |v: usize| -> String { t.vaults[v].r.name.clone() };
        let ws = |j: usize| -> Vec<String> {
            let u = &t.victims[j];
            u.vaults[0]
                .secrets
                .iter()
                .map(|&s| t.vaults[u.vaults[0].vault].secrets[s].clone())
                .collect()
        };
        let mut principals: Vec<String> = Vec::new();
        let mut vault_label: String;
        let mut principal: Option<String>;
        let mut ip: Option<String>;
        let note: String;
        match rule {
            "KV_TORAccess" | "KV_SuspiciousIPAccess" | "KV_UnusualAccessSuspiciousIP" => {
                let (j, addr) = match rule {
                    "KV_TORAccess" => (0, TOR_IP),
                    "KV_SuspiciousIPAccess" => (1, SUSPICIOUS_IP),
                    _ => (2, NEW_NETWORK_IP),
                };
                let u = victim(j);
                let v = home(j);
                let c = user_caller(u, &Arc::from(addr));
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                if rule == "KV_TORAccess" {
                    a.data(tl, v, &c, "SecretList", None, 200);
                    a.step(3, 20);
                }
                for s in ws(j) {
                    a.data(tl, v, &c, "SecretGet", Some(&s), 200);
                    a.step(2, 30);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(addr.to_string());
                note = match rule {
                    "KV_TORAccess" => format!(
                        "{} read {} secrets from TOR exit {addr} at night",
                        u.upn,
                        ws(j).len()
                    ),
                    "KV_SuspiciousIPAccess" => {
                        format!("{} read secrets from threat-intel address {addr}", u.upn)
                    }
                    _ => format!(
                        "{} read secrets from {addr}, a network it never used (not Microsoft)",
                        u.upn
                    ),
                };
            }
            "KV_SuspiciousIPAccessDenied" => {
                let v = 3 % nv;
                let c = new_principal(
                    &mut a.rng,
                    SUSPICIOUS_CIDR_IP,
                    UA_AZ_CLI,
                    Some(APPID_AZ_CLI),
                    Some("svc-sync@fabrikam-partners.com"),
                );
                a.challenge(tl, v, &c);
                a.data(tl, v, &c, "SecretList", None, 403);
                for s in t.vaults[v].secrets.iter().take(2) {
                    a.step(2, 20);
                    a.data(tl, v, &c, "SecretGet", Some(s), 403);
                }
                vault_label = vname(v);
                principal = c.upn.as_deref().map(str::to_string);
                ip = Some(SUSPICIOUS_CIDR_IP.to_string());
                note = format!("denied SecretList/SecretGet from {SUSPICIOUS_CIDR_IP} (in threat-intel CIDR {SUSPICIOUS_CIDR})");
            }
            "KV_UserAnomaly" => {
                let j = 3;
                let u = victim(j);
                let v = 1 + home(j) % (nv - 1);
                let c = user_caller(u, &u.ips[0]);
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                for s in t.vaults[v].secrets.iter().take(3) {
                    a.data(tl, v, &c, "SecretGet", Some(s), 200);
                    a.step(5, 60);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!(
                    "{} read 3 secrets on {}, a vault where it never did a data-plane operation",
                    u.upn,
                    vname(v)
                );
            }
            "KV_AppAnomaly" => {
                let v = 2 % nv;
                let c = new_principal(&mut a.rng, NEW_APP_IP, PY_SDK, None, None);
                a.challenge(tl, v, &c);
                a.data(tl, v, &c, "SecretList", None, 200);
                for s in t.vaults[v].secrets.iter().rev().take(5) {
                    a.step(1, 10);
                    a.data(tl, v, &c, "SecretGet", Some(s), 200);
                }
                vault_label = vname(v);
                principal = Some(c.oid.to_string());
                principals.push(c.appid.to_string());
                ip = Some(NEW_APP_IP.to_string());
                note = format!(
                    "service principal appid {} never seen before listed and read 5 secrets",
                    c.appid
                );
            }
            "KV_UserAppAnomaly" => {
                let j = 4;
                let u = victim(j);
                let v = home(j);
                let mut c = user_caller(u, &u.ips[0]);
                c.appid = Arc::from(APPID_POWERSHELL);
                c.client_info = Arc::from(UA_POWERSHELL);
                a.challenge(tl, v, &c);
                for s in ws(j).iter().take(2) {
                    a.data(tl, v, &c, "SecretGet", Some(s), 200);
                    a.step(2, 30);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!("{} came through Azure PowerShell ({APPID_POWERSHELL}), an application it never used with this vault", u.upn);
            }
            "KV_UserAccessDeniedAnomaly" => {
                let j = 5;
                let u = victim(j);
                let v = 1 + (home(j) + 1) % (nv - 1);
                let c = user_caller(u, &u.ips[0]);
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                a.data(tl, v, &c, "SecretList", None, 403);
                for s in t.vaults[v].secrets.iter().take(3) {
                    a.step(5, 40);
                    a.data(tl, v, &c, "SecretGet", Some(s), 403);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!(
                    "{} denied 4 times on {}, where it never succeeded",
                    u.upn,
                    vname(v)
                );
            }
            "KV_AccountVolumeAnomaly" => {
                let j = 6;
                let u = victim(j);
                let h = home(j);
                let c = user_caller(u, &u.ips[0]);
                let mut n = 0;
                for v in (0..nv).filter(|&v| v != h).take(6) {
                    if u.client.sdk {
                        a.challenge(tl, v, &c);
                    }
                    a.data(tl, v, &c, "SecretList", None, 200);
                    a.step(3, 30);
                    let s = t.vaults[v].secrets[0].clone();
                    a.data(tl, v, &c, "SecretGet", Some(&s), 200);
                    a.step(300, 1200);
                    n += 1;
                }
                vault_label = "*".to_string();
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!("{} succeeded on {n} vaults besides its own within hours; its daily maximum was 1", u.upn);
            }
            "KV_AccountVolumeAccessDeniedAnomaly" => {
                let c = new_principal(&mut a.rng, SPRAY_IP, PY_SDK, None, None);
                for v in 1..nv.min(7) {
                    a.challenge(tl, v, &c);
                    a.data(tl, v, &c, "SecretList", None, 403);
                    a.step(20, 240);
                }
                vault_label = "*".to_string();
                principal = Some(c.oid.to_string());
                principals.push(c.appid.to_string());
                ip = Some(SPRAY_IP.to_string());
                note = format!(
                    "service principal appid {} denied on {} vaults",
                    c.appid,
                    nv.min(7) - 1
                );
            }
            "KV_OperationVolumeAnomaly" => {
                let j = 7;
                let u = victim(j);
                let v = home(j);
                let c = user_caller(u, &u.ips[0]);
                let names = ws(j);
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                for k in 0..220 {
                    a.data(tl, v, &c, "SecretGet", Some(&names[k % names.len()]), 200);
                    a.step(20, 70);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!(
                    "{} made 220 SecretGet calls in a day; its usual day is about {}",
                    u.upn, u.mean
                );
            }
            "KV_OperationPatternAnomaly" => {
                let j = 8;
                let u = victim(j);
                let v = home(j);
                let c = user_caller(u, &u.ips[0]);
                let vault = &t.vaults[v];
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                a.data(tl, v, &c, "KeyList", None, 200);
                a.step(10, 60);
                a.data(tl, v, &c, "KeyGet", Some(&vault.keys[0].clone()), 200);
                a.step(10, 60);
                a.data(tl, v, &c, "CertificateList", None, 200);
                a.step(10, 60);
                a.data(
                    tl,
                    v,
                    &c,
                    "CertificateGet",
                    Some(&vault.certs[0].clone()),
                    200,
                );
                a.step(10, 60);
                let s = ws(j)[0].clone();
                a.data(tl, v, &c, "SecretListVersions", Some(&s), 200);
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!("{} performed 5 operation types it never used (KeyList, KeyGet, CertificateList, CertificateGet, SecretListVersions) within minutes", u.upn);
            }
            "KV_ListGetAnomaly" => {
                let j = 9;
                let u = victim(j);
                let v = home(j);
                let c = user_caller(u, &u.ips[0]);
                let known = ws(j);
                let fresh: Vec<String> = t.vaults[v]
                    .secrets
                    .iter()
                    .filter(|s| !known.contains(s))
                    .take(7)
                    .cloned()
                    .collect();
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                a.data(tl, v, &c, "SecretList", None, 200);
                for s in &fresh {
                    a.step(10, 120);
                    a.data(tl, v, &c, "SecretGet", Some(s), 200);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!(
                    "{} listed secrets then read {} it never read before",
                    u.upn,
                    fresh.len()
                );
            }
            "KV_PutGetAnomaly" => {
                let j = 10;
                let u = victim(j);
                let v = 3 % nv;
                let pc = portal_caller(u, &u.ips[0]);
                let reader = new_principal(&mut a.rng, GRANTED_READER_IP, PY_SDK, None, None);
                let p = tl.at(v, a.t).clone();
                let pol = Policy {
                    object_id: reader.oid.to_string(),
                    tenant_id: t.tenant_id.clone(),
                    keys: vec![],
                    secrets: vec!["Get", "List"],
                    certificates: vec![],
                };
                a.arm(tl, v, &pc, "VaultPatch", &p).added_access_policy = Some(pol);
                a.step(600, 1500);
                a.challenge(tl, v, &reader);
                a.data(tl, v, &reader, "SecretList", None, 200);
                for s in t.vaults[v].secrets.iter().take(6) {
                    a.step(1, 15);
                    a.data(tl, v, &reader, "SecretGet", Some(s), 200);
                }
                vault_label = vname(v);
                principal = Some(reader.oid.to_string());
                principals.push(u.upn.to_string());
                principals.push(reader.appid.to_string());
                ip = Some(GRANTED_READER_IP.to_string());
                note = format!(
                    "{} granted secrets Get/List to object {} which read 6 secrets within the hour",
                    u.upn, reader.oid
                );
            }
            "KV_MassSecretRetrieval" => {
                let j = 11;
                let u = victim(j);
                let v = home(j);
                let c = user_caller(u, &u.ips[0]);
                let names: Vec<String> = t.vaults[v].secrets.iter().take(16).cloned().collect();
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                for k in 0..64 {
                    a.data(tl, v, &c, "SecretGet", Some(&names[k % names.len()]), 200);
                    a.step(60, 400);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!(
                    "{} read {} distinct secrets 64 times in hours; it usually reads 3",
                    u.upn,
                    names.len()
                );
            }
            "KV_FirewallOpened"
            | "KV_ProtectionWeakened"
            | "KV_FirewallRuleAdded"
            | "KV_AccessPolicyGranted"
            | "KV_AdministrativeOperation" => {
                let (j, v) = match rule {
                    "KV_FirewallOpened" => (12, 2 % nv),
                    "KV_FirewallRuleAdded" => (13, 6 % nv),
                    "KV_AccessPolicyGranted" => (14, 1),
                    "KV_ProtectionWeakened" => (17, 4 % nv),
                    _ => (18, 6 % nv),
                };
                let u = victim(j);
                let pc = portal_caller(u, &u.ips[0]);
                let mut p = tl.at(v, a.t).clone();
                let op = if rule == "KV_AdministrativeOperation" {
                    "VaultPut"
                } else {
                    "VaultPatch"
                };
                let n: String;
                match rule {
                    "KV_FirewallOpened" => {
                        n = format!(
                            "networkAcls.defaultAction {} -> Allow",
                            p.network_acls.map(|x| x.1).unwrap_or("null")
                        );
                        p.network_acls = Some(("AzureServices", "Allow"));
                    }
                    "KV_ProtectionWeakened" => {
                        n = format!(
                            "softDeleteRetentionInDays {} -> 7, enableRbacAuthorization {} -> {}",
                            p.soft_delete_retention_days,
                            p.enable_rbac_authorization,
                            !p.enable_rbac_authorization
                        );
                        p.soft_delete_retention_days = 7;
                        p.enable_rbac_authorization = !p.enable_rbac_authorization;
                    }
                    "KV_FirewallRuleAdded" => n = format!("addedIpRule {ADDED_IP_RULE}"),
                    "KV_AccessPolicyGranted" => {
                        n = "addedAccessPolicy for a guest object".to_string()
                    }
                    _ => n = "VaultPut re-deploying the vault from the Azure CLI".to_string(),
                }
                let mut caller = pc;
                if op == "VaultPut" {
                    caller.appid = Arc::from(APPID_AZ_CLI);
                    caller.client_info = Arc::from(UA_AZ_CLI_ARM);
                }
                let t0 = a.t;
                let rec = a.arm(tl, v, &caller, op, &p);
                let mut extra = String::new();
                match rule {
                    "KV_FirewallRuleAdded" => rec.added_ip_rule = Some(ADDED_IP_RULE.to_string()),
                    "KV_AccessPolicyGranted" => {
                        let oid = Rng::stream(self.cfg.seed, 7, 14).guid();
                        extra = format!(" (object {oid}: secrets Get/List/Set/Delete)");
                        rec.added_access_policy = Some(Policy {
                            object_id: oid,
                            tenant_id: t.tenant_id.clone(),
                            keys: vec![],
                            secrets: vec!["Get", "List", "Set", "Delete"],
                            certificates: vec![],
                        });
                    }
                    _ => {}
                }
                if rule == "KV_FirewallOpened" || rule == "KV_ProtectionWeakened" {
                    tl.set(v, t0, p);
                }
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!("{} {op} on {}: {n}{extra}", u.upn, vname(v));
            }
            "KV_AccessPolicyFlash" => {
                let j = 15;
                let u = victim(j);
                let v = 5 % nv;
                let pc = portal_caller(u, &u.ips[0]);
                let oid = Rng::stream(self.cfg.seed, 7, 15).guid();
                let pol = Policy {
                    object_id: oid.clone(),
                    tenant_id: t.tenant_id.clone(),
                    keys: vec!["Get", "List", "Decrypt", "UnwrapKey"],
                    secrets: vec!["Get", "List"],
                    certificates: vec!["Get", "List"],
                };
                let p = tl.at(v, a.t).clone();
                a.arm(tl, v, &pc, "VaultPatch", &p).added_access_policy = Some(pol.clone());
                a.step(180, 300);
                let p = tl.at(v, a.t).clone();
                a.arm(tl, v, &pc, "VaultPatch", &p).removed_access_policy = Some(pol);
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                principals.push(oid.clone());
                ip = Some(u.ips[0].to_string());
                note = format!(
                    "{} granted object {oid} access then removed it minutes later",
                    u.upn
                );
            }
            "KV_SensitiveOperation" => {
                let j = 16;
                let u = victim(j);
                let v = home(j);
                let c = user_caller(u, &u.ips[0]);
                let key = t.vaults[v].keys[0].clone();
                let legacy = "legacy-ftp-password";
                if u.client.sdk {
                    a.challenge(tl, v, &c);
                }
                a.data(tl, v, &c, "SecretListDeleted", None, 200);
                a.step(10, 60);
                a.data(tl, v, &c, "SecretBackup", Some(legacy), 200);
                a.step(10, 60);
                a.data(tl, v, &c, "KeyBackup", Some(&key), 200);
                a.step(10, 60);
                a.data(tl, v, &c, "SecretDelete", Some(legacy), 200);
                a.step(30, 90);
                a.data(tl, v, &c, "SecretPurge", Some(legacy), 200);
                vault_label = vname(v);
                principal = Some(u.upn.to_string());
                ip = Some(u.ips[0].to_string());
                note = format!("{} listed deleted secrets, backed up a secret and key {key}, deleted and purged {legacy}", u.upn);
            }
            _ => {
                // KV_LogGap: vault 0 (active every 15 minutes) silent for 7 hours.
                let v = 0;
                let s = a.t;
                let e = s + 7 * TICKS_PER_HOUR;
                let day = ((s.div_euclid(TICKS_PER_DAY)) - self.start_epoch_day) as u32;
                plan.gaps.push((day, v, s, e));
                return InjectedAttack {
                    rule,
                    vault: vname(v),
                    principal: None,
                    ip: None,
                    first: Timestamp {
                        micros: s / 10,
                        digits: 7,
                    },
                    last: Timestamp {
                        micros: e / 10,
                        digits: 7,
                    },
                    note: format!("{} silent for 7 h (normally active every hour)", vname(v)),
                    principals: vec![],
                };
            }
        }
        if let Some(p) = &principal {
            principals.insert(0, p.clone());
        }
        let first = a.recs.iter().map(|r| r.ticks).min().unwrap_or(a.t);
        let last = a.recs.iter().map(|r| r.ticks).max().unwrap_or(a.t);
        // Keep the attack inside its day (streaming is one day at a time).
        let d0 = first.div_euclid(TICKS_PER_DAY) * TICKS_PER_DAY;
        for r in a.recs.iter_mut() {
            r.ticks = r.ticks.min(d0 + TICKS_PER_DAY - 1);
        }
        let last = last.min(d0 + TICKS_PER_DAY - 1);
        let _ = &mut vault_label;
        let _ = (&mut principal, &mut ip);
        InjectedAttack {
            rule,
            vault: vault_label,
            principal,
            ip,
            first: Timestamp {
                micros: first / 10,
                digits: 7,
            },
            last: Timestamp {
                micros: last / 10,
                digits: 7,
            },
            note,
            principals,
        }
    }
}

/// Streams records in time order, one day at a time (bounded memory).
pub struct Generator {
    world: World,
    day: u32,
    end: Option<u32>,
    buf: std::vec::IntoIter<Record>,
}

impl Generator {
    /// Records of `cfg.days` days.
    pub fn new(cfg: GenConfig) -> Generator {
        let world = World::new(cfg);
        let end = Some(world.cfg.days);
        Generator {
            world,
            day: 0,
            end,
            buf: Vec::new().into_iter(),
        }
    }

    /// Keeps generating benign days after `cfg.days` (the attack plan is that of `cfg.days`):
    /// for size-driven benchmark files.
    pub fn unbounded(cfg: GenConfig) -> Generator {
        let mut g = Generator::new(cfg);
        g.end = None;
        g
    }

    /// Skip to day index `first_day` (the days before it are not generated): with
    /// [`Generator::new`], the records of days `first_day..cfg.days`, exactly as the full run
    /// writes them on those days (every day is generated from its own seeded streams).
    pub fn from_day(mut self, first_day: u32) -> Generator {
        self.day = self.day.max(first_day);
        self
    }

    /// The whole next day (sorted), or `None` at the end.
    pub fn next_day(&mut self) -> Option<Vec<Record>> {
        if let Some(end) = self.end {
            if self.day >= end {
                return None;
            }
        }
        let recs = self.world.day(self.day);
        self.day = self.day.saturating_add(1);
        Some(recs)
    }

    /// Days generated so far.
    pub fn days_done(&self) -> u32 {
        self.day
    }

    pub fn manifest(&self) -> &[InjectedAttack] {
        self.world.manifest()
    }

    pub fn world(&self) -> &World {
        &self.world
    }
}

impl Iterator for Generator {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.buf.next() {
                return Some(r);
            }
            let day = self.next_day()?;
            self.buf = day.into_iter();
        }
    }
}
