//! `GET /metrics`: Prometheus text format (`prometheus-client`, the Prometheus
//! project's Rust client). Names start with `stance_serve_`:
//!
//! - `requests_total{endpoint,code}`: answered requests by route and HTTP status;
//! - `request_duration_seconds{endpoint}`: latency histogram, first byte to answer;
//! - `errors_total{endpoint,status}`: refused or failed requests by Google status name;
//! - `decisions_total{head,label}`: each head's predicted label, per scored comment;
//! - `actions_total{action}`: the policy's approve / review / reject;
//! - `reloads_total{result}`, `model_generation`, `in_flight_requests`,
//!   `thread_cache_comments`.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: String,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    endpoint: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    head: String,
    label: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.00025, 2.0, 15))
}

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    errors: Family<ErrorLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    actions: Family<ActionLabels, Counter>,
    reloads: Family<ResultLabels, Counter>,
    /// The loaded state's generation (1 at start, +1 per reload).
    pub generation: Gauge,
    /// Requests being answered now.
    pub in_flight: Gauge,
    /// Comments in the parent cache (set when scraped).
    pub thread_cache: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("stance_serve");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<EndpointLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let errors = Family::<ErrorLabels, Counter>::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        let actions = Family::<ActionLabels, Counter>::default();
        let reloads = Family::<ResultLabels, Counter>::default();
        let generation = Gauge::default();
        let in_flight = Gauge::default();
        let thread_cache = Gauge::default();
        registry.register("requests", "Answered requests", requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time from a request's first byte to its answer",
            latency.clone(),
        );
        registry.register("errors", "Refused or failed requests", errors.clone());
        registry.register(
            "decisions",
            "Predicted labels, per head and scored comment",
            decisions.clone(),
        );
        registry.register("actions", "Policy actions", actions.clone());
        registry.register("reloads", "Reload attempts by result", reloads.clone());
        registry.register(
            "model_generation",
            "Generation of the loaded models and settings",
            generation.clone(),
        );
        registry.register(
            "in_flight_requests",
            "Requests being answered",
            in_flight.clone(),
        );
        registry.register(
            "thread_cache_comments",
            "Comments held for finding replies' parents",
            thread_cache.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            errors,
            decisions,
            actions,
            reloads,
            generation,
            in_flight,
            thread_cache,
        }
    }
}

impl Metrics {
    /// Records one answered request.
    pub fn request(&self, endpoint: &str, code: u16, seconds: f64, error: Option<&str>) {
        self.requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.to_string(),
                code,
            })
            .inc();
        self.latency
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.to_string(),
            })
            .observe(seconds);
        if let Some(status) = error {
            self.errors
                .get_or_create(&ErrorLabels {
                    endpoint: endpoint.to_string(),
                    status: status.to_string(),
                })
                .inc();
        }
    }

    /// Records a head's predicted label.
    pub fn decision(&self, head: &str, label: &str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                head: head.to_string(),
                label: label.to_string(),
            })
            .inc();
    }

    /// Records a policy action.
    pub fn action(&self, action: &str) {
        self.actions
            .get_or_create(&ActionLabels {
                action: action.to_string(),
            })
            .inc();
    }

    /// Records a reload attempt.
    pub fn reload(&self, ok: bool) {
        self.reloads
            .get_or_create(&ResultLabels {
                result: if ok { "ok" } else { "refused" }.to_string(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        encode(&mut s, &self.registry).expect("formatting into a String");
        s
    }
}
