//! One language's words ready for parsing: phrases keyed by their first word, and the
//! single words kept for typo tolerance.

use super::*;

/// Words and phrases keyed by their first word; each entry is the rest of the phrase and its
/// role. Longer phrases come first so the longest match wins.
#[derive(Debug, Default)]
pub(crate) struct PhraseMap {
    map: FxHashMap<String, Vec<(Vec<String>, Role)>>,
    /// Phrases that an earlier language owns: when languages are merged, a later one does not
    /// add meanings to them (Spanish `a` is no price marker in English text).
    locked: FxHashSet<String>,
}

impl PhraseMap {
    /// Frees the room the vectors grew while phrases were added.
    fn shrink(&mut self) {
        for entries in self.map.values_mut() {
            for (rest, _) in entries.iter_mut() {
                rest.shrink_to_fit();
            }
            entries.shrink_to_fit();
        }
        self.map.shrink_to_fit();
        self.locked.shrink_to_fit();
    }

    fn insert(&mut self, phrase: &str, role: Role) {
        let words: Vec<String> = super::super::lexer::lex(phrase)
            .into_iter()
            .map(|t| {
                if t.suffix.is_empty() {
                    t.norm
                } else {
                    format!("{}{}", t.norm, t.suffix)
                }
            })
            .collect();
        let Some((first, rest)) = words.split_first() else {
            return;
        };
        if self.locked.contains(&words.join(" ")) {
            return;
        }
        let entries = self.map.entry(first.clone()).or_default();
        if entries
            .iter()
            .any(|(r, existing)| r == rest && *existing == role)
        {
            return;
        }
        entries.push((rest.to_vec(), role));
        entries.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
    }

    /// Gives every word known so far to the languages added before.
    pub(crate) fn lock_existing(&mut self) {
        for (first, entries) in &self.map {
            for (rest, _) in entries {
                let mut phrase = first.clone();
                for w in rest {
                    phrase.push(' ');
                    phrase.push_str(w);
                }
                self.locked.insert(phrase);
            }
        }
    }

    pub(crate) fn get(&self, word: &str) -> Option<&[(Vec<String>, Role)]> {
        self.map.get(word).map(Vec::as_slice)
    }

    /// Single words with a role in `roles` whose length is within one of `len`, for typo
    /// tolerance.
    pub(crate) fn words(&self) -> impl Iterator<Item = (&str, &[(Vec<String>, Role)])> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// One language's words, ready for parsing.
#[derive(Debug)]
pub(crate) struct Lexicon {
    pub phrases: PhraseMap,
    /// `11/20` reads month first (`mdy`) or day first (`dmy`).
    pub month_first: bool,
    /// `1.200` means one thousand two hundred.
    pub dot_thousands: bool,
    /// Single-word category keywords and names by length, for typo tolerance.
    /// By first letter: each word, its length in letters, and its role.
    pub fuzzy: FxHashMap<char, Vec<(String, usize, Role)>>,
    /// Letters after a number that make it an ordinal (`st`, `º`, `er`).
    pub ordinal_suffixes: FxHashSet<String>,
}

/// How much of a language file [`extend`] adds to a lexicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The lexicon's own language: every word, and its way of writing dates and numbers.
    Own,
    /// A language mixed into another (English words in a Hindi sentence): every word.
    Mixed,
    /// Only the words that name things: currencies and categories (`টাকা` in English text).
    Content,
}

/// Adds one language's words (and the common ones) to `lexicon`, as far as `scope` says.
pub(crate) fn extend(
    lexicon: &mut Lexicon,
    file_name: &str,
    lang: &LanguageFile,
    common: &CommonFile,
    scope: Scope,
) -> Result<(), CatalogueError> {
    let p = &mut lexicon.phrases;
    if scope == Scope::Content {
        return extend_content(p, file_name, lang);
    }
    let roles = lang.words.roles().into_iter().chain(lang.dates.roles());
    for (list, role) in roles {
        for phrase in list {
            p.insert(phrase, role);
        }
    }
    extend_numbers(p, file_name, &lang.numbers)?;
    extend_content(p, file_name, lang)?;
    extend_calendar(p, file_name, &lang.dates)?;
    for suffix in &lang.dates.ordinal_suffixes {
        lexicon
            .ordinal_suffixes
            .insert(super::super::lexer::fold(suffix));
    }
    let p = &mut lexicon.phrases;
    for (name, idx) in DEFAULT_CATEGORIES.iter().zip(0u8..) {
        p.insert(name, Role::CategoryName(idx));
    }
    for (code, role) in common_roles(common, file_name)? {
        p.insert(&code, role);
    }
    if scope == Scope::Mixed {
        return Ok(());
    }
    match lang.date_order.as_deref() {
        None | Some("mdy") => {}
        Some("dmy") => lexicon.month_first = false,
        Some(other) => {
            return Err(invalid(
                file_name,
                format!("date_order {other:?} is not mdy or dmy"),
            ));
        }
    }
    lexicon.dot_thousands |= lang.dot_thousands;
    Ok(())
}

/// Number words, scales, fractions, joiners and articles.
pub(super) fn extend_numbers(
    p: &mut PhraseMap,
    file_name: &str,
    n: &Numbers,
) -> Result<(), CatalogueError> {
    for (word, value) in &n.words {
        p.insert(word, Role::NumberWord(*value));
    }
    for (word, value) in &n.scales {
        p.insert(word, Role::Scale(decimal(file_name, value)?));
    }
    for (word, value) in &n.fractions {
        p.insert(word, Role::Fraction(decimal(file_name, value)?));
    }
    for w in &n.joiners {
        p.insert(w, Role::NumberJoin);
    }
    for w in &n.articles {
        p.insert(w, Role::Article);
    }
    Ok(())
}

/// Weekdays (seven, Monday first), months (twelve) and ordinal words.
pub(super) fn extend_calendar(
    p: &mut PhraseMap,
    file_name: &str,
    d: &Dates,
) -> Result<(), CatalogueError> {
    if !d.weekdays.is_empty() && d.weekdays.len() != 7 {
        return Err(invalid(
            file_name,
            "dates.weekdays needs 7 entries, Monday first",
        ));
    }
    if !d.months.is_empty() && d.months.len() != 12 {
        return Err(invalid(
            file_name,
            "dates.months needs 12 entries, January first",
        ));
    }
    let named = |lists: &[Vec<String>], role: fn(u8) -> Role| {
        lists
            .iter()
            .zip(0u8..)
            .flat_map(move |(names, i)| names.iter().map(move |n| (n.clone(), role(i))))
            .collect::<Vec<_>>()
    };
    let all = named(&d.weekdays, Role::Weekday)
        .into_iter()
        .chain(named(&d.months, |i| Role::Month(i + 1)))
        .chain(named(&d.ordinals[..d.ordinals.len().min(31)], |i| {
            Role::Ordinal(i + 1)
        }));
    for (word, role) in all {
        p.insert(&word, role);
    }
    Ok(())
}

/// A language's currency and category words.
pub(super) fn extend_content(
    p: &mut PhraseMap,
    file_name: &str,
    lang: &LanguageFile,
) -> Result<(), CatalogueError> {
    for (code, words) in &lang.currencies {
        let currency = Currency::parse(code)
            .ok_or_else(|| invalid(file_name, format!("{code:?} is not a currency code")))?;
        for w in words {
            p.insert(w, Role::Currency(currency));
        }
    }
    for (name, words) in &lang.categories {
        let idx = category_index(name)
            .ok_or_else(|| invalid(file_name, format!("{name:?} is not a default category")))?;
        p.insert(name, Role::CategoryName(idx));
        for w in words.label.iter().chain(&words.names) {
            p.insert(w, Role::CategoryName(idx));
        }
        for w in &words.keywords {
            p.insert(w, Role::CategoryKeyword(idx));
        }
    }
    Ok(())
}

pub(super) fn common_roles(
    common: &CommonFile,
    file_name: &str,
) -> Result<Vec<(String, Role)>, CatalogueError> {
    let mut out = Vec::new();
    for code in &common.lowercase_codes {
        let c = Currency::parse(code)
            .ok_or_else(|| invalid(file_name, format!("{code:?} is not a currency code")))?;
        out.push((code.to_lowercase(), Role::Currency(c)));
    }
    for (name, emoji) in &common.emoji {
        let idx = category_index(name)
            .ok_or_else(|| invalid("common.toml", format!("{name:?} is not a default category")))?;
        for e in emoji {
            out.push((e.clone(), Role::CategoryKeyword(idx)));
        }
    }
    for (name, merchants) in &common.merchants {
        let idx = category_index(name)
            .ok_or_else(|| invalid("common.toml", format!("{name:?} is not a default category")))?;
        for m in merchants {
            out.push((m.clone(), Role::Merchant(idx)));
        }
    }
    Ok(out)
}

/// Builds the single-word list used for typo tolerance: category names and keywords.
pub(crate) fn build_fuzzy(lexicon: &mut Lexicon) {
    let mut fuzzy: FxHashMap<char, Vec<(String, usize, Role)>> = FxHashMap::default();
    for (word, entries) in lexicon.phrases.words() {
        for (rest, role) in entries {
            if rest.is_empty()
                && word.chars().count() >= 4
                && matches!(
                    role,
                    Role::CategoryName(_) | Role::CategoryKeyword(_) | Role::Merchant(_)
                )
            {
                if let Some(first) = word.chars().next() {
                    let len = word.chars().count();
                    fuzzy
                        .entry(first)
                        .or_default()
                        .push((word.to_owned(), len, *role));
                }
            }
        }
    }
    for words in fuzzy.values_mut() {
        words.sort_by(|a, b| a.0.cmp(&b.0));
        words.shrink_to_fit();
    }
    lexicon.fuzzy = fuzzy;
    // The last step of building a lexicon: what grew while languages were read is cut to size
    // (the catalogue lives as long as the process, nine lexicons of it).
    lexicon.phrases.shrink();
}

impl Lexicon {
    pub(crate) fn new() -> Self {
        Self {
            phrases: PhraseMap::default(),
            month_first: true,
            dot_thousands: false,
            fuzzy: FxHashMap::default(),
            ordinal_suffixes: FxHashSet::default(),
        }
    }
}
