//! `keyholeBenchCodec()`: how long the page's largest messages take to cross a thread boundary
//! with each codec (JSON text or serde-wasm-bindgen objects): encode, structured clone through
//! a `MessageChannel` (the algorithm `Worker.postMessage` uses), decode. Runs on the page's
//! thread over the demo drop; `tests/e2e/bench.test.mjs` prints the figures.

use super::{demo, detection, load, views};
use crate::bridge::codec::{self, Codec};
use crate::protocol::{Reply, Settings, WorkerMsg};
use keyhole_core::detect::IntelKind;
use keyhole_core::ingest::{Dataset, IngestOptions};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Post `v` through a MessageChannel and return what arrives on the other side.
async fn clone_through_channel(v: &JsValue) -> Result<JsValue, JsValue> {
    let ch = web_sys::MessageChannel::new()?;
    let rx = ch.port2();
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let cb = Closure::once_into_js(move |e: web_sys::MessageEvent| {
            let _ = resolve.call1(&JsValue::NULL, &e.data());
        });
        rx.set_onmessage(Some(cb.unchecked_ref()));
    });
    ch.port1().post_message(v)?;
    wasm_bindgen_futures::JsFuture::from(p).await
}

/// The same JSON up to how numbers are written (serde-wasm-bindgen turns a `serde_json::Value`
/// float such as `7.0` into the JS number 7, which reads back as an integer).
fn same_numbers(a: &str, b: &str) -> bool {
    fn eq(x: &serde_json::Value, y: &serde_json::Value) -> bool {
        use serde_json::Value::*;
        match (x, y) {
            (Number(m), Number(n)) => m.as_f64() == n.as_f64(),
            (Array(m), Array(n)) => m.len() == n.len() && m.iter().zip(n).all(|(p, q)| eq(p, q)),
            (Object(m), Object(n)) => {
                m.len() == n.len() && m.iter().all(|(k, v)| n.get(k).is_some_and(|w| eq(v, w)))
            }
            _ => x == y,
        }
    }
    match (serde_json::from_str(a), serde_json::from_str(b)) {
        (Ok(x), Ok(y)) => eq(&x, &y),
        _ => false,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[wasm_bindgen(js_name = keyholeBenchCodec)]
pub async fn bench_codec(rounds: u32) -> Result<String, JsValue> {
    let demo = demo::demo_files().map_err(|e| JsValue::from_str(&e))?;
    let (cfg, _) = detection::config(&Settings::default(), &[(IntelKind::Tor, "demo", demo.tor)]);
    let mut ds = Dataset::new(IngestOptions::default());
    for (name, bytes) in &demo.files {
        let mut fi = ds.open(name);
        fi.feed(bytes);
        ds.close(fi);
    }
    let (result, loaded) = load::analyse(
        ds,
        0.0,
        Vec::new(),
        &cfg,
        Vec::new(),
        HashMap::new(),
        HashMap::new(),
    );
    let rows = loaded
        .events
        .rows()
        .take(2000)
        .enumerate()
        .map(|(i, e)| views::row(e, i as u32))
        .collect();
    let messages = [
        (
            format!("result of the demo drop ({} events)", loaded.events.len()),
            Reply {
                seq: 1,
                msg: WorkerMsg::Done {
                    result: Box::new(result),
                },
            },
        ),
        (
            "every workbook panel of the demo drop".to_string(),
            Reply {
                seq: 1,
                msg: WorkerMsg::Workbook {
                    workbook: Box::new(keyhole_core::workbook::compute(
                        &loaded.events,
                        &loaded.analysis.findings,
                        &keyhole_core::workbook::WorkbookOptions::default(),
                    )),
                    millis: 0.0,
                },
            },
        ),
        (
            "explorer page of 2000 rows".to_string(),
            Reply {
                seq: 2,
                msg: WorkerMsg::Events {
                    total: 2000,
                    offset: 0,
                    rows,
                },
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, msg) in &messages {
        let json_len = serde_json::to_string(msg).map(|s| s.len()).unwrap_or(0);
        for c in [Codec::Json, Codec::Objects] {
            let (mut enc, mut clo, mut dec) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds.max(1) {
                let t0 = now();
                let v = codec::encode(c, msg).map_err(|e| JsValue::from_str(&e))?;
                let t1 = now();
                let back = clone_through_channel(&v).await?;
                let t2 = now();
                let r: Reply = codec::decode(c, back).map_err(|e| JsValue::from_str(&e))?;
                let t3 = now();
                // Compared as JSON: a time read back keeps the 6 digits it was printed with.
                let (a, b) = (
                    serde_json::to_string(msg).unwrap_or_default(),
                    serde_json::to_string(&r).unwrap_or_default(),
                );
                if a != b && !same_numbers(&a, &b) {
                    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                    let lo = at.saturating_sub(80);
                    return Err(JsValue::from_str(&format!(
                        "{c:?}: the round trip changed the {name}: …{} | …{}",
                        a.get(lo..(at + 80).min(a.len())).unwrap_or(""),
                        b.get(lo..(at + 80).min(b.len())).unwrap_or("")
                    )));
                }
                enc.push(t1 - t0);
                clo.push(t2 - t1);
                dec.push(t3 - t2);
            }
            let (e, k, d) = (median(enc), median(clo), median(dec));
            out.push(serde_json::json!({
                "message": name, "json_bytes": json_len, "codec": format!("{c:?}"),
                "encode_ms": e, "clone_ms": k, "decode_ms": d, "total_ms": e + k + d,
            }));
        }
    }
    Ok(serde_json::to_string_pretty(&out).unwrap_or_default())
}
