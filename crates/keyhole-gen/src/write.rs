//! Writers for every input shape of spec §1, all streaming: `write_record` appends the bytes of
//! one record, `finish` closes the document (envelope, array, tables). Containers and encodings
//! (zip tree, gzip, UTF-16) wrap any of them (see [`crate::zip`]).

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
}

impl OutShape {
    pub const ALL: [OutShape; 3] = [
        OutShape::RawJsonLines,
        OutShape::RawRecordsEnvelope,
        OutShape::RawArray,
    ];

    /// The core's name for the shape.
    pub fn shape(self) -> Shape {
        match self {
            OutShape::RawJsonLines => Shape::RawJsonLines,
            OutShape::RawRecordsEnvelope => Shape::RawRecordsEnvelope,
            OutShape::RawArray => Shape::RawArray,
        }
    }

    /// Command-line name (`raw-jsonl`, …).
    pub fn name(self) -> &'static str {
        match self {
            OutShape::RawJsonLines => "raw-jsonl",
            OutShape::RawRecordsEnvelope => "raw-records",
            OutShape::RawArray => "raw-array",
        }
    }

    pub fn parse(s: &str) -> Option<OutShape> {
        OutShape::ALL.iter().copied().find(|o| o.name() == s)
    }

    /// Usual file extension.
    pub fn extension(self) -> &'static str {
        "json"
    }
}

/// A boxed writer for a shape.
pub fn writer_for(shape: OutShape, _local_offset_minutes: i32) -> Box<dyn Writer> {
    match shape {
        OutShape::RawJsonLines => Box::new(RawJsonLines),
        OutShape::RawRecordsEnvelope => Box::new(JsonDocument::records_envelope()),
        OutShape::RawArray => Box::new(JsonDocument::array()),
    }
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
