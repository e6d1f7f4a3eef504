//! Every shape writer produces well-formed output, and the same records carry the same values in
//! every shape.

use keyhole_gen::diag::{portal_time, DIAG_COLUMNS};
use keyhole_gen::record::Record;
use keyhole_gen::write::{writer_for, OutShape};
use keyhole_gen::zip::{gzip, utf16le, Container, Gzip, ZipTree};
use keyhole_gen::{generate_all, GenConfig};
use serde_json::Value;

fn records() -> Vec<Record> {
    let cfg = GenConfig {
        seed: 11,
        days: 10,
        scale: 0.2,
        ..GenConfig::default()
    };
    let (recs, _) = generate_all(&cfg);
    // Every fourth record, and every record carrying a configuration or a policy change.
    recs.into_iter()
        .enumerate()
        .filter(|(i, r)| {
            i % 4 == 0
                || r.vault_props.is_some()
                || r.added_access_policy.is_some()
                || r.added_ip_rule.is_some()
        })
        .map(|(_, r)| r)
        .collect()
}

fn write(shape: OutShape, recs: &[Record]) -> Vec<u8> {
    let mut w = writer_for(shape, 120);
    let mut out = Vec::new();
    for r in recs {
        w.write_record(r, &mut out);
    }
    w.finish(&mut out);
    out
}

fn lines(b: &[u8]) -> Vec<Value> {
    b.split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// Minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF) for the test.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                c => field.push(c),
            }
        }
    }
    assert!(!quoted, "unterminated quote");
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[test]
fn json_shapes_parse_back_with_every_record() {
    let recs = records();
    let n = recs.len();
    assert!(n > 1000);
    assert_eq!(lines(&write(OutShape::RawJsonLines, &recs)).len(), n);
    let env: Value = serde_json::from_slice(&write(OutShape::RawRecordsEnvelope, &recs)).unwrap();
    assert_eq!(env["records"].as_array().unwrap().len(), n);
    let arr: Value = serde_json::from_slice(&write(OutShape::RawArray, &recs)).unwrap();
    assert_eq!(arr.as_array().unwrap().len(), n);
    assert_eq!(
        lines(&write(OutShape::AzureDiagnosticsJsonLines, &recs)).len(),
        n
    );
    let cli: Value = serde_json::from_slice(&write(OutShape::AzureDiagnosticsCli, &recs)).unwrap();
    assert_eq!(cli.as_array().unwrap().len(), n);
    let tables: Value =
        serde_json::from_slice(&write(OutShape::AzureDiagnosticsTables, &recs)).unwrap();
    assert_eq!(tables["tables"][0]["name"], "PrimaryResult");
    assert_eq!(tables["tables"][0]["rows"].as_array().unwrap().len(), n);
    let value: Value =
        serde_json::from_slice(&write(OutShape::AzureDiagnosticsValue, &recs)).unwrap();
    assert_eq!(value["value"].as_array().unwrap().len(), n);
    assert_eq!(lines(&write(OutShape::AzkvAuditLogs, &recs)).len(), n);
    // Empty documents are still well-formed.
    for s in OutShape::ALL {
        let out = write(s, &[]);
        if s.extension() == "json" && !out.is_empty() {
            serde_json::from_slice::<Value>(&out).unwrap_or_else(|e| panic!("{s:?} empty: {e}"));
        }
    }
}

#[test]
fn csv_rows_have_the_header_field_count_and_portal_times() {
    let recs = records();
    for (shape, head, offset) in [
        (OutShape::PortalCsv, "TimeGenerated [UTC]", 0i64),
        (OutShape::PortalCsvLocal, "TimeGenerated [Local Time]", 120),
    ] {
        let out = write(shape, &recs);
        assert_eq!(&out[..3], &[0xEF, 0xBB, 0xBF], "UTF-8 BOM");
        let text = std::str::from_utf8(&out[3..]).unwrap();
        let rows = csv_rows(text);
        assert_eq!(rows.len(), recs.len() + 1);
        let header = &rows[0];
        assert_eq!(header[0], head);
        assert_eq!(header.len(), DIAG_COLUMNS.len());
        let ti = 0;
        let rid = header.iter().position(|h| h == "_ResourceId").unwrap();
        let sec = header
            .iter()
            .position(|h| h == "addedAccessPolicy_Permissions_secrets_s")
            .unwrap();
        for (row, r) in rows[1..].iter().zip(&recs) {
            assert_eq!(row.len(), header.len());
            let t = keyhole_core::Timestamp::parse_portal(&row[ti], offset as i32).unwrap();
            assert_eq!(t.micros / 1000, r.ticks / 10_000, "millisecond precision");
            assert_eq!(row[ti], portal_time(r.ticks + offset * 60 * 10_000_000));
            assert_eq!(row[rid], r.vault.resource_id().to_ascii_lowercase());
            if let Some(p) = &r.added_access_policy {
                let v: Vec<String> = serde_json::from_str(&row[sec]).unwrap();
                assert_eq!(
                    v,
                    p.secrets.iter().map(|s| s.to_string()).collect::<Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn raw_and_azure_diagnostics_carry_the_same_values() {
    let recs = records();
    let raw = lines(&write(OutShape::RawJsonLines, &recs));
    let diag = lines(&write(OutShape::AzureDiagnosticsJsonLines, &recs));
    let cli: Value = serde_json::from_slice(&write(OutShape::AzureDiagnosticsCli, &recs)).unwrap();
    let cli = cli.as_array().unwrap();
    let tables: Value =
        serde_json::from_slice(&write(OutShape::AzureDiagnosticsTables, &recs)).unwrap();
    let cols: Vec<&str> = tables["tables"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let rows = tables["tables"][0]["rows"].as_array().unwrap();
    let value: Value =
        serde_json::from_slice(&write(OutShape::AzureDiagnosticsValue, &recs)).unwrap();
    let value = value["value"].as_array().unwrap();
    let azkv = lines(&write(OutShape::AzkvAuditLogs, &recs));
    let mut policies = 0;
    let mut configs = 0;
    for i in 0..raw.len() {
        let (r, d, c) = (&raw[i], &diag[i], &cli[i]);
        assert_eq!(r["time"], d["TimeGenerated"]);
        assert_eq!(r["operationName"], d["OperationName"]);
        assert_eq!(r["callerIpAddress"], d["CallerIPAddress"]);
        assert_eq!(r["correlationId"], d["CorrelationId"]);
        assert_eq!(r["resultSignature"], d["ResultSignature"]);
        assert_eq!(r["resourceId"], d["ResourceId"]);
        assert_eq!(d["ResourceProvider"], "MICROSOFT.KEYVAULT");
        assert_eq!(d["ResourceType"], "VAULTS");
        assert_eq!(d["Type"], "AzureDiagnostics");
        let rid = r["resourceId"].as_str().unwrap();
        assert_eq!(d["_ResourceId"].as_str().unwrap(), rid.to_ascii_lowercase());
        assert_eq!(
            d["Resource"].as_str().unwrap(),
            rid.rsplit('/').next().unwrap()
        );
        assert_eq!(
            d["SubscriptionId"].as_str().unwrap(),
            rid.split('/').nth(2).unwrap()
        );
        assert_eq!(
            d["ResourceGroup"].as_str().unwrap(),
            rid.split('/').nth(4).unwrap()
        );
        assert_eq!(
            r["durationMs"].as_str().unwrap(),
            d["DurationMs"].as_u64().unwrap().to_string()
        );
        assert_eq!(r["properties"]["httpStatusCode"], d["httpStatusCode_d"]);
        assert_eq!(r["properties"]["requestUri"], d["requestUri_s"]);
        assert_eq!(r["properties"]["clientInfo"], d["clientInfo_s"]);
        assert_eq!(r["properties"].get("id"), d.get("id_s"));
        assert_eq!(
            r["properties"].get("isAccessPolicyMatch"),
            d.get("isAccessPolicyMatch_b")
        );
        assert_eq!(
            r["properties"].get("isRbacAuthorized"),
            d.get("isRbacAuthorized_b")
        );
        let claim = &r["identity"]["claim"];
        if claim.is_null() {
            assert!(d.get("identity_claim_appid_g").is_none());
        } else {
            assert_eq!(claim["appid"], d["identity_claim_appid_g"]);
            assert_eq!(claim.get("oid"), d.get("identity_claim_oid_g"));
            assert_eq!(claim.get("upn"), d.get("identity_claim_upn_s"));
            assert_eq!(claim.get("idtyp"), d.get("identity_claim_idtyp_s"));
            assert_eq!(
                claim.get("http://schemas.microsoft.com/identity/claims/objectidentifier"),
                d.get(
                    "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g"
                )
            );
            assert_eq!(
                claim.get("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"),
                d.get("identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s")
            );
        }
        let props = &r["properties"]["properties"];
        if !props.is_null() {
            configs += 1;
            assert_eq!(
                props["enableSoftDelete"],
                d["properties_enableSoftDelete_b"]
            );
            assert_eq!(
                props["softDeleteRetentionInDays"],
                d["properties_softDeleteRetentionInDays_d"]
            );
            assert_eq!(
                props["enableRbacAuthorization"],
                d["properties_enableRbacAuthorization_b"]
            );
            assert_eq!(
                props["networkAcls"].get("defaultAction"),
                d.get("properties_networkAcls_defaultAction_s")
            );
            assert_eq!(props["sku"]["Name"], d["properties_sku_Name_s"]);
            let pp = &props["enablePurgeProtection"];
            assert_eq!(
                if pp.is_null() { None } else { Some(pp) },
                d.get("properties_enablePurgeProtection_b")
            );
        }
        if let Some(p) = r["properties"].get("addedAccessPolicy") {
            policies += 1;
            assert_eq!(p["ObjectId"], d["addedAccessPolicy_ObjectId_g"]);
            let secrets: Value = serde_json::from_str(
                d["addedAccessPolicy_Permissions_secrets_s"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(p["Permissions"]["secrets"], secrets);
        }
        if let Some(p) = r["properties"].get("addedIpRule") {
            assert_eq!(p["Value"], d["addedIpRule_Value_s"]);
        }
        // az CLI: the same values, every one a string.
        assert_eq!(c["TableName"], "PrimaryResult");
        for (k, v) in c.as_object().unwrap() {
            assert!(v.is_string(), "{k} is not a string");
        }
        for (k, v) in d.as_object().unwrap() {
            let expect = match v {
                Value::String(s) => s.clone(),
                Value::Bool(true) => "True".into(),
                Value::Bool(false) => "False".into(),
                other => other.to_string(),
            };
            assert_eq!(c[k].as_str().unwrap(), expect, "cli {k}");
        }
        assert_eq!(
            c["httpStatusCode_d"].as_str().unwrap(),
            r["properties"]["httpStatusCode"].to_string()
        );
        // REST tables and {"value"}: the same typed values as the JSON lines.
        for (j, name) in cols.iter().enumerate() {
            let cell = &rows[i][j];
            assert_eq!(d.get(*name).unwrap_or(&Value::Null), cell, "tables {name}");
        }
        assert_eq!(&value[i], d);
        // AZKVAuditLogs.
        let a = &azkv[i];
        assert_eq!(a["Type"], "AZKVAuditLogs");
        assert_eq!(a["TimeGenerated"], r["time"]);
        assert_eq!(a["Identity"], r["identity"]);
        assert_eq!(a["HttpStatusCode"], r["properties"]["httpStatusCode"]);
        assert_eq!(a["CallerIpAddress"], r["callerIpAddress"]);
        assert_eq!(a.get("Id"), r["properties"].get("id"));
        if !props.is_null() {
            assert_eq!(a["EnableSoftDelete"], props["enableSoftDelete"]);
            assert_eq!(
                a.get("NetworkAcls").unwrap_or(&Value::Null),
                &props["networkAcls"]
            );
        }
        if let Some(p) = r["properties"].get("addedAccessPolicy") {
            assert_eq!(&a["Properties"]["addedAccessPolicy"], p);
        }
    }
    assert!(configs > 50, "vault snapshots {configs}");
    assert!(policies >= 3, "access-policy changes {policies}");
}

fn u16le(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}
fn u32le(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Read a zip's central directory and every entry (stored or deflated), checking CRCs.
fn read_zip(b: &[u8]) -> Vec<(String, Vec<u8>)> {
    let eocd = (0..b.len() - 21)
        .rev()
        .find(|&i| u32le(b, i) == 0x0605_4b50)
        .expect("end of central directory");
    let n = u16le(b, eocd + 10);
    let mut at = u32le(b, eocd + 16);
    let mut out = Vec::new();
    for _ in 0..n {
        assert_eq!(u32le(b, at), 0x0201_4b50, "central header");
        let method = u16le(b, at + 10);
        let crc = u32le(b, at + 16) as u32;
        let csize = u32le(b, at + 20);
        let size = u32le(b, at + 24);
        let nlen = u16le(b, at + 28);
        let xlen = u16le(b, at + 30);
        let clen = u16le(b, at + 32);
        let local = u32le(b, at + 42);
        let name = String::from_utf8(b[at + 46..at + 46 + nlen].to_vec()).unwrap();
        assert_eq!(u32le(b, local), 0x0403_4b50, "local header");
        let data_at = local + 30 + u16le(b, local + 26) + u16le(b, local + 28);
        let body = &b[data_at..data_at + csize];
        let data = match method {
            0 => body.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec(body).unwrap(),
            m => panic!("method {m}"),
        };
        assert_eq!(data.len(), size);
        assert_eq!(crc32fast::hash(&data), crc, "{name}");
        out.push((name, data));
        at += 46 + nlen + xlen + clen;
    }
    out
}

#[test]
fn zip_tree_holds_one_hourly_json_lines_blob_per_vault_and_hour() {
    let recs = records();
    let mut z = ZipTree::new();
    let mut out = Vec::new();
    for r in &recs {
        z.write_record(r, &mut out);
    }
    z.finish(&mut out);
    let entries = read_zip(&out);
    let mut total = 0;
    let mut names = std::collections::HashSet::new();
    for (name, data) in &entries {
        assert!(names.insert(name.clone()), "duplicate entry {name}");
        assert!(
            name.starts_with("insights-logs-auditevent/resourceId=/SUBSCRIPTIONS/"),
            "{name}"
        );
        assert!(name.ends_with("/m=00/PT1H.json"));
        let parts: Vec<&str> = name.split('/').collect();
        let vault = parts[9];
        let (y, m, d, h) = (
            &parts[10][2..],
            &parts[11][2..],
            &parts[12][2..],
            &parts[13][2..],
        );
        for line in lines(data) {
            total += 1;
            let t = line["time"].as_str().unwrap();
            assert_eq!(
                &t[..13],
                format!("{y}-{m}-{d}T{h}"),
                "record in its hour blob"
            );
            assert!(line["resourceId"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/VAULTS/{vault}")));
        }
    }
    assert_eq!(total, recs.len());
    // The same bytes as the JSON-lines writer, regrouped.
    let raw = write(OutShape::RawJsonLines, &recs);
    let mut a: Vec<&[u8]> = raw
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut b: Vec<&[u8]> = entries
        .iter()
        .flat_map(|(_, d)| d.split(|&c| c == b'\n').filter(|l| !l.is_empty()))
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn zip64_directory_when_entries_exceed_65535() {
    let mut zw = keyhole_gen::zip::ZipWriter::new();
    let mut out = Vec::new();
    for i in 0..65_600u32 {
        zw.add(&format!("f{i}"), b"x", &mut out);
    }
    zw.finish(&mut out);
    let eocd = out.len() - 22;
    assert_eq!(u32le(&out, eocd), 0x0605_4b50);
    assert_eq!(u16le(&out, eocd + 10), 0xFFFF);
    let loc = eocd - 20;
    assert_eq!(u32le(&out, loc), 0x0706_4b50, "zip64 locator");
    let eocd64 = u64::from_le_bytes(out[loc + 8..loc + 16].try_into().unwrap()) as usize;
    assert_eq!(u32le(&out, eocd64), 0x0606_4b50);
    let n = u64::from_le_bytes(out[eocd64 + 32..eocd64 + 40].try_into().unwrap());
    assert_eq!(n, 65_600);
}

#[test]
fn gzip_and_utf16_wrap_any_shape() {
    let recs = records();
    let raw = write(OutShape::RawJsonLines, &recs);
    let gz = gzip(&raw);
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
    let body = &gz[10..gz.len() - 8];
    let back = miniz_oxide::inflate::decompress_to_vec(body).unwrap();
    assert_eq!(back, raw);
    let crc = u32::from_le_bytes(gz[gz.len() - 8..gz.len() - 4].try_into().unwrap());
    assert_eq!(crc, crc32fast::hash(&raw));
    assert!(gz.len() * 5 < raw.len(), "logs compress well");
    // Streaming in odd chunks gives the same stream.
    let mut g = Gzip::new();
    let mut out = Vec::new();
    for chunk in raw.chunks(7777) {
        g.feed(chunk, &mut out);
    }
    g.finish(&mut out);
    assert_eq!(
        miniz_oxide::inflate::decompress_to_vec(&out[10..out.len() - 8]).unwrap(),
        raw
    );

    let csv = write(OutShape::PortalCsv, &recs[..50]);
    let u = utf16le(&csv);
    assert_eq!(&u[..2], &[0xFF, 0xFE]);
    let units: Vec<u16> = u[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap().as_bytes(), &csv[..]);
    // Multi-byte characters split across chunks survive.
    let text = "é€😀 ok".repeat(20);
    let mut enc = keyhole_gen::zip::Utf16Le::new();
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(3) {
        enc.feed(chunk, &mut out);
    }
    enc.finish(&mut out);
    let units: Vec<u16> = out[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap(), text);
}

#[test]
fn shape_names_round_trip_and_map_to_core_shapes() {
    for s in OutShape::ALL {
        assert_eq!(OutShape::parse(s.name()), Some(s));
        assert_ne!(s.shape(), keyhole_core::ingest::Shape::Unrecognised);
    }
}

#[test]
fn blob_quirks_repeat_late_records_in_the_next_hour_blob() {
    let recs = records();
    let mut z = ZipTree::with_quirks();
    let mut out = Vec::new();
    for r in &recs {
        z.write_record(r, &mut out);
    }
    z.finish(&mut out);
    assert!(z.duplicated() > 0, "some records are written twice");
    let entries = read_zip(&out);
    let mut seen: std::collections::HashMap<Vec<u8>, Vec<String>> =
        std::collections::HashMap::new();
    for (name, data) in &entries {
        for l in data.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            seen.entry(l.to_vec()).or_default().push(name.clone());
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, names)| names.len() > 1).collect();
    assert_eq!(twice.len() as u64, z.duplicated());
    for (line, names) in twice {
        assert_eq!(names.len(), 2);
        let v: Value = serde_json::from_slice(line).unwrap();
        let t = v["time"].as_str().unwrap();
        let minute: u32 = t[14..16].parse().unwrap();
        assert!(minute >= 55, "a late record of its hour: {t}");
        // One copy in its own hour's blob, the other in the next hour's blob of the same vault.
        let own = names
            .iter()
            .filter(|n| n.contains(&format!("/h={}/", &t[11..13])))
            .count();
        assert_eq!(own, 1, "{names:?}");
        let vault_dir = |n: &str| n.split("/y=").next().unwrap().to_string();
        assert_eq!(vault_dir(&names[0]), vault_dir(&names[1]));
    }
    // Without quirks, every record is in exactly one blob.
    let mut z = ZipTree::new();
    let mut out = Vec::new();
    for r in &recs {
        z.write_record(r, &mut out);
    }
    z.finish(&mut out);
    assert_eq!(z.duplicated(), 0);
}
