//! Workbook parameters on the page (issue 12): the values a workbook would pick on the drop
//! (`keyhole_kql::workbook_defaults`, as `keyhole query` binds them), then the page's vault and
//! time filters (`{KeyVault}`, `{TimeRange}`), then what the user typed in the Query tab (as
//! `keyhole query --param NAME=VALUE`). The engine substitutes them; this only chooses values
//! and says where each came from.

use crate::protocol::{BoundParam, ParamScope};
use keyhole_core::Timestamp;
use keyhole_kql::value::format_datetime;
use std::collections::BTreeMap;

const DEFAULT: &str = "workbook default on this drop";
const TYPED: &str = "set in the Query tab";

/// Parameters that name the vault(s) a workbook looks at.
const VAULT_PARAMS: &[&str] = &["KeyVault", "KeyVaultOperationAnalysis"];

/// The bound values and, for each name, where its value came from.
pub struct Bound {
    pub values: BTreeMap<String, String>,
    pub sources: BTreeMap<String, String>,
}

/// `'a','b'` (a multi-select resource parameter's value) → `[a, b]`.
fn quoted_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|x| x.trim().trim_matches('\'').to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Bind over `defaults` (from `keyhole_kql::workbook_defaults` on the drop).
pub fn bind(defaults: BTreeMap<String, String>, scope: &ParamScope) -> Bound {
    let sources = defaults
        .keys()
        .map(|k| (k.clone(), DEFAULT.to_string()))
        .collect();
    let mut b = Bound {
        values: defaults,
        sources,
    };
    let set = |b: &mut Bound, k: &str, v: String, src: &str| {
        b.values.insert(k.to_string(), v);
        b.sources.insert(k.to_string(), src.to_string());
    };
    if let Some((vault, from)) = &scope.vault {
        // The drop's resource ids of that vault (the same name in two subscriptions: both).
        let ids = b
            .values
            .get("KeyVault")
            .map(|v| quoted_list(v))
            .unwrap_or_default();
        let suffix = format!("/vaults/{}", vault.to_ascii_lowercase());
        let mine: Vec<String> = ids.into_iter().filter(|i| i.ends_with(&suffix)).collect();
        let (value, src) = if mine.is_empty() {
            (
                format!("'{}'", vault.replace('\'', "")),
                format!("{from} (not a vault of this drop)"),
            )
        } else {
            (
                mine.iter()
                    .map(|i| format!("'{i}'"))
                    .collect::<Vec<_>>()
                    .join(","),
                from.clone(),
            )
        };
        for k in VAULT_PARAMS {
            set(&mut b, k, value.clone(), &src);
        }
        if let Some(first) = mine.first() {
            set(&mut b, "SelectedResource", first.clone(), &src);
        }
    }
    if let Some((from_t, to_t, from)) = &scope.range {
        let drop = b
            .values
            .get("TimeRange")
            .and_then(|v| v.split_once(".."))
            .map(|(a, z)| {
                (
                    Timestamp::parse_iso(a.trim()),
                    Timestamp::parse_iso(z.trim()),
                )
            });
        let a = from_t
            .map(Timestamp::from_micros)
            .or(drop.and_then(|d| d.0));
        let z = to_t.map(Timestamp::from_micros).or(drop.and_then(|d| d.1));
        if let (Some(a), Some(z)) = (a, z) {
            set(
                &mut b,
                "TimeRange",
                format!("{}..{}", format_datetime(a), format_datetime(z)),
                from,
            );
        }
    }
    for (k, v) in &scope.overrides {
        set(&mut b, k.trim(), v.clone(), TYPED);
    }
    b
}

fn lookup<'a>(m: &'a BTreeMap<String, String>, name: &str) -> Option<(&'a String, &'a String)> {
    m.get_key_value(name)
        .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
}

/// The parameters `query` names (as the engine reads it), with values and sources.
pub fn shown(query: &str, b: &Bound) -> Vec<BoundParam> {
    keyhole_kql::parameter_references(query, &b.values)
        .into_iter()
        .map(|name| {
            let hit = lookup(&b.values, &name);
            BoundParam {
                value: hit.map(|(_, v)| v.clone()),
                source: hit
                    .and_then(|(k, _)| b.sources.get(k).cloned())
                    .unwrap_or_else(|| "unbound".to_string()),
                name,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_core::detect::testkit::{ev, EventBuilder};

    fn events() -> Vec<keyhole_core::Event> {
        vec![
            ev("2026-10-18T03:00:00Z").vault("kv-a").user("a@x"),
            ev("2026-10-18T05:00:00Z").vault("kv-b").user("a@x"),
            ev("2026-10-19T07:30:00Z").vault("kv-a").user("b@x"),
        ]
    }

    #[test]
    fn defaults_then_page_filters_then_typed_values() {
        let ev = events();
        let defaults = keyhole_kql::workbook_defaults(&keyhole_core::EventStore::from_events(&ev));
        let all = defaults["KeyVault"].clone();
        assert_eq!(quoted_list(&all).len(), 2);
        // No filter: the workbook's defaults, said so.
        let b = bind(defaults.clone(), &ParamScope::default());
        assert_eq!(b.values, defaults);
        assert_eq!(b.sources["KeyVault"], DEFAULT);
        // The page's vault and time filters.
        let t = |s: &str| Timestamp::parse_iso(s).unwrap().micros;
        let scope = ParamScope {
            vault: Some(("KV-A".into(), "the Events tab's vault filter".into())),
            range: Some((
                Some(t("2026-10-18T04:00:00Z")),
                None,
                "the chart zoom".into(),
            )),
            overrides: vec![],
        };
        let b = bind(defaults.clone(), &scope);
        let kv_a = quoted_list(&all)
            .into_iter()
            .find(|i| i.ends_with("/vaults/kv-a"))
            .unwrap();
        assert_eq!(b.values["KeyVault"], format!("'{kv_a}'"));
        assert_eq!(b.values["KeyVaultOperationAnalysis"], format!("'{kv_a}'"));
        assert_eq!(b.values["SelectedResource"], kv_a);
        assert_eq!(b.sources["KeyVault"], "the Events tab's vault filter");
        // The open end of the range is the drop's.
        let drop_end = defaults["TimeRange"]
            .split_once("..")
            .unwrap()
            .1
            .to_string();
        assert_eq!(
            b.values["TimeRange"],
            format!("2026-10-18T04:00:00Z..{drop_end}")
        );
        assert_eq!(b.sources["TimeRange"], "the chart zoom");
        // Typed values win.
        let scope = ParamScope {
            overrides: vec![("KeyVault".into(), "'x'".into())],
            ..scope
        };
        let b = bind(defaults.clone(), &scope);
        assert_eq!(b.values["KeyVault"], "'x'");
        assert_eq!(b.sources["KeyVault"], TYPED);
        // A vault the drop does not have binds its name, and says so.
        let b = bind(
            defaults,
            &ParamScope {
                vault: Some(("kv-zzz".into(), "f".into())),
                ..ParamScope::default()
            },
        );
        assert_eq!(b.values["KeyVault"], "'kv-zzz'");
        assert!(b.sources["KeyVault"].contains("not a vault of this drop"));
    }

    #[test]
    fn the_parameters_a_query_names_are_shown_with_their_values() {
        let q = "AzureDiagnostics | where ResourceId in~ ({KeyVault}) and TimeGenerated {TimeRange}\n\
                 | where TimeGenerated > {TimeRange:start} and x matches regex @'\\p{L}' and {Nope:grain} > 0 and '{0}' == ''";
        let b = bind(
            keyhole_kql::workbook_defaults(&keyhole_core::EventStore::from_events(&events())),
            &ParamScope::default(),
        );
        let s = shown(q, &b);
        let names: Vec<&str> = s.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["KeyVault", "TimeRange", "Nope"],
            "an unbound {{L}} inside a string is no parameter"
        );
        assert_eq!(s[0].value, b.values.get("KeyVault").cloned());
        assert_eq!(s[2].value, None);
        assert_eq!(s[2].source, "unbound");
        // A function body is no reference; a comment is skipped.
        let q = "let f = (x:long) {x};\n// {Hidden}\nprint f(1), '{KeyVault}'";
        let b = bind(
            BTreeMap::from([("keyvault".into(), "'v'".into())]),
            &ParamScope::default(),
        );
        let s = shown(q, &b);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            s[0].value.as_deref(),
            Some("'v'"),
            "bound inside a string, any case"
        );
    }
}
