//! Charts drawn as SVG from Rust (no third-party script): time series on the workbook's grid
//! with hover read-out and a brush, sparklines and bar lists. Every label is a text node.

use super::time::{minute, offset};
use crate::context::use_app;
use keyhole_core::Timestamp;
use web_sys::Element;
use yew::prelude::*;

const W: f64 = 800.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;

/// A labelled series, one value per bucket (`None`: nothing to draw there, e.g. no latency).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<Option<f64>>,
    /// Drawn grey (normal traffic such as the 401 challenge).
    pub muted: bool,
}

impl Series {
    pub fn counts(label: &str, v: &[u64]) -> Series {
        Series {
            label: label.into(),
            values: v.iter().map(|&x| Some(x as f64)).collect(),
            muted: false,
        }
    }

    pub fn opt(label: &str, v: &[Option<f64>]) -> Series {
        Series {
            label: label.into(),
            values: v.to_vec(),
            muted: false,
        }
    }

    pub fn opt_u(label: &str, v: &[Option<u64>]) -> Series {
        Series {
            label: label.into(),
            values: v.iter().map(|x| x.map(|x| x as f64)).collect(),
            muted: false,
        }
    }

    pub fn muted(mut self) -> Series {
        self.muted = true;
        self
    }

    /// Buckets `lo..=hi` only (the zoom).
    pub fn slice(&self, (lo, hi): (usize, usize)) -> Series {
        let hi = hi.min(self.values.len().saturating_sub(1));
        Series {
            values: self
                .values
                .get(lo..=hi)
                .map(|v| v.to_vec())
                .unwrap_or_default(),
            ..self.clone()
        }
    }
}

pub fn fmt_num(v: f64) -> String {
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
    /// Start of the first bucket (microseconds, UTC) and the bucket width.
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

fn at(micros: i64) -> Timestamp {
    Timestamp { micros, digits: 0 }
}

/// A time-series chart with hover read-out (time and every series' value) and brushing (drag
/// to select a range, double-click to clear).
#[function_component(TimeChart)]
pub fn time_chart(p: &TimeChartProps) -> Html {
    let zone = use_app().state.zone;
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
        .flat_map(|s| s.values.iter().flatten().copied())
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
    let class = |k: usize, s: &Series| {
        if s.muted {
            "muted".to_string()
        } else {
            format!("s{k}")
        }
    };
    let paths: Html = p
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if p.bars && p.series.len() == 1 {
                s.values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.filter(|v| *v > 0.0).map(|v| (i, v)))
                    .map(|(i, v)| {
                        let y = y_of(v);
                        html! { <rect class={format!("bar {}", class(k, s))} x={format!("{:.1}", x_of(i))} y={format!("{y:.1}")}
                            width={format!("{:.2}", (step * 0.85).max(0.5))} height={format!("{:.1}", bottom - y)} /> }
                    })
                    .collect::<Html>()
            } else {
                // One polyline per run of values (gaps break the line).
                let mut runs: Vec<Vec<String>> = vec![Vec::new()];
                for (i, v) in s.values.iter().enumerate() {
                    match v {
                        Some(v) => runs
                            .last_mut()
                            .expect("non-empty")
                            .push(format!("{:.1},{:.1}", x_of(i) + step / 2.0, y_of(*v))),
                        None => runs.push(Vec::new()),
                    }
                }
                runs.into_iter()
                    .filter(|r| !r.is_empty())
                    .map(|r| html! { <polyline class={format!("line {}", class(k, s))} points={r.join(" ")} /> })
                    .collect::<Html>()
            }
        })
        .collect();
    let legend: Html = p
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| html! { <span class={format!("key {}", class(k, s))}>{ &s.label }</span> })
        .collect();
    let readout = hover.filter(|i| *i < n).map(|i| {
        let t = p.start + i as i64 * p.bucket;
        let vals: Vec<String> = p
            .series
            .iter()
            .map(|s| {
                let v = s.values.get(i).copied().flatten();
                format!(
                    "{} {}",
                    s.label,
                    v.map(fmt_num).unwrap_or_else(|| "—".into())
                )
            })
            .collect();
        (
            i,
            format!("{} · {}", minute(at(t), offset(zone, t)), vals.join(" · ")),
        )
    });
    let (t_first, t_last) = (p.start, p.start + n as i64 * p.bucket);
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
            <div class="xaxis"><span>{ minute(at(t_first), offset(zone, t_first)) }</span><span>{ format!("top line = {}", fmt_num(maxv)) }</span><span>{ minute(at(t_last), offset(zone, t_last)) }</span></div>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct SparkProps {
    pub values: Vec<f64>,
    #[prop_or_default]
    pub class: AttrValue,
    /// Hover text.
    #[prop_or_default]
    pub title: AttrValue,
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
    html! {
        <svg class={classes!("spark", p.class.to_string())} viewBox="0 0 100 24" preserveAspectRatio="none">
            <title>{ &p.title }</title>
            <polyline points={pts.join(" ")} />
        </svg>
    }
}

/// One bar of a [`BarList`].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub key: String,
    pub n: u64,
}

#[derive(Properties, PartialEq)]
pub struct BarListProps {
    pub title: AttrValue,
    pub rows: Vec<Bar>,
    #[prop_or_default]
    pub id: AttrValue,
    #[prop_or_default]
    pub on_pick: Option<Callback<String>>,
}

/// Horizontal bars for a top-N list; hovering shows the exact count, clicking picks the key.
#[function_component(BarList)]
pub fn bar_list(p: &BarListProps) -> Html {
    let max = p.rows.iter().map(|r| r.n).max().unwrap_or(1).max(1) as f64;
    html! {
        <div class="barlist" id={p.id.clone()}>
            <h4>{ &p.title }</h4>
            if p.rows.is_empty() { <p class="muted">{ "none" }</p> }
            <table>
            { for p.rows.iter().map(|r| {
                let pct = r.n as f64 / max * 100.0;
                let key = r.key.clone();
                let shown = super::shown(&r.key);
                let onclick = p.on_pick.clone().map(|cb| Callback::from(move |_| cb.emit(key.clone())));
                html! {
                    <tr class={classes!(onclick.is_some().then_some("pick"))} {onclick}>
                        <td class="k" title={shown.clone()}>{ shown.clone() }</td>
                        <td class="b"><svg viewBox="0 0 100 10" preserveAspectRatio="none"><title>{ format!("{shown}: {}", r.n) }</title>
                            <rect width={format!("{pct:.1}")} height="10" /></svg></td>
                        <td class="n">{ keyhole_core::export::thousands(r.n) }</td>
                    </tr>
                }
            }) }
            </table>
        </div>
    }
}
