//! One file's parse unit, as a page's parse worker runs it: bytes fed in 8 MiB chunks to a
//! `FileIngest`, the unit encoded for the merge (`to_wire`). Returns the wire size.

use keyhole_core::ingest::{FileIngest, IngestOptions};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn parse(bytes: &[u8]) -> usize {
    let opts = IngestOptions::default();
    let mut f = FileIngest::new("bench.jsonl", &opts);
    f.expect_bytes(bytes.len() as u64);
    for c in bytes.chunks(8 << 20) {
        f.feed(c);
    }
    f.finish();
    f.to_wire().len()
}
