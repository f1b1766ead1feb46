//! Recording expenses and incomes: the entries a message makes, the question when an amount
//! is missing and its answer, edited messages, deletions, and the reply that says where the
//! wallet stands.

use super::*;

/// An expense or income waiting for its amount.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Pending {
    income: bool,
    note: Option<String>,
    category: Option<String>,
    currency: Option<String>,
    /// `YYYY-MM-DD`
    date: Option<String>,
}

/// How long a follow-up question ("how much was the coffee?") waits for its answer.
pub(super) const PENDING_TTL: Duration = Duration::minutes(10);

/// Whether a message is only an amount (`4.50`, `4.50 dollars`), the answer to "how much?".
/// How old a recording must be before a redelivery of its message repeats the confirmation.
const REPEAT_AFTER: Duration = Duration::seconds(5);

pub(super) fn is_bare_amount(intent: &Intent) -> bool {
    match intent {
        Intent::AddExpense { items, .. } => match items.as_slice() {
            [item] => item.amount.is_some() && item.note.is_none() && item.category.is_none(),
            _ => false,
        },
        _ => false,
    }
}

/// Fills a pending expense with the amount the person just sent, if that is what they sent.
pub(super) fn complete(payload: &str, intent: &Intent) -> Option<Intent> {
    let pending: Pending = serde_json::from_str(payload).ok()?;
    let Intent::AddExpense { items, date } = intent else {
        return None;
    };
    let [item] = items.as_slice() else {
        return None;
    };
    if !is_bare_amount(intent) {
        return None;
    }
    let filled = Item {
        amount: item.amount,
        currency: item
            .currency
            .or_else(|| pending.currency.as_deref().and_then(Currency::parse)),
        category: pending.category.as_deref().and_then(Category::parse),
        note: pending.note,
        candidates: Vec::new(),
    };
    let date = date.or_else(|| pending.date.as_deref().and_then(|d| d.parse().ok()));
    Some(if pending.income {
        Intent::AddIncome { item: filled, date }
    } else {
        Intent::AddExpense {
            items: vec![filled],
            date,
        }
    })
}

impl Bot {
    /// An edited message: the entries it recorded change to what it says now.
    pub(super) async fn edited(&self, turn: &Turn<'_>, text: &str) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let Some(message) = turn.incoming.message.as_deref() else {
            return self.message(turn, text).await;
        };
        if let Some(refusal) = self.too_long(turn, text.trim()) {
            return Ok(refusal);
        }
        let (items, date, kind) = match self.parse(turn, text.trim()) {
            Intent::AddExpense { items, date } => (items, date, EntryKind::Expense),
            Intent::AddIncome { item, date } => (vec![item], date, EntryKind::Income),
            // An edit into something that is not an expense is answered like a new message.
            _ => return self.message(turn, text).await,
        };
        if items.iter().any(|i| i.amount.is_none()) {
            return Ok(Reply::text(self.t(lang, "edit_needs_amount", &[])));
        }
        let entries = match self.entries_from(turn, &items, date, kind) {
            Ok(entries) => entries,
            Err(refusal) => return Ok(Reply::text(refusal)),
        };
        let changed = self
            .ledger
            .edit_message_entries(
                &turn.session,
                message,
                &entries,
                turn.event(),
                turn.incoming.at,
            )
            .await?;
        let Some((before, after)) = changed else {
            return self.message(turn, text).await;
        };
        let was: Vec<String> = before.iter().map(|e| self.describe(turn, e)).collect();
        let now: Vec<String> = after.iter().map(|e| self.describe(turn, e)).collect();
        Ok(Reply::text(self.t(
            lang,
            "edited",
            &[("before", &was.join("; ")), ("after", &now.join("; "))],
        )))
    }

    /// Money in the item's currency (the account's when it names none), or why it is refused.
    pub(super) fn money(
        &self,
        turn: &Turn<'_>,
        amount: Decimal,
        currency: Option<Currency>,
    ) -> Result<Money, String> {
        let lang = turn.lang.as_str();
        Money::new(amount, currency.unwrap_or(turn.session.account.currency)).map_err(|e| match e {
            MoneyError::NotPositive => self.t(lang, "amount_not_positive", &[]),
            MoneyError::TooLarge => self.t(lang, "amount_too_large", &[]),
            MoneyError::UnknownCurrency(_) => self.t(lang, "currency_ask", &[]),
        })
    }

    /// The entries a message's items make (every item has its amount), or why not.
    pub(super) fn entries_from(
        &self,
        turn: &Turn<'_>,
        items: &[Item],
        date: Option<NaiveDate>,
        kind: EntryKind,
    ) -> Result<Vec<NewEntry>, String> {
        let occurred_on = date.unwrap_or(turn.today);
        items
            .iter()
            .map(|item| {
                let money = self.money(turn, item.amount.unwrap_or_default(), item.currency)?;
                let category = match (kind, &item.category) {
                    (EntryKind::Income, _) => {
                        Category::parse("income").unwrap_or_else(Category::other)
                    }
                    (EntryKind::Expense, Some(c)) => c.clone(),
                    (EntryKind::Expense, None) => Category::other(),
                };
                let note = item.note.as_deref().and_then(Note::new);
                Ok(NewEntry {
                    kind,
                    money,
                    category,
                    note,
                    occurred_on,
                })
            })
            .collect()
    }

    pub(super) async fn add(
        &self,
        turn: &Turn<'_>,
        items: &[Item],
        date: Option<NaiveDate>,
        kind: EntryKind,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let income = kind == EntryKind::Income;
        if let [item] = items {
            if item.amount.is_none() {
                return self.ask_amount(turn, item, date, income).await;
            }
        }
        if items.iter().any(|i| i.amount.is_none()) {
            return Ok(Reply::text(self.t(lang, "several_missing", &[])));
        }
        let entries = match self.entries_from(turn, items, date, kind) {
            Ok(entries) => entries,
            Err(refusal) => return Ok(Reply::text(refusal)),
        };
        let shortened = items
            .iter()
            .any(|i| i.note.as_deref().is_some_and(Note::was_shortened));
        let recorded = self
            .ledger
            .record(
                &turn.session,
                &turn.source(),
                &entries,
                turn.today,
                turn.incoming.at,
            )
            .await;
        let recorded = match recorded {
            Err(LedgerError::Duplicate) => self.recorded_before(turn).await?,
            other => other?,
        };
        let mut text = self.recorded_text(turn, &recorded, income).await?;
        if shortened {
            text.push('\n');
            text.push_str(&self.t(lang, "note_shortened", &[]));
        }
        let ids = recorded.entries.iter().map(|e| e.id.0).collect();
        let data = ButtonAction::Undo(ids).to_string();
        let mut buttons = Vec::new();
        if data.len() <= 64 {
            buttons.push(Button {
                label: self.t(lang, "button_undo", &[]),
                data,
            });
        }
        if let [entry] = recorded.entries.as_slice() {
            if entry.kind == EntryKind::Expense {
                buttons.push(Button {
                    label: self.t(lang, "button_category", &[]),
                    data: ButtonAction::PickCategory(entry.id.0).to_string(),
                });
            }
        }
        Ok(Reply {
            text,
            buttons,
            ..Reply::default()
        })
    }

    pub(super) async fn ask_amount(
        &self,
        turn: &Turn<'_>,
        item: &Item,
        date: Option<NaiveDate>,
        income: bool,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let pending = Pending {
            income,
            note: item.note.clone(),
            category: item.category.as_ref().map(ToString::to_string),
            currency: item.currency.map(|c| c.to_string()),
            date: date.map(|d| d.to_string()),
        };
        let payload =
            serde_json::to_string(&pending).map_err(|e| LedgerError::Other(Box::new(e)))?;
        self.ledger
            .set_pending(&turn.session, &payload, turn.incoming.at + PENDING_TTL)
            .await?;
        let what = item
            .note
            .clone()
            .unwrap_or_else(|| self.t(lang, "that", &[]));
        if item.candidates.is_empty() {
            return Ok(Reply::text(self.t(lang, "ask_amount", &[("what", &what)])));
        }
        let shown: Vec<String> = item
            .candidates
            .iter()
            .map(|c| c.normalize().to_string())
            .collect();
        let buttons = shown
            .iter()
            .take(4)
            .map(|c| Button {
                label: c.clone(),
                data: ButtonAction::Amount(c.clone()).to_string(),
            })
            .collect();
        let text = self.t(
            lang,
            "ask_which_amount",
            &[("what", &what), ("options", &shown.join(" / "))],
        );
        Ok(Reply {
            text,
            buttons,
            ..Reply::default()
        })
    }

    /// "Recorded 12.00 USD · food · lunch (#7)" plus where the wallet stands.
    pub(super) async fn recorded_text(
        &self,
        turn: &Turn<'_>,
        recorded: &Recorded,
        income: bool,
    ) -> Result<String, LedgerError> {
        let lang = turn.lang.as_str();
        let mut lines: Vec<String> = Vec::new();
        for e in &recorded.entries {
            let key = if income {
                "recorded_income"
            } else {
                "recorded"
            };
            lines.push(self.t(lang, key, &[("entry", &self.describe(turn, e))]));
        }
        if income {
            return Ok(lines.join("\n"));
        }
        if recorded.statuses.is_empty() {
            let month = DateRange::month_of(turn.today);
            let currency = turn.session.account.currency;
            // The recording read the month so far in its own transaction; ask only when not.
            // An entry in another currency: the month in every currency spent, not 0 of ours.
            let foreign = recorded
                .entries
                .iter()
                .any(|e| e.money.currency() != currency);
            let spent = match (recorded.month_spent, foreign) {
                (Some(spent), false) => money(spent, currency),
                _ => {
                    let totals = self
                        .ledger
                        .summary(&turn.session, month, None)
                        .await?
                        .spent();
                    let mut parts: Vec<String> =
                        totals.iter().map(|(c, t)| money(*t, *c)).collect();
                    if parts.is_empty() {
                        parts.push(money(Decimal::ZERO, currency));
                    }
                    parts.join(" + ")
                }
            };
            lines.push(self.t(
                lang,
                "month_so_far",
                &[
                    ("period", &self.period_name(lang, month)),
                    ("spent", &spent),
                ],
            ));
        }
        for s in &recorded.statuses {
            lines.push(self.status_line(turn, s));
        }
        for c in &recorded.crossings {
            // Passing 100 % at once says more than passing 80 % on the way.
            let also_over = c.threshold == Threshold::Warning
                && recorded
                    .crossings
                    .iter()
                    .any(|o| o.threshold == Threshold::Over && o.limit.id == c.limit.id);
            if !also_over {
                lines.push(self.crossing_line(turn, c, &recorded.statuses));
            }
        }
        Ok(lines.join("\n"))
    }

    /// A redelivered message that was recorded before: its confirmation again, when the
    /// recording is old enough that the first confirmation may have been lost with a process
    /// that stopped before sending it (a platform only delivers again what was not
    /// acknowledged). A copy that arrives at once is a plain duplicate: said nothing, as the
    /// first one answers it.
    async fn recorded_before(&self, turn: &Turn<'_>) -> Result<Recorded, LedgerError> {
        let Some(message) = turn.incoming.message.as_deref() else {
            return Err(LedgerError::Duplicate);
        };
        let entries = self.ledger.recorded_from(&turn.session, message).await?;
        let settled = turn.incoming.at - REPEAT_AFTER;
        if entries.is_empty() || entries.iter().any(|e| e.recorded_at > settled) {
            return Err(LedgerError::Duplicate);
        }
        Ok(Recorded {
            entries,
            statuses: Vec::new(),
            crossings: Vec::new(),
            month_spent: None,
        })
    }

    pub(super) async fn delete(
        &self,
        turn: &Turn<'_>,
        target: DeleteTarget,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let removed = match target {
            DeleteTarget::Unclear => return Ok(Reply::text(self.t(lang, "delete_which", &[]))),
            DeleteTarget::Id(id) => {
                self.ledger
                    .delete(&turn.session, EntryId(id), turn.event())
                    .await?
            }
            DeleteTarget::Last => self.ledger.undo_last(&turn.session, turn.event()).await?,
            DeleteTarget::Matching(text) => {
                let query = EntryQuery {
                    text: Some(text),
                    limit: 1,
                    ..EntryQuery::default()
                };
                match self.ledger.entries(&turn.session, &query).await?.first() {
                    Some(e) => {
                        self.ledger
                            .delete(&turn.session, e.id, turn.event())
                            .await?
                    }
                    None => None,
                }
            }
        };
        Ok(Reply::text(match removed {
            Some(e) => self.removed(turn, &[e]),
            None => self.t(lang, "not_found", &[]),
        }))
    }
}
