//! The charts of `/insights`, drawn on the server as inline SVG so that
//! they need no script, print, and follow the page's colours (every shape
//! has a class; `app.css` colours them for the light and dark schemes).
//! Each chart has a table of the same numbers beside it on the page.

use std::fmt::Write;

use super::stats::{Distribution, TrendBar, SEVERITY_KEYS};
use crate::markdown::escape;

const WIDTH: f64 = 420.0;
const LABEL: f64 = 58.0;
const RIGHT: f64 = 12.0;
const ROW: f64 = 30.0;

/// What a distribution's values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Days,
}

impl Unit {
    /// The marked ticks of a log axis, in the unit.
    fn ticks(self) -> &'static [(i64, &'static str)] {
        match self {
            Unit::Seconds => &[
                (60, "1 min"),
                (600, "10 min"),
                (3_600, "1 h"),
                (6 * 3_600, "6 h"),
                (86_400, "1 d"),
                (7 * 86_400, "1 wk"),
                (30 * 86_400, "30 d"),
                (365 * 86_400, "1 yr"),
            ],
            Unit::Days => &[(1, "1 d"), (7, "1 wk"), (30, "30 d"), (90, "90 d"), (365, "1 yr"), (1_095, "3 yr")],
        }
    }

    /// A value as a reader sees it.
    pub fn show(self, value: i64) -> String {
        match self {
            Unit::Seconds => crate::format::span(value),
            Unit::Days if value == 1 => "1 day".to_string(),
            Unit::Days => format!("{value} days"),
        }
    }
}

/// A log scale from the smallest tick at or below the smallest value to
/// the largest tick at or above the largest.
struct LogScale {
    low: f64,
    high: f64,
}

impl LogScale {
    fn new(unit: Unit, max: i64) -> LogScale {
        let ticks = unit.ticks();
        let low = ticks[0].0 as f64;
        let high =
            ticks.iter().map(|(value, _)| *value).find(|value| *value >= max).unwrap_or(max).max(ticks[1].0) as f64;
        LogScale { low, high }
    }

    fn x(&self, value: i64) -> f64 {
        let value = (value as f64).clamp(self.low, self.high);
        LABEL + (value.ln() - self.low.ln()) / (self.high.ln() - self.low.ln()) * (WIDTH - LABEL - RIGHT)
    }
}

/// Columns of a density.
const BINS: usize = 70;

/// The bulk of a large group: a column per bin of the axis, as tall as
/// the share of the group's largest bin it holds.
fn density(svg: &mut String, bulk: &[(i64, usize)], scale: &LogScale, y: f64) {
    let width = (WIDTH - LABEL - RIGHT) / BINS as f64;
    let mut bins = [0usize; BINS];
    for (value, count) in bulk {
        let at = ((scale.x(*value) - LABEL) / width).floor().clamp(0.0, (BINS - 1) as f64) as usize;
        bins[at] += count;
    }
    let highest = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    for (at, count) in bins.iter().enumerate().filter(|(_, count)| **count > 0) {
        let h = (*count as f64 / highest * 20.0).max(1.5);
        let _ = write!(
            svg,
            r#"<rect class="density" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"/>"#,
            LABEL + width * at as f64,
            y + 10.0 - h,
            width * 0.9
        );
    }
}

/// One row per group (`All`, `sev1` …): every measured value a mark on a
/// log scale, hollow when approximate, with the median and the 90th
/// percentile drawn where the group is large enough to have them.
pub fn distribution(id: &str, title: &str, rows: &[(String, &Distribution)], unit: Unit) -> Option<String> {
    let max = rows.iter().filter_map(|(_, distribution)| distribution.max).max()?;
    let scale = LogScale::new(unit, max);
    let height = ROW * rows.len() as f64 + 28.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart distribution" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    for (row, (label, distribution)) in rows.iter().enumerate() {
        let y = ROW * row as f64 + ROW / 2.0 + 4.0;
        let _ = write!(
            svg,
            r#"<text class="label" x="0" y="{:.1}">{}</text><line class="rule" x1="{LABEL}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#,
            y + 4.0,
            escape(label),
            WIDTH - RIGHT
        );
        // Every incident a mark; in a large group, the bulk as a density
        // and only the tail beyond the 90th percentile (at most its longest
        // `stats::TAIL_MARKS`) one mark each, so the page stays small whatever the
        // size of the base.
        density(&mut svg, &distribution.shape.bulk, &scale, y);
        for (at, (value, approximate)) in distribution.shape.marks.iter().enumerate() {
            // Three lanes, so that equal values do not hide each other.
            let lane = (at % 3) as f64 * 5.0 - 5.0;
            let class = if *approximate { "mark about" } else { "mark" };
            let _ =
                write!(svg, r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3.2"/>"#, scale.x(*value), y + lane);
        }
        for (value, class, name) in
            [(distribution.median, "median", "median"), (distribution.p90, "p90", "90th percentile")]
        {
            if let Some(value) = value {
                let x = scale.x(value);
                let _ = write!(
                    svg,
                    r#"<line class="{class}" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"><title>{name}: {}</title></line>"#,
                    y - 12.0,
                    y + 12.0,
                    escape(&unit.show(value))
                );
            }
        }
    }
    let axis = ROW * rows.len() as f64 + 6.0;
    let _ = write!(svg, r#"<line class="axis" x1="{LABEL}" y1="{axis:.1}" x2="{:.1}" y2="{axis:.1}"/>"#, WIDTH - RIGHT);
    let mut last_x = f64::MIN;
    for (value, label) in unit.ticks().iter().filter(|(value, _)| (*value as f64) <= scale.high) {
        let x = scale.x(*value);
        if x - last_x < 34.0 {
            continue;
        }
        last_x = x;
        let _ = write!(
            svg,
            r#"<line class="tick-line" x1="{x:.1}" y1="{axis:.1}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}">{label}</text>"#,
            axis + 4.0,
            axis + 18.0
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// Stacked bars of incidents per period, by severity (sev1 at the bottom).
pub fn trend_bars(id: &str, title: &str, bars: &[TrendBar]) -> Option<String> {
    let highest = bars.iter().map(|bar| bar.total).max().filter(|highest| *highest > 0)?;
    let (top, bottom, left) = (10.0, 150.0, 34.0);
    let height = bottom + 26.0;
    let step = (WIDTH - left - RIGHT) / bars.len() as f64;
    let width = (step * 0.8).max(1.0);
    let unit = (bottom - top) / highest as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" y1="{bottom}" x2="{:.1}" y2="{bottom}"/><text class="tick end" x="{:.1}" y="{:.1}">{highest}</text><text class="tick end" x="{:.1}" y="{bottom}">0</text>"#,
        WIDTH - RIGHT,
        left - 4.0,
        top + 8.0,
        left - 4.0
    );
    for (at, bar) in bars.iter().enumerate() {
        let x = left + step * at as f64 + (step - width) / 2.0;
        let mut y = bottom;
        let _ = write!(
            svg,
            "<g><title>{}: {} incident{}</title>",
            escape(&bar.period),
            bar.total,
            if bar.total == 1 { "" } else { "s" }
        );
        for (key, count) in SEVERITY_KEYS.iter().zip(bar.by_severity) {
            if count == 0 {
                continue;
            }
            let h = count as f64 * unit;
            y -= h;
            let _ =
                write!(svg, r#"<rect class="bar {key}" x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{h:.1}"/>"#);
        }
        svg.push_str("</g>");
    }
    // The first and last periods, and a few between on a long span.
    let every = (bars.len() / 4).max(1);
    for (at, bar) in bars.iter().enumerate() {
        if at % every == 0 || at + 1 == bars.len() {
            if at + 1 != bars.len() && bars.len() - at < every / 2 + 1 {
                continue;
            }
            let x = left + step * (at as f64 + 0.5);
            let anchor = if at == 0 {
                " start"
            } else if at + 1 == bars.len() {
                " end"
            } else {
                ""
            };
            let _ = write!(
                svg,
                r#"<text class="tick{anchor}" x="{x:.1}" y="{:.1}">{}</text>"#,
                bottom + 18.0,
                escape(&bar.period)
            );
        }
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A row of small bars for one category over the periods of the trends.
pub fn sparkline(counts: &[usize], title: &str) -> Option<String> {
    let highest = *counts.iter().max().filter(|highest| **highest > 0)?;
    let (width, height) = (160.0, 24.0);
    let step = width / counts.len() as f64;
    let mut svg = format!(
        r#"<svg class="chart spark" viewBox="0 0 {width} {height}" role="img" aria-label="{}">"#,
        escape(title)
    );
    for (at, count) in counts.iter().enumerate() {
        let h = (*count as f64 / highest as f64) * (height - 2.0);
        if *count > 0 {
            let _ = write!(
                svg,
                r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"/>"#,
                step * at as f64,
                height - h,
                (step * 0.8).max(0.8)
            );
        }
    }
    svg.push_str("</svg>");
    Some(svg)
}
