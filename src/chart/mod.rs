//! Pictures of spending summaries: one [`Chart`] description (spending by category, or per
//! day) rendered as a standalone SVG string, which the web dashboard inlines and which a chat
//! reply can rasterise to PNG (with `resvg`). So the SVG carries every colour and font as a
//! presentation attribute and a `class` beside it for a stylesheet to override; it has no
//! `<style>`, script, CSS variable or external reference.
//!
//! It never formats money or dates and never picks a language: every text it shows comes
//! from the caller already worded, except the "max" in the per-day scale hint. It never does
//! I/O and never uses floating point: amounts stay `Decimal` until they are whole pixels.

mod svg;

use rust_decimal::Decimal;

/// One bar: a label, its value (>= 0; negatives are drawn as 0), and the text shown for it,
/// already formatted by the caller in the reader's language (e.g. "62.40 USD").
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub shown: String,
}

/// Which picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Horizontal bars, one row per category, largest first as given; label left, bar,
    /// amount (`shown`) right of the bar.
    ByCategory,
    /// Vertical bars, one per day in order (typically 30); the x axis labels only some days
    /// (first, last, and about every 7th) to stay readable; every bar has a `<title>` tooltip
    /// `"<label>: <shown>"`. Days with 0 draw a thin baseline stub so the axis reads.
    PerDay,
}

/// Colours of a chart, as CSS colour strings, so the PNG renderer can pick light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Filled behind the whole chart; "none" leaves it transparent.
    pub background: &'static str,
    /// Title, labels and amounts.
    pub text: &'static str,
    /// Axis, gridlines, secondary text.
    pub muted: &'static str,
    /// Every bar but the largest.
    pub bar: &'static str,
    /// The largest bar.
    pub accent: &'static str,
}

impl Palette {
    /// For light pages and chat bubbles: transparent, with text and bars that keep WCAG AA
    /// contrast on white.
    pub const LIGHT: Palette = Palette {
        background: "none",
        text: "#1f2937",
        muted: "#6b7280",
        bar: "#7b9bff",
        accent: "#2563eb",
    };

    /// For dark pages and chat themes. Unlike `LIGHT` it fills its own background, because
    /// its light text would vanish on the white a transparent PNG often lands on.
    pub const DARK: Palette = Palette {
        background: "#111827",
        text: "#e5e7eb",
        muted: "#9ca3af",
        bar: "#3b63d4",
        accent: "#7aa2ff",
    };
}

/// A chart to draw: a title (also the SVG's accessible name), an id for the `<svg>` element
/// (used by the web page and its tests, e.g. "chart-categories"), the kind, and the bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub kind: ChartKind,
    pub bars: Vec<Bar>,
    /// Shown instead of bars when there are none or all are zero, e.g. "Nothing spent yet".
    pub empty_text: String,
}

impl Chart {
    /// The chart as a standalone SVG document fragment: `<svg xmlns=... id=... class="chart
    /// chart-by-category|chart-per-day" viewBox="0 0 W H" width="W" height="H" role="img"
    /// aria-labelledby="<id>-title"><title id="<id>-title">…</title>…</svg>`.
    ///
    /// The width is always 640; the height is 28 per row plus margins by category, and 220
    /// per day. The title is also drawn as visible text (class `title`) so a PNG carries it.
    pub fn to_svg(&self, palette: &Palette) -> String {
        svg::render(self, palette, svg::WIDTH)
    }

    /// [`Chart::to_svg`] `width` units wide (at least 280): a narrow drawing keeps its text
    /// readable where the page is narrow, instead of scaling a wide one down.
    pub fn to_svg_width(&self, palette: &Palette, width: u32) -> String {
        svg::render(self, palette, width)
    }
}

/// A text colour that reads on `fill`: near-black on light fills, white on dark ones. Colours
/// it cannot parse (names, `rgb()`) get white, which suits the saturated fills bars use.
fn ink_on(fill: &str) -> &'static str {
    // Rec. 709 weights on the encoded channels; 125 is about where white and near-black
    // text have equal contrast.
    match rgb(fill) {
        Some((r, g, b)) if 2126 * r + 7152 * g + 722 * b > 125 * 10_000 => "#111827",
        _ => "#ffffff",
    }
}

/// The channels of a `#rgb` or `#rrggbb` colour.
fn rgb(colour: &str) -> Option<(u32, u32, u32)> {
    let hex = colour.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize, len: usize| {
        let v = u32::from_str_radix(hex.get(i * len..(i + 1) * len)?, 16).ok()?;
        Some(if len == 1 { v * 17 } else { v })
    };
    let len = match hex.len() {
        3 => 1,
        6 => 2,
        _ => return None,
    };
    Some((channel(0, len)?, channel(1, len)?, channel(2, len)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, cents: i64, shown: &str) -> Bar {
        Bar {
            label: label.to_owned(),
            value: Decimal::new(cents, 2),
            shown: shown.to_owned(),
        }
    }

    fn chart(kind: ChartKind, bars: Vec<Bar>) -> Chart {
        Chart {
            id: "chart-test".to_owned(),
            title: "Spending".to_owned(),
            kind,
            bars,
            empty_text: "Nothing spent yet".to_owned(),
        }
    }

    fn categories() -> Chart {
        chart(
            ChartKind::ByCategory,
            vec![
                bar("Groceries", 24_000, "240.00 USD"),
                bar("Transport", 12_000, "120.00 USD"),
                bar("Coffee", 1_250, "12.50 USD"),
            ],
        )
    }

    #[test]
    fn narrow_charts_keep_their_text_size_and_fit_their_width() {
        for c in [categories(), month()] {
            let narrow = c.to_svg_width(&Palette::LIGHT, 340);
            assert!(narrow.contains(r#"viewBox="0 0 340 "#), "{narrow}");
            assert!(!narrow.contains(r#"x="341""#));
            assert!(narrow.contains(r#"font-size="1"#));
        }
        let tiny = categories().to_svg_width(&Palette::LIGHT, 10);
        assert!(
            tiny.contains(r#"viewBox="0 0 280 "#),
            "never narrower than 280"
        );
    }

    fn month() -> Chart {
        let bars = (1..=30)
            .map(|d| {
                let cents = if d % 6 == 0 { 0 } else { (d * 397) % 6_000 };
                bar(&format!("Jun {d}"), cents, &format!("{cents} c"))
            })
            .collect();
        chart(ChartKind::PerDay, bars)
    }

    /// The start tags (`<rect ...>`) whose text begins with `prefix`, e.g. `<rect class="bar`.
    fn tags<'a>(svg: &'a str, prefix: &str) -> Vec<&'a str> {
        svg.match_indices(prefix)
            .filter_map(|(at, _)| svg.get(at..).and_then(|rest| rest.split('>').next()))
            .collect()
    }

    /// Where a `<rect>` ends on the right.
    fn right(tag: &str) -> Option<u32> {
        Some(attr(tag, "x")? + attr(tag, "width")?)
    }

    fn attr(tag: &str, name: &str) -> Option<u32> {
        let (_, rest) = tag.split_once(&format!(" {name}=\""))?;
        rest.split('"').next()?.parse().ok()
    }

    /// Every `<x ...>` is closed by its `</x>` in order or is self-closing, and every `&`
    /// starts one of the five entities.
    fn assert_well_formed(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        for piece in svg.split('<').skip(1) {
            let (tag, _) = piece.split_once('>').expect("tag is closed with >");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "closing </{name}> matches in {svg}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("tag has a name");
                open.push(name);
            }
        }
        assert!(open.is_empty(), "unclosed {open:?}");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        for (at, _) in svg.match_indices('&') {
            let rest = svg.get(at..).expect("char boundary");
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "bare & at {at}"
            );
        }
    }

    #[test]
    fn text_is_escaped_in_titles_and_labels() {
        let mut c = chart(
            ChartKind::ByCategory,
            vec![bar("<b>Tom & Jerry's</b>", 500, "5 \"USD\"")],
        );
        c.title = "Spend <script>".to_owned();
        c.id = "a\"b".to_owned();
        let svg = c.to_svg(&Palette::LIGHT);
        assert!(!svg.contains("<b>") && !svg.contains("<script"));
        assert!(svg.contains("&lt;b&gt;Tom &amp; Jerry&apos;s&lt;/b&gt;: 5 &quot;USD&quot;"));
        assert!(svg.contains("<title id=\"a&quot;b-title\">Spend &lt;script&gt;</title>"));
        assert_well_formed(&svg);
    }

    #[test]
    fn largest_bar_spans_the_full_width() {
        let svg = categories().to_svg(&Palette::LIGHT);
        let bars = tags(&svg, "<rect class=\"bar");
        assert_eq!(bars.len(), 3);
        assert_eq!(right(bars[0]), Some(624));
        assert!(bars[0].contains("class=\"bar accent\"") && bars[0].contains("#2563eb"));
        let full = attr(bars[0], "width").expect("width");
        assert_eq!(attr(bars[1], "width"), Some(full.div_ceil(2)));
        assert!(tags(&svg, "<rect class=\"bar accent").len() == 1);
    }

    #[test]
    fn amounts_sit_right_of_short_bars_and_inside_long_ones() {
        let svg = categories().to_svg(&Palette::LIGHT);
        let values = tags(&svg, "<text class=\"value");
        assert_eq!(values.len(), 3);
        assert!(values[0].contains("class=\"value inside\""));
        assert!(values[0].contains("text-anchor=\"end\"") && values[0].contains("#ffffff"));
        assert!(values[1].contains("class=\"value\"") && values[1].contains("#1f2937"));
        let bars = tags(&svg, "<rect class=\"bar");
        assert!(attr(values[1], "x") > right(bars[1]));
    }

    #[test]
    fn long_category_labels_are_truncated() {
        let c = chart(
            ChartKind::ByCategory,
            vec![bar("Entertainment & leisure", 100, "1.00 USD")],
        );
        let svg = c.to_svg(&Palette::LIGHT);
        assert!(svg.contains(">Entertainment…</text>"));
        assert!(svg.contains("<title>Entertainment &amp; leisure: 1.00 USD</title>"));
    }

    #[test]
    fn zero_values_render_the_empty_text() {
        for kind in [ChartKind::ByCategory, ChartKind::PerDay] {
            for bars in [
                vec![],
                vec![bar("Rent", 0, "0 USD"), bar("Food", 0, "0 USD")],
            ] {
                let svg = chart(kind, bars).to_svg(&Palette::DARK);
                assert!(svg.contains("class=\"empty\""));
                assert!(svg.contains(">Nothing spent yet</text>"));
                assert!(svg.contains("<title id=\"chart-test-title\">Spending</title>"));
                assert!(svg.contains("viewBox=\"0 0 640 "));
                assert!(!svg.contains("class=\"bar"));
                assert_well_formed(&svg);
            }
        }
    }

    #[test]
    fn per_day_labels_only_some_days() {
        let svg = month().to_svg(&Palette::LIGHT);
        let labels: Vec<&str> = tags(&svg, "<text class=\"axis\"")
            .into_iter()
            .filter_map(|tag| svg.split(tag).nth(1)?.get(1..)?.split('<').next())
            .collect();
        assert_eq!(labels, ["Jun 1", "Jun 8", "Jun 15", "Jun 22", "Jun 30"]);
        assert_eq!(tags(&svg, "<g class=\"day\"><title>").len(), 30);
        assert!(svg.contains("<title>Jun 7: 2779 c</title>"));
        assert!(svg.contains("viewBox=\"0 0 640 220\""));
    }

    #[test]
    fn per_day_marks_the_largest_day_and_stubs_the_empty_ones() {
        let svg = month().to_svg(&Palette::LIGHT);
        assert_eq!(tags(&svg, "<rect class=\"bar zero\"").len(), 5);
        let accent = tags(&svg, "<path class=\"bar accent\"");
        assert_eq!(accent.len(), 1);
        // Day 15 is the largest: 15 * 397 = 5955 cents.
        assert!(svg.contains("<text class=\"scale\""));
        assert!(svg.contains(">max 5955 c</text>"));
        // Its top edge is at the plot's top, y = 58.
        assert!(accent[0].contains(" 58H"));
    }

    #[test]
    fn negative_values_draw_as_zero() {
        let c = chart(
            ChartKind::ByCategory,
            vec![
                bar("Refund", -5_000, "-50.00 USD"),
                bar("Food", 1_000, "10.00 USD"),
            ],
        );
        let svg = c.to_svg(&Palette::LIGHT);
        let bars = tags(&svg, "<rect class=\"bar");
        assert_eq!(attr(bars[0], "width"), Some(0));
        assert_eq!(right(bars[1]), Some(624));
        let all_negative = chart(ChartKind::PerDay, vec![bar("Jun 1", -100, "-1")]);
        let svg = all_negative.to_svg(&Palette::LIGHT);
        assert!(svg.contains("class=\"empty\""));
    }

    #[test]
    fn output_is_deterministic() {
        for c in [categories(), month()] {
            assert_eq!(c.to_svg(&Palette::LIGHT), c.clone().to_svg(&Palette::LIGHT));
        }
    }

    #[test]
    fn svg_is_well_formed() {
        for palette in [Palette::LIGHT, Palette::DARK] {
            for c in [categories(), month()] {
                assert_well_formed(&c.to_svg(&palette));
            }
        }
        let odd = chart(ChartKind::PerDay, vec![bar("a\u{0}b\nc", 1, "\u{7}")]);
        assert_well_formed(&odd.to_svg(&Palette::LIGHT));
        assert!(!odd.to_svg(&Palette::LIGHT).contains('\u{0}'));
    }

    #[test]
    fn svg_is_self_contained_with_presentation_attributes() {
        let svg = month().to_svg(&Palette::DARK);
        for banned in ["<style", "<script", "var(", "href", "url(", "@import"] {
            assert!(!svg.contains(banned), "{banned}");
        }
        assert!(svg.starts_with(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-test\" class=\"chart chart-per-day\" \
             viewBox=\"0 0 640 220\" width=\"640\" height=\"220\" role=\"img\" \
             aria-labelledby=\"chart-test-title\"><title id=\"chart-test-title\">Spending</title>"
        ));
        assert!(svg.contains("<rect class=\"background\""));
        for tag in tags(&svg, "<text ") {
            assert!(tag.contains(" font-family=\"") && tag.contains(" font-size=\""));
            assert!(tag.contains(" fill=\"#"));
        }
    }

    #[test]
    fn coordinates_are_whole_pixels() {
        for c in [categories(), month()] {
            let svg = c.to_svg(&Palette::LIGHT);
            for name in ["x", "y", "width", "height", "x1", "x2", "y1", "y2", "rx"] {
                for (at, _) in svg.match_indices(&format!(" {name}=\"")) {
                    let tag = svg.get(at..).expect("char boundary");
                    assert!(attr(tag, name).is_some(), "{name} is an integer at {at}");
                }
            }
        }
    }

    #[test]
    fn category_rows_grow_the_height_and_keep_readable_fonts() {
        let svg = categories().to_svg(&Palette::LIGHT);
        assert!(svg.contains("viewBox=\"0 0 640 136\""));
        for tag in tags(&svg, "<text ") {
            assert!(attr(tag, "font-size") >= Some(13));
        }
    }

    #[test]
    fn ink_contrasts_with_the_fill() {
        assert_eq!(ink_on("#2563eb"), "#ffffff");
        assert_eq!(ink_on("#ffffff"), "#111827");
        assert_eq!(ink_on("#fff"), "#111827");
        assert_eq!(ink_on("rebeccapurple"), "#ffffff");
        assert_eq!(ink_on("#ééé"), "#ffffff");
    }
}
