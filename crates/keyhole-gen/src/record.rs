//! The generated record: a raw Key Vault diagnostic record (storage-archive JSON) in typed form,
//! and its exact raw JSON rendering.

use keyhole_core::time::{civil_from_days, Timestamp};
use std::sync::Arc;

/// 100-nanosecond ticks per second (Azure's 7 fractional digits).
pub const TICKS_PER_SEC: i64 = 10_000_000;
pub const TICKS_PER_MIN: i64 = 60 * TICKS_PER_SEC;
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MIN;
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// The vault a record belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRef {
    /// Lower-case vault name (`kv-payments-prod`).
    pub name: String,
    /// Subscription GUID, upper-case as in `resourceId`.
    pub subscription: String,
    /// Resource group, upper-case as in `resourceId`.
    pub resource_group: String,
    /// Resource group as the owner typed it (used in ARM request URIs).
    pub resource_group_display: String,
    pub tenant_id: String,
    pub region: &'static str,
    /// The upper-case ARM resource id (see [`VaultRef::resource_id`]).
    pub resource_id_text: String,
}

impl VaultRef {
    pub fn new(
        name: String,
        subscription: String,
        resource_group_display: String,
        tenant_id: String,
        region: &'static str,
    ) -> VaultRef {
        let resource_group = resource_group_display.to_ascii_uppercase();
        let resource_id_text = format!(
            "/SUBSCRIPTIONS/{}/RESOURCEGROUPS/{}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/{}",
            subscription,
            resource_group,
            name.to_ascii_uppercase()
        );
        VaultRef {
            name,
            subscription,
            resource_group,
            resource_group_display,
            tenant_id,
            region,
            resource_id_text,
        }
    }

    /// `/SUBSCRIPTIONS/<SUB>/RESOURCEGROUPS/<RG>/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/<NAME>`.
    pub fn resource_id(&self) -> &str {
        &self.resource_id_text
    }

    /// `host` part of data-plane URIs: `https://<vault>.vault.azure.net`.
    pub fn host(&self) -> String {
        format!("https://{}.vault.azure.net", self.name)
    }
}

/// Which claim dialect the identity uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// ARM (vault) operations: URI claims (`…/objectidentifier`, `…/claims/upn`, `…/claims/name`) + `appid`.
    Arm,
    /// Data-plane operations: short JWT claims (`oid`, `upn`, `unique_name`, `appid`, `idtyp`, `ipaddr`…).
    Jwt,
}

/// The caller's token claims (`identity.claim`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub dialect: Dialect,
    pub oid: Arc<str>,
    /// Users only; app-only tokens carry no upn.
    pub upn: Option<Arc<str>>,
    pub appid: Arc<str>,
    /// App-only token (service principal / managed identity): `idtyp: app`.
    pub app_only: bool,
    /// `ipaddr` claim (users, data plane).
    pub ipaddr: Option<Arc<str>>,
}

/// `properties.properties` of VaultGet/Put/Patch: the vault's configuration snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultProps {
    pub sku_name: &'static str,
    pub tenant_id: String,
    /// `(bypass, defaultAction)`, `None` = `"networkAcls":null`.
    pub network_acls: Option<(&'static str, &'static str)>,
    pub enabled_for_deployment: bool,
    pub enabled_for_disk_encryption: bool,
    pub enabled_for_template_deployment: bool,
    pub enable_soft_delete: bool,
    pub soft_delete_retention_days: u32,
    pub enable_rbac_authorization: bool,
    /// `None` = `null` (never enabled), as Azure writes it.
    pub enable_purge_protection: Option<bool>,
}

/// `addedAccessPolicy` / `removedAccessPolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub object_id: String,
    pub tenant_id: String,
    pub keys: Vec<&'static str>,
    pub secrets: Vec<&'static str>,
    pub certificates: Vec<&'static str>,
}

/// One raw diagnostic record (category `AuditEvent`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// 100-ns ticks since the Unix epoch (UTC): 7 fractional digits as Azure writes them.
    pub ticks: i64,
    pub vault: Arc<VaultRef>,
    pub operation: &'static str,
    pub operation_version: &'static str,
    pub status: u16,
    pub result_signature: &'static str,
    pub result_description: Option<String>,
    pub duration_ms: u32,
    /// `callerIpAddress` text as written (may be `ip:port` or IPv6).
    pub caller_ip: Arc<str>,
    pub correlation_id: String,
    /// `None` = `"identity":{}` (the unauthenticated 401 challenge).
    pub identity: Option<Claims>,
    /// `properties.id`.
    pub id: Option<String>,
    pub client_info: Arc<str>,
    pub request_uri: String,
    pub is_access_policy_match: Option<bool>,
    pub is_rbac_authorized: Option<bool>,
    pub tls_version: Option<&'static str>,
    pub vault_props: Option<VaultProps>,
    pub added_access_policy: Option<Policy>,
    pub removed_access_policy: Option<Policy>,
    pub added_ip_rule: Option<String>,
}

impl Record {
    /// The record's time as a core timestamp (7 digits given, microseconds kept).
    pub fn timestamp(&self) -> Timestamp {
        Timestamp {
            micros: self.ticks.div_euclid(10),
            digits: 7,
        }
    }

    /// `2026-10-01T08:15:02.1234567Z`.
    pub fn time_string(&self) -> String {
        let mut s = String::with_capacity(28);
        push_time7(&mut s, self.ticks);
        s
    }

    /// The lower-case vault name.
    pub fn vault_name(&self) -> &str {
        &self.vault.name
    }

    /// The caller's address without a port (`ipaddr` claim form).
    pub fn caller_addr(&self) -> &str {
        strip_port(&self.caller_ip)
    }

    /// A display label of the principal: upn, else object id; `None` for the 401 challenge.
    pub fn principal(&self) -> Option<&str> {
        self.identity
            .as_ref()
            .map(|c| c.upn.as_deref().unwrap_or(&c.oid))
    }
}

/// `1.2.3.4:5678` → `1.2.3.4`; IPv6 and bare addresses unchanged.
pub fn strip_port(ip: &str) -> &str {
    if ip.matches(':').count() == 1 {
        ip.split(':').next().unwrap_or(ip)
    } else {
        ip
    }
}

/// Append `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
pub fn push_time7(s: &mut String, ticks: i64) {
    use std::fmt::Write;
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rem = ticks.rem_euclid(TICKS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let h = rem / TICKS_PER_HOUR;
    let mi = (rem / TICKS_PER_MIN) % 60;
    let sec = (rem / TICKS_PER_SEC) % 60;
    let frac = rem % TICKS_PER_SEC;
    let _ = write!(s, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{frac:07}Z");
}

const fn escape_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}

/// Bytes that must be escaped inside a JSON string.
static NEEDS_ESCAPE: [bool; 256] = escape_table();

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of the word is < 0x20, `"` or `\\` (SWAR; no false negatives).
#[inline]
fn word_needs_escape(x: u64) -> bool {
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let below_space = x.wrapping_sub(LO * 0x20) & !x & HI;
    (below_space | has_zero(x ^ (LO * b'"' as u64)) | has_zero(x ^ (LO * b'\\' as u64))) != 0
}

/// Append `s` as a JSON string literal (quotes included), escaping per RFC 8259.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip 8 clean bytes at a time (no control byte, quote or backslash in the word).
        if i + 8 <= bytes.len() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i..i + 8]);
            if !word_needs_escape(u64::from_le_bytes(w)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if !NEEDS_ESCAPE[b as usize] {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A tiny JSON object writer (keys in insertion order, as Azure writes them).
pub struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Obj<'a> {
        out.push(b'{');
        Obj { out, first: true }
    }
    pub fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        push_json_str(self.out, k);
        self.out.push(b':');
        self.out
    }
    pub fn str(&mut self, k: &str, v: &str) {
        let o = self.key(k);
        push_json_str(o, v);
    }
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(k, v),
            None => self.raw(k, "null"),
        }
    }
    pub fn raw(&mut self, k: &str, v: &str) {
        self.key(k).extend_from_slice(v.as_bytes());
    }
    pub fn num(&mut self, k: &str, v: i64) {
        let s = v.to_string();
        self.raw(k, &s);
    }
    pub fn bool(&mut self, k: &str, v: bool) {
        self.raw(k, if v { "true" } else { "false" });
    }
    pub fn opt_bool(&mut self, k: &str, v: Option<bool>) {
        match v {
            Some(b) => self.bool(k, b),
            None => self.raw(k, "null"),
        }
    }
    pub fn str_array(&mut self, k: &str, vs: &[&str]) {
        let o = self.key(k);
        push_str_array(o, vs);
    }
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// Append `["a","b"]`.
pub fn push_str_array(out: &mut Vec<u8>, vs: &[&str]) {
    out.push(b'[');
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(out, v);
    }
    out.push(b']');
}

const URI_OID: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";
const URI_UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const URI_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

/// Write `identity.claim` as an object (the value of `claim`).
pub fn push_claims(out: &mut Vec<u8>, c: &Claims) {
    let mut o = Obj::new(out);
    match c.dialect {
        Dialect::Arm => {
            o.str(URI_OID, &c.oid);
            if let Some(upn) = &c.upn {
                o.str(URI_UPN, upn);
                o.str(URI_NAME, upn);
            }
            o.str("appid", &c.appid);
        }
        Dialect::Jwt => {
            o.str("oid", &c.oid);
            o.str("appid", &c.appid);
            if c.app_only {
                o.str("appidacr", "2");
                o.raw("xms_az_nwperimid", "[]");
                o.str("idtyp", "app");
            } else {
                o.str("scp", "user_impersonation");
                o.str("appidacr", "0");
                o.raw("xms_az_nwperimid", "[]");
                if let Some(upn) = &c.upn {
                    o.str("upn", upn);
                }
                if let Some(ip) = &c.ipaddr {
                    o.str("ipaddr", ip);
                }
                if let Some(upn) = &c.upn {
                    o.str("unique_name", upn);
                }
                o.str("amr", "pwd");
            }
        }
    }
    o.end();
}

/// Write the vault configuration snapshot object.
pub fn push_vault_props(out: &mut Vec<u8>, p: &VaultProps) {
    let mut o = Obj::new(out);
    let sku = o.key("sku");
    sku.extend_from_slice(b"{\"Family\":\"A\",\"Name\":");
    push_json_str(sku, p.sku_name);
    sku.extend_from_slice(b",\"Capacity\":null}");
    o.str("tenantId", &p.tenant_id);
    match p.network_acls {
        None => o.raw("networkAcls", "null"),
        Some((bypass, action)) => {
            let n = o.key("networkAcls");
            let mut a = Obj::new(n);
            a.str("bypass", bypass);
            a.str("defaultAction", action);
            a.end();
        }
    }
    o.bool("enabledForDeployment", p.enabled_for_deployment);
    o.bool("enabledForDiskEncryption", p.enabled_for_disk_encryption);
    o.bool(
        "enabledForTemplateDeployment",
        p.enabled_for_template_deployment,
    );
    o.bool("enableSoftDelete", p.enable_soft_delete);
    o.num(
        "softDeleteRetentionInDays",
        p.soft_delete_retention_days as i64,
    );
    o.bool("enableRbacAuthorization", p.enable_rbac_authorization);
    o.opt_bool("enablePurgeProtection", p.enable_purge_protection);
    o.end();
}

/// Write an access-policy entry.
pub fn push_policy(out: &mut Vec<u8>, p: &Policy) {
    let mut o = Obj::new(out);
    o.str("ObjectId", &p.object_id);
    o.str("TenantId", &p.tenant_id);
    let perms = o.key("Permissions");
    let mut q = Obj::new(perms);
    q.str_array("keys", &p.keys);
    q.str_array("secrets", &p.secrets);
    q.str_array("certificates", &p.certificates);
    q.end();
    o.end();
}

/// Write the `properties` object of a raw record.
pub fn push_properties(out: &mut Vec<u8>, r: &Record) {
    let mut o = Obj::new(out);
    if let Some(id) = &r.id {
        o.str("id", id);
    }
    o.str("clientInfo", &r.client_info);
    o.num("httpStatusCode", r.status as i64);
    o.str("requestUri", &r.request_uri);
    if let Some(b) = r.is_access_policy_match {
        o.bool("isAccessPolicyMatch", b);
    }
    if let Some(b) = r.is_rbac_authorized {
        o.bool("isRbacAuthorized", b);
    }
    if let Some(p) = &r.vault_props {
        push_vault_props(o.key("properties"), p);
    }
    if let Some(p) = &r.added_access_policy {
        push_policy(o.key("addedAccessPolicy"), p);
    }
    if let Some(p) = &r.removed_access_policy {
        push_policy(o.key("removedAccessPolicy"), p);
    }
    if let Some(v) = &r.added_ip_rule {
        let k = o.key("addedIpRule");
        let mut a = Obj::new(k);
        a.str("Value", v);
        a.end();
    }
    if let Some(t) = r.tls_version {
        o.str("tlsVersion", t);
    }
    o.end();
}

/// Append the raw diagnostic record as one compact JSON object (no newline), with the key order
/// of real storage-archive records.
pub fn push_raw_json(out: &mut Vec<u8>, r: &Record) {
    let mut t = String::with_capacity(28);
    push_time7(&mut t, r.ticks);
    let mut o = Obj::new(out);
    o.str("time", &t);
    o.str("category", "AuditEvent");
    o.str("operationName", r.operation);
    o.str("resultType", "Success");
    if let Some(d) = &r.result_description {
        o.str("resultDescription", d);
    }
    o.str("correlationId", &r.correlation_id);
    o.str("callerIpAddress", &r.caller_ip);
    {
        let k = o.key("identity");
        match &r.identity {
            None => k.extend_from_slice(b"{}"),
            Some(c) => {
                k.extend_from_slice(b"{\"claim\":");
                push_claims(k, c);
                k.push(b'}');
            }
        }
    }
    push_properties(o.key("properties"), r);
    o.str("resourceId", r.vault.resource_id());
    o.str("operationVersion", r.operation_version);
    o.str("resultSignature", r.result_signature);
    o.str("durationMs", &r.duration_ms.to_string());
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping_is_valid() {
        let mut out = Vec::new();
        push_json_str(&mut out, "a\"b\\c\nd\u{1}é");
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn json_escaping_matches_serde_on_every_byte_position() {
        let specials = [
            "\"", "\\", "\n", "\u{1f}", "\u{0}", "é", "€", "a", "~", "\u{7f}",
        ];
        let mut rng = crate::rng::Rng::new(5);
        for _ in 0..2000 {
            let n = rng.below(40) as usize;
            let s: String = (0..n).map(|_| *rng.pick(&specials)).collect();
            let mut out = Vec::new();
            push_json_str(&mut out, &s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn time7() {
        let mut s = String::new();
        // 2024-04-03T14:03:10.7886260Z
        let t = Timestamp::parse_iso("2024-04-03T14:03:10.788626Z").unwrap();
        push_time7(&mut s, t.micros * 10);
        assert_eq!(s, "2024-04-03T14:03:10.7886260Z");
    }

    #[test]
    fn strip_port_forms() {
        assert_eq!(strip_port("1.2.3.4:443"), "1.2.3.4");
        assert_eq!(strip_port("1.2.3.4"), "1.2.3.4");
        assert_eq!(strip_port("2a01:cb00::1"), "2a01:cb00::1");
    }
}
