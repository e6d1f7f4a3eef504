//! Tabular operators, one module each; [`Ctx::operator`] dispatches a parsed operator to its
//! module. Sources (tables, `print`, `datatable`, `range`, `union`, `search`) live in `sources`.

use crate::ast::{OpAt, Operator};
use crate::error::Res;
use crate::exec::{Batch, Ctx};

mod activity;
mod count;
mod distinct;
mod evaluate;
mod extend;
mod find;
mod geo_lookup;
mod getschema;
mod ip_lookup;
mod join;
mod make_series;
mod mv_apply;
mod mv_expand;
mod parse;
mod parse_kv;
mod plugins;
mod project;
mod render;
mod scan;
mod sort;
pub(crate) mod sources;
mod summarize;
mod take;
mod union;
mod where_;

/// One tabular operator (or source) as the editor and the errors describe it.
pub(crate) struct OpDef {
    pub name: &'static str,
    pub syntax: &'static str,
    pub doc: &'static str,
    /// Whether Keyhole runs it yet.
    pub supported: bool,
}

macro_rules! op {
    ($name:literal, $syntax:literal, $doc:literal) => {
        OpDef {
            name: $name,
            syntax: $syntax,
            doc: $doc,
            supported: true,
        }
    };
    ($name:literal, $syntax:literal, $doc:literal, not_yet) => {
        OpDef {
            name: $name,
            syntax: $syntax,
            doc: $doc,
            supported: false,
        }
    };
}

/// Every tabular operator and source Kusto has that a Key Vault query may use.
pub(crate) static OPERATORS: &[OpDef] = &[
    op!(
        "where",
        "where Predicate",
        "Keep the rows where the predicate is true."
    ),
    op!("filter", "filter Predicate", "Alias of where."),
    op!(
        "project",
        "project Col, Name = Expr, …",
        "Keep (and compute) exactly these columns."
    ),
    op!(
        "project-rename",
        "project-rename New = Old, …",
        "Rename columns."
    ),
    op!(
        "project-away",
        "project-away Col, Prefix*, …",
        "Drop columns."
    ),
    op!(
        "project-keep",
        "project-keep Col, Prefix*, …",
        "Keep only these columns, in place."
    ),
    op!(
        "project-reorder",
        "project-reorder Col, …",
        "Move columns to the front."
    ),
    op!(
        "project-by-names",
        "project-by-names \"Col\", dynamic([\"Prefix*\", …]), …",
        "Keep the columns named by strings or arrays of names (wildcards allowed), in that order; names that match nothing are ignored."
    ),
    op!("extend", "extend Name = Expr, …", "Add computed columns."),
    op!(
        "summarize",
        "summarize Agg, … by Key, …",
        "Aggregate rows into groups."
    ),
    op!(
        "join",
        "join kind=… (Right) on Key",
        "Combine rows of two tables on matching keys."
    ),
    op!(
        "lookup",
        "lookup (Right) on Key",
        "Extend rows with columns of a dimension table (left outer)."
    ),
    op!(
        "distinct",
        "distinct Col, …",
        "One row per distinct combination."
    ),
    op!(
        "sort",
        "sort by Expr [asc|desc], …",
        "Order the rows (descending by default)."
    ),
    op!("order", "order by Expr [asc|desc], …", "Alias of sort."),
    op!(
        "top",
        "top N by Expr [asc|desc]",
        "The first N rows by an order."
    ),
    op!("take", "take N", "Any N rows."),
    op!("limit", "limit N", "Alias of take."),
    op!("count", "count", "The number of rows."),
    op!(
        "union",
        "union T1, (T2 | …)",
        "Rows of several tables together."
    ),
    op!(
        "search",
        "search \"term\" | search Predicate",
        "Rows where any column holds a term."
    ),
    op!(
        "find",
        "find [in (T, P*)] where Predicate [project Col, …, pack_all()]",
        "Rows of several tables where the predicate holds, with a source_ column and the other columns packed into pack_."
    ),
    op!(
        "render",
        "render timechart|barchart|…",
        "How to draw the result."
    ),
    op!(
        "mv-expand",
        "mv-expand Col",
        "One row per element of an array."
    ),
    op!(
        "parse",
        "parse Expr with * \"lit\" Col …",
        "Extract columns from text by a pattern."
    ),
    op!(
        "parse-kv",
        "parse-kv Expr as (Key: type, …) with (pair_delimiter=…, kv_delimiter=…)",
        "Extract the values of keys from key/value text."
    ),
    op!(
        "parse-where",
        "parse-where Expr with * \"lit\" Col …",
        "parse, keeping only the rows that match."
    ),
    op!(
        "getschema",
        "getschema",
        "The input's column names and types."
    ),
    op!(
        "print",
        "print Name = Expr, …",
        "A one-row table of scalar expressions."
    ),
    op!(
        "range",
        "range X from A to B step S",
        "A column of values from A to B."
    ),
    op!(
        "datatable",
        "datatable(Col: type, …) [values]",
        "An inline table."
    ),
    op!(
        "as",
        "as Name",
        "Name the input for later use in the query."
    ),
    op!("sample", "sample N", "N random rows.", not_yet),
    op!(
        "serialize",
        "serialize",
        "Mark the row order as fixed (for row functions)."
    ),
    op!(
        "make-series",
        "make-series Agg on Time from A to B step S by Key",
        "Aggregate into time series arrays."
    ),
    op!(
        "mv-apply",
        "mv-apply Col to typeof(T) on (SubQuery)",
        "Run a subquery over each row's array."
    ),
    op!(
        "scan",
        "scan [with_match_id = Id] [declare (Col: type = default)] with (step S: Condition => Col = Expr;)",
        "Match sequences of rows, step by step, with state carried between rows."
    ),
    op!(
        "partition",
        "partition by Col (operators)",
        "Run the operators on each group of rows that share a value."
    ),
    op!(
        "evaluate",
        "evaluate Plugin(…)",
        "Run a plugin: bag_unpack, pivot, narrow or ipv6_lookup."
    ),
    op!(
        "invoke",
        "invoke Function(args)",
        "Call a user function with the input as its first (tabular) argument."
    ),
];

/// The entry of a (lower-cased) operator name.
pub(crate) fn lookup(name: &str) -> Option<&'static OpDef> {
    OPERATORS.iter().find(|o| o.name == name)
}

/// Names of the operators Keyhole runs (for suggestions).
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().filter(|o| o.supported).map(|o| o.name)
}

impl Ctx<'_> {
    /// Apply one operator to a batch.
    pub fn operator(&mut self, b: Batch, op: &OpAt) -> Res<Batch> {
        match &op.op {
            Operator::Where(e) => where_::filter(self, b, e),
            Operator::Search(e) => where_::search(self, b, e),
            Operator::Project(assigns) => project::project(self, b, assigns),
            Operator::Extend(assigns) => extend::run(self, b, assigns),
            Operator::ProjectRename(pairs) => project::rename(self, b, pairs),
            Operator::ProjectAway(pats) => project::away(self, b, pats),
            Operator::ProjectKeep(pats) => project::keep(self, b, pats),
            Operator::ProjectReorder(pats) => project::reorder(self, b, pats),
            Operator::ProjectByNames(exprs) => project::by_names(self, b, exprs),
            Operator::Summarize { aggs, by } => summarize::run(self, b, aggs, by),
            Operator::Join { kind, right, on } => join::run(self, b, *kind, right, on),
            Operator::Distinct(exprs) => distinct::run(self, b, exprs),
            Operator::Sort(keys) => sort::sort(self, b, keys, None),
            Operator::Top { n, key } => sort::top(self, b, n, key),
            Operator::Take(n) => take::run(self, b, n),
            Operator::Count => Ok(count::run(b)),
            Operator::Union(u) => union::run(self, b, u),
            Operator::As(name) => {
                self.tabulars.insert(name.clone(), b.clone());
                Ok(b)
            }
            Operator::MvExpand(x) => mv_expand::run(self, b, x),
            Operator::MvApply(x, ops) => mv_apply::run(self, b, x, ops),
            Operator::MakeSeries(m) => make_series::run(self, b, m),
            Operator::Render(kind) => Ok(render::run(self, b, kind)),
            Operator::Scan(s) => scan::run(self, b, s),
            Operator::Partition(key, ops) => partition(self, b, key, ops),
            Operator::PartitionQuery(key, t) => partition_query(self, b, key, t),
            Operator::Evaluate {
                plugin,
                args,
                schema,
            } => evaluate::run(
                self,
                b,
                &evaluate::Plugin {
                    name: &plugin.0,
                    name_span: plugin.1,
                    args,
                    schema: schema.as_ref(),
                },
            ),
            Operator::Parse {
                expr,
                regex_kind,
                relaxed,
                flags,
                elems,
                filter,
            } => parse::run(
                self,
                b,
                expr,
                parse::Mode {
                    regex: *regex_kind,
                    relaxed: *relaxed,
                    flags,
                },
                elems,
                *filter,
            ),
            Operator::GetSchema => Ok(getschema::run(b)),
            Operator::ParseKv {
                expr,
                keys,
                options,
            } => parse_kv::run(self, b, expr, keys, options),
            Operator::Invoke { name, args } => self.invoke(b, &name.0, name.1, args),
        }
    }
}

/// `partition by Key (operators)`: the operators run on each key's rows (in the order the keys
/// first appear), and the results are put together.
/// `partition by Col { query }`: the query once for each distinct value of Col (first-seen
/// order), with Col bound to that value as a scalar (`toscalar(Col)` in the query).
fn partition_query(
    ctx: &mut Ctx,
    b: Batch,
    key: &crate::ast::Expr,
    t: &crate::ast::Tabular,
) -> Res<Batch> {
    let crate::ast::ExprKind::Name(name) = &key.kind else {
        return Err(crate::error::RawError::new(
            key.span,
            "expected a column name",
        ));
    };
    let (c, _) = ctx.compile(key, &b)?;
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<crate::value::Value> = ctx
        .eval_rows(&c, &b)
        .into_iter()
        .filter(|k| seen.insert(k.clone()))
        .collect();
    // No rows: the query runs once (on a null key) for the output's columns, and gives none.
    let empty = keys.is_empty();
    let keys = if empty {
        vec![crate::value::Value::Null]
    } else {
        keys
    };
    let saved = ctx.scalars.remove(name);
    let mut parts = Vec::with_capacity(keys.len());
    let mut result = Ok(());
    for k in keys {
        ctx.scalars.insert(name.clone(), k);
        match ctx.run_tabular(t) {
            Ok(part) => parts.push(part),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    ctx.scalars.remove(name);
    if let Some(v) = saved {
        ctx.scalars.insert(name.clone(), v);
    }
    result?;
    if empty {
        return Ok(parts.remove(0).gather(&[]));
    }
    Ok(crate::exec::union_batches(parts, &ctx.src))
}

fn partition(ctx: &mut Ctx, b: Batch, key: &crate::ast::Expr, ops: &[OpAt]) -> Res<Batch> {
    let (c, _) = ctx.compile(key, &b)?;
    let keys = ctx.eval_rows(&c, &b);
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut index: std::collections::HashMap<crate::value::Value, usize> = Default::default();
    for (r, k) in keys.into_iter().enumerate() {
        let g = *index.entry(k).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(r as u32);
    }
    if groups.is_empty() {
        // No rows: the operators still give the output's columns.
        groups.push(Vec::new());
    }
    let mut parts = Vec::with_capacity(groups.len());
    for rows in &groups {
        let mut part = b.gather(rows);
        for op in ops {
            let op = ctx.resolve_op(op)?;
            part = ctx.operator(part, &op)?;
        }
        parts.push(part);
    }
    Ok(crate::exec::union_batches(parts, &ctx.src))
}
