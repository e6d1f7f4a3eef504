//! The scalar function registry, laid out like VRL's stdlib: one file a family, each declaring
//! its functions' signatures (name, parameters, return type, one-line doc, examples) next to
//! their implementations. The compiler resolves a call through [`lookup`], checks its arity
//! against the signature and evaluates it through the entry's implementation; unknown names get
//! a "did you mean" from the same list, and names Kusto has but Keyhole does not yet implement
//! say so. The editor's completion lists the registry too.

use crate::ast::Span;
use crate::error::{did_you_mean, RawError, Res};
use crate::expr::CE;
use crate::value::{Type, Value};
use std::cell::{Cell, RefCell};

pub(crate) mod aggregates;
mod arrays;
mod compression;
mod conditional;
mod conversion;
pub(crate) mod datetime;
pub(crate) mod dynamic;
mod encoding;
mod geo;
mod ip;
mod ip_ranges;
mod math;
mod not_yet;
mod series;
mod sketches;
mod strings;
mod units;
pub(crate) mod window;

pub(crate) use conversion::{cast, parse_timespan};
pub(crate) use datetime::{floor_to, parse_datetime, start_of};
pub(crate) use geo::{
    geo_distance_point_to_line, geo_distance_point_to_polygon, geo_point_in_polygon,
};
pub(crate) use ip_ranges::{ipv6_order, parse_ipv6_net};
pub(crate) use strings::{const_regex, has_term, str_op};

/// Largest single value (string or dynamic) a query may build, like the ingest's record limit:
/// `replace_regex` feeding itself would otherwise ask for gigabytes.
pub(crate) const MAX_VALUE_BYTES: usize = 16 << 20;

/// What a function implementation can see besides its arguments: the reference time, and the
/// run's limits. A function that would exceed a limit records an error (the first one wins)
/// and returns null; the operator running it then stops and reports the error, positioned at
/// the call.
pub(crate) struct Env {
    /// What `now()` and `ago()` are relative to (microseconds since the epoch).
    pub now: i64,
    /// Bytes of values the query may materialise.
    pub budget: usize,
    used: Cell<usize>,
    error: RefCell<Option<(Option<Span>, String)>>,
    /// The state of `rand()`'s generator: seeded alike for every query, so a query gives the
    /// same values each time it runs (the engine stays pure).
    rng: Cell<u64>,
}

impl Env {
    pub fn new(now: i64, budget: usize) -> Env {
        Env {
            now,
            budget,
            used: Cell::new(0),
            error: RefCell::new(None),
            rng: Cell::new(0x853c_49e6_748f_ea9b),
        }
    }

    /// The next value of a splitmix64 sequence.
    pub fn next_random(&self) -> u64 {
        let s = self.rng.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.rng.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Record a runtime error (the first one wins).
    pub fn fail(&self, msg: impl Into<String>) {
        let mut e = self.error.borrow_mut();
        if e.is_none() {
            *e = Some((None, msg.into()));
        }
    }

    pub fn failed(&self) -> bool {
        self.error.borrow().is_some()
    }

    /// Give a recorded error without a position this one (the call that raised it).
    pub fn position(&self, span: Span) {
        if let Some((at @ None, _)) = &mut *self.error.borrow_mut() {
            *at = Some(span);
        }
    }

    /// The recorded error, if any, positioned at `span` unless it has a position.
    pub fn take_error(&self, span: Span) -> Option<RawError> {
        self.error
            .borrow_mut()
            .take()
            .map(|(at, msg)| RawError::new(at.unwrap_or(span), msg))
    }

    /// Whether a value of `bytes` may be built; records the error when not.
    pub fn fits(&self, what: &str, bytes: usize) -> bool {
        if bytes > MAX_VALUE_BYTES {
            self.fail(format!(
                "{what}: the result would be larger than the {} MiB limit for one value",
                MAX_VALUE_BYTES >> 20
            ));
            return false;
        }
        true
    }

    /// Count `bytes` against the query's memory budget; records the error when exhausted.
    pub fn charge(&self, bytes: usize) -> bool {
        let used = self.used.get().saturating_add(bytes);
        self.used.set(used);
        if used > self.budget {
            self.fail(format!(
                "the query needs more than its memory budget of {} MiB; filter or summarize earlier, or raise the budget",
                self.budget >> 20
            ));
            return false;
        }
        true
    }

    /// A string result, or null (and an error) when it is over the per-value limit.
    pub fn string(&self, what: &str, s: String) -> Value {
        if self.fits(what, s.len()) {
            Value::String(s.into())
        } else {
            Value::Null
        }
    }
}

/// Approximate heap bytes of a value (strings by length, dynamic values by a walk that counts
/// each element's slot).
pub(crate) fn heap_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Dynamic(d) => json_size(d),
        _ => 0,
    }
}

/// Approximate size of a value as text (a dynamic value's JSON), the measure of the 16 MiB
/// per-value limit: a million small numbers (Kusto's largest `range()`) fit, a million long
/// strings do not. Computed without recursion.
pub(crate) fn text_size(v: &Value) -> usize {
    let d = match v {
        Value::String(s) => return s.len(),
        Value::Dynamic(d) => &**d,
        Value::Null => return 4,
        Value::Bool(_) => return 5,
        Value::Long(i) => return (i.unsigned_abs().checked_ilog10().unwrap_or(0) + 2) as usize,
        Value::Real(_) => return 20,
        Value::DateTime(_) => return 30,
        Value::TimeSpan(_) => return 18,
    };
    let mut total = 0usize;
    let mut stack = vec![d];
    while let Some(v) = stack.pop() {
        let add = match v {
            serde_json::Value::Null => 4,
            serde_json::Value::Bool(_) => 5,
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => (i.unsigned_abs().checked_ilog10().unwrap_or(0) + 2) as usize,
                None => 20,
            },
            serde_json::Value::String(s) => s.len() + 2,
            serde_json::Value::Array(a) => {
                stack.extend(a.iter());
                a.len() + 2
            }
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    total = total.saturating_add(k.len() + 4);
                    stack.push(x);
                }
                2
            }
        };
        total = total.saturating_add(add);
    }
    total
}

/// Approximate heap bytes of a JSON value, without recursion.
pub(crate) fn json_size(v: &serde_json::Value) -> usize {
    const SLOT: usize = std::mem::size_of::<serde_json::Value>();
    let mut total = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => total = total.saturating_add(s.len()),
            serde_json::Value::Array(a) => {
                total = total.saturating_add(a.len() * SLOT);
                stack.extend(a.iter());
            }
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    total = total.saturating_add(k.len() + 2 * SLOT);
                    stack.push(x);
                }
            }
            _ => {}
        }
    }
    total
}

pub(crate) type ScalarFn = fn(&[Value], &Env) -> Value;
/// A compile-time check of the (compiled) arguments, e.g. that a regex is a valid constant.
pub(crate) type CheckFn = fn(&[CE], &[Span]) -> Res<()>;

/// How a call is evaluated.
pub(crate) enum Imp {
    /// Arguments are evaluated, then the function runs.
    Eval(ScalarFn),
    /// As `Eval`, after a compile-time check of the arguments.
    Checked(CheckFn, ScalarFn),
    /// Compiled by the compiler itself (it needs the schema, not values).
    Special,
    /// Kusto has it; Keyhole does not implement it yet.
    NotYet,
}

/// The result type of a call, from its arguments' static types.
pub(crate) enum Ret {
    T(Type),
    /// The type of argument `i` (or `dynamic` when absent).
    Arg(usize),
}

/// One function's signature and implementation.
pub(crate) struct FnDef {
    pub name: &'static str,
    /// Other names Kusto accepts for it (deprecated or synonyms).
    pub aliases: &'static [&'static str],
    /// The parameter list as the documentation writes it.
    pub params: &'static str,
    pub min: usize,
    pub max: usize,
    pub ret: Ret,
    pub doc: &'static str,
    /// `(expression, expected rendering)`: checked by this module's tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub examples: &'static [(&'static str, &'static str)],
    pub imp: Imp,
    /// The results of a function with several (`series_decompose_anomalies`: ad_flag,
    /// ad_score, baseline), with their column types; empty for ordinary functions.
    pub outs: &'static [(&'static str, Type)],
}

impl FnDef {
    pub fn result_type(&self, args: &[Type]) -> Type {
        match self.ret {
            Ret::T(t) => t,
            Ret::Arg(i) => args.get(i).copied().unwrap_or(Type::Dynamic),
        }
    }

    pub fn supported(&self) -> bool {
        !matches!(self.imp, Imp::NotYet)
    }

    /// `name(params)` for signatures in errors and the editor.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.params)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
}

/// Shorthand for registry entries.
macro_rules! def {
    // A function with several results (`extend (a, b) = f(x)` / `extend f(x)`): it returns an
    // array of them, which `extend` and `project` spread into columns.
    ($name:literal, ($params:literal, $min:expr, $max:expr) -> outs [$(($out:literal, $oty:expr)),* $(,)?], $doc:literal, $imp:expr) => {
        $crate::functions::FnDef {
            name: $name,
            aliases: &[],
            params: $params,
            min: $min,
            max: $max,
            ret: $crate::functions::Ret::T($crate::value::Type::Dynamic),
            doc: $doc,
            examples: &[],
            imp: $imp,
            outs: &[$(($out, $oty)),*],
        }
    };
    ($name:literal $(| $alias:literal)*, ($params:literal, $min:expr, $max:expr) -> $ret:expr, $doc:literal, $imp:expr $(, [$(($ex:literal, $want:literal)),* $(,)?])?) => {
        $crate::functions::FnDef {
            name: $name,
            aliases: &[$($alias),*],
            params: $params,
            min: $min,
            max: $max,
            ret: $ret,
            doc: $doc,
            examples: &[$($(($ex, $want)),*)?],
            imp: $imp,
            outs: &[],
        }
    };
}
pub(crate) use def;

/// Every family's functions.
fn families() -> impl Iterator<Item = &'static FnDef> {
    [
        conversion::FUNCTIONS,
        strings::FUNCTIONS,
        datetime::FUNCTIONS,
        math::FUNCTIONS,
        conditional::FUNCTIONS,
        dynamic::FUNCTIONS,
        arrays::FUNCTIONS,
        encoding::FUNCTIONS,
        compression::FUNCTIONS,
        geo::FUNCTIONS,
        ip::FUNCTIONS,
        ip_ranges::FUNCTIONS,
        series::FUNCTIONS,
        sketches::FUNCTIONS,
        window::FUNCTIONS,
        units::FUNCTIONS,
        not_yet::FUNCTIONS,
    ]
    .into_iter()
    .flatten()
}

/// All scalar functions (supported or not yet).
pub(crate) fn all() -> impl Iterator<Item = &'static FnDef> {
    families()
}

/// The entry for a name (exact, case-sensitive as in Kusto).
pub(crate) fn lookup(name: &str) -> Option<&'static FnDef> {
    all().find(|f| f.names().any(|n| n == name))
}

/// Every name a call can use: scalar functions and aggregations (for suggestions).
pub(crate) fn function_names() -> impl Iterator<Item = &'static str> {
    all()
        .filter(|f| f.supported())
        .flat_map(|f| f.names())
        .chain(aggregates::names())
}

pub(crate) fn unknown_function(name: &str, span: Span) -> RawError {
    let mut msg = format!("unknown function '{name}'");
    if let Some(s) = did_you_mean(name, function_names()) {
        msg.push_str(&format!("; did you mean '{s}'?"));
    }
    RawError::new(span, msg)
}

/// Check a call's arity against the signature.
pub(crate) fn check_arity(f: &FnDef, name: &str, n: usize, span: Span) -> Res<()> {
    if n >= f.min && n <= f.max {
        return Ok(());
    }
    let want = if f.min == f.max {
        format!("{}", f.min)
    } else if f.max >= 64 {
        format!("at least {}", f.min)
    } else {
        format!("{} to {}", f.min, f.max)
    };
    Err(RawError::new(
        span,
        format!(
            "function '{name}' expects {want} argument(s), got {n}: {}",
            f.signature()
        ),
    ))
}

// ---- helpers shared by the families ----

/// A dynamic view of a value: dynamic as is, a string parsed as JSON.
pub(crate) fn as_json(v: &Value) -> Option<serde_json::Value> {
    match v {
        Value::Dynamic(d) => Some((**d).clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

/// `v.name` on a dynamic value (or a string holding JSON).
pub(crate) fn member(v: &Value, name: &str) -> Value {
    match v {
        Value::Dynamic(d) => match d.get(name) {
            Some(x) => Value::dynamic(x.clone()),
            None => Value::Null,
        },
        Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => j
                .get(name)
                .map(|x| Value::dynamic(x.clone()))
                .unwrap_or(Value::Null),
            Err(_) => Value::Null,
        },
        _ => Value::Null,
    }
}

/// A string view of a non-null value.
pub(crate) fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(other.to_kql_string()),
    }
}

pub(crate) fn b(v: Option<bool>) -> Value {
    v.map(Value::Bool).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in all() {
            for n in f.names() {
                assert!(seen.insert(n), "{n} registered twice");
            }
        }
        // An aggregation may share a scalar function's name (hll_merge is both).
        let mut aggs = std::collections::HashSet::new();
        for n in aggregates::names() {
            assert!(aggs.insert(n), "{n} registered twice");
        }
    }

    #[test]
    fn every_example_evaluates_as_documented() {
        let mut n = 0;
        for f in all() {
            for (ex, want) in f.examples {
                let q = format!("print r = {ex}");
                let t = crate::run(
                    &q,
                    &keyhole_core::EventStore::default(),
                    &Default::default(),
                )
                .unwrap_or_else(|e| panic!("{}: {q}: {e}", f.name));
                assert_eq!(t.rows[0][0].to_string(), *want, "{}: {q}", f.name);
                n += 1;
            }
        }
        assert!(n > 0);
    }
}
