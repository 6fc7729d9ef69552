//! Expiry and renewal on the mock's clock: a pack enters its renewal period, goes through
//! validation again with new DCV tokens, and is reissued with new dates; a pack whose renewal
//! does not validate expires. The client sees one expiry per pack.

use std::time::Duration;

use chrono::TimeDelta;
use cloudflare_ssl::types::{
    CertificateAuthority, CertificatePack, CertificatePackStatus, CertificatePackValidationMethod,
    ValidityDays,
};
use cloudflare_ssl::{CertificatePacks, OrderRequest};
use cloudflare_ssl_mock::MockServer;

mod common;
use common::packs;

async fn active_pack(mock: &MockServer, packs: &CertificatePacks, host: &str) -> CertificatePack {
    let order = OrderRequest::new(
        ["example.com", host],
        CertificateAuthority::LetsEncrypt,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days14,
    );
    let (pack, _) = packs.ensure(order).await.expect("ordered");
    mock.settle();
    let pack = packs.get(&pack.id).await.expect("get");
    assert_eq!(pack.status, CertificatePackStatus::Active);
    pack
}

fn txt_values(pack: &CertificatePack) -> Vec<String> {
    pack.validation_records
        .iter()
        .filter_map(|r| r.txt_value.clone())
        .collect()
}

/// Moves the mock's clock to `at` (plus a second).
fn advance_to(mock: &MockServer, at: chrono::DateTime<chrono::Utc>) {
    let by = (at - mock.now()).to_std().expect("in the future") + Duration::from_secs(1);
    mock.advance(by);
}

#[tokio::test]
async fn a_pack_renews_on_the_mocks_clock_with_new_tokens_and_dates() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    let pack = active_pack(&mock, &packs, "renew.example.com").await;
    let first_expiry = pack.expires_on().expect("issued");
    let dates: Vec<_> = pack.certificates.iter().map(|c| c.expires_on).collect();
    assert_eq!(dates.len(), 2, "ECDSA and RSA: {dates:?}");

    // Cloudflare renews a 14-day certificate 3 days before it expires.
    advance_to(&mock, first_expiry - TimeDelta::days(3));
    let renewing = packs.get(&pack.id).await.expect("get");
    assert_eq!(renewing.status, CertificatePackStatus::PendingValidation);
    let new_tokens = txt_values(&renewing);
    assert!(!new_tokens.is_empty(), "new DCV records to publish");
    assert_eq!(
        renewing.expires_on(),
        Some(first_expiry),
        "the old certificates serve until reissued"
    );
    // The listing helper shows it once, with its status.
    let soon = packs
        .expiring_before(first_expiry + TimeDelta::seconds(1))
        .await
        .expect("listing");
    let mine: Vec<_> = soon.iter().filter(|e| e.pack.id == pack.id).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].expires_on, first_expiry);

    mock.settle();
    let renewed = packs.get(&pack.id).await.expect("get");
    assert_eq!(renewed.status, CertificatePackStatus::Active);
    let second_expiry = renewed.expires_on().expect("reissued");
    assert!(
        second_expiry > first_expiry + TimeDelta::days(10),
        "{first_expiry} -> {second_expiry}"
    );
    assert_eq!(mock.orders_created(), 1, "renewal orders nothing");
}

#[tokio::test]
async fn tokens_change_with_each_renewal() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    let pack = active_pack(&mock, &packs, "tokens.example.com").await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let expiry = packs
            .get(&pack.id)
            .await
            .expect("get")
            .expires_on()
            .expect("issued");
        advance_to(&mock, expiry - TimeDelta::days(3));
        let renewing = packs.get(&pack.id).await.expect("get");
        assert_eq!(renewing.status, CertificatePackStatus::PendingValidation);
        seen.push(txt_values(&renewing));
        mock.settle();
    }
    assert_ne!(seen[0], seen[1], "each renewal validates anew");
}

#[tokio::test]
async fn a_renewal_that_does_not_validate_expires() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    let pack = active_pack(&mock, &packs, "stuck.example.com").await;
    let expiry = pack.expires_on().expect("issued");
    advance_to(&mock, expiry - TimeDelta::days(3));
    // The DNS record never appears: the renewal's validation times out.
    mock.set_pack_status(mock.zone_id(), pack.id.as_str(), "validation_timed_out")
        .expect("pack");
    advance_to(&mock, expiry);
    let expired = packs.get(&pack.id).await.expect("get");
    assert_eq!(expired.status, CertificatePackStatus::Expired);
    assert!(expired.certificates.iter().all(|c| c.status == "expired"));
    let soon = packs.expiring_before(mock.now()).await.expect("listing");
    assert!(soon
        .iter()
        .any(|e| e.pack.id == pack.id && e.pack.status == CertificatePackStatus::Expired));
}

#[tokio::test]
async fn seeded_packs_renew_when_the_clock_moves_forty_days() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    let before = packs
        .expiring_before(mock.now() + TimeDelta::days(400))
        .await
        .expect("listing");
    mock.advance(Duration::from_secs(40 * 86_400));
    mock.settle();
    let now = mock.now();
    let after = packs
        .expiring_before(now + TimeDelta::days(400))
        .await
        .expect("listing");
    assert_eq!(before.len(), after.len(), "each pack once, none lost");
    for e in &after {
        assert!(
            e.expires_on > now,
            "{} expired at {} (now {now})",
            e.pack.id,
            e.expires_on
        );
        assert_eq!(
            e.pack.status,
            CertificatePackStatus::Active,
            "{}",
            e.pack.id
        );
    }
}
