//! Certificate analysis for `POST /zones/{zone_id}/ssl/analyze`: the hostnames, signature
//! algorithm and expiry of the first certificate of a PEM bundle, with `x509-parser`.

use chrono::DateTime;
use serde_json::{json, Value};
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;

use crate::state::rfc3339;

/// A self-signed ECDSA P-256 certificate for `example.com`, `*.example.com` and
/// `www.example.com` (valid from 2026 to 2036), handy to try the analyze operation.
pub const SAMPLE_CERTIFICATE_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBaDCCAQ6gAwIBAgIUMOjUg/NN8qpoQZF248DdojOt3UcwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLZXhhbXBsZS5jb20wHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAx
MDAwMDAwWjAWMRQwEgYDVQQDDAtleGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABB/u2iC/kkbIl5S0Krw8/9e6WoCia5PrSLAnwTqHS+7c2egBYOt8
vZSnsmOVV0s80eijKCQpo1oEASNkXWMQ5e6jOjA4MDYGA1UdEQQvMC2CC2V4YW1w
bGUuY29tgg0qLmV4YW1wbGUuY29tgg93d3cuZXhhbXBsZS5jb20wCgYIKoZIzj0E
AwIDSAAwRQIhAN80wcGfijLhGkHqxSlK4skSlipsLiRFYa3PZGdrMReIAiAlnaka
c78UO9p7q34qhJacaGgtyoSE29k79I8bhjwKow==
-----END CERTIFICATE-----
";

/// The analysis of a certificate, as the mock returns it in `result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Analysis {
    pub(crate) hosts: Vec<String>,
    pub(crate) signature_algorithm: String,
    pub(crate) expires_on: String,
    pub(crate) issuer: String,
}

impl Analysis {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "hosts": self.hosts,
            "signature_algorithm": self.signature_algorithm,
            "expires_on": self.expires_on,
            "issuer": self.issuer,
        })
    }
}

/// Cloudflare's names for signature algorithms (as in `Certificate.signature`), by OID.
fn algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.5" => "SHA1WithRSA",
        "1.2.840.113549.1.1.11" => "SHA256WithRSA",
        "1.2.840.113549.1.1.12" => "SHA384WithRSA",
        "1.2.840.113549.1.1.13" => "SHA512WithRSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ECDSAWithSHA1",
        "1.2.840.10045.4.3.2" => "ECDSAWithSHA256",
        "1.2.840.10045.4.3.3" => "ECDSAWithSHA384",
        "1.2.840.10045.4.3.4" => "ECDSAWithSHA512",
        "1.3.101.112" => "Ed25519",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// Parses the first certificate of a PEM bundle.
///
/// # Errors
/// A human-readable reason when the text holds no PEM certificate or it does not parse.
pub(crate) fn analyze(pem_text: &str) -> Result<Analysis, String> {
    let mut first = None;
    for block in Pem::iter_from_buffer(pem_text.trim().as_bytes()) {
        match block {
            Ok(pem) if pem.label == "CERTIFICATE" => {
                first = Some(pem);
                break;
            }
            Ok(_) => continue,
            Err(e) => return Err(format!("invalid PEM: {e}")),
        }
    }
    let pem = first.ok_or("no PEM block labelled CERTIFICATE")?;
    let cert = pem
        .parse_x509()
        .map_err(|e| format!("invalid X.509 certificate: {e}"))?;
    let mut hosts: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(dns) = name {
                let dns = (*dns).to_owned();
                if !hosts.contains(&dns) {
                    hosts.push(dns);
                }
            }
        }
    }
    if hosts.is_empty() {
        hosts.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(str::to_owned),
        );
    }
    let not_after = cert.validity().not_after.timestamp();
    let expires_on = DateTime::from_timestamp(not_after, 0)
        .map(rfc3339)
        .ok_or("certificate expiry out of range")?;
    Ok(Analysis {
        hosts,
        signature_algorithm: algorithm_name(&cert.signature_algorithm.algorithm.to_id_string()),
        expires_on,
        issuer: cert.issuer().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_certificate() {
        let a = analyze(SAMPLE_CERTIFICATE_PEM).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            a.hosts,
            vec!["example.com", "*.example.com", "www.example.com"]
        );
        assert_eq!(a.signature_algorithm, "ECDSAWithSHA256");
        assert_eq!(a.expires_on, "2036-01-01T00:00:00Z");
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(analyze("hello").is_err());
        assert!(analyze("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
    }
}
