//! Understanding messages: text in, [`Intent`] out. The words live as data in `intents/`
//! (one TOML file per language, embedded in the binary); this module only reads them.
//! Parsing does no I/O and never fails: text that is not understood is [`Intent::Unknown`].

mod catalogue;
mod command;
mod dates;
#[cfg(test)]
mod fuzz;
mod json;
mod lexer;
mod numbers;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::domain::{Category, Currency, DateRange, LimitPeriod};

pub use catalogue::{CatalogueError, CommandDef, SlashDef, SlashOption};
pub use command::Command;
pub use json::contract_json;

use catalogue::{CommonFile, LanguageFile, Lexicon, Scope};
use parse::Common;

/// What parsing needs to know besides the text.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// Today in the user's time zone; relative dates resolve against it.
    pub today: NaiveDate,
    /// The user's language, a catalogue code such as `en`; `None` tries every language.
    pub lang: Option<&'a str>,
}

/// One expense or income as said in a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    /// `None` when the message names no amount, or names several and it is unclear which.
    pub amount: Option<Decimal>,
    /// `None` means the account's own currency.
    pub currency: Option<Currency>,
    pub category: Option<Category>,
    pub note: Option<String>,
    /// When `amount` is `None` because several numbers could be the price, the candidates.
    pub candidates: Vec<Decimal>,
}

/// Which entry to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// `/delete 42`
    Id(i64),
    /// `delete the coffee`: the latest entry whose note or category matches.
    Matching(String),
    /// `delete the last one`
    Last,
    /// `delete 50%`, `delete %`: something was said, but no entry can be read from it. Nothing
    /// is deleted; the bot asks which one.
    Unclear,
}

/// A limit as said in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDraft {
    /// `None` asks for the amount, or (with `remove`) means "no limit".
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    pub period: LimitPeriod,
    pub category: Option<Category>,
    /// `remove my food limit`, `/limit off`.
    pub remove: bool,
}

/// What a question wants to know about its period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ask {
    /// Totals by category: `how much this week`, `give me the overview`.
    #[default]
    Totals,
    /// `biggest purchase this month`
    Largest,
    /// `top 3 categories this year`
    TopCategories,
    /// `average per day`
    Average,
    /// `transport vs travel`, `this month vs last month`: the other side of the comparison.
    Compare {
        range: Option<DateRange>,
        category: Option<Category>,
    },
}

/// A question about a period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// `None`: the default period (this month for summaries, recent entries for lists).
    pub range: Option<DateRange>,
    pub category: Option<Category>,
    /// `show my last 4`, `top 3 categories`: how many to show (`None`: the usual number).
    pub count: Option<u32>,
    /// `find coffee`: only entries whose note has these words.
    pub text: Option<String>,
    pub ask: Ask,
}

/// What a correction changes: `change 42 to 15`, `#42 is entertainment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Amount(Decimal),
    Category(Category),
}

/// What a message asks the bot to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// One or more expenses, all on the same day (`None`: today).
    AddExpense {
        items: Vec<Item>,
        date: Option<NaiveDate>,
    },
    AddIncome {
        item: Item,
        date: Option<NaiveDate>,
    },
    SetLimit(LimitDraft),
    Summary(Query),
    List(Query),
    Undo,
    Delete(DeleteTarget),
    Help,
    /// `/start`, possibly with a deep-link payload such as `link-ABC123`.
    Start {
        payload: Option<String>,
    },
    /// `/currency EUR`; `None` when no valid code was given.
    SetCurrency(Option<Currency>),
    /// `/timezone Europe/Madrid`; the raw zone name, checked by the bot.
    SetTimezone(Option<String>),
    Categories,
    /// `/link` (new code) or `/link CODE` (join).
    Link {
        code: Option<String>,
    },
    /// `/email you@example.com` (or `/register …`): an address for alerts; `None` shows the
    /// current one.
    Email(Option<String>),
    /// `/email off`: no more alert emails.
    EmailOff,
    /// `/verify 123456`
    Verify(Option<String>),
    /// `/web`: a one-time sign-in link to the web dashboard.
    Web,
    /// `hi`, `hello`, `hola`: a greeting on its own.
    Greeting,
    /// `change 42 to 15`, `#42 is entertainment`, `move the coffee to snacks`.
    Correct {
        target: DeleteTarget,
        change: Change,
    },
    Unknown,
}

/// One language of the catalogue.
#[derive(Debug)]
struct Language {
    lexicon: Lexicon,
    /// The words only this language's file has (first words of its phrases), which tell
    /// that a message is in it.
    own: FxHashSet<String>,
    file: LanguageFile,
}

/// The intent catalogue: every language's words, phrasings, commands, replies and examples.
#[derive(Debug)]
pub struct Catalogue {
    languages: Vec<Language>,
    /// Every language's words together, for text of unknown language.
    merged: Lexicon,
    common: Common,
    /// Command names and aliases of every language → canonical command.
    commands: HashMap<String, Command>,
    /// Other bots' command names of every language → the words they mean.
    other_commands: HashMap<String, String>,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/intents.rs"));
}

static EMBEDDED: LazyLock<Catalogue> = LazyLock::new(|| {
    // The files are part of the binary and every one of them is checked by the test suite, so a
    // failure here is a build defect, not a runtime condition.
    Catalogue::from_sources(embedded::COMMON, embedded::LANGUAGES)
        .unwrap_or_else(|e| panic!("the embedded intent catalogue is invalid: {e}"))
});

impl Catalogue {
    /// The catalogue built into the binary from `intents/`.
    pub fn embedded() -> &'static Catalogue {
        &EMBEDDED
    }

    /// Builds a catalogue from `common.toml`'s text and `(file name, text)` of each language.
    pub fn from_sources(
        common: &str,
        languages: &[(&str, &str)],
    ) -> Result<Catalogue, CatalogueError> {
        let invalid = |file: &str, e: toml::de::Error| CatalogueError::Invalid {
            file: file.to_owned(),
            message: e.to_string(),
        };
        let common_file: CommonFile =
            toml::from_str(common).map_err(|e| invalid("common.toml", e))?;
        let mut symbols = FxHashMap::default();
        for (sign, code) in &common_file.symbols {
            let c = Currency::parse(code).ok_or_else(|| CatalogueError::Invalid {
                file: "common.toml".into(),
                message: format!("{code:?} is not a currency code"),
            })?;
            symbols.insert(lexer::fold(sign), c);
        }
        let mut letter_signs = FxHashMap::default();
        for (sign, code) in &common_file.letter_signs {
            let c = Currency::parse(code).ok_or_else(|| CatalogueError::Invalid {
                file: "common.toml".into(),
                message: format!("{code:?} is not a currency code"),
            })?;
            letter_signs.insert(sign.clone(), c);
        }
        let dot_thousands = common_file
            .dot_thousands_currencies
            .iter()
            .filter_map(|c| Currency::parse(c))
            .collect();
        let common_lookup = Common {
            letter_signs,
            dot_thousands,
            symbols,
        };
        // English first: it owns the words it shares with later languages in the merged lexicon.
        let mut files = Vec::new();
        for (name, text) in languages {
            let file: LanguageFile = toml::from_str(text).map_err(|e| invalid(name, e))?;
            files.push((*name, file));
        }
        files.sort_by_key(|(name, _)| (!name.starts_with("en."), name.to_string()));
        let mut merged = Lexicon::new();
        let mut commands = HashMap::new();
        let mut other_commands = HashMap::new();
        for (name, file) in &files {
            merged.phrases.lock_existing();
            catalogue::extend(&mut merged, name, file, &common_file, Scope::Own)?;
            for (name, words) in &file.other_commands {
                other_commands.insert(lexer::fold(name), words.clone());
            }
            for def in &file.commands {
                let canonical =
                    def.name
                        .parse::<Command>()
                        .map_err(|_| CatalogueError::Invalid {
                            file: (*name).to_owned(),
                            message: format!(
                                "command {:?} is not one of {:?}",
                                def.name,
                                Command::NAMES
                            ),
                        })?;
                commands.insert(def.name.clone(), canonical);
                for alias in &def.aliases {
                    commands.insert(lexer::fold(alias), canonical);
                }
            }
        }
        // Each language's lexicon: its own words first, then English words (people mix them
        // into every language: `aaj ka total`), then what other languages call currencies and
        // categories (`lunch 120 টাকা`). A word keeps the meaning of the first that has it.
        let mut lexicons = Vec::new();
        for (i, (name, file)) in files.iter().enumerate() {
            let mut lexicon = Lexicon::new();
            catalogue::extend(&mut lexicon, name, file, &common_file, Scope::Own)?;
            let own: FxHashSet<String> =
                lexicon.phrases.words().map(|(w, _)| w.to_owned()).collect();
            for (j, (other_name, other)) in files.iter().enumerate() {
                if j != i && other.code == "en" {
                    lexicon.phrases.lock_existing();
                    catalogue::extend(&mut lexicon, other_name, other, &common_file, Scope::Mixed)?;
                }
            }
            catalogue::build_fuzzy(&mut lexicon);
            for (j, (other_name, other)) in files.iter().enumerate() {
                if j != i && other.code != "en" {
                    lexicon.phrases.lock_existing();
                    catalogue::extend(
                        &mut lexicon,
                        other_name,
                        other,
                        &common_file,
                        Scope::Content,
                    )?;
                }
            }
            lexicons.push((lexicon, own));
        }
        let mut langs: Vec<Language> = files
            .into_iter()
            .zip(lexicons)
            .map(|((_, file), (lexicon, own))| Language { lexicon, own, file })
            .collect();
        // Words every language has (currency codes, merchants) tell no language apart.
        if langs.len() > 1 {
            let shared: FxHashSet<String> = langs[0]
                .own
                .iter()
                .filter(|w| langs.iter().all(|l| l.own.contains(*w)))
                .cloned()
                .collect();
            for l in &mut langs {
                l.own.retain(|w| !shared.contains(w));
            }
        }
        // Text in an unknown language gets no day-first dates or dotted thousands.
        merged.month_first = true;
        merged.dot_thousands = false;
        catalogue::build_fuzzy(&mut merged);
        langs.sort_by(|a, b| a.file.code.cmp(&b.file.code));
        Ok(Catalogue {
            languages: langs,
            merged,
            common: common_lookup,
            commands,
            other_commands,
        })
    }

    /// The language codes the catalogue has, e.g. `["en", "es"]`.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.iter().map(|l| l.file.code.as_str())
    }

    /// The languages with their own names: `("es", "Español")`.
    pub fn language_names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.languages
            .iter()
            .map(|l| (l.file.code.as_str(), l.file.name.as_str()))
    }

    /// The catalogue's language for an IETF tag (`es-MX` → `es`), if it has one.
    pub fn language_for(&self, tag: &str) -> Option<&str> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or(tag)
            .to_ascii_lowercase();
        self.languages().find(|code| *code == primary)
    }

    fn language(&self, code: &str) -> Option<&Language> {
        let code = self.language_for(code)?;
        self.languages.iter().find(|l| l.file.code == code)
    }

    /// The menu of commands in a language (English when the language has none).
    pub fn commands(&self, lang: &str) -> &[CommandDef] {
        match self.language(lang) {
            Some(l) if !l.file.commands.is_empty() => &l.file.commands,
            _ => self
                .language("en")
                .map_or(&[], |l| l.file.commands.as_slice()),
        }
    }

    /// The Discord slash commands (English names; the same in every language).
    pub fn slash_commands(&self) -> &[SlashDef] {
        self.language("en").map_or(&[], |l| l.file.slash.as_slice())
    }

    /// What a language calls a default category (`food` → `comida`): its label there, else
    /// the first of its names, else the category's own name.
    pub fn category_label<'a>(&'a self, lang: &str, name: &'a str) -> &'a str {
        self.language(lang)
            .and_then(|l| l.file.categories.get(name))
            .and_then(|w| w.label.as_ref().or(w.names.first()))
            .map_or(name, String::as_str)
    }

    /// A reply text by key in a language, falling back to English, then to the key itself.
    pub fn reply<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.language(lang)
            .and_then(|l| l.file.replies.get(key))
            .or_else(|| self.language("en").and_then(|l| l.file.replies.get(key)))
            .map_or(key, String::as_str)
    }

    /// A reply text by key in that language only, with no fallback.
    pub fn own_reply(&self, lang: &str, key: &str) -> Option<&str> {
        self.language(lang)
            .and_then(|l| l.file.replies.get(key))
            .map(String::as_str)
    }

    /// Parses one message. Never fails: what is not understood is [`Intent::Unknown`].
    pub fn parse(&self, text: &str, ctx: &ParseContext<'_>) -> Intent {
        // Bengali, Devanagari, Arabic-Indic, full-width … digits are digits.
        let text = lexer::ascii_digits(text);
        let text = text.trim();
        let own = ctx
            .lang
            .map(|l| self.language(l).map_or(&self.merged, |l| &l.lexicon));
        let Some(rest) = text.strip_prefix('/') else {
            // Split once: the words tell the language, then the same tokens are parsed.
            let tokens = lexer::lex(text);
            let lexicon = own.unwrap_or_else(|| {
                self.detect_tokens(&tokens, None)
                    .map_or(&self.merged, |l| &l.lexicon)
            });
            return parse::parse_lexed(text, tokens, lexicon, &self.common, ctx.today, None);
        };
        let lexicon =
            own.unwrap_or_else(|| self.detect(text, None).map_or(&self.merged, |l| &l.lexicon));
        self.slash(&command::Slash::split(rest), lexicon, ctx.today)
    }

    /// Parses in the person's language, and when that understands nothing, in the language
    /// the words themselves are in (a Spanish speaker may write in English). Words the
    /// person's own language has keep its meaning: `sim` is Portuguese for yes, not a SIM card.
    pub fn understand(&self, text: &str, ctx: &ParseContext<'_>) -> Intent {
        match self.parse(text, ctx) {
            Intent::Unknown => {
                let Some(own) = ctx.lang.and_then(|l| self.language(l)) else {
                    return Intent::Unknown;
                };
                match self.detect(&lexer::ascii_digits(text), Some(own.file.code.as_str())) {
                    Some(other) if !std::ptr::eq(other, own) => self.parse(
                        text,
                        &ParseContext {
                            lang: Some(other.file.code.as_str()),
                            ..*ctx
                        },
                    ),
                    Some(_) => Intent::Unknown,
                    None => self.parse(text, &ParseContext { lang: None, ..*ctx }),
                }
            }
            intent => intent,
        }
    }

    /// The language most of the message's words belong to; on a tie, `prefer` (the person's
    /// own) and then English; `None` when no language knows any of them.
    fn detect(&self, text: &str, prefer: Option<&str>) -> Option<&Language> {
        self.detect_tokens(&lexer::lex(text), prefer)
    }

    /// [`Catalogue::detect`] on tokens already made.
    fn detect_tokens(&self, tokens: &[lexer::Token], prefer: Option<&str>) -> Option<&Language> {
        let mut best: Option<(usize, &Language)> = None;
        for l in &self.languages {
            let n = tokens
                .iter()
                .filter(|t| t.kind == lexer::Kind::Word && l.own.contains(&t.norm))
                .count();
            let favoured = |l: &Language| match prefer {
                Some(p) => l.file.code == p,
                None => l.file.code == "en",
            };
            let better = match best {
                None => n > 0,
                Some((m, b)) => {
                    n > m || (n == m && favoured(l) && !(prefer.is_some() && favoured(b)))
                }
            };
            if better {
                best = Some((n, l));
            }
        }
        best.map(|(_, l)| l)
    }

    /// A currency from a code, sign or word (`EUR`, `€`, `euros`).
    pub fn currency_named(&self, text: &str) -> Option<Currency> {
        let text = text.trim();
        let folded = lexer::fold(text);
        if let Some(c) = self.common.symbols.get(&folded) {
            return Some(*c);
        }
        if text.len() == 3 {
            return Currency::parse(text);
        }
        self.merged.phrases.get(&folded).and_then(|entries| {
            entries.iter().find_map(|(rest, role)| match role {
                catalogue::Role::Currency(c) if rest.is_empty() => Some(*c),
                _ => None,
            })
        })
    }

    /// The examples of every language: `(language, example)`.
    #[cfg(test)]
    pub(crate) fn examples(&self) -> impl Iterator<Item = (&str, &catalogue::Example)> {
        self.languages.iter().flat_map(|l| {
            l.file
                .examples
                .iter()
                .map(move |e| (l.file.code.as_str(), e))
        })
    }
}
