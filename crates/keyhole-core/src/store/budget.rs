//! Will a drop fit in the page's memory? A wasm32 instance addresses at most 4 GiB, and the
//! analysis worker holds every event of the drop, so past a point a drop kills the tab. This
//! estimates the worker's peak from the input's size and its bytes per record (sampled from the
//! files' heads, then measured as the drop is read), and when it will not fit, picks the newest
//! part that does. Pure arithmetic: the page formats what it returns.

use serde::{Deserialize, Serialize};

/// What a wasm32 instance can address.
pub const WASM32_MEMORY: u64 = 4 << 30;
/// Kept free below the ceiling: growth steps of the allocator, messages, the result's JSON.
pub const HEADROOM: u64 = 768 << 20;
/// The analysis worker's peak per kept event, read to the first alert: the store while it is
/// built and merged, the events the rules, workbook and KQL read, detection state. Measured
/// natively (64-bit pointers: more than wasm32's) by `tests/ingest_memory.rs`, which fails
/// when it measures more than this: 268 bytes once every consumer read the store (issue 10
/// phase 2; 655 with the old `Vec<Event>`). On the page a 10 GB drop (10.06 M events) peaked at
/// 2.25 GB of PSS above the idle tab, ~224 bytes an event (`PAGE_MEMORY_LIMIT` in
/// `bench/page_bench.mjs`); 300 keeps a third above that.
pub const PEAK_BYTES_PER_EVENT: u64 = 300;
/// Besides the events: the module, read buffers, one unit's batch being merged.
pub const FIXED_BYTES: u64 = 160 << 20;
/// Bytes per record assumed when no record was seen yet (smaller than real raw records: an
/// over-estimate of the events).
pub const DEFAULT_BYTES_PER_RECORD: f64 = 400.0;

/// The estimate for one drop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub input_bytes: u64,
    /// Input bytes per record (sampled or measured; compressed bytes for compressed files).
    pub bytes_per_record: f64,
    pub events: u64,
    pub bytes_per_event: u64,
    /// Estimated peak of the analysis worker.
    pub needed_bytes: u64,
    /// What it may use: the ceiling minus the headroom.
    pub limit_bytes: u64,
    pub fits: bool,
    /// Input bytes that fit, at the same bytes per record.
    pub fitting_input_bytes: u64,
}

/// The usable memory under a ceiling (`None`: wasm32's).
pub fn usable(ceiling: Option<u64>) -> u64 {
    let c = ceiling.unwrap_or(WASM32_MEMORY);
    c.saturating_sub(HEADROOM.min(c / 4))
}

/// Estimate a drop of `input_bytes` whose sample of `sample_bytes` held `sample_records`
/// records, against `ceiling` bytes (`None`: wasm32's 4 GiB).
pub fn estimate(
    input_bytes: u64,
    sample_bytes: u64,
    sample_records: u64,
    ceiling: Option<u64>,
) -> Fit {
    let bpr = if sample_records > 0 && sample_bytes > 0 {
        (sample_bytes as f64 / sample_records as f64).max(1.0)
    } else {
        DEFAULT_BYTES_PER_RECORD
    };
    let events = (input_bytes as f64 / bpr).ceil() as u64;
    let needed = FIXED_BYTES.saturating_add(events.saturating_mul(PEAK_BYTES_PER_EVENT));
    let limit = usable(ceiling);
    let fitting_events = limit.saturating_sub(FIXED_BYTES) / PEAK_BYTES_PER_EVENT;
    // 10 % below the line: the bytes per record of a sample are not those of the whole drop
    let fitting = ((fitting_events as f64) * bpr * 0.9) as u64;
    Fit {
        input_bytes,
        bytes_per_record: bpr,
        events,
        bytes_per_event: PEAK_BYTES_PER_EVENT,
        needed_bytes: needed,
        limit_bytes: limit,
        fits: needed <= limit,
        fitting_input_bytes: fitting.min(input_bytes),
    }
}

/// One file of a drop for [`newest_part`]: its size and the time of its first record (`None`:
/// no record seen in its head).
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub bytes: u64,
    pub first_micros: Option<i64>,
}

/// The newest part of a drop that fits in `budget` input bytes: files newest first (by their
/// first record's time; files without one last), each whole while it fits, then the last
/// `n` bytes of the next one (logs are written in time order: its end is its newest part).
/// Returns, per file, the bytes to read from its end (0: skip it; its size: all of it).
pub fn newest_part(parts: &[Part], budget: u64) -> Vec<u64> {
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse((parts[i].first_micros.is_some(), parts[i].first_micros))
    });
    let mut take = vec![0u64; parts.len()];
    let mut left = budget;
    for i in order {
        let t = parts[i].bytes.min(left);
        take[i] = t;
        left -= t;
        if left == 0 {
            break;
        }
    }
    take
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_drop_fits_and_a_large_one_does_not() {
        let small = estimate(100 << 20, 1 << 20, 1500, None);
        assert!(small.fits, "{small:?}");
        assert_eq!(small.fitting_input_bytes, 100 << 20);
        let big = estimate(10 << 30, 1 << 20, 1500, None);
        assert!(!big.fits);
        assert!(big.needed_bytes > big.limit_bytes);
        // what fits, re-estimated, fits with a margin — and a fifth more would not
        let part = estimate(big.fitting_input_bytes, 1 << 20, 1500, None);
        assert!(part.fits, "{part:?}");
        let more = estimate(big.fitting_input_bytes / 5 * 6, 1 << 20, 1500, None);
        assert!(!more.fits);
        // a lower ceiling (the page's test setting) lowers the limit
        let low = estimate(100 << 20, 1 << 20, 1500, Some(64 << 20));
        assert!(!low.fits && low.limit_bytes == 48 << 20, "{low:?}");
        // no sample: the conservative default
        assert_eq!(estimate(4000, 0, 0, None).events, 10);
    }

    #[test]
    fn the_newest_files_are_kept_first_and_the_boundary_file_by_its_end() {
        let p = |bytes, t| Part {
            bytes,
            first_micros: t,
        };
        let parts = [
            p(100, Some(1)),
            p(100, Some(3)),
            p(100, None),
            p(100, Some(2)),
        ];
        assert_eq!(newest_part(&parts, 150), vec![0, 100, 0, 50]);
        assert_eq!(newest_part(&parts, 1000), vec![100, 100, 100, 100]);
        assert_eq!(newest_part(&parts, 0), vec![0, 0, 0, 0]);
        assert_eq!(newest_part(&parts, 350), vec![100, 100, 50, 100]);
    }
}
