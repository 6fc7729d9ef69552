//! Property tests of the generated types.
//!
//! * Arbitrary valid values of every response type (certificate packs with their certificates,
//!   validation records and errors; verification details; result info; quota, Universal SSL,
//!   automatic mode and delete results; and every response envelope) encode to JSON and decode
//!   back equal, unknown fields (`extra`) included.
//! * Arbitrary strings in the positions of open string enums, and arbitrary integers in the
//!   position of `ValidityDays`, decode: a documented value into its variant, anything else
//!   into `Unknown(..)` holding exactly what was sent; and they encode back unchanged.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use cloudflare_ssl::types::{self, Identifier};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

// ---------------------------------------------------------------------------------------------
// Round trip helper.

fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T =
        serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
    prop_assert_eq!(&back, value, "{}", text);
    // And through `serde_json::Value`, as a caller inspecting the raw JSON would.
    let tree = serde_json::to_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = serde_json::from_value(tree.clone())
        .map_err(|e| TestCaseError::fail(format!("{e}: {tree}")))?;
    prop_assert_eq!(&back, value);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Leaf strategies.

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9_.:/*-]{0,24}",
        1 => any::<String>(),
    ]
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..100_000).prop_map(f64::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f64().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z_]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Unknown fields. Their names never collide with a documented field (`x_` prefix).
fn extra() -> impl Strategy<Value = Map<String, Value>> {
    prop_oneof![
        2 => Just(Map::new()),
        1 => btree_map("x_[a-z0-9_]{0,8}", json_value(), 0..3)
            .prop_map(|m: BTreeMap<String, Value>| m.into_iter().collect()),
    ]
}

/// A server-given identifier: usually 32 hex digits or a UUID, but any string decodes.
fn identifier() -> impl Strategy<Value = Identifier> {
    prop_oneof![
        "[0-9a-f]{32}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        text(),
    ]
    .prop_map(|s| serde_json::from_value(Value::String(s)).expect("any string is an Identifier"))
}

fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 1970 to 2200, with nanoseconds.
    (0i64..7_258_118_400, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| Utc.timestamp_opt(secs, nanos).single().expect("in range"))
}

/// An open string enum: a documented value, or any string at all.
fn open<T: serde::de::DeserializeOwned + std::fmt::Debug + 'static>(
    values: &'static [&'static str],
) -> BoxedStrategy<T> {
    // Built as a response would build them: decoding is lenient, unknown values included.
    fn wire<T: serde::de::DeserializeOwned>(s: String) -> T {
        serde_json::from_value(Value::String(s)).expect("open enums decode any string")
    }
    prop_oneof![
        prop::sample::select(values).prop_map(|v| wire(v.to_owned())),
        text().prop_map(wire),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Composite strategies, bottom up.

fn response_info() -> impl Strategy<Value = types::ResponseInfo> {
    (
        option::of(any::<i64>()),
        option::of(text()),
        text(),
        option::of((option::of(text()), extra())),
        extra(),
    )
        .prop_map(|(code, documentation_url, message, source, extra)| {
            types::ResponseInfo::try_from(
                types::ResponseInfo::builder()
                    .code(code)
                    .documentation_url(documentation_url)
                    .message(message)
                    .source(source.map(|(pointer, extra)| {
                        types::ResponseInfoSource::try_from(
                            types::ResponseInfoSource::builder()
                                .pointer(pointer)
                                .extra(extra),
                        )
                        .expect("every required field is set")
                    }))
                    .extra(extra),
            )
            .expect("every required field is set")
        })
}

fn infos() -> impl Strategy<Value = Vec<types::ResponseInfo>> {
    vec(response_info(), 0..3)
}

fn result_info() -> impl Strategy<Value = types::ResultInfo> {
    (
        option::of(finite_f64()),
        option::of(finite_f64()),
        option::of(finite_f64()),
        option::of(finite_f64()),
        option::of(finite_f64()),
        extra(),
    )
        .prop_map(|(count, page, per_page, total_count, total_pages, extra)| {
            types::ResultInfo::try_from(
                types::ResultInfo::builder()
                    .count(count)
                    .page(page)
                    .per_page(per_page)
                    .total_count(total_count)
                    .total_pages(total_pages)
                    .extra(extra),
            )
            .expect("every required field is set")
        })
}

fn certificate() -> impl Strategy<Value = types::Certificate> {
    (
        (
            option::of(text()),
            option::of(timestamp()),
            option::of((
                option::of(open::<types::GeoRestrictionsLabel>(
                    types::GeoRestrictionsLabel::VALUES,
                )),
                extra(),
            )),
            vec(text(), 0..3),
            text(),
            option::of(text()),
        ),
        (
            option::of(timestamp()),
            option::of(finite_f64()),
            option::of(text()),
            text(),
            option::of(timestamp()),
            option::of(identifier()),
            extra(),
        ),
    )
        .prop_map(
            |(
                (bundle_method, expires_on, geo, hosts, id, issuer),
                (modified_on, priority, signature, status, uploaded_on, zone_id, extra),
            )| {
                types::Certificate::try_from(
                    types::Certificate::builder()
                        .bundle_method(bundle_method)
                        .expires_on(expires_on)
                        .geo_restrictions(geo.map(|(label, extra)| {
                            types::GeoRestrictions::try_from(
                                types::GeoRestrictions::builder().label(label).extra(extra),
                            )
                            .expect("every required field is set")
                        }))
                        .hosts(hosts)
                        .id(id)
                        .issuer(issuer)
                        .modified_on(modified_on)
                        .priority(priority)
                        .signature(signature)
                        .status(status)
                        .uploaded_on(uploaded_on)
                        .zone_id(zone_id)
                        .extra(extra),
                )
                .expect("every required field is set")
            },
        )
}

fn validation_record() -> impl Strategy<Value = types::ValidationRecord> {
    (
        option::of(text()),
        option::of(text()),
        vec(text(), 0..3),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        extra(),
    )
        .prop_map(
            |(
                cname,
                cname_target,
                emails,
                http_body,
                http_url,
                status,
                txt_name,
                txt_value,
                extra,
            )| {
                types::ValidationRecord::try_from(
                    types::ValidationRecord::builder()
                        .cname(cname)
                        .cname_target(cname_target)
                        .emails(emails)
                        .http_body(http_body)
                        .http_url(http_url)
                        .status(status)
                        .txt_name(txt_name)
                        .txt_value(txt_value)
                        .extra(extra),
                )
                .expect("every required field is set")
            },
        )
}

fn validation_error() -> impl Strategy<Value = types::ValidationError> {
    (option::of(text()), extra()).prop_map(|(message, extra)| {
        types::ValidationError::try_from(
            types::ValidationError::builder()
                .message(message)
                .extra(extra),
        )
        .expect("every required field is set")
    })
}

fn validity_days() -> impl Strategy<Value = types::ValidityDays> {
    prop_oneof![
        prop::sample::select(types::ValidityDays::VALUES).prop_map(types::ValidityDays::from),
        any::<i64>().prop_map(types::ValidityDays::from),
    ]
}

fn certificate_pack() -> impl Strategy<Value = types::CertificatePack> {
    (
        (
            option::of(open::<types::CertificateAuthority>(
                types::CertificateAuthority::VALUES,
            )),
            vec(certificate(), 0..3),
            option::of(any::<bool>()),
            vec(validation_record(), 0..2),
            vec(text().prop_map(types::Host), 0..4),
            identifier(),
            option::of(text()),
        ),
        (
            open::<types::CertificatePackStatus>(types::CertificatePackStatus::VALUES),
            open::<types::CertificatePackType>(types::CertificatePackType::VALUES),
            vec(validation_error(), 0..2),
            option::of(open::<types::CertificatePackValidationMethod>(
                types::CertificatePackValidationMethod::VALUES,
            )),
            vec(validation_record(), 0..3),
            option::of(validity_days()),
            extra(),
        ),
    )
        .prop_map(
            |(
                (
                    certificate_authority,
                    certificates,
                    cloudflare_branding,
                    dcv_delegation_records,
                    hosts,
                    id,
                    primary_certificate,
                ),
                (
                    status,
                    type_,
                    validation_errors,
                    validation_method,
                    validation_records,
                    validity_days,
                    extra,
                ),
            )| {
                types::CertificatePack::try_from(
                    types::CertificatePack::builder()
                        .certificate_authority(certificate_authority)
                        .certificates(certificates)
                        .cloudflare_branding(cloudflare_branding)
                        .dcv_delegation_records(dcv_delegation_records)
                        .hosts(types::Hosts(hosts))
                        .id(id)
                        .primary_certificate(primary_certificate)
                        .status(status)
                        .type_(type_)
                        .validation_errors(validation_errors)
                        .validation_method(validation_method)
                        .validation_records(validation_records)
                        .validity_days(validity_days)
                        .extra(extra),
                )
                .expect("every required field is set")
            },
        )
}

fn verification() -> impl Strategy<Value = types::Verification> {
    (
        option::of(any::<bool>()),
        option::of(text()),
        option::of(open::<types::CertificateStatus>(
            types::CertificateStatus::VALUES,
        )),
        option::of(open::<types::VerificationSignature>(
            types::VerificationSignature::VALUES,
        )),
        option::of(open::<types::ValidationMethod>(
            types::ValidationMethod::VALUES,
        )),
        option::of((
            option::of(open::<types::VerificationRecordName>(
                types::VerificationRecordName::VALUES,
            )),
            option::of(open::<types::VerificationRecordTarget>(
                types::VerificationRecordTarget::VALUES,
            )),
            extra(),
        )),
        option::of(any::<bool>()),
        option::of(open::<types::VerificationType>(
            types::VerificationType::VALUES,
        )),
        extra(),
    )
        .prop_map(
            |(
                brand_check,
                cert_pack_uuid,
                certificate_status,
                signature,
                validation_method,
                info,
                verification_status,
                verification_type,
                extra,
            )| {
                types::Verification::try_from(
                    types::Verification::builder()
                        .brand_check(brand_check)
                        .cert_pack_uuid(cert_pack_uuid)
                        .certificate_status(certificate_status)
                        .signature(signature)
                        .validation_method(validation_method)
                        .verification_info(info.map(|(record_name, record_target, extra)| {
                            types::VerificationInfo::try_from(
                                types::VerificationInfo::builder()
                                    .record_name(record_name)
                                    .record_target(record_target)
                                    .extra(extra),
                            )
                            .expect("every required field is set")
                        }))
                        .verification_status(verification_status)
                        .verification_type(verification_type)
                        .extra(extra),
                )
                .expect("every required field is set")
            },
        )
}

fn automatic_mode_setting() -> impl Strategy<Value = types::AutomaticModeSetting> {
    (
        option::of(any::<bool>()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        open::<types::AutomaticModeValue>(types::AutomaticModeValue::VALUES),
        extra(),
    )
        .prop_map(
            |(editable, id, modified_on, next_scheduled_scan, value, extra)| {
                types::AutomaticModeSetting::try_from(
                    types::AutomaticModeSetting::builder()
                        .editable(editable)
                        .id(id)
                        .modified_on(modified_on)
                        .next_scheduled_scan(next_scheduled_scan)
                        .value(value)
                        .extra(extra),
                )
                .expect("every required field is set")
            },
        )
}

fn quota() -> impl Strategy<Value = types::Quota> {
    (
        option::of((option::of(any::<i64>()), option::of(any::<i64>()), extra())),
        extra(),
    )
        .prop_map(|(advanced, extra)| {
            types::Quota::try_from(
                types::Quota::builder()
                    .advanced(advanced.map(|(allocated, used, extra)| {
                        types::QuotaAdvanced::try_from(
                            types::QuotaAdvanced::builder()
                                .allocated(allocated)
                                .used(used)
                                .extra(extra),
                        )
                        .expect("every required field is set")
                    }))
                    .extra(extra),
            )
            .expect("every required field is set")
        })
}

/// The common envelope fields: `(errors, messages, success, extra)`.
fn envelope() -> impl Strategy<
    Value = (
        Vec<types::ResponseInfo>,
        Vec<types::ResponseInfo>,
        bool,
        Map<String, Value>,
    ),
> {
    (infos(), infos(), any::<bool>(), extra())
}

// ---------------------------------------------------------------------------------------------
// Round trips.

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn certificate_pack_round_trips(pack in certificate_pack()) {
        round_trip(&pack)?;
    }

    #[test]
    fn verification_round_trips(v in verification()) {
        round_trip(&v)?;
    }

    #[test]
    fn result_info_round_trips(info in result_info()) {
        round_trip(&info)?;
    }

    #[test]
    fn response_info_round_trips(info in response_info()) {
        round_trip(&info)?;
    }

    #[test]
    fn certificate_pack_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        result in option::of(certificate_pack()),
    ) {
        round_trip(&types::CertificatePackResponse::try_from(types::CertificatePackResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn certificate_pack_list_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        result in vec(certificate_pack(), 0..3),
        result_info in option::of(result_info()),
    ) {
        round_trip(&types::CertificatePackListResponse::try_from(types::CertificatePackListResponse::builder().errors(errors).messages(messages).result(result).result_info(result_info).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn verification_response_round_trips(result in vec(verification(), 0..4), extra in extra()) {
        round_trip(&types::VerificationResponse::try_from(types::VerificationResponse::builder().result(result).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn quota_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        result in option::of(quota()),
    ) {
        round_trip(&types::QuotaResponse::try_from(types::QuotaResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn delete_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        result in option::of((option::of(identifier()), extra())),
    ) {
        let result = result.map(|(id, extra)| types::CertificatePackDeleteResult::try_from(types::CertificatePackDeleteResult::builder().id(id).extra(extra)).expect("every required field is set"));
        round_trip(&types::CertificatePackDeleteResponse::try_from(types::CertificatePackDeleteResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn universal_ssl_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        result in option::of((option::of(any::<bool>()), extra())),
    ) {
        let result = result.map(|(enabled, extra)| types::UniversalSslSettings::try_from(types::UniversalSslSettings::builder().enabled(enabled).extra(extra)).expect("every required field is set"));
        round_trip(&types::UniversalSslSettingsResponse::try_from(types::UniversalSslSettingsResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn automatic_mode_and_recommendation_responses_round_trip(
        (errors, messages, success, extra) in envelope(),
        result in automatic_mode_setting(),
    ) {
        round_trip(&types::RecommendationResponse::try_from(types::RecommendationResponse::builder().errors(errors.clone()).messages(messages.clone()).result(result.clone()).success(success).extra(extra.clone())).expect("every required field is set"))?;
        round_trip(&types::AutomaticModeResponse::try_from(types::AutomaticModeResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn validation_method_update_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        result in option::of((
            option::of(text()),
            option::of(open::<types::DesiredValidationMethod>(types::DesiredValidationMethod::VALUES)),
            extra(),
        )),
    ) {
        let result = result.map(|(status, validation_method, extra)| {
            types::ValidationMethodUpdateResult::try_from(types::ValidationMethodUpdateResult::builder().status(status).validation_method(validation_method).extra(extra)).expect("every required field is set")
        });
        round_trip(&types::ValidationMethodUpdateResponse::try_from(types::ValidationMethodUpdateResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn analyze_response_round_trips(
        (errors, messages, success, extra) in envelope(),
        // `"result": null` decodes as `None` (see `a_null_analysis_decodes_as_none`).
        result in option::of(json_value().prop_filter("null is None", |v| !v.is_null())),
    ) {
        round_trip(&types::AnalyzeCertificateResponse::try_from(types::AnalyzeCertificateResponse::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }

    #[test]
    fn error_envelope_round_trips(
        (errors, messages, success, extra) in envelope(),
        // A nullable object (OpenAPI 3.0 allows `nullable` only beside a `type`).
        result in option::of(btree_map("[a-z_]{0,6}", json_value(), 0..4)
            .prop_map(|m| m.into_iter().collect::<Map<String, Value>>())),
    ) {
        round_trip(&types::ErrorEnvelope::try_from(types::ErrorEnvelope::builder().errors(errors).messages(messages).result(result).success(success).extra(extra)).expect("every required field is set"))?;
    }
}

/// The one value that does not come back as it was built: an analysis of `Some(null)`
/// encodes as `"result": null`, which reads as "no result". The client treats both alike (an
/// analysis without a result is `null`), so nothing is lost.
#[test]
fn a_null_analysis_decodes_as_none() {
    let response: types::AnalyzeCertificateResponse =
        serde_json::from_str(r#"{"errors":[],"messages":[],"success":true,"result":null}"#)
            .expect("decodes");
    assert_eq!(response.result, None);
}

// ---------------------------------------------------------------------------------------------
// Open enums: any value decodes, known or not, and round-trips.

macro_rules! open_string_enum {
    ($test:ident, $t:ident) => {
        proptest! {
            #[test]
            fn $test(
                s in prop_oneof![
                    prop::sample::select(types::$t::VALUES).prop_map(str::to_owned),
                    text(),
                ]
            ) {
                let wire = Value::String(s.clone());
                let decoded: types::$t = serde_json::from_value(wire.clone())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let known = types::$t::VALUES.contains(&s.as_str());
                prop_assert_eq!(decoded.is_known(), known);
                prop_assert_eq!(decoded.as_str(), s.as_str());
                if !known {
                    prop_assert_eq!(&decoded, &types::$t::Unknown(s.clone()));
                }
                prop_assert_eq!(&decoded, &types::$t::from_wire(&s));
                prop_assert_eq!(decoded.to_string(), s.clone());
                prop_assert_eq!(serde_json::to_value(&decoded).ok(), Some(wire));
                round_trip(&decoded)?;
            }
        }
    };
}

open_string_enum!(automatic_mode_value_is_open, AutomaticModeValue);
open_string_enum!(certificate_authority_is_open, CertificateAuthority);
open_string_enum!(certificate_pack_status_is_open, CertificatePackStatus);
open_string_enum!(certificate_pack_type_is_open, CertificatePackType);
open_string_enum!(
    certificate_pack_validation_method_is_open,
    CertificatePackValidationMethod
);
open_string_enum!(certificate_status_is_open, CertificateStatus);
open_string_enum!(desired_validation_method_is_open, DesiredValidationMethod);
open_string_enum!(geo_restrictions_label_is_open, GeoRestrictionsLabel);
open_string_enum!(validation_method_is_open, ValidationMethod);
open_string_enum!(verification_record_name_is_open, VerificationRecordName);
open_string_enum!(verification_record_target_is_open, VerificationRecordTarget);
open_string_enum!(verification_signature_is_open, VerificationSignature);
open_string_enum!(verification_type_is_open, VerificationType);

proptest! {
    #[test]
    fn validity_days_is_open(
        n in prop_oneof![
            prop::sample::select(types::ValidityDays::VALUES),
            any::<i64>(),
        ]
    ) {
        let decoded: types::ValidityDays = serde_json::from_value(Value::from(n))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let known = types::ValidityDays::VALUES.contains(&n);
        prop_assert_eq!(decoded.is_known(), known);
        prop_assert_eq!(decoded.as_i64(), n);
        if !known {
            prop_assert_eq!(decoded, types::ValidityDays::Unknown(n));
        }
        prop_assert_eq!(serde_json::to_value(decoded).ok(), Some(Value::from(n)));
        round_trip(&decoded)?;
        // Integral numbers written as floats (`90.0`) are the same value.
        if n.unsigned_abs() < 1 << 52 {
            let float: types::ValidityDays = serde_json::from_str(&format!("{n}.0"))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(float, decoded);
        }
    }

    /// A pack whose enum positions hold arbitrary strings still decodes, and every unknown
    /// value comes back out unchanged.
    #[test]
    fn a_pack_with_unknown_enum_values_decodes(
        status in text(),
        type_ in text(),
        ca in text(),
        method in text(),
        days in any::<i64>(),
    ) {
        let wire = serde_json::json!({
            "id": "3822ff90-ea29-44df-9e55-21300bb9419b",
            "hosts": ["example.com"],
            "certificates": [],
            "status": status,
            "type": type_,
            "certificate_authority": ca,
            "validation_method": method,
            "validity_days": days,
        });
        let pack: types::CertificatePack = serde_json::from_value(wire.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}: {wire}")))?;
        prop_assert_eq!(pack.status.as_str(), status.as_str());
        prop_assert_eq!(pack.type_.as_str(), type_.as_str());
        prop_assert_eq!(serde_json::to_value(&pack).ok(), Some(wire));
    }
}
