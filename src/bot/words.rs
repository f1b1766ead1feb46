//! What the bot's words mean outside a conversation: a period typed into a web filter, the
//! category a description suggests (for imported rows). The same catalogue as messages, so
//! "last month" means the same in a filter as in chat.

use chrono::NaiveDate;

use super::Bot;
use crate::domain::{Category, DateRange};
use crate::intent::{Intent, ParseContext};

impl Bot {
    /// The range that period words name (`last month`, `this week`, `october`, `last 7
    /// days`), resolved against `today`; `None` when they name none.
    pub fn period_of(&self, lang: &str, words: &str, today: NaiveDate) -> Option<DateRange> {
        let words = words.trim();
        if words.is_empty() {
            return None;
        }
        let ctx = ParseContext {
            today,
            lang: Some(lang),
        };
        match self.catalogue.parse(&format!("/list {words}"), &ctx) {
            Intent::List(q) => q.range,
            _ => None,
        }
    }

    /// The category a description suggests (`uber` → transport), or `None` when it gives no
    /// clue.
    pub fn category_for(&self, lang: &str, text: &str, today: NaiveDate) -> Option<Category> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let ctx = ParseContext {
            today,
            lang: Some(lang),
        };
        match self.catalogue.parse(&format!("/add 1 {text}"), &ctx) {
            Intent::AddExpense { items, .. } => items.into_iter().find_map(|i| i.category),
            _ => None,
        }
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

#[cfg(test)]
mod tests {
    use crate::bot::Bot;
    use crate::intent::Catalogue;
    use crate::ledger::{AccountDefaults, Ledger};

    async fn bot() -> Bot {
        let store = crate::store::Store::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        let defaults = AccountDefaults {
            currency: crate::domain::Currency::parse("USD").expect("USD"),
            timezone: chrono_tz::UTC,
            language: "en".into(),
        };
        Bot::new(Ledger::new(store, defaults), Catalogue::embedded())
    }

    #[tokio::test]
    async fn period_words_mean_what_they_mean_in_chat() {
        let bot = bot().await;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
        let r = bot.period_of("en", "last month", today).expect("a range");
        assert_eq!(
            r.from,
            chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("a date")
        );
        assert_eq!(
            r.to,
            chrono::NaiveDate::from_ymd_opt(2026, 10, 31).expect("a date")
        );
        assert_eq!(bot.period_of("en", "", today), None);
    }

    #[tokio::test]
    async fn descriptions_suggest_categories() {
        let bot = bot().await;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
        let c = bot
            .category_for("en", "uber home", today)
            .expect("a category");
        assert_eq!(c.as_str(), "transport");
        assert_eq!(bot.category_for("en", "", today), None);
    }
}
