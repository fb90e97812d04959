//! Counters of what the functions do, kept in the process: written after each Lambda
//! invocation as one CloudWatch Embedded Metric Format (EMF) log line (CloudWatch turns it
//! into metrics, no API call on the request path), and served by the devserver at
//! `GET /dev/metrics` in Prometheus text.
//!
//! EMF is a documented JSON shape; this small writer is all it takes
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

/// The CloudWatch namespace of the metrics (the CDK dashboard and alarms use it).
pub const NAMESPACE: &str = "ServerlessChat";

/// Declares [`Metric`] and its names from one line per metric.
macro_rules! metrics {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $prom:literal;)*) => {
        /// Something the functions count.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Metric {
            $($(#[$doc])* $variant,)*
        }

        impl Metric {
            /// Every metric.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant,)*];

            /// The CloudWatch metric name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Metric::$variant => $name,)*
                }
            }

            /// The Prometheus metric name.
            pub const fn prometheus(self) -> &'static str {
                match self {
                    $(Metric::$variant => $prom,)*
                }
            }
        }
    };
}

metrics! {
    /// Messages stored (one per send or notice, whatever its fan-out).
    MessagesStored = "MessagesStored", "chat_messages_stored_total";
    /// Inbox entries written (the fan-out: a 1:1 send writes 2).
    InboxEntries = "InboxEntries", "chat_inbox_entries_total";
    /// Frames posted to connections.
    Deliveries = "Deliveries", "chat_deliveries_total";
    /// Posts answered 410 (the connection was gone).
    GoneConnections = "GoneConnections", "chat_gone_connections_total";
    /// Notifications SNS accepted.
    PushesSent = "PushesSent", "chat_pushes_sent_total";
    /// Notifications that failed.
    PushesFailed = "PushesFailed", "chat_pushes_failed_total";
    /// Requests refused over a per-user limit.
    RateLimited = "RateLimited", "chat_rate_limited_total";
    /// Events the events function published to EventBridge.
    EventsPublished = "EventsPublished", "chat_events_published_total";
    /// Pre-send hook calls that failed or timed out (handled by the failure policy).
    PreSendHookFailures = "PreSendHookFailures", "chat_pre_send_hook_failures_total";
    /// Requests refused as the client's mistake (bad_request, forbidden, conflict, …).
    Refused = "Refused", "chat_refused_total";
    /// Requests that failed on infrastructure (`internal`).
    InternalErrors = "InternalErrors", "chat_internal_errors_total";
    /// Store operations that gave up on contention (too many concurrent writers).
    StoreContention = "StoreContention", "chat_store_contention_total";
}

const N: usize = Metric::ALL.len();

/// Counts since the process started, and since the last EMF line.
static TOTAL: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
static PENDING: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];

fn index(m: Metric) -> usize {
    Metric::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

/// Adds `n` to `metric`.
pub fn count(metric: Metric, n: u64) {
    if n == 0 {
        return;
    }
    let i = index(metric);
    TOTAL[i].fetch_add(n, Ordering::Relaxed);
    PENDING[i].fetch_add(n, Ordering::Relaxed);
}

/// Every metric's count since the process started.
pub fn totals() -> Vec<(Metric, u64)> {
    Metric::ALL.iter().map(|m| (*m, TOTAL[index(*m)].load(Ordering::Relaxed))).collect()
}

/// The totals in Prometheus text exposition format.
pub fn prometheus() -> String {
    let mut out = String::new();
    for (m, v) in totals() {
        out.push_str(&format!("# TYPE {} counter\n{} {v}\n", m.prometheus(), m.prometheus()));
    }
    out
}

/// One EMF line with what was counted since the last one (`None` when nothing was), for
/// `function`, at `now_ms`; the pending counts restart from zero.
pub fn take_emf(function: &str, now_ms: u64) -> Option<String> {
    let counted: Vec<(Metric, u64)> = Metric::ALL
        .iter()
        .map(|m| (*m, PENDING[index(*m)].swap(0, Ordering::Relaxed)))
        .filter(|(_, v)| *v > 0)
        .collect();
    if counted.is_empty() {
        return None;
    }
    let definitions: Vec<serde_json::Value> =
        counted.iter().map(|(m, _)| serde_json::json!({"Name": m.name(), "Unit": "Count"})).collect();
    let mut line = serde_json::json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [["Function"]], "Metrics": definitions}],
        },
        "Function": function,
    });
    for (m, v) in counted {
        line[m.name()] = serde_json::json!(v);
    }
    Some(line.to_string())
}

/// Runs one invocation (as `function`'s, for the AWS request log), then writes its metrics
/// as an EMF line to stdout (CloudWatch Logs).
pub async fn flushed<T>(function: &'static str, invocation: impl Future<Output = T>) -> T {
    let out = crate::aws_log::function(function, invocation).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    if let Some(line) = take_emf(function, now) {
        println!("{line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_become_one_emf_line_and_prometheus_totals() {
        count(Metric::PushesFailed, 2);
        count(Metric::PushesFailed, 1);
        let line = take_emf("push", 1_700_000_000_000).expect("something was counted");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["Function"]]));
        assert_eq!(v["Function"], "push");
        assert!(v["PushesFailed"].as_u64().is_some_and(|n| n >= 3), "{line}");
        let defined = v["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().expect("metrics");
        assert!(
            defined.iter().all(|d| v.get(d["Name"].as_str().unwrap_or_default()).is_some()),
            "every metric has a value"
        );
        assert!(prometheus().contains("chat_pushes_failed_total "));
        let after = take_emf("push", 1);
        assert!(after.is_none_or(|l| !l.contains("PushesFailed")), "pending counts restart from zero");
    }
}
