//! The mock's world: zones, certificate packs and their lifecycle, settings, the clock, rate-limit
//! windows and counters. Everything here is synchronous and guarded by one mutex in
//! [`super::server::Shared`].

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::config::{ClockMode, LifecycleTimings, MockConfig, RateLimitPolicy, ZoneSeed};
use crate::faults::Counters;

/// Every `CertificatePackStatus` of the curated document (generated from it).
pub(crate) const PACK_STATUSES: &[&str] = cloudflare_ssl::types::CertificatePackStatus::VALUES;

/// Statuses in which a pack's certificates have been issued.
const ISSUED: [&str; 7] = [
    "pending_deployment",
    "active",
    "pending_expiration",
    "expired",
    "staging_deployment",
    "staging_active",
    "backup_issued",
];

/// Statuses whose validation records are still relevant.
const VALIDATING: [&str; 3] = ["initializing", "pending_validation", "validation_timed_out"];

/// The clock the lifecycle runs on.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    mode: ClockMode,
    base: DateTime<Utc>,
    offset: TimeDelta,
    started: tokio::time::Instant,
}

impl Clock {
    pub(crate) fn new(mode: ClockMode, base: DateTime<Utc>) -> Self {
        Clock {
            mode,
            base,
            offset: TimeDelta::zero(),
            started: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let running = match self.mode {
            ClockMode::Realtime => {
                TimeDelta::from_std(self.started.elapsed()).unwrap_or(TimeDelta::zero())
            }
            _ => TimeDelta::zero(),
        };
        self.base
            .checked_add_signed(self.offset)
            .and_then(|t| t.checked_add_signed(running))
            .map_or(clock_limit(), |t| t.min(clock_limit()))
    }

    /// Moves the clock forward by `by`; refused (nothing moves) past [`clock_limit`].
    pub(crate) fn advance(&mut self, by: Duration) -> Result<(), ClockLimit> {
        let offset = TimeDelta::from_std(by)
            .ok()
            .and_then(|by| self.offset.checked_add(&by))
            .filter(|o| {
                self.base
                    .checked_add_signed(*o)
                    .is_some_and(|t| t <= clock_limit())
            })
            .ok_or(ClockLimit)?;
        self.offset = offset;
        Ok(())
    }
}

/// The latest time the mock's clock shows (year 9000): every date the lifecycle derives from it
/// (expiry a year later and so on) stays a four-digit RFC 3339 year, and no arithmetic on it
/// can overflow.
pub(crate) fn clock_limit() -> DateTime<Utc> {
    DateTime::from_timestamp(221_845_392_000, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The earliest start time (1970): seeded dates lie up to a year before the start.
fn earliest_start() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

/// The latest start time (a century before [`clock_limit`]), so the clock can move.
fn latest_start() -> DateTime<Utc> {
    clock_limit()
        .checked_sub_signed(TimeDelta::days(36_525))
        .unwrap_or_else(clock_limit)
}

/// An advance that would move the clock past [`clock_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClockLimit;

impl std::fmt::Display for ClockLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "would move the clock past {} (the mock's limit)",
            clock_limit().to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// The kind of a pack, as far as the mock distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PackKind {
    Universal,
    Advanced,
}

#[derive(Debug, Clone)]
pub(crate) struct Pack {
    pub(crate) id: String,
    pub(crate) kind: PackKind,
    pub(crate) hosts: Vec<String>,
    pub(crate) status: String,
    pub(crate) status_since: DateTime<Utc>,
    pub(crate) certificate_authority: String,
    pub(crate) validity_days: i64,
    /// `txt`, `http`, `email` or `cname` (the last only through verification PATCH).
    pub(crate) method: String,
    pub(crate) cloudflare_branding: bool,
    pub(crate) dcv_seed: u64,
    pub(crate) cert_ids: [String; 2],
    pub(crate) issued_on: Option<DateTime<Utc>>,
    /// Shows `validation_records: []` while `initializing` (the records come with the move to
    /// `pending_validation`), as the real API does right after an order.
    pub(crate) records_delayed: bool,
    /// Going through validation again for a renewal: the next issuance gives new dates.
    pub(crate) renewing: bool,
    /// The pack's last rendering, reused while every field it shows is unchanged.
    pub(crate) rendered: RenderCache,
}

/// A pack's rendering as the API shows it (its `CertificatePack` JSON text), made and validated
/// once and reused until the pack changes.
#[derive(Debug)]
pub(crate) struct RenderedPack {
    /// What the rendering shows: it is reused only while the pack and its zone still match.
    key: RenderKey,
    /// The pack's JSON text (`Pack::to_json` with the document's later additions filled in).
    pub(crate) json: bytes::Bytes,
    /// What validating that JSON against the document's `CertificatePack` schema found (empty
    /// when it conforms): reported again with every answer that carries it.
    pub(crate) violations: Vec<crate::spec::Violation>,
    /// The pack's item of `get_ssl_verification` (`None`: the pack has none), made on the first
    /// verification read of this rendering: it shows only fields of the rendering's key.
    pub(crate) verification: std::sync::OnceLock<Option<RenderedPart>>,
}

/// A validated piece of an answer other than the pack itself (see
/// [`RenderedPack::verification`]).
#[derive(Debug)]
pub(crate) struct RenderedPart {
    /// Its JSON text.
    pub(crate) json: bytes::Bytes,
    /// What validating it against its schema found (empty when it conforms).
    pub(crate) violations: Vec<crate::spec::Violation>,
}

/// The slot of a pack's [`RenderedPack`]. Reads fill it through `&Pack` (the state is behind
/// one mutex, so a `RefCell` is enough); a clone of the pack starts with an empty slot.
#[derive(Debug, Default)]
pub(crate) struct RenderCache(std::cell::RefCell<Option<std::sync::Arc<RenderedPack>>>);

impl Clone for RenderCache {
    fn clone(&self) -> Self {
        RenderCache::default()
    }
}

/// Every input of `Pack::to_json`: the pack's fields it shows and its zone's id and name. A
/// rendering is reused only when all of them are equal to the ones it was made from, so no
/// mutation (an edit, a lifecycle move, a status set by the admin routes, a renewal) can be
/// missed, wherever it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RenderKey {
    id: String,
    kind: PackKind,
    hosts: Vec<String>,
    status: String,
    certificate_authority: String,
    validity_days: i64,
    method: String,
    cloudflare_branding: bool,
    dcv_seed: u64,
    cert_ids: [String; 2],
    issued_on: Option<DateTime<Utc>>,
    records_delayed: bool,
    zone_id: String,
    zone_name: String,
}

impl RenderKey {
    fn of(pack: &Pack, zone: &Zone) -> RenderKey {
        // Destructured without `..`: a new field of `Pack` must be placed here, as shown (in the
        // key) or not shown by `to_json` (ignored).
        let Pack {
            id,
            kind,
            hosts,
            status,
            status_since: _,
            certificate_authority,
            validity_days,
            method,
            cloudflare_branding,
            dcv_seed,
            cert_ids,
            issued_on,
            records_delayed,
            renewing: _,
            rendered: _,
        } = pack;
        RenderKey {
            id: id.clone(),
            kind: *kind,
            hosts: hosts.clone(),
            status: status.clone(),
            certificate_authority: certificate_authority.clone(),
            validity_days: *validity_days,
            method: method.clone(),
            cloudflare_branding: *cloudflare_branding,
            dcv_seed: *dcv_seed,
            cert_ids: cert_ids.clone(),
            issued_on: *issued_on,
            records_delayed: *records_delayed,
            zone_id: zone.id.clone(),
            zone_name: zone.name.clone(),
        }
    }

    /// Whether `pack` in `zone` would render as this key's pack did (no allocation).
    fn matches(&self, pack: &Pack, zone: &Zone) -> bool {
        self.id == pack.id
            && self.kind == pack.kind
            && self.hosts == pack.hosts
            && self.status == pack.status
            && self.certificate_authority == pack.certificate_authority
            && self.validity_days == pack.validity_days
            && self.method == pack.method
            && self.cloudflare_branding == pack.cloudflare_branding
            && self.dcv_seed == pack.dcv_seed
            && self.cert_ids == pack.cert_ids
            && self.issued_on == pack.issued_on
            && self.records_delayed == pack.records_delayed
            && self.zone_id == zone.id
            && self.zone_name == zone.name
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Zone {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) advanced_quota: u32,
    pub(crate) packs: Vec<Pack>,
    pub(crate) universal_enabled: bool,
    pub(crate) automatic_mode: String,
    pub(crate) automatic_mode_modified: DateTime<Utc>,
}

impl Zone {
    pub(crate) fn advanced_used(&self) -> usize {
        self.packs
            .iter()
            .filter(|p| p.kind == PackKind::Advanced)
            .count()
    }

    pub(crate) fn pack(&self, id: &str) -> Option<&Pack> {
        self.packs.iter().find(|p| p.id == id)
    }

    pub(crate) fn pack_mut(&mut self, id: &str) -> Option<&mut Pack> {
        self.packs.iter_mut().find(|p| p.id == id)
    }

    /// Whether `host` (possibly a wildcard) belongs to this zone.
    pub(crate) fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let base = host.strip_prefix("*.").unwrap_or(&host);
        let apex = self.name.to_ascii_lowercase();
        base == apex || base.ends_with(&format!(".{apex}"))
    }
}

/// A rate-limit window of one credential.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    used: u32,
}

/// The outcome of counting one request against the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateDecision {
    pub(crate) limit: u32,
    pub(crate) window_secs: u64,
    pub(crate) remaining: u32,
    pub(crate) reset_secs: u64,
    pub(crate) limited: bool,
}

/// A small deterministic generator (SplitMix64) for identifiers and DCV tokens.
#[derive(Debug, Clone)]
pub(crate) struct Ids(u64);

impl Ids {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// 32 lowercase hex characters, like Cloudflare identifiers.
    pub(crate) fn next_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable hex token derived from a seed and a label.
fn token(seed: u64, label: &str, len: usize) -> String {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::new();
    let mut n = 0u64;
    while out.len() < len {
        out.push_str(&format!("{:016x}", mix(h.wrapping_add(n))));
        n += 1;
    }
    out.truncate(len);
    out
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn rfc3339_micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The whole mutable world of a mock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) clock: Clock,
    pub(crate) zones: Vec<Zone>,
    pub(crate) ids: Ids,
    pub(crate) timings: LifecycleTimings,
    pub(crate) counters: Counters,
    delayed_records: bool,
    rate_limit: Option<RateLimitPolicy>,
    /// Rate-limit windows by a hash of the credential presented, at most [`MAX_RATE_KEYS`].
    windows: BTreeMap<u64, Window>,
}

impl State {
    pub(crate) fn new(config: &MockConfig) -> Self {
        let base = config
            .start_time
            .unwrap_or_else(|| {
                let now = Utc::now();
                DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
            })
            .clamp(earliest_start(), latest_start());
        let mut state = State {
            clock: Clock::new(config.clock, base),
            zones: Vec::new(),
            ids: Ids(config.seed),
            timings: config.timings,
            counters: Counters::default(),
            delayed_records: config.delayed_records,
            rate_limit: config.rate_limit,
            windows: BTreeMap::new(),
        };
        for seed in &config.zones {
            state.seed_zone(seed, base);
        }
        state
    }

    fn seed_zone(&mut self, seed: &ZoneSeed, now: DateTime<Utc>) {
        let apex = seed.name.to_ascii_lowercase();
        let mut zone = Zone {
            id: seed.id.clone(),
            name: apex.clone(),
            advanced_quota: seed.advanced_quota,
            packs: Vec::new(),
            universal_enabled: true,
            automatic_mode: "auto".into(),
            automatic_mode_modified: now - TimeDelta::days(30),
        };
        let issued = now - TimeDelta::days(20);
        let mut universal = self.new_pack(
            PackKind::Universal,
            vec![apex.clone(), format!("*.{apex}")],
            "lets_encrypt",
            90,
            "txt",
            issued,
        );
        universal.status = "active".into();
        universal.issued_on = Some(issued);
        zone.packs.push(universal);
        let samples: [(&str, &str, &str, i64); 5] = [
            ("*", "lets_encrypt", "txt", 90),
            ("www", "google", "txt", 90),
            ("shop", "lets_encrypt", "http", 30),
            ("api", "ssl_com", "email", 365),
            ("*.dev", "google", "txt", 14),
        ];
        for i in 0..seed.advanced_packs {
            let index = usize::try_from(i).unwrap_or(0) % samples.len();
            let (sub, ca, method, days) = samples[index];
            let round = usize::try_from(i).unwrap_or(0) / samples.len();
            let sub = if round == 0 {
                sub.to_owned()
            } else {
                // Later rounds are plain names (`*` is only valid as a whole first label).
                let name = sub.trim_start_matches('*').trim_start_matches('.');
                format!("{}{round}", if name.is_empty() { "wild" } else { name })
            };
            let issued = now - TimeDelta::days(i64::from(i % 10) + 1);
            let mut pack = self.new_pack(
                PackKind::Advanced,
                vec![apex.clone(), format!("{sub}.{apex}")],
                ca,
                days,
                method,
                issued,
            );
            pack.status = "active".into();
            pack.issued_on = Some(issued);
            zone.packs.push(pack);
        }
        self.zones.push(zone);
    }

    pub(crate) fn new_pack(
        &mut self,
        kind: PackKind,
        hosts: Vec<String>,
        certificate_authority: &str,
        validity_days: i64,
        method: &str,
        now: DateTime<Utc>,
    ) -> Pack {
        Pack {
            id: self.ids.next_id(),
            kind,
            hosts,
            status: "initializing".into(),
            status_since: now,
            certificate_authority: certificate_authority.into(),
            validity_days,
            method: method.into(),
            cloudflare_branding: false,
            dcv_seed: self.ids.next_u64(),
            cert_ids: [self.ids.next_id(), self.ids.next_id()],
            issued_on: None,
            records_delayed: self.delayed_records,
            renewing: false,
            rendered: RenderCache::default(),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }

    pub(crate) fn zone_mut(&mut self, id: &str) -> Option<&mut Zone> {
        self.zones.iter_mut().find(|z| z.id == id)
    }

    fn dwell(&self, status: &str) -> Option<(&'static str, TimeDelta)> {
        let t = &self.timings;
        let (next, d) = match status {
            "initializing" => ("pending_validation", t.initializing),
            "pending_validation" => ("pending_issuance", t.pending_validation),
            "pending_issuance" => ("pending_deployment", t.pending_issuance),
            "pending_deployment" => ("active", t.pending_deployment),
            _ => return None,
        };
        Some((next, TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)))
    }

    /// Applies every lifecycle event due at the current time, each pack's in time order:
    /// the status moves of validation and issuance, Cloudflare's renewal (an active pack whose
    /// certificates enter the renewal period goes through validation again, with new DCV
    /// tokens, and gets new dates when reissued) and expiry (certificates past `expires_on`
    /// that were not renewed: the pack becomes `expired`).
    pub(crate) fn settle_lifecycle(&mut self) {
        let now = self.now();
        let now_us = now.timestamp_micros();
        let mut zones = std::mem::take(&mut self.zones);
        for zone in &mut zones {
            for pack in &mut zone.packs {
                if !self.surely_nothing_due(pack, now_us) {
                    self.settle_pack(pack, now);
                }
            }
        }
        self.zones = zones;
    }

    /// A cheap, conservative form of [`State::settle_pack`]'s question "is any event of `pack`
    /// due at `now`" (every request asks it of every pack): `true` only when each event time,
    /// computed in whole microseconds rounded down (never later than the exact time), is after
    /// `now_us` (`now` rounded down), so each exact time is after `now` too. Any doubt
    /// (an overflow) answers `false`, and the exact path decides.
    fn surely_nothing_due(&self, pack: &Pack, now_us: i64) -> bool {
        let after = |at: Option<i64>| at.is_some_and(|t| t > now_us);
        let since = pack.status_since.timestamp_micros();
        if let Some((_, dwell)) = self.dwell(&pack.status) {
            let due = dwell.num_microseconds().and_then(|d| since.checked_add(d));
            if !after(due) {
                return false;
            }
        }
        let Some(issued) = pack.issued_on else {
            // No certificates: neither renewal nor expiry.
            return true;
        };
        let days = |n: i64| n.checked_mul(86_400_000_000);
        let expires =
            days(pack.validity_days).and_then(|v| issued.timestamp_micros().checked_add(v));
        if pack.status == "active" && !pack.renewing {
            let renewal = renewal_period(pack.validity_days)
                .num_microseconds()
                .and_then(|period| expires?.checked_sub(period))
                .map(|at| at.max(since));
            if !after(renewal) {
                return false;
            }
        }
        !pack.can_expire() || after(expires)
    }

    fn settle_pack(&mut self, pack: &mut Pack, now: DateTime<Utc>) {
        // Bounded: a century of 14-day renewals is under 3,000 events of each kind.
        for _ in 0..MAX_EVENTS_PER_SETTLE {
            let moving = self.dwell(&pack.status).and_then(|(next, dwell)| {
                let due = pack.status_since.checked_add_signed(dwell)?;
                Some((due, Event::Move(next)))
            });
            let renewal = pack
                .renewal_starts()
                .filter(|_| pack.status == "active" && !pack.renewing)
                .map(|at| (at.max(pack.status_since), Event::Renew));
            let expiry = pack
                .expires_on()
                .filter(|_| pack.can_expire())
                .map(|at| (at, Event::Expire));
            let next = [moving, renewal, expiry]
                .into_iter()
                .flatten()
                .filter(|(at, _)| *at <= now)
                .min_by_key(|(at, _)| *at);
            let Some((at, event)) = next else {
                return;
            };
            match event {
                Event::Move(next) => {
                    pack.status = next.into();
                    pack.status_since = at;
                    if next == "pending_deployment" && (pack.issued_on.is_none() || pack.renewing) {
                        pack.issued_on = Some(at);
                        pack.renewing = false;
                    }
                }
                Event::Renew => {
                    pack.status = "pending_validation".into();
                    pack.status_since = at;
                    pack.renewing = true;
                    pack.records_delayed = false;
                    pack.dcv_seed = self.ids.next_u64();
                }
                Event::Expire => {
                    pack.status = "expired".into();
                    pack.status_since = at;
                    pack.renewing = false;
                }
            }
        }
    }

    /// The earliest future lifecycle transition, if any pack is still moving.
    pub(crate) fn next_transition(&self) -> Option<DateTime<Utc>> {
        self.zones
            .iter()
            .flat_map(|z| z.packs.iter())
            .filter_map(|p| {
                let (_, dwell) = self.dwell(&p.status)?;
                p.status_since.checked_add_signed(dwell)
            })
            .min()
    }

    /// Moves the clock forward by `by` and applies due transitions.
    pub(crate) fn advance(&mut self, by: Duration) -> Result<(), ClockLimit> {
        self.clock.advance(by)?;
        self.settle_lifecycle();
        Ok(())
    }

    /// Moves the clock to the next transition (if any) and applies it.
    pub(crate) fn tick(&mut self) -> bool {
        self.settle_lifecycle();
        let Some(due) = self.next_transition() else {
            return false;
        };
        let now = self.now();
        if due > now
            && self
                .clock
                .advance((due - now).to_std().unwrap_or(Duration::ZERO))
                .is_err()
        {
            // The next transition lies past the clock's limit: nothing more can move.
            return false;
        }
        self.settle_lifecycle();
        true
    }

    /// Ticks until no pack is moving any more; returns the number of ticks.
    pub(crate) fn settle(&mut self) -> usize {
        let mut ticks = 0;
        while ticks < 10_000 && self.tick() {
            ticks += 1;
        }
        ticks
    }

    /// Forces a pack into `status` (any status of the document), as of now.
    pub(crate) fn set_pack_status(
        &mut self,
        zone_id: &str,
        pack_id: &str,
        status: &str,
    ) -> Result<Value, String> {
        if !PACK_STATUSES.contains(&status) {
            return Err(format!(
                "unknown certificate pack status `{status}` (expected one of {})",
                PACK_STATUSES.join(", ")
            ));
        }
        self.settle_lifecycle();
        let now = self.now();
        let zone = self
            .zones
            .iter_mut()
            .find(|z| z.id == zone_id)
            .ok_or_else(|| format!("unknown zone `{zone_id}`"))?;
        let pack = zone
            .packs
            .iter_mut()
            .find(|p| p.id == pack_id)
            .ok_or_else(|| format!("unknown certificate pack `{pack_id}` in zone `{zone_id}`"))?;
        pack.status = status.to_owned();
        pack.status_since = now;
        if pack.is_issued() && pack.issued_on.is_none() {
            pack.issued_on = Some(now);
        }
        let pack = pack.clone();
        Ok(pack.to_json(zone))
    }

    /// Counts one request of `key` against the rate limit.
    /// Whether requests are rate limited at all (else [`State::rate`] answers `None`).
    pub(crate) fn rate_limited(&self) -> bool {
        self.rate_limit.is_some()
    }

    pub(crate) fn rate(&mut self, key: &str) -> Option<RateDecision> {
        let policy = self.rate_limit?;
        let now = self.now();
        let window = TimeDelta::from_std(policy.window).unwrap_or(TimeDelta::MAX);
        let open = |w: &Window| {
            w.start
                .checked_add_signed(window)
                .is_none_or(|end| end > now)
        };
        let mut key = rate_key_hash(key);
        if !self.windows.contains_key(&key) && self.windows.len() >= MAX_RATE_KEYS {
            // Every credential ever presented (valid or not: limits apply before
            // authentication) must not grow the map: drop the closed windows, and past the cap
            // let new credentials share one window.
            self.windows.retain(|_, w| open(w));
            if self.windows.len() >= MAX_RATE_KEYS {
                key = OVERFLOW_RATE_KEY;
            }
        }
        let entry = self.windows.entry(key).or_insert(Window {
            start: now,
            used: 0,
        });
        if !open(entry) {
            *entry = Window {
                start: now,
                used: 0,
            };
        }
        let limited = entry.used >= policy.limit;
        if !limited {
            entry.used += 1;
        }
        let end = entry.start.checked_add_signed(window).unwrap_or(now);
        let left = (end - now).num_milliseconds().max(0);
        let reset_secs = u64::try_from((left + 999) / 1000).unwrap_or(0).max(1);
        Some(RateDecision {
            limit: policy.limit,
            window_secs: policy.window.as_secs().max(1),
            remaining: policy.limit.saturating_sub(entry.used),
            reset_secs,
            limited,
        })
    }
}

/// A lifecycle event of one pack (see [`State::settle_lifecycle`]).
#[derive(Debug, Clone, Copy)]
enum Event {
    Move(&'static str),
    Renew,
    Expire,
}

/// At most this many lifecycle events are applied to one pack in one settle.
const MAX_EVENTS_PER_SETTLE: usize = 20_000;

/// How long before expiry Cloudflare starts renewing a certificate, by validity period
/// (Advanced Certificate Manager: 14 days → 3, 30 → 10, 90 and 365 → 30; other periods a third).
pub(crate) fn renewal_period(validity_days: i64) -> TimeDelta {
    TimeDelta::days(match validity_days {
        14 => 3,
        30 => 10,
        90 | 365 => 30,
        other => (other / 3).max(1),
    })
}

/// At most this many rate-limit windows are kept (one per credential presented).
pub(crate) const MAX_RATE_KEYS: usize = 4096;

/// The window shared by new credentials once [`MAX_RATE_KEYS`] windows are open.
const OVERFLOW_RATE_KEY: u64 = 0;

/// A rate-limit key: a hash of the credential, so the map holds no secret and no long header.
fn rate_key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish().max(1)
}

/// Cloudflare's name for the issuer of each certificate authority.
fn issuer(ca: &str) -> &'static str {
    match ca {
        "google" => "Google Trust Services",
        "ssl_com" => "SSL.com",
        _ => "Let's Encrypt",
    }
}

impl Pack {
    fn bases(&self) -> Vec<String> {
        let mut bases: Vec<String> = Vec::new();
        for host in &self.hosts {
            let base = host.strip_prefix("*.").unwrap_or(host).to_owned();
            if !bases.contains(&base) {
                bases.push(base);
            }
        }
        bases
    }

    /// When the certificates expire: issuance plus the validity period.
    pub(crate) fn expires_on(&self) -> Option<DateTime<Utc>> {
        self.issued_on?
            .checked_add_signed(TimeDelta::days(self.validity_days))
    }

    /// When Cloudflare starts renewing the certificates.
    fn renewal_starts(&self) -> Option<DateTime<Utc>> {
        self.expires_on()?
            .checked_sub_signed(renewal_period(self.validity_days))
    }

    /// Whether the certificates can still expire (issued, and the pack not expired or gone).
    fn can_expire(&self) -> bool {
        self.issued_on.is_some()
            && !matches!(
                self.status.as_str(),
                "expired" | "deleted" | "pending_deletion" | "deactivating" | "inactive"
            )
    }

    pub(crate) fn is_issued(&self) -> bool {
        ISSUED.contains(&self.status.as_str())
    }

    pub(crate) fn is_validating(&self) -> bool {
        VALIDATING.contains(&self.status.as_str())
    }

    /// The DCV records of the pack's validation method, one per host.
    pub(crate) fn validation_records(&self, apex: &str) -> Vec<Value> {
        let seed = self.dcv_seed;
        self.hosts
            .iter()
            .map(|host| {
                let base = host.strip_prefix("*.").unwrap_or(host);
                match self.method.as_str() {
                    "http" => {
                        let name = token(seed, &format!("http-url {host}"), 32);
                        let body = token(seed, &format!("http-body {host}"), 32);
                        json!({
                            "http_url": format!("http://{base}/.well-known/pki-validation/ca3-{name}.txt"),
                            "http_body": format!("ca3-{body}"),
                            "status": "pending",
                        })
                    }
                    "email" => json!({
                        "emails": [
                            format!("administrator@{apex}"),
                            format!("webmaster@{apex}"),
                            format!("hostmaster@{apex}"),
                            format!("postmaster@{apex}"),
                            format!("admin@{apex}"),
                        ],
                        "status": "pending",
                    }),
                    "cname" => json!({
                        "cname": format!("_acme-challenge.{base}"),
                        "cname_target": format!("{base}.{}.dcv.cloudflare.com", token(seed, "cname", 16)),
                        "status": "pending",
                    }),
                    _ => json!({
                        "txt_name": format!("_acme-challenge.{base}"),
                        "txt_value": token(seed, &format!("txt {host}"), 32),
                        "status": "pending",
                    }),
                }
            })
            .collect()
    }

    /// DCV delegation records: one CNAME per distinct base host.
    fn dcv_delegation_records(&self, zone_id: &str) -> Vec<Value> {
        let zone_token = token(0, zone_id, 16);
        self.bases()
            .into_iter()
            .map(|base| {
                json!({
                    "cname": format!("_acme-challenge.{base}"),
                    "cname_target": format!("{base}.{zone_token}.dcv.cloudflare.com"),
                })
            })
            .collect()
    }

    fn certificates(&self, zone_id: &str) -> Vec<Value> {
        let Some(issued) = self.issued_on else {
            return Vec::new();
        };
        let expires = self.expires_on().unwrap_or(issued);
        let status = match self.status.as_str() {
            "pending_deployment" | "staging_deployment" => "pending_deployment",
            "expired" => "expired",
            _ => "active",
        };
        let mut hosts = self.hosts.clone();
        if self.cloudflare_branding {
            hosts.push(format!(
                "sni{}.cloudflaressl.com",
                &token(self.dcv_seed, "sni", 8)
            ));
        }
        [("ECDSAWithSHA256", 1), ("SHA256WithRSA", 2)]
            .iter()
            .zip(self.cert_ids.iter())
            .map(|((signature, priority), id)| {
                json!({
                    "id": id,
                    "hosts": hosts,
                    "status": status,
                    "bundle_method": "ubiquitous",
                    "expires_on": rfc3339(expires),
                    "issuer": issuer(&self.certificate_authority),
                    "modified_on": rfc3339(issued),
                    "priority": priority,
                    "signature": signature,
                    "uploaded_on": rfc3339(issued),
                    "zone_id": zone_id,
                })
            })
            .collect()
    }

    /// The pack's rendering: the cached one while the pack (and its zone) still show the same
    /// fields, else a new one from `render` (given [`Pack::to_json`]: it returns the JSON text
    /// and what validating it found), kept for the next read.
    pub(crate) fn rendered(
        &self,
        zone: &Zone,
        render: impl FnOnce(Value) -> (bytes::Bytes, Vec<crate::spec::Violation>),
    ) -> std::sync::Arc<RenderedPack> {
        let mut slot = self.rendered.0.borrow_mut();
        if let Some(cached) = slot.as_ref().filter(|r| r.key.matches(self, zone)) {
            return std::sync::Arc::clone(cached);
        }
        let (json, violations) = render(self.to_json(zone));
        let fresh = std::sync::Arc::new(RenderedPack {
            key: RenderKey::of(self, zone),
            json,
            violations,
            verification: std::sync::OnceLock::new(),
        });
        *slot = Some(std::sync::Arc::clone(&fresh));
        fresh
    }

    /// The pack as the API shows it (`CertificatePack`).
    pub(crate) fn to_json(&self, zone: &Zone) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert(
            "type".into(),
            json!(match self.kind {
                PackKind::Universal => "universal",
                PackKind::Advanced => "advanced",
            }),
        );
        map.insert("hosts".into(), json!(self.hosts));
        map.insert("status".into(), json!(self.status));
        map.insert(
            "certificate_authority".into(),
            json!(self.certificate_authority),
        );
        map.insert(
            "cloudflare_branding".into(),
            json!(self.cloudflare_branding),
        );
        if matches!(self.method.as_str(), "txt" | "http" | "email") {
            map.insert("validation_method".into(), json!(self.method));
        }
        map.insert("validity_days".into(), json!(self.validity_days));
        let certificates = self.certificates(&zone.id);
        if let Some(primary) = self.cert_ids.first().filter(|_| !certificates.is_empty()) {
            map.insert("primary_certificate".into(), json!(primary));
        }
        map.insert("certificates".into(), Value::Array(certificates));
        if self.is_validating() {
            let records = if self.records_delayed && self.status == "initializing" {
                Vec::new()
            } else {
                self.validation_records(&zone.name)
            };
            map.insert("validation_records".into(), Value::Array(records));
        }
        map.insert(
            "dcv_delegation_records".into(),
            Value::Array(self.dcv_delegation_records(&zone.id)),
        );
        Value::Object(map)
    }

    /// The pack's entry of `GET /ssl/verification` (`Verification`), if it has one.
    pub(crate) fn verification_json(&self) -> Option<Value> {
        let certificate_status = match self.status.as_str() {
            "initializing" => "initializing",
            "pending_validation" => "authorizing",
            "pending_issuance" => "issuing",
            "pending_deployment" | "staging_deployment" | "holding_deployment" => {
                "pending_deployment"
            }
            "active" | "staging_active" | "pending_expiration" | "backup_issued" => "active",
            "expired" => "expired",
            s if s.ends_with("_timed_out") => "timing_out",
            _ => return None,
        };
        let mut map = Map::new();
        map.insert("certificate_status".into(), json!(certificate_status));
        map.insert("brand_check".into(), json!(false));
        map.insert("cert_pack_uuid".into(), json!(self.id));
        map.insert("signature".into(), json!("ECDSAWithSHA256"));
        map.insert("verification_type".into(), json!("cname"));
        if matches!(self.method.as_str(), "http" | "cname" | "txt") {
            map.insert("validation_method".into(), json!(self.method));
        }
        let info = match self.method.as_str() {
            "txt" => Some(("txt_name", "txt_value")),
            "http" => Some(("http_url", "http_body")),
            "cname" => Some(("cname", "cname_target")),
            _ => None,
        };
        if let Some((name, target)) = info {
            map.insert(
                "verification_info".into(),
                json!({ "record_name": name, "record_target": target }),
            );
        }
        match certificate_status {
            "initializing" => {}
            "authorizing" | "timing_out" => {
                map.insert("verification_status".into(), json!(false));
            }
            _ => {
                map.insert("verification_status".into(), json!(true));
            }
        }
        Some(Value::Object(map))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A state seeded from the default configuration with the manual preset and a fixed start
    /// time (2023-11-14), shared by the unit tests of this crate.
    pub(crate) fn state() -> State {
        let mut config = MockConfig {
            start_time: DateTime::from_timestamp(1_700_000_000, 0),
            ..MockConfig::default()
        };
        config.apply(crate::config::Preset::Manual);
        State::new(&config)
    }

    #[test]
    fn seeded_zones() {
        let s = state();
        assert_eq!(s.zones.len(), 2);
        let z = s.zone(crate::config::DEFAULT_ZONE_ID);
        assert_eq!(z.map(|z| z.packs.len()), Some(6));
        assert_eq!(z.map(Zone::advanced_used), Some(5));
        assert!(z.is_some_and(|z| z.packs.iter().all(|p| p.status == "active")));
    }

    #[test]
    fn start_times_at_the_extremes_are_clamped_not_panics() {
        for start in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            let mut config = MockConfig {
                start_time: Some(start),
                ..MockConfig::default()
            };
            config.apply(crate::config::Preset::Manual);
            let mut s = State::new(&config);
            let now = s.now();
            assert!(now >= earliest_start() && now <= latest_start(), "{now}");
            s.advance(Duration::from_secs(3600))
                .expect("the clock still moves");
        }
    }

    #[test]
    fn many_seeded_packs_have_valid_host_names() {
        let mut config = MockConfig {
            start_time: DateTime::from_timestamp(1_700_000_000, 0),
            ..MockConfig::default()
        };
        if let Some(zone) = config.zones.first_mut() {
            zone.advanced_packs = 12;
        }
        let s = State::new(&config);
        let zone = s.zone(crate::config::DEFAULT_ZONE_ID).expect("seeded");
        let hosts: Vec<&str> = zone
            .packs
            .iter()
            .flat_map(|p| p.hosts.iter().map(String::as_str))
            .collect();
        assert!(hosts.contains(&"wild1.example.com"), "{hosts:?}");
        assert!(hosts.contains(&"dev1.example.com"), "{hosts:?}");
        // A wildcard only as the whole first label.
        assert!(
            hosts
                .iter()
                .all(|h| !h.contains('*') || h.starts_with("*.") && !h[2..].contains('*')),
            "{hosts:?}"
        );
    }

    #[test]
    fn lifecycle_follows_the_clock() {
        let mut s = state();
        let now = s.now();
        let pack = s.new_pack(
            PackKind::Advanced,
            vec!["example.com".into()],
            "lets_encrypt",
            90,
            "txt",
            now,
        );
        let id = pack.id.clone();
        if let Some(z) = s.zones.first_mut() {
            z.packs.push(pack);
        }
        let status = |s: &State| {
            s.zones
                .first()
                .and_then(|z| z.pack(&id))
                .map(|p| p.status.clone())
                .unwrap_or_default()
        };
        s.advance(Duration::from_secs(9)).expect("within the limit");
        assert_eq!(status(&s), "initializing");
        s.advance(Duration::from_secs(1)).expect("within the limit");
        assert_eq!(status(&s), "pending_validation");
        assert!(s.tick());
        assert_eq!(status(&s), "pending_issuance");
        s.advance(Duration::from_secs(3600))
            .expect("within the limit");
        assert_eq!(status(&s), "active");
        assert!(!s.tick());
    }

    /// Whenever the fast check says nothing is due, the exact settling changes nothing: over a
    /// pack's whole life (lifecycle steps, renewals, an expiry), probed every 20 minutes and
    /// around each event.
    #[test]
    fn the_fast_due_check_never_skips_an_event() {
        let mut s = state();
        let now = s.now();
        let mut pack = s.new_pack(
            PackKind::Advanced,
            vec!["example.com".into()],
            "lets_encrypt",
            14,
            "txt",
            now,
        );
        let start = now;
        let mut checked = 0;
        for step in 0..(60 * 24 * 40 / 20) {
            let at = start + TimeDelta::minutes(20 * step);
            for probe in [
                at,
                at + TimeDelta::microseconds(1),
                at - TimeDelta::nanoseconds(1),
            ] {
                let before = format!(
                    "{:?} {} {:?} {}",
                    pack.status, pack.status_since, pack.issued_on, pack.renewing
                );
                let fast = s.surely_nothing_due(&pack, probe.timestamp_micros());
                let mut exact = pack.clone();
                s.settle_pack(&mut exact, probe);
                let after = format!(
                    "{:?} {} {:?} {}",
                    exact.status, exact.status_since, exact.issued_on, exact.renewing
                );
                if fast {
                    assert_eq!(before, after, "skipped an event at {probe}");
                    checked += 1;
                }
            }
            s.settle_pack(&mut pack, at);
            if step == 1_500 {
                // Let its next renewal time out, so it expires.
                pack.status = "validation_timed_out".into();
            }
        }
        assert!(checked > 1_000, "{checked}");
        assert_eq!(pack.status, "expired");
    }

    #[test]
    fn rate_limit_windows() {
        let mut s = state();
        s.rate_limit = Some(RateLimitPolicy {
            limit: 2,
            window: Duration::from_secs(10),
        });
        assert!(s.rate("k").is_some_and(|d| !d.limited && d.remaining == 1));
        assert!(s.rate("k").is_some_and(|d| !d.limited && d.remaining == 0));
        assert!(s.rate("k").is_some_and(|d| d.limited && d.reset_secs == 10));
        s.advance(Duration::from_secs(10))
            .expect("within the limit");
        assert!(s.rate("k").is_some_and(|d| !d.limited));
    }

    #[test]
    fn rate_limit_windows_are_bounded() {
        let mut s = state();
        s.rate_limit = Some(RateLimitPolicy {
            limit: 1,
            window: Duration::from_secs(10),
        });
        for i in 0..MAX_RATE_KEYS + 100 {
            s.rate(&format!("token-{i}"));
        }
        assert_eq!(
            s.windows.len(),
            MAX_RATE_KEYS + 1,
            "capped plus the shared window"
        );
        // New credentials past the cap share one window: the second of them is limited.
        assert!(s.rate("one more").is_some_and(|d| d.limited));
        // Closed windows are dropped when room is needed.
        s.advance(Duration::from_secs(10))
            .expect("within the limit");
        assert!(s.rate("after the window").is_some_and(|d| !d.limited));
        assert_eq!(s.windows.len(), 1);
    }
}
