//! Questions: counts of entries to list, the questions beyond totals (largest, top, average,
//! compare, find), periods named by a unit alone, greetings and chit-chat.

use super::*;

/// `show my last 4`, `my last 8 payments`: a count after `last` in a question is how many to
/// list, not money. Takes it out of the amounts.
pub(super) fn list_count(toks: &mut [Tok], amounts: &mut Vec<Amount>) -> Option<u32> {
    let counts = |t: &Tok| t.has(Role::Last) || t.has(Role::Top) || t.has(Role::Largest);
    // `top 3 categories`: a count before a plural is no amount, so it is still a bare number.
    let bare = (1..toks.len()).find(|&i| {
        let t = &toks[i];
        !t.used && t.t.kind == Kind::Number && t.t.suffix.is_empty() && counts(&toks[i - 1])
    });
    if let Some(i) = bare {
        if let Ok(n) = toks[i].t.norm.parse::<u32>() {
            if (1..=100).contains(&n) {
                toks[i].used = true;
                return Some(n);
            }
        }
    }
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

/// Questions beyond totals: the largest expense, the top categories, an average, a comparison
/// of two periods or categories, and `find coffee` (a list of entries with those words).
pub(super) fn beyond_totals(
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
        category,
        count,
        ..Query::default()
    };
    Some(match ask {
        Role::Find => find(toks, text, base)?,
        Role::Compare => compare(toks, &ranges, base, today),
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

/// `find coffee`, `look up taxi last month`: the entries whose note has the words after it.
fn find(toks: &mut [Tok], text: &str, base: Query) -> Option<Intent> {
    let at = toks.iter().position(|t| !t.used && t.has(Role::Find))?;
    let len = toks[at].len_of(Role::Find).unwrap_or(1);
    for t in &mut toks[at..at + len] {
        t.used = true;
    }
    mark(toks, |t| t.has(Role::List) || t.has(Role::Summary));
    let words = note_in(toks, at + len..toks.len(), text, &[])?;
    Some(Intent::List(Query {
        category: None,
        text: Some(words),
        ..base
    }))
}

/// `transport vs travel`, `this month vs last month`, `compare last month`: two sides, each a
/// period and maybe a category. One period named is compared with the one before it; none,
/// this month with the last.
fn compare(toks: &[Tok], ranges: &[DateRange], base: Query, today: NaiveDate) -> Intent {
    let cats = categories_in_order(toks);
    let (a, b) = match (ranges, cats.as_slice()) {
        ([a, b, ..], _) => (Some(*a), Some(*b)),
        (_, [_, _, ..]) => (base.range, base.range),
        ([a], _) => (Some(*a), Some(a.before())),
        ([], _) => {
            let this = DateRange::month_of(today);
            (Some(this), Some(this.before()))
        }
    };
    let (ca, cb) = match cats.as_slice() {
        [x, y, ..] => (Some(x.clone()), Some(y.clone())),
        _ => (base.category.clone(), base.category.clone()),
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

/// `that was a nice day`, `money is tight lately`, `my son turned 5 today`: words of talk,
/// and nothing that records money: no spending or income word, no question word, and no
/// price (or only a bare number with nothing bought).
pub(super) fn chit_chat(toks: &[Tok], amounts: &[Amount], asks: bool) -> bool {
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
pub(super) fn greeting_only(toks: &[Tok]) -> bool {
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

/// `week`, `month` alone (as in `/summary week`): this one.
pub(super) fn unit_range(toks: &[Tok], today: NaiveDate) -> Option<DateRange> {
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
