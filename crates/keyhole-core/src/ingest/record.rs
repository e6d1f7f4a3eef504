//! The one typed, borrowing view of a record, whatever its dialect (raw diagnostic record,
//! AzureDiagnostics row typed or all-strings, AZKVAuditLogs row). Every shape deserialises into
//! [`Rec`]; [`super::normalize`] turns it into an [`crate::Event`].
//!
//! Scalars are [`Flex`]: a string, number, bool or null, borrowed from the input when it can be,
//! so `"200"`, `200` and `200.0` all read as a status, and `"True"`/`"None"` (az CLI) as a bool / null.
//! Nested objects are [`Nested`]: an object, or a string holding JSON text (dynamic columns in
//! CSV exports), or null.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A scalar of any JSON type.
#[derive(Debug, Default, Clone)]
pub enum Flex<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    I(i64),
    U(u64),
    F(f64),
    S(Cow<'a, str>),
    /// An object or array where a scalar was expected (ignored, but its presence is known).
    Other,
}

impl<'a> Flex<'a> {
    /// Text value; empty strings and the az CLI's `"None"` are absent.
    pub fn str(&self) -> Option<&str> {
        match self {
            Flex::S(s) => {
                let t = s.as_ref();
                if t.is_empty() || t == "None" {
                    None
                } else {
                    Some(t)
                }
            }
            _ => None,
        }
    }

    pub fn u64(&self) -> Option<u64> {
        match *self {
            Flex::U(v) => Some(v),
            Flex::I(v) if v >= 0 => Some(v as u64),
            Flex::F(v) if v >= 0.0 && v.is_finite() && v < 1.8e19 => Some(v.round() as u64),
            Flex::S(ref s) => {
                let t = s.trim();
                t.parse::<u64>().ok().or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|v| *v >= 0.0 && v.is_finite() && *v < 1.8e19)
                        .map(|v| v.round() as u64)
                })
            }
            _ => None,
        }
    }

    pub fn bool(&self) -> Option<bool> {
        match *self {
            Flex::Bool(b) => Some(b),
            Flex::I(v) => Some(v != 0),
            Flex::U(v) => Some(v != 0),
            Flex::S(ref s) => {
                let t = s.trim();
                if t.eq_ignore_ascii_case("true") || t == "1" {
                    Some(true)
                } else if t.eq_ignore_ascii_case("false") || t == "0" {
                    Some(false)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Present in the input at all (even as null or an object).
    pub fn present(&self) -> bool {
        !matches!(self, Flex::Absent)
    }
}

struct FlexVisitor;

impl<'de> Visitor<'de> for FlexVisitor {
    type Value = Flex<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Flex<'de>, E> {
        Ok(Flex::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Flex<'de>, E> {
        Ok(Flex::I(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Flex<'de>, E> {
        Ok(Flex::U(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Flex<'de>, E> {
        Ok(Flex::F(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Flex<'de>, E> {
        Ok(Flex::S(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Flex<'de>, E> {
        Ok(Flex::S(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Flex<'de>, E> {
        Ok(Flex::S(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Flex<'de>, E> {
        Ok(Flex::Null)
    }
    fn visit_none<E>(self) -> Result<Flex<'de>, E> {
        Ok(Flex::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Flex<'de>, D::Error> {
        d.deserialize_any(FlexVisitor)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Flex<'de>, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Flex::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Flex<'de>, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Flex::Other)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Flex<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlexVisitor)
    }
}

/// A nested object, given either as an object or as a string holding its JSON text
/// (dynamic columns in CSV / az CLI exports). Null, `"None"`, empty, or anything else → `None`.
#[derive(Debug)]
pub struct Nested<T>(pub Option<T>);

impl<T> Default for Nested<T> {
    fn default() -> Self {
        Nested(None)
    }
}

struct NestedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> NestedVisitor<T> {
    fn from_text<E: de::Error>(v: &str) -> Result<Nested<T>, E> {
        let t = v.trim();
        if !t.starts_with('{') {
            return Ok(Nested(None));
        }
        // IoRead never lends borrowed strings, so any lifetime works for the owned result.
        let mut de = serde_json::Deserializer::from_reader(t.as_bytes());
        match T::deserialize(&mut de) {
            Ok(v) => Ok(Nested(Some(v))),
            Err(_) => Ok(Nested(None)),
        }
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for NestedVisitor<T> {
    type Value = Nested<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or JSON text")
    }
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Nested<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(m)).map(|v| Nested(Some(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Nested<T>, E> {
        Self::from_text(v)
    }
    fn visit_unit<E>(self) -> Result<Nested<T>, E> {
        Ok(Nested(None))
    }
    fn visit_none<E>(self) -> Result<Nested<T>, E> {
        Ok(Nested(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Nested<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Nested<T>, E> {
        Ok(Nested(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Nested<T>, E> {
        Ok(Nested(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Nested<T>, E> {
        Ok(Nested(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Nested<T>, E> {
        Ok(Nested(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Nested<T>, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Nested(None))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NestedVisitor(PhantomData))
    }
}

/// A list of strings: a JSON array, a string holding a JSON array (`"[\"get\",\"list\"]"`, the
/// AzureDiagnostics flattening), or a comma-separated string.
#[derive(Debug, Default)]
pub struct List(pub Option<Vec<String>>);

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = List;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<List, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = s.next_element::<Flex>()? {
            if let Some(t) = v.str() {
                out.push(t.to_owned());
            }
        }
        Ok(List(Some(out)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<List, E> {
        let t = v.trim();
        if t.is_empty() || t == "None" {
            return Ok(List(None));
        }
        if t.starts_with('[') {
            return Ok(List(serde_json::from_str::<Vec<String>>(t).ok()));
        }
        Ok(List(Some(
            t.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        )))
    }
    fn visit_unit<E>(self) -> Result<List, E> {
        Ok(List(None))
    }
    fn visit_none<E>(self) -> Result<List, E> {
        Ok(List(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<List, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<List, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(List(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<List, E> {
        Ok(List(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<List, E> {
        Ok(List(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<List, E> {
        Ok(List(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<List, E> {
        Ok(List(None))
    }
}

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor)
    }
}

/// `identity` / `Identity`: `{"claim":{…}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ident<'a> {
    #[serde(borrow)]
    pub claim: Nested<Claim<'a>>,
}

/// Token claims, both dialects (short JWT names and the long URI names of ARM operations).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Claim<'a> {
    #[serde(borrow)]
    pub oid: Flex<'a>,
    #[serde(
        borrow,
        rename = "http://schemas.microsoft.com/identity/claims/objectidentifier"
    )]
    pub oid_long: Flex<'a>,
    #[serde(borrow)]
    pub upn: Flex<'a>,
    #[serde(borrow)]
    pub unique_name: Flex<'a>,
    #[serde(
        borrow,
        rename = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
    )]
    pub upn_long: Flex<'a>,
    #[serde(
        borrow,
        rename = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
    )]
    pub name_long: Flex<'a>,
    #[serde(borrow)]
    pub appid: Flex<'a>,
    #[serde(borrow)]
    pub azp: Flex<'a>,
    #[serde(borrow)]
    pub tid: Flex<'a>,
    #[serde(
        borrow,
        rename = "http://schemas.microsoft.com/identity/claims/tenantid"
    )]
    pub tid_long: Flex<'a>,
    #[serde(borrow)]
    pub iss: Flex<'a>,
    #[serde(borrow)]
    pub idtyp: Flex<'a>,
}

/// `properties` (raw) / `Properties` (AZKVAuditLogs dynamic column).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Props<'a> {
    #[serde(borrow)]
    pub id: Flex<'a>,
    #[serde(borrow, rename = "clientInfo")]
    pub client_info: Flex<'a>,
    #[serde(borrow, rename = "httpStatusCode")]
    pub http_status_code: Flex<'a>,
    #[serde(borrow, rename = "requestUri")]
    pub request_uri: Flex<'a>,
    #[serde(borrow, rename = "isAccessPolicyMatch")]
    pub is_access_policy_match: Flex<'a>,
    #[serde(borrow, rename = "isRbacAuthorized")]
    pub is_rbac_authorized: Flex<'a>,
    #[serde(borrow, rename = "appliedAssignmentId")]
    pub applied_assignment_id: Flex<'a>,
    #[serde(borrow, rename = "tlsVersion")]
    pub tls_version: Flex<'a>,
    #[serde(borrow)]
    pub properties: Nested<VaultProps<'a>>,
    #[serde(rename = "addedAccessPolicy", alias = "AddedAccessPolicy")]
    pub added_access_policy: Nested<Policy>,
    #[serde(rename = "removedAccessPolicy", alias = "RemovedAccessPolicy")]
    pub removed_access_policy: Nested<Policy>,
    #[serde(borrow, rename = "addedIpRule", alias = "AddedIpRule")]
    pub added_ip_rule: Nested<IpRule<'a>>,
    #[serde(borrow, rename = "removedIpRule", alias = "RemovedIpRule")]
    pub removed_ip_rule: Nested<IpRule<'a>>,
}

/// `properties.properties`: the vault's configuration on VaultGet/Put/Patch.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VaultProps<'a> {
    #[serde(borrow)]
    pub sku: Nested<Sku<'a>>,
    #[serde(borrow, rename = "tenantId")]
    pub tenant_id: Flex<'a>,
    #[serde(borrow, rename = "networkAcls")]
    pub network_acls: Nested<Acls<'a>>,
    #[serde(borrow, rename = "enabledForDeployment")]
    pub enabled_for_deployment: Flex<'a>,
    #[serde(borrow, rename = "enabledForDiskEncryption")]
    pub enabled_for_disk_encryption: Flex<'a>,
    #[serde(borrow, rename = "enabledForTemplateDeployment")]
    pub enabled_for_template_deployment: Flex<'a>,
    #[serde(borrow, rename = "enableSoftDelete")]
    pub enable_soft_delete: Flex<'a>,
    #[serde(borrow, rename = "softDeleteRetentionInDays")]
    pub soft_delete_retention_in_days: Flex<'a>,
    #[serde(borrow, rename = "enableRbacAuthorization")]
    pub enable_rbac_authorization: Flex<'a>,
    #[serde(borrow, rename = "enablePurgeProtection")]
    pub enable_purge_protection: Flex<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Sku<'a> {
    #[serde(borrow, alias = "Family")]
    pub family: Flex<'a>,
    #[serde(borrow, alias = "Name")]
    pub name: Flex<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Acls<'a> {
    #[serde(borrow, rename = "defaultAction", alias = "DefaultAction")]
    pub default_action: Flex<'a>,
    #[serde(borrow, alias = "Bypass")]
    pub bypass: Flex<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Policy {
    #[serde(rename = "ObjectId", alias = "objectId")]
    pub object_id: Option<String>,
    #[serde(rename = "TenantId", alias = "tenantId")]
    pub tenant_id: Option<String>,
    #[serde(rename = "Permissions", alias = "permissions")]
    pub permissions: Nested<Permissions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Permissions {
    pub keys: List,
    pub secrets: List,
    pub certificates: List,
    pub storage: List,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IpRule<'a> {
    #[serde(borrow, rename = "Value", alias = "value")]
    pub value: Flex<'a>,
}

/// One record of any dialect. Unknown fields are skipped without being materialised.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Rec<'a> {
    // ---- raw diagnostic record ----
    #[serde(borrow)]
    pub time: Flex<'a>,
    #[serde(borrow, rename = "operationName")]
    pub operation_name: Flex<'a>,
    #[serde(borrow, rename = "resourceId")]
    pub resource_id: Flex<'a>,
    #[serde(borrow)]
    pub category: Flex<'a>,
    #[serde(borrow, rename = "operationVersion")]
    pub operation_version: Flex<'a>,
    #[serde(borrow, rename = "resultType")]
    pub result_type: Flex<'a>,
    #[serde(borrow, rename = "resultSignature")]
    pub result_signature: Flex<'a>,
    #[serde(borrow, rename = "resultDescription")]
    pub result_description: Flex<'a>,
    #[serde(borrow, rename = "durationMs")]
    pub duration_ms: Flex<'a>,
    #[serde(borrow, rename = "callerIpAddress")]
    pub caller_ip_address: Flex<'a>,
    #[serde(borrow, rename = "correlationId")]
    pub correlation_id: Flex<'a>,
    #[serde(borrow, alias = "Identity")]
    pub identity: Nested<Ident<'a>>,
    #[serde(borrow, alias = "Properties")]
    pub properties: Nested<Props<'a>>,
    /// Envelope keys: present when a line is itself `{"records":[…]}` / `{"value":[…]}` / tables.
    pub records: Flex<'a>,
    pub value: Flex<'a>,
    pub tables: Flex<'a>,

    // ---- AzureDiagnostics / AZKVAuditLogs common columns ----
    #[serde(borrow, rename = "TimeGenerated")]
    pub time_generated: Flex<'a>,
    #[serde(borrow, rename = "OperationName")]
    pub operation_name_col: Flex<'a>,
    #[serde(borrow, rename = "OperationVersion")]
    pub operation_version_col: Flex<'a>,
    #[serde(borrow, rename = "Category")]
    pub category_col: Flex<'a>,
    #[serde(borrow, rename = "ResultType")]
    pub result_type_col: Flex<'a>,
    #[serde(borrow, rename = "ResultSignature")]
    pub result_signature_col: Flex<'a>,
    #[serde(borrow, rename = "ResultDescription")]
    pub result_description_col: Flex<'a>,
    #[serde(borrow, rename = "DurationMs")]
    pub duration_ms_col: Flex<'a>,
    #[serde(borrow, rename = "CallerIPAddress", alias = "CallerIpAddress")]
    pub caller_ip_col: Flex<'a>,
    #[serde(borrow, rename = "CorrelationId")]
    pub correlation_id_col: Flex<'a>,
    #[serde(borrow, rename = "ResourceId")]
    pub resource_id_col: Flex<'a>,
    #[serde(borrow, rename = "_ResourceId")]
    pub resource_id_lower: Flex<'a>,
    #[serde(borrow, rename = "Resource")]
    pub resource: Flex<'a>,
    #[serde(borrow, rename = "ResourceGroup")]
    pub resource_group: Flex<'a>,
    #[serde(borrow, rename = "SubscriptionId", alias = "_SubscriptionId")]
    pub subscription_id: Flex<'a>,
    #[serde(borrow, rename = "ResourceProvider")]
    pub resource_provider: Flex<'a>,
    #[serde(borrow, rename = "Type")]
    pub table_type: Flex<'a>,

    // ---- AzureDiagnostics flattened columns ----
    #[serde(borrow, alias = "Id")]
    pub id_s: Flex<'a>,
    #[serde(borrow, rename = "requestUri_s", alias = "RequestUri")]
    pub request_uri_s: Flex<'a>,
    #[serde(borrow, rename = "clientInfo_s", alias = "ClientInfo")]
    pub client_info_s: Flex<'a>,
    #[serde(borrow, rename = "httpStatusCode_d", alias = "HttpStatusCode")]
    pub http_status_code_d: Flex<'a>,
    #[serde(
        borrow,
        rename = "isAccessPolicyMatch_b",
        alias = "IsAccessPolicyMatch"
    )]
    pub is_access_policy_match_b: Flex<'a>,
    #[serde(borrow, rename = "isRbacAuthorized_b", alias = "IsRbacAuthorized")]
    pub is_rbac_authorized_b: Flex<'a>,
    #[serde(
        borrow,
        rename = "appliedAssignmentId_g",
        alias = "AppliedAssignmentId"
    )]
    pub applied_assignment_id_g: Flex<'a>,
    #[serde(
        borrow,
        rename = "tlsVersion_s",
        alias = "Tlsversion",
        alias = "TlsVersion"
    )]
    pub tls_version_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_oid_g: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_upn_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_unique_name_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_appid_g: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_azp_g: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_tid_g: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_iss_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_idtyp_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s: Flex<'a>,
    #[serde(borrow)]
    pub identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g: Flex<'a>,
    /// az CLI exports sometimes carry the caller as one `identity_claim` string column.
    #[serde(borrow)]
    pub identity_claim: Flex<'a>,
    #[serde(borrow, rename = "properties_sku_Family_s")]
    pub properties_sku_family_s: Flex<'a>,
    #[serde(borrow, rename = "properties_sku_Name_s")]
    pub properties_sku_name_s: Flex<'a>,
    #[serde(borrow, rename = "properties_tenantId_g")]
    pub properties_tenant_id_g: Flex<'a>,
    #[serde(borrow, rename = "properties_networkAcls_bypass_s")]
    pub properties_network_acls_bypass_s: Flex<'a>,
    #[serde(borrow, rename = "properties_networkAcls_defaultAction_s")]
    pub properties_network_acls_default_action_s: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_enabledForDeployment_b",
        alias = "EnabledForDeployment"
    )]
    pub properties_enabled_for_deployment_b: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_enabledForDiskEncryption_b",
        alias = "EnabledForDiskEncryption"
    )]
    pub properties_enabled_for_disk_encryption_b: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_enabledForTemplateDeployment_b",
        alias = "EnabledForTemplateDeployment"
    )]
    pub properties_enabled_for_template_deployment_b: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_enableSoftDelete_b",
        alias = "EnableSoftDelete"
    )]
    pub properties_enable_soft_delete_b: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_softDeleteRetentionInDays_d",
        alias = "SoftDeleteRetentionInDays"
    )]
    pub properties_soft_delete_retention_in_days_d: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_enableRbacAuthorization_b",
        alias = "EnableRbacAuthorization"
    )]
    pub properties_enable_rbac_authorization_b: Flex<'a>,
    #[serde(
        borrow,
        rename = "properties_enablePurgeProtection_b",
        alias = "EnablePurgeProtection"
    )]
    pub properties_enable_purge_protection_b: Flex<'a>,
    /// AZKVAuditLogs `NetworkAcls` dynamic column.
    #[serde(borrow, rename = "NetworkAcls")]
    pub network_acls_col: Nested<Acls<'a>>,
    /// AZKVAuditLogs `Sku` dynamic column.
    #[serde(borrow, rename = "Sku")]
    pub sku_col: Nested<Sku<'a>>,
    #[serde(rename = "addedAccessPolicy_ObjectId_g")]
    pub added_policy_object_id: Flex<'a>,
    #[serde(rename = "addedAccessPolicy_TenantId_g")]
    pub added_policy_tenant_id: Flex<'a>,
    #[serde(rename = "addedAccessPolicy_Permissions_keys_s")]
    pub added_policy_keys: List,
    #[serde(rename = "addedAccessPolicy_Permissions_secrets_s")]
    pub added_policy_secrets: List,
    #[serde(rename = "addedAccessPolicy_Permissions_certificates_s")]
    pub added_policy_certificates: List,
    #[serde(rename = "addedAccessPolicy_Permissions_storage_s")]
    pub added_policy_storage: List,
    #[serde(rename = "removedAccessPolicy_ObjectId_g")]
    pub removed_policy_object_id: Flex<'a>,
    #[serde(rename = "removedAccessPolicy_TenantId_g")]
    pub removed_policy_tenant_id: Flex<'a>,
    #[serde(rename = "removedAccessPolicy_Permissions_keys_s")]
    pub removed_policy_keys: List,
    #[serde(rename = "removedAccessPolicy_Permissions_secrets_s")]
    pub removed_policy_secrets: List,
    #[serde(rename = "removedAccessPolicy_Permissions_certificates_s")]
    pub removed_policy_certificates: List,
    #[serde(rename = "removedAccessPolicy_Permissions_storage_s")]
    pub removed_policy_storage: List,
    #[serde(borrow, rename = "addedIpRule_Value_s")]
    pub added_ip_rule_s: Flex<'a>,
    #[serde(borrow, rename = "removedIpRule_Value_s")]
    pub removed_ip_rule_s: Flex<'a>,
}

/// A column of a Log Analytics REST table (`{"name":…,"type":…}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Column {
    pub name: String,
}
