//! One API call: it owns its options and passes them down.
//!
//! `.await` builds the call's [`CallSpec`] (options, deadline, idempotency) and gives it to a
//! per-call generated client as progenitor's inner value; the adapter at the end of this file
//! runs the transport and parks its [`Exchange`](crate::transport::Exchange) in that client,
//! which the call takes back and turns into its result with [`envelope::finish`].

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, Error as GenError, OperationInfo, ResponseValue};
use reqwest::header::HeaderMap;

use crate::client::Client;
use crate::envelope::{self, Envelope};
use crate::error::{Error, Result};
use crate::generated::{Client as GeneratedClient, Operation};
use crate::response::ApiResponse;
use crate::retry::RetryPolicy;
use crate::transport::{CallScope, CallSpec, Failure, RequestOptions, Transport};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a call does once it runs, given its options.
pub(crate) type Work<T> =
    Box<dyn FnOnce(RequestOptions) -> BoxFuture<Result<ApiResponse<T>>> + Send + 'static>;

/// What a generated operation method's future gives.
pub(crate) type GenResult<E> =
    std::result::Result<ResponseValue<E>, GenError<crate::types::ErrorEnvelope>>;

/// A pending API call whose result is a `T`. `.await` it for the unwrapped `result`, or call
/// [`with_response`](Call::with_response) for the whole envelope and HTTP metadata.
/// Options set here override the client's for this call only.
///
/// A `Call` owns everything it needs (`'static + Send`): spawn it, store it, send it to
/// another task.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// # let zone = client.zone(mock.zone_id())?;
/// use std::future::IntoFuture;
/// use std::time::Duration;
/// let settings = zone.universal_ssl().get().timeout(Duration::from_secs(5)).await?;
/// let full = zone.universal_ssl().get().with_response().await?;
/// println!("{:?} (cf-ray {:?})", settings.enabled, full.cf_ray());
///
/// // Calls are 'static: run one on another task.
/// let quota = tokio::spawn(zone.certificate_packs().quota().into_future()).await.unwrap()?;
/// println!("{quota:?}");
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until awaited"]
pub struct Call<T> {
    operation: &'static str,
    options: RequestOptions,
    work: Result<Work<T>>,
}

impl<T> std::fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Call<T> {
    /// A call of `operation` on `client`: `send` runs the generated builder against the per-call
    /// generated client it is given, and hands that client back with what `send()` returned.
    pub(crate) fn new<E, F, Fut>(client: &Client, operation: Operation, send: F) -> Self
    where
        E: Envelope<Result = T>,
        F: FnOnce(GeneratedClient) -> Fut + Send + 'static,
        Fut: Future<Output = (GeneratedClient, GenResult<E>)> + Send + 'static,
    {
        let client = client.clone();
        let work: Work<T> = Box::new(move |options| {
            Box::pin(async move {
                let config = client.transport();
                let spec = CallSpec::new(
                    config,
                    operation.operation_id(),
                    Some(operation.path()),
                    operation.is_idempotent(),
                    options,
                );
                let api = GeneratedClient {
                    baseurl: client.base_url().to_owned(),
                    client: client.http().clone(),
                    inner: Transport {
                        config: std::sync::Arc::clone(config),
                        call: Some(CallScope {
                            spec,
                            parked: OnceLock::new(),
                        }),
                    },
                };
                let (mut api, generated) = send(api).await;
                if let Some(CallScope { spec, parked }) = api.inner.call.take()
                    && let Some(exchange) = parked.into_inner()
                {
                    return envelope::finish::<E>(&spec, exchange);
                }
                // Nothing was sent: the builder refused its input.
                Err(match generated {
                    Err(GenError::InvalidRequest(message)) => {
                        Error::input("request", None, message)
                    }
                    Err(other) => Error::Config(other.to_string()),
                    Ok(_) => Error::Config("the request was not sent".into()),
                })
            })
        });
        Self::from_work(operation.operation_id(), work)
    }

    pub(crate) fn from_work(operation: &'static str, work: Work<T>) -> Self {
        Self {
            operation,
            options: RequestOptions::default(),
            work: Ok(work),
        }
    }

    /// A call that fails with `error` without sending anything (invalid input).
    pub(crate) fn fail(operation: Operation, error: Error) -> Self {
        Self {
            operation: operation.operation_id(),
            options: RequestOptions::default(),
            work: Err(error),
        }
    }

    /// Timeout for each attempt of this call (default: the client's, 60 s).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::{Error, RetryPolicy};
    /// use std::time::Duration;
    /// mock.faults().latency(Duration::from_millis(500)); // every answer takes 0.5 s
    /// let err = zone
    ///     .universal_ssl()
    ///     .get()
    ///     .timeout(Duration::from_millis(100))
    ///     .retry(RetryPolicy::none())
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(err, Error::Timeout { .. }));
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Deadline for the whole call, every attempt and wait included (default: the client's,
    /// [`DEFAULT_DEADLINE`](crate::DEFAULT_DEADLINE)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::Error;
    /// use std::time::Duration;
    /// mock.faults().latency(Duration::from_secs(2));
    /// let err = zone.certificate_packs().quota().deadline(Duration::from_millis(300)).await.unwrap_err();
    /// assert!(matches!(err, Error::DeadlineExceeded { .. }));
    /// # Ok(()) }
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline = Some(deadline);
        self
    }

    /// Retry policy for this call (default: the client's).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::RetryPolicy;
    /// use cloudflare_ssl_mock::Fault;
    /// use std::time::Duration;
    /// mock.faults().next(1, Fault::ServerError { status: 503 });
    /// let err = zone.universal_ssl().get().retry(RetryPolicy::none()).await.unwrap_err();
    /// assert_eq!(err.status(), Some(503));
    ///
    /// mock.faults().next(1, Fault::ServerError { status: 503 });
    /// let quick = RetryPolicy::default().initial_delay(Duration::from_millis(10));
    /// let settings = zone.universal_ssl().get().retry(quick).await?;
    /// assert_eq!(settings.enabled, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Replaces all per-call options.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::RequestOptions;
    /// use std::time::Duration;
    /// let patient = RequestOptions {
    ///     timeout: Some(Duration::from_secs(10)),
    ///     deadline: Some(Duration::from_secs(60)),
    ///     ..RequestOptions::default()
    /// };
    /// let quota = zone.certificate_packs().quota().options(patient.clone()).await?;
    /// let settings = zone.universal_ssl().get().options(patient).await?;
    /// assert!(quota.advanced.is_some() && settings.enabled.is_some());
    /// # Ok(()) }
    /// ```
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The operation this call runs (its `operationId`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::Operation;
    /// let call = zone.certificate_packs().quota();
    /// assert_eq!(call.operation(), "get_certificate_pack_quota");
    /// assert_eq!(call.operation(), Operation::GetCertificatePackQuota.operation_id());
    /// let quota = call.await?;
    /// # let _ = quota;
    /// # Ok(()) }
    /// ```
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    pub(crate) fn set_retry_orders(mut self, allow: bool) -> Self {
        self.options.retry_orders = allow;
        self
    }

    /// Runs the call and returns the `result` with the envelope and HTTP metadata.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// let full = zone.universal_ssl().get().with_response().await?;
    /// assert_eq!(full.result.enabled, Some(true));
    /// assert_eq!((full.meta.status, full.meta.attempts), (200, 1));
    /// assert!(full.errors.is_empty());
    /// println!("cf-ray {:?}, messages {:?}", full.cf_ray(), full.messages);
    /// # Ok(()) }
    /// ```
    pub async fn with_response(self) -> Result<ApiResponse<T>> {
        (self.work?)(self.options).await
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.with_response().await.map(|r| r.result) })
    }
}

// # The adapter
//
// progenitor's generated operations call `exec`, which must return a `reqwest::Response`. A
// call of the ergonomic layer builds its own generated client (cheap: a `String`, an `Arc`'d
// `reqwest::Client`, this `Transport`) whose `call` is that call's scope: `exec` runs the
// transport, parks the `Exchange` in the scope, and hands progenitor an empty `204` placeholder,
// which the generated code passes through as `UnexpectedResponse` without reading it; the call
// then takes the parked exchange back and decodes it itself (`Call::new`). Without a scope
// ([`Client::generated`]) the reply is rebuilt into a response for progenitor to decode, and a
// failure the transport decided on its own (no `reqwest::Error` can say it) becomes a response
// whose body fails to read with the [`Failure`] as its source.
impl ClientHooks<Transport> for GeneratedClient {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let transport = &self.inner;
        if let Some(scope) = &transport.call {
            let exchange = transport
                .config
                .execute(&self.client, request, &scope.spec)
                .await;
            let _ = scope.parked.set(exchange);
            return Ok(response(
                204,
                HeaderMap::new(),
                reqwest::Body::from(Bytes::new()),
            ));
        }
        let operation = Operation::from_operation_id(info.operation_id);
        let spec = CallSpec::new(
            &transport.config,
            info.operation_id,
            operation.map(Operation::path),
            operation.is_some_and(Operation::is_idempotent),
            RequestOptions::default(),
        );
        match transport
            .config
            .execute(&self.client, request, &spec)
            .await
            .outcome
        {
            Ok(reply) => Ok(response(
                reply.meta.status,
                reply.meta.headers,
                reply.body.into(),
            )),
            Err(Failure::Http(e)) => Err(e),
            Err(failure) => {
                let (status, headers) = match &failure {
                    Failure::TooLarge { meta, .. } => (meta.status, meta.headers.clone()),
                    Failure::Deadline { .. } => (504, HeaderMap::new()),
                    _ => (400, HeaderMap::new()),
                };
                let body = futures::stream::once(async move { Err::<Bytes, _>(failure) });
                Ok(response(status, headers, reqwest::Body::wrap_stream(body)))
            }
        }
    }
}

/// A response with these parts and `body`.
fn response(status: u16, headers: HeaderMap, body: reqwest::Body) -> reqwest::Response {
    let mut r = http::Response::new(body);
    *r.status_mut() = reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK);
    *r.headers_mut() = headers;
    reqwest::Response::from(r)
}
