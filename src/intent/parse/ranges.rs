//! Ranges and guesses (`between 10 and 20`, `$10-20`, `10 or 12`): no amount, but the bot
//! asks which, offering both.

use super::*;

/// `between 10 and 20`, `10 to 20`, `10 - 20`, `$10-20`: two amounts given as a
/// range or a guess. The expense has no amount then (the bot asks which, offering both); its
/// currency, category and note stay.
pub(super) fn range_guess(
    toks: &mut [Tok],
    amounts: &[Amount],
    text: &str,
    date: Option<NaiveDate>,
) -> Option<Intent> {
    let (low, high, spans) = separate_range(toks, amounts).or_else(|| glued_range(toks))?;
    // A guess spans a little: `10-20`, not `11-2026` (a month) or `1-100`.
    if low <= Decimal::ZERO || high <= low || high > low.saturating_mul(Decimal::TEN) {
        return None;
    }
    let currency = spans
        .clone()
        .filter_map(|i| toks.get(i).and_then(Tok::currency))
        .chain(amounts.iter().filter_map(|a| a.currency))
        .next();
    for t in &mut toks[spans] {
        t.used = true;
    }
    mark(toks, |t| t.has(Role::ExpenseVerb));
    let len = toks.len();
    let mut it = item(toks, &[], text, 0..len);
    it.currency = it.currency.or(currency);
    it.candidates = vec![low, high];
    Some(Intent::AddExpense {
        items: vec![it],
        date,
    })
}

/// Two separate amounts joined by a dash, or by a range word after `between` or `from`: the
/// low, the high, and the tokens they span (from the `between`).
pub(super) fn separate_range(
    toks: &[Tok],
    amounts: &[Amount],
) -> Option<(Decimal, Decimal, std::ops::Range<usize>)> {
    amounts.windows(2).find_map(|pair| {
        let (a, b) = (&pair[0], &pair[1]);
        if b.first != a.last + 2 {
            return None;
        }
        let joiner = &toks[a.last + 1];
        let opened = a.first > 0 && toks[a.first - 1].has(Role::RangeFrom);
        let dash = matches!(joiner.t.norm.as_str(), "-" | "–");
        // A word joins a range only after `between`/`from`, or between two sums of money
        // (`$15 to $20`): `10 and 5` are two items. `10 or 12` is a guess.
        let both_money = a.currency.is_some() && b.currency.is_some();
        let word =
            (joiner.has(Role::RangeTo) && (opened || both_money)) || joiner.has(Role::Alternative);
        let ranged = dash || word;
        let start = if opened { a.first - 1 } else { a.first };
        ranged.then_some((a.value, b.value, start..b.last + 1))
    })
}

/// One number token written as a range: `10-20`.
pub(super) fn glued_range(toks: &[Tok]) -> Option<(Decimal, Decimal, std::ops::Range<usize>)> {
    toks.iter().enumerate().find_map(|(i, t)| {
        if t.used || t.t.kind != Kind::Number {
            return None;
        }
        let (low, high) = t.t.norm.split_once('-')?;
        let low: Decimal = low.parse().ok()?;
        let high: Decimal = high.parse().ok()?;
        let start = i.saturating_sub(usize::from(i > 0 && toks[i - 1].t.kind == Kind::Symbol));
        Some((low, high, start..i + 1))
    })
}
