//! Exact money: a `rust_decimal` amount and an ISO 4217 currency. Amounts are stored as an
//! integer count of the currency's minor unit, so every conversion between the two lives here.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// The largest amount a single entry or limit may carry (one trillion).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// An ISO 4217 currency code, three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses an ISO 4217 code, in any case (`usd`, `EUR`); `None` for three letters that name
    /// no currency. The list is the `iso_currency` crate's, the one list of the project.
    pub fn parse(code: &str) -> Option<Self> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let upper = [
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ];
        let currency = Self(upper);
        iso_currency::Currency::from_code(currency.code()).map(|_| currency)
    }

    /// The code as text, e.g. `"EUR"`.
    pub fn code(&self) -> &str {
        // The bytes are checked ASCII letters, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many decimal places the currency's minor unit has (cents: 2, yen: 0, dinar: 3,
    /// Unidad de Fomento: 4), from ISO 4217; 2 for a code without one (gold, funds).
    pub fn minor_digits(&self) -> u32 {
        iso_currency::Currency::from_code(self.code())
            .and_then(iso_currency::Currency::exponent)
            .map_or(2, u32::from)
    }

    /// The United States dollar, the built-in default.
    pub const USD: Currency = Currency(*b"USD");
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| MoneyError::UnknownCurrency(s.chars().take(16).collect()))
    }
}

/// Why an amount cannot be money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("the amount is too large (the most is 1,000,000,000,000)")]
    TooLarge,
    #[error("{0:?} is not a currency code")]
    UnknownCurrency(String),
}

/// A positive amount in one currency, rounded to the currency's minor unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Builds money from a parsed amount: refuses zero, negative and absurd amounts, and rounds
    /// to the currency's minor unit (half away from zero, as shops do).
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let amount = amount.round_dp_with_strategy(
            currency.minor_digits(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        if amount <= Decimal::ZERO {
            return Err(MoneyError::NotPositive);
        }
        if amount > MAX_AMOUNT {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self { amount, currency })
    }

    /// Rebuilds money from the integer count of minor units the database keeps.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self {
            amount: Decimal::new(minor, currency.minor_digits()),
            currency,
        }
    }

    /// The amount as an integer count of minor units (cents), as the database keeps it.
    pub fn minor_units(&self) -> i64 {
        minor_units(self.amount, self.currency)
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// Converts any decimal to minor units of `currency`, rounding to the unit. Saturates instead of
/// overflowing; amounts are bounded by [`MAX_AMOUNT`] long before that matters.
pub(crate) fn minor_units(amount: Decimal, currency: Currency) -> i64 {
    let scaled = (amount * Decimal::from(10_i64.pow(currency.minor_digits())))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(scaled).unwrap_or(if scaled.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Formats an amount with the currency's minor digits and thousands separators: `1,200.50`.
pub fn format_amount(amount: Decimal, currency: Currency) -> String {
    let digits = currency.minor_digits();
    let rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", digits as usize, rounded.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3 + 1);
    if rounded.is_sign_negative() && !rounded.is_zero() {
        grouped.push('-');
    }
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if !frac.is_empty() {
        grouped.push('.');
        grouped.push_str(frac);
    }
    grouped
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            format_amount(self.amount, self.currency),
            self.currency
        )
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_4217_with_its_minor_units() {
        assert_eq!(Currency::parse("clf").map(|c| c.minor_digits()), Some(4));
        assert_eq!(Currency::parse("KWD").map(|c| c.minor_digits()), Some(3));
        assert_eq!(Currency::parse("jpy").map(|c| c.minor_digits()), Some(0));
        assert!(Currency::parse("ZWG").is_some());
        assert_eq!(Currency::parse("ABC"), None);
        assert_eq!(Currency::parse("usdx"), None);
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).expect("test decimal")
    }

    #[test]
    fn max_amount_is_one_trillion() {
        assert_eq!(MAX_AMOUNT, dec("1000000000000"));
    }

    #[test]
    fn money_round_trips_through_minor_units() {
        let eur = Currency::parse("eur").expect("eur");
        let m = Money::new(dec("1200.5"), eur).expect("valid");
        assert_eq!(m.minor_units(), 120050);
        assert_eq!(Money::from_minor(120050, eur), m);
        let jpy = Currency::parse("JPY").expect("jpy");
        assert_eq!(
            Money::new(dec("1500"), jpy).expect("valid").minor_units(),
            1500
        );
        let kwd = Currency::parse("KWD").expect("kwd");
        assert_eq!(
            Money::new(dec("1.234"), kwd).expect("valid").minor_units(),
            1234
        );
    }

    #[test]
    fn zero_negative_and_huge_amounts_are_refused() {
        assert_eq!(
            Money::new(Decimal::ZERO, Currency::USD),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::new(dec("-5"), Currency::USD),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::new(dec("0.001"), Currency::USD),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::new(dec("1000000000000.01"), Currency::USD),
            Err(MoneyError::TooLarge)
        );
        assert!(Money::new(dec("1000000000000"), Currency::USD).is_ok());
    }

    #[test]
    fn amounts_are_formatted_with_grouping_and_minor_digits() {
        assert_eq!(format_amount(dec("1200.5"), Currency::USD), "1,200.50");
        assert_eq!(format_amount(dec("12"), Currency::USD), "12.00");
        assert_eq!(format_amount(dec("-3.5"), Currency::USD), "-3.50");
        assert_eq!(
            format_amount(dec("1234567"), Currency::parse("JPY").expect("jpy")),
            "1,234,567"
        );
        assert_eq!(format_amount(dec("999"), Currency::USD), "999.00");
    }

    #[test]
    fn currency_codes_are_three_letters() {
        assert!(Currency::parse("US").is_none());
        assert!(Currency::parse("U$D").is_none());
        assert_eq!(
            Currency::parse(" chf ").map(|c| c.to_string()),
            Some("CHF".into())
        );
    }
}
