//! Row-at-a-time evaluation of compiled expressions: Kusto's null semantics for comparisons and
//! logic, arithmetic over numbers, datetimes and timespans, and dispatch of function calls
//! through the registry.

use super::{flatten_const, set_key, CE};
use crate::ast::BinOp;
use crate::functions::{as_json, b, has_term, member, str_of, str_op, text_size, Env, Imp};
use crate::value::{kql_cmp, kql_eq, Value};
use keyhole_core::Timestamp;
use std::borrow::Cow;
use std::cmp::Ordering;

/// Row access during evaluation.
pub(crate) struct Row<'a> {
    pub get: &'a dyn Fn(usize) -> Value,
    pub env: &'a Env,
    /// The row's index in its batch (for columns computed over the batch: row functions).
    pub at: usize,
}

fn arith(op: BinOp, l: &Value, r: &Value) -> Value {
    let (l, r) = (l.undyn(), r.undyn());
    use Value::*;
    match (op, &l, &r) {
        (_, Null, _) | (_, _, Null) => Null,
        (BinOp::Sub, DateTime(a), DateTime(b)) => TimeSpan(a.micros - b.micros),
        (BinOp::Add, DateTime(a), TimeSpan(b)) | (BinOp::Add, TimeSpan(b), DateTime(a)) => {
            DateTime(Timestamp::from_micros(a.micros.saturating_add(*b)))
        }
        (BinOp::Sub, DateTime(a), TimeSpan(b)) => {
            DateTime(Timestamp::from_micros(a.micros.saturating_sub(*b)))
        }
        (BinOp::Add, TimeSpan(a), TimeSpan(b)) => TimeSpan(a.saturating_add(*b)),
        (BinOp::Sub, TimeSpan(a), TimeSpan(b)) => TimeSpan(a.saturating_sub(*b)),
        (BinOp::Div, TimeSpan(a), TimeSpan(b)) => {
            if *b == 0 {
                Null
            } else {
                Real(*a as f64 / *b as f64)
            }
        }
        (BinOp::Mul, TimeSpan(a), n) | (BinOp::Mul, n, TimeSpan(a)) => match n.as_f64() {
            Some(f) => TimeSpan((*a as f64 * f) as i64),
            None => Null,
        },
        (BinOp::Div, TimeSpan(a), n) => match n.as_f64() {
            Some(f) if f != 0.0 => TimeSpan((*a as f64 / f) as i64),
            _ => Null,
        },
        (_, Long(a), Long(b)) => match op {
            BinOp::Add => Long(a.wrapping_add(*b)),
            BinOp::Sub => Long(a.wrapping_sub(*b)),
            BinOp::Mul => Long(a.wrapping_mul(*b)),
            BinOp::Div => a.checked_div(*b).map(Long).unwrap_or(Null),
            BinOp::Mod => a.checked_rem_euclid(*b).map(Long).unwrap_or(Null),
            _ => Null,
        },
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => match op {
                BinOp::Add => Real(a + b),
                BinOp::Sub => Real(a - b),
                BinOp::Mul => Real(a * b),
                BinOp::Div => Real(a / b),
                BinOp::Mod => Real(a.rem_euclid(b)),
                _ => Null,
            },
            _ => Null,
        },
    }
}

/// `x between (lo .. hi)`; a datetime range may end in a timespan (`dt .. 1h`).
fn between(x: &Value, lo: &Value, hi: &Value) -> Option<bool> {
    let hi = match (lo, hi) {
        (Value::DateTime(l), Value::TimeSpan(t)) => {
            Value::DateTime(Timestamp::from_micros(l.micros + t))
        }
        _ => hi.clone(),
    };
    let a = kql_cmp(x, lo)?;
    let b = kql_cmp(x, &hi)?;
    Some(a != Ordering::Less && b != Ordering::Greater)
}

/// Constants by reference (no clone per row), everything else evaluated.
fn eval_cow<'a>(c: &'a CE, row: &Row) -> Cow<'a, Value> {
    match c {
        CE::Const(v) => Cow::Borrowed(v),
        other => Cow::Owned(eval(other, row)),
    }
}

/// Kusto's three-valued `and` / `or` over a run of operands: the first decisive operand wins;
/// otherwise any null (or non-bool) makes the result null.
fn logic<'c>(op: BinOp, terms: impl IntoIterator<Item = &'c CE>, row: &Row) -> Value {
    let stop = op == BinOp::Or;
    let mut unknown = false;
    for t in terms {
        match eval(t, row) {
            Value::Bool(x) if x == stop => return Value::Bool(stop),
            Value::Bool(_) => {}
            _ => unknown = true,
        }
    }
    if unknown {
        Value::Null
    } else {
        Value::Bool(!stop)
    }
}

pub(crate) fn eval(c: &CE, row: &Row) -> Value {
    match c {
        CE::Const(v) => v.clone(),
        CE::Col(i) => (row.get)(*i),
        CE::Rows(v) => v.get(row.at).cloned().unwrap_or(Value::Null),
        CE::Neg(x) => match eval(x, row).undyn() {
            Value::Long(v) => Value::Long(v.wrapping_neg()),
            Value::Real(v) => Value::Real(-v),
            Value::TimeSpan(v) => Value::TimeSpan(-v),
            _ => Value::Null,
        },
        CE::Bin(op, l, r) => match op {
            BinOp::And | BinOp::Or => logic(*op, [&**l, &**r], row),
            BinOp::Eq => b(kql_eq(&eval_cow(l, row), &eval_cow(r, row))),
            BinOp::Ne => b(kql_eq(&eval_cow(l, row), &eval_cow(r, row)).map(|x| !x)),
            BinOp::EqCi | BinOp::NeCi => {
                let (a, bb) = (eval(l, row), eval(r, row));
                let eq = match (str_of(&a), str_of(&bb)) {
                    (Some(x), Some(y)) => Some(x.to_lowercase() == y.to_lowercase()),
                    _ => None,
                };
                b(if *op == BinOp::NeCi {
                    eq.map(|x| !x)
                } else {
                    eq
                })
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let o = kql_cmp(&eval_cow(l, row), &eval_cow(r, row));
                b(o.map(|o| match op {
                    BinOp::Lt => o == Ordering::Less,
                    BinOp::Le => o != Ordering::Greater,
                    BinOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                }))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                arith(*op, &eval(l, row), &eval(r, row))
            }
            BinOp::Str(sop, neg) => {
                b(str_op(*sop, &eval(l, row), &eval(r, row)).map(|x| x != *neg))
            }
        },
        CE::Logic(op, terms) => logic(*op, terms, row),
        CE::Fold(first, rest) => {
            let mut acc = eval(first, row);
            for (op, x) in rest {
                acc = arith(*op, &acc, &eval(x, row));
            }
            acc
        }
        CE::EqAny { e, set } => match eval(e, row).undyn() {
            Value::Null => Value::Null,
            Value::String(s) => Value::Bool(set.contains(&s)),
            other => {
                let mut any = false;
                for lit in set.iter() {
                    match kql_eq(&other, &Value::String(lit.clone())) {
                        Some(true) => return Value::Bool(true),
                        Some(false) => {}
                        None => any = true,
                    }
                }
                if any {
                    Value::Null
                } else {
                    Value::Bool(false)
                }
            }
        },
        CE::Regex(x, re) => match str_of(&eval(x, row)) {
            Some(s) => Value::Bool(re.is_match(&s)),
            None => Value::Bool(false),
        },
        CE::InSet { e, set, neg, ci } => {
            let v = eval(e, row);
            if v.is_null() {
                return Value::Bool(*neg);
            }
            let hit = match v.undyn() {
                Value::Dynamic(_) => false,
                other => set.contains(&set_key(&other, *ci)),
            };
            Value::Bool(hit != *neg)
        }
        CE::InList { e, list, neg, ci } => {
            let v = eval(e, row);
            let key = set_key(&v, *ci);
            let mut hit = false;
            for item in list {
                let mut vals = Vec::new();
                flatten_const(&eval(item, row), &mut vals);
                if vals.iter().any(|x| !x.is_null() && set_key(x, *ci) == key) {
                    hit = true;
                    break;
                }
            }
            Value::Bool(!v.is_null() && hit != *neg || (v.is_null() && *neg))
        }
        CE::HasAny { e, list, all } => {
            let s = eval(e, row).to_kql_string();
            let mut terms = Vec::new();
            for item in list {
                flatten_const(&eval(item, row), &mut terms);
            }
            let mut it = terms
                .iter()
                .map(|t| has_term(&s, &t.to_kql_string(), false, false, false));
            Value::Bool(if *all { it.all(|x| x) } else { it.any(|x| x) })
        }
        CE::Between { e, lo, hi, neg } => {
            b(between(&eval(e, row), &eval(lo, row), &eval(hi, row)).map(|x| x != *neg))
        }
        CE::Member(x, name) => member(&eval(x, row), name),
        CE::Index(x, i) => {
            let v = eval(x, row);
            let i = eval(i, row);
            match i.undyn() {
                Value::String(k) => member(&v, &k),
                Value::Long(n) => match as_json(&v) {
                    Some(serde_json::Value::Array(a)) => {
                        let idx = if n < 0 { a.len() as i64 + n } else { n };
                        if idx >= 0 && (idx as usize) < a.len() {
                            Value::dynamic(a[idx as usize].clone())
                        } else {
                            Value::Null
                        }
                    }
                    _ => Value::Null,
                },
                _ => Value::Null,
            }
        }
        CE::Call(def, args, span) => {
            let vals: Vec<Value> = args.iter().map(|a| eval(a, row)).collect();
            let v = match def.imp {
                Imp::Eval(f) | Imp::Checked(_, f) => f(&vals, row.env),
                Imp::Special | Imp::NotYet => Value::Null,
            };
            // Every result is held to the per-value limit (functions that could build a huge
            // value check before they build it).
            if !row.env.fits(def.name, text_size(&v)) {
                row.env.position(*span);
                return Value::Null;
            }
            if row.env.failed() {
                row.env.position(*span);
            }
            v
        }
        CE::AnyColumn {
            op,
            neg,
            ncols,
            rhs,
        } => {
            let r = eval(rhs, row);
            let hit = (0..*ncols).any(|i| str_op(*op, &(row.get)(i), &r) == Some(true));
            Value::Bool(hit != *neg)
        }
    }
}
