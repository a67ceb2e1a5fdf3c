//! Prometheus metrics, one registry per app (two apps in one test process never share counts).

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts,
    Registry, TextEncoder,
};

/// The service's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Request latency by method, route and status.
    pub http_requests: HistogramVec,
    /// Links signed, by kind (`url`, `cookies`).
    pub links_signed: IntCounterVec,
    /// Signature cache hits.
    pub cache_hits: IntCounter,
    /// Signature cache misses (each one a private-key operation).
    pub cache_misses: IntCounter,
    /// Time spent in the private-key operation and URL assembly.
    pub signing_seconds: Histogram,
    /// Requests refused by authentication, by reason class.
    pub auth_failures: IntCounterVec,
    /// Upload tickets handed out.
    pub uploads_created: IntCounter,
    /// Images the reaper finished, by what they were (`deleted`, `abandoned`, `failed`).
    pub reaped: IntCounterVec,
    /// Paths this replica sent to CloudFront in accepted invalidations.
    pub invalidation_paths_sent: IntCounter,
    /// Revocation floors this replica's sender wrote to the KeyValueStore, by `op` (`put`: a
    /// floor the edge now holds; `delete`: an expired one it no longer holds).
    pub revocation_floors_sent: IntCounterVec,
    /// Sender rounds that stopped on an error (retried in later rounds).
    pub revocation_send_failures: IntCounter,
}

impl Metrics {
    /// Registers every metric in a new registry.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5,
                ],
            ),
            &["method", "route", "status"],
        )?;
        let links_signed = IntCounterVec::new(
            Opts::new("mediagate_links_signed_total", "Links handed out"),
            &["kind"],
        )?;
        let cache_hits = IntCounter::new(
            "mediagate_signature_cache_hits_total",
            "Signature cache hits",
        )?;
        let cache_misses = IntCounter::new(
            "mediagate_signature_cache_misses_total",
            "Signature cache misses",
        )?;
        let signing_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "mediagate_signing_duration_seconds",
                "Time to sign one link",
            )
            .buckets(vec![
                0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
            ]),
        )?;
        let auth_failures = IntCounterVec::new(
            Opts::new(
                "mediagate_auth_failures_total",
                "Requests with a refused token",
            ),
            &["reason"],
        )?;
        let uploads_created = IntCounter::new(
            "mediagate_upload_tickets_total",
            "Presigned upload tickets handed out",
        )?;
        let reaped = IntCounterVec::new(
            Opts::new(
                "mediagate_reaped_images_total",
                "Images the reaper finished, by what they were",
            ),
            &["kind"],
        )?;
        let invalidation_paths_sent = IntCounter::new(
            "mediagate_invalidation_paths_sent_total",
            "Paths sent to CloudFront in accepted invalidations",
        )?;
        let revocation_floors_sent = IntCounterVec::new(
            Opts::new(
                "mediagate_revocation_floors_sent_total",
                "Revocation floors written to the KeyValueStore",
            ),
            &["op"],
        )?;
        let revocation_send_failures = IntCounter::new(
            "mediagate_revocation_send_failures_total",
            "KeyValueStore sender rounds that stopped on an error",
        )?;
        registry.register(Box::new(revocation_floors_sent.clone()))?;
        registry.register(Box::new(revocation_send_failures.clone()))?;
        registry.register(Box::new(uploads_created.clone()))?;
        registry.register(Box::new(reaped.clone()))?;
        registry.register(Box::new(invalidation_paths_sent.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(links_signed.clone()))?;
        registry.register(Box::new(cache_hits.clone()))?;
        registry.register(Box::new(cache_misses.clone()))?;
        registry.register(Box::new(signing_seconds.clone()))?;
        registry.register(Box::new(auth_failures.clone()))?;
        Ok(Metrics {
            registry,
            http_requests,
            links_signed,
            cache_hits,
            cache_misses,
            signing_seconds,
            auth_failures,
            uploads_created,
            reaped,
            invalidation_paths_sent,
            revocation_floors_sent,
            revocation_send_failures,
        })
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for the text format.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
