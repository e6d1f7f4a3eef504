//! The detection engine (spec §3). Filled in by the detection work (issue 3).
