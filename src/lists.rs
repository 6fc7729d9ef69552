//! The generated list types as lists: `for host in &pack.hosts`, `pack.hosts.contains("x")`.

use crate::types;

impl<'a> IntoIterator for &'a types::Hosts {
    type Item = &'a types::Host;
    type IntoIter = std::slice::Iter<'a, types::Host>;

    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let pack = client.zone(mock.zone_id())?.certificate_packs().list().send().await?.items.remove(0);
    /// for host in &pack.hosts {
    ///     println!("{host}");
    /// }
    /// # assert!(pack.hosts.iter().any(|host| host.as_str() == "example.com"));
    /// # Ok(()) }
    /// ```
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for types::Hosts {
    type Item = types::Host;
    type IntoIter = std::vec::IntoIter<types::Host>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl types::Hosts {
    /// Whether the list holds `host`, compared as written (host names in the API are
    /// lower case): `pack.hosts.contains("www.example.com")`.
    ///
    /// ```
    /// use cloudflare_ssl::types::{Host, Hosts};
    /// let hosts = Hosts(vec![Host("example.com".into()), Host("*.example.com".into())]);
    /// assert!(hosts.contains("*.example.com") && !hosts.contains("www.example.com"));
    /// ```
    pub fn contains(&self, host: &str) -> bool {
        self.0.iter().any(|h| h.0 == host)
    }
}

/// Compares the host name: `host == "example.com"`.
impl PartialEq<str> for types::Host {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// Compares the host name: `host == "example.com"`.
impl PartialEq<&str> for types::Host {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}
