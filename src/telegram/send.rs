//! Sending: replies split below Telegram's length limit with their buttons, edits in place,
//! notices through the flood-control throttle, `429`s waited out, and the HTML escaping of
//! every text.

use super::*;

impl Telegram {
    /// Answers a button press with a notification for the presser alone (Telegram shows at
    /// most 200 characters of it).
    pub(super) async fn answer_with(&self, q: &CallbackQuery, text: &str) {
        let text: String = text.chars().take(200).collect();
        if let Err(e) = self
            .api
            .answer_callback_query(q.id.clone())
            .text(text)
            .await
        {
            tracing::warn!(error = %self.redact(&e), "telegram: answerCallbackQuery failed");
        }
    }

    pub(super) async fn answer(&self, q: &CallbackQuery) {
        if let Err(e) = self.api.answer_callback_query(q.id.clone()).await {
            tracing::warn!(error = %self.redact(&e), "telegram: answerCallbackQuery failed");
        }
    }

    /// Sends a reply, split below Telegram's length limit, with its buttons under the last
    /// part. Flood control is waited out; a user who blocked the bot is marked unreachable.
    pub(super) async fn send(&self, chat: ChatId, reply: &Reply, user_id: u64) -> bool {
        self.send_with(&self.api, chat, reply, user_id).await
    }

    /// [`Telegram::send`] through `api`: the bot itself for replies, the throttled bot for
    /// notices.
    pub(super) async fn send_with<R>(
        &self,
        api: &R,
        chat: ChatId,
        reply: &Reply,
        user_id: u64,
    ) -> bool
    where
        R: Requester<Err = RequestError>,
    {
        let parts = split(&reply.text, MESSAGE_LIMIT);
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let html = escape_html(&part);
            let last = i + 1 == count;
            let sent = flood_controlled(|| {
                // No previews: a preview fetches the link, which would use up a one-time
                // sign-in link (`/web`) before the person opens it.
                let mut request = api
                    .send_message(chat, html.clone())
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview());
                if last && !reply.buttons.is_empty() {
                    request = request.reply_markup(keyboard(reply));
                }
                request.send()
            })
            .await;
            match sent {
                Ok(_) => {}
                Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated)) => {
                    self.unreachable(user_id).await;
                    return false;
                }
                Err(e) => {
                    tracing::warn!(error = %self.redact(&e), "telegram: sendMessage failed");
                    return false;
                }
            }
        }
        true
    }

    /// Sends a notice (an alert) to a person in their private chat with the bot. `false` when it
    /// could not be delivered (they blocked the bot: they are then marked unreachable).
    pub async fn send_text(&self, user_id: &str, text: &str) -> bool {
        let Ok(id) = user_id.parse::<u64>() else {
            return false;
        };
        let Ok(chat) = i64::try_from(id) else {
            return false;
        };
        let reply = Reply {
            text: text.to_owned(),
            ..Reply::default()
        };
        // Notices go through Telegram's flood limits (30 messages a second overall, fewer per
        // group) with teloxide's `Throttle`, because the service sends them on its own and
        // may send many at once. Replies do not: each answers one person's message, is paced
        // by that person, and waits out a `429` in `flood_controlled`; queueing them behind the
        // throttle's clock would only add latency.
        let throttled = self
            .notices
            .get_or_init(|| Throttle::new_spawn(self.api.clone(), Limits::default()));
        self.send_with(throttled, ChatId(chat), &reply, id).await
    }

    /// Edits the message a button was pressed on, in place.
    pub(super) async fn edit(&self, chat: ChatId, message: MessageId, reply: &Reply) {
        let text = split(&reply.text, MESSAGE_LIMIT)
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut request = self
            .api
            .edit_message_text(chat, message, escape_html(&text))
            .parse_mode(ParseMode::Html);
        if !reply.buttons.is_empty() {
            request = request.reply_markup(keyboard(reply));
        }
        if let Err(e) = flood_controlled(|| request.clone().send()).await {
            tracing::warn!(error = %self.redact(&e), "telegram: editMessageText failed");
        }
    }

    pub(super) async fn unreachable(&self, user_id: u64) {
        tracing::info!("telegram: a user blocked the bot; marking them unreachable");
        if let Ok(identity) = ChatIdentity::new(Platform::Telegram, &user_id.to_string()) {
            // A failure is logged by the bot; the next blocked send tries again.
            self.core.set_reachable(&identity, false).await;
        }
    }
}

/// The reply's buttons, three to a row.
pub(super) fn keyboard(reply: &Reply) -> InlineKeyboardMarkup {
    let rows: Vec<Vec<InlineKeyboardButton>> = reply
        .buttons
        .chunks(3)
        .map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
                .collect()
        })
        .collect();
    InlineKeyboardMarkup::new(rows)
}

/// Splits text into parts of at most `limit` characters, at line breaks where it can.
pub(super) fn split(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split_inclusive('\n') {
        let mut line = line;
        loop {
            let len = line.chars().count();
            if current_len + len <= limit {
                current.push_str(line);
                current_len += len;
                break;
            }
            if current_len > 0 {
                parts.push(std::mem::take(&mut current));
                current_len = 0;
                continue;
            }
            // One line longer than the limit: cut it.
            let cut = line
                .char_indices()
                .nth(limit)
                .map_or(line.len(), |(i, _)| i);
            parts.push(line[..cut].to_owned());
            line = &line[cut..];
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// Sends a request again after each `429 Too Many Requests`, waiting as long as its
/// `retry_after` says, at most [`FLOOD_RETRIES`] times. Nothing else is retried here: after a
/// network error the message may have arrived, and sending it again could show it twice.
pub(super) async fn flood_controlled<T, F, Fut>(send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let policy = ConstantBuilder::default()
        .with_delay(Duration::ZERO)
        .with_max_times(FLOOD_RETRIES as usize);
    send.retry(policy)
        .when(|e| matches!(e, RequestError::RetryAfter(_)))
        .adjust(|e, planned| match e {
            RequestError::RetryAfter(wait) => planned.map(|_| wait.duration()),
            _ => planned,
        })
        .await
}

/// Text made safe for Telegram's HTML parse mode, which reads `<`, `>` and `&` as markup.
pub(super) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

impl ChatSender for Telegram {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn send<'a>(&'a self, external_id: &'a str, text: &'a str) -> SendFuture<'a> {
        Box::pin(self.send_text(external_id, text))
    }
}

/// Link previews off.
pub(super) fn no_preview() -> teloxide_core::types::LinkPreviewOptions {
    teloxide_core::types::LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_split_below_the_limit_at_line_breaks() {
        let text = format!("{}\n{}", "a".repeat(3000), "b".repeat(3000));
        let parts = split(&text, 4096);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(parts.concat(), text);
        let one_line = "x".repeat(9000);
        let parts = split(&one_line, 4096);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one_line);
        assert_eq!(split("", 4096), vec![String::new()]);
    }

    #[test]
    fn markup_characters_are_escaped_for_html_mode() {
        assert_eq!(escape_html("a < b & c > d"), "a &lt; b &amp; c &gt; d");
        assert_eq!(escape_html("café 12"), "café 12");
    }
}
