//! TEMPORARY (issue 10, phase 1): the store as today's `Vec<Event>`, for the consumers that
//! still read `&[Event]` (detection rules, workbook, KQL `tables.rs`, the web worker) while
//! their own branches change them. Phase 2 converts each of them to [`super::EventRef`] /
//! the columns and deletes this file; nothing else in the core builds `Event`s from the store.

use super::EventStore;
use crate::event::Event;

/// Every event of the store as an owned [`Event`] (texts shared with the store's
/// dictionaries), in time order. TEMPORARY: see the module documentation.
pub fn to_events(store: &EventStore) -> Vec<Event> {
    let mut out = Vec::with_capacity(store.len());
    // each object's request URI and id URL built once, shared by its events (as the interner
    // shared them before the store)
    let urls: Vec<(Option<Str>, Option<Str>)> = store
        .objects()
        .iter()
        .map(|o| {
            (
                o.request_uri().map(|u| Str::from(&*u)),
                o.object_id().map(|u| Str::from(&*u)),
            )
        })
        .collect();
    for (e, source) in store.rows().zip(store.sources()) {
        let s = |t: Option<std::borrow::Cow<'_, str>>| t.map(|t| Str::from(&*t));
        let (request_uri, object_id) = &urls[e.object_ref_id() as usize];
        out.push(Event {
            time: e.time(),
            vault: e.vault().clone(),
            subscription: e.subscription().clone(),
            resource_group: e.resource_group().clone(),
            operation: e.operation().clone(),
            op: e.op(),
            operation_version: e.operation_version().clone(),
            category: e.category().clone(),
            object_kind: e.object_kind(),
            object_name: e.object_name().clone(),
            object_version: e.object_version().clone(),
            status: e.status(),
            outcome: e.outcome(),
            result_type: e.result_type().clone(),
            result_signature: e.result_signature().clone(),
            result_description: e.result_description().clone(),
            caller_ip: e.caller_ip().clone(),
            caller_addr: e.caller_addr(),
            identity: e.identity().clone(),
            client_info: e.client_info().clone(),
            request_uri: request_uri.clone(),
            object_id: object_id.clone(),
            duration_ms: e.duration_ms(),
            tls_version: e.tls_version().clone(),
            correlation_id: s(e.correlation_id()),
            authorization: e.authorization().clone(),
            vault_config: e.vault_config().map(|c| Box::new(c.clone())),
            policy_added: e.policy_added().map(|p| Box::new(p.clone())),
            policy_removed: e.policy_removed().map(|p| Box::new(p.clone())),
            ip_rule_added: e.ip_rule_added().clone(),
            ip_rule_removed: e.ip_rule_removed().clone(),
            source,
        });
    }
    out
}

use crate::event::Str;
