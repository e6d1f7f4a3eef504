//! Geospatial functions on a sphere of radius 6,371,010 m (as Kusto): distances, azimuths,
//! angles, circles and polygons (GeoJSON; whether lines and polygons meet), WKT, geohash cells
//! and H3 cells (the `h3o` crate).
//! Coordinates are longitude, latitude in degrees; invalid ones give null.

use super::{as_json, def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};
use serde_json::{json, Value as J};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("geo_distance_2points", ("p1_longitude, p1_latitude, p2_longitude, p2_latitude", 4, 4) -> T(Type::Real), "The distance in meters between two points.", Eval(geo_distance_2points)),
    def!("geo_point_in_circle", ("p_longitude, p_latitude, pc_longitude, pc_latitude, c_radius", 5, 5) -> T(Type::Bool), "Whether a point lies in a circle (radius in meters).", Eval(geo_point_in_circle)),
    def!("geo_azimuth", ("p1_longitude, p1_latitude, p2_longitude, p2_latitude", 4, 4) -> T(Type::Real), "The clockwise angle from north at point 1 towards point 2, in radians.", Eval(geo_azimuth)),
    def!("geo_angle", ("p1_longitude, p1_latitude, p2_longitude, p2_latitude, p3_longitude, p3_latitude", 6, 6) -> T(Type::Real), "The clockwise angle at point 2 from point 1 to point 3, in radians.", Eval(geo_angle)),
    def!("geo_distance_point_to_line", ("longitude, latitude, lineString", 3, 3) -> T(Type::Real), "The shortest distance in meters from a point to a GeoJSON line or multiline.", Eval(geo_distance_point_to_line)),
    def!("geo_line_length", ("lineString", 1, 1) -> T(Type::Real), "The length in meters of a GeoJSON line or multiline.", Eval(geo_line_length)),
    def!("geo_polygon_area", ("polygon", 1, 1) -> T(Type::Real), "The area in square meters of a GeoJSON polygon (less its holes) or multipolygon (its polygons summed).", Eval(geo_polygon_area)),
    def!("geo_polygon_perimeter", ("polygon", 1, 1) -> T(Type::Real), "The length in meters of a GeoJSON polygon's or multipolygon's rings.", Eval(geo_polygon_perimeter)),
    def!("geo_closest_point_on_line", ("longitude, latitude, lineString", 3, 3) -> T(Type::Dynamic), "The point of a GeoJSON line or multiline nearest to a point, as a GeoJSON point.", Eval(geo_closest_point_on_line)),
    def!("geo_line_locate_point", ("lineString, longitude, latitude [, use_spheroid]", 3, 4) -> T(Type::Real), "Where on a GeoJSON line the point nearest to a point lies, as a fraction (0–1) of the line's length.", Eval(geo_line_locate_point)),
    def!("geo_closest_point_on_polygon", ("longitude, latitude, polygon", 3, 3) -> T(Type::Dynamic), "The point of a GeoJSON polygon or multipolygon nearest to a point (the point itself inside), as a GeoJSON point.", Eval(geo_closest_point_on_polygon)),
    def!("geo_distance_point_to_polygon", ("longitude, latitude, polygon", 3, 3) -> T(Type::Real), "The distance in meters from a point to a GeoJSON polygon or multipolygon (0 inside).", Eval(geo_distance_point_to_polygon)),
    def!("geo_intersection_2lines", ("lineString1, lineString2", 2, 2) -> T(Type::Dynamic), "The points where two GeoJSON lines cross, as GeoJSON.", Eval(geo_intersection_2lines)),
    def!("geo_intersection_line_with_polygon", ("lineString, polygon", 2, 2) -> T(Type::Dynamic), "The parts of a GeoJSON line inside a GeoJSON polygon or multipolygon, as GeoJSON.", Eval(geo_intersection_line_with_polygon)),
    def!("geo_intersects_2lines", ("lineString1, lineString2", 2, 2) -> T(Type::Bool), "Whether two GeoJSON lines or multilines cross or touch.", Eval(geo_intersects_2lines)),
    def!("geo_intersects_line_with_polygon", ("lineString, polygon", 2, 2) -> T(Type::Bool), "Whether a GeoJSON line or multiline meets a GeoJSON polygon or multipolygon.", Eval(geo_intersects_line_with_polygon)),
    def!("geo_intersects_2polygons", ("polygon1, polygon2", 2, 2) -> T(Type::Bool), "Whether two GeoJSON polygons or multipolygons meet.", Eval(geo_intersects_2polygons)),
    def!("geo_point_in_polygon", ("longitude, latitude, polygon", 3, 3) -> T(Type::Bool), "Whether a point lies in a GeoJSON polygon or multipolygon.", Eval(geo_point_in_polygon)),
    def!("geo_from_wkt", ("wkt", 1, 1) -> T(Type::Dynamic), "A WKT geometry as GeoJSON.", Eval(geo_from_wkt), [("geo_from_wkt('POINT (1 2)').coordinates", "[1.0,2.0]")]),
    def!("geo_point_to_geohash", ("longitude, latitude [, accuracy]", 2, 3) -> T(Type::String), "The geohash cell of a point (accuracy 1–18, default 5).", Eval(geo_point_to_geohash), [("geo_point_to_geohash(-80.195829, 25.802215, 8)", "dhwfz15h")]),
    def!("geo_geohash_to_central_point", ("geohash", 1, 1) -> T(Type::Dynamic), "A geohash cell's center, as a GeoJSON point.", Eval(geo_geohash_to_central_point)),
    def!("geo_geohash_to_polygon", ("geohash", 1, 1) -> T(Type::Dynamic), "A geohash cell, as a GeoJSON polygon.", Eval(geo_geohash_to_polygon)),
    def!("geo_geohash_neighbors", ("geohash", 1, 1) -> T(Type::Dynamic), "The eight neighbouring geohash cells.", Eval(geo_geohash_neighbors)),
    def!("geo_point_to_h3cell", ("longitude, latitude [, resolution]", 2, 3) -> T(Type::String), "The H3 cell of a point (resolution 0–15, default 6).", Eval(geo_point_to_h3cell)),
    def!("geo_h3cell_to_central_point", ("h3cell", 1, 1) -> T(Type::Dynamic), "An H3 cell's center, as a GeoJSON point.", Eval(geo_h3cell_to_central_point)),
    def!("geo_h3cell_to_polygon", ("h3cell", 1, 1) -> T(Type::Dynamic), "An H3 cell, as a GeoJSON polygon.", Eval(geo_h3cell_to_polygon)),
    def!("geo_h3cell_level", ("h3cell", 1, 1) -> T(Type::Long), "An H3 cell's resolution.", Eval(geo_h3cell_level)),
    def!("geo_h3cell_parent", ("h3cell [, resolution]", 1, 2) -> T(Type::String), "The parent H3 cell (one level up by default).", Eval(geo_h3cell_parent)),
    def!("geo_h3cell_children", ("h3cell [, resolution]", 1, 2) -> T(Type::Dynamic), "The child H3 cells (one level down by default).", Eval(geo_h3cell_children)),
    def!("geo_h3cell_rings", ("h3cell, distance", 2, 2) -> T(Type::Dynamic), "The rings of H3 cells around a cell, nearest first.", Eval(geo_h3cell_rings)),
    def!("geo_h3cell_neighbors", ("h3cell", 1, 1) -> T(Type::Dynamic), "The neighbouring H3 cells.", Eval(geo_h3cell_neighbors)),
];

/// Kusto's earth radius, in meters.
const EARTH_RADIUS: f64 = 6_371_010.0;

/// A valid (longitude, latitude) in radians.
fn point(lon: &Value, lat: &Value) -> Option<(f64, f64)> {
    let (lon, lat) = (lon.as_f64()?, lat.as_f64()?);
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
        .then(|| (lon.to_radians(), lat.to_radians()))
}

/// The central angle between two points (haversine).
fn central_angle((l1, p1): (f64, f64), (l2, p2): (f64, f64)) -> f64 {
    let a = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * a.sqrt().min(1.0).asin()
}

/// The initial bearing from one point to another, in [0, 2π).
fn bearing((l1, p1): (f64, f64), (l2, p2): (f64, f64)) -> f64 {
    let y = (l2 - l1).sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * (l2 - l1).cos();
    y.atan2(x).rem_euclid(2.0 * std::f64::consts::PI)
}

fn geo_distance_2points(a: &[Value], _: &Env) -> Value {
    match (point(&a[0], &a[1]), point(&a[2], &a[3])) {
        (Some(p), Some(q)) => Value::Real(central_angle(p, q) * EARTH_RADIUS),
        _ => Value::Null,
    }
}

fn geo_point_in_circle(a: &[Value], _: &Env) -> Value {
    match (point(&a[0], &a[1]), point(&a[2], &a[3]), a[4].as_f64()) {
        (Some(p), Some(c), Some(r)) if r >= 0.0 => {
            Value::Bool(central_angle(p, c) * EARTH_RADIUS <= r)
        }
        _ => Value::Null,
    }
}

fn geo_azimuth(a: &[Value], _: &Env) -> Value {
    match (point(&a[0], &a[1]), point(&a[2], &a[3])) {
        (Some(p), Some(q)) if p != q => Value::Real(bearing(p, q)),
        _ => Value::Null,
    }
}

fn geo_angle(a: &[Value], _: &Env) -> Value {
    match (
        point(&a[0], &a[1]),
        point(&a[2], &a[3]),
        point(&a[4], &a[5]),
    ) {
        (Some(p1), Some(p2), Some(p3)) if p1 != p2 && p2 != p3 => {
            Value::Real((bearing(p2, p3) - bearing(p2, p1)).rem_euclid(2.0 * std::f64::consts::PI))
        }
        _ => Value::Null,
    }
}

/// Ray casting over a ring of [lon, lat] pairs.
fn in_ring(ring: &[J], x: f64, y: f64) -> bool {
    let pts: Vec<(f64, f64)> = ring
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect();
    let mut inside = false;
    let n = pts.len();
    for i in 0..n {
        let (xi, yi) = pts[i];
        let (xj, yj) = pts[(i + n - 1) % n];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

/// A LinearRing as the geo_point_in_polygon documentation requires one: at least four valid
/// [longitude, latitude] entries, the last equal to the first, at least three distinct vertices.
fn valid_ring(ring: &J) -> bool {
    let Some(pts) = ring.as_array() else {
        return false;
    };
    let pts: Option<Vec<(f64, f64)>> = pts
        .iter()
        .map(|p| {
            let (x, y) = (p.get(0)?.as_f64()?, p.get(1)?.as_f64()?);
            ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then_some((x, y))
        })
        .collect();
    let Some(pts) = pts else {
        return false;
    };
    if pts.len() < 4 || pts.first() != pts.last() {
        return false;
    }
    let mut distinct: Vec<(f64, f64)> = Vec::new();
    for p in &pts {
        if !distinct.contains(p) {
            distinct.push(*p);
        }
    }
    distinct.len() >= 3
}

/// A polygon's rings: the outer one, then holes; None when a ring is invalid.
fn in_polygon(rings: &[J], x: f64, y: f64) -> Option<bool> {
    if rings.is_empty() || !rings.iter().all(valid_ring) {
        return None;
    }
    let (outer, holes) = rings.split_first()?;
    Some(
        in_ring(outer.as_array().map(|v| v.as_slice()).unwrap_or(&[]), x, y)
            && !holes
                .iter()
                .any(|h| in_ring(h.as_array().map(|v| v.as_slice()).unwrap_or(&[]), x, y)),
    )
}

pub(crate) fn geo_point_in_polygon(a: &[Value], _: &Env) -> Value {
    let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64()) else {
        return Value::Null;
    };
    if point(&a[0], &a[1]).is_none() {
        return Value::Null;
    }
    let Some(poly) = as_json(&a[2]) else {
        return Value::Null;
    };
    let coords = poly.get("coordinates").and_then(|c| c.as_array());
    match (poly.get("type").and_then(|t| t.as_str()), coords) {
        (Some("Polygon"), Some(rings)) => in_polygon(rings, x, y).map_or(Value::Null, Value::Bool),
        (Some("MultiPolygon"), Some(polys)) => {
            let each: Option<Vec<bool>> = polys
                .iter()
                .map(|p| in_polygon(p.as_array()?, x, y))
                .collect();
            each.map_or(Value::Null, |v| Value::Bool(v.contains(&true)))
        }
        _ => Value::Null,
    }
}

// ---- lines and perimeters (great-circle edges) ----

type V3 = [f64; 3];

fn unit((l, p): (f64, f64)) -> V3 {
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The angle between two unit vectors (stable for small and large angles).
fn angle(a: V3, b: V3) -> f64 {
    let c = cross(a, b);
    dot(c, c).sqrt().atan2(dot(a, b))
}

/// Where on an arc a point is nearest to.
enum Nearest {
    /// The foot of the perpendicular (a unit vector), when it lies on the arc.
    Foot(V3),
    /// The arc's start (0) or end (1).
    End(usize),
}

/// The point of the shorter great-circle arc a–b nearest to p, and its central angle from p:
/// the foot of the perpendicular when it lies on the arc, else the nearer end.
fn nearest_on_arc(p: V3, a: V3, b: V3) -> (Nearest, f64) {
    let n = cross(a, b);
    let len = dot(n, n).sqrt();
    if len > 0.0 {
        let n = [n[0] / len, n[1] / len, n[2] / len];
        let off = dot(p, n);
        let foot = [p[0] - off * n[0], p[1] - off * n[1], p[2] - off * n[2]];
        let flen = dot(foot, foot).sqrt();
        if flen > 0.0 && dot(cross(a, foot), n) >= 0.0 && dot(cross(foot, b), n) >= 0.0 {
            let foot = [foot[0] / flen, foot[1] / flen, foot[2] / flen];
            return (Nearest::Foot(foot), off.clamp(-1.0, 1.0).asin().abs());
        }
    }
    let (da, db) = (angle(p, a), angle(p, b));
    if da <= db {
        (Nearest::End(0), da)
    } else {
        (Nearest::End(1), db)
    }
}

/// The nearest point of a path's edges to p: (edge index, where on it, central angle).
fn nearest_on_path(p: V3, pts: &[(f64, f64)]) -> Option<(usize, Nearest, f64)> {
    pts.windows(2)
        .enumerate()
        .map(|(i, w)| {
            let (at, d) = nearest_on_arc(p, unit(w[0]), unit(w[1]));
            (i, at, d)
        })
        .min_by(|x, y| x.2.total_cmp(&y.2))
}

/// A point on a path as [longitude, latitude] in degrees (a vertex exactly as given).
fn lon_lat(pts: &[(f64, f64)], edge: usize, at: &Nearest) -> (f64, f64) {
    match at {
        Nearest::Foot(v) => (
            v[1].atan2(v[0]).to_degrees(),
            v[2].atan2(v[0].hypot(v[1])).to_degrees(),
        ),
        Nearest::End(k) => {
            let (l, p) = pts[edge + k];
            (l.to_degrees(), p.to_degrees())
        }
    }
}

fn geojson_point((lon, lat): (f64, f64)) -> Value {
    Value::dynamic(json!({"type": "Point", "coordinates": [lon, lat]}))
}

/// A GeoJSON line's points in radians: at least two valid [longitude, latitude] entries.
fn line_points(line: &J) -> Option<Vec<(f64, f64)>> {
    let pts: Option<Vec<(f64, f64)>> = line
        .as_array()?
        .iter()
        .map(|p| {
            let (x, y) = (p.get(0)?.as_f64()?, p.get(1)?.as_f64()?);
            ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y))
                .then(|| (x.to_radians(), y.to_radians()))
        })
        .collect();
    pts.filter(|p| p.len() >= 2)
}

/// The lines of a GeoJSON LineString or MultiLineString; None when it is neither or invalid.
fn lines(v: &Value) -> Option<Vec<Vec<(f64, f64)>>> {
    let g = as_json(v)?;
    let coords = g.get("coordinates")?;
    match g.get("type")?.as_str()? {
        "LineString" => Some(vec![line_points(coords)?]),
        "MultiLineString" => {
            let ls: Option<Vec<_>> = coords.as_array()?.iter().map(line_points).collect();
            ls.filter(|l| !l.is_empty())
        }
        _ => None,
    }
}

fn path_length(pts: &[(f64, f64)]) -> f64 {
    pts.windows(2)
        .map(|w| central_angle(w[0], w[1]))
        .sum::<f64>()
        * EARTH_RADIUS
}

pub(crate) fn geo_distance_point_to_line(a: &[Value], _: &Env) -> Value {
    let (Some(p), Some(ls)) = (point(&a[0], &a[1]), lines(&a[2])) else {
        return Value::Null;
    };
    let p = unit(p);
    let best = ls
        .iter()
        .flat_map(|l| l.windows(2))
        .map(|w| nearest_on_arc(p, unit(w[0]), unit(w[1])).1)
        .fold(f64::INFINITY, f64::min);
    Value::Real(best * EARTH_RADIUS)
}

fn geo_line_length(a: &[Value], _: &Env) -> Value {
    match lines(&a[0]) {
        Some(ls) => Value::Real(ls.iter().map(|l| path_length(l)).sum()),
        None => Value::Null,
    }
}

fn geo_closest_point_on_line(a: &[Value], _: &Env) -> Value {
    let (Some(p), Some(ls)) = (point(&a[0], &a[1]), lines(&a[2])) else {
        return Value::Null;
    };
    nearest_on_paths(unit(p), &ls).map_or(Value::Null, geojson_point)
}

/// The nearest point of several paths, in degrees.
fn nearest_on_paths(p: V3, paths: &[Vec<(f64, f64)>]) -> Option<(f64, f64)> {
    paths
        .iter()
        .filter_map(|l| nearest_on_path(p, l).map(|(i, at, d)| (l, i, at, d)))
        .min_by(|x, y| x.3.total_cmp(&y.3))
        .map(|(l, i, at, _)| lon_lat(l, i, &at))
}

fn geo_line_locate_point(a: &[Value], _: &Env) -> Value {
    let line =
        as_json(&a[0]).filter(|g| g.get("type").and_then(|t| t.as_str()) == Some("LineString"));
    let pts = line
        .as_ref()
        .and_then(|g| line_points(g.get("coordinates")?));
    let (Some(pts), Some(p)) = (pts, point(&a[1], &a[2])) else {
        return Value::Null;
    };
    let total = path_length(&pts);
    let Some((i, at, _)) = nearest_on_path(unit(p), &pts) else {
        return Value::Null;
    };
    if total <= 0.0 {
        return Value::Null;
    }
    let along = match at {
        Nearest::Foot(v) => angle(unit(pts[i]), v) * EARTH_RADIUS,
        Nearest::End(k) => path_length(&pts[i..=i + k]),
    };
    Value::Real(((path_length(&pts[..=i]) + along) / total).clamp(0.0, 1.0))
}

/// A GeoJSON polygon's or multipolygon's polygons (each its rings); None when invalid.
fn polygons(v: &Value) -> Option<Vec<Vec<J>>> {
    let g = as_json(v)?;
    let coords = g.get("coordinates")?.as_array()?;
    let polys: Vec<Vec<J>> = match g.get("type")?.as_str()? {
        "Polygon" => vec![coords.clone()],
        "MultiPolygon" => coords
            .iter()
            .map(|p| p.as_array().cloned())
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let valid = !polys.is_empty()
        && polys
            .iter()
            .all(|r| !r.is_empty() && r.iter().all(valid_ring));
    valid.then_some(polys)
}

/// The point of a polygon nearest to (lon, lat) in degrees: itself inside, else on a ring.
fn nearest_on_polygons(a: &[Value]) -> Option<((f64, f64), (f64, f64))> {
    let p = point(&a[0], &a[1])?;
    let (x, y) = (a[0].as_f64()?, a[1].as_f64()?);
    let polys = polygons(&a[2])?;
    if polys.iter().any(|r| in_polygon(r, x, y) == Some(true)) {
        return Some(((x, y), (x, y)));
    }
    let rings: Option<Vec<Vec<(f64, f64)>>> = polys.iter().flatten().map(line_points).collect();
    Some(((x, y), nearest_on_paths(unit(p), &rings?)?))
}

fn geo_closest_point_on_polygon(a: &[Value], _: &Env) -> Value {
    nearest_on_polygons(a).map_or(Value::Null, |(_, q)| geojson_point(q))
}

pub(crate) fn geo_distance_point_to_polygon(a: &[Value], _: &Env) -> Value {
    match nearest_on_polygons(a) {
        Some((p, q)) if p == q => Value::Real(0.0),
        Some((p, q)) => Value::Real(
            central_angle(
                (p.0.to_radians(), p.1.to_radians()),
                (q.0.to_radians(), q.1.to_radians()),
            ) * EARTH_RADIUS,
        ),
        None => Value::Null,
    }
}

/// Where the great-circle arcs a–b and c–d cross: the fraction of a–b before it and the point.
/// Arcs on one great circle (overlapping or not) give none.
fn arcs_cross(a: V3, b: V3, c: V3, d: V3) -> Option<(f64, V3)> {
    let (n1, n2) = (cross(a, b), cross(c, d));
    let l = cross(n1, n2);
    let len = dot(l, l).sqrt();
    if len <= 1e-15 {
        return None;
    }
    let on = |x: V3, p: V3, q: V3, n: V3| dot(cross(p, x), n) >= 0.0 && dot(cross(x, q), n) >= 0.0;
    [1.0, -1.0].into_iter().find_map(|s: f64| {
        let x = [s * l[0] / len, s * l[1] / len, s * l[2] / len];
        (on(x, a, b, n1) && on(x, c, d, n2))
            .then(|| (angle(a, x) / angle(a, b).max(f64::MIN_POSITIVE), x))
    })
}

fn degrees(v: V3) -> J {
    json!([
        v[1].atan2(v[0]).to_degrees(),
        v[2].atan2(v[0].hypot(v[1])).to_degrees()
    ])
}

/// The point a fraction t along the great-circle arc a–b.
fn along(a: V3, b: V3, t: f64) -> V3 {
    let th = angle(a, b);
    if th <= 0.0 {
        return a;
    }
    let (wa, wb) = (((1.0 - t) * th).sin() / th.sin(), (t * th).sin() / th.sin());
    [
        wa * a[0] + wb * b[0],
        wa * a[1] + wb * b[1],
        wa * a[2] + wb * b[2],
    ]
}

/// Crossing points only: where the lines run along one great circle together, Kusto also
/// returns the shared stretch.
fn geo_intersection_2lines(a: &[Value], _: &Env) -> Value {
    let (Some(l1), Some(l2)) = (lines(&a[0]), lines(&a[1])) else {
        return Value::Null;
    };
    let mut points: Vec<J> = Vec::new();
    for p in &l1 {
        for e in p.windows(2) {
            for q in &l2 {
                for f in q.windows(2) {
                    let (ua, ub, uc, ud) = (unit(e[0]), unit(e[1]), unit(f[0]), unit(f[1]));
                    if let Some((_, x)) = arcs_cross(ua, ub, uc, ud) {
                        let pt = degrees(x);
                        if !points.contains(&pt) {
                            points.push(pt);
                        }
                    }
                }
            }
        }
    }
    Value::dynamic(match points.len() {
        0 => json!({"type": "GeometryCollection", "geometries": []}),
        1 => json!({"type": "Point", "coordinates": points[0]}),
        _ => json!({"type": "MultiPoint", "coordinates": points}),
    })
}

/// Each line edge is cut where it crosses a ring edge; the pieces whose middle lies in the
/// polygon (the planar test of geo_point_in_polygon) are kept and joined where they meet.
fn geo_intersection_line_with_polygon(a: &[Value], _: &Env) -> Value {
    let (Some(ls), Some(polys)) = (lines(&a[0]), polygons(&a[1])) else {
        return Value::Null;
    };
    let rings: Option<Vec<Vec<(f64, f64)>>> = polys.iter().flatten().map(line_points).collect();
    let Some(rings) = rings else {
        return Value::Null;
    };
    let inside = |v: V3| {
        let c = degrees(v);
        let (x, y) = (c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0));
        polys.iter().any(|r| in_polygon(r, x, y) == Some(true))
    };
    let mut out: Vec<Vec<J>> = Vec::new();
    for l in &ls {
        let mut current: Vec<J> = Vec::new();
        for e in l.windows(2) {
            let (ua, ub) = (unit(e[0]), unit(e[1]));
            let vertex = |p: (f64, f64)| json!([p.0.to_degrees(), p.1.to_degrees()]);
            let mut cuts: Vec<(f64, J)> = vec![(0.0, vertex(e[0])), (1.0, vertex(e[1]))];
            for r in &rings {
                for f in r.windows(2) {
                    if let Some((t, x)) = arcs_cross(ua, ub, unit(f[0]), unit(f[1])) {
                        cuts.push((t.clamp(0.0, 1.0), degrees(x)));
                    }
                }
            }
            cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
            cuts.dedup_by(|x, y| (x.0 - y.0).abs() <= 1e-12);
            for w in cuts.windows(2) {
                if inside(along(ua, ub, (w[0].0 + w[1].0) / 2.0)) {
                    if current.last() != Some(&w[0].1) {
                        if current.len() >= 2 {
                            out.push(std::mem::take(&mut current));
                        }
                        current = vec![w[0].1.clone()];
                    }
                    current.push(w[1].1.clone());
                } else if current.len() >= 2 {
                    out.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
        }
        if current.len() >= 2 {
            out.push(current);
        }
    }
    Value::dynamic(match out.len() {
        0 => json!({"type": "GeometryCollection", "geometries": []}),
        1 => json!({"type": "LineString", "coordinates": out[0]}),
        _ => json!({"type": "MultiLineString", "coordinates": out}),
    })
}

/// Whether any edge of one set of paths crosses or touches (a vertex on the other's edge, which
/// also covers stretches along one great circle) an edge of the other.
fn paths_meet(p: &[Vec<(f64, f64)>], q: &[Vec<(f64, f64)>]) -> bool {
    const TOUCH: f64 = 1e-12;
    let on = |v: (f64, f64), paths: &[Vec<(f64, f64)>]| {
        paths.iter().any(|l| {
            l.windows(2)
                .any(|w| nearest_on_arc(unit(v), unit(w[0]), unit(w[1])).1 <= TOUCH)
        })
    };
    p.iter().flatten().any(|&v| on(v, q))
        || q.iter().flatten().any(|&v| on(v, p))
        || p.iter().flat_map(|l| l.windows(2)).any(|e| {
            q.iter()
                .flat_map(|l| l.windows(2))
                .any(|f| arcs_cross(unit(e[0]), unit(e[1]), unit(f[0]), unit(f[1])).is_some())
        })
}

/// The rings of polygons as paths in radians; None when a ring is invalid.
fn ring_paths(polys: &[Vec<J>]) -> Option<Vec<Vec<(f64, f64)>>> {
    polys.iter().flatten().map(line_points).collect()
}

/// Whether a point (radians) lies in any of the polygons (the planar test of
/// geo_point_in_polygon).
fn in_any_polygon(polys: &[Vec<J>], (l, p): (f64, f64)) -> bool {
    polys
        .iter()
        .any(|r| in_polygon(r, l.to_degrees(), p.to_degrees()) == Some(true))
}

fn geo_intersects_2lines(a: &[Value], _: &Env) -> Value {
    match (lines(&a[0]), lines(&a[1])) {
        (Some(p), Some(q)) => Value::Bool(paths_meet(&p, &q)),
        _ => Value::Null,
    }
}

fn geo_intersects_line_with_polygon(a: &[Value], _: &Env) -> Value {
    let (Some(ls), Some(polys)) = (lines(&a[0]), polygons(&a[1])) else {
        return Value::Null;
    };
    let Some(rings) = ring_paths(&polys) else {
        return Value::Null;
    };
    Value::Bool(ls.iter().flatten().any(|&v| in_any_polygon(&polys, v)) || paths_meet(&ls, &rings))
}

fn geo_intersects_2polygons(a: &[Value], _: &Env) -> Value {
    let (Some(p1), Some(p2)) = (polygons(&a[0]), polygons(&a[1])) else {
        return Value::Null;
    };
    let (Some(r1), Some(r2)) = (ring_paths(&p1), ring_paths(&p2)) else {
        return Value::Null;
    };
    Value::Bool(
        r1.iter().flatten().any(|&v| in_any_polygon(&p2, v))
            || r2.iter().flatten().any(|&v| in_any_polygon(&p1, v))
            || paths_meet(&r1, &r2),
    )
}

/// The area of a ring on the unit sphere: its spherical triangles fanned from the first vertex
/// (each 2·atan2(a·(b×c), 1 + a·b + b·c + c·a)), summed with their signs.
fn ring_area(pts: &[(f64, f64)]) -> f64 {
    let v: Vec<V3> = pts[..pts.len() - 1].iter().map(|&p| unit(p)).collect();
    let mut sum = 0.0;
    for i in 1..v.len().saturating_sub(1) {
        let (a, b, c) = (v[0], v[i], v[i + 1]);
        sum += 2.0 * dot(a, cross(b, c)).atan2(1.0 + dot(a, b) + dot(b, c) + dot(c, a));
    }
    sum.abs()
}

/// Each polygon's shell less its holes, summed over a multipolygon (overlapping polygons are
/// counted twice where Kusto measures their union).
fn geo_polygon_area(a: &[Value], _: &Env) -> Value {
    let Some(polys) = polygons(&a[0]) else {
        return Value::Null;
    };
    let mut total = 0.0;
    for rings in &polys {
        let Some(paths) = rings.iter().map(line_points).collect::<Option<Vec<_>>>() else {
            return Value::Null;
        };
        let shell = ring_area(&paths[0]);
        let holes: f64 = paths[1..].iter().map(|h| ring_area(h)).sum();
        total += (shell - holes).max(0.0);
    }
    Value::Real(total * EARTH_RADIUS * EARTH_RADIUS)
}

/// The summed length of a polygon's rings (outer and holes); None when a ring is invalid.
fn rings_length(rings: &J) -> Option<f64> {
    let rings = rings.as_array()?;
    if rings.is_empty() || !rings.iter().all(valid_ring) {
        return None;
    }
    rings
        .iter()
        .map(|r| line_points(r).map(|p| path_length(&p)))
        .sum()
}

/// Each polygon's rings summed: overlapping polygons of a multipolygon count their shared
/// boundary twice, where Kusto measures the union's boundary.
fn geo_polygon_perimeter(a: &[Value], _: &Env) -> Value {
    let Some(g) = as_json(&a[0]) else {
        return Value::Null;
    };
    let coords = g.get("coordinates");
    let total = match (g.get("type").and_then(|t| t.as_str()), coords) {
        (Some("Polygon"), Some(rings)) => rings_length(rings),
        (Some("MultiPolygon"), Some(J::Array(polys))) if !polys.is_empty() => {
            polys.iter().map(rings_length).sum()
        }
        _ => None,
    };
    total.map_or(Value::Null, Value::Real)
}

// ---- WKT ----

struct Wkt<'a> {
    s: &'a [u8],
    i: usize,
}

impl Wkt<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).to_ascii_uppercase()
    }

    fn number(&mut self) -> Option<f64> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'
            )
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    fn coord(&mut self) -> Option<J> {
        let x = self.number()?;
        let y = self.number()?;
        ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then(|| json!([x, y]))
    }

    /// `( item, item, … )`.
    fn list(&mut self, item: &mut dyn FnMut(&mut Self) -> Option<J>) -> Option<J> {
        if !self.eat(b'(') {
            return None;
        }
        let mut v = vec![item(self)?];
        while self.eat(b',') {
            v.push(item(self)?);
        }
        self.eat(b')').then_some(J::Array(v))
    }

    fn point_list(&mut self) -> Option<J> {
        self.list(&mut |w| {
            // MULTIPOINT allows `(1 1)` as well as `1 1`.
            if w.eat(b'(') {
                let c = w.coord()?;
                w.eat(b')').then_some(c)
            } else {
                w.coord()
            }
        })
    }

    fn geometry(&mut self, depth: usize) -> Option<J> {
        if depth > 8 {
            return None;
        }
        let kind = self.word();
        let (name, coords) = match kind.as_str() {
            "POINT" => {
                if !self.eat(b'(') {
                    return None;
                }
                let c = self.coord()?;
                ("Point", self.eat(b')').then_some(c)?)
            }
            "LINESTRING" => ("LineString", self.point_list()?),
            "POLYGON" => ("Polygon", self.list(&mut |w| w.point_list())?),
            "MULTIPOINT" => ("MultiPoint", self.point_list()?),
            "MULTILINESTRING" => ("MultiLineString", self.list(&mut |w| w.point_list())?),
            "MULTIPOLYGON" => (
                "MultiPolygon",
                self.list(&mut |w| w.list(&mut |v| v.point_list()))?,
            ),
            "GEOMETRYCOLLECTION" => {
                let g = self.list(&mut |w| w.geometry(depth + 1))?;
                return Some(json!({"type": "GeometryCollection", "geometries": g}));
            }
            _ => return None,
        };
        Some(json!({"type": name, "coordinates": coords}))
    }
}

fn geo_from_wkt(a: &[Value], _: &Env) -> Value {
    let s = a[0].to_kql_string();
    let mut w = Wkt {
        s: s.as_bytes(),
        i: 0,
    };
    match w.geometry(0) {
        Some(g) => {
            w.ws();
            if w.i == w.s.len() {
                Value::dynamic(g)
            } else {
                Value::Null
            }
        }
        None => Value::Null,
    }
}

// ---- geohash ----

const GEOHASH: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

fn geohash_encode(lon: f64, lat: f64, len: usize) -> String {
    let (mut lo, mut la) = ((-180.0, 180.0), (-90.0, 90.0));
    let mut out = String::new();
    let (mut even, mut bits, mut v) = (true, 0, 0usize);
    while out.len() < len {
        let (r, x) = if even { (&mut lo, lon) } else { (&mut la, lat) };
        let m = (r.0 + r.1) / 2.0;
        v <<= 1;
        if x >= m {
            v |= 1;
            r.0 = m;
        } else {
            r.1 = m;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            out.push(GEOHASH[v] as char);
            bits = 0;
            v = 0;
        }
    }
    out
}

/// A geohash's bounds: ((lon min, lon max), (lat min, lat max)).
fn geohash_decode(h: &str) -> Option<((f64, f64), (f64, f64))> {
    if h.is_empty() || h.len() > 18 {
        return None;
    }
    let (mut lo, mut la) = ((-180.0, 180.0), (-90.0, 90.0));
    let mut even = true;
    for c in h.bytes() {
        let v = GEOHASH.iter().position(|&g| g == c.to_ascii_lowercase())?;
        for bit in [16, 8, 4, 2, 1] {
            let r: &mut (f64, f64) = if even { &mut lo } else { &mut la };
            let m = (r.0 + r.1) / 2.0;
            if v & bit != 0 {
                r.0 = m;
            } else {
                r.1 = m;
            }
            even = !even;
        }
    }
    Some((lo, la))
}

fn geo_point_to_geohash(a: &[Value], _: &Env) -> Value {
    let len = a.get(2).and_then(|v| v.as_i64()).unwrap_or(5);
    if !(1..=18).contains(&len) || point(&a[0], &a[1]).is_none() {
        return Value::Null;
    }
    match (a[0].as_f64(), a[1].as_f64()) {
        (Some(lon), Some(lat)) => Value::str(&geohash_encode(lon, lat, len as usize)),
        _ => Value::Null,
    }
}

fn geo_geohash_to_central_point(a: &[Value], _: &Env) -> Value {
    match geohash_decode(&a[0].to_kql_string()) {
        Some((lo, la)) => Value::dynamic(
            json!({"type": "Point", "coordinates": [(lo.0 + lo.1) / 2.0, (la.0 + la.1) / 2.0]}),
        ),
        None => Value::Null,
    }
}

fn geo_geohash_to_polygon(a: &[Value], _: &Env) -> Value {
    match geohash_decode(&a[0].to_kql_string()) {
        Some((lo, la)) => Value::dynamic(json!({"type": "Polygon", "coordinates": [[
            [lo.0, la.0], [lo.1, la.0], [lo.1, la.1], [lo.0, la.1], [lo.0, la.0]
        ]]})),
        None => Value::Null,
    }
}

fn geo_geohash_neighbors(a: &[Value], _: &Env) -> Value {
    let h = a[0].to_kql_string();
    let Some((lo, la)) = geohash_decode(&h) else {
        return Value::Null;
    };
    let (cx, cy) = ((lo.0 + lo.1) / 2.0, (la.0 + la.1) / 2.0);
    let (dx, dy) = (lo.1 - lo.0, la.1 - la.0);
    // Kusto's order: south-west, north-west, south-east, north, west, north-east, east, south.
    let steps = [
        (-1.0, -1.0),
        (-1.0, 1.0),
        (1.0, -1.0),
        (0.0, 1.0),
        (-1.0, 0.0),
        (1.0, 1.0),
        (1.0, 0.0),
        (0.0, -1.0),
    ];
    let mut out = Vec::new();
    for (sx, sy) in steps {
        let y = cy + sy * dy;
        if !(-90.0..=90.0).contains(&y) {
            continue;
        }
        let x = (cx + sx * dx + 540.0).rem_euclid(360.0) - 180.0;
        out.push(J::String(geohash_encode(x, y, h.len())));
    }
    Value::dynamic(J::Array(out))
}

// ---- H3 ----

fn cell(v: &Value) -> Option<h3o::CellIndex> {
    v.to_kql_string().parse().ok()
}

fn resolution(v: Option<&Value>) -> Option<Option<h3o::Resolution>> {
    match v {
        None => Some(None),
        Some(v) => {
            let r = u8::try_from(v.as_i64()?).ok()?;
            h3o::Resolution::try_from(r).ok().map(Some)
        }
    }
}

fn geo_point_to_h3cell(a: &[Value], _: &Env) -> Value {
    let res = a.get(2).and_then(|v| v.as_i64()).unwrap_or(6);
    let (Some(lon), Some(lat)) = (a[0].as_f64(), a[1].as_f64()) else {
        return Value::Null;
    };
    if point(&a[0], &a[1]).is_none() {
        return Value::Null;
    }
    let Some(r) = u8::try_from(res)
        .ok()
        .and_then(|r| h3o::Resolution::try_from(r).ok())
    else {
        return Value::Null;
    };
    match h3o::LatLng::new(lat, lon) {
        Ok(ll) => Value::str(&ll.to_cell(r).to_string()),
        Err(_) => Value::Null,
    }
}

fn geo_h3cell_to_central_point(a: &[Value], _: &Env) -> Value {
    match cell(&a[0]) {
        Some(c) => {
            let ll = h3o::LatLng::from(c);
            Value::dynamic(json!({"type": "Point", "coordinates": [ll.lng(), ll.lat()]}))
        }
        None => Value::Null,
    }
}

fn geo_h3cell_to_polygon(a: &[Value], _: &Env) -> Value {
    match cell(&a[0]) {
        Some(c) => {
            let mut ring: Vec<J> = c
                .boundary()
                .iter()
                .map(|ll| json!([ll.lng(), ll.lat()]))
                .collect();
            if let Some(first) = ring.first().cloned() {
                ring.push(first);
            }
            Value::dynamic(json!({"type": "Polygon", "coordinates": [ring]}))
        }
        None => Value::Null,
    }
}

fn geo_h3cell_level(a: &[Value], _: &Env) -> Value {
    cell(&a[0])
        .map(|c| Value::Long(u8::from(c.resolution()) as i64))
        .unwrap_or(Value::Null)
}

fn geo_h3cell_parent(a: &[Value], _: &Env) -> Value {
    let (Some(c), Some(r)) = (cell(&a[0]), resolution(a.get(1))) else {
        return Value::Null;
    };
    let r = match r {
        Some(r) => r,
        None => match c.resolution().pred() {
            Some(r) => r,
            None => return Value::Null,
        },
    };
    c.parent(r)
        .map(|p| Value::str(&p.to_string()))
        .unwrap_or(Value::Null)
}

fn geo_h3cell_children(a: &[Value], env: &Env) -> Value {
    let (Some(c), Some(r)) = (cell(&a[0]), resolution(a.get(1))) else {
        return Value::Null;
    };
    let r = match r {
        Some(r) => r,
        None => match c.resolution().succ() {
            Some(r) => r,
            None => return Value::Null,
        },
    };
    // Kusto answers at most five levels down (null beyond, as documented).
    let levels = u8::from(r) as i32 - u8::from(c.resolution()) as i32;
    if !(1..=5).contains(&levels)
        || !env.fits("geo_h3cell_children", c.children_count(r) as usize * 40)
    {
        return Value::Null;
    }
    Value::dynamic(J::Array(
        c.children(r).map(|x| J::String(x.to_string())).collect(),
    ))
}

fn geo_h3cell_rings(a: &[Value], env: &Env) -> Value {
    let (Some(c), Some(k)) = (cell(&a[0]), a[1].as_i64()) else {
        return Value::Null;
    };
    if !(0..=142).contains(&k)
        || !env.fits("geo_h3cell_rings", (3 * k * k + 3 * k + 1) as usize * 40)
    {
        return Value::Null;
    }
    let mut rings: Vec<Vec<J>> = vec![Vec::new(); k as usize + 1];
    for (x, d) in c.grid_disk_distances::<Vec<_>>(k as u32) {
        rings[d as usize].push(J::String(x.to_string()));
    }
    Value::dynamic(J::Array(rings.into_iter().map(J::Array).collect()))
}

fn geo_h3cell_neighbors(a: &[Value], _: &Env) -> Value {
    match cell(&a[0]) {
        Some(c) => Value::dynamic(J::Array(
            c.grid_ring::<Vec<_>>(1)
                .into_iter()
                .map(|x| J::String(x.to_string()))
                .collect(),
        )),
        None => Value::Null,
    }
}
