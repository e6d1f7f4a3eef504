//! The one normalisation function every dialect feeds (spec §2): the same record in any shape
//! gives the same [`Event`](crate::Event).

use super::record::{Acls, Claim, Flex, Policy, Rec, Sku};
use crate::event::{IdentityKind, ObjectKind, Op, Outcome};
use crate::time::Timestamp;
use crate::zone::{Fold, LocalZone};
use std::net::{IpAddr, Ipv6Addr};

/// Which dialect a record was in (decided per record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Raw,
    AzureDiagnostics,
    Azkv,
}

fn first<'r>(a: &'r Flex<'_>, b: &'r Flex<'_>) -> Option<&'r str> {
    a.str().or_else(|| b.str())
}

/// Vault, subscription and resource group from an ARM id
/// (`/SUBSCRIPTIONS/<sub>/RESOURCEGROUPS/<rg>/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/<name>`).
pub fn parse_arm_id(id: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let (mut vault, mut sub, mut rg) = (None, None, None);
    // Each keyword names the next non-empty segment (the last occurrence wins; a keyword at
    // the end names nothing). A byte scan: `/` is ASCII, so every cut is a char boundary.
    let mut pending: Option<u8> = None;
    let b = id.as_bytes();
    let mut start = 0;
    while start <= b.len() {
        let end = memchr::memchr(b'/', &b[start..]).map_or(b.len(), |i| start + i);
        if end > start {
            let seg = &id[start..end];
            match pending.take() {
                Some(0) => sub = Some(seg),
                Some(1) => rg = Some(seg),
                Some(_) => vault = Some(seg),
                None => {}
            }
            let is = |w: &str| seg.len() == w.len() && seg.eq_ignore_ascii_case(w);
            pending = if is("subscriptions") {
                Some(0)
            } else if is("resourcegroups") {
                Some(1)
            } else if is("vaults") || is("managedhsms") {
                Some(2)
            } else {
                None
            };
        }
        start = end + 1;
    }
    match pending {
        Some(0) => sub = None,
        Some(1) => rg = None,
        Some(_) => vault = None,
        None => {}
    }
    (vault, sub, rg)
}

/// Where a part of a text is (byte range).
type Cut = (usize, usize);

fn cut_of(text: &str, part: &str) -> Cut {
    let from = part.as_ptr() as usize - text.as_ptr() as usize;
    (from, from + part.len())
}

/// The last texts parsed (at most [`RECENT`]) with what the parse found in them, as positions:
/// records repeat a few vaults' resource ids, so finding the text among the remembered ones
/// replaces the parse. (Object URLs repeat too little: remembering them cost more than it saved.)
/// The texts are compared with `store::same`, end first: a subscription's resource ids differ
/// only in their last segment, and `==` (memcmp) compares byte by byte on wasm32.
#[derive(Debug)]
pub(crate) struct Recent<T> {
    seen: Vec<(String, T)>,
    /// The entry replaced next when all are taken.
    next: usize,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent {
            seen: Vec::new(),
            next: 0,
        }
    }
}

const RECENT: usize = 16;

impl<T: Copy> Recent<T> {
    fn get(&mut self, text: &str, parse: impl FnOnce() -> T) -> T {
        if let Some((_, v)) = self.seen.iter().find(|(t, _)| crate::store::same(t, text)) {
            return *v;
        }
        let v = parse();
        if self.seen.len() < RECENT {
            self.seen.push((text.to_string(), v));
        } else {
            self.seen[self.next] = (text.to_string(), v);
            self.next = (self.next + 1) % RECENT;
        }
        v
    }
}

/// What the normaliser remembers from record to record (parse scratch, not data).
#[derive(Debug, Default)]
pub(crate) struct NormMemo {
    arm: Recent<[Option<Cut>; 3]>,
}

impl NormMemo {
    /// [`parse_arm_id`] of `id`, remembered.
    pub(crate) fn arm_id<'s>(
        &mut self,
        id: &'s str,
    ) -> (Option<&'s str>, Option<&'s str>, Option<&'s str>) {
        let cuts = self.arm.get(id, || {
            let (v, s, r) = parse_arm_id(id);
            [v, s, r].map(|p| p.map(|p| cut_of(id, p)))
        });
        // the same text: the same cuts, on char boundaries of `id`
        let at = |c: Option<Cut>| c.map(|(a, b)| &id[a..b]);
        (at(cuts[0]), at(cuts[1]), at(cuts[2]))
    }
}

const VAULT_HOST_SUFFIXES: [&str; 6] = [
    ".vault.azure.net",
    ".vault.azure.cn",
    ".vault.usgovcloudapi.net",
    ".vault.microsoftazure.de",
    ".managedhsm.azure.net",
    ".managedhsm.azure.cn",
];

/// After the scheme of a URL (`https://…` → `…`): the common scheme is matched first.
#[inline]
fn after_scheme(url: &str) -> Option<&str> {
    if let Some(r) = url.strip_prefix("https://") {
        return Some(r);
    }
    url.split_once("://").map(|(_, r)| r)
}

/// `(host, path)` of an https URL, the query dropped.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = after_scheme(url)?;
    // A byte scan, not a char-set pattern: `?` and `#` are ASCII, so the cut is a char boundary.
    let cut = memchr::memchr2(b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    let rest = &rest[..cut];
    match memchr::memchr(b'/', rest.as_bytes()) {
        Some(i) => Some((&rest[..i], &rest[i..])),
        None => Some((rest, "")),
    }
}

/// The vault name from a data-plane URL's host (`https://<vault>.vault.azure.net/…`).
fn vault_from_url(url: &str) -> Option<&str> {
    let (host, _) = split_url(url)?;
    let host = host.split(':').next().unwrap_or(host);
    for suf in VAULT_HOST_SUFFIXES {
        let cut = host.len().wrapping_sub(suf.len());
        if host.len() > suf.len()
            && host.is_char_boundary(cut)
            && host.as_bytes()[cut..].eq_ignore_ascii_case(suf.as_bytes())
        {
            return Some(&host[..cut]);
        }
    }
    None
}

/// The non-empty `/`-separated segments of a URL path, by `memchr` (`/` is ASCII, so every
/// cut is a char boundary): the generic `split('/')` costs several hundred
/// instructions a URL, and this runs once or twice a record.
struct Segments<'a>(&'a str);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.0.as_bytes();
        let start = b.iter().position(|&c| c != b'/')?;
        let end = memchr::memchr(b'/', &b[start..]).map_or(b.len(), |i| start + i);
        let seg = &self.0[start..end];
        self.0 = &self.0[end..];
        Some(seg)
    }
}

/// Every byte of `b` is an ASCII hex digit: eight bytes a step, each byte's range checked by
/// adding to it (bytes below 0x80 carry into no neighbour).
#[inline]
fn all_hex(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        // the high bit of each byte: set when the byte is at least the bound
        let at_least = |v: u64, bound: u8| v.wrapping_add(ONES * (0x80 - bound) as u64) & HIGH;
        let digit = at_least(w, b'0') & !at_least(w, b'9' + 1);
        let l = w | (ONES * 0x20);
        let letter = at_least(l, b'a') & !at_least(l, b'f' + 1);
        if w & HIGH != 0 || (digit | letter) != HIGH {
            return false;
        }
        i += 8;
    }
    b[i..].iter().all(|c| c.is_ascii_hexdigit())
}

/// Object kind, name and version from a Key Vault object URL.
/// `strict_version`: only accept a 32-hex version (request URIs carry action names there).
fn parse_object_url(
    url: &str,
    strict_version: bool,
) -> Option<(ObjectKind, Option<&str>, Option<&str>)> {
    let (host, path) = split_url(url)?;
    let mut segs = Segments(path);
    let Some(kind_seg) = segs.next() else {
        // `https://<vault>.vault.azure.net/` is the vault itself.
        return if vault_from_url(url).is_some() || host.contains("vault") {
            Some((ObjectKind::Vault, None, None))
        } else {
            None
        };
    };
    // Compared case-insensitively in place: no lower-cased copy (an allocation) a URL.
    let is = |names: [&str; 2]| names.iter().any(|n| kind_seg.eq_ignore_ascii_case(n));
    let kind = if is(["secrets", "deletedsecrets"]) {
        ObjectKind::Secret
    } else if is(["keys", "deletedkeys"]) {
        ObjectKind::Key
    } else if is(["certificates", "deletedcertificates"]) {
        ObjectKind::Certificate
    } else if kind_seg.eq_ignore_ascii_case("subscriptions") {
        // ARM URL of the vault resource.
        let (v, _, _) = parse_arm_id(path);
        return v.map(|_| (ObjectKind::Vault, None, None));
    } else {
        ObjectKind::Other
    };
    let name = segs.next();
    let version = segs
        .next()
        .filter(|v| !strict_version || (v.len() == 32 && all_hex(v.as_bytes())));
    Some((kind, name, version))
}

/// The parsed address of a `callerIpAddress` text: `1.2.3.4`, `1.2.3.4:5678`, IPv6, `[::1]:443`.
pub fn parse_caller_addr(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    if let Ok(a) = t.parse::<IpAddr>() {
        return Some(a);
    }
    if let Some(rest) = t.strip_prefix('[') {
        let inner = rest.split(']').next()?;
        let inner = inner.split('%').next()?;
        return inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Some((host, port)) = t.rsplit_once(':') {
        if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() {
            return host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4);
        }
    }
    None
}

fn tenant_from_iss(iss: &str) -> Option<&str> {
    // https://sts.windows.net/<tenant>/ or https://login.microsoftonline.com/<tenant>/v2.0
    let (_, path) = split_url(iss)?;
    Segments(path).next()
}

/// The identity of a record, borrowed (spec §1): `*_lower` fields are ASCII-lower-cased when
/// interned.
#[derive(Clone, Copy, Debug, Default)]
pub struct NormIdentity<'r> {
    pub object_id_lower: Option<&'r str>,
    pub upn: Option<&'r str>,
    pub app_id_lower: Option<&'r str>,
    pub tenant_id_lower: Option<&'r str>,
    pub kind: Option<IdentityKind>,
}

/// An access-policy change, borrowed; the ids are lower-cased when interned.
#[derive(Clone, Copy, Debug)]
pub struct NormPolicy<'r> {
    pub object_id_lower: Option<&'r str>,
    pub tenant_id_lower: Option<&'r str>,
    pub keys: &'r [String],
    pub secrets: &'r [String],
    pub certificates: &'r [String],
    pub storage: &'r [String],
}

impl NormPolicy<'_> {
    fn is_empty(&self) -> bool {
        self.object_id_lower.is_none()
            && self.tenant_id_lower.is_none()
            && self.keys.is_empty()
            && self.secrets.is_empty()
            && self.certificates.is_empty()
            && self.storage.is_empty()
    }
}

/// The vault configuration of a record, borrowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NormConfig<'r> {
    pub network_default_action: Option<&'r str>,
    pub network_bypass: Option<&'r str>,
    pub soft_delete: Option<bool>,
    pub purge_protection: Option<bool>,
    pub rbac_authorization: Option<bool>,
    pub soft_delete_retention_days: Option<u32>,
    pub enabled_for_deployment: Option<bool>,
    pub enabled_for_disk_encryption: Option<bool>,
    pub enabled_for_template_deployment: Option<bool>,
    pub sku: Option<&'r str>,
    pub tenant_id_lower: Option<&'r str>,
}

/// One normalised record, every text borrowed from the parsed record: what the store interns
/// (spec §2). Derived values (`Op`, outcome, parsed caller address) are computed once per
/// distinct value by the store, not here.
#[derive(Clone, Debug)]
pub struct Norm<'r> {
    pub time: Timestamp,
    /// How a local time mapped to `time` (always unique for times with a zone).
    pub fold: Fold,
    /// Lower-cased when interned.
    pub vault_lower: &'r str,
    pub subscription_lower: Option<&'r str>,
    pub resource_group_lower: Option<&'r str>,
    pub operation: &'r str,
    pub operation_version: Option<&'r str>,
    pub category: Option<&'r str>,
    pub object_kind: ObjectKind,
    pub object_name: Option<&'r str>,
    pub object_version: Option<&'r str>,
    pub status: Option<u16>,
    pub result_type: Option<&'r str>,
    pub result_signature: Option<&'r str>,
    pub result_description: Option<&'r str>,
    pub caller_ip: Option<&'r str>,
    pub identity: NormIdentity<'r>,
    pub client_info: Option<&'r str>,
    pub request_uri: Option<&'r str>,
    pub object_id: Option<&'r str>,
    pub duration_ms: Option<u64>,
    pub tls_version: Option<&'r str>,
    pub correlation_id: Option<&'r str>,
    pub access_policy_match: Option<bool>,
    pub rbac_authorized: Option<bool>,
    pub assignment_id_lower: Option<&'r str>,
    pub vault_config: Option<NormConfig<'r>>,
    pub policy_added: Option<NormPolicy<'r>>,
    pub policy_removed: Option<NormPolicy<'r>>,
    pub ip_rule_added: Option<&'r str>,
    pub ip_rule_removed: Option<&'r str>,
}

fn identity<'r>(c: Option<&'r Claim<'r>>, rec: &'r Rec<'r>) -> NormIdentity<'r> {
    let cf = |f: fn(&'r Claim<'r>) -> &'r Flex<'r>| c.and_then(|c| f(c).str());
    let object_id = cf(|c| &c.oid)
        .or_else(|| cf(|c| &c.oid_long))
        .or_else(|| rec.identity_claim_oid_g.str())
        .or_else(|| {
            rec.identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g
                .str()
        });
    let upn = cf(|c| &c.upn)
        .or_else(|| cf(|c| &c.unique_name))
        .or_else(|| cf(|c| &c.upn_long))
        .or_else(|| cf(|c| &c.name_long))
        .or_else(|| rec.identity_claim_upn_s.str())
        .or_else(|| rec.identity_claim_unique_name_s.str())
        .or_else(|| {
            rec.identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
                .str()
        })
        .or_else(|| {
            rec.identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s
                .str()
        })
        .or_else(|| rec.identity_claim.str().filter(|s| s.contains('@')));
    let app_id = cf(|c| &c.appid)
        .or_else(|| cf(|c| &c.azp))
        .or_else(|| rec.identity_claim_appid_g.str())
        .or_else(|| rec.identity_claim_azp_g.str());
    let tenant_id = cf(|c| &c.tid)
        .or_else(|| cf(|c| &c.tid_long))
        .or_else(|| cf(|c| &c.iss).and_then(tenant_from_iss))
        .or_else(|| rec.identity_claim_tid_g.str())
        .or_else(|| {
            rec.identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g
                .str()
        })
        .or_else(|| rec.identity_claim_iss_s.str().and_then(tenant_from_iss));
    let idtyp = cf(|c| &c.idtyp).or_else(|| rec.identity_claim_idtyp_s.str());
    let kind = match idtyp {
        Some(t) if t.eq_ignore_ascii_case("user") => Some(IdentityKind::User),
        Some(t) if t.eq_ignore_ascii_case("app") => Some(IdentityKind::App),
        _ if upn.is_some() => Some(IdentityKind::User),
        _ if object_id.is_some() || app_id.is_some() => Some(IdentityKind::App),
        _ => None,
    };
    NormIdentity {
        object_id_lower: object_id,
        upn,
        app_id_lower: app_id,
        tenant_id_lower: tenant_id,
        kind,
    }
}

fn list(l: &Option<Vec<String>>) -> &[String] {
    l.as_deref().unwrap_or(&[])
}

fn policy_raw(p: &Policy) -> Option<NormPolicy<'_>> {
    let perms = p.permissions.0.as_ref();
    let keep = |s: &&str| !s.is_empty() && *s != "None";
    let ch = NormPolicy {
        object_id_lower: p.object_id.as_deref().filter(keep),
        tenant_id_lower: p.tenant_id.as_deref().filter(keep),
        keys: perms.map(|p| list(&p.keys.0)).unwrap_or_default(),
        secrets: perms.map(|p| list(&p.secrets.0)).unwrap_or_default(),
        certificates: perms.map(|p| list(&p.certificates.0)).unwrap_or_default(),
        storage: perms.map(|p| list(&p.storage.0)).unwrap_or_default(),
    };
    (!ch.is_empty()).then_some(ch)
}

fn policy_flat<'r>(
    oid: &'r Flex<'r>,
    tid: &'r Flex<'r>,
    lists: [&'r Option<Vec<String>>; 4],
) -> Option<NormPolicy<'r>> {
    let ch = NormPolicy {
        object_id_lower: oid.str(),
        tenant_id_lower: tid.str(),
        keys: list(lists[0]),
        secrets: list(lists[1]),
        certificates: list(lists[2]),
        storage: list(lists[3]),
    };
    (!ch.is_empty()).then_some(ch)
}

/// Turn one record into a normalised event, or say why it is not one.
/// `local`: the zone of times written without one (a `[Local Time]` export); `None`: UTC.
pub fn normalize<'r>(
    rec: &'r Rec<'r>,
    local: Option<LocalZone>,
) -> Result<(Norm<'r>, Dialect), String> {
    normalize_with(rec, local, &mut NormMemo::default())
}

/// [`normalize`] with what earlier records parsed remembered (see [`NormMemo`]).
pub(crate) fn normalize_with<'r>(
    rec: &'r Rec<'r>,
    local: Option<LocalZone>,
    memo: &mut NormMemo,
) -> Result<(Norm<'r>, Dialect), String> {
    // ---- dialect, decided per record ----
    let dialect = if rec.time.present() || rec.operation_name.present() {
        Dialect::Raw
    } else if rec.time_generated.present() {
        let ty = rec.table_type.str();
        match ty {
            Some(t) if t.eq_ignore_ascii_case("AZKVAuditLogs") => Dialect::Azkv,
            Some(t) if !t.eq_ignore_ascii_case("AzureDiagnostics") => {
                return Err(format!("row of table {t}: not a Key Vault audit record"));
            }
            _ => {
                if let Some(p) = rec.resource_provider.str() {
                    if !p.eq_ignore_ascii_case("MICROSOFT.KEYVAULT") {
                        return Err(format!(
                            "AzureDiagnostics row from {p}: not a Key Vault audit record"
                        ));
                    }
                }
                if let Some(cat) = rec.category_col.str() {
                    if !cat.eq_ignore_ascii_case("AuditEvent") && !cat.eq_ignore_ascii_case("audit")
                    {
                        return Err(format!("category {cat}: not a Key Vault audit event"));
                    }
                }
                Dialect::AzureDiagnostics
            }
        }
    } else {
        return Err("JSON object without time/operationName: not a Key Vault audit record".into());
    };

    let time_text = first(&rec.time, &rec.time_generated)
        .ok_or("record without time/operationName: not a Key Vault audit record")?;
    let operation = first(&rec.operation_name, &rec.operation_name_col)
        .ok_or("record without time/operationName: not a Key Vault audit record")?;
    let (time, fold) = match Timestamp::parse_iso(time_text) {
        // an ISO time without a zone in a `[Local Time]` export is local time too
        Some(t) => match local {
            Some(zone) if !has_zone(time_text) => in_zone(t, zone),
            _ => (t, Fold::Unique),
        },
        None => {
            let t = Timestamp::parse_portal(time_text, 0)
                .ok_or_else(|| format!("unreadable time {:?}", clip(time_text)))?;
            match local {
                Some(zone) => in_zone(t, zone),
                None => (t, Fold::Unique),
            }
        }
    };

    let p = rec.properties.0.as_ref();

    // ---- where: vault, subscription, resource group ----
    let arm = first(&rec.resource_id, &rec.resource_id_col)
        .or_else(|| rec.resource_id_lower.str())
        .map(|id| memo.arm_id(id))
        .unwrap_or((None, None, None));
    let object_url = p.and_then(|p| p.id.str()).or_else(|| rec.id_s.str());
    let request_uri = p
        .and_then(|p| p.request_uri.str())
        .or_else(|| rec.request_uri_s.str());
    let vault = arm
        .0
        .filter(|v| !v.is_empty() && *v != "...")
        .or_else(|| rec.resource.str())
        .or_else(|| object_url.and_then(vault_from_url))
        .or_else(|| request_uri.and_then(vault_from_url))
        .ok_or("record without a vault (no resourceId, Resource, id or requestUri)")?;
    let subscription = arm
        .1
        .filter(|s| *s != "...")
        .or_else(|| rec.subscription_id.str());
    let resource_group = arm.2.or_else(|| rec.resource_group.str());

    // ---- what ----
    let op = Op::parse(operation);
    let url_obj = object_url
        .and_then(|u| parse_object_url(u, false))
        .or_else(|| request_uri.and_then(|u| parse_object_url(u, true)));
    let object_kind = match op.object_kind() {
        ObjectKind::Other => url_obj.map(|o| o.0).unwrap_or(ObjectKind::Other),
        k => k,
    };
    let (object_name, object_version) = match url_obj {
        Some((k, n, v)) if k == object_kind || object_kind == ObjectKind::Other => (n, v),
        _ => (None, None),
    };

    // ---- result ----
    let status = p
        .and_then(|p| p.http_status_code.u64())
        .or_else(|| rec.http_status_code_d.u64())
        .filter(|s| *s < 1000)
        .map(|s| s as u16);
    let result_signature = first(&rec.result_signature, &rec.result_signature_col);
    let result_type = first(&rec.result_type, &rec.result_type_col);
    // Empty means absent: a CSV cell cannot tell them apart, and the same record must give the
    // same event in every shape.
    let result_description = first(&rec.result_description, &rec.result_description_col);

    // ---- who ----
    let claim_holder = rec.identity.0.as_ref().and_then(|i| i.claim.0.as_ref());
    let identity = identity(claim_holder, rec);
    let caller_text =
        first(&rec.caller_ip_address, &rec.caller_ip_col).filter(|s| !s.trim().is_empty());

    // ---- vault configuration ----
    let vp = p.and_then(|p| p.properties.0.as_ref());
    let acls: Option<&Acls> = vp
        .and_then(|v| v.network_acls.0.as_ref())
        .or(rec.network_acls_col.0.as_ref());
    let sku: Option<&Sku> = vp.and_then(|v| v.sku.0.as_ref()).or(rec.sku_col.0.as_ref());
    let pick = |raw: Option<&Flex>, flat: &Flex| -> Option<bool> {
        raw.and_then(|f| f.bool()).or_else(|| flat.bool())
    };
    let cfg = NormConfig {
        network_default_action: acls
            .and_then(|a| a.default_action.str())
            .or_else(|| rec.properties_network_acls_default_action_s.str()),
        network_bypass: acls
            .and_then(|a| a.bypass.str())
            .or_else(|| rec.properties_network_acls_bypass_s.str()),
        soft_delete: pick(
            vp.map(|v| &v.enable_soft_delete),
            &rec.properties_enable_soft_delete_b,
        ),
        purge_protection: pick(
            vp.map(|v| &v.enable_purge_protection),
            &rec.properties_enable_purge_protection_b,
        ),
        rbac_authorization: pick(
            vp.map(|v| &v.enable_rbac_authorization),
            &rec.properties_enable_rbac_authorization_b,
        ),
        soft_delete_retention_days: vp
            .and_then(|v| v.soft_delete_retention_in_days.u64())
            .or_else(|| rec.properties_soft_delete_retention_in_days_d.u64())
            .and_then(|d| u32::try_from(d).ok()),
        enabled_for_deployment: pick(
            vp.map(|v| &v.enabled_for_deployment),
            &rec.properties_enabled_for_deployment_b,
        ),
        enabled_for_disk_encryption: pick(
            vp.map(|v| &v.enabled_for_disk_encryption),
            &rec.properties_enabled_for_disk_encryption_b,
        ),
        enabled_for_template_deployment: pick(
            vp.map(|v| &v.enabled_for_template_deployment),
            &rec.properties_enabled_for_template_deployment_b,
        ),
        sku: sku
            .and_then(|s| s.name.str())
            .or_else(|| rec.properties_sku_name_s.str()),
        tenant_id_lower: vp
            .and_then(|v| v.tenant_id.str())
            .or_else(|| rec.properties_tenant_id_g.str()),
    };
    let vault_config = (cfg != NormConfig::default()).then_some(cfg);

    // ---- access-policy and firewall changes ----
    let policy_added = p
        .and_then(|p| p.added_access_policy.0.as_ref())
        .and_then(policy_raw)
        .or_else(|| {
            policy_flat(
                &rec.added_policy_object_id,
                &rec.added_policy_tenant_id,
                [
                    &rec.added_policy_keys.0,
                    &rec.added_policy_secrets.0,
                    &rec.added_policy_certificates.0,
                    &rec.added_policy_storage.0,
                ],
            )
        });
    let policy_removed = p
        .and_then(|p| p.removed_access_policy.0.as_ref())
        .and_then(policy_raw)
        .or_else(|| {
            policy_flat(
                &rec.removed_policy_object_id,
                &rec.removed_policy_tenant_id,
                [
                    &rec.removed_policy_keys.0,
                    &rec.removed_policy_secrets.0,
                    &rec.removed_policy_certificates.0,
                    &rec.removed_policy_storage.0,
                ],
            )
        });
    let ip_rule_added = p
        .and_then(|p| p.added_ip_rule.0.as_ref())
        .and_then(|r| r.value.str())
        .or_else(|| rec.added_ip_rule_s.str());
    let ip_rule_removed = p
        .and_then(|p| p.removed_ip_rule.0.as_ref())
        .and_then(|r| r.value.str())
        .or_else(|| rec.removed_ip_rule_s.str());

    let norm = Norm {
        time,
        fold,
        vault_lower: vault,
        subscription_lower: subscription,
        resource_group_lower: resource_group,
        operation,
        operation_version: first(&rec.operation_version, &rec.operation_version_col),
        category: first(&rec.category, &rec.category_col),
        object_kind,
        object_name,
        object_version,
        status,
        result_type,
        result_signature,
        result_description,
        caller_ip: caller_text,
        identity,
        client_info: p
            .and_then(|p| p.client_info.str())
            .or_else(|| rec.client_info_s.str()),
        request_uri,
        object_id: object_url,
        duration_ms: rec.duration_ms.u64().or_else(|| rec.duration_ms_col.u64()),
        tls_version: p
            .and_then(|p| p.tls_version.str())
            .or_else(|| rec.tls_version_s.str()),
        correlation_id: first(&rec.correlation_id, &rec.correlation_id_col),
        access_policy_match: p
            .and_then(|p| p.is_access_policy_match.bool())
            .or_else(|| rec.is_access_policy_match_b.bool()),
        rbac_authorized: p
            .and_then(|p| p.is_rbac_authorized.bool())
            .or_else(|| rec.is_rbac_authorized_b.bool()),
        assignment_id_lower: p
            .and_then(|p| p.applied_assignment_id.str())
            .or_else(|| rec.applied_assignment_id_g.str()),
        vault_config,
        policy_added,
        policy_removed,
        ip_rule_added,
        ip_rule_removed,
    };
    Ok((norm, dialect))
}

/// The outcome of a record (never from `resultType` alone when there is a status).
pub fn outcome(status: Option<u16>, signature: Option<&str>, result_type: Option<&str>) -> Outcome {
    match status {
        Some(s) => Outcome::from_status(s),
        None => Outcome::from_signature(signature, result_type),
    }
}

/// A wall-clock time (read as if UTC) placed in `zone`.
fn in_zone(t: Timestamp, zone: LocalZone) -> (Timestamp, Fold) {
    let (micros, fold) = zone.to_utc(t.micros);
    (Timestamp { micros, ..t }, fold)
}

/// Whether an ISO 8601 time text names its zone (`Z`, `+02:00`, `-0500`).
fn has_zone(t: &str) -> bool {
    let t = t.trim().as_bytes();
    if t.last().is_some_and(|c| c.eq_ignore_ascii_case(&b'Z')) {
        return true;
    }
    let Some(tpos) = t.iter().position(|&c| c == b'T' || c == b't' || c == b' ') else {
        return false;
    };
    t[tpos..].contains(&b'+') || t[tpos + 1..].contains(&b'-')
}

/// At most 60 characters of attacker-controlled text for a message.
pub fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).filter(|c| !c.is_control()).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_the_non_empty_parts() {
        for path in [
            "",
            "/",
            "//",
            "/secrets/a/b",
            "secrets//a/",
            "/é/ü//x",
            "a",
            "/a/",
            "///a///b///",
        ] {
            let want: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            assert_eq!(Segments(path).collect::<Vec<_>>(), want, "{path:?}");
        }
    }

    #[test]
    fn zones() {
        assert!(has_zone("2024-01-01T00:00:00Z"));
        assert!(has_zone("2024-01-01T00:00:00+02:00"));
        assert!(has_zone("2024-01-01T00:00:00-0500"));
        assert!(!has_zone("2024-01-01T00:00:00.123"));
        assert!(!has_zone("2024-01-01 00:00:00"));
        assert!(!has_zone("2024-01-01"));
    }

    #[test]
    fn caller_addresses() {
        assert_eq!(parse_caller_addr("1.2.3.4").unwrap().to_string(), "1.2.3.4");
        assert_eq!(
            parse_caller_addr("1.2.3.4:5678").unwrap().to_string(),
            "1.2.3.4"
        );
        assert_eq!(
            parse_caller_addr("2001:db8::1").unwrap().to_string(),
            "2001:db8::1"
        );
        assert_eq!(parse_caller_addr("[::1]:443").unwrap().to_string(), "::1");
        assert_eq!(parse_caller_addr("<Redacted>"), None);
        assert_eq!(parse_caller_addr(""), None);
        assert_eq!(parse_caller_addr("1.2.3.4:x"), None);
        assert_eq!(parse_caller_addr("999.1.1.1"), None);
    }

    #[test]
    fn the_arm_memo_answers_as_the_parse_for_repeated_and_new_ids() {
        let ids: Vec<String> = (0..40)
            .map(|i| {
                format!("/SUBSCRIPTIONS/s{}/RESOURCEGROUPS/rg{}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/kv{i}", i % 3, i % 5)
            })
            .chain(["/subscriptions//resourceGroups/x/vaults/".to_string(), String::new()])
            .collect();
        let mut memo = NormMemo::default();
        // new ids, repeats of recent ones, and ids evicted long ago
        for step in [1, 7, 1, 13] {
            for k in 0..ids.len() {
                let id = &ids[(k * step) % ids.len()];
                assert_eq!(memo.arm_id(id), parse_arm_id(id), "{id}");
                assert_eq!(memo.arm_id(id), parse_arm_id(id), "again: {id}");
            }
        }
    }

    /// The word scan agrees with a byte loop: every byte value at every position of texts of
    /// lengths 0 to 40, among hex digits and among other bytes.
    #[test]
    fn the_hex_word_scan_agrees_with_a_byte_loop() {
        for n in 0..=40usize {
            for fill in [b'a', b'7', b'F', b'-'] {
                for at in 0..n.max(1) {
                    for c in 0..=255u8 {
                        let mut b = vec![fill; n];
                        if n > 0 {
                            b[at] = c;
                        }
                        let hex = b.iter().all(|x| x.is_ascii_hexdigit());
                        assert_eq!(all_hex(&b), hex, "{b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn arm_ids_parse_like_a_split() {
        // the reference: the first implementation, a split on '/'
        fn reference(id: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
            let (mut vault, mut sub, mut rg) = (None, None, None);
            let mut it = id.split('/').filter(|s| !s.is_empty()).peekable();
            while let Some(seg) = it.next() {
                let next = it.peek().copied();
                if seg.eq_ignore_ascii_case("subscriptions") {
                    sub = next;
                } else if seg.eq_ignore_ascii_case("resourcegroups") {
                    rg = next;
                } else if seg.eq_ignore_ascii_case("vaults")
                    || seg.eq_ignore_ascii_case("managedhsms")
                {
                    vault = next;
                }
            }
            (vault, sub, rg)
        }
        for id in [
            "/SUBSCRIPTIONS/ABC/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1",
            "subscriptions//a///resourceGroups/b/vaults/",
            "/vaults/vaults/vaults",
            "/SUBSCRIPTIONS/x/SUBSCRIPTIONS",
            "managedHSMs/h/",
            "",
            "/",
            "//",
            "vaults",
            "/subscriptions/é/resourcegroups/ü/vaults/ß",
        ] {
            assert_eq!(parse_arm_id(id), reference(id), "{id}");
        }
    }

    #[test]
    fn arm_ids_and_urls() {
        let (v, s, r) = parse_arm_id(
            "/SUBSCRIPTIONS/ABC/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1",
        );
        assert_eq!((v, s, r), (Some("KV1"), Some("ABC"), Some("RG1")));
        assert_eq!(
            vault_from_url("https://kv1.vault.azure.net/secrets/a"),
            Some("kv1")
        );
        assert_eq!(vault_from_url("https://management.azure.com/x"), None);
        // attacker-controlled hosts: multi-byte characters where the suffix would start
        assert_eq!(
            vault_from_url("https://kv\u{3400}\u{3400}\u{3400}\u{3400}\u{3400}.vault.azure.nex/"),
            None
        );
        assert_eq!(
            vault_from_url("https://\u{3400}\u{3400}\u{3400}\u{3400}\u{3400}\u{3400}"),
            None
        );
        assert_eq!(
            parse_object_url(
                "https://kv.vault.azure.net/secrets/s1/0123456789abcdef0123456789abcdef",
                true
            ),
            Some((
                ObjectKind::Secret,
                Some("s1"),
                Some("0123456789abcdef0123456789abcdef")
            ))
        );
        assert_eq!(
            parse_object_url(
                "https://kv.vault.azure.net/certificates/c/create?api-version=7",
                true
            ),
            Some((ObjectKind::Certificate, Some("c"), None))
        );
        assert_eq!(
            parse_object_url("https://kv.vault.azure.net/", false),
            Some((ObjectKind::Vault, None, None))
        );
        assert_eq!(
            parse_object_url("https://kv.vault.azure.net/deletedkeys/k1", false),
            Some((ObjectKind::Key, Some("k1"), None))
        );
    }
}
