//! Writers for every input shape of spec §1, all streaming: `write_record` appends the bytes of
//! one record, `finish` closes the document (envelope, array, tables). Containers and encodings
//! (zip tree, gzip, UTF-16) wrap any of them (see [`crate::zip`]).

use crate::diag::*;
use crate::record::*;
use keyhole_core::ingest::Shape;

/// A streaming writer of one shape.
pub trait Writer {
    /// Append one record.
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>);
    /// Close the document (no-op for line shapes).
    fn finish(&mut self, out: &mut Vec<u8>);
}

/// The shapes the generator writes (the vocabulary of [`keyhole_core::ingest::Shape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutShape {
    RawJsonLines,
    RawRecordsEnvelope,
    RawArray,
    AzureDiagnosticsJsonLines,
    AzureDiagnosticsCli,
    AzureDiagnosticsTables,
    AzureDiagnosticsValue,
    /// Portal "Export to CSV – all columns", `TimeGenerated [UTC]`.
    PortalCsv,
    /// The same with `TimeGenerated [Local Time]` at the writer's offset.
    PortalCsvLocal,
    AzkvAuditLogs,
}

impl OutShape {
    pub const ALL: [OutShape; 10] = [
        OutShape::RawJsonLines,
        OutShape::RawRecordsEnvelope,
        OutShape::RawArray,
        OutShape::AzureDiagnosticsJsonLines,
        OutShape::AzureDiagnosticsCli,
        OutShape::AzureDiagnosticsTables,
        OutShape::AzureDiagnosticsValue,
        OutShape::PortalCsv,
        OutShape::PortalCsvLocal,
        OutShape::AzkvAuditLogs,
    ];

    /// The core's name for the shape.
    pub fn shape(self) -> Shape {
        match self {
            OutShape::RawJsonLines => Shape::RawJsonLines,
            OutShape::RawRecordsEnvelope => Shape::RawRecordsEnvelope,
            OutShape::RawArray => Shape::RawArray,
            OutShape::AzureDiagnosticsJsonLines => Shape::AzureDiagnosticsJsonLines,
            OutShape::AzureDiagnosticsCli => Shape::AzureDiagnosticsCli,
            OutShape::AzureDiagnosticsTables => Shape::AzureDiagnosticsTables,
            OutShape::AzureDiagnosticsValue => Shape::AzureDiagnosticsValue,
            OutShape::PortalCsv | OutShape::PortalCsvLocal => Shape::PortalCsv,
            OutShape::AzkvAuditLogs => Shape::AzkvAuditLogs,
        }
    }

    /// Command-line name (`raw-jsonl`, …).
    pub fn name(self) -> &'static str {
        match self {
            OutShape::RawJsonLines => "raw-jsonl",
            OutShape::RawRecordsEnvelope => "raw-records",
            OutShape::RawArray => "raw-array",
            OutShape::AzureDiagnosticsJsonLines => "diag-jsonl",
            OutShape::AzureDiagnosticsCli => "diag-cli",
            OutShape::AzureDiagnosticsTables => "diag-tables",
            OutShape::AzureDiagnosticsValue => "diag-value",
            OutShape::PortalCsv => "portal-csv",
            OutShape::PortalCsvLocal => "portal-csv-local",
            OutShape::AzkvAuditLogs => "azkv-jsonl",
        }
    }

    pub fn parse(s: &str) -> Option<OutShape> {
        OutShape::ALL.iter().copied().find(|o| o.name() == s)
    }

    /// Usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutShape::PortalCsv | OutShape::PortalCsvLocal => "csv",
            _ => "json",
        }
    }
}

/// A boxed writer for a shape; `local_offset_minutes` is the zone of the `[Local Time]` CSV.
pub fn writer_for(shape: OutShape, local_offset_minutes: i32) -> Box<dyn Writer> {
    match shape {
        OutShape::RawJsonLines => Box::new(RawJsonLines),
        OutShape::RawRecordsEnvelope => Box::new(JsonDocument::records_envelope()),
        OutShape::RawArray => Box::new(JsonDocument::array()),
        OutShape::AzureDiagnosticsJsonLines => Box::new(DiagJsonLines),
        OutShape::AzureDiagnosticsCli => Box::new(DiagCli::new()),
        OutShape::AzureDiagnosticsTables => Box::new(DiagTables { n: 0 }),
        OutShape::AzureDiagnosticsValue => Box::new(DiagValue { n: 0 }),
        OutShape::PortalCsv => Box::new(PortalCsv::utc()),
        OutShape::PortalCsvLocal => Box::new(PortalCsv::local(local_offset_minutes)),
        OutShape::AzkvAuditLogs => Box::new(AzkvJsonLines),
    }
}

/// The Log Analytics workspace id written as `TenantId` (stable per Azure AD tenant).
pub fn workspace_id(rec: &Record) -> String {
    let h = crate::build::version_of(0x5753, &rec.vault.tenant_id, "workspace");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// AzureDiagnostics rows, typed, one JSON object a line (Log Analytics data export `PT05M.json`).
pub struct DiagJsonLines;

impl Writer for DiagJsonLines {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        let row = diag_row(rec, &workspace_id(rec));
        push_row_object(out, DIAG_COLUMNS, &row);
        out.push(b'\n');
    }
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}

/// `az monitor log-analytics query` output: a JSON array of objects whose every value is a
/// string, keys sorted, with `TableName: "PrimaryResult"`.
pub struct DiagCli {
    n: u64,
    /// Column indices in the CLI's sorted key order (`usize::MAX` = TableName).
    order: Vec<usize>,
}

impl DiagCli {
    pub fn new() -> DiagCli {
        let mut names: Vec<(&str, usize)> = DIAG_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (*n, i))
            .collect();
        names.push(("TableName", usize::MAX));
        names.sort_by(|a, b| a.0.cmp(b.0));
        DiagCli {
            n: 0,
            order: names.into_iter().map(|(_, i)| i).collect(),
        }
    }
}

impl Default for DiagCli {
    fn default() -> Self {
        DiagCli::new()
    }
}

impl Writer for DiagCli {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.n == 0 { b"[\n  " } else { b",\n  " });
        self.n += 1;
        let row = diag_row(rec, &workspace_id(rec));
        let mut o = Obj::new(out);
        for &i in &self.order {
            if i == usize::MAX {
                o.str("TableName", "PrimaryResult");
            } else {
                let (name, ty) = DIAG_COLUMNS[i];
                o.str(name, &cli_text(&row[i], ty));
            }
        }
        o.end();
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.n == 0 { b"[]\n" } else { b"\n]\n" });
    }
}

/// Log Analytics REST `{"tables":[{"name":"PrimaryResult","columns":[…],"rows":[[…]]}]}`.
pub struct DiagTables {
    n: u64,
}

fn push_tables_head(out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[");
    for (i, (name, ty)) in DIAG_COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut o = Obj::new(out);
        o.str("name", name);
        o.str("type", ty.name());
        o.end();
    }
    out.extend_from_slice(b"],\"rows\":[");
}

impl Writer for DiagTables {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        if self.n == 0 {
            push_tables_head(out);
        } else {
            out.push(b',');
        }
        out.push(b'\n');
        self.n += 1;
        let row = diag_row(rec, &workspace_id(rec));
        out.push(b'[');
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_cell_json(out, c);
        }
        out.push(b']');
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.n == 0 {
            push_tables_head(out);
        }
        out.extend_from_slice(b"\n]}]}\n");
    }
}

/// `{"value":[…]}` of typed AzureDiagnostics row objects.
pub struct DiagValue {
    n: u64,
}

impl Writer for DiagValue {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.n == 0 {
            b"{\"value\":[\n"
        } else {
            b",\n"
        });
        self.n += 1;
        let row = diag_row(rec, &workspace_id(rec));
        push_row_object(out, DIAG_COLUMNS, &row);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.n == 0 {
            b"{\"value\":[]}\n"
        } else {
            b"\n]}\n"
        });
    }
}

/// Portal "Export to CSV – all columns": UTF-8 BOM, header with `TimeGenerated [UTC]` (or
/// `[Local Time]`), portal time format, RFC 4180 quoting, CRLF line ends.
pub struct PortalCsv {
    offset_minutes: i32,
    local: bool,
    header: bool,
}

impl PortalCsv {
    pub fn utc() -> PortalCsv {
        PortalCsv {
            offset_minutes: 0,
            local: false,
            header: false,
        }
    }
    pub fn local(offset_minutes: i32) -> PortalCsv {
        PortalCsv {
            offset_minutes,
            local: true,
            header: false,
        }
    }
    fn head(&mut self, out: &mut Vec<u8>) {
        if self.header {
            return;
        }
        self.header = true;
        out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
        for (i, (name, _)) in DIAG_COLUMNS.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if *name == "TimeGenerated" {
                let h = if self.local {
                    "TimeGenerated [Local Time]"
                } else {
                    "TimeGenerated [UTC]"
                };
                push_csv_field(out, h);
            } else {
                push_csv_field(out, name);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

impl Writer for PortalCsv {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        self.head(out);
        let row = diag_row(rec, &workspace_id(rec));
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let text = match c {
                Cell::Time(t) => portal_time(t + self.offset_minutes as i64 * TICKS_PER_MIN),
                c => csv_text(c),
            };
            push_csv_field(out, &text);
        }
        out.extend_from_slice(b"\r\n");
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        self.head(out);
    }
}

/// Resource-specific `AZKVAuditLogs` rows, typed, one JSON object a line.
pub struct AzkvJsonLines;

impl Writer for AzkvJsonLines {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        let row = azkv_row(rec, &workspace_id(rec));
        push_row_object(out, AZKV_COLUMNS, &row);
        out.push(b'\n');
    }
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}

/// Raw records, one JSON object a line (storage archive since 2018).
pub struct RawJsonLines;

impl Writer for RawJsonLines {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        push_raw_json(out, rec);
        out.push(b'\n');
    }
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}

/// Raw records inside a JSON document: `{"records":[…]}` or a bare array.
pub struct JsonDocument {
    open: &'static str,
    close: &'static str,
    n: u64,
}

impl JsonDocument {
    pub fn records_envelope() -> JsonDocument {
        JsonDocument {
            open: "{\"records\":[\n",
            close: "\n]}\n",
            n: 0,
        }
    }
    pub fn array() -> JsonDocument {
        JsonDocument {
            open: "[\n",
            close: "\n]\n",
            n: 0,
        }
    }
}

impl Writer for JsonDocument {
    fn write_record(&mut self, rec: &Record, out: &mut Vec<u8>) {
        if self.n == 0 {
            out.extend_from_slice(self.open.as_bytes());
        } else {
            out.extend_from_slice(b",\n");
        }
        self.n += 1;
        push_raw_json(out, rec);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.n == 0 {
            out.extend_from_slice(self.open.trim_end().as_bytes());
        }
        out.extend_from_slice(self.close.as_bytes());
    }
}
