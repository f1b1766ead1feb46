//! How replies name things in the person's language: days, periods, categories, entries,
//! money and the help text.

use super::*;

pub(super) fn money(amount: Decimal, currency: Currency) -> String {
    format!("{} {currency}", format_amount(amount, currency))
}

pub(super) fn money_of(m: &Money) -> String {
    money(m.amount(), m.currency())
}

impl Bot {
    /// `3 Dec 23.90 USD · transport · uber`: an entry as a line of a list (`+` before an
    /// income).
    pub(super) fn entry_line(&self, lang: &str, e: &Entry) -> String {
        let sign = if e.kind == EntryKind::Income { "+" } else { "" };
        let note = e
            .note
            .as_ref()
            .map(|n| format!(" · {n}"))
            .unwrap_or_default();
        format!(
            "{} {sign}{} · {}{note}",
            self.short_day(lang, e.occurred_on),
            money(e.money.amount(), e.money.currency()),
            self.label(lang, &e.category)
        )
    }

    /// "November", "food this week", "today".
    /// A day in the person's language: `Tue 24 Nov`, `24 de noviembre`.
    pub(super) fn day_label(&self, lang: &str, day: NaiveDate) -> String {
        use chrono::Datelike;
        match self.catalogue.own_reply(lang, "day_month") {
            Some(template) => {
                let month = self.t(lang, &format!("month_{}", day.month()), &[]);
                template
                    .replace("{day}", &day.day().to_string())
                    .replace("{month_lower}", &month.to_lowercase())
                    .replace("{month}", &month)
            }
            None => day.format("%a %-d %b").to_string(),
        }
    }

    /// A day in a list: `04 Dec`, or the language's own way.
    pub(super) fn short_day(&self, lang: &str, day: NaiveDate) -> String {
        match self.catalogue.own_reply(lang, "day_month") {
            Some(_) => self.day_label(lang, day),
            None => day.format("%d %b").to_string(),
        }
    }

    /// A category in the person's language (`food` → `comida`); their own categories as named.
    pub(super) fn label(&self, lang: &str, c: &Category) -> String {
        if c.is_default() {
            self.catalogue.category_label(lang, c.as_str()).to_owned()
        } else {
            c.to_string()
        }
    }

    pub(super) fn period_name(&self, lang: &str, range: DateRange) -> String {
        use chrono::Datelike;
        if range.from == range.to {
            return match self.catalogue.own_reply(lang, "day_month") {
                Some(_) => format!("{} {}", self.day_label(lang, range.from), range.from.year()),
                None => range.from.format("%-d %b %Y").to_string(),
            };
        }
        if DateRange::month_of(range.from) == range {
            let month = self.t(lang, &format!("month_{}", range.from.month()), &[]);
            return format!("{month} {}", range.from.year());
        }
        match self.catalogue.own_reply(lang, "day_month") {
            Some(_) => format!(
                "{} – {} {}",
                self.day_label(lang, range.from),
                self.day_label(lang, range.to),
                range.to.year()
            ),
            None => range.to_string(),
        }
    }

    /// "12.00 USD · food · lunch · Tue 24 Nov (#7)"
    pub(super) fn describe(&self, turn: &Turn<'_>, e: &Entry) -> String {
        let mut parts = vec![money(e.money.amount(), e.money.currency())];
        if e.kind == EntryKind::Expense {
            parts.push(self.label(&turn.lang, &e.category));
        }
        // "groceries · groceries" says nothing twice.
        if let Some(note) = e
            .note
            .as_ref()
            .filter(|n| !n.as_str().eq_ignore_ascii_case(e.category.as_str()))
        {
            parts.push(note.to_string());
        }
        if e.occurred_on != turn.today {
            parts.push(self.day_label(&turn.lang, e.occurred_on));
        }
        format!("{} (#{})", parts.join(" · "), e.id)
    }

    pub(super) fn removed(&self, turn: &Turn<'_>, entries: &[Entry]) -> String {
        let list: Vec<String> = entries.iter().map(|e| self.describe(turn, e)).collect();
        self.t(&turn.lang, "removed", &[("entry", &list.join("; "))])
    }

    pub(super) fn help(&self, lang: &str) -> String {
        let mut text = self.t(lang, "help", &[]);
        text.push('\n');
        for cmd in self.catalogue.commands(lang) {
            text.push_str(&format!("\n/{} – {}", cmd.name, cmd.description));
        }
        text
    }

    /// A reply template of the catalogue with `{name}` placeholders filled.
    pub(super) fn t(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.catalogue.reply(lang, key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

/// A category's share of what was spent in its currency, in whole percent.
pub(super) fn share(row: &crate::domain::CategoryTotal, spent: &[(Currency, Decimal)]) -> Decimal {
    let of = spent
        .iter()
        .find(|(c, _)| *c == row.currency)
        .map_or(Decimal::ZERO, |(_, t)| *t);
    if of.is_zero() {
        Decimal::ZERO
    } else {
        (row.total * Decimal::from(100) / of).round()
    }
}
