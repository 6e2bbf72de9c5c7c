//! Secrets never reach Debug output, error messages or logs. Alone in its test binary: tracing
//! caches per-callsite interest process-wide, so a test running in parallel without a
//! subscriber could hide the client's events from this one's capture.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{TestApp, sandbox_config};
use cwpsa::{Client, ErrorKind, Query};

/// A tracing subscriber that writes every event and span field into a string.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Visitor<'a>(&'a mut String);

impl tracing::field::Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut Visitor(&mut self.0.lock().unwrap()));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Visitor(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.0.lock().unwrap();
        out.push('\n');
        out.push_str(event.metadata().target());
        event.record(&mut Visitor(&mut out));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn secrets_never_reach_debug_errors_or_logs() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let app = TestApp::start().await;
    let secret = "sandbox-private";
    // The Basic credentials as they travel, which must not leak either.
    let encoded = "c2FuZGJveCtzYW5kYm94LXB1YmxpYzpzYW5kYm94LXByaXZhdGU=";

    let builder = sandbox_config(app.sandbox.base_url());
    assert!(!format!("{builder:?}").contains(secret));
    let config = builder.build().unwrap();
    assert!(!format!("{config:?}").contains(secret));
    assert!(!format!("{:?}", app.client).contains(secret));

    // Successful requests, failing ones, and a wrong key: logs and errors stay clean.
    app.client
        .count("service/tickets", &Query::new())
        .await
        .unwrap();
    let not_found = app
        .client
        .get::<serde_json::Value>("service/tickets/1")
        .await
        .unwrap_err();
    let wrong = Client::new(
        sandbox_config(app.sandbox.base_url())
            .private_key("wrong-secret-value")
            .build()
            .unwrap(),
    )
    .unwrap();
    let denied = wrong
        .get::<serde_json::Value>("service/priorities")
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::Credentials);
    for err in [&not_found, &denied] {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(secret) && !text.contains("wrong-secret-value"),
                "{text}"
            );
            assert!(!text.contains(encoded), "{text}");
        }
    }
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.contains("status=200"),
        "the capture sees the client's events: {logs}"
    );
    assert!(
        !logs.contains(secret) && !logs.contains("wrong-secret-value") && !logs.contains(encoded)
    );
}
