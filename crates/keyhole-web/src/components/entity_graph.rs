//! The entity graph of an alert: caller IPs → principals → applications → vaults, with the
//! number of evidence events on each edge. Every label is a text node.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    /// (ip, principal, app, vault) of each evidence event.
    pub edges: Vec<(String, String, String, String)>,
}

/// The entity graph of an alert: caller IPs → principals → applications → vaults, with the
/// number of evidence events on each edge.
#[function_component(EntityGraph)]
pub fn entity_graph(p: &GraphProps) -> Html {
    use std::collections::BTreeMap;
    let mut cols: [Vec<String>; 4] = Default::default();
    let mut links: BTreeMap<(usize, String, String), u32> = BTreeMap::new();
    for (ip, who, app, vault) in &p.edges {
        let vals = [ip, who, app, vault];
        for (c, v) in vals.iter().enumerate() {
            if !v.is_empty() && !cols[c].contains(v) && cols[c].len() < 12 {
                cols[c].push((*v).clone());
            }
        }
        let chain: Vec<(usize, &String)> = vals
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (c, *v))
            .collect();
        for w in chain.windows(2) {
            *links
                .entry((w[0].0, w[0].1.clone(), w[1].1.clone()))
                .or_default() += 1;
        }
    }
    let rows = cols.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
    let h = 30.0 + rows as f64 * 34.0;
    let colx = [10.0, 210.0, 410.0, 610.0];
    let pos = |c: usize, v: &str| -> Option<(f64, f64)> {
        cols[c]
            .iter()
            .position(|x| x == v)
            .map(|i| (colx[c], 30.0 + i as f64 * 34.0))
    };
    let names = ["caller IP", "principal", "application", "vault"];
    let short = |s: &str| -> String {
        if s.chars().count() > 26 {
            format!("{}…", s.chars().take(25).collect::<String>())
        } else {
            s.to_string()
        }
    };
    html! {
        <svg class="graph" viewBox={format!("0 0 800 {h}")} role="img">
            { for names.iter().enumerate().map(|(c, n)| html!{ <text class="colhead" x={colx[c].to_string()} y="14">{ *n }</text> }) }
            { for links.iter().filter_map(|((c, a, b), n)| {
                let (x1, y1) = pos(*c, a)?;
                let c2 = (c + 1..4).find(|c2| pos(*c2, b).is_some())?;
                let (x2, y2) = pos(c2, b)?;
                Some(html!{ <g class="edge"><line x1={(x1 + 180.0).to_string()} y1={(y1 + 11.0).to_string()} x2={x2.to_string()} y2={(y2 + 11.0).to_string()} />
                    <title>{ format!("{a} → {b}: {n} events") }</title></g> })
            }) }
            { for cols.iter().enumerate().flat_map(|(c, col)| col.iter().enumerate().map(move |(i, v)| (c, i, v.clone()))).map(|(c, i, v)| {
                let (x, y) = (colx[c], 30.0 + i as f64 * 34.0);
                html!{ <g class={format!("node n{c}")}><rect x={x.to_string()} y={y.to_string()} width="180" height="22" rx="4" />
                    <text x={(x + 6.0).to_string()} y={(y + 15.0).to_string()}>{ short(&v) }</text><title>{ v }</title></g> }
            }) }
        </svg>
    }
}
