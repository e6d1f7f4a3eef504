//! The KQL editor's completion: what to offer at the caret, from the engine's own schema
//! ([`keyhole_kql::completion_items`]: tables, columns, operators, functions, keywords), and the
//! list the editor shows (plain text, never HTML).
//!
//! The context comes from the engine's lexer ([`keyhole_kql::highlight`]) over the text before
//! the caret:
//! - at the start of a statement: tables, the source operators (`print`, `range`, `union`, …)
//!   and `let`; after `join (`, `lookup (`, `union …,`: tables;
//! - after `|`: the tabular operators;
//! - right after a table name: nothing (a pipe comes next);
//! - inside an operator's expression: the columns of the pipeline's table (and names the query
//!   assigned earlier), then the scalar functions (aggregations too inside `summarize` and
//!   `make-series`), then `by`;
//! - after a complete operand (`where OperationName co`): the word operators (`contains`, `has`,
//!   `in`, `and`, …) and clause keywords (`by`, `asc`, `desc`, …);
//! - inside a string or a comment: nothing;
//! - right after `{` (not a function body's): the workbook parameters the engine binds
//!   ([`keyhole_kql::workbook_defaults`]), time ranges with their `:start`, `:end`, `:grain`.

use keyhole_kql::{Completion, CompletionKind, TokenKind};
use std::ops::Range;
use std::sync::OnceLock;
use yew::prelude::*;

/// Most entries the list shows.
pub const MAX_SHOWN: usize = 60;

/// One entry the editor offers: the entry, the text accepting it inserts, and where the caret
/// goes inside that text (between the parentheses of a function).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
    pub insert: String,
    pub caret: usize,
}

/// What the editor offers at a caret: entries replacing `range` of the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestions {
    pub range: Range<usize>,
    /// The word typed so far (`query[range.start..caret]`).
    pub prefix: String,
    /// The context is right after `|`: the list opens there even before a letter is typed.
    pub after_pipe: bool,
    pub items: Vec<Suggestion>,
}

impl Suggestions {
    /// The query with entry `i` accepted, and the caret's new position.
    pub fn accept(&self, query: &str, i: usize) -> Option<(String, usize)> {
        let s = self.items.get(i)?;
        let r = &self.range;
        if r.start > r.end || r.end > query.len() {
            return None;
        }
        let mut out = String::with_capacity(query.len() + s.insert.len());
        out.push_str(&query[..r.start]);
        out.push_str(&s.insert);
        out.push_str(&query[r.end..]);
        Some((out, r.start + s.caret))
    }
}

/// The time-range parameters [`keyhole_kql::workbook_defaults`] binds when the drop has events
/// (the others it binds on any drop).
const TIME_PARAMS: &[&str] = &["TimeRange", "BaselineTimeRange", "MonitoredTimeRange"];

/// The workbook parameters the engine binds, as completion entries (`Name}` inserted).
fn parameters() -> &'static [Completion] {
    static PARAMS: OnceLock<Vec<Completion>> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let mut out = Vec::new();
        for name in keyhole_kql::workbook_defaults(&Default::default()).into_keys() {
            out.push(Completion {
                label: name,
                kind: CompletionKind::Keyword,
                detail: "workbook parameter: bound to the page's filters or the workbook's default"
                    .into(),
            });
        }
        for name in TIME_PARAMS {
            for (part, what) in [
                ("", "the range (a `between` operand)"),
                (":start", "its start"),
                (":end", "its end"),
                (":grain", "the bin size a workbook picks for its length"),
            ] {
                out.push(Completion {
                    label: format!("{name}{part}"),
                    kind: CompletionKind::Keyword,
                    detail: format!(
                        "workbook parameter, {what}: the page's time filter or the whole drop"
                    ),
                });
            }
        }
        out
    })
}

/// What a position of the query is, for completion.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Context {
    /// Start of a statement: tables and sources.
    Statement,
    /// The value of `let Name =`: tables, sources and functions.
    LetValue,
    /// A table is expected (`join (`, `union A,`).
    Table,
    /// After `|`.
    Operator,
    /// Nothing to offer (after a table name, in a string or comment).
    Nothing,
    /// An expression of a stage: columns of `table` (`None`: unknown, every column), the names
    /// assigned earlier, functions (aggregations when `aggregate`).
    Expression {
        table: Option<String>,
        assigned: Vec<String>,
        aggregate: bool,
    },
    /// After a complete operand: word operators and keywords.
    AfterOperand,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Tabular operators that start a statement (sources).
const SOURCES: &[&str] = &[
    "print",
    "range",
    "datatable",
    "union",
    "search",
    "find",
    "evaluate",
];

/// Operators whose expressions take aggregations.
const AGGREGATING: &[&str] = &["summarize", "make-series", "top-nested"];

/// A completion entry with what the context needs to know about it.
struct Entry {
    c: Completion,
    /// A tabular operator (the lexer highlights those as keywords, and word operators such as
    /// `has` as operators).
    tabular: bool,
    aggregation: bool,
}

fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        keyhole_kql::completion_items()
            .into_iter()
            .map(|c| Entry {
                tabular: c.kind == CompletionKind::Operator
                    && keyhole_kql::highlight(&c.label)
                        .first()
                        .is_some_and(|(r, k)| *k == TokenKind::Keyword && r.len() == c.label.len()),
                aggregation: c.kind == CompletionKind::Function
                    && c.detail.contains("— aggregation:"),
                c,
            })
            .collect()
    })
}

/// A significant token before the caret: its text, kind and end.
#[derive(Clone, Copy, Debug)]
struct Tok<'a> {
    text: &'a str,
    kind: TokenKind,
    end: usize,
}

/// One pipeline (a statement, or a bracketed subquery or argument list inside it).
#[derive(Default, Clone)]
struct Level {
    /// The pipeline's table (`None`: unknown, e.g. a `let` name).
    table: Option<String>,
    /// The current stage's operator (lower case).
    op: Option<String>,
    /// Column names assigned so far (`Name = …`).
    assigned: Vec<String>,
    /// Tokens since the level started.
    n: usize,
    /// Tokens since the last `|` (`Some(0)`: right after it).
    since_pipe: Option<usize>,
    /// The level's first token (`let`?).
    first: Option<String>,
    /// Inside brackets: it inherits the enclosing pipeline's table and names.
    nested: bool,
}

fn context(before: &str) -> Context {
    let toks: Vec<Tok> = keyhole_kql::highlight(before)
        .into_iter()
        .filter(|(_, k)| *k != TokenKind::Comment)
        .filter_map(|(r, kind)| {
            before.get(r.clone()).map(|text| Tok {
                text,
                kind,
                end: r.end,
            })
        })
        .collect();
    let is_table = |w: &str| keyhole_kql::table_names().contains(&w);
    let mut stack: Vec<Level> = vec![Level::default()];
    for (i, t) in toks.iter().enumerate() {
        let top = stack.last_mut().expect("never empty");
        match (t.kind, t.text) {
            (TokenKind::Punctuation, "(" | "[" | "{") => {
                top.n += 1;
                top.since_pipe = top.since_pipe.map(|n| n + 1);
                let inner = Level {
                    table: top.table.clone(),
                    op: top.op.clone(),
                    assigned: top.assigned.clone(),
                    nested: true,
                    ..Level::default()
                };
                stack.push(inner);
                continue;
            }
            (TokenKind::Punctuation, ")" | "]" | "}") => {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            (TokenKind::Punctuation, ";") => {
                *top = Level::default();
                continue;
            }
            (TokenKind::Punctuation, "|") => {
                if top.n == 0 && !top.nested {
                    top.table = Some("AzureDiagnostics".into());
                }
                top.n += 1;
                top.since_pipe = Some(0);
                top.op = None;
                continue;
            }
            _ => {}
        }
        if top.n == 0 {
            top.first = Some(t.text.to_ascii_lowercase());
            if t.kind == TokenKind::Identifier {
                if is_table(t.text) {
                    top.table = Some(t.text.to_string());
                } else if !top.nested {
                    top.table = None;
                }
            }
        }
        if top.since_pipe == Some(0) {
            top.op = Some(t.text.to_ascii_lowercase());
        }
        // `Name =` (not `==`) assigns a column.
        if t.kind == TokenKind::Identifier
            && toks
                .get(i + 1)
                .is_some_and(|n| n.kind == TokenKind::Punctuation && n.text == "=")
            && !top.assigned.iter().any(|a| a == t.text)
        {
            top.assigned.push(t.text.to_string());
        }
        top.n += 1;
        top.since_pipe = top.since_pipe.map(|n| n + 1);
    }
    let Some(last) = toks.last() else {
        return Context::Statement;
    };
    // Inside a string or a comment (or an unterminated string, which the lexer reports as an
    // error from its quote): nothing.
    let unterminated = last.kind == TokenKind::Error
        && last
            .text
            .trim_start_matches(['@', 'h', 'H'])
            .starts_with(['"', '\'']);
    if (last.end >= before.len() && last.kind == TokenKind::String) || unterminated {
        return Context::Nothing;
    }
    if before.rsplit('\n').next().is_some_and(line_has_comment) {
        return Context::Nothing;
    }
    let level = stack.last().cloned().unwrap_or_default();
    let outer = stack.len().checked_sub(2).and_then(|i| stack.get(i));
    match (last.kind, last.text) {
        (TokenKind::Punctuation, "|") => return Context::Operator,
        (TokenKind::Punctuation, ";") => return Context::Statement,
        (TokenKind::Punctuation, "(") => {
            // A subquery (`join (`, `lookup (`, `union (`, a statement's `(`) or arguments.
            let op = outer.and_then(|o| o.op.as_deref()).unwrap_or_default();
            let sub = matches!(op, "join" | "lookup" | "union")
                || outer.is_some_and(|o| o.since_pipe.is_none() && o.n <= 1);
            if sub {
                return Context::Table;
            }
        }
        (TokenKind::Punctuation, ",") if level.op.as_deref() == Some("union") => {
            return Context::Table
        }
        (TokenKind::Punctuation, "=") if level.first.as_deref() == Some("let") && level.n == 3 => {
            return Context::LetValue
        }
        _ => {}
    }
    // Right after the table that starts a pipeline: a pipe comes next.
    if level.n == 1 && last.kind == TokenKind::Identifier && (!level.nested || is_table(last.text))
    {
        return Context::Nothing;
    }
    if level.since_pipe.is_none() && !level.nested {
        return Context::Statement;
    }
    let operand = matches!(
        last.kind,
        TokenKind::Identifier | TokenKind::Number | TokenKind::TimeSpan | TokenKind::String
    ) || (last.kind == TokenKind::Punctuation && matches!(last.text, ")" | "]"));
    // After an operand and a space; the stage's operator word itself (`| where `) is none.
    let gap = last.end < before.len();
    if operand && gap && (level.nested || level.since_pipe.is_some_and(|n| n > 1)) {
        return Context::AfterOperand;
    }
    Context::Expression {
        aggregate: level
            .op
            .as_deref()
            .is_some_and(|op| AGGREGATING.contains(&op)),
        table: level.table,
        assigned: level.assigned,
    }
}

/// The line (text before the caret) holds a `//` comment outside strings.
fn line_has_comment(line: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == '/' && chars.peek() == Some(&'/') {
                    return true;
                }
            }
        }
    }
    false
}

fn suggestion(c: &Completion) -> Suggestion {
    let (insert, caret) = match c.kind {
        CompletionKind::Function => (format!("{}()", c.label), c.label.len() + 1),
        CompletionKind::Operator | CompletionKind::Keyword => {
            (format!("{} ", c.label), c.label.len() + 1)
        }
        CompletionKind::Table | CompletionKind::Column => (c.label.clone(), c.label.len()),
    };
    Suggestion {
        label: c.label.clone(),
        kind: c.kind,
        detail: c.detail.clone(),
        insert,
        caret,
    }
}

/// What to offer with the caret at byte `caret` of `query` (`None`: nothing here).
pub fn suggest(query: &str, caret: usize) -> Option<Suggestions> {
    let mut caret = caret.min(query.len());
    while !query.is_char_boundary(caret) {
        caret -= 1;
    }
    let before = &query[..caret];
    if let Some(s) = parameter_suggestions(query, caret) {
        return Some(s);
    }
    let mut start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(caret, |(i, _)| i);
    // `project-aw`, `mv-ex`: hyphenated operator names after a pipe.
    let mut ctx = context(&query[..start]);
    if ctx != Context::Operator {
        if let Some(head) = query[..start].strip_suffix('-') {
            let word_start = head
                .char_indices()
                .rev()
                .take_while(|(_, c)| is_word(*c))
                .last()
                .map(|(i, _)| i);
            if let Some(ws) = word_start {
                if context(&query[..ws]) == Context::Operator {
                    start = ws;
                    ctx = Context::Operator;
                }
            }
        }
    }
    // A word the caret is inside of is replaced whole.
    let end = caret
        + query[caret..]
            .char_indices()
            .take_while(|(_, c)| is_word(*c) || *c == '-')
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
    let prefix = &query[start..caret];
    let lower = prefix.to_ascii_lowercase();
    let all = entries();
    let mut cands: Vec<&Completion> = Vec::new();
    let mut each = |keep: &dyn Fn(&Entry) -> bool| {
        cands.extend(all.iter().filter(|e| keep(e)).map(|e| &e.c));
    };
    let kind = |e: &Entry, k: CompletionKind| e.c.kind == k;
    let mut assigned_names: Vec<Completion> = Vec::new();
    match &ctx {
        Context::Nothing => return None,
        Context::Statement | Context::LetValue => {
            each(&|e| kind(e, CompletionKind::Table));
            each(&|e| e.tabular && SOURCES.contains(&e.c.label.as_str()));
            if ctx == Context::LetValue {
                each(&|e| kind(e, CompletionKind::Function) && !e.aggregation);
            } else {
                each(&|e| kind(e, CompletionKind::Keyword) && e.c.label == "let");
            }
        }
        Context::Table => each(&|e| kind(e, CompletionKind::Table)),
        Context::Operator => each(&|e| e.tabular),
        Context::AfterOperand => {
            each(&|e| kind(e, CompletionKind::Operator) && !e.tabular);
            each(&|e| {
                kind(e, CompletionKind::Keyword)
                    && !matches!(e.c.label.as_str(), "let" | "true" | "false" | "null")
            });
        }
        Context::Expression {
            table,
            assigned,
            aggregate,
        } => {
            assigned_names = assigned
                .iter()
                .map(|a| Completion {
                    label: a.clone(),
                    kind: CompletionKind::Column,
                    detail: "assigned earlier in this query".into(),
                })
                .collect();
            let columns = table.as_deref().and_then(keyhole_kql::table_columns);
            each(&|e| {
                kind(e, CompletionKind::Column)
                    && columns
                        .as_ref()
                        .is_none_or(|cols| cols.iter().any(|k| k.name == e.c.label))
            });
            if *aggregate {
                each(&|e| e.aggregation);
            }
            each(&|e| kind(e, CompletionKind::Function) && !e.aggregation);
            each(&|e| kind(e, CompletionKind::Keyword) && e.c.label == "by");
        }
    }
    let mut out: Vec<Suggestion> = Vec::new();
    for c in assigned_names.iter().chain(cands) {
        if c.label.to_ascii_lowercase().starts_with(&lower)
            && !out.iter().any(|s| s.label == c.label && s.kind == c.kind)
        {
            out.push(suggestion(c));
        }
    }
    // An exact-case prefix first, keeping the context's order otherwise.
    out.sort_by_key(|s| !s.label.starts_with(prefix));
    out.truncate(MAX_SHOWN);
    if out.is_empty() || out.len() == 1 && out[0].label == prefix {
        return None;
    }
    Some(Suggestions {
        range: start..end,
        prefix: prefix.to_string(),
        after_pipe: ctx == Context::Operator,
        items: out,
    })
}

/// Inside `{Name` (a workbook parameter, not a function body `(…) {`): the parameters.
fn parameter_suggestions(query: &str, caret: usize) -> Option<Suggestions> {
    let before = &query[..caret];
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c) || *c == ':')
        .last()
        .map_or(caret, |(i, _)| i);
    let head = query[..start].strip_suffix('{')?;
    if head.trim_end().ends_with(')') {
        return None;
    }
    let prefix = &query[start..caret];
    let lower = prefix.to_ascii_lowercase();
    // The rest of a reference already there (`{KeyV|ault}`) is replaced, with its `}`.
    let rest = &query[caret..];
    let word = rest
        .char_indices()
        .take_while(|(_, c)| is_word(*c) || *c == ':')
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = caret + word + usize::from(rest[word..].starts_with('}'));
    let items: Vec<Suggestion> = parameters()
        .iter()
        .filter(|c| c.label.to_ascii_lowercase().starts_with(&lower))
        .map(|c| Suggestion {
            label: c.label.clone(),
            kind: c.kind,
            detail: c.detail.clone(),
            insert: format!("{}}}", c.label),
            caret: c.label.len() + 1,
        })
        .collect();
    (!items.is_empty()).then(|| Suggestions {
        range: start..end,
        prefix: prefix.to_string(),
        after_pipe: false,
        items,
    })
}

fn kind_name(k: CompletionKind) -> &'static str {
    match k {
        CompletionKind::Table => "table",
        CompletionKind::Column => "column",
        CompletionKind::Operator => "operator",
        CompletionKind::Function => "function",
        CompletionKind::Keyword => "keyword",
    }
}

#[derive(Properties, PartialEq)]
pub struct CompletionListProps {
    pub suggestions: Suggestions,
    pub selected: usize,
    /// An entry was clicked.
    pub on_pick: Callback<usize>,
    /// Where the list goes: pixels from the editor's top left.
    pub at: (f64, f64),
}

/// The list of entries under the caret (text only; the textarea keeps the focus).
#[function_component(CompletionList)]
pub fn completion_list(p: &CompletionListProps) -> Html {
    // Placed through the CSSOM: the page's Content-Security-Policy (style-src 'self') refuses
    // style attributes.
    let list_ref = use_node_ref();
    {
        let list_ref = list_ref.clone();
        use_effect_with((p.at.0.to_bits(), p.at.1.to_bits()), move |&(x, y)| {
            if let Some(el) = list_ref.cast::<web_sys::HtmlElement>() {
                let st = el.style();
                let _ = st.set_property("left", &format!("{:.0}px", f64::from_bits(x)));
                let _ = st.set_property("top", &format!("{:.0}px", f64::from_bits(y)));
            }
            || ()
        });
    }
    // Keep the selected entry in view as the arrows move it.
    use_effect_with(p.selected, |i| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("kql-opt-{i}")))
        {
            el.scroll_into_view_with_bool(false);
        }
        || ()
    });
    html! {
        <ul class="completions" id="kql-complete" role="listbox" aria-label="completions" ref={list_ref}>
            { for p.suggestions.items.iter().enumerate().map(|(i, s)| {
                let pick = p.on_pick.clone();
                // mousedown, not click: the textarea keeps the focus and the caret.
                let onmousedown = Callback::from(move |e: MouseEvent| { e.prevent_default(); pick.emit(i); });
                let on = i == p.selected;
                html! {
                    <li id={format!("kql-opt-{i}")} role="option" aria-selected={on.to_string()}
                        class={classes!(format!("c-{}", kind_name(s.kind)), on.then_some("on"))}
                        data-label={s.label.clone()} data-kind={kind_name(s.kind)} title={s.detail.clone()} {onmousedown}>
                        <span class="c-label">{ &s.label }</span>
                        <span class="c-kind">{ kind_name(s.kind) }</span>
                        if on { <span class="c-detail">{ &s.detail }</span> }
                    </li>
                }
            }) }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(q: &str) -> Vec<String> {
        suggest(q, q.len())
            .map(|s| s.items.into_iter().map(|i| i.label).collect())
            .unwrap_or_default()
    }

    fn kinds(q: &str) -> Vec<CompletionKind> {
        suggest(q, q.len())
            .map(|s| s.items.into_iter().map(|i| i.kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn operators_after_a_pipe() {
        let l = labels("AzureDiagnostics | su");
        assert_eq!(l.first().map(String::as_str), Some("summarize"), "{l:?}");
        assert!(kinds("AzureDiagnostics | su")
            .iter()
            .all(|k| *k == CompletionKind::Operator));
        assert!(!l.iter().any(|x| x == "substring"), "no function after |");
        // The list opens right after the pipe, every tabular operator and no word operator.
        let s = suggest("AzureDiagnostics | ", 19).unwrap();
        assert!(s.after_pipe);
        assert!(s.items.iter().any(|i| i.label == "where"));
        assert!(!s.items.iter().any(|i| i.label == "has" || i.label == "and"));
        // Hyphenated names.
        let s = suggest("AzureDiagnostics | project-aw", 29).unwrap();
        assert_eq!(s.items[0].label, "project-away");
        assert_eq!(s.range, 19..29);
        assert_eq!(
            s.accept("AzureDiagnostics | project-aw", 0).unwrap(),
            ("AzureDiagnostics | project-away ".to_string(), 32)
        );
    }

    #[test]
    fn columns_of_the_table_then_functions_inside_an_expression() {
        let q = "AZKVAuditLogs\n| where Oper";
        let s = suggest(q, q.len()).unwrap();
        assert_eq!(s.items[0].label, "OperationName");
        assert_eq!(s.items[0].kind, CompletionKind::Column);
        let cols = keyhole_kql::table_columns("AZKVAuditLogs").unwrap();
        for i in s.items.iter().filter(|i| i.kind == CompletionKind::Column) {
            assert!(
                cols.iter().any(|c| c.name == i.label),
                "{} not in AZKVAuditLogs",
                i.label
            );
        }
        // AzureDiagnostics' own columns (not in AZKVAuditLogs) are offered only there.
        let ad = keyhole_kql::table_columns("AzureDiagnostics").unwrap();
        let only_ad = ad
            .iter()
            .find(|c| !cols.iter().any(|k| k.name == c.name))
            .expect("a column only AzureDiagnostics has");
        let p = &only_ad.name[..3];
        assert!(labels(&format!("AzureDiagnostics | where {p}")).contains(&only_ad.name));
        assert!(!labels(&format!("AZKVAuditLogs | where {p}")).contains(&only_ad.name));
        // A function: accepted with its parentheses, the caret inside.
        let q = "AzureDiagnostics | extend n = strc";
        let s = suggest(q, q.len()).unwrap();
        let i = s.items.iter().position(|i| i.label == "strcat").unwrap();
        assert_eq!(
            s.accept(q, i).unwrap(),
            ("AzureDiagnostics | extend n = strcat()".to_string(), 37)
        );
        // Aggregations only where they aggregate.
        assert!(labels("AzureDiagnostics | summarize dcou").contains(&"dcount".to_string()));
        assert!(!labels("AzureDiagnostics | where dcou").contains(&"dcount".to_string()));
        // Names the query assigned earlier.
        assert!(
            labels("AzureDiagnostics | extend Who = Identity | where Wh").contains(&"Who".into())
        );
        // Inside a function's arguments: the same table's columns.
        let q = "AzureDiagnostics | where strlen(CallerIP";
        assert_eq!(
            labels(q).first().map(String::as_str),
            Some("CallerIPAddress")
        );
        // After an aggregation, `by`.
        let l = labels("AzureDiagnostics | summarize count() b");
        assert!(
            l.contains(&"by".to_string()) && !l.contains(&"bin".to_string()),
            "{l:?}"
        );
        // A query starting with a pipe reads AzureDiagnostics.
        assert!(labels("| where Resou").contains(&"ResourceId".to_string()));
    }

    #[test]
    fn word_operators_after_an_operand_tables_at_the_start_nothing_after_a_table() {
        let l = labels("AzureDiagnostics | where OperationName co");
        assert!(l.contains(&"contains".to_string()), "{l:?}");
        assert!(!l.iter().any(|x| x == "count" || x == "cos"), "{l:?}");
        assert!(labels("AzureDiagnostics | sort by TimeGenerated de").contains(&"desc".into()));
        assert_eq!(labels("Azu"), vec!["AzureDiagnostics".to_string()]);
        assert!(labels("AzureDiagnostics | count;\nAZ").contains(&"AZKVAuditLogs".into()));
        assert!(labels("let x = 1;\npr").contains(&"print".into()));
        assert!(labels("AzureDiagnostics | join kind=inner (AZ").contains(&"AZKVAuditLogs".into()));
        assert!(suggest("AzureDiagnostics ", 17).is_none());
        assert!(
            suggest("AzureDiagnostics w", 18).is_none(),
            "after a table name"
        );
    }

    #[test]
    fn workbook_parameters_after_a_brace() {
        let q = "AzureDiagnostics | where ResourceId in~ ({KeyV";
        let s = suggest(q, q.len()).unwrap();
        assert_eq!(s.items[0].label, "KeyVault");
        assert_eq!(
            s.accept(q, 0).unwrap().0,
            "AzureDiagnostics | where ResourceId in~ ({KeyVault}"
        );
        // The time ranges with their parts; an existing `}` is not doubled.
        let q = "AzureDiagnostics | where TimeGenerated > {TimeRange:st}";
        let s = suggest(q, q.len() - 1).unwrap();
        assert_eq!(s.items[0].label, "TimeRange:start");
        assert_eq!(
            s.accept(q, 0).unwrap().0,
            "AzureDiagnostics | where TimeGenerated > {TimeRange:start}"
        );
        // A function body is no parameter.
        assert!(suggest("let f = (x:long) {Key", 21).is_none_or(|s| !s
            .items
            .iter()
            .any(|i| i.detail.contains("workbook parameter"))));
        // Every name the engine binds on a drop is offered.
        use keyhole_core::detect::testkit::ev;
        let offered: Vec<&str> = parameters().iter().map(|c| c.label.as_str()).collect();
        for name in keyhole_kql::workbook_defaults(&keyhole_core::EventStore::from_events(&[ev(
            "2026-10-18T03:00:00Z",
        )]))
        .keys()
        {
            assert!(offered.contains(&name.as_str()), "{name} not offered");
        }
    }

    #[test]
    fn nothing_inside_strings_and_comments_and_whole_words_are_replaced() {
        assert!(suggest("AzureDiagnostics | where x == \"Sec", 34).is_none());
        assert!(suggest("AzureDiagnostics | where x == 'Sec", 34).is_none());
        assert!(suggest("AzureDiagnostics // su", 22).is_none());
        // The caret inside a word: the whole word is replaced.
        let q = "AzureDiagnostics | whe x";
        let s = suggest(q, 21).unwrap();
        assert_eq!(s.range, 19..22);
        let w = s.items.iter().position(|i| i.label == "where").unwrap();
        assert_eq!(s.accept(q, w).unwrap().0, "AzureDiagnostics | where  x");
        // A complete word alone in the list is not offered again.
        assert!(suggest("AzureDiagnostics", 16).is_none());
        // Multi-byte text before the caret.
        let q = "print s = 'é' | ext";
        assert!(labels(q).contains(&"extend".into()));
        assert!(suggest(q, 12).is_none(), "inside the string, mid-character");
    }
}
