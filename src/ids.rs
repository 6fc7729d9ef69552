//! Identifiers that go into request paths: checked so that no value can leave its path segment.
//!
//! Every zone id, certificate pack id and pack UUID passed to a request must match
//! `[A-Za-z0-9_-]+` (what Cloudflare's ids are made of: 32 hex digits, or a UUID with hyphens)
//! within a length limit. Anything else (`..`, `\`, `/`, `%2e`, spaces, unicode dots) is an
//! [`Error::InvalidInput`] naming the field, before anything is sent. Ids decoded from the
//! server pass through the same grammar check before they are sent back, with a more generous
//! length limit, since real pack ids can be longer than the documented 32 characters; the same
//! limit holds for certificate pack ids the caller passes (a stored copy of a server's id).

use serde::de::value::StringDeserializer;
use serde::de::IntoDeserializer;
use serde::Deserialize;

use crate::error::{truncate, Error, Result};
use crate::types;

/// Longest zone id a caller may pass (the document's `maxLength` for `Identifier`).
pub const MAX_IDENTIFIER_LENGTH: usize = 32;
/// Longest id accepted from the server, and for a certificate pack id or UUID however it is
/// passed (the server issues them; a UUID has 36 characters).
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
/// [`MAX_IDENTIFIER_LENGTH`] characters for a zone id typed by the caller, and at most
/// [`MAX_SERVER_ID_LENGTH`] for certificate pack ids (issued by the server: a stored copy of one
/// goes back as it came) and ids read from a response.
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
    // Bytes, not chars: every byte before the first bad one is ASCII, so `at` starts a char.
    let bad = |b: u8| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if let Some(at) = value.bytes().position(bad) {
        let c = value
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or_default();
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

/// A zone id (the document's `Identifier`), checked: at most [`MAX_IDENTIFIER_LENGTH`]
/// characters when the caller typed it.
pub(crate) fn identifier(field: &str, id: impl IntoIdentifier) -> Result<types::Identifier> {
    checked_identifier(field, id, MAX_IDENTIFIER_LENGTH)
}

/// A certificate pack id (the document's `Identifier`), checked. The server issues pack ids
/// (real ones can be UUIDs, longer than the documented 32 characters), so a caller's stored copy
/// of one is held to the server's limit, [`MAX_SERVER_ID_LENGTH`].
pub(crate) fn pack_identifier(id: impl IntoIdentifier) -> Result<types::Identifier> {
    checked_identifier("certificate_pack_id", id, MAX_SERVER_ID_LENGTH)
}

fn checked_identifier(
    field: &str,
    id: impl IntoIdentifier,
    max_typed: usize,
) -> Result<types::Identifier> {
    let (text, max) = match id.into_id_source() {
        IdSource::User(s) => (s, max_typed),
        IdSource::Server(s) => (s, MAX_SERVER_ID_LENGTH),
    };
    check_id_text(field, &text, max)?;
    // Within the grammar and `max` (checked above): wrapped as the type's lenient decoding
    // wraps a server's id, which may exceed the documented limit, without another copy.
    let text: StringDeserializer<serde::de::value::Error> = text.into_deserializer();
    types::Identifier::deserialize(text).map_err(|e| Error::input(field, None, e.to_string()))
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
    fn lengths_differ_for_zone_and_pack_ids() {
        let uuid = "a77f8bd7-3b47-46b4-a6f1-75cf98109948";
        // A zone id typed by the caller: the document's 32 characters.
        let err = identifier("zone_id", uuid).unwrap_err();
        assert!(
            err.to_string().contains("at most 32 characters, got 36"),
            "{err}"
        );
        // A pack id is issued by the server: a stored copy of a UUID goes back as it came.
        assert_eq!(pack_identifier(uuid).unwrap().as_str(), uuid);
        assert_eq!(pack_identifier(uuid.to_owned()).unwrap().as_str(), uuid);
        let server: types::Identifier = serde_json::from_str(&format!("{uuid:?}")).unwrap();
        assert_eq!(pack_identifier(&server).unwrap().as_str(), uuid);
        assert_eq!(identifier("zone_id", &server).unwrap().as_str(), uuid);
        let long = "a".repeat(65);
        let err = pack_identifier(long.as_str()).unwrap_err();
        assert!(err.to_string().contains("at most 64 characters"), "{err}");
        let long: types::Identifier = serde_json::from_str(&format!("{long:?}")).unwrap();
        assert!(pack_identifier(long).is_err());
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
