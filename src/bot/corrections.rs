//! Corrections of what was recorded, typed as messages: `change 42 to 15`, `#42 is
//! entertainment`, `move the coffee to snacks`, `change the last one to 4.50`.

use super::{Bot, Reply, Turn};
use crate::domain::{Entry, EntryId, NewEntry};
use crate::intent::{Change, DeleteTarget};
use crate::ledger::{EntryQuery, LedgerError};

impl Bot {
    pub(super) async fn correct(
        &self,
        turn: &Turn<'_>,
        target: DeleteTarget,
        change: Change,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let Some(entry) = self.target_entry(turn, target).await? else {
            return Ok(Reply::text(self.t(lang, "not_found", &[])));
        };
        match change {
            Change::Category(category) => {
                let changed = self
                    .ledger
                    .set_category(&turn.session, entry.id, &category, turn.event())
                    .await?;
                Ok(Reply::text(match changed {
                    Some(e) => self.t(
                        lang,
                        "category_changed",
                        &[("entry", &self.describe(turn, &e))],
                    ),
                    None => self.t(lang, "not_found", &[]),
                }))
            }
            Change::Amount(amount) => {
                let money = match self.money(turn, amount, Some(entry.money.currency())) {
                    Ok(m) => m,
                    Err(refusal) => return Ok(Reply::text(refusal)),
                };
                let changed = NewEntry {
                    kind: entry.kind,
                    money,
                    category: entry.category.clone(),
                    note: entry.note.clone(),
                    occurred_on: entry.occurred_on,
                };
                let edited = self
                    .ledger
                    .edit_entry(
                        &turn.session,
                        entry.id,
                        &changed,
                        turn.event(),
                        turn.incoming.at,
                    )
                    .await?;
                Ok(Reply::text(match edited {
                    Some(e) => self.t(
                        lang,
                        "edited",
                        &[
                            ("before", &self.describe(turn, &e.before)),
                            ("after", &self.describe(turn, &e.after)),
                        ],
                    ),
                    None => self.t(lang, "not_found", &[]),
                }))
            }
        }
    }

    /// The entry a correction or deletion is about.
    pub(super) async fn target_entry(
        &self,
        turn: &Turn<'_>,
        target: DeleteTarget,
    ) -> Result<Option<Entry>, LedgerError> {
        let query = match target {
            DeleteTarget::Id(id) => return self.ledger.entry(&turn.session, EntryId(id)).await,
            DeleteTarget::Unclear => return Ok(None),
            DeleteTarget::Last => EntryQuery {
                limit: 1,
                ..EntryQuery::default()
            },
            DeleteTarget::Matching(text) => EntryQuery {
                text: Some(text),
                limit: 1,
                ..EntryQuery::default()
            },
        };
        Ok(self
            .ledger
            .entries(&turn.session, &query)
            .await?
            .into_iter()
            .next())
    }
}
