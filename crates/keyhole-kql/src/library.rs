//! The acceptance queries as a one-click library for the page and the CLI.
//!
//! Texts are copied verbatim (comments, spacing and all) from the project's source documents as
//! collected in `shared/spec/kql/` (see its README): Key Vault sample and hunting queries quoted
//! from public Microsoft documentation and Microsoft Sentinel sources.
//! Keep them byte-identical: the tests run them exactly as users paste them.

/// One library query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LibraryQuery {
    /// File stem of the source document query (`seed001-5`).
    pub name: &'static str,
    pub title: &'static str,
    /// What it finds (from the acceptance set's README).
    pub description: &'static str,
    /// Where the text comes from.
    pub origin: &'static str,
    pub text: &'static str,
}

/// Provenance of every text (the acceptance set names its documents by seed number only).
const ORIGIN: &str = "public Microsoft documentation / Azure Sentinel Key Vault hunting query, verbatim from the project's acceptance set (shared/spec/kql, see its README)";

static LIBRARY: &[LibraryQuery] = &[
    LibraryQuery {
        name: "seed000-1",
        title: "Requests by caller IP and vault",
        description: "request counts by caller IP and vault",
        origin: ORIGIN,
        text: r#"| where ResourceProvider =="MICROSOFT.KEYVAULT"
| summarize count() by CallerIPAddress, Resource
"#,
    },
    LibraryQuery {
        name: "seed000-2",
        title: "Failed requests (no 401 challenge)",
        description: "failed requests by request URI, result signature and resource, without the 401 authentication challenge",
        origin: ORIGIN,
        text: r#"// Are there any failures? 
// Count of failed KeyVault requests by status code. 
// To create an alert for this query, click '+ New alert rule'
| where ResourceProvider =="MICROSOFT.KEYVAULT" 
| where httpStatusCode_d >= 300 and not(OperationName == "Authentication" and httpStatusCode_d == 401)
| summarize count() by requestUri_s, ResultSignature, _ResourceId
// ResultSignature contains HTTP status, e.g. "OK" or "Forbidden"
// httpStatusCode_d contains HTTP status code returned by the request (e.g.  200, 300 or 401)
// requestUri_s contains the URI of the request
"#,
    },
    LibraryQuery {
        name: "seed001-1",
        title: "Firewall opened (Deny → Allow)",
        description: "a vault firewall's default action flipped from Deny to Allow (self-join, arg_max)",
        origin: ORIGIN,
        text: r#"// Detects when an Azure Key Vault firewall is set to allow all by default
AzureDiagnostics
| where ResourceType == "VAULTS"
| where OperationName == "VaultPatch"
| where ResultType == "Success"
| project-rename ExistingACL=properties_networkAcls_defaultAction_s, VaultName=Resource
| where isnotempty(ExistingACL)
| where ExistingACL == "Deny"
| sort by TimeGenerated desc
| project
TimeGenerated,
SubscriptionId,
VaultName,
ExistingACL
| join kind=inner
(
AzureDiagnostics
| project-rename NewACL=properties_networkAcls_defaultAction_s, VaultName=Resource
| where ResourceType == "VAULTS"
| where OperationName == "VaultPatch"
| where ResultType == "Success"
| summarize arg_max(TimeGenerated, *) by VaultName, NewACL
)
on VaultName
| where ExistingACL != NewACL and NewACL == "Allow"
| project DetectionTime=TimeGenerated1, VaultName, ExistingACL, NewACL, SubscriptionId, IPAddressofActor=CallerIPAddress, Actor=identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
"#,
    },
    LibraryQuery {
        name: "seed001-2",
        title: "IP range added to the firewall",
        description: "an IP range added to a vault firewall allow list",
        origin: ORIGIN,
        text: r#"// Detects when an IP address has been added to an Azure Key Vault firewall allow list
AzureDiagnostics
| where ResourceType == "VAULTS"
| where OperationName == "VaultPatch"
| where ResultType == "Success"
| where isnotempty(addedIpRule_Value_s)
| project
TimeGenerated,
VaultName=Resource,
SubscriptionId,
IPAddressofActor=CallerIPAddress,
Actor=identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s,
IPRangeAdded=addedIpRule_Value_s
"#,
    },
    LibraryQuery {
        name: "seed001-3",
        title: "Access policy granted",
        description: "an access policy granting a principal access to keys, secrets or certificates",
        origin: ORIGIN,
        text: r#"// Detects when a service principal (user, group or app) has been granted access to Key Vault data
AzureDiagnostics
| where ResourceType == "VAULTS"
| where OperationName == "VaultPatch"
| where ResultType == "Success"
| project-rename ServicePrincipalAdded=addedAccessPolicy_ObjectId_g, Actor=identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s, AddedKeyPolicy = addedAccessPolicy_Permissions_keys_s, AddedSecretPolicy = addedAccessPolicy_Permissions_secrets_s,AddedCertPolicy = addedAccessPolicy_Permissions_certificates_s
| where isnotempty(AddedKeyPolicy)
or isnotempty(AddedSecretPolicy)
or isnotempty(AddedCertPolicy)
| project
TimeGenerated,
KeyVaultName=Resource,
ServicePrincipalAdded,
Actor,
IPAddressofActor=CallerIPAddress,
AddedSecretPolicy,
AddedKeyPolicy,
AddedCertPolicy
"#,
    },
    LibraryQuery {
        name: "seed001-4",
        title: "Access granted then removed within 10 minutes",
        description: "access granted then removed within 10 minutes (join on vault, abs of a timespan)",
        origin: ORIGIN,
        text: r#"AzureDiagnostics
| where ResourceType == "VAULTS"
| where OperationName == "VaultPatch"
| where ResultType == "Success"
| extend UserObjectAdded = addedAccessPolicy_ObjectId_g
| extend AddedActor = identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
| extend KeyAccessAdded = tostring(addedAccessPolicy_Permissions_keys_s)
| extend SecretAccessAdded = tostring(addedAccessPolicy_Permissions_secrets_s)
| extend CertAccessAdded = tostring(addedAccessPolicy_Permissions_certificates_s)
| where isnotempty(UserObjectAdded)
| project
AccessAddedTime=TimeGenerated,
ResourceType,
OperationName,
ResultType,
KeyVaultName=Resource,
AddedActor,
UserObjectAdded,
KeyAccessAdded,
SecretAccessAdded,
CertAccessAdded
| join kind=inner
(
AzureDiagnostics
| where ResourceType == "VAULTS"
| where OperationName == "VaultPatch"
| where ResultType == "Success"
| extend RemovedActor = identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
| extend UserObjectRemoved = removedAccessPolicy_ObjectId_g
| extend KeyAccessRemoved = tostring(removedAccessPolicy_Permissions_keys_s)
| extend SecretAccessRemoved = tostring(removedAccessPolicy_Permissions_secrets_s)
| extend CertAccessRemoved = tostring(removedAccessPolicy_Permissions_certificates_s)
| where isnotempty(UserObjectRemoved)
| project
AccessRemovedTime=TimeGenerated,
ResourceType,
OperationName,
ResultType,
KeyVaultName=Resource,
RemovedActor,
UserObjectRemoved,
KeyAccessRemoved,
SecretAccessRemoved,
CertAccessRemoved
)
on KeyVaultName
| extend TimeDelta = abs(AccessAddedTime - AccessRemovedTime)
| where TimeDelta < 10m
| project
KeyVaultName,
AccessAddedTime,
AddedActor,
UserObjectAdded,
KeyAccessAdded,
SecretAccessAdded,
CertAccessAdded,
AccessRemovedTime,
RemovedActor,
UserObjectRemoved,
KeyAccessRemoved,
SecretAccessRemoved,
CertAccessRemoved,
TimeDelta
"#,
    },
    LibraryQuery {
        name: "seed001-5",
        title: "New users on a vault (last day vs 30 days)",
        description: "users who read a vault in the last day but not in the 30 days before (let, dynamic, between, rightanti join)",
        origin: ORIGIN,
        text: r#"//Searches for access by users who have not previously accessed an Azure Key Vault in the last 30 days and returns all actions by those users
let operationlist = dynamic(["SecretGet", "KeyGet", "VaultGet"]);
let starttime = 30d;
let endtime = 1d;
let detection=
AzureDiagnostics
| where TimeGenerated between (ago(starttime) .. ago(endtime))
| where ResourceType == "VAULTS"
| where ResultType == "Success"
| where OperationName in (operationlist)
| where isnotempty(identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s)
| project-rename KeyVaultName=Resource, UserPrincipalName=identity_claim_appid_g
| distinct KeyVaultName, UserPrincipalName
| join kind=rightanti (
AzureDiagnostics
| where TimeGenerated > ago(endtime)
| where ResourceType == "VAULTS"
| where ResultType == "Success"
| where OperationName in (operationlist)
| where isnotempty(identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s)
| project-rename
KeyVaultName=Resource,
UserPrincipalName=identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
| distinct KeyVaultName, UserPrincipalName)
on KeyVaultName, UserPrincipalName;
AzureDiagnostics
| where TimeGenerated > ago(endtime)
| where ResourceType == "VAULTS"
| where ResultType == "Success"
| project-rename
KeyVaultName=Resource,
UserPrincipalName=identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
| join kind=inner detection on KeyVaultName, UserPrincipalName
| project
TimeGenerated,
UserPrincipalName,
ResourceGroup,
SubscriptionId,
KeyVaultName,
KeyVaultTarget=id_s,
OperationName
"#,
    },
    LibraryQuery {
        name: "seed001-6",
        title: "New applications on a vault (last day vs 30 days)",
        description: "the same for applications",
        origin: ORIGIN,
        text: r#"//Searches for access by applications that have not previously accessed an Azure Key Vault in the last 30 days and returns all actions by those applications
let operationlist = dynamic(["SecretGet", "KeyGet", "VaultGet"]);
let starttime = 30d;
let endtime = 1d;
let detection=
AzureDiagnostics
| where TimeGenerated between (ago(starttime) .. ago(endtime))
| where ResourceType == "VAULTS"
| where ResultType == "Success"
| where OperationName in (operationlist)
| where isnotempty(identity_claim_appid_g)
| project-rename KeyVaultName=Resource, AppId=identity_claim_appid_g
| distinct KeyVaultName, AppId
| join kind=rightanti (
AzureDiagnostics
| where TimeGenerated > ago(endtime)
| where ResourceType == "VAULTS"
| where ResultType == "Success"
| where OperationName in (operationlist)
| where isnotempty(identity_claim_appid_g)
| project-rename
KeyVaultName=Resource,
AppId=identity_claim_appid_g
| distinct KeyVaultName, AppId)
on KeyVaultName, AppId;
AzureDiagnostics
| where TimeGenerated > ago(endtime)
| where ResourceType == "VAULTS"
| where ResultType == "Success"
| project-rename
KeyVaultName=Resource,
AppId=identity_claim_appid_g
| join kind=inner detection on KeyVaultName, AppId
| project
TimeGenerated,
AppId,
ResourceGroup,
SubscriptionId,
KeyVaultName,
KeyVaultTarget=id_s,
OperationName
"#,
    },
    LibraryQuery {
        name: "seed001-7",
        title: "Destructive or exfiltrating operations",
        description: "destructive or exfiltrating operations (delete, purge, backup, list deleted)",
        origin: ORIGIN,
        text: r#"// Detects Key Vault operations that could be malicious
let operationlist = dynamic(
["VaultDelete", "KeyDelete", "SecretDelete", "SecretPurge", "KeyPurge", "SecretBackup", "KeyBackup", "SecretListDeleted", "CertificateDelete", "CertificatePurge"]);
AzureDiagnostics
| where ResourceType == "VAULTS" and ResultType == "Success"
| where OperationName in (operationlist)
| project TimeGenerated,
ResourceGroup,
SubscriptionId,
KeyVaultName=Resource,
KeyVaultTarget=id_s,
Actor=identity_claim_upn_s,
IPAddressofActor=CallerIPAddress,
OperationName
"#,
    },
    LibraryQuery {
        name: "seed004-1",
        title: "Requests by caller IP",
        description: "request counts by caller IP",
        origin: ORIGIN,
        text: r#"| summarize count() by CallerIPAddress
"#,
    },
    LibraryQuery {
        name: "seed004-2",
        title: "Failures by URI, signature and status",
        description: "failures by request URI, result signature and status code",
        origin: ORIGIN,
        text: r#"| where httpStatusCode_d >= 300 
| summarize count() by  requestUri_s, ResultSignature, httpStatusCode_d
"#,
    },
    LibraryQuery {
        name: "seed004-3",
        title: "Every audit event, newest first",
        description: "every audit event, newest first (`search *`)",
        origin: ORIGIN,
        text: r#"search * 
| where Category=="AuditEvent"  
| order by TimeGenerated desc 
"#,
    },
];

/// The acceptance queries, in file order.
pub fn library() -> &'static [LibraryQuery] {
    LIBRARY
}
