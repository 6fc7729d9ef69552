//! One API call ([`Call`]) and the adapter between progenitor's hooks and the transport (see
//! "The call path" in the crate docs).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, Error as GenError, OperationInfo, ResponseValue};
use reqwest::header::HeaderMap;
use reqwest::{Method, ResponseBuilderExt};

use crate::client::Client;
use crate::envelope::{self, Envelope};
use crate::error::{Error, Result};
use crate::generated::{Client as GeneratedClient, Operation};
use crate::response::ApiResponse;
use crate::retry::RetryPolicy;
use crate::transport::{CallScope, CallSpec, Failure, Reply, RequestOptions, Transport};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a call does once it runs, given its options (a closure giving the call's future, which
/// is boxed once, with the envelope or mapped to the `result`).
pub(crate) trait Work<T>: Send {
    fn full(self: Box<Self>, options: RequestOptions) -> BoxFuture<Result<ApiResponse<T>>>;
    fn result(self: Box<Self>, options: RequestOptions) -> BoxFuture<Result<T>>;
}

impl<T, F, Fut> Work<T> for F
where
    F: FnOnce(RequestOptions) -> Fut + Send + 'static,
    Fut: Future<Output = Result<ApiResponse<T>>> + Send + 'static,
{
    // The call's future is made inside the box, not moved into it.
    fn full(self: Box<Self>, options: RequestOptions) -> BoxFuture<Result<ApiResponse<T>>> {
        Box::pin(async move { (*self)(options).await })
    }
    fn result(self: Box<Self>, options: RequestOptions) -> BoxFuture<Result<T>> {
        Box::pin(async move { (*self)(options).await.map(|r| r.result) })
    }
}

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
    work: Result<Box<dyn Work<T>>>,
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
        let work = move |options| async move {
            let config = client.transport();
            let mut spec =
                CallSpec::new(config, operation.operation_id(), Some(operation), options);
            spec.ids_checked = true;
            let (parked, config) = (Mutex::default(), Arc::clone(config));
            let call = Some(CallScope { spec, parked });
            // A struct literal, not `new_with_client`: built in place, not moved in.
            let (baseurl, http) = (client.base_url().to_owned(), client.http().clone());
            let inner = Transport { config, call };
            let api = GeneratedClient {
                baseurl,
                client: http,
                inner,
            };
            let (mut api, generated) = send(api).await;
            if let Some(CallScope { spec, parked }) = api.inner.call.take()
                && let Ok(Some(exchange)) = parked.into_inner()
            {
                return envelope::finish::<E>(&spec, exchange);
            }
            // Nothing was sent: the builder refused its input.
            Err(match generated {
                Err(GenError::InvalidRequest(message)) => Error::input("request", None, message),
                Err(other) => Error::Config(other.to_string()),
                Ok(_) => Error::Config("the request was not sent".into()),
            })
        };
        Self::with_work(operation.operation_id(), Ok(Box::new(work)))
    }

    /// A call of `operation` that runs `work`.
    pub(crate) fn with_work(operation: &'static str, work: Result<Box<dyn Work<T>>>) -> Self {
        Self {
            operation,
            options: RequestOptions::default(),
            work,
        }
    }

    /// A call that fails with `error` without sending anything (invalid input).
    pub(crate) fn fail(operation: Operation, error: Error) -> Self {
        Self::with_work(operation.operation_id(), Err(error))
    }

    /// Timeout for each attempt of this call (default: the client's, 60 s); an attempt that runs
    /// out, not retried, is [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Deadline for the whole call, every attempt and wait included (default: the client's,
    /// [`DEFAULT_DEADLINE`](crate::DEFAULT_DEADLINE)); passing it is [`Error::DeadlineExceeded`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline = Some(deadline);
        self
    }

    /// Retry policy for this call (default: the client's); see [`RetryPolicy`] for examples.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Replaces all per-call options (a [`RequestOptions`] can be reused across calls).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The operation this call runs (its `operationId`, as [`Operation::operation_id`]).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    pub(crate) fn set_retry_orders(mut self, allow: bool) -> Self {
        self.options.retry_orders = allow;
        self
    }

    /// Runs the call and returns the `result` with the envelope and HTTP metadata.
    pub async fn with_response(self) -> Result<ApiResponse<T>> {
        self.work?.full(self.options).await
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        match self.work {
            Ok(work) => work.result(self.options),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

// The adapter. progenitor's builder calls `pre`, then `exec`. In a call's own generated client
// (`Call::new`), `pre` sends the request, parks the transport's `Exchange` in the call's scope
// and stops the builder with an error the call ignores: the generated code reads nothing.
// Without a scope (`Client::generated`), `exec` sends and rebuilds the reply as a response; a
// failure no `reqwest::Error` can express becomes a body that fails to read, with the `Failure`
// as its source.
impl ClientHooks<Transport> for GeneratedClient {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _: &OperationInfo,
    ) -> std::result::Result<(), GenError<E>> {
        let Some(scope) = &self.inner.call else {
            return Ok(());
        };
        let request = std::mem::replace(request, reqwest::Request::new(Method::GET, url()));
        let exchange = self
            .inner
            .config
            .execute(&self.client, request, &scope.spec)
            .await;
        if let Ok(mut parked) = scope.parked.lock() {
            *parked = Some(exchange);
        }
        Err(GenError::Custom(String::new()))
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let (config, id) = (&self.inner.config, info.operation_id);
        let operation = Operation::from_operation_id(id);
        let spec = CallSpec::new(config, id, operation, RequestOptions::default());
        let response = |status, headers, body| {
            let (mut parts, ()) = http::Response::builder()
                .url(url())
                .body(())
                .unwrap_or_default()
                .into_parts();
            parts.status = reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK);
            parts.headers = headers;
            reqwest::Response::from(http::Response::from_parts(parts, body))
        };
        match config.execute(&self.client, request, &spec).await.outcome {
            Ok(Reply { meta, body }) => Ok(response(meta.status, meta.headers, body.into())),
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

/// A placeholder URL, a copy of one parsed once (reqwest would parse one for every response
/// built from parts).
fn url() -> reqwest::Url {
    static URL: LazyLock<reqwest::Url> =
        LazyLock::new(|| reqwest::Url::parse("http://no.url.provided.local").expect("a valid URL"));
    URL.clone()
}
