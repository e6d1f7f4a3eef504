//! Fuzz target: zip containers (local file header magic forces the zip reader).
//! The first input byte picks the chunk size, so split points are fuzzed too (common/mod.rs).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const PREFIX: &[u8] = b"PK\x03\x04";

fuzz_target!(|data: &[u8]| common::ingest(PREFIX, data));
