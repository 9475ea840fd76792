//! The instance's metrics in the Prometheus text format (`/metrics`), kept with the
//! `prometheus-client` crate: requests answered by route pattern, method and status,
//! and their latency, counted by a middleware as they are answered; jobs by state,
//! the outbox's depth, the connection pool's use and whether the instance is
//! stopping, read when the metrics are.

use std::time::Duration;

use actix_web::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::domain::states::{JobState, MailState};

/// The route of a request no route matched, so stray paths add no series.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// Latency buckets from 0.5 ms to 8 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// What the database and the pool say at the moment the metrics are read.
pub struct Snapshot {
    pub jobs: Vec<(JobState, i64)>,
    pub outbox: Vec<(MailState, i64)>,
    /// Connections the pool holds open, and how many of them are idle.
    pub pool_open: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    pub draining: bool,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    jobs: Family<StateLabels, Gauge>,
    outbox: Family<StateLabels, Gauge>,
    connections: Family<StateLabels, Gauge>,
    connections_max: Gauge,
    draining: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("pbx_portal");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's headers, by route pattern and method",
            Unit::Seconds,
            latency.clone(),
        );
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register(
            "jobs",
            "Bulk jobs in the database by state (all instances')",
            jobs.clone(),
        );
        let outbox = Family::<StateLabels, Gauge>::default();
        registry.register(
            "outbox_messages",
            "Outgoing messages not yet handed over: queued, or being handed over now",
            outbox.clone(),
        );
        let connections = Family::<StateLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "This instance's pooled database connections: idle or in use",
            connections.clone(),
        );
        let connections_max = Gauge::default();
        registry.register(
            "db_connections_max",
            "The most database connections this instance's pool opens",
            connections_max.clone(),
        );
        let draining = Gauge::default();
        registry.register(
            "draining",
            "1 while the instance is stopping: it takes no new connections",
            draining.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            jobs,
            outbox,
            connections,
            connections_max,
            draining,
        }
    }
}

/// A method as a label: the standard ones by name, anything else as "other", so an
/// invented method adds no series.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 7] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

impl Metrics {
    /// Counts one answered request. `route` is the matched route's pattern (e.g.
    /// `/domains/{domain}/users`), never the path, so series stay few.
    pub fn observe(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The metrics as Prometheus text, with the gauges set from `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, std::fmt::Error> {
        for state in JobState::ALL {
            let count = snapshot
                .jobs
                .iter()
                .find(|(known, _)| known == state)
                .map_or(0, |(_, count)| *count);
            self.jobs
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(count);
        }
        for (state, count) in &snapshot.outbox {
            self.outbox
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(*count);
        }
        let idle = i64::from(snapshot.pool_idle);
        let open = i64::from(snapshot.pool_open);
        self.connections
            .get_or_create(&StateLabels { state: "idle" })
            .set(idle);
        self.connections
            .get_or_create(&StateLabels { state: "in_use" })
            .set(open - idle);
        self.connections_max.set(i64::from(snapshot.pool_max));
        self.draining.set(i64::from(snapshot.draining));
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_pattern_and_invented_methods_share_one_label()
    -> Result<(), Box<dyn std::error::Error>> {
        let metrics = Metrics::default();
        let route = "/domains/{domain}/users";
        metrics.observe(&Method::GET, route, 200, Duration::from_millis(3));
        metrics.observe(&Method::GET, route, 200, Duration::from_millis(30));
        metrics.observe(
            &Method::from_bytes(b"BREW")?,
            UNMATCHED_ROUTE,
            404,
            Duration::ZERO,
        );
        let text = metrics.render(&Snapshot {
            jobs: vec![(JobState::Running, 2)],
            outbox: vec![(MailState::Queued, 5), (MailState::Sending, 0)],
            pool_open: 3,
            pool_idle: 1,
            pool_max: 8,
            draining: false,
        })?;
        assert!(text.contains(
            r#"pbx_portal_http_requests_total{method="GET",route="/domains/{domain}/users",status="200"} 2"#
        ), "{text}");
        assert!(text.contains(
            r#"pbx_portal_http_requests_total{method="other",route="unmatched",status="404"} 1"#
        ));
        assert!(text.contains(
            r#"pbx_portal_http_request_duration_seconds_bucket{le="0.004",method="GET",route="/domains/{domain}/users"} 1"#
        ) || text.contains(
            r#"pbx_portal_http_request_duration_seconds_bucket{method="GET",route="/domains/{domain}/users",le="0.004"} 1"#
        ), "{text}");
        assert!(text.contains(r#"pbx_portal_jobs{state="running"} 2"#));
        assert!(text.contains(r#"pbx_portal_jobs{state="pending"} 0"#));
        assert!(text.contains(r#"pbx_portal_outbox_messages{state="queued"} 5"#));
        assert!(text.contains(r#"pbx_portal_db_connections{state="in_use"} 2"#));
        assert!(text.contains("pbx_portal_db_connections_max 8"));
        assert!(text.contains("pbx_portal_draining 0"));
        assert!(text.ends_with("# EOF\n"));
        Ok(())
    }
}
