//! The `spendbot` binary: parses the command line, loads the settings and hands over to
//! `startup`, `console` or the parser. It holds no logic of its own, and it turns every
//! failure into one `error: …` line on stderr and a non-zero exit status, never a panic.

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};

use spendbot::intent::{Catalogue, ParseContext, contract_json};
use spendbot::settings::Settings;
use spendbot::{console, startup, telemetry};

/// A personal expense tracker you talk to from chat.
#[derive(Debug, Parser)]
#[command(name = "spendbot", version)]
struct Cli {
    /// A TOML file with settings (keys like `database_url`); the environment wins over it.
    /// Defaults to $SPENDBOT_CONFIG.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: HTTP server (health, readiness, metrics), chat adapters, workers.
    Serve,
    /// Talk to the bot from the terminal (or a pipe) as the identity console:NAME.
    Chat {
        /// Who you are; defaults to the OS user.
        #[arg(long = "as", value_name = "NAME")]
        name: Option<String>,
    },
    /// Read messages from stdin, one per line, and print one JSON object per line.
    Parse {
        /// The date relative days resolve against [default: today in --tz].
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<String>,
        /// The IANA time zone "today" is taken in.
        #[arg(long, value_name = "ZONE", default_value = "UTC")]
        tz: String,
        /// Only this catalogue language (e.g. `en`, `es`) [default: every language].
        #[arg(long, value_name = "CODE")]
        lang: Option<String>,
    },
    /// Apply pending migrations to DATABASE_URL and exit.
    Migrate,
    /// Discord application tasks.
    Discord {
        #[command(subcommand)]
        task: DiscordTask,
    },
}

#[derive(Debug, Subcommand)]
enum DiscordTask {
    /// Register (bulk-overwrite) the slash commands with Discord, globally or for one guild.
    RegisterCommands {
        /// Only this guild (server) id: changes show at once, handy while testing.
        #[arg(long, value_name = "ID")]
        guild: Option<u64>,
    },
}

/// Bad arguments: reported like the others, but with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error (a bug): {}", one_line(&message));
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {} (see spendbot --help)", one_line(first));
            return ExitCode::from(2);
        }
    };
    let env: HashMap<String, String> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    match run(cli, &env) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(cli: Cli, env: &HashMap<String, String>) -> anyhow::Result<()> {
    if let Command::Parse { today, tz, lang } = &cli.command {
        // `parse` needs no settings and touches no database.
        return parse(today.as_deref(), tz, lang.as_deref());
    }
    let mut settings = Settings::load(env, cli.config.as_deref())?;
    if matches!(cli.command, Command::Chat { .. }) && !env.contains_key("SPENDBOT_LOG") {
        // The terminal is the conversation: only warnings interrupt it unless asked for more.
        settings.log.filter = "warn".to_owned();
    }
    telemetry::init(&settings.log);
    spendbot::contain::install_hook();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match cli.command {
        Command::Serve => runtime.block_on(serve(settings)),
        Command::Chat { name } => runtime.block_on(chat(settings, name, env)),
        Command::Migrate => runtime.block_on(async {
            startup::connect_and_migrate(&settings).await?.close().await;
            Ok(())
        }),
        Command::Discord {
            task: DiscordTask::RegisterCommands { guild },
        } => runtime.block_on(register_commands(settings, guild)),
        Command::Parse { .. } => Ok(()),
    }
}

/// Registers the catalogue's slash commands and prints what was registered.
async fn register_commands(settings: Settings, guild: Option<u64>) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.discord.bot_token.is_some(),
        "DISCORD_BOT_TOKEN is not set"
    );
    anyhow::ensure!(
        settings.discord.application_id.is_some(),
        "DISCORD_APPLICATION_ID is not set"
    );
    // Registering needs no database: the bot core is built over an in-memory one.
    let store = spendbot::store::Store::connect("sqlite::memory:").await?;
    let state = startup::wire(std::sync::Arc::new(settings), store)?;
    let discord = state.discord.context("DISCORD_PUBLIC_KEY is not set")?;
    let names = discord
        .register_commands(guild)
        .await
        .map_err(|e| anyhow::anyhow!("Discord refused the commands: {e}"))?;
    let scope = guild.map_or_else(|| "globally".to_owned(), |g| format!("for guild {g}"));
    println!(
        "registered {} commands {scope}: {}",
        names.len(),
        names
            .iter()
            .map(|n| format!("/{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let addr = settings.http.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    startup::run(settings, listener, startup::shutdown_signal()).await
}

async fn chat(
    settings: Settings,
    name: Option<String>,
    env: &HashMap<String, String>,
) -> anyhow::Result<()> {
    let name = name.unwrap_or_else(|| console::default_name(env));
    let user = console::ConsoleUser::new(&name, env)
        .map_err(|e| UsageError(format!("--as {name:?}: {e}")))?;
    let store = startup::connect_and_migrate(&settings).await?;
    let state = startup::wire(Arc::new(settings), store)?;
    let stdin = io::stdin();
    let mode = if stdin.is_terminal() {
        console::Mode::Interactive
    } else {
        console::Mode::Piped
    };
    let result = console::run(&state.bot, &user, mode, stdin.lock(), io::stdout().lock()).await;
    state.store.close().await;
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("the console failed"),
    }
}

fn parse(today: Option<&str>, tz: &str, lang: Option<&str>) -> anyhow::Result<()> {
    let zone: Tz = tz.parse().map_err(|_| {
        UsageError(format!(
            "--tz {tz:?} is not an IANA time zone such as UTC or Europe/Madrid"
        ))
    })?;
    let today = match today {
        Some(day) => NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map_err(|_| UsageError(format!("--today {day:?} is not a date like 2026-11-25")))?,
        None => chrono::Utc::now().with_timezone(&zone).date_naive(),
    };
    let catalogue = Catalogue::embedded();
    if let Some(code) = lang {
        if !catalogue.languages().any(|l| l == code) {
            let known: Vec<&str> = catalogue.languages().collect();
            return Err(UsageError(format!(
                "--lang {code:?} is not a catalogue language (known: {})",
                known.join(", ")
            ))
            .into());
        }
    }
    let ctx = ParseContext { today, lang };
    let mut input = io::stdin().lock();
    let mut output = io::BufWriter::new(io::stdout().lock());
    let mut raw = Vec::new();
    let result: io::Result<()> = (|| {
        loop {
            raw.clear();
            if input.read_until(b'\n', &mut raw)? == 0 {
                break;
            }
            // Invalid UTF-8 becomes U+FFFD instead of an error: every line gets an answer.
            let line = String::from_utf8_lossy(&raw);
            let line = line.strip_suffix('\n').unwrap_or(&line);
            let line = line.strip_suffix('\r').unwrap_or(line);
            let intent = catalogue.parse(line, &ctx);
            writeln!(output, "{}", contract_json(line, &intent))?;
        }
        output.flush()
    })();
    match result {
        // `spendbot parse | head` closing the pipe early is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| anyhow!(e).context("cannot read stdin or write stdout")),
    }
}
