//! A small in-process metrics registry rendered in the Prometheus text format for
//! `GET /metrics`: counters and gauges with labels, kept in memory, written by hand.
//!
//! It never blocks on I/O and never holds a lock across an `.await`. Label values must stay
//! few (a route template, a status code, an adapter name), never user text or ids.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

#[derive(Debug)]
struct Family {
    help: &'static str,
    kind: Kind,
    /// Rendered label set (`{route="/healthz",status="200"}`) → value.
    series: BTreeMap<String, i64>,
}

/// The registry. Share it behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    start_time_seconds: u64,
    families: Mutex<BTreeMap<&'static str, Family>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry; the process start time is taken now.
    pub fn new() -> Self {
        let start_time_seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self {
            start_time_seconds,
            families: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to a counter.
    pub fn inc_counter(&self, name: &'static str, help: &'static str, labels: &[(&str, &str)]) {
        self.add(name, help, Kind::Counter, labels, 1);
    }

    /// Adds `delta` (possibly negative) to a gauge.
    pub fn add_gauge(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
        delta: i64,
    ) {
        self.add(name, help, Kind::Gauge, labels, delta);
    }

    /// Sets a gauge.
    pub fn set_gauge(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
        value: i64,
    ) {
        let mut families = self.lock();
        let family = families.entry(name).or_insert_with(|| Family {
            help,
            kind: Kind::Gauge,
            series: BTreeMap::new(),
        });
        family.series.insert(render_labels(labels), value);
    }

    fn add(
        &self,
        name: &'static str,
        help: &'static str,
        kind: Kind,
        labels: &[(&str, &str)],
        delta: i64,
    ) {
        let mut families = self.lock();
        let family = families.entry(name).or_insert_with(|| Family {
            help,
            kind,
            series: BTreeMap::new(),
        });
        *family.series.entry(render_labels(labels)).or_insert(0) += delta;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, Family>> {
        // A panic while holding this lock cannot leave a half-written map behind (every
        // update is one insert), so a poisoned lock is still safe to use.
        self.families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The registry in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP spendbot_up Whether the service is running.");
        let _ = writeln!(out, "# TYPE spendbot_up gauge");
        let _ = writeln!(out, "spendbot_up 1");
        let _ = writeln!(out, "# HELP spendbot_build_info The running version.");
        let _ = writeln!(out, "# TYPE spendbot_build_info gauge");
        let _ = writeln!(
            out,
            "spendbot_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP spendbot_start_time_seconds When the process started, in Unix seconds."
        );
        let _ = writeln!(out, "# TYPE spendbot_start_time_seconds gauge");
        let _ = writeln!(
            out,
            "spendbot_start_time_seconds {}",
            self.start_time_seconds
        );
        for (name, family) in self.lock().iter() {
            let kind = match family.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in &family.series {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        }
        out
    }
}

fn render_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_help_type_and_escaped_labels() {
        let m = Metrics::new();
        m.inc_counter("x_total", "Things.", &[("route", "/a"), ("status", "200")]);
        m.inc_counter("x_total", "Things.", &[("route", "/a"), ("status", "200")]);
        m.inc_counter(
            "x_total",
            "Things.",
            &[("route", "q\"\\\n"), ("status", "500")],
        );
        m.add_gauge("g", "A gauge.", &[], 3);
        m.add_gauge("g", "A gauge.", &[], -1);
        let text = m.render();
        assert!(text.contains("spendbot_up 1\n"), "{text}");
        assert!(text.contains("# TYPE x_total counter\n"), "{text}");
        assert!(
            text.contains("x_total{route=\"/a\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("x_total{route=\"q\\\"\\\\\\n\",status=\"500\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE g gauge\ng 2\n"), "{text}");
    }
}
