//! Fuzz target: portal CSV (a Key Vault header forces the CSV parser; its `[Local Time]` column
//! is read in a zone with daylight saving).
//! The first input byte picks the chunk size, so split points are fuzzed too (common/mod.rs).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const PREFIX: &[u8] = b"TimeGenerated [Local Time],OperationName,ResourceId,httpStatusCode_d,CallerIPAddress,identity_claim_oid_g\r\n";

fuzz_target!(|data: &[u8]| common::ingest(PREFIX, data));
