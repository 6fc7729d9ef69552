//! Iterating the generated list types: `for host in &pack.hosts` works like a `Vec`.

use crate::types;

impl<'a> IntoIterator for &'a types::Hosts {
    type Item = &'a types::Host;
    type IntoIter = std::slice::Iter<'a, types::Host>;

    /// ```
    /// # fn demo(pack: cloudflare_ssl::types::CertificatePack) {
    /// for host in &pack.hosts {
    ///     println!("{host}");
    /// }
    /// # }
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
