//! Portal "Export to CSV" (all / displayed columns), push-style with csv-core: header
//! `TimeGenerated [UTC]` or `TimeGenerated [Local Time]`, locale timestamps
//! (`9/24/2024, 7:34:57.433 PM`), JSON inside cells with doubled quotes, quoted newlines, BOM
//! (dropped by the text layer). Each row becomes a record with the header's column names.

use super::record::Rec;
use super::{Layout, Pos, Sink};
use csv_core::{ReadRecordResult, Reader};

/// Whether a CSV header line is a Key Vault export (AzureDiagnostics or AZKVAuditLogs columns).
pub(crate) fn is_kv_header(line: &str) -> bool {
    let cols: Vec<String> = line.split(',').map(column_name).collect();
    cols.iter().any(|c| c == "TimeGenerated") && cols.iter().any(|c| c == "OperationName")
}

/// `"TimeGenerated [UTC]"` → `TimeGenerated`.
fn column_name(raw: &str) -> String {
    let t = raw
        .trim()
        .trim_start_matches('\u{feff}')
        .trim_matches('"')
        .trim();
    match t.find(" [") {
        Some(i) if t.ends_with(']') => t[..i].to_string(),
        _ => t.to_string(),
    }
}

pub(crate) struct Csv {
    rdr: Reader,
    out: Vec<u8>,
    outlen: usize,
    ends: Vec<usize>,
    endlen: usize,
    header: Option<Vec<String>>,
    /// The header names `TimeGenerated [Local Time]`: times are read in the options' zone.
    local: bool,
    pos: u64,
    line: u64,
    rec_start: u64,
    rec_line: u64,
    too_long: bool,
    row: u64,
    /// Only line terminators were consumed since the last record ended (csv-core is at a
    /// record start).
    clean: bool,
}

/// Where a CSV parser stands between two records: what a resumed parser must be given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CsvBoundary {
    pub header: Vec<String>,
    pub local: bool,
    /// Decoded offset of the next byte.
    pub pos: u64,
    /// Bytes since the last record ended (the LF of a CRLF, blank lines).
    pub back: u64,
    /// Newlines among them.
    pub back_lines: u64,
}

const MAX_FIELDS: usize = 4096;

impl Csv {
    pub fn new() -> Csv {
        Csv {
            rdr: Reader::new(),
            out: vec![0; 64 << 10],
            outlen: 0,
            ends: vec![0; 256],
            endlen: 0,
            header: None,
            local: false,
            pos: 0,
            line: 1,
            rec_start: 0,
            rec_line: 1,
            too_long: false,
            row: 0,
            clean: false,
        }
    }

    /// A parser resumed between two records (line numbers from 1, rows from 0: rebased when
    /// the unit is merged).
    pub fn resume(b: &CsvBoundary) -> Csv {
        Csv {
            header: Some(b.header.clone()),
            local: b.local,
            pos: b.pos,
            rec_start: b.pos - b.back,
            rec_line: 1u64.wrapping_sub(b.back_lines),
            clean: true,
            ..Csv::new()
        }
    }

    /// `Some` when between two records with nothing buffered.
    pub fn boundary(&self) -> Option<CsvBoundary> {
        let header = self.header.as_ref()?;
        (self.clean && self.outlen == 0 && self.endlen == 0 && !self.too_long).then(|| {
            CsvBoundary {
                header: header.clone(),
                local: self.local,
                pos: self.pos,
                back: self.pos - self.rec_start,
                back_lines: self.line.wrapping_sub(self.rec_line),
            }
        })
    }

    /// The header and time zone, once the header was read (what units of the file resume with).
    pub fn header_boundary(&self) -> Option<CsvBoundary> {
        Some(CsvBoundary {
            header: self.header.clone()?,
            local: self.local,
            pos: 0,
            back: 0,
            back_lines: 0,
        })
    }

    /// (current line, rows read).
    pub fn counters(&self) -> (u64, u64) {
        (self.line, self.row)
    }

    /// Shift line numbers by `dline` and row indices by `drow`.
    pub fn rebase(&mut self, dline: u64, drow: u64) {
        self.line = self.line.wrapping_add(dline);
        self.rec_line = self.rec_line.wrapping_add(dline);
        self.row = self.row.wrapping_add(drow);
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        let mut i = 0;
        // start of the bytes consumed since the last record ended (within `data`)
        let mut after_record = 0;
        loop {
            let (res, nin, nout, nend) = self.rdr.read_record(
                &data[i..],
                &mut self.out[self.outlen..],
                &mut self.ends[self.endlen..],
            );
            self.line += memchr::memchr_iter(b'\n', &data[i..i + nin]).count() as u64;
            i += nin;
            self.outlen += nout;
            self.endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => break,
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= sink.max_record() {
                        // Keep parsing the record's syntax, drop its bytes.
                        self.too_long = true;
                        self.outlen = 0;
                        self.endlen = 0;
                    } else {
                        let n = (self.out.len() * 2).min(sink.max_record());
                        self.out.resize(n, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        self.too_long = true;
                        self.outlen = 0;
                        self.endlen = 0;
                    } else {
                        let n = self.ends.len() * 2;
                        self.ends.resize(n, 0);
                    }
                }
                ReadRecordResult::Record => {
                    let end = self.pos + i as u64;
                    self.record(end, sink);
                    self.rec_start = end;
                    self.rec_line = self.line;
                    self.clean = true;
                    after_record = i;
                }
                ReadRecordResult::End => break,
            }
            // Never call with empty input here: csv-core reads that as end of file.
            if i >= data.len() {
                break;
            }
        }
        if !data[after_record..i]
            .iter()
            .all(|&b| b == b'\r' || b == b'\n')
        {
            self.clean = false;
        }
        self.pos += data.len() as u64;
    }

    fn record(&mut self, end: u64, sink: &mut Sink) {
        let (outlen, endlen) = (self.outlen, self.endlen);
        self.outlen = 0;
        self.endlen = 0;
        let line = self.rec_line;
        if std::mem::take(&mut self.too_long) {
            let m = super::cap_text(sink.max_record());
            sink.problem(
                line,
                format!("line {line}: CSV row longer than {m} or {MAX_FIELDS} fields, skipped"),
            );
            return;
        }
        let mut fields: Vec<&[u8]> = Vec::with_capacity(endlen);
        let mut prev = 0;
        for &e in &self.ends[..endlen] {
            fields.push(&self.out[prev..e.min(outlen)]);
            prev = e;
        }
        if fields.len() == 1 && fields[0].iter().all(|b| b.is_ascii_whitespace()) {
            return; // blank line
        }
        let Some(header) = &self.header else {
            let names: Vec<String> = fields
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            let local = names.iter().any(|n| {
                let t = n.trim();
                t.starts_with("TimeGenerated") && t.contains("Local Time")
            });
            if local {
                self.local = true;
                let zone = sink.shared.local_zone;
                let how = if zone.is_fixed() {
                    format!("as {}", zone.name())
                } else {
                    format!("in {}, daylight saving included", zone.name())
                };
                sink.warning(
                    line,
                    format!("line {line}: TimeGenerated [Local Time]: times read {how}; another zone: --local-zone in the CLI, the settings on the page"),
                );
            }
            self.header = Some(names.iter().map(|n| column_name(n)).collect());
            return;
        };
        let index = self.row;
        self.row += 1;
        if fields.len() != header.len() {
            let (n, m) = (fields.len(), header.len());
            sink.problem(
                line,
                format!("line {line}: {n} fields for {m} columns, row skipped"),
            );
            return;
        }
        let map: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(fields.iter())
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::Value::String(String::from_utf8_lossy(v).into_owned()),
                )
            })
            .collect();
        let obj = serde_json::Value::Object(map);
        let pos = Pos {
            line,
            record: Some(index),
            offset: self.rec_start,
            len: (end - self.rec_start) as usize,
        };
        match <Rec as serde::Deserialize>::deserialize(&obj) {
            Ok(rec) => sink.record(&rec, pos, Layout::Csv, self.local),
            Err(e) => sink.problem(line, format!("line {line}: {e}")),
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        // Flush the last record (no trailing newline).
        loop {
            let (res, _, nout, nend) = self.rdr.read_record(
                &[],
                &mut self.out[self.outlen..],
                &mut self.ends[self.endlen..],
            );
            self.outlen += nout;
            self.endlen += nend;
            match res {
                ReadRecordResult::Record => {
                    let end = self.pos;
                    self.record(end, sink);
                }
                ReadRecordResult::OutputFull => {
                    let n = (self.out.len() * 2).min(sink.max_record().max(self.out.len() + 1));
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                    if n > MAX_FIELDS * 2 {
                        break;
                    }
                }
                ReadRecordResult::End | ReadRecordResult::InputEmpty => break,
            }
        }
        if self.header.is_none() {
            sink.problem(0, "CSV without a header".into());
        }
    }
}
