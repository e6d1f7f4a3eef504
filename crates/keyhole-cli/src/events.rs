//! `keyhole events`: the normalised events as JSON lines or CSV.

use crate::EventFormat;
use keyhole_core::export::csv_cell;
use keyhole_core::Event;
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

pub fn write(events: &[Event], format: EventFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        EventFormat::Jsonl => {
            let mut line = Vec::with_capacity(2048);
            for e in events {
                line.clear();
                serde_json::to_writer(&mut line, e).map_err(io::Error::other)?;
                line.push(b'\n');
                out.write_all(&line)?;
            }
        }
        EventFormat::Csv => {
            out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
            out.write_all(b"\n")?;
            let mut row = String::with_capacity(2048);
            for e in events {
                row.clear();
                for (i, cell) in csv_row(e).iter().enumerate() {
                    if i > 0 {
                        row.push(',');
                    }
                    row.push_str(&csv_cell(cell));
                }
                row.push('\n');
                out.write_all(row.as_bytes())?;
            }
        }
    }
    out.flush()
}

fn s(v: &Option<keyhole_core::Str>) -> String {
    v.as_deref().unwrap_or("").to_string()
}

fn csv_row(e: &Event) -> Vec<String> {
    vec![
        e.time.to_rfc3339(),
        e.vault.to_string(),
        s(&e.subscription),
        s(&e.resource_group),
        e.operation.to_string(),
        e.object_kind.as_str().to_string(),
        s(&e.object_name),
        s(&e.object_version),
        e.status.map(|v| v.to_string()).unwrap_or_default(),
        e.outcome.as_str().to_string(),
        s(&e.result_signature),
        s(&e.result_description),
        e.caller_addr.map(|a| a.to_string()).unwrap_or_default(),
        s(&e.caller_ip),
        s(&e.identity.upn),
        s(&e.identity.object_id),
        s(&e.identity.app_id),
        s(&e.identity.tenant_id),
        match e.identity.kind {
            Some(keyhole_core::IdentityKind::User) => "user".into(),
            Some(keyhole_core::IdentityKind::App) => "app".into(),
            None => String::new(),
        },
        s(&e.client_info),
        s(&e.request_uri),
        e.duration_ms.map(|v| v.to_string()).unwrap_or_default(),
        s(&e.tls_version),
        s(&e.correlation_id),
        s(&e.object_id),
        e.is_auth_challenge().to_string(),
        e.source.file.to_string(),
        e.source.line.to_string(),
    ]
}
