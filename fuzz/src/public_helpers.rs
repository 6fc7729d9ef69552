//! The crate's public helpers on arbitrary input: `retry_after` on arbitrary header values and
//! clocks, `RetryPolicy` with arbitrary numbers, `is_retryable_status`, credentials from an
//! arbitrary environment, client configuration (base URL, token), zone and pack identifiers,
//! order validation, and the open enums' string forms.
//!
//! Invariants: never a panic; secrets never show in `Debug`/`Display`; open enums give back the
//! exact string they were built from.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use cloudflare_ssl::types::{
    self, CertificateAuthority, CertificatePackValidationMethod, ValidityDays,
};
use cloudflare_ssl::{
    is_retryable_status, is_terminal_failure, retry_after, Client, ClientBuilder, Credentials,
    OrderRequest, RetryPolicy,
};
use reqwest::header::{HeaderMap, HeaderValue};

/// Takes fixed-size numbers and length-prefixed byte strings off the front of the input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }
    fn f64(&mut self) -> f64 {
        f64::from_bits(self.u64())
    }
    fn duration(&mut self) -> Duration {
        Duration::new(self.u64(), self.u32() % 1_000_000_000)
    }
    fn slice(&mut self) -> &'a [u8] {
        let len = usize::from(self.u8()).min(self.0.len());
        let (head, tail) = self.0.split_at(len);
        self.0 = tail;
        head
    }
    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.slice()).into_owned()
    }
}

const SECRET: &str = "SECRET";

fn assert_hidden(text: &str) {
    assert!(!text.contains(SECRET), "a secret leaked: {text}");
}

/// Runs one input; panics when an invariant fails.
pub fn run(data: &[u8]) {
    let mut r = Reader(data);

    // Retry-After in every form, against any clock.
    let mut headers = HeaderMap::new();
    for name in ["retry-after", "retry-after-ms"] {
        if let Ok(value) = HeaderValue::from_bytes(r.slice()) {
            headers.insert(name, value);
        }
    }
    let now = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(r.u64() >> 24))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let _ = retry_after(&headers, now);
    let _ = retry_after(&headers, SystemTime::now());

    // Retry policy with arbitrary numbers.
    let policy = RetryPolicy::default()
        .max_retries(r.u32())
        .initial_delay(r.duration())
        .max_delay(r.duration())
        .jitter(r.f64())
        .max_retry_after(r.duration());
    let attempt = r.u32();
    let random = r.f64();
    let delay = policy.delay_for_attempt(attempt, random);
    let _ = format!("{policy:?} {delay:?} {}", policy.retries());
    let _ = is_retryable_status(r.u16());

    // Credentials from an arbitrary environment: never shown.
    let names = [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_USER_SERVICE_KEY",
        "CLOUDFLARE_BASE_URL",
    ];
    let present = r.u8();
    let mut env = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if present & (1 << i) != 0 {
            let value = r.text();
            // Secrets carry a marker so leaks are visible; the email and URL do not.
            let value = if i == 2 || i == 4 {
                value
            } else {
                format!("{SECRET}{value}")
            };
            env.insert(*name, value);
        }
    }
    match ClientBuilder::from_lookup(|name| env.get(name).cloned()) {
        Ok(builder) => {
            assert_hidden(&format!("{builder:?}"));
            // Building validates the URL and header values; creating the pool (which loads
            // the root certificates, ~30 ms) is the costly part, so only some inputs go that
            // far: those with the top three bits of `present` set.
            if present & 0xE0 == 0xE0 {
                match builder.build() {
                    Ok(client) => assert_hidden(&format!("{client:?}")),
                    Err(e) => assert_hidden(&format!("{e} {e:?}")),
                }
            }
        }
        Err(e) => assert_hidden(&format!("{e} {e:?}")),
    }
    if let Ok(Some(credentials)) = Credentials::from_lookup(|name| env.get(name).cloned()) {
        assert_hidden(&format!("{credentials:?} {credentials:#?}"));
    }

    // Identifiers, orders and open enums from arbitrary text.
    let text = r.text();
    // Building a client loads the root certificates: once per process, not per input.
    static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        Client::builder()
            .base_url("http://127.0.0.1:9/client/v4")
            .build()
            .expect("client")
    });
    {
        if let Ok(zone) = client.zone(&text) {
            // An identifier check only: the call is dropped without being sent.
            drop(zone.certificate_packs().get(text.as_str()));
            drop(
                zone.verification()
                    .edit_method(&text, types::DesiredValidationMethod::Http),
            );
        }
    }
    let hosts: Vec<&str> = text.split('\n').collect();
    let order = OrderRequest::new(
        hosts,
        CertificateAuthority::from_wire(&text),
        CertificatePackValidationMethod::from_wire(&text),
        ValidityDays::from(r.u64() as i64),
    );
    if let Err(e) = order.validate() {
        let _ = e.to_string();
    }
    let status = types::CertificatePackStatus::from_wire(&text);
    assert_eq!(status.as_str(), text);
    let _ = is_terminal_failure(&status);
    assert_eq!(CertificateAuthority::from_wire(&text).as_str(), text);
    // Input is strict: parsing gives a documented value or an error, never `Unknown`.
    assert!(text
        .parse::<CertificateAuthority>()
        .map_or(true, |a| a.is_known()));
    let _ = text.parse::<ValidityDays>();
    let _ = types::Identifier::new(text.as_str());
}
