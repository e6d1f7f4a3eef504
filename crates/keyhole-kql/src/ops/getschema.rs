//! `getschema`: one row per input column (name, ordinal, .NET type, Kusto type).

use crate::exec::{values_col, Batch};
use crate::value::{Type, Value};

pub(crate) fn run(b: Batch) -> Batch {
    let n = b.cols.len();
    Batch {
        cols: vec![
            values_col(
                "ColumnName",
                Type::String,
                b.cols.iter().map(|c| Value::str(&c.name)).collect(),
            ),
            values_col(
                "ColumnOrdinal",
                Type::Int,
                (0..n).map(|i| Value::Long(i as i64)).collect(),
            ),
            values_col(
                "DataType",
                Type::String,
                b.cols
                    .iter()
                    .map(|c| Value::str(dotnet_type(c.ty)))
                    .collect(),
            ),
            values_col(
                "ColumnType",
                Type::String,
                b.cols.iter().map(|c| Value::str(c.ty.name())).collect(),
            ),
        ],
        len: n,
    }
}

fn dotnet_type(t: Type) -> &'static str {
    match t {
        Type::Bool => "System.SByte",
        Type::Int => "System.Int32",
        Type::Long => "System.Int64",
        Type::Real => "System.Double",
        Type::String => "System.String",
        Type::DateTime => "System.DateTime",
        Type::TimeSpan => "System.TimeSpan",
        Type::Dynamic => "System.Object",
        Type::Guid => "System.Guid",
    }
}
