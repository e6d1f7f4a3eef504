//! A KQL result laid out as its `render` operator asks (Kusto's conventions): a time chart
//! takes its first datetime column as x and every numeric column as a series, string columns
//! splitting the series (`render timechart` after `summarize count() by bin(TimeGenerated,
//! 1h), OperationName` draws one line per operation); a column or bar chart takes its first
//! column as the categories; a pie chart takes the first column as the slices and the first
//! numeric column as their sizes. Rows that meet on the same x and series add up. This is
//! layout, not analysis: every value is a cell of the result.

use crate::protocol::{ChartSeries, ChartSpec};
use keyhole_kql::{Table, Type, Value};
use std::collections::HashMap;

/// Most x values and series a chart draws (the table has all of them).
pub const MAX_X: usize = 5000;
pub const MAX_SERIES: usize = 20;

fn is_number(t: Type) -> bool {
    matches!(t, Type::Int | Type::Long | Type::Real)
}

fn is_text(t: Type) -> bool {
    matches!(t, Type::String | Type::Guid | Type::Bool | Type::Dynamic)
}

/// The chart of `table` for `render kind`, or `None` for `render table` / no render.
pub fn layout(table: &Table) -> Option<ChartSpec> {
    let kind = table.render.as_deref()?.to_ascii_lowercase();
    let time_x = matches!(
        kind.as_str(),
        "timechart" | "linechart" | "areachart" | "stackedareachart" | "scatterchart"
    );
    if !time_x && !matches!(kind.as_str(), "columnchart" | "barchart" | "piechart") {
        return None;
    }
    let mut spec = ChartSpec {
        kind: kind.clone(),
        ..ChartSpec::default()
    };
    let cols = &table.columns;
    let x = if time_x {
        cols.iter()
            .position(|c| c.ty == Type::DateTime)
            .or(if cols.is_empty() { None } else { Some(0) })
    } else {
        (!cols.is_empty()).then_some(0)
    };
    let Some(x) = x else {
        spec.note = Some("the result has no column to draw".into());
        return Some(spec);
    };
    spec.x_label = cols[x].name.clone();
    let mut ys: Vec<usize> = (0..cols.len())
        .filter(|&i| i != x && is_number(cols[i].ty))
        .collect();
    if kind == "piechart" {
        ys.truncate(1);
    }
    if ys.is_empty() {
        spec.note = Some(format!(
            "render {kind} needs a numeric column besides '{}'",
            cols[x].name
        ));
        return Some(spec);
    }
    let splits: Vec<usize> = if kind == "piechart" {
        Vec::new()
    } else {
        (0..cols.len())
            .filter(|&i| i != x && is_text(cols[i].ty))
            .collect()
    };
    let time_axis = time_x && cols[x].ty == Type::DateTime;
    // x keys in order (time order for a time axis, first appearance otherwise).
    let mut x_index: HashMap<String, usize> = HashMap::new();
    let mut x_keys: Vec<(Option<i64>, String)> = Vec::new();
    let mut s_index: HashMap<String, usize> = HashMap::new();
    let mut s_labels: Vec<String> = Vec::new();
    let mut cells: HashMap<(usize, usize), f64> = HashMap::new();
    let mut dropped = false;
    for row in &table.rows {
        let xv = &row[x];
        let key = xv.to_string();
        let xi = match x_index.get(&key) {
            Some(&i) => i,
            None => {
                if x_keys.len() >= MAX_X {
                    dropped = true;
                    continue;
                }
                let t = match xv {
                    Value::DateTime(t) => Some(t.micros),
                    _ => None,
                };
                if time_axis && t.is_none() {
                    continue;
                }
                x_keys.push((t, key.clone()));
                x_index.insert(key, x_keys.len() - 1);
                x_keys.len() - 1
            }
        };
        let prefix: Vec<String> = splits.iter().map(|&i| row[i].to_string()).collect();
        for &y in &ys {
            let Some(v) = row[y].as_f64() else { continue };
            let mut parts = prefix.clone();
            if ys.len() > 1 || parts.is_empty() {
                parts.push(cols[y].name.clone());
            }
            let label = parts.join(" · ");
            let si = match s_index.get(&label) {
                Some(&i) => i,
                None => {
                    if s_labels.len() >= MAX_SERIES {
                        dropped = true;
                        continue;
                    }
                    s_labels.push(label.clone());
                    s_index.insert(label, s_labels.len() - 1);
                    s_labels.len() - 1
                }
            };
            *cells.entry((xi, si)).or_default() += v;
        }
    }
    let mut order: Vec<usize> = (0..x_keys.len()).collect();
    if time_axis {
        order.sort_by_key(|&i| x_keys[i].0);
    }
    if time_axis {
        spec.x_times = order.iter().filter_map(|&i| x_keys[i].0).collect();
    } else {
        spec.x_labels = order.iter().map(|&i| x_keys[i].1.clone()).collect();
    }
    spec.series = s_labels
        .into_iter()
        .enumerate()
        .map(|(si, label)| ChartSeries {
            label,
            values: order
                .iter()
                .map(|&xi| cells.get(&(xi, si)).copied())
                .collect(),
        })
        .collect();
    if dropped {
        spec.note = Some(format!(
            "drawn: the first {MAX_X} x values and {MAX_SERIES} series (the table has every row)"
        ));
    }
    Some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::Timestamp;
    use keyhole_kql::Column;

    fn col(name: &str, ty: Type) -> Column {
        Column {
            name: name.into(),
            ty,
        }
    }

    fn dt(s: &str) -> Value {
        Value::DateTime(Timestamp::parse_iso(s).unwrap())
    }

    #[test]
    fn timechart_splits_series_by_string_columns_in_time_order() {
        let t = Table {
            columns: vec![
                col("TimeGenerated", Type::DateTime),
                col("OperationName", Type::String),
                col("count_", Type::Long),
            ],
            rows: vec![
                vec![
                    dt("2026-10-01T01:00:00Z"),
                    Value::str("SecretGet"),
                    Value::Long(3),
                ],
                vec![
                    dt("2026-10-01T00:00:00Z"),
                    Value::str("SecretGet"),
                    Value::Long(5),
                ],
                vec![
                    dt("2026-10-01T00:00:00Z"),
                    Value::str("KeySign"),
                    Value::Long(2),
                ],
                vec![
                    dt("2026-10-01T00:00:00Z"),
                    Value::str("KeySign"),
                    Value::Long(1),
                ],
            ],
            render: Some("timechart".into()),
        };
        let c = layout(&t).unwrap();
        let h0 = Timestamp::parse_iso("2026-10-01T00:00:00Z").unwrap().micros;
        assert_eq!(c.x_times, vec![h0, h0 + 3_600_000_000]);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[0].label, "SecretGet");
        assert_eq!(c.series[0].values, vec![Some(5.0), Some(3.0)]);
        assert_eq!(c.series[1].label, "KeySign");
        assert_eq!(
            c.series[1].values,
            vec![Some(3.0), None],
            "rows on the same point add up"
        );
    }

    #[test]
    fn column_bar_and_pie_charts() {
        let mut t = Table {
            columns: vec![
                col("Vault", Type::String),
                col("events", Type::Long),
                col("failed", Type::Long),
            ],
            rows: vec![
                vec![Value::str("kv2"), Value::Long(7), Value::Long(1)],
                vec![Value::str("kv1"), Value::Long(4), Value::Long(0)],
            ],
            render: Some("columnchart".into()),
        };
        let c = layout(&t).unwrap();
        assert_eq!(c.x_labels, vec!["kv2", "kv1"], "first appearance order");
        let labels: Vec<&str> = c.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, vec!["events", "failed"]);
        t.render = Some("piechart".into());
        let p = layout(&t).unwrap();
        assert_eq!(p.series.len(), 1);
        assert_eq!(p.series[0].values, vec![Some(7.0), Some(4.0)]);
        t.render = Some("table".into());
        assert!(layout(&t).is_none());
        t.render = None;
        assert!(layout(&t).is_none());
        t.render = Some("barchart".into());
        t.columns[1].ty = Type::String;
        t.columns[2].ty = Type::String;
        assert!(layout(&t).unwrap().note.unwrap().contains("numeric column"));
    }
}
