#!/usr/bin/env python3
"""Writes the golden ingest INPUTS (hand-written realistic Key Vault records in every export
shape). The expected outputs are produced by `UPDATE_GOLDEN=1 cargo test -p keyhole-core --test
ingest_golden` and reviewed by eye. Run from this directory: `python3 make_inputs.py`."""
import csv, gzip, io, json, zipfile

SUB = "3f2a9c1e-5b7d-4e2f-9a1b-7c6d5e4f3a2b"
TEN = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RID = f"/SUBSCRIPTIONS/{SUB.upper()}/RESOURCEGROUPS/RG-PAYMENTS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PAYMENTS-PROD"
VURL = "https://kv-payments-prod.vault.azure.net"

# ---- five raw diagnostic records (storage archive / Event Hub shape) ----
R1 = {"time": "2026-10-18T03:10:11.1234567Z", "category": "AuditEvent", "operationName": "SecretGet",
      "resultType": "Success", "correlationId": "0b1c2d3e-0001-4000-8000-00000000a001",
      "callerIpAddress": "203.0.113.10:51234",
      "identity": {"claim": {"oid": "5a8b1c2d-1111-4222-8333-444455556666", "appid": "0e3c9a71-2222-4333-8444-555566667777",
                             "appidacr": "1", "iss": f"https://sts.windows.net/{TEN}/", "xms_az_nwperimid": [], "idtyp": "app"}},
      "properties": {"id": f"{VURL}/secrets/db-password/6e6212e131ea47c88a52f387cd07d6e9",
                     "clientInfo": "azsdk-python-keyvault-secrets/4.8.0 Python/3.12.3", "httpStatusCode": 200,
                     "requestUri": f"{VURL}/secrets/db-password/?api-version=7.5", "isRbacAuthorized": True,
                     "appliedAssignmentId": "9D0E1F2A-3333-4444-8555-666677778888", "tlsVersion": "TLS1_3"},
      "resourceId": RID, "operationVersion": "7.5", "resultSignature": "OK", "durationMs": "41"}
R2 = {"time": "2026-10-18T03:10:10.9876543Z", "category": "AuditEvent", "operationName": "Authentication",
      "resultType": "Success", "correlationId": "0b1c2d3e-0001-4000-8000-00000000a002", "callerIpAddress": "203.0.113.10",
      "identity": {},
      "properties": {"clientInfo": "azsdk-python-keyvault-secrets/4.8.0 Python/3.12.3", "httpStatusCode": 401,
                     "requestUri": f"{VURL}/secrets/db-password/?api-version=7.5", "tlsVersion": "TLS1_3"},
      "resourceId": RID, "operationVersion": "7.5", "resultSignature": "Unauthorized", "durationMs": "12"}
R3 = {"time": "2026-10-18T04:00:02.5000000Z", "category": "AuditEvent", "operationName": "VaultPatch",
      "resultType": "Success", "correlationId": "0b1c2d3e-0001-4000-8000-00000000a003", "callerIpAddress": "2001:db8::5",
      "identity": {"claim": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff",
                             "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "mallory@contoso.com",
                             "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": "mallory@contoso.com",
                             "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"}},
      "properties": {"id": f"{VURL}/", "clientInfo": "AZURECLI/2.64.0",
                     "requestUri": f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/rg-payments/providers/Microsoft.KeyVault/vaults/kv-payments-prod?api-version=2023-07-01",
                     "httpStatusCode": 200,
                     "properties": {"sku": {"Family": "A", "Name": "standard", "Capacity": None}, "tenantId": TEN,
                                    "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
                                    "enabledForDeployment": False, "enabledForDiskEncryption": False, "enabledForTemplateDeployment": False,
                                    "enableSoftDelete": True, "softDeleteRetentionInDays": 90, "enableRbacAuthorization": False,
                                    "enablePurgeProtection": True},
                     "addedAccessPolicy": {"ObjectId": "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff", "TenantId": TEN,
                                           "Permissions": {"keys": [], "secrets": ["Get", "List"], "certificates": [], "storage": []}},
                     "addedIpRule": {"Value": "198.51.100.0/24"}},
      "resourceId": RID, "operationVersion": "2023-07-01", "resultSignature": "OK", "durationMs": "318"}
R4 = {"time": "2026-10-18T04:05:33.0000001Z", "category": "AuditEvent", "operationName": "KeyDecrypt",
      "resultType": "Success", "resultDescription": "Caller is not authorized to perform action on resource.",
      "correlationId": "0b1c2d3e-0001-4000-8000-00000000a004", "callerIpAddress": "[2001:db8::7]:443",
      "identity": {"claim": {"oid": "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                             "upn": "mallory@contoso.com", "unique_name": "mallory@contoso.com", "tid": TEN, "ipaddr": "2001:db8::7",
                             "xms_az_nwperimid": []}},
      "properties": {"id": f"{VURL}/keys/card-kek/0123456789abcdef0123456789abcdef", "clientInfo": "AZURECLI/2.64.0",
                     "httpStatusCode": 403, "requestUri": f"{VURL}/keys/card-kek/0123456789abcdef0123456789abcdef/decrypt?api-version=7.5",
                     "isAccessPolicyMatch": False, "isRbacAuthorized": False, "tlsVersion": "TLS1_2"},
      "resourceId": RID, "operationVersion": "7.5", "resultSignature": "Forbidden", "durationMs": "7"}
R5 = {"time": "2026-10-18T04:06:00.0000000Z", "category": "AuditEvent", "operationName": "SecretList",
      "resultType": "Success", "correlationId": "0b1c2d3e-0001-4000-8000-00000000a005", "callerIpAddress": "<Redacted>",
      "identity": {"claim": {"oid": "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff", "upn": "mallory@contoso.com", "idtyp": "user"}},
      "properties": {"clientInfo": "AZURECLI/2.64.0", "httpStatusCode": 429, "requestUri": f"{VURL}/secrets?api-version=7.5",
                     "tlsVersion": "TLS1_2"},
      "resourceId": RID, "operationVersion": "7.5", "resultSignature": "Too Many Requests", "durationMs": "3"}
RAW = [R1, R2, R3, R4, R5]

def j(o, **kw):
    return json.dumps(o, ensure_ascii=False, **kw)

def write(name, data):
    with open(name, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))

lines = "".join(j(r) + "\n" for r in RAW)
write("raw_lines.jsonl", lines)
write("records_envelope.json", j({"records": RAW[:3]}, indent=4) + "\n")
write("bare_array.json", j(RAW[3:], indent=2))
# UTF-16 LE with BOM, CRLF: Windows PowerShell `Get-Content … | Out-File`.
write("utf16le.json", b"\xff\xfe" + lines.replace("\n", "\r\n").encode("utf-16-le"))
# gzip with two members (concatenated `gzip` outputs).
write("raw_two_members.jsonl.gz", gzip.compress("".join(j(r) + "\n" for r in RAW[:2]).encode(), mtime=0)
      + gzip.compress("".join(j(r) + "\n" for r in RAW[2:]).encode(), mtime=0))

# ---- AzureDiagnostics flattening of the same records ----
def flat(r, strings=False):
    p = r.get("properties", {})
    c = r.get("identity", {}).get("claim", {})
    d = {"TenantId": "b1c2d3e4-0000-4000-8000-0000000000aa", "TimeGenerated": r["time"], "ResourceId": RID,
         "Category": "AuditEvent", "ResourceGroup": "RG-PAYMENTS", "SubscriptionId": SUB, "ResourceProvider": "MICROSOFT.KEYVAULT",
         "Resource": "KV-PAYMENTS-PROD", "ResourceType": "VAULTS", "OperationName": r["operationName"], "ResultType": r["resultType"],
         "CorrelationId": r["correlationId"], "ResultDescription": r.get("resultDescription", ""), "DurationMs": int(r["durationMs"]),
         "CallerIPAddress": r["callerIpAddress"], "OperationVersion": r["operationVersion"], "ResultSignature": r["resultSignature"],
         "httpStatusCode_d": p["httpStatusCode"], "Type": "AzureDiagnostics",
         "_ResourceId": RID.lower()}
    for k, col in [("id", "id_s"), ("requestUri", "requestUri_s"), ("clientInfo", "clientInfo_s"), ("tlsVersion", "tlsVersion_s"),
                   ("isAccessPolicyMatch", "isAccessPolicyMatch_b"), ("isRbacAuthorized", "isRbacAuthorized_b"),
                   ("appliedAssignmentId", "appliedAssignmentId_g")]:
        if k in p:
            d[col] = p[k]
    for k, col in [("oid", "identity_claim_oid_g"), ("upn", "identity_claim_upn_s"), ("unique_name", "identity_claim_unique_name_s"),
                   ("appid", "identity_claim_appid_g"), ("idtyp", "identity_claim_idtyp_s"), ("tid", "identity_claim_tid_g"),
                   ("iss", "identity_claim_iss_s"), ("appidacr", "identity_claim_appidacr_s"),
                   ("http://schemas.microsoft.com/identity/claims/objectidentifier", "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g"),
                   ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s"),
                   ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s")]:
        if k in c:
            d[col] = c[k]
    vp = p.get("properties")
    if vp:
        d["properties_sku_Family_s"] = vp["sku"]["Family"]; d["properties_sku_Name_s"] = vp["sku"]["Name"]
        d["properties_tenantId_g"] = vp["tenantId"]
        if vp.get("networkAcls"):
            d["properties_networkAcls_bypass_s"] = vp["networkAcls"]["bypass"]
            d["properties_networkAcls_defaultAction_s"] = vp["networkAcls"]["defaultAction"]
        for k in ["enabledForDeployment", "enabledForDiskEncryption", "enabledForTemplateDeployment", "enableSoftDelete",
                  "enableRbacAuthorization", "enablePurgeProtection"]:
            d[f"properties_{k}_b"] = vp[k]
        d["properties_softDeleteRetentionInDays_d"] = vp["softDeleteRetentionInDays"]
    ap = p.get("addedAccessPolicy")
    if ap:
        d["addedAccessPolicy_ObjectId_g"] = ap["ObjectId"]; d["addedAccessPolicy_TenantId_g"] = ap["TenantId"]
        for k in ["keys", "secrets", "certificates"]:
            d[f"addedAccessPolicy_Permissions_{k}_s"] = j(ap["Permissions"][k], separators=(",", ":"))
    if "addedIpRule" in p:
        d["addedIpRule_Value_s"] = p["addedIpRule"]["Value"]
    if strings:
        def s(v):
            if v is None: return "None"
            if v is True: return "True"
            if v is False: return "False"
            return str(v)
        d = {k: s(v) for k, v in sorted(d.items())}
        d["TableName"] = "PrimaryResult"
    return d

storage_row = {"TimeGenerated": "2026-10-18T04:00:00.0000000Z", "ResourceProvider": "MICROSOFT.STORAGE", "OperationName": "GetBlob",
               "Category": "StorageRead", "Type": "AzureDiagnostics", "ResourceId": "/SUBSCRIPTIONS/X/RESOURCEGROUPS/Y/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/Z"}
write("azdiag_typed.jsonl", "".join(j(flat(r)) + "\n" for r in RAW[:3]) + j(storage_row) + "\n" + "".join(j(flat(r)) + "\n" for r in RAW[3:]))
write("azcli_strings.json", j([flat(r, strings=True) for r in RAW], indent=2) + "\n")
write("value_wrapper.json", j({"value": [flat(r) for r in RAW[:3]], "nextLink": None}, indent=1) + "\n")
cols = sorted({k for r in RAW for k in flat(r)})
def coltype(k):
    return "datetime" if k == "TimeGenerated" else "real" if k.endswith("_d") else "long" if k == "DurationMs" else "bool" if k.endswith("_b") else "string"
tables = {"tables": [{"name": "PrimaryResult", "columns": [{"name": k, "type": coltype(k)} for k in cols],
                      "rows": [[flat(r).get(k) for k in cols] for r in RAW]}]}
write("rest_tables.json", j(tables))

# ---- portal CSV export ----
def portal_time(iso, offset_min=0):
    import datetime
    t = datetime.datetime.strptime(iso[:26], "%Y-%m-%dT%H:%M:%S.%f") + datetime.timedelta(minutes=offset_min)
    h = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year}, {h}:{t.minute:02}:{t.second:02}.{t.microsecond // 1000:03} {'PM' if t.hour >= 12 else 'AM'}"

def portal_csv(header_time, offset):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    csv_cols = ["TenantId", "TimeGenerated", "ResourceId", "Category", "ResourceGroup", "SubscriptionId", "ResourceProvider", "Resource",
                "ResourceType", "OperationName", "ResultType", "CorrelationId", "ResultDescription", "DurationMs", "CallerIPAddress",
                "OperationVersion", "ResultSignature", "id_s", "requestUri_s", "clientInfo_s", "httpStatusCode_d", "identity_claim_oid_g",
                "identity_claim_upn_s", "identity_claim_appid_g", "identity_claim_idtyp_s", "identity_claim_iss_s",
                "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
                "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s", "isRbacAuthorized_b", "isAccessPolicyMatch_b",
                "appliedAssignmentId_g", "tlsVersion_s", "properties_networkAcls_defaultAction_s", "properties_enableSoftDelete_b",
                "addedAccessPolicy_ObjectId_g", "addedAccessPolicy_Permissions_secrets_s", "addedIpRule_Value_s", "Type", "_ResourceId"]
    w.writerow([f"TimeGenerated [{header_time}]" if c == "TimeGenerated" else c for c in csv_cols])
    for r in RAW:
        d = flat(r)
        d["TimeGenerated"] = portal_time(r["time"], offset)
        if r is R4:  # a quoted newline inside a cell
            d["ResultDescription"] = "Caller is not authorized to perform action on resource.\nIf role assignments were changed recently, please observe propagation time."
        row = []
        for c in csv_cols:
            v = d.get(c, "")
            row.append("true" if v is True else "false" if v is False else "" if v is None else str(v))
        w.writerow(row)
    return "\ufeff" + out.getvalue()

write("portal_utc.csv", portal_csv("UTC", 0))
write("portal_local_time.csv", portal_csv("Local Time", 120))  # read with local_zone = LocalZone::Fixed(120)

# ---- AZKVAuditLogs (resource-specific table), Identity as object and as JSON text ----
def azkv(r, identity_as_text):
    p = r.get("properties", {})
    d = {"TimeGenerated": r["time"], "OperationName": r["operationName"], "OperationVersion": r["operationVersion"],
         "ResultType": r["resultType"], "ResultSignature": r["resultSignature"], "ResultDescription": r.get("resultDescription", ""),
         "DurationMs": int(r["durationMs"]), "CallerIpAddress": r["callerIpAddress"], "CorrelationId": r["correlationId"],
         "Identity": j(r["identity"]) if identity_as_text else r["identity"], "HttpStatusCode": p["httpStatusCode"],
         "Id": p.get("id"), "RequestUri": p.get("requestUri"), "ClientInfo": p.get("clientInfo"), "Tlsversion": p.get("tlsVersion"),
         "IsAccessPolicyMatch": p.get("isAccessPolicyMatch"), "IsRbacAuthorized": p.get("isRbacAuthorized"),
         "AppliedAssignmentId": p.get("appliedAssignmentId"), "_ResourceId": RID.lower(), "_SubscriptionId": SUB,
         "SourceSystem": "Azure", "Type": "AZKVAuditLogs"}
    vp = p.get("properties")
    if vp:
        d.update({"NetworkAcls": vp["networkAcls"], "EnableSoftDelete": vp["enableSoftDelete"], "EnablePurgeProtection": vp["enablePurgeProtection"],
                  "EnableRbacAuthorization": vp["enableRbacAuthorization"], "SoftDeleteRetentionInDays": vp["softDeleteRetentionInDays"],
                  "EnabledForDeployment": vp["enabledForDeployment"], "EnabledForDiskEncryption": vp["enabledForDiskEncryption"],
                  "EnabledForTemplateDeployment": vp["enabledForTemplateDeployment"], "Sku": vp["sku"],
                  "Properties": {"addedAccessPolicy": p["addedAccessPolicy"], "addedIpRule": p["addedIpRule"], "properties": {"tenantId": vp["tenantId"]}}})
    return d
write("azkv_audit_logs.jsonl", "".join(j(azkv(r, i % 2 == 1)) + "\n" for i, r in enumerate(RAW)))

# ---- zip of a downloaded storage container (one member gzip'd, a directory entry, a data descriptor entry) ----
base = f"resourceId=/SUBSCRIPTIONS/{SUB.upper()}/RESOURCEGROUPS/RG-PAYMENTS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PAYMENTS-PROD/y=2026/m=10/d=18"
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(zipfile.ZipInfo(base + "/"), b"")
    z.writestr(zipfile.ZipInfo(base + "/h=03/m=00/PT1H.json", date_time=(2026, 10, 18, 4, 0, 0)), "".join(j(r) + "\n" for r in RAW[:2]),
               compress_type=zipfile.ZIP_DEFLATED)
    z.writestr(zipfile.ZipInfo(base + "/h=04/m=00/PT1H.json", date_time=(2026, 10, 18, 5, 0, 0)), "".join(j(r) + "\n" for r in RAW[2:4]),
               compress_type=zipfile.ZIP_STORED)
    z.writestr(zipfile.ZipInfo("extra/late.json.gz", date_time=(2026, 10, 18, 5, 0, 0)), gzip.compress((j(R5) + "\n").encode(), mtime=0),
               compress_type=zipfile.ZIP_STORED)
write("container.zip", buf.getvalue())
