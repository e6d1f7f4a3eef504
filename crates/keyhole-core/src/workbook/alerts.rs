//! The Alerts tab's panels over the findings: severity tiles, alerts per vault and severity,
//! alerts over time (by first seen, on the workbook's grid) and alerts per rule.

use super::TimeGrid;
use crate::detect::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub informational: u64,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Informational => self.informational += 1,
        }
    }

    /// The count of a severity by its name (`high`, `medium`, `low`, `informational`).
    pub fn get(&self, severity: &str) -> u64 {
        match severity {
            "high" => self.high,
            "medium" => self.medium,
            "low" => self.low,
            "informational" => self.informational,
            _ => 0,
        }
    }

    pub fn total(&self) -> u64 {
        self.high + self.medium + self.low + self.informational
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultAlerts {
    /// The vault, or `*` for findings that span vaults.
    pub vault: String,
    pub severity: SeverityCounts,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: String,
    pub title: String,
    pub alerts: u64,
    /// Events behind them.
    pub events: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPanels {
    pub total: u64,
    pub severity: SeverityCounts,
    /// Sorted by vault name (`*` first).
    pub by_vault: Vec<VaultAlerts>,
    /// Alerts per bucket of the grid, by first seen.
    pub over_time: Vec<u64>,
    /// Most alerts first, then rule id.
    pub by_rule: Vec<RuleCount>,
}

pub(super) fn panels(findings: &[Finding], grid: &TimeGrid) -> AlertPanels {
    let mut p = AlertPanels {
        total: findings.len() as u64,
        over_time: vec![0; grid.buckets],
        ..AlertPanels::default()
    };
    let mut vaults: BTreeMap<&str, SeverityCounts> = BTreeMap::new();
    let mut rules: BTreeMap<&str, RuleCount> = BTreeMap::new();
    for f in findings {
        p.severity.add(f.severity);
        vaults.entry(&f.vault).or_default().add(f.severity);
        if grid.buckets > 0 {
            p.over_time[grid.index(f.first_seen)] += 1;
        }
        let r = rules.entry(f.rule).or_insert_with(|| RuleCount {
            rule: f.rule.to_string(),
            title: f.title.clone(),
            alerts: 0,
            events: 0,
        });
        r.alerts += 1;
        r.events += f.count;
    }
    p.by_vault = vaults
        .into_iter()
        .map(|(v, severity)| VaultAlerts {
            vault: v.to_string(),
            severity,
        })
        .collect();
    p.by_rule = rules.into_values().collect();
    p.by_rule
        .sort_by(|a, b| b.alerts.cmp(&a.alerts).then_with(|| a.rule.cmp(&b.rule)));
    p
}
