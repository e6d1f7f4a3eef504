//! KV_AccountVolumeAccessDeniedAnomaly — a principal is denied on many vaults.
//!
//! Why: a token walking the estate and bouncing off vault after vault is enumeration. The 401
//! SDK challenge never counts. Default: denied on ≥ 5 distinct vaults within a sliding 24 h;
//! no baseline needed. MITRE: Discovery. Grouping: per principal and 24 h; vault "*".
//! Origin: Defender.

use crate::detect::baseline::{FxMap, Id};
use crate::detect::baseline::{SlidingDistinct, DAY};
use crate::detect::{who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::store::EventRef;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_AccountVolumeAccessDeniedAnomaly",
    title: "Principal denied on an unusual number of key vaults",
    severity: Severity::Low,
    tactics: &["Discovery"],
    origin: "Defender",
    doc: "A principal gets 401/403 (not the SDK challenge) on >= 5 distinct vaults within 24 h. Vault '*'.",
    needs_baseline: false,
    basis: "absolute threshold (denied on >= 5 vaults in 24 h), needs no history",
    short_drop: "",
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

    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
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
        w.push(ev.time().micros, cx.cur.vault, idx);
        let n = w.distinct();
        if n < cx.cfg.denied_vaults {
            return;
        }
        let reason = format!("{} was denied on {} vaults in 24 h", who(ev), n);
        super::cross_vault_hit(
            &mut self.groups,
            cx,
            out,
            (pk, ev, idx),
            w,
            &INFO,
            (reason, INFO.basis.to_string()),
            json!({}),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

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
