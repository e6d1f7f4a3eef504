//! The parsed query.

use crate::value::Value;

pub(crate) type Span = (usize, usize);

#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    EqCi,
    NeCi,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// String operators: name as written (`has`, `!contains_cs`, `startswith`, `matches regex`, …).
    Str(StrOp, bool /* negated */),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrOp {
    Has { cs: bool },
    Contains { cs: bool },
    StartsWith { cs: bool },
    EndsWith { cs: bool },
    HasPrefix,
    HasSuffix,
    MatchesRegex,
}

#[derive(Clone, Debug)]
pub(crate) enum ExprKind {
    Lit(Value),
    /// A column, or a let-bound scalar.
    Name(String),
    Call(String, Vec<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Three or more operands of one precedence level, left-associative: `a or b or c`,
    /// `1 + 2 - 3` (kept flat so that long chains do not nest deeply).
    Chain(Box<Expr>, Vec<(BinOp, Expr)>),
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        ci: bool,
    },
    HasAny {
        expr: Box<Expr>,
        list: Vec<Expr>,
        all: bool,
    },
    Between {
        expr: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
        negated: bool,
    },
    Member(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// `*` (in `arg_max(x, *)`, `count(*)`…).
    Star,
    /// `$left.X` / `$right.X` in join conditions.
    Side(bool /* left */, String),
    /// A tabular expression as an argument (`x in (T | project y)`, `toscalar(…)`); replaced by
    /// its values before compilation.
    Subquery(Box<Tabular>),
}

/// `Name = expr` or a bare expression.
#[derive(Clone, Debug)]
pub(crate) struct Assign {
    pub name: Option<(String, Span)>,
    pub expr: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftAnti,
    RightAnti,
    LeftSemi,
    RightSemi,
}

#[derive(Clone, Debug)]
pub(crate) struct SortKey {
    pub expr: Expr,
    pub desc: bool,
    pub nulls_first: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Operator {
    Where(Expr),
    Project(Vec<Assign>),
    ProjectRename(Vec<((String, Span), (String, Span))>),
    ProjectAway(Vec<(String, Span)>),
    ProjectKeep(Vec<(String, Span)>),
    ProjectReorder(Vec<(String, Span)>),
    Extend(Vec<Assign>),
    Summarize {
        aggs: Vec<Assign>,
        by: Vec<Assign>,
    },
    Join {
        kind: JoinKind,
        right: Box<Tabular>,
        on: Vec<(Expr, Expr)>,
    },
    Distinct(Vec<Expr>),
    Sort(Vec<SortKey>),
    Top {
        n: Expr,
        key: SortKey,
    },
    Take(Expr),
    Count,
    Union(Vec<Tabular>),
    Search(Expr),
    MvExpand(Vec<Assign>),
    Render(String),
    GetSchema,
    /// `parse [kind=regex] expr with * "lit" Col [: type] …`; `parse-where` drops rows that do not match.
    Parse {
        expr: Expr,
        regex_kind: bool,
        elems: Vec<ParseElem>,
        filter: bool,
    },
}

#[derive(Clone, Debug)]
pub(crate) enum ParseElem {
    Star,
    Lit(String),
    Col(String, crate::value::Type),
}

#[derive(Clone, Debug)]
#[allow(dead_code)] // spans are kept for future diagnostics
pub(crate) struct OpAt {
    pub op: Operator,
    pub span: Span,
}

#[derive(Clone, Debug)]
#[allow(dead_code)]
pub(crate) enum Source {
    /// A table or tabular let name.
    Table(String, Span),
    /// A query that begins with `|`.
    Implicit(Span),
    /// `search [in (T…)] predicate`.
    Search {
        tables: Vec<(String, Span)>,
        pred: Expr,
    },
    Union(Vec<Tabular>),
    /// `datatable(a:long, b:string) [1, "x", …]`.
    DataTable {
        columns: Vec<(String, crate::value::Type)>,
        values: Vec<Value>,
    },
    /// `print a = 1, b = "x"`.
    Print(Vec<Assign>),
    /// `range x from a to b step c`.
    Range {
        name: String,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    /// `( query )`.
    Nested(Box<Tabular>),
}

#[derive(Clone, Debug)]
pub(crate) struct Tabular {
    pub source: Source,
    pub ops: Vec<OpAt>,
}

#[derive(Clone, Debug)]
#[allow(dead_code)]
pub(crate) enum Stmt {
    LetScalar(String, Span, Expr),
    LetTabular(String, Span, Tabular),
    Query(Tabular),
}
