//! Buttons pressed under a reply: undo, pick a category, the amount of a guess.

use super::*;

/// What a button does, as carried in its data (Telegram's `callback_data`, Discord's
/// `custom_id`): `undo:1,2`, `cat:7`, `setcat:7:food`, `amount:12.50`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Remove these entries (what one message recorded).
    Undo(Vec<i64>),
    /// Show the categories to move entry `id` to.
    PickCategory(i64),
    /// Move entry `id` to a category.
    SetCategory(i64, Category),
    /// Answer "which amount?" with this one.
    Amount(String),
}

impl std::fmt::Display for ButtonAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ButtonAction::Undo(ids) => {
                let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
                write!(f, "undo:{}", ids.join(","))
            }
            ButtonAction::PickCategory(id) => write!(f, "cat:{id}"),
            ButtonAction::SetCategory(id, c) => write!(f, "setcat:{id}:{c}"),
            ButtonAction::Amount(a) => write!(f, "amount:{a}"),
        }
    }
}

/// Button data that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a button of this bot: {0:?}")]
pub struct UnknownButton(String);

impl std::str::FromStr for ButtonAction {
    type Err = UnknownButton;

    fn from_str(data: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownButton(data.to_owned());
        let (kind, rest) = data.split_once(':').ok_or_else(unknown)?;
        match kind {
            "undo" => rest
                .split(',')
                .map(|id| id.parse().map_err(|_| unknown()))
                .collect::<Result<Vec<i64>, _>>()
                .map(ButtonAction::Undo),
            "cat" => rest
                .parse()
                .map(ButtonAction::PickCategory)
                .map_err(|_| unknown()),
            "setcat" => {
                let (id, name) = rest.split_once(':').ok_or_else(unknown)?;
                let id = id.parse().map_err(|_| unknown())?;
                let category = Category::parse(name).ok_or_else(unknown)?;
                Ok(ButtonAction::SetCategory(id, category))
            }
            "amount" if !rest.is_empty() => Ok(ButtonAction::Amount(rest.to_owned())),
            _ => Err(unknown()),
        }
    }
}

impl Bot {
    pub(super) async fn button(&self, turn: &Turn<'_>, data: &str) -> Result<Reply, LedgerError> {
        let Ok(action) = data.parse::<ButtonAction>() else {
            return Ok(Reply::text(self.t(&turn.lang, "unknown", &[])));
        };
        match action {
            ButtonAction::Undo(ids) => {
                // Every entry of the confirmation in one transaction with the press.
                let ids: Vec<EntryId> = ids.into_iter().map(EntryId).collect();
                let removed = self
                    .ledger
                    .delete_all(&turn.session, &ids, turn.event())
                    .await?;
                Ok(match removed.as_slice() {
                    // Already undone, or someone else's confirmation (in a group).
                    [] => self.notice(turn, "nothing_to_undo"),
                    entries => Reply::text(self.removed(turn, entries)),
                })
            }
            ButtonAction::Amount(amount) => self.message(turn, &amount).await,
            ButtonAction::PickCategory(id) => {
                // Only the entry's own account may change it; anyone else hears so privately.
                match self.ledger.entry(&turn.session, EntryId(id)).await? {
                    Some(_) => Ok(self.category_picker(turn, id)),
                    None => Ok(self.notice(turn, "not_found")),
                }
            }
            ButtonAction::SetCategory(id, category) => {
                let changed = self
                    .ledger
                    .set_category(&turn.session, EntryId(id), &category, turn.event())
                    .await?;
                Ok(match changed {
                    Some(e) => Reply::text(self.t(
                        &turn.lang,
                        "category_changed",
                        &[("entry", &self.describe(turn, &e))],
                    )),
                    None => self.notice(turn, "not_found"),
                })
            }
        }
    }

    /// The default categories as buttons, to move entry `id` to one of them.
    /// A reply for the presser alone ([`ReplyStatus::Notice`]).
    fn notice(&self, turn: &Turn<'_>, key: &str) -> Reply {
        Reply {
            status: ReplyStatus::Notice,
            ..Reply::text(self.t(&turn.lang, key, &[]))
        }
    }

    pub(super) fn category_picker(&self, turn: &Turn<'_>, id: i64) -> Reply {
        let buttons = DEFAULT_CATEGORIES
            .iter()
            .filter_map(|c| Category::parse(c))
            .map(|c| Button {
                label: self.label(&turn.lang, &c),
                data: ButtonAction::SetCategory(id, c).to_string(),
            })
            .collect();
        Reply {
            text: self.t(&turn.lang, "category_pick", &[("id", &id.to_string())]),
            buttons,
            ..Reply::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_round_trips() {
        let food = Category::parse("food").unwrap_or_else(Category::other);
        for action in [
            ButtonAction::Undo(vec![1, 22, 333]),
            ButtonAction::PickCategory(7),
            ButtonAction::SetCategory(7, food),
            ButtonAction::Amount("12.50".into()),
        ] {
            assert_eq!(action.to_string().parse::<ButtonAction>(), Ok(action));
        }
        for junk in [
            "",
            "undo:",
            "undo:x",
            "cat:",
            "setcat:7",
            "setcat:7:nonsense!",
            "amount:",
            "zap:1",
        ] {
            assert!(junk.parse::<ButtonAction>().is_err(), "{junk}");
        }
    }
}
