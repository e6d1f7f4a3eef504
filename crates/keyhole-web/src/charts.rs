//! Charts drawn as SVG from Rust (no third-party script): time series with hover read-out and a
//! brush, sparklines, bar lists and the entity graph. Every label is a text node (Yew escapes it).

use crate::model::Series;
use keyhole_core::time::Timestamp;
use web_sys::Element;
use yew::prelude::*;

const W: f64 = 800.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;

pub fn fmt_time(micros: i64) -> String {
    let s = Timestamp { micros, digits: 0 }.to_rfc3339();
    // 2024-01-01T10:00:00Z → 2024-01-01 10:00
    s.get(..16).map(|x| x.replace('T', " ")).unwrap_or(s)
}

fn fmt_num(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct TimeChartProps {
    pub title: AttrValue,
    pub start: i64,
    pub bucket: i64,
    pub series: Vec<Series>,
    #[prop_or(170.0)]
    pub height: f64,
    /// Called with the brushed time range (start, end) in microseconds, or `None` when cleared.
    #[prop_or_default]
    pub on_brush: Option<Callback<Option<(i64, i64)>>>,
    /// The current brushed range, drawn as a band.
    #[prop_or_default]
    pub range: Option<(i64, i64)>,
    #[prop_or_default]
    pub bars: bool,
    #[prop_or_default]
    pub id: AttrValue,
}

/// A time-series chart with hover read-out (time and every series' value) and brushing (drag to
/// select a range, double-click to clear).
#[function_component(TimeChart)]
pub fn time_chart(p: &TimeChartProps) -> Html {
    let hover = use_state(|| None::<usize>);
    let drag = use_state(|| None::<(usize, usize)>);
    let svg = use_node_ref();
    let n = p.series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let h = p.height;
    let top = 6.0;
    let bottom = h - 2.0;
    let maxv = p
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let step = if n > 0 {
        (W - LEFT - RIGHT) / n as f64
    } else {
        1.0
    };
    let x_of = |i: usize| LEFT + i as f64 * step;
    let y_of = |v: f64| bottom - (v / maxv) * (bottom - top);
    let idx_at = {
        let svg = svg.clone();
        move |client_x: i32| -> Option<usize> {
            let el: Element = svg.cast()?;
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 || n == 0 {
                return None;
            }
            let x = (client_x as f64 - r.left()) / r.width() * W;
            let i = ((x - LEFT) / step).floor();
            Some(i.clamp(0.0, (n - 1) as f64) as usize)
        }
    };
    let onmousemove = {
        let hover = hover.clone();
        let drag = drag.clone();
        let idx_at = idx_at.clone();
        Callback::from(move |e: MouseEvent| {
            let i = idx_at(e.client_x());
            hover.set(i);
            if let (Some((a, _)), Some(i)) = (*drag, i) {
                drag.set(Some((a, i)));
            }
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_| hover.set(None))
    };
    let onmousedown = {
        let drag = drag.clone();
        let idx_at = idx_at.clone();
        let enabled = p.on_brush.is_some();
        Callback::from(move |e: MouseEvent| {
            if enabled {
                e.prevent_default();
                drag.set(idx_at(e.client_x()).map(|i| (i, i)));
            }
        })
    };
    let onmouseup = {
        let drag = drag.clone();
        let cb = p.on_brush.clone();
        let (start, bucket) = (p.start, p.bucket);
        Callback::from(move |_: MouseEvent| {
            if let (Some((a, b)), Some(cb)) = (*drag, cb.as_ref()) {
                let (lo, hi) = (a.min(b), a.max(b));
                cb.emit(Some((
                    start + lo as i64 * bucket,
                    start + (hi as i64 + 1) * bucket - 1,
                )));
            }
            drag.set(None);
        })
    };
    let ondblclick = {
        let cb = p.on_brush.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(cb) = cb.as_ref() {
                cb.emit(None);
            }
        })
    };
    let band = drag.map(|(a, b)| (a.min(b), a.max(b))).or_else(|| {
        p.range.map(|(lo, hi)| {
            let a = ((lo - p.start) / p.bucket.max(1)).max(0) as usize;
            let b = ((hi - p.start) / p.bucket.max(1)).max(0) as usize;
            (a.min(n.saturating_sub(1)), b.min(n.saturating_sub(1)))
        })
    });
    let paths: Html = p
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if p.bars && p.series.len() == 1 {
                s.values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v > 0.0)
                    .map(|(i, v)| {
                        let y = y_of(*v);
                        html! { <rect class={format!("bar s{k}")} x={format!("{:.1}", x_of(i))} y={format!("{y:.1}")}
                            width={format!("{:.2}", (step * 0.85).max(0.5))} height={format!("{:.1}", bottom - y)} /> }
                    })
                    .collect::<Html>()
            } else {
                let pts: Vec<String> = s
                    .values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{:.1},{:.1}", x_of(i) + step / 2.0, y_of(*v)))
                    .collect();
                html! { <polyline class={format!("line s{k}")} points={pts.join(" ")} /> }
            }
        })
        .collect();
    let legend: Html = p
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| html! { <span class={format!("key s{k}")}>{ &s.label }</span> })
        .collect();
    let readout = hover.filter(|i| *i < n).map(|i| {
        let t = p.start + i as i64 * p.bucket;
        let vals: Vec<String> = p
            .series
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.label,
                    fmt_num(s.values.get(i).copied().unwrap_or(0.0))
                )
            })
            .collect();
        (i, format!("{} · {}", fmt_time(t), vals.join(" · ")))
    });
    let (t_first, t_last) = (p.start, p.start + n as i64 * p.bucket);
    // Text lives in HTML around the SVG (the SVG stretches to the card's width).
    html! {
        <figure class="chart" id={p.id.clone()}>
            <figcaption>{ &p.title }<span class="legend">{ legend }</span></figcaption>
            <div class="readout">{ readout.as_ref().map(|(_, t)| t.clone()).unwrap_or_else(|| format!("max {}", fmt_num(maxv))) }</div>
            <svg ref={svg} viewBox={format!("0 0 {W} {h}")} preserveAspectRatio="none" class={classes!("ts", p.on_brush.is_some().then_some("brushable"))}
                 {onmousemove} {onmouseleave} {onmousedown} {onmouseup} {ondblclick} role="img">
                <line class="axis" x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={bottom.to_string()} y2={bottom.to_string()} />
                <line class="axis" x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={top.to_string()} y2={top.to_string()} />
                if let Some((a, b)) = band {
                    <rect class="brush" x={format!("{:.1}", x_of(a))} y={top.to_string()} width={format!("{:.1}", (b - a + 1) as f64 * step)} height={(bottom - top).to_string()} />
                }
                { paths }
                if let Some((i, _)) = readout {
                    <line class="cursor" x1={format!("{:.1}", x_of(i) + step / 2.0)} x2={format!("{:.1}", x_of(i) + step / 2.0)} y1={top.to_string()} y2={bottom.to_string()} />
                }
            </svg>
            <div class="xaxis"><span>{ fmt_time(t_first) }</span><span>{ format!("top line = {}", fmt_num(maxv)) }</span><span>{ fmt_time(t_last) }</span></div>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct SparkProps {
    pub values: Vec<f64>,
    #[prop_or_default]
    pub class: AttrValue,
}

#[function_component(Sparkline)]
pub fn sparkline(p: &SparkProps) -> Html {
    let n = p.values.len().max(2);
    let max = p.values.iter().copied().fold(0.0f64, f64::max).max(1.0);
    let min = p.values.iter().copied().fold(0.0f64, f64::min);
    let pts: Vec<String> = p
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * 100.0 / (n - 1) as f64,
                22.0 - (v - min) / (max - min).max(1.0) * 20.0
            )
        })
        .collect();
    let title: Vec<String> = p.values.iter().map(|v| fmt_num(*v)).collect();
    html! {
        <svg class={classes!("spark", p.class.to_string())} viewBox="0 0 100 24" preserveAspectRatio="none">
            <title>{ title.join(", ") }</title>
            <polyline points={pts.join(" ")} />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct BarListProps {
    pub title: AttrValue,
    pub rows: Vec<crate::model::Count>,
    #[prop_or_default]
    pub on_pick: Option<Callback<String>>,
}

/// Horizontal bars for a top-N list; hovering shows the exact count, clicking picks the key.
#[function_component(BarList)]
pub fn bar_list(p: &BarListProps) -> Html {
    let max = p.rows.iter().map(|r| r.n).max().unwrap_or(1).max(1) as f64;
    html! {
        <div class="barlist">
            <h4>{ &p.title }</h4>
            if p.rows.is_empty() { <p class="muted">{ "none" }</p> }
            <table>
            { for p.rows.iter().map(|r| {
                let pct = r.n as f64 / max * 100.0;
                let key = r.key.clone();
                let onclick = p.on_pick.clone().map(|cb| Callback::from(move |_| cb.emit(key.clone())));
                html! {
                    <tr class={classes!(onclick.is_some().then_some("pick"))} {onclick}>
                        <td class="k" title={r.key.clone()}>{ &r.key }</td>
                        <td class="b"><svg viewBox="0 0 100 10" preserveAspectRatio="none"><title>{ format!("{}: {}", r.key, r.n) }</title>
                            <rect width={format!("{pct:.1}")} height="10" /></svg></td>
                        <td class="n">{ r.n }</td>
                    </tr>
                }
            }) }
            </table>
        </div>
    }
}

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
