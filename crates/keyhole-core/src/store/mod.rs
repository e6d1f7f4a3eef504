//! The columnar event store: every event of a drop as columns (struct of arrays), time-ordered.
//!
//! Per event the store keeps an `i64` time, a flag byte, one dictionary id per group of fields
//! that travel together (one, two or four bytes: as narrow as the dictionary allows) (resource = vault + subscription + resource group; operation = name +
//! version + category; result = status + type + signature + description; caller IP; identity;
//! client = client info + TLS + authorisation; object = kind + name + version + the request URI
//! and object-id URL as templates around them), the duration (`u16`), the correlation id as
//! 128 bits, and a few bytes of packed provenance: about 45 bytes an event on raw records. The ids point into per-column dictionaries of shared
//! texts, so memory follows distinct values, not input bytes. Rare data lives in side tables
//! keyed by row: vault-configuration snapshots, access-policy and firewall changes, correlation
//! ids that are not GUIDs, durations of 65,534 ms or more.
//!
//! Reading:
//! - row view: [`EventStore::rows`] / [`EventStore::row`] give [`EventRef`]s (`Copy`), whose
//!   accessors are named like [`crate::Event`]'s fields (`e.time()`, `e.vault()`,
//!   `e.identity()` …), so code written against `&Event` converts mechanically;
//! - columns: [`EventStore::times`], [`EventStore::vault_ids`] + [`EventStore::resources`], …
//!   for KQL and the workbook (group by id, resolve the dictionary once per group).
//!
//! Built by [`StoreBuilder`] from [`Batch`]es (one per parse unit), merged in unit order.
//! Detection, the workbook and KQL read nothing else: no `Vec<Event>` of a drop is built.
//! Hand-written [`crate::Event`]s (tests, golden fixtures, benchmarks) become a store through
//! the same batch/builder path with [`EventStore::from_events`].

mod batch;
pub mod budget;
mod build;
mod fixture;
mod intern;
pub(crate) use intern::same;
mod prov;
mod row;
pub mod wire;

pub use batch::{Batch, FileMeta};
pub use build::StoreBuilder;
pub use prov::Provenance;
pub use row::{EventRef, Located, Rows};

pub(crate) use batch::{Prov, NO_RECORD};

use crate::event::{
    AccessPolicyChange, Authorization, Identity, ObjectKind, Op, Outcome, Str, VaultConfig,
};
use std::net::IpAddr;

/// A column of dictionary ids, as narrow as its dictionary allows (most dictionaries of a drop
/// have fewer than 256 or 65,536 entries: one or two bytes an event instead of four).
#[derive(Clone, Debug)]
pub enum Ids {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for Ids {
    fn default() -> Self {
        Ids::U8(Vec::new())
    }
}

impl Ids {
    /// The narrowest column for ids below `distinct`.
    pub(crate) fn narrow(v: Vec<u32>, distinct: usize) -> Ids {
        if distinct <= 1 << 8 {
            Ids::U8(v.into_iter().map(|x| x as u8).collect())
        } else if distinct <= 1 << 16 {
            Ids::U16(v.into_iter().map(|x| x as u16).collect())
        } else {
            let mut v = v;
            v.shrink_to_fit();
            Ids::U32(v)
        }
    }

    /// The id of row `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Ids::U8(v) => v[i] as u32,
            Ids::U16(v) => v[i] as u32,
            Ids::U32(v) => v[i],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Ids::U8(v) => v.len(),
            Ids::U16(v) => v.len(),
            Ids::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every id in row order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Ids::U8(v) => v.capacity(),
            Ids::U16(v) => v.capacity() * 2,
            Ids::U32(v) => v.capacity() * 4,
        }
    }
}

/// Where an event was, by vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// Lower-case vault name.
    pub vault: Str,
    pub subscription: Option<Str>,
    pub resource_group: Option<Str>,
}

/// The operation as the record named it, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub operation: Str,
    pub op: Op,
    pub operation_version: Option<Str>,
    pub category: Option<Str>,
}

/// The result of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultInfo {
    pub status: Option<u16>,
    pub outcome: Outcome,
    pub result_type: Option<Str>,
    pub result_signature: Option<Str>,
    pub result_description: Option<Str>,
}

/// The caller's address text and, when it holds one, the parsed address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub caller_ip: Option<Str>,
    pub caller_addr: Option<IpAddr>,
}

/// The client: user agent, TLS version, how the request was authorised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub client_info: Option<Str>,
    pub tls_version: Option<Str>,
    pub authorization: Authorization,
}

/// A URL as literal pieces around the event's object name and version (see [`Object`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlTemplate {
    /// 0 = `l0`; 1 = `l0 NAME l1`; 2 = `l0 VERSION l1`; 3 = `l0 NAME l1 VERSION l2`.
    pub(crate) shape: u8,
    pub(crate) lit: [Str; 3],
}

impl UrlTemplate {
    /// The URL, given the object's name and version.
    pub fn build<'a>(
        &'a self,
        name: Option<&str>,
        version: Option<&str>,
    ) -> std::borrow::Cow<'a, str> {
        let (n, v) = (name.unwrap_or(""), version.unwrap_or(""));
        let l = &self.lit;
        match self.shape {
            0 => std::borrow::Cow::Borrowed(&*l[0]),
            1 => format!("{}{n}{}", l[0], l[1]).into(),
            2 => format!("{}{v}{}", l[0], l[1]).into(),
            _ => format!("{}{n}{}{v}{}", l[0], l[1], l[2]).into(),
        }
    }
}

/// The object an operation touched; its request URI and `properties.id` URL are rebuilt from
/// templates and the name and version (exactly the input text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub object_kind: ObjectKind,
    pub object_name: Option<Str>,
    pub object_version: Option<Str>,
    pub(crate) request_uri: Option<UrlTemplate>,
    pub(crate) object_id: Option<UrlTemplate>,
}

impl Object {
    pub fn request_uri(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.request_uri
            .as_ref()
            .map(|t| t.build(self.object_name.as_deref(), self.object_version.as_deref()))
    }

    pub fn object_id(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.object_id
            .as_ref()
            .map(|t| t.build(self.object_name.as_deref(), self.object_version.as_deref()))
    }
}

/// Access-policy and firewall changes of one event (side table: vault operations only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub policy_added: Option<Box<AccessPolicyChange>>,
    pub policy_removed: Option<Box<AccessPolicyChange>>,
    pub ip_rule_added: Option<Str>,
    pub ip_rule_removed: Option<Str>,
}

/// Lets the store re-read a record's bytes from where they came from (the CLI reads its files,
/// the page its `File` objects): the core itself does no I/O.
pub trait RawSource {
    /// Read `len` bytes at `offset` of file `file` (the store's file index) into `buf`.
    /// `false` when the file cannot be read (stdin, gone).
    fn read(&self, file: u32, offset: u64, len: u32, buf: &mut Vec<u8>) -> bool;
}

/// Every event of a drop, as columns in time order (see the module documentation).
#[derive(Debug, Default)]
pub struct EventStore {
    pub(crate) time: Vec<i64>,
    pub(crate) flags: Vec<u8>,
    pub(crate) res: Ids,
    pub(crate) op: Ids,
    pub(crate) result: Ids,
    pub(crate) caller: Ids,
    pub(crate) ident: Ids,
    pub(crate) client: Ids,
    pub(crate) object: Ids,
    pub(crate) dur: Vec<u16>,
    pub(crate) corr: Vec<u128>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) operations: Vec<Operation>,
    pub(crate) results: Vec<ResultInfo>,
    pub(crate) callers: Vec<Caller>,
    pub(crate) identities: Vec<Identity>,
    pub(crate) clients: Vec<Client>,
    pub(crate) objects: Vec<Object>,
    pub(crate) configs: Vec<VaultConfig>,
    pub(crate) cfg_rows: Vec<(u32, u32)>,
    pub(crate) change_rows: Vec<(u32, Changes)>,
    pub(crate) corr_rows: Vec<(u32, Str)>,
    pub(crate) dur_rows: Vec<(u32, u64)>,
    pub(crate) files: Vec<FileMeta>,
    pub(crate) provenance: Provenance,
}

impl EventStore {
    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The event at `row` (time order).
    pub fn row(&self, row: usize) -> EventRef<'_> {
        assert!(row < self.len(), "row {row} of {}", self.len());
        EventRef::new(self, row as u32)
    }

    /// Every event in time order.
    pub fn rows(&self) -> Rows<'_> {
        Rows::new(self)
    }

    // ---- columns ----

    /// Times in microseconds since the epoch, sorted.
    pub fn times(&self) -> &[i64] {
        &self.time
    }

    /// Per event: index into [`EventStore::resources`] (vault, subscription, resource group).
    pub fn vault_ids(&self) -> &Ids {
        &self.res
    }

    /// Per event: index into [`EventStore::operations`].
    pub fn operation_ids(&self) -> &Ids {
        &self.op
    }

    /// Per event: index into [`EventStore::results`].
    pub fn result_ids(&self) -> &Ids {
        &self.result
    }

    /// Per event: index into [`EventStore::callers`].
    pub fn caller_ids(&self) -> &Ids {
        &self.caller
    }

    /// Per event: index into [`EventStore::identities`].
    pub fn identity_ids(&self) -> &Ids {
        &self.ident
    }

    /// Per event: index into [`EventStore::clients`].
    pub fn client_ids(&self) -> &Ids {
        &self.client
    }

    /// Per event: index into [`EventStore::objects`].
    pub fn object_ids(&self) -> &Ids {
        &self.object
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    pub fn results(&self) -> &[ResultInfo] {
        &self.results
    }

    pub fn callers(&self) -> &[Caller] {
        &self.callers
    }

    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Vault-configuration snapshots: `(row, snapshot)` in row order.
    pub fn config_rows(&self) -> impl Iterator<Item = (usize, &VaultConfig)> + '_ {
        self.cfg_rows
            .iter()
            .map(|&(r, c)| (r as usize, &self.configs[c as usize]))
    }

    /// Access-policy and firewall changes: `(row, changes)` in row order.
    pub fn change_rows(&self) -> impl Iterator<Item = (usize, &Changes)> + '_ {
        self.change_rows.iter().map(|(r, c)| (*r as usize, c))
    }

    /// The files events came from (index = `Source`'s file id).
    pub fn files(&self) -> &[FileMeta] {
        &self.files
    }

    /// The record bytes of `row`, re-read through `src` when its file is plain (not
    /// decompressed or transcoded); `None` otherwise.
    pub fn raw_record(&self, row: usize, src: &dyn RawSource) -> Option<Vec<u8>> {
        let p = self.provenance.get(row);
        let shift = self.files.get(p.file as usize)?.plain?;
        let mut buf = Vec::with_capacity(p.len as usize);
        src.read(p.file, p.offset + shift as u64, p.len, &mut buf)
            .then_some(buf)
    }

    /// Heap bytes held by the store (columns, dictionaries, side tables, provenance).
    pub fn heap_bytes(&self) -> StoreBytes {
        let n = self.len();
        let columns = self.time.capacity() * 8
            + self.flags.capacity()
            + [
                &self.res,
                &self.op,
                &self.result,
                &self.caller,
                &self.ident,
                &self.client,
                &self.object,
            ]
            .iter()
            .map(|c| c.heap_bytes())
            .sum::<usize>()
            + self.dur.capacity() * 2
            + self.corr.capacity() * 16;
        fn s(x: &Option<Str>) -> usize {
            x.as_ref().map_or(0, |t| t.len() + 16)
        }
        let dict = self.resources.capacity() * std::mem::size_of::<Resource>()
            + self.operations.capacity() * std::mem::size_of::<Operation>()
            + self.results.capacity() * std::mem::size_of::<ResultInfo>()
            + self.callers.capacity() * std::mem::size_of::<Caller>()
            + self.identities.capacity() * std::mem::size_of::<Identity>()
            + self.clients.capacity() * std::mem::size_of::<Client>()
            + self.objects.capacity() * std::mem::size_of::<Object>()
            + self.configs.capacity() * std::mem::size_of::<VaultConfig>()
            // texts: counted once per dictionary entry that names them (an upper bound: texts
            // shared between entries are one allocation)
            + self.resources.iter().map(|r| r.vault.len() + 16 + s(&r.subscription) + s(&r.resource_group)).sum::<usize>()
            + self.identities.iter().map(|i| s(&i.object_id) + s(&i.upn) + s(&i.app_id) + s(&i.tenant_id)).sum::<usize>()
            + self.objects.iter().map(|o| s(&o.object_name) + s(&o.object_version) + o.request_uri.iter().chain(o.object_id.iter()).map(|t| t.lit.iter().map(|l| l.len() + 16).sum::<usize>()).sum::<usize>()).sum::<usize>()
            + self.clients.iter().map(|c| s(&c.client_info) + s(&c.tls_version) + s(&c.authorization.assignment_id)).sum::<usize>()
            + self.callers.iter().map(|c| s(&c.caller_ip)).sum::<usize>()
            + self.results.iter().map(|r| s(&r.result_type) + s(&r.result_signature) + s(&r.result_description)).sum::<usize>()
            + self.operations.iter().map(|o| o.operation.len() + 16 + s(&o.operation_version) + s(&o.category)).sum::<usize>();
        let side = self.cfg_rows.capacity() * 8
            + self.change_rows.capacity() * std::mem::size_of::<(u32, Changes)>()
            + self.corr_rows.capacity() * std::mem::size_of::<(u32, Str)>()
            + self
                .corr_rows
                .iter()
                .map(|(_, t)| t.len() + 16)
                .sum::<usize>()
            + self.dur_rows.capacity() * 16;
        StoreBytes {
            events: n,
            columns,
            provenance: self.provenance.heap_bytes(),
            dictionaries: dict,
            side_tables: side,
        }
    }
}

/// Where a store's memory goes (see [`EventStore::heap_bytes`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreBytes {
    pub events: usize,
    pub columns: usize,
    pub provenance: usize,
    pub dictionaries: usize,
    pub side_tables: usize,
}

impl StoreBytes {
    pub fn total(&self) -> usize {
        self.columns + self.provenance + self.dictionaries + self.side_tables
    }

    /// Bytes per event of the per-event parts (columns + provenance).
    pub fn per_event(&self) -> f64 {
        (self.columns + self.provenance) as f64 / self.events.max(1) as f64
    }
}
