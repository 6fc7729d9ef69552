//! Identifiers that go into request paths: checked so that no value can leave its path segment.
//!
//! Every zone id, certificate pack id and pack UUID passed to a request must match
//! `[A-Za-z0-9_-]+` (what Cloudflare's ids are made of: 32 hex digits, or a UUID with hyphens)
//! within a length limit. Anything else (`..`, `\`, `/`, `%2e`, spaces, unicode dots) is an
//! [`Error::InvalidInput`] naming the field, before anything is sent. Ids decoded from the
//! server pass through the same grammar check before they are sent back, with a more generous
//! length limit, since real pack ids can be longer than the documented 32 characters.

use crate::error::{truncate, Error, Result};
use crate::types;

/// Longest id a caller may pass where the document says `Identifier` (its `maxLength`).
pub const MAX_IDENTIFIER_LENGTH: usize = 32;
/// Longest id accepted from the server, or for a certificate pack UUID (no documented limit; a
/// UUID has 36 characters).
pub const MAX_SERVER_ID_LENGTH: usize = 64;

/// Where an id came from: typed by the caller, or read from a response.
#[doc(hidden)]
#[derive(Debug)]
pub enum IdSource {
    /// A string the caller typed.
    User(String),
    /// An id decoded from a response.
    Server(String),
}

mod sealed {
    pub trait Sealed {}
}

/// A value usable where the API takes an id: `&str`, `String`, or an
/// [`Identifier`](types::Identifier) read from a response.
///
/// Ids are checked before anything is sent: one or more of `A-Z a-z 0-9 _ -`, at most
/// [`MAX_IDENTIFIER_LENGTH`] characters for a zone or pack id typed by the caller, and at most
/// [`MAX_SERVER_ID_LENGTH`] for ids that came from the server or pack UUIDs.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// # let zone = client.zone(mock.zone_id())?;
/// let err = zone.certificate_packs().get("../../user/tokens").await.unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid input: `certificate_pack_id` = \"../../user/tokens\": may hold only A-Z, a-z, 0-9, \
///      `_` and `-` (found '.' at 0)"
/// );
/// // An id read from a response is sent back as is:
/// let page = zone.certificate_packs().list().send().await?;
/// let pack = zone.certificate_packs().get(&page.items[0].id).await?;
/// # assert_eq!(pack.id, page.items[0].id);
/// # assert_eq!(mock.counters().total, 2, "the refused id was never sent");
/// # Ok(()) }
/// ```
pub trait IntoIdentifier: sealed::Sealed {
    /// The id and where it came from (used by the crate to pick the length limit).
    #[doc(hidden)]
    fn into_id_source(self) -> IdSource;
}

impl sealed::Sealed for &str {}
impl IntoIdentifier for &str {
    fn into_id_source(self) -> IdSource {
        IdSource::User(self.to_owned())
    }
}

impl sealed::Sealed for String {}
impl IntoIdentifier for String {
    fn into_id_source(self) -> IdSource {
        IdSource::User(self)
    }
}

impl sealed::Sealed for &String {}
impl IntoIdentifier for &String {
    fn into_id_source(self) -> IdSource {
        IdSource::User(self.clone())
    }
}

impl sealed::Sealed for types::Identifier {}
impl IntoIdentifier for types::Identifier {
    fn into_id_source(self) -> IdSource {
        IdSource::Server(self.as_str().to_owned())
    }
}

impl sealed::Sealed for &types::Identifier {}
impl IntoIdentifier for &types::Identifier {
    fn into_id_source(self) -> IdSource {
        IdSource::Server(self.as_str().to_owned())
    }
}

/// Checks `value` against the id grammar and `max` characters.
pub(crate) fn check_id_text(field: &str, value: &str, max: usize) -> Result<()> {
    let quoted = || Some(truncate(value));
    if value.is_empty() {
        return Err(Error::input(field, quoted(), "must not be empty"));
    }
    if let Some((at, c)) = value
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(Error::input(
            field,
            quoted(),
            format!("may hold only A-Z, a-z, 0-9, `_` and `-` (found {c:?} at {at})"),
        ));
    }
    if value.len() > max {
        return Err(Error::input(
            field,
            quoted(),
            format!("must be at most {max} characters, got {}", value.len()),
        ));
    }
    Ok(())
}

/// A zone or certificate pack id (the document's `Identifier`), checked.
pub(crate) fn identifier(field: &str, id: impl IntoIdentifier) -> Result<types::Identifier> {
    let (text, max) = match id.into_id_source() {
        IdSource::User(s) => (s, MAX_IDENTIFIER_LENGTH),
        IdSource::Server(s) => (s, MAX_SERVER_ID_LENGTH),
    };
    check_id_text(field, &text, max)?;
    // Within the grammar and limit; the server-lenient type keeps longer server ids.
    types::Identifier::try_from(text.as_str())
        .or_else(|_| lenient_identifier(&text))
        .map_err(|e| Error::input(field, Some(truncate(&text)), e))
}

/// A server id longer than the documented limit, kept as the server sent it.
fn lenient_identifier(text: &str) -> std::result::Result<types::Identifier, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|e| e.to_string())
}

/// A certificate pack UUID (`cert_pack_uuid`, no documented length), checked.
pub(crate) fn pack_uuid(field: &str, id: impl IntoIdentifier) -> Result<String> {
    let text = match id.into_id_source() {
        IdSource::User(s) | IdSource::Server(s) => s,
    };
    check_id_text(field, &text, MAX_SERVER_ID_LENGTH)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_leave_their_segment_are_refused() {
        for bad in [
            "..",
            ".",
            "..\\..\\user\\tokens",
            "../x",
            "%2e%2e",
            "a/b",
            "a b",
            "\u{ff0e}\u{ff0e}",
            "\u{2024}",
            "a?b",
            "a#b",
            "",
        ] {
            let err = identifier("zone_id", bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput(e) if e.field == "zone_id"),
                "{bad:?}: {err}"
            );
        }
        assert!(identifier("zone_id", "023e105f4ecef8ad9ca31a8372d0c353").is_ok());
        assert!(pack_uuid(
            "certificate_pack_id",
            "a77f8bd7-3b47-46b4-a6f1-75cf98109948"
        )
        .is_ok());
        assert!(pack_uuid("certificate_pack_id", "a77f8bd7/../../x").is_err());
    }

    #[test]
    fn lengths_differ_for_caller_and_server_ids() {
        let uuid = "a77f8bd7-3b47-46b4-a6f1-75cf98109948";
        let err = identifier("certificate_pack_id", uuid).unwrap_err();
        assert!(
            err.to_string().contains("at most 32 characters, got 36"),
            "{err}"
        );
        let server: types::Identifier = serde_json::from_str(&format!("{uuid:?}")).unwrap();
        assert_eq!(
            identifier("certificate_pack_id", &server).unwrap().as_str(),
            uuid
        );
        let long: types::Identifier =
            serde_json::from_str(&format!("{:?}", "a".repeat(65))).unwrap();
        assert!(identifier("certificate_pack_id", long).is_err());
    }

    #[test]
    fn rejected_values_are_quoted_truncated() {
        let huge = format!("{}/", "x".repeat(100_000));
        let err = identifier("zone_id", huge.as_str())
            .unwrap_err()
            .to_string();
        assert!(err.len() < 300, "{} bytes", err.len());
        assert!(err.contains('…'), "{err}");
    }
}
