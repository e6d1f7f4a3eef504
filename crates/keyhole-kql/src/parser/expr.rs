//! Scalar expressions, by precedence: or, and, comparisons and string operators, + -, * / %,
//! unary minus, member access and indexing, primaries (literals, names, calls, `dynamic(…)`).

use super::{Parser, MAX_DEPTH, MAX_TERMS};
use crate::ast::*;
use crate::error::{RawError, Res};
use crate::lexer::Tok;
use crate::value::Value;
use keyhole_core::Timestamp;

impl Parser {
    // ---- expressions ----

    pub fn expr(&mut self) -> Res<Expr> {
        self.enter()?;
        let r = self.or_expr();
        self.leave();
        r
    }

    pub(super) fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
        let span = (l.span.0, r.span.1);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    pub(super) fn or_expr(&mut self) -> Res<Expr> {
        self.chain(
            |p| p.is_word("or").then_some(BinOp::Or),
            Self::and_expr,
            "or",
        )
    }

    pub(super) fn and_expr(&mut self) -> Res<Expr> {
        self.chain(
            |p| p.is_word("and").then_some(BinOp::And),
            Self::cmp_expr,
            "and",
        )
    }

    /// A run of one precedence level's left-associative operators (`a or b or …`, `1 + 2 - 3`),
    /// kept flat: a 100,000-term indicator hunt is one node with 100,000 operands, not a tree
    /// 100,000 deep (which would overflow the stack when compiled, evaluated or dropped).
    fn chain(
        &mut self,
        op_here: fn(&Parser) -> Option<BinOp>,
        operand: fn(&mut Parser) -> Res<Expr>,
        what: &str,
    ) -> Res<Expr> {
        let first = operand(self)?;
        let mut rest: Vec<(BinOp, Expr)> = Vec::new();
        while let Some(op) = op_here(self) {
            let at = self.bump().span;
            if rest.len() + 1 >= MAX_TERMS {
                return Err(RawError::new(
                    at,
                    format!(
                        "too many terms: more than {MAX_TERMS} operands joined by '{what}' in one expression"
                    ),
                ));
            }
            rest.push((op, operand(self)?));
        }
        Ok(match rest.len() {
            0 => first,
            1 => {
                let (op, r) = rest.pop().expect("one operand");
                Self::bin(op, first, r)
            }
            _ => {
                let span = (first.span.0, rest.last().map(|r| r.1.span.1).unwrap_or(0));
                Expr {
                    kind: ExprKind::Chain(Box::new(first), rest),
                    span,
                }
            }
        })
    }

    pub(super) fn expr_list_in_parens(&mut self) -> Res<(Vec<Expr>, usize)> {
        let open = self.expect_sym("(", "before the list")?;
        let mut v = Vec::new();
        if !self.is_sym(")") {
            loop {
                // A tabular argument: `x in (T | project y)`, `toscalar(T | count)`.
                let tabular = match self.peek() {
                    Tok::Sym("(") => self.starts_tabular(),
                    Tok::Sym("|") => true,
                    Tok::Ident(w) => {
                        let l = w.to_ascii_lowercase();
                        (self.is_tabular_name(w)
                            && matches!(self.peek_at(1), Tok::Sym(")") | Tok::Sym(",")))
                            || matches!(self.peek_at(1), Tok::Sym("|"))
                            || (matches!(self.peek_at(1), Tok::Sym("("))
                                && self.is_tabular_function(w))
                            || (["print", "datatable", "union", "range"].contains(&l.as_str())
                                && self.starts_tabular())
                    }
                    _ => false,
                };
                if tabular {
                    let start = self.span().0;
                    let t = self.tabular()?;
                    v.push(Expr {
                        kind: ExprKind::Subquery(Box::new(t)),
                        span: (start, self.prev_end()),
                    });
                } else if matches!(self.peek(), Tok::Ident(_))
                    && matches!(self.peek_at(1), Tok::Sym("="))
                {
                    // A named argument: `f(c = 7)`.
                    let (name, nsp) = self.ident("a parameter name")?;
                    self.bump();
                    let e = self.expr()?;
                    let span = (nsp.0, e.span.1);
                    v.push(Expr {
                        kind: ExprKind::Named(name, Box::new(e)),
                        span,
                    });
                } else {
                    v.push(self.expr()?);
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let end = self.span().1;
        self.close_paren(open)?;
        Ok((v, end))
    }

    /// Comparisons and string operators. Each operator in a row (`a == b == c`, `x in (…) in
    /// (…)`) nests the tree one level deeper, so each counts against the nesting bound.
    pub(super) fn cmp_expr(&mut self) -> Res<Expr> {
        let mut entered = 0;
        let r = self.cmp_chain(&mut entered);
        for _ in 0..entered {
            self.leave();
        }
        r
    }

    fn cmp_chain(&mut self, entered: &mut usize) -> Res<Expr> {
        let mut l = self.add_expr()?;
        loop {
            let op = match self.peek().clone() {
                Tok::Sym("==") => BinOp::Eq,
                Tok::Sym("!=") | Tok::Sym("<>") => BinOp::Ne,
                Tok::Sym("=~") => BinOp::EqCi,
                Tok::Sym("!~") => BinOp::NeCi,
                Tok::Sym("<") => BinOp::Lt,
                Tok::Sym("<=") => BinOp::Le,
                Tok::Sym(">") => BinOp::Gt,
                Tok::Sym(">=") => BinOp::Ge,
                Tok::Sym("=") => {
                    return Err(self.err_here("'=' assigns; use '==' to compare", &["=="]));
                }
                Tok::Ident(w) => {
                    let lw = w.to_ascii_lowercase();
                    let (neg, base) = match lw.strip_prefix('!') {
                        Some(b) => (true, b.to_string()),
                        None => (false, lw.clone()),
                    };
                    match base.as_str() {
                        "in" | "in~" => {
                            self.bump();
                            let (list, end) = self.expr_list_in_parens()?;
                            let span = (l.span.0, end);
                            l = Expr {
                                kind: ExprKind::In {
                                    expr: Box::new(l),
                                    list,
                                    negated: neg,
                                    ci: base == "in~",
                                },
                                span,
                            };
                            self.enter()?;
                            *entered += 1;
                            continue;
                        }
                        "has_any" | "has_all" if !neg => {
                            self.bump();
                            let (list, end) = self.expr_list_in_parens()?;
                            let span = (l.span.0, end);
                            l = Expr {
                                kind: ExprKind::HasAny {
                                    expr: Box::new(l),
                                    list,
                                    all: base == "has_all",
                                },
                                span,
                            };
                            self.enter()?;
                            *entered += 1;
                            continue;
                        }
                        "between" => {
                            self.bump();
                            let open = self.expect_sym("(", "after 'between'")?;
                            let lo = self.add_expr()?;
                            if !self.eat_sym("..") {
                                return Err(self
                                    .err_here("expected '..' in between (low .. high)", &[".."]));
                            }
                            let hi = self.add_expr()?;
                            let end = self.span().1;
                            self.close_paren(open)?;
                            let span = (l.span.0, end);
                            l = Expr {
                                kind: ExprKind::Between {
                                    expr: Box::new(l),
                                    lo: Box::new(lo),
                                    hi: Box::new(hi),
                                    negated: neg,
                                },
                                span,
                            };
                            self.enter()?;
                            *entered += 1;
                            continue;
                        }
                        "matches" if !neg => {
                            self.bump();
                            if !self.is_word("regex") {
                                return Err(
                                    self.err_here("expected 'regex' after 'matches'", &["regex"])
                                );
                            }
                            BinOp::Str(StrOp::MatchesRegex, false)
                        }
                        _ => {
                            let sop = match base.as_str() {
                                "has" => StrOp::Has { cs: false },
                                "has_cs" => StrOp::Has { cs: true },
                                "contains" => StrOp::Contains { cs: false },
                                "contains_cs" => StrOp::Contains { cs: true },
                                "startswith" => StrOp::StartsWith { cs: false },
                                "startswith_cs" => StrOp::StartsWith { cs: true },
                                "endswith" => StrOp::EndsWith { cs: false },
                                "endswith_cs" => StrOp::EndsWith { cs: true },
                                "hasprefix" => StrOp::HasPrefix,
                                "hassuffix" => StrOp::HasSuffix,
                                _ => break,
                            };
                            self.bump();
                            let r = self.add_expr()?;
                            l = Self::bin(BinOp::Str(sop, neg), l, r);
                            self.enter()?;
                            *entered += 1;
                            continue;
                        }
                    }
                }
                _ => break,
            };
            self.bump();
            let r = self.add_expr()?;
            l = Self::bin(op, l, r);
            self.enter()?;
            *entered += 1;
        }
        Ok(l)
    }

    pub(super) fn add_expr(&mut self) -> Res<Expr> {
        self.chain(
            |p| {
                if p.is_sym("+") {
                    Some(BinOp::Add)
                } else if p.is_sym("-") {
                    Some(BinOp::Sub)
                } else {
                    None
                }
            },
            Self::mul_expr,
            "+ or -",
        )
    }

    pub(super) fn mul_expr(&mut self) -> Res<Expr> {
        self.chain(
            |p| {
                if p.is_sym("*") {
                    Some(BinOp::Mul)
                } else if p.is_sym("/") {
                    Some(BinOp::Div)
                } else if p.is_sym("%") {
                    Some(BinOp::Mod)
                } else {
                    None
                }
            },
            Self::unary,
            "*, / or %",
        )
    }

    pub(super) fn unary(&mut self) -> Res<Expr> {
        if self.is_sym("-") {
            let sp = self.bump().span;
            self.enter()?;
            let e = self.unary();
            self.leave();
            let e = e?;
            let span = (sp.0, e.span.1);
            return Ok(match e.kind {
                ExprKind::Lit(Value::Long(v)) => Expr {
                    kind: ExprKind::Lit(Value::Long(v.wrapping_neg())),
                    span,
                },
                ExprKind::Lit(Value::Real(v)) => Expr {
                    kind: ExprKind::Lit(Value::Real(-v)),
                    span,
                },
                ExprKind::Lit(Value::TimeSpan(v)) => Expr {
                    kind: ExprKind::Lit(Value::TimeSpan(-v)),
                    span,
                },
                _ => Expr {
                    kind: ExprKind::Neg(Box::new(e)),
                    span,
                },
            });
        }
        if self.is_sym("+") {
            self.bump();
        }
        self.postfix()
    }

    /// Member access and indexing; each step nests the tree, so each counts against the
    /// nesting bound.
    pub(super) fn postfix(&mut self) -> Res<Expr> {
        let mut entered = 0;
        let r = self.postfix_chain(&mut entered);
        for _ in 0..entered {
            self.leave();
        }
        r
    }

    fn postfix_chain(&mut self, entered: &mut usize) -> Res<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.is_sym(".") || self.is_sym("[") {
                self.enter()?;
                *entered += 1;
            }
            if self.is_sym(".") {
                self.bump();
                // `x.[expr]` is `x[expr]` (the parse_urlquery documentation's
                // `params["Query Parameters"].[param]`).
                if self.is_sym("[") {
                    continue;
                }
                let (name, sp) = match self.peek().clone() {
                    Tok::Ident(n) => (n, self.bump().span),
                    Tok::Long(v) => (v.to_string(), self.bump().span),
                    _ => {
                        return Err(
                            self.err_here("expected a property name after '.'", &["property name"])
                        )
                    }
                };
                let span = (e.span.0, sp.1);
                e = Expr {
                    kind: ExprKind::Member(Box::new(e), name),
                    span,
                };
            } else if self.is_sym("[") {
                let open = self.bump().span;
                let idx = self.expr()?;
                let end = self.span().1;
                if !self.eat_sym("]") {
                    return Err(self.err_here(
                        format!("expected ']' to close the '[' at {}", self.at(open.0)),
                        &["]"],
                    ));
                }
                let span = (e.span.0, end);
                e = Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(idx)),
                    span,
                };
            } else {
                break;
            }
        }
        Ok(e)
    }

    pub(super) fn primary(&mut self) -> Res<Expr> {
        let t = self.peek().clone();
        let sp = self.span();
        let lit = |v: Value, sp: Span| {
            Ok(Expr {
                kind: ExprKind::Lit(v),
                span: sp,
            })
        };
        match t {
            Tok::Long(v) => {
                self.bump();
                lit(Value::Long(v), sp)
            }
            Tok::Real(v) => {
                self.bump();
                lit(Value::Real(v), sp)
            }
            Tok::TimeSpan(v) => {
                self.bump();
                lit(Value::TimeSpan(v), sp)
            }
            Tok::Str(s) => {
                self.bump();
                lit(Value::str(&s), sp)
            }
            Tok::Sym("(") => {
                let open = self.bump().span;
                let e = self.expr()?;
                let end = self.span().1;
                self.close_paren(open)?;
                Ok(Expr {
                    kind: e.kind,
                    span: (open.0, end),
                })
            }
            Tok::Sym("*") => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Star,
                    span: sp,
                })
            }
            Tok::Ident(w) if w == "$left" || w == "$right" => {
                self.bump();
                self.expect_sym(".", &format!("after '{w}'"))?;
                let (name, nsp) = self.ident("a column name")?;
                Ok(Expr {
                    kind: ExprKind::Side(w == "$left", name),
                    span: (sp.0, nsp.1),
                })
            }
            Tok::Ident(w) if !w.starts_with('!') => {
                let lw = w.to_ascii_lowercase();
                if lw == "true" && !matches!(self.peek_at(1), Tok::Sym("(")) {
                    self.bump();
                    return lit(Value::Bool(true), sp);
                }
                if lw == "false" && !matches!(self.peek_at(1), Tok::Sym("(")) {
                    self.bump();
                    return lit(Value::Bool(false), sp);
                }
                if lw == "null" && !matches!(self.peek_at(1), Tok::Sym("(")) {
                    self.bump();
                    return lit(Value::Null, sp);
                }
                self.bump();
                if self.is_sym("(") {
                    match lw.as_str() {
                        "dynamic" => {
                            let open = self.bump().span;
                            let v = self.json_value(0)?;
                            let end = self.span().1;
                            self.close_paren(open)?;
                            return lit(Value::dynamic(v), (sp.0, end));
                        }
                        "typeof" => {
                            // `typeof(long)`: a type, as its name.
                            let open = self.bump().span;
                            let (t, tsp) = self.ident("a type")?;
                            let ty = super::parse_type(&t).ok_or_else(|| {
                                RawError::expected(
                                    tsp,
                                    format!("unknown type '{t}'"),
                                    &["string", "long", "real", "datetime", "dynamic"],
                                )
                            })?;
                            let end = self.span().1;
                            self.close_paren(open)?;
                            return lit(Value::str(ty.name()), (sp.0, end));
                        }
                        "datetime" | "guid" => {
                            self.bump();
                            let (raw, rsp) = match self.peek().clone() {
                                Tok::Raw(r) => (r, self.bump().span),
                                _ => {
                                    return Err(self.err_here(
                                        format!("expected a {lw} literal"),
                                        &[lw.as_str()],
                                    ))
                                }
                            };
                            let end = self.expect_sym(")", &format!("to close {lw}("))?.1;
                            let v = if raw == "null" || raw.is_empty() {
                                Value::Null
                            } else if lw == "guid" {
                                Value::str(&raw)
                            } else {
                                Value::DateTime(
                                    crate::functions::parse_datetime(&raw)
                                        .map(Timestamp::from_micros)
                                        .ok_or_else(|| {
                                            RawError::expected(
                                                rsp,
                                                format!("invalid datetime literal '{raw}'"),
                                                &["2024-04-03T14:03:10Z"],
                                            )
                                        })?,
                                )
                            };
                            return lit(v, (sp.0, end));
                        }
                        "timespan" | "time" if matches!(self.peek_at(1), Tok::Raw(_)) => {
                            self.bump();
                            let raw = match self.peek().clone() {
                                Tok::Raw(r) => r,
                                _ => String::new(),
                            };
                            let rsp = self.bump().span;
                            let end = self.expect_sym(")", &format!("to close {lw}("))?.1;
                            let v = crate::functions::parse_timespan(&raw).ok_or_else(|| {
                                RawError::expected(
                                    rsp,
                                    format!("invalid timespan literal '{raw}'"),
                                    &["1.02:03:04.5"],
                                )
                            })?;
                            return lit(Value::TimeSpan(v), (sp.0, end));
                        }
                        "timespan" | "time"
                            if matches!(self.peek_at(1), Tok::TimeSpan(_) | Tok::Long(_))
                                && matches!(self.peek_at(2), Tok::Sym(")")) =>
                        {
                            self.bump();
                            let v = match self.bump().tok {
                                Tok::TimeSpan(v) => v,
                                Tok::Long(v) => {
                                    v.saturating_mul(keyhole_core::time::MICROS_PER_DAY)
                                }
                                _ => 0,
                            };
                            let end = self.bump().span.1;
                            return lit(Value::TimeSpan(v), (sp.0, end));
                        }
                        _ => {}
                    }
                    let (args, end) = self.expr_list_in_parens()?;
                    return Ok(Expr {
                        kind: ExprKind::Call(lw_if_known(&w), args),
                        span: (sp.0, end),
                    });
                }
                Ok(Expr {
                    kind: ExprKind::Name(w),
                    span: sp,
                })
            }
            Tok::Eof => Err(self.err_here("expected an expression", &["expression"])),
            _ => Err(self.err_here("expected an expression", &["expression"])),
        }
    }

    /// The inside of `dynamic(…)`: JSON-like (arrays, objects, strings, numbers, bools, null).
    pub(super) fn json_value(&mut self, depth: usize) -> Res<serde_json::Value> {
        if depth > MAX_DEPTH {
            return Err(RawError::new(
                self.span(),
                "dynamic literal is nested too deeply",
            ));
        }
        let t = self.peek().clone();
        Ok(match t {
            Tok::Sym("[") => {
                let open = self.bump().span;
                let mut v = Vec::new();
                while !self.is_sym("]") {
                    v.push(self.json_value(depth + 1)?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                if !self.eat_sym("]") {
                    return Err(self.err_here(
                        format!("expected ']' to close the '[' at {}", self.at(open.0)),
                        &["]", ","],
                    ));
                }
                serde_json::Value::Array(v)
            }
            Tok::Sym("{") => {
                self.bump();
                let mut m = serde_json::Map::new();
                while !self.is_sym("}") {
                    let k = match self.bump().tok {
                        Tok::Str(s) | Tok::Ident(s) => s,
                        _ => return Err(self.err_here("expected a property name", &["\"name\""])),
                    };
                    self.expect_sym(":", "after a property name")?;
                    m.insert(k, self.json_value(depth + 1)?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.expect_sym("}", "to close '{'")?;
                serde_json::Value::Object(m)
            }
            Tok::Sym("-") => {
                self.bump();
                match self.json_value(depth + 1)? {
                    serde_json::Value::Number(n) => {
                        if let Some(i) = n.as_i64() {
                            serde_json::Value::from(-i)
                        } else {
                            serde_json::Value::from(-n.as_f64().unwrap_or(0.0))
                        }
                    }
                    _ => return Err(self.err_here("expected a number after '-'", &["number"])),
                }
            }
            Tok::Str(s) => {
                self.bump();
                serde_json::Value::String(s)
            }
            Tok::Long(v) => {
                self.bump();
                serde_json::Value::from(v)
            }
            Tok::Real(v) => {
                self.bump();
                serde_json::Value::from(v)
            }
            Tok::TimeSpan(v) => {
                self.bump();
                serde_json::Value::String(crate::value::format_timespan(v))
            }
            // `["x"]` lexes as a bracketed name; in a dynamic literal it is a one-element array.
            Tok::Ident(w) if self.src[self.span().0..].starts_with('[') => {
                self.bump();
                serde_json::Value::Array(vec![serde_json::Value::String(w)])
            }
            Tok::Ident(w) if w == "true" || w == "false" || w == "null" => {
                self.bump();
                match w.as_str() {
                    "true" => serde_json::Value::Bool(true),
                    "false" => serde_json::Value::Bool(false),
                    _ => serde_json::Value::Null,
                }
            }
            _ => {
                return Err(self.err_here(
                    "expected a dynamic value (array, object, string, number, true, false or null)",
                    &["[", "{", "string", "number"],
                ))
            }
        })
    }
}

/// Function names are case-sensitive in Kusto; we keep the name as written (the planner
/// suggests the right spelling).
fn lw_if_known(w: &str) -> String {
    w.to_string()
}
