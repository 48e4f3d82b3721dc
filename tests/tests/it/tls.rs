//! The CLI reaches nodes behind an operator's TLS reverse proxy: `https://` RPC addresses
//! work with a certificate the system trusts, and an untrusted one is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;
use truffle_testnet::truffle_binary;
use truffle_tests::{start_dev, wait_for_leader_at};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name)
}

/// A TLS terminator on 127.0.0.1 forwarding every connection to `upstream`; answers its
/// `https://` URL. The task ends with the test's runtime.
async fn tls_proxy(upstream: String) -> anyhow::Result<String> {
    let certs = CertificateDer::pem_file_iter(fixture("node.pem"))?
        .collect::<Result<Vec<_>, _>>()
        .context("node.pem")?;
    let key = PrivateKeyDer::from_pem_file(fixture("node.key")).context("node.key")?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("https://127.0.0.1:{}", listener.local_addr()?.port());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Ok(url)
}

fn verify_chain(rpc: &str, trusted_roots: Option<&Path>) -> anyhow::Result<std::process::Output> {
    let mut command = std::process::Command::new(truffle_binary()?);
    command.args(["verify", "chain", "--genesis", "dev", "--rpc", rpc]);
    command.env_remove("SSL_CERT_DIR");
    match trusted_roots {
        Some(file) => command.env("SSL_CERT_FILE", file),
        // An empty bundle: the test CA is trusted by nothing.
        None => command.env("SSL_CERT_FILE", "/dev/null"),
    };
    Ok(command.output()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_verifies_a_chain_over_https_and_refuses_an_untrusted_certificate(
) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let node = start_dev(data.path())?;
    wait_for_leader_at(&node.rpc_url).await?;
    let upstream = node
        .rpc_url
        .strip_prefix("http://")
        .context("an http URL")?
        .to_owned();
    let https = tls_proxy(upstream).await?;

    let trusted = tokio::task::spawn_blocking({
        let https = https.clone();
        move || verify_chain(&https, Some(&fixture("ca.pem")))
    })
    .await??;
    assert!(
        trusted.status.success(),
        "verify over https with the CA trusted: {}{}",
        String::from_utf8_lossy(&trusted.stdout),
        String::from_utf8_lossy(&trusted.stderr)
    );

    let untrusted = tokio::task::spawn_blocking(move || verify_chain(&https, None)).await??;
    assert!(
        !untrusted.status.success(),
        "a certificate no root vouches for must be refused"
    );
    let message = String::from_utf8_lossy(&untrusted.stderr).to_lowercase();
    assert!(
        message.contains("certificate") && message.contains("ssl_cert_file"),
        "the refusal names the certificate and what to do: {message}"
    );
    Ok(())
}
