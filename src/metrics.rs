//! What `GET /metrics` shows, kept with `prometheus-client`: counters, gauges and histograms
//! with typed label sets, encoded in the OpenMetrics text format (or the classic Prometheus
//! text format for scrapers that do not ask for OpenMetrics).
//!
//! Two kinds of figures live here. The HTTP ones (requests by route and status, latency by
//! route, requests in flight, readiness checks) belong to one [`Metrics`], the registry of one
//! running app, because the middleware that measures them holds the app's state. The figures
//! measured deep inside (statement time by operation, update handling time by platform,
//! deliveries by channel and outcome, outbox lag) are process-wide families recorded through
//! the free functions below, so that the store and the adapters need no handle; every
//! registry shows them. One process serves one app, so both kinds describe the same service.
//!
//! It never blocks on I/O and never holds a lock across an `.await`. Label values stay few (a
//! route template, a status code, a statement's name, a platform), never user text or ids.
//! It depends on nothing else of the crate, so every layer may record into it.

use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::render_openmetrics`].
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of [`Metrics::render_text`].
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Check {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Version {
    version: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlatformLabel {
    platform: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Delivery {
    channel: &'static str,
    outcome: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Request latency: 0.5 ms to about 8 s.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// Statement time: 0.1 ms to about 3 s.
fn statement_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// Outbox lag, from an alert being due to its delivery: 0.1 s to about 55 min.
fn lag_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.1, 2.0, 16))
}

/// The process-wide families (see the module's documentation).
struct Process {
    statements: Histograms<Operation>,
    updates: Histograms<PlatformLabel>,
    deliveries: Family<Delivery, Counter>,
    outbox_lag: Histogram,
    panics: Counter,
}

static PROCESS: LazyLock<Process> = LazyLock::new(|| Process {
    statements: Family::new_with_constructor(statement_buckets),
    updates: Family::new_with_constructor(latency_buckets),
    deliveries: Family::default(),
    outbox_lag: lag_buckets(),
    panics: Counter::default(),
});

/// Counts one panic (caught or not).
pub fn panicked() {
    PROCESS.panics.inc();
}

/// Records one database statement, named by its constant (`INSERT_ENTRY`), begun at `started`.
pub fn statement(operation: &'static str, started: Instant) {
    PROCESS
        .statements
        .get_or_create(&Operation { operation })
        .observe(started.elapsed().as_secs_f64());
}

/// Records the handling of one chat update (`telegram`, `discord`), begun at `started`.
pub fn update_handled(platform: &'static str, started: Instant) {
    PROCESS
        .updates
        .get_or_create(&PlatformLabel { platform })
        .observe(started.elapsed().as_secs_f64());
}

/// Counts one delivery attempt of an alert by `channel` (`email`, `telegram`, `discord`) and
/// `outcome` (`sent`, `retry`, `failed`, `unreachable`).
pub fn delivery(channel: &'static str, outcome: &'static str) {
    PROCESS
        .deliveries
        .get_or_create(&Delivery { channel, outcome })
        .inc();
}

/// Records how long after it was due an alert was taken for delivery.
pub fn outbox_lag(lag: Duration) {
    PROCESS.outbox_lag.observe(lag.as_secs_f64());
}

/// The registry of one app. Share it behind an `Arc`.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Histograms<Route>,
    in_flight: Gauge,
    readiness: Family<Check, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// One request being served: counted in flight until dropped, which also happens when the
/// request is cancelled (the client went away), so the gauge never leaks.
#[must_use = "the request counts as in flight until this is dropped"]
pub struct InFlight {
    gauge: Gauge,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Metrics {
    /// A registry with every family registered; the process start time is taken now.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let up = Gauge::<i64>::default();
        up.set(1);
        registry.register("spendbot_up", "Whether the service is running", up);
        let build = Family::<Version, Gauge>::default();
        build
            .get_or_create(&Version {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("spendbot_build_info", "The running version", build);
        let start = Gauge::<i64>::default();
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        start.set(started);
        registry.register(
            "spendbot_start_time_seconds",
            "When the process started, in Unix seconds",
            start,
        );
        let metrics = Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_buckets),
            in_flight: Gauge::default(),
            readiness: Family::default(),
            registry,
        };
        metrics.register_all()
    }

    fn register_all(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "spendbot_http_requests",
            "HTTP requests served, by route and status",
            self.requests.clone(),
        );
        r.register(
            "spendbot_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            self.latency.clone(),
        );
        r.register(
            "spendbot_http_requests_in_flight",
            "HTTP requests being served",
            self.in_flight.clone(),
        );
        r.register(
            "spendbot_readiness_checks",
            "Readiness checks of the database, by result",
            self.readiness.clone(),
        );
        r.register(
            "spendbot_db_statement_duration_seconds",
            "Time of one database statement, by statement",
            PROCESS.statements.clone(),
        );
        r.register(
            "spendbot_update_handling_duration_seconds",
            "Time to handle one chat update, by platform",
            PROCESS.updates.clone(),
        );
        r.register(
            "spendbot_alert_deliveries",
            "Alert deliveries, by channel and outcome",
            PROCESS.deliveries.clone(),
        );
        r.register(
            "spendbot_panics",
            "Panics in handling work, each contained to its update, request or alert",
            PROCESS.panics.clone(),
        );
        r.register(
            "spendbot_outbox_lag_seconds",
            "How long after it was due an alert was taken for delivery",
            PROCESS.outbox_lag.clone(),
        );
        self
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub fn request_started(&self) -> InFlight {
        self.in_flight.inc();
        InFlight {
            gauge: self.in_flight.clone(),
        }
    }

    /// Records a request answered with `status` after `elapsed`.
    pub fn request_finished(&self, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RouteStatus {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&Route {
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a readiness check by result (`ok`, `error`, `timeout`).
    pub fn readiness_checked(&self, result: &'static str) {
        self.readiness.get_or_create(&Check { result }).inc();
    }

    /// The registry in the OpenMetrics text format, ending in `# EOF`.
    pub fn render_openmetrics(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing to a String cannot fail; an empty page is the honest answer if it did.
            out.clear();
        }
        out
    }

    /// The registry in the classic Prometheus text format (0.0.4): the OpenMetrics text with
    /// counters' metadata named after their `_total` samples and without the `# EOF` line.
    pub fn render_text(&self) -> String {
        let open = self.render_openmetrics();
        let counters: Vec<&str> = open
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
            .collect();
        let mut out = String::with_capacity(open.len());
        for line in open.lines() {
            if line == "# EOF" {
                continue;
            }
            let meta = ["# HELP ", "# TYPE "]
                .into_iter()
                .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
            match meta {
                Some((prefix, rest)) => {
                    let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                    let suffix = if counters.contains(&name) {
                        "_total"
                    } else {
                        ""
                    };
                    out.push_str(&format!("{prefix}{name}{suffix} {tail}\n"));
                }
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_histograms_and_the_gauge_render_in_both_formats() {
        let m = Metrics::new();
        m.request_finished("/a", 200, Duration::from_millis(3));
        m.request_finished("/a", 200, Duration::from_millis(5));
        m.request_finished("/b", 500, Duration::from_millis(1));
        let guard = m.request_started();
        let text = m.render_text();
        assert!(text.contains("spendbot_up 1\n"), "{text}");
        assert!(
            text.contains("# TYPE spendbot_http_requests_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("spendbot_http_requests_total{route=\"/a\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("spendbot_http_request_duration_seconds_count{route=\"/a\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("spendbot_http_requests_in_flight 1\n"),
            "{text}"
        );
        assert!(!text.contains("# EOF"), "{text}");
        drop(guard);
        assert!(
            m.render_text()
                .contains("spendbot_http_requests_in_flight 0\n")
        );
        let open = m.render_openmetrics();
        assert!(open.ends_with("# EOF\n"), "{open}");
        assert!(
            open.contains("# TYPE spendbot_http_requests counter\n"),
            "{open}"
        );
    }

    #[test]
    fn process_wide_figures_show_in_every_registry() {
        statement("TEST_STATEMENT", Instant::now());
        delivery("email", "sent");
        let text = Metrics::new().render_text();
        assert!(
            text.contains(
                "spendbot_db_statement_duration_seconds_count{operation=\"TEST_STATEMENT\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("spendbot_alert_deliveries_total{channel=\"email\",outcome=\"sent\"}"),
            "{text}"
        );
    }
}
