//! Credentials: API token, email + Global API key, or user service key.
//!
//! Secrets are wrapped in [`Secret`], whose `Debug` and `Display` never show the value, and the
//! headers carrying them are marked sensitive so `reqwest` and `http` redact them too.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};

use crate::error::{Error, InputError};

/// A secret string (token or key). Its `Debug` and `Display` print `<redacted>`.
///
/// # Example
///
/// ```
/// use cloudflare_ssl::Secret;
/// let token = Secret::new("my-token");
/// assert_eq!(format!("{token} {token:?}"), "<redacted> Secret(<redacted>)");
/// assert_eq!(token.expose(), "my-token");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    ///
    /// See the [example](Secret#example).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Use only to hand it to something that needs it.
    ///
    /// See the [example](Secret#example).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// How requests authenticate to Cloudflare.
///
/// ```
/// use cloudflare_ssl::Credentials;
///
/// let token = Credentials::api_token("my-token");
/// assert_eq!(format!("{token:?}"), "ApiToken(Secret(<redacted>))");
/// // The email of a Global API key is half of the credential: hidden too.
/// let key = Credentials::api_key("me@example.com", "my-key");
/// assert!(!format!("{key:?}").contains("me@example.com"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// `Authorization: Bearer <token>`: the preferred scheme.
    ApiToken(Secret),
    /// `X-Auth-Email` + `X-Auth-Key`: the legacy Global API key.
    ApiKey {
        /// The account's email address.
        email: String,
        /// The Global API key.
        key: Secret,
    },
    /// `X-Auth-User-Service-Key`: an Origin CA key.
    UserServiceKey(Secret),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiToken(token) => f.debug_tuple("ApiToken").field(token).finish(),
            Self::ApiKey { key, .. } => f
                .debug_struct("ApiKey")
                .field("email", &format_args!("<redacted>"))
                .field("key", key)
                .finish(),
            Self::UserServiceKey(key) => f.debug_tuple("UserServiceKey").field(key).finish(),
        }
    }
}

impl Credentials {
    /// An API token (`Authorization: Bearer`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Credentials};
    /// let client = Client::builder()
    ///     .credentials(Credentials::api_token(mock.token()))
    ///     .base_url(mock.base_url())
    ///     .build()?;
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn api_token(token: impl Into<Secret>) -> Self {
        Self::ApiToken(token.into())
    }

    /// An email and Global API key (`X-Auth-Email` + `X-Auth-Key`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Credentials};
    /// let client = Client::builder()
    ///     .credentials(Credentials::api_key(mock.api_email(), mock.api_key()))
    ///     .base_url(mock.base_url())
    ///     .build()?;
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn api_key(email: impl Into<String>, key: impl Into<Secret>) -> Self {
        Self::ApiKey {
            email: email.into(),
            key: key.into(),
        }
    }

    /// A user service key (`X-Auth-User-Service-Key`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Credentials};
    /// let client = Client::builder()
    ///     .credentials(Credentials::user_service_key(mock.user_service_key()))
    ///     .base_url(mock.base_url())
    ///     .build()?;
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn user_service_key(key: impl Into<Secret>) -> Self {
        Self::UserServiceKey(key.into())
    }

    /// Reads credentials the way Cloudflare's official SDKs do, in this order:
    /// `CLOUDFLARE_API_TOKEN`; `CLOUDFLARE_API_KEY` with `CLOUDFLARE_EMAIL`;
    /// `CLOUDFLARE_API_USER_SERVICE_KEY`. `lookup` returns a variable's value (use
    /// `|name| std::env::var(name).ok()` for the process environment).
    ///
    /// Returns `Ok(None)` when none is set, and an error when `CLOUDFLARE_API_KEY` is set
    /// without `CLOUDFLARE_EMAIL` (or the reverse).
    ///
    /// ```
    /// use cloudflare_ssl::Credentials;
    /// use std::collections::HashMap;
    ///
    /// let vars = HashMap::from([("CLOUDFLARE_API_KEY", "key"), ("CLOUDFLARE_EMAIL", "me@example.com")]);
    /// let found = Credentials::from_lookup(|name| vars.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(found, Some(Credentials::api_key("me@example.com", "key")));
    /// assert_eq!(Credentials::from_lookup(|_| None)?, None);
    /// // In production: Credentials::from_lookup(|name| std::env::var(name).ok())
    /// # Ok::<(), cloudflare_ssl::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(token) = get("CLOUDFLARE_API_TOKEN") {
            return Ok(Some(Self::api_token(token)));
        }
        match (get("CLOUDFLARE_API_KEY"), get("CLOUDFLARE_EMAIL")) {
            (Some(key), Some(email)) => return Ok(Some(Self::api_key(email, key))),
            (Some(_), None) => {
                return Err(Error::Config(
                    "CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not: the Global API key \
                     needs the account's email"
                        .into(),
                ))
            }
            (None, Some(_)) if get("CLOUDFLARE_API_USER_SERVICE_KEY").is_none() => {
                return Err(Error::Config(
                    "CLOUDFLARE_EMAIL is set but CLOUDFLARE_API_KEY is not".into(),
                ))
            }
            _ => {}
        }
        Ok(get("CLOUDFLARE_API_USER_SERVICE_KEY").map(Self::user_service_key))
    }

    /// The headers these credentials add to every request, marked sensitive.
    pub(crate) fn headers(&self) -> Result<HeaderMap, Error> {
        /// A credential must be one or more visible ASCII characters (no spaces, controls or
        /// non-ASCII), as every Cloudflare token, key and email is.
        fn visible(field: &str, text: &str) -> Result<(), Error> {
            // Never echo the value: it is (part of) a secret.
            if text.is_empty() {
                return Err(Error::InvalidInput(InputError::new(
                    field,
                    None,
                    "must not be empty",
                )));
            }
            if let Some(at) = text.bytes().position(|b| !b.is_ascii_graphic()) {
                return Err(Error::InvalidInput(InputError::new(
                    field,
                    None,
                    format!(
                        "must hold only visible ASCII characters (no spaces, control characters \
                         or non-ASCII); found one at byte {at}"
                    ),
                )));
            }
            Ok(())
        }
        fn value(field: &str, text: &str) -> Result<HeaderValue, Error> {
            let mut v = HeaderValue::from_str(text).map_err(|_| {
                // Never echo the value: it is (part of) a secret.
                Error::InvalidInput(InputError::new(
                    field,
                    None,
                    "contains characters not allowed in an HTTP header (control characters or non-ASCII)",
                ))
            })?;
            v.set_sensitive(true);
            Ok(v)
        }
        let mut headers = HeaderMap::new();
        match self {
            Self::ApiToken(token) => {
                visible("api_token", token.expose())?;
                headers.insert(
                    AUTHORIZATION,
                    value("api_token", &format!("Bearer {}", token.expose()))?,
                );
            }
            Self::ApiKey { email, key } => {
                visible("email", email)?;
                visible("api_key", key.expose())?;
                headers.insert(
                    HeaderName::from_static("x-auth-email"),
                    value("email", email)?,
                );
                headers.insert(
                    HeaderName::from_static("x-auth-key"),
                    value("api_key", key.expose())?,
                );
            }
            Self::UserServiceKey(key) => {
                visible("user_service_key", key.expose())?;
                headers.insert(
                    HeaderName::from_static("x-auth-user-service-key"),
                    value("user_service_key", key.expose())?,
                );
            }
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn env_precedence_follows_the_official_sdks() {
        let all = lookup(&[
            ("CLOUDFLARE_API_TOKEN", "t"),
            ("CLOUDFLARE_API_KEY", "k"),
            ("CLOUDFLARE_EMAIL", "e@example.com"),
            ("CLOUDFLARE_API_USER_SERVICE_KEY", "s"),
        ]);
        assert_eq!(
            Credentials::from_lookup(all).unwrap(),
            Some(Credentials::api_token("t"))
        );
        let key = lookup(&[("CLOUDFLARE_API_KEY", "k"), ("CLOUDFLARE_EMAIL", "e@x")]);
        assert_eq!(
            Credentials::from_lookup(key).unwrap(),
            Some(Credentials::api_key("e@x", "k"))
        );
        let service = lookup(&[("CLOUDFLARE_API_USER_SERVICE_KEY", "s")]);
        assert_eq!(
            Credentials::from_lookup(service).unwrap(),
            Some(Credentials::user_service_key("s"))
        );
        assert_eq!(Credentials::from_lookup(lookup(&[])).unwrap(), None);
        assert_eq!(
            Credentials::from_lookup(lookup(&[("CLOUDFLARE_API_TOKEN", "  ")])).unwrap(),
            None,
            "blank values count as unset"
        );
    }

    #[test]
    fn key_without_email_is_a_clear_error() {
        let err = Credentials::from_lookup(lookup(&[("CLOUDFLARE_API_KEY", "k")])).unwrap_err();
        assert!(err.to_string().contains("CLOUDFLARE_EMAIL"), "{err}");
        assert!(matches!(err, Error::Config(_)));
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let creds = [
            Credentials::api_token("tok-SECRET-123"),
            Credentials::api_key("me@example.com", "key-SECRET-456"),
            Credentials::user_service_key("v1.0-SECRET-789"),
        ];
        for c in &creds {
            let debug = format!("{c:?} {c:#?}");
            assert!(!debug.contains("SECRET"), "{debug}");
        }
        assert_eq!(Secret::new("SECRET").to_string(), "<redacted>");
    }

    #[test]
    fn headers_are_sensitive_and_invalid_values_are_not_echoed() {
        let headers = Credentials::api_token("abc").headers().unwrap();
        let auth = headers.get(AUTHORIZATION).unwrap();
        assert!(auth.is_sensitive());
        assert_eq!(auth.to_str().unwrap(), "Bearer abc");
        let err = Credentials::api_token("bad\nSECRET").headers().unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert!(err.to_string().contains("api_token"), "{err}");
    }
}
