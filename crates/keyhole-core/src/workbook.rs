//! Workbook aggregates the page draws (spec §5). Filled in by the detection work (issue 3).
