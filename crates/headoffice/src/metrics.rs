//! Counters for `/metrics` (Prometheus text format 0.0.4). Plain atomics:
//! a handful of series does not need a metrics crate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use sync_proto::ErrorCode;

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    batches_acked: AtomicU64,
    events_stored: AtomicU64,
    events_duplicate: AtomicU64,
    push_requests: AtomicU64,
    push_micros: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn ingested(&self, stored: u64, duplicates: u64) {
        self.batches_acked.fetch_add(1, Ordering::Relaxed);
        self.events_stored.fetch_add(stored, Ordering::Relaxed);
        self.events_duplicate
            .fetch_add(duplicates, Ordering::Relaxed);
    }

    pub fn refused(&self, code: ErrorCode) {
        let mut m = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(code.as_str()).or_default() += 1;
    }

    pub fn observe_ingest(&self, d: Duration) {
        self.push_requests.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.push_micros.fetch_add(us, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut counter = |name: &str, help: &str, v: String| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            "headoffice_batches_acked_total",
            "Event batches acknowledged.",
            g(&self.batches_acked).to_string(),
        );
        counter(
            "headoffice_events_stored_total",
            "Events newly stored.",
            g(&self.events_stored).to_string(),
        );
        counter(
            "headoffice_events_duplicate_total",
            "Events received again and ignored (resends).",
            g(&self.events_duplicate).to_string(),
        );
        counter(
            "headoffice_push_requests_total",
            "POST /v1/events requests.",
            g(&self.push_requests).to_string(),
        );
        counter(
            "headoffice_push_seconds_total",
            "Time spent answering POST /v1/events.",
            format!("{:.6}", g(&self.push_micros) as f64 / 1e6),
        );
        let _ = writeln!(
            s,
            "# HELP headoffice_push_refused_total Pushes refused, by code.\n# TYPE headoffice_push_refused_total counter"
        );
        let m = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        for (code, n) in m.iter() {
            let _ = writeln!(s, "headoffice_push_refused_total{{code=\"{code}\"}} {n}");
        }
        s
    }
}

/// Gauges of each terminal's sync state: last seq held, events, alerts, lag.
pub fn render_terminals(s: &mut String, terminals: &[crate::store::TerminalState]) {
    let esc = |v: &str| {
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    type Get = fn(&crate::store::TerminalState) -> Option<f64>;
    let series: [(&str, &str, Get); 4] = [
        (
            "headoffice_terminal_last_seq",
            "Highest contiguous seq held per terminal.",
            |t| Some(t.last_seq as f64),
        ),
        (
            "headoffice_terminal_events",
            "Events held per terminal.",
            |t| Some(t.events as f64),
        ),
        (
            "headoffice_terminal_alerts",
            "Alerts raised per terminal.",
            |t| Some(t.alerts as f64),
        ),
        (
            "headoffice_terminal_lag_seconds",
            "Age of the newest event held per terminal.",
            |t| t.lag_seconds.map(|l| l as f64),
        ),
    ];
    for (name, help, get) in series {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
        for t in terminals {
            if let Some(v) = get(t) {
                let _ = writeln!(
                    s,
                    "{name}{{terminal=\"{}\",store=\"{}\"}} {v}",
                    esc(&t.terminal_id),
                    esc(&t.store_id)
                );
            }
        }
    }
}
