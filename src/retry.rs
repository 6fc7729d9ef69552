//! Retry policy: which failures are retried, and how long to wait between attempts.
//!
//! The policy follows Cloudflare's official SDKs: retry on 408, 409, 429, 5xx and connection
//! errors; wait `min(initial · 2ⁿ, max)` minus up to 25 % jitter, or what the server asks for in
//! `retry-after-ms` / `Retry-After` (seconds or an HTTP date), capped. Unlike them, ordering a
//! certificate pack is never retried once the request may have reached the server.
//!
//! (The backoff is a few lines here rather than a crate: the official policy's subtractive jitter,
//! server-directed delays and per-attempt "was it sent?" classification fit no backoff crate's
//! model without more code than this.)

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// How failed requests are retried.
///
/// ```
/// use cloudflare_ssl::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default().max_retries(5).max_delay(Duration::from_secs(4));
/// assert_eq!(policy.delay_for_attempt(1, 0.0), Duration::from_millis(500));
/// assert_eq!(policy.delay_for_attempt(4, 0.0), Duration::from_secs(4));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) initial_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) jitter: f64,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, 0.5 s doubling up to 8 s, 25 % jitter, server delays honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: 0.25,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, RetryPolicy};
    /// use cloudflare_ssl_mock::Fault;
    /// assert_eq!(RetryPolicy::none().retries(), 0);
    /// mock.faults().next(1, Fault::ServerError { status: 503 });
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .retry(RetryPolicy::none())
    ///     .build()?;
    /// let err = client.zone(mock.zone_id())?.universal_ssl().get().await.unwrap_err();
    /// assert_eq!(err.status(), Some(503));
    /// # Ok(()) }
    /// ```
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// Retries after the first attempt (0 disables retrying).
    ///
    /// ```
    /// use cloudflare_ssl::RetryPolicy;
    /// let policy = RetryPolicy::default().max_retries(5); // up to 6 attempts
    /// assert_eq!(policy.retries(), 5);
    /// ```
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Delay before the first retry (doubles each time).
    ///
    /// ```
    /// use cloudflare_ssl::RetryPolicy;
    /// use std::time::Duration;
    /// let policy = RetryPolicy::default().initial_delay(Duration::from_millis(100)).jitter(0.0);
    /// assert_eq!(policy.delay_for_attempt(1, 0.5), Duration::from_millis(100));
    /// assert_eq!(policy.delay_for_attempt(3, 0.5), Duration::from_millis(400));
    /// ```
    pub fn initial_delay(mut self, d: Duration) -> Self {
        self.initial_delay = d;
        self
    }

    /// Upper bound of the computed delay.
    ///
    /// ```
    /// use cloudflare_ssl::RetryPolicy;
    /// use std::time::Duration;
    /// let policy = RetryPolicy::default().max_delay(Duration::from_secs(1));
    /// assert_eq!(policy.delay_for_attempt(10, 0.0), Duration::from_secs(1));
    /// ```
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Fraction (0–1) of the delay that random jitter may subtract.
    ///
    /// ```
    /// use cloudflare_ssl::RetryPolicy;
    /// use std::time::Duration;
    /// // The default subtracts up to 25 %: 0.5 s becomes 375 ms to 500 ms.
    /// let default = RetryPolicy::default();
    /// assert_eq!(default.delay_for_attempt(1, 1.0), Duration::from_millis(375));
    /// let exact = RetryPolicy::default().jitter(0.0);
    /// assert_eq!(exact.delay_for_attempt(1, 1.0), Duration::from_millis(500));
    /// ```
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = unit(fraction);
        self
    }

    /// Longest server-requested delay (`Retry-After`) honoured; longer requests are capped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, RetryPolicy};
    /// use cloudflare_ssl_mock::Fault;
    /// use std::time::Duration;
    /// mock.faults().next(1, Fault::RateLimited { retry_after_secs: Some(60) }); // "wait a minute"
    /// let policy = RetryPolicy::default().max_retry_after(Duration::from_millis(100));
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .retry(policy)
    ///     .build()?;
    /// let full = client.zone(mock.zone_id())?.universal_ssl().get().with_response().await?;
    /// assert_eq!(full.meta.retry_delays, [Duration::from_millis(100)]); // not 60 s
    /// # Ok(()) }
    /// ```
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// The configured number of retries.
    ///
    /// ```
    /// use cloudflare_ssl::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().retries(), 2);
    /// assert_eq!(RetryPolicy::none().retries(), 0);
    /// ```
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// The computed delay before retry number `attempt` (1-based), with `random` in `[0, 1)`
    /// choosing how much jitter to subtract (values outside are clamped; NaN counts as 0).
    ///
    /// ```
    /// use cloudflare_ssl::RetryPolicy;
    /// use std::time::Duration;
    /// let policy = RetryPolicy::default(); // 0.5 s doubling up to 8 s, 25 % jitter
    /// assert_eq!(policy.delay_for_attempt(2, 0.0), Duration::from_secs(1));
    /// // `random` in [0, 1) picks the jitter: 0.5 subtracts half of the 25 %.
    /// assert_eq!(policy.delay_for_attempt(2, 0.5), Duration::from_millis(875));
    /// ```
    pub fn delay_for_attempt(&self, attempt: u32, random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        // The factor is in [0, 1], never NaN. Not `mul_f64`: near `Duration::MAX`, `as_secs_f64`
        // rounds up past the largest Duration and even `× 1.0` would panic.
        let factor = 1.0 - unit(self.jitter) * unit(random);
        Duration::try_from_secs_f64(base.as_secs_f64() * factor)
            .unwrap_or(base)
            .min(base)
    }

    /// The delay before retry `attempt`: the server's request if it made one, else backoff.
    pub(crate) fn delay(&self, attempt: u32, headers: Option<&HeaderMap>) -> Duration {
        headers
            .and_then(|h| retry_after(h, SystemTime::now()))
            .map(|d| d.min(self.max_retry_after))
            .unwrap_or_else(|| self.delay_for_attempt(attempt, fastrand::f64()))
    }
}

/// `x` clamped to `[0, 1]`, NaN as 0 (`f64::clamp` passes NaN through).
fn unit(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// Whether an HTTP status is worth retrying: 408, 409, 429 and 5xx.
///
/// ```
/// use cloudflare_ssl::is_retryable_status;
/// assert!(is_retryable_status(429) && is_retryable_status(503));
/// assert!(!is_retryable_status(404));
/// ```
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The delay a response asks for: `retry-after-ms` (milliseconds), else `Retry-After` as seconds
/// or as an HTTP date (relative to `now`).
///
/// ```
/// use cloudflare_ssl::retry_after;
/// use reqwest::header::{HeaderMap, HeaderValue};
/// use std::time::{Duration, SystemTime};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", HeaderValue::from_static("7"));
/// assert_eq!(retry_after(&headers, SystemTime::now()), Some(Duration::from_secs(7)));
/// headers.insert("retry-after-ms", HeaderValue::from_static("250")); // takes precedence
/// assert_eq!(retry_after(&headers, SystemTime::now()), Some(Duration::from_millis(250)));
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    // Only the forms the headers define are honoured; anything else (`1e308`, `NaN`, `inf`,
    // `-5`, `0x10`) is garbage and ignored, so the client falls back to its own backoff instead
    // of waiting as long as the policy allows.
    let decimal = |v: &str| {
        let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(ms) = text("retry-after-ms")
        .filter(|v| decimal(v))
        .and_then(|v| v.parse::<f64>().ok())
    {
        // Capped like the seconds form: `from_secs_f64` panics past ~5.8e11 years.
        return Some(Duration::from_secs_f64((ms / 1000.0).min(1e9)));
    }
    let value = text("retry-after")?;
    // RFC 9110: `delay-seconds = 1*DIGIT`.
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX).min(1_000_000_000);
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(u64::try_from(date.timestamp()).ok()?))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What an attempt or a call gave, as [`classify`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// An answer with this status, its body read.
    Answer(u16),
    /// An answer with this status whose body cannot be used (too large, undecodable).
    Unusable(u16),
    /// No connection: nothing was sent by this attempt.
    Connect,
    /// Sent, and then no answer (a timeout, a broken connection, a body cut off mid-read).
    Lost,
}

/// What an outcome means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A success.
    Ok,
    /// A clear failure: the request did not take effect (or repeating it changes nothing).
    Refused,
    /// Worth sending again.
    Retryable,
    /// The request may have taken effect: [`Error::OutcomeUnknown`].
    Unknown,
    /// The server accepted the request but its answer cannot be used: [`Error::Accepted`].
    Accepted,
}

/// The one place that decides what an outcome means, for a request that is `idempotent` (or may
/// be resent anyway) and may have been `sent` by some attempt. A server error or request timeout
/// in answer to a request that is not idempotent does not say whether it took effect (a pack can
/// be created and the answer still be a 502 from a proxy on the way back); a 2xx whose body
/// cannot be used says it did. Clear refusals (4xx other than 408, `success: false`) stay as
/// they are.
pub(crate) fn classify(seen: Seen, idempotent: bool, sent: bool) -> Class {
    let unclear = |s: u16| s >= 500 || s == 408;
    let success = |s: u16| (200..300).contains(&s);
    match seen {
        Seen::Connect => Class::Retryable,
        Seen::Answer(s) if success(s) => Class::Ok,
        Seen::Answer(s) if idempotent && is_retryable_status(s) => Class::Retryable,
        Seen::Answer(s) | Seen::Unusable(s) if !idempotent && sent && unclear(s) => Class::Unknown,
        Seen::Unusable(s) if !idempotent && success(s) => Class::Accepted,
        Seen::Answer(_) | Seen::Unusable(_) => Class::Refused,
        Seen::Lost if idempotent => Class::Retryable,
        Seen::Lost if sent => Class::Unknown,
        Seen::Lost => Class::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_and_caps_and_jitter_only_subtracts() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_for_attempt(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay_for_attempt(2, 0.0), Duration::from_secs(1));
        assert_eq!(p.delay_for_attempt(3, 0.0), Duration::from_secs(2));
        assert_eq!(p.delay_for_attempt(5, 0.0), Duration::from_secs(8));
        assert_eq!(p.delay_for_attempt(40, 0.0), Duration::from_secs(8));
        assert_eq!(
            p.delay_for_attempt(1, 0.999_999),
            Duration::from_millis(500).mul_f64(1.0 - 0.25 * 0.999_999)
        );
        assert!(p.delay_for_attempt(1, 1.0) >= Duration::from_millis(375));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21 07:28:00
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:30 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:00:00 GMT"),
        );
        assert_eq!(
            retry_after(&h, now),
            Some(Duration::ZERO),
            "a past date means now"
        );
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(250)));
        h.insert("retry-after-ms", HeaderValue::from_static("-5"));
        h.insert("retry-after", HeaderValue::from_static("-5"));
        assert_eq!(retry_after(&h, now), None);
        // Garbage is ignored (the client's backoff applies), never read as "wait the maximum".
        for garbage in ["1e308", "NaN", "inf", "1.5e3", "0x10", "+3", ""] {
            let mut h = HeaderMap::new();
            h.insert(
                "retry-after-ms",
                HeaderValue::from_str(garbage).expect("header"),
            );
            h.insert(
                "retry-after",
                HeaderValue::from_str(garbage).expect("header"),
            );
            assert_eq!(retry_after(&h, now), None, "{garbage:?}");
        }
        h = HeaderMap::new();
        h.insert("retry-after-ms", HeaderValue::from_static("NaN"));
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(
            retry_after(&h, now),
            Some(Duration::from_secs(2)),
            "falls back to seconds"
        );
        h.insert(
            "retry-after",
            HeaderValue::from_static("99999999999999999999999"),
        );
        assert_eq!(
            retry_after(&h, now),
            Some(Duration::from_secs(1_000_000_000))
        );
        h.insert("retry-after-ms", HeaderValue::from_static("1500.5"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_micros(1_500_500)));
    }

    #[test]
    fn garbage_retry_after_uses_the_backoff() {
        let p = RetryPolicy::default().jitter(0.0);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("1e308"));
        assert_eq!(p.delay(1, Some(&h)), Duration::from_millis(500));
    }

    #[test]
    fn server_delay_is_capped() {
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(p.delay(1, Some(&h)), Duration::from_secs(10));
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 599] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 422] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn only_clear_answers_to_unsent_or_idempotent_requests_stay_plain() {
        use Class::*;
        assert_eq!(classify(Seen::Answer(200), false, true), Ok);
        assert_eq!(classify(Seen::Answer(503), true, true), Retryable);
        assert_eq!(classify(Seen::Answer(503), false, true), Unknown);
        assert_eq!(classify(Seen::Answer(429), false, true), Refused);
        assert_eq!(classify(Seen::Unusable(200), false, true), Accepted);
        assert_eq!(classify(Seen::Unusable(200), true, true), Refused);
        assert_eq!(classify(Seen::Connect, false, false), Retryable);
        assert_eq!(classify(Seen::Lost, false, true), Unknown);
        assert_eq!(classify(Seen::Lost, false, false), Refused);
    }
}
