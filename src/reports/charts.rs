//! Server-rendered SVG charts, written by hand: each has a `<title>` and `<desc>` that screen
//! readers announce, and prints its values next to the marks so no number hides in a shape.
//! Pure functions of the data; every text is escaped here.

use std::fmt::Write;

/// One bar: its label, its length, and the value as printed.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// One point of a line: its x label and its value (gaps where nothing was counted).
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn open_svg(out: &mut String, id: &str, width: u32, height: u32, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" viewBox="0 0 {width} {height}" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    );
}

const LABEL_WIDTH: f64 = 170.0;
const VALUE_WIDTH: f64 = 150.0;
const ROW_HEIGHT: f64 = 30.0;
const WIDTH: f64 = 640.0;

/// Horizontal bars, longest first as given; used for the funnel and the pipeline by group.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> String {
    let height = (bars.len().max(1) as f64 * ROW_HEIGHT + 10.0).ceil() as u32;
    let desc = if bars.is_empty() {
        "No data in this period.".to_owned()
    } else {
        bars.iter()
            .map(|bar| format!("{}: {}", bar.label, bar.shown))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut out = String::new();
    open_svg(&mut out, id, WIDTH as u32, height, title, &desc);
    let max = bars.iter().map(|bar| bar.value).fold(0.0_f64, f64::max);
    let track = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    if bars.is_empty() {
        out.push_str(r#"<text x="10" y="24" class="chart-label">No data in this period</text>"#);
    }
    for (n, bar) in bars.iter().enumerate() {
        let y = n as f64 * ROW_HEIGHT + 5.0;
        let length = if max > 0.0 {
            (bar.value.max(0.0) / max * track).max(1.0)
        } else {
            1.0
        };
        let _ = write!(
            out,
            r#"<g class="bar"><text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1}" height="{h}" rx="3"><title>{label}: {shown}</title></rect><text x="{vx:.1}" y="{ty}" class="chart-value">{shown}</text></g>"#,
            lx = LABEL_WIDTH - 8.0,
            ty = y + 15.0,
            h = ROW_HEIGHT - 8.0,
            vx = LABEL_WIDTH + length + 6.0,
            label = escape(&bar.label),
            shown = escape(&bar.shown),
        );
    }
    out.push_str("</svg>");
    out
}

/// A line over months with a fixed y range, each point labelled with its value.
pub fn line_chart(
    id: &str,
    title: &str,
    points: &[Point],
    y_max: f64,
    shown: impl Fn(f64) -> String,
) -> String {
    let (height, left, right, top, bottom) = (240.0, 50.0, 20.0, 20.0, 40.0);
    let plot_width = WIDTH - left - right;
    let plot_height = height - top - bottom;
    let known: Vec<String> = points
        .iter()
        .filter_map(|p| p.value.map(|v| format!("{}: {}", p.label, shown(v))))
        .collect();
    let desc = if known.is_empty() {
        "No data in this period.".to_owned()
    } else {
        known.join("; ")
    };
    let mut out = String::new();
    open_svg(&mut out, id, WIDTH as u32, height as u32, title, &desc);
    let _ = write!(
        out,
        r#"<line x1="{left}" y1="{base}" x2="{end}" y2="{base}" class="chart-axis"/><line x1="{left}" y1="{top}" x2="{left}" y2="{base}" class="chart-axis"/><text x="{tx}" y="{base}" text-anchor="end" class="chart-label">{zero}</text><text x="{tx}" y="{ty}" text-anchor="end" class="chart-label">{max}</text>"#,
        base = top + plot_height,
        end = left + plot_width,
        tx = left - 6.0,
        ty = top + 4.0,
        zero = escape(&shown(0.0)),
        max = escape(&shown(y_max)),
    );
    let step = if points.len() > 1 {
        plot_width / (points.len() - 1) as f64
    } else {
        0.0
    };
    let position = |n: usize, value: f64| {
        let x = left
            + step * n as f64
            + if points.len() == 1 {
                plot_width / 2.0
            } else {
                0.0
            };
        let ratio = if y_max > 0.0 {
            (value / y_max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (x, top + plot_height * (1.0 - ratio))
    };
    let mut path = String::new();
    for (n, point) in points.iter().enumerate() {
        match point.value {
            Some(value) => {
                let (x, y) = position(n, value);
                let command = if path.is_empty() || points[n - 1].value.is_none() {
                    'M'
                } else {
                    'L'
                };
                let _ = write!(path, "{command}{x:.1},{y:.1} ");
            }
            None => continue,
        }
    }
    if !path.is_empty() {
        let _ = write!(
            out,
            r#"<path d="{}" class="chart-line" fill="none"/>"#,
            path.trim_end()
        );
    }
    for (n, point) in points.iter().enumerate() {
        let (x, _) = position(n, 0.0);
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y}" text-anchor="middle" class="chart-label">{}</text>"#,
            escape(&point.label),
            y = height - 15.0,
        );
        if let Some(value) = point.value {
            let (x, y) = position(n, value);
            let text = escape(&shown(value));
            let _ = write!(
                out,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" class="chart-point"><title>{label}: {text}</title></circle><text x="{x:.1}" y="{ly:.1}" text-anchor="middle" class="chart-value">{text}</text>"#,
                label = escape(&point.label),
                ly = y - 8.0,
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
            shown: format!("{value}"),
        }
    }

    #[test]
    fn bar_charts_are_titled_and_print_every_value() {
        let svg = bar_chart(
            "funnel",
            "Funnel",
            &[bar("Leads", 40.0), bar("Held <10>", 10.0)],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"<title id="funnel-title">Funnel</title>"#));
        assert!(svg.contains(r#"aria-labelledby="funnel-title funnel-desc""#));
        assert!(svg.contains("Leads: 40; Held &lt;10&gt;: 10"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(
            svg.contains(r#"width="320.0""#),
            "the longest bar fills the track"
        );
        assert!(
            svg.contains(r#"width="80.0""#),
            "a quarter of it for a quarter"
        );
    }

    #[test]
    fn empty_charts_say_so() {
        assert!(bar_chart("x", "X", &[]).contains("No data in this period"));
        assert!(line_chart("y", "Y", &[], 1.0, |v| v.to_string()).contains("No data"));
    }

    #[test]
    fn lines_skip_gaps_and_label_points() {
        let points = [
            Point {
                label: "2026-09".into(),
                value: Some(0.5),
            },
            Point {
                label: "2026-10".into(),
                value: None,
            },
            Point {
                label: "2026-11".into(),
                value: Some(0.25),
            },
        ];
        let svg = line_chart("rate", "No-show rate", &points, 1.0, |v| {
            format!("{:.0}%", v * 100.0)
        });
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("2026-09: 50%; 2026-11: 25%"));
        assert_eq!(
            svg.matches('M').count(),
            2,
            "the gap starts a second segment"
        );
    }
}
