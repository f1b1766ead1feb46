//! The drawing behind [`Chart::to_svg`]: the layout of both chart kinds in whole pixels and
//! the SVG text for it. Every coordinate is an integer and every amount stays a `Decimal`
//! until it has become a pixel count; it never uses floating point, never reads a file or a
//! font, and never words anything itself except the "max" prefix of the per-day scale hint.

use std::fmt::{self, Write as _};

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{Bar, Chart, ChartKind, Palette, ink_on};

/// Width of every chart in viewBox units; the page scales it with CSS.
pub(super) const WIDTH: u32 = 640;
/// The narrowest chart drawn (a phone's width in CSS pixels, less margins).
pub(super) const MIN_WIDTH: u32 = 280;
/// Margin left and right of everything drawn.
const PAD: u32 = 16;
/// resvg knows no `system-ui`, so named faces and the generic family follow it.
const FONT_FAMILY: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const TITLE_SIZE: u32 = 16;
const TITLE_Y: u32 = 26;
/// Where the drawing under the title begins.
const BODY_TOP: u32 = 44;
const EMPTY_SIZE: u32 = 14;

/// By category: 14 px text is still about 7.5 px tall when a phone shows the chart 340 px wide.
const CAT_FONT: u32 = 14;
const ROW: u32 = 28;
const ROW_BAR: u32 = 18;
const CAT_BOTTOM: u32 = 8;
/// Labels longer than this (in narrow-character units) are cut with "…".
const LABEL_UNITS: u32 = 14;
const LABEL_GAP: u32 = 12;
const VALUE_GAP: u32 = 6;
/// A positive amount never draws thinner than this, so it does not read as zero.
const MIN_BAR: u32 = 2;
const EMPTY_CAT_HEIGHT: u32 = 120;

/// Per day: the plot runs from `PLOT_TOP` (the largest day) down to `BASELINE`.
const DAY_HEIGHT: u32 = 220;
const SCALE_Y: u32 = 50;
const PLOT_TOP: u32 = 58;
const BASELINE: u32 = 186;
const AXIS_FONT: u32 = 13;
const AXIS_Y: u32 = 204;
const MIN_DAY: u32 = 3;
const STUB: u32 = 2;
/// Ticks are whole weeks apart so they fall on one weekday, which is what a reader counts by.
const WEEK: u32 = 7;
/// Space kept between two axis labels.
const AXIS_GAP: u32 = 12;
/// The one word this module writes; the amount after it is the caller's.
const SCALE_PREFIX: &str = "max ";

/// Renders `chart` in `palette`; see [`Chart::to_svg`].
pub(super) fn render(chart: &Chart, palette: &Palette, width: u32) -> String {
    let mut out = String::with_capacity(1024 + chart.bars.len() * 512);
    // Writing into a String cannot fail; `fmt::Result` is only what `write!` hands back.
    let _ = draw(&mut out, chart, palette, width.max(MIN_WIDTH));
    out
}

/// What both layouts draw from: the bars, their values with negatives made zero, the largest
/// value (positive) and the index of the first bar that has it.
struct Plot<'a> {
    bars: &'a [Bar],
    values: &'a [Decimal],
    max: Decimal,
    top: usize,
    palette: &'a Palette,
    /// The drawing's width in its own units.
    width: u32,
}

fn draw(out: &mut String, chart: &Chart, palette: &Palette, width: u32) -> fmt::Result {
    let values: Vec<Decimal> = chart
        .bars
        .iter()
        .map(|bar| bar.value.max(Decimal::ZERO))
        .collect();
    let max = values.iter().copied().max().unwrap_or(Decimal::ZERO);
    let empty = max.is_zero();
    let height = match (chart.kind, empty) {
        (ChartKind::ByCategory, true) => EMPTY_CAT_HEIGHT,
        (ChartKind::ByCategory, false) => BODY_TOP
            .saturating_add(count(values.len()).saturating_mul(ROW))
            .saturating_add(CAT_BOTTOM),
        (ChartKind::PerDay, _) => DAY_HEIGHT,
    };
    open(out, chart, palette, height, width)?;
    let top = values.iter().position(|v| *v == max).unwrap_or(0);
    let plot = Plot {
        bars: &chart.bars,
        values: &values,
        max,
        top,
        palette,
        width,
    };
    match (chart.kind, empty) {
        (_, true) => {
            let words = fit(chart.empty_text.trim(), width - 2 * PAD, EMPTY_SIZE);
            let at = (width / 2, (BODY_TOP + height) / 2);
            let font = Font::regular(EMPTY_SIZE, palette.muted);
            text(out, "empty", at, Anchor::Middle, font, &words)?;
        }
        (ChartKind::ByCategory, false) => by_category(out, &plot)?,
        (ChartKind::PerDay, false) => per_day(out, &plot)?,
    }
    out.write_str("</svg>")
}

/// The `<svg>` start tag, its accessible `<title>`, the background and the visible title.
fn open(
    out: &mut String,
    chart: &Chart,
    palette: &Palette,
    height: u32,
    width: u32,
) -> fmt::Result {
    let kind = match chart.kind {
        ChartKind::ByCategory => "chart-by-category",
        ChartKind::PerDay => "chart-per-day",
    };
    let (id, title) = (Esc(&chart.id), Esc(&chart.title));
    write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart {kind}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{title}</title>"#
    )?;
    if palette.background != "none" {
        write!(
            out,
            r#"<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="{}"/>"#,
            Esc(palette.background)
        )?;
    }
    let title = fit(chart.title.trim(), width - 2 * PAD, TITLE_SIZE);
    let font = Font::semibold(TITLE_SIZE, palette.text);
    text(out, "title", (PAD, TITLE_Y), Anchor::Start, font, &title)
}

/// Horizontal bars after a label column as wide as the longest (cut) label; the largest bar
/// reaches the right margin.
fn by_category(out: &mut String, plot: &Plot<'_>) -> fmt::Result {
    let labels = cut_labels(plot.bars, LABEL_UNITS);
    let bar_x = PAD + widest(&labels, CAT_FONT) + LABEL_GAP;
    let span = plot.width - PAD - bar_x;
    let rows = plot.bars.iter().zip(&labels).zip(plot.values).enumerate();
    for (i, ((bar, label), &value)) in rows {
        let mut width = scale(value, plot.max, span);
        if value > Decimal::ZERO {
            width = width.max(MIN_BAR);
        }
        let (fill, class) = match i == plot.top {
            true => (plot.palette.accent, "bar accent"),
            false => (plot.palette.bar, "bar"),
        };
        let (label_full, shown) = (Esc(bar.label.trim()), Esc(&bar.shown));
        write!(
            out,
            r#"<g class="row"><title>{label_full}: {shown}</title>"#
        )?;
        let y = BODY_TOP.saturating_add(count(i).saturating_mul(ROW));
        // The baseline sits three eighths of the font below the row's middle, which centres
        // the height of the digits on the bar.
        let text_y = y + ROW / 2 + CAT_FONT * 3 / 8;
        let font = Font::regular(CAT_FONT, plot.palette.text);
        text(out, "label", (PAD, text_y), Anchor::Start, font, label)?;
        write!(
            out,
            r#"<rect class="{class}" x="{bar_x}" y="{}" width="{width}" height="{ROW_BAR}" rx="3" fill="{}"/>"#,
            y + (ROW - ROW_BAR) / 2,
            Esc(fill)
        )?;
        if width + VALUE_GAP + text_px(&bar.shown, CAT_FONT) <= span {
            let at = (bar_x + width + VALUE_GAP, text_y);
            text(out, "value", at, Anchor::Start, font, &bar.shown)?;
        } else {
            // Too long to sit right of the bar, the amount goes inside the bar's end, in a
            // colour that reads on the bar.
            let at = ((bar_x + width).saturating_sub(VALUE_GAP + 2), text_y);
            let font = Font::semibold(CAT_FONT, ink_on(fill));
            text(out, "value inside", at, Anchor::End, font, &bar.shown)?;
        }
        out.write_str("</g>")?;
    }
    Ok(())
}

/// One column per day in a fixed-height plot, a scale hint naming the largest day, and
/// labels under some days.
fn per_day(out: &mut String, plot: &Plot<'_>) -> fmt::Result {
    let columns = Columns::new(plot.bars.len(), plot.width);
    let (muted, right) = (Esc(plot.palette.muted), plot.width - PAD);
    if let Some(top) = plot.bars.get(plot.top) {
        let hint = format!("{SCALE_PREFIX}{}", top.shown);
        let font = Font::regular(AXIS_FONT, plot.palette.muted);
        text(out, "scale", (PAD, SCALE_Y), Anchor::Start, font, &hint)?;
    }
    write!(
        out,
        r#"<line class="grid" x1="{PAD}" y1="{PLOT_TOP}" x2="{right}" y2="{PLOT_TOP}" stroke="{muted}" stroke-opacity="0.35" stroke-dasharray="2 4" shape-rendering="crispEdges"/>"#
    )?;
    for (i, (bar, &value)) in plot.bars.iter().zip(plot.values).enumerate() {
        day(out, plot, &columns, i, (bar, value))?;
    }
    write!(
        out,
        r#"<line class="baseline" x1="{PAD}" y1="{BASELINE}" x2="{right}" y2="{BASELINE}" stroke="{muted}" stroke-opacity="0.6" shape-rendering="crispEdges"/>"#
    )?;
    axis(out, plot, &columns)
}

/// Where the days' columns go: `slot` pixels per day from `left`, `gap` of them left empty
/// between neighbours, the whole run centred in the plot.
struct Columns {
    left: u32,
    slot: u32,
    gap: u32,
}

impl Columns {
    fn new(days: usize, width: u32) -> Self {
        let plot_w = width - 2 * PAD;
        let n = count(days).max(1);
        let slot = (plot_w / n).max(1);
        Columns {
            left: PAD + plot_w.saturating_sub(slot.saturating_mul(n)) / 2,
            slot,
            // Narrow columns keep every pixel; a gap there would leave nothing to see.
            gap: if slot >= 5 { slot / 5 } else { 0 },
        }
    }

    /// The left edge of day `i`'s slot.
    fn x(&self, i: usize) -> u32 {
        self.left.saturating_add(count(i).saturating_mul(self.slot))
    }
}

/// One day's group: its tooltip, an invisible full-height target so short days can be
/// pointed at, and its column (a stub at the baseline for a day with nothing spent).
fn day(
    out: &mut String,
    plot: &Plot<'_>,
    columns: &Columns,
    i: usize,
    (bar, value): (&Bar, Decimal),
) -> fmt::Result {
    let (x, slot) = (columns.x(i), columns.slot);
    let (bar_x, w) = (x + columns.gap / 2, slot - columns.gap);
    let (label, shown, plot_h) = (Esc(bar.label.trim()), Esc(&bar.shown), BASELINE - PLOT_TOP);
    write!(
        out,
        r##"<g class="day"><title>{label}: {shown}</title><rect class="hit" x="{x}" y="{PLOT_TOP}" width="{slot}" height="{plot_h}" fill="#000000" fill-opacity="0"/>"##
    )?;
    if value.is_zero() {
        write!(
            out,
            r#"<rect class="bar zero" x="{bar_x}" y="{}" width="{w}" height="{STUB}" fill="{}" fill-opacity="0.5"/>"#,
            BASELINE - STUB,
            Esc(plot.palette.muted)
        )?;
    } else {
        let h = scale(value, plot.max, plot_h).max(MIN_DAY);
        let (fill, class) = match i == plot.top {
            true => (plot.palette.accent, "bar accent"),
            false => (plot.palette.bar, "bar"),
        };
        // A path rather than a rect with rx, so only the top corners are rounded and the
        // column stands square on the baseline.
        let y = BASELINE - h;
        let r = 2.min(w / 2).min(h);
        let (right, yr) = (bar_x + w, y + r);
        write!(
            out,
            r#"<path class="{class}" d="M{bar_x} {BASELINE}V{yr}Q{bar_x} {y} {} {y}H{}Q{right} {y} {right} {yr}V{BASELINE}Z" fill="{}"/>"#,
            bar_x + r,
            right - r,
            Esc(fill)
        )?;
    }
    out.write_str("</g>")
}

/// Day labels under the plot. When not every label fits its column, only the first, every
/// seventh (or fourteenth, …, so they never collide) and the last are written, the outer two
/// aligned to their columns' outer edges.
fn axis(out: &mut String, plot: &Plot<'_>, columns: &Columns) -> fmt::Result {
    let (n, slot) = (plot.bars.len(), columns.slot);
    let labels = cut_labels(plot.bars, LABEL_UNITS / 2);
    let apart = widest(&labels, AXIS_FONT) + AXIS_GAP;
    let every_day = apart <= slot;
    // Weekly ticks, or every second or third week when columns are too narrow for that.
    let weeks = apart.div_ceil(slot.saturating_mul(WEEK)).max(1);
    let step = usize::try_from(WEEK * weeks).unwrap_or(usize::MAX);
    let font = Font::regular(AXIS_FONT, plot.palette.muted);
    for (i, label) in labels.iter().enumerate() {
        let last = i + 1 == n;
        let clear_of_last = count(n - 1 - i).saturating_mul(slot) >= apart;
        if !(every_day || last || (i % step == 0 && clear_of_last)) {
            continue;
        }
        let x = columns.x(i);
        let (anchor, x) = match (every_day, i == 0, last) {
            (false, true, _) => (Anchor::Start, x + columns.gap / 2),
            (false, false, true) => (Anchor::End, x + slot - columns.gap / 2),
            _ => (Anchor::Middle, x + slot / 2),
        };
        text(out, "axis", (x, AXIS_Y), anchor, font, label)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// How a text is set: size in viewBox pixels, CSS weight and colour.
#[derive(Clone, Copy)]
struct Font<'a> {
    size: u32,
    weight: u32,
    fill: &'a str,
}

impl<'a> Font<'a> {
    fn regular(size: u32, fill: &'a str) -> Self {
        Font {
            size,
            weight: 400,
            fill,
        }
    }

    fn semibold(size: u32, fill: &'a str) -> Self {
        Font {
            size,
            weight: 600,
            fill,
        }
    }
}

/// One `<text>` element. Each carries its own font and colour so a rasteriser without CSS
/// draws it as a browser does.
fn text(
    out: &mut String,
    class: &str,
    (x, y): (u32, u32),
    anchor: Anchor,
    font: Font<'_>,
    content: &str,
) -> fmt::Result {
    let anchor = match anchor {
        Anchor::Start => "start",
        Anchor::Middle => "middle",
        Anchor::End => "end",
    };
    let Font { size, weight, fill } = font;
    write!(
        out,
        r#"<text class="{class}" x="{x}" y="{y}" text-anchor="{anchor}" font-family="{FONT_FAMILY}" font-size="{size}" font-weight="{weight}" fill="{}">{}</text>"#,
        Esc(fill),
        Esc(content)
    )
}

/// Text made safe for XML content and attribute values: the five markup characters become
/// entities, and control characters (which XML 1.0 forbids or folds) become spaces.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&apos;")?,
                c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => f.write_char(' ')?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// `value`'s share of `max_px`, rounded to a whole pixel. It divides before it multiplies
/// so that no amount, however large, overflows `Decimal`.
fn scale(value: Decimal, max: Decimal, max_px: u32) -> u32 {
    if value <= Decimal::ZERO || max <= Decimal::ZERO {
        return 0;
    }
    let share = value
        .checked_div(max)
        .unwrap_or(Decimal::ONE)
        .min(Decimal::ONE);
    (share * Decimal::from(max_px))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_u32()
        .unwrap_or(max_px)
        .min(max_px)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Width of a character in narrow units: East Asian wide characters and emoji take two,
/// combining marks and joiners none. An estimate, as the module measures no fonts.
fn char_units(c: char) -> u32 {
    match u32::from(c) {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

fn units(s: &str) -> u32 {
    s.chars().map(char_units).fold(0, u32::saturating_add)
}

/// Estimated width in pixels at `size`: 7.5 px per narrow character at 13 px, rounded up.
fn text_px(s: &str, size: u32) -> u32 {
    units(s).saturating_mul(size * 15).div_ceil(26)
}

/// `s` cut to at most `max_units`, ending in "…" when anything was cut.
fn truncate(s: &str, max_units: u32) -> String {
    if units(s) <= max_units {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_units(c);
        if used + w + 1 > max_units {
            break;
        }
        used += w;
        out.push(c);
    }
    // A space or a joiner before the ellipsis would look like a mistake.
    let kept = out
        .trim_end_matches(|c: char| c.is_whitespace() || c == '\u{200D}')
        .len();
    out.truncate(kept);
    out.push('…');
    out
}

/// The bars' labels, each cut to `max_units`.
fn cut_labels(bars: &[Bar], max_units: u32) -> Vec<String> {
    bars.iter()
        .map(|bar| truncate(bar.label.trim(), max_units))
        .collect()
}

/// The estimated width of the widest of `texts` at `size`.
fn widest(texts: &[String], size: u32) -> u32 {
    texts.iter().map(|t| text_px(t, size)).max().unwrap_or(0)
}

/// `s` cut to fit `px` pixels at `size`.
fn fit(s: &str, px: u32, size: u32) -> String {
    truncate(s, px * 26 / (size * 15))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("Entertainment & leisure", 14), "Entertainment…");
        assert_eq!(truncate("Groceries", 14), "Groceries");
        assert_eq!(truncate("Eating out and more", 14), "Eating out an…");
        assert_eq!(truncate("Books and bits", 14), "Books and bits");
        assert_eq!(truncate("Bills and rent!", 14), "Bills and ren…");
        assert_eq!(units(&truncate("食費と日用品とその他の出費", 14)), 13);
    }

    #[test]
    fn scaling_rounds_to_whole_pixels_without_overflow() {
        assert_eq!(scale(Decimal::new(1, 0), Decimal::new(3, 0), 100), 33);
        assert_eq!(scale(Decimal::new(2, 0), Decimal::new(3, 0), 100), 67);
        assert_eq!(scale(Decimal::MAX, Decimal::MAX, 640), 640);
        assert_eq!(scale(Decimal::new(-5, 0), Decimal::new(3, 0), 100), 0);
    }
}
