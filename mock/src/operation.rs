//! The 14 operations of the API, named as in the curated document.

use std::fmt;
use std::str::FromStr;

/// An operation of the API, identified by its `operationId` in the curated OpenAPI document.
///
/// Used to scope fault injection ([`super::Faults::on`]) and to read request counters
/// ([`super::Counters::requests`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /zones/{zone_id}/ssl/analyze`
    AnalyzeCertificate,
    /// `GET /zones/{zone_id}/ssl/certificate_packs`
    ListCertificatePacks,
    /// `POST /zones/{zone_id}/ssl/certificate_packs/order`
    OrderCertificatePack,
    /// `GET /zones/{zone_id}/ssl/certificate_packs/quota`
    GetCertificatePackQuota,
    /// `GET /zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}`
    GetCertificatePack,
    /// `PATCH /zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}`
    EditCertificatePack,
    /// `DELETE /zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}`
    DeleteCertificatePack,
    /// `GET /zones/{zone_id}/ssl/recommendation`
    GetSslRecommendation,
    /// `GET /zones/{zone_id}/settings/ssl_automatic_mode`
    GetAutomaticSslMode,
    /// `PATCH /zones/{zone_id}/settings/ssl_automatic_mode`
    EditAutomaticSslMode,
    /// `GET /zones/{zone_id}/ssl/universal/settings`
    GetUniversalSslSettings,
    /// `PATCH /zones/{zone_id}/ssl/universal/settings`
    EditUniversalSslSettings,
    /// `GET /zones/{zone_id}/ssl/verification`
    GetSslVerification,
    /// `PATCH /zones/{zone_id}/ssl/verification/{certificate_pack_id}`
    EditValidationMethod,
}

impl Operation {
    /// Every operation, in the order of the document.
    pub const ALL: [Operation; 14] = [
        Operation::AnalyzeCertificate,
        Operation::ListCertificatePacks,
        Operation::OrderCertificatePack,
        Operation::GetCertificatePackQuota,
        Operation::GetCertificatePack,
        Operation::EditCertificatePack,
        Operation::DeleteCertificatePack,
        Operation::GetSslRecommendation,
        Operation::GetAutomaticSslMode,
        Operation::EditAutomaticSslMode,
        Operation::GetUniversalSslSettings,
        Operation::EditUniversalSslSettings,
        Operation::GetSslVerification,
        Operation::EditValidationMethod,
    ];

    /// The `operationId` of the operation in the curated document.
    pub fn operation_id(self) -> &'static str {
        match self {
            Operation::AnalyzeCertificate => "analyze_certificate",
            Operation::ListCertificatePacks => "list_certificate_packs",
            Operation::OrderCertificatePack => "order_certificate_pack",
            Operation::GetCertificatePackQuota => "get_certificate_pack_quota",
            Operation::GetCertificatePack => "get_certificate_pack",
            Operation::EditCertificatePack => "edit_certificate_pack",
            Operation::DeleteCertificatePack => "delete_certificate_pack",
            Operation::GetSslRecommendation => "get_ssl_recommendation",
            Operation::GetAutomaticSslMode => "get_automatic_ssl_mode",
            Operation::EditAutomaticSslMode => "edit_automatic_ssl_mode",
            Operation::GetUniversalSslSettings => "get_universal_ssl_settings",
            Operation::EditUniversalSslSettings => "edit_universal_ssl_settings",
            Operation::GetSslVerification => "get_ssl_verification",
            Operation::EditValidationMethod => "edit_validation_method",
        }
    }

    /// The operation with this `operationId`, if any.
    pub fn from_operation_id(id: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|op| op.operation_id() == id)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}

/// The error of parsing an unknown `operationId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown operation `{}`", self.0)
    }
}

impl std::error::Error for UnknownOperation {}

impl FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::from_operation_id(s).ok_or_else(|| UnknownOperation(s.to_owned()))
    }
}
