//! Fuzz target: JSON lines (a valid first line forces the JSON-lines parser).
//! The first input byte picks the chunk size, so split points are fuzzed too (common/mod.rs).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const PREFIX: &[u8] = b"{\"time\":\"2026-01-01T00:00:00Z\",\"operationName\":\"SecretGet\",\"resourceId\":\"/VAULTS/KV\",\"properties\":{\"httpStatusCode\":200}}\n";

fuzz_target!(|data: &[u8]| common::ingest(PREFIX, data));
