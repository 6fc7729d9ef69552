//! Zones by name: programs are configured with domain names, the API wants zone ids.
//! [`Client::zone_by_name`] looks the id up through `GET /zones?name=…`.

use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::generated::Operation;
use crate::types;
use crate::zone::Zone;

/// Longest domain name (RFC 1035: 253 characters in text form).
pub const MAX_ZONE_NAME_LENGTH: usize = 253;

impl Client {
    /// The zone named `name` (e.g. `example.com`; case and a trailing dot do not matter), as a
    /// [`Zone`] handle, or `None` when the credentials see no such zone. One request
    /// (`GET /zones?name=…`). If the credentials see the name in several accounts, the active
    /// zone is chosen (then the smallest id); [`zones_by_name`](Self::zones_by_name) gives all.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let zone = client.zone_by_name("example.com").await?.expect("the mock's zone");
    /// assert_eq!(zone.id().as_str(), mock.zone_id());
    /// let quota = zone.certificate_packs().quota().await?;
    /// assert!(client.zone_by_name("example.org").await?.is_none());
    /// // Not a domain name: refused before anything is sent.
    /// let err = client.zone_by_name("contains:.org").await.unwrap_err();
    /// assert!(err.to_string().contains("`name`"), "{err}");
    /// # let _ = quota;
    /// # Ok(()) }
    /// ```
    pub async fn zone_by_name(&self, name: &str) -> Result<Option<Zone>> {
        let zones = self.zones_by_name(name).await?;
        let chosen = zones.iter().min_by(|a, b| {
            let inactive = |z: &types::Zone| z.status != Some(types::ZoneStatus::Active);
            inactive(a)
                .cmp(&inactive(b))
                .then_with(|| a.id.as_str().cmp(b.id.as_str()))
        });
        chosen.map(|z| self.zone(z.id.as_str())).transpose()
    }

    /// Every zone named `name` the credentials see (usually one), with its status and
    /// account; the names compare ignoring case and a trailing dot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let zones = client.zones_by_name("EXAMPLE.NET.").await?;
    /// assert_eq!(zones.len(), 1);
    /// assert_eq!(zones[0].id.as_str(), cloudflare_ssl_mock::SECOND_ZONE_ID);
    /// # Ok(()) }
    /// ```
    pub async fn zones_by_name(&self, name: &str) -> Result<Vec<types::Zone>> {
        let wanted = zone_name(name)?;
        let zones = self.list_zones(name).await?;
        // The server filters; a proxy or an older API that ignores the filter must not make
        // another zone look like this one.
        Ok(zones
            .into_iter()
            .filter(|z| {
                z.name
                    .as_str()
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(&wanted)
            })
            .collect())
    }

    /// The call behind [`zones_by_name`](Self::zones_by_name): `GET /zones?name=…&per_page=50`,
    /// the zones as the server answers them, with the [`Call`] controls (timeout, deadline,
    /// `with_response`). The name is checked first (an invalid one fails without sending).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let full = client.list_zones("example.com").with_response().await?;
    /// assert_eq!(full.result.len(), 1);
    /// assert_eq!(full.result_info.and_then(|i| i.total_count), Some(1.0));
    /// # Ok(()) }
    /// ```
    pub fn list_zones(&self, name: &str) -> Call<Vec<types::Zone>> {
        match zone_name(name) {
            Ok(wanted) => Call::new(self, Operation::ListZones, move |api| async move {
                let outcome = api.list_zones().name(wanted).per_page(50).send().await;
                (api, outcome)
            }),
            Err(e) => Call::fail(Operation::ListZones, e),
        }
    }
}

/// Checks a zone name: 1 to 253 visible ASCII characters, no spaces, no filter operator
/// (`contains:…`); lowercase, without a trailing dot.
fn zone_name(name: &str) -> Result<String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let problem = if trimmed.is_empty() {
        Some("must not be empty".to_owned())
    } else if trimmed.len() > MAX_ZONE_NAME_LENGTH {
        Some(format!(
            "must be at most {MAX_ZONE_NAME_LENGTH} characters, got {}",
            trimmed.len()
        ))
    } else if !trimmed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        Some(
            "must be a domain name (letters, digits, `-`, `_` and `.`; IDNs in punycode)"
                .to_owned(),
        )
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::input("name", Some(name.to_owned()), problem)),
        None => Ok(trimmed.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_are_checked_and_normalised() {
        assert_eq!(
            zone_name("Example.COM.").ok().as_deref(),
            Some("example.com")
        );
        for bad in ["", ".", "contains:.org", "a b.com", "ex\u{e4}mple.com"] {
            assert!(zone_name(bad).is_err(), "{bad:?}");
        }
        let long = "a".repeat(300);
        let err = zone_name(&long).unwrap_err().to_string();
        assert!(err.contains("`name`") && err.contains("253"), "{err}");
        assert!(err.len() < 400, "the value is truncated: {err}");
    }
}
