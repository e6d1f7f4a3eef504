//! `count`: the number of rows, as a one-row table with column `Count`.

use crate::exec::{values_col, Batch};
use crate::value::{Type, Value};

pub(crate) fn run(b: Batch) -> Batch {
    Batch {
        cols: vec![values_col(
            "Count",
            Type::Long,
            vec![Value::Long(b.len as i64)],
        )],
        len: 1,
    }
}
