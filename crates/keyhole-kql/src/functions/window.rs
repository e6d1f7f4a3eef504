//! Row functions of a serialized row set (after `serialize`, `sort`, `top`, `range`, …):
//! `row_number`, `prev`, `next`, `row_cumsum`, `row_rank_min`, `row_rank_dense`,
//! `row_window_session`. Their value depends on other rows, so the compiler evaluates their
//! arguments over the whole batch and computes the column at once ([`compute`]).

use super::{def, FnDef, Imp::Special, Ret::Arg, Ret::T};
use crate::value::{kql_eq, Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("row_number", ("[start_index [, restart]]", 0, 2) -> T(Type::Long), "The row's number in the serialized row set, counting from start_index (1); numbering starts again at rows where restart is true.", Special),
    def!("prev", ("column [, offset [, default_value]]", 1, 3) -> Arg(0), "The value of an expression offset rows (1) before this one, or default_value (null) before the first.", Special),
    def!("next", ("column [, offset [, default_value]]", 1, 3) -> Arg(0), "The value of an expression offset rows (1) after this one, or default_value (null) after the last.", Special),
    def!("row_cumsum", ("term [, restart]", 1, 2) -> Arg(0), "The running sum of term over the serialized row set; the sum starts again at rows where restart is true.", Special),
    def!("row_rank_min", ("term [, restart]", 1, 2) -> T(Type::Long), "The row's rank by term in the sorted row set; equal values share the lowest rank (1, 2, 2, 4); ranking starts again at rows where restart is true.", Special),
    def!("row_rank_dense", ("term [, restart]", 1, 2) -> T(Type::Long), "The row's dense rank by term in the sorted row set (1, 2, 2, 3); ranking starts again at rows where restart is true.", Special),
    def!("row_window_session", ("expr, max_distance_from_first, max_distance_between_neighbors [, restart]", 3, 4) -> Arg(0), "The first value of the row's session: a session ends when a value is further than max_distance_from_first from its first value or max_distance_between_neighbors from the previous one (or restart is true).", Special),
];

/// Whether `name` is a row function.
pub(crate) fn is_row_function(name: &str) -> bool {
    FUNCTIONS.iter().any(|f| f.name == name)
}

fn truthy(v: Option<&Value>) -> bool {
    matches!(v.map(Value::undyn), Some(Value::Bool(true)))
}

fn long(v: Option<&Value>, default: i64) -> i64 {
    v.and_then(|v| v.undyn().as_i64()).unwrap_or(default)
}

fn same(a: &Value, b: &Value) -> bool {
    (a.is_null() && b.is_null()) || kql_eq(a, b) == Some(true)
}

/// A value on a line: numbers as themselves, datetimes and timespans in microseconds.
fn position(v: &Value) -> Option<f64> {
    match v.undyn() {
        Value::DateTime(t) => Some(t.micros as f64),
        Value::TimeSpan(m) => Some(m as f64),
        other => other.as_f64(),
    }
}

fn add(acc: &Value, x: &Value) -> Value {
    match (acc, x.undyn()) {
        (_, Value::Null) => acc.clone(),
        (Value::Null, x) => x,
        (Value::Long(a), Value::Long(b)) => Value::Long(a.wrapping_add(b)),
        (Value::TimeSpan(a), Value::TimeSpan(b)) => Value::TimeSpan(a.saturating_add(b)),
        (a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => Value::Real(a + b),
            _ => acc.clone(),
        },
    }
}

/// The column a row function makes over `n` rows, from its arguments' columns (`args[i][row]`).
pub(crate) fn compute(name: &str, args: &[Vec<Value>], n: usize) -> Vec<Value> {
    let arg = |i: usize, r: usize| args.get(i).and_then(|c| c.get(r));
    let mut out = Vec::with_capacity(n);
    match name {
        "row_number" => {
            let mut cur = 0i64;
            for r in 0..n {
                let start = long(arg(0, r), 1);
                cur = if r == 0 || truthy(arg(1, r)) {
                    start
                } else {
                    cur + 1
                };
                out.push(Value::Long(cur));
            }
        }
        "prev" | "next" => {
            for r in 0..n {
                let off = long(arg(1, r), 1);
                let at = if name == "prev" {
                    r as i64 - off
                } else {
                    r as i64 + off
                };
                out.push(
                    match usize::try_from(at).ok().filter(|&i| i < n && off >= 0) {
                        Some(i) => arg(0, i).cloned().unwrap_or(Value::Null),
                        None => arg(2, r).cloned().unwrap_or(Value::Null),
                    },
                );
            }
        }
        "row_cumsum" => {
            let mut acc = Value::Null;
            for r in 0..n {
                if truthy(arg(1, r)) {
                    acc = Value::Null;
                }
                acc = add(&acc, arg(0, r).unwrap_or(&Value::Null));
                out.push(acc.clone());
            }
        }
        "row_rank_min" | "row_rank_dense" => {
            let (mut rank, mut first) = (0i64, 0usize);
            for r in 0..n {
                if r == 0 || truthy(arg(1, r)) {
                    (rank, first) = (0, r);
                }
                let v = arg(0, r).cloned().unwrap_or(Value::Null);
                let tie = r > first && same(&v, arg(0, r - 1).unwrap_or(&Value::Null));
                if !tie {
                    rank = if name == "row_rank_min" {
                        (r - first) as i64 + 1
                    } else {
                        rank + 1
                    };
                }
                out.push(Value::Long(rank));
            }
        }
        "row_window_session" => {
            let (mut first, mut prev): (Option<(f64, Value)>, Option<f64>) = (None, None);
            for r in 0..n {
                let v = arg(0, r).cloned().unwrap_or(Value::Null);
                let Some(x) = position(&v) else {
                    out.push(Value::Null);
                    continue;
                };
                let from_first = arg(1, r).and_then(position);
                let between = arg(2, r).and_then(position);
                let new = match (&first, prev) {
                    (Some((f, _)), Some(p)) => {
                        truthy(arg(3, r))
                            || from_first.is_some_and(|d| x - f > d)
                            || between.is_some_and(|d| x - p > d)
                    }
                    _ => true,
                };
                if new {
                    first = Some((x, v));
                }
                prev = Some(x);
                out.push(first.as_ref().map_or(Value::Null, |(_, s)| s.clone()));
            }
        }
        _ => out.resize(n, Value::Null),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longs(v: &[i64]) -> Vec<Value> {
        v.iter().map(|&x| Value::Long(x)).collect()
    }

    #[test]
    fn row_functions_over_a_column() {
        let x = longs(&[5, 5, 7, 9, 9, 9]);
        let restart: Vec<Value> = [false, false, true, false, false, false]
            .iter()
            .map(|&b| Value::Bool(b))
            .collect();
        assert_eq!(
            compute("row_number", &[longs(&[1; 6]), restart.clone()], 6),
            longs(&[1, 2, 1, 2, 3, 4])
        );
        assert_eq!(
            compute("row_cumsum", &[x.clone(), restart], 6),
            longs(&[5, 10, 7, 16, 25, 34])
        );
        assert_eq!(
            compute("row_rank_min", std::slice::from_ref(&x), 6),
            longs(&[1, 1, 3, 4, 4, 4])
        );
        assert_eq!(
            compute("row_rank_dense", std::slice::from_ref(&x), 6),
            longs(&[1, 1, 2, 3, 3, 3])
        );
        let part: Vec<Value> = [false, false, false, true, false, false]
            .iter()
            .map(|&b| Value::Bool(b))
            .collect();
        assert_eq!(
            compute("row_rank_min", &[x.clone(), part], 6),
            longs(&[1, 1, 3, 1, 1, 1])
        );
        let p = compute("prev", &[x.clone(), longs(&[2; 6]), longs(&[0; 6])], 6);
        assert_eq!(p, longs(&[0, 0, 5, 5, 7, 9]));
        let n = compute("next", std::slice::from_ref(&x), 6);
        assert_eq!(&n[..5], &longs(&[5, 7, 9, 9, 9])[..]);
        assert!(n[5].is_null());
        // Sessions: at most 3 from the first value, at most 2 between neighbours.
        let s = compute(
            "row_window_session",
            &[longs(&[1, 2, 4, 5, 9, 10]), longs(&[3; 6]), longs(&[2; 6])],
            6,
        );
        assert_eq!(s, longs(&[1, 1, 1, 5, 9, 9]));
    }
}
