//! The one normalisation function every dialect feeds (spec §2): the same record in any shape
//! gives the same [`Event`].

use super::record::{Acls, Claim, Flex, Policy, Rec, Sku};
use crate::event::{
    AccessPolicyChange, Authorization, Event, Identity, IdentityKind, ObjectKind, Op, Outcome,
    Source, Str, VaultConfig,
};
use crate::time::Timestamp;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

/// A small, fast, non-cryptographic hasher (FxHash's multiply-rotate) for the interner, whose
/// keys are short strings. Collisions only cost a comparison, never correctness.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(FX_K);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut c = bytes.chunks_exact(8);
        for w in &mut c {
            self.add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let r = c.remainder();
        if !r.is_empty() {
            let mut b = [0u8; 8];
            b[..r.len()].copy_from_slice(r);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// One interner per dataset: repeated strings share one allocation.
///
/// In front of the hash set sit two small direct-mapped caches indexed by a cheap fingerprint
/// (length and three bytes): consecutive records repeat most of their strings (vault, operation,
/// client, signature…), and a hit costs one comparison instead of a hash and a probe.
#[derive(Debug)]
pub struct Interner {
    set: HashSet<Arc<str>, FxBuild>,
    front: Vec<Option<Str>>,
    /// original text → interned lower-case text
    lower: Vec<Option<(Box<str>, Str)>>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            set: HashSet::default(),
            front: vec![None; FRONT],
            lower: vec![None; FRONT],
        }
    }
}

const FRONT: usize = 1024;

#[inline]
fn fingerprint(s: &str) -> usize {
    let b = s.as_bytes();
    let n = b.len();
    if n == 0 {
        return 0;
    }
    let h = n
        .wrapping_mul(31)
        .wrapping_add(b[0] as usize)
        .wrapping_add((b[n - 1] as usize) << 3)
        .wrapping_add((b[n / 2] as usize) << 5)
        .wrapping_add((b[n * 3 / 4] as usize) << 1);
    (h ^ (h >> 8)) & (FRONT - 1)
}

impl Interner {
    pub fn get(&mut self, s: &str) -> Str {
        let k = fingerprint(s);
        if let Some(a) = &self.front[k] {
            if **a == *s {
                return a.clone();
            }
        }
        let a = match self.set.get(s) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = Arc::from(s);
                self.set.insert(a.clone());
                a
            }
        };
        self.front[k] = Some(a.clone());
        a
    }

    /// The interned ASCII-lower-case form of `s`.
    pub fn get_lower(&mut self, s: &str) -> Str {
        if !s.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.get(s);
        }
        let k = fingerprint(s);
        if let Some((orig, v)) = &self.lower[k] {
            if **orig == *s {
                return v.clone();
            }
        }
        let v = self.get(&s.to_ascii_lowercase());
        self.lower[k] = Some((s.into(), v.clone()));
        v
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

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
    let mut it = id.split('/').filter(|s| !s.is_empty()).peekable();
    while let Some(seg) = it.next() {
        let next = it.peek().copied();
        if seg.eq_ignore_ascii_case("subscriptions") {
            sub = next;
        } else if seg.eq_ignore_ascii_case("resourcegroups") {
            rg = next;
        } else if seg.eq_ignore_ascii_case("vaults") || seg.eq_ignore_ascii_case("managedhsms") {
            vault = next;
        }
    }
    (vault, sub, rg)
}

const VAULT_HOST_SUFFIXES: [&str; 6] = [
    ".vault.azure.net",
    ".vault.azure.cn",
    ".vault.usgovcloudapi.net",
    ".vault.microsoftazure.de",
    ".managedhsm.azure.net",
    ".managedhsm.azure.cn",
];

/// `(host, path)` of an https URL, the query dropped.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.split_once("://").map(|(_, r)| r)?;
    // A byte scan, not a char-set pattern: `?` and `#` are ASCII, so the cut is a char boundary.
    let cut = rest
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(rest.len());
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

/// Object kind, name and version from a Key Vault object URL.
/// `strict_version`: only accept a 32-hex version (request URIs carry action names there).
fn parse_object_url(
    url: &str,
    strict_version: bool,
) -> Option<(ObjectKind, Option<&str>, Option<&str>)> {
    let (host, path) = split_url(url)?;
    let mut segs = path.split('/').filter(|s| !s.is_empty());
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
        .filter(|v| !strict_version || (v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())));
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
    path.split('/').find(|s| !s.is_empty())
}

fn interned(int: &mut Interner, s: Option<&str>) -> Option<Str> {
    s.map(|s| int.get(s))
}

fn lower_interned(int: &mut Interner, s: Option<&str>) -> Option<Str> {
    s.map(|s| int.get_lower(s))
}

fn identity(int: &mut Interner, c: Option<&Claim>, rec: &Rec) -> Identity {
    let empty = Claim::default();
    let c = c.unwrap_or(&empty);
    let object_id = c
        .oid
        .str()
        .or_else(|| c.oid_long.str())
        .or_else(|| rec.identity_claim_oid_g.str())
        .or_else(|| {
            rec.identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g
                .str()
        });
    let upn = c
        .upn
        .str()
        .or_else(|| c.unique_name.str())
        .or_else(|| c.upn_long.str())
        .or_else(|| c.name_long.str())
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
    let app_id = c
        .appid
        .str()
        .or_else(|| c.azp.str())
        .or_else(|| rec.identity_claim_appid_g.str())
        .or_else(|| rec.identity_claim_azp_g.str());
    let tenant_id = c
        .tid
        .str()
        .or_else(|| c.tid_long.str())
        .or_else(|| c.iss.str().and_then(tenant_from_iss))
        .or_else(|| rec.identity_claim_tid_g.str())
        .or_else(|| {
            rec.identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g
                .str()
        })
        .or_else(|| rec.identity_claim_iss_s.str().and_then(tenant_from_iss));
    let idtyp = c.idtyp.str().or_else(|| rec.identity_claim_idtyp_s.str());
    let kind = match idtyp {
        Some(t) if t.eq_ignore_ascii_case("user") => Some(IdentityKind::User),
        Some(t) if t.eq_ignore_ascii_case("app") => Some(IdentityKind::App),
        _ if upn.is_some() => Some(IdentityKind::User),
        _ if object_id.is_some() || app_id.is_some() => Some(IdentityKind::App),
        _ => None,
    };
    Identity {
        object_id: lower_interned(int, object_id),
        upn: interned(int, upn),
        app_id: lower_interned(int, app_id),
        tenant_id: lower_interned(int, tenant_id),
        kind,
    }
}

fn list(int: &mut Interner, l: &Option<Vec<String>>) -> Vec<Str> {
    l.as_ref()
        .map(|v| v.iter().map(|s| int.get(s)).collect())
        .unwrap_or_default()
}

fn policy_raw(int: &mut Interner, p: &Policy) -> Option<AccessPolicyChange> {
    let perms = p.permissions.0.as_ref();
    let object_id = p
        .object_id
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "None");
    let tenant_id = p
        .tenant_id
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "None");
    let ch = AccessPolicyChange {
        object_id: lower_interned(int, object_id),
        tenant_id: lower_interned(int, tenant_id),
        keys: perms.map(|p| list(int, &p.keys.0)).unwrap_or_default(),
        secrets: perms.map(|p| list(int, &p.secrets.0)).unwrap_or_default(),
        certificates: perms
            .map(|p| list(int, &p.certificates.0))
            .unwrap_or_default(),
        storage: perms.map(|p| list(int, &p.storage.0)).unwrap_or_default(),
    };
    (ch != AccessPolicyChange::default()).then_some(ch)
}

#[allow(clippy::too_many_arguments)]
fn policy_flat(
    int: &mut Interner,
    oid: &Flex,
    tid: &Flex,
    keys: &Option<Vec<String>>,
    secrets: &Option<Vec<String>>,
    certs: &Option<Vec<String>>,
    storage: &Option<Vec<String>>,
) -> Option<AccessPolicyChange> {
    let ch = AccessPolicyChange {
        object_id: lower_interned(int, oid.str()),
        tenant_id: lower_interned(int, tid.str()),
        keys: list(int, keys),
        secrets: list(int, secrets),
        certificates: list(int, certs),
        storage: list(int, storage),
    };
    (ch != AccessPolicyChange::default()).then_some(ch)
}

/// Turn one record into an event, or say why it is not one.
pub fn normalize(
    rec: &Rec,
    int: &mut Interner,
    tz_offset_minutes: i32,
    source: Source,
) -> Result<(Event, Dialect), String> {
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
    let time = match Timestamp::parse_iso(time_text) {
        // an ISO time without a zone in a `[Local Time]` export is local time too
        Some(t) if tz_offset_minutes != 0 && !has_zone(time_text) => Timestamp {
            micros: t.micros - tz_offset_minutes as i64 * crate::time::MICROS_PER_MIN,
            ..t
        },
        Some(t) => t,
        None => Timestamp::parse_portal(time_text, tz_offset_minutes)
            .ok_or_else(|| format!("unreadable time {:?}", clip(time_text)))?,
    };

    let props_holder = rec.properties.0.as_ref();
    let p = props_holder;

    // ---- where: vault, subscription, resource group ----
    let arm = first(&rec.resource_id, &rec.resource_id_col)
        .or_else(|| rec.resource_id_lower.str())
        .map(parse_arm_id)
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
    let vault = lower_interned(int, Some(vault)).expect("some");
    let subscription = lower_interned(
        int,
        arm.1
            .filter(|s| *s != "...")
            .or_else(|| rec.subscription_id.str()),
    );
    let resource_group = lower_interned(int, arm.2.or_else(|| rec.resource_group.str()));

    // ---- what ----
    let op = Op::parse(operation);
    let operation_s = int.get(operation);
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
    let outcome = match status {
        Some(s) => Outcome::from_status(s),
        None => Outcome::from_signature(result_signature, result_type),
    };
    // Empty means absent: a CSV cell cannot tell them apart, and the same record must give the
    // same event in every shape.
    let result_description = first(&rec.result_description, &rec.result_description_col);

    // ---- who ----
    let claim_holder = rec.identity.0.as_ref().and_then(|i| i.claim.0.as_ref());
    let identity = identity(int, claim_holder, rec);
    let caller_text =
        first(&rec.caller_ip_address, &rec.caller_ip_col).filter(|s| !s.trim().is_empty());
    let caller_addr = caller_text.and_then(parse_caller_addr);

    // ---- authorisation ----
    let authorization = Authorization {
        access_policy_match: p
            .and_then(|p| p.is_access_policy_match.bool())
            .or_else(|| rec.is_access_policy_match_b.bool()),
        rbac_authorized: p
            .and_then(|p| p.is_rbac_authorized.bool())
            .or_else(|| rec.is_rbac_authorized_b.bool()),
        assignment_id: lower_interned(
            int,
            p.and_then(|p| p.applied_assignment_id.str())
                .or_else(|| rec.applied_assignment_id_g.str()),
        ),
    };

    // ---- vault configuration ----
    let vp = p.and_then(|p| p.properties.0.as_ref());
    let acls: Option<&Acls> = vp
        .and_then(|v| v.network_acls.0.as_ref())
        .or(rec.network_acls_col.0.as_ref());
    let sku: Option<&Sku> = vp.and_then(|v| v.sku.0.as_ref()).or(rec.sku_col.0.as_ref());
    let pick = |raw: Option<&Flex>, flat: &Flex| -> Option<bool> {
        raw.and_then(|f| f.bool()).or_else(|| flat.bool())
    };
    let cfg = VaultConfig {
        network_default_action: interned(
            int,
            acls.and_then(|a| a.default_action.str())
                .or_else(|| rec.properties_network_acls_default_action_s.str()),
        ),
        network_bypass: interned(
            int,
            acls.and_then(|a| a.bypass.str())
                .or_else(|| rec.properties_network_acls_bypass_s.str()),
        ),
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
        sku: interned(
            int,
            sku.and_then(|s| s.name.str())
                .or_else(|| rec.properties_sku_name_s.str()),
        ),
        tenant_id: lower_interned(
            int,
            vp.and_then(|v| v.tenant_id.str())
                .or_else(|| rec.properties_tenant_id_g.str()),
        ),
    };
    let vault_config = (!cfg.is_empty()).then_some(cfg);

    // ---- access-policy and firewall changes ----
    let policy_added = p
        .and_then(|p| p.added_access_policy.0.as_ref())
        .and_then(|x| policy_raw(int, x))
        .or_else(|| {
            policy_flat(
                int,
                &rec.added_policy_object_id,
                &rec.added_policy_tenant_id,
                &rec.added_policy_keys.0,
                &rec.added_policy_secrets.0,
                &rec.added_policy_certificates.0,
                &rec.added_policy_storage.0,
            )
        });
    let policy_removed = p
        .and_then(|p| p.removed_access_policy.0.as_ref())
        .and_then(|x| policy_raw(int, x))
        .or_else(|| {
            policy_flat(
                int,
                &rec.removed_policy_object_id,
                &rec.removed_policy_tenant_id,
                &rec.removed_policy_keys.0,
                &rec.removed_policy_secrets.0,
                &rec.removed_policy_certificates.0,
                &rec.removed_policy_storage.0,
            )
        });
    let ip_rule_added = interned(
        int,
        p.and_then(|p| p.added_ip_rule.0.as_ref())
            .and_then(|r| r.value.str())
            .or_else(|| rec.added_ip_rule_s.str()),
    );
    let ip_rule_removed = interned(
        int,
        p.and_then(|p| p.removed_ip_rule.0.as_ref())
            .and_then(|r| r.value.str())
            .or_else(|| rec.removed_ip_rule_s.str()),
    );

    let ev = Event {
        time,
        vault,
        subscription,
        resource_group,
        operation: operation_s,
        op,
        operation_version: interned(
            int,
            first(&rec.operation_version, &rec.operation_version_col),
        ),
        category: interned(int, first(&rec.category, &rec.category_col)),
        object_kind,
        object_name: interned(int, object_name),
        object_version: interned(int, object_version),
        status,
        outcome,
        result_type: interned(int, result_type),
        result_signature: interned(int, result_signature),
        result_description: interned(int, result_description),
        caller_ip: interned(int, caller_text),
        caller_addr,
        identity,
        client_info: interned(
            int,
            p.and_then(|p| p.client_info.str())
                .or_else(|| rec.client_info_s.str()),
        ),
        request_uri: interned(int, request_uri),
        object_id: interned(int, object_url),
        duration_ms: rec.duration_ms.u64().or_else(|| rec.duration_ms_col.u64()),
        tls_version: interned(
            int,
            p.and_then(|p| p.tls_version.str())
                .or_else(|| rec.tls_version_s.str()),
        ),
        correlation_id: first(&rec.correlation_id, &rec.correlation_id_col).map(Arc::from),
        authorization,
        vault_config: vault_config.map(Box::new),
        policy_added: policy_added.map(Box::new),
        policy_removed: policy_removed.map(Box::new),
        ip_rule_added,
        ip_rule_removed,
        source,
    };
    Ok((ev, dialect))
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
    fn interner_shares_and_lowers() {
        let mut i = Interner::default();
        let a = i.get("SecretGet");
        let b = i.get(&String::from("SecretGet"));
        assert!(Arc::ptr_eq(&a, &b));
        let c = i.get_lower("KV-PROD");
        assert_eq!(&*c, "kv-prod");
        assert!(Arc::ptr_eq(&c, &i.get("kv-prod")));
        assert!(Arc::ptr_eq(&c, &i.get_lower("KV-PROD")));
        // fingerprint collisions fall back to the set
        for n in 0..2000 {
            let s = format!("s{n}");
            assert_eq!(&*i.get(&s), s);
        }
        assert_eq!(i.len(), 2000 + 2);
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
