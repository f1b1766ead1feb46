//! From tokens to an [`Intent`]: mark dates, read amounts, look for the words that say what
//! the message wants, then build the items with their category and note. Pure and total.

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::{NaiveDate, Weekday};
use rust_decimal::Decimal;

use super::catalogue::{Lexicon, Role, Unit};
use super::dates;
use super::lexer::{self, Kind, Token};
use super::numbers::{WordNumber, glued_scale, parse_digits};
use super::{Ask, Change, DeleteTarget, Intent, Item, LimitDraft, Query};
use crate::domain::{Category, Currency, DEFAULT_CATEGORIES, DateRange, LimitPeriod};

/// A token with what the catalogue says about it.
#[derive(Debug)]
pub(crate) struct Tok {
    pub t: Token,
    /// Roles of the phrases starting here, with the phrase length in tokens.
    pub roles: Vec<(Role, usize)>,
    /// Already taken by a date, an amount, a currency or a command word.
    pub used: bool,
    /// Its category is a guess from a misspelling, weaker than any word as written.
    pub fuzzy: bool,
}

impl Tok {
    pub(crate) fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|(r, _)| *r == role)
    }

    pub(crate) fn len_of(&self, role: Role) -> Option<usize> {
        self.roles.iter().find(|(r, _)| *r == role).map(|(_, l)| *l)
    }

    pub(crate) fn find<T>(&self, f: impl Fn(Role) -> Option<T>) -> Option<T> {
        self.roles
            .iter()
            .filter(|(_, l)| *l == 1)
            .find_map(|(r, _)| f(*r))
    }

    pub(crate) fn unit(&self) -> Option<Unit> {
        self.find(|r| if let Role::Unit(u) = r { Some(u) } else { None })
    }

    pub(crate) fn month(&self) -> Option<u32> {
        self.find(|r| {
            if let Role::Month(m) = r {
                Some(u32::from(m))
            } else {
                None
            }
        })
    }

    pub(crate) fn weekday(&self) -> Option<Weekday> {
        self.find(|r| {
            if let Role::Weekday(d) = r {
                Weekday::try_from(d).ok()
            } else {
                None
            }
        })
    }

    pub(crate) fn number_word(&self) -> Option<u32> {
        self.find(|r| {
            if let Role::NumberWord(n) = r {
                Some(n)
            } else {
                None
            }
        })
    }

    fn currency(&self) -> Option<Currency> {
        self.find(|r| {
            if let Role::Currency(c) = r {
                Some(c)
            } else {
                None
            }
        })
    }

    /// A currency word or phrase starting here (`euros`, `danish kroner`): the longest.
    fn currency_phrase(&self) -> Option<(Currency, usize)> {
        self.roles
            .iter()
            .filter_map(|(r, l)| match r {
                Role::Currency(c) => Some((*c, *l)),
                _ => None,
            })
            .max_by_key(|(_, l)| *l)
    }

    fn scale(&self) -> Option<Decimal> {
        self.find(|r| match r {
            Role::Scale(s) | Role::Fraction(s) => Some(s),
            _ => None,
        })
    }

    fn is_filler(&self) -> bool {
        matches!(self.t.kind, Kind::Sep | Kind::Punct)
            || self.roles.iter().any(|(r, l)| {
                *l == 1
                    && matches!(
                        r,
                        Role::Stop
                            | Role::PriceAt
                            | Role::Pronoun
                            | Role::RangeTo
                            | Role::On
                            | Role::In
                            | Role::Each
                            | Role::NumberJoin
                            | Role::Article
                    )
            })
    }
}

/// Language-neutral lookups from `common.toml`.
#[derive(Debug, Default)]
pub(crate) struct Common {
    pub symbols: FxHashMap<String, Currency>,
    pub iso: FxHashSet<String>,
    /// `RM`, matched as written.
    pub letter_signs: FxHashMap<String, Currency>,
    /// Currencies where `25.000` is twenty-five thousand.
    pub dot_thousands: FxHashSet<Currency>,
}

/// Which intent a slash command fixes before the words are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forced {
    Expense,
    Income,
    Limit,
    Summary,
    List,
}

fn annotate(tokens: Vec<Token>, lex: &Lexicon, common: &Common, text: &str) -> Vec<Tok> {
    let norms: Vec<String> = tokens
        .iter()
        .map(|t| {
            if t.kind == Kind::Number && !t.suffix.is_empty() {
                format!("{}{}", t.norm, t.suffix)
            } else {
                t.norm.clone()
            }
        })
        .collect();
    let mut out: Vec<Tok> = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.into_iter().enumerate() {
        let mut roles = Vec::new();
        let mut fuzzy = false;
        match t.kind {
            Kind::Word | Kind::Hashtag | Kind::Punct => {
                if let Some(entries) = lex.phrases.get(&norms[i]) {
                    for (rest, role) in entries {
                        let fits = rest.len() + i < norms.len()
                            && rest.iter().zip(&norms[i + 1..]).all(|(a, b)| a == b);
                        if rest.is_empty() || fits {
                            roles.push((*role, rest.len() + 1));
                        }
                    }
                }
                if t.kind == Kind::Word {
                    let raw = &text[t.start..t.end];
                    // `RM 12` is ringgit, `rm 12` a deletion.
                    if let Some(c) = common.letter_signs.get(raw) {
                        roles.clear();
                        roles.push((Role::Currency(*c), 1));
                    }
                    if raw.len() == 3
                        && raw.bytes().all(|b| b.is_ascii_uppercase())
                        && common.iso.contains(raw)
                    {
                        if let Some(c) = Currency::parse(raw) {
                            roles.push((Role::Currency(c), 1));
                        }
                    }
                }
                if roles.is_empty() && t.kind != Kind::Punct {
                    if let Some((role, guessed)) = category_fallback(&t.norm, lex) {
                        roles.push((role, 1));
                        fuzzy = guessed;
                    }
                }
            }
            Kind::Symbol => {
                if let Some(c) = common.symbols.get(&t.norm) {
                    roles.push((Role::Currency(*c), 1));
                }
            }
            // `☕ 4.20`: an emoji of a thing bought.
            Kind::Other => {
                let first: String = t.norm.chars().take(1).collect();
                if let Some(entries) = lex.phrases.get(&first) {
                    roles.extend(
                        entries
                            .iter()
                            .filter(|(rest, _)| rest.is_empty())
                            .map(|(_, r)| (*r, 1)),
                    );
                }
            }
            _ => {}
        }
        out.push(Tok {
            t,
            roles,
            used: false,
            fuzzy,
        });
    }
    out
}

/// Plurals and small typos of category words: `coffees`, `coffe`, `grocerys`. Says whether it
/// is a guess from a typo (the closest word wins).
fn category_fallback(word: &str, lex: &Lexicon) -> Option<(Role, bool)> {
    let is_category = |r: &Role| {
        matches!(
            r,
            Role::CategoryName(_) | Role::CategoryKeyword(_) | Role::Merchant(_)
        )
    };
    let single = |w: &str| -> Option<Role> {
        lex.phrases
            .get(w)?
            .iter()
            .find(|(rest, r)| rest.is_empty() && is_category(r))
            .map(|(_, r)| *r)
    };
    let n = word.chars().count();
    if n >= 3 {
        if let Some(stem) = word.strip_suffix("ies") {
            if let Some(r) = single(&format!("{stem}y")) {
                return Some((r, false));
            }
        }
        for suffix in ["es", "s"] {
            if let Some(r) = word.strip_suffix(suffix).and_then(single) {
                return Some((r, false));
            }
        }
    }
    if n < 4 || !word.chars().all(lexer::is_letter) {
        return None;
    }
    let max = if n >= 8 { 2 } else { 1 };
    let candidates = lex.fuzzy.get(&word.chars().next()?)?;
    // The closest word wins; one edit away is as close as a word not found exactly can be.
    let mut best: Option<(usize, Role)> = None;
    for (w, len, role) in candidates {
        if len.abs_diff(n) > max {
            continue;
        }
        let d = edit_distance(w, word, max);
        if d <= max && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, *role));
            if d <= 1 {
                break;
            }
        }
    }
    best.map(|(_, r)| (r, true))
}

/// Optimal string alignment distance, giving up early past `max`.
fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        let mut best = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
            best = best.min(cur[j]);
        }
        if best > max {
            return best;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// An amount found in the text.
#[derive(Debug, Clone)]
struct Amount {
    first: usize,
    last: usize,
    value: Decimal,
    currency: Option<Currency>,
    /// The currency came from a word or code, not from an ambiguous sign like `$`.
    strong: bool,
    /// `2 coffees`: a small count right before a noun.
    quantity: bool,
    /// `6 each`, `at 6`: a unit price.
    unit_price: bool,
    /// `2 x 3.50`: already a count times a price.
    product: bool,
    /// `5 cents`, `50 sen`: counted in the minor unit.
    minor: bool,
    /// `2 gifts`: a count before a plural, no price.
    count_only: bool,
}

fn find_amounts(toks: &mut [Tok], lex: &Lexicon, common: &Common) -> Vec<Amount> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].used {
            i += 1;
            continue;
        }
        let Some(Number {
            mut value,
            mut last,
            mut currency,
            mut strong,
            glued_x,
            mut minor,
        }) = read_number(toks, i, lex)
        else {
            i += 1;
            continue;
        };
        // `20%` is not money.
        if toks.get(last + 1).is_some_and(|n| n.t.norm == "%") {
            for t in &mut toks[i..=last + 1] {
                t.used = true;
            }
            i = last + 2;
            continue;
        }
        // Scale and fraction words: `2 grand`, `1 lakh`, `ten cents`.
        while let Some(s) = toks.get(last + 1).filter(|n| !n.used).and_then(Tok::scale) {
            value = value.checked_mul(s).unwrap_or(value);
            minor |= s < Decimal::ONE;
            last += 1;
            // `2 thousand 500`, `২ হাজার ৫০০`: digits after a scale word add up when smaller.
            if s > Decimal::ONE {
                let rest = toks
                    .get(last + 1)
                    .filter(|n| !n.used && n.t.kind == Kind::Number && n.t.suffix.is_empty())
                    .and_then(|n| parse_digits(&n.t.norm, lex.dot_thousands))
                    .filter(|r| *r < s && !r.is_zero());
                if let Some(r) = rest {
                    value += r;
                    last += 1;
                }
            }
        }
        // `2 kg`, `২টা`, `1 dozen`: a count of things, not money.
        let measured = toks[i].t.kind == Kind::Number
            && (is_measure(lex, &toks[i].t.suffix)
                || toks
                    .get(last + 1)
                    .is_some_and(|n| !n.used && n.t.kind == Kind::Word && n.has(Role::Measure)));
        if measured && currency.is_none() && !strong {
            // A count for a unit price (`৩টা ডিম ১২ টাকা করে`), else no price at all.
            let end = if toks[i].t.suffix.is_empty() {
                last + 1
            } else {
                last
            };
            for t in &mut toks[i..=end] {
                t.used = true;
            }
            found.push(Amount {
                first: i,
                last: end,
                value,
                currency: None,
                strong: false,
                quantity: true,
                unit_price: false,
                product: false,
                minor: false,
                count_only: true,
            });
            i = end + 1;
            continue;
        }
        // `2 x 3.50`, `2x3.50`, `3 × 4`, `2 * 3.5`: a count times a price is the amount.
        let mut product = false;
        let times = |t: &Tok| !t.used && matches!(t.t.norm.as_str(), "x" | "*" | "×");
        let factor_at = if glued_x {
            Some(last + 1)
        } else {
            toks.get(last + 1).filter(|t| times(t)).map(|_| last + 2)
        };
        if let Some(k) = factor_at {
            let factor = toks
                .get(k)
                .filter(|n| !n.used && n.t.kind == Kind::Number && n.t.suffix.is_empty())
                .and_then(|n| parse_digits(&n.t.norm, lex.dot_thousands));
            if let Some(f) = factor {
                value *= f;
                last = k;
                product = true;
            }
        }
        let mut first = i;
        if currency.is_none() && !strong {
            // `a couple of bucks`: a little word may stand between a number word and money.
            let gap = usize::from(
                toks[i].t.kind == Kind::Word
                    && toks
                        .get(last + 1)
                        .is_some_and(|t| !t.used && t.has(Role::Stop))
                    && toks
                        .get(last + 2)
                        .is_some_and(|t| t.currency_phrase().is_some() || t.has(Role::Money)),
            );
            let after = last + 1 + gap;
            if let Some((c, len)) = toks
                .get(after)
                .filter(|n| !n.used)
                .and_then(Tok::currency_phrase)
            {
                strong = toks[after].t.kind != Kind::Symbol;
                currency = Some(c);
                last = after + len - 1;
            } else if toks
                .get(after)
                .is_some_and(|n| !n.used && n.has(Role::Money))
            {
                // `20 bucks`: money in the person's own currency.
                strong = true;
                last = after;
            } else if let Some((c, at)) = currency_before(toks, i) {
                strong = toks[at].t.kind != Kind::Symbol;
                currency = Some(c);
                first = at;
            }
        }
        // `$12 usd`: a code after a sign settles it.
        if currency.is_some() && !strong {
            if let Some(c) = toks
                .get(last + 1)
                .filter(|n| !n.used && n.t.kind == Kind::Word)
                .and_then(Tok::currency)
            {
                currency = Some(c);
                strong = true;
                last += 1;
            }
        }
        // `10 dollars and 50 cents`
        if let (Some(join), Some(cents), Some(unit)) =
            (toks.get(last + 1), toks.get(last + 2), toks.get(last + 3))
        {
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
                value += c * f;
                last += 3;
            }
        }
        let mut unit_price = false;
        if let Some(n) = toks.get(last + 1).filter(|n| !n.used && n.has(Role::Each)) {
            let _ = n;
            unit_price = true;
            last += 1;
        }
        if first > 0
            && !toks[first - 1].used
            && toks[first - 1].has(Role::PriceAt)
            && toks[first - 1].t.norm != "for"
        {
            unit_price = true;
        }
        let next_is_noun = toks.get(last + 1).is_some_and(|n| {
            !n.used
                && n.t.kind == Kind::Word
                && !n.is_filler()
                && n.currency().is_none()
                && n.scale().is_none()
                && !n.has(Role::Each)
        });
        let quantity = currency.is_none()
            && !strong
            && !unit_price
            && !product
            && value.fract().is_zero()
            && value > Decimal::ZERO
            && value < Decimal::from(100)
            && (next_is_noun || (glued_x && !product));
        let plural_next = toks.get(last + 1).is_some_and(|n| {
            n.t.norm.chars().count() > 3 && n.t.norm.ends_with('s') && n.t.start > toks[last].t.end
        });
        // `2 gifts` counts; `30 groceries` costs.
        let count_only =
            quantity && plural_next && toks[i].t.kind == Kind::Number && value <= Decimal::from(12);
        // `25.000` in rupiah or won is twenty-five thousand.
        let dotted = toks[i].t.kind == Kind::Number
            && toks[i].t.suffix.is_empty()
            && toks[i].t.norm.contains('.')
            && !toks[i].t.norm.contains(',');
        if dotted
            && currency.is_some_and(|c| common.dot_thousands.contains(&c))
            && !lex.dot_thousands
        {
            if let Some(v) = parse_digits(&toks[i].t.norm, true) {
                value = v;
            }
        }
        for t in &mut toks[first..=last] {
            t.used = true;
        }
        found.push(Amount {
            product,
            minor,
            count_only,
            first,
            last,
            value,
            currency,
            strong,
            quantity,
            unit_price,
        });
        i = last + 1;
    }
    found
}

/// A number as read at one place of the text.
#[derive(Debug, Default)]
struct Number {
    value: Decimal,
    /// The last token it takes.
    last: usize,
    currency: Option<Currency>,
    /// A currency or money word was glued to it (`12eur`, `20bucks`).
    strong: bool,
    /// `2x`: a count glued to a times sign.
    glued_x: bool,
    /// `60c`: counted in the minor unit.
    minor: bool,
}

/// Whether letters glued to a number are a measure (`500gm`, `২টা`).
fn is_measure(lex: &Lexicon, suffix: &str) -> bool {
    !suffix.is_empty()
        && lex.phrases.get(suffix).is_some_and(|e| {
            e.iter()
                .any(|(rest, r)| rest.is_empty() && *r == Role::Measure)
        })
}

/// A currency phrase that ends right before token `i` (`danish kroner 200`, `$12`): the
/// currency and where the phrase starts.
fn currency_before(toks: &[Tok], i: usize) -> Option<(Currency, usize)> {
    (i.saturating_sub(3)..i).find_map(|k| {
        let t = &toks[k];
        let (c, len) = t.currency_phrase()?;
        (k + len == i && toks[k..i].iter().all(|t| !t.used)).then_some((c, k))
    })
}

/// Reads digits (with glued letters) or number words at `i`.
fn read_number(toks: &[Tok], i: usize, lex: &Lexicon) -> Option<Number> {
    let t = &toks[i];
    if t.t.kind == Kind::Number {
        let mut n = Number {
            value: parse_digits(&t.t.norm, lex.dot_thousands)?,
            last: i,
            ..Number::default()
        };
        let suffix = t.t.suffix.as_str();
        if !suffix.is_empty() {
            if let Some(s) = glued_scale(suffix) {
                n.value *= s;
            } else if suffix == "x" {
                n.glued_x = true;
            } else if let Some(entries) = lex.phrases.get(suffix) {
                for (rest, role) in entries {
                    match role {
                        Role::Currency(c) if rest.is_empty() => {
                            n.currency = Some(*c);
                            n.strong = true;
                        }
                        Role::Money if rest.is_empty() => n.strong = true,
                        Role::Scale(s) if rest.is_empty() => n.value *= *s,
                        Role::Fraction(s) if rest.is_empty() => {
                            n.value *= *s;
                            n.minor = true;
                        }
                        _ => {}
                    }
                }
            }
        }
        return Some(n);
    }
    if t.t.kind != Kind::Word {
        return None;
    }
    let mut n = WordNumber::default();
    let mut j = i;
    let mut last = None;
    // The value of the number word just before, when nothing scaled it since.
    let mut previous: Option<u32> = None;
    let mut hyphen = false;
    let mut joined = false;
    while let Some(w) = toks.get(j).filter(|w| !w.used) {
        if let Some(v) = w.number_word() {
            // `twelve fifty`, `one fifty`: dollars and cents, said as two numbers.
            if previous.is_some() && v >= 10 && !hyphen && !joined {
                let value = n.value() + Decimal::from(v) / Decimal::from(100);
                return Some(Number {
                    value,
                    last: j,
                    ..Number::default()
                });
            }
            n.add(v);
            previous = Some(v);
            hyphen = false;
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
        } else if w.t.norm == "-"
            && previous.is_some()
            && toks.get(j + 1).is_some_and(|x| x.number_word().is_some())
        {
            // `twenty-five`, `soixante-dix`
            hyphen = true;
        } else if w.has(Role::Article)
            && j == i
            && toks.get(j + 1).is_some_and(|x| x.scale().is_some())
        {
            n.add(1);
        } else if w.has(Role::NumberJoin)
            && n.any
            && toks
                .get(j + 1)
                .is_some_and(|x| x.number_word().is_some() || x.has(Role::Article))
            && last.is_some()
        {
            // `one hundred and five`, `duzentos e cinquenta`, `vinte e um`
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
    let last = last?;
    if !n.any {
        return None;
    }
    Some(Number {
        value: n.value(),
        last,
        ..Number::default()
    })
}

/// What the amount of one item is, from the numbers found in its words.
fn choose(amounts: &[&Amount]) -> (Option<Decimal>, Option<Currency>, Vec<Decimal>) {
    if let Some(p) = amounts.iter().find(|a| a.product) {
        return (Some(p.value), p.currency, Vec::new());
    }
    if let Some(unit) = amounts.iter().find(|a| a.unit_price) {
        let count = amounts
            .iter()
            .find(|a| a.quantity)
            .map_or(Decimal::ONE, |q| q.value);
        return (Some(unit.value * count), unit.currency, Vec::new());
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

/// Finds a category in tokens `range`: a hashtag, then a category's own name, then a thing that
/// belongs to one, then a merchant.
fn category_in(
    toks: &[Tok],
    range: std::ops::Range<usize>,
) -> (Option<Category>, Option<usize>, u8) {
    let mut best: Option<(u8, Category, usize)> = None;
    for i in range {
        let t = &toks[i];
        if t.used && t.t.kind != Kind::Hashtag {
            continue;
        }
        for (role, _) in &t.roles {
            let (rank, idx) = match role {
                // A misspelt word is a guess: any word as written beats it.
                Role::CategoryName(c) | Role::CategoryKeyword(c) if t.fuzzy => (1, *c),
                Role::CategoryName(c) => (if t.t.kind == Kind::Hashtag { 4 } else { 3 }, *c),
                Role::CategoryKeyword(c) => (if t.t.kind == Kind::Hashtag { 4 } else { 2 }, *c),
                Role::Merchant(c) => (if t.t.kind == Kind::Hashtag { 4 } else { 1 }, *c),
                _ => continue,
            };
            let Some(cat) = DEFAULT_CATEGORIES
                .get(usize::from(idx))
                .and_then(|n| Category::parse(n))
            else {
                continue;
            };
            if best.as_ref().is_none_or(|(r, _, _)| rank > *r) {
                best = Some((rank, cat, i));
            }
        }
        if t.t.kind == Kind::Hashtag
            && t.roles.is_empty()
            && best.as_ref().is_none_or(|(r, _, _)| *r < 4)
        {
            if let Some(cat) =
                Category::parse(&t.t.norm).filter(|_| !t.t.norm.bytes().all(|b| b.is_ascii_digit()))
            {
                best = Some((4, cat, i));
            }
        }
    }
    match best {
        Some((rank, cat, i)) => (Some(cat), Some(i), rank),
        None => (None, None, 0),
    }
}

/// The words left over in tokens `range`, as the user wrote them, without filler at the edges.
fn note_in(
    toks: &[Tok],
    range: std::ops::Range<usize>,
    text: &str,
    skip: &[usize],
) -> Option<String> {
    let keep: Vec<usize> = range
        .filter(|&i| !toks[i].used && !skip.contains(&i) && toks[i].t.kind != Kind::Command)
        .collect();
    let first = keep.iter().position(|&i| !toks[i].is_filler())?;
    let last = keep.iter().rposition(|&i| !toks[i].is_filler())?;
    let keep = &keep[first..=last];
    let mut note = String::new();
    let mut run_start = keep[0];
    for (k, &i) in keep.iter().enumerate() {
        let run_ends = keep.get(k + 1).is_none_or(|&next| next != i + 1);
        if run_ends {
            if !note.is_empty() {
                note.push(' ');
            }
            note.push_str(text[toks[run_start].t.start..toks[i].t.end].trim());
            if let Some(&next) = keep.get(k + 1) {
                run_start = next;
            }
        }
    }
    let note = note.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ':' | ';' | '-')
    });
    (!note.is_empty()).then(|| note.to_owned())
}

/// Where the item separators are: commas, line breaks, `and`.
fn segments(toks: &[Tok]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        let splits = !t.used
            && (t.t.kind == Kind::Sep || (t.has(Role::NumberJoin) && t.t.kind == Kind::Word));
        if splits {
            out.push(start..i);
            start = i + 1;
        }
    }
    out.push(start..toks.len());
    out
}

fn mark(toks: &mut [Tok], pred: impl Fn(&Tok) -> bool) -> bool {
    let mut any = false;
    for t in toks.iter_mut().filter(|t| !t.used) {
        if pred(t) {
            t.used = true;
            any = true;
        }
    }
    any
}

fn any(toks: &[Tok], role: Role) -> bool {
    toks.iter().any(|t| !t.used && t.has(role))
}

/// Parses a message in one language. `forced` comes from a slash command.
pub(crate) fn parse(
    text: &str,
    lex: &Lexicon,
    common: &Common,
    today: NaiveDate,
    forced: Option<Forced>,
) -> Intent {
    parse_lexed(text, lexer::lex(text), lex, common, today, forced)
}

/// [`parse`] of a text already split into tokens.
pub(crate) fn parse_lexed(
    text: &str,
    tokens: Vec<Token>,
    lex: &Lexicon,
    common: &Common,
    today: NaiveDate,
    forced: Option<Forced>,
) -> Intent {
    let mut toks = annotate(join_digit_groups(tokens, text), lex, common, text);
    mark_ids(&mut toks);
    let mentions = dates::scan(&mut toks, lex, today);
    let day = mentions.iter().find_map(|m| m.day);
    let range = mentions.iter().find_map(|m| m.range);
    let mut amounts = find_amounts(&mut toks, lex, common);
    // `picked up 2 gifts`: a count before a plural is no price; with no other number, the
    // bot asks for it. A count stays when a unit price or product needs it.
    if !amounts.iter().any(|a| a.unit_price || a.product) {
        // The count stays in the words: `picked up 2 gifts`.
        for a in amounts.iter().filter(|a| a.count_only) {
            for t in &mut toks[a.first..=a.last] {
                t.used = false;
            }
        }
        amounts.retain(|a| !a.count_only);
    }
    join_major_minor(&mut toks, &mut amounts);
    if amounts.is_empty() {
        amounts.extend(article_amount(&mut toks));
    }
    let clock_times = drop_clock_times(&toks, &mut amounts);
    let content_words = toks.iter().filter(|t| !t.used && !t.is_filler()).count();

    let summary = any(&toks, Role::Summary);
    let list = any(&toks, Role::List);
    let question = toks.iter().any(|t| t.t.norm == "?");
    let query = |toks: &[Tok], list: bool| {
        let (category, _, _) = category_in(toks, 0..toks.len());
        let range = range.or_else(|| unit_range(toks, today));
        let q = Query {
            range,
            category,
            ..Query::default()
        };
        if list {
            Intent::List(q)
        } else {
            Intent::Summary(q)
        }
    };

    match forced {
        Some(Forced::Summary) => return query(&toks, false),
        Some(Forced::List) => return query(&toks, true),
        Some(Forced::Limit) => return limit(&mut toks, &amounts),
        Some(Forced::Income) => return income(&mut toks, &amounts, text, day),
        Some(Forced::Expense) => return expense(&mut toks, &amounts, text, day),
        None => {}
    }
    if amounts.is_empty() && greeting_only(&toks) {
        return Intent::Greeting;
    }
    if let Some(settings) = settings(&toks, text, amounts.is_empty()) {
        return settings;
    }
    if matches!(forced, None | Some(Forced::Expense)) {
        if let Some(guess) = range_guess(&mut toks, &amounts, text, day) {
            return guess;
        }
    }
    if amounts.is_empty() && any(&toks, Role::Help) && !any(&toks, Role::ExpenseVerb) {
        return Intent::Help;
    }
    let first_content = toks.iter().position(|t| !t.used && !t.is_filler());
    let leads = |toks: &[Tok], role: Role| first_content.is_some_and(|f| toks[f].has(role));
    if any(&toks, Role::Undo) && (amounts.is_empty() || leads(&toks, Role::Undo)) {
        return Intent::Undo;
    }
    if any(&toks, Role::Limit) {
        // Without an amount, `am I over budget` asks; `budget` or `set a limit` wants one.
        let asks = summary || list || question || !leads(&toks, Role::Limit);
        if amounts.is_empty() && asks && !any(&toks, Role::LimitRemove) {
            return query(&toks, false);
        }
        return limit(&mut toks, &amounts);
    }
    if let Some(correct) = correction(&mut toks, &amounts, text) {
        return correct;
    }
    if let Some(first) = toks.iter().position(|t| !t.used && !t.is_filler()) {
        if toks[first].has(Role::Delete) {
            return delete(&mut toks, first, &amounts, text);
        }
    }
    // `chai wali entry hatao`: languages that put the verb last.
    if let Some(last) = toks.iter().rposition(|t| !t.used && !t.is_filler()) {
        let id_only = match amounts.as_slice() {
            [] => true,
            [one] => one.currency.is_none() && one.value.fract().is_zero(),
            _ => false,
        };
        if toks[last].has(Role::Delete) && id_only {
            return delete(&mut toks, last, &amounts, text);
        }
    }
    if let Some(asked) = beyond_totals(&mut toks, &mut amounts, &mentions, text, today) {
        return asked;
    }
    if chit_chat(&toks, &amounts, summary || list) {
        return Intent::Unknown;
    }
    if summary || list {
        if let Some(count) = list_count(&mut toks, &mut amounts) {
            if amounts.is_empty() {
                let Intent::List(q) = query(&toks, true) else {
                    return Intent::Unknown;
                };
                return Intent::List(Query {
                    count: Some(count),
                    ..q
                });
            }
        }
    }
    if (summary || list) && amounts.is_empty() {
        return query(&toks, list);
    }
    // `+45 tips`: a plus sign before the amount, as in a ledger, is money coming in.
    let plus = text
        .trim_start()
        .strip_prefix('+')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    if any(&toks, Role::Income) || (plus && !amounts.is_empty()) {
        return income(&mut toks, &amounts, text, day);
    }
    let (category, _, rank) = category_in(&toks, 0..toks.len());
    let expense_verb = any(&toks, Role::ExpenseVerb);
    // `I have 2 cats`, `I love pizza`: talk about oneself without spending is chit-chat.
    let first_word = toks.iter().find(|t| !t.is_filler() || t.has(Role::Pronoun));
    let priced = amounts.iter().any(|a| a.currency.is_some() || a.strong);
    let chit_chat = first_word.is_some_and(|t| t.has(Role::Pronoun)) && !expense_verb && !priced;
    // `call me at 5`, `see you at 8`: a time in talk, with nothing bought.
    if clock_times && category.is_none() && !expense_verb {
        return Intent::Unknown;
    }
    if !amounts.is_empty() {
        if chit_chat {
            return Intent::Unknown;
        }
        return expense(&mut toks, &amounts, text, day);
    }
    // `#travel`, `groceries?`: a category's own name (or a hashtag) alone asks what went there.
    if amounts.is_empty() && content_words == 1 && rank >= 3 && !expense_verb {
        return query(&toks, false);
    }
    // No price and a period: `transport costs last month`, `spent today?`.
    let multi_day = range.is_some_and(|r| r.from != r.to);
    if range.is_some() && (multi_day || question || (rank == 3 && !expense_verb)) {
        return query(&toks, false);
    }
    if (expense_verb || category.is_some()) && !chit_chat && !question {
        return expense(&mut toks, &amounts, text, day);
    }
    if range.is_some() && content_words == 0 {
        return query(&toks, false);
    }
    Intent::Unknown
}

/// `1 234,50`, `2 450`: thousands grouped by a space are one number. Only a group of one to
/// three digits followed by groups of exactly three, one space apart, and never in a run that
/// starts with zero (`0412 555 019` is a phone number).
fn join_digit_groups(mut tokens: Vec<Token>, text: &str) -> Vec<Token> {
    let plain = |t: &Token| t.kind == Kind::Number && t.suffix.is_empty();
    let mut i = 0;
    while i + 1 < tokens.len() {
        let (a, b) = (&tokens[i], &tokens[i + 1]);
        let after_number = i > 0 && tokens[i - 1].kind == Kind::Number;
        let head = plain(a)
            && (1..=3).contains(&a.norm.len())
            && a.norm.bytes().all(|c| c.is_ascii_digit())
            && !a.norm.starts_with('0');
        let group = b.kind == Kind::Number
            && b.norm.len() >= 3
            && b.norm.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && (b.norm.len() == 3 || matches!(b.norm.as_bytes()[3], b',' | b'.'))
            && b.norm[3..].bytes().skip(1).all(|c| c.is_ascii_digit())
            && b.norm.len() != 4;
        if head && group && !after_number && &text[a.end..b.start] == " " {
            let b = tokens.remove(i + 1);
            let a = &mut tokens[i];
            a.norm.push_str(&b.norm);
            a.end = b.end;
            a.suffix = b.suffix;
            continue;
        }
        i += 1;
    }
    tokens
}

/// Numbers that are names, not money: an id after an order or invoice word (`order 88812`,
/// `invoice #2231`), an id glued to letters (`INV2231`, three digits or more), and a house number
/// before a street (`221 Baker Street`).
fn mark_ids(toks: &mut [Tok]) {
    let numbers = toks
        .iter()
        .filter(|t| !t.used && t.t.kind == Kind::Number)
        .count();
    for i in 0..toks.len() {
        if toks[i].used || toks[i].t.kind != Kind::Number {
            continue;
        }
        let digits = toks[i].t.norm.bytes().filter(u8::is_ascii_digit).count();
        let whole = !toks[i].t.norm.contains(['.', ',']);
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        // `order #88812`, `INV-7781`: the sign between the word and the number belongs to it.
        let joined_by_sign = prev
            .is_some_and(|p| matches!(p.t.norm.as_str(), "#" | "-") && p.t.end == toks[i].t.start);
        let before_sign = i
            .checked_sub(2)
            .filter(|_| joined_by_sign)
            .map(|p| &toks[p]);
        // `commande n° 4521`, `order no. 4521`: a number sign may stand between.
        let numero = |k: usize| {
            let t = &toks[k];
            matches!(t.t.kind, Kind::Other | Kind::Punct)
                || (t.t.kind == Kind::Word && t.t.norm.chars().count() <= 2 && t.roles.is_empty())
        };
        let skipped = (1..=3)
            .take_while(|&back| i >= back && (back == 1 || numero(i - back + 1)))
            .any(|back| toks[i - back].has(Role::Reference));
        let after_reference =
            skipped || prev.or(before_sign).is_some_and(|p| p.has(Role::Reference));
        // `apt 4B`: letters glued to a number after a reference word are part of the id.
        if !toks[i].t.suffix.is_empty() && !after_reference {
            continue;
        }
        let word_glued = |p: &Tok, to: usize| {
            p.t.kind == Kind::Word
                && p.t.end == to
                && p.roles.iter().all(|(r, _)| *r == Role::Reference)
        };
        let glued = (prev.is_some_and(|p| word_glued(p, toks[i].t.start))
            || before_sign.is_some_and(|p| prev.is_some_and(|s| word_glued(p, s.t.start))))
            && digits >= 3;
        // `0412 555 019`, `+44 20 7946 0958`: a phone number.
        let phone = toks[i].t.norm.starts_with('0')
            && digits >= 3
            && toks[i].t.norm.bytes().all(|b| b.is_ascii_digit());
        // `221 Baker Street`, `calle Mayor 25`, and `Hauptstraße 12` beside a price
        let street = (i >= 1 && toks[i - 1].has(Role::Street) && numbers > 1)
            || (toks.get(i + 2).is_some_and(|s| s.has(Role::Street))
                && toks
                    .get(i + 1)
                    .is_some_and(|w| w.t.kind == Kind::Word && !w.is_filler()))
            || (i >= 2 && toks[i - 2].has(Role::Street) && toks[i - 1].t.kind == Kind::Word);
        // `room 80`, `phone 20`: the only number after such a word is still the price, unless
        // it is as long as an order number.
        let after_reference = after_reference && (numbers > 1 || digits >= 5);
        if whole && (after_reference || glued || street || phone) {
            toks[i].used = true;
            // The groups of a phone number that follow, one space apart.
            let mut j = i;
            while phone
                && toks.get(j + 1).is_some_and(|n| {
                    n.t.kind == Kind::Number
                        && n.t.suffix.is_empty()
                        && n.t.start == toks[j].t.end + 1
                })
            {
                j += 1;
                toks[j].used = true;
            }
        }
    }
}

/// `12 dollars 5 cents`, `$7 and 60 cents`, `5 ringgit 50 sen`: an amount in a currency and
/// the minor units right after it (an `and` between allowed) are one amount.
fn join_major_minor(toks: &mut [Tok], amounts: &mut Vec<Amount>) {
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
            let value = a.value + b.value;
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

/// `show my last 4`, `my last 8 payments`: a count after `last` in a question is how many to
/// list, not money. Takes it out of the amounts.
fn list_count(toks: &mut [Tok], amounts: &mut Vec<Amount>) -> Option<u32> {
    let counts = |t: &Tok| t.has(Role::Last) || t.has(Role::Top) || t.has(Role::Largest);
    let at = amounts.iter().position(|a| {
        a.currency.is_none()
            && a.value.fract().is_zero()
            && a.value >= Decimal::ONE
            && a.value <= Decimal::from(100)
            && ((a.first > 0 && counts(&toks[a.first - 1]))
                || toks
                    .get(a.last + 1)
                    .is_some_and(|t| t.has(Role::Top) || t.has(Role::Largest)))
    })?;
    let a = amounts.remove(at);
    for t in &mut toks[a.first..=a.last] {
        t.used = true;
    }
    if a.first > 0 && toks[a.first - 1].has(Role::Last) {
        toks[a.first - 1].used = true;
    }
    u32::try_from(a.value).ok()
}

/// The categories named in tokens, in order, each once: `transport vs travel`.
fn categories_in_order(toks: &[Tok]) -> Vec<Category> {
    let mut out: Vec<Category> = Vec::new();
    for i in 0..toks.len() {
        if let (Some(c), _, rank) = category_in(toks, i..i + 1) {
            if rank >= 2 && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Questions beyond totals: the largest expense, the top categories, an average, a comparison
/// of two periods or categories, and `find coffee` (a list of entries with those words).
fn beyond_totals(
    toks: &mut [Tok],
    amounts: &mut Vec<Amount>,
    mentions: &[dates::Mention],
    text: &str,
    today: NaiveDate,
) -> Option<Intent> {
    // `top up`: a longer phrase that starts with the word has the other meaning.
    let stands = |t: &Tok, role: Role| {
        !t.used
            && t.len_of(role)
                .is_some_and(|len| t.roles.iter().all(|(_, l)| *l <= len))
    };
    let ask = [
        Role::Compare,
        Role::Average,
        Role::Top,
        Role::Largest,
        Role::Find,
    ]
    .into_iter()
    .find(|r| toks.iter().any(|t| stands(t, *r)))?;
    let count = list_count(toks, amounts);
    if !amounts.is_empty() || any(toks, Role::Income) && ask != Role::Find {
        return None;
    }
    let ranges: Vec<DateRange> = mentions
        .iter()
        .filter_map(|m| m.range.or(m.day.map(DateRange::day)))
        .collect();
    // `average per day`: the unit is what to average over, not the period.
    let range = ranges.first().copied().or_else(|| {
        (ask != Role::Average)
            .then(|| unit_range(toks, today))
            .flatten()
    });
    let (category, _, _) = category_in(toks, 0..toks.len());
    let base = Query {
        range,
        category: category.clone(),
        count,
        ..Query::default()
    };
    Some(match ask {
        Role::Find => {
            let at = toks.iter().position(|t| !t.used && t.has(Role::Find))?;
            let len = toks[at].len_of(Role::Find).unwrap_or(1);
            for t in &mut toks[at..at + len] {
                t.used = true;
            }
            mark(toks, |t| t.has(Role::List) || t.has(Role::Summary));
            let words = note_in(toks, at + len..toks.len(), text, &[])?;
            Intent::List(Query {
                category: None,
                text: Some(words),
                ..base
            })
        }
        Role::Compare => {
            let cats = categories_in_order(toks);
            let (a, b) = match (ranges.as_slice(), cats.as_slice()) {
                ([a, b, ..], _) => (Some(*a), Some(*b)),
                (_, [_, _, ..]) => (range, range),
                ([a], _) => (Some(*a), Some(a.before())),
                ([], _) => {
                    let this = DateRange::month_of(today);
                    (Some(this), Some(this.before()))
                }
            };
            let (ca, cb) = match cats.as_slice() {
                [x, y, ..] => (Some(x.clone()), Some(y.clone())),
                _ => (category.clone(), category),
            };
            Intent::Summary(Query {
                range: a,
                category: ca,
                ask: Ask::Compare {
                    range: b,
                    category: cb,
                },
                ..base
            })
        }
        Role::Average => Intent::Summary(Query {
            ask: Ask::Average,
            ..base
        }),
        Role::Top => Intent::Summary(Query {
            ask: Ask::TopCategories,
            ..base
        }),
        _ => {
            // `biggest categories`: the top ones; `biggest purchase`: one expense.
            let about_categories = toks.iter().any(|t| t.has(Role::CategoriesQuestion));
            Intent::Summary(Query {
                ask: if about_categories {
                    Ask::TopCategories
                } else {
                    Ask::Largest
                },
                ..base
            })
        }
    })
}

/// Corrections of an entry already recorded: `change 42 to 15`, `#42 is entertainment`,
/// `move the coffee to snacks`, `change the last one to 4.50`.
fn correction(toks: &mut [Tok], amounts: &[Amount], text: &str) -> Option<Intent> {
    let start = toks
        .iter()
        .position(|t| !(t.has(Role::Pronoun) || t.t.norm == "please" || t.t.norm == "pls"))?;
    let lead = &toks[start];
    // `#42 is entertainment`, `#42 should be 15`
    if lead.t.kind == Kind::Hashtag {
        let id: i64 = lead.t.norm.parse().ok()?;
        toks[start].used = true;
        let (category, _, rank) = category_in(toks, start + 1..toks.len());
        let change = match (amounts, category) {
            ([one], _) => Change::Amount(one.value),
            ([], Some(c)) if rank >= 2 => Change::Category(c),
            _ => return None,
        };
        return Some(Intent::Correct {
            target: DeleteTarget::Id(id),
            change,
        });
    }
    let moving = lead.has(Role::Move);
    if !(moving || lead.has(Role::Correct)) {
        return None;
    }
    // The word that leads to the new value: `to`, `into`, `as`.
    let to = (start + 1..toks.len())
        .find(|&i| !toks[i].used && (toks[i].has(Role::RangeTo) || toks[i].has(Role::In)))?;
    let before: Vec<&Amount> = amounts.iter().filter(|a| a.last < to).collect();
    let after: Vec<&Amount> = amounts.iter().filter(|a| a.first > to).collect();
    let (category, _, rank) = category_in(toks, to + 1..toks.len());
    let change = match (after.as_slice(), category) {
        ([one], _) if !moving => Change::Amount(one.value),
        ([], Some(c)) if rank >= 2 => Change::Category(c),
        _ => return None,
    };
    let hashtag = (start + 1..to).find_map(|i| {
        (toks[i].t.kind == Kind::Hashtag)
            .then(|| toks[i].t.norm.parse::<i64>().ok())
            .flatten()
    });
    let last = (start + 1..to).any(|i| toks[i].has(Role::DeleteLast));
    let target = match (before.as_slice(), hashtag) {
        (_, Some(id)) => DeleteTarget::Id(id),
        _ if last => DeleteTarget::Last,
        ([one], None) if one.value.fract().is_zero() && one.currency.is_none() => {
            DeleteTarget::Id(i64::try_from(one.value).ok()?)
        }
        ([], None) => {
            toks[start].used = true;
            DeleteTarget::Matching(note_in(toks, start + 1..to, text, &[])?)
        }
        _ => return None,
    };
    Some(Intent::Correct { target, change })
}

/// `a quid for the bus`, `a buck for gum`, `one euro`: an article before a currency word is
/// one of it.
fn article_amount(toks: &mut [Tok]) -> Option<Amount> {
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
fn is_clock_time(toks: &[Tok], a: &Amount) -> bool {
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
fn drop_clock_times(toks: &[Tok], amounts: &mut Vec<Amount>) -> bool {
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

/// `between 10 and 20`, `10 to 20`, `10 - 20`, `$10-20`: two amounts given as a
/// range or a guess. The expense has no amount then (the bot asks which, offering both); its
/// currency, category and note stay.
fn range_guess(
    toks: &mut [Tok],
    amounts: &[Amount],
    text: &str,
    date: Option<NaiveDate>,
) -> Option<Intent> {
    let (low, high, spans) = separate_range(toks, amounts).or_else(|| glued_range(toks))?;
    // A guess spans a little: `10-20`, not `11-2026` (a month) or `1-100`.
    if low <= Decimal::ZERO || high <= low || high > low * Decimal::TEN {
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
fn separate_range(
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
fn glued_range(toks: &[Tok]) -> Option<(Decimal, Decimal, std::ops::Range<usize>)> {
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

/// `that was a nice day`, `money is tight lately`, `my son turned 5 today`: words of talk,
/// and nothing that records money: no spending or income word, no question word, and no
/// price (or only a bare number with nothing bought).
fn chit_chat(toks: &[Tok], amounts: &[Amount], asks: bool) -> bool {
    if asks || !any(toks, Role::Chat) || any(toks, Role::ExpenseVerb) {
        return false;
    }
    // `meu salário é muito baixo`: an income word with no amount is talk.
    if any(toks, Role::Income) && !amounts.is_empty() {
        return false;
    }
    let (category, _, _) = category_in(toks, 0..toks.len());
    let priced = amounts.iter().any(|a| a.currency.is_some() || a.strong);
    amounts.is_empty() || (!priced && category.is_none())
}

/// A greeting and nothing else: `hi`, `good morning!`, `hola`.
fn greeting_only(toks: &[Tok]) -> bool {
    // `hi there 👋`: emoji around a greeting do not make it more.
    let Some(first) = (0..toks.len())
        .find(|&i| !toks[i].used && !toks[i].is_filler() && toks[i].t.kind != Kind::Other)
    else {
        return false;
    };
    let Some(len) = toks[first].len_of(Role::Greeting) else {
        return false;
    };
    // `hola, qué tal`: greetings in a row are still a greeting (one may start with a little
    // word, as `qué tal` does).
    let mut covered = first + len;
    for (i, t) in toks.iter().enumerate().skip(first + len) {
        if i < covered || t.used || t.t.kind == Kind::Other {
            continue;
        }
        match t.len_of(Role::Greeting) {
            Some(len) => covered = i + len,
            None if t.is_filler() => {}
            None => return false,
        }
    }
    true
}

/// The natural-language forms of the settings commands: `set my currency to EUR`, `my time zone
/// is Europe/Madrid`, `what categories are there?`, `link my account`, `link ABCD2345`.
fn settings(toks: &[Tok], text: &str, no_amount: bool) -> Option<Intent> {
    let first = toks.iter().find(|t| !t.is_filler())?;
    if first.has(Role::Link) {
        // A code like `ABCD2345` lexes as a word and a number: read it from the text.
        let code = text[first.t.end..]
            .split_whitespace()
            .find(|w| {
                (6..=12).contains(&w.len())
                    && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && w.chars().any(|c| c.is_ascii_digit())
            })
            .map(str::to_owned);
        return Some(Intent::Link { code });
    }
    if !no_amount {
        return None;
    }
    if any(toks, Role::CurrencySetting) {
        let named = toks.iter().filter(|t| !t.used).find_map(Tok::currency);
        return Some(Intent::SetCurrency(named));
    }
    if any(toks, Role::TimezoneSetting) {
        // Zone names keep their case and slashes: `America/New_York`, `UTC`.
        let zone = text
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '?' | '!' | '"' | '\''))
            .find(|w| {
                w.contains('/') || w.eq_ignore_ascii_case("utc") || w.eq_ignore_ascii_case("gmt")
            })
            .map(str::to_owned);
        return Some(Intent::SetTimezone(zone));
    }
    // `top categories` asks where the money went, not which categories there are.
    if any(toks, Role::CategoriesQuestion) && !any(toks, Role::Top) && !any(toks, Role::Largest) {
        return Some(Intent::Categories);
    }
    None
}

/// `week`, `month` alone (as in `/summary week`): this one.
fn unit_range(toks: &[Tok], today: NaiveDate) -> Option<DateRange> {
    let unit = toks.iter().filter(|t| !t.used).find_map(Tok::unit)?;
    Some(match unit {
        Unit::Day => DateRange::day(today),
        Unit::Week => DateRange::week_of(today),
        Unit::Fortnight => return dates::this_fortnight(today),
        Unit::Month => DateRange::month_of(today),
        Unit::Quarter => return dates::quarter_of(today),
        Unit::Year => DateRange::year_of(today),
    })
}

fn expense(toks: &mut [Tok], amounts: &[Amount], text: &str, date: Option<NaiveDate>) -> Intent {
    mark(toks, |t| t.has(Role::ExpenseVerb));
    let segs = segments(toks);
    let with_amount: Vec<&std::ops::Range<usize>> = segs
        .iter()
        .filter(|s| {
            amounts
                .iter()
                .any(|a| s.contains(&a.first) || s.contains(&a.last))
        })
        .collect();
    let content =
        |s: &std::ops::Range<usize>| toks[s.clone()].iter().any(|t| !t.used && !t.is_filler());
    let every_content_has_amount = segs
        .iter()
        .filter(|s| content(s))
        .all(|s| with_amount.contains(&s));
    if with_amount.len() >= 2 && every_content_has_amount {
        let items = with_amount
            .iter()
            .map(|s| item(toks, amounts, text, (*s).clone()))
            .collect();
        return Intent::AddExpense { items, date };
    }
    if let Some(runs) = unseparated_items(toks, amounts) {
        let items = runs
            .into_iter()
            .map(|r| item(toks, amounts, text, r))
            .collect();
        return Intent::AddExpense { items, date };
    }
    let all = 0..toks.len();
    Intent::AddExpense {
        items: vec![item(toks, amounts, text, all)],
        date,
    }
}

/// `milk 3.49 eggs 4.29 bread 2.99`: several prices, each after its own words, with no
/// separators, are several items: each one's words and its price.
fn unseparated_items(toks: &[Tok], amounts: &[Amount]) -> Option<Vec<std::ops::Range<usize>>> {
    if amounts.len() < 2 || amounts.iter().any(|a| a.unit_price || a.product) {
        return None;
    }
    let content = |i: usize| !toks[i].used && !toks[i].is_filler();
    let mut runs = Vec::new();
    let mut start = 0;
    for a in amounts {
        // Each price right after its own words: `table for 4 dinner 120` is one dinner.
        if !(start..a.first).any(content) || a.first == 0 || !content(a.first - 1) {
            return None;
        }
        runs.push(start..a.last + 1);
        start = a.last + 1;
    }
    if (start..toks.len()).any(content) {
        return None;
    }
    Some(runs)
}

fn item(toks: &[Tok], amounts: &[Amount], text: &str, range: std::ops::Range<usize>) -> Item {
    let mine: Vec<&Amount> = amounts
        .iter()
        .filter(|a| range.contains(&a.first) || range.contains(&a.last))
        .collect();
    let (amount, mut currency, candidates) = choose(&mine);
    // A currency word beats an ambiguous sign: `20$ baht sim card` is in baht.
    let weak = mine.iter().all(|a| !a.strong);
    let word_currency = toks[range.clone()]
        .iter()
        .find(|t| !t.used && t.t.kind == Kind::Word && t.currency().is_some())
        .and_then(Tok::currency);
    let mut skip_currency = None;
    if weak {
        if let Some(c) = word_currency {
            currency = Some(c);
            skip_currency = toks[range.clone()]
                .iter()
                .position(|t| !t.used && t.t.kind == Kind::Word && t.currency().is_some())
                .map(|p| p + range.start);
        }
    }
    let (category, cat_at, _) = category_in(toks, range.clone());
    let hashtag = cat_at.filter(|&i| toks[i].t.kind == Kind::Hashtag);
    let skip: Vec<usize> = hashtag.into_iter().chain(skip_currency).collect();
    let note = note_in(toks, range, text, &skip);
    Item {
        amount,
        currency,
        category,
        note,
        candidates,
    }
}

fn income(toks: &mut [Tok], amounts: &[Amount], text: &str, date: Option<NaiveDate>) -> Intent {
    // Verbs like `got paid` leave the note; nouns like `salary` stay in it.
    mark(toks, |t| {
        t.roles.iter().any(|(r, l)| *r == Role::Income && *l > 1) || t.has(Role::ExpenseVerb)
    });
    let all = 0..toks.len();
    let mut it = item(toks, amounts, text, all);
    it.category = None;
    // `-1200 paycheck`, `+1200 paycheck`: a ledger's sign; the income word says which way.
    it.amount = it.amount.map(|a| a.abs());
    Intent::AddIncome { item: it, date }
}

fn limit(toks: &mut [Tok], amounts: &[Amount]) -> Intent {
    let refs: Vec<&Amount> = amounts.iter().collect();
    let (amount, currency, _) = choose(&refs);
    let period = toks
        .iter()
        .find_map(|t| {
            t.find(|r| {
                if let Role::LimitPeriod(p) = r {
                    Some(p)
                } else {
                    None
                }
            })
        })
        .or_else(|| {
            toks.iter()
                .filter(|t| !t.used)
                .find_map(Tok::unit)
                .and_then(|u| match u {
                    Unit::Day => Some(LimitPeriod::Daily),
                    Unit::Week => Some(LimitPeriod::Weekly),
                    Unit::Month => Some(LimitPeriod::Monthly),
                    Unit::Year => Some(LimitPeriod::Yearly),
                    // No limit runs per fortnight or quarter: the default period then.
                    Unit::Fortnight | Unit::Quarter => None,
                })
        })
        .unwrap_or(LimitPeriod::Monthly);
    let (category, _, _) = category_in(toks, 0..toks.len());
    let remove =
        (amount.is_none() && any(toks, Role::LimitRemove)) || amount.is_some_and(|a| a.is_zero());
    let amount = amount.filter(|a| !a.is_zero());
    Intent::SetLimit(LimitDraft {
        amount,
        currency,
        period,
        category,
        remove,
    })
}

fn delete(toks: &mut [Tok], at: usize, amounts: &[Amount], text: &str) -> Intent {
    toks[at].used = true;
    if let Some(a) = amounts.first() {
        if a.value.fract().is_zero() && a.value > Decimal::ZERO {
            if let Ok(id) = i64::try_from(a.value) {
                return Intent::Delete(DeleteTarget::Id(id));
            }
        }
    }
    if let Some(id) = toks
        .iter()
        .find(|t| t.t.kind == Kind::Hashtag)
        .and_then(|t| t.t.norm.parse::<i64>().ok())
    {
        return Intent::Delete(DeleteTarget::Id(id));
    }
    if any(toks, Role::DeleteLast) {
        return Intent::Delete(DeleteTarget::Last);
    }
    match note_in(toks, 0..toks.len(), text, &[]) {
        Some(what) => Intent::Delete(DeleteTarget::Matching(what)),
        None => Intent::Delete(DeleteTarget::Last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_one_typo() {
        assert_eq!(edit_distance("coffee", "coffe", 2), 1);
        assert_eq!(edit_distance("coffee", "cofefe", 2), 1);
        assert!(edit_distance("coffee", "tea", 1) > 1);
    }
}
