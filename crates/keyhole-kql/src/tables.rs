//! The Log Analytics tables over normalised events: `AzureDiagnostics` (flattened Key Vault
//! columns, per `schemas/AzureDiagnostics_KeyVault_columns.tsv`) and `AZKVAuditLogs` (the
//! resource-specific table, per `schemas/AZKVAuditLogs.columns.tsv`).
//!
//! Each column is a plain function of one event of the core's columnar store (its row view
//! [`EventRef`]), so the executor builds only the columns a query reads, row by row, without
//! materialising the table. Texts come from the store's dictionaries (one shared `Arc<str>`
//! per distinct value); a column derived from a dictionary entry (the ARM resource ids, the
//! upper-case vault and group, the request URI and object id rebuilt from their templates) is
//! computed once per dictionary id of a query's store ([`By`]), not once per row.
//!
//! Absent values follow Log Analytics: an empty string for a missing string (and guid) column,
//! null for missing numbers, bools and datetimes. `isnotempty()` in the hunting queries relies on it.
//!
//! Identity claims: the store keeps the resolved identity only, so the two claim dialects are
//! rebuilt the way they land in Log Analytics: vault (ARM) operations (`Vault*`) fill the long
//! URI-claim columns (`…objectidentifier_g`, `…claims_upn_s`, `…claims_name_s`), data-plane
//! operations the short ones (`identity_claim_oid_g`, `_upn_s`, `_unique_name_s`, `_idtyp_s`).
//! `identity_claim_appid_g` is filled for both (both dialects carry `appid`).

use crate::value::{Type, Value};
use keyhole_core::event::{AccessPolicyChange, IdentityKind, ObjectKind, Str};
use keyhole_core::store::{EventRef, EventStore, Resource};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Which dictionary id a column's value depends on alone (the store computes it once per id).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum By {
    /// Read per row.
    Row,
    /// The resource entry (vault, subscription, resource group).
    Resource,
    /// The object entry (kind, name, version, URL templates).
    Object,
}

/// A column of a source table: name, type and how to read it from an event.
pub(crate) struct SourceColumn {
    pub name: &'static str,
    pub ty: Type,
    pub get: fn(EventRef<'_>) -> Value,
    pub by: By,
}

const fn col(name: &'static str, ty: Type, get: fn(EventRef<'_>) -> Value) -> SourceColumn {
    SourceColumn {
        name,
        ty,
        get,
        by: By::Row,
    }
}

/// A column whose value depends on the event's resource entry only.
const fn col_res(name: &'static str, ty: Type, get: fn(EventRef<'_>) -> Value) -> SourceColumn {
    SourceColumn {
        name,
        ty,
        get,
        by: By::Resource,
    }
}

/// A column whose value depends on the event's object entry only.
const fn col_obj(name: &'static str, ty: Type, get: fn(EventRef<'_>) -> Value) -> SourceColumn {
    SourceColumn {
        name,
        ty,
        get,
        by: By::Object,
    }
}

fn s(v: &Option<Str>) -> Value {
    match v {
        Some(x) => Value::String(x.clone()),
        None => Value::String(empty()),
    }
}

fn sc(v: Option<Cow<'_, str>>) -> Value {
    match v {
        Some(x) => Value::String(Arc::from(&*x)),
        None => Value::String(empty()),
    }
}

fn st(v: &str) -> Value {
    Value::String(Arc::from(v))
}

/// A constant string column value, allocated once.
macro_rules! konst {
    ($s:expr) => {{
        static C: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
        Value::String(C.get_or_init(|| Arc::from($s)).clone())
    }};
}

fn empty() -> Arc<str> {
    static EMPTY: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::from("")).clone()
}

fn b(v: Option<bool>) -> Value {
    v.map(Value::Bool).unwrap_or(Value::Null)
}

fn is_arm(e: EventRef<'_>) -> bool {
    e.object_kind() == ObjectKind::Vault || e.operation().starts_with("Vault")
}

fn upper(v: &Option<Str>) -> Value {
    match v {
        Some(x) => st(&x.to_ascii_uppercase()),
        None => Value::String(empty()),
    }
}

fn rid(e: EventRef<'_>, lower: bool) -> Value {
    let id = resource_id(e.resource());
    st(&if lower { id.to_ascii_lowercase() } else { id })
}

/// `/SUBSCRIPTIONS/<SUB>/RESOURCEGROUPS/<RG>/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/<NAME>`.
pub(crate) fn resource_id(r: &Resource) -> String {
    format!(
        "/SUBSCRIPTIONS/{}/RESOURCEGROUPS/{}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/{}",
        r.subscription.as_deref().unwrap_or("").to_ascii_uppercase(),
        r.resource_group
            .as_deref()
            .unwrap_or("")
            .to_ascii_uppercase(),
        r.vault.to_ascii_uppercase()
    )
}

fn perms(p: Option<&AccessPolicyChange>, pick: fn(&AccessPolicyChange) -> &Vec<Str>) -> Value {
    match p {
        Some(p) => {
            let arr: Vec<&str> = pick(p).iter().map(|s| &**s).collect();
            st(&serde_json::to_string(&arr).unwrap_or_default())
        }
        None => Value::String(empty()),
    }
}

fn policy_field(
    p: Option<&AccessPolicyChange>,
    pick: fn(&AccessPolicyChange) -> &Option<Str>,
) -> Value {
    match p {
        Some(p) => s(pick(p)),
        None => Value::String(empty()),
    }
}

fn cfg<T>(e: EventRef<'_>, pick: fn(&keyhole_core::event::VaultConfig) -> Option<T>) -> Option<T> {
    e.vault_config().and_then(pick)
}

fn cfg_s(e: EventRef<'_>, pick: fn(&keyhole_core::event::VaultConfig) -> &Option<Str>) -> Value {
    match e.vault_config().as_ref() {
        Some(c) => s(pick(c)),
        None => Value::String(empty()),
    }
}

fn missing_s(_: EventRef<'_>) -> Value {
    Value::String(empty())
}

fn missing(_: EventRef<'_>) -> Value {
    Value::Null
}

fn kind_text(k: Option<IdentityKind>) -> &'static str {
    match k {
        Some(IdentityKind::User) => "user",
        Some(IdentityKind::App) => "app",
        None => "",
    }
}

use Type::{Bool as B, DateTime as D, Dynamic as Y, Guid as G, Long as L, Real as R, String as S};

/// `AzureDiagnostics`, Key Vault columns, in the schema file's order.
pub(crate) static AZURE_DIAGNOSTICS: &[SourceColumn] = &[
    col("TimeGenerated", D, |e| Value::DateTime(e.time())),
    col("TenantId", S, missing_s),
    col_res("ResourceId", S, |e| rid(e, false)),
    col_res("_ResourceId", S, |e| rid(e, true)),
    col("SubscriptionId", S, |e| s(e.subscription())),
    col_res("ResourceGroup", S, |e| upper(e.resource_group())),
    col_res("Resource", S, |e| st(&e.vault().to_ascii_uppercase())),
    col("ResourceProvider", S, |_| konst!("MICROSOFT.KEYVAULT")),
    col("ResourceType", S, |_| konst!("VAULTS")),
    col("Category", S, |e| match &e.category() {
        Some(c) => Value::String(c.clone()),
        None => konst!("AuditEvent"),
    }),
    col("OperationName", S, |e| Value::String(e.operation().clone())),
    col("OperationVersion", S, |e| s(e.operation_version())),
    col("ResultType", S, |e| s(e.result_type())),
    col("ResultSignature", S, |e| s(e.result_signature())),
    col("ResultDescription", S, |e| s(e.result_description())),
    col("DurationMs", L, |e| {
        e.duration_ms()
            .map(|d| Value::Long(d.min(i64::MAX as u64) as i64))
            .unwrap_or(Value::Null)
    }),
    col("CallerIPAddress", S, |e| s(e.caller_ip())),
    col("CorrelationId", S, |e| sc(e.correlation_id())),
    col("SourceSystem", S, |_| konst!("Azure")),
    col("Type", S, |_| konst!("AzureDiagnostics")),
    col_obj("id_s", S, |e| sc(e.object_id())),
    col_obj("requestUri_s", S, |e| sc(e.request_uri())),
    col("clientInfo_s", S, |e| s(e.client_info())),
    col("httpStatusCode_d", R, |e| {
        e.status()
            .map(|v| Value::Real(v as f64))
            .unwrap_or(Value::Null)
    }),
    col("isAccessPolicyMatch_b", B, |e| {
        b(e.authorization().access_policy_match)
    }),
    col("isRbacAuthorized_b", B, |e| {
        b(e.authorization().rbac_authorized)
    }),
    col("appliedAssignmentId_g", G, |e| {
        s(&e.authorization().assignment_id)
    }),
    col("tlsVersion_s", S, |e| s(e.tls_version())),
    col("subnetId_s", S, missing_s),
    col("privateEndpointId_s", S, missing_s),
    col("addrAuthType_s", S, missing_s),
    col("isAddressAuthorized_b", B, missing),
    col("trustedService_s", S, missing_s),
    col("identity_claim_appid_g", G, |e| s(&e.identity().app_id)),
    col("identity_claim_oid_g", G, |e| {
        if is_arm(e) {
            Value::String(empty())
        } else {
            s(&e.identity().object_id)
        }
    }),
    col("identity_claim_upn_s", S, |e| {
        if is_arm(e) {
            Value::String(empty())
        } else {
            s(&e.identity().upn)
        }
    }),
    col("identity_claim_unique_name_s", S, |e| {
        if is_arm(e) {
            Value::String(empty())
        } else {
            s(&e.identity().upn)
        }
    }),
    col("identity_claim_scp_s", S, missing_s),
    col("identity_claim_ipaddr_s", S, missing_s),
    col("identity_claim_amr_s", S, missing_s),
    col("identity_claim_appidacr_s", S, missing_s),
    col("identity_claim_idtyp_s", S, |e| {
        if is_arm(e) {
            Value::String(empty())
        } else {
            st(kind_text(e.identity().kind))
        }
    }),
    col("identity_claim_xms_az_nwperimid_s", S, missing_s),
    col("identity_claim_xms_mirid_s", S, missing_s),
    col("identity_claim_home_oid_g", G, missing_s),
    col(
        "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
        G,
        |e| {
            if is_arm(e) {
                s(&e.identity().object_id)
            } else {
                Value::String(empty())
            }
        },
    ),
    col(
        "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s",
        S,
        |e| {
            if is_arm(e) {
                s(&e.identity().upn)
            } else {
                Value::String(empty())
            }
        },
    ),
    col(
        "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s",
        S,
        |e| {
            if is_arm(e) {
                s(&e.identity().upn)
            } else {
                Value::String(empty())
            }
        },
    ),
    col(
        "identity_claim_http_schemas_microsoft_com_identity_claims_scope_s",
        S,
        missing_s,
    ),
    col(
        "identity_claim_http_schemas_microsoft_com_claims_authnmethodsreferences_s",
        S,
        missing_s,
    ),
    col("properties_sku_Family_s", S, missing_s),
    col("properties_sku_Name_s", S, |e| cfg_s(e, |c| &c.sku)),
    col("properties_tenantId_g", G, |e| cfg_s(e, |c| &c.tenant_id)),
    col("properties_networkAcls_bypass_s", S, |e| {
        cfg_s(e, |c| &c.network_bypass)
    }),
    col("properties_networkAcls_defaultAction_s", S, |e| {
        cfg_s(e, |c| &c.network_default_action)
    }),
    col("properties_enabledForDeployment_b", B, |e| {
        b(cfg(e, |c| c.enabled_for_deployment))
    }),
    col("properties_enabledForDiskEncryption_b", B, |e| {
        b(cfg(e, |c| c.enabled_for_disk_encryption))
    }),
    col("properties_enabledForTemplateDeployment_b", B, |e| {
        b(cfg(e, |c| c.enabled_for_template_deployment))
    }),
    col("properties_enableSoftDelete_b", B, |e| {
        b(cfg(e, |c| c.soft_delete))
    }),
    col("properties_softDeleteRetentionInDays_d", R, |e| {
        cfg(e, |c| c.soft_delete_retention_days)
            .map(|d| Value::Real(d as f64))
            .unwrap_or(Value::Null)
    }),
    col("properties_enableRbacAuthorization_b", B, |e| {
        b(cfg(e, |c| c.rbac_authorization))
    }),
    col("properties_enablePurgeProtection_b", B, |e| {
        b(cfg(e, |c| c.purge_protection))
    }),
    col("addedAccessPolicy_TenantId_g", G, |e| {
        policy_field(e.policy_added(), |p| &p.tenant_id)
    }),
    col("addedAccessPolicy_ObjectId_g", G, |e| {
        policy_field(e.policy_added(), |p| &p.object_id)
    }),
    col("addedAccessPolicy_Permissions_keys_s", S, |e| {
        perms(e.policy_added(), |p| &p.keys)
    }),
    col("addedAccessPolicy_Permissions_secrets_s", S, |e| {
        perms(e.policy_added(), |p| &p.secrets)
    }),
    col("addedAccessPolicy_Permissions_certificates_s", S, |e| {
        perms(e.policy_added(), |p| &p.certificates)
    }),
    col("removedAccessPolicy_ObjectId_g", G, |e| {
        policy_field(e.policy_removed(), |p| &p.object_id)
    }),
    col("removedAccessPolicy_Permissions_keys_s", S, |e| {
        perms(e.policy_removed(), |p| &p.keys)
    }),
    col("removedAccessPolicy_Permissions_secrets_s", S, |e| {
        perms(e.policy_removed(), |p| &p.secrets)
    }),
    col("removedAccessPolicy_Permissions_certificates_s", S, |e| {
        perms(e.policy_removed(), |p| &p.certificates)
    }),
    col("addedIpRule_Value_s", S, |e| s(e.ip_rule_added())),
    col("removedIpRule_Value_s", S, |e| s(e.ip_rule_removed())),
    col("secretProperties_attributes_enabled_b", B, missing),
    col("secretProperties_type_s", S, missing_s),
    col("keyProperties_type_s", S, missing_s),
    col("keyProperties_size_d", R, missing),
    col("keyProperties_operations_s", S, missing_s),
    col("keyProperties_attributes_enabled_b", B, missing),
    col("keyProperties_attributes_hsmPlatform_s", S, missing_s),
    col("certificateProperties_subject_s", S, missing_s),
    col("certificateProperties_sha1_s", S, missing_s),
    col("certificateProperties_sha256_s", S, missing_s),
    col("certificateProperties_nbf_t", D, missing),
    col("certificateProperties_exp_t", D, missing),
    col(
        "certificatePolicyProperties_keyProperties_type_s",
        S,
        missing_s,
    ),
    col(
        "certificatePolicyProperties_keyProperties_size_d",
        R,
        missing,
    ),
    col(
        "certificatePolicyProperties_keyProperties_reuse_b",
        B,
        missing,
    ),
    col(
        "certificatePolicyProperties_keyProperties_export_b",
        B,
        missing,
    ),
    col(
        "certificatePolicyProperties_secretProperties_type_s",
        S,
        missing_s,
    ),
    col(
        "certificatePolicyProperties_certificateIssuerProperties_name_s",
        S,
        missing_s,
    ),
    col("properties_s", S, missing_s),
    col("Region_s", S, missing_s),
    col("Level", S, missing_s),
    col("AdditionalFields", Y, missing),
    // Log Analytics' record id, assigned at ingestion: not in exported logs.
    col("_ItemId", S, missing_s),
];

fn obj(pairs: Vec<(&str, serde_json::Value)>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        if !v.is_null() {
            m.insert(k.to_string(), v);
        }
    }
    serde_json::Value::Object(m)
}

fn js(v: &Option<Str>) -> serde_json::Value {
    v.as_ref()
        .map(|s| serde_json::Value::String(s.to_string()))
        .unwrap_or(serde_json::Value::Null)
}

fn identity_dynamic(e: EventRef<'_>) -> Value {
    let i = &e.identity();
    let claim = if is_arm(e) {
        obj(vec![
            (
                "http://schemas.microsoft.com/identity/claims/objectidentifier",
                js(&i.object_id),
            ),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                js(&i.upn),
            ),
            ("appid", js(&i.app_id)),
            (
                "http://schemas.microsoft.com/identity/claims/tenantid",
                js(&i.tenant_id),
            ),
        ])
    } else {
        obj(vec![
            ("oid", js(&i.object_id)),
            ("upn", js(&i.upn)),
            ("appid", js(&i.app_id)),
            ("tid", js(&i.tenant_id)),
            (
                "idtyp",
                match i.kind {
                    Some(k) => serde_json::Value::String(kind_text(Some(k)).into()),
                    None => serde_json::Value::Null,
                },
            ),
        ])
    };
    if claim.as_object().is_some_and(|m| m.is_empty()) {
        return Value::dynamic(serde_json::json!({}));
    }
    Value::dynamic(serde_json::json!({ "claim": claim }))
}

fn policy_json(p: &AccessPolicyChange) -> serde_json::Value {
    let list = |v: &Vec<Str>| {
        serde_json::Value::Array(
            v.iter()
                .map(|s| serde_json::Value::String(s.to_string()))
                .collect(),
        )
    };
    serde_json::json!({
        "ObjectId": js(&p.object_id),
        "TenantId": js(&p.tenant_id),
        "Permissions": { "keys": list(&p.keys), "secrets": list(&p.secrets), "certificates": list(&p.certificates), "storage": list(&p.storage) },
    })
}

fn properties_dynamic(e: EventRef<'_>) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(p) = &e.policy_added() {
        m.insert("addedAccessPolicy".into(), policy_json(p));
    }
    if let Some(p) = &e.policy_removed() {
        m.insert("removedAccessPolicy".into(), policy_json(p));
    }
    if let Some(r) = &e.ip_rule_added() {
        m.insert(
            "addedIpRule".into(),
            serde_json::json!({ "Value": r.to_string() }),
        );
    }
    if let Some(r) = &e.ip_rule_removed() {
        m.insert(
            "removedIpRule".into(),
            serde_json::json!({ "Value": r.to_string() }),
        );
    }
    if m.is_empty() {
        Value::Null
    } else {
        Value::dynamic(serde_json::Value::Object(m))
    }
}

fn network_acls(e: EventRef<'_>) -> Value {
    match &e.vault_config() {
        Some(c) if c.network_default_action.is_some() || c.network_bypass.is_some() => {
            Value::dynamic(obj(vec![
                ("defaultAction", js(&c.network_default_action)),
                ("bypass", js(&c.network_bypass)),
            ]))
        }
        _ => Value::Null,
    }
}

/// `AZKVAuditLogs` (resource-specific table), in the schema file's order.
pub(crate) static AZKV_AUDIT_LOGS: &[SourceColumn] = &[
    col("AddressAuthorizationType", S, missing_s),
    col("Algorithm", S, missing_s),
    col("AppliedAssignmentId", S, |e| {
        s(&e.authorization().assignment_id)
    }),
    col("CallerIpAddress", S, |e| s(e.caller_ip())),
    col("CertificateIssuerProperties", Y, missing),
    col("CertificatePolicyProperties", Y, missing),
    col("CertificateProperties", Y, missing),
    col("CertificateRequestProperties", Y, missing),
    col("ClientInfo", S, |e| s(e.client_info())),
    col("CorrelationId", S, |e| sc(e.correlation_id())),
    col("DurationMs", Type::Int, |e| {
        e.duration_ms()
            .map(|d| Value::Long(d.min(i64::MAX as u64) as i64))
            .unwrap_or(Value::Null)
    }),
    col("EnabledForDeployment", B, |e| {
        b(cfg(e, |c| c.enabled_for_deployment))
    }),
    col("EnabledForDiskEncryption", B, |e| {
        b(cfg(e, |c| c.enabled_for_disk_encryption))
    }),
    col("EnabledForTemplateDeployment", B, |e| {
        b(cfg(e, |c| c.enabled_for_template_deployment))
    }),
    col("EnablePurgeProtection", B, |e| {
        b(cfg(e, |c| c.purge_protection))
    }),
    col("EnableRbacAuthorization", B, |e| {
        b(cfg(e, |c| c.rbac_authorization))
    }),
    col("EnableSoftDelete", B, |e| b(cfg(e, |c| c.soft_delete))),
    col("HsmPoolResourceId", S, missing_s),
    col("HttpStatusCode", Type::Int, |e| {
        e.status()
            .map(|v| Value::Long(v as i64))
            .unwrap_or(Value::Null)
    }),
    col_obj("Id", S, |e| sc(e.object_id())),
    col("Identity", Y, identity_dynamic),
    col("IsAccessPolicyMatch", B, |e| {
        b(e.authorization().access_policy_match)
    }),
    col("IsAddressAuthorized", B, missing),
    col("IsRbacAuthorized", B, |e| {
        b(e.authorization().rbac_authorized)
    }),
    col("KeyProperties", Y, missing),
    col("NetworkAcls", Y, network_acls),
    col("Nsp", Y, missing),
    col("OperationName", S, |e| Value::String(e.operation().clone())),
    col("OperationVersion", S, |e| s(e.operation_version())),
    col("Properties", Y, properties_dynamic),
    col_obj("RequestUri", S, |e| sc(e.request_uri())),
    col_res("_ResourceId", S, |e| rid(e, true)),
    col("ResultDescription", S, |e| s(e.result_description())),
    col("ResultSignature", S, |e| s(e.result_signature())),
    col("ResultType", S, |e| s(e.result_type())),
    col("SecretProperties", Y, missing),
    col("Sku", Y, |e| match cfg(e, |c| c.sku.clone()) {
        Some(sku) => Value::dynamic(serde_json::json!({ "Name": sku.to_string() })),
        None => Value::Null,
    }),
    col("SoftDeleteRetentionInDays", Type::Int, |e| {
        cfg(e, |c| c.soft_delete_retention_days)
            .map(|d| Value::Long(d as i64))
            .unwrap_or(Value::Null)
    }),
    col("SourceSystem", S, |_| konst!("Azure")),
    col("StorageAccountProperties", Y, missing),
    col("StorageSasDefinitionProperties", Y, missing),
    col("SubnetId", S, missing_s),
    col("_SubscriptionId", S, |e| s(e.subscription())),
    col("TenantId", S, missing_s),
    col("TimeGenerated", D, |e| Value::DateTime(e.time())),
    col("Tlsversion", S, |e| s(e.tls_version())),
    col("TrustedService", S, missing_s),
    col("Type", S, |_| konst!("AZKVAuditLogs")),
    col("VaultProperties", Y, missing),
    col("_BilledSize", R, missing),
    col("_IsBillable", S, missing_s),
    col("_ItemId", S, missing_s),
];

/// Values of the [`By::Resource`] / [`By::Object`] columns already computed, by (column, id),
/// for one store: owned by whoever runs queries over it (a replay shares it between ticks).
#[derive(Default)]
pub(crate) struct Memo(RefCell<HashMap<(usize, u32), Value>>);

/// Most memoised values kept (a drop with millions of distinct objects starts over).
const MEMO_CAP: usize = 1 << 20;

/// The events a query reads, seen as rows of the source tables: a time-ordered window
/// (`lo..hi`) of the core's [`EventStore`]. Every read of an event field happens in this file:
/// operators hold a column of [`AZURE_DIAGNOSTICS`] or [`AZKV_AUDIT_LOGS`] and a row number
/// (counted from the window's start), and ask the source for the value.
#[derive(Clone, Copy)]
pub(crate) struct Store<'a> {
    events: &'a EventStore,
    lo: usize,
    hi: usize,
    memo: Option<&'a Memo>,
}

impl<'a> Store<'a> {
    /// Every event of `events`.
    pub fn new(events: &'a EventStore, memo: &'a Memo) -> Store<'a> {
        Store::window(events, 0..events.len(), memo)
    }

    /// The events of rows `rows` of `events`.
    pub fn window(
        events: &'a EventStore,
        rows: std::ops::Range<usize>,
        memo: &'a Memo,
    ) -> Store<'a> {
        Store {
            events,
            lo: rows.start,
            hi: rows.end.max(rows.start),
            memo: Some(memo),
        }
    }

    /// No events (constant expressions).
    pub fn empty() -> Store<'static> {
        static EMPTY: std::sync::OnceLock<EventStore> = std::sync::OnceLock::new();
        Store {
            events: EMPTY.get_or_init(EventStore::default),
            lo: 0,
            hi: 0,
            memo: None,
        }
    }

    /// Rows in every source table (one an event).
    pub fn len(&self) -> usize {
        self.hi - self.lo
    }

    /// One cell.
    #[inline]
    pub fn read(&self, col: &SourceColumn, row: u32) -> Value {
        let e = self.events.row(self.lo + row as usize);
        let id = match col.by {
            By::Row => return (col.get)(e),
            By::Resource => e.vault_id(),
            By::Object => e.object_ref_id(),
        };
        let Some(memo) = self.memo else {
            return (col.get)(e);
        };
        let key = (col as *const SourceColumn as usize, id);
        if let Some(v) = memo.0.borrow().get(&key) {
            return v.clone();
        }
        let v = (col.get)(e);
        let mut m = memo.0.borrow_mut();
        if m.len() >= MEMO_CAP {
            m.clear();
        }
        m.insert(key, v.clone());
        v
    }

    fn times(&self) -> &'a [i64] {
        &self.events.times()[self.lo..self.hi]
    }

    /// The latest event time (microseconds), the default for `now()`.
    pub fn latest_time(&self) -> Option<i64> {
        self.times().iter().copied().max()
    }

    /// The first and last event times (microseconds).
    pub fn time_bounds(&self) -> Option<(i64, i64)> {
        let min = self.times().iter().copied().min()?;
        Some((min, self.latest_time()?))
    }

    /// Every vault's ARM resource id, lower-case (as `tolower(ResourceId)` gives), sorted:
    /// one per resource entry the window uses.
    pub fn vault_resource_ids(&self) -> Vec<String> {
        let res = self.events.resources();
        let mut used = vec![false; res.len()];
        let ids = self.events.vault_ids();
        for i in self.lo..self.hi {
            used[ids.get(i) as usize] = true;
        }
        let mut ids: Vec<String> = res
            .iter()
            .zip(used)
            .filter(|(_, u)| *u)
            .map(|(r, _)| resource_id(r).to_ascii_lowercase())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        ids.dedup();
        ids
    }
}

pub(crate) const TABLE_NAMES: &[&str] = &["AzureDiagnostics", "AZKVAuditLogs"];

/// The columns of a source table, by name (case-sensitive, as in Kusto).
pub(crate) fn table(name: &str) -> Option<&'static [SourceColumn]> {
    match name {
        "AzureDiagnostics" => Some(AZURE_DIAGNOSTICS),
        "AZKVAuditLogs" => Some(AZKV_AUDIT_LOGS),
        _ => None,
    }
}

pub(crate) fn is_table(name: &str) -> bool {
    table(name).is_some()
}
