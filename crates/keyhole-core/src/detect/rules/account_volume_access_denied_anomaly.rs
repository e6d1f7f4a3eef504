//! KV_AccountVolumeAccessDeniedAnomaly — a principal is denied on many vaults.
//!
//! Why: a token walking the estate and bouncing off vault after vault is enumeration. The 401
//! SDK challenge never counts. Default: denied on ≥ 5 distinct vaults within a sliding 24 h;
//! no baseline needed. MITRE: Discovery. Grouping: per principal and 24 h; vault "*".
//! Origin: Defender.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::baseline::{SlidingDistinct, DAY};
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Event;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccountVolumeAccessDeniedAnomaly",
    title: "Principal denied on an unusual number of key vaults",
    severity: Severity::Low,
    tactics: &["Discovery"],
    origin: "Defender",
    doc: "A principal gets 401/403 (not the SDK challenge) on >= 5 distinct vaults within 24 h. Vault '*'.",
    needs_baseline: false,
};

pub struct AccountVolumeAccessDeniedAnomaly {
    windows: FxMap<Id, SlidingDistinct<Id>>,
    groups: Groups<Id>,
}

impl Default for AccountVolumeAccessDeniedAnomaly {
    fn default() -> Self {
        AccountVolumeAccessDeniedAnomaly {
            windows: FxMap::default(),
            groups: Groups::new(DAY),
        }
    }
}

impl Rule for AccountVolumeAccessDeniedAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !ev.is_denied() {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        let w = self
            .windows
            .entry(pk)
            .or_insert_with(|| SlidingDistinct::new(DAY));
        w.push(ev.time.micros, cx.cur.vault, idx);
        let n = w.distinct();
        if n < cx.cfg.denied_vaults {
            return;
        }
        let reason = format!("{} was denied on {} vaults in 24 h", who(ev), n);
        // The vault names (at most 50 listed) are only rebuilt while the count grows.
        let vault_names = |w: &SlidingDistinct<Id>| {
            let mut v: Vec<&str> = w.keys().map(|v| cx.name(*v)).collect();
            v.sort_unstable();
            v.truncate(50);
            v
        };
        if let Some(fi) = self.groups.open_at(out, &pk, ev.time) {
            let f = &mut out[fi];
            f.add(ev, idx);
            if f.details["distinct_vaults"].as_u64().unwrap_or(0) < n as u64 {
                f.reason = reason;
                f.details["distinct_vaults"] = json!(n);
                if n <= 50 {
                    f.details["vaults"] = json!(vault_names(w));
                }
            }
            return;
        }
        let details = json!({"vaults": vault_names(w), "distinct_vaults": n});
        let seed = w.latest_events();
        let total = w.total() as u64;
        self.groups.hit(out, pk, ev, idx, || {
            // Evidence: the latest event on each vault of the window; count: every event in it.
            let first = seed[0];
            let mut f = new_finding(
                &INFO,
                &cx.events[first],
                first,
                "*",
                reason.clone(),
                details.clone(),
            );
            for &i in &seed[1..] {
                f.add(&cx.events[i], i);
            }
            f.count = total;
            f
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    #[allow(unused_imports)]
    use crate::event::Event;

    #[allow(dead_code)]
    fn bg(vault: &str, days: i64) -> Vec<Event> {
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

    #[test]
    fn five_vaults_within_24_hours() {
        let cfg = DetectConfig::default();
        let d = |t: &str, k: usize| {
            ev(t)
                .vault(&format!("kv{k}"))
                .user("u@x")
                .op("SecretGet")
                .obj("s")
                .status(403)
        };
        let four: Vec<_> = (0..4).map(|k| d("2026-10-15T01:00:00Z", k)).collect();
        assert!(findings_of("KV_AccountVolumeAccessDeniedAnomaly", four.clone(), &cfg).is_empty());
        let mut five = four.clone();
        five.push(d("2026-10-16T00:59:59Z", 4));
        assert_eq!(
            findings_of("KV_AccountVolumeAccessDeniedAnomaly", five, &cfg).len(),
            1
        );
        let mut late = four;
        late.push(d("2026-10-16T01:00:00Z", 4));
        assert!(
            findings_of("KV_AccountVolumeAccessDeniedAnomaly", late, &cfg).is_empty(),
            "24 h apart"
        );
    }
}
