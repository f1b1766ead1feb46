//! What the bot's words mean outside a conversation: a period typed into a web filter, the
//! category a description suggests (for imported rows). The same catalogue as messages, so
//! "last month" means the same in a filter as in chat.

use chrono::NaiveDate;

use super::Bot;
use crate::domain::{Category, DateRange};
use crate::intent::{Catalogue, Intent, ParseContext};

impl Bot {
    /// The range that period words name (`last month`, `this week`, `october`, `last 7
    /// days`), resolved against `today`; `None` when they name none.
    pub fn period_of(&self, lang: &str, words: &str, today: NaiveDate) -> Option<DateRange> {
        period_of(self.catalogue, lang, words, today)
    }

    /// The category a description suggests (`uber` → transport), or `None` when it gives no
    /// clue.
    pub fn category_for(&self, lang: &str, text: &str, today: NaiveDate) -> Option<Category> {
        category_for(self.catalogue, lang, text, today)
    }

    /// Whether emails can be sent at all (SendGrid is configured).
    pub fn emails_on(&self) -> bool {
        self.email
    }

    /// The languages people can choose: `(code, own name)`.
    pub fn languages(&self) -> Vec<(String, String)> {
        self.catalogue
            .language_names()
            .map(|(c, n)| (c.to_owned(), n.to_owned()))
            .collect()
    }
}

fn period_of(
    catalogue: &Catalogue,
    lang: &str,
    words: &str,
    today: NaiveDate,
) -> Option<DateRange> {
    let words = words.trim();
    if words.is_empty() {
        return None;
    }
    let ctx = ParseContext {
        today,
        lang: Some(lang),
    };
    match catalogue.parse(&format!("/list {words}"), &ctx) {
        Intent::List(q) => q.range,
        _ => None,
    }
}

fn category_for(
    catalogue: &Catalogue,
    lang: &str,
    text: &str,
    today: NaiveDate,
) -> Option<Category> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let ctx = ParseContext {
        today,
        lang: Some(lang),
    };
    match catalogue.parse(&format!("/add 1 {text}"), &ctx) {
        Intent::AddExpense { items, .. } => items.into_iter().find_map(|i| i.category),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn period_words_mean_what_they_mean_in_chat() {
        let c = Catalogue::embedded();
        let r = period_of(c, "en", "last month", day(2026, 11, 25)).expect("a range");
        assert_eq!((r.from, r.to), (day(2026, 10, 1), day(2026, 10, 31)));
        assert_eq!(period_of(c, "en", "", day(2026, 11, 25)), None);
        assert_eq!(period_of(c, "en", "blorp", day(2026, 11, 25)), None);
    }

    #[test]
    fn descriptions_suggest_categories() {
        let c = Catalogue::embedded();
        let got = category_for(c, "en", "uber home", day(2026, 11, 25)).expect("a category");
        assert_eq!(got.as_str(), "transport");
        assert_eq!(category_for(c, "en", "", day(2026, 11, 25)), None);
    }
}
