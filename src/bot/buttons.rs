//! Buttons pressed under a reply: undo, pick a category, the amount of a guess.

use super::*;

impl Bot {
    pub(super) async fn button(&self, turn: &Turn<'_>, data: &str) -> Result<Reply, LedgerError> {
        if let Some(ids) = data.strip_prefix("undo:") {
            let mut removed = Vec::new();
            for (n, id) in ids
                .split(',')
                .filter_map(|s| s.parse::<i64>().ok())
                .enumerate()
            {
                // Only the first deletion carries the event key; the rest belong to it.
                let event = if n == 0 { turn.event() } else { None };
                if let Some(e) = self
                    .ledger
                    .delete(&turn.session, EntryId(id), event)
                    .await?
                {
                    removed.push(e);
                }
            }
            return Ok(match removed.as_slice() {
                [] => Reply::text(self.t(&turn.lang, "nothing_to_undo", &[])),
                entries => Reply::text(self.removed(turn, entries)),
            });
        }
        if let Some(amount) = data.strip_prefix("amount:") {
            return self.message(turn, amount).await;
        }
        if let Some(id) = data
            .strip_prefix("cat:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            return Ok(self.category_picker(turn, id));
        }
        if let Some((id, name)) = data
            .strip_prefix("setcat:")
            .and_then(|rest| rest.split_once(':'))
        {
            let (Ok(id), Some(category)) = (id.parse::<i64>(), Category::parse(name)) else {
                return Ok(Reply::text(self.t(&turn.lang, "unknown", &[])));
            };
            let changed = self
                .ledger
                .set_category(&turn.session, EntryId(id), &category, turn.event())
                .await?;
            return Ok(Reply::text(match changed {
                Some(e) => self.t(
                    &turn.lang,
                    "category_changed",
                    &[("entry", &self.describe(turn, &e))],
                ),
                None => self.t(&turn.lang, "not_found", &[]),
            }));
        }
        Ok(Reply::text(self.t(&turn.lang, "unknown", &[])))
    }

    /// The default categories as buttons, to move entry `id` to one of them.
    pub(super) fn category_picker(&self, turn: &Turn<'_>, id: i64) -> Reply {
        let buttons = DEFAULT_CATEGORIES
            .iter()
            .map(|c| Button {
                label: self.catalogue.category_label(&turn.lang, c).to_owned(),
                data: format!("setcat:{id}:{c}"),
            })
            .collect();
        Reply {
            text: self.t(&turn.lang, "category_pick", &[("id", &id.to_string())]),
            buttons,
            ..Reply::default()
        }
    }
}
