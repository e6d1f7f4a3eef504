//! Bad input is normal input: good records kept, bad ones reported with file:line, no panic,
//! no hang, no stack overflow.

use keyhole_core::ingest::{parse_bytes, Dataset, FileReport, IngestOptions, Shape, Wrapper};
use keyhole_core::EventStore;

const GOOD: &str = r#"{"time":"2026-10-18T03:10:11.1234567Z","operationName":"SecretGet","resultType":"Success","correlationId":"c-1","callerIpAddress":"203.0.113.10","identity":{"claim":{"oid":"11111111-2222-3333-4444-555555555555","upn":"alice@contoso.com"}},"properties":{"id":"https://kv1.vault.azure.net/secrets/s1/0123456789abcdef0123456789abcdef","httpStatusCode":200,"requestUri":"https://kv1.vault.azure.net/secrets/s1?api-version=7.5"},"resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1","durationMs":"5"}"#;

fn good(i: usize) -> String {
    GOOD.replace("c-1", &format!("c-{i}"))
        .replace("11.1234567Z", &format!("{:02}.1234567Z", i % 60))
}

fn lines(n: usize) -> String {
    (0..n).map(|i| good(i) + "\n").collect()
}

fn feed_chunks(name: &str, bytes: &[u8], chunk: usize) -> (EventStore, FileReport) {
    let mut ds = Dataset::new(IngestOptions::default());
    let mut f = ds.open(name);
    for c in bytes.chunks(chunk.max(1)) {
        f.feed(c);
    }
    let rep = ds.close(f).clone();
    let (ev, _) = ds.finish_store();
    (ev, rep)
}

fn reasons(r: &FileReport) -> Vec<String> {
    r.problems
        .iter()
        .map(|p| format!("{}:{}: {}", p.file, p.line, p.reason))
        .collect()
}

// ---- minimal writers for containers ----
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, 6)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    v.extend(deflate(data));
    v.extend([0u8; 4]); // crc (not checked)
    v.extend((data.len() as u32).to_le_bytes());
    v
}

/// (name, data, method 0|8, data descriptor?)
fn zip(entries: &[(&str, Vec<u8>, u16, bool)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (name, data, method, dd) in entries {
        let body = if *method == 8 {
            deflate(data)
        } else {
            data.clone()
        };
        v.extend(b"PK\x03\x04");
        v.extend(20u16.to_le_bytes());
        v.extend((if *dd { 8u16 } else { 0 }).to_le_bytes());
        v.extend(method.to_le_bytes());
        v.extend([0u8; 8]); // time, date, crc
        let (cs, us) = if *dd {
            (0u32, 0u32)
        } else {
            (body.len() as u32, data.len() as u32)
        };
        v.extend(cs.to_le_bytes());
        v.extend(us.to_le_bytes());
        v.extend((name.len() as u16).to_le_bytes());
        v.extend(0u16.to_le_bytes());
        v.extend(name.as_bytes());
        v.extend(&body);
        if *dd {
            v.extend(b"PK\x07\x08");
            v.extend([0u8; 4]);
            v.extend((body.len() as u32).to_le_bytes());
            v.extend((data.len() as u32).to_le_bytes());
        }
    }
    v.extend(b"PK\x05\x06");
    v.extend([0u8; 18]);
    v
}

#[test]
fn truncated_json_lines_keep_good_records() {
    let mut s = lines(3);
    s.push_str(&good(3)[..100]);
    let (ev, rep) = parse_bytes("t.json", s.as_bytes(), IngestOptions::default());
    assert_eq!(ev.len(), 3);
    assert_eq!(rep.skipped, 1);
    assert_eq!(rep.problems[0].line, 4);
    assert!(
        rep.problems[0]
            .reason
            .starts_with("line 4: not JSON: EOF while parsing"),
        "{:?}",
        rep.problems
    );
}

#[test]
fn garbage_between_good_lines() {
    let s = format!(
        "{}\ngarbage here\n{}\n{{\"broken\": \n\n{}\n",
        good(1),
        good(2),
        good(3)
    );
    let (ev, rep) = parse_bytes("g.json", s.as_bytes(), IngestOptions::default());
    assert_eq!(ev.len(), 3);
    assert_eq!(rep.skipped, 2);
    let r = reasons(&rep);
    assert_eq!(
        r[0],
        "g.json:2: line 2: not JSON: expected value at column 1"
    );
    assert!(
        r[1].starts_with("g.json:4: line 4: not JSON: EOF while parsing"),
        "{r:?}"
    );
    assert_eq!(
        ev.rows().map(|e| e.source().line).collect::<Vec<_>>(),
        vec![1, 3, 6]
    );
}

#[test]
fn empty_and_whitespace_files() {
    let (ev, rep) = parse_bytes("empty.json", b"", IngestOptions::default());
    assert!(ev.is_empty());
    assert_eq!(rep.problems[0].reason, "empty file");
    assert!(rep.is_unrecognised());
    let (ev, rep) = parse_bytes("ws.json", b"  \n\r\n ", IngestOptions::default());
    assert!(ev.is_empty());
    assert!(rep.problems[0].reason.starts_with("empty file"));
}

#[test]
fn random_bytes_are_unrecognised() {
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let (ev, rep) = parse_bytes("random.bin", &bytes, IngestOptions::default());
    assert!(ev.is_empty());
    assert!(rep.is_unrecognised());
    assert_eq!(rep.shapes, vec![Shape::Unrecognised]);
    assert!(
        rep.problems[0].reason.starts_with("unrecognised"),
        "{:?}",
        rep.problems
    );
}

#[test]
fn utf16_with_and_without_bom() {
    let text = lines(3);
    let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    for (label, bytes, w) in [
        (
            "le-bom",
            [vec![0xff, 0xfe], le.clone()].concat(),
            Wrapper::Utf16Le,
        ),
        ("le-nobom", le.clone(), Wrapper::Utf16Le),
        (
            "be-bom",
            [vec![0xfe, 0xff], be.clone()].concat(),
            Wrapper::Utf16Be,
        ),
    ] {
        for chunk in [1, 3, 4096] {
            let (ev, rep) = feed_chunks(label, &bytes, chunk);
            assert_eq!(ev.len(), 3, "{label} chunk {chunk}: {:?}", rep.problems);
            assert_eq!(rep.wrappers, vec![w]);
        }
    }
    // a non-BMP character (surrogate pair) split across chunks survives
    let s = good(0).replace("alice@contoso.com", "alice\u{1F512}@contoso.com") + "\n";
    let le: Vec<u8> = [
        vec![0xff, 0xfe],
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
    ]
    .concat();
    let (ev, _) = feed_chunks("sp", &le, 1);
    assert_eq!(
        ev.row(0).identity().upn.as_deref(),
        Some("alice\u{1F512}@contoso.com")
    );
}

#[test]
fn unrelated_json_file_is_reported() {
    let s = r#"{"name": "my-app", "version": "1.0.0", "dependencies": {"left-pad": "1.3.0"}}"#;
    let (ev, rep) = parse_bytes("package.json", s.as_bytes(), IngestOptions::default());
    assert!(ev.is_empty());
    assert_eq!(rep.skipped, 1);
    assert!(
        rep.problems[0]
            .reason
            .contains("not a Key Vault audit record"),
        "{:?}",
        rep.problems
    );
    let s = "[1, 2, {\"a\": 3}]";
    let (ev, rep) = parse_bytes("nums.json", s.as_bytes(), IngestOptions::default());
    assert!(ev.is_empty());
    assert_eq!(rep.skipped, 3);
}

#[test]
fn csv_with_unrelated_header() {
    let s = "Name,Email,Phone\nalice,alice@example.com,555\n";
    let (ev, rep) = parse_bytes("contacts.csv", s.as_bytes(), IngestOptions::default());
    assert!(ev.is_empty());
    assert!(rep.is_unrecognised());
    assert_eq!(rep.problems.len(), 1);
    assert!(
        rep.problems[0].reason.contains("CSV header"),
        "{:?}",
        rep.problems
    );
}

#[test]
fn thirty_megabyte_junk_line_is_skipped_without_buffering() {
    let mut s = lines(2).into_bytes();
    s.extend(std::iter::repeat_n(b'x', 30 << 20));
    s.push(b'\n');
    s.extend(
        lines(2)
            .replace("c-0", "c-8")
            .replace("c-1", "c-9")
            .into_bytes(),
    );
    let (ev, rep) = feed_chunks("junk.json", &s, 1 << 20);
    assert_eq!(ev.len(), 4);
    assert_eq!(rep.skipped, 1);
    assert_eq!(rep.problems[0].line, 3);
    assert!(
        rep.problems[0].reason.contains("longer than 16 MiB"),
        "{:?}",
        rep.problems
    );
    // the same inside a JSON array: the element is skipped, the others kept
    let mut a = format!("[{},", good(1)).into_bytes();
    a.extend(b"{\"junk\":\"");
    a.extend(std::iter::repeat_n(b'y', 30 << 20));
    a.extend(format!("\"}},\n{}]", good(2)).into_bytes());
    let (ev, rep) = feed_chunks("junk-array.json", &a, 1 << 20);
    assert_eq!(ev.len(), 2);
    assert_eq!(rep.skipped, 1);
    assert!(
        rep.problems[0]
            .reason
            .starts_with("record 1 (line 1): longer than 16 MiB"),
        "{:?}",
        rep.problems
    );
}

#[test]
fn zip_with_one_corrupt_member() {
    let mut corrupt = deflate(lines(5).as_bytes());
    corrupt[0] = 0xff; // final block of the reserved type 3: invalid
    for b in corrupt.iter_mut().skip(10).take(40) {
        *b ^= 0x5a;
    }
    let entries = vec![
        ("logs/", Vec::new(), 0, false),
        ("logs/a/PT1H.json", lines(2).into_bytes(), 8, false),
        ("logs/b/PT1H.json", Vec::new(), 0, false),
        (
            "logs/c/PT1H.json",
            lines(3).replace("c-", "cc-").into_bytes(),
            8,
            true,
        ),
        (
            "logs/d/PT1H.json.gz",
            gzip(lines(2).replace("c-", "dd-").as_bytes()),
            0,
            false,
        ),
    ];
    let mut z = zip(&entries);
    // splice a corrupt deflate member in second position (sizes known: resync exactly)
    let mut bad = zip(&[("logs/bad/PT1H.json", Vec::new(), 8, false)]);
    bad.truncate(bad.len() - 22);
    let csize_at = 18;
    bad[csize_at..csize_at + 4].copy_from_slice(&(corrupt.len() as u32).to_le_bytes());
    bad.extend(&corrupt);
    let first_end = z.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    let second = first_end
        + 4
        + z[first_end + 4..]
            .windows(4)
            .position(|w| w == b"PK\x03\x04")
            .unwrap();
    let second = second
        + 4
        + z[second + 4..]
            .windows(4)
            .position(|w| w == b"PK\x03\x04")
            .unwrap();
    z.splice(second..second, bad);
    for chunk in [1, 7, 1 << 20] {
        let (ev, rep) = feed_chunks("drop.zip", &z, chunk);
        assert_eq!(ev.len(), 7, "chunk {chunk}: {:?}", reasons(&rep));
        assert_eq!(rep.wrappers, vec![Wrapper::Zip]);
        let names: Vec<&str> = rep.members.iter().map(|m| &*m.file).collect();
        assert_eq!(
            names,
            vec![
                "drop.zip:logs/a/PT1H.json",
                "drop.zip:logs/bad/PT1H.json",
                "drop.zip:logs/b/PT1H.json",
                "drop.zip:logs/c/PT1H.json",
                "drop.zip:logs/d/PT1H.json.gz"
            ]
        );
        let bad = &rep.members[1];
        assert!(bad.skipped >= 1);
        assert!(
            bad.problems
                .iter()
                .any(|p| p.reason.starts_with("corrupt zip member")),
            "{:?}",
            bad.problems
        );
        assert_eq!(rep.members[2].problems[0].reason, "empty file");
        assert_eq!(rep.members[4].wrappers, vec![Wrapper::Gzip]);
        assert!(ev
            .rows()
            .any(|e| &*e.source().file == "drop.zip:logs/d/PT1H.json.gz"));
        assert_eq!(rep.records, 7);
    }
}

#[test]
fn truncated_gzip_keeps_what_decoded() {
    let text = lines(200);
    let gz = gzip(text.as_bytes());
    let cut = &gz[..gz.len() * 2 / 3];
    for chunk in [1, 4096] {
        let (ev, rep) = feed_chunks("cut.json.gz", cut, chunk);
        assert!(ev.len() > 50 && ev.len() < 200, "{}", ev.len());
        assert!(
            reasons(&rep).iter().any(|r| r.contains("truncated gzip")),
            "{:?}",
            reasons(&rep)
        );
    }
    // multi-member: both members read
    let two = [
        gzip(lines(3).as_bytes()),
        gzip(lines(6).replace("c-", "m2-").as_bytes()),
    ]
    .concat();
    let (ev, rep) = feed_chunks("two.gz", &two, 5);
    assert_eq!(ev.len(), 9, "{:?}", reasons(&rep));
}

#[test]
fn deep_nesting_is_a_problem_not_a_stack_overflow() {
    let deep = "[".repeat(200_000);
    let closed = format!("{deep}{}", "]".repeat(200_000));
    for (name, s) in [
        ("open.json", deep.clone()),
        ("closed.json", closed.clone()),
        (
            "env.json",
            format!("{{\"records\":[{closed}, {}]}}", good(1)),
        ),
        (
            "lines.json",
            format!("{}\n{{\"a\":{closed}}}\n{}\n", good(1), good(2)),
        ),
        ("obj.json", format!("{{\n\"x\": {deep}")),
    ] {
        let (ev, rep) = feed_chunks(name, s.as_bytes(), 65536);
        assert!(rep.skipped >= 1, "{name}: {:?}", rep.problems);
        let expect = match name {
            "env.json" => 1,
            "lines.json" => 2,
            _ => 0,
        };
        assert_eq!(ev.len(), expect, "{name}: {:?}", rep.problems);
    }
}

#[test]
fn problems_are_counted_exactly_and_capped() {
    let mut s = String::new();
    for i in 0..120 {
        s.push_str(&format!("garbage {i}\n"));
        s.push_str(&good(i));
        s.push('\n');
    }
    let (ev, rep) = parse_bytes("many.json", s.as_bytes(), IngestOptions::default());
    assert_eq!(ev.len(), 120);
    assert_eq!(rep.skipped, 120);
    assert_eq!(rep.problems.len(), 50);
    assert_eq!(rep.problems[49].line, 99);
}

#[test]
fn non_key_vault_azure_diagnostics_rows_are_skipped_with_a_reason() {
    let s = r#"{"TimeGenerated":"2026-10-18T04:00:00Z","ResourceProvider":"MICROSOFT.STORAGE","OperationName":"GetBlob","Type":"AzureDiagnostics"}"#;
    let (ev, rep) = parse_bytes("sa.json", s.as_bytes(), IngestOptions::default());
    assert!(ev.is_empty());
    assert_eq!(
        rep.problems[0].reason,
        "line 1: AzureDiagnostics row from MICROSOFT.STORAGE: not a Key Vault audit record"
    );
}

#[test]
fn truncated_document_reports_the_record() {
    let s = format!("{{\n \"records\": [\n {},\n {}", good(1), &good(2)[..50]);
    let (ev, rep) = parse_bytes("cut.json", s.as_bytes(), IngestOptions::default());
    assert_eq!(ev.len(), 1);
    assert_eq!(
        rep.problems[0].reason,
        "record 1 (line 4): truncated at end of file"
    );
}

#[test]
fn one_byte_chunks_of_a_long_first_line_stay_linear() {
    // A record with a 1 MB field, fed one byte at a time: format sniffing must not re-scan the
    // buffer on every byte (that was quadratic: ~10^12 steps, a hang).
    let big = good(0).replace(
        "\"durationMs\":\"5\"",
        &format!("\"pad\":\"{}\",\"durationMs\":\"5\"", "p".repeat(1 << 20)),
    );
    let s = format!("{big}\n{}\n", good(1));
    let (ev, rep) = feed_chunks("big.json", s.as_bytes(), 1);
    assert_eq!(ev.len(), 2, "{:?}", rep.problems);
    let env = format!("{{\"records\":[{big},{}]}}", good(1));
    let (ev, rep) = feed_chunks("big-env.json", env.as_bytes(), 1);
    assert_eq!(ev.len(), 2, "{:?}", rep.problems);
}

#[test]
fn unknown_operation_names_are_kept() {
    let s = good(1).replace("SecretGet", "SecretBrandNewThing")
        + "\n"
        + &good(2).replace("SecretGet", "QuantumVaultTeleport");
    let (ev, rep) = parse_bytes("new.json", s.as_bytes(), IngestOptions::default());
    assert_eq!(ev.len(), 2, "{:?}", rep.problems);
    assert_eq!(&**ev.row(0).operation(), "SecretBrandNewThing");
    assert_eq!(
        ev.row(0).op(),
        keyhole_core::Op::Object(keyhole_core::ObjectKind::Secret, keyhole_core::Verb::Other)
    );
    assert_eq!(&**ev.row(1).operation(), "QuantumVaultTeleport");
    assert_eq!(ev.row(1).op(), keyhole_core::Op::Other);
    assert_eq!(
        ev.row(1).object_kind(),
        keyhole_core::ObjectKind::Secret,
        "from the object URL"
    );
}

#[test]
fn local_time_csv_in_a_named_zone_follows_daylight_saving() {
    // Europe/Berlin: summer time (UTC+2) ends at 03:00 on 27 Oct 2024, the clock goes back to
    // 02:00, so 02:00-03:00 happens twice; it began at 02:00 on 31 Mar 2024 (02:30 never was).
    let csv = "TimeGenerated [Local Time],OperationName,Resource,httpStatusCode_d\n\
        \"10/26/2024, 11:00:00.000 PM\",SecretGet,KV1,200\n\
        2024-10-27 02:30:00,SecretList,KV1,200\n\
        2024-10-27 02:45:00,SecretList,KV1,200\n\
        \"10/28/2024, 9:00:00.000 AM\",SecretSet,KV1,200\n\
        2024-03-31 02:30:00,SecretGet,KV1,200\n\
        2024-10-27T02:30:00Z,SecretGet,KV1,200\n";
    let read = |zone: &str| {
        let opts = IngestOptions {
            local_zone: keyhole_core::LocalZone::parse(zone).unwrap(),
            ..IngestOptions::default()
        };
        parse_bytes("local.csv", csv.as_bytes(), opts)
    };
    let (ev, rep) = read("Europe/Berlin");
    let mut got: Vec<(String, String)> = ev
        .rows()
        .map(|e| (e.operation().to_string(), e.time().to_rfc3339()))
        .collect();
    got.sort();
    let want = [
        ("SecretGet", "2024-03-31T01:30:00.000Z"), // skipped hour: the winter offset
        ("SecretGet", "2024-10-26T21:00:00.000Z"), // summer: UTC+2
        ("SecretGet", "2024-10-27T02:30:00.000Z"), // written with its zone: as written
        ("SecretList", "2024-10-27T00:30:00.000Z"), // repeated hour: its first pass
        ("SecretList", "2024-10-27T00:45:00.000Z"),
        ("SecretSet", "2024-10-28T08:00:00.000Z"), // winter: UTC+1
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.replace(".000", "")))
        .collect();
    let got: Vec<(String, String)> = got
        .into_iter()
        .map(|(a, b)| (a, b.replace(".000", "")))
        .collect();
    assert_eq!(got, want, "{:?}", rep.problems);
    assert_eq!(rep.skipped, 0);
    let says = |what: &str| {
        rep.problems
            .iter()
            .filter(|p| p.warning && p.reason.contains(what))
            .map(|p| p.line)
            .collect::<Vec<_>>()
    };
    assert_eq!(says("in Europe/Berlin, daylight saving included"), [1]);
    // once per file, at the first such row, with where it was put
    assert_eq!(says("repeats when daylight saving ends"), [3]);
    assert!(rep
        .problems
        .iter()
        .any(|p| p.reason.contains("2024-10-27T00:30:00Z")));
    assert_eq!(says("skips when daylight saving begins"), [6]);

    // a fixed offset puts the winter row an hour off: what the zone is for
    let (ev, _) = read("+02:00");
    let set = ev.rows().find(|e| &**e.operation() == "SecretSet").unwrap();
    assert_eq!(set.time().to_rfc3339(), "2024-10-28T07:00:00.000Z");
}

#[test]
fn local_time_csv_with_iso_times_is_shifted_too() {
    let csv = "TimeGenerated [Local Time],OperationName,Resource,httpStatusCode_d\n2024-09-24 21:34:57.433,SecretGet,KV1,200\n\"9/24/2024, 9:34:57.433 PM\",SecretList,KV1,200\n2024-09-24T19:34:57.433Z,SecretSet,KV1,200\n";
    let opts = IngestOptions {
        local_zone: keyhole_core::LocalZone::Fixed(120),
        ..IngestOptions::default()
    };
    let (ev, rep) = parse_bytes("local.csv", csv.as_bytes(), opts);
    assert_eq!(ev.len(), 3, "{:?}", rep.problems);
    for e in ev.rows() {
        assert_eq!(
            e.time().to_rfc3339(),
            "2024-09-24T19:34:57.433Z",
            "{}",
            e.operation()
        );
    }
    assert!(
        rep.problems[0].warning && rep.problems[0].reason.contains("UTC+02:00"),
        "{:?}",
        rep.problems
    );
    assert_eq!(rep.skipped, 0);
}
