//! Messages that set or change something: settings in words, limits, deletions and
//! corrections.

use super::*;

/// Corrections of an entry already recorded: `change 42 to 15`, `#42 is entertainment`,
/// `move the coffee to snacks`, `change the last one to 4.50`.
pub(super) fn correction(toks: &mut [Tok], amounts: &[Amount], text: &str) -> Option<Intent> {
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

/// The natural-language forms of the settings commands: `set my currency to EUR`, `my time zone
/// is Europe/Madrid`, `what categories are there?`, `link my account`, `link ABCD2345`.
pub(super) fn settings(toks: &[Tok], text: &str, no_amount: bool) -> Option<Intent> {
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

pub(super) fn limit(toks: &mut [Tok], amounts: &[Amount]) -> Intent {
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

pub(super) fn delete(toks: &mut [Tok], at: usize, amounts: &[Amount], text: &str) -> Intent {
    // Whether anything besides the delete word and "the last one" was said: a number with
    // `%`, a lone `%` … which names no entry, so it must not fall back to the last one.
    let said_more = toks.iter().enumerate().any(|(i, t)| {
        i != at
            && !t.has(Role::DeleteLast)
            && match t.t.kind {
                Kind::Punct => t.t.norm == "%",
                Kind::Number | Kind::Symbol | Kind::Other => !t.is_filler(),
                _ => false,
            }
    });
    toks[at].used = true;
    // `delete the last one`: the "one" of "last one" is no entry number.
    let last_one = any(toks, Role::DeleteLast);
    if let Some(a) = amounts
        .first()
        .filter(|a| !(last_one && toks[a.first].t.kind != Kind::Number))
    {
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
        // `delete` alone means the last one; anything else that names no entry is asked about.
        None if said_more => Intent::Delete(DeleteTarget::Unclear),
        None => Intent::Delete(DeleteTarget::Last),
    }
}
