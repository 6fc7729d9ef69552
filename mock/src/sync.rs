//! Locking that survives a panicked holder: the mock's state stays usable after a handler panic.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, taking the guard even when another thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
