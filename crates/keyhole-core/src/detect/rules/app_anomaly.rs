//! KV_AppAnomaly — a service principal performs data-plane operations on a vault where it
//! never did before.
//!
//! Why: an application identity (app-only token, managed identity) suddenly reading a vault it
//! never used points at a stolen client secret or a workload pivoting. Judged after the vault's
//! learning period; management-plane operations do not count. MITRE: Credential Access,
//! Collection. Grouping: (vault, app) per 24 h. Origin: Defender, seed hunting "new app".

use super::user_anomaly::Novelty;
use crate::detect::{Cx, Finding, Rule, RuleInfo, Severity};
use crate::store::EventRef;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AppAnomaly",
    title: "Unusual application accessed a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "Collection"],
    origin: "Defender, seed hunting \"new app\"",
    doc: "A service principal's (app-only token) first successful data-plane operation on a vault, after the vault's 7-day learning period. One finding per vault and app per 24 h.",
    needs_baseline: true,
    basis: "the vault's history before the event, after its learning period",
    short_drop: "learned from the vault's first third (at least 12 h); a new application after it is informational (a new deployment), medium when it enumerates the vault (a List)",
};

pub struct AppAnomaly(Novelty);

impl Default for AppAnomaly {
    fn default() -> Self {
        AppAnomaly(Novelty::new(false))
    }
}

impl Rule for AppAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }
    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        self.0.finish(cx, out);
    }
    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        self.0.judge(&INFO, cx, idx, ev, allowed, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{background, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn apps_not_users_and_not_first_party() {
        let cfg = DetectConfig::default();
        let mut v = background("kv", 20);
        v.push(
            ev("2026-10-15T09:00:00Z")
                .vault("kv")
                .service("new-app")
                .op("KeyGet")
                .obj("k"),
        );
        v.push(
            ev("2026-10-15T09:00:00Z")
                .vault("kv")
                .service("8cae6e77-e04e-42ce-b5cb-50d82bce26b1")
                .op("KeyList"),
        );
        v.push(
            ev("2026-10-15T09:00:00Z")
                .vault("kv")
                .user("u@x")
                .op("KeyGet")
                .obj("k"),
        );
        let f = findings_of("KV_AppAnomaly", v, &cfg);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].identity.app_id.as_deref(), Some("new-app"));
    }
}
