//! The row view: [`EventRef`], one event of the store, with accessors named like
//! [`crate::Event`]'s fields. Texts come back as `&Str` / `&Option<Str>` borrowed from the
//! store's dictionaries (clone them like the fields they replace); the request URI, object id
//! and correlation id are rebuilt (`Cow`).

use super::batch::{flag, guid_text, DUR_BIG, DUR_NONE};
use super::{EventStore, Object};
use crate::event::{
    AccessPolicyChange, Authorization, Identity, ObjectKind, Op, Outcome, Source, Str, VaultConfig,
};
use crate::time::Timestamp;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::borrow::Cow;
use std::net::IpAddr;

const NO_STR: &Option<Str> = &None;

/// One event of an [`EventStore`]: a row index and the store. `Copy`, two words.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    store: &'a EventStore,
    row: u32,
}

impl std::fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRef")
            .field("row", &self.row)
            .field("time", &self.time())
            .field("vault", self.vault())
            .field("operation", self.operation())
            .finish()
    }
}

impl<'a> EventRef<'a> {
    pub(crate) fn new(store: &'a EventStore, row: u32) -> EventRef<'a> {
        EventRef { store, row }
    }

    /// The row index (time order).
    #[inline]
    pub fn row(self) -> usize {
        self.row as usize
    }

    #[inline]
    fn i(self) -> usize {
        self.row as usize
    }

    #[inline]
    fn flags(self) -> u8 {
        self.store.flags[self.i()]
    }

    #[inline]
    pub fn time(self) -> Timestamp {
        Timestamp {
            micros: self.store.time[self.i()],
            digits: self.flags() & flag::DIGITS,
        }
    }

    // ---- resource ----
    #[inline]
    fn res(self) -> &'a super::Resource {
        &self.store.resources[self.store.res.get(self.i()) as usize]
    }
    /// The resource entry (vault, subscription, resource group) of [`EventRef::vault_id`].
    #[inline]
    pub fn resource(self) -> &'a super::Resource {
        self.res()
    }
    /// Lower-case vault name.
    #[inline]
    pub fn vault(self) -> &'a Str {
        &self.res().vault
    }
    #[inline]
    pub fn subscription(self) -> &'a Option<Str> {
        &self.res().subscription
    }
    #[inline]
    pub fn resource_group(self) -> &'a Option<Str> {
        &self.res().resource_group
    }
    /// Index into [`EventStore::resources`].
    #[inline]
    pub fn vault_id(self) -> u32 {
        self.store.res.get(self.i())
    }

    // ---- operation ----
    #[inline]
    fn opn(self) -> &'a super::Operation {
        &self.store.operations[self.store.op.get(self.i()) as usize]
    }
    /// The operation name as the record gave it.
    #[inline]
    pub fn operation(self) -> &'a Str {
        &self.opn().operation
    }
    #[inline]
    pub fn op(self) -> Op {
        self.opn().op
    }
    #[inline]
    pub fn operation_version(self) -> &'a Option<Str> {
        &self.opn().operation_version
    }
    #[inline]
    pub fn category(self) -> &'a Option<Str> {
        &self.opn().category
    }
    #[inline]
    pub fn operation_id(self) -> u32 {
        self.store.op.get(self.i())
    }

    // ---- result ----
    #[inline]
    fn result(self) -> &'a super::ResultInfo {
        &self.store.results[self.store.result.get(self.i()) as usize]
    }
    #[inline]
    pub fn status(self) -> Option<u16> {
        self.result().status
    }
    #[inline]
    pub fn outcome(self) -> Outcome {
        self.result().outcome
    }
    #[inline]
    pub fn result_type(self) -> &'a Option<Str> {
        &self.result().result_type
    }
    #[inline]
    pub fn result_signature(self) -> &'a Option<Str> {
        &self.result().result_signature
    }
    #[inline]
    pub fn result_description(self) -> &'a Option<Str> {
        &self.result().result_description
    }

    // ---- caller ----
    /// `callerIpAddress` text as given.
    #[inline]
    pub fn caller_ip(self) -> &'a Option<Str> {
        &self.store.callers[self.store.caller.get(self.i()) as usize].caller_ip
    }
    #[inline]
    pub fn caller_addr(self) -> Option<IpAddr> {
        self.store.callers[self.store.caller.get(self.i()) as usize].caller_addr
    }
    #[inline]
    pub fn caller_id(self) -> u32 {
        self.store.caller.get(self.i())
    }

    // ---- identity ----
    #[inline]
    pub fn identity(self) -> &'a Identity {
        &self.store.identities[self.store.ident.get(self.i()) as usize]
    }
    #[inline]
    pub fn identity_id(self) -> u32 {
        self.store.ident.get(self.i())
    }

    // ---- client ----
    #[inline]
    fn client(self) -> &'a super::Client {
        &self.store.clients[self.store.client.get(self.i()) as usize]
    }
    #[inline]
    pub fn client_info(self) -> &'a Option<Str> {
        &self.client().client_info
    }
    #[inline]
    pub fn tls_version(self) -> &'a Option<Str> {
        &self.client().tls_version
    }
    #[inline]
    pub fn authorization(self) -> &'a Authorization {
        &self.client().authorization
    }

    // ---- object ----
    #[inline]
    fn obj(self) -> &'a Object {
        &self.store.objects[self.store.object.get(self.i()) as usize]
    }
    #[inline]
    pub fn object_kind(self) -> ObjectKind {
        self.obj().object_kind
    }
    #[inline]
    pub fn object_name(self) -> &'a Option<Str> {
        &self.obj().object_name
    }
    #[inline]
    pub fn object_version(self) -> &'a Option<Str> {
        &self.obj().object_version
    }
    pub fn request_uri(self) -> Option<Cow<'a, str>> {
        self.obj().request_uri()
    }
    /// `properties.id`: `https://<vault>.vault.azure.net/<kind>/<name>/<version>`.
    pub fn object_id(self) -> Option<Cow<'a, str>> {
        self.obj().object_id()
    }
    #[inline]
    pub fn object_ref_id(self) -> u32 {
        self.store.object.get(self.i())
    }

    // ---- the rest ----
    #[inline]
    pub fn duration_ms(self) -> Option<u64> {
        match self.store.dur[self.i()] {
            DUR_NONE => None,
            DUR_BIG => side(&self.store.dur_rows, self.row).copied(),
            v => Some(v as u64),
        }
    }

    pub fn correlation_id(self) -> Option<Cow<'a, str>> {
        match (self.flags() & flag::CORR) >> flag::CORR_SHIFT {
            0 => None,
            1 => Some(guid_text(self.store.corr[self.i()], false).into()),
            2 => Some(guid_text(self.store.corr[self.i()], true).into()),
            _ => side(&self.store.corr_rows, self.row).map(|s| Cow::Borrowed(&**s)),
        }
    }

    /// The vault's configuration (VaultGet/Put/Patch records).
    pub fn vault_config(self) -> Option<&'a VaultConfig> {
        if self.flags() & flag::CONFIG == 0 {
            return None;
        }
        side(&self.store.cfg_rows, self.row).map(|&c| &self.store.configs[c as usize])
    }

    fn changes(self) -> Option<&'a super::Changes> {
        if self.flags() & flag::CHANGE == 0 {
            return None;
        }
        side(&self.store.change_rows, self.row)
    }
    pub fn policy_added(self) -> Option<&'a AccessPolicyChange> {
        self.changes().and_then(|c| c.policy_added.as_deref())
    }
    pub fn policy_removed(self) -> Option<&'a AccessPolicyChange> {
        self.changes().and_then(|c| c.policy_removed.as_deref())
    }
    #[inline]
    pub fn ip_rule_added(self) -> &'a Option<Str> {
        self.changes().map_or(NO_STR, |c| &c.ip_rule_added)
    }
    #[inline]
    pub fn ip_rule_removed(self) -> &'a Option<Str> {
        self.changes().map_or(NO_STR, |c| &c.ip_rule_removed)
    }

    /// Where the event came from (decoded from the packed provenance).
    #[inline]
    pub fn source(self) -> Source {
        self.store.source_of(self.store.provenance.get(self.i()))
    }

    // ---- the predicates of `Event` ----

    /// The unauthenticated `Authentication` 401 every SDK client receives before its first
    /// real call: normal traffic, never "denied access".
    #[inline]
    pub fn is_auth_challenge(self) -> bool {
        self.status() == Some(401)
            && (self.op() == Op::Authentication || self.identity().is_empty())
    }

    #[inline]
    pub fn is_success(self) -> bool {
        self.outcome() == Outcome::Success
    }

    /// Denied for real (401/403 that is not the SDK challenge).
    #[inline]
    pub fn is_denied(self) -> bool {
        self.outcome() == Outcome::Denied && !self.is_auth_challenge()
    }

    /// Access to the vault's contents (secrets, keys, certificates).
    #[inline]
    pub fn is_data_plane(self) -> bool {
        self.object_kind().is_data_plane()
    }
}

/// Binary search of a side table keyed by row.
fn side<T>(table: &[(u32, T)], row: u32) -> Option<&T> {
    table
        .binary_search_by_key(&row, |(r, _)| *r)
        .ok()
        .map(|i| &table[i].1)
}

impl EventStore {
    pub(crate) fn source_of(&self, p: super::Prov) -> Source {
        Source {
            file: self.files[p.file as usize].name.clone(),
            line: p.line,
            record: (p.record != super::NO_RECORD).then_some(p.record),
            offset: p.offset,
            len: p.len,
        }
    }

    /// Every event's source in time order (sequential decoding: cheaper than
    /// [`EventRef::source`] row by row).
    pub fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        self.provenance.iter().map(|p| self.source_of(p))
    }

    /// Every event's file, as an index into [`EventStore::files`], in time order.
    pub fn file_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.provenance.iter().map(|p| p.file)
    }

    /// Every event's file name in time order (sequential decoding, nothing allocated).
    pub fn file_names(&self) -> impl Iterator<Item = &Str> + '_ {
        self.provenance
            .iter()
            .map(|p| &self.files[p.file as usize].name)
    }
}

/// Serialises with the field names of spec §2, exactly as [`crate::Event`] does.
impl Serialize for EventRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(*self, &self.source(), s)
    }
}

/// An event with its source already decoded (see [`EventStore::sources`]): serialises like
/// [`EventRef`].
pub struct Located<'a>(pub EventRef<'a>, pub Source);

impl Serialize for Located<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, &self.1, s)
    }
}

fn serialize<S: Serializer>(e: EventRef<'_>, source: &Source, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    m.serialize_entry("time", &e.time().to_rfc3339())?;
    m.serialize_entry("vault", &**e.vault())?;
    m.serialize_entry("subscription", e.subscription())?;
    m.serialize_entry("resource_group", e.resource_group())?;
    m.serialize_entry("operation", &**e.operation())?;
    m.serialize_entry("object_kind", &e.object_kind())?;
    m.serialize_entry("object_name", e.object_name())?;
    m.serialize_entry("object_version", e.object_version())?;
    m.serialize_entry("status", &e.status())?;
    m.serialize_entry("outcome", &e.outcome())?;
    m.serialize_entry("result_signature", e.result_signature())?;
    m.serialize_entry("result_description", e.result_description())?;
    m.serialize_entry("caller_ip", &e.caller_addr().map(|a| a.to_string()))?;
    m.serialize_entry("caller_ip_text", e.caller_ip())?;
    m.serialize_entry("identity", e.identity())?;
    m.serialize_entry("client_info", e.client_info())?;
    m.serialize_entry("request_uri", &e.request_uri())?;
    m.serialize_entry("duration_ms", &e.duration_ms())?;
    m.serialize_entry("tls_version", e.tls_version())?;
    m.serialize_entry("correlation_id", &e.correlation_id())?;
    m.serialize_entry("result_type", e.result_type())?;
    m.serialize_entry("operation_version", e.operation_version())?;
    m.serialize_entry("id", &e.object_id())?;
    m.serialize_entry("auth_challenge", &e.is_auth_challenge())?;
    m.serialize_entry("authorization", e.authorization())?;
    m.serialize_entry("vault_config", &e.vault_config())?;
    m.serialize_entry("access_policy_added", &e.policy_added())?;
    m.serialize_entry("access_policy_removed", &e.policy_removed())?;
    m.serialize_entry("ip_rule_added", e.ip_rule_added())?;
    m.serialize_entry("ip_rule_removed", e.ip_rule_removed())?;
    m.serialize_entry("source", source)?;
    m.end()
}

/// Iterator over the rows of a store, in time order.
#[derive(Clone)]
pub struct Rows<'a> {
    store: &'a EventStore,
    next: u32,
    end: u32,
}

impl<'a> Rows<'a> {
    pub(crate) fn new(store: &'a EventStore) -> Rows<'a> {
        Rows {
            store,
            next: 0,
            end: store.len() as u32,
        }
    }
}

impl<'a> Iterator for Rows<'a> {
    type Item = EventRef<'a>;
    fn next(&mut self) -> Option<EventRef<'a>> {
        (self.next < self.end).then(|| {
            self.next += 1;
            EventRef::new(self.store, self.next - 1)
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.next) as usize;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Rows<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            EventRef::new(self.store, self.end)
        })
    }
}

impl ExactSizeIterator for Rows<'_> {}
