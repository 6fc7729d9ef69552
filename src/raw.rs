//! The raw escape hatch: any Cloudflare v4 path, with the client's credentials, retries
//! (idempotent methods only, by default), rate limit, deadline, body limit and tracing.

use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::call::Call;
use crate::client::Client;
use crate::envelope::{self, Parts};
use crate::error::{Error, Result};
use crate::response::RawResponse;
use crate::retry::RetryPolicy;
use crate::transport::{CallSpec, Exchange, Reply, RequestOptions};

/// The operation name raw requests carry in errors and traces.
const RAW: &str = "raw_request";

/// A request to any path of Cloudflare's v4 API, from [`Client::request`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// use reqwest::Method;
/// let path = format!("/zones/{}/ssl/certificate_packs/quota", mock.zone_id());
///
/// // The envelope's `result` as JSON (a failure envelope is an `Error::Api`):
/// let quota: serde_json::Value = client.request(Method::GET, &path).send().await?;
/// println!("{}", quota["advanced"]);
/// let settings = format!("/zones/{}/ssl/universal/settings", mock.zone_id());
/// assert_eq!(client.request(Method::GET, &settings).send().await?["enabled"], true);
///
/// // Query parameters; `result_info` with the envelope:
/// let list = format!("/zones/{}/ssl/certificate_packs", mock.zone_id());
/// let full = client.request(Method::GET, &list).query("per_page", "5").send().with_response().await?;
/// assert_eq!(full.result_info.and_then(|info| info.per_page), Some(5.0));
///
/// // ... as your own type, with the envelope and HTTP metadata:
/// #[derive(serde::Deserialize)]
/// struct Quota { advanced: Option<serde_json::Value> }
/// let full = client.request(Method::GET, &path).send_json::<Quota>().with_response().await?;
/// println!("{:?} (cf-ray {:?})", full.result.advanced, full.cf_ray());
///
/// // ... or status, headers and bytes as received: any status is an answer here, not an error.
/// let raw = client.request(Method::GET, &path).send_bytes().await?;
/// assert_eq!(raw.status, 200);
/// let missing = format!("{list}/0123456789abcdef0123456789abcdef");
/// let raw = client.request(Method::GET, &missing).send_bytes().await?;
/// assert_eq!(raw.status, 404);
/// assert!(String::from_utf8_lossy(&raw.body).contains("1404"));
///
/// // A POST that changes nothing may be resent: analyzing a certificate, here after a 503.
/// use cloudflare_ssl_mock::{Fault, SAMPLE_CERTIFICATE_PEM};
/// mock.faults().next(1, Fault::ServerError { status: 503 });
/// let analyze = format!("/zones/{}/ssl/analyze", mock.zone_id());
/// let body = serde_json::json!({ "certificate": SAMPLE_CERTIFICATE_PEM });
/// let analysis = client.request(Method::POST, &analyze).json(&body).idempotent(true).send();
/// assert_eq!(analysis.with_response().await?.meta.attempts, 2);
///
/// // The path is checked: no `..`, no query string (use `query`).
/// let err = client.request(Method::GET, "/zones/../user").send().await.unwrap_err();
/// assert!(matches!(err, cloudflare_ssl::Error::InvalidInput(_)));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct RawRequest {
    client: Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Result<Vec<u8>>>,
    options: RequestOptions,
    idempotent: bool,
}

impl Client {
    /// A request to any path of the API under the base URL (e.g.
    /// `/zones/{zone_id}/ssl/certificate_packs`), for endpoints outside the 14 this crate
    /// models. It goes through the same credentials, retries (GET, HEAD, PUT, DELETE, OPTIONS
    /// only, unless [`idempotent`](RawRequest::idempotent) says otherwise), rate limit,
    /// deadline, body limit and tracing. The path must start with `/` and its segments hold
    /// only `A-Z a-z 0-9 _ - . ~` (no `.` or `..` segments); query parameters go through
    /// [`query`](RawRequest::query). See the examples on [`RawRequest`].
    pub fn request(&self, method: Method, path: impl Into<String>) -> RawRequest {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        RawRequest {
            client: self.clone(),
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            options: RequestOptions::default(),
            idempotent,
        }
    }
}

/// Checks a raw path: `/`-separated segments of `[A-Za-z0-9_.~-]`, none `.` or `..`.
fn check_path(path: &str) -> Result<()> {
    let bad = |problem: &str| Err(Error::input("path", Some(path.to_owned()), problem));
    let Some(rest) = path.strip_prefix('/') else {
        return bad("must start with `/`");
    };
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return bad("must not have empty, `.` or `..` segments");
        }
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'~');
        if !segment.bytes().all(allowed) {
            return bad("segments may hold only A-Z, a-z, 0-9, `_`, `-`, `.` and `~` (use `query` for parameters)");
        }
    }
    Ok(())
}

impl RawRequest {
    /// Adds a query parameter (see the example on [`RawRequest`]).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sends `body` as JSON (`Content-Type: application/json`); a body that cannot be encoded
    /// fails the request with [`Error::InvalidInput`] when it is sent.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        self.body =
            Some(serde_json::to_vec(body).map_err(|e| {
                Error::input("body", None, format!("could not be encoded as JSON: {e}"))
            }));
        self
    }

    /// Whether the request may be resent when its outcome is unknown (default: by method; see
    /// the example on [`RawRequest`]).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Timeout for each attempt, as [`Call::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Deadline for the whole call, as [`Call::deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline = Some(deadline);
        self
    }

    /// Retry policy for this request, as [`Call::retry`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Sends the request as one call with `options`: the call's spec and what the transport gave.
    async fn exchange(self, options: RequestOptions) -> Result<(CallSpec, Exchange)> {
        check_path(&self.path)?;
        let url = format!("{}{}", self.client.base_url(), self.path);
        let mut builder = self.client.http().request(self.method.clone(), url);
        if !self.query.is_empty() {
            builder = builder.query(&self.query);
        }
        if let Some(body) = &self.body {
            let body = body
                .as_ref()
                .map_err(|e| Error::input("body", None, e.to_string()))?;
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let request = builder
            .build()
            .map_err(|e| Error::input("path", Some(self.path.clone()), e.to_string()))?;
        let config = self.client.transport();
        let mut spec = CallSpec::new(config, RAW, None, options);
        spec.idempotent = self.idempotent;
        let exchange = config.execute(self.client.http(), request, &spec).await;
        Ok((spec, exchange))
    }

    /// Sends the request and returns status, headers and body as received, whatever the status
    /// (see the example on [`RawRequest`]).
    pub async fn send_bytes(mut self) -> Result<RawResponse> {
        let options = std::mem::take(&mut self.options);
        let (spec, exchange) = self.exchange(options).await?;
        let failed = |failure| envelope::failed(&spec, failure, exchange.sent);
        let Reply { meta, body } = exchange.outcome.map_err(failed)?;
        Ok(RawResponse {
            status: meta.status,
            headers: meta.headers.clone(),
            body,
            meta,
        })
    }

    /// Sends the request and decodes the envelope's `result` as `T`. A failure envelope (any
    /// status) is [`Error::Api`]; a non-JSON answer [`Error::UnexpectedResponse`]. See the
    /// example on [`RawRequest`].
    pub fn send_json<T: DeserializeOwned + Send + 'static>(mut self) -> Call<T> {
        let options = std::mem::take(&mut self.options);
        let work = move |options| async move {
            let (spec, exchange) = self.exchange(options).await?;
            envelope::finish::<Parts<T>>(&spec, exchange)
        };
        Call::with_work(RAW, Ok(Box::new(work))).options(options)
    }

    /// Sends the request and returns the envelope's `result` as JSON (`null` when absent), as
    /// [`send_json`](Self::send_json) does.
    pub fn send(self) -> Call<Value> {
        self.send_json::<Value>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_paths_stay_paths() {
        assert!(check_path("/zones/abc/dns_records").is_ok());
        assert!(check_path("/accounts/a-b_c.d~e").is_ok());
        for bad in [
            "zones",
            "/zones/../user",
            "/zones/./x",
            "/zones//x",
            "/zones/a\\b",
            "/zones/%2e%2e",
            "/zones/x?y=1",
            "/zones/x#y",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
