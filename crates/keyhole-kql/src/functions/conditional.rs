//! Conditionals and null/empty tests: `iff`, `case`, `coalesce`, `not`, `isempty`, `isnull`, …,
//! and the functions of a tabular argument (`toscalar`, `column_names_of`, `column_ifexists`).

use super::{def, Env, FnDef, Imp::Eval, Imp::Special, Ret::Arg, Ret::T};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("iff" | "iif", ("predicate, ifTrue, ifFalse", 3, 3) -> Arg(1), "ifTrue when the predicate is true, else ifFalse.", Eval(iff), [("iff(1 > 2, \"y\", \"n\")", "n")]),
    def!("case", ("predicate1, then1, [predicate2, then2, …] else", 3, 255) -> Arg(1), "The value of the first true predicate, else the last argument.", Eval(case), [("case(1 > 2, \"a\", 2 > 1, \"b\", \"c\")", "b")]),
    def!("coalesce", ("arg1, arg2, …", 1, 64) -> Arg(0), "The first argument that is not null or empty.", Eval(coalesce), [("coalesce(\"\", \"x\")", "x")]),
    def!("toscalar", ("expression", 1, 1) -> Arg(0), "The first value of a tabular expression's first column.", Eval(first)),
    def!("column_names_of", ("table", 1, 1) -> T(Type::Dynamic), "The column names of a tabular expression (a table, a let name, a function call), as a dynamic array.", Eval(first)),
    def!("column_ifexists" | "columnifexists", ("columnName, defaultValue", 2, 2) -> Arg(1), "The column of that name if the table has it, else the default.", Special),
    def!("not", ("expr", 1, 1) -> T(Type::Bool), "Logical negation.", Eval(not), [("not(1 > 2)", "true")]),
    def!("isempty", ("value", 1, 1) -> T(Type::Bool), "True for null and the empty string.", Eval(isempty), [("isempty(\"\")", "true")]),
    def!("isnotempty" | "notempty", ("value", 1, 1) -> T(Type::Bool), "False for null and the empty string.", Eval(isnotempty), [("isnotempty(\"a\")", "true")]),
    def!("isnull", ("value", 1, 1) -> T(Type::Bool), "True for null.", Eval(isnull), [("isnull(long(null))", "true")]),
    def!("isnotnull" | "notnull", ("value", 1, 1) -> T(Type::Bool), "False for null.", Eval(isnotnull), [("isnotnull(1)", "true")]),
];

fn iff(a: &[Value], _: &Env) -> Value {
    if a[0].is_true() {
        a[1].clone()
    } else {
        a[2].clone()
    }
}

fn case(a: &[Value], _: &Env) -> Value {
    let mut i = 0;
    while i + 1 < a.len() {
        if a[i].is_true() {
            return a[i + 1].clone();
        }
        i += 2;
    }
    a[a.len() - 1].clone()
}

fn coalesce(a: &[Value], _: &Env) -> Value {
    a.iter()
        .find(|v| !v.is_empty())
        .unwrap_or(&a[a.len() - 1])
        .clone()
}

fn first(a: &[Value], _: &Env) -> Value {
    a[0].clone()
}

fn not(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::Bool(x) => Value::Bool(!x),
        _ => Value::Null,
    }
}

fn isempty(a: &[Value], _: &Env) -> Value {
    Value::Bool(a[0].is_empty())
}

fn isnotempty(a: &[Value], _: &Env) -> Value {
    Value::Bool(!a[0].is_empty())
}

fn isnull(a: &[Value], _: &Env) -> Value {
    Value::Bool(a[0].undyn().is_null())
}

fn isnotnull(a: &[Value], _: &Env) -> Value {
    Value::Bool(!a[0].undyn().is_null())
}
