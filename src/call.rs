//! One API call: per-call options (timeout, deadline, retries), run on `.await`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::envelope::{self, ApiResponse, Envelope, GenResult};
use crate::error::{Error, Result};
use crate::generated::Operation;
use crate::retry::RetryPolicy;
use crate::transport::{CallContext, RequestOptions, CALL};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a call does once it runs: its operation's future, already unwrapped.
pub(crate) type Work<T> = BoxFuture<Result<ApiResponse<T>>>;

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
    idempotent: bool,
    /// For raw requests: their idempotency, for the transport.
    raw: Option<bool>,
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
    /// A call of `operation` running `future` (a generated operation method's `send()`).
    pub(crate) fn new<E>(
        operation: Operation,
        future: impl Future<Output = GenResult<E>> + Send + 'static,
    ) -> Self
    where
        E: Envelope<Result = T>,
    {
        let id = operation.operation_id();
        let idempotent = operation.is_idempotent();
        let work = async move {
            let outcome = future.await;
            let context = CALL.try_with(Arc::clone).ok();
            let meta = context.as_ref().and_then(|c| c.take_meta());
            let facts = envelope::Facts {
                operation: id,
                idempotent,
                sent: context.as_ref().is_some_and(|c| c.may_have_sent()),
                deadline_passed: context.as_ref().and_then(|c| c.deadline_passed()),
            };
            match outcome {
                Ok(value) => envelope::unwrap::<E>(&facts, value, meta),
                // Boxed: the error path (which may parse a body) would otherwise make every
                // call's future larger.
                Err(e) => Err(Box::pin(envelope::map_error::<E>(&facts, e, meta)).await),
            }
        };
        Self::from_work(id, idempotent, Box::pin(work))
    }

    pub(crate) fn from_work(operation: &'static str, idempotent: bool, work: Work<T>) -> Self {
        Self {
            operation,
            idempotent,
            raw: None,
            options: RequestOptions::default(),
            work: Ok(work),
        }
    }

    /// Marks a raw request, whose idempotency the transport cannot look up.
    pub(crate) fn raw(mut self, idempotent: bool) -> Self {
        self.raw = Some(idempotent);
        self
    }

    /// A call that fails with `error` without sending anything (invalid input).
    pub(crate) fn fail(operation: Operation, error: Error) -> Self {
        Self {
            operation: operation.operation_id(),
            idempotent: operation.is_idempotent(),
            raw: None,
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
        let work = self.work?;
        run(
            self.operation,
            self.idempotent,
            self.options,
            self.raw,
            work,
        )
        .await
    }
}

/// Runs `work` with the call context (options, deadline) the transport reads. The transport
/// starts the client's default deadline on the first attempt when the call sets none.
pub(crate) async fn run<T>(
    operation: &'static str,
    idempotent: bool,
    options: RequestOptions,
    raw_idempotent: Option<bool>,
    work: Work<T>,
) -> Result<ApiResponse<T>> {
    let explicit = options.deadline;
    let context = Arc::new(CallContext {
        options,
        idempotent: raw_idempotent,
        ..Default::default()
    });
    let scoped = CALL.scope(Arc::clone(&context), work);
    let Some(limit) = explicit else {
        return scoped.await;
    };
    let at = context.start_deadline(limit);
    // The transport keeps each attempt and wait within the deadline; this is the backstop for
    // whatever else could wait (decoding, the rate limiter).
    match tokio::time::timeout_at(at, scoped).await {
        Ok(result) => result,
        Err(_) => {
            let error = Error::DeadlineExceeded {
                operation,
                deadline: limit,
            };
            Err(if !idempotent && context.may_have_sent() {
                Error::outcome_unknown(operation, error)
            } else {
                error
            })
        }
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.with_response().await.map(|r| r.result) })
    }
}
