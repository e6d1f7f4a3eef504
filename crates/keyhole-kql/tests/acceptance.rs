//! The 12 acceptance queries, run verbatim over hand-built fixtures that contain what each one
//! hunts for plus decoys. Every expected row below is worked out by hand from the fixture and the
//! query text (the comments say why each event is in or out), never produced by the engine.

mod support;
use keyhole_kql::{run, QueryOptions};
use support::*;

const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn rid(vault: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourcegroups/rg-prod/providers/microsoft.keyvault/vaults/{vault}"
    )
}

fn sorted(mut v: Vec<Vec<String>>) -> Vec<Vec<String>> {
    v.sort();
    v
}

fn exp(rows: &[&[&str]]) -> Vec<Vec<String>> {
    sorted(
        rows.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect(),
    )
}

fn run_named(name: &str, events: &[keyhole_core::Event], now: Option<&str>) -> keyhole_kql::Table {
    let opts = QueryOptions {
        now: now.map(ts),
        ..Default::default()
    };
    run(
        query(name),
        &keyhole_core::EventStore::from_events(events),
        &opts,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn seed000_1_requests_by_ip_and_vault() {
    let e = vec![
        ev("2026-10-01T01:00:00Z", "kv-a", "SecretGet")
            .ip("10.0.0.1")
            .build(),
        ev("2026-10-01T02:00:00Z", "kv-a", "SecretGet")
            .ip("10.0.0.1")
            .build(),
        ev("2026-10-01T03:00:00Z", "kv-a", "Authentication")
            .ip("10.0.0.1")
            .status(401, "Unauthorized")
            .build(),
        ev("2026-10-01T04:00:00Z", "kv-a", "KeyGet")
            .ip("10.0.0.2")
            .build(),
        ev("2026-10-01T05:00:00Z", "kv-b", "SecretGet")
            .ip("10.0.0.1")
            .build(),
        ev("2026-10-01T06:00:00Z", "kv-b", "SecretGet")
            .ip("10.0.0.1")
            .build(),
        // Caller IP text is kept as given: ip:port is its own group, a missing IP is "".
        ev("2026-10-01T07:00:00Z", "kv-a", "SecretGet")
            .ip("10.0.0.9:443")
            .build(),
        ev("2026-10-01T08:00:00Z", "kv-b", "SecretGet")
            .ip("")
            .build(),
    ];
    let t = run_named("seed000-1", &e, None);
    assert_eq!(names(&t), ["CallerIPAddress", "Resource", "count_"]);
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &["", "KV-B", "1"],
            &["10.0.0.1", "KV-A", "3"],
            &["10.0.0.1", "KV-B", "2"],
            &["10.0.0.2", "KV-A", "1"],
            &["10.0.0.9:443", "KV-A", "1"],
        ])
    );
}

#[test]
fn seed000_2_failures_without_auth_challenge() {
    let u = |p: &str| format!("https://kv-a.vault.azure.net/{p}?api-version=7.4");
    let e = vec![
        // The SDK challenge: Authentication + 401 is excluded.
        ev("2026-10-01T01:00:00Z", "kv-a", "Authentication")
            .status(401, "Unauthorized")
            .uri(&u(""))
            .build(),
        ev("2026-10-01T01:00:01Z", "kv-a", "Authentication")
            .status(401, "Unauthorized")
            .uri(&u(""))
            .build(),
        // Real failures (ResultType still says "Success", as in real tenants).
        ev("2026-10-01T02:00:00Z", "kv-a", "SecretGet")
            .status(403, "Forbidden")
            .uri(&u("secrets/s1"))
            .build(),
        ev("2026-10-01T02:01:00Z", "kv-a", "SecretGet")
            .status(403, "Forbidden")
            .uri(&u("secrets/s1"))
            .build(),
        ev("2026-10-01T02:02:00Z", "kv-a", "SecretGet")
            .status(429, "TooManyRequests")
            .uri(&u("secrets/s1"))
            .build(),
        ev("2026-10-01T03:00:00Z", "kv-a", "SecretGet")
            .status(404, "NotFound")
            .uri(&u("secrets/s2"))
            .build(),
        // A 401 on a non-Authentication operation is kept.
        ev("2026-10-01T04:00:00Z", "kv-b", "KeyGet")
            .status(401, "Unauthorized")
            .uri("https://kv-b.vault.azure.net/keys/k1")
            .build(),
        // Decoys: success, and a record without a status (null >= 300 is not true).
        ev("2026-10-01T05:00:00Z", "kv-a", "SecretGet")
            .uri(&u("secrets/s1"))
            .build(),
        {
            let mut x = ev("2026-10-01T06:00:00Z", "kv-a", "SecretGet")
                .uri(&u("secrets/s3"))
                .build();
            x.status = None;
            x
        },
    ];
    let t = run_named("seed000-2", &e, None);
    assert_eq!(
        names(&t),
        ["requestUri_s", "ResultSignature", "_ResourceId", "count_"]
    );
    let (s1, s2) = (u("secrets/s1"), u("secrets/s2"));
    let (ra, rb) = (rid("kv-a"), rid("kv-b"));
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &[&s1, "Forbidden", &ra, "2"],
            &[&s1, "TooManyRequests", &ra, "1"],
            &[&s2, "NotFound", &ra, "1"],
            &[
                "https://kv-b.vault.azure.net/keys/k1",
                "Unauthorized",
                &rb,
                "1"
            ],
        ])
    );
}

#[test]
fn seed001_1_firewall_opened() {
    let patch = |t: &str, v: &str, acl: &str, who: &str, ip: &str| {
        ev(t, v, "VaultPatch").acl(acl).user(who, "oid").ip(ip)
    };
    let e = vec![
        // kv-a: two Deny snapshots, then Allow twice; arg_max keeps the latest Allow (12:00).
        patch(
            "2026-10-10T09:00:00Z",
            "kv-a",
            "Deny",
            "alice@contoso.com",
            "1.1.1.1",
        )
        .build(),
        patch(
            "2026-10-10T10:00:00Z",
            "kv-a",
            "Deny",
            "alice@contoso.com",
            "1.1.1.1",
        )
        .build(),
        patch(
            "2026-10-10T11:00:00Z",
            "kv-a",
            "Allow",
            "mallory@contoso.com",
            "6.6.6.6",
        )
        .build(),
        patch(
            "2026-10-10T12:00:00Z",
            "kv-a",
            "Allow",
            "mallory2@contoso.com",
            "7.7.7.7",
        )
        .build(),
        // kv-b: Deny only. kv-c: Allow only (never Deny).
        patch(
            "2026-10-10T09:00:00Z",
            "kv-b",
            "Deny",
            "bob@contoso.com",
            "2.2.2.2",
        )
        .build(),
        patch(
            "2026-10-10T10:00:00Z",
            "kv-b",
            "Deny",
            "bob@contoso.com",
            "2.2.2.2",
        )
        .build(),
        patch(
            "2026-10-10T09:00:00Z",
            "kv-c",
            "Allow",
            "carol@contoso.com",
            "3.3.3.3",
        )
        .build(),
        // kv-d: the Allow patch failed (ResultType "Failure"); kv-e: Allow seen on a VaultGet only.
        patch(
            "2026-10-10T09:00:00Z",
            "kv-d",
            "Deny",
            "dave@contoso.com",
            "4.4.4.4",
        )
        .build(),
        patch(
            "2026-10-10T10:00:00Z",
            "kv-d",
            "Allow",
            "dave@contoso.com",
            "4.4.4.4",
        )
        .result_type("Failure")
        .build(),
        patch(
            "2026-10-10T09:00:00Z",
            "kv-e",
            "Deny",
            "erin@contoso.com",
            "5.5.5.5",
        )
        .build(),
        ev("2026-10-10T10:00:00Z", "kv-e", "VaultGet")
            .acl("Allow")
            .build(),
        // A VaultPatch without configuration (empty ACL) on kv-a is neither side's hit.
        ev("2026-10-10T13:00:00Z", "kv-a", "VaultPatch").build(),
    ];
    let t = run_named("seed001-1", &e, None);
    assert_eq!(
        names(&t),
        [
            "DetectionTime",
            "VaultName",
            "ExistingACL",
            "NewACL",
            "SubscriptionId",
            "IPAddressofActor",
            "Actor"
        ]
    );
    // Each Deny row of kv-a joins the latest Allow row: two identical result rows.
    let row: &[&str] = &[
        "2026-10-10T12:00:00Z",
        "KV-A",
        "Deny",
        "Allow",
        SUB,
        "7.7.7.7",
        "mallory2@contoso.com",
    ];
    assert_eq!(sorted(rows(&t)), exp(&[row, row]));
}

#[test]
fn seed001_2_ip_rule_added() {
    let e = vec![
        ev("2026-10-10T09:00:00Z", "kv-a", "VaultPatch")
            .ip_rule("203.0.113.0/24")
            .user("alice@contoso.com", "o1")
            .ip("1.1.1.1")
            .build(),
        // Decoys: patch without a rule, a VaultPut with a rule, a failed patch with a rule.
        ev("2026-10-10T09:10:00Z", "kv-a", "VaultPatch")
            .user("alice@contoso.com", "o1")
            .build(),
        ev("2026-10-10T09:20:00Z", "kv-b", "VaultPut")
            .ip_rule("198.51.100.7")
            .build(),
        ev("2026-10-10T09:30:00Z", "kv-c", "VaultPatch")
            .ip_rule("192.0.2.0/24")
            .result_type("Failure")
            .build(),
    ];
    let t = run_named("seed001-2", &e, None);
    assert_eq!(
        names(&t),
        [
            "TimeGenerated",
            "VaultName",
            "SubscriptionId",
            "IPAddressofActor",
            "Actor",
            "IPRangeAdded"
        ]
    );
    assert_eq!(
        rows(&t),
        exp(&[&[
            "2026-10-10T09:00:00Z",
            "KV-A",
            SUB,
            "1.1.1.1",
            "alice@contoso.com",
            "203.0.113.0/24"
        ]])
    );
}

#[test]
fn seed001_3_access_policy_granted() {
    let e = vec![
        ev("2026-10-10T09:00:00Z", "kv-a", "VaultPatch")
            .added(
                "99999999-0000-0000-0000-000000000001",
                &["get", "list"],
                &["get"],
                &[],
            )
            .user("alice@contoso.com", "o1")
            .ip("1.1.1.1")
            .build(),
        // Decoys: a removal only (added columns empty), a VaultGet, a failed grant.
        ev("2026-10-10T09:10:00Z", "kv-a", "VaultPatch")
            .removed("x", &["get"], &[], &[])
            .build(),
        ev("2026-10-10T09:20:00Z", "kv-a", "VaultGet")
            .added("y", &["get"], &[], &[])
            .build(),
        ev("2026-10-10T09:30:00Z", "kv-b", "VaultPatch")
            .added("z", &["get"], &[], &[])
            .result_type("Failure")
            .build(),
    ];
    let t = run_named("seed001-3", &e, None);
    assert_eq!(
        names(&t),
        [
            "TimeGenerated",
            "KeyVaultName",
            "ServicePrincipalAdded",
            "Actor",
            "IPAddressofActor",
            "AddedSecretPolicy",
            "AddedKeyPolicy",
            "AddedCertPolicy"
        ]
    );
    assert_eq!(
        rows(&t),
        exp(&[&[
            "2026-10-10T09:00:00Z",
            "KV-A",
            "99999999-0000-0000-0000-000000000001",
            "alice@contoso.com",
            "1.1.1.1",
            r#"["get"]"#,
            r#"["get","list"]"#,
            "[]"
        ]])
    );
}

#[test]
fn seed001_4_access_flash() {
    let add = |t: &str, v: &str, who: &str| {
        ev(t, v, "VaultPatch")
            .added("obj-x", &["get"], &["get", "list"], &[])
            .user(who, "o")
    };
    let rem = |t: &str, v: &str, who: &str| {
        ev(t, v, "VaultPatch")
            .removed("obj-x", &["get"], &["get", "list"], &[])
            .user(who, "o")
    };
    let e = vec![
        // kv-a: granted 10:00, removed 10:05 (5 min: hit); removed again 13:00 (3 h: out).
        add("2026-10-10T10:00:00Z", "kv-a", "alice@contoso.com").build(),
        rem("2026-10-10T10:05:00Z", "kv-a", "bob@contoso.com").build(),
        rem("2026-10-10T13:00:00Z", "kv-a", "bob@contoso.com").build(),
        // kv-b: 20 minutes apart (out). kv-d: exactly 10 minutes (not < 10m: out).
        add("2026-10-10T10:00:00Z", "kv-b", "alice@contoso.com").build(),
        rem("2026-10-10T10:20:00Z", "kv-b", "alice@contoso.com").build(),
        add("2026-10-10T10:00:00Z", "kv-d", "alice@contoso.com").build(),
        rem("2026-10-10T10:10:00Z", "kv-d", "alice@contoso.com").build(),
        // kv-c: removal 2 minutes BEFORE the grant — abs() makes it a hit, as the query is written.
        add("2026-10-10T10:00:00Z", "kv-c", "carol@contoso.com").build(),
        rem("2026-10-10T09:58:00Z", "kv-c", "carol@contoso.com").build(),
        // kv-e: a removal within 10 minutes but on a failed patch (out).
        add("2026-10-10T10:00:00Z", "kv-e", "erin@contoso.com").build(),
        rem("2026-10-10T10:01:00Z", "kv-e", "erin@contoso.com")
            .result_type("Failure")
            .build(),
    ];
    let t = run_named("seed001-4", &e, None);
    assert_eq!(
        names(&t),
        [
            "KeyVaultName",
            "AccessAddedTime",
            "AddedActor",
            "UserObjectAdded",
            "KeyAccessAdded",
            "SecretAccessAdded",
            "CertAccessAdded",
            "AccessRemovedTime",
            "RemovedActor",
            "UserObjectRemoved",
            "KeyAccessRemoved",
            "SecretAccessRemoved",
            "CertAccessRemoved",
            "TimeDelta"
        ]
    );
    let k = r#"["get"]"#;
    let s = r#"["get","list"]"#;
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &[
                "KV-A",
                "2026-10-10T10:00:00Z",
                "alice@contoso.com",
                "obj-x",
                k,
                s,
                "[]",
                "2026-10-10T10:05:00Z",
                "bob@contoso.com",
                "obj-x",
                k,
                s,
                "[]",
                "00:05:00"
            ],
            &[
                "KV-C",
                "2026-10-10T10:00:00Z",
                "carol@contoso.com",
                "obj-x",
                k,
                s,
                "[]",
                "2026-10-10T09:58:00Z",
                "carol@contoso.com",
                "obj-x",
                k,
                s,
                "[]",
                "00:02:00"
            ],
        ])
    );
    assert_eq!(t.columns[13].ty, keyhole_kql::Type::TimeSpan);
}

#[test]
fn seed001_5_new_users() {
    // now = 2026-10-31T00:00Z: history is [10-01T00:00, 10-30T00:00], "recent" is after 10-30T00:00.
    let e = vec![
        ev("2026-10-15T09:00:00Z", "kv-a", "VaultGet")
            .user("alice@contoso.com", "oa")
            .app("app-portal")
            .build(),
        ev("2026-10-30T10:00:00Z", "kv-a", "VaultGet")
            .user("alice@contoso.com", "oa")
            .app("app-portal")
            .build(),
        ev("2026-10-30T11:00:00Z", "kv-a", "VaultPatch")
            .user("alice@contoso.com", "oa")
            .app("app-portal")
            .build(),
        ev("2026-10-30T12:00:00Z", "kv-a", "VaultGet")
            .user("bob@contoso.com", "ob")
            .app("app-portal")
            .build(),
        // carol reads a secret: data-plane records carry the short upn claim, so the long-form
        // column the query filters on is empty and she is not returned.
        ev("2026-10-30T13:00:00Z", "kv-a", "SecretGet")
            .user("carol@contoso.com", "oc")
            .build(),
        // dave's VaultGet did not succeed; erin's is before the last day; an app-only VaultGet.
        ev("2026-10-30T14:00:00Z", "kv-b", "VaultGet")
            .user("dave@contoso.com", "od")
            .result_type("Failure")
            .build(),
        ev("2026-10-29T23:00:00Z", "kv-a", "VaultGet")
            .user("erin@contoso.com", "oe")
            .build(),
        ev("2026-10-30T15:00:00Z", "kv-a", "VaultGet")
            .app("app-only")
            .build(),
    ];
    let t = run_named("seed001-5", &e, Some("2026-10-31T00:00:00Z"));
    assert_eq!(
        names(&t),
        [
            "TimeGenerated",
            "UserPrincipalName",
            "ResourceGroup",
            "SubscriptionId",
            "KeyVaultName",
            "KeyVaultTarget",
            "OperationName"
        ]
    );
    // As published, the history side keys on identity_claim_appid_g while the recent side keys on
    // the upn, so the rightanti never matches and every recent VaultGet user counts as new —
    // alice included. All their recent successful ARM operations on the vault are returned.
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &[
                "2026-10-30T10:00:00Z",
                "alice@contoso.com",
                "RG-PROD",
                SUB,
                "KV-A",
                "",
                "VaultGet"
            ],
            &[
                "2026-10-30T11:00:00Z",
                "alice@contoso.com",
                "RG-PROD",
                SUB,
                "KV-A",
                "",
                "VaultPatch"
            ],
            &[
                "2026-10-30T12:00:00Z",
                "bob@contoso.com",
                "RG-PROD",
                SUB,
                "KV-A",
                "",
                "VaultGet"
            ],
        ])
    );
}

#[test]
fn seed001_6_new_apps() {
    let sget = |t: &str, v: &str, app: &str| {
        ev(t, v, "SecretGet")
            .app(app)
            .id(&format!("https://{v}.vault.azure.net/secrets/s1/v1"))
    };
    let e = vec![
        // A1 has history on kv-a (out there) but is new on kv-b (in).
        sget("2026-10-10T09:00:00Z", "kv-a", "A1").build(),
        sget("2026-10-30T10:00:00Z", "kv-a", "A1").build(),
        sget("2026-10-30T12:00:00Z", "kv-b", "A1").build(),
        // A2 is new on kv-a: all its recent successes come back, even SecretList (not in the list).
        sget("2026-10-30T11:00:00Z", "kv-a", "A2").build(),
        ev("2026-10-30T11:05:00Z", "kv-a", "KeyGet")
            .app("A2")
            .id("https://kv-a.vault.azure.net/keys/k1/v1")
            .build(),
        ev("2026-10-30T11:06:00Z", "kv-a", "SecretList")
            .app("A2")
            .id("https://kv-a.vault.azure.net/secrets")
            .build(),
        // A3 only wrote (SecretSet is not in the operation list): not detected.
        ev("2026-10-30T13:00:00Z", "kv-a", "SecretSet")
            .app("A3")
            .build(),
        // A4 was refused (403) but ResultType says "Success", as real logs do: the query keeps it.
        sget("2026-10-30T14:00:00Z", "kv-a", "A4")
            .status(403, "Forbidden")
            .build(),
        // A5 failed outright; A6 was seen exactly at ago(30d) (between is inclusive).
        sget("2026-10-30T15:00:00Z", "kv-a", "A5")
            .result_type("Failure")
            .build(),
        sget("2026-10-01T00:00:00Z", "kv-a", "A6").build(),
        sget("2026-10-30T16:00:00Z", "kv-a", "A6").build(),
    ];
    let t = run_named("seed001-6", &e, Some("2026-10-31T00:00:00Z"));
    assert_eq!(
        names(&t),
        [
            "TimeGenerated",
            "AppId",
            "ResourceGroup",
            "SubscriptionId",
            "KeyVaultName",
            "KeyVaultTarget",
            "OperationName"
        ]
    );
    // app ids come back lower-cased: the store normalises ids as ingest does
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &[
                "2026-10-30T11:00:00Z",
                "a2",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/secrets/s1/v1",
                "SecretGet"
            ],
            &[
                "2026-10-30T11:05:00Z",
                "a2",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/keys/k1/v1",
                "KeyGet"
            ],
            &[
                "2026-10-30T11:06:00Z",
                "a2",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/secrets",
                "SecretList"
            ],
            &[
                "2026-10-30T12:00:00Z",
                "a1",
                "RG-PROD",
                SUB,
                "KV-B",
                "https://kv-b.vault.azure.net/secrets/s1/v1",
                "SecretGet"
            ],
            &[
                "2026-10-30T14:00:00Z",
                "a4",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/secrets/s1/v1",
                "SecretGet"
            ],
        ])
    );
}

#[test]
fn seed001_7_destructive_operations() {
    let e = vec![
        ev("2026-10-10T09:00:00Z", "kv-a", "SecretDelete")
            .user("alice@contoso.com", "o")
            .ip("1.1.1.1")
            .id("https://kv-a.vault.azure.net/secrets/db")
            .build(),
        ev("2026-10-10T09:01:00Z", "kv-a", "SecretPurge")
            .user("alice@contoso.com", "o")
            .ip("1.1.1.1")
            .id("https://kv-a.vault.azure.net/deletedsecrets/db")
            .build(),
        ev("2026-10-10T09:02:00Z", "kv-a", "KeyBackup")
            .app("A9")
            .ip("2.2.2.2")
            .id("https://kv-a.vault.azure.net/keys/k1")
            .build(),
        ev("2026-10-10T09:03:00Z", "kv-a", "SecretListDeleted")
            .user("alice@contoso.com", "o")
            .ip("1.1.1.1")
            .build(),
        // An ARM operation: the short upn column is empty for it.
        ev("2026-10-10T09:04:00Z", "kv-b", "VaultDelete")
            .user("bob@contoso.com", "o")
            .ip("3.3.3.3")
            .build(),
        ev("2026-10-10T09:05:00Z", "kv-b", "CertificatePurge")
            .user("bob@contoso.com", "o")
            .ip("3.3.3.3")
            .build(),
        // Decoys: reads and writes, a failed KeyDelete, an operation whose case differs (in is case-sensitive).
        ev("2026-10-10T09:06:00Z", "kv-a", "SecretGet")
            .user("alice@contoso.com", "o")
            .build(),
        ev("2026-10-10T09:07:00Z", "kv-a", "SecretSet")
            .user("alice@contoso.com", "o")
            .build(),
        ev("2026-10-10T09:08:00Z", "kv-a", "KeyDelete")
            .user("alice@contoso.com", "o")
            .result_type("Failure")
            .build(),
        ev("2026-10-10T09:09:00Z", "kv-a", "secretdelete")
            .user("alice@contoso.com", "o")
            .build(),
    ];
    let t = run_named("seed001-7", &e, None);
    assert_eq!(
        names(&t),
        [
            "TimeGenerated",
            "ResourceGroup",
            "SubscriptionId",
            "KeyVaultName",
            "KeyVaultTarget",
            "Actor",
            "IPAddressofActor",
            "OperationName"
        ]
    );
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &[
                "2026-10-10T09:00:00Z",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/secrets/db",
                "alice@contoso.com",
                "1.1.1.1",
                "SecretDelete"
            ],
            &[
                "2026-10-10T09:01:00Z",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/deletedsecrets/db",
                "alice@contoso.com",
                "1.1.1.1",
                "SecretPurge"
            ],
            &[
                "2026-10-10T09:02:00Z",
                "RG-PROD",
                SUB,
                "KV-A",
                "https://kv-a.vault.azure.net/keys/k1",
                "",
                "2.2.2.2",
                "KeyBackup"
            ],
            &[
                "2026-10-10T09:03:00Z",
                "RG-PROD",
                SUB,
                "KV-A",
                "",
                "alice@contoso.com",
                "1.1.1.1",
                "SecretListDeleted"
            ],
            &[
                "2026-10-10T09:04:00Z",
                "RG-PROD",
                SUB,
                "KV-B",
                "",
                "",
                "3.3.3.3",
                "VaultDelete"
            ],
            &[
                "2026-10-10T09:05:00Z",
                "RG-PROD",
                SUB,
                "KV-B",
                "",
                "bob@contoso.com",
                "3.3.3.3",
                "CertificatePurge"
            ],
        ])
    );
}

#[test]
fn seed004_1_requests_by_ip() {
    let e = vec![
        ev("2026-10-10T09:00:00Z", "kv-a", "SecretGet")
            .ip("10.0.0.1")
            .build(),
        ev("2026-10-10T09:01:00Z", "kv-b", "SecretGet")
            .ip("10.0.0.1")
            .build(),
        ev("2026-10-10T09:02:00Z", "kv-a", "Authentication")
            .ip("10.0.0.1")
            .status(401, "Unauthorized")
            .build(),
        ev("2026-10-10T09:03:00Z", "kv-a", "SecretGet")
            .ip("2001:db8::1")
            .build(),
        ev("2026-10-10T09:04:00Z", "kv-a", "SecretGet")
            .ip("<Redacted>")
            .build(),
        ev("2026-10-10T09:05:00Z", "kv-a", "SecretGet")
            .ip("")
            .build(),
    ];
    let t = run_named("seed004-1", &e, None);
    assert_eq!(names(&t), ["CallerIPAddress", "count_"]);
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &["", "1"],
            &["10.0.0.1", "3"],
            &["2001:db8::1", "1"],
            &["<Redacted>", "1"]
        ])
    );
}

#[test]
fn seed004_2_failures_by_uri_signature_status() {
    let e = vec![
        ev("2026-10-10T09:00:00Z", "kv-a", "Authentication")
            .status(401, "Unauthorized")
            .uri("U0")
            .build(),
        ev("2026-10-10T09:00:01Z", "kv-a", "Authentication")
            .status(401, "Unauthorized")
            .uri("U0")
            .build(),
        ev("2026-10-10T09:01:00Z", "kv-a", "SecretGet")
            .status(403, "Forbidden")
            .uri("U1")
            .build(),
        ev("2026-10-10T09:02:00Z", "kv-a", "SecretGet")
            .status(404, "NotFound")
            .uri("U2")
            .build(),
        ev("2026-10-10T09:03:00Z", "kv-b", "SecretGet")
            .status(404, "NotFound")
            .uri("U2")
            .build(),
        ev("2026-10-10T09:04:00Z", "kv-a", "KeyCreate")
            .status(500, "InternalServerError")
            .uri("U3")
            .build(),
        ev("2026-10-10T09:05:00Z", "kv-a", "SecretGet")
            .uri("U1")
            .build(),
        ev("2026-10-10T09:06:00Z", "kv-a", "SecretSet")
            .status(202, "Accepted")
            .uri("U1")
            .build(),
    ];
    let t = run_named("seed004-2", &e, None);
    assert_eq!(
        names(&t),
        [
            "requestUri_s",
            "ResultSignature",
            "httpStatusCode_d",
            "count_"
        ]
    );
    assert_eq!(t.columns[2].ty, keyhole_kql::Type::Real);
    assert_eq!(
        sorted(rows(&t)),
        exp(&[
            &["U0", "Unauthorized", "401", "2"],
            &["U1", "Forbidden", "403", "1"],
            &["U2", "NotFound", "404", "2"],
            &["U3", "InternalServerError", "500", "1"],
        ])
    );
}

#[test]
fn seed004_3_all_audit_events_newest_first() {
    let mut other = ev("2026-10-10T09:30:00Z", "kv-a", "SecretGet").build();
    other.category = Some("AzurePolicyEvaluationDetails".into());
    let e = vec![
        ev("2026-10-10T09:00:00Z", "kv-a", "SecretGet").build(),
        ev("2026-10-10T11:00:00Z", "kv-b", "KeyGet").build(),
        other,
        ev("2026-10-10T10:00:00Z", "kv-a", "VaultGet").build(),
    ];
    let t = run_named("seed004-3", &e, None);
    assert_eq!(t.columns[0].name, "$table");
    let time = t.column_index("TimeGenerated").unwrap();
    let op = t.column_index("OperationName").unwrap();
    let got: Vec<(String, String, String)> = t
        .rows
        .iter()
        .map(|r| (r[0].to_string(), r[time].to_string(), r[op].to_string()))
        .collect();
    let want = [
        ("AzureDiagnostics", "2026-10-10T11:00:00Z", "KeyGet"),
        ("AzureDiagnostics", "2026-10-10T10:00:00Z", "VaultGet"),
        ("AzureDiagnostics", "2026-10-10T09:00:00Z", "SecretGet"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
}

/// The embedded library is a verbatim copy of `shared/spec/kql/*.kql`.
#[test]
fn library_matches_shared_spec() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/kql");
    if !dir.exists() {
        println!("skipped: ../shared/spec/kql not present");
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "kql"))
        .collect();
    files.sort();
    assert_eq!(files.len(), keyhole_kql::library().len());
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        assert_eq!(query(&name), text, "{name} differs from {}", f.display());
    }
}
