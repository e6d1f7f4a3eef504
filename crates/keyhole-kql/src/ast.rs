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
    /// `name = value` as a call argument (user functions' named parameters).
    Named(String, Box<Expr>),
}

/// `Name = expr`, `(A, B) = expr` (a function with several results) or a bare expression.
#[derive(Clone, Debug)]
pub(crate) struct Assign {
    pub name: Option<(String, Span)>,
    /// The names of a tuple assignment.
    pub tuple: Vec<String>,
    pub expr: Expr,
}

impl Assign {
    pub fn bare(expr: Expr) -> Assign {
        Assign {
            name: None,
            tuple: Vec::new(),
            expr,
        }
    }
}

/// One column of `mv-expand` / `mv-apply`: `[Name =] expr [to typeof(T)]`.
#[derive(Clone, Debug)]
pub(crate) struct ExpandItem {
    pub assign: Assign,
    pub to: Option<crate::value::Type>,
}

/// `mv-expand` / `mv-apply` options and columns.
#[derive(Clone, Debug)]
pub(crate) struct Expand {
    pub items: Vec<ExpandItem>,
    /// `with_itemindex = Name`.
    pub index: Option<String>,
    /// `limit N`: at most N rows per input row.
    pub limit: Option<Expr>,
}

/// `make-series`.
#[derive(Clone, Debug)]
pub(crate) struct MakeSeries {
    /// Aggregations with their `default = value`.
    pub aggs: Vec<(Assign, Option<Expr>)>,
    pub axis: Expr,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
    /// `in range(start, stop, step)`: the stop is included.
    pub to_inclusive: bool,
    pub step: Expr,
    pub by: Vec<Assign>,
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
    /// `project-by-names expr, …`: columns named by strings or arrays of strings (wildcards
    /// allowed) computed at run time.
    ProjectByNames(Vec<Expr>),
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
    Union(Union),
    /// `as Name`: the rows so far, named for the rest of the query.
    As(String),
    Search(Expr),
    MvExpand(Expand),
    /// `mv-apply … on (operators)`.
    MvApply(Expand, Vec<OpAt>),
    MakeSeries(Box<MakeSeries>),
    Render(String),
    GetSchema,
    Scan(Box<Scan>),
    /// `invoke F(args)`: the user function `F` called with the input as its first (tabular)
    /// argument.
    Invoke {
        name: (String, Span),
        args: Vec<Expr>,
    },
    /// `partition [hint.…] by Col (operators)`: the operators run on each group of rows.
    Partition(Expr, Vec<OpAt>),
    /// `partition by Col { query }` (the legacy form): a query with its own source, run once
    /// for each value of Col, which it reads as `toscalar(Col)`.
    PartitionQuery(Expr, Box<Tabular>),
    /// `evaluate Plugin(args) [: ([*,] Col: type, …)]`.
    Evaluate {
        plugin: (String, Span),
        args: Vec<Expr>,
        schema: Option<(bool, Vec<(String, crate::value::Type)>)>,
    },
    /// `parse-kv expr as (Key: type, …) [with (option = value, …)]`; the options are
    /// [`PARSE_KV_OPTIONS`].
    ParseKv {
        expr: Expr,
        keys: Vec<(String, crate::value::Type)>,
        /// `pair_delimiter`, `kv_delimiter`, `quote` (repeatable), `escape` (repeatable),
        /// `greedy`, `regex`: names as written, values constant expressions.
        options: Vec<(String, Expr)>,
    },
    /// `parse [kind=regex] expr with * "lit" Col [: type] …`; `parse-where` drops rows that do not match.
    Parse {
        expr: Expr,
        regex_kind: bool,
        /// `kind=relaxed`: a value that does not convert to its column's type is null, and the
        /// row still matches (otherwise the whole match fails).
        relaxed: bool,
        /// `flags=…` of the regex kind (`i`, `m`, `s`, `U`).
        flags: String,
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
    Union(Union),
    /// `find [withsource=Name] [in (T, …)] [where] predicate [project-smart | project …]`.
    Find(Box<Find>),
    /// `union *`: every table.
    AllTables(Span),
    /// A user (or built-in tabular) function call as a source: `f(1, x = 2)`.
    Call {
        name: String,
        args: Vec<Expr>,
        span: Span,
    },
    /// A pattern invocation: `P(args)` or `P(args).Path` (pattern-statement.md).
    Pattern {
        name: String,
        args: Vec<Expr>,
        path: Option<String>,
        span: Span,
    },
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

/// `find`: the tables (name patterns; none: every table), the predicate, and the output.
#[derive(Clone, Debug)]
pub(crate) struct Find {
    pub withsource: Option<String>,
    pub tables: Vec<(String, Span)>,
    pub pred: Expr,
    /// `project Col[: type], …`: these columns (`None`: `project-smart`).
    pub project: Option<Vec<(String, Span, Option<crate::value::Type>)>>,
    /// `project …, pack_all()`: the other columns in a `pack_` bag.
    pub pack_all: bool,
}

/// `union [withsource=Name] T1, (T2 | …), *`.
#[derive(Clone, Debug)]
pub(crate) struct Union {
    pub withsource: Option<String>,
    pub items: Vec<Tabular>,
}

/// A parameter of a user function: `name: type [= default]`, or `T: (*)` for a table.
#[derive(Clone, Debug)]
pub(crate) struct FnParam {
    pub name: String,
    pub tabular: bool,
    pub ty: Option<crate::value::Type>,
    pub default: Option<Expr>,
}

/// What a user function returns.
#[derive(Clone, Debug)]
pub(crate) enum FnResult {
    Scalar(Expr),
    Tabular(Tabular),
}

/// `let f = (params) { lets; result }`.
#[derive(Clone, Debug)]
pub(crate) struct FnDecl {
    /// Declared with `view`: `search` and `union *` read it as a table.
    pub view: bool,
    pub params: Vec<FnParam>,
    pub lets: Vec<Stmt>,
    pub result: FnResult,
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
    LetFunction(String, Span, std::sync::Arc<FnDecl>),
    /// `declare pattern P = (params)[path] { (args).[path] = { query }; … }`.
    Pattern(String, Span, std::sync::Arc<PatternDecl>),
    Query(Tabular),
}

/// A pattern: how many arguments it takes, whether it takes a path, and its rules (argument
/// values, path, the query they stand for).
#[derive(Debug)]
pub(crate) struct PatternDecl {
    pub params: usize,
    pub path: bool,
    pub rules: Vec<(Vec<Expr>, Option<String>, Tabular)>,
}

/// How a `scan` step's matches are output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepOutput {
    All,
    Last,
    None,
}

/// `step Name [output = …]: Condition [=> Col = Expr, …];`
#[derive(Clone, Debug)]
pub(crate) struct ScanStep {
    pub name: String,
    pub output: StepOutput,
    pub cond: Expr,
    pub assigns: Vec<((String, Span), Expr)>,
}

/// `scan [with_match_id = Id] [declare (Col: type [= default], …)] with (steps)`.
#[derive(Clone, Debug)]
pub(crate) struct Scan {
    pub match_id: Option<String>,
    pub declare: Vec<(String, crate::value::Type, Option<Expr>)>,
    pub steps: Vec<ScanStep>,
    pub span: Span,
}

/// The options of `parse-kv … with (…)`.
pub const PARSE_KV_OPTIONS: [&str; 6] = [
    "pair_delimiter",
    "kv_delimiter",
    "quote",
    "escape",
    "greedy",
    "regex",
];
