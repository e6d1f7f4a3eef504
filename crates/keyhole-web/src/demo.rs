//! "Try with demo data": generated logs with every alert kind, made in the browser.

/// Files (name, bytes) of the demo drop.
pub fn demo_files() -> Result<Vec<(String, Vec<u8>)>, String> {
    Err("The demo generator (keyhole_gen) is not part of this build yet.".into())
}
