//! Setup shared by the tests that drive the client against the embedded mock.

#![allow(dead_code)]

use cloudflare_ssl::types::{
    CertificateAuthority, CertificatePackListStatus, CertificatePackValidationMethod, ValidityDays,
};
use cloudflare_ssl::{CertificatePacks, Client, OrderRequest};
use cloudflare_ssl_mock::MockServer;
use futures::TryStreamExt;

/// A client of `mock`, with the mock's token and base URL.
pub fn client(mock: &MockServer) -> Client {
    Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()
        .expect("client")
}

/// The certificate packs of the mock's first zone.
pub fn packs(mock: &MockServer) -> CertificatePacks {
    client(mock)
        .zone(mock.zone_id())
        .expect("zone")
        .certificate_packs()
}

/// An advanced order for `hosts`: Let's Encrypt, TXT validation, 90 days.
pub fn order(hosts: &[&str]) -> OrderRequest {
    OrderRequest::new(
        hosts.iter().copied(),
        CertificateAuthority::LetsEncrypt,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    )
}

/// The ids of every pack (of any status) that `order` matches, as `ensure` would find them.
pub async fn matching(packs: &CertificatePacks, order: &OrderRequest) -> Vec<String> {
    packs
        .list()
        .status(CertificatePackListStatus::All)
        .items()
        .try_filter(|p| futures::future::ready(order.matches(p)))
        .map_ok(|p| p.id.to_string())
        .try_collect()
        .await
        .expect("list")
}
