//! A certificate generated at start so that clients which insist on `https://` can talk to the
//! sandbox: a throw-away CA (written to a PEM file for `REQUESTS_CA_BUNDLE`,
//! `NODE_EXTRA_CA_CERTS`, ...) signs a server certificate for `localhost` and the bound address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_path: PathBuf,
}

pub(crate) fn generate(addr: SocketAddr) -> Result<Tls, String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let ca_key = KeyPair::generate().map_err(|e| err(&e))?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| err(&e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cwpsa sandbox CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| err(&e))?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(|e| err(&e))?;
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    if !addr.ip().is_unspecified() && !names.contains(&addr.ip().to_string()) {
        names.push(addr.ip().to_string());
    }
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| err(&e))?;
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(|e| err(&e)),
        })
        .collect::<Result<_, _>>()?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .map_err(|e| err(&e))?;

    let ca_path = std::env::temp_dir().join(format!(
        "cwpsa-sandbox-{}-{}-ca.pem",
        std::process::id(),
        addr.port()
    ));
    std::fs::write(&ca_path, ca_cert.pem())
        .map_err(|e| format!("writing {}: {e}", ca_path.display()))?;

    let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| err(&e))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| err(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_path,
    })
}
