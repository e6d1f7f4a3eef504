//! A small builder of normalised events for hand-made fixtures.
#![allow(dead_code)]

use keyhole_core::event::{
    AccessPolicyChange, Authorization, Identity, IdentityKind, Source, VaultConfig,
};
use keyhole_core::{Event, Op, Outcome, Timestamp};
use std::sync::Arc;

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse_iso(s).unwrap_or_else(|| panic!("bad time {s}"))
}

pub struct B(pub Event);

fn a(s: &str) -> Arc<str> {
    Arc::from(s)
}

/// An event at `time` on `vault` (lower-case) doing `op`; 200 OK, ResultType "Success".
pub fn ev(time: &str, vault: &str, op: &str) -> B {
    let o = Op::parse(op);
    B(Event {
        time: ts(time),
        vault: a(vault),
        subscription: Some(a("11111111-2222-3333-4444-555555555555")),
        resource_group: Some(a("rg-prod")),
        operation: a(op),
        op: o,
        operation_version: Some(a("7.4")),
        category: Some(a("AuditEvent")),
        object_kind: o.object_kind(),
        object_name: None,
        object_version: None,
        status: Some(200),
        outcome: Outcome::Success,
        result_type: Some(a("Success")),
        result_signature: Some(a("OK")),
        result_description: None,
        caller_ip: Some(a("10.0.0.1")),
        caller_addr: "10.0.0.1".parse().ok(),
        identity: Identity::default(),
        client_info: None,
        request_uri: None,
        object_id: None,
        duration_ms: Some(10),
        tls_version: Some(a("TLS1_2")),
        correlation_id: None,
        authorization: Authorization::default(),
        vault_config: None,
        policy_added: None,
        policy_removed: None,
        ip_rule_added: None,
        ip_rule_removed: None,
        source: Source::default(),
    })
}

impl B {
    pub fn status(mut self, s: u16, sig: &str) -> B {
        self.0.status = Some(s);
        self.0.outcome = Outcome::from_status(s);
        self.0.result_signature = Some(a(sig));
        self
    }
    pub fn result_type(mut self, r: &str) -> B {
        self.0.result_type = Some(a(r));
        self
    }
    pub fn ip(mut self, ip: &str) -> B {
        self.0.caller_ip = if ip.is_empty() { None } else { Some(a(ip)) };
        self.0.caller_addr = ip.parse().ok();
        self
    }
    pub fn user(mut self, upn: &str, oid: &str) -> B {
        self.0.identity.upn = Some(a(upn));
        self.0.identity.object_id = Some(a(oid));
        self.0.identity.kind = Some(IdentityKind::User);
        self
    }
    pub fn app(mut self, appid: &str) -> B {
        self.0.identity.app_id = Some(a(appid));
        if self.0.identity.kind.is_none() {
            self.0.identity.kind = Some(IdentityKind::App);
        }
        self
    }
    pub fn uri(mut self, u: &str) -> B {
        self.0.request_uri = Some(a(u));
        self
    }
    pub fn id(mut self, u: &str) -> B {
        self.0.object_id = Some(a(u));
        self
    }
    pub fn sub_rg(mut self, sub: &str, rg: &str) -> B {
        self.0.subscription = Some(a(sub));
        self.0.resource_group = Some(a(rg));
        self
    }
    pub fn acl(mut self, action: &str) -> B {
        let mut c = self.0.vault_config.take().unwrap_or_default();
        c.network_default_action = Some(a(action));
        self.0.vault_config = Some(c);
        self
    }
    pub fn config(mut self, c: VaultConfig) -> B {
        self.0.vault_config = Some(Box::new(c));
        self
    }
    pub fn added(mut self, oid: &str, keys: &[&str], secrets: &[&str], certs: &[&str]) -> B {
        self.0.policy_added = Some(Box::new(policy(oid, keys, secrets, certs)));
        self
    }
    pub fn removed(mut self, oid: &str, keys: &[&str], secrets: &[&str], certs: &[&str]) -> B {
        self.0.policy_removed = Some(Box::new(policy(oid, keys, secrets, certs)));
        self
    }
    pub fn ip_rule(mut self, r: &str) -> B {
        self.0.ip_rule_added = Some(a(r));
        self
    }
    pub fn build(self) -> Event {
        self.0
    }
}

fn policy(oid: &str, keys: &[&str], secrets: &[&str], certs: &[&str]) -> AccessPolicyChange {
    AccessPolicyChange {
        object_id: Some(a(oid)),
        tenant_id: Some(a("tttttttt-0000-0000-0000-000000000000")),
        keys: keys.iter().map(|s| a(s)).collect(),
        secrets: secrets.iter().map(|s| a(s)).collect(),
        certificates: certs.iter().map(|s| a(s)).collect(),
        storage: vec![],
    }
}

/// The acceptance query of that name, from the embedded library (verbatim copy of
/// `shared/spec/kql/<name>.kql`; `library_matches_shared_spec` checks the copy).
pub fn query(name: &str) -> &'static str {
    keyhole_kql::library()
        .iter()
        .find(|q| q.name == name)
        .unwrap_or_else(|| panic!("no query {name}"))
        .text
}

/// Rows as strings (Log Analytics rendering), for compact assertions.
pub fn rows(t: &keyhole_kql::Table) -> Vec<Vec<String>> {
    t.rows
        .iter()
        .map(|r| r.iter().map(|v| v.to_string()).collect())
        .collect()
}

pub fn names(t: &keyhole_kql::Table) -> Vec<&str> {
    t.columns.iter().map(|c| c.name.as_str()).collect()
}

/// Generated logs (keyhole-gen, attacks on) written as raw JSON lines and read back through the
/// core's ingest, exactly as a dropped file would be.
pub fn generated(cfg: &keyhole_gen::GenConfig) -> Vec<Event> {
    let (recs, _) = keyhole_gen::generate_all(cfg);
    let mut w = keyhole_gen::writer_for(keyhole_gen::OutShape::RawJsonLines, 0);
    let mut buf = Vec::new();
    for r in &recs {
        w.write_record(r, &mut buf);
    }
    w.finish(&mut buf);
    let mut ds = keyhole_core::ingest::Dataset::new(Default::default());
    let mut f = ds.open("generated.json");
    f.feed(&buf);
    f.finish();
    ds.close(f);
    let (store, _) = ds.finish_store();
    store.rows().map(|e| e.to_event()).collect()
}

/// The read-only shared folder (`../shared` next to the repository), or the folder named by
/// `KEYHOLE_SHARED` (for worktrees that live elsewhere). `None` when absent: tests that read it
/// skip with a message.
pub fn shared_dir() -> Option<std::path::PathBuf> {
    let dir = match std::env::var_os("KEYHOLE_SHARED") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    dir.is_dir().then_some(dir)
}
