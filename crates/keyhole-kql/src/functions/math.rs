//! Numeric functions: `bin`, `abs`, `round`, `ceiling`, `sqrt`, `log10`, `pow`, `min_of`,
//! `max_of`.

use super::{def, floor_to, Env, FnDef, Imp::Eval, Ret::Arg, Ret::T};
use crate::value::{kql_cmp, Type, Value};
use keyhole_core::Timestamp;
use std::cmp::Ordering;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("bin" | "floor", ("value, roundTo", 2, 2) -> Arg(0), "The value rounded down to a multiple of the bin size (numbers, datetimes, timespans).", Eval(bin), [("bin(7, 5)", "5"), ("bin(datetime(2024-04-03 14:03), 1h)", "2024-04-03T14:00:00Z")]),
    def!("abs", ("x", 1, 1) -> Arg(0), "The absolute value.", Eval(abs), [("abs(-5)", "5")]),
    def!("round", ("number [, precision]", 1, 2) -> Arg(0), "The number rounded to `precision` decimal digits.", Eval(round), [("round(2.567, 2)", "2.57")]),
    def!("ceiling", ("number", 1, 1) -> Arg(0), "The smallest integer not below the number.", Eval(ceiling), [("ceiling(1.2)", "2")]),
    def!("sqrt", ("number", 1, 1) -> T(Type::Real), "The square root.", Eval(sqrt), [("sqrt(16)", "4")]),
    def!("log10", ("number", 1, 1) -> T(Type::Real), "The base-10 logarithm.", Eval(log10), [("log10(100)", "2")]),
    def!("pow", ("base, exponent", 2, 2) -> T(Type::Real), "base raised to the power exponent.", Eval(pow), [("pow(2, 10)", "1024")]),
    def!("min_of", ("arg1, arg2, …", 1, 64) -> Arg(0), "The smallest argument (nulls ignored).", Eval(min_of), [("min_of(3, 1, 2)", "1")]),
    def!("max_of", ("arg1, arg2, …", 1, 64) -> Arg(0), "The largest argument (nulls ignored).", Eval(max_of), [("max_of(3, 1, 2)", "3")]),
];

fn bin(a: &[Value], _: &Env) -> Value {
    let (v, size) = (a[0].undyn(), a[1].undyn());
    match (&v, &size) {
        (Value::DateTime(t), Value::TimeSpan(s)) => {
            Value::DateTime(Timestamp::from_micros(floor_to(t.micros, *s)))
        }
        (Value::TimeSpan(t), Value::TimeSpan(s)) => Value::TimeSpan(floor_to(*t, *s)),
        (Value::Long(x), Value::Long(s)) => Value::Long(floor_to(*x, *s)),
        _ => match (v.as_f64(), size.as_f64()) {
            (Some(x), Some(s)) if s > 0.0 => Value::Real((x / s).floor() * s),
            _ => Value::Null,
        },
    }
}

fn abs(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::Long(x) => Value::Long(x.wrapping_abs()),
        Value::Real(x) => Value::Real(x.abs()),
        Value::TimeSpan(x) => Value::TimeSpan(x.wrapping_abs()),
        _ => Value::Null,
    }
}

fn round(a: &[Value], _: &Env) -> Value {
    let digits = match a.get(1) {
        Some(d) => d.as_i64().unwrap_or(0).clamp(-15, 15),
        None => 0,
    };
    match a[0].undyn() {
        Value::Long(x) if digits >= 0 => Value::Long(x),
        v => match v.as_f64() {
            Some(x) => {
                let m = 10f64.powi(digits as i32);
                Value::Real((x * m).round() / m)
            }
            None => Value::Null,
        },
    }
}

fn ceiling(a: &[Value], _: &Env) -> Value {
    match a[0].undyn() {
        Value::Long(x) => Value::Long(x),
        v => v
            .as_f64()
            .map(|x| Value::Real(x.ceil()))
            .unwrap_or(Value::Null),
    }
}

fn real(a: &Value, f: fn(f64) -> f64) -> Value {
    a.as_f64().map(|x| Value::Real(f(x))).unwrap_or(Value::Null)
}

fn sqrt(a: &[Value], _: &Env) -> Value {
    real(&a[0], f64::sqrt)
}

fn log10(a: &[Value], _: &Env) -> Value {
    real(&a[0], f64::log10)
}

fn pow(a: &[Value], _: &Env) -> Value {
    match (a[0].as_f64(), a[1].as_f64()) {
        (Some(x), Some(y)) => Value::Real(x.powf(y)),
        _ => Value::Null,
    }
}

fn best_of(a: &[Value], want: Ordering) -> Value {
    let mut best: Option<&Value> = None;
    for v in a {
        if v.is_null() {
            continue;
        }
        best = Some(match best {
            None => v,
            Some(bv) => {
                if kql_cmp(v, bv) == Some(want) {
                    v
                } else {
                    bv
                }
            }
        });
    }
    best.cloned().unwrap_or(Value::Null)
}

fn min_of(a: &[Value], _: &Env) -> Value {
    best_of(a, Ordering::Less)
}

fn max_of(a: &[Value], _: &Env) -> Value {
    best_of(a, Ordering::Greater)
}
