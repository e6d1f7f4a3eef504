//! A KQL result drawn as its `render` operator asks (the worker lays it out, see
//! `worker/chart.rs`): time, line and area charts as lines over time, column charts as
//! vertical bars, bar charts as horizontal bars, pie charts as slices with a legend.

use super::charts::fmt_num;
use super::shown;
use super::time::{minute, offset};
use crate::context::use_app;
use crate::protocol::ChartSpec;
use keyhole_core::Timestamp;
use yew::prelude::*;

const W: f64 = 800.0;
const H: f64 = 220.0;
const LEFT: f64 = 48.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 212.0;

#[derive(Properties, PartialEq)]
pub struct ResultChartProps {
    pub spec: ChartSpec,
}

fn legend(spec: &ChartSpec) -> Html {
    spec.series
        .iter()
        .enumerate()
        .map(|(k, s)| html! { <span class={format!("key s{}", k % 6)}>{ shown(&s.label) }</span> })
        .collect()
}

fn max_of(spec: &ChartSpec) -> f64 {
    spec.series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .fold(0.0f64, f64::max)
        .max(1e-9)
}

/// The chart of a query result.
#[function_component(ResultChart)]
pub fn result_chart(p: &ResultChartProps) -> Html {
    let zone = use_app().state.zone;
    let s = &p.spec;
    let body = if let Some(note) = s.note.as_ref().filter(|_| s.series.is_empty()) {
        html! { <p class="muted">{ note }</p> }
    } else {
        match s.kind.as_str() {
            "piechart" => pie(s),
            "barchart" => hbars(s),
            "columnchart" => columns(s),
            _ => lines(s, zone),
        }
    };
    html! {
        <figure class="chart result-chart" id="kql-chart" data-kind={s.kind.clone()}>
            <figcaption>{ format!("render {}", s.kind) }<span class="legend">{ legend(s) }</span></figcaption>
            { body }
            if let Some(n) = s.note.as_ref().filter(|_| !s.series.is_empty()) { <p class="muted">{ n }</p> }
        </figure>
    }
}

fn lines(s: &ChartSpec, zone: crate::state::Zone) -> Html {
    let max = max_of(s);
    let (t0, t1) = match (s.x_times.first(), s.x_times.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => (0, 0),
    };
    let n = s.x_times.len().max(s.x_labels.len());
    let x_of = |i: usize| -> f64 {
        if !s.x_times.is_empty() && t1 > t0 {
            LEFT + (s.x_times[i] - t0) as f64 / (t1 - t0) as f64 * (W - LEFT - 8.0)
        } else {
            LEFT + i as f64 / (n.max(2) - 1) as f64 * (W - LEFT - 8.0)
        }
    };
    let y_of = |v: f64| BOTTOM - v / max * (BOTTOM - TOP);
    let paths: Html = s
        .series
        .iter()
        .enumerate()
        .map(|(k, se)| {
            let pts: Vec<String> = se
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x_of(i), y_of(v))))
                .collect();
            let dots: Html = if pts.len() <= 60 {
                pts.iter()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
                        html! { <circle class={format!("dot s{}", k % 6)} cx={x.to_string()} cy={y.to_string()} r="2.5" /> }
                    })
                    .collect()
            } else {
                Html::default()
            };
            html! { <g><polyline class={format!("line s{}", k % 6)} points={pts.join(" ")} />{ dots }</g> }
        })
        .collect();
    let label = |t: i64| {
        minute(
            Timestamp {
                micros: t,
                digits: 0,
            },
            offset(zone, t),
        )
    };
    let (first, last) = if s.x_times.is_empty() {
        (
            s.x_labels.first().cloned().unwrap_or_default(),
            s.x_labels.last().cloned().unwrap_or_default(),
        )
    } else {
        (label(t0), label(t1))
    };
    html! {
        <>
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" class="ts result" role="img">
                <line class="axis" x1={LEFT.to_string()} x2={W.to_string()} y1={BOTTOM.to_string()} y2={BOTTOM.to_string()} />
                { paths }
            </svg>
            <div class="xaxis"><span>{ shown(&first) }</span><span>{ format!("{} · top line = {}", shown(&s.x_label), fmt_num(max)) }</span><span>{ shown(&last) }</span></div>
        </>
    }
}

fn columns(s: &ChartSpec) -> Html {
    let max = max_of(s);
    let n = s.x_labels.len().max(1);
    let k = s.series.len().max(1);
    let group = (W - LEFT) / n as f64;
    let bar = (group * 0.8 / k as f64).max(0.5);
    let rects: Html = s
        .series
        .iter()
        .enumerate()
        .flat_map(|(si, se)| {
            se.values.iter().enumerate().filter_map(move |(i, v)| {
                let v = (*v)?;
                let h = v / max * (BOTTOM - TOP);
                let x = LEFT + i as f64 * group + group * 0.1 + si as f64 * bar;
                Some(html! {
                    <rect class={format!("bar s{}", si % 6)} x={format!("{x:.1}")} y={format!("{:.1}", BOTTOM - h)} width={format!("{bar:.1}")} height={format!("{h:.1}")}>
                        <title>{ format!("{} · {}: {}", shown(&s.x_labels[i]), shown(&se.label), fmt_num(v)) }</title>
                    </rect>
                })
            })
        })
        .collect();
    html! {
        <>
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" class="ts result" role="img">
                <line class="axis" x1={LEFT.to_string()} x2={W.to_string()} y1={BOTTOM.to_string()} y2={BOTTOM.to_string()} />
                { rects }
            </svg>
            <div class="xaxis"><span>{ shown(s.x_labels.first().map(String::as_str).unwrap_or("")) }</span>
                <span>{ format!("{} · top = {}", shown(&s.x_label), fmt_num(max)) }</span>
                <span>{ shown(s.x_labels.last().map(String::as_str).unwrap_or("")) }</span></div>
        </>
    }
}

fn hbars(s: &ChartSpec) -> Html {
    let max = max_of(s);
    html! {
        <table class="hbars">
            { for s.x_labels.iter().enumerate().take(200).map(|(i, label)| html!{
                <tr><td class="k" title={shown(label)}>{ shown(label) }</td><td class="b">
                    { for s.series.iter().enumerate().filter_map(|(k, se)| se.values.get(i).copied().flatten().map(|v| html!{
                        <div class={format!("hbar s{}", k % 6)} data-value={v.to_string()}>
                            <svg viewBox="0 0 100 8" preserveAspectRatio="none"><rect width={format!("{:.1}", v / max * 100.0)} height="8" /></svg>
                            <span>{ fmt_num(v) }</span></div> })) }
                </td></tr> }) }
        </table>
    }
}

fn pie(s: &ChartSpec) -> Html {
    let Some(se) = s.series.first() else {
        return Html::default();
    };
    let vals: Vec<f64> = se
        .values
        .iter()
        .map(|v| v.unwrap_or(0.0).max(0.0))
        .collect();
    let total: f64 = vals.iter().sum::<f64>().max(1e-9);
    let (cx, cy, r) = (110.0, 110.0, 100.0);
    let mut a0 = -std::f64::consts::FRAC_PI_2;
    let slices: Html = vals
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0.0)
        .map(|(i, v)| {
            let frac = v / total;
            let a1 = a0 + frac * std::f64::consts::TAU;
            let (x0, y0) = (cx + r * a0.cos(), cy + r * a0.sin());
            let (x1, y1) = (cx + r * a1.cos(), cy + r * a1.sin());
            let large = u8::from(frac > 0.5);
            let d = if frac >= 0.9999 {
                format!("M {cx} {} A {r} {r} 0 1 1 {cx} {} A {r} {r} 0 1 1 {cx} {} Z", cy - r, cy + r, cy - r)
            } else {
                format!("M {cx} {cy} L {x0:.2} {y0:.2} A {r} {r} 0 {large} 1 {x1:.2} {y1:.2} Z")
            };
            a0 = a1;
            html! { <path class={format!("slice s{}", i % 6)} {d}><title>{ format!("{}: {} ({:.1} %)", shown(&s.x_labels[i]), fmt_num(*v), frac * 100.0) }</title></path> }
        })
        .collect();
    html! {
        <div class="pie">
            <svg viewBox="0 0 220 220" class="pie" role="img">{ slices }</svg>
            <ul class="pie-legend">
                { for s.x_labels.iter().zip(&vals).enumerate().take(50).map(|(i, (l, v))| html!{
                    <li><span class={format!("key s{}", i % 6)}>{ shown(l) }</span>{ format!(" {} ({:.1} %)", fmt_num(*v), v / total * 100.0) }</li> }) }
            </ul>
        </div>
    }
}
