//! `evaluate Plugin(…) [: (Col: type, …)]`: the plugins a Key Vault hunt uses —
//! `bag_unpack` (a property bag's slots as columns), `pivot` (a column's values as columns)
//! and `narrow` (every cell as a row); `ipv6_lookup` (addresses joined to a table of networks)
//! is in `ip_lookup.rs`, `geo_polygon_lookup` and `geo_line_lookup` in `geo_lookup.rs`; `rolling_percentile` and `schema_merge` are in `plugins.rs`;
//! `activity_counts_metrics` and `sliding_window_counts` in `activity.rs`.

use crate::ast::{Assign, Expr, ExprKind};
use crate::error::{RawError, Res};
use crate::exec::{values_col, Batch, Ctx, MAX_ROWS};
use crate::value::{Type, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The plugins Keyhole runs (for errors and the editor).
pub(crate) const PLUGINS: &[&str] = &[
    "activity_counts_metrics",
    "bag_unpack",
    "geo_line_lookup",
    "geo_polygon_lookup",
    "ipv6_lookup",
    "narrow",
    "pivot",
    "rolling_percentile",
    "schema_merge",
    "sliding_window_counts",
];

/// `evaluate name(args) [: schema]`.
pub(crate) struct Plugin<'a> {
    pub name: &'a str,
    pub name_span: (usize, usize),
    pub args: &'a [Expr],
    /// The output schema: `*` (keep the input's columns) and named, typed columns.
    pub schema: Option<&'a (bool, Vec<(String, Type)>)>,
}

/// The index of the column a plugin's argument `i` names; `what` says which argument, `usage`
/// (when not empty) the plugin's call form.
pub(super) fn column_index(b: &Batch, p: &Plugin, i: usize, what: &str, usage: &str) -> Res<usize> {
    let (n, sp) = column_arg(p, i, what, usage)?;
    b.index_of(n)
        .ok_or_else(|| RawError::new(sp, format!("unknown column '{n}'")))
}

/// The row pairs of a lookup plugin's join: for each of `rows` input rows, the lookup rows
/// `hits` finds for it (`hits(row, &mut found)`), or one unmatched pair (`None`) when it finds
/// none and `unmatched` is set; at most `MAX_ROWS` pairs. Returns the lookup and input rows.
pub(super) fn lookup_rows(
    p: &Plugin,
    rows: usize,
    unmatched: bool,
    mut hits: impl FnMut(usize, &mut Vec<u32>),
) -> Res<(Vec<Option<u32>>, Vec<u32>)> {
    let (mut lrows, mut srows, mut found) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rows {
        found.clear();
        hits(r, &mut found);
        for &lr in &found {
            lrows.push(Some(lr));
            srows.push(r as u32);
        }
        if found.is_empty() && unmatched {
            lrows.push(None);
            srows.push(r as u32);
        }
        if srows.len() > MAX_ROWS {
            return Err(RawError::new(
                p.name_span,
                format!(
                    "{} result exceeds {MAX_ROWS} rows; filter the input or the lookup table",
                    p.name
                ),
            ));
        }
    }
    Ok((lrows, srows))
}

pub(crate) fn run(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    match p.name {
        "activity_counts_metrics" => super::activity::activity_counts_metrics(ctx, b, p),
        "bag_unpack" => bag_unpack(ctx, b, p),
        "geo_line_lookup" => super::geo_lookup::geo_line_lookup(ctx, b, p),
        "geo_polygon_lookup" => super::geo_lookup::geo_polygon_lookup(ctx, b, p),
        "ipv6_lookup" => super::ip_lookup::ipv6_lookup(ctx, b, p),
        "narrow" => Ok(narrow(ctx, b)),
        "pivot" => pivot(ctx, b, p),
        "rolling_percentile" => super::plugins::rolling_percentile(ctx, b, p),
        "schema_merge" => super::plugins::schema_merge(ctx, b, p),
        "sliding_window_counts" => super::activity::sliding_window_counts(ctx, b, p),
        other => {
            let mut msg = format!("the '{other}' plugin is not supported yet");
            if let Some(s) = crate::error::did_you_mean(other, PLUGINS.iter().copied()) {
                msg = format!("unknown plugin '{other}'; did you mean '{s}'?");
            }
            Err(RawError::expected(p.name_span, msg, PLUGINS))
        }
    }
}

/// A lookup plugin's first argument, its lookup table: a name (the parser makes a let-bound one
/// a subquery) or `(T | …)`; with the label errors name it by.
pub(crate) fn lookup_table(ctx: &mut Ctx, p: &Plugin, usage: &str) -> Res<(Batch, String)> {
    match p.args.first().map(|a| &a.kind) {
        Some(ExprKind::Subquery(t)) => {
            let label = match &t.source {
                crate::ast::Source::Table(n, _) if t.ops.is_empty() => n.clone(),
                _ => "(…)".to_string(),
            };
            Ok((ctx.run_tabular(t)?, label))
        }
        Some(ExprKind::Name(n)) => Ok((ctx.table_by_name(n, p.args[0].span)?, n.clone())),
        _ => Err(RawError::new(
            p.args.first().map_or(p.name_span, |a| a.span),
            format!(
                "{}: expected the lookup table (a table, a let name or a tabular expression): {usage}",
                p.name
            ),
        )),
    }
}

fn column_arg<'e>(
    p: &'e Plugin,
    i: usize,
    what: &str,
    usage: &str,
) -> Res<(&'e str, (usize, usize))> {
    let usage = if usage.is_empty() {
        String::new()
    } else {
        format!(": {usage}")
    };
    match p.args.get(i).map(|a| (&a.kind, a.span)) {
        Some((ExprKind::Name(n), sp)) => Ok((n, sp)),
        Some((_, sp)) => Err(RawError::new(
            sp,
            format!("{}: expected {what} (a column name){usage}", p.name),
        )),
        None => Err(RawError::new(
            p.name_span,
            format!("{}: expected {what}{usage}", p.name),
        )),
    }
}

/// The Kusto type of a JSON value (`dynamic` for arrays and bags).
fn json_type(v: &serde_json::Value) -> Option<Type> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(_) => Some(Type::Bool),
        serde_json::Value::Number(n) if n.is_i64() => Some(Type::Long),
        serde_json::Value::Number(_) => Some(Type::Real),
        serde_json::Value::String(_) => Some(Type::String),
        _ => Some(Type::Dynamic),
    }
}

fn bag_unpack(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    let (col, col_span) = column_arg(p, 0, "the column to unpack", "")?;
    let src = b
        .index_of(col)
        .ok_or_else(|| RawError::new(col_span, format!("unknown column '{col}'")))?;
    // Options by position or by name (`columnsConflict = 'keep_source'`).
    const OPTIONS: [&str; 3] = ["OutputColumnPrefix", "columnsConflict", "ignoredProperties"];
    let mut opts: [Option<(Value, (usize, usize))>; 3] = Default::default();
    for (i, a) in p.args[1..].iter().enumerate() {
        let (slot, e) = match &a.kind {
            ExprKind::Named(n, x) => match OPTIONS.iter().position(|o| o.eq_ignore_ascii_case(n)) {
                Some(k) => (k, &**x),
                None => {
                    return Err(RawError::expected(
                        a.span,
                        format!("bag_unpack has no parameter '{n}'"),
                        &OPTIONS,
                    ))
                }
            },
            _ if i < 3 => (i, a),
            _ => {
                return Err(RawError::new(
                    a.span,
                    "bag_unpack takes at most four arguments",
                ))
            }
        };
        opts[slot] = Some((ctx.eval_const(e)?, a.span));
    }
    let prefix = opts[0]
        .as_ref()
        .map(|(v, _)| v.to_kql_string())
        .unwrap_or_default();
    let conflict = opts[1]
        .as_ref()
        .map(|(v, _)| v.to_kql_string())
        .unwrap_or_else(|| "error".into());
    if !["error", "replace_source", "keep_source"].contains(&conflict.as_str()) {
        return Err(RawError::expected(
            opts[1].as_ref().map_or(p.name_span, |o| o.1),
            format!("bag_unpack: unknown columnsConflict '{conflict}'"),
            &["error", "replace_source", "keep_source"],
        ));
    }
    let ignored: BTreeSet<String> = match opts[2].as_ref().map(|(v, _)| v.to_json()) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|k| Value::dynamic(k.clone()).to_kql_string())
            .collect(),
        _ => BTreeSet::new(),
    };
    let bags: Vec<Value> = (0..b.len).map(|r| b.cols[src].get(r, &ctx.src)).collect();
    // Every slot name (sorted) and the type its values share (dynamic when they differ).
    let mut slots: BTreeMap<String, Option<Type>> = BTreeMap::new();
    for v in &bags {
        if let Value::Dynamic(d) = v {
            if let serde_json::Value::Object(m) = &**d {
                for (k, x) in m {
                    if ignored.contains(k) {
                        continue;
                    }
                    let t = json_type(x);
                    let e = slots.entry(k.clone()).or_insert(t);
                    if t.is_some() && *e != t {
                        *e = if e.is_none() { t } else { Some(Type::Dynamic) };
                    }
                }
            }
        }
    }
    let mut out = b.clone();
    out.cols.remove(src);
    let mut new_cols = Vec::new();
    let wanted: Option<Vec<(String, Type)>> = p.schema.map(|(_, cols)| cols.clone());
    let names: Vec<(String, String, Option<Type>)> = match &wanted {
        // With a schema: exactly its columns, read from the slot of that name (less the prefix).
        Some(cols) => cols
            .iter()
            .map(|(n, t)| {
                (
                    n.strip_prefix(&prefix).unwrap_or(n).to_string(),
                    n.clone(),
                    Some(*t),
                )
            })
            .collect(),
        None => slots
            .iter()
            .map(|(k, t)| (k.clone(), format!("{prefix}{k}"), *t))
            .collect(),
    };
    for (slot, name, ty) in names {
        if out.index_of(&name).is_some() {
            match conflict.as_str() {
                "keep_source" => continue,
                "replace_source" => {
                    let i = out.index_of(&name).unwrap_or(0);
                    out.cols.remove(i);
                }
                _ => {
                    return Err(RawError::new(
                        p.name_span,
                        format!("bag_unpack: the slot '{slot}' would make a second column '{name}' (use columnsConflict 'replace_source' or 'keep_source')"),
                    ))
                }
            }
        }
        let ty = ty.unwrap_or(Type::Dynamic);
        let vals: Vec<Value> = bags
            .iter()
            .map(|v| match v {
                Value::Dynamic(d) => match d.get(&slot) {
                    Some(x) if ty == Type::Dynamic => Value::dynamic(x.clone()),
                    Some(x) => crate::functions::cast(&Value::dynamic(x.clone()).undyn(), ty),
                    None => Value::Null,
                },
                _ => Value::Null,
            })
            .collect();
        for v in &vals {
            ctx.env
                .charge(std::mem::size_of::<Value>() + crate::functions::heap_size(v));
        }
        new_cols.push(values_col(name, ty, vals));
    }
    ctx.check(p.name_span)?;
    if p.schema.is_some_and(|(star, _)| !star) {
        out.cols.clear();
    }
    out.cols.extend(new_cols);
    Ok(out)
}

/// Every cell as a row: `Row` (the row's index), `Column` (its name), `Value` (as text).
fn narrow(ctx: &mut Ctx, b: Batch) -> Batch {
    let n = b.len * b.cols.len();
    let (mut rows, mut cols, mut vals) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in 0..b.len {
        for c in &b.cols {
            let v = c.get(r, &ctx.src).to_kql_string();
            if !ctx.env.charge(3 * std::mem::size_of::<Value>() + v.len()) {
                break;
            }
            rows.push(Value::Long(r as i64));
            cols.push(Value::str(&c.name));
            vals.push(Value::str(&v));
        }
    }
    let len = rows.len();
    Batch {
        cols: vec![
            values_col("Row", Type::Long, rows),
            values_col("Column", Type::String, cols),
            values_col("Value", Type::String, vals),
        ],
        len,
    }
}

/// `pivot(Col [, agg(x)] [, Key1, Key2, …])`: one row per key, one column per distinct value
/// of `Col` (in ascending order) holding the aggregation (`count()` by default) of that cell.
fn pivot(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    let (pcol, _) = column_arg(p, 0, "the pivot column", "")?;
    let (agg, keys): (Expr, &[Expr]) = match p.args.get(1) {
        Some(a) if matches!(a.kind, ExprKind::Call(..)) => (a.clone(), &p.args[2..]),
        _ => (
            Expr {
                kind: ExprKind::Call("count".into(), Vec::new()),
                span: p.name_span,
            },
            &p.args[1..],
        ),
    };
    let agg_name = match &agg.kind {
        ExprKind::Call(n, _) => n.clone(),
        _ => String::new(),
    };
    let mut by: Vec<Assign> = keys.iter().map(|k| Assign::bare(k.clone())).collect();
    by.push(Assign::bare(Expr {
        kind: ExprKind::Name(pcol.to_string()),
        span: p.args[0].span,
    }));
    let nkeys = keys.len();
    let s = super::summarize::run(ctx, b, &[Assign::bare(agg)], &by)?;
    let (pi, ai) = (nkeys, nkeys + 1);
    let src = &ctx.src;
    // Distinct pivot values, in ascending order of their text.
    let mut values: BTreeMap<String, usize> = BTreeMap::new();
    for r in 0..s.len {
        let k = s.cols[pi].get(r, src).to_kql_string();
        let next = values.len();
        values.entry(k).or_insert(next);
    }
    let order: Vec<String> = values.keys().cloned().collect();
    let col_of: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut groups: HashMap<Vec<Value>, usize> = HashMap::new();
    let mut key_rows: Vec<Vec<Value>> = Vec::new();
    let mut cells: Vec<Vec<Value>> = Vec::new();
    let agg_ty = s.cols[ai].ty;
    // A cell with no rows holds the aggregation's value over nothing.
    let empty = match agg_name.as_str() {
        "count" | "countif" | "dcount" | "dcountif" | "sum" | "sumif" => match agg_ty {
            Type::Real => Value::Real(0.0),
            _ => Value::Long(0),
        },
        "make_list" | "make_set" | "make_list_if" | "make_set_if" => {
            Value::dynamic(serde_json::json!([]))
        }
        "make_bag" | "make_bag_if" => Value::dynamic(serde_json::json!({})),
        _ => Value::Null,
    };
    for r in 0..s.len {
        let key: Vec<Value> = (0..nkeys).map(|i| s.cols[i].get(r, src)).collect();
        let g = *groups.entry(key.clone()).or_insert_with(|| {
            key_rows.push(key);
            cells.push(vec![empty.clone(); order.len()]);
            cells.len() - 1
        });
        let k = s.cols[pi].get(r, src).to_kql_string();
        cells[g][col_of[k.as_str()]] = s.cols[ai].get(r, src);
    }
    let n = key_rows.len();
    let mut cols = Vec::new();
    for i in 0..nkeys {
        let v = key_rows.iter().map(|k| k[i].clone()).collect();
        cols.push(values_col(s.cols[i].name.clone(), s.cols[i].ty, v));
    }
    for (j, name) in order.iter().enumerate() {
        let v = cells.iter().map(|c| c[j].clone()).collect();
        cols.push(values_col(name.clone(), agg_ty, v));
    }
    Ok(Batch { cols, len: n })
}
