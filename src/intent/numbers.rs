//! Reading amounts: digits with either decimal convention (`3.50`, `3,50`, `1,200`,
//! `1.200,50`), glued multipliers (`1.5k`, `1L`), scale words (`2 grand`, `1 lakh`) and
//! number words (`twenty five`, `ten cents`).

use rust_decimal::Decimal;

/// Reads the digits part of a number token. `dot_thousands` makes `1.200` one thousand two
/// hundred (Spanish, German); otherwise a lone dot is a decimal point.
pub(crate) fn parse_digits(text: &str, dot_thousands: bool) -> Option<Decimal> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if body.is_empty() || body.contains([':', '/', '-']) || body.len() > 40 {
        return None;
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let digits_after = |sep: char| body.rsplit(sep).next().map_or(0, str::len);
    let canonical: String = match (dots, commas) {
        (0, 0) => body.to_owned(),
        (_, 0) if dots > 1 => body.replace('.', ""),
        (1, 0) if dot_thousands && digits_after('.') == 3 => body.replace('.', ""),
        (1, 0) => body.to_owned(),
        (0, _) if commas > 1 => body.replace(',', ""),
        (0, 1) if digits_after(',') == 3 && !body.starts_with("0,") => body.replace(',', ""),
        (0, 1) => body.replace(',', "."),
        _ => {
            // Both separators: the last one is the decimal point.
            let last_dot = body.rfind('.').unwrap_or(0);
            let last_comma = body.rfind(',').unwrap_or(0);
            if last_dot > last_comma {
                body.replace(',', "")
            } else {
                body.replace('.', "").replace(',', ".")
            }
        }
    };
    if canonical.matches('.').count() > 1 {
        return None;
    }
    let value = Decimal::from_str_exact(&canonical).ok()?;
    Some(if negative { -value } else { value })
}

/// Multiplier letters glued to digits (`k`, `m`, `l`, `bn`, `cr`).
pub(crate) fn glued_scale(suffix: &str) -> Option<Decimal> {
    match suffix {
        "k" => Some(Decimal::from(1_000)),
        "m" | "mn" | "mm" => Some(Decimal::from(1_000_000)),
        "b" | "bn" => Some(Decimal::from(1_000_000_000)),
        "l" | "lac" | "lakh" | "lakhs" => Some(Decimal::from(100_000)),
        "cr" | "crore" | "crores" => Some(Decimal::from(10_000_000)),
        _ => None,
    }
}

/// Accumulates number words: `two thousand five hundred and six` → 2506. A number too large
/// for a `Decimal` saturates at `Decimal::MAX`, which the money checks refuse as too large:
/// no word, however often repeated, can make the arithmetic panic.
#[derive(Debug, Default)]
pub(crate) struct WordNumber {
    total: Decimal,
    current: Decimal,
    pub(crate) any: bool,
}

impl WordNumber {
    pub(crate) fn add(&mut self, value: u32) {
        self.current = self.current.saturating_add(Decimal::from(value));
        self.any = true;
    }

    /// `hundred` multiplies the part being built; `thousand` and larger close it.
    pub(crate) fn scale(&mut self, factor: Decimal) {
        if self.current.is_zero() {
            self.current = Decimal::ONE;
        }
        if factor < Decimal::from(1000) {
            self.current = self.current.saturating_mul(factor);
        } else {
            self.total = self
                .total
                .saturating_add(self.current.saturating_mul(factor));
            self.current = Decimal::ZERO;
        }
        self.any = true;
    }

    pub(crate) fn value(&self) -> Decimal {
        self.total.saturating_add(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        parse_digits(s, false).map(|d| d.normalize().to_string())
    }

    #[test]
    fn both_decimal_conventions_are_read() {
        assert_eq!(p("12"), Some("12".into()));
        assert_eq!(p("3.50"), Some("3.5".into()));
        assert_eq!(p("3,50"), Some("3.5".into()));
        assert_eq!(p("1,200"), Some("1200".into()));
        assert_eq!(p("1.200,50"), Some("1200.5".into()));
        assert_eq!(p("1,200.50"), Some("1200.5".into()));
        assert_eq!(p("1,234,567"), Some("1234567".into()));
        assert_eq!(p("1.234.567"), Some("1234567".into()));
        assert_eq!(p("0,500"), Some("0.5".into()));
        assert_eq!(p("-5"), Some("-5".into()));
        assert_eq!(
            parse_digits("1.200", true).map(|d| d.to_string()),
            Some("1200".into())
        );
        assert_eq!(p("1.200"), Some("1.2".into()));
        assert_eq!(p("10/31"), None);
        assert_eq!(p("99999999999999999999999999999999"), None);
    }

    #[test]
    fn number_words_accumulate() {
        let mut n = WordNumber::default();
        n.add(2);
        n.scale(Decimal::from(1000));
        n.add(5);
        n.scale(Decimal::from(100));
        n.add(6);
        assert_eq!(n.value(), Decimal::from(2506));
        let mut a = WordNumber::default();
        a.scale(Decimal::from(100));
        assert_eq!(a.value(), Decimal::from(100));
    }
}
