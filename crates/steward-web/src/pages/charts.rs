//! Charts for the dashboard, drawn on the server as SVG: horizontal bars, a daily line chart and
//! an hour-of-week heat map. Each is an image with a title (the page puts the same figures in a
//! table beside it). Every text is escaped here; colours come from the stylesheet (classes), so
//! the charts follow the theme and need no inline style.

use std::fmt::Write;

use crate::html::escape as esc;

/// Shortens a label for the chart (the table beside it has it whole).
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// One bar: its label, its value, and how the value reads.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// Horizontal bars, longest first as given. `title` names the chart for screen readers.
pub fn bars(title: &str, rows: &[Bar]) -> String {
    const W: f64 = 480.0;
    const LABEL: f64 = 150.0;
    const VALUE: f64 = 70.0;
    const ROW: f64 = 22.0;
    let max = rows.iter().map(|r| r.value).fold(0.0_f64, f64::max);
    let h = (rows.len().max(1) as f64) * ROW + 4.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart bars" viewBox="0 0 {W} {h}" width="100%" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    if rows.is_empty() {
        let _ = write!(svg, r#"<text x="0" y="16" class="muted">No data</text>"#);
    }
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * ROW + 2.0;
        let len = if max > 0.0 {
            (r.value / max) * (W - LABEL - VALUE)
        } else {
            0.0
        };
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{ty}" class="label" text-anchor="end">{label}</text><rect x="{LABEL}" y="{y}" width="{len:.1}" height="{bh}" class="bar"/><text x="{vx:.1}" y="{ty}" class="value">{shown}</text>"#,
            x = LABEL - 6.0,
            ty = y + 14.0,
            label = esc(&clip(&r.label, 22)),
            bh = ROW - 6.0,
            vx = LABEL + len + 4.0,
            shown = esc(&r.shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Two series over days (created and resolved), as lines, with the first and last day and the
/// highest value marked.
pub fn daily(title: &str, days: &[(String, u64, u64)]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 200.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 24.0;
    let max = days
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(2) as f64 - 1.0;
    let x = |i: usize| LEFT + (i as f64 / n) * (W - LEFT - 8.0);
    let y = |v: u64| 8.0 + (1.0 - v as f64 / max) * (H - BOTTOM - 8.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart daily" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><text x="{tx}" y="14" class="label" text-anchor="end">{max}</text><text x="{tx}" y="{b}" class="label" text-anchor="end">0</text>"#,
        b = H - BOTTOM,
        r = W - 8.0,
        tx = LEFT - 4.0,
        max = max as u64,
    );
    for (series, class) in [(1usize, "line created"), (2, "line resolved")] {
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let v = if series == 1 { d.1 } else { d.2 };
                format!("{:.1},{:.1}", x(i), y(v))
            })
            .collect();
        let _ = write!(
            svg,
            r#"<polyline points="{}" class="{class}" fill="none"/>"#,
            points.join(" ")
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            svg,
            r#"<text x="{LEFT}" y="{ly}" class="label">{}</text><text x="{rx}" y="{ly}" class="label" text-anchor="end">{}</text>"#,
            esc(&first.0),
            esc(&last.0),
            ly = H - 6.0,
            rx = W - 8.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Tickets per weekday and hour as a grid of cells, darker for more.
pub fn heat(title: &str, hours: &[[u64; 24]]) -> String {
    const CELL: f64 = 22.0;
    const LEFT: f64 = 40.0;
    const TOP: f64 = 18.0;
    let max = hours.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let w = LEFT + 24.0 * CELL;
    let h = TOP + 7.0 * CELL;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart heat" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{}"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    for hour in (0..24).step_by(3) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="12" class="label">{hour:02}</text>"#,
            LEFT + hour as f64 * CELL + 2.0
        );
    }
    for (d, row) in hours.iter().enumerate().take(7) {
        let y = TOP + d as f64 * CELL;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end">{}</text>"#,
            LEFT - 4.0,
            y + 15.0,
            WEEKDAYS[d]
        );
        for (hour, v) in row.iter().enumerate() {
            let shade = (*v as f64 / max).clamp(0.0, 1.0);
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{c}" height="{c}" class="cell" fill-opacity="{:.2}"><title>{} {hour:02}:00 – {v}</title></rect>"#,
                LEFT + hour as f64 * CELL,
                0.06 + 0.94 * shade,
                WEEKDAYS[d],
                c = CELL - 2.0,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = bars(
            "By <organisation>",
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                value: 3.0,
                shown: "3".into(),
            }],
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(svg.contains("aria-label=\"By &lt;organisation&gt;\""));
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars(
            "t",
            &[
                Bar {
                    label: "a".into(),
                    value: 10.0,
                    shown: "10".into(),
                },
                Bar {
                    label: "b".into(),
                    value: 5.0,
                    shown: "5".into(),
                },
            ],
        );
        // 480 − 150 − 70 = 260 for the largest; half for the other.
        assert!(svg.contains(r#"width="260.0""#), "{svg}");
        assert!(svg.contains(r#"width="130.0""#), "{svg}");
    }

    #[test]
    fn empty_charts_still_draw() {
        assert!(bars("t", &[]).contains("No data"));
        assert!(daily("t", &[]).ends_with("</svg>"));
        assert!(heat("t", &[[0; 24]; 7]).matches("<rect").count() == 168);
    }
}
