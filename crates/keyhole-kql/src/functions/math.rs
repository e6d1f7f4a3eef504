//! Numeric functions: `bin`, `abs`, `round`, `ceiling`, `sqrt`, `log10`, `pow`, `min_of`,
//! `max_of`, the gamma and beta functions (`beta_cdf`, `beta_pdf`, `beta_inv`).

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
    def!("erf", ("x", 1, 1) -> T(Type::Real), "The error function.", Eval(erf), [("erf(0)", "0")]),
    def!("erfc", ("x", 1, 1) -> T(Type::Real), "The complementary error function, 1 - erf(x).", Eval(erfc), [("erfc(0)", "1")]),
    def!("log10", ("number", 1, 1) -> T(Type::Real), "The base-10 logarithm.", Eval(log10), [("log10(100)", "2")]),
    def!("pow", ("base, exponent", 2, 2) -> T(Type::Real), "base raised to the power exponent.", Eval(pow), [("pow(2, 10)", "1024")]),
    def!("log", ("number", 1, 1) -> T(Type::Real), "The natural logarithm (null for numbers ≤ 0).", Eval(log), [("log(1)", "0")]),
    def!("log2", ("number", 1, 1) -> T(Type::Real), "The base-2 logarithm (null for numbers ≤ 0).", Eval(log2), [("log2(8)", "3")]),
    def!("exp", ("x", 1, 1) -> T(Type::Real), "e raised to the power x.", Eval(exp), [("exp(0)", "1")]),
    def!("exp2", ("x", 1, 1) -> T(Type::Real), "2 raised to the power x.", Eval(exp2), [("exp2(3)", "8")]),
    def!("exp10", ("x", 1, 1) -> T(Type::Real), "10 raised to the power x.", Eval(exp10), [("exp10(2)", "100")]),
    def!("sign", ("number", 1, 1) -> T(Type::Real), "-1, 0 or +1 by the number's sign.", Eval(sign), [("sign(-3)", "-1")]),
    def!("pi", ("", 0, 0) -> T(Type::Real), "π.", Eval(pi)),
    def!("rand", ("[N]", 0, 1) -> T(Type::Real), "A random real in [0, 1), or with N one of 0, 1, …, N - 1 (a generator seeded alike for every query).", Eval(rand)),
    def!("degrees", ("radians", 1, 1) -> T(Type::Real), "Radians converted to degrees.", Eval(degrees), [("degrees(pi())", "180")]),
    def!("radians", ("degrees", 1, 1) -> T(Type::Real), "Degrees converted to radians.", Eval(radians)),
    def!("sin", ("x", 1, 1) -> T(Type::Real), "The sine.", Eval(sin), [("sin(0)", "0")]),
    def!("cos", ("x", 1, 1) -> T(Type::Real), "The cosine.", Eval(cos), [("cos(0)", "1")]),
    def!("tan", ("x", 1, 1) -> T(Type::Real), "The tangent.", Eval(tan)),
    def!("cot", ("x", 1, 1) -> T(Type::Real), "The cotangent.", Eval(cot)),
    def!("asin", ("x", 1, 1) -> T(Type::Real), "The arcsine.", Eval(asin)),
    def!("acos", ("x", 1, 1) -> T(Type::Real), "The arccosine.", Eval(acos)),
    def!("atan", ("x", 1, 1) -> T(Type::Real), "The arctangent.", Eval(atan)),
    def!("atan2", ("y, x", 2, 2) -> T(Type::Real), "The angle of the point (x, y).", Eval(atan2)),
    def!("gamma", ("number", 1, 1) -> T(Type::Real), "The gamma function.", Eval(gamma), [("gamma(5)", "24")]),
    def!("loggamma", ("number", 1, 1) -> T(Type::Real), "The natural logarithm of the gamma function's absolute value.", Eval(loggamma)),
    def!("welch_test", ("mean1, variance1, count1, mean2, variance2, count2", 6, 6) -> T(Type::Real), "The two-sided p-value of Welch's unequal-variances t-test on two samples' means, variances and counts.", Eval(welch_test)),
    def!("beta_cdf", ("x, alpha, beta", 3, 3) -> T(Type::Real), "The beta distribution's cumulative probability at x (NaN outside 0–1 or for alpha, beta ≤ 0).", Eval(beta_cdf)),
    def!("beta_pdf", ("x, alpha, beta", 3, 3) -> T(Type::Real), "The beta distribution's probability density at x (NaN outside 0–1 or for alpha, beta ≤ 0).", Eval(beta_pdf)),
    def!("beta_inv", ("probability, alpha, beta", 3, 3) -> T(Type::Real), "The x whose beta_cdf is the probability (NaN outside 0–1 or for alpha, beta ≤ 0).", Eval(beta_inv)),
    def!("isnan", ("number", 1, 1) -> T(Type::Bool), "Whether a real is NaN.", Eval(isnan)),
    def!("isinf", ("number", 1, 1) -> T(Type::Bool), "Whether a real is ±infinity.", Eval(isinf)),
    def!("isfinite", ("number", 1, 1) -> T(Type::Bool), "Whether a real is neither infinite nor NaN.", Eval(isfinite)),
    def!("binary_and", ("a, b", 2, 2) -> T(Type::Long), "Bitwise and.", Eval(binary_and), [("binary_and(6, 3)", "2")]),
    def!("binary_or", ("a, b", 2, 2) -> T(Type::Long), "Bitwise or.", Eval(binary_or), [("binary_or(5, 3)", "7")]),
    def!("binary_xor", ("a, b", 2, 2) -> T(Type::Long), "Bitwise exclusive or.", Eval(binary_xor), [("binary_xor(1, 2)", "3")]),
    def!("binary_not", ("a", 1, 1) -> T(Type::Long), "Bitwise not.", Eval(binary_not)),
    def!("binary_shift_left", ("a, n", 2, 2) -> T(Type::Long), "Bits shifted left (null for n outside 0–63).", Eval(binary_shift_left), [("binary_shift_left(1, 2)", "4")]),
    def!("binary_shift_right", ("a, n", 2, 2) -> T(Type::Long), "Bits shifted right (null for n outside 0–63).", Eval(binary_shift_right), [("binary_shift_right(8, 2)", "2")]),
    def!("bitset_count_ones", ("a", 1, 1) -> T(Type::Long), "The number of set bits.", Eval(bitset_count_ones), [("bitset_count_ones(7)", "3")]),
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

fn erf(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::erf)
}

fn erfc(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::erfc)
}

fn log10(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::log10)
}

fn pow(a: &[Value], _: &Env) -> Value {
    match (a[0].as_f64(), a[1].as_f64()) {
        (Some(x), Some(y)) => Value::Real(libm::pow(x, y)),
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

fn positive(a: &Value, f: fn(f64) -> f64) -> Value {
    match a.as_f64() {
        Some(x) if x > 0.0 => Value::Real(f(x)),
        _ => Value::Null,
    }
}

fn log(a: &[Value], _: &Env) -> Value {
    positive(&a[0], libm::log)
}

fn log2(a: &[Value], _: &Env) -> Value {
    positive(&a[0], libm::log2)
}

fn exp(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::exp)
}

fn exp2(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::exp2)
}

fn exp10(a: &[Value], _: &Env) -> Value {
    real(&a[0], |x| libm::pow(10.0, x))
}

fn sign(a: &[Value], _: &Env) -> Value {
    real(&a[0], |x| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    })
}

fn pi(_: &[Value], _: &Env) -> Value {
    Value::Real(std::f64::consts::PI)
}

fn rand(a: &[Value], env: &Env) -> Value {
    // 53 random bits: uniform on [0, 1).
    let u = (env.next_random() >> 11) as f64 / (1u64 << 53) as f64;
    match a.first() {
        None => Value::Real(u),
        Some(n) => match n.as_f64() {
            Some(n) if n >= 1.0 => Value::Real((u * n.floor()).floor()),
            _ => Value::Null,
        },
    }
}

fn degrees(a: &[Value], _: &Env) -> Value {
    real(&a[0], f64::to_degrees)
}

fn radians(a: &[Value], _: &Env) -> Value {
    real(&a[0], f64::to_radians)
}

fn sin(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::sin)
}

fn cos(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::cos)
}

fn tan(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::tan)
}

fn cot(a: &[Value], _: &Env) -> Value {
    real(&a[0], |x| 1.0 / libm::tan(x))
}

fn asin(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::asin)
}

fn acos(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::acos)
}

fn atan(a: &[Value], _: &Env) -> Value {
    real(&a[0], libm::atan)
}

fn atan2(a: &[Value], _: &Env) -> Value {
    match (a[0].as_f64(), a[1].as_f64()) {
        (Some(y), Some(x)) => Value::Real(libm::atan2(y, x)),
        _ => Value::Null,
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7).
fn ln_gamma_pos(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut s = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        s += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * libm::log(2.0 * std::f64::consts::PI) + (x + 0.5) * libm::log(t) - t + libm::log(s)
}

/// Γ(x), with the reflection formula below ½.
fn gamma_fn(x: f64) -> f64 {
    if x < 0.5 {
        std::f64::consts::PI / (libm::sin(std::f64::consts::PI * x) * gamma_fn(1.0 - x))
    } else {
        let v = libm::exp(ln_gamma_pos(x));
        // Whole-number arguments give whole factorials.
        if x.fract() == 0.0 && x <= 171.0 {
            v.round()
        } else {
            v
        }
    }
}

fn gamma(a: &[Value], _: &Env) -> Value {
    real(&a[0], gamma_fn)
}

fn loggamma(a: &[Value], _: &Env) -> Value {
    real(&a[0], |x| {
        if x > 0.0 {
            ln_gamma_pos(x)
        } else {
            libm::log(gamma_fn(x).abs())
        }
    })
}

/// Three numbers for a beta-distribution function: null when one is not a number, NaN when
/// `x` is outside 0–1 or a shape is not positive (beta-cdf-function.md), else `f(x, a, b)`.
fn beta3(a: &[Value], f: fn(f64, f64, f64) -> f64) -> Value {
    match (a[0].as_f64(), a[1].as_f64(), a[2].as_f64()) {
        (Some(x), Some(p), Some(q)) => {
            if !(0.0..=1.0).contains(&x) || p.is_nan() || q.is_nan() || p <= 0.0 || q <= 0.0 {
                Value::Real(f64::NAN)
            } else {
                Value::Real(f(x, p, q))
            }
        }
        _ => Value::Null,
    }
}

/// ln B(a, b).
fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// The continued fraction of the regularized incomplete beta function (modified Lentz).
fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let away = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / away(1.0 - qab * x / qap);
    let mut h = d;
    // one Lentz step with coefficient `aa`: the factor it multiplies `h` by
    let mut step = |aa: f64| {
        d = 1.0 / away(1.0 + aa * d);
        c = away(1.0 + aa / c);
        d * c
    };
    for m in 1..=10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)));
        let del = step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
fn beta_cdf_fn(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = libm::exp(a * libm::log(x) + b * libm::log(1.0 - x) - ln_beta(a, b));
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(x, a, b) / a
    } else {
        1.0 - front * beta_cf(1.0 - x, b, a) / b
    }
}

fn beta_pdf_fn(x: f64, a: f64, b: f64) -> f64 {
    if (x == 0.0 && a < 1.0) || (x == 1.0 && b < 1.0) {
        return f64::INFINITY;
    }
    libm::exp((a - 1.0) * libm::log(x) + (b - 1.0) * libm::log(1.0 - x) - ln_beta(a, b))
}

/// The inverse of beta_cdf, by bisection (the cdf is monotone on 0–1).
fn beta_inv_fn(p: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if beta_cdf_fn(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= f64::EPSILON * mid.max(f64::MIN_POSITIVE) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Welch's t statistic and Welch–Satterthwaite degrees of freedom; the two-sided p-value of
/// Student's t with them, I_{df/(df+t²)}(df/2, 1/2). Null for counts under 2 or no variance.
fn welch_test(a: &[Value], _: &Env) -> Value {
    let v: Option<Vec<f64>> = a.iter().map(|x| x.as_f64()).collect();
    let Some(v) = v else {
        return Value::Null;
    };
    let (m1, v1, n1, m2, v2, n2) = (v[0], v[1], v[2], v[3], v[4], v[5]);
    let (s1, s2) = (v1 / n1, v2 / n2);
    if n1 < 2.0 || n2 < 2.0 || (s1 + s2).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Value::Null;
    }
    let t = (m1 - m2) / (s1 + s2).sqrt();
    let df = (s1 + s2) * (s1 + s2) / (s1 * s1 / (n1 - 1.0) + s2 * s2 / (n2 - 1.0));
    Value::Real(beta_cdf_fn(df / (df + t * t), df / 2.0, 0.5))
}

fn beta_cdf(a: &[Value], _: &Env) -> Value {
    beta3(a, beta_cdf_fn)
}

fn beta_pdf(a: &[Value], _: &Env) -> Value {
    beta3(a, beta_pdf_fn)
}

fn beta_inv(a: &[Value], _: &Env) -> Value {
    beta3(a, beta_inv_fn)
}

fn real_test(a: &Value, f: fn(f64) -> bool) -> Value {
    match a.undyn() {
        Value::Real(x) => Value::Bool(f(x)),
        Value::Long(_) => Value::Bool(f(0.0)),
        _ => Value::Null,
    }
}

fn isnan(a: &[Value], _: &Env) -> Value {
    real_test(&a[0], f64::is_nan)
}

fn isinf(a: &[Value], _: &Env) -> Value {
    real_test(&a[0], f64::is_infinite)
}

fn isfinite(a: &[Value], _: &Env) -> Value {
    real_test(&a[0], f64::is_finite)
}

fn longs(a: &[Value], f: fn(i64, i64) -> Option<i64>) -> Value {
    match (a[0].as_i64(), a[1].as_i64()) {
        (Some(x), Some(y)) => f(x, y).map(Value::Long).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn binary_and(a: &[Value], _: &Env) -> Value {
    longs(a, |x, y| Some(x & y))
}

fn binary_or(a: &[Value], _: &Env) -> Value {
    longs(a, |x, y| Some(x | y))
}

fn binary_xor(a: &[Value], _: &Env) -> Value {
    longs(a, |x, y| Some(x ^ y))
}

fn binary_not(a: &[Value], _: &Env) -> Value {
    a[0].as_i64()
        .map(|x| Value::Long(!x))
        .unwrap_or(Value::Null)
}

fn binary_shift_left(a: &[Value], _: &Env) -> Value {
    longs(a, |x, n| {
        (0..64).contains(&n).then(|| x.wrapping_shl(n as u32))
    })
}

fn binary_shift_right(a: &[Value], _: &Env) -> Value {
    longs(a, |x, n| {
        (0..64).contains(&n).then(|| x.wrapping_shr(n as u32))
    })
}

fn bitset_count_ones(a: &[Value], _: &Env) -> Value {
    a[0].as_i64()
        .map(|x| Value::Long(x.count_ones() as i64))
        .unwrap_or(Value::Null)
}
