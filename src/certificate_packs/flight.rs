//! Single-flight for [`ensure`](super::CertificatePacks::ensure): concurrent calls on one
//! [`Client`](crate::Client) for the same (zone, host set, certificate authority) run one after
//! another, and a call that queued behind a finished one takes that call's pack instead of
//! looking (and perhaps ordering) again.
//!
//! The registry holds one entry per key while some call uses it and drops it afterwards, so it
//! never grows past the number of calls in flight.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::types;

/// What identifies "the same order": zone id, the lowercase host set, the certificate authority.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FlightKey {
    pub(crate) zone: String,
    pub(crate) hosts: BTreeSet<String>,
    pub(crate) authority: String,
}

/// One key's gate and the outcome of the last call that went through it.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    gate: tokio::sync::Mutex<()>,
    finished: AtomicU64,
    last: Mutex<Option<types::CertificatePack>>,
}

/// The per-client registry of flights.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    map: Mutex<HashMap<FlightKey, Arc<Flight>>>,
}

/// A caller's place in a flight; leaving (drop, also on cancellation) removes the entry when
/// nobody else holds it.
pub(crate) struct Seat<'a> {
    flights: &'a Flights,
    key: FlightKey,
    flight: Arc<Flight>,
    arrived: u64,
}

impl Flights {
    /// Joins the flight of `key` (creating it), remembering how many calls had finished then.
    pub(crate) fn join(&self, key: FlightKey) -> Seat<'_> {
        let flight = match self.map.lock() {
            Ok(mut map) => Arc::clone(map.entry(key.clone()).or_default()),
            // A poisoned registry (a panic elsewhere while holding it): no sharing, still safe
            // within this call.
            Err(_) => Arc::new(Flight::default()),
        };
        let arrived = flight.finished.load(Ordering::Acquire);
        Seat {
            flights: self,
            key,
            flight,
            arrived,
        }
    }
}

impl Seat<'_> {
    /// Runs `work` alone for this key; if another call finished with a pack while this one
    /// waited, returns that pack (`Ok(None)` from `work` is never shared).
    pub(crate) async fn run<F, T>(&self, work: F) -> Result<Shared<T>, crate::Error>
    where
        F: std::future::Future<Output = crate::Result<(types::CertificatePack, T)>>,
    {
        let _gate = self.flight.gate.lock().await;
        if self.flight.finished.load(Ordering::Acquire) != self.arrived {
            let last = self.flight.last.lock().ok().and_then(|l| l.clone());
            if let Some(pack) = last {
                return Ok(Shared::Joined(pack));
            }
        }
        let outcome = work.await;
        if let Ok(mut last) = self.flight.last.lock() {
            *last = outcome.as_ref().ok().map(|(pack, _)| pack.clone());
        }
        self.flight.finished.fetch_add(1, Ordering::AcqRel);
        outcome.map(|(pack, how)| Shared::Own(pack, how))
    }
}

/// The outcome of [`Seat::run`]: this call's own work, or the pack of a call it waited for.
pub(crate) enum Shared<T> {
    Own(types::CertificatePack, T),
    Joined(types::CertificatePack),
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.flights.map.lock() {
            // The map's reference and ours: nobody else is waiting on this key.
            if map
                .get(&self.key)
                .is_some_and(|f| Arc::ptr_eq(f, &self.flight) && Arc::strong_count(f) <= 2)
            {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
impl Flights {
    pub(crate) fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn key() -> FlightKey {
        FlightKey {
            zone: "z".into(),
            hosts: BTreeSet::from(["example.com".to_owned()]),
            authority: "google".into(),
        }
    }

    #[tokio::test]
    async fn entries_leave_with_their_last_caller_even_when_cancelled() {
        let flights = Flights::default();
        let first = flights.join(key());
        let second = flights.join(key());
        assert_eq!(flights.len(), 1, "one entry per key");
        // The first call is cancelled while it holds the gate: the second runs its own work.
        {
            let gate = first.flight.gate.lock().await;
            drop(gate);
        }
        drop(first);
        assert_eq!(flights.len(), 1, "the second still holds it");
        let out = second
            .run(async { Err::<(types::CertificatePack, ()), _>(crate::Error::Config("x".into())) })
            .await;
        assert!(out.is_err());
        drop(second);
        assert_eq!(flights.len(), 0, "nothing left behind");
    }
}
