//! Recursive-descent parser with a nesting bound (attacker text cannot overflow the stack) and
//! errors that say what was expected where.

use crate::ast::*;
use crate::error::{did_you_mean, RawError, Res};
use crate::lexer::{Tok, Token};
use crate::value::{Type, Value};
use keyhole_core::Timestamp;

const MAX_DEPTH: usize = 96;

pub(crate) struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    src_len: usize,
    src: String,
    /// Names bound by tabular lets so far (a name followed by nothing can be a table).
    tab_lets: Vec<String>,
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

const JOIN_KINDS: &[&str] = &[
    "innerunique",
    "inner",
    "leftouter",
    "rightouter",
    "fullouter",
    "leftanti",
    "anti",
    "leftantisemi",
    "rightanti",
    "rightantisemi",
    "leftsemi",
    "rightsemi",
];

impl Parser {
    pub fn new(toks: Vec<Token>, src: &str) -> Parser {
        Parser {
            toks,
            pos: 0,
            depth: 0,
            src_len: src.len(),
            src: src.to_string(),
            tab_lets: Vec::new(),
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

    pub fn parse_program(&mut self, tabular_lets: &mut Vec<String>) -> Res<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            while self.eat_sym(";") {}
            if *self.peek() == Tok::Eof {
                break;
            }
            if self.is_word("let") {
                self.bump();
                let (name, nspan) = self.ident("a name after 'let'")?;
                if !self.eat_sym("=") {
                    return Err(self.err_here(format!("expected '=' after 'let {name}'"), &["="]));
                }
                if self.starts_tabular(tabular_lets) {
                    let t = self.tabular()?;
                    tabular_lets.push(name.clone());
                    self.tab_lets.push(name.clone());
                    out.push(Stmt::LetTabular(name, nspan, t));
                } else {
                    let e = self.expr()?;
                    out.push(Stmt::LetScalar(name, nspan, e));
                }
                if !self.is_sym(";") {
                    return Err(self.err_here("expected ';' after a let statement", &[";"]));
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

    fn starts_tabular(&self, tabular_lets: &[String]) -> bool {
        match self.peek() {
            Tok::Sym("|") => true,
            Tok::Sym("(") => {
                // `(T | …)` vs a parenthesised scalar: look for a pipe before the close.
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
                crate::tables::is_table(w)
                    || tabular_lets.iter().any(|t| t == w)
                    || (["union", "search", "datatable", "print", "range"].contains(&l.as_str())
                        && !matches!(self.peek_at(1), Tok::Sym("(") if l == "range"))
                    || (matches!(self.peek_at(1), Tok::Sym("|")))
            }
            _ => false,
        }
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

    fn union_body(&mut self) -> Res<Vec<Tabular>> {
        let mut items = Vec::new();
        // Options we accept and ignore: kind=inner|outer, withsource=Name, isfuzzy=true.
        while matches!(self.peek(), Tok::Ident(w) if ["kind", "withsource", "isfuzzy"].contains(&w.to_ascii_lowercase().as_str()))
            && matches!(self.peek_at(1), Tok::Sym("="))
        {
            self.bump();
            self.bump();
            self.bump();
        }
        loop {
            if self.is_sym("(") {
                let open = self.bump().span;
                let t = self.tabular()?;
                self.close_paren(open)?;
                items.push(t);
            } else {
                let (name, sp) = self.ident("a table name")?;
                items.push(Tabular {
                    source: Source::Table(name, sp),
                    ops: Vec::new(),
                });
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(items)
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

    fn operator(&mut self) -> Res<Operator> {
        let (w, sp) = match self.peek().clone() {
            Tok::Ident(w) => (w, self.span()),
            _ => {
                return Err(self.err_here(
                    "expected a tabular operator after '|'",
                    &["where", "project", "summarize", "extend", "join", "…"],
                ))
            }
        };
        let lw = w.to_ascii_lowercase();
        self.bump();
        Ok(match lw.as_str() {
            "where" | "filter" => Operator::Where(self.expr()?),
            "project" => Operator::Project(self.assign_list("a column")?),
            "extend" => Operator::Extend(self.assign_list("an expression")?),
            "project-rename" => {
                let mut v = Vec::new();
                loop {
                    let new = self.ident("a new column name")?;
                    if !self.eat_sym("=") {
                        return Err(self.err_here(
                            "expected '=' in project-rename (NewName = OldName)",
                            &["="],
                        ));
                    }
                    let old = self.ident("an existing column name")?;
                    v.push((new, old));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                Operator::ProjectRename(v)
            }
            "project-away" => Operator::ProjectAway(self.name_patterns()?),
            "project-keep" => Operator::ProjectKeep(self.name_patterns()?),
            "project-reorder" => Operator::ProjectReorder(self.name_patterns()?),
            "summarize" => self.summarize()?,
            "join" | "lookup" => self.join(lw == "lookup")?,
            "distinct" => {
                if self.is_sym("*") {
                    self.bump();
                    Operator::Distinct(Vec::new())
                } else {
                    let mut v = Vec::new();
                    loop {
                        v.push(self.expr()?);
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    Operator::Distinct(v)
                }
            }
            "sort" | "order" => {
                if !self.eat_word("by") {
                    return Err(self.err_here(format!("expected 'by' after '{w}'"), &["by"]));
                }
                let mut keys = Vec::new();
                loop {
                    keys.push(self.sort_key()?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                Operator::Sort(keys)
            }
            "top" => {
                let n = self.expr()?;
                if !self.eat_word("by") {
                    return Err(self.err_here("expected 'by' after 'top N'", &["by"]));
                }
                Operator::Top {
                    n,
                    key: self.sort_key()?,
                }
            }
            "take" | "limit" => Operator::Take(self.expr()?),
            "count" => Operator::Count,
            "union" => Operator::Union(self.union_body()?),
            "search" => {
                let (_, pred) = self.search_body()?;
                Operator::Search(pred)
            }
            "mv-expand" => Operator::MvExpand(self.assign_list("a column")?),
            "getschema" => Operator::GetSchema,
            "parse" | "parse-where" => {
                let mut regex_kind = false;
                while self.is_word("kind") || self.is_word("flags") {
                    let opt = self.ident("an option")?.0;
                    self.expect_sym("=", "after the option")?;
                    let (v, vsp) = self.ident("a value")?;
                    if opt == "kind" {
                        regex_kind = match v.as_str() {
                            "regex" => true,
                            "simple" | "relaxed" => false,
                            _ => {
                                return Err(RawError::expected(
                                    vsp,
                                    format!("unknown parse kind '{v}'"),
                                    &["simple", "regex", "relaxed"],
                                ))
                            }
                        };
                    }
                }
                let expr = self.add_expr()?;
                if !self.eat_word("with") {
                    return Err(
                        self.err_here("expected 'with' after the parsed expression", &["with"])
                    );
                }
                let mut elems = Vec::new();
                loop {
                    match self.peek().clone() {
                        Tok::Sym("*") => {
                            self.bump();
                            elems.push(ParseElem::Star);
                        }
                        Tok::Str(lit) => {
                            self.bump();
                            elems.push(ParseElem::Lit(lit));
                        }
                        Tok::Ident(name) if !name.starts_with('!') => {
                            self.bump();
                            let mut ty = Type::String;
                            if self.eat_sym(":") {
                                let (t, tsp) = self.ident("a type")?;
                                ty = parse_type(&t).ok_or_else(|| {
                                    RawError::expected(
                                        tsp,
                                        format!("unknown type '{t}'"),
                                        &["string", "long", "real", "datetime"],
                                    )
                                })?;
                            }
                            elems.push(ParseElem::Col(name, ty));
                        }
                        _ => break,
                    }
                }
                if !elems.iter().any(|e| matches!(e, ParseElem::Col(..))) {
                    return Err(self.err_here("expected the columns to extract, e.g. parse x with * \"/secrets/\" Name \"/\" *", &["column name"]));
                }
                Operator::Parse {
                    expr,
                    regex_kind,
                    elems,
                    filter: lw == "parse-where",
                }
            }
            "render" => {
                let (kind, _) = self.ident("a chart kind")?;
                // `with (…)` properties are accepted and ignored.
                if self.eat_word("with") {
                    let open = self.expect_sym("(", "after 'with'")?;
                    let mut depth = 1usize;
                    while depth > 0 {
                        match self.bump().tok {
                            Tok::Sym("(") => depth += 1,
                            Tok::Sym(")") => depth -= 1,
                            Tok::Eof => {
                                return Err(RawError::expected(
                                    open,
                                    "unbalanced parenthesis: this '(' is never closed",
                                    &[")"],
                                ))
                            }
                            _ => {}
                        }
                    }
                }
                Operator::Render(kind)
            }
            _ => {
                let mut msg = format!("unknown tabular operator '{w}'");
                if let Some(op) = crate::ops::lookup(&lw) {
                    msg = format!("the '{}' operator is not supported yet", op.name);
                } else if let Some(s) = did_you_mean(&w, crate::ops::names()) {
                    msg.push_str(&format!("; did you mean '{s}'?"));
                }
                return Err(RawError::expected(
                    sp,
                    msg,
                    &[
                        "where",
                        "project",
                        "extend",
                        "summarize",
                        "join",
                        "sort",
                        "take",
                        "…",
                    ],
                ));
            }
        })
    }

    fn name_patterns(&mut self) -> Res<Vec<(String, Span)>> {
        let mut v = Vec::new();
        loop {
            let start = self.span();
            let mut name = String::new();
            let mut end = start.1;
            // A name with `*` wildcards: `identity_claim_*`, `*_s`.
            loop {
                match self.peek().clone() {
                    Tok::Ident(s) if name.is_empty() || self.span().0 == end => {
                        name.push_str(&s);
                        end = self.bump().span.1;
                    }
                    Tok::Sym("*") if name.is_empty() || self.span().0 == end => {
                        name.push('*');
                        end = self.bump().span.1;
                    }
                    _ => break,
                }
            }
            if name.is_empty() {
                return Err(self.err_here("expected a column name", &["column name"]));
            }
            v.push((name, (start.0, end)));
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(v)
    }

    fn sort_key(&mut self) -> Res<SortKey> {
        let expr = self.expr()?;
        let mut desc = true;
        if self.eat_word("asc") {
            desc = false;
        } else {
            self.eat_word("desc");
        }
        let mut nulls_first = !desc;
        if self.eat_word("nulls") {
            if self.eat_word("first") {
                nulls_first = true;
            } else if self.eat_word("last") {
                nulls_first = false;
            } else {
                return Err(self.err_here(
                    "expected 'first' or 'last' after 'nulls'",
                    &["first", "last"],
                ));
            }
        }
        Ok(SortKey {
            expr,
            desc,
            nulls_first,
        })
    }

    fn summarize(&mut self) -> Res<Operator> {
        // hint.strategy=… and friends are accepted and ignored.
        while matches!(self.peek(), Tok::Ident(w) if w.starts_with("hint")) {
            self.bump();
            while self.eat_sym(".") {
                self.ident("a hint name")?;
            }
            self.expect_sym("=", "after a hint")?;
            self.bump();
        }
        let aggs = if self.is_word("by") {
            Vec::new()
        } else {
            self.assign_list("an aggregation such as count()")?
        };
        let by = if self.eat_word("by") {
            self.assign_list("a column to group by")?
        } else {
            Vec::new()
        };
        if !self.is_sym("|") && !self.is_sym(";") && !self.is_sym(")") && *self.peek() != Tok::Eof {
            return Err(self.err_here(
                "expected ',', 'by' or '|' after the aggregations",
                &[",", "by", "|"],
            ));
        }
        Ok(Operator::Summarize { aggs, by })
    }

    fn join(&mut self, lookup: bool) -> Res<Operator> {
        let mut kind = if lookup {
            JoinKind::LeftOuter
        } else {
            JoinKind::InnerUnique
        };
        loop {
            if self.is_word("kind") && matches!(self.peek_at(1), Tok::Sym("=")) {
                self.bump();
                self.bump();
                let (k, ksp) = self.ident("a join kind")?;
                kind = match k.to_ascii_lowercase().as_str() {
                    "innerunique" => JoinKind::InnerUnique,
                    "inner" => JoinKind::Inner,
                    "leftouter" => JoinKind::LeftOuter,
                    "rightouter" => JoinKind::RightOuter,
                    "fullouter" => JoinKind::FullOuter,
                    "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
                    "rightanti" | "rightantisemi" => JoinKind::RightAnti,
                    "leftsemi" => JoinKind::LeftSemi,
                    "rightsemi" => JoinKind::RightSemi,
                    _ => {
                        let mut msg = format!("unknown join kind '{k}'");
                        if let Some(s) = did_you_mean(&k, JOIN_KINDS.iter().copied()) {
                            msg.push_str(&format!("; did you mean '{s}'?"));
                        } else {
                            msg.push_str("; expected one of innerunique, inner, leftouter, rightouter, fullouter, leftanti, rightanti, leftsemi, rightsemi");
                        }
                        return Err(RawError::expected(ksp, msg, JOIN_KINDS));
                    }
                };
            } else if matches!(self.peek(), Tok::Ident(w) if w.starts_with("hint")) {
                self.bump();
                while self.eat_sym(".") {
                    self.ident("a hint name")?;
                }
                self.expect_sym("=", "after a hint")?;
                self.bump();
            } else {
                break;
            }
        }
        let right = if self.is_sym("(") {
            let open = self.bump().span;
            let t = self.tabular()?;
            self.close_paren(open)?;
            t
        } else {
            let (name, sp) = match self.peek().clone() {
                Tok::Ident(w) if !w.eq_ignore_ascii_case("on") => (w, self.bump().span),
                _ => {
                    return Err(self.err_here(
                        "expected the right side of the join: a table name or '(' query ')'",
                        &["(", "table name"],
                    ))
                }
            };
            Tabular {
                source: Source::Table(name, sp),
                ops: Vec::new(),
            }
        };
        if !self.eat_word("on") {
            return Err(self.err_here(
                "expected 'on' and the join keys after the join's right side",
                &["on"],
            ));
        }
        let mut on = Vec::new();
        loop {
            let e = self.expr()?;
            match e.kind {
                ExprKind::Binary(BinOp::Eq, l, r) => on.push((*l, *r)),
                ExprKind::Name(_) => on.push((e.clone(), e)),
                _ => {
                    return Err(RawError::expected(
                        e.span,
                        "join key must be a column name or $left.A == $right.B",
                        &["column name", "$left.Column == $right.Column"],
                    ))
                }
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(Operator::Join {
            kind,
            right: Box::new(right),
            on,
        })
    }

    fn assign_list(&mut self, what: &str) -> Res<Vec<Assign>> {
        let mut v = Vec::new();
        loop {
            if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Sym("=")) {
                let name = self.ident("a name")?;
                self.bump();
                let expr = self.expr()?;
                v.push(Assign {
                    name: Some(name),
                    expr,
                });
            } else if self.is_sym("(") && self.paren_names_assign() {
                // `(A, B) = arg_max(...)` is rare; not supported beyond a clear error.
                return Err(self.err_here("tuple assignment is not supported", &[what]));
            } else {
                if matches!(self.peek(), Tok::Eof | Tok::Sym("|") | Tok::Sym(";")) {
                    return Err(self.err_here(format!("expected {what}"), &[what]));
                }
                let expr = self.expr()?;
                v.push(Assign { name: None, expr });
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(v)
    }

    fn paren_names_assign(&self) -> bool {
        let mut k = 1;
        loop {
            match self.peek_at(k) {
                Tok::Ident(_) | Tok::Sym(",") => k += 1,
                Tok::Sym(")") => return matches!(self.peek_at(k + 1), Tok::Sym("=")),
                _ => return false,
            }
        }
    }

    // ---- expressions ----

    pub fn expr(&mut self) -> Res<Expr> {
        self.enter()?;
        let r = self.or_expr();
        self.leave();
        r
    }

    fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
        let span = (l.span.0, r.span.1);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    fn or_expr(&mut self) -> Res<Expr> {
        let mut l = self.and_expr()?;
        while self.eat_word("or") {
            let r = self.and_expr()?;
            l = Self::bin(BinOp::Or, l, r);
        }
        Ok(l)
    }

    fn and_expr(&mut self) -> Res<Expr> {
        let mut l = self.cmp_expr()?;
        while self.eat_word("and") {
            let r = self.cmp_expr()?;
            l = Self::bin(BinOp::And, l, r);
        }
        Ok(l)
    }

    fn expr_list_in_parens(&mut self) -> Res<(Vec<Expr>, usize)> {
        let open = self.expect_sym("(", "before the list")?;
        let mut v = Vec::new();
        if !self.is_sym(")") {
            loop {
                // A tabular argument: `x in (T | project y)`, `toscalar(T | count)`.
                let lets = std::mem::take(&mut self.tab_lets);
                let tabular = self.starts_tabular(&lets)
                    && !matches!(self.peek(), Tok::Sym("("))
                    && (matches!(
                        self.peek_at(1),
                        Tok::Sym("|") | Tok::Sym(")") | Tok::Sym(",")
                    ) || matches!(self.peek(), Tok::Sym("|")));
                self.tab_lets = lets;
                if tabular {
                    let start = self.span().0;
                    let t = self.tabular()?;
                    v.push(Expr {
                        kind: ExprKind::Subquery(Box::new(t)),
                        span: (start, self.prev_end()),
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

    fn cmp_expr(&mut self) -> Res<Expr> {
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
                            continue;
                        }
                    }
                }
                _ => break,
            };
            self.bump();
            let r = self.add_expr()?;
            l = Self::bin(op, l, r);
        }
        Ok(l)
    }

    fn add_expr(&mut self) -> Res<Expr> {
        let mut l = self.mul_expr()?;
        loop {
            let op = if self.is_sym("+") {
                BinOp::Add
            } else if self.is_sym("-") {
                BinOp::Sub
            } else {
                break;
            };
            self.bump();
            let r = self.mul_expr()?;
            l = Self::bin(op, l, r);
        }
        Ok(l)
    }

    fn mul_expr(&mut self) -> Res<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = if self.is_sym("*") {
                BinOp::Mul
            } else if self.is_sym("/") {
                BinOp::Div
            } else if self.is_sym("%") {
                BinOp::Mod
            } else {
                break;
            };
            self.bump();
            let r = self.unary()?;
            l = Self::bin(op, l, r);
        }
        Ok(l)
    }

    fn unary(&mut self) -> Res<Expr> {
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

    fn postfix(&mut self) -> Res<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.is_sym(".") {
                self.bump();
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

    fn primary(&mut self) -> Res<Expr> {
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
                                Value::DateTime(Timestamp::parse_iso(&raw).ok_or_else(|| {
                                    RawError::expected(
                                        rsp,
                                        format!("invalid datetime literal '{raw}'"),
                                        &["2024-04-03T14:03:10Z"],
                                    )
                                })?)
                            };
                            return lit(v, (sp.0, end));
                        }
                        "timespan"
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
    fn json_value(&mut self, depth: usize) -> Res<serde_json::Value> {
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
