//! Execution: a program's statements in order, each tabular expression a source followed by
//! operators (`ops/`, one module an operator) over column batches (`batch.rs`).

use crate::ast::*;
use crate::error::{did_you_mean, RawError, Res};
use crate::expr::{compile, eval, unknown_column, Row, Scope, CE};
use crate::functions::{heap_size, Env};
use crate::table::{Column, Table};
use crate::tables::{self, Store};
use crate::value::{Type, Value};
use std::collections::HashMap;

pub(crate) mod batch;
mod functions;
mod names;
mod resolve;

pub(crate) use batch::{push_unique, side_by_side, union_batches, values_col, Batch, Col};

/// Largest result any operator may build (a join of attacker-controlled keys must not exhaust memory).
pub(crate) const MAX_ROWS: usize = 10_000_000;

/// Bytes of values one query may materialise unless the caller says otherwise.
pub(crate) const DEFAULT_BUDGET: usize = 1 << 30;

/// The state of one query run.
pub(crate) struct Ctx<'a> {
    pub src: Store<'a>,
    pub env: Env,
    pub scalars: HashMap<String, Value>,
    pub tabulars: HashMap<String, Batch>,
    /// User functions (`let f = (…) { … }`).
    pub functions: HashMap<String, std::sync::Arc<FnDecl>>,
    /// Patterns (`declare pattern P = …`).
    pub patterns: HashMap<String, std::sync::Arc<PatternDecl>>,
    /// How deep user function calls nest right now.
    pub call_depth: usize,
    pub render: Option<String>,
}

impl<'a> Ctx<'a> {
    pub fn scope<'s>(&'s self, columns: &'s [(String, Type)]) -> Scope<'s> {
        Scope {
            columns,
            scalars: &self.scalars,
            env: &self.env,
            rows: None,
            len: 0,
        }
    }

    /// Compile against a batch's schema.
    pub fn compile(&self, e: &Expr, batch: &Batch) -> Res<(CE, Type)> {
        let schema = batch.schema();
        let rows = |c: &CE| self.eval_rows(c, batch);
        let scope = Scope {
            rows: Some(&rows),
            len: batch.len,
            ..self.scope(&schema)
        };
        compile(e, &scope)
    }

    /// Evaluate a compiled expression on one row of a batch.
    pub fn eval_at(&self, c: &CE, batch: &Batch, r: usize) -> Value {
        let src = &self.src;
        let get = |i: usize| batch.cols[i].get(r, src);
        eval(
            c,
            &Row {
                get: &get,
                env: &self.env,
                at: r,
            },
        )
    }

    /// Evaluate a compiled expression on every row of a batch. The values count against the
    /// memory budget; after a runtime error the rest are null (the caller reports the error).
    pub fn eval_rows(&self, c: &CE, batch: &Batch) -> Vec<Value> {
        let mut out = Vec::with_capacity(batch.len);
        for r in 0..batch.len {
            if self.env.failed() {
                break;
            }
            let v = self.eval_at(c, batch, r);
            self.env
                .charge(std::mem::size_of::<Value>() + heap_size(&v));
            out.push(v);
        }
        out.resize(batch.len, Value::Null);
        out
    }

    /// Evaluate a column-free expression once.
    pub fn eval_const(&self, e: &Expr) -> Res<Value> {
        let one = Batch::rows_only(1);
        let (c, _) = self.compile(e, &one)?;
        let v = self.eval_at(&c, &one, 0);
        self.check(e.span)?;
        Ok(v)
    }

    /// Report a runtime error recorded while evaluating (positioned at its call, or `span`).
    pub fn check(&self, span: Span) -> Res<()> {
        match self.env.take_error(span) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn run_tabular(&mut self, t: &Tabular) -> Res<Batch> {
        let source = self.resolve_source(&t.source)?;
        let mut b = self.source(&source)?;
        self.check(source_span(&t.source))?;
        for op in &t.ops {
            let op = self.resolve_op(op)?;
            b = self.operator(b, &op)?;
            self.check(op.span)?;
        }
        Ok(b)
    }

    pub fn table_by_name(&mut self, name: &str, span: Span) -> Res<Batch> {
        if let Some(b) = self.tabulars.get(name) {
            return Ok(b.clone());
        }
        if let Some(cols) = tables::table(name) {
            return Ok(Batch::source(cols, self.src.len()));
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
        crate::ops::sources::run(self, s)
    }

    pub fn col_or_err(&self, b: &Batch, name: &str, span: Span) -> Res<usize> {
        b.index_of(name).ok_or_else(|| {
            let schema = b.schema();
            unknown_column(name, span, &self.scope(&schema))
        })
    }

    /// A constant, non-negative count (`take 10`, `top 5 by …`).
    pub fn const_count(&self, e: &Expr, b: &Batch) -> Res<usize> {
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

    /// The output columns of one `project` / `extend` item: one, or one per result of a
    /// function with several (`extend (a, b, c) = series_decompose_anomalies(x)`, or
    /// `extend series_fit_line(y)` naming them `series_fit_line_y_slope`, …).
    pub fn assign_cols(&self, b: &Batch, a: &Assign, k: &mut usize) -> Res<Vec<Col>> {
        if let ExprKind::Call(name, args) = &a.expr.kind {
            if let Some(cols) = self.sorted_arrays_cols(b, a, name, args)? {
                return Ok(cols);
            }
            if let Some(def) = crate::functions::lookup(name).filter(|d| !d.outs.is_empty()) {
                if a.tuple.len() > def.outs.len() {
                    return Err(RawError::new(
                        a.expr.span,
                        format!(
                            "{} returns {} values, not {}",
                            def.name,
                            def.outs.len(),
                            a.tuple.len()
                        ),
                    ));
                }
                let (c, _) = self.compile(&a.expr, b)?;
                let vals = self.eval_rows(&c, b);
                let base = match args.first().and_then(member_name) {
                    Some(n) => format!("{}_{n}", def.name),
                    None => def.name.to_string(),
                };
                let names: Vec<String> = if a.tuple.is_empty() {
                    def.outs
                        .iter()
                        .map(|(o, _)| format!("{base}_{o}"))
                        .collect()
                } else {
                    a.tuple.clone()
                };
                let cols = names
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let ty = def.outs[i].1;
                        let v = vals
                            .iter()
                            .map(|v| match v {
                                Value::Dynamic(d) => match d.get(i) {
                                    Some(x) if ty == Type::Dynamic => Value::dynamic(x.clone()),
                                    Some(x) => crate::functions::cast(
                                        &Value::dynamic(x.clone()).undyn(),
                                        ty,
                                    ),
                                    None => Value::Null,
                                },
                                _ => Value::Null,
                            })
                            .collect();
                        values_col(name, ty, v)
                    })
                    .collect();
                return Ok(cols);
            }
        }
        if !a.tuple.is_empty() {
            return Err(RawError::new(
                a.expr.span,
                "(a, b, …) = needs a function with several results, such as series_decompose_anomalies()",
            ));
        }
        Ok(vec![self.assign_col(b, a, k)?])
    }

    /// Whether an unnamed `print` item makes several columns (a function with several results,
    /// or an `array_sort_*` of several arrays).
    pub fn has_several_results(&self, e: &Expr) -> bool {
        let ExprKind::Call(name, args) = &e.kind else {
            return false;
        };
        let arrays = match args.last().map(|l| &l.kind) {
            Some(ExprKind::Lit(Value::Bool(_))) => args.len() - 1,
            _ => args.len(),
        };
        crate::functions::lookup(name).is_some_and(|d| {
            !d.outs.is_empty()
                || (matches!(d.name, "array_sort_asc" | "array_sort_desc") && arrays >= 2)
        })
    }

    /// `array_sort_asc(a, b, …)` / `array_sort_desc` of several arrays, unnamed or assigned to
    /// a tuple: one column per array (`a_sorted`, `b_sorted`, … as Kusto names them).
    fn sorted_arrays_cols(
        &self,
        b: &Batch,
        a: &Assign,
        name: &str,
        args: &[Expr],
    ) -> Res<Option<Vec<Col>>> {
        let def = match crate::functions::lookup(name) {
            Some(d) if matches!(d.name, "array_sort_asc" | "array_sort_desc") => d,
            _ => return Ok(None),
        };
        // The last argument may be `nulls_last` (a bool), not an array.
        let (c, _) = self.compile(&a.expr, b)?;
        let arrays = match args.last().map(|l| self.compile(l, &b.empty_like())) {
            Some(Ok((_, Type::Bool))) => args.len() - 1,
            _ => args.len(),
        };
        if a.name.is_some() || arrays < 2 && a.tuple.is_empty() {
            return Ok(None);
        }
        if !a.tuple.is_empty() && a.tuple.len() != arrays {
            return Err(RawError::new(
                a.expr.span,
                format!(
                    "{} of {arrays} arrays returns {arrays} values, not {}",
                    def.name,
                    a.tuple.len()
                ),
            ));
        }
        let vals = self.eval_rows(&c, b);
        let cols = (0..arrays)
            .map(|i| {
                let name = match a.tuple.get(i) {
                    Some(n) => n.clone(),
                    None => match member_name(&args[i]) {
                        Some(n) => format!("{n}_sorted"),
                        None => format!("array{}_sorted", i + 1),
                    },
                };
                let v = vals
                    .iter()
                    .map(|v| match v {
                        Value::Dynamic(d) if arrays == 1 => Value::Dynamic(d.clone()),
                        Value::Dynamic(d) => {
                            d.get(i).map_or(Value::Null, |x| Value::dynamic(x.clone()))
                        }
                        _ => Value::Null,
                    })
                    .collect();
                values_col(name, Type::Dynamic, v)
            })
            .collect();
        Ok(Some(cols))
    }

    /// One output column of `project` / `extend`: plain column references stay lazy.
    pub fn assign_col(&self, b: &Batch, a: &Assign, k: &mut usize) -> Res<Col> {
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
        let has_column = |n: &str| b.index_of(n).is_some();
        let name = match (&a.name, names::result_name(&a.expr, &has_column)) {
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

    /// Run one statement: a let binds its name (the latest binding of a name wins); a query
    /// returns its rows.
    pub fn run_stmt(&mut self, s: &Stmt) -> Res<Option<Batch>> {
        match s {
            Stmt::LetScalar(name, _, e) => {
                let e = self.resolve_expr(e)?;
                let v = self.eval_const(&e)?;
                self.tabulars.remove(name);
                self.functions.remove(name);
                self.scalars.insert(name.clone(), v);
            }
            Stmt::LetTabular(name, _, t) => {
                let b = self.run_tabular(t)?;
                self.scalars.remove(name);
                self.functions.remove(name);
                self.tabulars.insert(name.clone(), b);
            }
            Stmt::LetFunction(name, _, f) => {
                self.scalars.remove(name);
                self.tabulars.remove(name);
                self.functions.insert(name.clone(), f.clone());
            }
            Stmt::Pattern(name, _, p) => {
                self.patterns.insert(name.clone(), p.clone());
            }
            Stmt::Query(t) => {
                self.render = None;
                return Ok(Some(self.run_tabular(t)?));
            }
        }
        Ok(None)
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
            rows.push(b.cols.iter().map(|c| c.get(r, &self.src)).collect());
        }
        Table {
            columns,
            rows,
            render: self.render.clone(),
        }
    }
}

/// Where a source is written (for errors raised while it runs).
fn source_span(s: &Source) -> Span {
    match s {
        Source::Table(_, span) | Source::Implicit(span) => *span,
        Source::Search { pred, .. } => pred.span,
        Source::Find(f) => f.pred.span,
        Source::Range { from, .. } => from.span,
        Source::Print(a) => a.first().map(|a| a.expr.span).unwrap_or((0, 0)),
        _ => (0, 0),
    }
}

/// The name Kusto gives an unnamed expression (`Identity.claim.upn` is `Identity_claim_upn`,
/// `tostring(x.y)` is `x_y`; see `names.rs`), None when Kusto leaves it to the operator.
pub(crate) fn member_name(e: &Expr) -> Option<String> {
    names::result_name(e, &|_| false)
}

/// The column a group-by expression is named after: `bin(TimeGenerated, 1h)` → `TimeGenerated`
/// (the same rules as `project` / `extend`).
pub(crate) fn group_name(e: &Expr) -> Option<String> {
    member_name(e)
}

/// Evaluate an expression that uses no columns (datatable values).
pub(crate) fn const_eval(e: &Expr) -> Res<Value> {
    let ctx = Ctx {
        src: Store::empty(),
        env: Env::new(0, DEFAULT_BUDGET),
        scalars: HashMap::new(),
        tabulars: HashMap::new(),
        functions: HashMap::new(),
        patterns: HashMap::new(),
        call_depth: 0,
        render: None,
    };
    ctx.eval_const(e)
}

/// How to run a program.
pub(crate) struct RunOptions<'a> {
    pub now: Option<i64>,
    pub budget: usize,
    pub params: &'a std::collections::BTreeMap<String, String>,
}

/// Run a parsed program.
/// Returns the table (at most `limit` rows materialised) and the full row count.
pub(crate) fn run_program(
    stmts: &[Stmt],
    src: Store,
    opts: RunOptions,
    limit: usize,
) -> Res<(Table, usize)> {
    let now = opts.now.unwrap_or_else(|| src.latest_time().unwrap_or(0));
    let mut ctx = Ctx {
        src,
        env: Env::new(now, opts.budget),
        scalars: HashMap::new(),
        tabulars: HashMap::new(),
        functions: HashMap::new(),
        patterns: HashMap::new(),
        call_depth: 0,
        render: None,
    };
    // Parameters whose value is a scalar literal also bind their name (an ASIM parser body's
    // `disabled`, `starttime`, …); the query's own lets and columns come first.
    for (name, value) in opts.params {
        let ident = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !ident {
            continue;
        }
        if let Some(e) = crate::parser::parse_expression(value) {
            if let Ok(v) = ctx.eval_const(&e) {
                ctx.scalars.insert(name.clone(), v);
            }
        }
    }
    let mut last = None;
    for s in stmts {
        if let Some(b) = ctx.run_stmt(s)? {
            last = Some(b);
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
