//! Listing certificate packs: one page, or every pack as a stream.
//!
//! The stream stops on `result_info.total_pages`, so it never fetches an empty page past the
//! end (Cloudflare's official SDKs stop only on an empty page). Without `result_info` it stops
//! on the first page shorter than `per_page`. Once the number of pages is known it can fetch up
//! to N pages concurrently, still yielding them in order.

use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};

use crate::call::Call;
use crate::error::{Error, Result};
use crate::resources::Zone;
use crate::transport::{RequestOptions, ResponseMeta};
use crate::types;

/// Smallest and largest `per_page` the API accepts.
pub const PER_PAGE_RANGE: std::ops::RangeInclusive<u32> = 5..=50;
/// The API's `per_page` when none is given.
pub const DEFAULT_PER_PAGE: u32 = 20;

/// One page of results.
#[derive(Clone, Debug)]
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
    pub fn total_pages(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.total_pages))
    }

    /// `result_info.total_count`, if sent.
    pub fn total_count(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.total_count))
    }

    /// `result_info.per_page`, if sent.
    pub fn per_page(&self) -> Option<u32> {
        to_u32(self.result_info.as_ref().and_then(|i| i.per_page))
    }
}

/// A certificate pack listing, from [`CertificatePacks::list`](crate::CertificatePacks::list).
///
/// ```no_run
/// use futures::TryStreamExt;
/// use cloudflare_ssl::types::CertificatePackListStatus;
///
/// # async fn demo(zone: cloudflare_ssl::Zone) -> cloudflare_ssl::Result<()> {
/// // One page, with result_info:
/// let page = zone.certificate_packs().list().per_page(50).send().await?;
/// println!("{} of {:?}", page.items.len(), page.total_count());
/// // Every pack of every status, 4 pages in flight at a time:
/// let all: Vec<_> = zone
///     .certificate_packs()
///     .list()
///     .status(CertificatePackListStatus::All)
///     .per_page(50)
///     .prefetch(4)
///     .items()
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a listing does nothing until sent or streamed"]
pub struct ListCertificatePacks<'z> {
    zone: &'z Zone,
    page: Option<u32>,
    per_page: Option<u32>,
    status: Option<types::CertificatePackListStatus>,
    deploy: Option<types::CertificatePackDeploy>,
    prefetch: usize,
    options: RequestOptions,
}

enum State<'z> {
    Fetch(ListCertificatePacks<'z>, u32),
    Prefetch(BoxStream<'z, Result<Page<types::CertificatePack>>>),
    Done,
}

impl<'z> ListCertificatePacks<'z> {
    pub(crate) fn new(zone: &'z Zone) -> Self {
        Self {
            zone,
            page: None,
            per_page: None,
            status: None,
            deploy: None,
            prefetch: 1,
            options: RequestOptions::default(),
        }
    }

    /// Page size, 5 to 50 (the API's default is 20).
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// The page to get (1-based); for streams, the first page.
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// `All` lists packs of every status, not just active ones.
    pub fn status(mut self, status: types::CertificatePackListStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The deployment environment (`staging` or `production`).
    pub fn deploy(mut self, deploy: types::CertificatePackDeploy) -> Self {
        self.deploy = Some(deploy);
        self
    }

    /// For streams: fetch up to `pages` pages concurrently once the number of pages is known
    /// (1, the default, fetches one after another). Items still arrive in order.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages.max(1);
        self
    }

    /// Per-request options (timeout, retry policy) for every page.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    fn validate(&self) -> Result<()> {
        if let Some(p) = self.per_page {
            if !PER_PAGE_RANGE.contains(&p) {
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
        }
        if self.page == Some(0) {
            return Err(Error::input("page", Some("0".into()), "must be at least 1"));
        }
        Ok(())
    }

    async fn fetch(&self, page: u32) -> Result<Page<types::CertificatePack>> {
        self.validate()?;
        let page_number = std::num::NonZeroU32::new(page)
            .ok_or_else(|| Error::input("page", Some("0".into()), "must be at least 1"))?;
        let mut builder = self
            .zone
            .api()
            .list_certificate_packs()
            .zone_id(self.zone.id())
            .page(page_number);
        if let Some(p) = self.per_page {
            builder = builder.per_page(i64::from(p));
        }
        if let Some(s) = self.status {
            builder = builder.status(s);
        }
        if let Some(d) = self.deploy {
            builder = builder.deploy(d);
        }
        let response = Call::new("list_certificate_packs", builder.send())
            .options(self.options.clone())
            .with_response()
            .await?;
        Ok(Page {
            items: response.result,
            page,
            result_info: response.result_info,
            meta: response.meta,
        })
    }

    /// Gets one page (page 1 unless [`page`](Self::page) was set).
    pub async fn send(self) -> Result<Page<types::CertificatePack>> {
        self.fetch(self.page.unwrap_or(1)).await
    }

    /// What comes after `page`.
    fn next_state(self, page: &Page<types::CertificatePack>) -> State<'z> {
        let current = page.page;
        match page.total_pages() {
            Some(total) if current >= total => State::Done,
            Some(total) if self.prefetch > 1 => {
                let width = self.prefetch;
                let pages = stream::iter(current + 1..=total)
                    .map(move |n| {
                        let list = self.clone();
                        async move { list.fetch(n).await }
                    })
                    .buffered(width);
                State::Prefetch(pages.boxed())
            }
            Some(_) => State::Fetch(self, current + 1),
            None => {
                let per_page = page
                    .per_page()
                    .or(self.per_page)
                    .unwrap_or(DEFAULT_PER_PAGE) as usize;
                if page.items.is_empty() || page.items.len() < per_page {
                    State::Done
                } else {
                    State::Fetch(self, current + 1)
                }
            }
        }
    }

    /// Every page, in order, ending after the last page or the first error.
    pub fn stream(self) -> impl Stream<Item = Result<Page<types::CertificatePack>>> + Send + 'z {
        let first = self.page.unwrap_or(1);
        stream::unfold(State::Fetch(self, first), |state| async move {
            match state {
                State::Fetch(list, n) => match list.fetch(n).await {
                    Ok(page) => {
                        let next = list.next_state(&page);
                        Some((Ok(page), next))
                    }
                    Err(e) => Some((Err(e), State::Done)),
                },
                State::Prefetch(mut pages) => match pages.next().await? {
                    Ok(page) => Some((Ok(page), State::Prefetch(pages))),
                    Err(e) => Some((Err(e), State::Done)),
                },
                State::Done => None,
            }
        })
    }

    /// Every certificate pack across all pages, in order.
    pub fn items(self) -> impl Stream<Item = Result<types::CertificatePack>> + Send + 'z {
        self.stream()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }
}
