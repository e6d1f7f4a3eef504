//! Typical mistakes: each error names the right line and column (1-based, in characters), says
//! what was expected, and suggests the likely spelling where there is one.

mod support;
use keyhole_kql::{run, KqlError};

fn err(q: &str) -> KqlError {
    let events = vec![support::ev("2026-10-01T00:00:00Z", "kv-a", "SecretGet").build()];
    match run(
        q,
        &keyhole_core::EventStore::from_events(&events),
        &Default::default(),
    ) {
        Ok(_) => panic!("query should fail: {q}"),
        Err(e) => e,
    }
}

fn check(q: &str, line: u32, column: u32, msg: &str) -> KqlError {
    let e = err(q);
    assert_eq!((e.line, e.column), (line, column), "{q:?} => {e}");
    assert!(e.message.contains(msg), "{q:?} => {e}; wanted {msg:?}");
    assert!(e.span.0 <= e.span.1 && e.span.1 <= q.len());
    e
}

#[test]
fn unknown_column_suggests_the_right_one() {
    let e = check("AzureDiagnostics\n| where ResultType == \"Success\"\n| where OperatioName == \"SecretGet\"", 3, 9, "unknown column 'OperatioName'");
    assert_eq!(
        e.to_string(),
        "line 3, column 9: unknown column 'OperatioName'; did you mean 'OperationName'?"
    );
    assert_eq!(&"AzureDiagnostics\n| where ResultType == \"Success\"\n| where OperatioName == \"SecretGet\""[e.span.0..e.span.1], "OperatioName");
}

#[test]
fn missing_pipe_before_operator() {
    let e = check(
        "AzureDiagnostics\n  where OperationName == \"SecretGet\"",
        2,
        3,
        "expected '|' before 'where'",
    );
    assert_eq!(e.expected, ["|"]);
}

#[test]
fn unbalanced_parenthesis_never_closed() {
    // Points at the '(' that is never closed.
    check(
        "AzureDiagnostics\n| where not(OperationName == \"SecretGet\"",
        2,
        12,
        "unbalanced parenthesis",
    );
}

#[test]
fn unbalanced_parenthesis_before_next_operator() {
    let e = check(
        "AzureDiagnostics\n| where not(OperationName == \"SecretGet\"\n| take 5",
        3,
        1,
        "expected ')' to close the '(' at line 2, column 12",
    );
    assert_eq!(e.expected, [")"]);
}

#[test]
fn stray_closing_parenthesis() {
    check(
        "AzureDiagnostics\n| summarize count() by Resource)",
        2,
        32,
        "')' has no matching '('",
    );
}

#[test]
fn wrong_join_kind() {
    let e = check(
        "AzureDiagnostics\n| join kind=outer (AZKVAuditLogs) on OperationName",
        2,
        13,
        "unknown join kind 'outer'",
    );
    assert!(e.expected.contains(&"leftouter".to_string()));
    check(
        "AzureDiagnostics\n| join kind=lefanti (AZKVAuditLogs) on OperationName",
        2,
        13,
        "did you mean 'leftanti'?",
    );
}

#[test]
fn unknown_function() {
    check(
        "AzureDiagnostics\n| extend v = tolowr(Resource)",
        2,
        14,
        "unknown function 'tolowr'; did you mean 'tolower'?",
    );
    check(
        "AzureDiagnostics | where TimeGenerated > agoo(1d)",
        1,
        42,
        "did you mean 'ago'?",
    );
}

#[test]
fn known_but_unsupported_names_say_so() {
    // Never "did you mean" the name itself (issue 12: "unknown tabular operator 'as'; did you
    // mean 'as'?").
    let e = check(
        "AzureDiagnostics\n| sample 5",
        2,
        3,
        "the 'sample' operator is not supported yet",
    );
    assert!(!e.message.contains("did you mean"), "{e}");
    let e = check(
        "print geo_point_to_s2cell(1.5, 2.5)",
        1,
        7,
        "function 'geo_point_to_s2cell' is not supported yet",
    );
    assert!(!e.message.contains("did you mean"), "{e}");
}

#[test]
fn misspelt_operator_and_table() {
    check(
        "AzureDiagnostics\n| sumarize count() by Resource",
        2,
        3,
        "unknown tabular operator 'sumarize'; did you mean 'summarize'?",
    );
    check(
        "AzureDiagnostic\n| take 5",
        1,
        1,
        "unknown table 'AzureDiagnostic'; did you mean 'AzureDiagnostics'?",
    );
}

#[test]
fn single_equals_in_a_comparison() {
    check(
        "AzureDiagnostics\n| where Resource = \"KV-A\"",
        2,
        18,
        "use '==' to compare",
    );
}

#[test]
fn summarize_without_by() {
    check(
        "AzureDiagnostics\n| summarize count() CallerIPAddress",
        2,
        21,
        "expected ',', 'by' or '|'",
    );
}

#[test]
fn unterminated_string() {
    check(
        "AzureDiagnostics\n| where Resource == \"KV-A\n| take 1",
        2,
        21,
        "unterminated string literal",
    );
}

#[test]
fn let_without_semicolon() {
    check(
        "let threshold = 5\nAzureDiagnostics | take threshold",
        2,
        1,
        "expected ';' after a let statement",
    );
}

#[test]
fn aggregation_outside_summarize() {
    check(
        "AzureDiagnostics\n| where count() > 5",
        2,
        9,
        "can only be used in summarize",
    );
}

#[test]
fn join_key_missing_on_a_side() {
    check(
        "AzureDiagnostics\n| join kind=inner (AzureDiagnostics | project Resource) on CallerIPAddress",
        2,
        60,
        "unknown column 'CallerIPAddress' on the right side of the join",
    );
}

#[test]
fn bad_timespan_and_between() {
    check(
        "AzureDiagnostics | where TimeGenerated > ago(1q)",
        1,
        47,
        "unknown timespan unit 'q'",
    );
    check(
        "AzureDiagnostics\n| where TimeGenerated between (ago(2d) ago(1d))",
        2,
        40,
        "expected '..'",
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    // "é" is two bytes but one column.
    check(
        "// é\nAzureDiagnostics | where Résource == 1",
        2,
        26,
        "unknown column 'Résource'",
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let q = format!(
        "AzureDiagnostics | where {}1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let e = err(&q);
    assert!(e.message.contains("nested too deeply"), "{e}");
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "|",
        "||",
        "(",
        ")",
        "let",
        "let x =",
        "let x = ;",
        "AzureDiagnostics |",
        "| where",
        "| summarize by",
        "| join",
        "| join kind=",
        "| join (",
        "datatable(a:long)[1,2",
        "dynamic([",
        "\"",
        "'",
        "@\"",
        "| where x in (",
        "| where a between (1 ..",
        "| project a=",
        "| extend =",
        "print 1/0",
        "| take -1",
        "| top by x",
        "| where datetime(2024-13-45) < now()",
        "range x from 1 to 10 step 0",
        "\u{0}\u{1}",
        "| mv-expand",
        "| render",
        "| where 1 ==",
        "| sort by",
        "search",
        "union",
        "| project-away",
        "| where Resource has_any (",
    ];
    for q in inputs {
        let _ = run(q, &keyhole_core::EventStore::default(), &Default::default());
        let _ = keyhole_kql::highlight(q);
    }
}

/// Random token soup (a fixed-seed generator): every query either runs or returns a positioned
/// error; nothing panics, and highlighting covers the text in order.
#[test]
fn token_soup_never_panics() {
    let vocab = [
        "AzureDiagnostics",
        "AZKVAuditLogs",
        "|",
        "where",
        "project",
        "extend",
        "summarize",
        "count()",
        "by",
        "join",
        "kind=inner",
        "kind=leftanti",
        "on",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        "let",
        "x",
        "=",
        "==",
        "!=",
        "=~",
        "in",
        "!in",
        "has",
        "contains",
        "between",
        "..",
        "ago(1d)",
        "now()",
        "bin(TimeGenerated, 1h)",
        "dynamic([1,'a'])",
        "\"s\"",
        "'t'",
        "1",
        "2.5",
        "10m",
        "Resource",
        "OperationName",
        "CallerIPAddress",
        "TimeGenerated",
        "sort",
        "desc",
        "asc",
        "take",
        "10",
        "distinct",
        "*",
        "union",
        "search",
        "render",
        "timechart",
        "and",
        "or",
        "not",
        "+",
        "-",
        "/",
        "%",
        "arg_max",
        "make_set",
        "iff",
        "case",
        "strcat",
        "tostring",
        "extract",
        "split",
        "datetime(2026-10-01)",
        "toscalar",
        "mv-expand",
        "top",
        "datatable(a:long)[1]",
        "print",
        "range",
        "from",
        "to",
        "step",
        "//c\n",
        "\n",
        "@'x'",
        "$left.Resource",
        "$right.Resource",
        "project-rename",
        "project-away",
        "-",
        ".",
        "{",
        "}",
        ":",
        "é",
        "\"unterminated",
    ];
    let events = vec![support::ev("2026-10-01T00:00:00Z", "kv-a", "SecretGet").build()];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let rounds: usize = std::env::var("KQL_SOUP_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    for _ in 0..rounds {
        let n = 1 + (next() % 14) as usize;
        let q: Vec<&str> = (0..n)
            .map(|_| vocab[(next() % vocab.len() as u64) as usize])
            .collect();
        let q = q.join(" ");
        if let Err(e) = run(
            &q,
            &keyhole_core::EventStore::from_events(&events),
            &Default::default(),
        ) {
            assert!(
                e.line >= 1 && e.column >= 1 && e.span.1 <= q.len(),
                "{q:?} => {e:?}"
            );
        }
        let h = keyhole_kql::highlight(&q);
        assert!(h.windows(2).all(|w| w[0].0.end <= w[1].0.start), "{q:?}");
        assert!(
            h.iter().all(|(r, _)| r.end <= q.len()
                && q.is_char_boundary(r.start)
                && q.is_char_boundary(r.end)),
            "{q:?}"
        );
    }
}

#[test]
fn ipv6_lookup_names_the_missing_column() {
    check(
        "let Nets = datatable(net: string)[\"2001:db8::/32\"];\nprint ip = \"2001:db8::1\"\n| evaluate ipv6_lookup(Nets, ipp, net)",
        3,
        30,
        "unknown column 'ipp'",
    );
    check(
        "let Nets = datatable(net: string)[\"2001:db8::/32\"];\nprint ip = \"2001:db8::1\"\n| evaluate ipv6_lookup(Nets, ip)",
        3,
        12,
        "ipv6_lookup expects 3 or 4 arguments",
    );
}

#[test]
fn geo_lookups_name_their_mistakes() {
    check(
        "let R = datatable(road: dynamic)[];\nprint lon = 1.0, lat = 2.0\n| evaluate geo_line_lookup(R, road, lon, lat)",
        3,
        12,
        "the radius is required",
    );
    check(
        "let R = datatable(area: dynamic)[];\nprint lon = 1.0, lat = 2.0\n| evaluate geo_polygon_lookup(R, area, lon, lat, radius = 5, unmatched = true)",
        3,
        62,
        "geo_polygon_lookup has no parameter 'unmatched'",
    );
}

#[test]
fn parse_kv_names_its_mistakes() {
    check(
        "print s = 'a=1'\n| parse-kv s as (a: long) with (pair_delimiter=';')",
        2,
        48,
        "pair_delimiter and kv_delimiter go together",
    );
    check(
        "print s = 'a=1'\n| parse-kv s as (a: long) with (separator=';')",
        2,
        33,
        "parse-kv has no option 'separator'",
    );
    check(
        "print s = 'a=1'\n| parse-kv s with (a: long)",
        2,
        14,
        "expected 'as (Key: type, …)'",
    );
}

#[test]
fn project_by_names_and_invoke_errors_are_positioned() {
    check(
        "print a = 1, b = 2\n| project-by-names \"a\", 3",
        2,
        25,
        "project-by-names expects column names",
    );
    check(
        "let f = (n: long) { print x = n };\nprint a = 1\n| invoke f(2)",
        3,
        10,
        "does not take a table as its first parameter",
    );
    check(
        "let WithOwner = (T: (*)) { T };\nAzureDiagnostics\n| invoke WithOwnr()",
        3,
        10,
        "unknown function 'WithOwnr'; did you mean 'WithOwner'?",
    );
    check(
        "find where Sesion_Id == 1",
        1,
        12,
        "unknown column 'Sesion_Id'",
    );
    check(
        "find in (Azure*, Nope*) where OperationName == 'x'",
        1,
        18,
        "find: no table matches 'Nope*'",
    );
    check(
        "print a = column_names_of(1)",
        1,
        11,
        "column_names_of() expects one tabular expression",
    );
}
