//! Arrays and sets: `array_concat`, `array_slice`, `array_reverse`, `array_rotate_*`,
//! `array_shift_*`, `array_split`, `array_sort_asc/desc`, `array_index_of`, `array_sum`,
//! `array_iff`, `zip`, `set_union`, `set_intersect`, `set_difference`, `jaccard_index`.

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{sort_cmp, Type, Value};
use serde_json::Value as J;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("array_concat", ("array1, array2, …", 1, 64) -> T(Type::Dynamic), "The arrays joined into one.", Eval(array_concat), [("array_concat(dynamic([1]), dynamic([2, 3]))", "[1,2,3]")]),
    def!("array_slice", ("array, start, end", 3, 3) -> T(Type::Dynamic), "Elements start..end (inclusive; negative counts from the end).", Eval(array_slice), [("array_slice(dynamic([1,2,3,4,5]), -3, -2)", "[3,4]")]),
    def!("array_reverse", ("array", 1, 1) -> T(Type::Dynamic), "The elements in reverse order.", Eval(array_reverse), [("array_reverse(dynamic([1, 2]))", "[2,1]")]),
    def!("array_rotate_left", ("array, n", 2, 2) -> T(Type::Dynamic), "The elements rotated n places to the left.", Eval(array_rotate_left)),
    def!("array_rotate_right", ("array, n", 2, 2) -> T(Type::Dynamic), "The elements rotated n places to the right.", Eval(array_rotate_right), [("array_rotate_right(dynamic([1,2,3,4,5]), 2)", "[4,5,1,2,3]")]),
    def!("array_shift_left", ("array, n [, fill]", 2, 3) -> T(Type::Dynamic), "The elements shifted n places to the left, filled with null (or fill).", Eval(array_shift_left)),
    def!("array_shift_right", ("array, n [, fill]", 2, 3) -> T(Type::Dynamic), "The elements shifted n places to the right, filled with null (or fill).", Eval(array_shift_right)),
    def!("array_split", ("array, indices", 2, 2) -> T(Type::Dynamic), "The array cut at one index or an array of indices.", Eval(array_split), [("array_split(dynamic([1,2,3,4,5]), 2)", "[[1,2],[3,4,5]]")]),
    def!("array_index_of", ("array, value [, start, length, occurrence]", 2, 5) -> T(Type::Long), "The index of the first element equal to value, or -1.", Eval(array_index_of), [("array_index_of(dynamic(['a','b']), 'b')", "1")]),
    def!("array_sum", ("array", 1, 1) -> T(Type::Real), "The sum of the elements.", Eval(array_sum), [("array_sum(dynamic([1, 2.5]))", "3.5")]),
    def!("array_iff" | "array_iif", ("condition_array, when_true, when_false", 3, 3) -> T(Type::Dynamic), "Element-wise iff over arrays (scalars broadcast).", Eval(array_iff)),
    def!("array_sort_asc", ("array1 [, array2, …] [, nulls_last]", 1, 64) -> T(Type::Dynamic), "The array sorted ascending (the others reordered alike); nulls last unless false.", Eval(array_sort_asc), [("array_sort_asc(dynamic([3, 1, 2]))", "[1,2,3]")]),
    def!("array_sort_desc", ("array1 [, array2, …] [, nulls_last]", 1, 64) -> T(Type::Dynamic), "The array sorted descending (the others reordered alike).", Eval(array_sort_desc), [("array_sort_desc(dynamic([3, 1, 2]))", "[3,2,1]")]),
    def!("zip", ("array1, array2, …", 2, 64) -> T(Type::Dynamic), "Arrays zipped into an array of tuples (shorter ones padded with null).", Eval(zip), [("zip(dynamic([1,3]), dynamic([2,4]))", "[[1,2],[3,4]]")]),
    def!("set_union", ("set1, set2, …", 2, 64) -> T(Type::Dynamic), "The distinct elements of all arrays.", Eval(set_union), [("set_union(dynamic([1, 2]), dynamic([2, 3]))", "[1,2,3]")]),
    def!("set_intersect", ("set1, set2, …", 2, 64) -> T(Type::Dynamic), "The distinct elements in every array.", Eval(set_intersect), [("set_intersect(dynamic([1, 2]), dynamic([2, 3]))", "[2]")]),
    def!("set_difference", ("set1, set2, …", 2, 64) -> T(Type::Dynamic), "The distinct elements of the first array in none of the others.", Eval(set_difference), [("set_difference(dynamic([1, 2]), dynamic([2, 3]))", "[1]")]),
    def!("jaccard_index", ("set1, set2", 2, 2) -> T(Type::Real), "|intersection| / |union| of two sets.", Eval(jaccard_index)),
];

fn arr(v: &Value) -> Option<Vec<J>> {
    match as_json(v)? {
        J::Array(a) => Some(a),
        _ => None,
    }
}

fn out(v: Vec<J>) -> Value {
    Value::dynamic(J::Array(v))
}

fn array_concat(a: &[Value], env: &Env) -> Value {
    let mut all = Vec::new();
    for v in a {
        match arr(v) {
            Some(x) => all.extend(x),
            None => return Value::Null,
        }
    }
    if !env.fits("array_concat", all.len() * std::mem::size_of::<J>()) {
        return Value::Null;
    }
    out(all)
}

/// An index that may count from the end.
fn index(i: i64, len: usize) -> i64 {
    if i < 0 {
        len as i64 + i
    } else {
        i
    }
}

fn array_slice(a: &[Value], _: &Env) -> Value {
    let (Some(x), Some(s), Some(e)) = (arr(&a[0]), a[1].as_i64(), a[2].as_i64()) else {
        return Value::Null;
    };
    let n = x.len();
    let s = index(s, n).max(0);
    let e = index(e, n).min(n as i64 - 1);
    if s > e || n == 0 {
        return out(Vec::new());
    }
    out(x[s as usize..=e as usize].to_vec())
}

fn array_reverse(a: &[Value], _: &Env) -> Value {
    match arr(&a[0]) {
        Some(mut x) => {
            x.reverse();
            out(x)
        }
        None => Value::Null,
    }
}

fn rotate(a: &[Value], left: bool) -> Value {
    let (Some(mut x), Some(n)) = (arr(&a[0]), a[1].as_i64()) else {
        return Value::Null;
    };
    if x.is_empty() {
        return out(x);
    }
    let k = n.rem_euclid(x.len() as i64) as usize;
    if left {
        x.rotate_left(k);
    } else {
        x.rotate_right(k);
    }
    out(x)
}

fn array_rotate_left(a: &[Value], _: &Env) -> Value {
    match a[1].as_i64() {
        Some(n) if n < 0 => rotate(&[a[0].clone(), Value::Long(-n)], false),
        _ => rotate(a, true),
    }
}

fn array_rotate_right(a: &[Value], _: &Env) -> Value {
    match a[1].as_i64() {
        Some(n) if n < 0 => rotate(&[a[0].clone(), Value::Long(-n)], true),
        _ => rotate(a, false),
    }
}

fn shift(a: &[Value], left: bool) -> Value {
    let (Some(x), Some(n)) = (arr(&a[0]), a[1].as_i64()) else {
        return Value::Null;
    };
    let fill = a.get(2).map(|v| v.to_json()).unwrap_or(J::Null);
    let len = x.len() as i64;
    let n = if left { n } else { -n };
    out((0..len)
        .map(|i| {
            let j = i + n;
            if (0..len).contains(&j) {
                x[j as usize].clone()
            } else {
                fill.clone()
            }
        })
        .collect())
}

fn array_shift_left(a: &[Value], _: &Env) -> Value {
    shift(a, true)
}

fn array_shift_right(a: &[Value], _: &Env) -> Value {
    shift(a, false)
}

fn array_split(a: &[Value], _: &Env) -> Value {
    let Some(x) = arr(&a[0]) else {
        return Value::Null;
    };
    let n = x.len() as i64;
    let mut cuts: Vec<i64> = match arr(&a[1]) {
        Some(list) => list.iter().filter_map(|v| v.as_i64()).collect(),
        None => match a[1].as_i64() {
            Some(i) => vec![i],
            None => return Value::Null,
        },
    };
    cuts = cuts
        .into_iter()
        .map(|c| index(c, x.len()).clamp(0, n))
        .collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for c in cuts {
        let c = c.max(start);
        parts.push(J::Array(x[start as usize..c as usize].to_vec()));
        start = c;
    }
    parts.push(J::Array(x[start as usize..].to_vec()));
    out(parts)
}

fn eq_json(x: &J, v: &Value) -> bool {
    crate::value::kql_eq(&Value::dynamic(x.clone()).undyn(), &v.undyn()) == Some(true)
}

fn array_index_of(a: &[Value], _: &Env) -> Value {
    let Some(x) = arr(&a[0]) else {
        return Value::Null;
    };
    let start = a
        .get(2)
        .and_then(|v| v.as_i64())
        .map(|s| index(s, x.len()).max(0) as usize)
        .unwrap_or(0);
    let len = a
        .get(3)
        .and_then(|v| v.as_i64())
        .filter(|l| *l >= 0)
        .map(|l| l as usize)
        .unwrap_or(x.len());
    let occurrence = a.get(4).and_then(|v| v.as_i64()).unwrap_or(1).max(1) as usize;
    let mut seen = 0;
    for (i, e) in x.iter().enumerate().skip(start).take(len) {
        if eq_json(e, &a[1]) {
            seen += 1;
            if seen == occurrence {
                return Value::Long(i as i64);
            }
        }
    }
    Value::Long(-1)
}

fn array_sum(a: &[Value], _: &Env) -> Value {
    match arr(&a[0]) {
        Some(x) => Value::Real(x.iter().filter_map(|v| v.as_f64()).sum()),
        None => Value::Null,
    }
}

fn array_iff(a: &[Value], _: &Env) -> Value {
    let Some(cond) = arr(&a[0]) else {
        return Value::Null;
    };
    let pick = |v: &Value, i: usize| match arr(v) {
        Some(x) => x.get(i).cloned().unwrap_or(J::Null),
        None => v.to_json(),
    };
    out(cond
        .iter()
        .enumerate()
        .map(|(i, c)| match Value::dynamic(c.clone()).undyn() {
            Value::Bool(true) => pick(&a[1], i),
            Value::Bool(false) => pick(&a[2], i),
            Value::Long(n) if n != 0 => pick(&a[1], i),
            Value::Long(_) => pick(&a[2], i),
            _ => J::Null,
        })
        .collect())
}

/// Sort the first array (nulls last unless `nulls_last` is false), reordering the others the
/// same way; several arrays come back as an array of arrays.
fn sort_arrays(a: &[Value], desc: bool) -> Value {
    let mut arrays: Vec<Vec<J>> = Vec::new();
    let mut nulls_last = true;
    for (i, v) in a.iter().enumerate() {
        match arr(v) {
            Some(x) => arrays.push(x),
            None if i > 0 && i == a.len() - 1 => {
                if let Value::Bool(b) = v.undyn() {
                    nulls_last = b;
                }
            }
            None => return Value::Null,
        }
    }
    let n = arrays[0].len();
    if arrays.iter().any(|x| x.len() != n) {
        return Value::Null;
    }
    let key: Vec<Value> = arrays[0]
        .iter()
        .map(|v| Value::dynamic(v.clone()).undyn())
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| match (key[x].is_null(), key[y].is_null()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => {
            if nulls_last {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Less
            }
        }
        (false, true) => {
            if nulls_last {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        }
        _ => {
            let o = sort_cmp(&key[x], &key[y]);
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    });
    let sorted: Vec<J> = arrays
        .iter()
        .map(|x| J::Array(order.iter().map(|&i| x[i].clone()).collect()))
        .collect();
    if sorted.len() == 1 {
        Value::dynamic(sorted.into_iter().next().unwrap_or(J::Null))
    } else {
        out(sorted)
    }
}

fn array_sort_asc(a: &[Value], _: &Env) -> Value {
    sort_arrays(a, false)
}

fn array_sort_desc(a: &[Value], _: &Env) -> Value {
    sort_arrays(a, true)
}

fn zip(a: &[Value], _: &Env) -> Value {
    let arrays: Option<Vec<Vec<J>>> = a.iter().map(arr).collect();
    let Some(arrays) = arrays else {
        return Value::Null;
    };
    let n = arrays.iter().map(|x| x.len()).max().unwrap_or(0);
    out((0..n)
        .map(|i| {
            J::Array(
                arrays
                    .iter()
                    .map(|x| x.get(i).cloned().unwrap_or(J::Null))
                    .collect(),
            )
        })
        .collect())
}

/// The distinct elements of an array, in order.
fn distinct(x: Vec<J>) -> Vec<J> {
    let mut seen = std::collections::HashSet::new();
    x.into_iter()
        .filter(|v| seen.insert(v.to_string()))
        .collect()
}

fn sets(a: &[Value]) -> Option<Vec<Vec<J>>> {
    a.iter().map(arr).collect()
}

fn set_union(a: &[Value], _: &Env) -> Value {
    match sets(a) {
        Some(s) => out(distinct(s.into_iter().flatten().collect())),
        None => Value::Null,
    }
}

fn set_intersect(a: &[Value], _: &Env) -> Value {
    let Some(s) = sets(a) else {
        return Value::Null;
    };
    let others: Vec<std::collections::HashSet<String>> = s[1..]
        .iter()
        .map(|x| x.iter().map(|v| v.to_string()).collect())
        .collect();
    out(distinct(s[0].clone())
        .into_iter()
        .filter(|v| others.iter().all(|o| o.contains(&v.to_string())))
        .collect())
}

fn set_difference(a: &[Value], _: &Env) -> Value {
    let Some(s) = sets(a) else {
        return Value::Null;
    };
    let others: std::collections::HashSet<String> =
        s[1..].iter().flatten().map(|v| v.to_string()).collect();
    out(distinct(s[0].clone())
        .into_iter()
        .filter(|v| !others.contains(&v.to_string()))
        .collect())
}

fn jaccard_index(a: &[Value], _: &Env) -> Value {
    let Some(s) = sets(a) else {
        return Value::Null;
    };
    let x: std::collections::HashSet<String> = s[0].iter().map(|v| v.to_string()).collect();
    let y: std::collections::HashSet<String> = s[1].iter().map(|v| v.to_string()).collect();
    let union = x.union(&y).count();
    if union == 0 {
        return Value::Null;
    }
    Value::Real(x.intersection(&y).count() as f64 / union as f64)
}
