//! Workbook aggregates the page draws (Sentinel "Azure Key Vault" workbook panels, spec §5).
