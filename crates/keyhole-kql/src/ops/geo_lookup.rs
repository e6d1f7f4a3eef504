//! `evaluate geo_polygon_lookup(…)` and `evaluate geo_line_lookup(…)`: each input row joined to
//! the rows of a lookup table whose GeoJSON polygon holds the row's point (`geo_point_in_polygon`;
//! with a radius, `geo_distance_point_to_polygon` within it) or whose line passes within a radius
//! of it (`geo_distance_point_to_line`). The result has the input's columns, then the lookup
//! table's; a row without a match is dropped, or kept with empty lookup columns when
//! `return_unmatched` is true.
//!
//! Both documented argument orders are read: `(Lookup, Key, Longitude, Latitude, …)` (the
//! current one, whose key column is returned only with `return_lookup_key = true`) and
//! `(Lookup, Longitude, Latitude, Key, …)` (the earlier one, which always returned it); the
//! second argument decides, by naming a column of the lookup table or of the input. Options
//! come by position or by name; `join_hint` / `lookup_area_radius` only tune Kusto's matching
//! and are read and ignored.

use super::evaluate::{lookup_rows, lookup_table, Plugin};
use crate::ast::{Expr, ExprKind};
use crate::error::{RawError, Res};
use crate::exec::{side_by_side, Batch, Ctx};
use crate::functions::{
    geo_distance_point_to_line, geo_distance_point_to_polygon, geo_point_in_polygon,
};
use crate::value::Value;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Polygon,
    Line,
}

pub(crate) fn geo_polygon_lookup(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    run(ctx, b, p, Shape::Polygon)
}

pub(crate) fn geo_line_lookup(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    run(ctx, b, p, Shape::Line)
}

/// The options after the four columns, in their positional order.
const OPTIONS: [&str; 4] = [
    "radius",
    "return_unmatched",
    "join_hint",
    "return_lookup_key",
];

fn run(ctx: &mut Ctx, b: Batch, p: &Plugin, shape: Shape) -> Res<Batch> {
    let usage = match shape {
        Shape::Polygon => "geo_polygon_lookup(LookupTable, LookupPolygonKey, SourceLongitude, SourceLatitude [, radius] [, return_unmatched] [, lookup_area_radius] [, return_lookup_key])",
        Shape::Line => "geo_line_lookup(LookupTable, LookupLineKey, SourceLongitude, SourceLatitude, radius [, return_unmatched] [, lookup_area_radius] [, return_lookup_key])",
    };
    if p.args.len() < 4 {
        return Err(RawError::new(
            p.name_span,
            format!(
                "{} expects at least 4 arguments, got {}: {usage}",
                p.name,
                p.args.len()
            ),
        ));
    }
    let (lookup, table) = lookup_table(ctx, p, usage)?;
    let name = |i: usize| -> Res<(&str, (usize, usize))> {
        match &p.args[i].kind {
            ExprKind::Name(n) => Ok((n.as_str(), p.args[i].span)),
            _ => Err(RawError::new(
                p.args[i].span,
                format!("{}: expected a column name: {usage}", p.name),
            )),
        }
    };
    // The current order names the lookup table's key second; the earlier one the longitude.
    let (second, _) = name(1)?;
    let key_first = lookup.index_of(second).is_some() && b.index_of(second).is_none();
    let (key, lon, lat) = if key_first {
        (name(1)?, name(2)?, name(3)?)
    } else {
        (name(3)?, name(1)?, name(2)?)
    };
    let mut opts: [Option<(Value, (usize, usize))>; 4] = Default::default();
    let mut positional = 0;
    for a in &p.args[4..] {
        let (slot, e): (usize, &Expr) = match &a.kind {
            ExprKind::Named(n, x) => {
                let n = n.to_ascii_lowercase();
                let n = if n == "lookup_area_radius" {
                    "join_hint"
                } else {
                    n.as_str()
                };
                match OPTIONS.iter().position(|o| *o == n) {
                    Some(k) => (k, x),
                    None => {
                        return Err(RawError::expected(
                            a.span,
                            format!("{} has no parameter '{n}'", p.name),
                            &OPTIONS,
                        ))
                    }
                }
            }
            _ if positional < OPTIONS.len() => {
                positional += 1;
                (positional - 1, a)
            }
            _ => {
                return Err(RawError::new(
                    a.span,
                    format!("{}: too many arguments: {usage}", p.name),
                ))
            }
        };
        opts[slot] = Some((ctx.eval_const(e)?, a.span));
    }
    let radius = match &opts[0] {
        Some((v, sp)) => match v.undyn().as_f64() {
            Some(r) if r >= 0.0 => Some(r),
            None if v.is_null() => None,
            _ => {
                return Err(RawError::new(
                    *sp,
                    format!("{}: the radius must be a number of meters >= 0", p.name),
                ))
            }
        },
        None => None,
    };
    if shape == Shape::Line && radius.is_none() {
        return Err(RawError::new(
            p.name_span,
            format!("geo_line_lookup: the radius is required: {usage}"),
        ));
    }
    let flag = |i: usize, default: bool| -> Res<bool> {
        match &opts[i] {
            Some((v, sp)) => match v.undyn() {
                Value::Bool(x) => Ok(x),
                _ => Err(RawError::new(
                    *sp,
                    format!("{}: {} must be a constant bool", p.name, OPTIONS[i]),
                )),
            },
            None => Ok(default),
        }
    };
    let unmatched = flag(1, false)?;
    let keep_key = flag(3, !key_first)?;
    let col = |batch: &Batch, (n, sp): (&str, (usize, usize)), what: &str| {
        batch
            .index_of(n)
            .ok_or_else(|| RawError::new(sp, format!("unknown column '{n}' in {what}")))
    };
    let ki = col(&lookup, key, &format!("the lookup table '{table}'"))?;
    let (xi, yi) = (col(&b, lon, "the input")?, col(&b, lat, "the input")?);
    let src = &ctx.src;
    let shapes: Vec<(u32, Value)> = (0..lookup.len)
        .map(|r| (r as u32, lookup.cols[ki].get(r, src)))
        .filter(|(_, v)| !v.is_null())
        .collect();
    let env = &ctx.env;
    let hit = |x: &Value, y: &Value, s: &Value| -> bool {
        let args = [x.clone(), y.clone(), s.clone()];
        match (shape, radius) {
            (Shape::Polygon, None) => {
                matches!(geo_point_in_polygon(&args, env), Value::Bool(true))
            }
            (Shape::Polygon, Some(r)) => geo_distance_point_to_polygon(&args, env)
                .as_f64()
                .is_some_and(|d| d <= r),
            (Shape::Line, r) => geo_distance_point_to_line(&args, env)
                .as_f64()
                .is_some_and(|d| d <= r.unwrap_or(0.0)),
        }
    };
    let (lrows, srows) = lookup_rows(p, b.len, unmatched, |r, found| {
        let (x, y) = (b.cols[xi].get(r, src), b.cols[yi].get(r, src));
        found.extend(
            shapes
                .iter()
                .filter(|(_, s)| hit(&x, &y, s))
                .map(|(lr, _)| *lr),
        );
    })?;
    let mut right = lookup.gather_opt(&lrows, src);
    if !keep_key {
        right.cols.remove(ki);
    }
    Ok(side_by_side(b.gather(&srows), right))
}
