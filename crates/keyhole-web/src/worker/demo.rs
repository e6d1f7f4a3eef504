//! "Try with demo data": the generator (keyhole-gen) runs here in the worker and writes raw
//! diagnostic records (JSON lines), which go through the same ingest as dropped files.

use keyhole_gen::{writer_for, GenConfig, Generator, OutShape};

pub struct Demo {
    pub files: Vec<(String, Vec<u8>)>,
    pub tor: &'static str,
    pub suspicious: &'static str,
}

/// The demo drop: one file a generated day, and the demo's threat-intel lists.
pub fn demo_files() -> Result<Demo, String> {
    let cfg = GenConfig::demo();
    cfg.validate()?;
    let start = cfg.start_day.clone();
    let mut files = Vec::new();
    let mut gen = Generator::new(cfg);
    let mut day = 0;
    while let Some(records) = gen.next_day() {
        let mut w = writer_for(OutShape::RawJsonLines, 0);
        let mut out = Vec::new();
        for r in &records {
            w.write_record(r, &mut out);
        }
        w.finish(&mut out);
        files.push((format!("demo/{start}+{day:02}d/PT24H.json"), out));
        day += 1;
    }
    Ok(Demo {
        files,
        tor: keyhole_gen::demo_tor_list(),
        suspicious: keyhole_gen::demo_suspicious_list(),
    })
}
