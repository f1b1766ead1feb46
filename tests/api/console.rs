//! The console adapter driven directly, with the bot of a real app behind it.

use spendbot::console::{self, ConsoleUser, Mode};

use crate::helpers::spawn_app;

async fn talk(mode: Mode, input: &[u8]) -> String {
    let app = spawn_app().await;
    let user = ConsoleUser::new("alice", &Default::default()).expect("a valid name");
    let mut output = Vec::new();
    console::run(&app.state.bot, &user, mode, input, &mut output)
        .await
        .expect("writing to a Vec never fails");
    String::from_utf8(output).expect("the console writes UTF-8")
}

#[tokio::test]
async fn the_console_greets_and_prompts_only_when_interactive() {
    let interactive = talk(Mode::Interactive, b"help\n").await;
    assert!(interactive.contains("console:alice"), "{interactive}");
    assert!(interactive.contains("> "), "{interactive}");

    let piped = talk(Mode::Piped, b"help\n").await;
    assert!(
        !piped.contains("> ") && !piped.contains("console:alice"),
        "{piped}"
    );
    assert!(!piped.trim().is_empty(), "a reply came back");
}

#[tokio::test]
async fn the_console_skips_blank_lines_and_survives_invalid_utf8() {
    let out = talk(Mode::Piped, b"\n   \r\n\xff\xfe coffee\n").await;
    assert!(
        !out.trim().is_empty(),
        "the invalid line still got a reply: {out:?}"
    );
    let empty = talk(Mode::Piped, b"\n\n").await;
    assert!(empty.is_empty(), "blank lines get no reply: {empty:?}");
}
