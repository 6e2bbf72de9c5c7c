//! Receives a ConnectWise callback and verifies its signature before trusting a byte of it:
//! registers a callback for tickets, waits for a delivery, checks it with a
//! `CallbackVerifier` (the signing key fetched only from the trusted host), prints what
//! changed, shows that a tampered copy is rejected, and removes the callback.
//!
//! `cargo run -p cwpsa --example verify_callback` (an in-process sandbox changes a ticket).
//! Against a real tenant set `CALLBACK_PUBLIC_URL` (an HTTPS URL ConnectWise can reach, which
//! forwards to this process) and `CALLBACK_LISTEN` (default `127.0.0.1:8787`), then change a
//! ticket in ConnectWise within five minutes.

#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::time::Duration;

use cwpsa::model::{Callback, Ticket};
use cwpsa::{CallbackVerifier, Client, PatchOps, Query};
use futures_util::TryStreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let setup = support::client().await?;
    let listen = std::env::var("CALLBACK_LISTEN").unwrap_or_else(|_| "127.0.0.1:8787".into());
    let public_url = std::env::var("CALLBACK_PUBLIC_URL").ok();
    let mut verifier = setup.client.callback_verifier();
    let sandbox = setup.sandbox_host.is_some();
    if let Some(host) = &setup.sandbox_host {
        // The sandbox serves its signing key over plain HTTP on loopback.
        verifier = verifier.trust_sandbox_host(host);
    }
    let listen = if sandbox { "127.0.0.1:0" } else { &listen };
    let options = Options {
        listen,
        public_url: public_url.as_deref(),
        change_a_ticket: sandbox,
        wait: Duration::from_secs(if sandbox { 10 } else { 300 }),
    };
    run(
        &setup.client,
        &verifier,
        &options,
        &mut std::io::stdout().lock(),
    )
    .await
}

#[derive(Debug)]
pub struct Options<'a> {
    /// Where to listen for the delivery.
    pub listen: &'a str,
    /// The URL ConnectWise posts to (default: `http://<listen address>/cw-callback`).
    pub public_url: Option<&'a str>,
    /// Change a ticket ourselves (a sandbox run) rather than wait for someone to.
    pub change_a_ticket: bool,
    pub wait: Duration,
}

pub async fn run(
    client: &Client,
    verifier: &CallbackVerifier,
    options: &Options<'_>,
    out: &mut dyn Write,
) -> Result<(), BoxError> {
    let listener = TcpListener::bind(options.listen).await?;
    let local = listener.local_addr()?;
    let url = options
        .public_url
        .map_or_else(|| format!("http://{local}/cw-callback"), str::to_owned);
    let callback: Callback = client
        .create(
            "system/callbacks",
            &json!({"url": url, "objectId": 0, "type": "ticket", "level": "owner",
                    "description": "cwpsa verify_callback example"}),
        )
        .await?;
    let callback_id = callback.id.ok_or("the registered callback has no id")?;
    writeln!(
        out,
        "registered callback #{callback_id} for tickets at {url}"
    )?;

    let outcome = receive_and_verify(client, verifier, options, &listener, out).await;
    // Removed whatever happened, so no stale callback keeps firing at a dead URL.
    client
        .delete(&format!("system/callbacks/{callback_id}"))
        .await?;
    writeln!(out, "removed callback #{callback_id}")?;
    outcome
}

async fn receive_and_verify(
    client: &Client,
    verifier: &CallbackVerifier,
    options: &Options<'_>,
    listener: &TcpListener,
    out: &mut dyn Write,
) -> Result<(), BoxError> {
    if options.change_a_ticket {
        let ticket = client
            .list::<Ticket>("service/tickets", &Query::new().fields("id").page_size(1))
            .try_next()
            .await?
            .and_then(|t| t.id)
            .ok_or("no ticket to change")?;
        let _: Ticket = client
            .patch(
                &format!("service/tickets/{ticket}"),
                &PatchOps::new().replace("summary", "Changed by the verify_callback example"),
            )
            .await?;
        writeln!(out, "changed ticket #{ticket}")?;
    } else {
        writeln!(
            out,
            "waiting up to {:?} for a ticket to change...",
            options.wait
        )?;
    }
    let (body, headers) = tokio::time::timeout(options.wait, receive(listener))
        .await
        .map_err(|_| "no callback arrived in time")??;
    let payload = verifier.verify(&body, &headers).await?;
    let ticket: Option<Ticket> = payload.entity_as()?;
    writeln!(
        out,
        "verified: {:?} {} #{}: {:?}",
        payload.action,
        payload.r#type.as_deref().unwrap_or("?"),
        payload.id.unwrap_or_default(),
        ticket.and_then(|t| t.summary).unwrap_or_default()
    )?;
    // One byte changed: the signature no longer fits.
    let mut tampered = body.clone();
    if let Some(i) = tampered.iter().position(|b| *b == b'C') {
        tampered[i] = b'X';
    }
    match verifier.verify(&tampered, &headers).await {
        Ok(_) => return Err("a tampered callback was accepted".into()),
        Err(e) => writeln!(out, "a tampered copy is rejected: {e}")?,
    }
    Ok(())
}

/// Accepts one HTTP/1.1 POST and answers 200: returns its raw body and headers.
async fn receive(listener: &TcpListener) -> Result<(Vec<u8>, HeaderMap), BoxError> {
    let (mut stream, _) = listener.accept().await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("the connection closed before the headers ended".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err("headers over 64 KiB".into());
        }
    };
    let head = std::str::from_utf8(&buf[..head_end])?;
    let mut headers = HeaderMap::new();
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            headers.append(
                HeaderName::from_bytes(name.trim().as_bytes())?,
                HeaderValue::from_str(value.trim())?,
            );
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .ok_or("a callback without Content-Length")?;
    if length > 10 * 1024 * 1024 {
        return Err("a callback body over 10 MiB".into());
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("the connection closed inside the body".into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await?;
    Ok((body, headers))
}
