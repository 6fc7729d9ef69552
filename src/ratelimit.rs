//! Optional client-side rate limiting, to stay under Cloudflare's 1,200 requests per 5 minutes.
//!
//! A sliding-window log: a request may start when fewer than `requests` started in the last
//! `per`; otherwise it waits until the oldest one leaves the window. It runs on tokio's clock, so
//! tests can drive it with paused time. (Small enough that a crate such as `governor`, whose async
//! waiting uses its own timer, would add more than it saves.)

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A request budget: at most `requests` per `per`.
///
/// ```
/// use cloudflare_ssl::RateLimit;
/// let limit = RateLimit::cloudflare_default();
/// assert_eq!((limit.requests(), limit.per().as_secs()), (1200, 300));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    per: Duration,
}

impl RateLimit {
    /// At most `requests` (at least 1) in any window of `per`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, RateLimit};
    /// use std::time::Duration;
    /// // Share Cloudflare's budget with another process: half of it.
    /// let half = RateLimit::new(600, Duration::from_secs(300));
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .rate_limit(half)
    ///     .build()?;
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn new(requests: u32, per: Duration) -> Self {
        Self {
            requests: requests.max(1),
            per,
        }
    }

    /// Cloudflare's global limit: 1,200 requests per 5 minutes.
    ///
    /// ```
    /// use cloudflare_ssl::{Client, RateLimit};
    /// let client = Client::builder()
    ///     .api_token("my-token")
    ///     .rate_limit(RateLimit::cloudflare_default())
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), cloudflare_ssl::Error>(())
    /// ```
    pub fn cloudflare_default() -> Self {
        Self::new(1200, Duration::from_secs(300))
    }

    /// Requests allowed per window.
    ///
    /// ```
    /// use cloudflare_ssl::RateLimit;
    /// use std::time::Duration;
    /// assert_eq!(RateLimit::new(100, Duration::from_secs(60)).requests(), 100);
    /// assert_eq!(RateLimit::new(0, Duration::from_secs(60)).requests(), 1); // at least 1
    /// ```
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window.
    ///
    /// ```
    /// use cloudflare_ssl::RateLimit;
    /// use std::time::Duration;
    /// assert_eq!(RateLimit::cloudflare_default().per(), Duration::from_secs(300));
    /// ```
    pub fn per(&self) -> Duration {
        self.per
    }
}

/// The shared limiter state.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    starts: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            starts: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until a request may start, then records it.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait = {
                let mut starts = self.starts.lock().await;
                let now = Instant::now();
                while starts
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.limit.per)
                {
                    starts.pop_front();
                }
                if starts.len() < self.limit.requests as usize {
                    starts.push_back(now);
                    return;
                }
                match starts.front() {
                    Some(oldest) => oldest
                        .checked_add(self.limit.per)
                        .map_or(self.limit.per, |end| end.saturating_duration_since(now)),
                    None => Duration::ZERO,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_window_to_slide() {
        let limiter = RateLimiter::new(RateLimit::new(3, Duration::from_secs(10)));
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the first 3 pass at once");
        limiter.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(10),
            "the 4th waits a full window"
        );
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(13),
            "the first three left the window at t=10, so the 5th passes"
        );
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(13));
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(20));
    }
}
