//! Microsoft's documented examples (`../shared/kql-conformance/cases.json`, MIT-licensed doc
//! samples): each runs verbatim on no events and its result is compared with the table the
//! documentation shows, normalised as that folder's README describes (datetime and number
//! spelling, JSON layout, backticked names, row order unless the query orders). Prints
//! matched / total and fails below a floor that is raised as the engine improves.
//! `KQL_CONFORMANCE=verbose` lists every miss with its reason.

mod support;
use keyhole_kql::{run, Table, Type, Value};

/// The number of documented examples that must match (raised as we go).
const FLOOR: usize = 266;

/// Cases whose documented output cannot be reproduced by any engine (now(), random data,
/// illustrative values), with the reason. They still count in the total.
const EXCLUDED: &[(&str, &str)] = &[];

struct Case {
    id: String,
    kql: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn load() -> Option<Vec<Case>> {
    let dir = support::shared_dir()?.join("kql-conformance");
    let text = std::fs::read_to_string(dir.join("cases.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let strs = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(
        v.as_array()?
            .iter()
            .map(|c| Case {
                id: c["id"].as_str().unwrap_or("").to_string(),
                kql: c["kql"].as_str().unwrap_or("").to_string(),
                columns: strs(&c["columns"]),
                rows: c["rows"]
                    .as_array()
                    .map(|rs| rs.iter().map(strs).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    )
}

/// A cell as compared: datetimes without `T`/`Z` and trailing fraction zeros, booleans lower
/// case, infinities spelt one way, JSON re-serialised compactly, numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Num(f64),
    Json(serde_json::Value),
    Text(String),
}

fn norm_datetime(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let is_dt = b.len() >= 16
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && s[..4].chars().all(|c| c.is_ascii_digit());
    if !is_dt {
        return None;
    }
    let mut t = s.trim_end_matches('Z').replacen('T', " ", 1);
    if t.len() == 16 {
        t.push_str(":00");
    }
    if let Some(dot) = t.find('.') {
        // Keyhole keeps microseconds: compare to the sixth digit.
        let frac: String = t[dot + 1..].chars().take(6).collect();
        let frac = frac.trim_end_matches('0').to_string();
        t.truncate(dot);
        if !frac.is_empty() {
            t.push('.');
            t.push_str(&frac);
        }
    }
    Some(t)
}

fn cell(s: &str) -> Cell {
    let s = s.trim();
    // Cells are sometimes set in backticks (Markdown code).
    let s = match s.strip_prefix('`').and_then(|x| x.strip_suffix('`')) {
        Some(inner) => inner,
        None => s,
    };
    let s = s.replace("<br>", "\n");
    let s = s.trim();
    if let Some(d) = norm_datetime(s) {
        return Cell::Text(d);
    }
    match s {
        "" | "null" => return Cell::Text(String::new()),
        "True" | "true" => return Cell::Text("true".into()),
        "False" | "false" => return Cell::Text("false".into()),
        "∞" | "Infinity" | "+∞" => return Cell::Num(f64::INFINITY),
        "-∞" | "-Infinity" => return Cell::Num(f64::NEG_INFINITY),
        "NaN" => return Cell::Text("NaN".into()),
        _ => {}
    }
    if let Ok(f) = s.parse::<f64>() {
        if !s.starts_with('+') {
            return Cell::Num(f);
        }
    }
    // A whole number written with thousands separators (`1,048,576`).
    let groups: Vec<&str> = s.split(',').collect();
    if groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
    {
        if let Ok(f) = groups.concat().parse::<f64>() {
            return Cell::Num(f);
        }
    }
    if s.starts_with('{') || s.starts_with('[') {
        if let Ok(j) = serde_json::from_str::<serde_json::Value>(s) {
            return Cell::Json(j);
        }
    }
    Cell::Text(s.to_string())
}

fn num_eq(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            num_eq(x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0))
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        (J::String(x), J::String(y)) => cell(x) == cell(y) || x == y,
        _ => a == b,
    }
}

fn cell_eq(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Num(x), Cell::Num(y)) => num_eq(*x, *y),
        (Cell::Json(x), Cell::Json(y)) => json_eq(x, y),
        // Booleans are sometimes documented as 0 / 1.
        (Cell::Text(t), Cell::Num(n)) | (Cell::Num(n), Cell::Text(t)) => {
            (t == "true" && *n == 1.0) || (t == "false" && *n == 0.0)
        }
        _ => a == b,
    }
}

/// Our rendering of a value, in the documentation's spelling where they differ.
fn ours(v: &Value, ty: Type) -> String {
    match v {
        Value::Dynamic(d) => match &**d {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        Value::Null => String::new(),
        _ if ty == Type::Bool => v.to_string(),
        _ => v.to_string(),
    }
}

fn ordered(kql: &str) -> bool {
    let l = kql.to_ascii_lowercase();
    [
        "sort ",
        "order ",
        "top ",
        "serialize",
        "order by",
        "sort by",
    ]
    .iter()
    .any(|w| l.contains(w))
}

fn compare(case: &Case, t: &Table) -> Result<(), String> {
    let want_cols: Vec<String> = case
        .columns
        .iter()
        .map(|c| c.trim().trim_matches('`').to_string())
        .collect();
    let got_cols: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
    // Names compared without case (the documentation sometimes changes a name's case).
    let lower = |v: &[String]| v.iter().map(|c| c.to_lowercase()).collect::<Vec<_>>();
    if lower(&want_cols) != lower(&got_cols) {
        return Err(format!("columns {got_cols:?}, documented {want_cols:?}"));
    }
    let n = want_cols.len();
    // An empty result is sometimes documented as one row of empty cells.
    let doc_rows: &[Vec<String>] =
        if case.rows.len() == 1 && case.rows[0].iter().all(|c| c.trim().is_empty()) {
            &[]
        } else {
            &case.rows
        };
    let mut want: Vec<Vec<Cell>> = doc_rows
        .iter()
        .map(|r| {
            (0..n)
                .map(|i| cell(r.get(i).map(|s| s.as_str()).unwrap_or("")))
                .collect()
        })
        .collect();
    let mut got: Vec<Vec<Cell>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&t.columns)
                .map(|(v, c)| cell(&ours(v, c.ty)))
                .collect()
        })
        .collect();
    // …or as one row of nulls.
    let all_empty = |r: &Vec<Cell>| r.iter().all(|c| cell_eq(c, &cell("")));
    if doc_rows.is_empty() && got.len() == 1 && all_empty(&got[0]) {
        return Ok(());
    }
    if want.len() != got.len() {
        return Err(format!("{} rows, documented {}", got.len(), want.len()));
    }
    if !ordered(&case.kql) {
        let key = |r: &Vec<Cell>| format!("{r:?}");
        want.sort_by_key(key);
        got.sort_by_key(key);
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if !g.iter().zip(w).all(|(a, b)| cell_eq(a, b)) {
            return Err(format!("row {i}: {g:?}, documented {w:?}"));
        }
    }
    Ok(())
}

#[test]
fn documented_examples() {
    let Some(cases) = load() else {
        println!("skipped: ../shared/kql-conformance not present (set KEYHOLE_SHARED)");
        return;
    };
    let verbose = std::env::var("KQL_CONFORMANCE").is_ok_and(|v| v == "verbose");
    let mut matched = 0;
    let mut ran = 0;
    let mut excluded = 0;
    for case in &cases {
        if EXCLUDED.iter().any(|(id, _)| *id == case.id) {
            excluded += 1;
            continue;
        }
        let kql = case.kql.clone();
        let res = std::panic::catch_unwind(|| {
            run(
                &kql,
                &keyhole_core::EventStore::default(),
                &Default::default(),
            )
        });
        let outcome = match res {
            Err(_) => Err("PANIC".to_string()),
            Ok(Err(e)) => Err(format!("error: {e}")),
            Ok(Ok(t)) => {
                ran += 1;
                compare(case, &t)
            }
        };
        match outcome {
            Ok(()) => matched += 1,
            Err(why) => {
                if verbose {
                    println!(
                        "MISS {}: {}",
                        case.id,
                        why.chars().take(300).collect::<String>()
                    );
                }
                assert!(why != "PANIC", "{} panicked: {}", case.id, case.kql);
            }
        }
    }
    println!(
        "documented examples: {matched}/{} match ({ran} run without error, {excluded} excluded)",
        cases.len()
    );
    assert!(matched >= FLOOR, "{matched} < floor {FLOOR}");
}
