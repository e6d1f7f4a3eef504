//! Fuzz target: the fast record scanner (ingest/fast.rs) against serde_json. Whenever the
//! scanner takes a record, it must read exactly what serde_json reads; it must never accept
//! what serde_json rejects. A prefix byte picks a realistic record to splice the input into,
//! so the fuzzer spends its time near real records as well as on raw bytes.
#![no_main]

use keyhole_core::ingest::check_record_scanner;
use libfuzzer_sys::fuzz_target;

const RECORD: &str = r#"{"time":"2026-10-01T00:05:03.7652486Z","category":"AuditEvent","operationName":"VaultGet","resultType":"Success","correlationId":"ac0eee1a-6472-4252-ba5c-617e669c8ac7","callerIpAddress":"52.178.179.59","identity":{"claim":{"oid":"161b4f21","appid":"6510667d","xms":[],"idtyp":"app"}},"properties":{"id":"https://kv.vault.azure.net/","clientInfo":"x","httpStatusCode":200,"requestUri":"https://kv.vault.azure.net/?api-version=7.4","properties":{"sku":{"Name":"standard"},"networkAcls":{"defaultAction":"Deny"},"enableSoftDelete":true}},"resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV","durationMs":"120"}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let input: Vec<u8> = if k & 1 == 0 {
        rest.to_vec()
    } else {
        // splice the fuzz bytes into the record at a position the next byte picks
        let (at, body) = match rest.split_first() {
            Some((&p, b)) => (p as usize * RECORD.len() / 256, b),
            None => (0, rest),
        };
        let mut v = RECORD.as_bytes()[..at].to_vec();
        v.extend_from_slice(body);
        v.extend_from_slice(&RECORD.as_bytes()[at..]);
        v
    };
    if let Err(e) = check_record_scanner(&input) {
        panic!("{e}\ninput: {:?}", String::from_utf8_lossy(&input));
    }
});
