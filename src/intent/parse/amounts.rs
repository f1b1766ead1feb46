//! Amounts: digits and number words, their currencies, scales and minor units, counts and
//! unit prices, clock times that are not money, and which number of an item is its price.

use super::*;

/// An amount found in the text.
#[derive(Debug, Clone, Default)]
pub(super) struct Amount {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) value: Decimal,
    pub(super) currency: Option<Currency>,
    /// The currency came from a word or code, not from an ambiguous sign like `$`.
    pub(super) strong: bool,
    /// `2 coffees`: a small count right before a noun.
    pub(super) quantity: bool,
    /// `6 each`, `at 6`: a unit price.
    pub(super) unit_price: bool,
    /// `2 x 3.50`: already a count times a price.
    pub(super) product: bool,
    /// `5 cents`, `50 sen`: counted in the minor unit.
    pub(super) minor: bool,
    /// `2 gifts`: a count before a plural, no price.
    pub(super) count_only: bool,
}

/// Every amount of the message, in order; their tokens are marked used.
pub(super) fn find_amounts(toks: &mut [Tok], lex: &Lexicon, common: &Common) -> Vec<Amount> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let number = if toks[i].used {
            None
        } else {
            read_number(toks, i, lex)
        };
        let Some(number) = number else {
            i += 1;
            continue;
        };
        // `20%` is not money.
        if toks.get(number.last + 1).is_some_and(|n| n.t.norm == "%") {
            for t in &mut toks[i..=number.last + 1] {
                t.used = true;
            }
            i = number.last + 2;
            continue;
        }
        let a = amount_at(toks, i, &number, lex, common);
        for t in &mut toks[a.first..=a.last] {
            t.used = true;
        }
        i = a.last + 1;
        found.push(a);
    }
    found
}

/// The amount a number at `i` starts: its scale words, count words, factor, currency, minor
/// units and whether it is a unit price or a count.
fn amount_at(toks: &[Tok], i: usize, n: &Number, lex: &Lexicon, common: &Common) -> Amount {
    let mut a = Amount {
        first: i,
        last: n.last,
        value: n.value,
        currency: n.currency,
        strong: n.strong,
        minor: n.minor,
        ..Amount::default()
    };
    add_scales(toks, &mut a, lex);
    if let Some(count) = measured(toks, i, &a, lex) {
        return count;
    }
    times_factor(toks, &mut a, n.glued_x, lex);
    attach_currency(toks, i, &mut a);
    words_of_cents(toks, &mut a);
    price_marks(toks, &mut a);
    counts(toks, i, &mut a, n.glued_x);
    // `25.000` in rupiah or won is twenty-five thousand.
    let t = &toks[i].t;
    let dotted = t.kind == Kind::Number
        && t.suffix.is_empty()
        && t.norm.contains('.')
        && !t.norm.contains(',');
    if dotted
        && a.currency
            .is_some_and(|c| common.dot_thousands.contains(&c))
        && !lex.dot_thousands
    {
        if let Some(v) = parse_digits(&t.norm, true) {
            a.value = v;
        }
    }
    a
}

/// Scale and fraction words: `2 grand`, `1 lakh`, `ten cents`, and digits after a scale word
/// that add up (`2 thousand 500`, `২ হাজার ৫০০`).
fn add_scales(toks: &[Tok], a: &mut Amount, lex: &Lexicon) {
    while let Some(s) = toks
        .get(a.last + 1)
        .filter(|n| !n.used)
        .and_then(Tok::scale)
    {
        a.value = a.value.saturating_mul(s);
        a.minor |= s < Decimal::ONE;
        a.last += 1;
        if s > Decimal::ONE {
            let rest = toks
                .get(a.last + 1)
                .filter(|n| !n.used && n.t.kind == Kind::Number && n.t.suffix.is_empty())
                .and_then(|n| parse_digits(&n.t.norm, lex.dot_thousands))
                .filter(|r| *r < s && !r.is_zero());
            if let Some(r) = rest {
                a.value = a.value.saturating_add(r);
                a.last += 1;
            }
        }
    }
}

/// `2 kg`, `২টা`, `1 dozen`: a count of things, not money. It stays as a count for a unit price
/// (`৩টা ডিম ১২ টাকা করে`), else it is no price at all.
fn measured(toks: &[Tok], i: usize, a: &Amount, lex: &Lexicon) -> Option<Amount> {
    let glued = is_measure(lex, &toks[i].t.suffix);
    let word = toks
        .get(a.last + 1)
        .is_some_and(|n| !n.used && n.t.kind == Kind::Word && n.has(Role::Measure));
    if toks[i].t.kind != Kind::Number || !(glued || word) || a.currency.is_some() || a.strong {
        return None;
    }
    Some(Amount {
        first: i,
        last: if glued { a.last } else { a.last + 1 },
        value: a.value,
        quantity: true,
        count_only: true,
        ..Amount::default()
    })
}

/// `2 x 3.50`, `2x3.50`, `3 × 4`, `2 * 3.5`: a count times a price is the amount.
fn times_factor(toks: &[Tok], a: &mut Amount, glued_x: bool, lex: &Lexicon) {
    let times = |t: &Tok| !t.used && matches!(t.t.norm.as_str(), "x" | "*" | "×");
    let factor_at = if glued_x {
        Some(a.last + 1)
    } else {
        toks.get(a.last + 1)
            .filter(|t| times(t))
            .map(|_| a.last + 2)
    };
    let Some(k) = factor_at else {
        return;
    };
    let factor = toks
        .get(k)
        .filter(|n| !n.used && n.t.kind == Kind::Number && n.t.suffix.is_empty())
        .and_then(|n| parse_digits(&n.t.norm, lex.dot_thousands));
    if let Some(f) = factor {
        a.value = a.value.saturating_mul(f);
        a.last = k;
        a.product = true;
    }
}

/// The currency after the number (`12 euros`, `200 danish kroner`, `a couple of bucks`) or
/// before it (`$12`, `danish kroner 200`), and a code that settles a sign (`$12 usd`).
fn attach_currency(toks: &[Tok], i: usize, a: &mut Amount) {
    if a.currency.is_none() && !a.strong {
        // `a couple of bucks`: a little word may stand between a number word and money.
        let gap = usize::from(
            toks[i].t.kind == Kind::Word
                && toks
                    .get(a.last + 1)
                    .is_some_and(|t| !t.used && t.has(Role::Stop))
                && toks
                    .get(a.last + 2)
                    .is_some_and(|t| t.currency_phrase().is_some() || t.has(Role::Money)),
        );
        let after = a.last + 1 + gap;
        if let Some((c, len)) = toks
            .get(after)
            .filter(|n| !n.used)
            .and_then(Tok::currency_phrase)
        {
            a.strong = toks[after].t.kind != Kind::Symbol;
            a.currency = Some(c);
            a.last = after + len - 1;
        } else if toks
            .get(after)
            .is_some_and(|n| !n.used && n.has(Role::Money))
        {
            // `20 bucks`: money in the person's own currency.
            a.strong = true;
            a.last = after;
        } else if let Some((c, at)) = currency_before(toks, i) {
            a.strong = toks[at].t.kind != Kind::Symbol;
            a.currency = Some(c);
            a.first = at;
        }
    }
    if a.currency.is_some() && !a.strong {
        if let Some(c) = toks
            .get(a.last + 1)
            .filter(|n| !n.used && n.t.kind == Kind::Word)
            .and_then(Tok::currency)
        {
            a.currency = Some(c);
            a.strong = true;
            a.last += 1;
        }
    }
}

/// `10 dollars and 50 cents`: the minor units said in words after the amount.
fn words_of_cents(toks: &[Tok], a: &mut Amount) {
    let (Some(join), Some(cents), Some(unit)) = (
        toks.get(a.last + 1),
        toks.get(a.last + 2),
        toks.get(a.last + 3),
    ) else {
        return;
    };
    let fraction = unit.find(|r| {
        if let Role::Fraction(f) = r {
            Some(f)
        } else {
            None
        }
    });
    let count = match cents.t.kind {
        Kind::Number if cents.t.suffix.is_empty() => parse_digits(&cents.t.norm, false),
        _ => cents.number_word().map(Decimal::from),
    };
    if let (true, Some(c), Some(f)) = (
        join.has(Role::NumberJoin) && !cents.used && !unit.used,
        count,
        fraction,
    ) {
        a.value = a.value.saturating_add(c.saturating_mul(f));
        a.last += 3;
    }
}

/// `6 each`, `at 6`: a unit price.
fn price_marks(toks: &[Tok], a: &mut Amount) {
    if toks
        .get(a.last + 1)
        .is_some_and(|n| !n.used && n.has(Role::Each))
    {
        a.unit_price = true;
        a.last += 1;
    }
    let before = a.first.checked_sub(1).map(|b| &toks[b]);
    if before.is_some_and(|b| !b.used && b.has(Role::PriceAt) && b.t.norm != "for") {
        a.unit_price = true;
    }
}

/// `2 coffees`: a small whole number right before a noun is a count; before a plural, with
/// no currency, it is a count and no price (`2 gifts`, while `30 groceries` costs).
fn counts(toks: &[Tok], i: usize, a: &mut Amount, glued_x: bool) {
    let next = toks.get(a.last + 1);
    let next_is_noun = next.is_some_and(|n| {
        !n.used
            && n.t.kind == Kind::Word
            && !n.is_filler()
            && n.currency().is_none()
            && n.scale().is_none()
            && !n.has(Role::Each)
    });
    a.quantity = a.currency.is_none()
        && !a.strong
        && !a.unit_price
        && !a.product
        && a.value.fract().is_zero()
        && a.value > Decimal::ZERO
        && a.value < Decimal::from(100)
        && (next_is_noun || glued_x);
    let plural_next = next.is_some_and(|n| {
        n.t.norm.chars().count() > 3 && n.t.norm.ends_with('s') && n.t.start > toks[a.last].t.end
    });
    a.count_only =
        a.quantity && plural_next && toks[i].t.kind == Kind::Number && a.value <= Decimal::from(12);
}

/// A number as read at one place of the text.
#[derive(Debug, Default)]
pub(super) struct Number {
    pub(super) value: Decimal,
    /// The last token it takes.
    pub(super) last: usize,
    pub(super) currency: Option<Currency>,
    /// A currency or money word was glued to it (`12eur`, `20bucks`).
    pub(super) strong: bool,
    /// `2x`: a count glued to a times sign.
    pub(super) glued_x: bool,
    /// `60c`: counted in the minor unit.
    pub(super) minor: bool,
}

/// Whether letters glued to a number are a measure (`500gm`, `২টা`).
pub(super) fn is_measure(lex: &Lexicon, suffix: &str) -> bool {
    !suffix.is_empty()
        && lex.phrases.get(suffix).is_some_and(|e| {
            e.iter()
                .any(|(rest, r)| rest.is_empty() && *r == Role::Measure)
        })
}

/// A currency phrase that ends right before token `i` (`danish kroner 200`, `$12`): the
/// currency and where the phrase starts.
pub(super) fn currency_before(toks: &[Tok], i: usize) -> Option<(Currency, usize)> {
    (i.saturating_sub(3)..i).find_map(|k| {
        let t = &toks[k];
        let (c, len) = t.currency_phrase()?;
        (k + len == i && toks[k..i].iter().all(|t| !t.used)).then_some((c, k))
    })
}

/// Reads digits (with glued letters) or number words at `i`.
pub(super) fn read_number(toks: &[Tok], i: usize, lex: &Lexicon) -> Option<Number> {
    match toks[i].t.kind {
        Kind::Number => digits_at(&toks[i], i, lex),
        Kind::Word => words_at(toks, i),
        _ => None,
    }
}

/// Digits and the letters glued to them: `1.5k`, `2x`, `12eur`, `20bucks`, `60c`.
fn digits_at(t: &Tok, i: usize, lex: &Lexicon) -> Option<Number> {
    let mut n = Number {
        value: parse_digits(&t.t.norm, lex.dot_thousands)?,
        last: i,
        ..Number::default()
    };
    let suffix = t.t.suffix.as_str();
    if suffix.is_empty() {
        return Some(n);
    }
    if let Some(s) = glued_scale(suffix) {
        n.value = n.value.saturating_mul(s);
    } else if suffix == "x" {
        n.glued_x = true;
    } else if let Some(entries) = lex.phrases.get(suffix) {
        for (_, role) in entries.iter().filter(|(rest, _)| rest.is_empty()) {
            match role {
                Role::Currency(c) => {
                    n.currency = Some(*c);
                    n.strong = true;
                }
                Role::Money => n.strong = true,
                Role::Scale(s) => n.value = n.value.saturating_mul(*s),
                Role::Fraction(s) => {
                    n.value = n.value.saturating_mul(*s);
                    n.minor = true;
                }
                _ => {}
            }
        }
    }
    Some(n)
}

/// Number words from `i`: `twenty five`, `one hundred and five`, `soixante-dix`, `a thousand`,
/// `vinte e um`; `twelve fifty` is 12.50.
fn words_at(toks: &[Tok], i: usize) -> Option<Number> {
    let mut n = WordNumber::default();
    let mut j = i;
    let mut last = None;
    // The value of the number word just before, when nothing scaled it since.
    let mut previous: Option<u32> = None;
    // A hyphen or a joiner came between: the next word adds up, it is no cents.
    let mut linked = false;
    let mut joined = false;
    while let Some(w) = toks.get(j).filter(|w| !w.used) {
        let next_is_number = toks.get(j + 1).is_some_and(|x| x.number_word().is_some());
        if let Some(v) = w.number_word() {
            // `twelve fifty`, `one fifty`: dollars and cents, said as two numbers.
            if previous.is_some() && v >= 10 && !linked {
                let value = n
                    .value()
                    .saturating_add(Decimal::from(v) / Decimal::from(100));
                return Some(Number {
                    value,
                    last: j,
                    ..Number::default()
                });
            }
            n.add(v);
            previous = Some(v);
            linked = false;
            joined = false;
        } else if let Some(s) = w.find(|r| {
            if let Role::Scale(s) = r {
                Some(s)
            } else {
                None
            }
        }) {
            // `mil pesos`, `grand`: a scale word alone is one of it.
            let alone = !n.any && j == i;
            if alone && (s < Decimal::from(1000) || w.t.norm.chars().count() < 3) {
                return None;
            }
            n.scale(s);
            previous = None;
        } else if w.t.norm == "-" && previous.is_some() && next_is_number {
            // `twenty-five`, `soixante-dix`
            linked = true;
        } else if w.has(Role::Article) && j == i && toks.get(j + 1).and_then(Tok::scale).is_some() {
            n.add(1);
        } else if w.has(Role::NumberJoin)
            && n.any
            && last.is_some()
            && (next_is_number || toks.get(j + 1).is_some_and(|x| x.has(Role::Article)))
        {
            // `one hundred and five`, `duzentos e cinquenta`, `vinte e um`
            linked = true;
            joined = true;
        } else if joined && w.has(Role::Article) {
            // `vinte e um`: the article after the joiner is one.
            n.add(1);
            joined = false;
        } else {
            break;
        }
        last = Some(j);
        j += 1;
    }
    (n.any).then(|| Number {
        value: n.value(),
        last: last.unwrap_or(i),
        ..Number::default()
    })
}

/// What the amount of one item is, from the numbers found in its words.
pub(super) fn choose(amounts: &[&Amount]) -> (Option<Decimal>, Option<Currency>, Vec<Decimal>) {
    if let Some(p) = amounts.iter().find(|a| a.product) {
        return (Some(p.value), p.currency, Vec::new());
    }
    if let Some(unit) = amounts.iter().find(|a| a.unit_price) {
        let count = amounts
            .iter()
            .find(|a| a.quantity)
            .map_or(Decimal::ONE, |q| q.value);
        return (
            Some(unit.value.saturating_mul(count)),
            unit.currency,
            Vec::new(),
        );
    }
    let pick = |a: &Amount| (Some(a.value), a.currency, Vec::new());
    match amounts {
        [] => return (None, None, Vec::new()),
        [one] => return pick(one),
        _ => {}
    }
    let with_currency: Vec<&&Amount> = amounts.iter().filter(|a| a.currency.is_some()).collect();
    if let [one] = with_currency.as_slice() {
        return pick(one);
    }
    let prices: Vec<&&Amount> = amounts.iter().filter(|a| !a.quantity).collect();
    if let [one] = prices.as_slice() {
        return pick(one);
    }
    (None, None, amounts.iter().map(|a| a.value).collect())
}

/// `12 dollars 5 cents`, `$7 and 60 cents`, `5 ringgit 50 sen`: an amount in a currency and
/// the minor units right after it (an `and` between allowed) are one amount.
pub(super) fn join_major_minor(toks: &mut [Tok], amounts: &mut Vec<Amount>) {
    let mut i = 0;
    while i + 1 < amounts.len() {
        let (a, b) = (&amounts[i], &amounts[i + 1]);
        let gap = b.first.saturating_sub(a.last + 1);
        let joined = gap == 0
            || (gap == 1
                && (toks[a.last + 1].has(Role::NumberJoin) || toks[a.last + 1].has(Role::Stop)));
        // `um real e cinquenta`, `12 reais e 50`: a bare count after a sum of money and a
        // joiner, ending the message, is its cents.
        let bare_cents = a.strong
            && a.currency.is_some()
            && (gap == 0 || (gap == 1 && toks[a.last + 1].has(Role::NumberJoin)))
            && b.currency.is_none()
            && !b.minor
            && b.value.fract().is_zero()
            && b.value > Decimal::ZERO
            && b.value < Decimal::from(100)
            && i + 2 == amounts.len()
            && toks[b.last + 1..].iter().all(|t| t.used || t.is_filler());
        if bare_cents {
            amounts[i + 1].value = b.value / Decimal::from(100);
            amounts[i + 1].minor = true;
        }
        let (a, b) = (&amounts[i], &amounts[i + 1]);
        if a.currency.is_some() && !a.minor && b.minor && b.value < Decimal::ONE && joined {
            let value = a.value.saturating_add(b.value);
            let last = b.last;
            for t in &mut toks[a.last + 1..b.first] {
                t.used = true;
            }
            amounts[i].value = value;
            amounts[i].last = last;
            amounts.remove(i + 1);
        }
        i += 1;
    }
}

/// `a quid for the bus`, `a buck for gum`, `one euro`: an article before a currency word is
/// one of it.
pub(super) fn article_amount(toks: &mut [Tok]) -> Option<Amount> {
    let i = toks.windows(2).position(|w| {
        !w[0].used
            && !w[1].used
            && w[0].has(Role::Article)
            && (w[1].currency().is_some() || w[1].has(Role::Money))
    })?;
    let currency = toks[i + 1].currency();
    toks[i].used = true;
    toks[i + 1].used = true;
    Some(Amount {
        first: i,
        last: i + 1,
        value: Decimal::ONE,
        currency,
        strong: true,
        quantity: false,
        unit_price: false,
        product: false,
        minor: false,
        count_only: false,
    })
}

/// Whether an amount is a clock time: `at 9`, a whole hour without a currency.
pub(super) fn is_clock_time(toks: &[Tok], a: &Amount) -> bool {
    a.currency.is_none()
        && a.value.fract().is_zero()
        && a.value >= Decimal::ONE
        && a.value <= Decimal::from(12)
        && (1..=3)
            .any(|len| a.first >= len && toks[a.first - len].len_of(Role::ClockAt) == Some(len))
}

/// Takes clock times out of the amounts: `coffee 4 at 9` costs 4. A time stays a unit price
/// after a count (`2 coffees at 4` is 8). Returns whether the only number is a time (the
/// message is talk then, unless it names something bought).
pub(super) fn drop_clock_times(toks: &[Tok], amounts: &mut Vec<Amount>) -> bool {
    let counted = amounts.iter().any(|a| a.quantity);
    if let [only] = amounts.as_slice() {
        return is_clock_time(toks, only);
    }
    if !counted && amounts.len() > 1 {
        let before = amounts.len();
        amounts.retain(|a| !is_clock_time(toks, a));
        if amounts.is_empty() || amounts.len() == before {
            return false;
        }
        for a in amounts.iter_mut() {
            a.unit_price = false;
        }
    }
    false
}
