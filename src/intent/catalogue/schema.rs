//! A language file and `common.toml` as written: the lists of words each role has, the
//! commands, replies and examples. Unknown keys are refused, so a typo in a file is an error.

use super::*;

/// One language file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LanguageFile {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub date_order: Option<String>,
    #[serde(default)]
    pub dot_thousands: bool,
    #[serde(default)]
    pub numbers: Numbers,
    #[serde(default)]
    pub currencies: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub words: Words,
    #[serde(default)]
    pub dates: Dates,
    #[serde(default)]
    pub categories: HashMap<String, CategoryWords>,
    #[serde(default)]
    pub commands: Vec<CommandDef>,
    #[serde(default)]
    pub slash: Vec<SlashDef>,
    /// Commands of other expense bots, as the words they mean (`thisweek` = "this week"): a
    /// slash command that is not one of ours is read as its words.
    #[serde(default)]
    pub other_commands: HashMap<String, String>,
    #[serde(default)]
    pub replies: HashMap<String, String>,
    #[serde(default)]
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "examples are read by the test suite only")
    )]
    pub examples: Vec<Example>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Numbers {
    #[serde(default)]
    pub words: HashMap<String, u32>,
    #[serde(default)]
    pub scales: HashMap<String, String>,
    #[serde(default)]
    pub fractions: HashMap<String, String>,
    #[serde(default)]
    pub joiners: Vec<String>,
    #[serde(default)]
    pub articles: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Words {
    #[serde(default)]
    pub stop: Vec<String>,
    #[serde(default)]
    pub expense: Vec<String>,
    #[serde(default)]
    pub income: Vec<String>,
    #[serde(default)]
    pub limit: Vec<String>,
    #[serde(default)]
    pub limit_remove: Vec<String>,
    #[serde(default)]
    pub daily: Vec<String>,
    #[serde(default)]
    pub weekly: Vec<String>,
    #[serde(default)]
    pub monthly: Vec<String>,
    #[serde(default)]
    pub yearly: Vec<String>,
    #[serde(default)]
    pub summary: Vec<String>,
    #[serde(default)]
    pub list: Vec<String>,
    #[serde(default)]
    pub undo: Vec<String>,
    #[serde(default)]
    pub delete: Vec<String>,
    #[serde(default)]
    pub delete_last: Vec<String>,
    #[serde(default)]
    pub help: Vec<String>,
    #[serde(default)]
    pub each: Vec<String>,
    #[serde(default)]
    pub price_at: Vec<String>,
    #[serde(default)]
    pub pronouns: Vec<String>,
    /// `set my currency to EUR`
    #[serde(default)]
    pub currency: Vec<String>,
    /// `my time zone is Europe/Madrid`
    #[serde(default)]
    pub timezone: Vec<String>,
    /// `which categories are there?`
    #[serde(default)]
    pub categories: Vec<String>,
    /// `link my account`, `link ABCD2345`
    #[serde(default)]
    pub link: Vec<String>,
    /// `hi`, `hello`: a greeting on its own is answered with a welcome.
    #[serde(default)]
    pub greeting: Vec<String>,
    /// `biggest purchase`, `most expensive`: the largest expense of a period.
    #[serde(default)]
    pub largest: Vec<String>,
    /// `top categories`, `where did most go`: the categories, largest first.
    #[serde(default)]
    pub top: Vec<String>,
    /// `average`, `avg`: spending per day and per expense.
    #[serde(default)]
    pub average: Vec<String>,
    /// `vs`, `compare`: two periods or two categories side by side.
    #[serde(default)]
    pub compare: Vec<String>,
    /// `find`, `look up`: entries whose note has the words that follow.
    #[serde(default)]
    pub find: Vec<String>,
    /// `change`, `fix`: a correction of an entry's amount or category (`change 42 to 15`).
    #[serde(default)]
    pub correct: Vec<String>,
    /// `move`: an entry to another category (`move the coffee to snacks`).
    #[serde(default)]
    pub r#move: Vec<String>,
    /// `at`, `a las`: the words before a clock time (`see you at 8`).
    #[serde(default)]
    pub clock_at: Vec<String>,
    /// `baje`, `o'clock`: the words after a clock time (`9 baje`, `৯টায়`).
    #[serde(default)]
    pub clock_after: Vec<String>,
    /// `kg`, `dozen`, `cups`, `টা`: words after a count of things, glued or not.
    #[serde(default)]
    pub measures: Vec<String>,
    /// `10 or 12`: the word between two amounts when unsure.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// Words of talk rather than of a record (`is`, `was`, `lol`, `lately`): with no price, no
    /// spending verb and nothing bought, the message is chit-chat.
    #[serde(default)]
    pub chat: Vec<String>,
    /// `20 bucks`: words for money that name no currency (the person's own).
    #[serde(default)]
    pub money: Vec<String>,
    /// `order 88812`, `invoice 2231`, `table 12`: the number after one of these is an id.
    #[serde(default)]
    pub reference: Vec<String>,
    /// `221 Baker Street`: the number before a street name and one of these is an address.
    #[serde(default)]
    pub street: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dates {
    #[serde(default)]
    pub today: Vec<String>,
    #[serde(default)]
    pub yesterday: Vec<String>,
    #[serde(default)]
    pub day_before_yesterday: Vec<String>,
    #[serde(default)]
    pub tomorrow: Vec<String>,
    /// After the amount of time: `2 days ago`.
    #[serde(default)]
    pub ago: Vec<String>,
    /// Before the amount of time: `hace 2 días`.
    #[serde(default)]
    pub ago_before: Vec<String>,
    #[serde(default)]
    pub last: Vec<String>,
    #[serde(default)]
    pub this: Vec<String>,
    #[serde(default)]
    pub on: Vec<String>,
    #[serde(default)]
    pub weekend: Vec<String>,
    #[serde(default)]
    pub from: Vec<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub since: Vec<String>,
    #[serde(default)]
    pub r#in: Vec<String>,
    /// `past week`: the last seven days, not the calendar week before this one.
    #[serde(default)]
    pub rolling: Vec<String>,
    #[serde(default)]
    pub day: Vec<String>,
    #[serde(default)]
    pub week: Vec<String>,
    #[serde(default)]
    pub month: Vec<String>,
    #[serde(default)]
    pub year: Vec<String>,
    #[serde(default)]
    pub fortnight: Vec<String>,
    /// `month to date`, `since the start of the month`: from the first of the month to today.
    #[serde(default)]
    pub month_to_date: Vec<String>,
    /// `year to date`, `ytd`: from the first of January to today.
    #[serde(default)]
    pub year_to_date: Vec<String>,
    #[serde(default)]
    pub quarter: Vec<String>,
    /// Monday first; each day's names and abbreviations.
    #[serde(default)]
    pub weekdays: Vec<Vec<String>>,
    /// January first.
    #[serde(default)]
    pub months: Vec<Vec<String>>,
    /// `tarikh`, `তারিখে`: after a number, a day of the month (`5 tarikh ko`).
    #[serde(default)]
    pub day_of_month: Vec<String>,
    /// Letters after a number that make it an ordinal: `3rd`, `1º`, `1er`.
    #[serde(default)]
    pub ordinal_suffixes: Vec<String>,
    /// Ordinal words, first first: `the first of october`, `second quarter`.
    #[serde(default)]
    pub ordinals: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryWords {
    /// How replies name the category in this language (`comida`); also a name it answers to.
    #[serde(default)]
    pub label: Option<String>,
    /// Words that name the category itself (`food`, `comida`): they beat any hint.
    #[serde(default)]
    pub names: Vec<String>,
    /// Things that belong to it (`lunch`, `coffee`).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// A command of the menu (Telegram) and slash commands (Discord), in one language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDef {
    /// The command name, e.g. `add`.
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What it does, for menus.
    pub description: String,
    /// An example of use, for help.
    #[serde(default)]
    pub usage: Option<String>,
}

/// A Discord slash command: its options, and the message its answers make for the bot (the
/// same words Telegram and the terminal understand).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashDef {
    /// 1–32 lower-case letters.
    pub name: String,
    pub description: String,
    /// The message for the bot, with `{option}` for an option's value (left out when not
    /// given) and `{#option}` for `#value`.
    pub text: String,
    #[serde(default)]
    pub options: Vec<SlashOption>,
}

/// One option of a slash command. Every option is text, so amounts never pass through a
/// floating-point number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashOption {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// What to suggest while typing: `category`, `currency` or `period`.
    #[serde(default)]
    pub autocomplete: Option<String>,
    /// Fixed choices, when the option has a closed set.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// An example message and what parsing it must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "examples are read by the test suite only")
)]
pub(crate) struct Example {
    pub text: String,
    #[serde(default)]
    pub today: Option<String>,
    pub intent: String,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub items: Option<usize>,
}

impl Words {
    /// Each list of words with the role it gives them.
    pub(super) fn roles(&self) -> [(&[String], Role); 38] {
        [
            (&self.stop, Role::Stop),
            (&self.expense, Role::ExpenseVerb),
            (&self.income, Role::Income),
            (&self.limit, Role::Limit),
            (&self.limit_remove, Role::LimitRemove),
            (&self.daily, Role::LimitPeriod(LimitPeriod::Daily)),
            (&self.weekly, Role::LimitPeriod(LimitPeriod::Weekly)),
            (&self.monthly, Role::LimitPeriod(LimitPeriod::Monthly)),
            (&self.yearly, Role::LimitPeriod(LimitPeriod::Yearly)),
            (&self.summary, Role::Summary),
            (&self.list, Role::List),
            (&self.undo, Role::Undo),
            (&self.delete, Role::Delete),
            (&self.delete_last, Role::DeleteLast),
            (&self.help, Role::Help),
            (&self.each, Role::Each),
            (&self.price_at, Role::PriceAt),
            (&self.pronouns, Role::Pronoun),
            (&self.currency, Role::CurrencySetting),
            (&self.timezone, Role::TimezoneSetting),
            (&self.categories, Role::CategoriesQuestion),
            (&self.link, Role::Link),
            (&self.greeting, Role::Greeting),
            (&self.money, Role::Money),
            (&self.alternatives, Role::Alternative),
            (&self.clock_at, Role::ClockAt),
            (&self.clock_after, Role::ClockAfter),
            (&self.measures, Role::Measure),
            (&self.chat, Role::Chat),
            (&self.largest, Role::Largest),
            (&self.top, Role::Top),
            (&self.average, Role::Average),
            (&self.compare, Role::Compare),
            (&self.find, Role::Find),
            (&self.correct, Role::Correct),
            (&self.r#move, Role::Move),
            (&self.reference, Role::Reference),
            (&self.street, Role::Street),
        ]
    }
}

impl Dates {
    /// Each list of words with the role it gives them.
    pub(super) fn roles(&self) -> [(&[String], Role); 24] {
        [
            (&self.today, Role::Today),
            (&self.yesterday, Role::Yesterday),
            (&self.day_before_yesterday, Role::DayBeforeYesterday),
            (&self.tomorrow, Role::Tomorrow),
            (&self.ago, Role::Ago),
            (&self.ago_before, Role::AgoBefore),
            (&self.last, Role::Last),
            (&self.this, Role::This),
            (&self.on, Role::On),
            (&self.weekend, Role::Weekend),
            (&self.from, Role::RangeFrom),
            (&self.to, Role::RangeTo),
            (&self.since, Role::Since),
            (&self.r#in, Role::In),
            (&self.rolling, Role::Rolling),
            (&self.day, Role::Unit(Unit::Day)),
            (&self.week, Role::Unit(Unit::Week)),
            (&self.month, Role::Unit(Unit::Month)),
            (&self.year, Role::Unit(Unit::Year)),
            (&self.fortnight, Role::Unit(Unit::Fortnight)),
            (&self.year_to_date, Role::YearToDate),
            (&self.month_to_date, Role::MonthToDate),
            (&self.day_of_month, Role::DayOfMonth),
            (&self.quarter, Role::Unit(Unit::Quarter)),
        ]
    }
}

/// What no language owns.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommonFile {
    /// Currency signs and the code each one means when no word says otherwise.
    pub symbols: HashMap<String, String>,
    /// Codes also recognised in lower case (`12 eur`); words like `try` or `all` are not.
    pub lowercase_codes: Vec<String>,
    /// Merchant names: weak category hints that any category word beats.
    pub merchants: HashMap<String, Vec<String>>,
    /// Emoji that name a thing of a category (`☕`, `🚕`).
    #[serde(default)]
    pub emoji: HashMap<String, Vec<String>>,
    /// Currency signs written with letters, matched as written (`RM 12`, while `rm 12` deletes).
    #[serde(default)]
    pub letter_signs: HashMap<String, String>,
    /// Currencies counted in thousands, where `25.000` means twenty-five thousand.
    #[serde(default)]
    pub dot_thousands_currencies: Vec<String>,
}
