//! Building and using a client installs no process-wide rustls crypto provider (its own test
//! binary: the provider is process-global state).

mod support;

use serde_json::json;
use support::{Reply, TestServer, ZONE};

#[tokio::test]
async fn no_process_wide_crypto_provider_is_installed() {
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    let server = TestServer::start(|_| Reply::ok(json!({"enabled": true}))).await;
    let client = cloudflare_ssl::Client::builder()
        .api_token("tok")
        .base_url(&server.base_url)
        .build()
        .expect("client");
    // An https client too (built, not connected).
    let _https = cloudflare_ssl::Client::builder()
        .api_token("tok")
        .build()
        .expect("https client");
    client
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .expect("get");
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "the library installed a global provider"
    );
}
