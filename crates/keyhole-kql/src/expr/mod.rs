//! Scalar expressions: compiled against a schema (names resolved to column indices, calls to
//! registry entries, types inferred, constants folded for `in` lists and regexes), then
//! evaluated per row (`eval.rs`).

use crate::ast::{BinOp, Expr, ExprKind, Span, StrOp};
use crate::error::{did_you_mean, RawError, Res};
use crate::functions::{self, aggregates, Env, FnDef, Imp};
use crate::value::{Type, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

mod eval;

pub(crate) use eval::{eval, Row};

/// A compiled expression.
#[derive(Clone)]
pub(crate) enum CE {
    Const(Value),
    Col(usize),
    /// A column computed over the whole batch when compiled (a row function such as `prev()`).
    Rows(Arc<Vec<Value>>),
    /// A registry function, its arguments, and the call's span (for runtime errors).
    Call(&'static FnDef, Vec<CE>, Span),
    Bin(BinOp, Box<CE>, Box<CE>),
    /// `a and b and …` / `a or b or …`: three-valued, short-circuiting, flat.
    Logic(BinOp, Vec<CE>),
    /// `a + b - c …`: arithmetic left to right, flat.
    Fold(Box<CE>, Vec<(BinOp, CE)>),
    /// `x == "a" or x == "b" or …` on a string expression: a set lookup (null stays null).
    EqAny {
        e: Box<CE>,
        set: Arc<HashSet<Arc<str>>>,
    },
    Regex(Box<CE>, Arc<regex::Regex>),
    Neg(Box<CE>),
    /// `in` with a constant list: a hash set (lower-cased strings for `in~`).
    InSet {
        e: Box<CE>,
        set: Arc<HashSet<Value>>,
        neg: bool,
        ci: bool,
    },
    InList {
        e: Box<CE>,
        list: Vec<CE>,
        neg: bool,
        ci: bool,
    },
    HasAny {
        e: Box<CE>,
        list: Vec<CE>,
        all: bool,
    },
    Between {
        e: Box<CE>,
        lo: Box<CE>,
        hi: Box<CE>,
        neg: bool,
    },
    Member(Box<CE>, String),
    Index(Box<CE>, Box<CE>),
    /// `* has "x"`: the string operator over every column of the row.
    AnyColumn {
        op: StrOp,
        neg: bool,
        ncols: usize,
        rhs: Box<CE>,
    },
}

impl std::fmt::Debug for CE {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CE::Const(v) => write!(f, "Const({v:?})"),
            CE::Col(i) => write!(f, "Col({i})"),
            CE::Call(d, a, span) => write!(f, "{}({a:?})@{span:?}", d.name),
            _ => f.write_str("CE(…)"),
        }
    }
}

/// What names resolve to while compiling.
/// Evaluates a compiled expression over every row of a batch.
pub(crate) type RowsOf<'a> = dyn Fn(&CE) -> Vec<Value> + 'a;

pub(crate) struct Scope<'a> {
    pub columns: &'a [(String, Type)],
    pub scalars: &'a HashMap<String, Value>,
    /// The run's environment (constant folding evaluates with it).
    pub env: &'a Env,
    /// Evaluates an expression over every row of the batch being compiled for (row functions
    /// need it); `None` where there is no such batch.
    pub rows: Option<&'a RowsOf<'a>>,
    /// The number of rows of that batch.
    pub len: usize,
}

impl Scope<'_> {
    fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }
}

pub(crate) fn unknown_column(name: &str, span: Span, scope: &Scope) -> RawError {
    let mut msg = format!("unknown column '{name}'");
    let cands = scope
        .columns
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(scope.scalars.keys().map(|k| k.as_str()));
    if let Some(s) = did_you_mean(name, cands) {
        msg.push_str(&format!("; did you mean '{s}'?"));
    }
    RawError::new(span, msg)
}

fn flatten_const(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Dynamic(d) => match &**d {
            serde_json::Value::Array(a) => {
                for x in a {
                    out.push(Value::dynamic(x.clone()).undyn());
                }
            }
            _ => out.push(v.undyn()),
        },
        other => out.push(other.clone()),
    }
}

fn set_key(v: &Value, ci: bool) -> Value {
    match v.undyn() {
        Value::String(s) if ci => Value::str(&s.to_lowercase()),
        Value::Long(i) => Value::Real(i as f64),
        other => other,
    }
}

fn compile_list(list: &[Expr], scope: &Scope) -> Res<Vec<CE>> {
    list.iter().map(|x| Ok(compile(x, scope)?.0)).collect()
}

/// Compile an expression; returns the compiled form and its static type.
pub(crate) fn compile(e: &Expr, scope: &Scope) -> Res<(CE, Type)> {
    Ok(match &e.kind {
        ExprKind::Lit(v) => (CE::Const(v.clone()), v.type_of().unwrap_or(Type::Dynamic)),
        ExprKind::Name(n) => {
            if let Some(i) = scope.col(n) {
                (CE::Col(i), scope.columns[i].1)
            } else if let Some(v) = scope.scalars.get(n) {
                (CE::Const(v.clone()), v.type_of().unwrap_or(Type::Dynamic))
            } else {
                return Err(unknown_column(n, e.span, scope));
            }
        }
        ExprKind::Star => return Err(RawError::new(e.span, "'*' is not allowed here")),
        ExprKind::Subquery(_) => {
            return Err(RawError::new(
                e.span,
                "a tabular expression is not allowed here",
            ))
        }
        ExprKind::Named(n, _) => {
            return Err(RawError::new(
                e.span,
                format!("'{n} = …' names a parameter, which only user functions have"),
            ))
        }
        ExprKind::Side(_, n) => {
            return Err(RawError::new(
                e.span,
                format!("'$left.{n}' / '$right.{n}' can only be used in a join's 'on' clause"),
            ))
        }
        ExprKind::Neg(x) => {
            let (c, t) = compile(x, scope)?;
            (CE::Neg(Box::new(c)), t)
        }
        ExprKind::Member(x, name) => {
            let (c, _) = compile(x, scope)?;
            (CE::Member(Box::new(c), name.clone()), Type::Dynamic)
        }
        ExprKind::Index(x, i) => {
            let (c, _) = compile(x, scope)?;
            let (ic, _) = compile(i, scope)?;
            (CE::Index(Box::new(c), Box::new(ic)), Type::Dynamic)
        }
        ExprKind::Binary(BinOp::Str(sop, neg), l, r)
            if matches!(l.kind, ExprKind::Star) && *sop != StrOp::MatchesRegex =>
        {
            let (rc, _) = compile(r, scope)?;
            (
                CE::AnyColumn {
                    op: *sop,
                    neg: *neg,
                    ncols: scope.columns.len(),
                    rhs: Box::new(rc),
                },
                Type::Bool,
            )
        }
        ExprKind::Chain(first, rest) => {
            let op = rest.first().map(|r| r.0).unwrap_or(BinOp::Add);
            if matches!(op, BinOp::And | BinOp::Or) {
                let terms: Vec<&Expr> = std::iter::once(&**first)
                    .chain(rest.iter().map(|(_, e)| e))
                    .collect();
                (
                    fold(compile_logic(op, &terms, scope)?, scope.env, e.span)?,
                    Type::Bool,
                )
            } else {
                let (fc, mut ty) = compile(first, scope)?;
                let mut cs = Vec::with_capacity(rest.len());
                for (op, x) in rest {
                    let (c, t) = compile(x, scope)?;
                    ty = arith_type(*op, ty, t);
                    cs.push((*op, c));
                }
                (fold(CE::Fold(Box::new(fc), cs), scope.env, e.span)?, ty)
            }
        }
        ExprKind::Binary(op @ (BinOp::And | BinOp::Or), l, r) => (
            fold(compile_logic(*op, &[l, r], scope)?, scope.env, e.span)?,
            Type::Bool,
        ),
        ExprKind::Binary(op, l, r) => {
            let (lc, lt) = compile(l, scope)?;
            let (rc, rt) = compile(r, scope)?;
            if let BinOp::Str(StrOp::MatchesRegex, _) = op {
                let re = functions::const_regex(&rc, r.span)?;
                return Ok((CE::Regex(Box::new(lc), re), Type::Bool));
            }
            let ty = match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                    arith_type(*op, lt, rt)
                }
                _ => Type::Bool,
            };
            let folded = CE::Bin(*op, Box::new(lc), Box::new(rc));
            (fold(folded, scope.env, e.span)?, ty)
        }
        ExprKind::In {
            expr,
            list,
            negated,
            ci,
        } => {
            let (c, _) = compile(expr, scope)?;
            let items = compile_list(list, scope)?;
            if items.iter().all(|i| matches!(i, CE::Const(_))) {
                let mut vals = Vec::new();
                for i in &items {
                    if let CE::Const(v) = i {
                        flatten_const(v, &mut vals);
                    }
                }
                let set: HashSet<Value> = vals
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(|v| set_key(v, *ci))
                    .collect();
                (
                    CE::InSet {
                        e: Box::new(c),
                        set: Arc::new(set),
                        neg: *negated,
                        ci: *ci,
                    },
                    Type::Bool,
                )
            } else {
                (
                    CE::InList {
                        e: Box::new(c),
                        list: items,
                        neg: *negated,
                        ci: *ci,
                    },
                    Type::Bool,
                )
            }
        }
        ExprKind::HasAny { expr, list, all } => {
            let (c, _) = compile(expr, scope)?;
            (
                CE::HasAny {
                    e: Box::new(c),
                    list: compile_list(list, scope)?,
                    all: *all,
                },
                Type::Bool,
            )
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            let (c, _) = compile(expr, scope)?;
            let (l, _) = compile(lo, scope)?;
            let (h, _) = compile(hi, scope)?;
            (
                CE::Between {
                    e: Box::new(c),
                    lo: Box::new(fold(l, scope.env, lo.span)?),
                    hi: Box::new(fold(h, scope.env, hi.span)?),
                    neg: *negated,
                },
                Type::Bool,
            )
        }
        ExprKind::Call(name, args) => compile_call(name, args, e.span, scope)?,
    })
}

fn compile_call(name: &str, args: &[Expr], span: Span, scope: &Scope) -> Res<(CE, Type)> {
    let name_span = (span.0, span.0 + name.len());
    let Some(def) = functions::lookup(name) else {
        if aggregates::lookup(name).is_some() {
            return Err(RawError::new(
                span,
                format!("aggregation '{name}()' can only be used in summarize"),
            ));
        }
        return Err(functions::unknown_function(name, name_span));
    };
    if !def.supported() {
        return Err(RawError::new(
            name_span,
            format!(
                "function '{name}' is not supported yet: {}",
                def.signature()
            ),
        ));
    }
    // `estimate_data_size(*)`: every column.
    let all_columns: Vec<Expr>;
    let args =
        if name == "estimate_data_size" && args.iter().any(|a| matches!(a.kind, ExprKind::Star)) {
            all_columns = args
                .iter()
                .flat_map(|a| match a.kind {
                    ExprKind::Star => scope
                        .columns
                        .iter()
                        .map(|(n, _)| Expr {
                            kind: ExprKind::Name(n.clone()),
                            span: a.span,
                        })
                        .collect(),
                    _ => vec![a.clone()],
                })
                .collect();
            &all_columns[..]
        } else {
            args
        };
    functions::check_arity(def, name, args.len(), span)?;
    if let Imp::Special = def.imp {
        if functions::window::is_row_function(def.name) {
            return compile_row_function(def, args, span, scope);
        }
        return compile_special(def.name, args, span, scope);
    }
    let mut cs = Vec::with_capacity(args.len());
    let mut ts = Vec::with_capacity(args.len());
    for a in args {
        let (c, t) = compile(a, scope)?;
        cs.push(c);
        ts.push(t);
    }
    if let Imp::Checked(check, _) = def.imp {
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        check(&cs, &spans)?;
    }
    let ty = def.result_type(&ts);
    Ok((fold(CE::Call(def, cs, span), scope.env, span)?, ty))
}

/// `prev(x)`, `row_number()`, …: the arguments evaluated over the whole batch, then the
/// function's column computed at once.
fn compile_row_function(
    def: &'static FnDef,
    args: &[Expr],
    span: Span,
    scope: &Scope,
) -> Res<(CE, Type)> {
    let Some(rows) = scope.rows else {
        return Err(RawError::new(
            span,
            format!(
                "{}() needs a row set to run over (use it in extend, project, where or serialize)",
                def.name
            ),
        ));
    };
    let mut cols = Vec::with_capacity(args.len());
    let mut types = Vec::with_capacity(args.len());
    for a in args {
        let (c, t) = compile(a, scope)?;
        cols.push(rows(&c));
        types.push(t);
    }
    let out = functions::window::compute(def.name, &cols, scope.len);
    let ty = match def.name {
        "row_cumsum" if types.first() == Some(&Type::Int) => Type::Long,
        _ => def.result_type(&types),
    };
    Ok((CE::Rows(Arc::new(out)), ty))
}

/// Functions the compiler handles itself.
fn compile_special(name: &str, args: &[Expr], span: Span, scope: &Scope) -> Res<(CE, Type)> {
    match name {
        "column_ifexists" => {
            let col = match &args[0].kind {
                ExprKind::Lit(Value::String(c)) => c.to_string(),
                _ => {
                    return Err(RawError::new(
                        args[0].span,
                        "column_ifexists needs the column name as a string literal",
                    ))
                }
            };
            match scope.col(&col) {
                Some(i) => Ok((CE::Col(i), scope.columns[i].1)),
                None => compile(&args[1], scope),
            }
        }
        "pack_all" => {
            let skip_empty = match args.first().map(|a| &a.kind) {
                None => false,
                Some(ExprKind::Lit(Value::Bool(b))) => *b,
                Some(_) => {
                    return Err(RawError::new(
                        args[0].span,
                        "pack_all needs ignore_null_empty as true or false",
                    ))
                }
            };
            let pairs = scope
                .columns
                .iter()
                .enumerate()
                .flat_map(|(i, (n, _))| [CE::Const(Value::str(n)), CE::Col(i)])
                .collect();
            let def = if skip_empty {
                &functions::dynamic::PACK_NON_EMPTY
            } else {
                &functions::dynamic::PACK_EVERY
            };
            Ok((CE::Call(def, pairs, span), Type::Dynamic))
        }
        other => Err(RawError::new(
            span,
            format!("function '{other}' cannot be used here"),
        )),
    }
}

/// Functions that give a new value each time they are called (never folded to a constant).
const VOLATILE: &[&str] = &["rand", "new_guid"];

/// Evaluate constant sub-expressions once (ago(30d), literals in comparisons); a limit hit
/// while folding is an error here.
fn fold(c: CE, env: &Env, span: Span) -> Res<CE> {
    let constant = match &c {
        // A new value each row.
        CE::Call(def, _, _) if VOLATILE.contains(&def.name) => false,
        CE::Call(_, args, _) | CE::Logic(_, args) => args.iter().all(|a| matches!(a, CE::Const(_))),
        CE::Bin(_, l, r) => matches!(**l, CE::Const(_)) && matches!(**r, CE::Const(_)),
        CE::Fold(first, rest) => {
            matches!(**first, CE::Const(_)) && rest.iter().all(|(_, a)| matches!(a, CE::Const(_)))
        }
        _ => false,
    };
    if !constant {
        return Ok(c);
    }
    let row = Row {
        get: &|_| Value::Null,
        env,
        at: 0,
    };
    let v = eval(&c, &row);
    match env.take_error(span) {
        Some(e) => Err(e),
        None => Ok(CE::Const(v)),
    }
}

/// `a or b or …` / `a and b and …`. In an `or` run, equality tests of one string column
/// against string literals (`Ip == "1.2.3.4" or Ip == "5.6.7.8" or …`, an indicator hunt)
/// become one set lookup.
fn compile_logic(op: BinOp, terms: &[&Expr], scope: &Scope) -> Res<CE> {
    let mut out: Vec<CE> = Vec::new();
    // Column index → (position in `out`, literals).
    let mut sets: Vec<(usize, usize, HashSet<Arc<str>>)> = Vec::new();
    for t in terms {
        if op == BinOp::Or {
            if let Some((col, lit)) = string_equality(t, scope) {
                match sets.iter_mut().find(|(c, _, _)| *c == col) {
                    Some((_, _, set)) => {
                        set.insert(lit);
                    }
                    None => {
                        sets.push((col, out.len(), HashSet::from([lit])));
                        out.push(CE::Const(Value::Null)); // placeholder
                    }
                }
                continue;
            }
        }
        out.push(compile(t, scope)?.0);
    }
    for (col, at, set) in sets {
        out[at] = CE::EqAny {
            e: Box::new(CE::Col(col)),
            set: Arc::new(set),
        };
    }
    Ok(if out.len() == 1 {
        out.pop().expect("one term")
    } else {
        CE::Logic(op, out)
    })
}

/// `Col == "lit"` (either way round) on a string-typed column.
fn string_equality(e: &Expr, scope: &Scope) -> Option<(usize, Arc<str>)> {
    let ExprKind::Binary(BinOp::Eq, l, r) = &e.kind else {
        return None;
    };
    let (name, lit) = match (&l.kind, &r.kind) {
        (ExprKind::Name(n), ExprKind::Lit(Value::String(s)))
        | (ExprKind::Lit(Value::String(s)), ExprKind::Name(n)) => (n, s),
        _ => return None,
    };
    let i = scope.col(name)?;
    matches!(scope.columns[i].1, Type::String | Type::Guid).then(|| (i, lit.clone()))
}

fn arith_type(op: BinOp, l: Type, r: Type) -> Type {
    use Type::*;
    match (op, l, r) {
        (BinOp::Sub, DateTime, DateTime) => TimeSpan,
        (BinOp::Add | BinOp::Sub, DateTime, TimeSpan) | (BinOp::Add, TimeSpan, DateTime) => {
            DateTime
        }
        (BinOp::Div, TimeSpan, TimeSpan) => Real,
        (_, TimeSpan, _) | (_, _, TimeSpan) => TimeSpan,
        (_, Real, _) | (_, _, Real) => Real,
        (BinOp::Div, Long | Int, Long | Int) => Long,
        (_, Long | Int, Long | Int) => Long,
        _ => Dynamic,
    }
}
