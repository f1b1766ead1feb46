//! Tokens with what the catalogue says of them: roles of the phrases starting at each, typo
//! and plural fallbacks for category words, thousands grouped by spaces, and numbers that are
//! names (ids, house and phone numbers) rather than money.

use super::*;

pub(super) fn annotate(tokens: Vec<Token>, lex: &Lexicon, common: &Common, text: &str) -> Vec<Tok> {
    let annotations = roles_of(&tokens, lex, common, text);
    tokens
        .into_iter()
        .zip(annotations)
        .map(|(t, (roles, fuzzy))| Tok {
            t,
            roles,
            used: false,
            fuzzy,
        })
        .collect()
}

/// The roles of each token (with the phrase length) and whether its category is a guess.
fn roles_of(
    tokens: &[Token],
    lex: &Lexicon,
    common: &Common,
    text: &str,
) -> Vec<(Vec<(Role, usize)>, bool)> {
    // Each token's text as phrases are keyed: borrowed, except a number with letters glued on.
    let norms: Vec<std::borrow::Cow<'_, str>> = tokens
        .iter()
        .map(|t| {
            if t.kind == Kind::Number && !t.suffix.is_empty() {
                std::borrow::Cow::Owned(format!("{}{}", t.norm, t.suffix))
            } else {
                std::borrow::Cow::Borrowed(t.norm.as_str())
            }
        })
        .collect();
    // The fuzzy category guess of each distinct unknown word, made once per message: a long
    // message repeats its words, and the guess is the costliest step per word.
    let mut guesses: rustc_hash::FxHashMap<&str, Option<(Role, bool)>> =
        rustc_hash::FxHashMap::default();
    let mut out = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        let mut roles = Vec::new();
        let mut fuzzy = false;
        match t.kind {
            Kind::Word | Kind::Hashtag | Kind::Punct => {
                if let Some(entries) = lex.phrases.get(norms[i].as_ref()) {
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
                    // `CHF 100`: an ISO 4217 code written in capitals.
                    if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
                        if let Some(c) = Currency::parse(raw) {
                            roles.push((Role::Currency(c), 1));
                        }
                    }
                }
                if roles.is_empty() && t.kind != Kind::Punct {
                    let guess = *guesses
                        .entry(norms[i].as_ref())
                        .or_insert_with(|| category_fallback(&t.norm, lex));
                    if let Some((role, guessed)) = guess {
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
        out.push((roles, fuzzy));
    }
    out
}

/// Plurals and small typos of category words: `coffees`, `coffe`, `grocerys`. Says whether it
/// is a guess from a typo (the closest word wins).
pub(super) fn category_fallback(word: &str, lex: &Lexicon) -> Option<(Role, bool)> {
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
pub(super) fn edit_distance(a: &str, b: &str, max: usize) -> usize {
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

/// `1 234,50`, `2 450`: thousands grouped by a space are one number. Only a group of one to
/// three digits followed by groups of exactly three, one space apart, and never in a run that
/// starts with zero (`0412 555 019` is a phone number).
pub(super) fn join_digit_groups(mut tokens: Vec<Token>, text: &str) -> Vec<Token> {
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
pub(super) fn mark_ids(toks: &mut [Tok]) {
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
