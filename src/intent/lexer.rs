//! Splits a message into tokens: words, numbers (with their separators and suffix letters),
//! currency symbols, hashtags, a leading slash command and item separators. Offsets point into
//! the original text, so notes keep the user's own spelling.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters (any script), lower-cased and accent-folded in `norm`.
    Word,
    /// Digits with inner `.` `,` `:` `/` `-`; `suffix` holds letters glued after them.
    Number,
    /// A currency sign such as `$`, `€`, `R$`.
    Symbol,
    /// `#food`; `norm` holds the word without `#`.
    Hashtag,
    /// A leading `/add`; `norm` holds the command name without `/` or `@bot`.
    Command,
    /// An item separator: `,` `;` `+` `&` or a line break.
    Sep,
    /// `%` glued to a number, `?`, or other punctuation worth keeping.
    Punct,
    /// Anything else that is not space: emoji, other symbols. Kept in notes as typed.
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Kind,
    /// Byte range in the original text.
    pub start: usize,
    pub end: usize,
    /// Normalised text: lower case, accents folded (words); the digits part (numbers).
    pub norm: String,
    /// Letters glued to a number (`k` in `1.5k`, `pm` in `7pm`), lower case.
    pub suffix: String,
}

const SYMBOLS: &[char] = &[
    '$', '€', '£', '₹', '¥', '₩', '₽', '₺', '₱', '฿', '₫', '₦', '₪', '₴', '₡', '₲', '₵', '₸', '₼',
    '₾', '৳',
];

/// Letters that form a currency sign together with a following `$` (`R$`, `US$`).
const DOLLAR_PREFIXES: &[&str] = &["us", "r", "a", "au", "c", "ca", "hk", "s", "nz", "mx", "nt"];

pub(crate) fn is_symbol(c: char) -> bool {
    SYMBOLS.contains(&c)
}

/// Lower-cases and folds accents, so `Gasté` matches `gaste` and `přítel` matches `pritel`:
/// the text in canonical decomposition (NFD) without its combining diacritics. Indic letters
/// with a nukta, which some keyboards send precomposed and others decomposed (`ড়`, `ড` + `়`),
/// both come out decomposed; Indic vowel signs are letters and stay.
pub(crate) fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    if text.is_ascii() {
        out.extend(text.chars().map(|c| c.to_ascii_lowercase()));
        return out;
    }
    for c in text.nfd() {
        if is_diacritic(c) || matches!(c, '\u{200C}' | '\u{200D}') {
            continue;
        }
        for l in c.to_lowercase() {
            out.push(if matches!(l, '’' | '‘') { '\'' } else { l });
        }
    }
    out
}

/// The combining marks that only accent a letter: the blocks of combining diacritical marks
/// (not the vowel signs and viramas of Indic scripts, which are part of the word).
fn is_diacritic(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// A letter of a word: alphabetic, or a mark that belongs inside one. Indic scripts write
/// vowel signs, viramas and nuktas as marks (`ক্যাফে`, `पढ़ाई`), some not alphabetic; zero-width
/// joiners shape conjuncts; a decomposed accent (`e` + U+0301) follows its letter.
pub(crate) fn is_letter(c: char) -> bool {
    c.is_alphabetic()
        || (('\u{0900}'..='\u{0DFF}').contains(&c)
            && !matches!(c, '\u{0964}' | '\u{0965}')
            && !c.is_numeric()
            && !is_symbol(c))
        || matches!(c, '\u{200C}' | '\u{200D}' | '\u{0300}'..='\u{036F}')
}

fn is_word_char(c: char) -> bool {
    is_letter(c) || c == '\'' || c == '’'
}

/// Tokenises `text`. Never fails; characters it has no use for are skipped.
pub(crate) fn lex(text: &str) -> Vec<Token> {
    let mut s = Scanner {
        text,
        chars: text.char_indices().collect(),
        i: 0,
        tokens: Vec::with_capacity(12),
    };
    let mut spaced = true;
    while let Some(c) = s.at(s.i) {
        if c == '\n' || c == '\r' {
            s.i += 1;
            s.push(Kind::Sep, s.i - 1, "\n".into());
            spaced = true;
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            s.i += 1;
            spaced = true;
            continue;
        }
        let next_digit = s.at(s.i + 1).is_some_and(|d| d.is_ascii_digit());
        if c == '/' && s.tokens.is_empty() && s.at(s.i + 1).is_some_and(|d| d.is_ascii_alphabetic())
        {
            s.command();
        } else if c.is_ascii_digit() || (matches!(c, '-' | '.' | ',') && spaced && next_digit) {
            s.number();
        } else if c == '#' && s.at(s.i + 1).is_some_and(char::is_alphanumeric) {
            s.hashtag();
        } else if is_word_char(c) && c != '\'' && c != '’' {
            s.word();
        } else if is_symbol(c) {
            s.i += 1;
            s.push(Kind::Symbol, s.i - 1, c.to_string());
        } else if matches!(c, ',' | ';' | '+' | '&')
            || (matches!(c, '/' | '|') && spaced && s.at(s.i + 1).is_some_and(char::is_whitespace))
        {
            s.i += 1;
            s.push(Kind::Sep, s.i - 1, c.to_string());
        } else if c == '@' {
            s.at_sign();
        } else if matches!(
            c,
            '%' | '?' | '-' | '–' | '—' | '.' | '!' | ':' | '*' | '×' | '~' | '≈'
        ) {
            s.i += 1;
            let norm = if c == '–' || c == '—' {
                "-".to_owned()
            } else {
                c.to_string()
            };
            s.push(Kind::Punct, s.i - 1, norm);
        } else {
            s.other();
        }
        // Letters right after a symbol or digits start a new token without a space.
        spaced = s.at(s.i).is_some_and(char::is_whitespace);
    }
    s.tokens
}

/// The lexer's place in the text: characters with their byte offsets, and the tokens so far.
struct Scanner<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    /// The next character to read.
    i: usize,
    tokens: Vec<Token>,
}

impl Scanner<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c)| c)
    }

    /// The byte offset of character `i` (the text's end past the last).
    fn offset(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.text.len(), |&(o, _)| o)
    }

    /// Moves past every character that `keep` accepts.
    fn skip_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.at(self.i).is_some_and(&keep) {
            self.i += 1;
        }
    }

    /// A token from character `start` to the current place.
    fn push(&mut self, kind: Kind, start: usize, norm: String) {
        self.tokens.push(Token {
            kind,
            start: self.offset(start),
            end: self.offset(self.i),
            norm,
            suffix: String::new(),
        });
    }

    /// A leading `/add`; `/add@ExpenseBot` names the bot, which is not part of the command.
    fn command(&mut self) {
        let start = self.i;
        self.i += 1;
        self.skip_while(|d| d.is_ascii_alphanumeric() || d == '_');
        let name = self.text[self.offset(start + 1)..self.offset(self.i)].to_ascii_lowercase();
        if self.at(self.i) == Some('@') {
            self.i += 1;
            self.skip_while(|d| d.is_ascii_alphanumeric() || d == '_');
        }
        self.push(Kind::Command, start, name);
    }

    /// Digits with inner `.` `,` `:` `/` `-`, and the letters glued after them.
    fn number(&mut self) {
        let start = self.i;
        self.i += 1;
        while let Some(d) = self.at(self.i) {
            let inner = matches!(d, '.' | ',' | ':' | '/' | '-')
                && self.at(self.i + 1).is_some_and(|e| e.is_ascii_digit());
            if !(d.is_ascii_digit() || inner) {
                break;
            }
            self.i += 1;
        }
        let digits_end = self.i;
        self.skip_while(is_letter);
        let mut norm = self.text[self.offset(start)..self.offset(digits_end)].to_owned();
        if norm.starts_with('.') || norm.starts_with(',') {
            norm.insert(0, '0');
        }
        let suffix = fold(&self.text[self.offset(digits_end)..self.offset(self.i)]);
        self.push(Kind::Number, start, norm);
        if let Some(t) = self.tokens.last_mut() {
            t.suffix = suffix;
        }
    }

    /// `#food`, kept without the `#`.
    fn hashtag(&mut self) {
        let start = self.i;
        self.i += 1;
        self.skip_while(|d| is_letter(d) || d.is_alphanumeric() || d == '_' || d == '-');
        let norm = fold(&self.text[self.offset(start + 1)..self.offset(self.i)]);
        self.push(Kind::Hashtag, start, norm);
    }

    /// A word, lower-cased and accent-folded; `R$`, `US$` are currency signs.
    fn word(&mut self) {
        let start = self.i;
        self.skip_while(is_word_char);
        let word = fold(&self.text[self.offset(start)..self.offset(self.i)]);
        // `yesterday's` means `yesterday` to the parser; the note keeps the raw text.
        let word = word
            .strip_suffix("'s")
            .unwrap_or(&word)
            .trim_end_matches('\'')
            .to_owned();
        if self.at(self.i) == Some('$') && DOLLAR_PREFIXES.contains(&word.as_str()) {
            self.i += 1;
            self.push(Kind::Symbol, start, format!("{word}$"));
        } else {
            self.push(Kind::Word, start, word);
        }
    }

    /// `3 beers @ 6`: an at-sign alone before a number means "at"; `@name` is skipped.
    fn at_sign(&mut self) {
        let start = self.i;
        self.i += 1;
        self.skip_while(|d| d.is_alphanumeric() || d == '_');
        if self.i == start + 1 {
            self.push(Kind::Word, start, "@".into());
        }
    }

    /// Emoji and other symbols, kept in notes as typed.
    fn other(&mut self) {
        let start = self.i;
        self.skip_while(|d| {
            !d.is_whitespace()
                && !d.is_alphanumeric()
                && !is_letter(d)
                && !d.is_ascii_punctuation()
                && !is_symbol(d)
        });
        self.i = self.i.max(start + 1);
        let raw = self.text[self.offset(start)..self.offset(self.i)].to_owned();
        self.push(Kind::Other, start, raw);
    }
}

/// The zero of each block of decimal digits people type besides ASCII: Arabic-Indic,
/// Extended Arabic-Indic, Devanagari, Bengali, Gurmukhi, Gujarati, Tamil, Telugu, Kannada,
/// Malayalam, Thai, Myanmar and full-width.
const DIGIT_ZEROS: [u32; 13] = [
    0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0E50, 0x1040,
    0xFF10,
];

/// The text with every decimal digit of another script as its ASCII digit (`৫০০` → `500`,
/// `５００` → `500`); borrowed when there is none.
pub(crate) fn ascii_digits(text: &str) -> std::borrow::Cow<'_, str> {
    let digit = |c: char| {
        let code = u32::from(c);
        DIGIT_ZEROS
            .iter()
            .find(|zero| (**zero..**zero + 10).contains(&code))
            .and_then(|zero| char::from_digit(code - zero, 10))
    };
    if !text.chars().any(|c| !c.is_ascii() && digit(c).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_ascii() {
                    c
                } else {
                    digit(c).unwrap_or(c)
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String, String)> {
        lex(text)
            .into_iter()
            .map(|t| (t.kind, t.norm, t.suffix))
            .collect()
    }

    #[test]
    fn numbers_keep_separators_and_suffixes() {
        let toks = kinds("paid €1.200,50 for 1.5k 7:30pm 11/20 20th");
        let nums: Vec<_> = toks
            .iter()
            .filter(|t| t.0 == Kind::Number)
            .map(|t| (t.1.as_str(), t.2.as_str()))
            .collect();
        assert_eq!(
            nums,
            vec![
                ("1.200,50", ""),
                ("1.5", "k"),
                ("7:30", "pm"),
                ("11/20", ""),
                ("20", "th")
            ]
        );
        assert!(toks.iter().any(|t| t.0 == Kind::Symbol && t.1 == "€"));
    }

    #[test]
    fn digits_of_other_scripts_become_ascii() {
        assert_eq!(ascii_digits("দুধ ৬০ টাকা"), "দুধ 60 টাকা");
        assert_eq!(ascii_digits("५००"), "500");
        assert_eq!(ascii_digits("٥٠٠"), "500");
        assert_eq!(ascii_digits("５００円"), "500円");
        assert!(matches!(
            ascii_digits("coffee 3.50"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn commands_hashtags_and_symbols() {
        let toks = kinds("/add@ExpenseBot 5.50 coffee #Food R$10 12$");
        assert_eq!(toks[0], (Kind::Command, "add".into(), String::new()));
        assert!(toks.contains(&(Kind::Hashtag, "food".into(), String::new())));
        assert!(toks.contains(&(Kind::Symbol, "r$".into(), String::new())));
        assert!(toks.contains(&(Kind::Symbol, "$".into(), String::new())));
    }

    #[test]
    fn accents_fold_and_commas_separate_items() {
        let toks = kinds("Gasté 12 en almuerzo, café 3");
        assert_eq!(toks[0].1, "gaste");
        assert!(toks.iter().any(|t| t.0 == Kind::Sep));
        assert!(toks.iter().any(|t| t.1 == "cafe"));
    }

    #[test]
    fn indic_words_keep_their_marks() {
        let words = |text: &str| -> Vec<String> {
            lex(text)
                .into_iter()
                .filter(|t| t.kind == Kind::Word)
                .map(|t| t.norm)
                .collect()
        };
        assert_eq!(words("ক্যাফে ১২০ টাকা"), ["ক্যাফে", "টাকা"]);
        assert_eq!(words("पढ़ाई की फ़ीस। ठीक"), ["पढ़ाई", "की", "फ़ीस", "ठीक"]);
        assert_eq!(words("cafe\u{301} 3"), ["cafe"]);
        // Any Latin accent folds, with no table to keep: Czech, Turkish, Polish.
        assert_eq!(fold("Přítel Şeker Łódź"), "pritel seker łodz");
        // Precomposed and decomposed nukta letters are one word.
        assert_eq!(
            words("\u{09AC}\u{09BE}\u{09DC}\u{09BF}"),
            words("\u{09AC}\u{09BE}\u{09A1}\u{09BC}\u{09BF}")
        );
    }

    #[test]
    fn hostile_text_does_not_panic() {
        for text in [
            "",
            "\u{0}\u{1}\u{7f}",
            "🙂🙂🙂",
            "שלום 12",
            "مرحبا ١٢",
            "....,,,,",
            "-",
            "/",
            "#",
            "@",
            "$$$",
            "1..2,,3",
        ] {
            let _ = lex(text);
        }
    }
}
