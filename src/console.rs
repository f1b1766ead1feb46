//! The console adapter behind `spendbot chat`: each line read becomes an [`Incoming`] from the
//! chat identity `console:NAME`, and each [`Reply`] is written back as text, its buttons as
//! `[Label]` hints that can be typed to press them.
//!
//! It only translates. It never decides anything about money, never touches the store, and
//! never fails on what a person types: a line that is not valid UTF-8 is read lossily.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use chrono::Utc;

use crate::bot::{Bot, Button, IdentityHints, Incoming, IncomingKind, Reply};
use crate::domain::{ChatIdentity, IdentityError, Platform};

/// Whether a person is typing at a terminal or lines come from a pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A greeting first and a prompt before each line.
    Interactive,
    /// Replies only, so the output can be read by another program.
    Piped,
}

/// Who the console user is.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    identity: ChatIdentity,
    hints: IdentityHints,
}

impl ConsoleUser {
    /// The identity `console:NAME`, with a language hint taken from the locale variables in
    /// `env` (`LC_ALL`, `LC_MESSAGES`, `LANG`: `es_ES.UTF-8` gives `es`).
    pub fn new(name: &str, env: &HashMap<String, String>) -> Result<Self, IdentityError> {
        let identity = ChatIdentity::new(Platform::Console, name)?;
        let language = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| env.get(*k))
            .find(|v| !v.is_empty())
            .and_then(|v| language_of_locale(v));
        let hints = IdentityHints {
            language,
            display_name: Some(identity.external_id().to_owned()),
        };
        Ok(Self { identity, hints })
    }

    /// The chat identity, `console:NAME`.
    pub fn identity(&self) -> &ChatIdentity {
        &self.identity
    }
}

/// The name used when `--as` is not given: the OS user from `USER` or `USERNAME`, else `me`.
pub fn default_name(env: &HashMap<String, String>) -> String {
    ["USER", "USERNAME"]
        .iter()
        .filter_map(|k| env.get(*k))
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
        .unwrap_or("me")
        .to_owned()
}

/// `es_ES.UTF-8` → `es`; `C` and `POSIX` name no language.
fn language_of_locale(locale: &str) -> Option<String> {
    let lang: String = locale
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    (lang.len() == 2 || lang.len() == 3)
        .then_some(lang)
        .filter(|l| l != "c" && l != "posix")
}

/// Talks to the bot until `input` ends: skips blank lines, writes every reply to `output`.
///
/// Reading is blocking on purpose: the console is the only thing this process does while it
/// runs, and a generic [`BufRead`] lets tests feed it a byte slice.
#[tracing::instrument(skip_all, fields(identity = %user.identity))]
pub async fn run<R: BufRead, W: Write>(
    bot: &Bot,
    user: &ConsoleUser,
    mode: Mode,
    mut input: R,
    mut output: W,
) -> io::Result<()> {
    if mode == Mode::Interactive {
        writeln!(
            output,
            "Spendbot, as {}. Tell me what you spent, e.g. \"coffee 3.50\"; /help for more; Ctrl-D to quit.",
            user.identity
        )?;
    }
    let mut buttons: Vec<Button> = Vec::new();
    let mut raw = Vec::new();
    loop {
        if mode == Mode::Interactive {
            write!(output, "> ")?;
            output.flush()?;
        }
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            if mode == Mode::Interactive {
                writeln!(output)?;
            }
            break;
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let kind = match pressed_button(line, &buttons) {
            Some(data) => IncomingKind::Button(data),
            None => IncomingKind::Text(line.to_owned()),
        };
        let incoming = Incoming {
            identity: user.identity.clone(),
            kind,
            at: Utc::now(),
            // A terminal never redelivers a line, so there is no event key to deduplicate.
            event: None,
            hints: user.hints.clone(),
            message: None,
        };
        // A line whose handling panics gets an apology; the conversation goes on.
        let reply = crate::contain::contained("chat line", bot.handle(incoming))
            .await
            .unwrap_or_else(|_| bot.apology());
        write_reply(&mut output, &reply)?;
        output.flush()?;
        buttons = reply.buttons;
    }
    output.flush()
}

/// Typing `[Undo]` (any case) presses the button labelled `Undo` of the last reply.
fn pressed_button(line: &str, buttons: &[Button]) -> Option<String> {
    let label = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    buttons
        .iter()
        .find(|b| b.label.trim().eq_ignore_ascii_case(label))
        .map(|b| b.data.clone())
}

fn write_reply<W: Write>(output: &mut W, reply: &Reply) -> io::Result<()> {
    writeln!(output, "{}", reply.text.trim_end())?;
    if !reply.buttons.is_empty() {
        let hints: Vec<String> = reply
            .buttons
            .iter()
            .map(|b| format!("[{}]", b.label))
            .collect();
        writeln!(output, "{}", hints.join(" "))?;
    }
    if let Some(file) = &reply.attachment {
        writeln!(
            output,
            "(attachment {}: {}, {} bytes; files are not shown in the console)",
            file.file_name,
            file.mime,
            file.bytes.len()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_default_name_is_the_os_user_or_me() {
        assert_eq!(default_name(&env(&[("USER", "alice")])), "alice");
        assert_eq!(default_name(&env(&[("USERNAME", "bob")])), "bob");
        assert_eq!(default_name(&env(&[("USER", " ")])), "me");
        assert_eq!(default_name(&HashMap::new()), "me");
    }

    #[test]
    fn the_locale_gives_a_language_hint() {
        assert_eq!(language_of_locale("es_ES.UTF-8").as_deref(), Some("es"));
        assert_eq!(language_of_locale("C.UTF-8"), None);
        assert_eq!(language_of_locale("POSIX"), None);
        let user = ConsoleUser::new("alice", &env(&[("LANG", "de_DE.UTF-8")]));
        assert_eq!(user.map(|u| u.hints.language), Ok(Some("de".to_owned())));
    }

    #[test]
    fn a_typed_label_presses_the_button() {
        let buttons = vec![Button {
            label: "Undo".into(),
            data: "undo:42".into(),
        }];
        assert_eq!(
            pressed_button(" [undo] ", &buttons).as_deref(),
            Some("undo:42")
        );
        assert_eq!(pressed_button("undo", &buttons), None);
        assert_eq!(pressed_button("[Delete]", &buttons), None);
    }

    #[test]
    fn a_reply_is_written_with_its_button_hints() {
        let mut out = Vec::new();
        let reply = Reply {
            text: "Added 3.50 coffee.\n".into(),
            buttons: vec![
                Button {
                    label: "Undo".into(),
                    data: "u".into(),
                },
                Button {
                    label: "Change category".into(),
                    data: "c".into(),
                },
            ],
            ..Reply::default()
        };
        write_reply(&mut out, &reply).expect("writes to a Vec");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "Added 3.50 coffee.\n[Undo] [Change category]\n"
        );
    }
}
