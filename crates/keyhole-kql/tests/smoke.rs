mod support;
use support::*;

#[test]
fn every_library_query_runs() {
    let events = vec![
        ev("2026-10-01T10:00:00Z", "kv1", "SecretGet")
            .user("a@x.com", "oid-a")
            .build(),
        ev("2026-10-02T10:00:00Z", "kv1", "VaultPatch")
            .user("b@x.com", "oid-b")
            .acl("Deny")
            .build(),
        ev("2026-10-02T11:00:00Z", "kv1", "VaultPatch")
            .user("b@x.com", "oid-b")
            .acl("Allow")
            .build(),
        ev("2026-10-02T12:00:00Z", "kv1", "Authentication")
            .status(401, "Unauthorized")
            .build(),
    ];
    for q in keyhole_kql::library() {
        let t = keyhole_kql::run(q.text, &events, &Default::default());
        match t {
            Ok(t) => println!("{}: {} rows\n{}", q.name, t.rows.len(), t.to_text()),
            Err(e) => panic!("{}: {e}", q.name),
        }
    }
}
