//! Configuration of a [`super::MockServer`]: seeded zones, credentials, clock, lifecycle timings
//! and rate limit.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Zone id of the primary seeded zone, `example.com` (the identifier used throughout
/// Cloudflare's API reference).
pub const DEFAULT_ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// Name of the primary seeded zone.
pub const DEFAULT_ZONE_NAME: &str = "example.com";
/// Zone id of the second seeded zone, `example.net` (advanced quota of 1, no advanced packs).
pub const SECOND_ZONE_ID: &str = "9a7806061c88ada191ed06f989cc3dac";
/// Name of the second seeded zone.
pub const SECOND_ZONE_NAME: &str = "example.net";
/// The API token the mock accepts by default (`Authorization: Bearer …`).
pub const DEFAULT_API_TOKEN: &str = "mock-cloudflare-api-token-0123456789abcdef";
/// The account email the mock accepts by default with [`DEFAULT_API_KEY`] (`X-Auth-Email`).
pub const DEFAULT_API_EMAIL: &str = "user@example.com";
/// The global API key the mock accepts by default with [`DEFAULT_API_EMAIL`] (`X-Auth-Key`).
pub const DEFAULT_API_KEY: &str = "144c9defac04969c7bfad8efaa8ea194";
/// The user service key the mock accepts by default (`X-Auth-User-Service-Key`).
pub const DEFAULT_USER_SERVICE_KEY: &str = "v1.0-mock-user-service-key-0123456789abcdef";

/// How the mock's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Time moves only when the test says so ([`super::MockServer::advance`],
    /// [`super::MockServer::tick`], [`super::MockServer::settle`], or the admin routes): fully
    /// deterministic, no sleeping. The clock of [`Preset::Manual`]
    /// ([`super::MockServer::start_manual`]).
    Manual,
    /// Time follows the wall clock (measured with `tokio::time::Instant`, so a test runtime with
    /// paused time drives it too), plus any manual advance. The clock of [`Preset::Demo`] (the
    /// default of [`super::MockServer::start`]) and [`Preset::Realistic`] (the binary's).
    #[default]
    Realtime,
}

/// A coherent set of clock, lifecycle timings and lifecycle realism, chosen with
/// [`super::MockServerBuilder::preset`].
///
/// | preset | clock | time in each status | `validation_records` right after ordering | used by |
/// |---|---|---|---|---|
/// | [`Preset::Demo`] | wall clock | 250 ms (a new pack is `active` after 1 s) | `[]`, filled in after 250 ms | [`super::MockServer::start`], [`super::MockServer::builder`] |
/// | [`Preset::Realistic`] | wall clock | 10 s, 60 s, 30 s, 30 s (active after ~2 min) | `[]`, filled in after 10 s | the `cloudflare-ssl-mock` binary |
/// | [`Preset::Manual`] | manual ([`ClockMode::Manual`]) | 10 s, 60 s, 30 s, 30 s of mock time | present at once | [`super::MockServer::start_manual`], [`super::MockServerBuilder::manual_clock`] |
///
/// "Filled in after": the mock answers `validation_records: []` while a new pack is
/// `initializing`, and the records from its move to `pending_validation` on (see
/// [`super::MockServerBuilder::delayed_validation_records`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Preset {
    /// Moves on its own, fast: every lifecycle step takes 250 ms of real time, so a pack
    /// ordered now is `active` about one second later and `wait_until_active` finishes.
    /// Validation records appear after the first step, as with the real API.
    #[default]
    Demo,
    /// Moves on its own at a pace close to the real API's: 10 s initializing, 60 s pending
    /// validation, 30 s pending issuance, 30 s pending deployment; validation records appear
    /// after the first 10 s.
    Realistic,
    /// For deterministic tests: time moves only when the test says so, and a new pack shows its
    /// validation records at once.
    Manual,
}

impl Preset {
    /// The clock of this preset.
    pub fn clock(self) -> ClockMode {
        match self {
            Preset::Demo | Preset::Realistic => ClockMode::Realtime,
            Preset::Manual => ClockMode::Manual,
        }
    }

    /// The lifecycle timings of this preset.
    pub fn timings(self) -> LifecycleTimings {
        match self {
            Preset::Demo => LifecycleTimings::uniform(Duration::from_millis(250)),
            Preset::Realistic | Preset::Manual => LifecycleTimings::default(),
        }
    }

    /// Whether a new pack hides its validation records while `initializing`.
    pub fn delayed_validation_records(self) -> bool {
        !matches!(self, Preset::Manual)
    }
}

/// How long a new certificate pack stays in each status before the clock moves it on.
///
/// `initializing` → `pending_validation` → `pending_issuance` → `pending_deployment` → `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleTimings {
    /// Time in `initializing` (DCV records are already shown).
    pub initializing: Duration,
    /// Time in `pending_validation` before the CA sees the DCV records.
    pub pending_validation: Duration,
    /// Time in `pending_issuance`.
    pub pending_issuance: Duration,
    /// Time in `pending_deployment`.
    pub pending_deployment: Duration,
}

impl Default for LifecycleTimings {
    /// 10 s, 60 s, 30 s, 30 s.
    fn default() -> Self {
        LifecycleTimings {
            initializing: Duration::from_secs(10),
            pending_validation: Duration::from_secs(60),
            pending_issuance: Duration::from_secs(30),
            pending_deployment: Duration::from_secs(30),
        }
    }
}

impl LifecycleTimings {
    /// The same duration for every step (e.g. one second for a quick demo in realtime mode).
    pub fn uniform(step: Duration) -> Self {
        LifecycleTimings {
            initializing: step,
            pending_validation: step,
            pending_issuance: step,
            pending_deployment: step,
        }
    }
}

/// The mock's rate limit: `limit` requests per `window` per credential, on the mock's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Requests allowed per window.
    pub limit: u32,
    /// Length of the window.
    pub window: Duration,
}

impl Default for RateLimitPolicy {
    /// Cloudflare's global limit: 1,200 requests per 5 minutes.
    fn default() -> Self {
        RateLimitPolicy {
            limit: 1200,
            window: Duration::from_secs(300),
        }
    }
}

/// A zone to seed the mock with. Every zone gets an active Universal SSL pack for its apex and
/// wildcard, Universal SSL enabled and automatic SSL/TLS mode `auto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSeed {
    /// Zone identifier (at most 32 characters, like Cloudflare's).
    pub id: String,
    /// Zone apex, e.g. `example.com`.
    pub name: String,
    /// Advanced certificate packs allowed (`quota.advanced.allocated`).
    pub advanced_quota: u32,
    /// Active advanced packs already present (they count towards the quota).
    pub advanced_packs: u32,
}

impl ZoneSeed {
    /// A zone with no advanced quota and no advanced packs.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        ZoneSeed {
            id: id.into(),
            name: name.into(),
            advanced_quota: 0,
            advanced_packs: 0,
        }
    }

    /// Sets the advanced certificate pack quota.
    #[must_use]
    pub fn advanced_quota(mut self, allocated: u32) -> Self {
        self.advanced_quota = allocated;
        self
    }

    /// Seeds this many active advanced packs.
    #[must_use]
    pub fn advanced_packs(mut self, count: u32) -> Self {
        self.advanced_packs = count;
        self
    }

    /// The default zones: `example.com` ([`DEFAULT_ZONE_ID`], quota 10, 5 active advanced packs,
    /// so 6 packs in all) and `example.net` ([`SECOND_ZONE_ID`], quota 1, only its universal
    /// pack).
    pub fn defaults() -> Vec<ZoneSeed> {
        vec![
            ZoneSeed::new(DEFAULT_ZONE_ID, DEFAULT_ZONE_NAME)
                .advanced_quota(10)
                .advanced_packs(5),
            ZoneSeed::new(SECOND_ZONE_ID, SECOND_ZONE_NAME).advanced_quota(1),
        ]
    }
}

/// Accepted credentials (never shown by `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) token: String,
    pub(crate) email: String,
    pub(crate) key: String,
    pub(crate) user_service_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

/// Default cap on queued fault rules set over `POST /__mock/faults`.
pub const DEFAULT_MAX_FAULT_RULES: usize = 1000;
/// Default cap on a latency set over `POST /__mock/latency`: 60 s.
pub const DEFAULT_MAX_LATENCY: Duration = Duration::from_secs(60);

/// Everything a mock is started with; built by [`super::MockServerBuilder`].
#[derive(Debug, Clone)]
pub(crate) struct MockConfig {
    pub(crate) host: IpAddr,
    pub(crate) port: u16,
    pub(crate) credentials: Credentials,
    pub(crate) zones: Vec<ZoneSeed>,
    pub(crate) clock: ClockMode,
    pub(crate) start_time: Option<DateTime<Utc>>,
    pub(crate) timings: LifecycleTimings,
    pub(crate) rate_limit: Option<RateLimitPolicy>,
    pub(crate) seed: u64,
    pub(crate) admin_routes: bool,
    pub(crate) delayed_records: bool,
    pub(crate) record: Option<std::path::PathBuf>,
    pub(crate) record_options: crate::record::RecordOptions,
    pub(crate) limits: crate::http::ServerLimits,
    pub(crate) admin_token: Option<crate::http::Secret>,
    pub(crate) admin_hosts: Vec<String>,
    pub(crate) max_fault_rules: usize,
    pub(crate) max_latency: Duration,
    pub(crate) user_routes: Vec<crate::custom::UserRoute>,
    pub(crate) max_user_routes: usize,
    pub(crate) record_har: Option<std::path::PathBuf>,
}

impl MockConfig {
    /// Applies a preset's clock, timings and lifecycle realism.
    pub(crate) fn apply(&mut self, preset: Preset) {
        self.clock = preset.clock();
        self.timings = preset.timings();
        self.delayed_records = preset.delayed_validation_records();
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        let preset = Preset::default();
        MockConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            credentials: Credentials {
                token: DEFAULT_API_TOKEN.into(),
                email: DEFAULT_API_EMAIL.into(),
                key: DEFAULT_API_KEY.into(),
                user_service_key: DEFAULT_USER_SERVICE_KEY.into(),
            },
            zones: ZoneSeed::defaults(),
            clock: preset.clock(),
            start_time: None,
            timings: preset.timings(),
            rate_limit: Some(RateLimitPolicy::default()),
            seed: 0x5eed_c10d_f1a2_e551,
            admin_routes: true,
            delayed_records: preset.delayed_validation_records(),
            record: None,
            record_options: crate::record::RecordOptions::default(),
            limits: crate::http::ServerLimits::default(),
            admin_token: None,
            admin_hosts: Vec::new(),
            max_fault_rules: DEFAULT_MAX_FAULT_RULES,
            max_latency: DEFAULT_MAX_LATENCY,
            user_routes: Vec::new(),
            max_user_routes: crate::custom::DEFAULT_MAX_USER_ROUTES,
            record_har: None,
        }
    }
}
