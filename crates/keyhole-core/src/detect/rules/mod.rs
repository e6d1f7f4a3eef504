//! The alert catalogue of spec §3, one rule a file. Each file's doc says what the rule detects,
//! why, its MITRE tactic, default thresholds (all in [`super::DetectConfig`]) and its origin.

use super::{NetSet, Rule, RuleInfo};
use crate::event::IdentityKind;
use crate::store::EventRef;
use std::net::IpAddr;

pub mod access_policy_flash;
pub mod access_policy_granted;
pub mod account_volume_access_denied_anomaly;
pub mod account_volume_anomaly;
pub mod administrative_operation;
pub mod app_anomaly;
pub mod firewall_opened;
pub mod firewall_rule_added;
pub mod list_get_anomaly;
pub mod log_gap;
pub mod mass_secret_retrieval;
pub mod operation_pattern_anomaly;
pub mod operation_volume_anomaly;
pub mod protection_weakened;
pub mod put_get_anomaly;
pub mod sensitive_operation;
pub mod suspicious_ip_access;
pub mod suspicious_ip_access_denied;
pub mod tor_access;
pub mod unusual_access_suspicious_ip;
pub mod user_access_denied_anomaly;
pub mod user_anomaly;
pub mod user_app_anomaly;

/// Every rule's catalogue entry, in the order of spec §3.
pub static CATALOGUE: &[RuleInfo] = &[
    tor_access::INFO,
    suspicious_ip_access::INFO,
    suspicious_ip_access_denied::INFO,
    unusual_access_suspicious_ip::INFO,
    user_anomaly::INFO,
    app_anomaly::INFO,
    user_app_anomaly::INFO,
    user_access_denied_anomaly::INFO,
    account_volume_anomaly::INFO,
    account_volume_access_denied_anomaly::INFO,
    operation_volume_anomaly::INFO,
    operation_pattern_anomaly::INFO,
    list_get_anomaly::INFO,
    put_get_anomaly::INFO,
    mass_secret_retrieval::INFO,
    firewall_opened::INFO,
    firewall_rule_added::INFO,
    access_policy_granted::INFO,
    access_policy_flash::INFO,
    sensitive_operation::INFO,
    protection_weakened::INFO,
    administrative_operation::INFO,
    log_gap::INFO,
];

/// A fresh instance of every rule.
pub fn all() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(tor_access::TorAccess::default()),
        Box::new(suspicious_ip_access::SuspiciousIpAccess::default()),
        Box::new(suspicious_ip_access_denied::SuspiciousIpAccessDenied::default()),
        Box::new(unusual_access_suspicious_ip::UnusualAccessSuspiciousIp::default()),
        Box::new(user_anomaly::UserAnomaly::default()),
        Box::new(app_anomaly::AppAnomaly::default()),
        Box::new(user_app_anomaly::UserAppAnomaly::default()),
        Box::new(user_access_denied_anomaly::UserAccessDeniedAnomaly::default()),
        Box::new(account_volume_anomaly::AccountVolumeAnomaly::default()),
        Box::new(account_volume_access_denied_anomaly::AccountVolumeAccessDeniedAnomaly::default()),
        Box::new(operation_volume_anomaly::OperationVolumeAnomaly::default()),
        Box::new(operation_pattern_anomaly::OperationPatternAnomaly::default()),
        Box::new(list_get_anomaly::ListGetAnomaly::default()),
        Box::new(put_get_anomaly::PutGetAnomaly::default()),
        Box::new(mass_secret_retrieval::MassSecretRetrieval::default()),
        Box::new(firewall_opened::FirewallOpened::default()),
        Box::new(firewall_rule_added::FirewallRuleAdded::default()),
        Box::new(access_policy_granted::AccessPolicyGranted::default()),
        Box::new(access_policy_flash::AccessPolicyFlash::default()),
        Box::new(sensitive_operation::SensitiveOperation::default()),
        Box::new(protection_weakened::ProtectionWeakened::default()),
        Box::new(administrative_operation::AdministrativeOperation::default()),
        Box::new(log_gap::LogGap::default()),
    ]
}

/// The list name and network of a cached intel verdict.
pub(crate) fn intel_name(
    lists: &[(String, NetSet)],
    hit: Option<(usize, super::Net)>,
) -> Option<(&str, super::Net)> {
    hit.map(|(i, n)| (lists[i].0.as_str(), n))
}

/// The findings of a rule on requests from listed IPs (the TOR and threat-intel rules): one per
/// vault, principal and IP per 24 h, its details the list, the network and the operation.
pub(crate) struct ListedIp {
    info: &'static RuleInfo,
    groups: super::Groups<(super::baseline::Id, Option<super::baseline::Id>, IpAddr)>,
}

impl ListedIp {
    pub(crate) fn new(info: &'static RuleInfo) -> Self {
        ListedIp {
            info,
            groups: super::Groups::new(crate::time::MICROS_PER_DAY),
        }
    }

    /// Extend the open finding of `ev`'s vault, principal and IP, or start one with
    /// `reason(ip)`: the IP is on list `src`, in `net`.
    pub(crate) fn hit(
        &mut self,
        cx: &super::Cx,
        idx: usize,
        ev: EventRef<'_>,
        (src, net): (&str, super::Net),
        out: &mut Vec<super::Finding>,
        reason: impl FnOnce(IpAddr) -> String,
    ) {
        let Some(addr) = ev.caller_addr() else { return };
        let key = (cx.cur.vault, cx.cur.principal, addr);
        self.groups.hit(out, key, ev, idx, || {
            super::new_finding(
                self.info,
                ev,
                idx,
                ev.vault(),
                reason(addr),
                serde_json::json!({"list": src, "network": net.to_string(), "operation": ev.operation()}),
            )
            .with_basis(
                format!("IP listed in {src}, needs no history"),
                super::Confidence::High,
            )
        });
    }
}

/// A user (delegated token with a upn, or kind user), as opposed to an application.
pub(crate) fn is_user(ev: EventRef<'_>) -> bool {
    ev.identity().upn.is_some() || ev.identity().kind == Some(IdentityKind::User)
}

/// A phrase naming the object the event touched: ` secret 'db-password'` or empty.
pub(crate) fn object_phrase(ev: EventRef<'_>) -> String {
    match &ev.object_name() {
        Some(n) => format!(" {} '{}'", ev.object_kind().as_str(), n),
        None => String::new(),
    }
}

/// A time at whole-second precision, for reasons: every shape carries at least milliseconds, so
/// reasons read the same whichever shape the events came from.
pub(crate) fn secs(t: crate::time::Timestamp) -> crate::time::Timestamp {
    crate::time::Timestamp {
        micros: t.micros.div_euclid(1_000_000) * 1_000_000,
        digits: 0,
    }
}

/// The duration from `a` to `b` in whole seconds of their second-truncated times: "4 min 10 s".
pub(crate) fn dur_between(a: crate::time::Timestamp, b: crate::time::Timestamp) -> String {
    dur(secs(b).micros - secs(a).micros)
}

/// Minutes and seconds of a duration in microseconds: "4 min 10 s".
pub(crate) fn dur(micros: i64) -> String {
    let s = micros / 1_000_000;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// Shared by the cross-vault volume rules (KV_AccountVolumeAnomaly,
/// KV_AccountVolumeAccessDeniedAnomaly): extends the principal's open finding (reason and vault
/// list refreshed while the distinct-vault count grows), or opens one whose evidence is the latest
/// event on each vault of the 24 h window and whose count is every event in it. `extra` holds the
/// rule's own detail fields, added after `vaults` and `distinct_vaults`. Returns the finding's
/// index in `out` and whether it is new.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cross_vault_hit(
    groups: &mut super::Groups<super::baseline::Id>,
    cx: &super::Cx,
    out: &mut Vec<super::Finding>,
    (pk, ev, idx): (super::baseline::Id, EventRef<'_>, usize),
    w: &super::baseline::SlidingDistinct<super::baseline::Id>,
    info: &'static RuleInfo,
    (reason, basis): (String, String),
    extra: serde_json::Value,
) -> (usize, bool) {
    use serde_json::json;
    let n = w.distinct();
    // The vault names (at most 50 listed) are only rebuilt while the count grows.
    let vault_names = |w: &super::baseline::SlidingDistinct<super::baseline::Id>| {
        let mut v: Vec<&str> = w.keys().map(|v| cx.name(*v)).collect();
        v.sort_unstable();
        v.truncate(50);
        v
    };
    if let Some(fi) = groups.open_at(out, &pk, ev.time()) {
        let f = &mut out[fi];
        f.add(ev, idx);
        if f.details["distinct_vaults"].as_u64().unwrap_or(0) < n as u64 {
            f.reason = reason;
            f.basis = basis;
            f.details["distinct_vaults"] = json!(n);
            if n <= 50 {
                f.details["vaults"] = json!(vault_names(w));
            }
        }
        return (fi, false);
    }
    let mut details = json!({"vaults": vault_names(w), "distinct_vaults": n});
    if let (Some(d), serde_json::Value::Object(x)) = (details.as_object_mut(), extra) {
        d.extend(x);
    }
    let seed = w.latest_events();
    let total = w.total() as u64;
    groups.hit(out, pk, ev, idx, || {
        // Evidence: the latest event on each vault of the window; count: every event in it.
        let first = seed[0];
        let mut f = super::new_finding(
            info,
            cx.events.row(first),
            first,
            "*",
            reason.clone(),
            details.clone(),
        );
        f.basis = basis.clone();
        for &i in &seed[1..] {
            f.add(cx.events.row(i), i);
        }
        f.count = total;
        f
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_and_rules_agree() {
        let rules = all();
        assert_eq!(rules.len(), CATALOGUE.len());
        for (r, info) in rules.iter().zip(CATALOGUE) {
            assert_eq!(r.info().id, info.id);
            assert!(info.id.starts_with("KV_"));
            assert!(!info.doc.is_empty() && !info.tactics.is_empty());
        }
    }
}
