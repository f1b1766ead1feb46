//! An email address as the service accepts it, checked in one place: for the alerts and
//! sign-in address a person gives, and for the sender address of the configuration.

use std::fmt;

/// The longest address accepted (RFC 5321's limit on a path).
pub const EMAIL_MAX_CHARS: usize = 254;

/// A trimmed address with one `@`, something before it, a domain that neither starts nor
/// ends with a dot nor has two in a row, no spaces or control characters, and at most
/// [`EMAIL_MAX_CHARS`] characters. [`EmailAddress::parse`] takes any such address (the
/// default sender is `spendbot@localhost`); a person's own address must also reach the
/// internet, with a dot in its domain ([`EmailAddress::parse_public`]), so that `me@gmail`
/// is refused at once instead of waiting for a code that never comes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Text that is no email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an email address")]
pub struct InvalidEmail;

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let email = text.trim();
        let fine = email.chars().count() <= EMAIL_MAX_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.matches('@').count() == 1
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            });
        if fine {
            Ok(EmailAddress(email.to_owned()))
        } else {
            Err(InvalidEmail)
        }
    }

    /// An address people receive mail at on the internet: a dot in its domain as well.
    pub fn parse_public(text: &str) -> Result<Self, InvalidEmail> {
        let email = Self::parse(text)?;
        let dotted = email
            .0
            .split_once('@')
            .is_some_and(|(_, domain)| domain.contains('.'));
        if dotted { Ok(email) } else { Err(InvalidEmail) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_one_way() {
        assert_eq!(
            EmailAddress::parse("  you@example.com ").map(EmailAddress::into_string),
            Ok("you@example.com".to_owned())
        );
        assert!(EmailAddress::parse("a.b+tag@sub.example.co.uk").is_ok());
        assert!(EmailAddress::parse("spendbot@localhost").is_ok());
        assert_eq!(EmailAddress::parse_public("me@example"), Err(InvalidEmail));
        assert!(EmailAddress::parse_public("me@example.com").is_ok());
        for bad in [
            "",
            "you",
            "you@",
            "@example.com",
            "you@.example.com",
            "you@example.com.",
            "you@exa..mple.com",
            "y ou@example.com",
            "a@b@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(InvalidEmail), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(InvalidEmail));
    }
}
