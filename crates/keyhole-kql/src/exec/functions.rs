//! User functions (`let f = (a: long, b: string = "x") { … }`): a call binds arguments to
//! parameters (by position, then by name, then defaults). A scalar function is expanded in
//! place (its parameters replaced by the argument expressions, so column arguments work row by
//! row); a tabular function runs its body with its parameters bound as scalars and tables.

use super::{Batch, Ctx};
use crate::ast::*;
use crate::error::{RawError, Res};
use std::collections::HashMap;
use std::sync::Arc;

/// Deepest nesting of user function calls (a function calling itself must stop somewhere).
const MAX_CALL_DEPTH: usize = 32;

/// Arguments matched to parameters: each parameter's expression (argument or default).
fn bind(f: &FnDecl, name: &str, args: &[Expr], span: Span) -> Res<Vec<(FnParam, Expr)>> {
    let mut slots: Vec<Option<Expr>> = vec![None; f.params.len()];
    let mut pos = 0;
    for a in args {
        match &a.kind {
            ExprKind::Named(n, e) => {
                let Some(i) = f.params.iter().position(|p| p.name == *n) else {
                    return Err(RawError::new(
                        a.span,
                        format!("function '{name}' has no parameter '{n}'"),
                    ));
                };
                slots[i] = Some((**e).clone());
            }
            _ => {
                if pos >= f.params.len() {
                    return Err(RawError::new(
                        a.span,
                        format!(
                            "function '{name}' takes {} argument(s), got more",
                            f.params.len()
                        ),
                    ));
                }
                slots[pos] = Some(a.clone());
                pos += 1;
            }
        }
    }
    f.params
        .iter()
        .zip(slots)
        .map(|(p, s)| match s.or_else(|| p.default.clone()) {
            Some(e) => Ok((p.clone(), e)),
            None => Err(RawError::new(
                span,
                format!("function '{name}' needs a value for parameter '{}'", p.name),
            )),
        })
        .collect()
}

/// Replace parameter names by their expressions.
fn substitute(e: &Expr, map: &HashMap<String, Expr>) -> Expr {
    let s = |x: &Expr| substitute(x, map);
    let b = |x: &Expr| Box::new(substitute(x, map));
    let list = |v: &[Expr]| v.iter().map(|x| substitute(x, map)).collect();
    let kind = match &e.kind {
        ExprKind::Name(n) => match map.get(n) {
            Some(x) => return x.clone(),
            None => e.kind.clone(),
        },
        ExprKind::Call(n, args) => ExprKind::Call(n.clone(), list(args)),
        ExprKind::Neg(x) => ExprKind::Neg(b(x)),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(*op, b(l), b(r)),
        ExprKind::Chain(first, rest) => {
            ExprKind::Chain(b(first), rest.iter().map(|(op, x)| (*op, s(x))).collect())
        }
        ExprKind::In {
            expr,
            list: l,
            negated,
            ci,
        } => ExprKind::In {
            expr: b(expr),
            list: list(l),
            negated: *negated,
            ci: *ci,
        },
        ExprKind::HasAny { expr, list: l, all } => ExprKind::HasAny {
            expr: b(expr),
            list: list(l),
            all: *all,
        },
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => ExprKind::Between {
            expr: b(expr),
            lo: b(lo),
            hi: b(hi),
            negated: *negated,
        },
        ExprKind::Member(x, n) => ExprKind::Member(b(x), n.clone()),
        ExprKind::Index(x, i) => ExprKind::Index(b(x), b(i)),
        ExprKind::Named(n, x) => ExprKind::Named(n.clone(), b(x)),
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

impl Ctx<'_> {
    /// The views in scope (tabular functions declared with `view` and without parameters),
    /// by name.
    pub(crate) fn view_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .functions
            .iter()
            .filter(|(_, f)| {
                f.view && f.params.is_empty() && matches!(f.result, FnResult::Tabular(_))
            })
            .map(|(n, _)| n.clone())
            .collect();
        v.sort();
        v
    }

    fn enter_call(&mut self, name: &str, span: Span) -> Res<()> {
        self.call_depth += 1;
        if self.call_depth > MAX_CALL_DEPTH {
            self.call_depth -= 1;
            return Err(RawError::new(
                span,
                format!("function calls nest more than {MAX_CALL_DEPTH} deep (does '{name}' call itself?)"),
            ));
        }
        Ok(())
    }

    /// A call in a tabular position: a user function with a tabular body, or `materialize(T)`.
    pub(crate) fn call_tabular(&mut self, name: &str, args: &[Expr], span: Span) -> Res<Batch> {
        if name == "materialize" || name == "view" {
            return match args {
                [Expr {
                    kind: ExprKind::Subquery(t),
                    ..
                }] => self.run_tabular(t),
                _ => Err(RawError::new(
                    span,
                    format!("{name}() takes one tabular expression"),
                )),
            };
        }
        let Some(f) = self.functions.get(name).cloned() else {
            return Err(self.table_by_name(name, span).err().unwrap_or_else(|| {
                RawError::new(span, format!("'{name}' is a table, not a function"))
            }));
        };
        let FnResult::Tabular(body) = &f.result else {
            return Err(RawError::new(
                span,
                format!("function '{name}' returns a scalar, not a table"),
            ));
        };
        let bound = bind(&f, name, args, span)?;
        self.enter_call(name, span)?;
        let saved = (
            self.scalars.clone(),
            self.tabulars.clone(),
            self.functions.clone(),
        );
        let r = self.run_bound(&bound, &f.lets, body);
        (self.scalars, self.tabulars, self.functions) = saved;
        self.call_depth -= 1;
        r
    }

    /// `T | invoke f(args)`: `f(T, args)`, the input bound to the first parameter, which must
    /// take a table.
    pub(crate) fn invoke(&mut self, b: Batch, name: &str, span: Span, args: &[Expr]) -> Res<Batch> {
        /// The input's name while it is bound (no query can spell it).
        const INPUT: &str = "\u{1}invoke input";
        match self.functions.get(name) {
            Some(f) if f.params.first().is_some_and(|p| p.tabular) => {}
            Some(_) => {
                return Err(RawError::new(
                    span,
                    format!("invoke: function '{name}' does not take a table as its first parameter (declare it as T:(*))"),
                ))
            }
            None => {
                let mut msg = format!("unknown function '{name}'");
                if let Some(s) = crate::error::did_you_mean(name, self.functions.keys().map(|k| k.as_str())) {
                    msg.push_str(&format!("; did you mean '{s}'?"));
                }
                return Err(RawError::new(span, msg));
            }
        }
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(Expr {
            kind: ExprKind::Name(INPUT.to_string()),
            span,
        });
        all.extend(args.iter().cloned());
        self.tabulars.insert(INPUT.to_string(), b);
        let r = self.call_tabular(name, &all, span);
        self.tabulars.remove(INPUT);
        r
    }

    fn run_bound(
        &mut self,
        bound: &[(FnParam, Expr)],
        lets: &[Stmt],
        body: &Tabular,
    ) -> Res<Batch> {
        // Arguments are evaluated in the caller's scope, then bound together.
        let mut scalars = Vec::new();
        let mut tables = Vec::new();
        for (p, e) in bound {
            if p.tabular {
                let b = match &e.kind {
                    ExprKind::Subquery(t) => self.run_tabular(t)?,
                    ExprKind::Name(n) => self.table_by_name(n, e.span)?,
                    _ => {
                        return Err(RawError::new(
                            e.span,
                            format!("parameter '{}' takes a table", p.name),
                        ))
                    }
                };
                tables.push((p.name.clone(), b));
            } else {
                let e = self.resolve_expr(e)?;
                let v = self.eval_const(&e)?;
                let v = match p.ty {
                    Some(t) => crate::functions::cast(&v, t),
                    None => v,
                };
                scalars.push((p.name.clone(), v));
            }
        }
        for (n, v) in scalars {
            self.tabulars.remove(&n);
            self.scalars.insert(n, v);
        }
        for (n, b) in tables {
            self.scalars.remove(&n);
            self.tabulars.insert(n, b);
        }
        for s in lets {
            self.run_stmt(s)?;
        }
        self.run_tabular(body)
    }

    /// Expand a call of a user function with a scalar body, if `name` is one.
    pub(crate) fn expand_scalar_call(
        &mut self,
        name: &str,
        args: &[Expr],
        span: Span,
    ) -> Res<Option<Expr>> {
        let Some(f) = self.functions.get(name).cloned() else {
            return Ok(None);
        };
        let FnResult::Scalar(result) = &f.result else {
            return Ok(None);
        };
        let bound = bind(&f, name, args, span)?;
        self.enter_call(name, span)?;
        let saved = (
            self.scalars.clone(),
            self.tabulars.clone(),
            self.functions.clone(),
        );
        let r = self.expand(&f, &bound, result);
        (self.scalars, self.tabulars, self.functions) = saved;
        self.call_depth -= 1;
        r.map(Some)
    }

    fn expand(&mut self, f: &Arc<FnDecl>, bound: &[(FnParam, Expr)], result: &Expr) -> Res<Expr> {
        let mut map: HashMap<String, Expr> = HashMap::new();
        for (p, e) in bound {
            let e = self.resolve_expr(e)?;
            // Constant arguments are also visible to subqueries in the body.
            if let ExprKind::Lit(v) = &e.kind {
                self.scalars.insert(p.name.clone(), v.clone());
            }
            map.insert(p.name.clone(), e);
        }
        for s in &f.lets {
            match s {
                Stmt::LetScalar(n, _, e) => {
                    let e = self.resolve_expr(&substitute(e, &map))?;
                    map.insert(n.clone(), e);
                }
                other => {
                    self.run_stmt(other)?;
                }
            }
        }
        self.resolve_expr(&substitute(result, &map))
    }
}
