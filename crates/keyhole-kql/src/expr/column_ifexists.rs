//! `column_ifexists(name, default)` (and the deprecated `columnifexists`): the column when the
//! input has it, else the default. Resolved at compile time against the input's schema, so the
//! Sentinel idiom for columns that only appear once a record carried them
//! (`addedAccessPolicy_ObjectId_g`, `identity_claim_oid_g`, …) costs nothing per row.

use super::{compile, Scope, CE};
use crate::ast::{Expr, ExprKind, Span};
use crate::error::{RawError, Res};
use crate::value::{Type, Value};

/// `Some` when `name` is `column_ifexists`: the compiled column or default.
pub(super) fn compile_call(
    name: &str,
    args: &[Expr],
    span: Span,
    scope: &Scope,
) -> Option<Res<(CE, Type)>> {
    if name != "column_ifexists" && name != "columnifexists" {
        return None;
    }
    if args.len() != 2 {
        return Some(Err(RawError::new(
            span,
            format!(
                "function '{name}' expects 2 argument(s), got {}: column_ifexists(columnName, defaultValue)",
                args.len()
            ),
        )));
    }
    let ExprKind::Lit(Value::String(col)) = &args[0].kind else {
        return Some(Err(RawError::new(
            args[0].span,
            "column_ifexists: the column name must be a constant string",
        )));
    };
    Some(match scope.col(col) {
        Some(i) => Ok((CE::Col(i), scope.columns[i].1)),
        None => compile(&args[1], scope),
    })
}

#[cfg(test)]
mod tests {
    fn one(q: &str) -> String {
        let t = crate::run(q, &[], &Default::default()).unwrap();
        t.rows[0][0].to_string()
    }

    #[test]
    fn the_column_when_present_else_the_default() {
        assert_eq!(
            one("print a = 'x' | extend r = column_ifexists('a', 'none') | project r"),
            "x"
        );
        assert_eq!(
            one("print a = 'x' | extend r = column_ifexists('b', 'none') | project r"),
            "none"
        );
        assert_eq!(
            one("print a = 'x' | extend r = columnifexists('b', 7) | project r"),
            "7"
        );
        assert!(crate::run(
            "print r = column_ifexists(strcat('a'), 1)",
            &[],
            &Default::default()
        )
        .is_err());
    }
}
