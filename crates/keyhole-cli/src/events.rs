//! `keyhole events`: the normalised events as JSON lines or CSV.

use crate::EventFormat;
use keyhole_core::export::csv_record;
use keyhole_core::store::{EventRef, EventStore, Located};
use keyhole_core::Source;
use std::io::{self, Write};

pub const CSV_COLUMNS: &[&str] = &[
    "time",
    "vault",
    "subscription",
    "resource_group",
    "operation",
    "object_kind",
    "object_name",
    "object_version",
    "status",
    "outcome",
    "result_signature",
    "result_description",
    "caller_ip",
    "caller_ip_text",
    "upn",
    "object_id",
    "app_id",
    "tenant_id",
    "identity_kind",
    "client_info",
    "request_uri",
    "duration_ms",
    "tls_version",
    "correlation_id",
    "id",
    "auth_challenge",
    "source_file",
    "source_line",
];

pub fn write(store: &EventStore, format: EventFormat, out: &mut dyn Write) -> io::Result<()> {
    let events = store.rows().zip(store.sources());
    match format {
        EventFormat::Jsonl => {
            let mut line = Vec::with_capacity(2048);
            for (e, src) in events {
                line.clear();
                serde_json::to_writer(&mut line, &Located(e, src)).map_err(io::Error::other)?;
                line.push(b'\n');
                out.write_all(&line)?;
            }
        }
        EventFormat::Csv => {
            // RFC 4180 like every other CSV Keyhole writes: the core's one record writer
            // (defused cells, quoting, CRLF line ends).
            out.write_all(csv_record(CSV_COLUMNS).as_bytes())?;
            for (e, src) in events {
                out.write_all(csv_record(&csv_row(e, &src)).as_bytes())?;
            }
        }
    }
    out.flush()
}

fn s(v: &Option<keyhole_core::Str>) -> String {
    v.as_deref().unwrap_or("").to_string()
}

fn c(v: Option<std::borrow::Cow<'_, str>>) -> String {
    v.map(|t| t.into_owned()).unwrap_or_default()
}

fn csv_row(e: EventRef<'_>, source: &Source) -> Vec<String> {
    let id = e.identity();
    vec![
        e.time().to_rfc3339(),
        e.vault().to_string(),
        s(e.subscription()),
        s(e.resource_group()),
        e.operation().to_string(),
        e.object_kind().as_str().to_string(),
        s(e.object_name()),
        s(e.object_version()),
        e.status().map(|v| v.to_string()).unwrap_or_default(),
        e.outcome().as_str().to_string(),
        s(e.result_signature()),
        s(e.result_description()),
        e.caller_addr().map(|a| a.to_string()).unwrap_or_default(),
        s(e.caller_ip()),
        s(&id.upn),
        s(&id.object_id),
        s(&id.app_id),
        s(&id.tenant_id),
        match id.kind {
            Some(keyhole_core::IdentityKind::User) => "user".into(),
            Some(keyhole_core::IdentityKind::App) => "app".into(),
            None => String::new(),
        },
        s(e.client_info()),
        c(e.request_uri()),
        e.duration_ms().map(|v| v.to_string()).unwrap_or_default(),
        s(e.tls_version()),
        c(e.correlation_id()),
        c(e.object_id()),
        e.is_auth_challenge().to_string(),
        source.file.to_string(),
        source.line.to_string(),
    ]
}
