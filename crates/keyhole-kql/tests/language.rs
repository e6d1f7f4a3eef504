//! The language beyond the acceptance set: operators, joins, aggregations, functions and Kusto's
//! null semantics, over `datatable` inputs whose expected results are worked out by hand.

mod support;
use keyhole_kql::{run, Type, Value};
use support::*;

fn q(text: &str) -> keyhole_kql::Table {
    run(
        text,
        &keyhole_core::EventStore::default(),
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("{text}\n{e}"))
}

fn r(text: &str) -> Vec<Vec<String>> {
    rows(&q(text))
}

fn v(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

const L: &str = "let L = datatable(k:string, a:long)['x', 1, 'x', 2, 'y', 3, 'z', 4];\n";
const R: &str = "let R = datatable(k:string, b:long)['x', 10, 'y', 20, 'y', 21, 'w', 30];\n";

#[test]
fn find_over_both_tables() {
    let events = vec![
        ev("2026-10-01T00:00:00Z", "kv-a", "SecretGet")
            .ip("10.0.0.9")
            .build(),
        ev("2026-10-01T00:01:00Z", "kv-b", "KeyList")
            .ip("10.0.0.7")
            .build(),
    ];
    let store = keyhole_core::EventStore::from_events(&events);
    let run_rows = |text: &str| {
        rows(&run(text, &store, &Default::default()).unwrap_or_else(|e| panic!("{text}\n{e}")))
    };
    // Without `in`, both tables; each row says which table it came from.
    assert_eq!(
        run_rows(
            "find where OperationName == 'SecretGet' project OperationName | order by source_ asc"
        ),
        v(&[
            &["AZKVAuditLogs", "SecretGet"],
            &["AzureDiagnostics", "SecretGet"]
        ])
    );
    // CallerIPAddress is AzureDiagnostics' spelling (AZKVAuditLogs has CallerIpAddress): the
    // other table is left out (were it kept, its null column would be empty on every row).
    assert_eq!(
        run_rows(
            "find where isempty(CallerIPAddress) or CallerIPAddress == '10.0.0.7' project OperationName"
        ),
        v(&[&["AzureDiagnostics", "KeyList"]])
    );
}

#[test]
fn join_kinds() {
    let j = |kind: &str, tail: &str| r(&format!("{L}{R}L | join kind={kind} R on k{tail}"));
    // innerunique (the default) keeps one left row per key.
    assert_eq!(
        r(&format!("{L}{R}L | join R on k | order by a asc, b asc")),
        v(&[
            &["x", "1", "x", "10"],
            &["y", "3", "y", "20"],
            &["y", "3", "y", "21"]
        ])
    );
    assert_eq!(
        j("inner", " | order by a asc, b asc"),
        v(&[
            &["x", "1", "x", "10"],
            &["x", "2", "x", "10"],
            &["y", "3", "y", "20"],
            &["y", "3", "y", "21"]
        ])
    );
    assert_eq!(
        names(&q(&format!("{L}{R}L | join kind=inner R on k"))),
        ["k", "a", "k1", "b"]
    );
    assert_eq!(
        j("leftouter", " | order by a asc, b asc"),
        v(&[
            &["x", "1", "x", "10"],
            &["x", "2", "x", "10"],
            &["y", "3", "y", "20"],
            &["y", "3", "y", "21"],
            &["z", "4", "", ""]
        ])
    );
    assert_eq!(
        j("rightouter", " | where isnull(a) | project k1, b"),
        v(&[&["w", "30"]])
    );
    assert_eq!(j("fullouter", " | count"), v(&[&["6"]]));
    assert_eq!(j("leftanti", ""), v(&[&["z", "4"]]));
    assert_eq!(j("rightanti", ""), v(&[&["w", "30"]]));
    assert_eq!(
        j("leftsemi", " | order by a asc"),
        v(&[&["x", "1"], &["x", "2"], &["y", "3"]])
    );
    assert_eq!(
        j("rightsemi", " | order by b asc"),
        v(&[&["x", "10"], &["y", "20"], &["y", "21"]])
    );
    // $left/$right keys with different names.
    assert_eq!(
        r(&format!("{L}let R2 = datatable(key:string, b:long)['z', 7];\nL | join kind=inner R2 on $left.k == $right.key")),
        v(&[&["z", "4", "z", "7"]])
    );
}

#[test]
fn summarize_aggregations() {
    let t = q("datatable(g:string, n:long, s:string, t:datetime)[
        'a', 1, 'p', datetime(2026-10-01 10:15), 'a', 5, 'q', datetime(2026-10-01 10:45),
        'a', 3, 'p', datetime(2026-10-01 11:05), 'b', 7, 'r', datetime(2026-10-01 12:00)]
        | summarize count(), countif(n > 2), dcount(s), sum(n), min(n), max(n), avg(n), make_set(s), make_list(n) by g
        | order by g asc");
    assert_eq!(
        names(&t),
        [
            "g", "count_", "countif_", "dcount_s", "sum_n", "min_n", "max_n", "avg_n", "set_s",
            "list_n"
        ]
    );
    assert_eq!(
        rows(&t),
        v(&[
            &[
                "a",
                "3",
                "2",
                "2",
                "9",
                "1",
                "5",
                "3",
                r#"["p","q"]"#,
                "[1,5,3]"
            ],
            &["b", "1", "1", "1", "7", "7", "7", "7", r#"["r"]"#, "[7]"]
        ])
    );
    assert_eq!(t.columns[7].ty, Type::Real);
    // arg_max / arg_min with explicit columns and with *.
    assert_eq!(
        r("datatable(g:string, n:long, s:string)['a', 1, 'p', 'a', 5, 'q', 'b', 7, 'r'] | summarize arg_max(n, s) by g | order by g asc"),
        v(&[&["a", "5", "q"], &["b", "7", "r"]])
    );
    let t = q("datatable(g:string, n:long, s:string)['a', 1, 'p', 'a', 5, 'q'] | summarize arg_min(n, *) by g");
    assert_eq!(names(&t), ["g", "n", "s"]);
    assert_eq!(rows(&t), v(&[&["a", "1", "p"]]));
    // bin() groups by time bucket; the column keeps the source column's name.
    let t = q("datatable(t:datetime)[datetime(2026-10-01 10:15), datetime(2026-10-01 10:45), datetime(2026-10-01 11:05)]
        | summarize n = count() by bin(t, 1h) | order by t asc");
    assert_eq!(names(&t), ["t", "n"]);
    assert_eq!(
        rows(&t),
        v(&[
            &["2026-10-01T10:00:00Z", "2"],
            &["2026-10-01T11:00:00Z", "1"]
        ])
    );
    // No rows, no groups: one row of zero; with groups: no rows.
    assert_eq!(r("datatable(n:long)[] | summarize count()"), v(&[&["0"]]));
    assert_eq!(
        r("datatable(n:long)[] | summarize count() by n"),
        Vec::<Vec<String>>::new()
    );
}

#[test]
fn string_and_set_operators() {
    let base = "datatable(s:string)['SecretGet', 'secretget', 'KeyGet', 'Secret-Get from kv', 'VaultPatch', '']";
    let w = |cond: &str| -> Vec<String> {
        r(&format!("{base} | where {cond}"))
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    };
    assert_eq!(w("s == 'SecretGet'"), ["SecretGet"]);
    assert_eq!(w("s =~ 'SECRETGET'"), ["SecretGet", "secretget"]);
    assert_eq!(
        w("s !~ 'secretget' and isnotempty(s)"),
        ["KeyGet", "Secret-Get from kv", "VaultPatch"]
    );
    assert_eq!(
        w("s != 'SecretGet'"),
        [
            "secretget",
            "KeyGet",
            "Secret-Get from kv",
            "VaultPatch",
            ""
        ]
    );
    assert_eq!(w("s in ('KeyGet', 'VaultPatch')"), ["KeyGet", "VaultPatch"]);
    assert_eq!(
        w("s !in ('KeyGet', 'VaultPatch', '')"),
        ["SecretGet", "secretget", "Secret-Get from kv"]
    );
    assert_eq!(w("s in~ ('SECRETGET')"), ["SecretGet", "secretget"]);
    assert_eq!(w("s has 'get'"), ["Secret-Get from kv"]);
    assert_eq!(
        w("s contains 'get'"),
        ["SecretGet", "secretget", "KeyGet", "Secret-Get from kv"]
    );
    assert_eq!(w("s contains_cs 'get'"), ["secretget"]);
    assert_eq!(
        w("s startswith 'secret'"),
        ["SecretGet", "secretget", "Secret-Get from kv"]
    );
    assert_eq!(w("s endswith 'patch'"), ["VaultPatch"]);
    assert_eq!(w("s !contains 'e'"), ["VaultPatch", ""]);
    assert_eq!(
        w("not(s has 'kv') and strlen(s) > 6"),
        ["SecretGet", "secretget", "VaultPatch"]
    );
    assert_eq!(
        w("s matches regex '^[A-Z][a-z]+Get$'"),
        ["SecretGet", "KeyGet"]
    );
    let n = "datatable(n:long)[1, 5, 10, 11]";
    assert_eq!(
        r(&format!("{n} | where n between (5 .. 10)")),
        v(&[&["5"], &["10"]])
    );
    assert_eq!(
        r(&format!("{n} | where n !between (5 .. 10)")),
        v(&[&["1"], &["11"]])
    );
    // In a list given by a let-bound dynamic array.
    assert_eq!(
        r(&format!(
            "let ops = dynamic(['KeyGet', 'VaultPatch']);\n{base} | where s in (ops)"
        )),
        v(&[&["KeyGet"], &["VaultPatch"]])
    );
}

#[test]
fn scalar_functions() {
    let t = q(
        r#"print a = strcat('kv', '-', 1), b = tolower('ABC'), c = toupper('abc'), d = split('a/b/c', '/'),
        e = extract(@'VAULTS/([^/]+)', 1, '/SUBSCRIPTIONS/S/VAULTS/KV1'),
        f = iff(1 > 2, 'y', 'n'), g = case(false, 'x', 2 > 1, 'second', 'else'), h = coalesce('', 'fallback'),
        i = format_datetime(datetime(2024-04-03T14:03:10.7886260Z), 'yyyy-MM-dd HH:mm:ss'), j = tostring(42),
        k = toint('17'), l = todouble('2.5'), m = todynamic('{"x":{"y":[1,2]}}').x.y[1], n = abs(-3),
        o = bin(17, 5), p = datetime(2026-10-02) - datetime(2026-10-01), q = tolong('nope')"#,
    );
    let got = rows(&t)[0].clone();
    assert_eq!(
        got,
        [
            "kv-1",
            "abc",
            "ABC",
            r#"["a","b","c"]"#,
            "KV1",
            "n",
            "second",
            "fallback",
            "2024-04-03 14:03:10",
            "42",
            "17",
            "2.5",
            "2",
            "3",
            "15",
            "1.00:00:00",
            ""
        ]
    );
    assert_eq!(
        r(r#"print extract(@'vaults/([^/]+)', 1, '/SUBSCRIPTIONS/S/VAULTS/KV1')"#),
        v(&[&[""]])
    );
    assert!(t.rows[0][16].is_null());
}

#[test]
fn null_and_empty_semantics() {
    // Empty string is empty but not null; a missing long is null (and both are empty).
    let t = q("datatable(s:string, n:long)['', long(null)] | extend e1 = isempty(s), n1 = isnull(s), e2 = isempty(n), n2 = isnull(n), ne = isnotempty(s)");
    assert_eq!(
        rows(&t),
        v(&[&["", "", "true", "false", "true", "true", "false"]])
    );
    // Comparisons with null are null: neither == nor != keeps the row.
    assert_eq!(
        r("datatable(n:long)[1, long(null)] | where n == 1 or n != 1"),
        v(&[&["1"]])
    );
    // dynamic vs string: a dynamic string compares equal to the string; tostring unwraps it.
    assert_eq!(
        r(
            r#"print a = todynamic('{"k":"v"}').k == 'v', b = tostring(todynamic('{"k":"v"}').k), c = todynamic('{"k":5}').k + 1"#
        ),
        v(&[&["true", "v", "6"]])
    );
    // Sorting: nulls last when descending, first when ascending.
    assert_eq!(
        r("datatable(n:long)[2, long(null), 3] | sort by n desc"),
        v(&[&["3"], &["2"], &[""]])
    );
    assert_eq!(
        r("datatable(n:long)[2, long(null), 3] | sort by n asc"),
        v(&[&[""], &["2"], &["3"]])
    );
}

#[test]
fn tabular_operators() {
    let d =
        "datatable(a:long, b:string, c:real)[3, 'x', 1.5, 1, 'y', 2.5, 2, 'x', 3.5, 1, 'y', 2.5]";
    assert_eq!(
        r(&format!("{d} | top 2 by a")),
        v(&[&["3", "x", "1.5"], &["2", "x", "3.5"]])
    );
    assert_eq!(r(&format!("{d} | take 1")), v(&[&["3", "x", "1.5"]]));
    assert_eq!(r(&format!("{d} | limit 0")).len(), 0);
    assert_eq!(r(&format!("{d} | count")), v(&[&["4"]]));
    assert_eq!(
        r(&format!("{d} | distinct b | order by b asc")),
        v(&[&["x"], &["y"]])
    );
    assert_eq!(r(&format!("{d} | distinct * | count")), v(&[&["3"]]));
    assert_eq!(names(&q(&format!("{d} | project-away b"))), ["a", "c"]);
    assert_eq!(
        names(&q(&format!("{d} | project-rename B = b"))),
        ["a", "B", "c"]
    );
    assert_eq!(
        names(&q(&format!("{d} | project-reorder c"))),
        ["c", "a", "b"]
    );
    assert_eq!(names(&q(&format!("{d} | project-keep a, c"))), ["a", "c"]);
    assert_eq!(
        r(&format!(
            "{d} | extend d = a * 2, e = c + a | project d, e | take 1"
        )),
        v(&[&["6", "4.5"]])
    );
    assert_eq!(
        r(&format!("{d} | union (datatable(a:long)[9]) | count")),
        v(&[&["5"]])
    );
    assert_eq!(
        r(&format!("{d} | order by a asc, c desc | project a, c")),
        v(&[&["1", "2.5"], &["1", "2.5"], &["2", "3.5"], &["3", "1.5"]])
    );
    let t = q(&format!("{d} | summarize count() by b | render barchart"));
    assert_eq!(t.render.as_deref(), Some("barchart"));
    // let of a tabular expression, used twice.
    assert_eq!(r(&format!("let T = {d} | where b == 'x';\nT | join kind=inner (T | project a, z = c) on a | count")), v(&[&["2"]]));
    // search over all columns.
    assert_eq!(r(&format!("{d} | search 'y' | count")), v(&[&["2"]]));
    // mv-expand of a dynamic array.
    assert_eq!(
        r("print x = dynamic([1, 2, 3]) | mv-expand x | summarize sum(toint(x))"),
        v(&[&["6"]])
    );
}

#[test]
fn time_and_now() {
    let e = vec![
        ev("2026-10-10T12:00:00Z", "kv-a", "SecretGet").build(),
        ev("2026-10-01T12:00:00Z", "kv-a", "SecretGet").build(),
    ];
    // now() defaults to the latest event; ago() is relative to it.
    let t = run(
        "AzureDiagnostics | where TimeGenerated > ago(1d) | project TimeGenerated, now()",
        &keyhole_core::EventStore::from_events(&e),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        rows(&t),
        v(&[&["2026-10-10T12:00:00Z", "2026-10-10T12:00:00Z"]])
    );
    let opts = keyhole_kql::QueryOptions {
        now: Some(ts("2026-10-02T00:00:00Z")),
        ..Default::default()
    };
    let t = run(
        "AzureDiagnostics | where TimeGenerated between (ago(2d) .. now()) | count",
        &keyhole_core::EventStore::from_events(&e),
        &opts,
    )
    .unwrap();
    assert_eq!(rows(&t), v(&[&["1"]]));
    // Timespan arithmetic and comparison.
    assert_eq!(r("print (datetime(2026-10-01 10:10) - datetime(2026-10-01 10:00)) < 10m, 1h / 1m, 2 * 30s"), v(&[&["false", "60", "00:01:00"]]));
    let t = q("print x = datetime(2026-10-01)");
    assert!(matches!(t.rows[0][0], Value::DateTime(_)));
}

#[test]
fn azkvauditlogs_table() {
    let e = vec![
        ev("2026-10-10T12:00:00Z", "kv-a", "SecretGet")
            .user("alice@contoso.com", "oid-a")
            .status(403, "Forbidden")
            .build(),
        ev("2026-10-10T12:01:00Z", "kv-a", "VaultGet")
            .user("bob@contoso.com", "oid-b")
            .build(),
    ];
    let t = run(
        "AZKVAuditLogs | project OperationName, HttpStatusCode, upn = tostring(Identity.claim.upn), long = tostring(Identity.claim['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']), Type",
        &keyhole_core::EventStore::from_events(&e),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        rows(&t),
        v(&[
            &["SecretGet", "403", "alice@contoso.com", "", "AZKVAuditLogs"],
            &["VaultGet", "200", "", "bob@contoso.com", "AZKVAuditLogs"]
        ])
    );
}

#[test]
fn tabular_arguments() {
    // `in` a tabular let, `in` a subquery, and toscalar().
    let base = "let bad = datatable(ip:string)['6.6.6.6', '7.7.7.7'];\nlet ev = datatable(ip:string, n:long)['6.6.6.6', 1, '1.1.1.1', 2, '7.7.7.7', 3];\n";
    assert_eq!(
        r(&format!("{base}ev | where ip in (bad) | project n")),
        v(&[&["1"], &["3"]])
    );
    assert_eq!(
        r(&format!(
            "{base}ev | where ip !in (bad | where ip startswith '7') | project n"
        )),
        v(&[&["1"], &["2"]])
    );
    assert_eq!(r(&format!("{base}let top_n = toscalar(ev | summarize max(n));\nev | where n == top_n | project ip")), v(&[&["7.7.7.7"]]));
}

#[test]
fn limited_results_report_the_full_count() {
    let (t, total) = keyhole_kql::run_limited(
        "range x from 1 to 100 step 1 | where x % 2 == 0",
        &keyhole_core::EventStore::default(),
        &Default::default(),
        10,
    )
    .unwrap();
    assert_eq!(total, 50);
    assert_eq!(t.rows.len(), 10);
    assert_eq!(t.rows[9][0].to_string(), "20");
}

#[test]
fn more_functions() {
    let t = q("print a = datetime_diff('minute', datetime(2026-10-01 10:30), datetime(2026-10-01 10:00)),
        b = datetime_diff('day', datetime(2026-10-03), datetime(2026-10-01 23:00)),
        c = datetime_add('month', 1, datetime(2026-01-31)), d = datetime_add('hour', -2, datetime(2026-10-01)),
        e = dayofmonth(datetime(2026-10-17)), f = getmonth(datetime(2026-10-17)), g = getyear(datetime(2026-10-17)),
        h = startofweek(datetime(2026-10-17)), i = startofmonth(datetime(2026-10-17 12:00)),
        j = ipv4_is_in_range('10.1.2.3', '10.1.0.0/16'), k = ipv4_is_in_range('10.2.0.1:443', '10.1.0.0/16'),
        l = ipv4_is_private('192.168.1.1'), m = ipv4_is_private('185.220.101.47'),
        n = replace_regex('a1b22c', @'\\d+', '#'), o = countof('abcabc', 'bc'), p = trim_start('/', '//x/'),
        r = set_has_element(dynamic(['SecretGet', 'KeyGet']), 'KeyGet'), s = strcat_array(dynamic(['a', 'b']), '+')");
    assert_eq!(
        rows(&t)[0],
        [
            "30",
            "2",
            "2026-02-28T00:00:00Z",
            "2026-09-30T22:00:00Z",
            "17",
            "10",
            "2026",
            "2026-10-11T00:00:00Z",
            "2026-10-01T00:00:00Z",
            "true",
            "false",
            "true",
            "false",
            "a#b#c",
            "2",
            "x/",
            "true",
            "a+b"
        ]
    );
}

#[test]
fn parse_operator() {
    let d = "datatable(u:string)['https://kv1.vault.azure.net/secrets/db-password/abc123?api-version=7.4', 'https://kv1.vault.azure.net/keys/k1?api-version=7.4']";
    assert_eq!(
        r(&format!(
            r#"{d} | parse u with "https://" Vault ".vault.azure.net/secrets/" Secret "/" Version "?" * | project Vault, Secret, Version"#
        )),
        v(&[&["kv1", "db-password", "abc123"], &["", "", ""]])
    );
    assert_eq!(
        r(&format!(
            r#"{d} | parse-where u with * "api-version=" Ver:real | project Ver"#
        )),
        v(&[&["7.4"], &["7.4"]])
    );
    assert_eq!(
        r(&format!(
            r#"{d} | parse-where kind=regex u with * @"/(?:secrets|keys)/" Name @"[/?]" * | project Name"#
        )),
        v(&[&["db-password"], &["k1"]])
    );
}

#[test]
fn dynamic_member_columns_are_named_like_kusto() {
    let t = q(r#"print d = todynamic('{"claim":{"upn":"a@b"}}') | project d.claim.upn"#);
    assert_eq!(names(&t), ["d_claim_upn"]);
    assert_eq!(rows(&t), v(&[&["a@b"]]));
    let t =
        q(r#"print d = todynamic('{"claim":{"upn":"a@b"}}') | extend tostring(d['claim']['upn'])"#);
    // Kusto names a conversion after its argument (tostring's ResultNameKind.FirstArgument).
    assert_eq!(names(&t), ["d", "d_claim_upn"]);
}

#[test]
fn star_has_searches_every_column() {
    let d = "datatable(a:string, b:string)['kv-prod', 'x', 'y', 'PROD db', 'z', 'w']";
    // 'kv-prod' has the term 'prod' (a dash delimits terms).
    assert_eq!(
        r(&format!("{d} | where * has 'prod' | project b")),
        v(&[&["x"], &["PROD db"]])
    );
    assert_eq!(
        r(&format!("{d} | where * contains 'prod' | count")),
        v(&[&["2"]])
    );
}
