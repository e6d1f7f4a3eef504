//! What the page's editor offers while typing: tables, their columns, tabular operators,
//! functions (scalar and aggregation) and keywords, each with a one-line detail. Built from the
//! same registries the engine runs and its errors quote, so the list never promises a name the
//! engine rejects.

use crate::functions::{self, aggregates};
use crate::lexer::{CLAUSE_WORDS, WORD_OPERATORS};
use crate::tables;
use serde::Serialize;

/// What an entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum CompletionKind {
    Table,
    Column,
    Operator,
    Function,
    Keyword,
}

/// One completion entry: the text to insert, what it is, and a one-line description
/// (a signature and doc for functions, the type and tables for columns).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
}

fn item(label: &str, kind: CompletionKind, detail: String) -> Completion {
    Completion {
        label: label.to_string(),
        kind,
        detail,
    }
}

/// Every completion entry: tables, columns (each name once, with the tables that have it),
/// operators, functions and keywords.
pub fn completion_items() -> Vec<Completion> {
    let mut out = Vec::new();
    for &t in tables::TABLE_NAMES {
        let n = tables::table(t).map(|c| c.len()).unwrap_or(0);
        out.push(item(
            t,
            CompletionKind::Table,
            format!("table, {n} columns"),
        ));
    }
    // Columns: one entry per name, listing type and tables.
    let mut cols: Vec<(&str, String, Vec<&str>)> = Vec::new();
    for &t in tables::TABLE_NAMES {
        for c in tables::table(t).unwrap_or(&[]) {
            match cols.iter_mut().find(|(n, _, _)| *n == c.name) {
                Some((_, _, ts)) => ts.push(t),
                None => cols.push((c.name, c.ty.name().to_string(), vec![t])),
            }
        }
    }
    for (name, ty, ts) in cols {
        out.push(item(
            name,
            CompletionKind::Column,
            format!("{ty} · {}", ts.join(", ")),
        ));
    }
    for op in crate::ops::OPERATORS.iter().filter(|o| o.supported) {
        out.push(item(
            op.name,
            CompletionKind::Operator,
            format!("{} — {}", op.syntax, op.doc),
        ));
    }
    for (w, doc) in WORD_OPERATORS {
        out.push(item(w, CompletionKind::Operator, doc.to_string()));
    }
    for f in functions::all().filter(|f| f.supported()) {
        for name in f.names() {
            let alias = if name == f.name {
                String::new()
            } else {
                format!(" (alias of {})", f.name)
            };
            out.push(item(
                name,
                CompletionKind::Function,
                format!("{name}({}){alias} — {}", f.params, f.doc),
            ));
        }
    }
    for a in aggregates::AGGREGATES {
        for name in std::iter::once(a.name).chain(a.aliases.iter().copied()) {
            out.push(item(
                name,
                CompletionKind::Function,
                format!("{name}({}) — aggregation: {}", a.params, a.doc),
            ));
        }
    }
    for w in CLAUSE_WORDS {
        out.push(item(w, CompletionKind::Keyword, "keyword".to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_kind_from_the_registries() {
        let items = completion_items();
        let find = |l: &str, k: CompletionKind| {
            items
                .iter()
                .find(|c| c.label == l && c.kind == k)
                .unwrap_or_else(|| panic!("{l} {k:?} missing"))
        };
        assert_eq!(
            find("AzureDiagnostics", CompletionKind::Table).detail,
            "table, 96 columns"
        );
        assert!(find("OperationName", CompletionKind::Column)
            .detail
            .contains("AzureDiagnostics, AZKVAuditLogs"));
        assert!(find("summarize", CompletionKind::Operator)
            .detail
            .contains("by"));
        assert!(find("has", CompletionKind::Operator)
            .detail
            .contains("term"));
        assert!(find("strcat", CompletionKind::Function)
            .detail
            .starts_with("strcat("));
        assert!(find("dcount", CompletionKind::Function)
            .detail
            .contains("aggregation"));
        find("by", CompletionKind::Keyword);
        // Column names appear once even when both tables have them.
        assert_eq!(
            items.iter().filter(|c| c.label == "OperationName").count(),
            1
        );
        // Every function entry runs (no name the engine would reject).
        for c in items.iter().filter(|c| c.kind == CompletionKind::Function) {
            assert!(
                functions::lookup(&c.label).is_some_and(|f| f.supported())
                    || aggregates::lookup(&c.label).is_some(),
                "{}",
                c.label
            );
        }
        let json = serde_json::to_string(&items[0]).unwrap();
        assert_eq!(
            json,
            r#"{"label":"AzureDiagnostics","kind":"Table","detail":"table, 96 columns"}"#
        );
    }
}
