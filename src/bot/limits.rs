//! Limits: setting and removing them, and the lines that say how a limit stands.

use super::*;

impl Bot {
    pub(super) async fn set_limit(
        &self,
        turn: &Turn<'_>,
        draft: &LimitDraft,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let period_word = self.t(lang, &format!("period_{}", draft.period.as_str()), &[]);
        let scope = match &draft.category {
            Some(c) => format!("{period_word} {}", self.label(lang, c)),
            None => period_word,
        };
        if draft.remove {
            let removed = self
                .ledger
                .remove_limit(
                    &turn.session,
                    draft.period,
                    draft.category.as_ref(),
                    turn.event(),
                )
                .await?;
            let key = if removed {
                "limit_removed"
            } else {
                "limit_none"
            };
            return Ok(Reply::text(self.t(lang, key, &[("scope", &scope)])));
        }
        let Some(amount) = draft.amount else {
            return Ok(Reply::text(self.t(lang, "limit_ask", &[])));
        };
        let money = match self.money(turn, amount, draft.currency) {
            Ok(m) => m,
            Err(refusal) => return Ok(Reply::text(refusal)),
        };
        let limit = NewLimit {
            money,
            period: draft.period,
            category: draft.category.clone(),
        };
        let saved = self
            .ledger
            .set_limit(&turn.session, &limit, turn.event())
            .await?;
        let mut text = self.t(
            lang,
            "limit_set",
            &[("scope", &scope), ("limit", &money_of(&saved.money))],
        );
        let statuses = self
            .ledger
            .limit_statuses(&turn.session, turn.today)
            .await?;
        if let Some(s) = statuses.iter().find(|s| s.limit.id == saved.id) {
            text.push('\n');
            text.push_str(&self.status_line(turn, s));
        }
        Ok(Reply::text(text))
    }

    /// "November: 312.40 of 500.00 USD, 62 %, 31.27 a day left"
    pub(super) fn status_line(&self, turn: &Turn<'_>, s: &LimitStatus) -> String {
        let lang = turn.lang.as_str();
        let c = s.currency();
        let scope = self.limit_scope(lang, s);
        let args = [
            ("scope", scope.as_str()),
            ("spent", &format_amount(s.spent, c)),
            ("limit", &money(s.limit.money.amount(), c)),
            ("percent", &s.percent().to_string()),
            ("per_day", &format_amount(s.per_day_left(turn.today), c)),
            ("over", &money(-s.remaining(), c)),
        ];
        let key = if s.remaining() < Decimal::ZERO {
            "status_over"
        } else {
            "status"
        };
        self.t(lang, key, &args)
    }

    pub(super) fn crossing_line(
        &self,
        turn: &Turn<'_>,
        c: &Crossing,
        statuses: &[LimitStatus],
    ) -> String {
        let lang = turn.lang.as_str();
        let status = statuses.iter().find(|s| s.limit.id == c.limit.id);
        let scope =
            status.map_or_else(|| c.limit.period.to_string(), |s| self.limit_scope(lang, s));
        match c.threshold {
            Threshold::Warning => self.t(lang, "warning_80", &[("scope", &scope)]),
            Threshold::Over => self.t(lang, "warning_over", &[("scope", &scope)]),
        }
    }

    pub(super) fn limit_scope(&self, lang: &str, s: &LimitStatus) -> String {
        let period = self.period_name(lang, s.range);
        match &s.limit.category {
            Some(cat) => format!("{} · {period}", self.label(lang, cat)),
            None => period,
        }
    }
}
