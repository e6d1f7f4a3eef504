//! KV_PutGetAnomaly — an access-policy change, then within 1 h reads by the changer or by the
//! object that was granted.
//!
//! Why: an attacker with management rights grants itself (or a principal it controls) data
//! access and reads immediately. Legitimate grants are rarely followed by reads from the
//! granting admin within the hour. Trigger: a successful VaultPut/VaultPatch carrying
//! `addedAccessPolicy`; then successful data-plane reads (Get, List, Backup, key use) on the same
//! vault by the changer or the granted object id within 60 min. No baseline needed.
//! MITRE: Privilege Escalation, Credential Access. One finding per (vault, reader) per change.
//! Origin: Defender.

use super::object_phrase;
use crate::detect::baseline::{FxMap, Id};
use crate::detect::{new_finding, who, Cx, Finding, Groups, Rule, RuleInfo, Severity};
use crate::event::Str;
use crate::store::EventRef;
use crate::time::MICROS_PER_MIN;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_PutGetAnomaly",
    title: "Access-policy change followed by reads from the changer or the grantee",
    severity: Severity::Medium,
    tactics: &["PrivilegeEscalation", "CredentialAccess"],
    origin: "Defender",
    doc: "A VaultPut/VaultPatch adding an access policy, then within 60 min successful data-plane reads on that vault by the principal who made the change or by the object granted.",
    needs_baseline: false,
    basis: "sequence within 60 min of an access-policy change, needs no history",
    short_drop: "",
};

struct Change {
    t: i64,
    idx: usize,
    changer: Option<Str>,
    granted: Option<Str>,
}

pub struct PutGetAnomaly {
    changes: FxMap<Id, Vec<Change>>,
    groups: Groups<(Id, Id, usize)>,
}

impl Default for PutGetAnomaly {
    fn default() -> Self {
        PutGetAnomaly {
            changes: FxMap::default(),
            groups: Groups::new(60 * MICROS_PER_MIN),
        }
    }
}

impl Rule for PutGetAnomaly {
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
        if !ev.is_success() {
            return;
        }
        let window = cx.cfg.put_get_window_min * MICROS_PER_MIN;
        if ev.op().is_vault_write() && ev.policy_added().is_some() {
            let list = self.changes.entry(cx.cur.vault).or_default();
            list.retain(|c| ev.time().micros - c.t <= window);
            // Bounded: the 64 most recent changes of the window are enough to attribute reads.
            if list.len() >= 64 {
                list.remove(0);
            }
            list.push(Change {
                t: ev.time().micros,
                idx,
                changer: ev
                    .identity()
                    .object_id
                    .clone()
                    .or_else(|| ev.identity().principal_key().cloned()),
                granted: ev.policy_added().as_ref().and_then(|p| p.object_id.clone()),
            });
            return;
        }
        if allowed || !ev.is_data_plane() || !ev.op().is_data_read() {
            return;
        }
        let Some(me_id) = cx.cur.principal else {
            return;
        };
        let Some(list) = self.changes.get(&cx.cur.vault) else {
            return;
        };
        let me = ev
            .identity()
            .object_id
            .as_ref()
            .or(ev.identity().principal_key());
        let Some(me) = me else { return };
        let hit = list.iter().rev().find(|c| {
            ev.time().micros - c.t <= window
                && (c
                    .changer
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(me))
                    || c.granted
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(me)))
        });
        let Some(c) = hit else { return };
        let role = if c
            .changer
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(me))
        {
            "the principal who changed the policy"
        } else {
            "the object the change granted"
        };
        let change_ev = cx.events.row(c.idx);
        let key = (cx.cur.vault, me_id, c.idx);
        let cidx = c.idx;
        let changer_label = who(change_ev).to_string();
        self.groups.hit(out, key, ev, idx, || {
            let mut f = new_finding(
                &INFO,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} changed the access policy of {} ({}) and {} later {} ({}) performed {}{}",
                    changer_label,
                    ev.vault(),
                    change_ev.operation(),
                    super::dur_between(change_ev.time(), ev.time()),
                    who(ev),
                    role,
                    ev.operation(),
                    object_phrase(ev)
                ),
                json!({"granted_object_id": change_ev.policy_added().as_ref().and_then(|p| p.object_id.as_deref()), "change_time": super::secs(change_ev.time()).to_rfc3339()}),
            );
            f.first_seen = change_ev.time();
            f.evidence.insert(0, crate::detect::EvidenceRef::of(change_ev, cidx));
            f
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    fn read_after(min: i64, reader_oid: &str) -> usize {
        let cfg = DetectConfig::default();
        let mut change = ev("2026-10-15T10:00:00Z")
            .vault("kv")
            .user("admin@x")
            .op("VaultPatch");
        change.policy_added = Some(Box::new(crate::event::AccessPolicyChange {
            object_id: Some("g1".into()),
            ..Default::default()
        }));
        let read = ev("2026-10-15T10:00:00Z")
            .vault("kv")
            .oid(reader_oid)
            .user("r@x")
            .op("SecretGet")
            .obj("s")
            .secs(min * 60);
        findings_of("KV_PutGetAnomaly", vec![change, read], &cfg).len()
    }

    #[test]
    fn grantee_or_changer_within_an_hour() {
        assert_eq!(read_after(60, "g1"), 1);
        assert_eq!(read_after(61, "g1"), 0);
        assert_eq!(read_after(5, "someone-else"), 0);
        assert_eq!(read_after(5, "oid-admin@x"), 1, "the changer itself");
    }
}
