//! Contract tests: the crate's own client end to end against the embedded mock, for every
//! operation and every error path the mock models. Every response the mock sent must also have
//! validated against the curated document.

use std::time::Duration;

use cloudflare_ssl::types::{
    AutomaticModeUpdateValue, CertificateAuthority, CertificatePackListStatus,
    CertificatePackStatus as Status, CertificatePackType, CertificatePackValidationMethod,
    DesiredValidationMethod, EditCertificatePackRequest, ValidityDays,
};
use cloudflare_ssl::{Client, Credentials, Error, OrderRequest, RetryPolicy, WaitOptions, Zone};
use cloudflare_ssl_mock::{
    MockServer, Operation, DEFAULT_API_EMAIL, DEFAULT_API_KEY, DEFAULT_USER_SERVICE_KEY,
    SAMPLE_CERTIFICATE_PEM, SECOND_ZONE_ID,
};
use futures::TryStreamExt;

fn client_for(mock: &MockServer, credentials: Credentials) -> Client {
    Client::builder()
        .credentials(credentials)
        .base_url(mock.base_url())
        .retry(RetryPolicy::default().initial_delay(Duration::from_millis(1)))
        .build()
        .expect("client")
}

fn zone(mock: &MockServer) -> Zone {
    client_for(mock, Credentials::api_token(mock.token()))
        .zone(mock.zone_id())
        .expect("zone")
}

fn order(hosts: &[&str], method: CertificatePackValidationMethod) -> OrderRequest {
    OrderRequest::new(
        hosts.iter().copied(),
        CertificateAuthority::LetsEncrypt,
        method,
        ValidityDays::Days90,
    )
}

fn assert_clean(mock: &MockServer) {
    let violations = mock.schema_violations();
    assert!(
        violations.is_empty(),
        "responses broke the document: {violations:?}"
    );
}

#[tokio::test]
async fn the_whole_lifecycle_through_the_client() {
    let mock = MockServer::start_manual().await;
    let zone = zone(&mock);
    let packs = zone.certificate_packs();

    let quota = packs.quota().await.unwrap();
    let used_before = quota.advanced.as_ref().and_then(|a| a.used).unwrap();

    let pack = packs
        .order(order(
            &["example.com", "*.example.com"],
            CertificatePackValidationMethod::Txt,
        ))
        .await
        .unwrap();
    assert_eq!(pack.status, Status::Initializing);
    assert_eq!(pack.type_, CertificatePackType::Advanced);
    assert_eq!(pack.validity_days, Some(ValidityDays::Days90));
    assert!(pack
        .validation_records
        .iter()
        .all(|r| r.txt_name.is_some() && r.txt_value.is_some()));
    assert_eq!(
        packs.quota().await.unwrap().advanced.and_then(|a| a.used),
        Some(used_before + 1)
    );

    // Switch to HTTP validation: fresh HTTP records.
    let changed = zone
        .verification()
        .edit_method(&pack.id, DesiredValidationMethod::Http)
        .await
        .unwrap();
    assert_eq!(
        changed.validation_method,
        Some(DesiredValidationMethod::Http)
    );
    let got = packs.get(&pack.id).await.unwrap();
    assert_eq!(
        got.validation_method,
        Some(CertificatePackValidationMethod::Http)
    );
    assert!(got
        .validation_records
        .iter()
        .all(|r| r.http_url.is_some() && r.http_body.is_some()));

    // Verification lists the pack.
    let verification = zone.verification().get().await.unwrap();
    assert!(verification
        .iter()
        .any(|v| v.cert_pack_uuid.as_deref() == Some(pack.id.as_str())));
    zone.verification().get_and_retry().await.unwrap();

    // Not active yet: the default listing (active only) leaves it out; status=all has it.
    let active: Vec<_> = packs
        .list()
        .per_page(5)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(active.iter().all(|p| p.status == Status::Active));
    assert!(!active.iter().any(|p| p.id == pack.id));
    let all: Vec<_> = packs
        .list()
        .status(CertificatePackListStatus::All)
        .per_page(5)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(all.iter().any(|p| p.id == pack.id));
    assert_eq!(all.len(), active.len() + 1);

    // Drive the clock: the pack becomes active.
    mock.settle();
    let done = packs
        .wait_until_active(
            &pack.id,
            WaitOptions::default().interval(Duration::from_millis(1)),
        )
        .await
        .unwrap();
    assert_eq!(done.status, Status::Active);
    assert!(!done.certificates.is_empty());

    // Branding edit; delete frees the quota.
    let branded = packs
        .edit(
            &pack.id,
            EditCertificatePackRequest {
                cloudflare_branding: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(branded.cloudflare_branding, Some(true));
    let deleted = packs.delete(&pack.id).await.unwrap();
    assert_eq!(deleted.id.as_ref(), Some(&pack.id));
    assert!(packs.get(&pack.id).await.unwrap_err().is_not_found());
    assert_eq!(
        packs.quota().await.unwrap().advanced.and_then(|a| a.used),
        Some(used_before)
    );
    assert_eq!(mock.orders_created(), 1);
    assert_clean(&mock);
}

#[tokio::test]
async fn settings_persist_and_analyze_reads_the_certificate() {
    let mock = MockServer::start_manual().await;
    let zone = zone(&mock);

    assert_eq!(
        zone.universal_ssl().get().await.unwrap().enabled,
        Some(true)
    );
    assert_eq!(
        zone.universal_ssl()
            .set_enabled(false)
            .await
            .unwrap()
            .enabled,
        Some(false)
    );
    assert_eq!(
        zone.universal_ssl().get().await.unwrap().enabled,
        Some(false)
    );
    zone.universal_ssl().set_enabled(true).await.unwrap();

    let mode = zone
        .automatic_ssl()
        .set(AutomaticModeUpdateValue::Custom)
        .await
        .unwrap();
    assert_eq!(mode.value.as_str(), "custom");
    assert_eq!(
        zone.automatic_ssl().get().await.unwrap().value.as_str(),
        "custom"
    );
    assert_eq!(
        zone.ssl_recommendation().await.unwrap().editable,
        Some(true)
    );

    let analysis = zone
        .analyze_certificate(SAMPLE_CERTIFICATE_PEM, None)
        .await
        .unwrap();
    assert_eq!(analysis["hosts"][0], "example.com");
    assert_eq!(analysis["signature_algorithm"], "ECDSAWithSHA256");
    assert_clean(&mock);
}

#[tokio::test]
async fn every_auth_mode_works_and_bad_credentials_fail_typed() {
    let mock = MockServer::start_manual().await;
    for credentials in [
        Credentials::api_token(mock.token()),
        Credentials::api_key(DEFAULT_API_EMAIL, DEFAULT_API_KEY),
        Credentials::user_service_key(DEFAULT_USER_SERVICE_KEY),
    ] {
        let zone = client_for(&mock, credentials).zone(mock.zone_id()).unwrap();
        zone.certificate_packs()
            .quota()
            .await
            .expect("authenticated");
    }

    let wrong = client_for(&mock, Credentials::api_token("not-the-token"));
    let err = wrong
        .zone(mock.zone_id())
        .unwrap()
        .certificate_packs()
        .quota()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.error_codes(), vec![10000]);

    let anonymous = Client::builder().base_url(mock.base_url()).build().unwrap();
    let err = anonymous
        .zone(mock.zone_id())
        .unwrap()
        .certificate_packs()
        .quota()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(
        err.cf_ray().is_some(),
        "the mock sends cf-ray on errors too"
    );
    assert_clean(&mock);
}

#[tokio::test]
async fn every_modelled_error_path_becomes_a_typed_error() {
    let mock = MockServer::start_manual().await;
    let zone = zone(&mock);
    let packs = zone.certificate_packs();

    // Unknown zone and unknown pack: 404s.
    let client = zone.client().clone();
    let err = client
        .zone("ffffffffffffffffffffffffffffffff")
        .unwrap()
        .certificate_packs()
        .quota()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = packs
        .get("0000000000000000000000000000beef")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.error_codes(), vec![1404]);

    // The server's own validation: hosts outside the zone, missing apex.
    let err = packs
        .order(order(
            &["shop.example.org"],
            CertificatePackValidationMethod::Txt,
        ))
        .await
        .unwrap_err();
    let api = err.api_error().expect("api error");
    assert_eq!(
        (api.status, api.errors[0].pointer.as_deref()),
        (400, Some("/hosts/0"))
    );
    let err = packs
        .order(order(
            &["www.example.com"],
            CertificatePackValidationMethod::Txt,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.api_error().unwrap().errors[0].pointer.as_deref(),
        Some("/hosts")
    );

    // Restart validation is only for validation_timed_out packs.
    let pack = packs
        .order(order(
            &["example.com"],
            CertificatePackValidationMethod::Http,
        ))
        .await
        .unwrap();
    let err = packs.restart_validation(&pack.id).await.unwrap_err();
    assert_eq!(err.error_codes(), vec![1409]);
    mock.set_pack_status(mock.zone_id(), pack.id.as_str(), "validation_timed_out")
        .unwrap();
    let err = packs
        .wait_until_active(&pack.id, WaitOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::PackFailed {
                status: Status::ValidationTimedOut,
                ..
            }
        ),
        "{err}"
    );
    let restarted = packs.restart_validation(&pack.id).await.unwrap();
    assert_eq!(restarted.status, Status::PendingValidation);

    // The validation method is locked once validation passed.
    mock.settle();
    let err = zone
        .verification()
        .edit_method(&pack.id, DesiredValidationMethod::Txt)
        .await
        .unwrap_err();
    assert_eq!(err.error_codes(), vec![1408]);
    assert_eq!(
        err.api_error().unwrap().errors[0].pointer.as_deref(),
        Some("/validation_method")
    );

    // The universal pack is not an advanced one.
    let universal = packs
        .list()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.type_ == CertificatePackType::Universal)
        .expect("seeded universal pack");
    assert_eq!(
        packs.delete(&universal.id).await.unwrap_err().error_codes(),
        vec![1407]
    );

    // Not a certificate.
    let err = zone
        .analyze_certificate("-----BEGIN NONSENSE-----", None)
        .await
        .unwrap_err();
    assert_eq!(
        err.api_error().unwrap().errors[0].pointer.as_deref(),
        Some("/certificate")
    );

    // Quota: the second zone allows one advanced pack.
    let second = client.zone(SECOND_ZONE_ID).unwrap();
    let apex = second_zone_apex(&mock);
    second
        .certificate_packs()
        .order(order(
            &[apex.as_str()],
            CertificatePackValidationMethod::Txt,
        ))
        .await
        .expect("first order fits the quota");
    let err = second
        .certificate_packs()
        .order(order(
            &[apex.as_str()],
            CertificatePackValidationMethod::Txt,
        ))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.error_codes()), (Some(400), vec![1405]));
    assert!(!err.is_retryable());
    assert_clean(&mock);
}

fn second_zone_apex(mock: &MockServer) -> String {
    mock.zones()
        .into_iter()
        .find(|z| z.id == SECOND_ZONE_ID)
        .map(|z| z.name)
        .expect("second zone")
}

#[tokio::test]
async fn injected_faults_are_retried_or_reported_and_orders_never_duplicate() {
    use cloudflare_ssl_mock::Fault;
    let mock = MockServer::start_manual().await;
    let zone = zone(&mock);
    let packs = zone.certificate_packs();

    mock.faults()
        .on(Operation::GetCertificatePackQuota)
        .next(2, Fault::ServerError { status: 503 });
    packs
        .quota()
        .await
        .expect("two 503s, then success within 2 retries");

    mock.faults()
        .on(Operation::GetCertificatePackQuota)
        .next(1, Fault::HtmlErrorPage { status: 502 });
    let r = packs
        .quota()
        .with_response()
        .await
        .expect("HTML 502 retried");
    assert_eq!(r.meta.attempts, 2);

    // The order is processed, then the response is lost: the client must not order again.
    mock.faults()
        .on(Operation::OrderCertificatePack)
        .after_handling()
        .next(1, Fault::DropConnection);
    let err = packs
        .order(order(
            &["example.com"],
            CertificatePackValidationMethod::Txt,
        ))
        .await
        .unwrap_err();
    // The order may have taken effect: its outcome is unknown, and it must not invite a retry.
    assert!(
        matches!(&err, Error::OutcomeUnknown { source, .. } if matches!(**source, Error::Transport { .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable() && err.is_outcome_unknown());
    assert_eq!(mock.orders_created(), 1, "exactly one pack was created");
    assert_eq!(mock.counters().requests(Operation::OrderCertificatePack), 1);
    assert_clean(&mock);
}
