//! Inputs the fuzz targets (`fuzz/fuzz_targets/kql_parse.rs`, `kql_eval.rs`) found, kept as
//! regression tests: each must give a parse or a positioned error (highlighting never overlaps
//! and never loops), and each query a table or an error.

use keyhole_kql::{check_syntax, highlight, run_limited, QueryOptions};

/// The properties the `kql_parse` target asserts.
fn parse_ok(q: &str) {
    if let Err(e) = check_syntax(q) {
        assert!(e.line >= 1 && e.column >= 1, "{e:?}");
        assert!(e.span.0 <= e.span.1 && e.span.1 <= q.len(), "{e:?}");
    }
    let mut end = 0;
    for (range, _) in highlight(q) {
        assert!(
            range.start >= end && range.start < range.end && range.end <= q.len(),
            "{range:?} after {end} in {q:?}"
        );
        end = range.end;
    }
}

/// The properties the `kql_eval` target asserts (over no events: these inputs need none).
fn eval_ok(q: &str) {
    let opts = QueryOptions {
        memory_limit: Some(64 << 20),
        ..QueryOptions::default()
    };
    match run_limited(q, &keyhole_core::EventStore::default(), &opts, 1000) {
        Ok((t, total)) => {
            assert!(t.rows.len() <= 1000 && t.rows.len() <= total);
            assert!(t.rows.iter().all(|r| r.len() == t.columns.len()));
        }
        Err(e) => assert!(e.span.0 <= e.span.1 && e.span.1 <= q.len(), "{e:?}"),
    }
}

#[test]
fn hex_prefix_without_digits_highlights_once() {
    // `0x` with no digit after it: the lexer stood still after the error, so highlighting
    // repeated the same error range (a million times) instead of moving on.
    for q in [
        "0x",
        "print 0x 1d, 3)",
        "| evaluate rolling_0x44404440,\n  0x1E1E1E1E,\n  0x 1d, 3)",
        "0xé",
        "0x\u{1F600}",
    ] {
        parse_ok(q);
        eval_ok(q);
    }
    let h = highlight("print 0x 1d");
    assert_eq!(h.len(), 3, "{h:?}");
}

#[test]
fn a_million_row_hll_finishes() {
    // A documentation example (hll over `range` of a million) that timed out under the
    // fuzzer's sanitiser; natively it must finish, within the memory budget or stopped by it.
    let t = std::time::Instant::now();
    eval_ok("range x from 1 to 1000000 step 1\n| summarize hll(x,4)\n| project sizeInMb = estimate_data_size(hll_x) / pow(1024,2)");
    eprintln!("hll over 1M rows: {:?}", t.elapsed());
}

#[test]
fn a_two_thousand_year_range_of_days_stops_at_the_value_limit() {
    // 733,000 datetimes: over the 16 MiB limit for one value. The fuzzer found it slow (13 s
    // under its sanitiser) because the array was built before its size was checked.
    let q = "pRint r = range(datetime(2006-01-01), datetime(4014-12-31), 1d)";
    eval_ok(q);
    let e = keyhole_kql::run(
        q,
        &keyhole_core::EventStore::default(),
        &QueryOptions::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("16 MiB"), "{e}");
    // Kusto's largest range (1,048,576 small numbers) fits.
    let t = keyhole_kql::run(
        "print r = range(1, 1000000000) | mv-expand r | count",
        &keyhole_core::EventStore::default(),
        &QueryOptions::default(),
    )
    .unwrap();
    assert_eq!(t.rows[0][0].to_string(), "1048576");
}
