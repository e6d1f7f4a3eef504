//! Execution: tabular operators over column batches.
//!
//! Source tables are *lazy*: every column is a function of an event plus a shared row-index vector
//! into the event slice. Filters, sorts and joins move index vectors, not values; a column is
//! read (and only for the surviving rows) when an expression or the final result needs it. So a
//! query over 1 M events × 94 columns reads only the columns it references.

use crate::ast::*;
use crate::error::{did_you_mean, RawError, Res};
use crate::expr::{compile, eval, unknown_column, Row, Scope, CE};
use crate::table::{Column, Table};
use crate::tables::{self, SourceColumn};
use crate::value::{kql_cmp, sort_cmp, Type, Value};
use keyhole_core::{Event, Timestamp};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Largest result any operator may build (a join of attacker-controlled keys must not exhaust memory).
const MAX_ROWS: usize = 10_000_000;

#[derive(Clone)]
enum Data {
    Values(Arc<Vec<Value>>),
    Lazy {
        get: fn(&Event) -> Value,
        idx: Arc<Vec<u32>>,
    },
}

#[derive(Clone)]
struct Col {
    name: String,
    ty: Type,
    data: Data,
}

#[derive(Clone)]
pub(crate) struct Batch {
    cols: Vec<Col>,
    len: usize,
}

pub(crate) struct Ctx<'a> {
    pub events: &'a [Event],
    pub now: i64,
    pub scalars: HashMap<String, Value>,
    pub tabulars: HashMap<String, Batch>,
    pub render: Option<String>,
}

impl Col {
    #[inline]
    fn get(&self, row: usize, events: &[Event]) -> Value {
        match &self.data {
            Data::Values(v) => v[row].clone(),
            Data::Lazy { get, idx } => get(&events[idx[row] as usize]),
        }
    }
}

impl Batch {
    fn schema(&self) -> Vec<(String, Type)> {
        self.cols.iter().map(|c| (c.name.clone(), c.ty)).collect()
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| c.name == name)
    }

    /// Rows in `rows` order (indices into this batch). Lazy columns sharing an index vector keep
    /// sharing one.
    fn gather(&self, rows: &[u32]) -> Batch {
        let mut cache: Vec<(*const Vec<u32>, Arc<Vec<u32>>)> = Vec::new();
        let cols = self
            .cols
            .iter()
            .map(|c| {
                let data = match &c.data {
                    Data::Values(v) => Data::Values(Arc::new(
                        rows.iter().map(|&r| v[r as usize].clone()).collect(),
                    )),
                    Data::Lazy { get, idx } => {
                        let key = Arc::as_ptr(idx);
                        let new = match cache.iter().find(|(k, _)| *k == key) {
                            Some((_, a)) => a.clone(),
                            None => {
                                let a = Arc::new(
                                    rows.iter().map(|&r| idx[r as usize]).collect::<Vec<u32>>(),
                                );
                                cache.push((key, a.clone()));
                                a
                            }
                        };
                        Data::Lazy {
                            get: *get,
                            idx: new,
                        }
                    }
                };
                Col {
                    name: c.name.clone(),
                    ty: c.ty,
                    data,
                }
            })
            .collect();
        Batch {
            cols,
            len: rows.len(),
        }
    }

    /// Like `gather`, with `None` rows filled with each column's missing value (outer joins).
    fn gather_opt(&self, rows: &[Option<u32>], events: &[Event]) -> Batch {
        if rows.iter().all(|r| r.is_some()) {
            let r: Vec<u32> = rows.iter().map(|r| r.unwrap_or(0)).collect();
            return self.gather(&r);
        }
        let cols = self
            .cols
            .iter()
            .map(|c| {
                let miss = c.ty.missing();
                let v: Vec<Value> = rows
                    .iter()
                    .map(|r| match r {
                        Some(r) => c.get(*r as usize, events),
                        None => miss.clone(),
                    })
                    .collect();
                Col {
                    name: c.name.clone(),
                    ty: c.ty,
                    data: Data::Values(Arc::new(v)),
                }
            })
            .collect();
        Batch {
            cols,
            len: rows.len(),
        }
    }

    fn empty_like(&self) -> Batch {
        self.gather(&[])
    }
}

fn source_batch(cols: &'static [SourceColumn], n: usize) -> Batch {
    let idx = Arc::new((0..n as u32).collect::<Vec<u32>>());
    Batch {
        cols: cols
            .iter()
            .map(|c| Col {
                name: c.name.to_string(),
                ty: c.ty,
                data: Data::Lazy {
                    get: c.get,
                    idx: idx.clone(),
                },
            })
            .collect(),
        len: n,
    }
}

fn values_col(name: impl Into<String>, ty: Type, v: Vec<Value>) -> Col {
    Col {
        name: name.into(),
        ty,
        data: Data::Values(Arc::new(v)),
    }
}

impl<'a> Ctx<'a> {
    fn scope<'s>(&'s self, columns: &'s [(String, Type)]) -> Scope<'s> {
        Scope {
            columns,
            scalars: &self.scalars,
            now: self.now,
        }
    }

    /// Compile against a batch's schema.
    fn compile(&self, e: &Expr, batch: &Batch) -> Res<(CE, Type)> {
        let schema = batch.schema();
        compile(e, &self.scope(&schema))
    }

    fn eval_rows(&self, c: &CE, batch: &Batch) -> Vec<Value> {
        let events = self.events;
        let mut out = Vec::with_capacity(batch.len);
        for r in 0..batch.len {
            let get = |i: usize| batch.cols[i].get(r, events);
            out.push(eval(
                c,
                &Row {
                    get: &get,
                    now: self.now,
                },
            ));
        }
        out
    }

    pub fn run_tabular(&mut self, t: &Tabular) -> Res<Batch> {
        let mut b = self.source(&t.source)?;
        for op in &t.ops {
            b = self.operator(b, op)?;
        }
        Ok(b)
    }

    fn table_by_name(&mut self, name: &str, span: Span) -> Res<Batch> {
        if let Some(b) = self.tabulars.get(name) {
            return Ok(b.clone());
        }
        if let Some(cols) = tables::table(name) {
            return Ok(source_batch(cols, self.events.len()));
        }
        let mut msg = format!("unknown table '{name}'");
        let cands: Vec<&str> = tables::TABLE_NAMES
            .iter()
            .copied()
            .chain(self.tabulars.keys().map(|k| k.as_str()))
            .collect();
        if let Some(s) = did_you_mean(name, cands.iter().copied()) {
            msg.push_str(&format!("; did you mean '{s}'?"));
        } else if self.scalars.contains_key(name) {
            msg = format!("'{name}' is a scalar, not a table");
        } else {
            msg.push_str("; the tables are AzureDiagnostics and AZKVAuditLogs");
        }
        Err(RawError::expected(span, msg, tables::TABLE_NAMES))
    }

    fn source(&mut self, s: &Source) -> Res<Batch> {
        match s {
            Source::Table(name, span) => self.table_by_name(name, *span),
            Source::Implicit(_) => Ok(source_batch(tables::AZURE_DIAGNOSTICS, self.events.len())),
            Source::Nested(t) => self.run_tabular(t),
            Source::Search { tables: ts, pred } => {
                let list: Vec<(String, Span)> = if ts.is_empty() {
                    vec![("AzureDiagnostics".to_string(), pred.span)]
                } else {
                    ts.clone()
                };
                let mut parts = Vec::new();
                for (name, span) in &list {
                    let b = self.table_by_name(name, *span)?;
                    let mut b = self.search(b, pred)?;
                    b.cols.insert(
                        0,
                        values_col("$table", Type::String, vec![Value::str(name); b.len]),
                    );
                    parts.push(b);
                }
                Ok(union_batches(parts, self.events))
            }
            Source::Union(items) => {
                let mut parts = Vec::new();
                for t in items {
                    parts.push(self.run_tabular(t)?);
                }
                Ok(union_batches(parts, self.events))
            }
            Source::DataTable { columns, values } => {
                let n = columns.len().max(1);
                let rows = values.len() / n;
                let cols = columns
                    .iter()
                    .enumerate()
                    .map(|(i, (name, ty))| {
                        values_col(
                            name.clone(),
                            *ty,
                            (0..rows).map(|r| values[r * n + i].clone()).collect(),
                        )
                    })
                    .collect();
                Ok(Batch { cols, len: rows })
            }
            Source::Print(assigns) => {
                let one = Batch {
                    cols: Vec::new(),
                    len: 1,
                };
                let mut b = one;
                let mut k = 0;
                for a in assigns {
                    let (c, ty) = self.compile(&a.expr, &b)?;
                    let v = self.eval_rows(&c, &b);
                    let name = match &a.name {
                        Some((n, _)) => n.clone(),
                        None => {
                            let n = format!("print_{k}");
                            k += 1;
                            n
                        }
                    };
                    b.cols.push(values_col(name, ty, v));
                }
                Ok(b)
            }
            Source::Range {
                name,
                from,
                to,
                step,
            } => {
                let empty = Batch {
                    cols: Vec::new(),
                    len: 1,
                };
                let f = self
                    .eval_rows(&self.compile(from, &empty)?.0, &empty)
                    .remove(0);
                let t = self
                    .eval_rows(&self.compile(to, &empty)?.0, &empty)
                    .remove(0);
                let s = self
                    .eval_rows(&self.compile(step, &empty)?.0, &empty)
                    .remove(0);
                let mut out = Vec::new();
                let ty = f.type_of().unwrap_or(Type::Long);
                let mut cur = f;
                while kql_cmp(&cur, &t).is_some_and(|o| o != Ordering::Greater) {
                    if out.len() >= 1_000_000 {
                        return Err(RawError::new(
                            step.span,
                            "range produces more than 1,000,000 rows",
                        ));
                    }
                    out.push(cur.clone());
                    let next = crate::expr::eval(
                        &CE::Bin(
                            BinOp::Add,
                            Box::new(CE::Const(cur.clone())),
                            Box::new(CE::Const(s.clone())),
                        ),
                        &Row {
                            get: &|_| Value::Null,
                            now: self.now,
                        },
                    );
                    if kql_cmp(&next, &cur) != Some(Ordering::Greater) {
                        return Err(RawError::new(step.span, "range step must be positive"));
                    }
                    cur = next;
                }
                let n = out.len();
                Ok(Batch {
                    cols: vec![values_col(name.clone(), ty, out)],
                    len: n,
                })
            }
        }
    }

    fn search(&mut self, b: Batch, pred: &Expr) -> Res<Batch> {
        match &pred.kind {
            ExprKind::Star => Ok(b),
            ExprKind::Lit(Value::String(term)) => {
                let term = term.to_lowercase();
                let mut keep = Vec::new();
                for r in 0..b.len {
                    if b.cols.iter().any(|c| {
                        c.get(r, self.events)
                            .to_kql_string()
                            .to_lowercase()
                            .contains(&term)
                    }) {
                        keep.push(r as u32);
                    }
                }
                Ok(b.gather(&keep))
            }
            _ => self.filter(b, pred),
        }
    }

    fn filter(&mut self, b: Batch, pred: &Expr) -> Res<Batch> {
        let (c, _) = self.compile(pred, &b)?;
        let events = self.events;
        let mut keep = Vec::new();
        for r in 0..b.len {
            let get = |i: usize| b.cols[i].get(r, events);
            if eval(
                &c,
                &Row {
                    get: &get,
                    now: self.now,
                },
            )
            .is_true()
            {
                keep.push(r as u32);
            }
        }
        if keep.len() == b.len {
            return Ok(b);
        }
        Ok(b.gather(&keep))
    }

    fn col_or_err(&self, b: &Batch, name: &str, span: Span) -> Res<usize> {
        b.index_of(name).ok_or_else(|| {
            let schema = b.schema();
            unknown_column(name, span, &self.scope(&schema))
        })
    }

    fn operator(&mut self, b: Batch, op: &OpAt) -> Res<Batch> {
        match &op.op {
            Operator::Where(e) => self.filter(b, e),
            Operator::Search(e) => self.search(b, e),
            Operator::Project(assigns) => {
                let mut out: Vec<Col> = Vec::new();
                let mut k = 1;
                for a in assigns {
                    let col = self.assign_col(&b, a, &mut k)?;
                    if out.iter().any(|c| c.name == col.name) {
                        let span = a.name.as_ref().map(|n| n.1).unwrap_or(a.expr.span);
                        return Err(RawError::new(
                            span,
                            format!("column '{}' is projected more than once", col.name),
                        ));
                    }
                    out.push(col);
                }
                Ok(Batch {
                    cols: out,
                    len: b.len,
                })
            }
            Operator::Extend(assigns) => {
                let mut b = b;
                let mut k = 1;
                for a in assigns {
                    let col = self.assign_col(&b, a, &mut k)?;
                    match b.index_of(&col.name) {
                        Some(i) => b.cols[i] = col,
                        None => b.cols.push(col),
                    }
                }
                Ok(b)
            }
            Operator::ProjectRename(pairs) => {
                let mut b = b;
                for ((new, _), (old, ospan)) in pairs {
                    let i = self.col_or_err(&b, old, *ospan)?;
                    if let Some(j) = b.index_of(new) {
                        if j != i {
                            b.cols.remove(j);
                        }
                    }
                    let i = b.index_of(old).unwrap_or(i);
                    b.cols[i].name = new.clone();
                }
                Ok(b)
            }
            Operator::ProjectAway(pats)
            | Operator::ProjectKeep(pats)
            | Operator::ProjectReorder(pats) => {
                let mut matched: Vec<usize> = Vec::new();
                for (p, span) in pats {
                    let hits: Vec<usize> = (0..b.cols.len())
                        .filter(|&i| wildcard(p, &b.cols[i].name))
                        .collect();
                    if hits.is_empty() && !p.contains('*') {
                        return Err(self
                            .col_or_err(&b, p, *span)
                            .err()
                            .unwrap_or_else(|| RawError::new(*span, "unknown column")));
                    }
                    for h in hits {
                        if !matched.contains(&h) {
                            matched.push(h);
                        }
                    }
                }
                let mut b = b;
                let cols = std::mem::take(&mut b.cols);
                b.cols = match &op.op {
                    Operator::ProjectAway(_) => cols
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| !matched.contains(i))
                        .map(|(_, c)| c)
                        .collect(),
                    Operator::ProjectKeep(_) => cols
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| matched.contains(i))
                        .map(|(_, c)| c)
                        .collect(),
                    _ => {
                        let mut front: Vec<Col> =
                            matched.iter().map(|&i| cols[i].clone()).collect();
                        front.extend(
                            cols.into_iter()
                                .enumerate()
                                .filter(|(i, _)| !matched.contains(i))
                                .map(|(_, c)| c),
                        );
                        front
                    }
                };
                Ok(b)
            }
            Operator::Summarize { aggs, by } => self.summarize(b, aggs, by),
            Operator::Join { kind, right, on } => {
                let rb = self.run_tabular(right)?;
                self.join(b, rb, *kind, on)
            }
            Operator::Distinct(exprs) => {
                let b = if exprs.is_empty() {
                    b
                } else {
                    let assigns: Vec<Assign> = exprs
                        .iter()
                        .map(|e| Assign {
                            name: None,
                            expr: e.clone(),
                        })
                        .collect();
                    let mut cols = Vec::new();
                    for a in &assigns {
                        let name = match &a.expr.kind {
                            ExprKind::Name(n) => n.clone(),
                            _ => group_name(&a.expr)
                                .unwrap_or_else(|| format!("Column{}", cols.len() + 1)),
                        };
                        let mut k = 0;
                        let mut col = self.assign_col(&b, a, &mut k)?;
                        col.name = name;
                        cols.push(col);
                    }
                    Batch { cols, len: b.len }
                };
                let mut seen: HashSet<Vec<Value>> = HashSet::new();
                let mut keep = Vec::new();
                for r in 0..b.len {
                    let key: Vec<Value> = b.cols.iter().map(|c| c.get(r, self.events)).collect();
                    if seen.insert(key) {
                        keep.push(r as u32);
                    }
                }
                Ok(b.gather(&keep))
            }
            Operator::Sort(keys) => self.sort(b, keys, None),
            Operator::Top { n, key } => {
                let n = self.const_count(n, &b)?;
                self.sort(b, std::slice::from_ref(key), Some(n))
            }
            Operator::Take(n) => {
                let n = self.const_count(n, &b)?;
                if n >= b.len {
                    return Ok(b);
                }
                let rows: Vec<u32> = (0..n as u32).collect();
                Ok(b.gather(&rows))
            }
            Operator::Count => Ok(Batch {
                cols: vec![values_col(
                    "Count",
                    Type::Long,
                    vec![Value::Long(b.len as i64)],
                )],
                len: 1,
            }),
            Operator::Union(items) => {
                let mut parts = vec![b];
                for t in items {
                    parts.push(self.run_tabular(t)?);
                }
                Ok(union_batches(parts, self.events))
            }
            Operator::MvExpand(assigns) => self.mv_expand(b, assigns),
            Operator::Render(kind) => {
                self.render = Some(kind.clone());
                Ok(b)
            }
            Operator::Parse {
                expr,
                regex_kind,
                elems,
                filter,
            } => self.parse_op(b, expr, *regex_kind, elems, *filter),
            Operator::GetSchema => {
                let n = b.cols.len();
                Ok(Batch {
                    cols: vec![
                        values_col(
                            "ColumnName",
                            Type::String,
                            b.cols.iter().map(|c| Value::str(&c.name)).collect(),
                        ),
                        values_col(
                            "ColumnOrdinal",
                            Type::Int,
                            (0..n).map(|i| Value::Long(i as i64)).collect(),
                        ),
                        values_col(
                            "DataType",
                            Type::String,
                            b.cols
                                .iter()
                                .map(|c| Value::str(dotnet_type(c.ty)))
                                .collect(),
                        ),
                        values_col(
                            "ColumnType",
                            Type::String,
                            b.cols.iter().map(|c| Value::str(c.ty.name())).collect(),
                        ),
                    ],
                    len: n,
                })
            }
        }
    }

    fn parse_op(
        &self,
        b: Batch,
        expr: &Expr,
        regex_kind: bool,
        elems: &[ParseElem],
        filter: bool,
    ) -> Res<Batch> {
        let (c, _) = self.compile(expr, &b)?;
        let mut pat = String::from("^");
        let mut cols: Vec<(String, Type)> = Vec::new();
        for (i, e) in elems.iter().enumerate() {
            let last = i + 1 == elems.len();
            match e {
                ParseElem::Star => pat.push_str(if last { ".*" } else { ".*?" }),
                ParseElem::Lit(l) => pat.push_str(&if regex_kind {
                    l.clone()
                } else {
                    regex::escape(l)
                }),
                ParseElem::Col(n, t) => {
                    pat.push_str(if last { "(.*)" } else { "(.*?)" });
                    cols.push((n.clone(), *t));
                }
            }
        }
        pat.push('$');
        let re = regex::RegexBuilder::new(&pat)
            .size_limit(1 << 20)
            .dot_matches_new_line(true)
            .build()
            .map_err(|e| {
                RawError::new(
                    expr.span,
                    format!(
                        "invalid parse pattern: {}",
                        e.to_string().lines().last().unwrap_or("")
                    ),
                )
            })?;
        let texts = self.eval_rows(&c, &b);
        let mut out: Vec<Vec<Value>> = vec![Vec::with_capacity(b.len); cols.len()];
        let mut keep = Vec::new();
        for (r, t) in texts.iter().enumerate() {
            let s = t.to_kql_string();
            match re.captures(&s) {
                Some(caps) => {
                    keep.push(r as u32);
                    for (k, (_, ty)) in cols.iter().enumerate() {
                        let m = caps.get(k + 1).map(|m| m.as_str()).unwrap_or("");
                        out[k].push(convert_text(m, *ty));
                    }
                }
                None => {
                    for (k, (_, ty)) in cols.iter().enumerate() {
                        out[k].push(ty.missing());
                    }
                }
            }
        }
        let mut b = b;
        for ((name, ty), vals) in cols.into_iter().zip(out) {
            let col = values_col(name.clone(), ty, vals);
            match b.index_of(&name) {
                Some(i) => b.cols[i] = col,
                None => b.cols.push(col),
            }
        }
        if filter && keep.len() != b.len {
            return Ok(b.gather(&keep));
        }
        Ok(b)
    }

    fn const_count(&self, e: &Expr, b: &Batch) -> Res<usize> {
        let (c, _) = self.compile(e, &b.empty_like())?;
        match c {
            CE::Const(v) => match v.as_i64() {
                Some(n) if n >= 0 => Ok(n as usize),
                _ => Err(RawError::new(
                    e.span,
                    "expected a non-negative whole number",
                )),
            },
            _ => Err(RawError::new(e.span, "expected a constant number")),
        }
    }

    /// One output column of `project` / `extend`: plain column references stay lazy.
    fn assign_col(&self, b: &Batch, a: &Assign, k: &mut usize) -> Res<Col> {
        if let ExprKind::Name(n) = &a.expr.kind {
            if let Some(i) = b.index_of(n) {
                let mut c = b.cols[i].clone();
                if let Some((name, _)) = &a.name {
                    c.name = name.clone();
                }
                return Ok(c);
            }
        }
        let (c, ty) = self.compile(&a.expr, b)?;
        let name = match (&a.name, member_name(&a.expr)) {
            (Some((n, _)), _) => n.clone(),
            (None, Some(n)) => n,
            (None, None) => {
                let n = format!("Column{k}");
                *k += 1;
                n
            }
        };
        if let CE::Const(v) = &c {
            return Ok(values_col(name, ty, vec![v.clone(); b.len]));
        }
        Ok(values_col(name, ty, self.eval_rows(&c, b)))
    }

    fn sort(&self, b: Batch, keys: &[SortKey], limit: Option<usize>) -> Res<Batch> {
        let mut compiled = Vec::new();
        for k in keys {
            compiled.push(self.compile(&k.expr, &b)?.0);
        }
        let cols: Vec<Vec<Value>> = compiled.iter().map(|c| self.eval_rows(c, &b)).collect();
        let mut rows: Vec<u32> = (0..b.len as u32).collect();
        let cmp = |x: &u32, y: &u32| {
            for (ki, k) in keys.iter().enumerate() {
                let (a, bb) = (&cols[ki][*x as usize], &cols[ki][*y as usize]);
                let o = match (a.is_null(), bb.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => {
                        if k.nulls_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (false, true) => {
                        if k.nulls_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    _ => {
                        let o = sort_cmp(a, bb);
                        if k.desc {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        };
        rows.sort_by(cmp);
        if let Some(n) = limit {
            rows.truncate(n);
        }
        Ok(b.gather(&rows))
    }

    fn mv_expand(&self, b: Batch, assigns: &[Assign]) -> Res<Batch> {
        let mut b = b;
        let mut targets = Vec::new();
        for a in assigns {
            let mut k = 1;
            let col = self.assign_col(&b, a, &mut k)?;
            let name = match (&a.name, &a.expr.kind) {
                (Some((n, _)), _) => n.clone(),
                (None, ExprKind::Name(n)) => n.clone(),
                _ => col.name.clone(),
            };
            let i = match b.index_of(&name) {
                Some(i) => {
                    b.cols[i] = Col {
                        name: name.clone(),
                        ..col
                    };
                    i
                }
                None => {
                    b.cols.push(Col {
                        name: name.clone(),
                        ..col
                    });
                    b.cols.len() - 1
                }
            };
            targets.push(i);
        }
        let mut rows: Vec<u32> = Vec::new();
        let mut new_vals: Vec<Vec<Value>> = vec![Vec::new(); targets.len()];
        for r in 0..b.len {
            let vals: Vec<Value> = targets
                .iter()
                .map(|&i| b.cols[i].get(r, self.events))
                .collect();
            let arrays: Vec<Option<Vec<serde_json::Value>>> = vals
                .iter()
                .map(|v| match v {
                    Value::Dynamic(d) => match &**d {
                        serde_json::Value::Array(a) => Some(a.clone()),
                        serde_json::Value::Object(m) => Some(
                            m.iter()
                                .map(|(k, v)| serde_json::json!({ k.clone(): v.clone() }))
                                .collect(),
                        ),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let n = arrays
                .iter()
                .map(|a| a.as_ref().map(|x| x.len()).unwrap_or(1))
                .max()
                .unwrap_or(1);
            for j in 0..n {
                if rows.len() >= MAX_ROWS {
                    return Err(RawError::new(
                        assigns[0].expr.span,
                        "mv-expand result is too large",
                    ));
                }
                rows.push(r as u32);
                for (t, a) in arrays.iter().enumerate() {
                    new_vals[t].push(match a {
                        Some(a) => a
                            .get(j)
                            .map(|x| Value::dynamic(x.clone()))
                            .unwrap_or(Value::Null),
                        None => vals[t].clone(),
                    });
                }
            }
        }
        let mut out = b.gather(&rows);
        for (t, &i) in targets.iter().enumerate() {
            out.cols[i] = values_col(
                out.cols[i].name.clone(),
                Type::Dynamic,
                std::mem::take(&mut new_vals[t]),
            );
        }
        Ok(out)
    }

    fn summarize(&self, b: Batch, aggs: &[Assign], by: &[Assign]) -> Res<Batch> {
        let schema = b.schema();
        let scope = self.scope(&schema);
        // Group keys.
        let mut keys = Vec::new();
        let mut out_names: Vec<String> = Vec::new();
        let mut out_types: Vec<Type> = Vec::new();
        for (i, g) in by.iter().enumerate() {
            let (c, ty) = compile(&g.expr, &scope)?;
            let name = match &g.name {
                Some((n, _)) => n.clone(),
                None => group_name(&g.expr).unwrap_or_else(|| format!("Column{}", i + 1)),
            };
            keys.push(c);
            push_unique(&mut out_names, name);
            out_types.push(ty);
        }
        let by_names: Vec<String> = out_names.clone();
        // Aggregations.
        let mut specs = Vec::new();
        for a in aggs {
            specs.push(compile_agg(a, &scope, &by_names)?);
        }
        // Grouping.
        let events = self.events;
        let mut groups: HashMap<Vec<Value>, usize> = HashMap::new();
        let mut group_keys: Vec<Vec<Value>> = Vec::new();
        let mut states: Vec<Vec<AggState>> = Vec::new();
        let mut key: Vec<Value> = Vec::with_capacity(keys.len());
        for r in 0..b.len {
            let get = |i: usize| b.cols[i].get(r, events);
            let row = Row {
                get: &get,
                now: self.now,
            };
            key.clear();
            key.extend(keys.iter().map(|k| eval(k, &row)));
            let g = match groups.get(&key) {
                Some(&g) => g,
                None => {
                    let g = group_keys.len();
                    groups.insert(key.clone(), g);
                    group_keys.push(key.clone());
                    states.push(specs.iter().map(|s| s.init()).collect());
                    g
                }
            };
            for (s, st) in specs.iter().zip(states[g].iter_mut()) {
                s.update(st, &row, r as u32);
            }
        }
        if by.is_empty() && group_keys.is_empty() {
            group_keys.push(Vec::new());
            states.push(specs.iter().map(|s| s.init()).collect());
        }
        // Output columns.
        let ng = group_keys.len();
        let mut cols: Vec<Col> = Vec::new();
        for (i, name) in by_names.iter().enumerate() {
            cols.push(values_col(
                name.clone(),
                out_types[i],
                group_keys.iter().map(|k| k[i].clone()).collect(),
            ));
        }
        let mut names: Vec<String> = by_names.clone();
        for (si, s) in specs.iter().enumerate() {
            match &s.kind {
                AggKind::ArgMax(_) | AggKind::ArgMin(_) => {
                    let outs = s.arg_outputs(&b, &by_names);
                    let rows: Vec<Option<u32>> = states.iter().map(|st| st[si].arg_row()).collect();
                    for (name, src) in outs {
                        let name = push_unique(&mut names, name);
                        let v: Vec<Value> = match &src {
                            ArgSrc::Expr(c, _) => rows
                                .iter()
                                .map(|r| match r {
                                    Some(r) => {
                                        let get = |i: usize| b.cols[i].get(*r as usize, events);
                                        eval(
                                            c,
                                            &Row {
                                                get: &get,
                                                now: self.now,
                                            },
                                        )
                                    }
                                    None => Value::Null,
                                })
                                .collect(),
                            ArgSrc::Col(ci) => rows
                                .iter()
                                .map(|r| {
                                    r.map(|r| b.cols[*ci].get(r as usize, events))
                                        .unwrap_or_else(|| b.cols[*ci].ty.missing())
                                })
                                .collect(),
                        };
                        let ty = match &src {
                            ArgSrc::Expr(_, t) => *t,
                            ArgSrc::Col(ci) => b.cols[*ci].ty,
                        };
                        cols.push(values_col(name, ty, v));
                    }
                }
                _ => {
                    let name = push_unique(&mut names, s.name.clone());
                    let v: Vec<Value> = states.iter().map(|st| st[si].finish(s)).collect();
                    cols.push(values_col(name, s.ty, v));
                }
            }
        }
        Ok(Batch { cols, len: ng })
    }

    fn join(&self, l: Batch, r: Batch, kind: JoinKind, on: &[(Expr, Expr)]) -> Res<Batch> {
        let lschema = l.schema();
        let rschema = r.schema();
        let mut lk = Vec::new();
        let mut rk = Vec::new();
        for (a, bexpr) in on {
            let side = |e: &Expr, left: bool| -> Res<CE> {
                let (schema, b) = if left { (&lschema, &l) } else { (&rschema, &r) };
                let e2 = match &e.kind {
                    ExprKind::Side(_, n) => Expr {
                        kind: ExprKind::Name(n.clone()),
                        span: e.span,
                    },
                    _ => e.clone(),
                };
                if let ExprKind::Name(n) = &e2.kind {
                    if b.index_of(n).is_none() {
                        let mut err = unknown_column(n, e.span, &self.scope(schema));
                        err.message = format!(
                            "{} on the {} side of the join",
                            err.message.split(';').next().unwrap_or(""),
                            if left { "left" } else { "right" }
                        ) + &err
                            .message
                            .split_once(';')
                            .map(|(_, s)| format!(";{s}"))
                            .unwrap_or_default();
                        return Err(err);
                    }
                }
                Ok(compile(&e2, &self.scope(schema))?.0)
            };
            // `$right.X == $left.Y` is allowed too.
            let (le, re) = match (&a.kind, &bexpr.kind) {
                (ExprKind::Side(false, _), ExprKind::Side(true, _)) => (bexpr, a),
                _ => (a, bexpr),
            };
            lk.push(side(le, true)?);
            rk.push(side(re, false)?);
        }
        let events = self.events;
        let now = self.now;
        let key_of = |b: &Batch, ks: &[CE], row: usize| -> Option<Vec<Value>> {
            let get = |i: usize| b.cols[i].get(row, events);
            let rr = Row { get: &get, now };
            let mut k = Vec::with_capacity(ks.len());
            for c in ks {
                let v = eval(c, &rr).undyn();
                if v.is_null() {
                    return None;
                }
                k.push(match v {
                    Value::Long(x) => Value::Real(x as f64),
                    other => other,
                });
            }
            Some(k)
        };
        let mut rmap: HashMap<Vec<Value>, Vec<u32>> = HashMap::new();
        for row in 0..r.len {
            if let Some(k) = key_of(&r, &rk, row) {
                rmap.entry(k).or_default().push(row as u32);
            }
        }
        let lkeys: Vec<Option<Vec<Value>>> = (0..l.len).map(|row| key_of(&l, &lk, row)).collect();
        match kind {
            JoinKind::LeftAnti | JoinKind::LeftSemi => {
                let want = kind == JoinKind::LeftSemi;
                let rows: Vec<u32> = (0..l.len)
                    .filter(|&i| lkeys[i].as_ref().is_some_and(|k| rmap.contains_key(k)) == want)
                    .map(|i| i as u32)
                    .collect();
                Ok(l.gather(&rows))
            }
            JoinKind::RightAnti | JoinKind::RightSemi => {
                let lset: HashSet<&Vec<Value>> = lkeys.iter().flatten().collect();
                let want = kind == JoinKind::RightSemi;
                let rows: Vec<u32> = (0..r.len)
                    .filter(|&i| key_of(&r, &rk, i).is_some_and(|k| lset.contains(&k)) == want)
                    .map(|i| i as u32)
                    .collect();
                Ok(r.gather(&rows))
            }
            _ => {
                let mut lrows: Vec<Option<u32>> = Vec::new();
                let mut rrows: Vec<Option<u32>> = Vec::new();
                let mut rmatched = vec![false; r.len];
                let mut seen_left: HashSet<&Vec<Value>> = HashSet::new();
                for (i, k) in lkeys.iter().enumerate() {
                    if kind == JoinKind::InnerUnique {
                        match k {
                            Some(k) if !seen_left.insert(k) => continue,
                            _ => {}
                        }
                    }
                    let matches = k.as_ref().and_then(|k| rmap.get(k));
                    match matches {
                        Some(ms) => {
                            for &m in ms {
                                lrows.push(Some(i as u32));
                                rrows.push(Some(m));
                                rmatched[m as usize] = true;
                            }
                            if lrows.len() > MAX_ROWS {
                                return Err(RawError::new(on.first().map(|o| o.0.span).unwrap_or((0, 0)), format!("join result exceeds {MAX_ROWS} rows; add filters or join on more keys")));
                            }
                        }
                        None => {
                            if matches!(kind, JoinKind::LeftOuter | JoinKind::FullOuter) {
                                lrows.push(Some(i as u32));
                                rrows.push(None);
                            }
                        }
                    }
                }
                if matches!(kind, JoinKind::RightOuter | JoinKind::FullOuter) {
                    for (m, hit) in rmatched.iter().enumerate() {
                        if !hit {
                            lrows.push(None);
                            rrows.push(Some(m as u32));
                        }
                    }
                }
                let lb = l.gather_opt(&lrows, events);
                let rb = r.gather_opt(&rrows, events);
                let mut cols = lb.cols;
                let mut names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
                for mut c in rb.cols {
                    c.name = push_unique(&mut names, c.name.clone());
                    cols.push(c);
                }
                Ok(Batch {
                    cols,
                    len: lrows.len(),
                })
            }
        }
    }

    pub fn to_table(&self, b: Batch, limit: usize) -> Table {
        let columns = b
            .cols
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                ty: c.ty,
            })
            .collect();
        let n = b.len.min(limit);
        let mut rows = Vec::with_capacity(n);
        for r in 0..n {
            rows.push(b.cols.iter().map(|c| c.get(r, self.events)).collect());
        }
        Table {
            columns,
            rows,
            render: self.render.clone(),
        }
    }
}

impl Ctx<'_> {
    /// Replace tabular arguments by their values: `toscalar(T)` by its first cell, any other
    /// `(T | …)` argument by a dynamic array of its first column.
    fn resolve_expr(&mut self, e: &Expr) -> Res<Expr> {
        let kind = match &e.kind {
            ExprKind::Subquery(t) => {
                let b = self.run_tabular(t)?;
                let vals: Vec<serde_json::Value> = match b.cols.first() {
                    Some(c) => (0..b.len)
                        .map(|r| c.get(r, self.events).to_json())
                        .collect(),
                    None => Vec::new(),
                };
                ExprKind::Lit(Value::dynamic(serde_json::Value::Array(vals)))
            }
            ExprKind::Call(name, args) if name == "toscalar" => {
                if args.len() != 1 {
                    return Err(RawError::new(e.span, "toscalar() expects one argument"));
                }
                match &args[0].kind {
                    ExprKind::Subquery(t) => {
                        let b = self.run_tabular(t)?;
                        let v = match b.cols.first() {
                            Some(c) if b.len > 0 => c.get(0, self.events),
                            _ => Value::Null,
                        };
                        ExprKind::Lit(v)
                    }
                    _ => return self.resolve_expr(&args[0]),
                }
            }
            ExprKind::Call(name, args) => ExprKind::Call(name.clone(), self.resolve_list(args)?),
            ExprKind::Neg(x) => ExprKind::Neg(Box::new(self.resolve_expr(x)?)),
            ExprKind::Binary(op, l, r) => ExprKind::Binary(
                *op,
                Box::new(self.resolve_expr(l)?),
                Box::new(self.resolve_expr(r)?),
            ),
            ExprKind::In {
                expr,
                list,
                negated,
                ci,
            } => ExprKind::In {
                expr: Box::new(self.resolve_expr(expr)?),
                list: self.resolve_list(list)?,
                negated: *negated,
                ci: *ci,
            },
            ExprKind::HasAny { expr, list, all } => ExprKind::HasAny {
                expr: Box::new(self.resolve_expr(expr)?),
                list: self.resolve_list(list)?,
                all: *all,
            },
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => ExprKind::Between {
                expr: Box::new(self.resolve_expr(expr)?),
                lo: Box::new(self.resolve_expr(lo)?),
                hi: Box::new(self.resolve_expr(hi)?),
                negated: *negated,
            },
            ExprKind::Member(x, n) => ExprKind::Member(Box::new(self.resolve_expr(x)?), n.clone()),
            ExprKind::Index(x, i) => ExprKind::Index(
                Box::new(self.resolve_expr(x)?),
                Box::new(self.resolve_expr(i)?),
            ),
            other => other.clone(),
        };
        Ok(Expr { kind, span: e.span })
    }

    fn resolve_list(&mut self, v: &[Expr]) -> Res<Vec<Expr>> {
        v.iter().map(|e| self.resolve_expr(e)).collect()
    }

    fn resolve_assigns(&mut self, v: &[Assign]) -> Res<Vec<Assign>> {
        v.iter()
            .map(|a| {
                Ok(Assign {
                    name: a.name.clone(),
                    expr: self.resolve_expr(&a.expr)?,
                })
            })
            .collect()
    }

    fn resolve_key(&mut self, k: &SortKey) -> Res<SortKey> {
        Ok(SortKey {
            expr: self.resolve_expr(&k.expr)?,
            desc: k.desc,
            nulls_first: k.nulls_first,
        })
    }

    pub(crate) fn resolve_tabular(&mut self, t: &Tabular) -> Res<Tabular> {
        let source = match &t.source {
            Source::Nested(n) => Source::Nested(Box::new(self.resolve_tabular(n)?)),
            Source::Search { tables, pred } => Source::Search {
                tables: tables.clone(),
                pred: self.resolve_expr(pred)?,
            },
            Source::Union(items) => Source::Union(
                items
                    .iter()
                    .map(|i| self.resolve_tabular(i))
                    .collect::<Res<_>>()?,
            ),
            Source::Print(a) => Source::Print(self.resolve_assigns(a)?),
            Source::Range {
                name,
                from,
                to,
                step,
            } => Source::Range {
                name: name.clone(),
                from: self.resolve_expr(from)?,
                to: self.resolve_expr(to)?,
                step: self.resolve_expr(step)?,
            },
            other => other.clone(),
        };
        let mut ops = Vec::with_capacity(t.ops.len());
        for o in &t.ops {
            let op = match &o.op {
                Operator::Where(e) => Operator::Where(self.resolve_expr(e)?),
                Operator::Search(e) => Operator::Search(self.resolve_expr(e)?),
                Operator::Project(a) => Operator::Project(self.resolve_assigns(a)?),
                Operator::Extend(a) => Operator::Extend(self.resolve_assigns(a)?),
                Operator::MvExpand(a) => Operator::MvExpand(self.resolve_assigns(a)?),
                Operator::Summarize { aggs, by } => Operator::Summarize {
                    aggs: self.resolve_assigns(aggs)?,
                    by: self.resolve_assigns(by)?,
                },
                Operator::Join { kind, right, on } => Operator::Join {
                    kind: *kind,
                    right: Box::new(self.resolve_tabular(right)?),
                    on: on.clone(),
                },
                Operator::Distinct(v) => Operator::Distinct(self.resolve_list(v)?),
                Operator::Sort(keys) => Operator::Sort(
                    keys.iter()
                        .map(|k| self.resolve_key(k))
                        .collect::<Res<_>>()?,
                ),
                Operator::Top { n, key } => Operator::Top {
                    n: self.resolve_expr(n)?,
                    key: self.resolve_key(key)?,
                },
                Operator::Take(n) => Operator::Take(self.resolve_expr(n)?),
                Operator::Union(items) => Operator::Union(
                    items
                        .iter()
                        .map(|i| self.resolve_tabular(i))
                        .collect::<Res<_>>()?,
                ),
                other => other.clone(),
            };
            ops.push(OpAt { op, span: o.span });
        }
        Ok(Tabular { source, ops })
    }
}

/// Kusto names `Identity.claim.upn` (and `Identity['claim']['upn']`) `Identity_claim_upn`.
fn member_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Member(x, n) => Some(format!("{}_{n}", member_name(x)?)),
        ExprKind::Index(x, i) => match &i.kind {
            ExprKind::Lit(Value::String(k)) => Some(format!("{}_{k}", member_name(x)?)),
            _ => None,
        },
        ExprKind::Name(n) => Some(n.clone()),
        _ => None,
    }
}

/// Text extracted by `parse`, converted to the declared column type.
fn convert_text(s: &str, ty: Type) -> Value {
    match ty {
        Type::String | Type::Guid => Value::str(s),
        Type::Long | Type::Int => s
            .trim()
            .parse::<i64>()
            .map(Value::Long)
            .unwrap_or(Value::Null),
        Type::Real => s
            .trim()
            .parse::<f64>()
            .map(Value::Real)
            .unwrap_or(Value::Null),
        Type::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::Null,
        },
        Type::DateTime => Timestamp::parse_any(s, 0)
            .map(Value::DateTime)
            .unwrap_or(Value::Null),
        Type::TimeSpan => Value::Null,
        Type::Dynamic => serde_json::from_str(s)
            .map(Value::dynamic)
            .unwrap_or(Value::Null),
    }
}

fn dotnet_type(t: Type) -> &'static str {
    match t {
        Type::Bool => "System.SByte",
        Type::Int => "System.Int32",
        Type::Long => "System.Int64",
        Type::Real => "System.Double",
        Type::String => "System.String",
        Type::DateTime => "System.DateTime",
        Type::TimeSpan => "System.TimeSpan",
        Type::Dynamic => "System.Object",
        Type::Guid => "System.Guid",
    }
}

fn wildcard(pat: &str, name: &str) -> bool {
    if !pat.contains('*') {
        return pat == name;
    }
    let parts: Vec<&str> = pat.split('*').collect();
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(pos) => rest = &rest[pos + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// A name not yet in `names` (Kusto's `X`, `X1`, `X2`, …), recorded.
fn push_unique(names: &mut Vec<String>, name: String) -> String {
    let mut n = name.clone();
    let mut k = 1;
    while names.contains(&n) {
        n = format!("{name}{k}");
        k += 1;
    }
    names.push(n.clone());
    n
}

/// The column a group-by expression is named after: `bin(TimeGenerated, 1h)` → `TimeGenerated`.
fn group_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Call(_, args) => args.first().and_then(group_name),
        ExprKind::Member(x, _) | ExprKind::Index(x, _) => group_name(x),
        _ => None,
    }
}

fn union_batches(parts: Vec<Batch>, events: &[Event]) -> Batch {
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or(Batch {
            cols: Vec::new(),
            len: 0,
        });
    }
    let mut names: Vec<(String, Type)> = Vec::new();
    for p in &parts {
        for c in &p.cols {
            if !names.iter().any(|(n, _)| *n == c.name) {
                names.push((c.name.clone(), c.ty));
            }
        }
    }
    let len: usize = parts.iter().map(|p| p.len).sum();
    let cols = names
        .iter()
        .map(|(name, ty)| {
            let mut v = Vec::with_capacity(len);
            for p in &parts {
                match p.index_of(name) {
                    Some(i) => {
                        for r in 0..p.len {
                            v.push(p.cols[i].get(r, events));
                        }
                    }
                    None => v.extend(std::iter::repeat_n(ty.missing(), p.len)),
                }
            }
            values_col(name.clone(), *ty, v)
        })
        .collect();
    Batch { cols, len }
}

// ---- aggregations ----

#[derive(Clone, Debug)]
enum AggKind {
    Count,
    CountIf(CE),
    DCount(CE),
    DCountIf(CE, CE),
    Sum(CE),
    SumIf(CE, CE),
    Min(CE),
    Max(CE),
    Avg(CE),
    AvgIf(CE, CE),
    ArgMax(ArgSpec),
    ArgMin(ArgSpec),
    MakeSet(CE, Option<CE>, usize),
    MakeList(CE, Option<CE>, usize),
    TakeAny(CE),
    Percentile(CE, f64),
    Stdev(CE, bool),
}

#[derive(Clone, Debug)]
struct ArgSpec {
    by: CE,
    by_name: String,
    by_ty: Type,
    /// `None` = `*`.
    outs: Option<Vec<(String, CE, Type)>>,
}

enum ArgSrc {
    Expr(CE, Type),
    Col(usize),
}

struct AggSpec {
    kind: AggKind,
    name: String,
    ty: Type,
}

enum AggState {
    Count(i64),
    Distinct(HashSet<Value>),
    Sum {
        long: i64,
        real: f64,
        any_real: bool,
        n: u64,
    },
    Best(Option<Value>),
    Arg {
        best: Option<Value>,
        row: Option<u32>,
        first: Option<u32>,
    },
    Set(HashSet<Value>, Vec<Value>),
    List(Vec<Value>),
    Values(Vec<f64>),
}

fn arg_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        _ => None,
    }
}

fn compile_agg(a: &Assign, scope: &Scope, by_names: &[String]) -> Res<AggSpec> {
    let (fname, args) = match &a.expr.kind {
        ExprKind::Call(f, args) => (f.as_str(), args),
        _ => {
            return Err(RawError::expected(
                a.expr.span,
                "expected an aggregation function such as count(), dcount(x), sum(x)",
                &[
                    "count()",
                    "dcount()",
                    "sum()",
                    "min()",
                    "max()",
                    "avg()",
                    "arg_max()",
                    "make_set()",
                ],
            ));
        }
    };
    let span = a.expr.span;
    let nargs = |min: usize, max: usize| -> Res<()> {
        if args.len() < min || args.len() > max {
            Err(RawError::new(
                span,
                format!(
                    "aggregation '{fname}' expects {} argument(s), got {}",
                    if min == max {
                        min.to_string()
                    } else {
                        format!("{min} to {max}")
                    },
                    args.len()
                ),
            ))
        } else {
            Ok(())
        }
    };
    let c = |i: usize| -> Res<(CE, Type)> { compile(&args[i], scope) };
    let first_name = args.first().and_then(arg_name);
    let named = |prefix: &str| match &first_name {
        Some(n) => format!("{prefix}_{n}"),
        None => format!("{prefix}_"),
    };
    let (kind, name, ty) = match fname {
        "count" => {
            nargs(0, 1)?;
            if let Some(e) = args.first() {
                if !matches!(e.kind, ExprKind::Star) {
                    let (ce, _) = c(0)?;
                    (
                        AggKind::CountIf(CE::Call(crate::expr::Func::IsNotNull, vec![ce])),
                        "count_".to_string(),
                        Type::Long,
                    )
                } else {
                    (AggKind::Count, "count_".to_string(), Type::Long)
                }
            } else {
                (AggKind::Count, "count_".to_string(), Type::Long)
            }
        }
        "countif" => {
            nargs(1, 1)?;
            (
                AggKind::CountIf(c(0)?.0),
                "countif_".to_string(),
                Type::Long,
            )
        }
        "dcount" => {
            nargs(1, 2)?;
            (AggKind::DCount(c(0)?.0), named("dcount"), Type::Long)
        }
        "dcountif" => {
            nargs(2, 3)?;
            (
                AggKind::DCountIf(c(0)?.0, c(1)?.0),
                named("dcountif"),
                Type::Long,
            )
        }
        "sum" => {
            nargs(1, 1)?;
            let (ce, t) = c(0)?;
            (
                AggKind::Sum(ce),
                named("sum"),
                if t == Type::Real {
                    Type::Real
                } else if t == Type::TimeSpan {
                    Type::TimeSpan
                } else {
                    Type::Long
                },
            )
        }
        "sumif" => {
            nargs(2, 2)?;
            let (ce, t) = c(0)?;
            (
                AggKind::SumIf(ce, c(1)?.0),
                named("sumif"),
                if t == Type::Real {
                    Type::Real
                } else {
                    Type::Long
                },
            )
        }
        "min" | "max" => {
            nargs(1, 1)?;
            let (ce, t) = c(0)?;
            (
                if fname == "min" {
                    AggKind::Min(ce)
                } else {
                    AggKind::Max(ce)
                },
                named(fname),
                t,
            )
        }
        "avg" => {
            nargs(1, 1)?;
            (AggKind::Avg(c(0)?.0), named("avg"), Type::Real)
        }
        "avgif" => {
            nargs(2, 2)?;
            (AggKind::AvgIf(c(0)?.0, c(1)?.0), named("avgif"), Type::Real)
        }
        "arg_max" | "arg_min" => {
            if args.is_empty() {
                return Err(RawError::new(span, format!("aggregation '{fname}' expects an expression to maximise and the columns to return")));
            }
            let (by, by_ty) = c(0)?;
            let by_name = first_name
                .clone()
                .unwrap_or_else(|| format!("{}_", if fname == "arg_max" { "max" } else { "min" }));
            let outs = if args.len() == 1 {
                Some(Vec::new())
            } else if args[1..].iter().any(|e| matches!(e.kind, ExprKind::Star)) {
                None
            } else {
                let mut v = Vec::new();
                for (i, e) in args[1..].iter().enumerate() {
                    let (ce, t) = compile(e, scope)?;
                    let n = arg_name(e).unwrap_or_else(|| format!("Column{}", i + 1));
                    v.push((n, ce, t));
                }
                Some(v)
            };
            let spec = ArgSpec {
                by,
                by_name: by_name.clone(),
                by_ty,
                outs,
            };
            let _ = by_names;
            (
                if fname == "arg_max" {
                    AggKind::ArgMax(spec)
                } else {
                    AggKind::ArgMin(spec)
                },
                by_name,
                by_ty,
            )
        }
        "make_set" | "make_list" | "make_set_if" | "make_list_if" => {
            let is_if = fname.ends_with("_if");
            nargs(if is_if { 2 } else { 1 }, if is_if { 3 } else { 2 })?;
            let (ce, _) = c(0)?;
            let cond = if is_if { Some(c(1)?.0) } else { None };
            let max_i = if is_if { 2 } else { 1 };
            let max = match args.get(max_i) {
                Some(e) => match compile(e, scope)?.0 {
                    CE::Const(v) => v.as_i64().unwrap_or(1_048_576).clamp(0, 1_048_576) as usize,
                    _ => return Err(RawError::new(e.span, "the size limit must be a constant")),
                },
                None => 1_048_576,
            };
            let set = fname.starts_with("make_set");
            let nm = if set { named("set") } else { named("list") };
            (
                if set {
                    AggKind::MakeSet(ce, cond, max)
                } else {
                    AggKind::MakeList(ce, cond, max)
                },
                nm,
                Type::Dynamic,
            )
        }
        "take_any" | "any" => {
            nargs(1, 1)?;
            let (ce, t) = c(0)?;
            (
                AggKind::TakeAny(ce),
                first_name.clone().unwrap_or_else(|| "any_".into()),
                t,
            )
        }
        "percentile" => {
            nargs(2, 2)?;
            let (ce, t) = c(0)?;
            let p = match c(1)?.0 {
                CE::Const(v) => v.as_f64().unwrap_or(50.0).clamp(0.0, 100.0),
                _ => {
                    return Err(RawError::new(
                        args[1].span,
                        "the percentile must be a constant",
                    ))
                }
            };
            let pn = crate::value::format_real(p).replace('.', "_");
            (
                AggKind::Percentile(ce, p),
                format!(
                    "percentile_{}_{}",
                    first_name.clone().unwrap_or_default(),
                    pn
                ),
                if t == Type::Real { Type::Real } else { t },
            )
        }
        "stdev" | "variance" => {
            nargs(1, 1)?;
            (
                AggKind::Stdev(c(0)?.0, fname == "stdev"),
                named(fname),
                Type::Real,
            )
        }
        other => {
            let mut msg = format!("unknown aggregation function '{other}'");
            if let Some(s) = did_you_mean(other, crate::expr::AGGREGATES.iter().copied()) {
                msg.push_str(&format!("; did you mean '{s}'?"));
            } else if crate::expr::function_names().any(|f| f == other) {
                msg = format!("'{other}()' is not an aggregation; summarize needs count(), sum(), dcount(), …");
            }
            return Err(RawError::new((span.0, span.0 + other.len()), msg));
        }
    };
    let name = match &a.name {
        Some((n, _)) => n.clone(),
        None => name,
    };
    Ok(AggSpec { kind, name, ty })
}

impl AggSpec {
    fn init(&self) -> AggState {
        match &self.kind {
            AggKind::Count | AggKind::CountIf(_) => AggState::Count(0),
            AggKind::DCount(_) | AggKind::DCountIf(..) => AggState::Distinct(HashSet::new()),
            AggKind::Sum(_) | AggKind::SumIf(..) | AggKind::Avg(_) | AggKind::AvgIf(..) => {
                AggState::Sum {
                    long: 0,
                    real: 0.0,
                    any_real: false,
                    n: 0,
                }
            }
            AggKind::Min(_) | AggKind::Max(_) | AggKind::TakeAny(_) => AggState::Best(None),
            AggKind::ArgMax(_) | AggKind::ArgMin(_) => AggState::Arg {
                best: None,
                row: None,
                first: None,
            },
            AggKind::MakeSet(..) => AggState::Set(HashSet::new(), Vec::new()),
            AggKind::MakeList(..) => AggState::List(Vec::new()),
            AggKind::Percentile(..) | AggKind::Stdev(..) => AggState::Values(Vec::new()),
        }
    }

    #[allow(clippy::collapsible_match, clippy::collapsible_if)]
    fn update(&self, st: &mut AggState, row: &Row, r: u32) {
        let add_sum = |st: &mut AggState, v: Value| {
            if let AggState::Sum {
                long,
                real,
                any_real,
                n,
            } = st
            {
                match v.undyn() {
                    Value::Long(x) => {
                        *long = long.wrapping_add(x);
                        *n += 1;
                    }
                    Value::Real(x) => {
                        *real += x;
                        *any_real = true;
                        *n += 1;
                    }
                    Value::TimeSpan(x) => {
                        *long = long.wrapping_add(x);
                        *n += 1;
                    }
                    Value::Bool(x) => {
                        *long += x as i64;
                        *n += 1;
                    }
                    _ => {}
                }
            }
        };
        match (&self.kind, st) {
            (AggKind::Count, AggState::Count(n)) => *n += 1,
            (AggKind::CountIf(c), AggState::Count(n)) => {
                if eval(c, row).is_true() {
                    *n += 1
                }
            }
            (AggKind::DCount(c), AggState::Distinct(s)) => {
                let v = eval(c, row);
                if !v.is_null() {
                    s.insert(v);
                }
            }
            (AggKind::DCountIf(c, p), AggState::Distinct(s)) => {
                if eval(p, row).is_true() {
                    let v = eval(c, row);
                    if !v.is_null() {
                        s.insert(v);
                    }
                }
            }
            (AggKind::Sum(c) | AggKind::Avg(c), st) => add_sum(st, eval(c, row)),
            (AggKind::SumIf(c, p) | AggKind::AvgIf(c, p), st) => {
                if eval(p, row).is_true() {
                    add_sum(st, eval(c, row))
                }
            }
            (AggKind::Min(c), AggState::Best(b)) | (AggKind::Max(c), AggState::Best(b)) => {
                let v = eval(c, row);
                if v.is_null() || (matches!(v, Value::String(ref s) if s.is_empty())) {
                    return;
                }
                let want = if matches!(self.kind, AggKind::Min(_)) {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                match b {
                    None => *b = Some(v),
                    Some(cur) => {
                        if kql_cmp(&v, cur) == Some(want) {
                            *b = Some(v)
                        }
                    }
                }
            }
            (AggKind::TakeAny(c), AggState::Best(b)) => {
                if b.is_none() {
                    let v = eval(c, row);
                    if !v.is_null() {
                        *b = Some(v)
                    }
                }
            }
            (
                AggKind::ArgMax(s) | AggKind::ArgMin(s),
                AggState::Arg {
                    best,
                    row: br,
                    first,
                },
            ) => {
                if first.is_none() {
                    *first = Some(r);
                }
                let v = eval(&s.by, row);
                if v.is_null() {
                    return;
                }
                let want = if matches!(self.kind, AggKind::ArgMax(_)) {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let take = match best {
                    None => true,
                    Some(cur) => kql_cmp(&v, cur) == Some(want),
                };
                if take {
                    *best = Some(v);
                    *br = Some(r);
                }
            }
            (AggKind::MakeSet(c, cond, max), AggState::Set(s, order)) => {
                if cond.as_ref().is_some_and(|p| !eval(p, row).is_true()) {
                    return;
                }
                let mut vals = Vec::new();
                flatten_into(eval(c, row), &mut vals);
                for v in vals {
                    if order.len() < *max && !v.is_null() && s.insert(v.clone()) {
                        order.push(v);
                    }
                }
            }
            (AggKind::MakeList(c, cond, max), AggState::List(l)) => {
                if cond.as_ref().is_some_and(|p| !eval(p, row).is_true()) {
                    return;
                }
                let mut vals = Vec::new();
                flatten_into(eval(c, row), &mut vals);
                for v in vals {
                    if l.len() < *max && !v.is_null() {
                        l.push(v);
                    }
                }
            }
            (AggKind::Percentile(c, _) | AggKind::Stdev(c, _), AggState::Values(v)) => {
                if let Some(x) = eval(c, row).as_f64() {
                    if v.len() < MAX_ROWS {
                        v.push(x)
                    }
                }
            }
            _ => {}
        }
    }

    fn arg_outputs(&self, b: &Batch, by_names: &[String]) -> Vec<(String, ArgSrc)> {
        let s = match &self.kind {
            AggKind::ArgMax(s) | AggKind::ArgMin(s) => s,
            _ => return Vec::new(),
        };
        let mut out = vec![(self.name.clone(), ArgSrc::Expr(s.by.clone(), s.by_ty))];
        match &s.outs {
            Some(list) => {
                for (n, c, t) in list {
                    out.push((n.clone(), ArgSrc::Expr(c.clone(), *t)));
                }
            }
            None => {
                for (i, c) in b.cols.iter().enumerate() {
                    if c.name == s.by_name || by_names.contains(&c.name) {
                        continue;
                    }
                    out.push((c.name.clone(), ArgSrc::Col(i)));
                }
            }
        }
        out
    }
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match &v {
        Value::Dynamic(d) => match &**d {
            serde_json::Value::Array(a) => out.extend(a.iter().map(|x| Value::dynamic(x.clone()))),
            _ => out.push(v),
        },
        _ => out.push(v),
    }
}

impl AggState {
    fn arg_row(&self) -> Option<u32> {
        match self {
            AggState::Arg { row, first, .. } => row.or(*first),
            _ => None,
        }
    }

    fn finish(&self, spec: &AggSpec) -> Value {
        let ty = spec.ty;
        match self {
            AggState::Count(n) => Value::Long(*n),
            AggState::Distinct(s) => Value::Long(s.len() as i64),
            AggState::Sum {
                long,
                real,
                any_real,
                n,
            } => {
                let total = *real + *long as f64;
                match &spec.kind {
                    AggKind::Avg(_) | AggKind::AvgIf(..) => {
                        if *n == 0 {
                            Value::Null
                        } else {
                            Value::Real(total / *n as f64)
                        }
                    }
                    _ => match ty {
                        Type::TimeSpan => Value::TimeSpan(*long),
                        Type::Real => Value::Real(total),
                        _ if *any_real => Value::Real(total),
                        _ => Value::Long(*long),
                    },
                }
            }
            AggState::Best(b) => b.clone().unwrap_or_else(|| ty.missing()),
            AggState::Arg { best, .. } => best.clone().unwrap_or(Value::Null),
            AggState::Set(_, order) => Value::dynamic(serde_json::Value::Array(
                order.iter().map(|v| v.to_json()).collect(),
            )),
            AggState::List(l) => Value::dynamic(serde_json::Value::Array(
                l.iter().map(|v| v.to_json()).collect(),
            )),
            AggState::Values(v) => {
                if v.is_empty() {
                    return Value::Null;
                }
                match &spec.kind {
                    AggKind::Percentile(_, p) => {
                        let mut s = v.clone();
                        s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
                        // Nearest rank.
                        let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
                        let x = s[rank.min(s.len()) - 1];
                        if ty == Type::Real {
                            Value::Real(x)
                        } else {
                            Value::Long(x as i64)
                        }
                    }
                    AggKind::Stdev(_, sd) => {
                        let n = v.len() as f64;
                        if n < 2.0 {
                            return Value::Real(0.0);
                        }
                        let mean = v.iter().sum::<f64>() / n;
                        let var =
                            v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
                        Value::Real(if *sd { var.sqrt() } else { var })
                    }
                    _ => Value::Null,
                }
            }
        }
    }
}

/// Evaluate an expression that uses no columns (datatable values, let scalars).
pub(crate) fn const_eval(e: &Expr) -> Res<Value> {
    let scalars = HashMap::new();
    let scope = Scope {
        columns: &[],
        scalars: &scalars,
        now: 0,
    };
    let (c, _) = compile(e, &scope)?;
    Ok(eval(
        &c,
        &Row {
            get: &|_| Value::Null,
            now: 0,
        },
    ))
}

/// Run a parsed program.
/// Returns the table (at most `limit` rows materialised) and the full row count.
pub(crate) fn run_program(
    stmts: &[Stmt],
    events: &[Event],
    now: Option<Timestamp>,
    limit: usize,
) -> Res<(Table, usize)> {
    let now = now
        .map(|t| t.micros)
        .unwrap_or_else(|| events.iter().map(|e| e.time.micros).max().unwrap_or(0));
    let mut ctx = Ctx {
        events,
        now,
        scalars: HashMap::new(),
        tabulars: HashMap::new(),
        render: None,
    };
    let mut last = None;
    for s in stmts {
        match s {
            Stmt::LetScalar(name, _, e) => {
                let e = &ctx.resolve_expr(e)?;
                let scope = Scope {
                    columns: &[],
                    scalars: &ctx.scalars,
                    now: ctx.now,
                };
                let (c, _) = compile(e, &scope)?;
                let v = eval(
                    &c,
                    &Row {
                        get: &|_| Value::Null,
                        now: ctx.now,
                    },
                );
                ctx.tabulars.remove(name);
                ctx.scalars.insert(name.clone(), v);
            }
            Stmt::LetTabular(name, _, t) => {
                let t = ctx.resolve_tabular(t)?;
                let b = ctx.run_tabular(&t)?;
                ctx.scalars.remove(name);
                ctx.tabulars.insert(name.clone(), b);
            }
            Stmt::Query(t) => {
                ctx.render = None;
                let t = ctx.resolve_tabular(t)?;
                last = Some(ctx.run_tabular(&t)?);
            }
        }
    }
    match last {
        Some(b) => {
            let total = b.len;
            Ok((ctx.to_table(b, limit), total))
        }
        None => Err(RawError::expected(
            (0, 0),
            "the query has no tabular expression to run (only let statements)",
            &["AzureDiagnostics | …"],
        )),
    }
}
