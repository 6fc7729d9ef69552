//! Server-advised pacing: the budget the server reports on every answer (`Ratelimit` /
//! `Ratelimit-Policy`, the IETF draft Cloudflare sends, or `X-RateLimit-*`) paces requests
//! before it runs out, so several processes sharing one token stay under the limit with no
//! coordinator: the server's count is the only truth they share.
//!
//! The rule, per client:
//!
//! - while more than half of the quota is left (or nothing is known), requests go at once;
//! - below that, the requests left above a small reserve (5% of the quota, at least 2) are
//!   spread evenly over the time to the window's reset: each request starts
//!   `time to reset / (remaining - reserve)` after the previous one. When other processes
//!   spend the same budget, `remaining` falls faster and every process slows down with it;
//! - at or under the reserve, requests wait for the reset.
//!
//! A wait never passes the call's deadline (the call then fails as the client-side rate limiter
//! does). It runs on tokio's clock.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderName};
use tokio::time::Instant;

/// The budget headers, as constants (a `&str` name is parsed again on every lookup).
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
const X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
/// Header values longer than this are ignored (a budget header is a few dozen bytes).
const MAX_HEADER_LEN: usize = 512;
/// Resets further away than this are read as this (a day).
const MAX_RESET: Duration = Duration::from_secs(86_400);
/// Counts above this are read as this.
const MAX_COUNT: u64 = 1_000_000_000;

/// The request budget a server reported on one answer.
///
/// ```
/// use cloudflare_ssl::ServerBudget;
/// use cloudflare_ssl::reqwest::header::{HeaderMap, HeaderValue};
/// use std::time::Duration;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("ratelimit", HeaderValue::from_static("\"default\";r=50;t=30"));
/// headers.insert("ratelimit-policy", HeaderValue::from_static("\"default\";q=1200;w=300"));
/// let budget = ServerBudget::from_headers(&headers).expect("a budget");
/// assert_eq!(budget.remaining, 50);
/// assert_eq!(budget.reset, Duration::from_secs(30));
/// assert_eq!((budget.quota, budget.window), (Some(1200), Some(Duration::from_secs(300))));
///
/// // The older names work too; garbage is no budget, never a panic.
/// let mut old = HeaderMap::new();
/// old.insert("x-ratelimit-remaining", HeaderValue::from_static("7"));
/// old.insert("x-ratelimit-limit", HeaderValue::from_static("100"));
/// assert_eq!(ServerBudget::from_headers(&old).map(|b| (b.remaining, b.quota)), Some((7, Some(100))));
/// old.insert("x-ratelimit-remaining", HeaderValue::from_static("lots"));
/// assert!(ServerBudget::from_headers(&old).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerBudget {
    /// Requests left in the current window.
    pub remaining: u64,
    /// Time until the window resets (zero when the server did not say).
    pub reset: Duration,
    /// Requests allowed per window, when the server said.
    pub quota: Option<u64>,
    /// The window's length, when the server said.
    pub window: Option<Duration>,
}

impl ServerBudget {
    /// Reads the budget from `Ratelimit` (`"default";r=<remaining>;t=<seconds>`, or the older
    /// `limit=…, remaining=…, reset=…`) with `Ratelimit-Policy` (`q=<quota>;w=<seconds>`), or
    /// else from `X-RateLimit-Remaining` / `-Limit` / `-Reset` (seconds, or a Unix time).
    /// `None` when no remaining count can be read.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let text = |name: HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.len() <= MAX_HEADER_LEN)
        };
        let mut budget = None;
        if let Some(value) = text(RATELIMIT) {
            let params = params(value);
            let remaining = smallest(&params, &["r", "remaining"]);
            if let Some(remaining) = remaining {
                budget = Some(ServerBudget {
                    remaining,
                    reset: smallest(&params, &["t", "reset"]).map_or(Duration::ZERO, seconds),
                    quota: smallest(&params, &["limit", "q"]),
                    window: smallest(&params, &["w"]).map(seconds),
                });
            }
        }
        if budget.is_none()
            && let Some(remaining) = text(X_REMAINING).and_then(number)
        {
            budget = Some(ServerBudget {
                remaining,
                reset: text(X_RESET)
                    .and_then(number)
                    .map_or(Duration::ZERO, reset_from),
                quota: text(X_LIMIT).and_then(number),
                window: None,
            });
        }
        let mut budget = budget?;
        if let Some(policy) = text(RATELIMIT_POLICY) {
            let params = params(policy);
            budget.quota = smallest(&params, &["q"])
                .or_else(|| policy.split([';', ',']).next().and_then(number))
                .or(budget.quota);
            budget.window = smallest(&params, &["w"]).map(seconds).or(budget.window);
        }
        Some(budget)
    }
}

/// `key=value` parameters of a structured header (members split by `,`, parameters by `;`).
fn params(value: &str) -> Vec<(&str, u64)> {
    value
        .split([',', ';'])
        .filter_map(|part| {
            let (key, value) = part.split_once('=')?;
            Some((key.trim(), number(value)?))
        })
        .take(64)
        .collect()
}

/// The smallest value of any of `keys` (the tightest of several policies).
fn smallest(params: &[(&str, u64)], keys: &[&str]) -> Option<u64> {
    params
        .iter()
        .filter(|(k, _)| keys.iter().any(|want| k.eq_ignore_ascii_case(want)))
        .map(|(_, v)| *v)
        .min()
}

fn number(text: &str) -> Option<u64> {
    let text = text.trim().trim_matches('"');
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().map(|n| n.min(MAX_COUNT))
}

fn seconds(n: u64) -> Duration {
    Duration::from_secs(n).min(MAX_RESET)
}

/// `X-RateLimit-Reset`: seconds to wait, or (when it looks like one) a Unix time.
fn reset_from(n: u64) -> Duration {
    if n >= 1_000_000_000 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        seconds(n.saturating_sub(now))
    } else {
        seconds(n)
    }
}

/// What the pacer knows of the current window.
#[derive(Debug, Clone, Copy)]
struct Known {
    remaining: u64,
    reset_at: Instant,
    quota: Option<u64>,
}

#[derive(Debug, Default)]
struct PaceState {
    known: Option<Known>,
    /// The earliest start of the next paced request.
    next_free: Option<Instant>,
    last: Option<ServerBudget>,
}

/// The per-client pacer (see the module documentation for the rule).
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    state: Mutex<PaceState>,
}

impl Pacer {
    /// Reserves the next request's start: how long to wait before sending it. A wait longer
    /// than `max_wait` reserves nothing (the request will not be sent) and is `Err`.
    pub(crate) fn reserve(&self, max_wait: Option<Duration>) -> Result<Duration, Duration> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(Duration::ZERO);
        };
        let now = Instant::now();
        let Some(mut known) = state.known.filter(|k| k.reset_at > now) else {
            state.known = None;
            state.next_free = None;
            return Ok(Duration::ZERO);
        };
        let to_reset = known.reset_at.saturating_duration_since(now);
        let reserve = known.quota.map_or(2, |q| (q / 20).max(2));
        let free = known
            .quota
            .is_some_and(|q| known.remaining.saturating_mul(2) > q);
        let (wait, next_free) = if free {
            (Duration::ZERO, state.next_free)
        } else if known.remaining <= reserve {
            (to_reset, state.next_free)
        } else {
            let spare = known.remaining - reserve;
            let interval = to_reset
                .checked_div(u32::try_from(spare).unwrap_or(u32::MAX))
                .unwrap_or(to_reset);
            let slot = state.next_free.map_or(now, |n| n.max(now));
            (
                slot.saturating_duration_since(now),
                slot.checked_add(interval),
            )
        };
        if max_wait.is_some_and(|max| wait > max) {
            return Err(wait);
        }
        state.next_free = next_free;
        known.remaining = known.remaining.saturating_sub(1);
        state.known = Some(known);
        Ok(wait)
    }

    /// Takes in the budget an answer reported. A 429's budget is left to the retry policy
    /// (`Retry-After`, which owns the recovery from a refusal); the next answer informs again.
    pub(crate) fn observe(&self, status: u16, headers: &HeaderMap) {
        if status == 429 {
            return;
        }
        let Some(budget) = ServerBudget::from_headers(headers) else {
            return;
        };
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.last = Some(budget);
        if budget.reset.is_zero() {
            // No reset time: nothing to spread the budget over.
            return;
        }
        let now = Instant::now();
        let Some(reset_at) = now.checked_add(budget.reset) else {
            return;
        };
        let quota = budget.quota.or(state.known.and_then(|k| k.quota));
        let newer = match state.known {
            // Answers arrive out of order: within one window (resets agree within a second,
            // the header's resolution) a higher count than known is an older answer.
            Some(k) => {
                budget.remaining <= k.remaining
                    || k.reset_at
                        .checked_add(Duration::from_secs(1))
                        .is_none_or(|end| reset_at > end)
            }
            None => true,
        };
        if newer {
            state.known = Some(Known {
                remaining: budget.remaining,
                reset_at,
                quota,
            });
        }
    }

    /// The budget the last answer reported.
    pub(crate) fn last(&self) -> Option<ServerBudget> {
        self.state.lock().ok().and_then(|s| s.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(remaining: u64, reset: u64, quota: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = |s: String| HeaderValue::from_str(&s).expect("ascii");
        h.insert(
            "ratelimit",
            v(format!("\"default\";r={remaining};t={reset}")),
        );
        h.insert("ratelimit-policy", v(format!("\"default\";q={quota};w=30")));
        h
    }

    #[tokio::test(start_paused = true)]
    async fn free_above_half_then_spread_then_wait_for_the_reset() {
        let pacer = Pacer::default();
        assert_eq!(
            pacer.reserve(None).unwrap_or_default(),
            Duration::ZERO,
            "nothing known: no wait"
        );
        pacer.observe(200, &headers(100, 30, 120));
        assert_eq!(
            pacer.reserve(None).unwrap_or_default(),
            Duration::ZERO,
            "more than half left"
        );
        // 40 left of 120 (reserve 6): 34 spread over 30 s.
        pacer.observe(200, &headers(40, 30, 120));
        let interval = Duration::from_secs(30) / 34;
        assert_eq!(
            pacer.reserve(None).unwrap_or_default(),
            Duration::ZERO,
            "the first paced request starts now"
        );
        assert_eq!(
            pacer.reserve(None).unwrap_or_default(),
            interval,
            "the next one a slot later"
        );
        // At the reserve: wait for the reset.
        pacer.observe(200, &headers(6, 12, 120));
        assert_eq!(
            pacer.reserve(None).unwrap_or_default(),
            Duration::from_secs(12)
        );
        // After the reset, nothing is known until the next answer.
        tokio::time::advance(Duration::from_secs(12)).await;
        assert_eq!(pacer.reserve(None).unwrap_or_default(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn out_of_order_answers_keep_the_lowest_count() {
        let pacer = Pacer::default();
        pacer.observe(200, &headers(10, 30, 120));
        pacer.observe(200, &headers(50, 30, 120)); // an older answer, arriving late
        pacer.observe(429, &headers(0, 300, 120)); // a refusal: the retry policy's business
                                                   // Paced on 10 left (reserve 6): a slot every 30 s / 4.
        assert_eq!(pacer.reserve(None), Ok(Duration::ZERO));
        assert_eq!(pacer.reserve(None), Ok(Duration::from_secs(30) / 4));
        // A wait past what the caller allows reserves nothing.
        // (the third slot: 7.5 s + 30 s / 3 left over the reserve).
        let third = Duration::from_millis(17_500);
        assert_eq!(pacer.reserve(Some(Duration::from_secs(1))), Err(third));
        assert_eq!(pacer.reserve(None), Ok(third));
    }

    #[test]
    fn hostile_headers_are_no_budget() {
        let mut h = HeaderMap::new();
        for bad in [
            "\"default\";r=-1;t=30",
            "r=99999999999999999999999;t=1",
            "\"default\";t=30",
            "",
        ] {
            h.insert("ratelimit", HeaderValue::from_str(bad).expect("ascii"));
            assert_eq!(ServerBudget::from_headers(&h), None, "{bad}");
        }
        h.insert("ratelimit", HeaderValue::from_static("r=1;t=99999999"));
        assert_eq!(
            ServerBudget::from_headers(&h).map(|b| b.reset),
            Some(MAX_RESET)
        );
    }
}
