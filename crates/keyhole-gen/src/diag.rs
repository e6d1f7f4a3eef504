//! Log Analytics shapes of the same records: AzureDiagnostics rows (flattened, typed columns per
//! `schemas/AzureDiagnostics_KeyVault_columns.tsv`) and resource-specific AZKVAuditLogs rows.

use crate::record::*;

/// Column types as Log Analytics declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    String,
    Guid,
    DateTime,
    Real,
    Long,
    Bool,
    Dynamic,
}

impl ColType {
    /// Type name in the REST `columns` array.
    pub fn name(self) -> &'static str {
        match self {
            ColType::String => "string",
            ColType::Guid => "guid",
            ColType::DateTime => "datetime",
            ColType::Real => "real",
            ColType::Long => "long",
            ColType::Bool => "bool",
            ColType::Dynamic => "dynamic",
        }
    }
}

/// One cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Str(String),
    /// `YYYY-MM-DDTHH:MM:SS.fffffffZ` ticks.
    Time(i64),
    Num(i64),
    Bool(bool),
    /// Raw JSON text (dynamic columns).
    Json(Vec<u8>),
    Null,
}

/// AzureDiagnostics columns written for Key Vault, in table order (TimeGenerated first).
pub const DIAG_COLUMNS: &[(&str, ColType)] = &[
    ("TimeGenerated", ColType::DateTime),
    ("TenantId", ColType::String),
    ("ResourceId", ColType::String),
    ("Category", ColType::String),
    ("ResourceGroup", ColType::String),
    ("SubscriptionId", ColType::String),
    ("ResourceProvider", ColType::String),
    ("Resource", ColType::String),
    ("ResourceType", ColType::String),
    ("OperationName", ColType::String),
    ("ResultType", ColType::String),
    ("CorrelationId", ColType::String),
    ("ResultSignature", ColType::String),
    ("ResultDescription", ColType::String),
    ("DurationMs", ColType::Long),
    ("CallerIPAddress", ColType::String),
    ("OperationVersion", ColType::String),
    ("id_s", ColType::String),
    ("requestUri_s", ColType::String),
    ("clientInfo_s", ColType::String),
    ("httpStatusCode_d", ColType::Real),
    ("isAccessPolicyMatch_b", ColType::Bool),
    ("isRbacAuthorized_b", ColType::Bool),
    ("tlsVersion_s", ColType::String),
    ("identity_claim_appid_g", ColType::Guid),
    ("identity_claim_oid_g", ColType::Guid),
    ("identity_claim_upn_s", ColType::String),
    ("identity_claim_unique_name_s", ColType::String),
    ("identity_claim_scp_s", ColType::String),
    ("identity_claim_ipaddr_s", ColType::String),
    ("identity_claim_amr_s", ColType::String),
    ("identity_claim_appidacr_s", ColType::String),
    ("identity_claim_idtyp_s", ColType::String),
    ("identity_claim_xms_az_nwperimid_s", ColType::String),
    (
        "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
        ColType::Guid,
    ),
    (
        "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s",
        ColType::String,
    ),
    (
        "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s",
        ColType::String,
    ),
    ("properties_sku_Family_s", ColType::String),
    ("properties_sku_Name_s", ColType::String),
    ("properties_tenantId_g", ColType::Guid),
    ("properties_networkAcls_bypass_s", ColType::String),
    ("properties_networkAcls_defaultAction_s", ColType::String),
    ("properties_enabledForDeployment_b", ColType::Bool),
    ("properties_enabledForDiskEncryption_b", ColType::Bool),
    ("properties_enabledForTemplateDeployment_b", ColType::Bool),
    ("properties_enableSoftDelete_b", ColType::Bool),
    ("properties_softDeleteRetentionInDays_d", ColType::Real),
    ("properties_enableRbacAuthorization_b", ColType::Bool),
    ("properties_enablePurgeProtection_b", ColType::Bool),
    ("addedAccessPolicy_TenantId_g", ColType::Guid),
    ("addedAccessPolicy_ObjectId_g", ColType::Guid),
    ("addedAccessPolicy_Permissions_keys_s", ColType::String),
    ("addedAccessPolicy_Permissions_secrets_s", ColType::String),
    (
        "addedAccessPolicy_Permissions_certificates_s",
        ColType::String,
    ),
    // Not in the compiled schema list, but Log Analytics flattens every nested field, so the
    // removed entry's tenant lands here just as the added one's does.
    ("removedAccessPolicy_TenantId_g", ColType::Guid),
    ("removedAccessPolicy_ObjectId_g", ColType::Guid),
    ("removedAccessPolicy_Permissions_keys_s", ColType::String),
    ("removedAccessPolicy_Permissions_secrets_s", ColType::String),
    (
        "removedAccessPolicy_Permissions_certificates_s",
        ColType::String,
    ),
    ("addedIpRule_Value_s", ColType::String),
    ("SourceSystem", ColType::String),
    ("Type", ColType::String),
    ("_ResourceId", ColType::String),
];

fn s(v: &str) -> Cell {
    Cell::Str(v.to_string())
}

fn opt_s(v: Option<&str>) -> Cell {
    v.map(s).unwrap_or(Cell::Null)
}

fn json_array_text(vs: &[&str]) -> Cell {
    let mut b = Vec::new();
    push_str_array(&mut b, vs);
    Cell::Str(String::from_utf8(b).unwrap_or_default())
}

/// The AzureDiagnostics row of a record: one cell per [`DIAG_COLUMNS`] entry, same order.
/// `workspace` is the Log Analytics workspace id (`TenantId`).
pub fn diag_row(r: &Record, workspace: &str) -> Vec<Cell> {
    let v = &r.vault;
    let c = r.identity.as_ref();
    let jwt = c.filter(|c| c.dialect == Dialect::Jwt);
    let arm = c.filter(|c| c.dialect == Dialect::Arm);
    let user_jwt = jwt.filter(|c| !c.app_only);
    let p = r.vault_props.as_ref();
    let added = r.added_access_policy.as_ref();
    let removed = r.removed_access_policy.as_ref();
    let rid = v.resource_id();
    vec![
        Cell::Time(r.ticks),
        s(workspace),
        s(rid),
        s("AuditEvent"),
        s(&v.resource_group),
        s(&v.subscription),
        s("MICROSOFT.KEYVAULT"),
        s(&v.name.to_ascii_uppercase()),
        s("VAULTS"),
        s(r.operation),
        s("Success"),
        s(&r.correlation_id),
        s(r.result_signature),
        s(r.result_description.as_deref().unwrap_or("")),
        Cell::Num(r.duration_ms as i64),
        s(&r.caller_ip),
        s(r.operation_version),
        opt_s(r.id.as_deref()),
        s(&r.request_uri),
        s(&r.client_info),
        Cell::Num(r.status as i64),
        r.is_access_policy_match
            .map(Cell::Bool)
            .unwrap_or(Cell::Null),
        r.is_rbac_authorized.map(Cell::Bool).unwrap_or(Cell::Null),
        opt_s(r.tls_version),
        opt_s(c.map(|c| &*c.appid)),
        opt_s(jwt.map(|c| &*c.oid)),
        opt_s(user_jwt.and_then(|c| c.upn.as_deref())),
        opt_s(user_jwt.and_then(|c| c.upn.as_deref())),
        opt_s(user_jwt.map(|_| "user_impersonation")),
        opt_s(user_jwt.and_then(|c| c.ipaddr.as_deref())),
        opt_s(user_jwt.map(|_| "pwd")),
        opt_s(jwt.map(|c| if c.app_only { "2" } else { "0" })),
        opt_s(jwt.filter(|c| c.app_only).map(|_| "app")),
        opt_s(jwt.map(|_| "[]")),
        opt_s(arm.map(|c| &*c.oid)),
        opt_s(arm.and_then(|c| c.upn.as_deref())),
        opt_s(arm.and_then(|c| c.upn.as_deref())),
        opt_s(p.map(|_| "A")),
        opt_s(p.map(|p| p.sku_name)),
        opt_s(p.map(|p| p.tenant_id.as_str())),
        opt_s(p.and_then(|p| p.network_acls.map(|a| a.0))),
        opt_s(p.and_then(|p| p.network_acls.map(|a| a.1))),
        p.map(|p| Cell::Bool(p.enabled_for_deployment))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enabled_for_disk_encryption))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enabled_for_template_deployment))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enable_soft_delete))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Num(p.soft_delete_retention_days as i64))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enable_rbac_authorization))
            .unwrap_or(Cell::Null),
        p.and_then(|p| p.enable_purge_protection)
            .map(Cell::Bool)
            .unwrap_or(Cell::Null),
        opt_s(added.map(|a| a.tenant_id.as_str())),
        opt_s(added.map(|a| a.object_id.as_str())),
        added
            .map(|a| json_array_text(&a.keys))
            .unwrap_or(Cell::Null),
        added
            .map(|a| json_array_text(&a.secrets))
            .unwrap_or(Cell::Null),
        added
            .map(|a| json_array_text(&a.certificates))
            .unwrap_or(Cell::Null),
        opt_s(removed.map(|a| a.tenant_id.as_str())),
        opt_s(removed.map(|a| a.object_id.as_str())),
        removed
            .map(|a| json_array_text(&a.keys))
            .unwrap_or(Cell::Null),
        removed
            .map(|a| json_array_text(&a.secrets))
            .unwrap_or(Cell::Null),
        removed
            .map(|a| json_array_text(&a.certificates))
            .unwrap_or(Cell::Null),
        opt_s(r.added_ip_rule.as_deref()),
        s("Azure"),
        s("AzureDiagnostics"),
        s(&rid.to_ascii_lowercase()),
    ]
}

/// Append a typed JSON value of a cell.
pub fn push_cell_json(out: &mut Vec<u8>, c: &Cell) {
    match c {
        Cell::Str(v) => push_json_str(out, v),
        Cell::Time(t) => {
            let mut s = String::with_capacity(28);
            push_time7(&mut s, *t);
            push_json_str(out, &s);
        }
        Cell::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Cell::Json(j) => out.extend_from_slice(j),
        Cell::Null => out.extend_from_slice(b"null"),
    }
}

/// The `az monitor log-analytics query` rendering: every value a string; nulls of typed
/// columns are `"None"`, empty strings stay empty; booleans `"True"`/`"False"`.
pub fn cli_text(c: &Cell, ty: ColType) -> String {
    match c {
        Cell::Str(v) => v.clone(),
        Cell::Time(t) => {
            let mut s = String::new();
            push_time7(&mut s, *t);
            s
        }
        Cell::Num(n) => n.to_string(),
        Cell::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Cell::Json(j) => String::from_utf8_lossy(j).into_owned(),
        Cell::Null => match ty {
            ColType::String => String::new(),
            _ => "None".to_string(),
        },
    }
}

/// Append a row object (typed values; null cells omitted as Log Analytics exports do).
pub fn push_row_object(out: &mut Vec<u8>, cols: &[(&str, ColType)], row: &[Cell]) {
    let mut o = Obj::new(out);
    for ((name, _), cell) in cols.iter().zip(row) {
        if *cell == Cell::Null {
            continue;
        }
        push_cell_json(o.key(name), cell);
    }
    o.end();
}

/// AZKVAuditLogs columns written (resource-specific table).
pub const AZKV_COLUMNS: &[(&str, ColType)] = &[
    ("TenantId", ColType::String),
    ("TimeGenerated", ColType::DateTime),
    ("OperationName", ColType::String),
    ("OperationVersion", ColType::String),
    ("ResultType", ColType::String),
    ("ResultSignature", ColType::String),
    ("ResultDescription", ColType::String),
    ("DurationMs", ColType::Long),
    ("CallerIpAddress", ColType::String),
    ("CorrelationId", ColType::String),
    ("Identity", ColType::Dynamic),
    ("Properties", ColType::Dynamic),
    ("Id", ColType::String),
    ("ClientInfo", ColType::String),
    ("HttpStatusCode", ColType::Long),
    ("RequestUri", ColType::String),
    ("IsAccessPolicyMatch", ColType::Bool),
    ("IsRbacAuthorized", ColType::Bool),
    ("Tlsversion", ColType::String),
    ("Sku", ColType::Dynamic),
    ("NetworkAcls", ColType::Dynamic),
    ("EnabledForDeployment", ColType::Bool),
    ("EnabledForDiskEncryption", ColType::Bool),
    ("EnabledForTemplateDeployment", ColType::Bool),
    ("EnableSoftDelete", ColType::Bool),
    ("SoftDeleteRetentionInDays", ColType::Long),
    ("EnableRbacAuthorization", ColType::Bool),
    ("EnablePurgeProtection", ColType::Bool),
    ("SourceSystem", ColType::String),
    ("Type", ColType::String),
    ("_ResourceId", ColType::String),
    ("_SubscriptionId", ColType::String),
];

/// The AZKVAuditLogs row of a record, one cell per [`AZKV_COLUMNS`] entry.
pub fn azkv_row(r: &Record, workspace: &str) -> Vec<Cell> {
    let p = r.vault_props.as_ref();
    let identity = {
        let mut b = Vec::new();
        match &r.identity {
            None => b.extend_from_slice(b"{}"),
            Some(c) => {
                b.extend_from_slice(b"{\"claim\":");
                push_claims(&mut b, c);
                b.push(b'}');
            }
        }
        Cell::Json(b)
    };
    let properties = if r.added_access_policy.is_some()
        || r.removed_access_policy.is_some()
        || r.added_ip_rule.is_some()
    {
        let mut b = Vec::new();
        let mut o = Obj::new(&mut b);
        if let Some(a) = &r.added_access_policy {
            push_policy(o.key("addedAccessPolicy"), a);
        }
        if let Some(a) = &r.removed_access_policy {
            push_policy(o.key("removedAccessPolicy"), a);
        }
        if let Some(v) = &r.added_ip_rule {
            let k = o.key("addedIpRule");
            let mut q = Obj::new(k);
            q.str("Value", v);
            q.end();
        }
        o.end();
        Cell::Json(b)
    } else {
        Cell::Null
    };
    let sku = p.map(|p| {
        let mut b = Vec::new();
        let mut o = Obj::new(&mut b);
        o.str("Family", "A");
        o.str("Name", p.sku_name);
        o.raw("Capacity", "null");
        o.end();
        Cell::Json(b)
    });
    let acls = p.map(|p| match p.network_acls {
        None => Cell::Null,
        Some((bypass, action)) => {
            let mut b = Vec::new();
            let mut o = Obj::new(&mut b);
            o.str("bypass", bypass);
            o.str("defaultAction", action);
            o.end();
            Cell::Json(b)
        }
    });
    vec![
        s(workspace),
        Cell::Time(r.ticks),
        s(r.operation),
        s(r.operation_version),
        s("Success"),
        s(r.result_signature),
        s(r.result_description.as_deref().unwrap_or("")),
        Cell::Num(r.duration_ms as i64),
        s(&r.caller_ip),
        s(&r.correlation_id),
        identity,
        properties,
        opt_s(r.id.as_deref()),
        s(&r.client_info),
        Cell::Num(r.status as i64),
        s(&r.request_uri),
        r.is_access_policy_match
            .map(Cell::Bool)
            .unwrap_or(Cell::Null),
        r.is_rbac_authorized.map(Cell::Bool).unwrap_or(Cell::Null),
        opt_s(r.tls_version),
        sku.unwrap_or(Cell::Null),
        acls.unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enabled_for_deployment))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enabled_for_disk_encryption))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enabled_for_template_deployment))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enable_soft_delete))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Num(p.soft_delete_retention_days as i64))
            .unwrap_or(Cell::Null),
        p.map(|p| Cell::Bool(p.enable_rbac_authorization))
            .unwrap_or(Cell::Null),
        p.and_then(|p| p.enable_purge_protection)
            .map(Cell::Bool)
            .unwrap_or(Cell::Null),
        s("Azure"),
        s("AZKVAuditLogs"),
        s(&r.vault.resource_id().to_ascii_lowercase()),
        s(&r.vault.subscription.to_ascii_lowercase()),
    ]
}

/// The portal's time format: `9/24/2024, 7:34:57.433 PM` (milliseconds, US locale).
pub fn portal_time(ticks: i64) -> String {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rem = ticks.rem_euclid(TICKS_PER_DAY);
    let (y, m, d) = keyhole_core::time::civil_from_days(days);
    let h = rem / TICKS_PER_HOUR;
    let mi = (rem / TICKS_PER_MIN) % 60;
    let sec = (rem / TICKS_PER_SEC) % 60;
    let ms = (rem % TICKS_PER_SEC) / 10_000;
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{m}/{d}/{y}, {h12}:{mi:02}:{sec:02}.{ms:03} {ampm}")
}

/// The portal CSV text of a cell (booleans `true`/`false`, nulls empty).
pub fn csv_text(c: &Cell) -> String {
    match c {
        Cell::Str(v) => v.clone(),
        Cell::Time(t) => portal_time(*t),
        Cell::Num(n) => n.to_string(),
        Cell::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Cell::Json(j) => String::from_utf8_lossy(j).into_owned(),
        Cell::Null => String::new(),
    }
}

/// Append one RFC 4180 field (quoted when it holds a comma, quote, CR or LF; quotes doubled).
pub fn push_csv_field(out: &mut Vec<u8>, v: &str) {
    if v.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in v.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(v.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_time_form() {
        let t = keyhole_core::Timestamp::parse_iso("2024-09-24T19:34:57.4339999Z").unwrap();
        assert_eq!(portal_time(t.micros * 10), "9/24/2024, 7:34:57.433 PM");
        let t = keyhole_core::Timestamp::parse_iso("2024-09-24T00:04:05.000Z").unwrap();
        assert_eq!(portal_time(t.micros * 10), "9/24/2024, 12:04:05.000 AM");
        let t = keyhole_core::Timestamp::parse_iso("2024-09-24T12:00:00Z").unwrap();
        assert_eq!(portal_time(t.micros * 10), "9/24/2024, 12:00:00.000 PM");
        let back = keyhole_core::Timestamp::parse_portal("9/24/2024, 7:34:57.433 PM", 0).unwrap();
        assert_eq!(back.to_rfc3339(), "2024-09-24T19:34:57.433Z");
    }

    #[test]
    fn csv_quoting() {
        let mut out = Vec::new();
        push_csv_field(&mut out, "[\"Get\",\"List\"]");
        assert_eq!(out, b"\"[\"\"Get\"\",\"\"List\"\"]\"");
        out.clear();
        push_csv_field(&mut out, "plain");
        assert_eq!(out, b"plain");
    }
}
