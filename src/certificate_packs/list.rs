//! Listing certificate packs: one page, or every pack as a stream that always ends.
//!
//! The stream stops on `result_info.total_pages`, so it never fetches an empty page past the
//! end (Cloudflare's official SDKs stop only on an empty page). It also stops on an empty page,
//! and without `result_info` on the first page shorter than `per_page`. It ends with
//! [`Error::Pagination`] when the server misbehaves: a page other than the one asked for
//! (`result_info.page`), the same page twice, a `total_pages` that `total_count` and `per_page`
//! cannot explain, or more pages than [`max_pages`](ListCertificatePacks::max_pages) (default
//! [`DEFAULT_MAX_PAGES`]). Once the number of pages is known it can fetch up to N pages
//! concurrently, still yielding them in order, with the same checks.
//!
//! A page is decoded as a whole: a pack that does not fit the document (after the tolerant
//! reader's allowances) fails the page with [`Error::Decode`] naming its JSON path, e.g.
//! `result[3].status`; the stream ends there, with every earlier page already yielded.

use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};

use crate::call::Call;
use crate::certificate_packs::CertificatePacks;
use crate::error::{Error, Result};
use crate::response::ResponseMeta;
use crate::transport::RequestOptions;
use crate::types;
use crate::zone::zone_call;

/// Smallest and largest `per_page` the API accepts.
pub const PER_PAGE_RANGE: std::ops::RangeInclusive<u32> = 5..=50;
/// The API's `per_page` when none is given.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Most pages a stream fetches by default (50,000 packs at 50 a page).
pub const DEFAULT_MAX_PAGES: u32 = 1_000;

/// One page of results.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// # let packs = client.zone(mock.zone_id())?.certificate_packs();
/// // The mock's zone holds 6 active packs.
/// let page = packs.list().per_page(5).page(2).send().await?;
/// assert_eq!(page.items.len(), 1);
/// assert_eq!(page.page, 2);
/// assert_eq!(page.reported_page(), Some(2)); // what the server says it answered
/// assert_eq!(page.per_page(), Some(5));
/// assert_eq!(page.total_count(), Some(6));
/// assert_eq!(page.total_pages(), Some(2));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The page number requested (1-based).
    pub page: u32,
    /// The server's pagination information, if it sent any.
    pub result_info: Option<types::ResultInfo>,
    /// HTTP metadata of the response.
    pub meta: ResponseMeta,
}

fn to_u32(n: Option<f64>) -> Option<u32> {
    n.filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v.min(f64::from(u32::MAX)) as u32)
}

impl<T> Page<T> {
    /// `result_info.total_pages`, if sent.
    ///
    /// See the [example](Page#example).
    pub fn total_pages(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.total_pages))
    }

    /// `result_info.total_count`, if sent.
    ///
    /// See the [example](Page#example).
    pub fn total_count(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.total_count))
    }

    /// `result_info.per_page`, if sent.
    ///
    /// See the [example](Page#example).
    pub fn per_page(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.per_page))
    }

    /// `result_info.page`, if sent.
    ///
    /// See the [example](Page#example).
    pub fn reported_page(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.page))
    }
}

/// A certificate pack listing, from [`CertificatePacks::list`]. Owns what it needs: its streams
/// are `'static + Send`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// # let zone = client.zone(mock.zone_id())?;
/// use futures::TryStreamExt;
/// use cloudflare_ssl::types::CertificatePackListStatus;
///
/// // One page, with result_info:
/// let page = zone.certificate_packs().list().per_page(50).send().await?;
/// println!("{} of {:?}", page.items.len(), page.total_count());
/// // Every pack of every status, 4 pages in flight at a time:
/// let all: Vec<_> = zone
///     .certificate_packs()
///     .list()
///     .status(CertificatePackListStatus::All)
///     .per_page(5)
///     .prefetch(4)
///     .items()
///     .try_collect()
///     .await?;
/// assert!(all.len() >= page.items.len());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a listing does nothing until sent or streamed"]
pub struct ListCertificatePacks {
    packs: CertificatePacks,
    page: Option<u32>,
    per_page: Option<u32>,
    status: Option<types::CertificatePackListStatus>,
    deploy: Option<types::CertificatePackDeploy>,
    prefetch: usize,
    max_pages: u32,
    options: RequestOptions,
}

enum State {
    Fetch {
        /// Boxed: the listing is much larger than the other states.
        list: Box<ListCertificatePacks>,
        page: u32,
        fetched: u32,
        /// The first pack id of the previous page, to notice a server that ignores `page`.
        previous_first: Option<String>,
    },
    Prefetch(BoxStream<'static, Result<Page<types::CertificatePack>>>),
    Done,
}

impl CertificatePacks {
    /// Lists packs: one page with `.send()`, or every pack with `.items()` / `.stream()`.
    /// By default only active packs are listed; `.status(All)` lists every status.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let page = packs.list().send().await?; // the first page of active packs
    /// assert!(page.items.iter().all(|pack| pack.status.as_str() == "active"));
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListCertificatePacks {
        ListCertificatePacks {
            packs: self.clone(),
            page: None,
            per_page: None,
            status: None,
            deploy: None,
            prefetch: 1,
            max_pages: DEFAULT_MAX_PAGES,
            options: RequestOptions::default(),
        }
    }
}

impl ListCertificatePacks {
    /// Page size, 5 to 50 (the API's default is 20).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::Error;
    /// let page = packs.list().per_page(5).send().await?;
    /// assert_eq!((page.items.len(), page.total_pages()), (5, Some(2))); // 6 packs
    /// // Outside 5..=50: refused before sending.
    /// let err = packs.list().per_page(100).send().await.unwrap_err();
    /// assert!(matches!(err, Error::InvalidInput(e) if e.field == "per_page"));
    /// # Ok(()) }
    /// ```
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// The page to get (1-based); for streams, the first page.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let first = packs.list().per_page(5).send().await?;
    /// let second = packs.list().per_page(5).page(2).send().await?;
    /// assert_eq!((first.page, first.items.len()), (1, 5));
    /// assert_eq!((second.page, second.items.len()), (2, 1)); // 6 packs
    /// # Ok(()) }
    /// ```
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// `All` lists packs of every status, not just active ones.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start_manual().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "new.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let new = packs.order(order).await?;
    /// use cloudflare_ssl::types::CertificatePackListStatus;
    /// // `new` was just ordered: it is not active yet.
    /// let active = packs.list().send().await?;
    /// let all = packs.list().status(CertificatePackListStatus::All).send().await?;
    /// assert!(!active.items.iter().any(|pack| pack.id == new.id));
    /// assert!(all.items.iter().any(|pack| pack.id == new.id));
    /// # Ok(()) }
    /// ```
    pub fn status(mut self, status: types::CertificatePackListStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The deployment environment (`staging` or `production`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::types::CertificatePackDeploy;
    /// let staging = packs.list().deploy(CertificatePackDeploy::Staging).send().await?;
    /// let production = packs.list().deploy(CertificatePackDeploy::Production).send().await?;
    /// assert!(staging.items.is_empty());
    /// assert!(!production.items.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn deploy(mut self, deploy: types::CertificatePackDeploy) -> Self {
        self.deploy = Some(deploy);
        self
    }

    /// For streams: fetch up to `pages` pages concurrently once the number of pages is known
    /// (1, the default, fetches one after another). Items still arrive in order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use futures::TryStreamExt;
    /// // Page 1 first (it tells how many there are), then up to 4 pages at a time, in order.
    /// let all: Vec<_> = packs.list().per_page(5).prefetch(4).items().try_collect().await?;
    /// assert_eq!(all.len(), 6);
    /// # Ok(()) }
    /// ```
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages.max(1);
        self
    }

    /// For streams: the most pages fetched before the stream ends with
    /// [`Error::Pagination`] (default [`DEFAULT_MAX_PAGES`]; at least 1).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::Error;
    /// use futures::StreamExt;
    /// // 6 packs at 5 a page is 2 pages: one too many.
    /// let items: Vec<_> = packs.list().per_page(5).max_pages(1).items().collect().await;
    /// assert_eq!(items.iter().filter(|item| item.is_ok()).count(), 5);
    /// assert!(matches!(items.last(), Some(Err(Error::Pagination { .. }))));
    /// # Ok(()) }
    /// ```
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Per-request options (timeout, deadline, retry policy) for every page.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::{RequestOptions, RetryPolicy};
    /// use futures::TryStreamExt;
    /// use std::time::Duration;
    /// let options = RequestOptions {
    ///     timeout: Some(Duration::from_secs(5)),
    ///     retry: Some(RetryPolicy::default().max_retries(5)),
    ///     ..RequestOptions::default()
    /// };
    /// let all: Vec<_> = packs.list().per_page(5).options(options).items().try_collect().await?;
    /// assert_eq!(all.len(), 6);
    /// # Ok(()) }
    /// ```
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    fn validate(&self) -> Result<()> {
        if let Some(p) = self.per_page
            && !PER_PAGE_RANGE.contains(&p)
        {
            return Err(Error::input(
                "per_page",
                Some(p.to_string()),
                format!(
                    "must be {} to {}",
                    PER_PAGE_RANGE.start(),
                    PER_PAGE_RANGE.end()
                ),
            ));
        }
        if self.page == Some(0) {
            return Err(Error::input("page", Some("0".into()), "must be at least 1"));
        }
        if let Some(status) = &self.status {
            crate::strict::known("status", status)?;
        }
        if let Some(deploy) = &self.deploy {
            crate::strict::known("deploy", deploy)?;
        }
        Ok(())
    }

    /// Fetches page `page`.
    async fn fetch(self, page: u32) -> Result<Page<types::CertificatePack>> {
        self.validate()?;
        let page_number = std::num::NonZeroU32::new(page)
            .ok_or_else(|| Error::input("page", Some("0".into()), "must be at least 1"))?;
        let (per_page, status, deploy) = (self.per_page, self.status, self.deploy);
        let call: Call<Vec<types::CertificatePack>> = zone_call!(self.packs.zone => zone, api, ListCertificatePacks, {
            let mut builder = api
                .list_certificate_packs()
                .zone_id(zone.id())
                .page(page_number);
            if let Some(p) = per_page {
                builder = builder.per_page(i64::from(p));
            }
            if let Some(s) = status {
                builder = builder.status(s);
            }
            if let Some(d) = deploy {
                builder = builder.deploy(d);
            }
            builder
        });
        let response = call.options(self.options.clone()).with_response().await?;
        Ok(Page {
            items: response.result,
            page,
            result_info: response.result_info,
            meta: response.meta,
        })
    }

    /// For streams: fetches page `page` and checks that the server answered for that page.
    async fn fetch_checked(self, page: u32) -> Result<Page<types::CertificatePack>> {
        let got = self.fetch(page).await?;
        match got.reported_page().filter(|r| *r != got.page) {
            Some(reported) => Err(Error::Pagination {
                problem: format!(
                    "asked for page {}, the server answered with page {reported}",
                    got.page
                ),
            }),
            None => Ok(got),
        }
    }

    /// Gets one page (page 1 unless [`page`](Self::page) was set).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let page = packs.list().send().await?;
    /// assert_eq!(page.page, 1);
    /// // All 6 fit on one page of the default 20:
    /// assert_eq!(page.total_count(), Some(page.items.len() as u32));
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Page<types::CertificatePack>> {
        let page = self.page.unwrap_or(1);
        self.fetch(page).await
    }

    /// Whether `total_pages` is explained by `total_count` and `per_page`, when both are sent.
    fn plausible(page: &Page<types::CertificatePack>, total: u32) -> Result<()> {
        if let (Some(count), Some(per_page)) = (page.total_count(), page.per_page())
            && per_page > 0
            && total != count.div_ceil(per_page)
            && !(count == 0 && total <= 1)
        {
            return Err(Error::Pagination {
                problem: format!(
                    "total_pages {total} does not fit total_count {count} at {per_page} a page"
                ),
            });
        }
        Ok(())
    }

    /// What comes after `page`, having fetched `fetched` pages so far.
    fn next_state(
        self,
        page: &Page<types::CertificatePack>,
        fetched: u32,
        previous_first: Option<&str>,
    ) -> Result<State> {
        let current = page.page;
        let first = page.items.first().map(|p| p.id.as_str());
        if first.is_none() {
            return Ok(State::Done);
        }
        if first.is_some() && first == previous_first {
            return Err(Error::Pagination {
                problem: format!(
                    "page {current} repeats the previous page (the server ignores `page`)"
                ),
            });
        }
        let next = match page.total_pages() {
            Some(total) if current >= total => return Ok(State::Done),
            Some(total) => {
                Self::plausible(page, total)?;
                Some(total)
            }
            None => {
                let per_page = page
                    .per_page()
                    .or(self.per_page)
                    .unwrap_or(DEFAULT_PER_PAGE) as usize;
                if page.items.len() < per_page {
                    return Ok(State::Done);
                }
                None
            }
        };
        if fetched >= self.max_pages {
            return Err(Error::Pagination {
                problem: format!(
                    "more than {} pages; raise `max_pages` if this zone really has that many",
                    self.max_pages
                ),
            });
        }
        match next {
            Some(total) if self.prefetch > 1 => {
                let width = self.prefetch;
                // Never beyond the page cap, whatever `total_pages` says.
                let last = total.min(current.saturating_add(self.max_pages - fetched));
                let cap = self.max_pages;
                let over_cap = total > last;
                let pages = stream::iter(current + 1..=last)
                    .map(move |n| self.clone().fetch_checked(n))
                    .buffered(width)
                    .chain(stream::iter(over_cap.then(|| {
                        Err(Error::Pagination {
                            problem: format!(
                                "more than {cap} pages; raise `max_pages` if this zone really has that many"
                            ),
                        })
                    })));
                Ok(State::Prefetch(pages.boxed()))
            }
            _ => Ok(State::Fetch {
                list: Box::new(self),
                page: current + 1,
                fetched,
                previous_first: first.map(str::to_owned),
            }),
        }
    }

    /// Every page, in order, ending after the last page or the first error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use futures::TryStreamExt;
    /// let pages: Vec<_> = packs.list().per_page(5).stream().try_collect().await?;
    /// assert_eq!(pages.iter().map(|page| page.page).collect::<Vec<_>>(), [1, 2]);
    /// assert_eq!(pages.iter().map(|page| page.items.len()).sum::<usize>(), 6);
    /// # Ok(()) }
    /// ```
    pub fn stream(
        self,
    ) -> impl Stream<Item = Result<Page<types::CertificatePack>>> + Send + 'static {
        let first = self.page.unwrap_or(1);
        let start = State::Fetch {
            list: Box::new(self),
            page: first,
            fetched: 0,
            previous_first: None,
        };
        stream::unfold(start, |state| async move {
            match state {
                State::Fetch {
                    list,
                    page,
                    fetched,
                    previous_first,
                } => match list.clone().fetch_checked(page).await {
                    Ok(got) => {
                        match list.next_state(&got, fetched + 1, previous_first.as_deref()) {
                            Ok(next) => Some((Ok(got), next)),
                            // Yield the page, then the error on the next poll.
                            Err(e) => {
                                Some((Ok(got), State::Prefetch(stream::iter([Err(e)]).boxed())))
                            }
                        }
                    }
                    Err(e) => Some((Err(e), State::Done)),
                },
                State::Prefetch(mut pages) => match pages.next().await? {
                    Ok(got) if got.items.is_empty() => Some((Ok(got), State::Done)),
                    Ok(got) => Some((Ok(got), State::Prefetch(pages))),
                    Err(e) => Some((Err(e), State::Done)),
                },
                State::Done => None,
            }
        })
    }

    /// Every certificate pack across all pages, in order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use futures::TryStreamExt;
    /// let mut items = std::pin::pin!(packs.list().per_page(5).items());
    /// while let Some(pack) = items.try_next().await? {
    ///     println!("{}: {}", pack.id, pack.status);
    /// # assert_eq!(pack.status.as_str(), "active");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn items(self) -> impl Stream<Item = Result<types::CertificatePack>> + Send + 'static {
        self.stream()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }
}
