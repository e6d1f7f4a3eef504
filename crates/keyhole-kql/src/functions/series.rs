//! Series (dynamic numeric arrays, as `make-series` builds them): element-wise arithmetic and
//! comparisons, statistics, gap filling, linear fit, decomposition into seasonal + trend +
//! residual, and anomaly scoring (Tukey's fences on the residual), plus `range()` and
//! `bin_at()`. Nulls stay null element by element.

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::Arg, Ret::T};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("range", ("start, stop [, step]", 2, 3) -> T(Type::Dynamic), "An array from start to stop (included) by step (at most 1,048,576 values).", Eval(range), [("range(1, 7, 3)", "[1,4,7]")]),
    def!("bin_at", ("value, bin_size, fixed_point", 3, 3) -> Arg(0), "The value rounded down to a bin aligned on a fixed point.", Eval(bin_at), [("bin_at(6.5, 2.5, 7)", "4.5")]),
    def!("series_add", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise sum.", Eval(series_add), [("series_add(dynamic([1, 2]), dynamic([3, 4]))", "[4,6]")]),
    def!("series_subtract", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise difference.", Eval(series_subtract)),
    def!("series_multiply", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise product.", Eval(series_multiply)),
    def!("series_divide", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise quotient (real).", Eval(series_divide)),
    def!("series_pow", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise power.", Eval(series_pow)),
    def!("series_greater", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise >.", Eval(series_greater)),
    def!("series_greater_equals", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise >=.", Eval(series_greater_equals)),
    def!("series_less", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise <.", Eval(series_less)),
    def!("series_less_equals", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise <=.", Eval(series_less_equals)),
    def!("series_equals", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise ==.", Eval(series_equals)),
    def!("series_not_equals", ("series1, series2", 2, 2) -> T(Type::Dynamic), "Element-wise !=.", Eval(series_not_equals)),
    def!("series_abs", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise absolute value.", Eval(series_abs)),
    def!("series_sign", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise sign (-1, 0, 1).", Eval(series_sign)),
    def!("series_floor", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise floor.", Eval(series_floor)),
    def!("series_ceiling", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise ceiling.", Eval(series_ceiling)),
    def!("series_exp", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise e^x.", Eval(series_exp)),
    def!("series_log", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise natural logarithm.", Eval(series_log)),
    def!("series_sin", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise sine.", Eval(series_sin)),
    def!("series_cos", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise cosine.", Eval(series_cos)),
    def!("series_tan", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise tangent.", Eval(series_tan)),
    def!("series_asin", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise arcsine.", Eval(series_asin)),
    def!("series_acos", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise arccosine.", Eval(series_acos)),
    def!("series_atan", ("series", 1, 1) -> T(Type::Dynamic), "Element-wise arctangent.", Eval(series_atan)),
    def!("series_dot_product", ("series1, series2", 2, 2) -> T(Type::Real), "The sum of the element-wise products (a number argument is broadcast; the longer series is cut to the shorter).", Eval(series_dot_product), [("series_dot_product(dynamic([1, 2, 3]), dynamic([4, 5, 6]))", "32")]),
    def!("series_magnitude", ("series", 1, 1) -> T(Type::Real), "The Euclidean length of a series (the square root of its dot product with itself).", Eval(series_magnitude), [("series_magnitude(dynamic([3, 4]))", "5")]),
    def!("series_cosine_similarity", ("series1, series2", 2, 2) -> T(Type::Real), "The cosine of the angle between two series (the longer cut to the shorter).", Eval(series_cosine_similarity), [("series_cosine_similarity(dynamic([1, 0]), dynamic([0, 2]))", "0")]),
    def!("series_sum", ("series", 1, 1) -> T(Type::Real), "The sum of the elements.", Eval(series_sum), [("series_sum(dynamic([1, 2, 3]))", "6")]),
    def!("series_pearson_correlation", ("series1, series2", 2, 2) -> T(Type::Real), "Pearson's correlation coefficient of two series.", Eval(series_pearson_correlation)),
    def!("series_stats", ("series [, ignore_nonfinite]", 1, 2) -> outs [("min", Type::Real), ("min_idx", Type::Long), ("max", Type::Real), ("max_idx", Type::Long), ("avg", Type::Real), ("stdev", Type::Real), ("variance", Type::Real)], "Statistics of a series: min, min_idx, max, max_idx, avg, stdev, variance.", Eval(series_stats)),
    def!("series_stats_dynamic", ("series [, ignore_nonfinite]", 1, 2) -> T(Type::Dynamic), "Statistics of a series as a property bag (min, min_idx, max, max_idx, avg, stdev, variance, sum, len).", Eval(series_stats_dynamic)),
    def!("series_fill_backward", ("series [, missing_value]", 1, 2) -> T(Type::Dynamic), "Missing elements replaced by the next present one.", Eval(series_fill_backward), [("series_fill_backward(dynamic([null, 2, null, 3]))", "[2,2,3,3]")]),
    def!("series_fill_forward", ("series [, missing_value]", 1, 2) -> T(Type::Dynamic), "Missing elements replaced by the previous present one.", Eval(series_fill_forward), [("series_fill_forward(dynamic([1, null, 3, null]))", "[1,1,3,3]")]),
    def!("series_fill_const", ("series, constant [, missing_value]", 2, 3) -> T(Type::Dynamic), "Missing elements replaced by a constant.", Eval(series_fill_const), [("series_fill_const(dynamic([1, null, 3]), 0)", "[1,0,3]")]),
    def!("series_fill_linear", ("series [, missing_value, fill_edges]", 1, 4) -> T(Type::Dynamic), "Missing elements interpolated linearly.", Eval(series_fill_linear), [("series_fill_linear(dynamic([1, null, 3]))", "[1,2,3]")]),
    def!("series_fit_line", ("series", 1, 1) -> outs [("rsquare", Type::Real), ("slope", Type::Real), ("variance", Type::Real), ("rvariance", Type::Real), ("interception", Type::Real), ("line_fit", Type::Dynamic)], "Linear regression (x = 1, 2, …): rsquare, slope, variance, rvariance, interception, line_fit.", Eval(series_fit_line)),
    def!("series_fit_line_dynamic", ("series", 1, 1) -> T(Type::Dynamic), "series_fit_line as a property bag.", Eval(series_fit_line_dynamic)),
    def!("series_seasonal", ("series [, period]", 1, 2) -> T(Type::Dynamic), "The seasonal component: the median of the elements of each phase (period detected when -1).", Eval(series_seasonal)),
    def!("series_outliers", ("series [, kind, ignore_val, min_percentile, max_percentile]", 1, 5) -> T(Type::Dynamic), "Tukey's fence scores of each element (ctukey: 10th–90th percentile, tukey: 25th–75th).", Eval(series_outliers)),
    def!("series_decompose", ("series [, seasonality, trend, test_points, seasonality_threshold]", 1, 5) -> outs [("baseline", Type::Dynamic), ("seasonal", Type::Dynamic), ("trend", Type::Dynamic), ("residual", Type::Dynamic)], "Seasonal (median per phase), trend (avg, linefit or none) and residual components.", Eval(series_decompose)),
    def!("series_decompose_anomalies", ("series [, threshold, seasonality, trend, test_points, ad_method, seasonality_threshold]", 1, 7) -> outs [("ad_flag", Type::Dynamic), ("ad_score", Type::Dynamic), ("baseline", Type::Dynamic)], "Anomalies of a series: decomposition, then Tukey's fence scores of the residual; flags +1/-1 where the score passes the threshold (default 1.5).", Eval(series_decompose_anomalies)),
    def!("series_iir", ("series, numerators, denominators", 3, 3) -> T(Type::Dynamic), "An infinite impulse response filter.", Eval(series_iir), [("series_iir(dynamic([1, 2, 3]), dynamic([1]), dynamic([1, -1]))", "[1.0,3.0,6.0]")]),
];

type Series = Vec<Option<f64>>;

/// The numbers of a dynamic array (anything else in it is missing).
fn series(v: &Value) -> Option<Series> {
    match as_json(v)? {
        serde_json::Value::Array(a) => Some(a.iter().map(|x| x.as_f64()).collect()),
        _ => None,
    }
}

/// Whether every present element of a dynamic array is a whole number.
fn integral(v: &Value) -> bool {
    match as_json(v) {
        Some(serde_json::Value::Array(a)) => {
            a.iter().all(|x| x.is_null() || x.is_i64() || x.is_u64())
        }
        Some(serde_json::Value::Number(n)) => n.is_i64(),
        _ => matches!(v.undyn(), Value::Long(_)),
    }
}

fn num(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

fn to_value(s: &[Option<f64>], ints: bool) -> Value {
    Value::dynamic(serde_json::Value::Array(
        s.iter()
            .map(|x| match x {
                Some(x) if ints && x.fract() == 0.0 && x.abs() < 9e15 => {
                    serde_json::Value::from(*x as i64)
                }
                Some(x) => num(*x),
                None => serde_json::Value::Null,
            })
            .collect(),
    ))
}

fn bools(s: &[Option<bool>]) -> Value {
    Value::dynamic(serde_json::Value::Array(
        s.iter()
            .map(|x| {
                x.map(serde_json::Value::Bool)
                    .unwrap_or(serde_json::Value::Null)
            })
            .collect(),
    ))
}

/// A series argument or a scalar broadcast to every element.
enum Operand {
    Series(Series),
    Scalar(Option<f64>),
}

fn operand(v: &Value) -> Operand {
    match series(v) {
        Some(s) => Operand::Series(s),
        None => Operand::Scalar(v.as_f64()),
    }
}

fn zip2<T>(a: &Value, b: &Value, f: impl Fn(f64, f64) -> T) -> Option<Vec<Option<T>>> {
    let (x, y) = (operand(a), operand(b));
    let len = match (&x, &y) {
        (Operand::Series(p), Operand::Series(q)) => p.len().max(q.len()),
        (Operand::Series(p), _) | (_, Operand::Series(p)) => p.len(),
        _ => return None,
    };
    let at = |o: &Operand, i: usize| match o {
        Operand::Series(s) => s.get(i).copied().flatten(),
        Operand::Scalar(v) => *v,
    };
    Some(
        (0..len)
            .map(|i| match (at(&x, i), at(&y, i)) {
                (Some(p), Some(q)) => Some(f(p, q)),
                _ => None,
            })
            .collect(),
    )
}

fn arith(a: &[Value], f: fn(f64, f64) -> f64, keep_ints: bool) -> Value {
    let ints = keep_ints && integral(&a[0]) && integral(&a[1]);
    zip2(&a[0], &a[1], f)
        .map(|s| to_value(&s, ints))
        .unwrap_or(Value::Null)
}

fn series_add(a: &[Value], _: &Env) -> Value {
    arith(a, |x, y| x + y, true)
}

fn series_subtract(a: &[Value], _: &Env) -> Value {
    arith(a, |x, y| x - y, true)
}

fn series_multiply(a: &[Value], _: &Env) -> Value {
    arith(a, |x, y| x * y, true)
}

fn series_divide(a: &[Value], _: &Env) -> Value {
    arith(a, |x, y| x / y, false)
}

fn series_pow(a: &[Value], _: &Env) -> Value {
    arith(a, libm::pow, false)
}

fn compare(a: &[Value], f: fn(f64, f64) -> bool) -> Value {
    zip2(&a[0], &a[1], f)
        .map(|s| bools(&s))
        .unwrap_or(Value::Null)
}

fn series_greater(a: &[Value], _: &Env) -> Value {
    compare(a, |x, y| x > y)
}

fn series_greater_equals(a: &[Value], _: &Env) -> Value {
    compare(a, |x, y| x >= y)
}

fn series_less(a: &[Value], _: &Env) -> Value {
    compare(a, |x, y| x < y)
}

fn series_less_equals(a: &[Value], _: &Env) -> Value {
    compare(a, |x, y| x <= y)
}

fn series_equals(a: &[Value], _: &Env) -> Value {
    compare(a, |x, y| x == y)
}

fn series_not_equals(a: &[Value], _: &Env) -> Value {
    compare(a, |x, y| x != y)
}

fn unary(a: &Value, f: fn(f64) -> f64, keep_ints: bool) -> Value {
    match series(a) {
        Some(s) => to_value(
            &s.iter().map(|x| x.map(f)).collect::<Vec<_>>(),
            keep_ints && integral(a),
        ),
        None => Value::Null,
    }
}

fn series_abs(a: &[Value], _: &Env) -> Value {
    unary(&a[0], f64::abs, true)
}

fn series_sign(a: &[Value], _: &Env) -> Value {
    unary(
        &a[0],
        |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        },
        true,
    )
}

fn series_floor(a: &[Value], _: &Env) -> Value {
    unary(&a[0], f64::floor, false)
}

fn series_ceiling(a: &[Value], _: &Env) -> Value {
    unary(&a[0], f64::ceil, false)
}

fn series_exp(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::exp, false)
}

fn series_log(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::log, false)
}

fn series_sin(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::sin, false)
}

fn series_cos(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::cos, false)
}

fn series_tan(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::tan, false)
}

fn series_asin(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::asin, false)
}

fn series_acos(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::acos, false)
}

fn series_atan(a: &[Value], _: &Env) -> Value {
    unary(&a[0], libm::atan, false)
}

fn series_sum(a: &[Value], _: &Env) -> Value {
    match series(&a[0]) {
        Some(s) => {
            let total: f64 = s.iter().flatten().sum();
            if integral(&a[0]) {
                Value::Long(total as i64)
            } else {
                Value::Real(total)
            }
        }
        None => Value::Null,
    }
}

/// The element pairs of two series (a number broadcast to the other's length, the longer cut
/// to the shorter), pairs with a non-number left out; None when either is empty or invalid.
fn pairs(a: &Value, b: &Value) -> Option<Vec<(f64, f64)>> {
    let (x, y) = (operand(a), operand(b));
    let (p, q): (Series, Series) = match (x, y) {
        (Operand::Series(p), Operand::Series(q)) => (p, q),
        (Operand::Series(p), Operand::Scalar(v)) => {
            let n = p.len();
            (p, vec![v; n])
        }
        (Operand::Scalar(v), Operand::Series(q)) => (vec![v; q.len()], q),
        _ => return None,
    };
    if p.is_empty() || q.is_empty() {
        return None;
    }
    Some(
        p.iter()
            .zip(&q)
            .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
            .collect(),
    )
}

fn series_dot_product(a: &[Value], _: &Env) -> Value {
    match pairs(&a[0], &a[1]) {
        Some(ps) => Value::Real(ps.iter().map(|(x, y)| x * y).sum()),
        None => Value::Null,
    }
}

fn series_magnitude(a: &[Value], _: &Env) -> Value {
    match series(&a[0]) {
        Some(s) => Value::Real(s.iter().flatten().map(|x| x * x).sum::<f64>().sqrt()),
        None => Value::Null,
    }
}

fn series_cosine_similarity(a: &[Value], _: &Env) -> Value {
    let Some(ps) = pairs(&a[0], &a[1]) else {
        return Value::Null;
    };
    let dot: f64 = ps.iter().map(|(x, y)| x * y).sum();
    let nx: f64 = ps.iter().map(|(x, _)| x * x).sum::<f64>().sqrt();
    let ny: f64 = ps.iter().map(|(_, y)| y * y).sum::<f64>().sqrt();
    Value::Real(dot / (nx * ny))
}

fn series_pearson_correlation(a: &[Value], _: &Env) -> Value {
    let (Some(x), Some(y)) = (series(&a[0]), series(&a[1])) else {
        return Value::Null;
    };
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(&y)
        .filter_map(|(p, q)| Some(((*p)?, (*q)?)))
        .collect();
    let n = pairs.len() as f64;
    if n < 2.0 {
        return Value::Null;
    }
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = pairs.iter().map(|(p, q)| (p - mx) * (q - my)).sum();
    let vx: f64 = pairs.iter().map(|(p, _)| (p - mx).powi(2)).sum();
    let vy: f64 = pairs.iter().map(|(_, q)| (q - my).powi(2)).sum();
    Value::Real(cov / (vx * vy).sqrt())
}

struct Stats {
    min: f64,
    min_idx: usize,
    max: f64,
    max_idx: usize,
    avg: f64,
    stdev: f64,
    variance: f64,
    sum: f64,
    len: usize,
}

fn stats(s: &Series) -> Option<Stats> {
    let vals: Vec<(usize, f64)> = s
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.filter(|x| x.is_finite()).map(|x| (i, x)))
        .collect();
    if vals.is_empty() {
        return None;
    }
    let (mut min, mut min_idx, mut max, mut max_idx) = (vals[0].1, vals[0].0, vals[0].1, vals[0].0);
    for &(i, x) in &vals {
        if x < min {
            min = x;
            min_idx = i;
        }
        if x > max {
            max = x;
            max_idx = i;
        }
    }
    let n = vals.len() as f64;
    let sum: f64 = vals.iter().map(|v| v.1).sum();
    let avg = sum / n;
    let variance = if n > 1.0 {
        vals.iter().map(|v| (v.1 - avg).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some(Stats {
        min,
        min_idx,
        max,
        max_idx,
        avg,
        stdev: variance.sqrt(),
        variance,
        sum,
        len: s.len(),
    })
}

fn series_stats(a: &[Value], _: &Env) -> Value {
    match series(&a[0]).as_ref().and_then(stats) {
        Some(st) => Value::dynamic(serde_json::json!([
            num(st.min),
            st.min_idx,
            num(st.max),
            st.max_idx,
            num(st.avg),
            num(st.stdev),
            num(st.variance)
        ])),
        None => Value::Null,
    }
}

fn series_stats_dynamic(a: &[Value], _: &Env) -> Value {
    match series(&a[0]).as_ref().and_then(stats) {
        Some(st) => Value::dynamic(serde_json::json!({
            "min": num(st.min), "min_idx": st.min_idx, "max": num(st.max), "max_idx": st.max_idx,
            "avg": num(st.avg), "stdev": num(st.stdev), "variance": num(st.variance),
            "sum": num(st.sum), "len": st.len,
        })),
        None => Value::Null,
    }
}

/// The raw elements, and which are missing (null, or equal to `missing_value`).
fn fill_input(a: &[Value], missing_at: usize) -> Option<(Vec<serde_json::Value>, Vec<bool>)> {
    let Some(serde_json::Value::Array(items)) = as_json(&a[0]) else {
        return None;
    };
    let missing = a
        .get(missing_at)
        .filter(|v| !v.is_null())
        .and_then(|v| v.as_f64());
    let gaps = items
        .iter()
        .map(|x| x.is_null() || (missing.is_some() && x.as_f64() == missing))
        .collect();
    Some((items, gaps))
}

fn series_fill_backward(a: &[Value], _: &Env) -> Value {
    let Some((mut items, gaps)) = fill_input(a, 1) else {
        return Value::Null;
    };
    let mut next: Option<serde_json::Value> = None;
    for i in (0..items.len()).rev() {
        if gaps[i] {
            if let Some(n) = &next {
                items[i] = n.clone();
            }
        } else {
            next = Some(items[i].clone());
        }
    }
    Value::dynamic(serde_json::Value::Array(items))
}

fn series_fill_forward(a: &[Value], _: &Env) -> Value {
    let Some((mut items, gaps)) = fill_input(a, 1) else {
        return Value::Null;
    };
    let mut prev: Option<serde_json::Value> = None;
    for i in 0..items.len() {
        if gaps[i] {
            if let Some(p) = &prev {
                items[i] = p.clone();
            }
        } else {
            prev = Some(items[i].clone());
        }
    }
    Value::dynamic(serde_json::Value::Array(items))
}

fn series_fill_const(a: &[Value], _: &Env) -> Value {
    let Some((mut items, gaps)) = fill_input(a, 2) else {
        return Value::Null;
    };
    let c = a[1].to_json();
    for (i, gap) in gaps.iter().enumerate() {
        if *gap {
            items[i] = c.clone();
        }
    }
    Value::dynamic(serde_json::Value::Array(items))
}

fn series_fill_linear(a: &[Value], _: &Env) -> Value {
    let Some((items, gaps)) = fill_input(a, 1) else {
        return Value::Null;
    };
    let fill_edges = a.get(2).map(|v| v.is_true() || v.is_null()).unwrap_or(true);
    let ints = integral(&a[0]);
    let vals: Vec<Option<f64>> = items
        .iter()
        .zip(&gaps)
        .map(|(x, g)| if *g { None } else { x.as_f64() })
        .collect();
    let known: Vec<usize> = (0..vals.len()).filter(|&i| vals[i].is_some()).collect();
    let mut out = vals.clone();
    for i in 0..vals.len() {
        if vals[i].is_some() {
            continue;
        }
        let before = known.iter().rev().find(|&&k| k < i);
        let after = known.iter().find(|&&k| k > i);
        out[i] = match (before, after) {
            (Some(&p), Some(&q)) => {
                let (x, y) = (vals[p].unwrap_or(0.0), vals[q].unwrap_or(0.0));
                Some(x + (y - x) * (i - p) as f64 / (q - p) as f64)
            }
            (Some(&p), None) if fill_edges => vals[p],
            (None, Some(&q)) if fill_edges => vals[q],
            _ => None,
        };
    }
    to_value(&out, ints && out.iter().flatten().all(|x| x.fract() == 0.0))
}

/// Least-squares line over x = 1, 2, …: (slope, interception) on the present points.
fn line(s: &[Option<f64>]) -> Option<(f64, f64)> {
    let pts: Vec<(f64, f64)> = s
        .iter()
        .enumerate()
        .filter_map(|(i, y)| y.map(|y| ((i + 1) as f64, y)))
        .collect();
    let n = pts.len() as f64;
    if n == 0.0 {
        return None;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
    Some((slope, my - slope * mx))
}

struct Fit {
    rsquare: f64,
    slope: f64,
    variance: f64,
    rvariance: f64,
    interception: f64,
    line: Vec<f64>,
}

fn fit(s: &Series) -> Option<Fit> {
    let (slope, interception) = line(s)?;
    let line: Vec<f64> = (1..=s.len())
        .map(|x| interception + slope * x as f64)
        .collect();
    let present: Vec<(f64, f64)> = s
        .iter()
        .zip(&line)
        .filter_map(|(y, l)| y.map(|y| (y, *l)))
        .collect();
    let n = present.len() as f64;
    let mean = present.iter().map(|p| p.0).sum::<f64>() / n;
    let sst: f64 = present.iter().map(|p| (p.0 - mean).powi(2)).sum();
    let ssr: f64 = present.iter().map(|p| (p.0 - p.1).powi(2)).sum();
    let denom = (n - 1.0).max(1.0);
    Some(Fit {
        rsquare: if sst == 0.0 { 1.0 } else { 1.0 - ssr / sst },
        slope,
        variance: sst / denom,
        rvariance: ssr / denom,
        interception,
        line,
    })
}

fn series_fit_line(a: &[Value], _: &Env) -> Value {
    match series(&a[0]).as_ref().and_then(fit) {
        Some(f) => Value::dynamic(serde_json::json!([
            num(f.rsquare),
            num(f.slope),
            num(f.variance),
            num(f.rvariance),
            num(f.interception),
            f.line.iter().map(|x| num(*x)).collect::<Vec<_>>()
        ])),
        None => Value::Null,
    }
}

fn series_fit_line_dynamic(a: &[Value], _: &Env) -> Value {
    match series(&a[0]).as_ref().and_then(fit) {
        Some(f) => Value::dynamic(serde_json::json!({
            "rsquare": num(f.rsquare), "slope": num(f.slope), "variance": num(f.variance),
            "rvariance": num(f.rvariance), "interception": num(f.interception),
            "line_fit": f.line.iter().map(|x| num(*x)).collect::<Vec<_>>(),
        })),
        None => Value::Null,
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The period (in bins) whose autocorrelation is strongest, if it reaches `threshold`.
fn detect_period(s: &[f64], threshold: f64) -> Option<usize> {
    let n = s.len();
    if n < 8 {
        return None;
    }
    let mean = s.iter().sum::<f64>() / n as f64;
    let d: Vec<f64> = s.iter().map(|x| x - mean).collect();
    let var: f64 = d.iter().map(|x| x * x).sum();
    if var == 0.0 {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for p in 2..=n / 2 {
        let r: f64 = (0..n - p).map(|i| d[i] * d[i + p]).sum::<f64>() / var;
        if best.is_none_or(|(_, b)| r > b) {
            best = Some((p, r));
        }
    }
    best.filter(|(_, r)| *r >= threshold).map(|(p, _)| p)
}

/// The seasonal component for a period: the median of each phase's learning points.
fn seasonal(s: &[f64], learn: usize, period: usize) -> Vec<f64> {
    if period < 2 {
        return vec![0.0; s.len()];
    }
    let phase: Vec<f64> = (0..period)
        .map(|k| median((k..learn).step_by(period).map(|i| s[i]).collect()).unwrap_or(0.0))
        .collect();
    (0..s.len()).map(|i| phase[i % period]).collect()
}

struct Decomposition {
    baseline: Vec<f64>,
    seasonal: Vec<f64>,
    trend: Vec<f64>,
    residual: Vec<f64>,
}

/// Kusto's series_decompose: seasonal first (median per phase; period given, or detected
/// when -1, or none when 0), then the trend of the deseasonalised series (avg, linefit or
/// none), baseline = seasonal + trend, residual = series − baseline. The last `test_points`
/// are left out of the learning.
fn decompose(
    s: &[Option<f64>],
    seasonality: i64,
    trend: &str,
    test_points: usize,
    threshold: f64,
) -> Decomposition {
    let x: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    let n = x.len();
    let learn = n.saturating_sub(test_points).max(1).min(n);
    let period = match seasonality {
        -1 => detect_period(&x[..learn], threshold).unwrap_or(0),
        p if p > 0 => p as usize,
        _ => 0,
    };
    let seas = seasonal(&x, learn, period);
    let deseason: Vec<f64> = x.iter().zip(&seas).map(|(a, b)| a - b).collect();
    let tr: Vec<f64> = match trend {
        "linefit" => {
            let learn_part: Vec<Option<f64>> = deseason[..learn].iter().map(|v| Some(*v)).collect();
            let (slope, icpt) = line(&learn_part).unwrap_or((0.0, 0.0));
            (1..=n).map(|i| icpt + slope * i as f64).collect()
        }
        "none" => vec![0.0; n],
        _ => {
            let avg = deseason[..learn].iter().sum::<f64>() / learn.max(1) as f64;
            vec![avg; n]
        }
    };
    let baseline: Vec<f64> = seas.iter().zip(&tr).map(|(a, b)| a + b).collect();
    let residual = x.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    Decomposition {
        baseline,
        seasonal: seas,
        trend: tr,
        residual,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Tukey's fence scores: how many inter-percentile ranges above the high (or below the low)
/// percentile each value lies; 0 inside.
fn outlier_scores(x: &[f64], low: f64, high: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let (p_low, p_high) = (percentile(&sorted, low), percentile(&sorted, high));
    let range = (p_high - p_low).max(1e-9);
    x.iter()
        .map(|&v| {
            if v > p_high {
                (v - p_high) / range
            } else if v < p_low {
                (v - p_low) / range
            } else {
                0.0
            }
        })
        .collect()
}

fn kind_range(kind: &str, a: &[Value], at: usize) -> (f64, f64) {
    if kind.eq_ignore_ascii_case("tukey") {
        (25.0, 75.0)
    } else {
        let lo = a.get(at).and_then(|v| v.as_f64()).unwrap_or(10.0);
        let hi = a.get(at + 1).and_then(|v| v.as_f64()).unwrap_or(90.0);
        (lo.clamp(2.0, 98.0), hi.clamp(2.0, 98.0))
    }
}

fn reals(x: &[f64]) -> serde_json::Value {
    serde_json::Value::Array(x.iter().map(|v| num(*v)).collect())
}

fn series_outliers(a: &[Value], _: &Env) -> Value {
    let Some(s) = series(&a[0]) else {
        return Value::Null;
    };
    let kind = a.get(1).map(|v| v.to_kql_string()).unwrap_or_default();
    let (lo, hi) = kind_range(&kind, a, 3);
    let ignore = a.get(2).and_then(|v| v.as_f64());
    let x: Vec<f64> = s
        .iter()
        .map(|v| match v {
            Some(v) if Some(*v) != ignore => *v,
            _ => f64::NAN,
        })
        .collect();
    let scores = outlier_scores(&x, lo, hi);
    Value::dynamic(reals(
        &scores
            .iter()
            .zip(&x)
            .map(|(s, v)| if v.is_nan() { 0.0 } else { *s })
            .collect::<Vec<_>>(),
    ))
}

fn series_seasonal(a: &[Value], _: &Env) -> Value {
    let Some(s) = series(&a[0]) else {
        return Value::Null;
    };
    let x: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    let period = match a.get(1).and_then(|v| v.as_i64()).unwrap_or(-1) {
        -1 => detect_period(&x, 0.7).unwrap_or(0),
        p if p > 0 => p as usize,
        _ => 0,
    };
    Value::dynamic(reals(&seasonal(&x, x.len(), period)))
}

/// (seasonality, trend, test_points, seasonality_threshold) from the arguments at `at`.
fn decompose_args(a: &[Value], at: usize) -> (i64, String, usize, f64) {
    let seasonality = a.get(at).and_then(|v| v.as_i64()).unwrap_or(-1);
    let trend = a
        .get(at + 1)
        .filter(|v| !v.is_null())
        .map(|v| v.to_kql_string().to_ascii_lowercase())
        .unwrap_or_else(|| "avg".into());
    let test_points = a.get(at + 2).and_then(|v| v.as_i64()).unwrap_or(0).max(0) as usize;
    let threshold = a.get(at + 3).and_then(|v| v.as_f64()).unwrap_or(0.6);
    (seasonality, trend, test_points, threshold)
}

fn series_decompose(a: &[Value], _: &Env) -> Value {
    let Some(s) = series(&a[0]) else {
        return Value::Null;
    };
    let (seasonality, trend, test_points, threshold) = decompose_args(a, 1);
    let d = decompose(&s, seasonality, &trend, test_points, threshold);
    Value::dynamic(serde_json::Value::Array(vec![
        reals(&d.baseline),
        reals(&d.seasonal),
        reals(&d.trend),
        reals(&d.residual),
    ]))
}

fn series_decompose_anomalies(a: &[Value], _: &Env) -> Value {
    let Some(s) = series(&a[0]) else {
        return Value::Null;
    };
    let threshold = a.get(1).and_then(|v| v.as_f64()).unwrap_or(1.5);
    let (seasonality, trend, test_points, season_threshold) = decompose_args(a, 2);
    let method = a.get(5).map(|v| v.to_kql_string()).unwrap_or_default();
    let (lo, hi) = kind_range(&method, &[], 0);
    let d = decompose(&s, seasonality, &trend, test_points, season_threshold);
    let scores = outlier_scores(&d.residual, lo, hi);
    let flags: Vec<serde_json::Value> = scores
        .iter()
        .map(|&v| {
            serde_json::Value::from(if v > threshold {
                1
            } else if v < -threshold {
                -1
            } else {
                0
            })
        })
        .collect();
    Value::dynamic(serde_json::Value::Array(vec![
        serde_json::Value::Array(flags),
        reals(&scores),
        reals(&d.baseline),
    ]))
}

fn series_iir(a: &[Value], _: &Env) -> Value {
    let (Some(x), Some(b), Some(den)) = (series(&a[0]), series(&a[1]), series(&a[2])) else {
        return Value::Null;
    };
    let b: Vec<f64> = b.iter().map(|v| v.unwrap_or(0.0)).collect();
    let den: Vec<f64> = den.iter().map(|v| v.unwrap_or(0.0)).collect();
    let a0 = den.first().copied().filter(|v| *v != 0.0).unwrap_or(1.0);
    let x: Vec<f64> = x.iter().map(|v| v.unwrap_or(0.0)).collect();
    let mut y = vec![0.0; x.len()];
    for n in 0..x.len() {
        let mut acc = 0.0;
        for (k, bk) in b.iter().enumerate() {
            if n >= k {
                acc += bk * x[n - k];
            }
        }
        for (k, ak) in den.iter().enumerate().skip(1) {
            if n >= k {
                acc -= ak * y[n - k];
            }
        }
        y[n] = acc / a0;
    }
    Value::dynamic(reals(&y))
}

/// Most elements `range()` builds (as Kusto).
const MAX_RANGE: usize = 1_048_576;

/// Whether `range()` may build its elements (at most [`MAX_RANGE`]) of `text` bytes each as
/// JSON text (a value's size is its text): checked before building, so that an over-long
/// range stops at once.
fn range_fits(env: &Env, span: f64, step: f64, text: usize) -> bool {
    let n = (span / step).floor() + 1.0;
    let n = if n.is_finite() && n > 0.0 {
        (n as usize).min(MAX_RANGE)
    } else {
        0
    };
    env.fits("range", n * (text + 1))
}

fn range(a: &[Value], env: &Env) -> Value {
    let (start, stop) = (a[0].undyn(), a[1].undyn());
    let step = a.get(2).map(|v| v.undyn());
    // `2007-01-01T00:00:00.0000000Z` / `1.00:00:00` as JSON text.
    const TIME_TEXT: usize = 32;
    let mut out = Vec::new();
    match (&start, &stop) {
        (Value::DateTime(s), Value::DateTime(e)) => {
            let step = match step {
                Some(Value::TimeSpan(t)) => t,
                None => keyhole_core::time::MICROS_PER_HOUR,
                _ => return Value::Null,
            };
            if step == 0 || !range_fits(env, (e.micros - s.micros) as f64, step as f64, TIME_TEXT) {
                return Value::Null;
            }
            let mut t = s.micros;
            while (step > 0 && t <= e.micros) || (step < 0 && t >= e.micros) {
                if out.len() >= MAX_RANGE {
                    break;
                }
                out.push(Value::DateTime(keyhole_core::Timestamp::from_micros(t)).to_json());
                t += step;
            }
        }
        (Value::TimeSpan(s), Value::TimeSpan(e)) => {
            let step = match step {
                Some(Value::TimeSpan(t)) if t != 0 => t,
                None => keyhole_core::time::MICROS_PER_HOUR,
                _ => return Value::Null,
            };
            if !range_fits(env, (*e - *s) as f64, step as f64, TIME_TEXT) {
                return Value::Null;
            }
            let mut t = *s;
            while (step > 0 && t <= *e) || (step < 0 && t >= *e) {
                if out.len() >= MAX_RANGE {
                    break;
                }
                out.push(Value::TimeSpan(t).to_json());
                t += step;
            }
        }
        _ => {
            let (Some(s), Some(e)) = (start.as_f64(), stop.as_f64()) else {
                return Value::Null;
            };
            let st = step.as_ref().and_then(|v| v.as_f64()).unwrap_or(1.0);
            let ints = matches!(start, Value::Long(_))
                && matches!(stop, Value::Long(_))
                && step.as_ref().is_none_or(|v| matches!(v, Value::Long(_)));
            // Digits (and sign) of the widest end, or a real's full text.
            let text = if ints {
                format!("-{}", s.abs().max(e.abs()) as i64).len()
            } else {
                24
            };
            if st == 0.0 || !st.is_finite() || !range_fits(env, e - s, st, text) {
                return Value::Null;
            }
            let mut k = 0usize;
            loop {
                let x = s + st * k as f64;
                if (st > 0.0 && x > e) || (st < 0.0 && x < e) || out.len() >= MAX_RANGE {
                    break;
                }
                out.push(if ints {
                    serde_json::Value::from(x as i64)
                } else {
                    num(x)
                });
                k += 1;
            }
        }
    }
    Value::dynamic(serde_json::Value::Array(out))
}

fn bin_at(a: &[Value], _: &Env) -> Value {
    let (v, size, fixed) = (a[0].undyn(), a[1].undyn(), a[2].undyn());
    let snap = |x: f64, s: f64, f: f64| ((x - f) / s).floor() * s + f;
    match (&v, &size, &fixed) {
        (Value::DateTime(t), Value::TimeSpan(s), Value::DateTime(f)) if *s > 0 => {
            Value::DateTime(keyhole_core::Timestamp::from_micros(
                (t.micros - f.micros).div_euclid(*s) * s + f.micros,
            ))
        }
        (Value::TimeSpan(t), Value::TimeSpan(s), Value::TimeSpan(f)) if *s > 0 => {
            Value::TimeSpan((t - f).div_euclid(*s) * s + f)
        }
        (Value::Long(x), Value::Long(s), Value::Long(f)) if *s > 0 => {
            Value::Long((x - f).div_euclid(*s) * s + f)
        }
        _ => match (v.as_f64(), size.as_f64(), fixed.as_f64()) {
            (Some(x), Some(s), Some(f)) if s > 0.0 => Value::Real(snap(x, s, f)),
            _ => Value::Null,
        },
    }
}
