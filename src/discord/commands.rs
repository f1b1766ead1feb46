//! The slash commands: their definitions from the catalogue's `[[slash]]` templates, the text
//! a command becomes, and the autocomplete lists in the person's locale.

use super::*;

/// Suggested while typing a currency.
pub(super) const CURRENCIES: [&str; 24] = [
    "USD", "EUR", "GBP", "INR", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD", "SEK",
    "NOK", "DKK", "PLN", "CZK", "MXN", "BRL", "ARS", "ZAR", "THB", "KRW", "TRY",
];

/// Suggested while typing a period.
pub(super) const PERIODS: [&str; 11] = [
    "today",
    "yesterday",
    "this week",
    "last week",
    "this month",
    "last month",
    "this year",
    "last year",
    "last 7 days",
    "last 30 days",
    "last weekend",
];

/// Suggested while typing a day.
pub(super) const DAYS: [&str; 6] = [
    "today",
    "yesterday",
    "day before yesterday",
    "last friday",
    "2 days ago",
    "last weekend",
];

/// The bot message a slash command stands for: its text template with the options filled in.
pub(super) fn command_text(def: &SlashDef, cmd: &CommandInteraction) -> String {
    let value = |name: &str| {
        cmd.data
            .options
            .iter()
            .find(|o| o.name == name)
            .map(|o| match &o.value {
                CommandDataOptionValue::String(s) => s.trim().to_owned(),
                CommandDataOptionValue::Integer(i) => i.to_string(),
                CommandDataOptionValue::Autocomplete { value, .. } => value.trim().to_owned(),
                _ => String::new(),
            })
    };
    let mut text = def.text.clone();
    for option in &def.options {
        let given = value(&option.name).filter(|v| !v.is_empty());
        let hashed = given
            .as_ref()
            .map(|v| format!("#{}", v.trim_start_matches('#')))
            .unwrap_or_default();
        text = text.replace(&format!("{{#{}}}", option.name), &hashed);
        text = text.replace(
            &format!("{{{}}}", option.name),
            given.as_deref().unwrap_or_default(),
        );
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn create_command(def: &SlashDef) -> CreateCommand {
    let mut command = CreateCommand::new(def.name.clone()).description(def.description.clone());
    for o in &def.options {
        let mut option = CreateCommandOption::new(
            CommandOptionType::String,
            o.name.clone(),
            o.description.clone(),
        )
        .required(o.required)
        .set_autocomplete(o.autocomplete.is_some());
        for choice in &o.choices {
            option = option.add_string_choice(choice.clone(), choice.clone());
        }
        command = command.add_option(option);
    }
    command
}

/// Suggestions for the option being typed (type 4 answered with type 8).
/// Suggestions while an option is typed: categories named in the person's language (the
/// value stays the category's own name), currencies, periods and days.
pub(super) fn autocomplete(
    cmd: &CommandInteraction,
    catalogue: &Catalogue,
) -> CreateInteractionResponse {
    let slash = catalogue.slash_commands();
    let lang = catalogue.language_for(&cmd.locale).unwrap_or("en");
    let Some(focused) = cmd.data.autocomplete() else {
        return CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new());
    };
    let kind = slash
        .iter()
        .find(|d| d.name == cmd.data.name)
        .and_then(|d| d.options.iter().find(|o| o.name == focused.name))
        .and_then(|o| o.autocomplete.clone())
        .unwrap_or_else(|| focused.name.to_owned());
    let typed = focused.value.trim().to_lowercase();
    let pool: Vec<&str> = match kind.as_str() {
        "category" => DEFAULT_CATEGORIES.to_vec(),
        "currency" => CURRENCIES.to_vec(),
        "period" => PERIODS.to_vec(),
        "day" => DAYS.to_vec(),
        _ => Vec::new(),
    };
    let label = |value: &str| -> String {
        if kind == "category" {
            catalogue.category_label(lang, value).to_owned()
        } else {
            value.to_owned()
        }
    };
    let mut response = CreateAutocompleteResponse::new();
    let choices = pool
        .into_iter()
        .map(|value| (label(value), value))
        .filter(|(shown, value)| shown.to_lowercase().contains(&typed) || value.contains(&typed))
        .take(25);
    for (shown, value) in choices {
        response = response.add_string_choice(shown, value);
    }
    CreateInteractionResponse::Autocomplete(response)
}
