//! Before a tabular expression runs, its tabular arguments are replaced by their values:
//! `toscalar(T)` by its first cell, `x in (T | project y)` by the column as a dynamic array.

use super::Ctx;
use crate::ast::*;
use crate::error::{RawError, Res};
use crate::value::Value;

impl Ctx<'_> {
    /// Replace tabular arguments by their values: `toscalar(T)` by its first cell, any other
    /// `(T | …)` argument by a dynamic array of its first column.
    pub(crate) fn resolve_expr(&mut self, e: &Expr) -> Res<Expr> {
        let kind = match &e.kind {
            ExprKind::Subquery(t) => {
                let b = self.run_tabular(t)?;
                let vals: Vec<serde_json::Value> = match b.cols.first() {
                    Some(c) => (0..b.len).map(|r| c.get(r, &self.src).to_json()).collect(),
                    None => Vec::new(),
                };
                ExprKind::Lit(Value::dynamic(serde_json::Value::Array(vals)))
            }
            ExprKind::Call(name, args) if name == "column_names_of" => match args.as_slice() {
                [Expr {
                    kind: ExprKind::Subquery(t),
                    ..
                }] => {
                    let b = self.run_tabular(t)?;
                    let names = b
                        .cols
                        .iter()
                        .map(|c| serde_json::Value::String(c.name.clone()))
                        .collect();
                    ExprKind::Lit(Value::dynamic(serde_json::Value::Array(names)))
                }
                _ => {
                    return Err(RawError::new(
                        e.span,
                        "column_names_of() expects one tabular expression (a table, a let name or a function call)",
                    ))
                }
            },
            ExprKind::Call(name, args) if name == "toscalar" => {
                if args.len() != 1 {
                    return Err(RawError::new(e.span, "toscalar() expects one argument"));
                }
                match &args[0].kind {
                    ExprKind::Subquery(t) => {
                        let b = self.run_tabular(t)?;
                        let v = match b.cols.first() {
                            Some(c) if b.len > 0 => c.get(0, &self.src),
                            _ => Value::Null,
                        };
                        ExprKind::Lit(v)
                    }
                    _ => return self.resolve_expr(&args[0]),
                }
            }
            ExprKind::Call(name, args) => {
                if let Some(e) = self.expand_scalar_call(name, args, e.span)? {
                    return Ok(e);
                }
                ExprKind::Call(name.clone(), self.resolve_list(args)?)
            }
            // A user function without parameters may be called without parentheses
            // (`let x = () {rand(1000)}; print x`, named-expressions.md).
            ExprKind::Name(n)
                if !self.scalars.contains_key(n)
                    && self.functions.get(n).is_some_and(|f| {
                        f.params.is_empty() && matches!(f.result, FnResult::Scalar(_))
                    }) =>
            {
                if let Some(e) = self.expand_scalar_call(n, &[], e.span)? {
                    return Ok(e);
                }
                e.kind.clone()
            }
            ExprKind::Named(n, x) => ExprKind::Named(n.clone(), Box::new(self.resolve_expr(x)?)),
            ExprKind::Neg(x) => ExprKind::Neg(Box::new(self.resolve_expr(x)?)),
            ExprKind::Chain(first, rest) => ExprKind::Chain(
                Box::new(self.resolve_expr(first)?),
                rest.iter()
                    .map(|(op, e)| Ok((*op, self.resolve_expr(e)?)))
                    .collect::<Res<_>>()?,
            ),
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
                    tuple: a.tuple.clone(),
                    expr: self.resolve_expr(&a.expr)?,
                })
            })
            .collect()
    }

    fn resolve_expand(&mut self, x: &Expand) -> Res<Expand> {
        let mut items = Vec::with_capacity(x.items.len());
        for it in &x.items {
            let mut a = it.assign.clone();
            a.expr = self.resolve_expr(&it.assign.expr)?;
            items.push(ExpandItem {
                assign: a,
                to: it.to,
            });
        }
        Ok(Expand {
            items,
            index: x.index.clone(),
            limit: x.limit.clone(),
        })
    }

    fn resolve_key(&mut self, k: &SortKey) -> Res<SortKey> {
        Ok(SortKey {
            expr: self.resolve_expr(&k.expr)?,
            desc: k.desc,
            nulls_first: k.nulls_first,
        })
    }

    /// A source with its tabular arguments replaced (nested tabular expressions resolve when
    /// they run).
    pub(crate) fn resolve_source(&mut self, s: &Source) -> Res<Source> {
        Ok(match s {
            Source::Search { tables, pred } => Source::Search {
                tables: tables.clone(),
                pred: self.resolve_expr(pred)?,
            },
            Source::Print(a) => Source::Print(self.resolve_assigns(a)?),
            Source::Find(f) => {
                let mut f2 = (**f).clone();
                f2.pred = self.resolve_expr(&f.pred)?;
                Source::Find(Box::new(f2))
            }
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
        })
    }

    /// An operator with its tabular arguments replaced, just before it runs (so that a name
    /// bound by `as` earlier in the pipeline is visible).
    pub(crate) fn resolve_op(&mut self, o: &OpAt) -> Res<OpAt> {
        let op = match &o.op {
            Operator::Where(e) => Operator::Where(self.resolve_expr(e)?),
            Operator::Search(e) => Operator::Search(self.resolve_expr(e)?),
            Operator::Project(a) => Operator::Project(self.resolve_assigns(a)?),
            Operator::Extend(a) => Operator::Extend(self.resolve_assigns(a)?),
            Operator::MvExpand(x) => Operator::MvExpand(self.resolve_expand(x)?),
            Operator::MvApply(x, ops) => Operator::MvApply(self.resolve_expand(x)?, ops.clone()),
            Operator::MakeSeries(m) => {
                let mut m2 = (**m).clone();
                for (a, d) in m2.aggs.iter_mut() {
                    a.expr = self.resolve_expr(&a.expr)?;
                    if let Some(d) = d {
                        *d = self.resolve_expr(d)?;
                    }
                }
                m2.axis = self.resolve_expr(&m.axis)?;
                m2.from = m.from.as_ref().map(|e| self.resolve_expr(e)).transpose()?;
                m2.to = m.to.as_ref().map(|e| self.resolve_expr(e)).transpose()?;
                m2.step = self.resolve_expr(&m.step)?;
                m2.by = self.resolve_assigns(&m.by)?;
                Operator::MakeSeries(Box::new(m2))
            }
            Operator::Summarize { aggs, by } => Operator::Summarize {
                aggs: self.resolve_assigns(aggs)?,
                by: self.resolve_assigns(by)?,
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
            Operator::ProjectByNames(v) => Operator::ProjectByNames(self.resolve_list(v)?),
            other => other.clone(),
        };
        Ok(OpAt { op, span: o.span })
    }
}
