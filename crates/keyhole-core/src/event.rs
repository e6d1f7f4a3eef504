//! The normalised event: one model for every input shape (spec §2).
//!
//! A drop's events live in the columnar [`crate::store::EventStore`]; rules, workbook and KQL
//! read them through its row view [`crate::store::EventRef`], whose accessors are named like
//! [`Event`]'s fields and which serialises exactly like it. [`Event`] itself is the owned form
//! of one event: hand-written in tests, golden fixtures and benchmarks (turned into a store by
//! [`crate::store::EventStore::from_events`]). The enums and small structs here (`Op`,
//! `Outcome`, `Identity`, `VaultConfig`, …) are shared by both.

use crate::time::Timestamp;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::Arc;

/// A shared, immutable string. Cheap to clone; interned by the ingest layer.
pub type Str = Arc<str>;

/// What the request did, from the HTTP status code (never from `resultType`, which says
/// "Success" on 400/403/404/409 in real tenants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
    NotFound,
    Throttled,
    ClientError,
    ServerError,
}

impl Outcome {
    /// Outcome of an HTTP status code: 2xx success, 401/403 denied, 404 not found, 429 throttled,
    /// other 4xx (and 1xx/3xx) client error, 5xx server error.
    pub fn from_status(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Success,
            401 | 403 => Outcome::Denied,
            404 => Outcome::NotFound,
            429 => Outcome::Throttled,
            500..=599 => Outcome::ServerError,
            _ => Outcome::ClientError,
        }
    }

    /// Fallback when a record carries no status code: read the result signature
    /// ("OK", "Forbidden", "Not Found", …), then the result type.
    pub fn from_signature(signature: Option<&str>, result_type: Option<&str>) -> Outcome {
        let sig = signature.unwrap_or("").to_ascii_lowercase();
        match sig.as_str() {
            "ok" | "accepted" | "created" | "no content" | "nocontent" => Outcome::Success,
            "unauthorized" | "forbidden" => Outcome::Denied,
            "not found" | "notfound" => Outcome::NotFound,
            "too many requests" | "toomanyrequests" => Outcome::Throttled,
            "internal server error" | "service unavailable" | "bad gateway" | "gateway timeout" => {
                Outcome::ServerError
            }
            "" => match result_type.map(|s| s.to_ascii_lowercase()) {
                Some(t) if t == "success" => Outcome::Success,
                Some(t) if t == "failure" || t == "failed" => Outcome::ClientError,
                _ => Outcome::Success,
            },
            _ => Outcome::ClientError,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::NotFound => "not_found",
            Outcome::Throttled => "throttled",
            Outcome::ClientError => "client_error",
            Outcome::ServerError => "server_error",
        }
    }

    pub const ALL: [Outcome; 6] = [
        Outcome::Success,
        Outcome::Denied,
        Outcome::NotFound,
        Outcome::Throttled,
        Outcome::ClientError,
        Outcome::ServerError,
    ];
}

/// What kind of object the operation touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Vault,
    Secret,
    Key,
    Certificate,
    Other,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Vault => "vault",
            ObjectKind::Secret => "secret",
            ObjectKind::Key => "key",
            ObjectKind::Certificate => "certificate",
            ObjectKind::Other => "other",
        }
    }

    /// Data plane = the vault's contents (secrets, keys, certificates).
    pub fn is_data_plane(self) -> bool {
        matches!(
            self,
            ObjectKind::Secret | ObjectKind::Key | ObjectKind::Certificate
        )
    }
}

/// Whether the caller was a user or an application (service principal, managed identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    User,
    App,
}

/// The operation, as a known verb on a known object kind, with the raw text always kept.
/// Unknown operation names are valid (Azure adds new ones): they become `Op::Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Authentication,
    VaultGet,
    VaultPut,
    VaultPatch,
    VaultDelete,
    VaultRecover,
    VaultList,
    VaultAccessPolicyChangedEventGridNotification,
    /// `<Secret|Key|Certificate><Verb>`: the verb is below.
    Object(ObjectKind, Verb),
    Other,
}

/// Verbs of data-plane operations (`SecretGet`, `KeySign`, `CertificateImport`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Set,
    List,
    ListVersions,
    ListDeleted,
    GetDeleted,
    Delete,
    Purge,
    Recover,
    Backup,
    Restore,
    Update,
    Create,
    Import,
    Rotate,
    Sign,
    Verify,
    Encrypt,
    Decrypt,
    Wrap,
    Unwrap,
    Release,
    /// Any other verb on a known object kind (`CertificateGetOperation`, `KeyGetRotationPolicy`, …).
    Other,
}

impl Op {
    /// Classify an operation name. Never fails: unknown names are `Op::Other`, and names with a
    /// known object prefix but an unknown verb keep their object kind.
    pub fn parse(name: &str) -> Op {
        match name {
            "Authentication" => return Op::Authentication,
            "VaultGet" => return Op::VaultGet,
            "VaultPut" => return Op::VaultPut,
            "VaultPatch" => return Op::VaultPatch,
            "VaultDelete" => return Op::VaultDelete,
            "VaultRecover" => return Op::VaultRecover,
            "VaultList" => return Op::VaultList,
            "VaultAccessPolicyChangedEventGridNotification" => {
                return Op::VaultAccessPolicyChangedEventGridNotification
            }
            _ => {}
        }
        let (kind, rest) = if let Some(r) = name.strip_prefix("Secret") {
            (ObjectKind::Secret, r)
        } else if let Some(r) = name.strip_prefix("Key") {
            (ObjectKind::Key, r)
        } else if let Some(r) = name.strip_prefix("Certificate") {
            (ObjectKind::Certificate, r)
        } else {
            return Op::Other;
        };
        let verb = match rest {
            "Get" => Verb::Get,
            "Set" => Verb::Set,
            "List" => Verb::List,
            "ListVersions" => Verb::ListVersions,
            "ListDeleted" => Verb::ListDeleted,
            "GetDeleted" => Verb::GetDeleted,
            "Delete" => Verb::Delete,
            "Purge" => Verb::Purge,
            "Recover" => Verb::Recover,
            "Backup" => Verb::Backup,
            "Restore" => Verb::Restore,
            "Update" => Verb::Update,
            "Create" => Verb::Create,
            "Import" => Verb::Import,
            "Rotate" => Verb::Rotate,
            "Sign" => Verb::Sign,
            "Verify" => Verb::Verify,
            "Encrypt" => Verb::Encrypt,
            "Decrypt" => Verb::Decrypt,
            "Wrap" => Verb::Wrap,
            "Unwrap" => Verb::Unwrap,
            "Release" => Verb::Release,
            _ => Verb::Other,
        };
        Op::Object(kind, verb)
    }

    /// The object kind an operation acts on, from its name alone.
    pub fn object_kind(self) -> ObjectKind {
        match self {
            Op::Object(kind, _) => kind,
            Op::VaultGet
            | Op::VaultPut
            | Op::VaultPatch
            | Op::VaultDelete
            | Op::VaultRecover
            | Op::VaultList
            | Op::VaultAccessPolicyChangedEventGridNotification => ObjectKind::Vault,
            Op::Authentication | Op::Other => ObjectKind::Other,
        }
    }

    /// A read of a vault's contents: Get / List / Backup of secrets, keys or certificates,
    /// and key-use operations that reveal or use key material.
    pub fn is_data_read(self) -> bool {
        matches!(
            self,
            Op::Object(
                _,
                Verb::Get
                    | Verb::List
                    | Verb::ListVersions
                    | Verb::Backup
                    | Verb::Decrypt
                    | Verb::Unwrap
                    | Verb::Sign
                    | Verb::Release
            )
        )
    }

    /// A change to the vault resource itself (ARM write).
    pub fn is_vault_write(self) -> bool {
        matches!(self, Op::VaultPut | Op::VaultPatch | Op::VaultDelete)
    }
}

/// Who made the request. Identity resolution (spec §1): object id = `oid` ?? objectidentifier;
/// user = `upn` ?? `unique_name` ?? long-form upn ?? name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub object_id: Option<Str>,
    pub upn: Option<Str>,
    pub app_id: Option<Str>,
    pub tenant_id: Option<Str>,
    pub kind: Option<IdentityKind>,
}

impl Identity {
    /// True when the record carried no identity at all (the unauthenticated 401 challenge).
    pub fn is_empty(&self) -> bool {
        self.object_id.is_none() && self.upn.is_none() && self.app_id.is_none()
    }

    /// The most stable key for "the same principal": object id, else upn, else app id.
    pub fn principal_key(&self) -> Option<&Str> {
        self.object_id
            .as_ref()
            .or(self.upn.as_ref())
            .or(self.app_id.as_ref())
    }

    /// A human label: upn when there is one, else the object id, else the app id.
    pub fn display(&self) -> Option<&Str> {
        self.upn
            .as_ref()
            .or(self.object_id.as_ref())
            .or(self.app_id.as_ref())
    }
}

/// How the request was authorised (`isAccessPolicyMatch`, `isRbacAuthorized`, `appliedAssignmentId`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Authorization {
    pub access_policy_match: Option<bool>,
    pub rbac_authorized: Option<bool>,
    pub assignment_id: Option<Str>,
}

impl Authorization {
    pub fn is_empty(&self) -> bool {
        self.access_policy_match.is_none()
            && self.rbac_authorized.is_none()
            && self.assignment_id.is_none()
    }
}

/// The vault's configuration as repeated on every VaultGet/Put/Patch record
/// (`properties.properties` in raw records, `properties_*` columns in AzureDiagnostics).
/// A change is a transition between consecutive snapshots of one vault, not a field's presence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VaultConfig {
    /// `networkAcls.defaultAction`: "Allow" or "Deny"; `None` when `networkAcls` is null/absent.
    pub network_default_action: Option<Str>,
    pub network_bypass: Option<Str>,
    pub soft_delete: Option<bool>,
    pub purge_protection: Option<bool>,
    pub rbac_authorization: Option<bool>,
    pub soft_delete_retention_days: Option<u32>,
    pub enabled_for_deployment: Option<bool>,
    pub enabled_for_disk_encryption: Option<bool>,
    pub enabled_for_template_deployment: Option<bool>,
    pub sku: Option<Str>,
    pub tenant_id: Option<Str>,
}

impl VaultConfig {
    pub fn is_empty(&self) -> bool {
        *self == VaultConfig::default()
    }
}

/// An access-policy entry added or removed (`addedAccessPolicy` / `removedAccessPolicy`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccessPolicyChange {
    pub object_id: Option<Str>,
    pub tenant_id: Option<Str>,
    pub keys: Vec<Str>,
    pub secrets: Vec<Str>,
    pub certificates: Vec<Str>,
    pub storage: Vec<Str>,
}

/// Where an event came from: file (zip members as `archive.zip:member/path`), 1-based line where
/// the record starts, and for document shapes the 0-based record index within the file.
/// `offset`/`len` locate the record's bytes in the (decoded) stream, so a viewer can show the raw text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: Str,
    pub line: u64,
    pub record: Option<u64>,
    pub offset: u64,
    pub len: u32,
}

/// One normalised audit event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub time: Timestamp,
    /// Lower-case vault name.
    pub vault: Str,
    pub subscription: Option<Str>,
    pub resource_group: Option<Str>,
    /// The operation name as the record gave it.
    pub operation: Str,
    pub op: Op,
    pub operation_version: Option<Str>,
    pub category: Option<Str>,
    pub object_kind: ObjectKind,
    pub object_name: Option<Str>,
    pub object_version: Option<Str>,
    pub status: Option<u16>,
    pub outcome: Outcome,
    /// `resultType` as given ("Success" even on 403 — kept for KQL, never used for outcome).
    pub result_type: Option<Str>,
    pub result_signature: Option<Str>,
    pub result_description: Option<Str>,
    /// `callerIpAddress` text as given (`ip:port`, IPv6, `<Redacted>`, empty → `None`).
    pub caller_ip: Option<Str>,
    /// The parsed address, when the text holds one.
    pub caller_addr: Option<IpAddr>,
    pub identity: Identity,
    pub client_info: Option<Str>,
    pub request_uri: Option<Str>,
    /// `properties.id`: `https://<vault>.vault.azure.net/<kind>/<name>/<version>`.
    pub object_id: Option<Str>,
    pub duration_ms: Option<u64>,
    pub tls_version: Option<Str>,
    pub correlation_id: Option<Str>,
    pub authorization: Authorization,
    /// Boxed: present on vault operations only, so most events pay one pointer, not the struct.
    pub vault_config: Option<Box<VaultConfig>>,
    pub policy_added: Option<Box<AccessPolicyChange>>,
    pub policy_removed: Option<Box<AccessPolicyChange>>,
    pub ip_rule_added: Option<Str>,
    pub ip_rule_removed: Option<Str>,
    pub source: Source,
}

impl Event {
    /// The unauthenticated `Authentication` 401 every SDK client receives before its first real
    /// call: normal traffic, never "denied access".
    pub fn is_auth_challenge(&self) -> bool {
        self.status == Some(401) && (self.op == Op::Authentication || self.identity.is_empty())
    }

    pub fn is_success(&self) -> bool {
        self.outcome == Outcome::Success
    }

    /// Denied for real (401/403 that is not the SDK challenge).
    pub fn is_denied(&self) -> bool {
        self.outcome == Outcome::Denied && !self.is_auth_challenge()
    }

    /// Access to the vault's contents (secrets, keys, certificates).
    pub fn is_data_plane(&self) -> bool {
        self.object_kind.is_data_plane()
    }
}

fn opt<T: Serialize>(v: &Option<T>) -> Option<&T> {
    v.as_ref()
}

/// Serialises with the field names of spec §2 (`keyhole events --format jsonl`); absent values
/// are `null`. Fields beyond the spec's example follow it.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("time", &self.time.to_rfc3339())?;
        m.serialize_entry("vault", &*self.vault)?;
        m.serialize_entry("subscription", &opt(&self.subscription))?;
        m.serialize_entry("resource_group", &opt(&self.resource_group))?;
        m.serialize_entry("operation", &*self.operation)?;
        m.serialize_entry("object_kind", &self.object_kind)?;
        m.serialize_entry("object_name", &opt(&self.object_name))?;
        m.serialize_entry("object_version", &opt(&self.object_version))?;
        m.serialize_entry("status", &self.status)?;
        m.serialize_entry("outcome", &self.outcome)?;
        m.serialize_entry("result_signature", &opt(&self.result_signature))?;
        m.serialize_entry("result_description", &opt(&self.result_description))?;
        m.serialize_entry("caller_ip", &self.caller_addr.map(|a| a.to_string()))?;
        m.serialize_entry("caller_ip_text", &opt(&self.caller_ip))?;
        m.serialize_entry("identity", &self.identity)?;
        m.serialize_entry("client_info", &opt(&self.client_info))?;
        m.serialize_entry("request_uri", &opt(&self.request_uri))?;
        m.serialize_entry("duration_ms", &self.duration_ms)?;
        m.serialize_entry("tls_version", &opt(&self.tls_version))?;
        m.serialize_entry("correlation_id", &opt(&self.correlation_id))?;
        m.serialize_entry("result_type", &opt(&self.result_type))?;
        m.serialize_entry("operation_version", &opt(&self.operation_version))?;
        m.serialize_entry("id", &opt(&self.object_id))?;
        m.serialize_entry("auth_challenge", &self.is_auth_challenge())?;
        m.serialize_entry("authorization", &self.authorization)?;
        m.serialize_entry("vault_config", &self.vault_config)?;
        m.serialize_entry("access_policy_added", &self.policy_added)?;
        m.serialize_entry("access_policy_removed", &self.policy_removed)?;
        m.serialize_entry("ip_rule_added", &opt(&self.ip_rule_added))?;
        m.serialize_entry("ip_rule_removed", &opt(&self.ip_rule_removed))?;
        m.serialize_entry("source", &self.source)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_comes_from_status_not_result_type() {
        assert_eq!(Outcome::from_status(200), Outcome::Success);
        assert_eq!(Outcome::from_status(202), Outcome::Success);
        assert_eq!(Outcome::from_status(401), Outcome::Denied);
        assert_eq!(Outcome::from_status(403), Outcome::Denied);
        assert_eq!(Outcome::from_status(404), Outcome::NotFound);
        assert_eq!(Outcome::from_status(409), Outcome::ClientError);
        assert_eq!(Outcome::from_status(429), Outcome::Throttled);
        assert_eq!(Outcome::from_status(503), Outcome::ServerError);
    }

    #[test]
    fn operations_classify_and_unknown_names_survive() {
        assert_eq!(
            Op::parse("SecretGet"),
            Op::Object(ObjectKind::Secret, Verb::Get)
        );
        assert_eq!(
            Op::parse("KeyPurge"),
            Op::Object(ObjectKind::Key, Verb::Purge)
        );
        assert_eq!(
            Op::parse("CertificateGetIssuers"),
            Op::Object(ObjectKind::Certificate, Verb::Other)
        );
        assert_eq!(Op::parse("VaultPatch"), Op::VaultPatch);
        assert_eq!(Op::parse("BrandNewThing"), Op::Other);
        assert_eq!(Op::parse("BrandNewThing").object_kind(), ObjectKind::Other);
        assert!(Op::parse("SecretGet").is_data_read());
        assert!(!Op::parse("SecretSet").is_data_read());
    }
}
