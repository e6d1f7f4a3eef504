//! The names Kusto gives unnamed computed columns (Kusto.Language's
//! `Binder.GetExpressionResultName` and each function's `ResultNameKind`): `Identity.claim.upn`
//! is `Identity_claim_upn`, `tostring(x.y)` is `x_y`, `gettype(x)` is `type_x`,
//! `bin(TimeGenerated, 1h)` is `TimeGenerated`, `strlen(s)` is `strlen_s`; a function Kusto
//! does not name (`strcat`, `iff`, …) leaves the column to the operator's default (`Column1`).

use crate::ast::{Expr, ExprKind};
use crate::value::Value;

/// How a function's unnamed result is named (Kusto.Language's `ResultNameKind`).
enum NameKind {
    /// Not inferred.
    None,
    /// The first argument's name.
    FirstArgument,
    /// The only argument's name (none with several arguments).
    OnlyArgument,
    /// `prefix_` and the first argument's name.
    PrefixAndFirstArgument(&'static str),
    /// The prefix alone.
    PrefixOnly(&'static str),
    /// The first argument's string value when a column has that name (`column_ifexists`).
    FirstArgumentValueIfColumn,
}

fn name_kind(function: &str) -> NameKind {
    use NameKind::*;
    match function {
        // Conversions, parsing and formatting keep their argument's name.
        "tostring"
        | "tohex"
        | "todynamic"
        | "toobject"
        | "tolong"
        | "toint"
        | "toreal"
        | "todouble"
        | "todatetime"
        | "totimespan"
        | "totime"
        | "tobool"
        | "toboolean"
        | "todecimal"
        | "toguid"
        | "parse_csv"
        | "parsejson"
        | "parse_json"
        | "parse_xml"
        | "split"
        | "datetime_to_locale_string"
        | "format_datetime"
        | "format_timespan"
        | "format_bytes"
        | "startofday" => FirstArgument,
        // Rounding, bitwise and numeric functions.
        "bin" | "floor" | "bin_at" | "bin_auto" | "round" | "ceiling" | "pow" | "sqrt" | "log"
        | "log2" | "log10" | "exp" | "exp2" | "exp10" | "cos" | "sin" | "tan" | "acos" | "asin"
        | "atan" | "atan2" | "abs" | "rand" | "gamma" | "loggamma" | "binary_and" | "binary_or"
        | "binary_xor" | "binary_not" | "binary_shift_right" | "binary_shift_left"
        | "bitset_count_ones" => FirstArgument,
        // Series functions that return one series.
        "series_fir"
        | "series_outliers"
        | "series_iir"
        | "series_fill_backward"
        | "series_fill_forward"
        | "series_fill_const"
        | "series_fill_linear" => FirstArgument,
        "make_datetime" | "make_timespan" => OnlyArgument,
        "gettype" => PrefixAndFirstArgument("type"),
        "treepath" => PrefixAndFirstArgument("tree"),
        "repeat" => PrefixAndFirstArgument("repeat"),
        "percentiles_array_tdigest" => PrefixAndFirstArgument("percentile_tdigest"),
        // ResultNameKind.NameAndFirstArgument: the function's own name is the prefix.
        "strlen" => PrefixAndFirstArgument("strlen"),
        "string_size" => PrefixAndFirstArgument("string_size"),
        "dcount_hll" => PrefixAndFirstArgument("dcount_hll"),
        "percentile_tdigest" => PrefixAndFirstArgument("percentile_tdigest"),
        "tdigest_merge" | "merge_tdigest" => PrefixOnly("tdigests_merge_result"),
        "hll_merge" => PrefixOnly("hll_merged_result"),
        "ingestion_time" => PrefixOnly("$IngestionTime"),
        "column_ifexists" | "columnifexists" => FirstArgumentValueIfColumn,
        _ => None,
    }
}

/// The name Kusto gives the unnamed result of `e` in `project` / `extend` / `summarize by`
/// (None: the operator's default, `Column1`…). `has_column` answers whether the input has a
/// column of that name (for `column_ifexists`).
pub(crate) fn result_name(e: &Expr, has_column: &dyn Fn(&str) -> bool) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        // `x.y` and `x["y"]` / `x[0]`: the left side's name (if any) and the selector's.
        ExprKind::Member(x, n) => Some(joined(result_name(x, has_column), n)),
        ExprKind::Index(x, i) => {
            let right = match &i.kind {
                ExprKind::Lit(Value::String(s)) => Some(s.to_string()),
                ExprKind::Lit(Value::Long(k)) => Some(k.to_string()),
                _ => None,
            };
            match (result_name(x, has_column), right) {
                (Some(l), r) if !l.trim().is_empty() => {
                    Some(format!("{l}_{}", r.unwrap_or_default()))
                }
                (_, r) => r,
            }
        }
        ExprKind::Call(f, args) => {
            let first = || args.first().and_then(|a| result_name(a, has_column));
            match name_kind(f) {
                NameKind::None => None,
                NameKind::FirstArgument => first(),
                NameKind::OnlyArgument if args.len() == 1 => first(),
                NameKind::OnlyArgument => None,
                NameKind::PrefixAndFirstArgument(p) => {
                    Some(format!("{p}_{}", first().unwrap_or_default()))
                }
                NameKind::PrefixOnly(p) => Some(p.to_string()),
                NameKind::FirstArgumentValueIfColumn => match args.first().map(|a| &a.kind) {
                    Some(ExprKind::Lit(Value::String(s))) if has_column(s) => Some(s.to_string()),
                    _ => None,
                },
            }
        }
        _ => None,
    }
}

fn joined(left: Option<String>, right: &str) -> String {
    match left {
        Some(l) if !l.trim().is_empty() => format!("{l}_{right}"),
        _ => right.to_string(),
    }
}
