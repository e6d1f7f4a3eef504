//! Recursive-descent parser with a nesting bound (attacker text cannot overflow the stack) and
//! errors that say what was expected where: statements and sources here, tabular operators in
//! `operators.rs`, scalar expressions in `expr.rs`.

mod expr;
mod operators;

use crate::ast::*;
use crate::error::{RawError, Res};
use crate::lexer::{Tok, Token};
use crate::value::{Type, Value};

/// Deepest nesting of parentheses, calls, operators in a row and member accesses.
pub(crate) const MAX_DEPTH: usize = 96;
/// Most operands in one run of `or`, `and`, `+`/`-` or `*`/`/`/`%` (a real indicator hunt has
/// tens of thousands of `or` terms).
pub(crate) const MAX_TERMS: usize = 250_000;

pub(crate) struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    src_len: usize,
    src: String,
    /// Names bound by tabular lets (and `as`) so far (a name followed by nothing can be a table).
    pub(super) tab_lets: Vec<String>,
    /// User functions whose body is tabular.
    tab_funcs: Vec<String>,
    /// Patterns declared so far (`declare pattern P …`), which `P(…).Path` invokes.
    patterns: Vec<String>,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Str(_) => "a string".into(),
        Tok::Long(v) => format!("'{v}'"),
        Tok::Real(v) => format!("'{v}'"),
        Tok::TimeSpan(_) => "a timespan".into(),
        Tok::Sym(s) => format!("'{s}'"),
        Tok::Raw(s) => format!("'{s}'"),
        Tok::Comment => "a comment".into(),
        Tok::Eof => "the end of the query".into(),
    }
}

/// A whole text as one scalar expression (a parameter's value), if it is one.
pub(crate) fn parse_expression(text: &str) -> Option<Expr> {
    let toks = crate::lexer::tokenize(text).ok()?;
    let mut p = Parser::new(toks, text);
    let e = p.expr().ok()?;
    (*p.peek() == Tok::Eof).then_some(e)
}

impl Parser {
    pub fn new(toks: Vec<Token>, src: &str) -> Parser {
        Parser {
            toks,
            pos: 0,
            depth: 0,
            src_len: src.len(),
            src: src.to_string(),
            tab_lets: Vec::new(),
            tab_funcs: Vec::new(),
            patterns: Vec::new(),
        }
    }

    fn at(&self, offset: usize) -> String {
        let (l, c) = crate::error::line_col(&self.src, offset);
        format!("line {l}, column {c}")
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.pos + k).min(self.toks.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos.min(self.toks.len() - 1)].span
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.1
        }
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos.min(self.toks.len() - 1)].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(x) if x.eq_ignore_ascii_case(w))
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn err_here(&self, msg: impl Into<String>, expected: &[&str]) -> RawError {
        let t = &self.toks[self.pos.min(self.toks.len() - 1)];
        let span = if t.tok == Tok::Eof {
            (self.src_len, self.src_len)
        } else {
            t.span
        };
        RawError::expected(
            span,
            format!("{}, found {}", msg.into(), describe(&t.tok)),
            expected,
        )
    }

    fn expect_sym(&mut self, s: &'static str, ctx: &str) -> Res<Span> {
        if self.is_sym(s) {
            Ok(self.bump().span)
        } else {
            Err(self.err_here(format!("expected '{s}' {ctx}"), &[s]))
        }
    }

    fn ident(&mut self, what: &str) -> Res<(String, Span)> {
        match self.peek().clone() {
            Tok::Ident(s) if !s.starts_with('!') => {
                let sp = self.bump().span;
                Ok((s, sp))
            }
            _ => Err(self.err_here(format!("expected {what}"), &[what])),
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(RawError::new(self.span(), "query is nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- statements ----

    pub fn parse_program(&mut self) -> Res<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            while self.eat_sym(";") {}
            if *self.peek() == Tok::Eof {
                break;
            }
            if self.is_word("let") {
                out.push(self.let_stmt()?);
                if !self.is_sym(";") {
                    return Err(self.err_here("expected ';' after a let statement", &[";"]));
                }
                continue;
            }
            if self.is_word("declare") && matches!(self.peek_at(1), Tok::Ident(w) if w == "pattern")
            {
                out.push(self.pattern_stmt()?);
                if !self.is_sym(";") {
                    return Err(self.err_here("expected ';' after a pattern declaration", &[";"]));
                }
                continue;
            }
            let t = self.tabular()?;
            out.push(Stmt::Query(t));
            if !self.is_sym(";") && *self.peek() != Tok::Eof {
                return Err(self.unexpected_after_tabular());
            }
        }
        Ok(out)
    }

    /// `declare pattern P = (a: type, …)[path: type] { (v, …).[p] = { query }; … }` (without
    /// the closing `;`).
    fn pattern_stmt(&mut self) -> Res<Stmt> {
        self.bump();
        self.bump();
        let (name, nspan) = self.ident("a pattern name")?;
        if !self.eat_sym("=") {
            return Err(self.err_here(
                format!("expected '=' and the definition of pattern '{name}' (declaring one without rules is not supported)"),
                &["="],
            ));
        }
        let typed_names = |p: &mut Self, close: &'static str| -> Res<usize> {
            let mut n = 0;
            while !p.is_sym(close) {
                p.ident("a parameter name")?;
                p.expect_sym(":", "after a parameter name")?;
                p.ident("a type")?;
                n += 1;
                if !p.eat_sym(",") {
                    break;
                }
            }
            p.expect_sym(close, "after the parameters")?;
            Ok(n)
        };
        self.expect_sym("(", "before the pattern's parameters")?;
        let params = typed_names(self, ")")?;
        let path = if self.eat_sym("[") {
            typed_names(self, "]")?;
            true
        } else {
            false
        };
        self.expect_sym("{", "before the pattern's rules")?;
        // A rule may invoke the pattern itself.
        self.patterns.push(name.clone());
        let mut rules = Vec::new();
        while !self.is_sym("}") {
            let (args, _) = self.expr_list_in_parens()?;
            // `.["New York"]` (the lexer reads `['…']` as a quoted name).
            let rpath = if self.eat_sym(".") {
                if let Tok::Ident(p) = self.peek().clone() {
                    self.bump();
                    Some(p)
                } else {
                    self.expect_sym("[", "before a pattern path")?;
                    let e = self.expr()?;
                    self.expect_sym("]", "after a pattern path")?;
                    match e.kind {
                        ExprKind::Lit(Value::String(p)) => Some(p.to_string()),
                        _ => {
                            return Err(RawError::new(e.span, "a pattern path is a string literal"))
                        }
                    }
                }
            } else {
                None
            };
            self.expect_sym("=", "after a pattern rule's arguments")?;
            let t = self.braced_tabular("before a pattern rule's query")?;
            rules.push((args, rpath, t));
            if !self.eat_sym(";") {
                break;
            }
        }
        self.expect_sym("}", "after the pattern's rules")?;
        Ok(Stmt::Pattern(
            name,
            nspan,
            std::sync::Arc::new(PatternDecl {
                params,
                path,
                rules,
            }),
        ))
    }

    /// After `P(args)` of a declared pattern: `.Path` or `.["Path"]`.
    fn pattern_source(&mut self, name: String, args: Vec<Expr>, span: Span) -> Res<Source> {
        let mut end = span.1;
        let path = if self.eat_sym(".") {
            if self.is_sym("[") {
                self.bump();
                let e = self.expr()?;
                end = self.expect_sym("]", "after a pattern path")?.1;
                match e.kind {
                    ExprKind::Lit(Value::String(p)) => Some(p.to_string()),
                    _ => return Err(RawError::new(e.span, "a pattern path is a string literal")),
                }
            } else {
                let (p, sp) = self.ident("a pattern path")?;
                end = sp.1;
                Some(p)
            }
        } else {
            None
        };
        Ok(Source::Pattern {
            name,
            args,
            path,
            span: (span.0, end),
        })
    }

    /// `let name = scalar | tabular | (params) { body }` (without the closing `;`).
    fn let_stmt(&mut self) -> Res<Stmt> {
        self.bump();
        let (name, nspan) = self.ident("a name after 'let'")?;
        if !self.eat_sym("=") {
            return Err(self.err_here(format!("expected '=' after 'let {name}'"), &["="]));
        }
        if self.starts_function() {
            let f = self.function_decl()?;
            if matches!(f.result, FnResult::Tabular(_)) {
                self.tab_funcs.push(name.clone());
            }
            return Ok(Stmt::LetFunction(name, nspan, std::sync::Arc::new(f)));
        }
        if self.starts_tabular() {
            let t = self.tabular()?;
            self.tab_lets.push(name.clone());
            Ok(Stmt::LetTabular(name, nspan, t))
        } else {
            let e = self.expr()?;
            Ok(Stmt::LetScalar(name, nspan, e))
        }
    }

    /// `(params) {` or `view (params) {`.
    fn starts_function(&self) -> bool {
        let mut k = 0;
        if matches!(self.peek(), Tok::Ident(w) if w == "view") {
            k = 1;
        }
        if !matches!(self.peek_at(k), Tok::Sym("(")) {
            return false;
        }
        let mut depth = 0usize;
        let mut i = self.pos + k;
        while i < self.toks.len() {
            match &self.toks[i].tok {
                Tok::Sym("(") => depth += 1,
                Tok::Sym(")") => {
                    depth -= 1;
                    if depth == 0 {
                        return matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::Sym("{")));
                    }
                }
                Tok::Eof | Tok::Sym(";") | Tok::Sym("|") => return false,
                _ => {}
            }
            i += 1;
        }
        false
    }

    /// A user function: parameters, then a body of lets and one scalar or tabular result.
    fn function_decl(&mut self) -> Res<FnDecl> {
        self.enter()?;
        let r = self.function_inner();
        self.leave();
        r
    }

    fn function_inner(&mut self) -> Res<FnDecl> {
        let view = self.eat_word("view");
        let open = self.expect_sym("(", "before the parameters")?;
        let mut params = Vec::new();
        while !self.is_sym(")") {
            let (name, _) = self.ident("a parameter name")?;
            self.expect_sym(":", "after a parameter name")?;
            let (tabular, ty) = if self.is_sym("(") {
                // A table parameter: `(*)` or `(col: type, …)`.
                let popen = self.bump().span;
                let mut depth = 1usize;
                while depth > 0 {
                    match self.bump().tok {
                        Tok::Sym("(") => depth += 1,
                        Tok::Sym(")") => depth -= 1,
                        Tok::Eof => {
                            return Err(RawError::expected(
                                popen,
                                "unbalanced parenthesis: this '(' is never closed",
                                &[")"],
                            ))
                        }
                        _ => {}
                    }
                }
                (true, None)
            } else {
                let (t, tsp) = self.ident("a type")?;
                let ty = parse_type(&t).ok_or_else(|| {
                    RawError::expected(
                        tsp,
                        format!("unknown type '{t}'"),
                        &[
                            "string", "long", "real", "bool", "datetime", "timespan", "dynamic",
                        ],
                    )
                })?;
                (false, Some(ty))
            };
            let default = if self.eat_sym("=") {
                Some(self.expr()?)
            } else {
                None
            };
            params.push(FnParam {
                name,
                tabular,
                ty,
                default,
            });
            if !self.eat_sym(",") {
                break;
            }
        }
        self.close_paren(open)?;
        let brace = self.expect_sym("{", "before the function body")?;
        let saved = (self.tab_lets.clone(), self.tab_funcs.clone());
        for p in params.iter().filter(|p| p.tabular) {
            self.tab_lets.push(p.name.clone());
        }
        let body = self.function_body(brace);
        (self.tab_lets, self.tab_funcs) = saved;
        let (lets, result) = body?;
        Ok(FnDecl {
            view,
            params,
            lets,
            result,
        })
    }

    fn function_body(&mut self, brace: Span) -> Res<(Vec<Stmt>, FnResult)> {
        let mut lets = Vec::new();
        loop {
            while self.eat_sym(";") {}
            if self.is_word("let") {
                lets.push(self.let_stmt()?);
                if !self.is_sym(";") {
                    return Err(self.err_here("expected ';' after a let statement", &[";"]));
                }
                continue;
            }
            break;
        }
        if self.is_sym("}") {
            return Err(self.err_here(
                "expected the function's result (an expression or a query)",
                &["expression"],
            ));
        }
        let result = if self.starts_tabular() {
            FnResult::Tabular(self.tabular()?)
        } else {
            FnResult::Scalar(self.expr()?)
        };
        while self.eat_sym(";") {}
        if !self.eat_sym("}") {
            let at = self.at(brace.0);
            return Err(self.err_here(
                format!("expected '}}' to close the function body at {at}"),
                &["}"],
            ));
        }
        Ok((lets, result))
    }

    pub(crate) fn starts_tabular(&self) -> bool {
        match self.peek() {
            Tok::Sym("|") => true,
            Tok::Sym("(") => {
                // `(T | …)` vs a parenthesised scalar: look for a pipe before the close; a lone
                // tabular name in parentheses is tabular too.
                if let (Tok::Ident(w), Tok::Sym(")")) = (self.peek_at(1), self.peek_at(2)) {
                    if self.is_tabular_name(w) {
                        return true;
                    }
                }
                let mut depth = 0usize;
                for t in &self.toks[self.pos..] {
                    match &t.tok {
                        Tok::Sym("(") => depth += 1,
                        Tok::Sym(")") => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return false;
                            }
                        }
                        Tok::Sym("|") if depth == 1 => return true,
                        Tok::Eof | Tok::Sym(";") => return false,
                        _ => {}
                    }
                }
                false
            }
            Tok::Ident(w) => {
                let l = w.to_ascii_lowercase();
                self.is_tabular_name(w)
                    || ([
                        "union",
                        "search",
                        "datatable",
                        "print",
                        "range",
                        "find",
                        "evaluate",
                    ]
                    .contains(&l.as_str())
                        && !matches!(self.peek_at(1), Tok::Sym("(") if l == "range"))
                    || (matches!(self.peek_at(1), Tok::Sym("(")) && self.is_tabular_function(w))
                    || (matches!(self.peek_at(1), Tok::Sym("|")))
            }
            _ => false,
        }
    }

    /// A table or a tabular let / `as` name seen so far.
    pub(super) fn is_tabular_name(&self, w: &str) -> bool {
        crate::tables::is_table(w) || self.tab_lets.iter().any(|t| t == w)
    }

    /// A function known to return a table (user functions with a tabular body, `materialize`).
    pub(super) fn is_tabular_function(&self, w: &str) -> bool {
        w == "materialize"
            || w == "view"
            || self.tab_funcs.iter().any(|t| t == w)
            || self.patterns.iter().any(|t| t == w)
    }

    fn unexpected_after_tabular(&self) -> RawError {
        if let Tok::Ident(w) = self.peek() {
            if crate::ops::lookup(&w.to_ascii_lowercase()).is_some() {
                return self.err_here(
                    format!("expected '|' before '{w}' (each operator starts with a pipe)"),
                    &["|"],
                );
            }
        }
        if self.is_sym(")") {
            return self.err_here(
                "unbalanced parenthesis: ')' has no matching '('",
                &["|", ";"],
            );
        }
        self.err_here("expected '|' or the end of the query", &["|", ";"])
    }

    // ---- tabular expressions ----

    /// `{ tabular }`: a query in braces (`ctx` says where, for the error on a missing `{`).
    fn braced_tabular(&mut self, ctx: &str) -> Res<Tabular> {
        let open = self.expect_sym("{", ctx)?;
        let t = self.tabular()?;
        if !self.eat_sym("}") {
            return Err(self.err_here(
                format!("expected '}}' to close the '{{' at {}", self.at(open.0)),
                &["}"],
            ));
        }
        Ok(t)
    }

    fn tabular(&mut self) -> Res<Tabular> {
        self.enter()?;
        let r = self.tabular_inner();
        self.leave();
        r
    }

    fn tabular_inner(&mut self) -> Res<Tabular> {
        let source = self.source()?;
        let mut ops = Vec::new();
        while self.is_sym("|") {
            self.bump();
            let start = self.span().0;
            let op = self.operator()?;
            ops.push(OpAt {
                op,
                span: (start, self.prev_end()),
            });
        }
        Ok(Tabular { source, ops })
    }

    fn source(&mut self) -> Res<Source> {
        if self.is_sym("|") {
            return Ok(Source::Implicit(self.span()));
        }
        if self.is_sym("(") {
            let open = self.bump().span;
            let t = self.tabular()?;
            self.close_paren(open)?;
            return Ok(Source::Nested(Box::new(t)));
        }
        let (w, sp) = match self.peek().clone() {
            Tok::Ident(w) => (w, self.span()),
            _ => return Err(self.err_here("expected a table name or '|'", &["table name", "|"])),
        };
        match w.to_ascii_lowercase().as_str() {
            "search" => {
                self.bump();
                let (tables, pred) = self.search_body()?;
                Ok(Source::Search { tables, pred })
            }
            "union" => {
                self.bump();
                Ok(Source::Union(self.union_body()?))
            }
            "find" => {
                self.bump();
                Ok(Source::Find(Box::new(self.find_body()?)))
            }
            "print" => {
                self.bump();
                Ok(Source::Print(self.assign_list("an expression")?))
            }
            "datatable" => {
                self.bump();
                self.datatable()
            }
            "range" if matches!(self.peek_at(1), Tok::Ident(_)) => {
                self.bump();
                let (name, _) = self.ident("a column name")?;
                if !self.eat_word("from") {
                    return Err(self.err_here("expected 'from'", &["from"]));
                }
                let from = self.expr()?;
                if !self.eat_word("to") {
                    return Err(self.err_here("expected 'to'", &["to"]));
                }
                let to = self.expr()?;
                if !self.eat_word("step") {
                    return Err(self.err_here("expected 'step'", &["step"]));
                }
                let step = self.expr()?;
                Ok(Source::Range {
                    name,
                    from,
                    to,
                    step,
                })
            }
            _ => {
                self.bump();
                if self.is_sym("(") {
                    // A function returning a table: `f(1, x = 2)`, `materialize(T)`.
                    let (args, end) = self.expr_list_in_parens()?;
                    if self.patterns.contains(&w) {
                        return self.pattern_source(w, args, (sp.0, end));
                    }
                    return Ok(Source::Call {
                        name: w,
                        args,
                        span: (sp.0, end),
                    });
                }
                Ok(Source::Table(w, sp))
            }
        }
    }

    fn close_paren(&mut self, open: Span) -> Res<()> {
        if self.eat_sym(")") {
            return Ok(());
        }
        if *self.peek() == Tok::Eof {
            return Err(RawError::expected(
                open,
                "unbalanced parenthesis: this '(' is never closed; expected ')' before the end of the query",
                &[")"],
            ));
        }
        let at = self.at(open.0);
        Err(self.err_here(format!("expected ')' to close the '(' at {at}"), &[")"]))
    }

    /// `[withsource=Name] [in (T, P*, …)] [where] predicate [project-smart | project Col[: type],
    /// …[, pack_all()]]`; a bare string predicate is `* has "term"`.
    fn find_body(&mut self) -> Res<Find> {
        let mut withsource = None;
        if matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case("withsource"))
            && matches!(self.peek_at(1), Tok::Sym("="))
        {
            self.bump();
            self.bump();
            withsource = Some(self.ident("a column name after 'withsource='")?.0);
        }
        let mut tables = Vec::new();
        if self.eat_word("in") {
            let open = self.expect_sym("(", "after 'find in'")?;
            tables = self.name_patterns()?;
            self.close_paren(open)?;
        }
        self.eat_word("where");
        let pred = match self.peek().clone() {
            Tok::Str(term)
                if matches!(self.peek_at(1), Tok::Eof | Tok::Sym("|" | ";" | ")"))
                    || matches!(self.peek_at(1), Tok::Ident(w) if w.starts_with("project")) =>
            {
                let sp = self.bump().span;
                let star = Expr {
                    kind: ExprKind::Star,
                    span: sp,
                };
                let lit = Expr {
                    kind: ExprKind::Lit(crate::value::Value::str(&term)),
                    span: sp,
                };
                Expr {
                    kind: ExprKind::Binary(
                        BinOp::Str(StrOp::Has { cs: false }, false),
                        Box::new(star),
                        Box::new(lit),
                    ),
                    span: sp,
                }
            }
            _ => self.expr()?,
        };
        let mut project = None;
        let mut pack_all = false;
        if self.eat_word("project-smart") {
        } else if self.eat_word("project") {
            let mut cols = Vec::new();
            loop {
                if self.is_word("pack_all") && matches!(self.peek_at(1), Tok::Sym("(")) {
                    self.bump();
                    let open = self.expect_sym("(", "after pack_all")?;
                    self.close_paren(open)?;
                    pack_all = true;
                } else {
                    let (name, sp) = self.ident("a column name")?;
                    let ty = if self.eat_sym(":") {
                        let (t, tsp) = self.ident("a type")?;
                        Some(
                            parse_type(&t)
                                .ok_or_else(|| RawError::new(tsp, format!("unknown type '{t}'")))?,
                        )
                    } else {
                        None
                    };
                    cols.push((name, sp, ty));
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
            project = Some(cols);
        }
        Ok(Find {
            withsource,
            tables,
            pred,
            project,
            pack_all,
        })
    }

    fn search_body(&mut self) -> Res<(Vec<(String, Span)>, Expr)> {
        let mut tables = Vec::new();
        if self.eat_word("in") {
            let open = self.expect_sym("(", "after 'search in'")?;
            loop {
                tables.push(self.ident("a table name")?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.close_paren(open)?;
        }
        let pred = if self.is_sym("*") {
            let sp = self.bump().span;
            Expr {
                kind: ExprKind::Star,
                span: sp,
            }
        } else {
            self.expr()?
        };
        Ok((tables, pred))
    }

    /// `[kind=…] [withsource=Name] [isfuzzy=…] T1, (T2 | …), f(…), *`.
    pub(super) fn union_body(&mut self) -> Res<Union> {
        let mut items = Vec::new();
        let mut withsource = None;
        while matches!(self.peek(), Tok::Ident(w) if ["kind", "withsource", "isfuzzy"].contains(&w.to_ascii_lowercase().as_str()))
            && matches!(self.peek_at(1), Tok::Sym("="))
        {
            let opt = self.bump();
            self.bump();
            let v = self.bump();
            if matches!(&opt.tok, Tok::Ident(w) if w.eq_ignore_ascii_case("withsource")) {
                match v.tok {
                    Tok::Ident(n) => withsource = Some(n),
                    _ => {
                        return Err(RawError::new(
                            v.span,
                            "expected a column name after 'withsource='",
                        ))
                    }
                }
            }
        }
        loop {
            if self.is_sym("(") {
                let open = self.bump().span;
                let t = self.tabular()?;
                self.close_paren(open)?;
                items.push(t);
            } else if self.is_sym("*") {
                let sp = self.bump().span;
                items.push(Tabular {
                    source: Source::AllTables(sp),
                    ops: Vec::new(),
                });
            } else {
                let (name, sp) = self.ident("a table name")?;
                let source = if self.is_sym("(") {
                    let (args, end) = self.expr_list_in_parens()?;
                    if self.patterns.contains(&name) {
                        self.pattern_source(name, args, (sp.0, end))?
                    } else {
                        Source::Call {
                            name,
                            args,
                            span: (sp.0, end),
                        }
                    }
                } else {
                    Source::Table(name, sp)
                };
                items.push(Tabular {
                    source,
                    ops: Vec::new(),
                });
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(Union { withsource, items })
    }

    fn datatable(&mut self) -> Res<Source> {
        let open = self.expect_sym("(", "after 'datatable'")?;
        let mut columns = Vec::new();
        loop {
            let (name, _) = self.ident("a column name")?;
            self.expect_sym(":", "between a column name and its type")?;
            let (ty, tsp) = self.ident("a type")?;
            let ty = parse_type(&ty).ok_or_else(|| {
                RawError::expected(
                    tsp,
                    format!("unknown type '{ty}'"),
                    &[
                        "string", "long", "int", "real", "bool", "datetime", "timespan", "dynamic",
                        "guid",
                    ],
                )
            })?;
            columns.push((name, ty));
            if !self.eat_sym(",") {
                break;
            }
        }
        self.close_paren(open)?;
        let open = self.expect_sym("[", "before the datatable's values")?;
        let mut values = Vec::new();
        while !self.is_sym("]") {
            let e = self.expr()?;
            let v = crate::exec::const_eval(&e)?;
            values.push(v);
            if !self.eat_sym(",") {
                break;
            }
        }
        if !self.eat_sym("]") {
            return Err(self.err_here(
                format!("expected ']' to close the '[' at {}", self.at(open.0)),
                &["]"],
            ));
        }
        if !columns.is_empty() && values.len() % columns.len() != 0 {
            return Err(RawError::new(
                open,
                format!(
                    "datatable has {} values, not a multiple of its {} columns",
                    values.len(),
                    columns.len()
                ),
            ));
        }
        Ok(Source::DataTable { columns, values })
    }
}

impl Parser {
    /// An optional `: type` after a column name (`string` when absent).
    pub(super) fn opt_type(&mut self) -> Res<Type> {
        if !self.eat_sym(":") {
            return Ok(Type::String);
        }
        let (t, tsp) = self.ident("a type")?;
        parse_type(&t).ok_or_else(|| {
            RawError::expected(
                tsp,
                format!("unknown type '{t}'"),
                &["string", "long", "real", "datetime"],
            )
        })
    }
}

pub(crate) fn parse_type(t: &str) -> Option<Type> {
    Some(match t.to_ascii_lowercase().as_str() {
        "string" => Type::String,
        "long" => Type::Long,
        "int" => Type::Int,
        "real" | "double" => Type::Real,
        "bool" | "boolean" => Type::Bool,
        "datetime" | "date" => Type::DateTime,
        "timespan" | "time" => Type::TimeSpan,
        "dynamic" => Type::Dynamic,
        "guid" | "uniqueid" => Type::Guid,
        _ => return None,
    })
}
