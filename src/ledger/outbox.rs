//! What an outbox row says, as the database stores it: its kind (`limit`, `email_code`,
//! `email_link`, the values the migrations' `CHECK` allows) and, for emails, a JSON payload.
//! The ledger queues email rows and reads claimed rows back as [`Alert`]s through this file
//! only, so each string is written once; the store keeps them as text (and writes the `limit`
//! rows of a recording or an edit itself, in SQL). Nothing here sends anything, and the
//! payloads (codes and links) are never logged.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::web::TokenPurpose;
use super::{Alert, AlertKind, LedgerError, LinkPurpose, Threshold};
use crate::domain::AccountId;
use crate::store::{ClaimedAlert, Tx};

/// What an outbox row is about: its `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutboxKind {
    /// A limit passed a threshold; the row names the limit, the period and the threshold.
    Limit,
    /// A verification code to email; the payload holds address and code.
    EmailCode,
    /// A link to email (verify the address, reset the password); the payload holds address,
    /// purpose and link.
    EmailLink,
}

/// A `kind` column that names no [`OutboxKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an alert of an unknown kind")]
pub(super) struct UnknownOutboxKind;

impl OutboxKind {
    pub(super) const ALL: [OutboxKind; 3] = [
        OutboxKind::Limit,
        OutboxKind::EmailCode,
        OutboxKind::EmailLink,
    ];

    /// The kind as the database stores it.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Limit => "limit",
            OutboxKind::EmailCode => "email_code",
            OutboxKind::EmailLink => "email_link",
        }
    }
}

impl fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutboxKind {
    type Err = UnknownOutboxKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutboxKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownOutboxKind)
    }
}

/// An email to queue in the outbox.
#[derive(Debug, Clone, Copy)]
pub(super) enum OutboxEmail<'a> {
    /// `/email`'s verification code.
    Code { email: &'a str, code: &'a str },
    /// A link carrying a one-time token.
    Link {
        email: &'a str,
        link: &'a str,
        purpose: LinkPurpose,
    },
}

/// The payload of an [`OutboxKind::EmailCode`] row. The fields are in alphabetical order, the
/// order the payloads were always written in.
#[derive(Debug, Serialize, Deserialize)]
struct EmailCodePayload {
    code: String,
    email: String,
}

/// The payload of an [`OutboxKind::EmailLink`] row; `purpose` is the token's purpose.
#[derive(Debug, Serialize, Deserialize)]
struct EmailLinkPayload {
    email: String,
    link: String,
    purpose: String,
}

impl OutboxEmail<'_> {
    fn kind(&self) -> OutboxKind {
        match self {
            OutboxEmail::Code { .. } => OutboxKind::EmailCode,
            OutboxEmail::Link { .. } => OutboxKind::EmailLink,
        }
    }

    /// The row's payload, as JSON.
    fn payload(&self) -> Result<String, serde_json::Error> {
        match *self {
            OutboxEmail::Code { email, code } => serde_json::to_string(&EmailCodePayload {
                code: code.to_owned(),
                email: email.to_owned(),
            }),
            OutboxEmail::Link {
                email,
                link,
                purpose,
            } => serde_json::to_string(&EmailLinkPayload {
                email: email.to_owned(),
                link: link.to_owned(),
                purpose: TokenPurpose::from(purpose).as_str().to_owned(),
            }),
        }
    }
}

/// Queues an email in the outbox, due at once, in the caller's transaction.
pub(super) async fn queue_email(
    tx: &mut Tx,
    account: AccountId,
    email: OutboxEmail<'_>,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let payload = email
        .payload()
        .map_err(|e| LedgerError::Other(Box::new(e)))?;
    tx.insert_outbox_message(account, email.kind().as_str(), &payload, now)
        .await?;
    Ok(())
}

/// The alert of a claimed outbox row, or why it cannot be one.
pub(super) fn alert_of(row: ClaimedAlert) -> Result<Alert, &'static str> {
    let kind = match row.kind.parse::<OutboxKind>() {
        Ok(OutboxKind::Limit) => {
            let limit = row.limit.ok_or("the limit of this alert is gone")?;
            let from = row.period_from.ok_or("a limit alert without a period")?;
            let threshold = row
                .threshold
                .and_then(Threshold::from_percent)
                .ok_or("a limit alert without a known threshold")?;
            AlertKind::Limit {
                range: limit.period.range_containing(from),
                limit,
                threshold,
            }
        }
        Ok(OutboxKind::EmailCode) => {
            let p: EmailCodePayload = payload(row.payload.as_deref())?;
            AlertKind::EmailCode {
                email: p.email,
                code: p.code,
            }
        }
        Ok(OutboxKind::EmailLink) => {
            let p: EmailLinkPayload = payload(row.payload.as_deref())?;
            let purpose = p
                .purpose
                .parse::<TokenPurpose>()
                .ok()
                .and_then(|t| LinkPurpose::try_from(t).ok())
                .ok_or("an email link without a known purpose")?;
            AlertKind::EmailLink {
                email: p.email,
                link: p.link,
                purpose,
            }
        }
        Err(UnknownOutboxKind) => return Err("an alert of an unknown kind"),
    };
    Ok(Alert {
        id: row.id,
        account: row.account,
        kind,
        attempts: row.attempts,
        chats_sent: row.chats_sent,
    })
}

/// The payload of an email row, read as `T`.
fn payload<T: serde::de::DeserializeOwned>(payload: Option<&str>) -> Result<T, &'static str> {
    payload
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or("an outbox message without a readable payload")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outbox_kind_round_trips_as_the_stored_text() {
        for kind in OutboxKind::ALL {
            assert_eq!(kind.as_str().parse::<OutboxKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        // The migrations' CHECK constraints allow exactly these.
        let stored: Vec<&str> = OutboxKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(stored, ["limit", "email_code", "email_link"]);
        assert_eq!("Limit".parse::<OutboxKind>(), Err(UnknownOutboxKind));
        assert_eq!("".parse::<OutboxKind>(), Err(UnknownOutboxKind));
    }

    #[test]
    fn email_payloads_keep_their_stored_text() {
        let code = OutboxEmail::Code {
            email: "ana@example.com",
            code: "123456",
        };
        assert_eq!(
            code.payload().expect("json"),
            r#"{"code":"123456","email":"ana@example.com"}"#
        );
        let link = OutboxEmail::Link {
            email: "ana@example.com",
            link: "https://x.test/verify?t=abc",
            purpose: LinkPurpose::ResetPassword,
        };
        assert_eq!(
            link.payload().expect("json"),
            r#"{"email":"ana@example.com","link":"https://x.test/verify?t=abc","purpose":"reset_password"}"#
        );
    }

    /// A claimed row of `kind` with `payload`, as the store hands it over.
    fn claimed(kind: OutboxKind, payload: &str) -> ClaimedAlert {
        ClaimedAlert {
            id: 7,
            account: crate::domain::Account {
                id: AccountId(1),
                currency: crate::domain::Currency::parse("EUR").expect("EUR"),
                timezone: chrono_tz::UTC,
                language: "en".into(),
            },
            kind: kind.to_string(),
            limit: None,
            period_from: None,
            threshold: None,
            payload: Some(payload.into()),
            attempts: 1,
            chats_sent: false,
        }
    }

    #[test]
    fn queued_emails_read_back_as_the_alerts_they_are() {
        for purpose in [LinkPurpose::VerifyEmail, LinkPurpose::ResetPassword] {
            let email = OutboxEmail::Link {
                email: "ana@example.com",
                link: "https://x.test/l",
                purpose,
            };
            let row = claimed(email.kind(), &email.payload().expect("json"));
            let alert = alert_of(row).expect("an alert");
            assert_eq!(
                alert.kind,
                AlertKind::EmailLink {
                    email: "ana@example.com".into(),
                    link: "https://x.test/l".into(),
                    purpose,
                }
            );
        }
        let email = OutboxEmail::Code {
            email: "bo@example.com",
            code: "000042",
        };
        let row = claimed(email.kind(), &email.payload().expect("json"));
        assert_eq!(
            alert_of(row).expect("an alert").kind,
            AlertKind::EmailCode {
                email: "bo@example.com".into(),
                code: "000042".into(),
            }
        );
        let mut unknown = claimed(OutboxKind::EmailCode, "{}");
        assert!(alert_of(unknown.clone()).is_err());
        unknown.kind = "sms".into();
        assert_eq!(alert_of(unknown).err(), Some("an alert of an unknown kind"));
    }
}
