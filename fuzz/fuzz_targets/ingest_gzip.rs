//! Fuzz target: gzip containers (a gzip header forces the gzip reader).
//! The first input byte picks the chunk size, so split points are fuzzed too (common/mod.rs).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const PREFIX: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff";

fuzz_target!(|data: &[u8]| common::ingest(PREFIX, data));
