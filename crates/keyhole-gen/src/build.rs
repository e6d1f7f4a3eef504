//! Record constructors: one function per operation family, so benign traffic and attacks render
//! the same shapes (URIs, object ids, claims, authorisation fields).

use crate::record::*;
use crate::rng::{mix, Rng};
use crate::tenant::Vault;
use std::sync::Arc;

/// Who makes a call.
#[derive(Clone, Debug)]
pub struct Caller {
    pub oid: Arc<str>,
    pub upn: Option<Arc<str>>,
    pub appid: Arc<str>,
    pub app_only: bool,
    pub ip: Arc<str>,
    pub client_info: Arc<str>,
    pub tls: &'static str,
}

impl Caller {
    pub fn claims(&self, dialect: Dialect) -> Claims {
        Claims {
            dialect,
            oid: self.oid.clone(),
            upn: self.upn.clone(),
            appid: self.appid.clone(),
            app_only: self.app_only,
            ipaddr: if self.app_only || dialect == Dialect::Arm {
                None
            } else {
                Some(Arc::from(strip_port(&self.ip)))
            },
        }
    }
}

/// FNV-1a, for stable per-object derived values.
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The current version (32 hex) of an object: stable per seed, vault and name.
pub fn version_of(seed: u64, vault: &str, name: &str) -> String {
    let a = mix(seed, fnv(vault));
    let b = mix(a, fnv(name));
    format!("{:016x}{:016x}", a ^ b.rotate_left(17), mix(b, 1))
}

fn signature(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

fn kind_word(collection: &str) -> &'static str {
    match collection {
        "keys" | "deletedkeys" => "key",
        "certificates" | "deletedcertificates" => "certificate",
        _ => "secret",
    }
}

fn description(
    status: u16,
    collection: &str,
    name: Option<&str>,
    c: &Caller,
    vault: &str,
    rbac: bool,
) -> Option<String> {
    match status {
        403 if rbac => Some(format!(
            "Caller is not authorized to perform action on resource.\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\nCaller: appid={};oid={};iss=https://sts.windows.net/{}/\nAction: 'Microsoft.KeyVault/vaults/{}/readMetadata/action'\nResource: '{}'\nAssignment: (not found)\nDenyAssignmentId: null\nDecisionReason: null \nVault: {};location=westeurope",
            c.appid, c.oid, "72f988bf-86f1-41af-91ab-2d7cd011db47", collection, vault, vault
        )),
        403 => Some(format!(
            "The user, group or application 'appid={};oid={};iss=https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' does not have {} list permission on key vault '{};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
            c.appid, c.oid, collection, vault
        )),
        404 => Some(format!(
            "A {} with (name/id) {} was not found in this key vault. If you recently deleted this {} you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
            kind_word(collection),
            name.unwrap_or(""),
            kind_word(collection)
        )),
        409 => Some(format!(
            "There was a conflict while updating the {} '{}'. This can happen if multiple operations are performed in parallel against the {}.",
            kind_word(collection),
            name.unwrap_or(""),
            kind_word(collection)
        )),
        429 => Some("Too many requests. Please retry after the number of seconds specified in the Retry-After header.".to_string()),
        _ => None,
    }
}

/// Everything needed to render records of one vault at one moment.
pub struct Ctx<'a> {
    pub seed: u64,
    pub vault: &'a Vault,
    /// The vault uses RBAC at this moment (decides `isRbacAuthorized` vs `isAccessPolicyMatch`).
    pub rbac: bool,
}

fn duration(rng: &mut Rng, lo: i64, hi: i64) -> u32 {
    // Skewed towards the low end, with a long tail.
    let a = rng.range(lo, hi);
    let b = rng.range(lo, hi);
    a.min(b) as u32
}

impl<'a> Ctx<'a> {
    /// The unauthenticated `Authentication` 401 an SDK client receives before its first call.
    pub fn challenge(&self, rng: &mut Rng, ticks: i64, c: &Caller, uri_path: &str) -> Record {
        let host = self.vault.r.host();
        Record {
            ticks,
            vault: self.vault.r.clone(),
            operation: "Authentication",
            operation_version: "7.4",
            status: 401,
            result_signature: "Unauthorized",
            result_description: None,
            duration_ms: duration(rng, 1, 30),
            caller_ip: c.ip.clone(),
            correlation_id: rng.guid(),
            identity: None,
            id: None,
            client_info: c.client_info.clone(),
            request_uri: format!("{host}/{uri_path}?api-version=7.4"),
            is_access_policy_match: None,
            is_rbac_authorized: None,
            tls_version: Some(c.tls),
            vault_props: None,
            added_access_policy: None,
            removed_access_policy: None,
            added_ip_rule: None,
        }
    }

    /// A data-plane operation (`SecretGet`, `KeyUnwrap`, `SecretListDeleted`, …) with its status.
    pub fn data(
        &self,
        rng: &mut Rng,
        ticks: i64,
        c: &Caller,
        op: &'static str,
        name: Option<&str>,
        status: u16,
    ) -> Record {
        let host = self.vault.r.host();
        let vname = &self.vault.r.name;
        let n = name.unwrap_or("");
        let ver = || version_of(self.seed, vname, n);
        let ok = (200..300).contains(&status);
        let (collection, id, uri): (&str, Option<String>, String) = match op {
            "SecretGet" => (
                "secrets",
                Some(if ok {
                    format!("{host}/secrets/{n}/{}", ver())
                } else {
                    format!("{host}/secrets/{n}")
                }),
                format!("{host}/secrets/{n}/?api-version=7.4"),
            ),
            "SecretSet" => (
                "secrets",
                Some(if ok {
                    format!("{host}/secrets/{n}/{}", rng.hex32())
                } else {
                    format!("{host}/secrets/{n}")
                }),
                format!("{host}/secrets/{n}?api-version=7.4"),
            ),
            "SecretList" => (
                "secrets",
                None,
                format!("{host}/secrets?api-version=7.4&maxresults=25"),
            ),
            "SecretListVersions" => (
                "secrets",
                Some(format!("{host}/secrets/{n}")),
                format!("{host}/secrets/{n}/versions?api-version=7.4&maxresults=25"),
            ),
            "SecretBackup" => (
                "secrets",
                Some(format!("{host}/secrets/{n}")),
                format!("{host}/secrets/{n}/backup?api-version=7.4"),
            ),
            "SecretDelete" => (
                "secrets",
                Some(format!("{host}/secrets/{n}")),
                format!("{host}/secrets/{n}?api-version=7.4"),
            ),
            "SecretPurge" => (
                "deletedsecrets",
                Some(format!("{host}/deletedsecrets/{n}")),
                format!("{host}/deletedsecrets/{n}?api-version=7.4"),
            ),
            "SecretListDeleted" => (
                "deletedsecrets",
                None,
                format!("{host}/deletedsecrets?api-version=7.4&maxresults=25"),
            ),
            "KeyGet" => (
                "keys",
                Some(if ok {
                    format!("{host}/keys/{n}/{}", ver())
                } else {
                    format!("{host}/keys/{n}")
                }),
                format!("{host}/keys/{n}/?api-version=7.4"),
            ),
            "KeyUnwrap" | "KeyWrap" | "KeySign" | "KeyDecrypt" => {
                let v = ver();
                let verb = match op {
                    "KeyUnwrap" => "unwrapkey",
                    "KeyWrap" => "wrapkey",
                    "KeySign" => "sign",
                    _ => "decrypt",
                };
                (
                    "keys",
                    Some(format!("{host}/keys/{n}/{v}")),
                    format!("{host}/keys/{n}/{v}/{verb}?api-version=7.4"),
                )
            }
            "KeyList" => (
                "keys",
                None,
                format!("{host}/keys?api-version=7.4&maxresults=25"),
            ),
            "KeyBackup" => (
                "keys",
                Some(format!("{host}/keys/{n}")),
                format!("{host}/keys/{n}/backup?api-version=7.4"),
            ),
            "KeyDelete" => (
                "keys",
                Some(format!("{host}/keys/{n}")),
                format!("{host}/keys/{n}?api-version=7.4"),
            ),
            "CertificateGet" => (
                "certificates",
                Some(if ok {
                    format!("{host}/certificates/{n}/{}", ver())
                } else {
                    format!("{host}/certificates/{n}")
                }),
                format!("{host}/certificates/{n}/?api-version=7.4"),
            ),
            "CertificateList" => (
                "certificates",
                None,
                format!("{host}/certificates?api-version=7.4&maxresults=25"),
            ),
            _ => (
                "secrets",
                name.map(|n| format!("{host}/secrets/{n}")),
                format!("{host}/secrets?api-version=7.4"),
            ),
        };
        let (apm, rbac_ok) = if self.rbac {
            (None, Some(status != 403))
        } else {
            (Some(status != 403), None)
        };
        let uvault = vname.as_str();
        Record {
            ticks,
            vault: self.vault.r.clone(),
            operation: op,
            operation_version: "7.4",
            status,
            result_signature: signature(status),
            result_description: description(status, collection, name, c, uvault, self.rbac),
            duration_ms: if op.starts_with("Key") && op != "KeyGet" && op != "KeyList" {
                duration(rng, 8, 400)
            } else {
                duration(rng, 3, 180)
            },
            caller_ip: c.ip.clone(),
            correlation_id: rng.guid(),
            identity: Some(c.claims(Dialect::Jwt)),
            id,
            client_info: c.client_info.clone(),
            request_uri: uri,
            is_access_policy_match: apm,
            is_rbac_authorized: rbac_ok,
            tls_version: Some(c.tls),
            vault_props: None,
            added_access_policy: None,
            removed_access_policy: None,
            added_ip_rule: None,
        }
    }

    /// An ARM operation on the vault (`VaultGet`, `VaultPut`, `VaultPatch`) carrying the
    /// configuration snapshot `props` (the value after the operation).
    #[allow(clippy::too_many_arguments)]
    pub fn arm(
        &self,
        rng: &mut Rng,
        ticks: i64,
        c: &Caller,
        op: &'static str,
        props: &VaultProps,
        regional: bool,
        status: u16,
    ) -> Record {
        let r = &self.vault.r;
        let uri = if regional {
            format!(
                "https://{}.management.azure.com/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}?api-version=2023-07-01&MaskCMKEnabledProperties=true",
                r.region,
                r.subscription.to_ascii_lowercase(),
                r.resource_group_display,
                r.name
            )
        } else {
            format!(
                "https://management.azure.com/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}?api-version=2023-07-01",
                r.subscription.to_ascii_lowercase(),
                r.resource_group_display,
                r.name
            )
        };
        let ok = (200..300).contains(&status);
        Record {
            ticks,
            vault: r.clone(),
            operation: op,
            operation_version: "2023-07-01",
            status,
            result_signature: signature(status),
            result_description: if ok { None } else { Some(String::new()) },
            duration_ms: if op == "VaultGet" {
                duration(rng, 8, 60)
            } else {
                duration(rng, 40, 900)
            },
            caller_ip: c.ip.clone(),
            correlation_id: rng.guid(),
            identity: Some(c.claims(Dialect::Arm)),
            id: Some(format!("https://{}.vault.azure.net/", r.name)),
            client_info: c.client_info.clone(),
            request_uri: uri,
            is_access_policy_match: None,
            is_rbac_authorized: None,
            tls_version: None,
            vault_props: if ok { Some(props.clone()) } else { None },
            added_access_policy: None,
            removed_access_policy: None,
            added_ip_rule: None,
        }
    }
}
