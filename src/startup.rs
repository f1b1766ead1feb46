//! Boot: from [`Settings`], a bound listener and a shutdown future to a running service, the
//! same way for `main` and for the integration tests (which bind port 0).
//!
//! [`build_state`] connects to the store, applies pending migrations and wires the ledger and
//! the bot into an [`AppState`]. [`router`] is the one place HTTP routes are mounted, and
//! [`serve`] runs the router and the background workers until the shutdown future resolves,
//! then lets in-flight requests and workers finish. This module holds no business logic of
//! its own and is, with `main`, the only place that uses `anyhow`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bot::Bot;
use crate::discord::Discord;
use crate::intent::Catalogue;
use crate::ledger::{AccountDefaults, Ledger};
use crate::metrics::Metrics;
use crate::notify::{ChatSender, Delivery, SendGrid};
use crate::settings::Settings;
use crate::store::Store;
use crate::telegram::Telegram;

/// How often old rows are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How long workers get to finish their current item after the HTTP server has stopped.
const WORKER_GRACE: Duration = Duration::from_secs(10);

/// Everything a request handler or a worker needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub ledger: Ledger,
    pub bot: Bot,
    pub metrics: Arc<Metrics>,
    /// The Telegram adapter, when `TELEGRAM_BOT_TOKEN` is set.
    pub telegram: Option<Arc<Telegram>>,
    /// The Discord adapter, when `DISCORD_PUBLIC_KEY` is set.
    pub discord: Option<Arc<Discord>>,
    /// The SendGrid client, when email is on.
    pub mail: Option<SendGrid>,
    /// Which background workers have stopped when they should not have.
    pub workers: Arc<WorkerHealth>,
}

/// The background workers that must run until shutdown, and the ones that stopped before it
/// (a worker contains its own panics, so one stopping is a bug that `/readyz` reports).
#[derive(Debug, Default)]
pub struct WorkerHealth {
    stopped: std::sync::Mutex<Vec<&'static str>>,
}

impl WorkerHealth {
    /// Runs `work` on `tracker` as the worker `name`; if it ends (or panics) before `stop` is
    /// cancelled, it is reported as stopped.
    pub fn spawn(
        self: &Arc<Self>,
        tracker: &TaskTracker,
        stop: &CancellationToken,
        name: &'static str,
        work: impl Future<Output = ()> + Send + 'static,
    ) {
        let (health, stop) = (self.clone(), stop.clone());
        tracker.spawn(async move {
            let ended = crate::contain::contained(name, work).await;
            if !stop.is_cancelled() {
                tracing::error!(
                    worker = name,
                    panicked = ended.is_err(),
                    "a background worker stopped"
                );
                health.lock().push(name);
            }
        });
    }

    /// The workers that stopped before shutdown.
    pub fn stopped(&self) -> Vec<&'static str> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<&'static str>> {
        // A list of names cannot be left half-written.
        self.stopped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Connects to the configured database and applies pending migrations.
#[tracing::instrument(skip_all)]
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<Store> {
    let shown = settings.database_url_redacted();
    let store = Store::connect(settings.database.url().expose_secret())
        .await
        .with_context(|| format!("cannot open the database {shown}"))?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot apply the migrations to the database {shown}"))?;
    tracing::info!(engine = store.engine(), database = %shown, "database ready");
    Ok(store)
}

/// The ledger and the bot over a migrated store, with the settings' account defaults.
pub fn wire(settings: Arc<Settings>, store: Store) -> anyhow::Result<AppState> {
    let defaults = AccountDefaults {
        currency: settings.defaults.currency,
        timezone: settings.defaults.timezone,
        // The catalogue's first language; a person's own language hint wins at sign-up.
        language: "en".to_owned(),
    };
    let ledger = Ledger::new(store.clone(), defaults);
    // One decision whether email is on, shared by the bot (`/email`) and the alert worker.
    let mail = SendGrid::from_settings(&settings);
    let bot = Bot::new(ledger.clone(), Catalogue::embedded())
        .with_email(mail.is_some())
        .with_public_url(&settings.http.public_url);
    let telegram = Telegram::from_settings(&settings, bot.clone())?.map(Arc::new);
    let discord = Discord::from_settings(&settings, bot.clone())?.map(Arc::new);
    Ok(AppState {
        settings,
        store,
        ledger,
        bot,
        metrics: Arc::new(Metrics::new()),
        telegram,
        discord,
        mail,
        workers: Arc::new(WorkerHealth::default()),
    })
}

/// Connects, migrates and wires: the state `serve` runs on.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let store = connect_and_migrate(&settings).await?;
    wire(Arc::new(settings), store)
}

/// Every HTTP route of `serve`. Later adapters mount theirs here, before the metrics layer so
/// that their requests are counted too, e.g. `.merge(crate::telegram::routes())`.
pub fn router(state: AppState) -> Router {
    let mut routes = Router::new();
    if let Some(tg) = state.telegram.clone().filter(|t| t.webhook_mode()) {
        routes = routes.route(
            "/telegram/webhook",
            post(move |headers: HeaderMap, body: Bytes| async move {
                tg.webhook(&headers, &body).await
            }),
        );
    }
    if let Some(dc) = state.discord.clone() {
        routes = routes.route(
            "/discord/interactions",
            post(move |headers: HeaderMap, body: Bytes| async move {
                dc.interactions(&headers, &body).await
            }),
        );
    }
    let telegram = state.telegram.clone();
    let web = crate::web::Web::new(
        state.ledger.clone(),
        state.bot.clone(),
        &state.settings.http.public_url,
        Box::new(move || telegram.as_ref().and_then(|t| t.username())),
    );
    routes
        .merge(crate::web::routes(Arc::new(web)))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn(contain_panics))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

/// A request whose handling panics is answered 500 (and counted by `count_requests` as such);
/// the server and every other request go on.
pub async fn contain_panics(request: Request, next: Next) -> Response {
    match crate::contain::contained("HTTP request", next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, something went wrong on our side. Please try again.\n",
        )
            .into_response(),
    }
}

/// The adapters that are on, as the outbox worker's way to reach people in chat.
pub fn chat_senders(state: &AppState) -> Vec<Arc<dyn ChatSender>> {
    let mut senders: Vec<Arc<dyn ChatSender>> = Vec::new();
    if let Some(tg) = &state.telegram {
        senders.push(tg.clone());
    }
    if let Some(dc) = &state.discord {
        senders.push(dc.clone());
    }
    senders
}

/// Starts the background workers (the outbox worker, Telegram long polling …) on `workers`,
/// each stopping when `stop` is cancelled.
fn spawn_workers(state: &AppState, stop: &CancellationToken, workers: &TaskTracker) {
    let delivery = Delivery::new(state.bot.clone(), chat_senders(state), state.mail.clone());
    // The worker checks for the stop between alerts; it is never cut off in the middle of one,
    // which could send it twice (the serve grace period bounds how long it may take).
    let health = &state.workers;
    let stop_delivery = stop.clone();
    health.spawn(workers, stop, "alert delivery", async move {
        delivery.run(stop_delivery).await;
    });
    let (ledger, stop_pruning) = (state.ledger.clone(), stop.clone());
    health.spawn(workers, stop, "pruning", async move {
        prune_every(&ledger, PRUNE_EVERY, &stop_pruning).await;
    });
    if let Some(tg) = state.telegram.clone() {
        let stop_tg = stop.clone();
        if tg.webhook_mode() {
            // Set the webhook and the command menu; Telegram may be slow to answer at boot.
            // It ends once done, so it is not watched.
            workers.spawn(async move { tg.prepare(&stop_tg).await });
        } else {
            health.spawn(workers, stop, "telegram polling", async move {
                tg.poll(stop_tg).await;
            });
        }
    }
}

/// Prunes old rows now and then every `every` until `stop` is cancelled. A failed round (the
/// database is down) is tried again at the next.
async fn prune_every(ledger: &Ledger, every: Duration, stop: &CancellationToken) {
    loop {
        if let Err(error) = ledger.prune(chrono::Utc::now()).await {
            tracing::warn!(%error, "pruning failed; trying again later");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Says once, at start, which adapters are on and why the others are not.
fn log_adapters(settings: &Settings) {
    if settings.telegram.bot_token.is_some() {
        let mode = if settings.telegram.webhook_secret.is_some() {
            "webhook"
        } else {
            "long polling"
        };
        tracing::info!(api = %settings.telegram.api_url, "telegram: on ({mode})");
    } else {
        tracing::info!("telegram: off (TELEGRAM_BOT_TOKEN not set)");
    }
    if settings.discord.public_key.is_some() {
        let dms = if settings.discord.bot_token.is_some() {
            "with"
        } else {
            "without (no DISCORD_BOT_TOKEN)"
        };
        tracing::info!(api = %settings.discord.api_url, "discord: on (HTTP interactions at /discord/interactions, {dms} direct messages)");
    } else {
        tracing::info!("discord: off (DISCORD_PUBLIC_KEY not set)");
    }
    if settings.email.sendgrid_api_key.is_some() {
        tracing::info!(api = %settings.email.sendgrid_api_url, from = %settings.email.from, "email: on (SendGrid)");
    } else {
        tracing::info!("email: off (SENDGRID_API_KEY not set)");
    }
}

/// Serves `state` on `listener` with the workers until `shutdown` resolves, then stops
/// accepting, finishes in-flight requests and lets the workers finish.
pub async fn serve<F>(state: AppState, listener: TcpListener, shutdown: F) -> anyhow::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    log_adapters(&state.settings);
    let stop = CancellationToken::new();
    let workers = TaskTracker::new();
    spawn_workers(&state, &stop, &workers);
    workers.close();

    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    tracing::info!(%addr, public_url = %state.settings.http.public_url, "listening");
    let store = state.store.clone();
    let app = router(state);
    // Answers leave at once: without TCP_NODELAY a small answer written in two parts waits for
    // the client's delayed acknowledgement (up to 40 ms).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the HTTP server failed")?;

    stop.cancel();
    if tokio::time::timeout(WORKER_GRACE, workers.wait())
        .await
        .is_err()
    {
        tracing::warn!("workers did not stop within {WORKER_GRACE:?}; leaving them");
    }
    // Closing the pool lets SQLite checkpoint its journal and servers free the sessions.
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The whole service: connect, migrate, wire, serve until `shutdown`.
pub async fn run<F>(settings: Settings, listener: TcpListener, shutdown: F) -> anyhow::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let state = build_state(settings).await?;
    serve(state, listener, shutdown).await
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler the process would never stop gracefully; wait forever and let
            // SIGTERM (or the default SIGINT action) do it.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Counts every request by route template and status and times it; the in-flight gauge is a
/// guard, so a request cancelled halfway leaves it right.
async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let _in_flight = state.metrics.request_started();
    let response = next.run(request).await;
    state
        .metrics
        .request_finished(&route, response.status().as_u16(), started.elapsed());
    response
}

/// 200 while the process runs.
async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 when the database answers and every background worker runs, 503 otherwise.
#[tracing::instrument(skip_all)]
async fn readyz(State(state): State<AppState>) -> Response {
    let stopped = state.workers.stopped();
    if !stopped.is_empty() {
        state.metrics.readiness_checked("worker_stopped");
        let body = format!("background worker stopped: {}\n", stopped.join(", "));
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    }
    let ping = tokio::time::timeout(Duration::from_secs(5), state.store.ping()).await;
    let (status, result, body) = match ping {
        Ok(Ok(())) => (StatusCode::OK, "ok", "ready\n"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "error",
                "database unavailable\n",
            )
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer within 5 s");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "database unavailable\n",
            )
        }
    };
    state.metrics.readiness_checked(result);
    (status, body).into_response()
}

/// The metrics: OpenMetrics for a scraper that asks for it (Prometheus does), else the classic
/// Prometheus text format.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/openmetrics-text"));
    if openmetrics {
        (
            [(header::CONTENT_TYPE, crate::metrics::OPENMETRICS)],
            state.metrics.render_openmetrics(),
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, crate::metrics::PROMETHEUS_TEXT)],
            state.metrics.render_text(),
        )
            .into_response()
    }
}
