//! Response decoding of every operation: the first byte picks the operation (its 200 response
//! type; the 15th choice is `ErrorEnvelope`, the 4XX/5XX body of every operation, and the 16th
//! `GET /zones`, added after the seed's 14), the rest is the HTTP body.
//!
//! Invariants: decoding never panics; whatever decodes re-encodes, and the encoding decodes back
//! to an equal value (no information the type kept is lost or changed on the way).

use cloudflare_ssl::types;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The 200 response type of each operation, in the document's order, then the error envelope.
pub const TYPES: [&str; 16] = [
    "analyze_certificate: AnalyzeCertificateResponse",
    "list_certificate_packs: CertificatePackListResponse",
    "order_certificate_pack: CertificatePackResponse",
    "get_certificate_pack_quota: QuotaResponse",
    "get_certificate_pack: CertificatePackResponse",
    "edit_certificate_pack: CertificatePackResponse",
    "delete_certificate_pack: CertificatePackDeleteResponse",
    "get_ssl_recommendation: RecommendationResponse",
    "get_automatic_ssl_mode: AutomaticModeResponse",
    "edit_automatic_ssl_mode: AutomaticModeResponse",
    "get_universal_ssl_settings: UniversalSslSettingsResponse",
    "edit_universal_ssl_settings: UniversalSslSettingsResponse",
    "get_ssl_verification: VerificationResponse",
    "edit_validation_method: ValidationMethodUpdateResponse",
    "4XX/5XX: ErrorEnvelope",
    "list_zones: ZoneListResponse",
];

fn round_trip<T>(body: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(body) else {
        return;
    };
    let encoded = serde_json::to_vec(&value).expect("a decoded value encodes");
    let again: T = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
        panic!(
            "the encoding of a decoded value does not decode: {e}\n{}",
            String::from_utf8_lossy(&encoded)
        )
    });
    assert_eq!(value, again, "{}", String::from_utf8_lossy(&encoded));
    // Debug formatting walks every field.
    let _ = format!("{value:?}");
}

/// Runs one input; panics when an invariant fails.
pub fn run(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector as usize % TYPES.len() {
        0 => round_trip::<types::AnalyzeCertificateResponse>(body),
        1 => round_trip::<types::CertificatePackListResponse>(body),
        2 | 4 | 5 => round_trip::<types::CertificatePackResponse>(body),
        3 => round_trip::<types::QuotaResponse>(body),
        6 => round_trip::<types::CertificatePackDeleteResponse>(body),
        7 => round_trip::<types::RecommendationResponse>(body),
        8 | 9 => round_trip::<types::AutomaticModeResponse>(body),
        10 | 11 => round_trip::<types::UniversalSslSettingsResponse>(body),
        12 => round_trip::<types::VerificationResponse>(body),
        13 => round_trip::<types::ValidationMethodUpdateResponse>(body),
        15 => round_trip::<types::ZoneListResponse>(body),
        _ => round_trip::<types::ErrorEnvelope>(body),
    }
}
