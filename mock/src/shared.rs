//! What the mock's request handlers share: the server's state ([`Shared`]) and the reply the
//! pipeline decided to send ([`Reply`]). Beneath both the API pipeline (`server.rs`) and the
//! admin routes (`admin.rs`), so neither has to import the other's internals.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde_json::Value;

use crate::config::MockConfig;
use crate::faults::FaultPlan;
use crate::http::API_PREFIX;
use crate::routes;
use crate::spec::{Contract, RouteMatch};
use crate::state::State;
use crate::sync::lock;

/// Everything the request handlers share.
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    pub(crate) contract: Arc<Contract>,
    /// The pack schema, compiled once, for pack answers composed from validated parts.
    pub(crate) parts: Option<routes::PartValidators>,
    /// Routes found recently ([`Shared::route`]).
    routes: Mutex<RouteCache>,
    pub(crate) addr: SocketAddr,
    state: Mutex<State>,
    faults: Arc<Mutex<FaultPlan>>,
    pub(crate) violations: Mutex<Vec<String>>,
    /// The last answer given as a value of each operation: status, JSON text and what
    /// validating it found (`server::pipeline` validates an equal answer once).
    pub(crate) validated: Mutex<ValidatedAnswers>,
    /// The last request checked against the document, per operation (`server::process`).
    pub(crate) checked: Mutex<std::collections::BTreeMap<&'static str, LastCheck>>,
    rays: AtomicU64,
    pub(crate) recorder: Option<Arc<crate::record::Recorder>>,
    pub(crate) gate: Arc<crate::http::Gate>,
    pub(crate) admin_access: crate::http::AdminAccess,
    user_routes: Mutex<Vec<crate::custom::UserRoute>>,
}

impl Shared {
    pub(crate) fn new(
        config: MockConfig,
        contract: Arc<Contract>,
        addr: SocketAddr,
        recorder: Option<Arc<crate::record::Recorder>>,
    ) -> Self {
        Shared {
            user_routes: Mutex::new(config.user_routes.clone()),
            gate: crate::http::Gate::new(config.limits),
            admin_access: crate::http::AdminAccess {
                token: config.admin_token.clone(),
                bound: addr.ip(),
                hosts: config.admin_hosts.clone(),
            },
            state: Mutex::new(State::new(&config)),
            config,
            // Should it not compile on its own, pack answers are validated whole instead.
            parts: routes::PartValidators::compile(&contract).ok(),
            routes: Mutex::new(RouteCache::default()),
            contract,
            addr,
            faults: Arc::new(Mutex::new(FaultPlan::default())),
            violations: Mutex::new(Vec::new()),
            validated: Mutex::new(ValidatedAnswers::new()),
            checked: Mutex::new(std::collections::BTreeMap::new()),
            rays: AtomicU64::new(0),
            recorder,
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultPlan> {
        lock(&self.faults)
    }

    /// The fault plan itself, for the [`Faults`](crate::Faults) handle.
    pub(crate) fn fault_plan(&self) -> Arc<Mutex<FaultPlan>> {
        Arc::clone(&self.faults)
    }

    pub(crate) fn violations(&self) -> Vec<String> {
        lock(&self.violations).clone()
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.advertised())
    }

    /// The address clients use: loopback when bound to an unspecified address (`0.0.0.0`).
    pub(crate) fn advertised(&self) -> SocketAddr {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        addr
    }

    /// The user routes now.
    pub(crate) fn user_routes(&self) -> MutexGuard<'_, Vec<crate::custom::UserRoute>> {
        lock(&self.user_routes)
    }

    /// Back to the seeded state: zones, clock, counters, faults, user routes and recorded
    /// violations.
    pub(crate) fn reset(&self) {
        *self.user_routes() = self.config.user_routes.clone();
        *self.state() = State::new(&self.config);
        *self.faults() = FaultPlan::default();
        lock(&self.violations).clear();
    }

    /// [`Contract::route`], remembered for the paths of recent calls: the document does not
    /// change while the server runs, so a `(method, path)` routes the same way every time.
    /// Only found operations are remembered, of paths up to [`ROUTE_PATH_REMEMBERED`] bytes, for
    /// at most [`ROUTES_REMEMBERED`] paths (then forgotten all at once).
    pub(crate) fn route<'c>(&'c self, method: &str, path: &str) -> RouteMatch<'c> {
        if let Some((operation_id, params)) = lock(&self.routes)
            .found
            .get(path)
            .and_then(|by_method| by_method.iter().find(|(m, _, _)| m == method))
            .map(|(_, id, params)| (id.clone(), params.clone()))
            && let Some(op) = self.contract.operation(&operation_id)
        {
            return RouteMatch::Found(op, params);
        }
        let found = self.contract.route(method, path);
        if let RouteMatch::Found(op, params) = &found
            && path.len() <= ROUTE_PATH_REMEMBERED
        {
            let mut cache = lock(&self.routes);
            if cache.found.len() >= ROUTES_REMEMBERED {
                cache.found.clear();
            }
            let by_method = cache.found.entry(path.to_owned()).or_default();
            if !by_method.iter().any(|(m, _, _)| m == method) {
                by_method.push((method.to_owned(), op.operation_id.clone(), params.clone()));
            }
        }
        found
    }

    pub(crate) fn ray(&self) -> String {
        let n = self.rays.fetch_add(1, Ordering::Relaxed);
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15) ^ (u64::from(self.addr.port()) << 40);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        // `{:016x}-SJC`, written directly (this runs for every answer).
        let z = z ^ (z >> 31);
        let mut ray = String::with_capacity(20);
        for shift in (0..16).rev() {
            let nibble = (z >> (shift * 4)) & 0xf;
            ray.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
        }
        ray.push_str("-SJC");
        ray
    }
}

/// The last validated value answer of each operation (`operationId`): status, JSON text and
/// violations.
pub(crate) type ValidatedAnswers =
    std::collections::BTreeMap<&'static str, (u16, Bytes, Vec<crate::spec::Violation>)>;

/// A request's inputs and what checking them against the operation found.
pub(crate) struct LastCheck {
    pub(crate) params: std::collections::BTreeMap<String, String>,
    pub(crate) query: String,
    pub(crate) raw: Bytes,
    pub(crate) checked: crate::spec::CheckedRequest,
}

/// At most this many paths' routes are remembered ([`Shared::route`]).
const ROUTES_REMEMBERED: usize = 1024;
/// Only paths up to this length are remembered, so the memory held stays small (about
/// 1,024 × 3 × 256 bytes) whatever paths clients send.
const ROUTE_PATH_REMEMBERED: usize = 256;

/// Found routes by path, then method: the operation and the path parameters.
#[derive(Default)]
struct RouteCache {
    found: std::collections::HashMap<String, Vec<RememberedRoute>>,
}

/// A method, the `operationId` it routes to, and the path parameters.
type RememberedRoute = (String, String, std::collections::BTreeMap<String, String>);

/// What the pipeline decided to send.
pub(crate) enum Reply {
    /// A complete response.
    Complete {
        status: u16,
        content_type: &'static str,
        body: Bytes,
        headers: Vec<(&'static str, String)>,
    },
    /// Headers announcing `full_len` bytes, then `partial`, then the connection is cut.
    Truncated {
        status: u16,
        full_len: usize,
        partial: Bytes,
        headers: Vec<(&'static str, String)>,
    },
    /// Close the connection without a response.
    Drop,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply::Complete {
            status,
            content_type: "application/json",
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        match &mut self {
            Reply::Complete { headers, .. } | Reply::Truncated { headers, .. } => {
                headers.push((name, value));
            }
            Reply::Drop => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_routes_match_the_document() {
        let contract = Contract::shared().expect("the document compiles");
        let shared = Shared::new(
            MockConfig::default(),
            Arc::clone(&contract),
            SocketAddr::from(([127, 0, 0, 1], 0)),
            None,
        );
        let found = |m: RouteMatch<'_>| match m {
            RouteMatch::Found(op, params) => Some((op.operation_id.clone(), params)),
            _ => None,
        };
        let pack = "/zones/023e105f4ecef8ad9ca31a8372d0c353/ssl/certificate_packs/a%2Fb";
        for _ in 0..2 {
            for method in ["GET", "PATCH", "DELETE", "POST"] {
                assert_eq!(
                    found(shared.route(method, pack)),
                    found(contract.route(method, pack)),
                    "{method}"
                );
            }
        }
        let (operation, params) = found(shared.route("GET", pack)).expect("routed");
        assert_eq!(operation, "get_certificate_pack");
        assert_eq!(
            params.get("certificate_pack_id").map(String::as_str),
            Some("a/b")
        );
        let long = format!("/zones/{}/ssl/certificate_packs/quota", "z".repeat(300));
        assert!(found(shared.route("GET", &long)).is_some());
        let cache = lock(&shared.routes);
        assert!(cache.found.contains_key(pack));
        assert_eq!(
            cache.found.get(pack).map(Vec::len),
            Some(3),
            "GET, PATCH, DELETE"
        );
        assert!(!cache.found.contains_key(&long));
    }
}
