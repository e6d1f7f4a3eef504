//! `keyhole-gen`: write synthetic Key Vault audit logs (with injected attacks) in any shape.

use keyhole_gen::write::{writer_for, OutShape};
use keyhole_gen::zip::{BlobTree, Container, Gzip, Utf16Le, ZipTree};
use keyhole_gen::{GenConfig, Generator};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

const HELP: &str = "keyhole-gen — synthetic Azure Key Vault audit logs with injected attacks

USAGE:
  keyhole-gen [OPTIONS] --shape <SHAPE> --out FILE
  keyhole-gen [OPTIONS] --shape zip-tree --out FILE.zip
  keyhole-gen [OPTIONS] --shape tree --out-dir DIR     (the storage container as folders)
  keyhole-gen [OPTIONS] --shape all --out-dir DIR

OPTIONS:
  --seed N             PRNG seed (default 1)
  --scale X            tenant size; 1.0 ≈ 50–100k records over 28 days (default 1.0)
  --days D             days to generate (default 28)
  --start YYYY-MM-DD   first day (default 2026-10-01)
  --vaults N --users N --apps N   override the scaled counts
  --attacks            inject one attack per catalogue rule (needs --days ≥ 9)
  --new-deployment-day D   a benign trap: a new application that starts reading its secrets
                       on day index D (0-based) and every hour after it
  --last-days N        write only the last N of the --days days (the drop a responder exports
                       around an incident: the same records the full run writes on those days);
                       --manifest then lists only the attacks inside them
  --demo               the page's demo configuration (small, every attack)
  --shape SHAPE        one of: SHAPES
  --gzip               gzip the output
  --blob-quirks        zip-tree/tree: now and then repeat a record of an hour's last minutes in
                       the next hour's blob (out-of-hour events, the same record in two files)
  --utf16              write UTF-16 LE with BOM
  --local-offset MIN   portal-csv-local: offset of the [Local Time] column in minutes (default 120)
  --out FILE           output file (`-` for standard output)
  --out-dir DIR        --shape all: one file per shape; --shape tree: the folder tree
  --manifest FILE      write the injected attacks as JSON
  --lists DIR          write demo tor.txt and suspicious.txt intel lists into DIR
  --size SIZE          keep generating days (benign after --days) until SIZE bytes are written
                       (e.g. 200MB, 1GB; compressed bytes for --gzip and zip-tree)
  -h, --help           this text

Figures (records, bytes, records/s, MB/s) go to standard error.";

struct Args {
    cfg: GenConfig,
    shape: String,
    gzip: bool,
    utf16: bool,
    blob_quirks: bool,
    local_offset: i32,
    out: Option<String>,
    out_dir: Option<String>,
    manifest: Option<String>,
    lists: Option<String>,
    size: Option<u64>,
    last_days: Option<u32>,
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let (num, mult) = if let Some(n) = s.strip_suffix("GB") {
        (n, 1_000_000_000u64)
    } else if let Some(n) = s.strip_suffix("MB") {
        (n, 1_000_000)
    } else if let Some(n) = s.strip_suffix("KB") {
        (n, 1_000)
    } else if let Some(n) = s.strip_suffix('B') {
        (n, 1)
    } else {
        (s.as_str(), 1)
    };
    let v: f64 = num.trim().parse().ok()?;
    if !(v.is_finite() && v >= 0.0) {
        return None;
    }
    Some((v * mult as f64) as u64)
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cfg: GenConfig {
            attacks: false,
            ..GenConfig::default()
        },
        shape: "raw-jsonl".into(),
        gzip: false,
        utf16: false,
        blob_quirks: false,
        local_offset: 120,
        out: None,
        out_dir: None,
        manifest: None,
        lists: None,
        size: None,
        last_days: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    let val = |i: &mut usize, name: &str| -> Result<String, String> {
        *i += 1;
        argv.get(*i)
            .cloned()
            .ok_or_else(|| format!("{name} needs a value"))
    };
    let num = |s: String, name: &str| -> Result<u64, String> {
        s.parse::<u64>()
            .map_err(|_| format!("{name}: {s:?} is not a whole number"))
    };
    while i < argv.len() {
        let arg = argv[i].clone();
        match arg.as_str() {
            "-h" | "--help" => {
                let shapes: Vec<&str> = OutShape::ALL.iter().map(|s| s.name()).collect();
                println!(
                    "{}",
                    HELP.replace("SHAPES", &format!("{}, zip-tree, all", shapes.join(", ")))
                );
                std::process::exit(0);
            }
            "--seed" => a.cfg.seed = num(val(&mut i, &arg)?, &arg)?,
            "--scale" => {
                let v = val(&mut i, &arg)?;
                a.cfg.scale = v
                    .parse()
                    .map_err(|_| format!("--scale: {v:?} is not a number"))?;
            }
            "--days" => a.cfg.days = num(val(&mut i, &arg)?, &arg)?.min(100_000) as u32,
            "--start" => a.cfg.start_day = val(&mut i, &arg)?,
            "--vaults" => a.cfg.vaults = Some(num(val(&mut i, &arg)?, &arg)?.min(100_000) as u32),
            "--users" => a.cfg.users = Some(num(val(&mut i, &arg)?, &arg)?.min(1_000_000) as u32),
            "--apps" => a.cfg.apps = Some(num(val(&mut i, &arg)?, &arg)?.min(1_000_000) as u32),
            "--attacks" => a.cfg.attacks = true,
            "--new-deployment-day" => {
                a.cfg.new_deployment_day = Some(num(val(&mut i, &arg)?, &arg)?.min(100_000) as u32)
            }
            "--last-days" => {
                let n = num(val(&mut i, &arg)?, &arg)?;
                if n == 0 {
                    return Err("--last-days must be at least 1".into());
                }
                a.last_days = Some(n.min(100_000) as u32);
            }
            "--demo" => a.cfg = GenConfig::demo(),
            "--shape" => a.shape = val(&mut i, &arg)?,
            "--gzip" => a.gzip = true,
            "--utf16" => a.utf16 = true,
            "--blob-quirks" => a.blob_quirks = true,
            "--local-offset" => {
                let v = val(&mut i, &arg)?;
                a.local_offset = v
                    .parse()
                    .map_err(|_| format!("--local-offset: {v:?} is not a number"))?;
            }
            "--out" => a.out = Some(val(&mut i, &arg)?),
            "--out-dir" => a.out_dir = Some(val(&mut i, &arg)?),
            "--manifest" => a.manifest = Some(val(&mut i, &arg)?),
            "--lists" => a.lists = Some(val(&mut i, &arg)?),
            "--size" => {
                let v = val(&mut i, &arg)?;
                a.size = Some(
                    parse_size(&v)
                        .ok_or_else(|| format!("--size: {v:?} is not a size like 200MB"))?,
                );
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
        i += 1;
    }
    a.cfg.validate()?;
    Ok(a)
}

/// Where bytes go: a file or standard output, through the optional encodings.
struct Sink {
    inner: Box<dyn Write>,
    layers: Vec<Box<dyn Container>>,
    written: u64,
}

impl Sink {
    fn push(&mut self, mut bytes: Vec<u8>) -> std::io::Result<()> {
        for l in self.layers.iter_mut() {
            let mut next = Vec::with_capacity(bytes.len());
            l.feed(&bytes, &mut next);
            bytes = next;
        }
        self.written += bytes.len() as u64;
        self.inner.write_all(&bytes)
    }
    fn finish(mut self) -> std::io::Result<u64> {
        let mut pending: Vec<u8> = Vec::new();
        let n = self.layers.len();
        for k in 0..n {
            let mut next = Vec::new();
            if !pending.is_empty() {
                self.layers[k].feed(&pending, &mut next);
            }
            self.layers[k].finish(&mut next);
            pending = next;
        }
        self.written += pending.len() as u64;
        self.inner.write_all(&pending)?;
        self.inner.flush()?;
        Ok(self.written)
    }
}

fn open_out(path: &str) -> Result<Box<dyn Write>, String> {
    if path == "-" {
        return Ok(Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::io::stdout(),
        )));
    }
    let f = std::fs::File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?;
    Ok(Box::new(std::io::BufWriter::with_capacity(1 << 20, f)))
}

struct Stats {
    records: u64,
    bytes: u64,
}

fn write_shape(a: &Args, shape: OutShape, path: &str) -> Result<Stats, String> {
    let mut layers: Vec<Box<dyn Container>> = Vec::new();
    if a.utf16 {
        layers.push(Box::new(Utf16Le::new()));
    }
    if a.gzip {
        layers.push(Box::new(Gzip::new()));
    }
    let mut sink = Sink {
        inner: open_out(path)?,
        layers,
        written: 0,
    };
    let mut w = writer_for(shape, a.local_offset);
    let mut gen = generator(a);
    let mut records = 0u64;
    let mut buf = Vec::with_capacity(1 << 22);
    'days: while let Some(day) = gen.next_day() {
        for r in &day {
            w.write_record(r, &mut buf);
            records += 1;
            if buf.len() >= 1 << 22 {
                sink.push(std::mem::take(&mut buf))
                    .map_err(|e| format!("{path}: {e}"))?;
                buf = Vec::with_capacity(1 << 22);
                if let Some(limit) = a.size {
                    if sink.written >= limit {
                        break 'days;
                    }
                }
            }
        }
        if let Some(limit) = a.size {
            if sink.written + buf.len() as u64 >= limit {
                break;
            }
        }
    }
    w.finish(&mut buf);
    sink.push(buf).map_err(|e| format!("{path}: {e}"))?;
    let bytes = sink.finish().map_err(|e| format!("{path}: {e}"))?;
    Ok(Stats { records, bytes })
}

/// The run's generator: unbounded for --size, from the first of the --last-days.
fn generator(a: &Args) -> Generator {
    let g = if a.size.is_some() {
        Generator::unbounded(a.cfg.clone())
    } else {
        Generator::new(a.cfg.clone())
    };
    g.from_day(first_day(a))
}

fn first_day(a: &Args) -> u32 {
    a.last_days.map_or(0, |n| a.cfg.days.saturating_sub(n))
}

fn write_zip_tree(a: &Args, path: &str) -> Result<Stats, String> {
    let mut out = open_out(path)?;
    let mut z = if a.blob_quirks {
        ZipTree::with_quirks()
    } else {
        ZipTree::new()
    };
    let mut gen = generator(a);
    let mut records = 0u64;
    let mut written = 0u64;
    let mut buf = Vec::new();
    while let Some(day) = gen.next_day() {
        for r in &day {
            z.write_record(r, &mut buf);
            records += 1;
        }
        written += buf.len() as u64;
        out.write_all(&buf).map_err(|e| format!("{path}: {e}"))?;
        buf.clear();
        if let Some(limit) = a.size {
            if written >= limit {
                break;
            }
        }
    }
    z.finish(&mut buf);
    written += buf.len() as u64;
    out.write_all(&buf).map_err(|e| format!("{path}: {e}"))?;
    out.flush().map_err(|e| format!("{path}: {e}"))?;
    Ok(Stats {
        records,
        bytes: written,
    })
}

/// The storage container as a folder tree under `dir`.
fn write_tree(a: &Args, dir: &str) -> Result<Stats, String> {
    let mut tree = if a.blob_quirks {
        BlobTree::with_quirks()
    } else {
        BlobTree::new()
    };
    let mut gen = generator(a);
    let mut records = 0u64;
    let mut written = 0u64;
    let save = |blobs: Vec<(String, Vec<u8>)>, written: &mut u64| -> Result<(), String> {
        for (path, data) in blobs {
            let full = format!("{dir}/insights-logs-auditevent/{path}");
            if let Some(parent) = std::path::Path::new(&full).parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&full, &data).map_err(|e| format!("{full}: {e}"))?;
            *written += data.len() as u64;
        }
        Ok(())
    };
    'days: while let Some(day) = gen.next_day() {
        for r in &day {
            let blobs = tree.push(r);
            records += 1;
            save(blobs, &mut written)?;
            if a.size.is_some_and(|limit| written >= limit) {
                break 'days;
            }
        }
    }
    save(tree.finish(), &mut written)?;
    Ok(Stats {
        records,
        bytes: written,
    })
}

fn run() -> Result<(), String> {
    let a = parse_args()?;
    if let Some(m) = &a.manifest {
        let (start, end) = keyhole_gen::window_bounds(&a.cfg, first_day(&a), a.cfg.days);
        let attacks = keyhole_gen::attacks_inside(&keyhole_gen::manifest(&a.cfg), start, end);
        let text = serde_json::to_string_pretty(&attacks).map_err(|e| e.to_string())?;
        std::fs::write(m, text + "\n").map_err(|e| format!("cannot write {m}: {e}"))?;
        eprintln!("manifest: {} injected attacks -> {m}", attacks.len());
    }
    if let Some(dir) = &a.lists {
        std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
        std::fs::write(format!("{dir}/tor.txt"), keyhole_gen::demo_tor_list())
            .map_err(|e| e.to_string())?;
        std::fs::write(
            format!("{dir}/suspicious.txt"),
            keyhole_gen::demo_suspicious_list(),
        )
        .map_err(|e| e.to_string())?;
    }
    let mut jobs: Vec<(String, String)> = Vec::new(); // (shape name, path)
    if a.shape == "all" {
        let dir = a.out_dir.clone().ok_or("--shape all needs --out-dir")?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("{dir}: {e}"))?;
        for s in OutShape::ALL {
            let ext = if a.gzip {
                format!("{}.gz", s.extension())
            } else {
                s.extension().to_string()
            };
            jobs.push((s.name().to_string(), format!("{dir}/{}.{ext}", s.name())));
        }
        jobs.push(("zip-tree".into(), format!("{dir}/container.zip")));
    } else if a.shape == "tree" {
        let dir = a
            .out_dir
            .clone()
            .ok_or("--shape tree needs --out-dir DIR")?;
        jobs.push(("tree".into(), dir));
    } else {
        let out = a
            .out
            .clone()
            .ok_or("--out FILE is required (or --shape all --out-dir DIR)")?;
        jobs.push((a.shape.clone(), out));
    }
    for (shape, path) in jobs {
        let t0 = Instant::now();
        let st = if shape == "zip-tree" {
            write_zip_tree(&a, &path)?
        } else if shape == "tree" {
            write_tree(&a, &path)?
        } else {
            let s = OutShape::parse(&shape)
                .ok_or_else(|| format!("unknown shape {shape:?} (see --help)"))?;
            write_shape(&a, s, &path)?
        };
        let secs = t0.elapsed().as_secs_f64().max(1e-9);
        eprintln!(
            "{shape}: {} records, {} bytes -> {path} in {:.2} s ({:.0} records/s, {:.1} MB/s)",
            st.records,
            st.bytes,
            secs,
            st.records as f64 / secs,
            st.bytes as f64 / secs / 1e6
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyhole-gen: {e}");
            ExitCode::from(2)
        }
    }
}
