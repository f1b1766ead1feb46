//! Expenses and incomes: the items of a message with their amount, currency, category and
//! note.

use super::*;

/// Finds a category in tokens `range`: a hashtag, then a category's own name, then a thing that
/// belongs to one, then a merchant.
pub(super) fn category_in(
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
pub(super) fn note_in(
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
pub(super) fn segments(toks: &[Tok]) -> Vec<std::ops::Range<usize>> {
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

/// The categories named in tokens, in order, each once: `transport vs travel`.
pub(super) fn categories_in_order(toks: &[Tok]) -> Vec<Category> {
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

/// The amounts that begin or end inside `range`. Amounts are in text order and do not
/// overlap, so the candidates are found by binary search: a long message with many items costs
/// a logarithm per item, not a pass over every amount.
fn amounts_in<'a>(
    amounts: &'a [Amount],
    range: &std::ops::Range<usize>,
) -> impl Iterator<Item = &'a Amount> {
    let from = amounts.partition_point(|a| a.last < range.start);
    let to = amounts.partition_point(|a| a.first < range.end).max(from);
    amounts[from..to]
        .iter()
        .filter(move |a| range.contains(&a.first) || range.contains(&a.last))
}

pub(super) fn expense(
    toks: &mut [Tok],
    amounts: &[Amount],
    text: &str,
    date: Option<NaiveDate>,
) -> Intent {
    mark(toks, |t| t.has(Role::ExpenseVerb));
    debug_assert!(
        amounts.windows(2).all(|w| w[0].last < w[1].first),
        "amounts are in text order and do not overlap"
    );
    let segs = segments(toks);
    let has_amount: Vec<bool> = segs
        .iter()
        .map(|s| amounts_in(amounts, s).next().is_some())
        .collect();
    let with_amount: Vec<&std::ops::Range<usize>> = segs
        .iter()
        .zip(&has_amount)
        .filter_map(|(s, has)| has.then_some(s))
        .collect();
    let content =
        |s: &std::ops::Range<usize>| toks[s.clone()].iter().any(|t| !t.used && !t.is_filler());
    let every_content_has_amount = segs
        .iter()
        .zip(&has_amount)
        .all(|(s, has)| *has || !content(s));
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
pub(super) fn unseparated_items(
    toks: &[Tok],
    amounts: &[Amount],
) -> Option<Vec<std::ops::Range<usize>>> {
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

pub(super) fn item(
    toks: &[Tok],
    amounts: &[Amount],
    text: &str,
    range: std::ops::Range<usize>,
) -> Item {
    let mine: Vec<&Amount> = amounts_in(amounts, &range).collect();
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

pub(super) fn income(
    toks: &mut [Tok],
    amounts: &[Amount],
    text: &str,
    date: Option<NaiveDate>,
) -> Intent {
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
