//! # keyhole-core
//!
//! Bytes → events → findings, as a pure library: no I/O, no threads, no clock, no web-sys, no
//! wasm-bindgen. It compiles for `wasm32-unknown-unknown` and natively; the CLI and the web worker
//! drive it.
//!
//! - [`ingest`]: push-style parsing of every Key Vault export shape (feed chunks, get events and
//!   positioned diagnostics), containers (zip, gzip), encodings (UTF-8 ± BOM, UTF-16).
//! - [`event`]: the normalised event model (spec §2).
//! - [`detect`]: the alert catalogue (spec §3), one rule a file.
//! - [`workbook`]: the aggregates the page draws (Sentinel workbook panels).

pub mod detect;
pub mod event;
pub mod export;
pub mod ingest;
pub mod store;
pub mod time;
pub mod workbook;
pub mod zone;

pub use event::{Event, Identity, IdentityKind, ObjectKind, Op, Outcome, Source, Str, Verb};
pub use store::{EventRef, EventStore};
pub use time::Timestamp;
pub use zone::LocalZone;
