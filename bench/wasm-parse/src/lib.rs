//! One file's parse unit, as a page's parse worker runs it: bytes fed in 8 MiB chunks to a
//! `FileIngest`, the unit encoded for the merge (`to_wire`); and the analysis worker's side:
//! the unit decoded (`from_wire`) and merged into a `Dataset` (`add_unit`), then the store
//! built (`finish_store`, what detection reads).

use keyhole_core::ingest::{Dataset, FileIngest, IngestOptions};
use wasm_bindgen::prelude::*;

/// The unit of `bytes` as the parse worker returns it.
#[wasm_bindgen]
pub fn parse_wire(bytes: &[u8]) -> Vec<u8> {
    let opts = IngestOptions::default();
    let mut f = FileIngest::new("bench.jsonl", &opts);
    f.expect_bytes(bytes.len() as u64);
    for c in bytes.chunks(8 << 20) {
        f.feed(c);
    }
    f.finish();
    f.to_wire()
}

/// The wire size of [`parse_wire`] (what the parse rounds time).
#[wasm_bindgen]
pub fn parse(bytes: &[u8]) -> usize {
    parse_wire(bytes).len()
}

/// The unit merged into a new dataset; `build`: and its store built. Returns the events.
#[wasm_bindgen]
pub fn merge(wire: &[u8], build: bool) -> usize {
    let opts = IngestOptions::default();
    let mut ds = Dataset::new(opts.clone());
    let unit = FileIngest::from_wire(wire, &opts).expect("a unit's wire");
    if ds.add_unit(unit).is_err() {
        panic!("a unit from the file's start is never re-parsed");
    }
    ds.end_file();
    if build {
        ds.finish_store().0.len()
    } else {
        ds.len()
    }
}
