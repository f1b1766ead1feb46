//! Who is asking: the session cookie and the visitor it names, CSRF tokens (bound to the
//! session when signed in, a double-submit cookie before), passwords (argon2id with OWASP's
//! parameters, zxcvbn's estimate against easy ones), and one-request flash messages.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderMap, HeaderValue, header};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Web, WebError, views};
use crate::ledger::{WebSessionStart, WebVisit};

pub const SESSION_COOKIE: &str = "spendbot_session";
pub const CSRF_COOKIE: &str = "spendbot_csrf";
const FLASH_COOKIE: &str = "spendbot_flash";
/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// The longest password hashed (argon2 takes any length; this bounds the work).
const PASSWORD_MAX_CHARS: usize = 1024;
/// zxcvbn's score (0–4) a password needs: 0 and 1 are common or easily guessed ones
/// ("password123", "qwertyuiop", the email itself); 2 and up resist online guessing.
const PASSWORD_MIN_SCORE: u8 = 2;
/// Session cookies live as long as browsers allow (400 days); the session itself ends after
/// 30 idle days on the server, whatever the cookie says.
const SESSION_MAX_AGE_SECS: i64 = 400 * 24 * 3600;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

impl Web {
    /// The signed-in visitor, or [`WebError::SignIn`] back to `path`.
    pub(super) async fn visitor(
        &self,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<WebVisit, WebError> {
        match self.maybe_visitor(headers).await? {
            Some(v) => Ok(v),
            None => Err(WebError::SignIn {
                next: path.to_owned(),
            }),
        }
    }

    /// The signed-in visitor, if the request has a live session.
    pub(super) async fn maybe_visitor(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<WebVisit>, WebError> {
        let Some(cookie) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        Ok(self.ledger.web_visit(cookie, Utc::now()).await?)
    }

    /// A signed-in visitor whose form carries the session's CSRF token.
    pub(super) async fn poster(
        &self,
        headers: &HeaderMap,
        csrf_token: &str,
        path: &str,
    ) -> Result<WebVisit, WebError> {
        let visit = self.visitor(headers, path).await?;
        if !same(csrf_token, &visit.csrf) {
            return Err(WebError::Csrf);
        }
        Ok(visit)
    }

    /// The `Set-Cookie` value of a new session.
    pub(super) fn session_cookie(&self, start: &WebSessionStart) -> String {
        self.cookie_header(SESSION_COOKIE, &start.cookie, SESSION_MAX_AGE_SECS)
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub(super) fn clear_session_cookie(&self) -> String {
        self.cookie_header(SESSION_COOKIE, "", 0)
    }

    pub(super) fn cookie_header(&self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }

    /// The CSRF token for a signed-out form: the request's double-submit cookie, or a new
    /// one with the `Set-Cookie` to send.
    pub(super) fn signed_out_csrf(
        &self,
        headers: &HeaderMap,
    ) -> Result<(String, Option<String>), WebError> {
        if let Some(token) = cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 64) {
            return Ok((token.to_owned(), None));
        }
        let token = random_hex()?;
        let set = self.cookie_header(CSRF_COOKIE, &token, 24 * 3600);
        Ok((token, Some(set)))
    }

    /// Whether a signed-out form's token matches its double-submit cookie.
    pub(super) fn check_signed_out_csrf(
        &self,
        headers: &HeaderMap,
        token: &str,
    ) -> Result<(), WebError> {
        match cookie(headers, CSRF_COOKIE) {
            Some(c) if same(c, token) => Ok(()),
            _ => Err(WebError::Csrf),
        }
    }

    /// The `Set-Cookie` value carrying a flash message to the next page.
    pub(super) fn flash_cookie(&self, flash: &Flash) -> String {
        let json = serde_json::to_string(flash).unwrap_or_default();
        self.cookie_header(FLASH_COOKIE, &views::url_encode(&json), 120)
    }

    /// The flash message of this request, and the `Set-Cookie` that consumes it.
    pub(super) fn take_flash(&self, headers: &HeaderMap) -> (Option<Flash>, Option<String>) {
        let Some(raw) = cookie(headers, FLASH_COOKIE) else {
            return (None, None);
        };
        let flash = views::url_decode(raw).and_then(|json| serde_json::from_str(&json).ok());
        (flash, Some(self.cookie_header(FLASH_COOKIE, "", 0)))
    }
}

/// A message for the next page, kept in a short-lived cookie across a redirect.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Flash {
    /// `info`, `error` or `bot` (the bot's own reply, shown as a chat bubble).
    pub kind: String,
    pub text: String,
    /// A deleted entry, so the next page can offer to put it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<UndoEntry>,
}

impl Flash {
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            kind: "info".into(),
            text: text.into(),
            undo: None,
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            kind: "error".into(),
            text: text.into(),
            undo: None,
        }
    }
}

/// What a deleted entry said, enough to record it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UndoEntry {
    /// The deleted entry's id: putting it back is keyed by it, so it happens once.
    pub id: i64,
    pub kind: String,
    pub amount: String,
    pub currency: String,
    pub category: String,
    pub note: String,
    pub date: String,
}

/// Equal strings, compared in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// 256 bits from the OS random generator, as hex.
pub fn random_hex() -> Result<String, WebError> {
    use rand::TryRngCore;
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| WebError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Argon2id with OWASP's minimum: 19 MiB, two passes, one lane.
fn argon2() -> Result<Argon2<'static>, WebError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| WebError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Why a new password is refused, in words for the person choosing it.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Some(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters: a few unrelated words make a good \
             password."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Some(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
    }
    let local = email.split('@').next().unwrap_or_default();
    let inputs = [email, local, "spendbot"];
    let score = zxcvbn::zxcvbn(password, &inputs).score() as u8;
    (score < PASSWORD_MIN_SCORE).then(|| {
        "That password is too easy to guess (it is common, or close to your email). Try a few \
         unrelated words, like \"lamp orbit cheese 42\"."
            .to_owned()
    })
}

/// The argon2id PHC string of a password (done off the async threads: it takes ~20 ms).
pub async fn hash_password(password: String) -> Result<String, WebError> {
    tokio::task::spawn_blocking(move || {
        use rand::TryRngCore;
        let mut salt = [0_u8; 16];
        rand::rngs::OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|e| WebError::Internal(format!("no randomness: {e}")))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| WebError::Internal(format!("salt: {e}")))?;
        argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| WebError::Internal(format!("hashing: {e}")))
    })
    .await
    .map_err(|e| WebError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches the stored hash. With no hash, a hash of the same cost is
/// still computed, so that an unknown address takes as long as a wrong password.
pub async fn password_matches(password: String, stored: Option<String>) -> Result<bool, WebError> {
    tokio::task::spawn_blocking(move || {
        let argon = argon2()?;
        match stored.as_deref().and_then(|s| PasswordHash::new(s).ok()) {
            Some(hash) => Ok(argon.verify_password(password.as_bytes(), &hash).is_ok()),
            None => {
                let salt = SaltString::encode_b64(&[7_u8; 16])
                    .map_err(|e| WebError::Internal(format!("salt: {e}")))?;
                let _ = argon.hash_password(password.as_bytes(), &salt);
                Ok(false)
            }
        }
    })
    .await
    .map_err(|e| WebError::Internal(format!("hashing task: {e}")))?
}

/// A `Set-Cookie` header value, checked.
pub fn set_cookie(value: &str) -> Option<(header::HeaderName, HeaderValue)> {
    HeaderValue::from_str(value)
        .ok()
        .map(|v| (header::SET_COOKIE, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; spendbot_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn short_common_and_email_like_passwords_are_refused() {
        assert!(password_problem("short", "a@b.co").is_some());
        assert!(password_problem("password123", "a@b.co").is_some());
        assert!(password_problem("anabanana@example.com", "anabanana@example.com").is_some());
        assert!(password_problem("correct horse battery 42", "ana@example.com").is_none());
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery 42".into())
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            password_matches("correct horse battery 42".into(), Some(hash.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !password_matches("wrong horse battery 42".into(), Some(hash))
                .await
                .expect("verify")
        );
        assert!(
            !password_matches("anything at all".into(), None)
                .await
                .expect("verify")
        );
    }

    #[test]
    fn comparison_needs_equal_strings() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
