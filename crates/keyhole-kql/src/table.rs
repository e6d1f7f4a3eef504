//! A query's result: named, typed columns and rows, rendered as text, CSV or JSON.

use crate::value::{Type, Value};
use keyhole_core::export::{csv_cell, visible};

/// One result column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: Type,
}

/// A result table. `render` holds the visualisation a trailing `render` operator asked for
/// (`timechart`, `barchart`, …); the rows are the same either way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    pub render: Option<String>,
}

impl Table {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The values of one column, by name.
    pub fn column_values(&self, name: &str) -> Option<Vec<&Value>> {
        let i = self.column_index(name)?;
        Some(self.rows.iter().map(|r| &r[i]).collect())
    }

    /// An aligned text table (numbers right-aligned), header and a rule, then one line a row.
    pub fn to_text(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| visible(&v.to_string()).into_owned())
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .collect();
        for row in &cells {
            for (i, c) in row.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, vals: &[String], numeric: &[bool]| {
            let mut first = true;
            for (i, v) in vals.iter().enumerate() {
                if !first {
                    out.push_str("  ");
                }
                first = false;
                let pad = widths[i].saturating_sub(v.chars().count());
                if numeric[i] {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(v);
                } else {
                    out.push_str(v);
                    if i + 1 < vals.len() {
                        out.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push('\n');
        };
        let numeric: Vec<bool> = self.columns.iter().map(|c| c.ty.is_numeric()).collect();
        let header: Vec<String> = self
            .columns
            .iter()
            .map(|c| visible(&c.name).into_owned())
            .collect();
        line(&mut out, &header, &vec![false; header.len()]);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &rule, &vec![false; rule.len()]);
        for row in &cells {
            line(&mut out, row, &numeric);
        }
        out
    }

    /// RFC 4180 CSV with a header, CRLF records, by the core's output rules
    /// ([`keyhole_core::export::csv_cell`]): a text cell a spreadsheet would run as a formula
    /// (its first non-blank character `=`, `+`, `-`, `@`, or a leading tab or CR) gets a leading
    /// `'`. Numbers are left as they are (`-3` is a number, not a formula).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| csv_cell(&c.name)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Long(_) | Value::Real(_) | Value::TimeSpan(_) => v.to_string(),
                    _ => csv_cell(&v.to_string()),
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// An array of row objects (spec §4); datetimes and timespans as text. (A `serde_json` map
    /// orders keys by name; [`Table::to_json`] keeps column order.)
    pub fn to_json_value(&self) -> serde_json::Value {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut m = serde_json::Map::new();
                for (c, v) in self.columns.iter().zip(r) {
                    m.insert(c.name.clone(), v.to_json());
                }
                serde_json::Value::Object(m)
            })
            .collect();
        serde_json::Value::Array(rows)
    }

    /// The JSON text of [`Table::to_json_value`], with each object's keys in column order.
    pub fn to_json(&self) -> String {
        let keys: Vec<String> = self
            .columns
            .iter()
            .map(|c| serde_json::to_string(&c.name).unwrap_or_else(|_| "\"\"".into()))
            .collect();
        let mut out = String::from("[");
        for (i, r) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            for (j, v) in r.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(&keys[j]);
                out.push(':');
                out.push_str(
                    &serde_json::to_string(&v.to_json()).unwrap_or_else(|_| "null".into()),
                );
            }
            out.push('}');
        }
        out.push(']');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Table {
        Table {
            columns: vec![
                Column {
                    name: "Name".into(),
                    ty: Type::String,
                },
                Column {
                    name: "count_".into(),
                    ty: Type::Long,
                },
            ],
            rows: vec![
                vec![Value::str("=cmd|' /C calc'!A0"), Value::Long(-3)],
                vec![Value::str("a,\"b\""), Value::Long(12)],
            ],
            render: None,
        }
    }

    #[test]
    fn csv_is_formula_safe_and_quoted() {
        assert_eq!(
            t().to_csv(),
            "Name,count_\r\n'=cmd|' /C calc'!A0,-3\r\n\"a,\"\"b\"\"\",12\r\n"
        );
    }

    /// The table's CSV and text follow the core's one definition of a defused cell and a
    /// visible name: a formula behind blanks is defused (not only one in the first byte), and
    /// control and bidi characters are shown as `⟨U+…⟩` as everywhere else.
    #[test]
    fn csv_and_text_use_the_core_output_rules() {
        let hostile = [
            " =HYPERLINK(\"http://evil\")",
            "\u{a0}+1",
            "\n-2+3",
            "\tcmd",
            "@SUM(A1)",
            "evil\u{202E}nosj.exe",
            "a\u{1b}[31mred",
            "plain",
        ];
        let t = Table {
            columns: vec![Column {
                name: "=Name".into(),
                ty: Type::String,
            }],
            rows: hostile.iter().map(|h| vec![Value::str(h)]).collect(),
            render: None,
        };
        let csv = t.to_csv();
        let mut want = keyhole_core::export::csv_record(&["=Name"]);
        for h in hostile {
            want.push_str(&keyhole_core::export::csv_record(&[h]));
        }
        assert_eq!(csv, want);
        assert!(csv.contains("\"' =HYPERLINK"), "{csv}");
        assert!(csv.contains("'\u{a0}+1"), "{csv}");
        let text = t.to_text();
        assert!(text.contains("evil⟨U+202E⟩nosj.exe"), "{text}");
        assert!(text.contains("a⟨U+001B⟩[31mred"), "{text}");
        assert!(text.contains("⟨U+000A⟩-2+3"), "{text}");
        assert!(!text.contains(['\u{1b}', '\u{202E}', '\t']), "{text}");
        assert_eq!(text.lines().count(), 2 + hostile.len(), "one line a row");
    }

    #[test]
    fn json_is_array_of_row_objects() {
        assert_eq!(
            t().to_json(),
            r#"[{"Name":"=cmd|' /C calc'!A0","count_":-3},{"Name":"a,\"b\"","count_":12}]"#
        );
    }

    #[test]
    fn text_is_aligned() {
        let s = t().to_text();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "Name                count_");
        assert_eq!(lines[2], "=cmd|' /C calc'!A0      -3");
        assert_eq!(lines[3], "a,\"b\"                   12");
    }
}
