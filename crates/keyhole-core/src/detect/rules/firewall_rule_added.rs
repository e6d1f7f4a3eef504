//! KV_FirewallRuleAdded — an IP rule added to a vault's firewall (`addedIpRule`).
//!
//! Why: adding the attacker's own range to the allowed networks is the quiet way to reach a
//! locked-down vault. The range is in the alert; a range of /8 or wider (or 0.0.0.0/0) is
//! called out. MITRE: Defense Evasion, Persistence. Grouping: (vault, principal, range) per
//! 1 h. Origin: seed hunting query 2.

use crate::detect::baseline::Id;
use crate::detect::config::Net;
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Str;
use crate::store::EventRef;
use crate::time::MICROS_PER_HOUR;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_FirewallRuleAdded",
    title: "IP rule added to a key vault firewall",
    severity: Severity::Medium,
    tactics: &["DefenseEvasion", "Persistence"],
    origin: "seed hunting query 2",
    doc: "A successful operation carrying addedIpRule; the range is in the alert, ranges of /8 or wider are called out.",
    needs_baseline: false,
    basis: "configuration change, needs no history",
    short_drop: "",
};

pub struct FirewallRuleAdded {
    groups: Groups<(Id, Option<Id>, Str)>,
}

impl Default for FirewallRuleAdded {
    fn default() -> Self {
        FirewallRuleAdded {
            groups: Groups::new(MICROS_PER_HOUR),
        }
    }
}

impl Rule for FirewallRuleAdded {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        if allowed || !ev.is_success() {
            return;
        }
        let Some(range) = &ev.ip_rule_added() else {
            return;
        };
        let wide = Net::parse(range)
            .ok()
            .filter(|n| n.addr.is_ipv4() && n.prefix <= 8 || !n.addr.is_ipv4() && n.prefix <= 16);
        let key = (cx.cur.vault, cx.cur.principal, range.clone());
        self.groups.hit(out, key, ev, idx, || {
            new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} added IP rule {} to the firewall of {}{}",
                    who(ev),
                    range,
                    ev.vault(),
                    match wide {
                        Some(n) => format!(
                            " — a /{} opens it to {} addresses",
                            n.prefix,
                            if n.prefix == 0 {
                                "all".to_string()
                            } else {
                                "millions of".to_string()
                            }
                        ),
                        None => String::new(),
                    }
                ),
                json!({"ip_rule": &**range, "operation": ev.operation()}),
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn wide_ranges_are_called_out() {
        let cfg = DetectConfig::default();
        let mut e = ev("2026-10-15T00:00:00Z")
            .vault("kv")
            .user("a@x")
            .op("VaultPatch");
        e.ip_rule_added = Some("10.0.0.0/8".into());
        let f = findings_of("KV_FirewallRuleAdded", vec![e.clone()], &cfg);
        assert!(f[0].reason.contains("a /8 opens it"), "{}", f[0].reason);
        e.ip_rule_added = Some("203.0.113.0/24".into());
        let f = findings_of("KV_FirewallRuleAdded", vec![e], &cfg);
        assert!(!f[0].reason.contains("opens it"));
        assert_eq!(f[0].details["ip_rule"], "203.0.113.0/24");
    }
}
