//! Output destinations: standard output or `-o FILE`, buffered.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub fn open(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p.as_os_str() != "-" => Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(p)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?,
        )),
        _ => Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
    })
}

/// `KEYHOLE_TIMINGS` is set: print where the time went (ingest, merge, store, detection) on
/// standard error.
pub fn timings() -> bool {
    std::env::var_os("KEYHOLE_TIMINGS").is_some()
}
