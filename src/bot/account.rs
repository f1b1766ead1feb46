//! The account's own settings and links to other chats.

use super::*;

/// An IANA zone by name, in any case (`europe/madrid`).
pub(super) fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse::<chrono_tz::Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
            .copied()
    })
}

/// Whether the intent is about who the person is (linking, email, sign-in links) rather than
/// their wallet.
pub(super) fn about_identity(intent: &Intent) -> bool {
    matches!(
        intent,
        Intent::Link { .. }
            | Intent::Start { payload: Some(_) }
            | Intent::Email(_)
            | Intent::EmailOff
            | Intent::Verify(_)
            | Intent::Web
    )
}

impl Bot {
    /// Settings and links: `/start`, currency, time zone, categories, `/link`, `/web`.
    pub(super) async fn account(
        &self,
        turn: &Turn<'_>,
        intent: Intent,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        match intent {
            Intent::Start { payload } => {
                match payload.as_deref().and_then(|p| p.strip_prefix("link-")) {
                    Some(code) => self.link(turn, Some(code)).await,
                    None => Ok(Reply::text(format!(
                        "{}\n\n{}",
                        self.t(lang, "welcome", &[]),
                        self.help(lang)
                    ))),
                }
            }
            Intent::SetCurrency(Some(c)) => {
                self.ledger.set_currency(&turn.session, c).await?;
                Ok(Reply::text(self.t(
                    lang,
                    "currency_set",
                    &[("currency", c.code())],
                )))
            }
            Intent::SetCurrency(None) => Ok(Reply::text(self.t(lang, "currency_ask", &[]))),
            Intent::SetTimezone(name) => {
                let zone = name.as_deref().and_then(time_zone);
                match zone {
                    Some(tz) => {
                        self.ledger.set_timezone(&turn.session, tz).await?;
                        Ok(Reply::text(self.t(
                            lang,
                            "timezone_set",
                            &[("zone", tz.name())],
                        )))
                    }
                    None => Ok(Reply::text(self.t(lang, "timezone_ask", &[]))),
                }
            }
            Intent::Categories => {
                let cats = self.ledger.categories(&turn.session).await?;
                let names: Vec<String> = cats.iter().map(|c| self.label(lang, c)).collect();
                Ok(Reply::text(self.t(
                    lang,
                    "categories",
                    &[("list", &names.join(", "))],
                )))
            }
            Intent::Link { code } => self.link(turn, code.as_deref()).await,
            Intent::Web => {
                let token = self
                    .ledger
                    .chat_login_token(&turn.session, turn.incoming.at)
                    .await?;
                let link = format!("{}/login/chat?token={token}", self.public_url);
                let minutes = CHAT_LOGIN_TTL.num_minutes().to_string();
                Ok(Reply::text(self.t(
                    lang,
                    "web_link",
                    &[("link", &link), ("minutes", &minutes)],
                )))
            }
            _ => Ok(Reply::text(self.t(lang, "unknown", &[]))),
        }
    }

    /// Alert emails: `/email`, `/email off`, `/verify`.
    pub(super) async fn email(
        &self,
        turn: &Turn<'_>,
        intent: Intent,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        match intent {
            Intent::Email(Some(_)) if !self.email => {
                Ok(Reply::text(self.t(lang, "email_unavailable", &[])))
            }
            Intent::Email(Some(address)) => {
                self.ledger
                    .start_email_verification(
                        &turn.session,
                        &address,
                        turn.incoming.event.as_ref(),
                        turn.incoming.at,
                    )
                    .await?;
                Ok(Reply::text(self.t(
                    lang,
                    "email_code_sent",
                    &[("email", address.trim())],
                )))
            }
            Intent::Email(None) => {
                let key = match self.ledger.email_settings(&turn.session).await? {
                    Some(e) if e.verified && e.alerts_on => Some(("email_on", e.email)),
                    Some(e) if e.verified => Some(("email_paused", e.email)),
                    Some(e) => Some(("email_unverified", e.email)),
                    None => None,
                };
                Ok(Reply::text(match key {
                    Some((key, email)) => self.t(lang, key, &[("email", &email)]),
                    None => self.t(lang, "email_none", &[]),
                }))
            }
            Intent::EmailOff => {
                let was_on = self.ledger.email_off(&turn.session).await?;
                Ok(Reply::text(self.t(
                    lang,
                    if was_on {
                        "email_stopped"
                    } else {
                        "email_none"
                    },
                    &[],
                )))
            }
            Intent::Verify(Some(code)) => {
                match self
                    .ledger
                    .verify_email(
                        &turn.session,
                        &code,
                        turn.incoming.event.as_ref(),
                        turn.incoming.at,
                    )
                    .await
                {
                    Ok(email) => Ok(Reply::text(self.t(
                        lang,
                        "email_verified",
                        &[("email", &email)],
                    ))),
                    Err(LedgerError::InvalidCode) => {
                        Ok(Reply::text(self.t(lang, "verify_invalid", &[])))
                    }
                    Err(e) => Err(e),
                }
            }
            Intent::Verify(None) => Ok(Reply::text(self.t(lang, "verify_ask", &[]))),
            _ => Ok(Reply::text(self.t(lang, "unknown", &[]))),
        }
    }

    pub(super) async fn link(
        &self,
        turn: &Turn<'_>,
        code: Option<&str>,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        match code {
            None => {
                let link = self
                    .ledger
                    .create_link_code(
                        &turn.session,
                        turn.incoming.event.as_ref(),
                        turn.incoming.at,
                    )
                    .await?;
                let minutes = LINK_CODE_TTL.num_minutes().to_string();
                Ok(Reply::text(self.t(
                    lang,
                    "link_code",
                    &[("code", &link.code), ("minutes", &minutes)],
                )))
            }
            Some(code) => {
                self.ledger
                    .redeem_link_code(&turn.session, code, turn.incoming.at, turn.event())
                    .await?;
                Ok(Reply::text(self.t(lang, "linked", &[])))
            }
        }
    }
}
