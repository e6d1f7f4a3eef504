//! Building [`Event`]s directly, for tests, golden fixtures and benchmarks (analysed through
//! [`EventStore::from_events`], see [`analyze_events`]):
//! `ev("2026-10-20T03:10:11Z").vault("kv1").user("a@x").op("SecretGet").ip("1.2.3.4").status(200)`.
//!
//! The fixture format (`tests/golden/detect/<rule>/*.jsonl`) is one compact JSON object a line:
//! `{"t":"2026-10-20T03:10:11Z","vault":"kv1","user":"a@x","op":"SecretGet","obj":"s1",
//! "ip":"1.2.3.4","status":200}` with optional `oid`, `app`, `appid_only` (app-only token),
//! `policy_added`/`policy_removed` (`{"oid":…,"secrets":["get"]}`), `ip_rule`, `config`
//! (`{"acl":"Deny","soft_delete":true,"purge":true,"rbac":false,"retention":90}`), and
//! repetition: `"days":N` (the same event on N consecutive days), `"times":K` with `"every":S`
//! seconds (K events S seconds apart, default 60), `"{i}"` in `obj` is replaced by the repeat
//! index (modulo `"objs":N` when given), `"skip_weekends":true` (leaves out Saturdays and Sundays).
//! Lines starting with `//` are comments.

use crate::event::*;
use crate::store::EventStore;
use crate::time::{Timestamp, MICROS_PER_DAY, MICROS_PER_SEC};
use serde_json::Value;
use std::sync::Arc;

/// A blank event at `t` (RFC 3339): vault `kv`, `SecretGet`, status 200, file `test`.
pub fn ev(t: &str) -> Event {
    let time = Timestamp::parse_iso(t).unwrap_or_else(|| panic!("bad test time {t:?}"));
    Event {
        time,
        vault: Arc::from("kv"),
        subscription: None,
        resource_group: None,
        operation: Arc::from("SecretGet"),
        op: Op::parse("SecretGet"),
        operation_version: None,
        category: Some(Arc::from("AuditEvent")),
        object_kind: ObjectKind::Secret,
        object_name: None,
        object_version: None,
        status: Some(200),
        outcome: Outcome::Success,
        result_type: Some(Arc::from("Success")),
        result_signature: Some(Arc::from("OK")),
        result_description: None,
        caller_ip: None,
        caller_addr: None,
        identity: Identity::default(),
        client_info: None,
        request_uri: None,
        object_id: None,
        duration_ms: Some(10),
        tls_version: None,
        correlation_id: None,
        authorization: Authorization::default(),
        vault_config: None,
        policy_added: None,
        policy_removed: None,
        ip_rule_added: None,
        ip_rule_removed: None,
        source: Source {
            file: Arc::from("test"),
            line: 0,
            record: None,
            offset: 0,
            len: 0,
        },
    }
}

fn s(v: &str) -> Str {
    Arc::from(v)
}

/// Builder methods on [`Event`] for tests.
pub trait EventBuilder: Sized {
    fn vault(self, v: &str) -> Self;
    fn user(self, upn: &str) -> Self;
    fn oid(self, oid: &str) -> Self;
    fn app(self, app_id: &str) -> Self;
    /// An app-only token: app id and object id, no upn.
    fn service(self, app_id: &str) -> Self;
    fn op(self, op: &str) -> Self;
    fn obj(self, name: &str) -> Self;
    fn ip(self, ip: &str) -> Self;
    fn status(self, st: u16) -> Self;
    fn at(self, file: &str, line: u64) -> Self;
    fn secs(self, n: i64) -> Self;
}

impl EventBuilder for Event {
    fn vault(mut self, v: &str) -> Self {
        self.vault = s(&v.to_ascii_lowercase());
        self
    }
    fn user(mut self, upn: &str) -> Self {
        self.identity.upn = Some(s(upn));
        if self.identity.object_id.is_none() {
            self.identity.object_id = Some(s(&format!("oid-{upn}")));
        }
        self.identity.kind = Some(IdentityKind::User);
        self
    }
    fn oid(mut self, oid: &str) -> Self {
        self.identity.object_id = Some(s(oid));
        self
    }
    fn app(mut self, app_id: &str) -> Self {
        self.identity.app_id = Some(s(app_id));
        self
    }
    fn service(mut self, app_id: &str) -> Self {
        self.identity.app_id = Some(s(app_id));
        if self.identity.object_id.is_none() {
            self.identity.object_id = Some(s(&format!("sp-{app_id}")));
        }
        self.identity.upn = None;
        self.identity.kind = Some(IdentityKind::App);
        self
    }
    fn op(mut self, op: &str) -> Self {
        self.operation = s(op);
        self.op = Op::parse(op);
        self.object_kind = self.op.object_kind();
        self
    }
    fn obj(mut self, name: &str) -> Self {
        self.object_name = Some(s(name));
        let kind = match self.object_kind {
            ObjectKind::Key => "keys",
            ObjectKind::Certificate => "certificates",
            _ => "secrets",
        };
        self.object_id = Some(s(&format!(
            "https://{}.vault.azure.net/{kind}/{name}",
            self.vault
        )));
        self
    }
    fn ip(mut self, ip: &str) -> Self {
        self.caller_ip = Some(s(ip));
        self.caller_addr = crate::detect::config::parse_ip_loose(ip);
        self
    }
    fn status(mut self, st: u16) -> Self {
        self.status = Some(st);
        self.outcome = Outcome::from_status(st);
        self
    }
    fn at(mut self, file: &str, line: u64) -> Self {
        self.source.file = s(file);
        self.source.line = line;
        self
    }
    fn secs(mut self, n: i64) -> Self {
        self.time.micros += n * MICROS_PER_SEC;
        self
    }
}

fn strs(v: &Value, k: &str) -> Vec<Str> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(s).collect())
        .unwrap_or_default()
}

fn policy(v: &Value) -> AccessPolicyChange {
    AccessPolicyChange {
        object_id: v.get("oid").and_then(Value::as_str).map(s),
        tenant_id: None,
        keys: strs(v, "keys"),
        secrets: strs(v, "secrets"),
        certificates: strs(v, "certificates"),
        storage: Vec::new(),
    }
}

/// Parse fixture text (see the module doc) into time-sorted events. Each event's source is
/// `file` and the fixture line it came from. Errors name the line.
pub fn parse_fixture(file: &str, text: &str) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{file}:{}: {e}", ln + 1))?;
        let t = v
            .get("t")
            .and_then(Value::as_str)
            .ok_or(format!("{file}:{}: no \"t\"", ln + 1))?;
        if Timestamp::parse_iso(t).is_none() {
            return Err(format!("{file}:{}: bad time {t:?}", ln + 1));
        }
        let mut base = ev(t).at(file, ln as u64 + 1);
        let st = |k: &str| v.get(k).and_then(Value::as_str);
        if let Some(x) = st("vault") {
            base = base.vault(x);
        }
        if let Some(x) = st("op") {
            base = base.op(x);
        }
        if let Some(x) = st("oid") {
            base = base.oid(x);
        }
        if let Some(x) = st("user") {
            base = base.user(x);
        }
        if let Some(x) = st("service") {
            base = base.service(x);
        }
        if let Some(x) = st("app") {
            base = base.app(x);
        }
        if let Some(x) = st("ip") {
            base = base.ip(x);
        }
        if let Some(x) = v.get("status").and_then(Value::as_u64) {
            base = base.status(x as u16);
        }
        if base.op == Op::Authentication && base.status == Some(401) {
            base.identity = Identity::default();
        }
        if let Some(p) = v.get("policy_added") {
            base.policy_added = Some(Box::new(policy(p)));
        }
        if let Some(p) = v.get("policy_removed") {
            base.policy_removed = Some(Box::new(policy(p)));
        }
        if let Some(x) = st("ip_rule") {
            base.ip_rule_added = Some(s(x));
        }
        if let Some(c) = v.get("config") {
            base.vault_config = Some(Box::new(VaultConfig {
                network_default_action: c.get("acl").and_then(Value::as_str).map(s),
                soft_delete: c.get("soft_delete").and_then(Value::as_bool),
                purge_protection: c.get("purge").and_then(Value::as_bool),
                rbac_authorization: c.get("rbac").and_then(Value::as_bool),
                soft_delete_retention_days: c
                    .get("retention")
                    .and_then(Value::as_u64)
                    .map(|x| x as u32),
                ..VaultConfig::default()
            }));
        }
        let days = v.get("days").and_then(Value::as_u64).unwrap_or(1).min(400);
        let times = v
            .get("times")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .min(100_000);
        let every = v.get("every").and_then(Value::as_i64).unwrap_or(60);
        let skip_weekends = v
            .get("skip_weekends")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let obj = st("obj");
        let objs = v
            .get("objs")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MAX)
            .max(1);
        for d in 0..days as i64 {
            let day_t = base.time.micros + d * MICROS_PER_DAY;
            // 1970-01-01 was a Thursday: weekday 0 = Monday.
            let weekday = (day_t.div_euclid(MICROS_PER_DAY) + 3).rem_euclid(7);
            if skip_weekends && weekday >= 5 {
                continue;
            }
            for k in 0..times as i64 {
                let mut e = base.clone();
                e.time.micros = day_t + k * every * MICROS_PER_SEC;
                if let Some(o) = obj {
                    e = e.obj(&o.replace("{i}", &(k % objs).to_string()));
                }
                out.push(e);
            }
        }
    }
    out.sort_by_key(|e| e.time);
    Ok(out)
}

/// The findings of one rule over `events` (sorted here) with `cfg`.
pub fn findings_of(
    rule: &str,
    mut events: Vec<Event>,
    cfg: &crate::detect::DetectConfig,
) -> Vec<crate::detect::Finding> {
    events.sort_by_key(|e| e.time);
    analyze_events(&events, cfg)
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

/// Every rule over hand-built `events` (time-sorted): through a store built from them
/// ([`EventStore::from_events`]), as a drop's events are analysed.
pub fn analyze_events(
    events: &[Event],
    cfg: &crate::detect::DetectConfig,
) -> crate::detect::Analysis {
    crate::detect::analyze(&EventStore::from_events(events), cfg)
}

/// `n` daily copies of `e` (one a day at the same time of day), for building history.
pub fn daily(e: &Event, n: i64) -> Vec<Event> {
    (0..n)
        .map(|d| {
            let mut x = e.clone();
            x.time.micros += d * MICROS_PER_DAY;
            x
        })
        .collect()
}

/// A vault's benign background: service `bg-app` reads secret `s` from 203.0.113.1 once a day
/// at 06:00 for `days` days from 2026-10-01 (20 days give a vault past its learning period).
pub fn background(vault: &str, days: i64) -> Vec<Event> {
    daily(
        &ev("2026-10-01T06:00:00Z")
            .vault(vault)
            .service("bg-app")
            .op("SecretGet")
            .obj("s")
            .ip("203.0.113.1"),
        days,
    )
}
