//! Configuration: environment lookup, errors naming the variable, codebase discovery, and
//! secrets kept out of Debug, errors and logs.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::{CLIENT_ID, TestApp, sandbox_config};
use cwpsa::{Client, Config, ErrorKind, Query, RateLimit};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

const FULL: [(&str, &str); 5] = [
    ("CONNECTWISE_COMPANY_ID", "acme"),
    ("CONNECTWISE_PUBLIC_KEY", "pub"),
    ("CONNECTWISE_PRIVATE_KEY", "hunter2-very-secret"),
    ("CONNECTWISE_CLIENT_ID", CLIENT_ID),
    ("CONNECTWISE_SITE", "eu"),
];

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    FULL.iter().copied().filter(|(k, _)| *k != name).collect()
}

fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut v = without(name);
    v.push((name, value));
    v
}

#[test]
fn a_complete_environment_builds() {
    let config = Config::from_lookup(env(&FULL)).unwrap();
    assert_eq!(config.company_id(), "acme");
    assert_eq!(config.api_version(), "2025.1");
    assert_eq!(
        config.rate_limit(),
        RateLimit::Budget {
            requests: 60,
            per: std::time::Duration::from_secs(60)
        }
    );
    let off = Config::from_lookup(env(&with("CONNECTWISE_RATE_LIMIT", "off"))).unwrap();
    assert_eq!(off.rate_limit(), RateLimit::Off);
}

#[test]
fn missing_and_malformed_settings_name_the_variable() {
    for name in [
        "CONNECTWISE_COMPANY_ID",
        "CONNECTWISE_PUBLIC_KEY",
        "CONNECTWISE_PRIVATE_KEY",
        "CONNECTWISE_CLIENT_ID",
    ] {
        let err = Config::from_lookup(env(&without(name))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains(name), "{name}: {err}");
        // Empty counts as missing.
        let err = Config::from_lookup(env(&with(name, "  "))).unwrap_err();
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    let err = Config::from_lookup(env(&without("CONNECTWISE_SITE"))).unwrap_err();
    assert!(
        err.to_string().contains("CONNECTWISE_SITE")
            && err.to_string().contains("CONNECTWISE_BASE_URL")
    );
    let malformed = [
        ("CONNECTWISE_CLIENT_ID", "not-a-uuid"),
        ("CONNECTWISE_SITE", "http://api-na.myconnectwise.net"),
        ("CONNECTWISE_SITE", "bad host/x"),
        ("CONNECTWISE_RATE_LIMIT", "lots"),
        ("CONNECTWISE_RATE_LIMIT", "0/60s"),
        ("CONNECTWISE_API_VERSION", "latest"),
        ("CONNECTWISE_CODEBASE", "../etc"),
        (
            "CONNECTWISE_BASE_URL",
            "http://example.com/v4_6_release/apis/3.0/",
        ),
        ("CONNECTWISE_BASE_URL", "not a url"),
        ("CONNECTWISE_COMPANY_ID", "a+b"),
    ];
    for (name, value) in malformed {
        let err = Config::from_lookup(env(&with(name, value))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains(name), "{name}={value}: {err}");
    }
    // The builder's errors name its methods instead.
    let err = Config::builder().company_id("a").build().unwrap_err();
    assert!(err.to_string().contains("`public_key`"), "{err}");
}

#[tokio::test]
async fn the_codebase_is_discovered_from_the_site() {
    let app = TestApp::start().await;
    let config = Config::from_lookup(env(&[
        ("CONNECTWISE_COMPANY_ID", "sandbox"),
        ("CONNECTWISE_PUBLIC_KEY", "sandbox-public"),
        ("CONNECTWISE_PRIVATE_KEY", "sandbox-private"),
        ("CONNECTWISE_CLIENT_ID", CLIENT_ID),
        ("CONNECTWISE_SITE", &format!("http://{}", app.host())),
        ("CONNECTWISE_RATE_LIMIT", "off"),
    ]))
    .unwrap();
    let client = Client::new(config).unwrap();
    assert_eq!(client.discover_codebase().await.unwrap(), "v4_6_release/");
    assert_eq!(
        client.base_url().await.unwrap().as_str(),
        app.sandbox.base_url()
    );
    let n = client
        .count("service/priorities", &Query::new())
        .await
        .unwrap();
    assert!(n > 0);

    // An unknown company is a NotFound naming the discovery request.
    let other = Client::new(
        sandbox_config("http://127.0.0.1:1/")
            .base_url(app.sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(
        other.discover_codebase().await.is_err(),
        "no site configured"
    );
}
