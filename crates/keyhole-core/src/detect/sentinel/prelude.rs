//! The part every exported query shares: the `let` lines (thresholds, allow-lists, intel lists)
//! and `KeyVaultAll` / `KeyVault`, the table normalised to the columns the rule templates read,
//! written once for `AzureDiagnostics` and once for `AZKVAuditLogs`. The normalisation is the
//! core's (spec §1): object id = `oid` ?? objectidentifier; user = `upn` ?? `unique_name` ??
//! long-form upn ?? name; outcome from the HTTP status (never `ResultType`), the result signature
//! when there is none; the SDK's unauthenticated `Authentication` 401 is `Challenge`, never a
//! denial, and `KeyVault` leaves it out; `Allowed` marks Microsoft first-party apps (app-only
//! tokens) and the user's allow-list.

use super::LogTable;

/// A normalised column a template may ask for beyond the base set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    /// Secret / key / certificate name from the object URL (`id_s`), else the request URI.
    ObjectName,
    /// `networkAcls.defaultAction` of a vault configuration snapshot.
    NetworkDefaultAction,
    /// `enableSoftDelete`, `enablePurgeProtection`, `enableRbacAuthorization`,
    /// `softDeleteRetentionInDays` of a vault configuration snapshot.
    Protection,
    /// `addedAccessPolicy.ObjectId` and its permissions as text.
    PolicyAdded,
    /// `removedAccessPolicy.ObjectId`.
    PolicyRemoved,
    /// `addedIpRule.Value`.
    IpRuleAdded,
}

/// `(column, AzureDiagnostics expression, AZKVAuditLogs expression)` of the base set.
const BASE: &[(&str, &str, &str)] = &[
    ("Vault", "tolower(Resource)", "tolower(tostring(split(_ResourceId, \"/\")[8]))"),
    ("ResourceId", "_ResourceId", "_ResourceId"),
    (
        "Status",
        "coalesce(toint(column_ifexists(\"httpStatusCode_d\", real(null))), 0)",
        "coalesce(toint(HttpStatusCode), 0)",
    ),
    (
        "ObjectId",
        "coalesce(tostring(column_ifexists(\"identity_claim_oid_g\", \"\")), tostring(column_ifexists(\"identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g\", \"\")))",
        "coalesce(tostring(Identity.claim.oid), tostring(Identity.claim[\"http://schemas.microsoft.com/identity/claims/objectidentifier\"]))",
    ),
    (
        "Upn",
        "coalesce(column_ifexists(\"identity_claim_upn_s\", \"\"), column_ifexists(\"identity_claim_unique_name_s\", \"\"), column_ifexists(\"identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s\", \"\"), column_ifexists(\"identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s\", \"\"))",
        "coalesce(tostring(Identity.claim.upn), tostring(Identity.claim.unique_name), tostring(Identity.claim[\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\"]), tostring(Identity.claim[\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name\"]))",
    ),
    (
        "AppId",
        "tostring(column_ifexists(\"identity_claim_appid_g\", \"\"))",
        "tostring(Identity.claim.appid)",
    ),
    (
        "IdType",
        "column_ifexists(\"identity_claim_idtyp_s\", \"\")",
        "tostring(Identity.claim.idtyp)",
    ),
    ("Caller", "CallerIPAddress", "CallerIpAddress"),
];

/// `(column, AzureDiagnostics, AZKVAuditLogs)` of each extra.
fn extra_columns(e: Extra) -> &'static [(&'static str, &'static str, &'static str)] {
    match e {
        Extra::ObjectName => &[(
            "ObjectName",
            "extract(@\"^https://[^/]+/(?i:secrets|keys|certificates|deletedsecrets|deletedkeys|deletedcertificates)/([^/?#]+)\", 1, coalesce(id_s, requestUri_s))",
            "extract(@\"^https://[^/]+/(?i:secrets|keys|certificates|deletedsecrets|deletedkeys|deletedcertificates)/([^/?#]+)\", 1, coalesce(Id, RequestUri))",
        )],
        Extra::NetworkDefaultAction => &[(
            "NetworkDefaultAction",
            "column_ifexists(\"properties_networkAcls_defaultAction_s\", \"\")",
            "tostring(NetworkAcls.defaultAction)",
        )],
        Extra::Protection => &[
            (
                "SoftDelete",
                "column_ifexists(\"properties_enableSoftDelete_b\", bool(null))",
                "EnableSoftDelete",
            ),
            (
                "PurgeProtection",
                "column_ifexists(\"properties_enablePurgeProtection_b\", bool(null))",
                "EnablePurgeProtection",
            ),
            (
                "RbacAuthorization",
                "column_ifexists(\"properties_enableRbacAuthorization_b\", bool(null))",
                "EnableRbacAuthorization",
            ),
            (
                "RetentionDays",
                "toint(column_ifexists(\"properties_softDeleteRetentionInDays_d\", real(null)))",
                "toint(SoftDeleteRetentionInDays)",
            ),
        ],
        Extra::PolicyAdded => &[
            (
                "PolicyAddedObjectId",
                "tostring(column_ifexists(\"addedAccessPolicy_ObjectId_g\", \"\"))",
                "tostring(Properties.addedAccessPolicy.ObjectId)",
            ),
            (
                "PolicyAddedPermissions",
                "strcat(\"keys \", column_ifexists(\"addedAccessPolicy_Permissions_keys_s\", \"[]\"), \", secrets \", column_ifexists(\"addedAccessPolicy_Permissions_secrets_s\", \"[]\"), \", certificates \", column_ifexists(\"addedAccessPolicy_Permissions_certificates_s\", \"[]\"))",
                "strcat(\"keys \", tostring(Properties.addedAccessPolicy.Permissions.keys), \", secrets \", tostring(Properties.addedAccessPolicy.Permissions.secrets), \", certificates \", tostring(Properties.addedAccessPolicy.Permissions.certificates))",
            ),
        ],
        Extra::PolicyRemoved => &[(
            "PolicyRemovedObjectId",
            "tostring(column_ifexists(\"removedAccessPolicy_ObjectId_g\", \"\"))",
            "tostring(Properties.removedAccessPolicy.ObjectId)",
        )],
        Extra::IpRuleAdded => &[(
            "IpRuleAdded",
            "column_ifexists(\"addedIpRule_Value_s\", \"\")",
            "tostring(Properties.addedIpRule.Value)",
        )],
    }
}

/// The derived columns, the same text for both tables (they read the base set).
const DERIVED: &str = r#"| extend Ip = case(Caller startswith "[", extract(@"^\[([^\]]+)\]", 1, Caller), countof(Caller, ":") == 1, tostring(split(Caller, ":")[0]), Caller),
    Principal = coalesce(ObjectId, Upn, AppId),
    IsUser = isnotempty(Upn) or IdType =~ "user",
    DataPlane = OperationName matches regex "^(Secret|Key|Certificate)",
    Success = iff(Status > 0, Status between (200 .. 299), ResultSignature in~ ("OK", "Accepted", "Created", "No Content", "NoContent") or (isempty(ResultSignature) and not(ResultType in~ ("Failure", "Failed")))),
    Denial = iff(Status > 0, Status in (401, 403), ResultSignature in~ ("Unauthorized", "Forbidden")),
    Challenge = Status == 401 and (OperationName == "Authentication" or (isempty(ObjectId) and isempty(Upn) and isempty(AppId)))
| extend Denied = Denial and not(Challenge),
    Allowed = (isempty(Upn) and AppId in~ (FirstPartyApps)) or Upn in~ (AllowedPrincipals) or ObjectId in~ (AllowedPrincipals) or AppId in~ (AllowedPrincipals) or iff(ipv4_is_in_any_range(Ip, AllowedIpRanges) or ipv6_is_in_any_range(Ip, AllowedIpRangesV6), true, false)"#;

/// `KeyVaultAll` (every record, the challenge included: vaults' first days count it) and
/// `KeyVault` (without the challenge), with the base columns, the extras and `list_columns`
/// (`(name, expression)` pairs computed from the config's lists).
///
/// `prefilter` (`(AzureDiagnostics, AZKVAuditLogs)` conditions on the table's own columns) keeps
/// only the records the rule can use before anything is computed: a rule with a prefilter must
/// not read `KeyVaultAll` for anything else (a vault's first day, a log gap).
pub fn render(
    table: LogTable,
    extras: &[Extra],
    list_columns: &[(String, String)],
    prefilter: Option<(&str, &str)>,
) -> String {
    let ad = table == LogTable::AzureDiagnostics;
    let mut s = String::new();
    s.push_str("let KeyVaultAll = ");
    if ad {
        s.push_str("AzureDiagnostics\n| where TimeGenerated > ago(queryPeriod) and ResourceProvider == \"MICROSOFT.KEYVAULT\"\n");
    } else {
        s.push_str("AZKVAuditLogs\n| where TimeGenerated > ago(queryPeriod)\n");
    }
    if let Some((a, k)) = prefilter {
        s.push_str(&format!("| where {}\n", if ad { a } else { k }));
    }
    let mut cols: Vec<(&str, &str)> = BASE
        .iter()
        .map(|(n, a, k)| (*n, if ad { *a } else { *k }))
        .collect();
    for e in extras {
        for (n, a, k) in extra_columns(*e) {
            cols.push((n, if ad { a } else { k }));
        }
    }
    s.push_str("| extend ");
    s.push_str(
        &cols
            .iter()
            .map(|(n, e)| format!("{n} = {e}"))
            .collect::<Vec<_>>()
            .join(",\n    "),
    );
    s.push('\n');
    s.push_str(DERIVED);
    if !list_columns.is_empty() {
        s.push_str("\n| extend ");
        s.push_str(
            &list_columns
                .iter()
                .map(|(n, e)| format!("{n} = {e}"))
                .collect::<Vec<_>>()
                .join(",\n    "),
        );
    }
    s.push_str(";\nlet KeyVault = KeyVaultAll | where not(Challenge);\n");
    s
}
