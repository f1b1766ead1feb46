//! The words of alerts and emails: a limit alert in the account's language and currency, and
//! the emails with a code or a link.

use super::*;

/// What an alert is about, with the figures its words need.
pub struct AlertView<'a> {
    pub account: &'a crate::domain::Account,
    pub limit: &'a crate::domain::Limit,
    pub range: DateRange,
    pub threshold: Threshold,
    pub summary: &'a crate::domain::Summary,
    /// The latest expenses, newest first.
    pub recent: &'a [Entry],
    /// Today in the account's time zone.
    pub today: NaiveDate,
}

/// The words of an alert or a notice by email and chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertMessage {
    pub subject: String,
    /// Plain text: the email's text part and the chat message.
    pub text: String,
    pub html: String,
}

/// `&`, `<`, `>` and quotes as HTML entities.
impl AlertMessage {
    /// A heading and a bulleted list in the HTML part.
    fn add_html_list(&mut self, label: &str, items: &[String]) {
        let items: String = items
            .iter()
            .map(|t| format!("<li>{}</li>", html_escape(t)))
            .collect();
        self.html
            .push_str(&format!("<p>{}</p><ul>{items}</ul>", html_escape(label)));
    }
}

pub(super) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Bot {
    /// The words of a limit alert, in the account's language and currency: subject, plain text
    /// (also the chat alert) and simple HTML.
    pub fn limit_alert(&self, view: &AlertView<'_>) -> AlertMessage {
        let lang = view.account.language.as_str();
        let args = self.alert_args(view);
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let over = view.threshold == Threshold::Over;
        let (subject_key, head_key) = if over {
            ("alert_subject_over", "alert_over")
        } else {
            ("alert_subject_warning", "alert_warning")
        };
        let c = view.limit.money.currency();
        let top: Vec<String> = view
            .summary
            .by_category
            .iter()
            .filter(|r| r.currency == c)
            .take(3)
            .map(|r| {
                format!(
                    "{} {}",
                    self.label(lang, &r.category),
                    money(r.total, r.currency)
                )
            })
            .collect();
        let recent: Vec<String> = view
            .recent
            .iter()
            .take(5)
            .map(|e| self.entry_line(lang, e))
            .collect();
        let head = self.t(lang, head_key, &args);
        let mut message = AlertMessage {
            subject: self.t(lang, subject_key, &args),
            html: format!("<p>{}</p>", html_escape(&head)),
            text: head,
        };
        if !top.is_empty() {
            let label = self.t(lang, "alert_top", &[]);
            message
                .text
                .push_str(&format!("\n{label} {}", top.join(", ")));
            message.add_html_list(&label, &top);
        }
        if !recent.is_empty() {
            let label = self.t(lang, "alert_recent", &[]);
            let lines: Vec<String> = recent.iter().map(|r| format!("  {r}")).collect();
            message
                .text
                .push_str(&format!("\n{label}\n{}", lines.join("\n")));
            message.add_html_list(&label, &recent);
        }
        message
    }

    /// The values an alert's words fill in: scope, period, spent, limit, over, left, days,
    /// percent.
    fn alert_args(&self, view: &AlertView<'_>) -> Vec<(&'static str, String)> {
        let lang = view.account.language.as_str();
        let c = view.limit.money.currency();
        let spent = view.summary.spent_in(c, view.limit.category.as_ref());
        let limit = view.limit.money.amount();
        let period = self.period_name(lang, view.range);
        let scope = match &view.limit.category {
            Some(cat) => format!("{} · {period}", self.label(lang, cat)),
            None => period.clone(),
        };
        let days_left = if view.today > view.range.to {
            0
        } else {
            (view.range.to - view.today.max(view.range.from)).num_days() + 1
        };
        let percent = (spent * Decimal::from(100) / limit.max(Decimal::ONE)).floor();
        vec![
            ("scope", scope),
            ("period", period),
            ("spent", money(spent, c)),
            ("limit", money(limit, c)),
            ("over", money((spent - limit).max(Decimal::ZERO), c)),
            ("left", money((limit - spent).max(Decimal::ZERO), c)),
            ("days", days_left.to_string()),
            ("percent", percent.to_string()),
        ]
    }

    /// The email that carries a verification code.
    pub fn email_code_message(&self, lang: &str, code: &str) -> AlertMessage {
        let text = self.t(lang, "email_code_text", &[("code", code)]);
        AlertMessage {
            subject: self.t(lang, "email_code_subject", &[("code", code)]),
            html: format!("<p>{}</p>", html_escape(&text)),
            text,
        }
    }

    /// The email that carries a link: to verify the address, or to reset the password.
    pub fn email_link_message(&self, lang: &str, purpose: LinkPurpose, link: &str) -> AlertMessage {
        let key = match purpose {
            LinkPurpose::VerifyEmail => "email_verify_link",
            LinkPurpose::ResetPassword => "email_reset_link",
        };
        let text = self.t(lang, &format!("{key}_text"), &[("link", link)]);
        let html_text = self.t(lang, &format!("{key}_text"), &[("link", "{link}")]);
        let anchor = format!("<a href=\"{0}\">{0}</a>", html_escape(link));
        AlertMessage {
            subject: self.t(lang, &format!("{key}_subject"), &[]),
            html: format!(
                "<p>{}</p>",
                html_escape(&html_text).replace("{link}", &anchor)
            ),
            text,
        }
    }
}
