//! Server-side SVG charts, no chart service and no script: a bar chart
//! (sales by hour), a multi-series line chart (30 days per store) and a
//! split bar (payment methods). Each is an `<svg role="img">` labelled by
//! its `<title>` and `<desc>`, each mark carries its own `<title>` (a
//! tooltip, read by screen readers), every text is escaped, and amounts
//! are written by [`Fmt`] (French by default). Empty data (nothing sold,
//! or only zeros) draws the caller's "no sales" text instead of axes, so
//! no coordinate is ever computed from a zero maximum (no NaN).
//!
//! The SVG scales to its container (`viewBox`, `width="100%"`), so one
//! drawing serves a 390 px phone and a desktop.

use comptoir_i18n::Fmt;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt::Write;

/// Drawing width and height, in SVG units.
const W: f64 = 640.0;
const H: f64 = 260.0;
/// Plot margins: left (axis labels), right, top, bottom (x labels).
const ML: f64 = 84.0;
const MR: f64 = 12.0;
const MT: f64 = 14.0;
const MB: f64 = 34.0;

/// Series colours (enough contrast on white, told apart by the legend's
/// names too, not by colour alone).
pub const PALETTE: [&str; 8] = [
    "#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7e8c", "#57606a",
];

/// Escapes text for SVG/HTML content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Texts of one chart: its title (and accessible name), a description,
/// and what to say when there is nothing to draw.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    /// Unique in the page: the ids of `<title>` and `<desc>` derive from it.
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub empty: &'a str,
}

fn f(v: Decimal) -> f64 {
    v.to_f64().filter(|x| x.is_finite()).unwrap_or(0.0)
}

/// A round maximum at or above `max` (1, 2 or 5 times a power of ten), so
/// the axis reads in round steps. `max` must be > 0.
fn nice_max(max: Decimal) -> Decimal {
    let mut step = Decimal::new(1, 2);
    loop {
        for m in [1, 2, 5] {
            let v = step * Decimal::from(m);
            if v >= max {
                return v;
            }
        }
        step *= Decimal::TEN;
        if step > Decimal::from(1_000_000_000_000i64) {
            return max;
        }
    }
}

fn open(out: &mut String, l: &Labels<'_>) {
    let id = esc(l.id);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" class="chart" id="{id}" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(l.title),
        esc(l.desc)
    );
}

/// The "nothing to draw" state: a framed message.
fn empty(l: &Labels<'_>) -> String {
    let mut out = String::new();
    open(&mut out, l);
    let _ = write!(
        out,
        r##"<rect x="1" y="1" width="{}" height="{}" fill="none" stroke="#d0d7de" rx="6"/><text x="{}" y="{}" text-anchor="middle" class="chart-empty" data-testid="chart-empty" font-size="16" fill="#5c6675">{}</text></svg>"##,
        W - 2.0,
        H - 2.0,
        W / 2.0,
        H / 2.0,
        esc(l.empty)
    );
    out
}

/// Legend rows of a [`lines`] chart, and series per row.
const LEGEND_ROW: f64 = 16.0;
const LEGEND_PER_ROW: usize = 4;

/// The top margin of a [`lines`] chart with `n` series: the legend has a
/// band of its own above the plot, so it never covers the top axis label,
/// the top grid line or a line near the maximum.
fn lines_top(n: usize) -> f64 {
    let rows = n.div_ceil(LEGEND_PER_ROW).max(1) as f64;
    MT + rows * LEGEND_ROW + 4.0
}

/// Horizontal grid lines and the y axis labels from 0 to `top`, the plot
/// starting `mt` from the top.
fn y_axis(out: &mut String, top: Decimal, fmt: Fmt, mt: f64) {
    for i in 0..=4 {
        let v = top * Decimal::from(i) / Decimal::from(4);
        let y = mt + (H - mt - MB) * (1.0 - f64::from(i) / 4.0);
        let _ = write!(
            out,
            r##"<line x1="{ML}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d7de" stroke-width="1"/><text x="{}" y="{:.1}" text-anchor="end" class="chart-axis" font-size="11" fill="#5c6675">{}</text>"##,
            W - MR,
            ML - 6.0,
            y + 4.0,
            esc(&fmt.money(v))
        );
    }
}

/// A bar chart of `bars` (label, amount): bar heights proportional to the
/// amounts, negative amounts drawn as no bar (their value still in the
/// bar's title).
pub fn bars(l: &Labels<'_>, bars: &[(String, Decimal)], fmt: Fmt) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(Decimal::ZERO);
    if bars.is_empty() || max <= Decimal::ZERO {
        return empty(l);
    }
    let top = nice_max(max);
    let mut out = String::new();
    open(&mut out, l);
    y_axis(&mut out, top, fmt, MT);
    let plot_h = H - MT - MB;
    let slot = (W - ML - MR) / bars.len() as f64;
    let bw = (slot * 0.7).max(1.0);
    // Label every bar when there is room, else every few.
    let every = (bars.len() / 12).max(1);
    for (i, (label, v)) in bars.iter().enumerate() {
        let h = if *v > Decimal::ZERO {
            plot_h * f(*v / top)
        } else {
            0.0
        };
        let x = ML + slot * i as f64 + (slot - bw) / 2.0;
        let y = MT + plot_h - h;
        let _ = write!(
            out,
            r##"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{h:.1}" fill="{}" data-value="{v}"><title>{} : {}</title></rect>"##,
            PALETTE[0],
            esc(label),
            esc(&fmt.money(*v))
        );
        if i % every == 0 {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="chart-axis" font-size="11" fill="#5c6675">{}</text>"##,
                x + bw / 2.0,
                H - MB + 16.0,
                esc(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One line of a [`lines`] chart: its name and one amount per x label.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Decimal>,
}

/// A line chart: one polyline per series over the shared `x` labels (the
/// values beyond `x.len()` are ignored, missing ones are zero), with a
/// legend naming each series.
pub fn lines(l: &Labels<'_>, x: &[String], series: &[Series], fmt: Fmt) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().take(x.len()).copied())
        .max()
        .unwrap_or(Decimal::ZERO);
    if x.is_empty() || series.is_empty() || max <= Decimal::ZERO {
        return empty(l);
    }
    let top = nice_max(max);
    let mut out = String::new();
    open(&mut out, l);
    let mt = lines_top(series.len());
    y_axis(&mut out, top, fmt, mt);
    let plot_h = H - mt - MB;
    let step = if x.len() > 1 {
        (W - ML - MR) / (x.len() - 1) as f64
    } else {
        0.0
    };
    let px = |i: usize| ML + step * i as f64;
    let every = (x.len() / 6).max(1);
    for (i, label) in x.iter().enumerate() {
        if i % every == 0 || i + 1 == x.len() {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="chart-axis" font-size="11" fill="#5c6675">{}</text>"##,
                px(i),
                H - MB + 16.0,
                esc(label)
            );
        }
    }
    for (n, s) in series.iter().enumerate() {
        let colour = PALETTE[n % PALETTE.len()];
        let mut points = String::new();
        for i in 0..x.len() {
            let v = s.values.get(i).copied().unwrap_or(Decimal::ZERO);
            let y = mt + plot_h - plot_h * f(v.max(Decimal::ZERO) / top);
            let _ = write!(points, "{:.1},{y:.1} ", px(i));
        }
        let total: Decimal = s.values.iter().take(x.len()).sum();
        let _ = write!(
            out,
            r#"<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{} : {}</title></polyline>"#,
            points.trim_end(),
            esc(&s.name),
            esc(&fmt.money(total))
        );
        // The legend: a swatch and the name, in rows above the plot (in
        // the band `lines_top` leaves, clear of the axis labels).
        let lx = ML + (n % LEGEND_PER_ROW) as f64 * 130.0;
        let ly = 2.0 + LEGEND_ROW * (1 + n / LEGEND_PER_ROW) as f64 - 4.0;
        let _ = write!(
            out,
            r##"<rect x="{lx:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="{:.1}" class="chart-legend" font-size="12" fill="#1c2430">{}</text>"##,
            ly - 9.0,
            lx + 14.0,
            ly,
            esc(&s.name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A horizontal stacked bar splitting a whole into `parts` (name, amount),
/// each segment's width proportional to its share of the positive total,
/// labelled with its name and percentage below. Parts at or below zero
/// (a tender whose refunds exceed its sales) are left out.
pub fn split(l: &Labels<'_>, parts: &[(String, Decimal)], fmt: Fmt) -> String {
    let shown: Vec<&(String, Decimal)> = parts.iter().filter(|p| p.1 > Decimal::ZERO).collect();
    let total: Decimal = shown.iter().map(|p| p.1).sum();
    if total <= Decimal::ZERO {
        return empty(l);
    }
    let mut out = String::new();
    open(&mut out, l);
    let (x0, width, y, h) = (8.0, W - 16.0, 20.0, 56.0);
    let mut x = x0;
    for (n, (name, v)) in shown.iter().enumerate() {
        let colour = PALETTE[n % PALETTE.len()];
        let share = *v / total;
        let w = width * f(share);
        let pct = (share * Decimal::ONE_HUNDRED).round_dp(1);
        let _ = write!(
            out,
            r#"<rect class="part" x="{x:.1}" y="{y}" width="{w:.1}" height="{h}" fill="{colour}" data-value="{v}"><title>{} : {} ({})</title></rect>"#,
            esc(name),
            esc(&fmt.money(*v)),
            esc(&fmt.percent(pct))
        );
        let ly = y + h + 28.0 + n as f64 * 20.0;
        let _ = write!(
            out,
            r##"<rect x="{x0}" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="{ly:.1}" class="chart-legend" font-size="12" fill="#1c2430">{} — {} ({})</text>"##,
            ly - 10.0,
            x0 + 18.0,
            esc(name),
            esc(&fmt.money(*v)),
            esc(&fmt.percent(pct))
        );
        x += w;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use comptoir_i18n::Lang;
    use rust_decimal_macros::dec;

    const L: Labels<'static> = Labels {
        id: "c1",
        title: "Ventes <par> heure",
        desc: "Montant & heure",
        empty: "Aucune vente",
    };

    fn attr(svg: &str, class: &str, name: &str) -> Vec<f64> {
        svg.split(&format!(r#"class="{class}""#))
            .skip(1)
            .filter_map(|s| {
                let v = s.split(&format!(r#" {name}=""#)).nth(1)?;
                v.split('"').next()?.parse().ok()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_labelled_and_escaped() {
        let fr = Fmt::web(Lang::Fr);
        let data = vec![
            ("09h".to_string(), dec!(100)),
            ("10h".to_string(), dec!(50)),
            ("11h".to_string(), dec!(0)),
            ("12h".to_string(), dec!(-20)),
        ];
        let svg = bars(&L, &data, fr);
        let h = attr(&svg, "bar", "height");
        assert_eq!(h.len(), 4, "{svg}");
        assert!((h[0] - 2.0 * h[1]).abs() < 0.2, "{h:?}");
        assert_eq!((h[2], h[3]), (0.0, 0.0));
        assert!(svg.contains(r#"role="img""#) && svg.contains(r#"aria-labelledby="c1-t c1-d""#));
        assert!(svg.contains("<title id=\"c1-t\">Ventes &lt;par&gt; heure</title>"));
        assert!(svg.contains("Montant &amp; heure"));
        assert!(svg.contains("09h : 100,00\u{a0}€"), "{svg}");
        assert!(svg.contains("-20,00\u{a0}€"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn nothing_to_draw_says_so() {
        let fr = Fmt::web(Lang::Fr);
        for svg in [
            bars(&L, &[], fr),
            bars(&L, &[("9h".into(), dec!(0))], fr),
            lines(&L, &[], &[], fr),
            lines(
                &L,
                &["1".into()],
                &[Series {
                    name: "S1".into(),
                    values: vec![dec!(0)],
                }],
                fr,
            ),
            split(&L, &[("Espèces".into(), dec!(-3))], fr),
        ] {
            assert!(
                svg.contains("Aucune vente") && svg.contains("chart-empty"),
                "{svg}"
            );
            assert!(!svg.contains("NaN") && svg.ends_with("</svg>"));
        }
    }

    #[test]
    fn lines_scale_each_series_and_name_it() {
        let fr = Fmt::web(Lang::Fr);
        let x: Vec<String> = (1..=3).map(|d| format!("0{d}/12")).collect();
        let s = vec![
            Series {
                name: "Magasin <A>".into(),
                values: vec![dec!(10), dec!(20), dec!(40)],
            },
            Series {
                name: "S2".into(),
                values: vec![dec!(40)],
            },
        ];
        let svg = lines(&L, &x, &s, fr);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("Magasin &lt;A&gt; : 70,00\u{a0}€"), "{svg}");
        // 40 is the top of a 0..50 axis: y of 40 = mt + plot_h * (1 - 0.8).
        let mt = lines_top(2);
        let plot_h = H - mt - MB;
        let y40 = format!("{:.1}", mt + plot_h * 0.2);
        assert!(
            svg.contains(&format!("{:.1},{y40}", ML + (W - ML - MR))),
            "{svg}"
        );
        assert!(svg.contains("50,00\u{a0}€"), "axis top: {svg}");
        assert!(!svg.contains("NaN"));
    }

    /// The y of every `<text class="CLASS" ...>` (its baseline).
    fn text_ys(svg: &str, class: &str) -> Vec<f64> {
        svg.split("<text ")
            .skip(1)
            .filter(|t| t.contains(&format!("class=\"{class}\"")))
            .filter_map(|t| {
                let at = t.find(" y=\"")? + 4;
                t[at..t[at..].find('"')? + at].parse().ok()
            })
            .collect()
    }

    /// The legend sits in its own band: its lowest row ends above the top
    /// axis label and the top grid line, with one to nine stores.
    #[test]
    fn the_legend_never_overlaps_the_axis_or_the_plot() {
        let fr = Fmt::web(Lang::Fr);
        let x: Vec<String> = (1..=30).map(|d| format!("{d:02}/11")).collect();
        for n in 1..=9 {
            let s: Vec<Series> = (0..n)
                .map(|i| Series {
                    name: format!("MAGASIN-{i}"),
                    values: vec![dec!(5000); 30],
                })
                .collect();
            let svg = lines(&L, &x, &s, fr);
            let legend = text_ys(&svg, "chart-legend");
            assert_eq!(legend.len(), n, "{svg}");
            let lowest_legend = legend.iter().cloned().fold(f64::MIN, f64::max);
            // An axis label's glyphs rise about 9 units above its baseline.
            let top_label = text_ys(&svg, "chart-axis")
                .into_iter()
                .fold(f64::MAX, f64::min);
            assert!(
                lowest_legend + 3.0 < top_label - 9.0,
                "{n} series: legend down to {lowest_legend}, top label at {top_label}"
            );
            // The maximum's line (5000 is the axis top) is below the legend too.
            assert!(lowest_legend + 3.0 < lines_top(n), "{n} series");
        }
    }

    #[test]
    fn split_widths_are_shares_of_the_positive_total() {
        let en = Fmt::web(Lang::En);
        let parts = vec![
            ("Cash".to_string(), dec!(25)),
            ("Card".to_string(), dec!(75)),
            ("Voucher".to_string(), dec!(-5)),
        ];
        let svg = split(&L, &parts, en);
        let w = attr(&svg, "part", "width");
        assert_eq!(w.len(), 2, "{svg}");
        assert!((w[1] - 3.0 * w[0]).abs() < 0.2, "{w:?}");
        assert!((w[0] + w[1] - (W - 16.0)).abs() < 0.2);
        assert!(svg.contains("Card — €75.00 (75%)"), "{svg}");
        assert!(!svg.contains("Voucher"));
    }

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(dec!(0.003)), dec!(0.01));
        assert_eq!(nice_max(dec!(73)), dec!(100));
        assert_eq!(nice_max(dec!(120)), dec!(200));
        assert_eq!(nice_max(dec!(480)), dec!(500));
        assert_eq!(nice_max(dec!(500)), dec!(500));
    }
}
