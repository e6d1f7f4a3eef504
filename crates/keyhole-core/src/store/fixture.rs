//! A store from hand-written [`Event`]s (tests, golden fixtures, benchmarks): each event goes
//! through the same normalised-record → [`Batch`] → [`StoreBuilder`] path as a parsed record,
//! so the store is built by the one implementation, never a second one.

use super::{Batch, EventRef, EventStore, FileMeta, Prov, StoreBuilder, NO_RECORD};
use crate::event::{AccessPolicyChange, Event, Str};
use crate::ingest::normalize::{Norm, NormConfig, NormIdentity, NormPolicy};

/// An access-policy change's permission lists as owned texts (what [`NormPolicy`] borrows).
struct Lists([Vec<String>; 4]);

impl Lists {
    fn of(p: &AccessPolicyChange) -> Lists {
        let v = |l: &[crate::event::Str]| l.iter().map(|s| s.to_string()).collect();
        Lists([v(&p.keys), v(&p.secrets), v(&p.certificates), v(&p.storage)])
    }
}

fn policy<'a>(p: &'a AccessPolicyChange, l: &'a Lists) -> NormPolicy<'a> {
    NormPolicy {
        object_id_lower: p.object_id.as_deref(),
        tenant_id_lower: p.tenant_id.as_deref(),
        keys: &l.0[0],
        secrets: &l.0[1],
        certificates: &l.0[2],
        storage: &l.0[3],
    }
}

impl EventStore {
    /// A store of `events` in the given order (no de-duplication, no sort: pass them sorted by
    /// time, as a drop's store is). Derived values (`op`, `outcome`, the parsed caller address)
    /// are computed by the store from the texts, as for parsed records; ids are lower-cased.
    pub fn from_events(events: &[Event]) -> EventStore {
        let mut batch = Batch::keeping_duplicates();
        for e in events {
            let added = e.policy_added.as_deref().map(|p| (p, Lists::of(p)));
            let removed = e.policy_removed.as_deref().map(|p| (p, Lists::of(p)));
            let id = &e.identity;
            let norm = Norm {
                time: e.time,
                fold: crate::zone::Fold::Unique,
                vault_lower: &e.vault,
                subscription_lower: e.subscription.as_deref(),
                resource_group_lower: e.resource_group.as_deref(),
                operation: &e.operation,
                operation_version: e.operation_version.as_deref(),
                category: e.category.as_deref(),
                object_kind: e.object_kind,
                object_name: e.object_name.as_deref(),
                object_version: e.object_version.as_deref(),
                status: e.status,
                result_type: e.result_type.as_deref(),
                result_signature: e.result_signature.as_deref(),
                result_description: e.result_description.as_deref(),
                caller_ip: e.caller_ip.as_deref(),
                identity: NormIdentity {
                    object_id_lower: id.object_id.as_deref(),
                    upn: id.upn.as_deref(),
                    app_id_lower: id.app_id.as_deref(),
                    tenant_id_lower: id.tenant_id.as_deref(),
                    kind: id.kind,
                },
                client_info: e.client_info.as_deref(),
                request_uri: e.request_uri.as_deref(),
                object_id: e.object_id.as_deref(),
                duration_ms: e.duration_ms,
                tls_version: e.tls_version.as_deref(),
                correlation_id: e.correlation_id.as_deref(),
                access_policy_match: e.authorization.access_policy_match,
                rbac_authorized: e.authorization.rbac_authorized,
                assignment_id_lower: e.authorization.assignment_id.as_deref(),
                vault_config: e.vault_config.as_deref().map(|c| NormConfig {
                    network_default_action: c.network_default_action.as_deref(),
                    network_bypass: c.network_bypass.as_deref(),
                    soft_delete: c.soft_delete,
                    purge_protection: c.purge_protection,
                    rbac_authorization: c.rbac_authorization,
                    soft_delete_retention_days: c.soft_delete_retention_days,
                    enabled_for_deployment: c.enabled_for_deployment,
                    enabled_for_disk_encryption: c.enabled_for_disk_encryption,
                    enabled_for_template_deployment: c.enabled_for_template_deployment,
                    sku: c.sku.as_deref(),
                    tenant_id_lower: c.tenant_id.as_deref(),
                }),
                policy_added: added.as_ref().map(|(p, l)| policy(p, l)),
                policy_removed: removed.as_ref().map(|(p, l)| policy(p, l)),
                ip_rule_added: e.ip_rule_added.as_deref(),
                ip_rule_removed: e.ip_rule_removed.as_deref(),
            };
            let file = batch.file(&FileMeta {
                name: e.source.file.clone(),
                plain: None,
            });
            let prov = Prov {
                file,
                len: e.source.len,
                line: e.source.line,
                record: e.source.record.unwrap_or(NO_RECORD),
                offset: e.source.offset,
            };
            batch.push(&norm, prov);
        }
        let mut b = StoreBuilder::keeping_order();
        b.add(batch);
        b.finish()
    }
}

impl EventRef<'_> {
    /// An owned copy of this event (texts shared with the store's dictionaries), for tests that
    /// compute expected results independently of the store, or mix drop events with
    /// hand-written ones ([`EventStore::from_events`]). Not for whole drops: the store is the
    /// one representation of a drop's events.
    pub fn to_event(self) -> Event {
        let s = |t: Option<std::borrow::Cow<'_, str>>| t.map(|t| Str::from(&*t));
        Event {
            time: self.time(),
            vault: self.vault().clone(),
            subscription: self.subscription().clone(),
            resource_group: self.resource_group().clone(),
            operation: self.operation().clone(),
            op: self.op(),
            operation_version: self.operation_version().clone(),
            category: self.category().clone(),
            object_kind: self.object_kind(),
            object_name: self.object_name().clone(),
            object_version: self.object_version().clone(),
            status: self.status(),
            outcome: self.outcome(),
            result_type: self.result_type().clone(),
            result_signature: self.result_signature().clone(),
            result_description: self.result_description().clone(),
            caller_ip: self.caller_ip().clone(),
            caller_addr: self.caller_addr(),
            identity: self.identity().clone(),
            client_info: self.client_info().clone(),
            request_uri: s(self.request_uri()),
            object_id: s(self.object_id()),
            duration_ms: self.duration_ms(),
            tls_version: self.tls_version().clone(),
            correlation_id: s(self.correlation_id()),
            authorization: self.authorization().clone(),
            vault_config: self.vault_config().map(|c| Box::new(c.clone())),
            policy_added: self.policy_added().map(|p| Box::new(p.clone())),
            policy_removed: self.policy_removed().map(|p| Box::new(p.clone())),
            ip_rule_added: self.ip_rule_added().clone(),
            ip_rule_removed: self.ip_rule_removed().clone(),
            source: self.source(),
        }
    }
}
