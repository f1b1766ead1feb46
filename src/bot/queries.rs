//! Summaries and lists of a period.

use super::*;

/// Entries a list shows at most.
pub(super) const LIST_MAX: u32 = 20;

/// The most entries a list shows when the person asks for a number (`show my last 50`).
pub(super) const LIST_COUNT_MAX: u32 = 100;

impl Bot {
    pub(super) async fn summary(&self, turn: &Turn<'_>, q: &Query) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        if q.ask != Ask::Totals {
            return Ok(Reply::text(self.answer(turn, q).await?));
        }
        let range = q.range.unwrap_or_else(|| DateRange::month_of(turn.today));
        let summary = self
            .ledger
            .summary(&turn.session, range, q.category.as_ref())
            .await?;
        let mut period = self.period_name(lang, range);
        if let Some(c) = &q.category {
            period = format!("{} · {period}", self.label(lang, c));
        }
        let spent = summary.spent();
        if spent.is_empty() && summary.income.is_empty() {
            return Ok(Reply::text(self.t(
                lang,
                "summary_empty",
                &[("period", &period)],
            )));
        }
        let totals: Vec<String> = spent.iter().map(|(c, t)| money(*t, *c)).collect();
        let head = if summary.expense_count() == 1 {
            "summary_head_one"
        } else {
            "summary_head"
        };
        let mut lines = vec![self.t(
            lang,
            head,
            &[
                ("period", &period),
                ("spent", &totals.join(" + ")),
                ("count", &summary.expense_count().to_string()),
            ],
        )];
        for row in summary.by_category.iter().take(12) {
            let share = share(row, &spent);
            lines.push(format!(
                "  {} {} ({share} %)",
                self.label(lang, &row.category),
                money(row.total, row.currency)
            ));
        }
        if !summary.income.is_empty() {
            let income: Vec<String> = summary.income.iter().map(|(c, t)| money(*t, *c)).collect();
            lines.push(self.t(lang, "summary_income", &[("income", &income.join(" + "))]));
        }
        if range.contains(turn.today) {
            for s in self
                .ledger
                .limit_statuses(&turn.session, turn.today)
                .await?
            {
                let same_scope = q.category.is_none() || s.limit.category == q.category;
                if same_scope && s.range.from >= range.from && s.range.to <= range.to {
                    lines.push(self.status_line(turn, &s));
                }
            }
        }
        Ok(Reply::text(lines.join("\n")))
    }

    pub(super) async fn list(&self, turn: &Turn<'_>, q: &Query) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let query = EntryQuery {
            range: q.range,
            category: q.category.clone(),
            text: q.text.clone(),
            limit: q.count.map_or(LIST_MAX, |n| n.clamp(1, LIST_COUNT_MAX)),
            ..EntryQuery::default()
        };
        let entries = self.ledger.entries(&turn.session, &query).await?;
        let whole = if q.text.is_some() {
            "all_time"
        } else {
            "recent"
        };
        let period = q
            .range
            .map_or_else(|| self.t(lang, whole, &[]), |r| self.period_name(lang, r));
        // `find coffee`: the entries whose note has the words.
        let (empty, head) = match &q.text {
            Some(_) => ("find_none", "find_head"),
            None => ("list_empty", "list_head"),
        };
        let text = q.text.as_deref().unwrap_or_default();
        if entries.is_empty() {
            return Ok(Reply::text(self.t(
                lang,
                empty,
                &[("period", &period), ("text", text)],
            )));
        }
        let mut lines = vec![self.t(lang, head, &[("period", &period), ("text", text)])];
        for e in &entries {
            lines.push(format!("#{} {}", e.id, self.entry_line(lang, e)));
        }
        if entries.len() == LIST_MAX as usize {
            lines.push(self.t(lang, "list_more", &[]));
        }
        Ok(Reply::text(lines.join("\n")))
    }
}
