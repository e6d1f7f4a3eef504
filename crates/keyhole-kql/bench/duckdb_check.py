#!/usr/bin/env python3
"""Cross-check and benchmark: Keyhole's KQL engine vs DuckDB running the equivalent SQL.

Runs `cargo run --release --example bench_kql` to build generated events (keyhole-gen, attacks
on), export the AzureDiagnostics rows the acceptance queries read (JSON lines) and write the
engine's result of each query; then loads the same rows into DuckDB, runs a hand-written SQL
equivalent of every acceptance query, compares the two results as multisets of rows, and prints
both timings and peak memory side by side.

    python3 crates/keyhole-kql/bench/duckdb_check.py [--events 1000000] [--queries all|seed000-1,seed001-5]

Skips with a message (exit 0) when the duckdb Python module is missing.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

try:
    import duckdb
except ImportError:
    print("skipped: python module duckdb not installed (pip install duckdb)")
    sys.exit(0)

UPN = "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s"
NAME = "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_name_s"
OPS5 = "('SecretGet', 'KeyGet', 'VaultGet')"
OPS7 = ("('VaultDelete', 'KeyDelete', 'SecretDelete', 'SecretPurge', 'KeyPurge', 'SecretBackup', "
        "'KeyBackup', 'SecretListDeleted', 'CertificateDelete', 'CertificatePurge')")
PATCH_OK = "ResourceType = 'VAULTS' AND OperationName = 'VaultPatch' AND ResultType = 'Success'"
RECENT = "ts > (SELECT now_ts FROM params) - INTERVAL 1 DAY"
HIST = ("ts BETWEEN (SELECT now_ts FROM params) - INTERVAL 30 DAY "
        "AND (SELECT now_ts FROM params) - INTERVAL 1 DAY")

# Hand-written SQL with the meaning of each KQL query (Kusto semantics: '' for a missing string,
# NULL for a missing number; a comparison with NULL filters the row out, as in SQL).
SQL = {
    "seed000-1": """SELECT CallerIPAddress, Resource, count(*) AS count_ FROM t
        WHERE ResourceProvider = 'MICROSOFT.KEYVAULT' GROUP BY ALL""",
    "seed000-2": """SELECT requestUri_s, ResultSignature, _ResourceId, count(*) AS count_ FROM t
        WHERE ResourceProvider = 'MICROSOFT.KEYVAULT' AND httpStatusCode_d >= 300
          AND NOT (OperationName = 'Authentication' AND httpStatusCode_d = 401) GROUP BY ALL""",
    "seed001-1": f"""WITH l AS (SELECT SubscriptionId, Resource AS VaultName,
            properties_networkAcls_defaultAction_s AS ExistingACL FROM t
            WHERE {PATCH_OK} AND properties_networkAcls_defaultAction_s = 'Deny'),
        r AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY Resource,
            properties_networkAcls_defaultAction_s ORDER BY ts DESC) AS rn FROM t WHERE {PATCH_OK}) WHERE rn = 1)
        SELECT r.TimeGenerated AS DetectionTime, l.VaultName, l.ExistingACL,
            r.properties_networkAcls_defaultAction_s AS NewACL, l.SubscriptionId,
            r.CallerIPAddress AS IPAddressofActor, r.{UPN} AS Actor
        FROM l JOIN r ON l.VaultName = r.Resource
        WHERE l.ExistingACL <> r.properties_networkAcls_defaultAction_s
          AND r.properties_networkAcls_defaultAction_s = 'Allow'""",
    "seed001-2": f"""SELECT TimeGenerated, Resource AS VaultName, SubscriptionId, CallerIPAddress AS IPAddressofActor,
        {UPN} AS Actor, addedIpRule_Value_s AS IPRangeAdded FROM t WHERE {PATCH_OK} AND addedIpRule_Value_s <> ''""",
    "seed001-3": f"""SELECT TimeGenerated, Resource AS KeyVaultName, addedAccessPolicy_ObjectId_g AS ServicePrincipalAdded,
        {NAME} AS Actor, CallerIPAddress AS IPAddressofActor,
        addedAccessPolicy_Permissions_secrets_s AS AddedSecretPolicy, addedAccessPolicy_Permissions_keys_s AS AddedKeyPolicy,
        addedAccessPolicy_Permissions_certificates_s AS AddedCertPolicy FROM t
        WHERE {PATCH_OK} AND (addedAccessPolicy_Permissions_keys_s <> '' OR addedAccessPolicy_Permissions_secrets_s <> ''
          OR addedAccessPolicy_Permissions_certificates_s <> '')""",
    "seed001-4": f"""WITH a AS (SELECT * FROM t WHERE {PATCH_OK} AND addedAccessPolicy_ObjectId_g <> ''),
        r AS (SELECT * FROM t WHERE {PATCH_OK} AND removedAccessPolicy_ObjectId_g <> '')
        SELECT a.Resource AS KeyVaultName, a.TimeGenerated AS AccessAddedTime, a.{UPN} AS AddedActor,
            a.addedAccessPolicy_ObjectId_g AS UserObjectAdded, a.addedAccessPolicy_Permissions_keys_s AS KeyAccessAdded,
            a.addedAccessPolicy_Permissions_secrets_s AS SecretAccessAdded,
            a.addedAccessPolicy_Permissions_certificates_s AS CertAccessAdded,
            r.TimeGenerated AS AccessRemovedTime, r.{UPN} AS RemovedActor,
            r.removedAccessPolicy_ObjectId_g AS UserObjectRemoved, r.removedAccessPolicy_Permissions_keys_s AS KeyAccessRemoved,
            r.removedAccessPolicy_Permissions_secrets_s AS SecretAccessRemoved,
            r.removedAccessPolicy_Permissions_certificates_s AS CertAccessRemoved,
            abs(epoch_us(a.ts) - epoch_us(r.ts)) AS TimeDelta
        FROM a JOIN r ON a.Resource = r.Resource
        WHERE abs(epoch_us(a.ts) - epoch_us(r.ts)) < 600000000""",
    "seed001-5": f"""WITH hist AS (SELECT DISTINCT Resource AS KeyVaultName, identity_claim_appid_g AS UserPrincipalName FROM t
            WHERE {HIST} AND ResourceType = 'VAULTS' AND ResultType = 'Success' AND OperationName IN {OPS5} AND {UPN} <> ''),
        recent AS (SELECT DISTINCT Resource AS KeyVaultName, {UPN} AS UserPrincipalName FROM t
            WHERE {RECENT} AND ResourceType = 'VAULTS' AND ResultType = 'Success' AND OperationName IN {OPS5} AND {UPN} <> ''),
        detection AS (SELECT * FROM recent WHERE NOT EXISTS (SELECT 1 FROM hist
            WHERE hist.KeyVaultName = recent.KeyVaultName AND hist.UserPrincipalName = recent.UserPrincipalName))
        SELECT t.TimeGenerated, t.{UPN} AS UserPrincipalName, t.ResourceGroup, t.SubscriptionId,
            t.Resource AS KeyVaultName, t.id_s AS KeyVaultTarget, t.OperationName
        FROM t JOIN detection d ON t.Resource = d.KeyVaultName AND t.{UPN} = d.UserPrincipalName
        WHERE {RECENT} AND t.ResourceType = 'VAULTS' AND t.ResultType = 'Success'""",
    "seed001-6": f"""WITH hist AS (SELECT DISTINCT Resource AS KeyVaultName, identity_claim_appid_g AS AppId FROM t
            WHERE {HIST} AND ResourceType = 'VAULTS' AND ResultType = 'Success' AND OperationName IN {OPS5}
              AND identity_claim_appid_g <> ''),
        recent AS (SELECT DISTINCT Resource AS KeyVaultName, identity_claim_appid_g AS AppId FROM t
            WHERE {RECENT} AND ResourceType = 'VAULTS' AND ResultType = 'Success' AND OperationName IN {OPS5}
              AND identity_claim_appid_g <> ''),
        detection AS (SELECT * FROM recent WHERE NOT EXISTS (SELECT 1 FROM hist
            WHERE hist.KeyVaultName = recent.KeyVaultName AND hist.AppId = recent.AppId))
        SELECT t.TimeGenerated, t.identity_claim_appid_g AS AppId, t.ResourceGroup, t.SubscriptionId,
            t.Resource AS KeyVaultName, t.id_s AS KeyVaultTarget, t.OperationName
        FROM t JOIN detection d ON t.Resource = d.KeyVaultName AND t.identity_claim_appid_g = d.AppId
        WHERE {RECENT} AND t.ResourceType = 'VAULTS' AND t.ResultType = 'Success'""",
    "seed001-7": f"""SELECT TimeGenerated, ResourceGroup, SubscriptionId, Resource AS KeyVaultName, id_s AS KeyVaultTarget,
        identity_claim_upn_s AS Actor, CallerIPAddress AS IPAddressofActor, OperationName FROM t
        WHERE ResourceType = 'VAULTS' AND ResultType = 'Success' AND OperationName IN {OPS7}""",
    "seed004-1": "SELECT CallerIPAddress, count(*) AS count_ FROM t GROUP BY ALL",
    "seed004-2": """SELECT requestUri_s, ResultSignature, httpStatusCode_d, count(*) AS count_ FROM t
        WHERE httpStatusCode_d >= 300 GROUP BY ALL""",
    "seed004-3": "SELECT TimeGenerated, OperationName FROM t WHERE Category = 'AuditEvent' ORDER BY ts DESC",
}


def timespan(us):
    """Kusto's timespan text for microseconds."""
    neg = us < 0
    us = abs(int(us))
    days, rem = divmod(us, 86_400_000_000)
    h, rem = divmod(rem, 3_600_000_000)
    m, rem = divmod(rem, 60_000_000)
    s, frac = divmod(rem, 1_000_000)
    out = ("-" if neg else "") + (f"{days}." if days else "") + f"{h:02}:{m:02}:{s:02}"
    if frac:
        out += f".{frac * 10:07}"
    return out


def norm(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--queries", default="all")
    args = ap.parse_args()
    names = list(SQL) if args.queries == "all" else args.queries.split(",")
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    work = tempfile.mkdtemp(prefix="keyhole-kql-duckdb-")
    rows_path = os.path.join(work, "rows.jsonl")
    res_dir = os.path.join(work, "results")
    cmd = ["cargo", "run", "--release", "-q", "-p", "keyhole-kql", "--example", "bench_kql", "--",
           "--events", str(args.events), "--queries", ",".join(names), "--export", rows_path, "--results", res_dir]
    print("$", " ".join(cmd), flush=True)
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    if out.returncode != 0:
        print(out.stdout)
        sys.exit(out.returncode)
    print(out.stdout)
    engine_times = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] in SQL and len(parts) >= 4 and parts[3] == "s":
            engine_times[parts[0]] = (float(parts[2]), " ".join(parts[4:6]))
    now_line = [l for l in out.stdout.splitlines() if l.startswith("now (end of data): ")][0]
    now = now_line.split(": ", 1)[1]

    con = duckdb.connect()
    t0 = time.perf_counter()
    with open(rows_path) as f:
        first = json.loads(f.readline() or "{}")
    # Every column as text except the one number, so the values stay exactly as exported.
    columns = ", ".join(f"'{c}': '{'DOUBLE' if c == 'httpStatusCode_d' else 'VARCHAR'}'" for c in first)
    con.execute(f"""CREATE TABLE t AS SELECT *, CAST(replace(TimeGenerated, 'Z', '') AS TIMESTAMP) AS ts
        FROM read_json('{rows_path}', format='newline_delimited', columns={{{columns}}})""")
    load = time.perf_counter() - t0
    con.execute(f"CREATE TABLE params AS SELECT CAST('{now}' AS TIMESTAMP) AS now_ts")
    n = con.execute("SELECT count(*) FROM t").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}: loaded {n} rows from JSON lines in {load:.2f} s")
    print(f"{'query':<10} {'rows':>9} {'keyhole':>10} {'duckdb':>10}  match")
    failures = 0
    for name in names:
        t0 = time.perf_counter()
        cur = con.execute(SQL[name])
        cols = [d[0] for d in cur.description]
        got = cur.fetchall()
        dt = time.perf_counter() - t0
        with open(os.path.join(res_dir, f"{name}.json")) as f:
            eng = json.load(f)
        if name == "seed001-4":
            got = [tuple(timespan(v) if c == "TimeDelta" else v for c, v in zip(cols, r)) for r in got]
        sql_rows = sorted(tuple(norm(v) for v in r) for r in got)
        eng_rows = sorted(tuple(norm(r.get(c)) for c in cols) for r in eng)
        ok = sql_rows == eng_rows
        if name == "seed004-3":
            # Same rows, and the engine's order is newest first.
            times = [r["TimeGenerated"] for r in eng]
            ok = ok and all(a >= b for a, b in zip(times, times[1:]))
        failures += not ok
        et = engine_times.get(name, (float("nan"), ""))
        print(f"{name:<10} {len(eng):>9} {et[0]:>9.3f}s {dt:>9.3f}s  {'yes' if ok else 'NO'}")
        if not ok:
            print("   only in keyhole:", [r for r in eng_rows if r not in set(sql_rows)][:3])
            print("   only in duckdb: ", [r for r in sql_rows if r not in set(eng_rows)][:3])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"DuckDB process peak RSS: {peak:.0f} MiB (rows loaded in memory)")
    print(f"{len(names) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
