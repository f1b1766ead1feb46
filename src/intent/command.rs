//! Slash commands: the canonical commands, whatever a language calls them, and how each reads
//! the words after it. A command that is none of ours is read as its words (`/thisweek`,
//! `/addexpense 4.50 tea`, `/ayer`).

use chrono::NaiveDate;

use super::catalogue::Lexicon;
use super::parse::{self, Forced};
use super::{Catalogue, DeleteTarget, Intent, Query, lexer};
use crate::domain::DateRange;

/// The commands of the menu and of Discord's slash commands; a language's `[[commands]]` name
/// these and add aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Email,
    Verify,
    Add,
    Income,
    Limit,
    Summary,
    List,
    Undo,
    Delete,
    Help,
    Start,
    Currency,
    Timezone,
    Categories,
    Link,
    Web,
}

impl Command {
    /// Every command with its canonical name.
    const ALL: [(Command, &'static str); 16] = [
        (Command::Email, "email"),
        (Command::Verify, "verify"),
        (Command::Add, "add"),
        (Command::Income, "income"),
        (Command::Limit, "limit"),
        (Command::Summary, "summary"),
        (Command::List, "list"),
        (Command::Undo, "undo"),
        (Command::Delete, "delete"),
        (Command::Help, "help"),
        (Command::Start, "start"),
        (Command::Currency, "currency"),
        (Command::Timezone, "timezone"),
        (Command::Categories, "categories"),
        (Command::Link, "link"),
        (Command::Web, "web"),
    ];

    /// The canonical names, for messages about a catalogue file.
    pub const NAMES: [&'static str; 16] = {
        let mut names = [""; 16];
        let mut i = 0;
        while i < 16 {
            names[i] = Self::ALL[i].1;
            i += 1;
        }
        names
    };

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("help", |(_, n)| n)
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no canonical command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a command")]
pub struct UnknownCommand(String);

impl std::str::FromStr for Command {
    type Err = UnknownCommand;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(c, _)| *c)
            .ok_or_else(|| UnknownCommand(name.to_owned()))
    }
}

/// A slash command as typed: its name (folded), the name as written, and the words after it.
pub(super) struct Slash<'a> {
    name: String,
    raw_name: &'a str,
    args: &'a str,
}

impl<'a> Slash<'a> {
    /// Splits the text after the `/`; `/add@ExpenseBot 5` names the bot, which is dropped.
    pub(super) fn split(rest: &'a str) -> Self {
        let name_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let mut args = &rest[name_len..];
        if let Some(after_bot) = args.strip_prefix('@') {
            let bot_len = after_bot
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after_bot.len());
            args = &after_bot[bot_len..];
        }
        Slash {
            name: lexer::fold(&rest[..name_len]),
            raw_name: &rest[..name_len],
            args: args.trim(),
        }
    }

    fn word(&self) -> Option<String> {
        self.args.split_whitespace().next().map(str::to_owned)
    }

    /// `/report 30`, `/list 7`: a bare count of days after a question command.
    fn last_days(&self, today: NaiveDate) -> Option<Query> {
        self.args
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=366).contains(n))
            .map(|n| Query {
                range: Some(DateRange::last_days(today, n)),
                ..Query::default()
            })
    }
}

impl Catalogue {
    /// What a slash command asks.
    pub(super) fn slash(&self, s: &Slash<'_>, lexicon: &Lexicon, today: NaiveDate) -> Intent {
        let args = s.args;
        let forced = |f| parse::parse(args, lexicon, &self.common, today, Some(f));
        let Some(command) = self.commands.get(&s.name).copied() else {
            return self.other_command(s, lexicon, today);
        };
        match command {
            Command::Add => forced(Forced::Expense),
            Command::Income => forced(Forced::Income),
            Command::Limit => forced(Forced::Limit),
            Command::Summary => s
                .last_days(today)
                .map_or_else(|| forced(Forced::Summary), Intent::Summary),
            Command::List => s
                .last_days(today)
                .map_or_else(|| forced(Forced::List), Intent::List),
            Command::Undo => Intent::Undo,
            Command::Delete => self.delete_command(args, lexicon, today),
            Command::Help => Intent::Help,
            Command::Start => Intent::Start { payload: s.word() },
            Command::Currency => Intent::SetCurrency(self.currency_named(args)),
            Command::Timezone => Intent::SetTimezone(s.word()),
            Command::Categories => Intent::Categories,
            Command::Link => Intent::Link { code: s.word() },
            Command::Email => match s.word() {
                Some(w) if ["off", "stop", "no", "none"].contains(&w.to_lowercase().as_str()) => {
                    Intent::EmailOff
                }
                other => Intent::Email(other),
            },
            Command::Verify => Intent::Verify(s.word()),
            Command::Web => Intent::Web,
        }
    }

    /// `/delete 42`, `/delete #42`, `/delete` (the last one), `/delete the coffee`.
    fn delete_command(&self, args: &str, lexicon: &Lexicon, today: NaiveDate) -> Intent {
        if let Ok(id) = args.trim_start_matches('#').parse::<i64>() {
            return Intent::Delete(DeleteTarget::Id(id));
        }
        if args.is_empty() {
            return Intent::Delete(DeleteTarget::Last);
        }
        let text = format!("delete {args}");
        match parse::parse(&text, lexicon, &self.common, today, None) {
            Intent::Delete(target) => Intent::Delete(target),
            _ => Intent::Delete(DeleteTarget::Matching(args.to_owned())),
        }
    }

    /// Another bot's command (`/thisweek`, `/addexpense 4.50 tea`, `/ayer`): its words.
    fn other_command(&self, s: &Slash<'_>, lexicon: &Lexicon, today: NaiveDate) -> Intent {
        if s.name.is_empty() {
            return Intent::Unknown;
        }
        let words = self
            .other_commands
            .get(&s.name)
            .map_or(s.raw_name, String::as_str);
        // `/informe 30`: a question command and a bare count of days.
        if let Some(q) = s.last_days(today) {
            match parse::parse(words, lexicon, &self.common, today, None) {
                Intent::Summary(_) => return Intent::Summary(q),
                Intent::List(_) => return Intent::List(q),
                _ => {}
            }
        }
        let text = format!("{words} {}", s.args);
        parse::parse(&text, lexicon, &self.common, today, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_one_name() {
        for name in Command::NAMES {
            let command: Command = name.parse().unwrap_or(Command::Help);
            assert_eq!(command.as_str(), name);
            assert_eq!(command.to_string(), name);
        }
        assert!("fly".parse::<Command>().is_err());
    }
}
