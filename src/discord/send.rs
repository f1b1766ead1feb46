//! Messages the service sends on its own: direct messages (the outbox worker's `ChatSender`),
//! with Discord's rate limits waited out, and the HTTP client they go through.

use backon::{ExponentialBuilder, Retryable as _};

use super::*;

impl Discord {
    /// Sends a direct message: opens the DM channel and posts to it, waiting out rate limits.
    /// A person whose DMs are closed (code 50007) is marked unreachable, so alerts stop trying.
    pub async fn send_dm(&self, user_id: u64, text: &str) -> Result<(), DmError> {
        let user = UserId::new(user_id.max(1));
        let channel = self
            .with_rate_limits(|| user.create_dm_channel(&self.http))
            .await;
        let sent = match channel {
            Ok(channel) => {
                let message = CreateMessage::new().content(content(text));
                self.with_rate_limits(|| channel.id.send_message(&self.http, message.clone()))
                    .await
                    .map(drop)
            }
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(e) if json_code(&e) == Some(50007) => {
                if let Ok(identity) = ChatIdentity::new(Platform::Discord, &user_id.to_string()) {
                    self.core.set_reachable(&identity, false).await;
                }
                Err(DmError::Closed)
            }
            Err(e) => Err(DmError::Failed(self.redact(&e.to_string()))),
        }
    }

    /// Runs a request again after a 429, with growing waits. Against Discord itself serenity's
    /// rate limiter already waits as told; this covers another API server, where serenity
    /// hands the 429 back without the wait it asked for.
    pub(super) async fn with_rate_limits<T, F, Fut>(&self, request: F) -> Result<T, serenity::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let policy = ExponentialBuilder::default()
            .with_min_delay(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(30))
            .with_max_times(RATE_LIMIT_RETRIES as usize);
        request.retry(policy).when(|e| status(e) == Some(429)).await
    }
}

impl ChatSender for Discord {
    fn platform(&self) -> Platform {
        Platform::Discord
    }

    fn send<'a>(&'a self, external_id: &'a str, text: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            match external_id.parse::<u64>() {
                Ok(id) => self.send_dm(id, text).await.is_ok(),
                Err(_) => false,
            }
        })
    }
}

pub(super) fn http_client(
    settings: &Settings,
    token: Option<&SecretString>,
) -> Result<Http, AdapterError> {
    let token = token
        .map(|t| t.expose_secret().to_owned())
        .unwrap_or_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AdapterError::Client {
            platform: "Discord",
            reason: e.to_string(),
        })?;
    let base = settings.discord.api_url.trim_end_matches('/');
    let mut builder = HttpBuilder::new(token).client(client);
    if let Some(app) = settings.discord.application_id {
        builder = builder.application_id(app.get().into());
    }
    if base != DISCORD_API {
        // serenity ignores a proxy while its rate limiter is on (docs/protocols.md, 4.3);
        // another server (a test's fake) gets plain requests and 429s are waited out by this
        // adapter.
        let origin = base.strip_suffix("/api/v10").unwrap_or(base);
        builder = builder.proxy(origin).ratelimiter_disabled(true);
    }
    Ok(builder.build())
}

pub(super) fn status(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.status_code.as_u16())
        }
        _ => None,
    }
}

pub(super) fn json_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.error.code)
        }
        _ => None,
    }
}
