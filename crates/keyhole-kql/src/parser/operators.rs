//! Tabular operators after a pipe: `where`, `project`, `summarize`, `join`, ….

use super::{parse_type, Parser};
use crate::ast::*;
use crate::error::{did_you_mean, RawError, Res};
use crate::lexer::Tok;

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
    pub(super) fn operator(&mut self) -> Res<Operator> {
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
            "where" | "filter" => {
                // `where Name = predicate` (a workbook idiom): the name is a label only; the
                // predicate must be boolean (else it is a mistyped `==`). The span is the `=`.
                if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Sym("="))
                {
                    let (label, _) = self.ident("a name")?;
                    let eq = self.bump().span;
                    let pred = self.expr()?;
                    Operator::Where(Expr {
                        kind: ExprKind::Named(label, Box::new(pred)),
                        span: eq,
                    })
                } else {
                    Operator::Where(self.expr()?)
                }
            }
            "as" => {
                // Hints (`hint.materialized=true`) are accepted and ignored.
                self.hints()?;
                let (name, _) = self.ident("a name after 'as'")?;
                self.tab_lets.push(name.clone());
                Operator::As(name)
            }
            "project" => Operator::Project(self.assign_list("a column")?),
            "extend" => Operator::Extend(self.assign_list("an expression")?),
            "evaluate" => {
                self.hints()?;
                let (name, nsp) = self.ident("a plugin name")?;
                let (args, _) = self.expr_list_in_parens()?;
                let schema = if self.eat_sym(":") {
                    let open = self.expect_sym("(", "before the output schema")?;
                    let mut star = false;
                    let mut cols = Vec::new();
                    loop {
                        if self.eat_sym("*") {
                            star = true;
                        } else {
                            let (c, _) = self.ident("a column name")?;
                            self.expect_sym(":", "between a column name and its type")?;
                            let (t, tsp) = self.ident("a type")?;
                            let ty = parse_type(&t)
                                .ok_or_else(|| RawError::new(tsp, format!("unknown type '{t}'")))?;
                            cols.push((c, ty));
                        }
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.close_paren(open)?;
                    Some((star, cols))
                } else {
                    None
                };
                Operator::Evaluate {
                    plugin: (name, nsp),
                    args,
                    schema,
                }
            }
            // Rows here are always in a fixed order: `serialize` only extends.
            "serialize" => {
                if matches!(self.peek(), Tok::Eof | Tok::Sym("|" | ";" | ")")) {
                    Operator::Extend(Vec::new())
                } else {
                    Operator::Extend(self.assign_list("an expression")?)
                }
            }
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
            "project-by-names" => {
                let mut v = vec![self.expr()?];
                while self.eat_sym(",") {
                    v.push(self.expr()?);
                }
                Operator::ProjectByNames(v)
            }
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
            "mv-expand" => Operator::MvExpand(self.expand_spec()?),
            "mv-apply" => {
                let x = self.expand_spec()?;
                if !self.eat_word("on") {
                    return Err(
                        self.err_here("expected 'on (subquery)' after the columns", &["on"])
                    );
                }
                Operator::MvApply(x, self.sub_operators()?)
            }
            "partition" => {
                self.hints()?;
                if !self.eat_word("by") {
                    return Err(self.err_here("expected 'by'", &["by"]));
                }
                // A column name (an expression would read `Col (…)` as a call).
                let (name, span) = self.ident("a column name")?;
                let key = Expr {
                    kind: ExprKind::Name(name),
                    span,
                };
                if self.is_sym("{") {
                    let t = self.braced_tabular("before the subquery")?;
                    Operator::PartitionQuery(key, Box::new(t))
                } else {
                    Operator::Partition(key, self.sub_operators()?)
                }
            }
            "scan" => self.scan(sp)?,
            "make-series" => self.make_series()?,
            "getschema" => Operator::GetSchema,
            "invoke" => {
                let (name, nsp) = self.ident("a function name after 'invoke'")?;
                let (args, _) = self.expr_list_in_parens()?;
                Operator::Invoke {
                    name: (name, nsp),
                    args,
                }
            }
            "parse-kv" => {
                let expr = self.add_expr()?;
                if !self.eat_word("as") {
                    return Err(self.err_here(
                        "expected 'as (Key: type, …)' after the parsed expression",
                        &["as"],
                    ));
                }
                let open = self.expect_sym("(", "before the keys")?;
                let mut keys = Vec::new();
                loop {
                    let (name, _) = self.ident("a key name")?;
                    let ty = self.opt_type()?;
                    keys.push((name, ty));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.close_paren(open)?;
                let mut options = Vec::new();
                if self.eat_word("with") {
                    let open = self.expect_sym("(", "after 'with'")?;
                    while !self.is_sym(")") {
                        let (name, nsp) = self.ident("a parse-kv option")?;
                        if !PARSE_KV_OPTIONS.contains(&name.to_ascii_lowercase().as_str()) {
                            return Err(RawError::expected(
                                nsp,
                                format!("parse-kv has no option '{name}'"),
                                &PARSE_KV_OPTIONS,
                            ));
                        }
                        self.expect_sym("=", "after the option")?;
                        options.push((name.to_ascii_lowercase(), self.add_expr()?));
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.close_paren(open)?;
                }
                Operator::ParseKv {
                    expr,
                    keys,
                    options,
                }
            }
            "parse" | "parse-where" => {
                let mut regex_kind = false;
                let mut relaxed = false;
                let mut flags = String::new();
                while self.is_word("kind") || self.is_word("flags") {
                    let opt = self.ident("an option")?.0;
                    self.expect_sym("=", "after the option")?;
                    let (v, vsp) = self.ident("a value")?;
                    if opt == "flags" {
                        flags = v.clone();
                    }
                    if opt == "kind" {
                        relaxed = v == "relaxed";
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
                            let ty = self.opt_type()?;
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
                    relaxed,
                    flags,
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

    pub(super) fn name_patterns(&mut self) -> Res<Vec<(String, Span)>> {
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

    pub(super) fn sort_key(&mut self) -> Res<SortKey> {
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

    pub(super) fn summarize(&mut self) -> Res<Operator> {
        // hint.strategy=… and friends are accepted and ignored.
        self.hints()?;
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

    pub(super) fn join(&mut self, lookup: bool) -> Res<Operator> {
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

    pub(super) fn assign_list(&mut self, what: &str) -> Res<Vec<Assign>> {
        let mut v = Vec::new();
        loop {
            v.push(self.assign(what)?);
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(v)
    }

    /// `hint.… = value` properties (`hint.strategy=native`): accepted and ignored.
    pub(super) fn hints(&mut self) -> Res<()> {
        while matches!(self.peek(), Tok::Ident(w) if w.starts_with("hint"))
            && matches!(self.peek_at(1), Tok::Sym("." | "="))
        {
            self.bump();
            while self.eat_sym(".") {
                self.ident("a hint name")?;
            }
            self.expect_sym("=", "after a hint")?;
            self.bump();
        }
        Ok(())
    }

    /// `( [|] op | op … )`: the operators of `mv-apply … on (…)` and `partition by … (…)`.
    pub(super) fn sub_operators(&mut self) -> Res<Vec<OpAt>> {
        let open = self.expect_sym("(", "before the subquery")?;
        self.enter()?;
        let mut ops = Vec::new();
        loop {
            self.eat_sym("|");
            let start = self.span().0;
            let op = self.operator()?;
            ops.push(OpAt {
                op,
                span: (start, self.prev_end()),
            });
            if !self.is_sym("|") {
                break;
            }
        }
        self.leave();
        self.close_paren(open)?;
        Ok(ops)
    }

    /// `scan [with_match_id = Id] [declare (Col: type [= default], …)] with (step …; …)`.
    pub(super) fn scan(&mut self, sp: Span) -> Res<Operator> {
        let mut match_id = None;
        if self.eat_word("with_match_id") {
            self.expect_sym("=", "after 'with_match_id'")?;
            match_id = Some(self.ident("a column name")?.0);
        }
        let mut declare = Vec::new();
        if self.eat_word("declare") {
            let open = self.expect_sym("(", "after 'declare'")?;
            loop {
                let (name, _) = self.ident("a column name")?;
                self.expect_sym(":", "between a column name and its type")?;
                let (t, tsp) = self.ident("a type")?;
                let ty = parse_type(&t)
                    .ok_or_else(|| RawError::new(tsp, format!("unknown type '{t}'")))?;
                let default = if self.eat_sym("=") {
                    Some(self.expr()?)
                } else {
                    None
                };
                declare.push((name, ty, default));
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.close_paren(open)?;
        }
        if !self.eat_word("with") {
            return Err(self.err_here(
                "expected 'with (step …)'",
                &["with", "declare", "with_match_id"],
            ));
        }
        let open = self.expect_sym("(", "after 'with'")?;
        let mut steps: Vec<ScanStep> = Vec::new();
        while self.eat_word("step") {
            let (name, nsp) = self.ident("a step name")?;
            if steps.iter().any(|s| s.name == name) {
                return Err(RawError::new(
                    nsp,
                    format!("scan: a second step named '{name}'"),
                ));
            }
            let mut output = StepOutput::All;
            if self.eat_word("output") {
                self.expect_sym("=", "after 'output'")?;
                let (o, osp) = self.ident("all, last or none")?;
                output = match o.to_ascii_lowercase().as_str() {
                    "all" => StepOutput::All,
                    "last" => StepOutput::Last,
                    "none" => StepOutput::None,
                    _ => {
                        return Err(RawError::expected(
                            osp,
                            format!("unknown step output '{o}'"),
                            &["all", "last", "none"],
                        ))
                    }
                };
            }
            self.expect_sym(":", "after the step's name")?;
            let cond = self.expr()?;
            let mut assigns = Vec::new();
            if self.eat_sym("=>") {
                loop {
                    let col = self.ident("a declared column")?;
                    self.expect_sym("=", "after the column")?;
                    assigns.push((col, self.expr()?));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            }
            self.expect_sym(";", "after the step")?;
            steps.push(ScanStep {
                name,
                output,
                cond,
                assigns,
            });
        }
        if steps.is_empty() {
            return Err(self.err_here("expected 'step Name: Condition;'", &["step"]));
        }
        self.close_paren(open)?;
        Ok(Operator::Scan(Box::new(Scan {
            match_id,
            declare,
            steps,
            span: sp,
        })))
    }

    /// `Name = expr`, `(A, B) = expr` or `expr`.
    pub(super) fn assign(&mut self, what: &str) -> Res<Assign> {
        if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Sym("=")) {
            let name = self.ident("a name")?;
            self.bump();
            let expr = self.expr()?;
            return Ok(Assign {
                name: Some(name),
                tuple: Vec::new(),
                expr,
            });
        }
        if self.is_sym("(") && self.paren_names_assign() {
            self.bump();
            let mut tuple = Vec::new();
            loop {
                tuple.push(self.ident("a column name")?.0);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")", "after the names")?;
            self.expect_sym("=", "after the names")?;
            let expr = self.expr()?;
            return Ok(Assign {
                name: None,
                tuple,
                expr,
            });
        }
        if matches!(self.peek(), Tok::Eof | Tok::Sym("|") | Tok::Sym(";")) {
            return Err(self.err_here(format!("expected {what}"), &[what]));
        }
        Ok(Assign::bare(self.expr()?))
    }

    /// `mv-expand` / `mv-apply` options and columns: `[bagexpansion=…] [with_itemindex=Name]
    /// [Name =] expr [to typeof(T)], … [limit N]`.
    pub(super) fn expand_spec(&mut self) -> Res<Expand> {
        let mut index = None;
        loop {
            match self.peek().clone() {
                Tok::Ident(w)
                    if (w.eq_ignore_ascii_case("bagexpansion")
                        || w.eq_ignore_ascii_case("kind"))
                        && matches!(self.peek_at(1), Tok::Sym("=")) =>
                {
                    self.bump();
                    self.bump();
                    self.ident("bag or array")?;
                }
                Tok::Ident(w)
                    if w.eq_ignore_ascii_case("with_itemindex")
                        && matches!(self.peek_at(1), Tok::Sym("=")) =>
                {
                    self.bump();
                    self.bump();
                    index = Some(self.ident("a column name")?.0);
                }
                _ => break,
            }
        }
        let mut items = Vec::new();
        loop {
            let assign = self.assign("a column to expand")?;
            let mut to = None;
            if self.eat_word("to") {
                if !self.eat_word("typeof") {
                    return Err(self.err_here("expected 'typeof(type)' after 'to'", &["typeof"]));
                }
                let open = self.expect_sym("(", "after 'typeof'")?;
                let (t, tsp) = self.ident("a type")?;
                to = Some(parse_type(&t).ok_or_else(|| {
                    RawError::expected(
                        tsp,
                        format!("unknown type '{t}'"),
                        &["string", "long", "real", "datetime", "dynamic"],
                    )
                })?);
                self.close_paren(open)?;
            }
            items.push(ExpandItem { assign, to });
            if !self.eat_sym(",") {
                break;
            }
        }
        let limit = if self.eat_word("limit") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Expand {
            items,
            index,
            limit,
        })
    }

    /// `make-series [kind=…] Name = agg(…) [default = v], … on Axis (from A] [to B] step S | in
    /// range(A, B, S)) [by Key, …]`.
    pub(super) fn make_series(&mut self) -> Res<Operator> {
        while matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case("kind") || w.starts_with("hint"))
            && matches!(self.peek_at(1), Tok::Sym("=") | Tok::Sym("."))
        {
            self.bump();
            while self.eat_sym(".") {
                self.ident("a hint name")?;
            }
            self.expect_sym("=", "after an option")?;
            self.bump();
        }
        let mut aggs = Vec::new();
        loop {
            let a = self.assign("an aggregation such as count()")?;
            let default = if self.is_word("default") && matches!(self.peek_at(1), Tok::Sym("=")) {
                self.bump();
                self.bump();
                Some(self.expr()?)
            } else {
                None
            };
            aggs.push((a, default));
            if !self.eat_sym(",") {
                break;
            }
        }
        if !self.eat_word("on") {
            return Err(self.err_here("expected 'on' and the axis column", &["on"]));
        }
        let axis = self.add_expr()?;
        let (mut from, mut to, mut to_inclusive) = (None, None, false);
        let step;
        if self.eat_word("in") {
            if !self.eat_word("range") {
                return Err(
                    self.err_here("expected 'range(start, stop, step)' after 'in'", &["range"])
                );
            }
            let (args, _) = self.expr_list_in_parens()?;
            let [a, b, c]: [Expr; 3] = args.try_into().map_err(|_| {
                self.err_here(
                    "range() takes a start, a stop and a step",
                    &["range(start, stop, step)"],
                )
            })?;
            from = Some(a);
            to = Some(b);
            to_inclusive = true;
            step = c;
        } else {
            if self.eat_word("from") {
                from = Some(self.add_expr()?);
            }
            if self.eat_word("to") {
                to = Some(self.add_expr()?);
            }
            if !self.eat_word("step") {
                return Err(self.err_here("expected 'step' and the bin size", &["step"]));
            }
            step = self.add_expr()?;
        }
        let by = if self.eat_word("by") {
            self.assign_list("a column to group by")?
        } else {
            Vec::new()
        };
        Ok(Operator::MakeSeries(Box::new(MakeSeries {
            aggs,
            axis,
            from,
            to,
            to_inclusive,
            step,
            by,
        })))
    }

    pub(super) fn paren_names_assign(&self) -> bool {
        let mut k = 1;
        loop {
            match self.peek_at(k) {
                Tok::Ident(_) | Tok::Sym(",") => k += 1,
                Tok::Sym(")") => return matches!(self.peek_at(k + 1), Tok::Sym("=")),
                _ => return false,
            }
        }
    }
}
