//! Response decoding of every operation: the first byte picks the type (modulo one more than the
//! number of operations): selector `i` is the 200 response type of `Operation::ALL[i]` (the
//! document's order, dispatched by the generated `Operation::visit_response`), and the last
//! choice is `ErrorEnvelope`, the 4XX/5XX body of every operation. The rest is the HTTP body.
//!
//! Invariants: decoding never panics; whatever decodes re-encodes, and the encoding decodes back
//! to an equal value (no information the type kept is lost or changed on the way).

use cloudflare_ssl::{types, Operation, ResponseVisitor};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The number of choices of the selector byte: every operation, then the error envelope.
pub const CHOICES: usize = Operation::ALL.len() + 1;

/// The selector of the error envelope (the choice after the operations).
pub const ERROR_ENVELOPE: usize = Operation::ALL.len();

/// The selector byte of an operation: its index in `Operation::ALL`.
pub fn selector(operation: Operation) -> Option<u8> {
    let i = Operation::ALL.iter().position(|op| *op == operation)?;
    u8::try_from(i).ok()
}

fn round_trip<T>(body: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(body) else {
        return;
    };
    let encoded = serde_json::to_vec(&value).expect("a decoded value encodes");
    let again: T = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
        panic!(
            "the encoding of a decoded value does not decode: {e}\n{}",
            String::from_utf8_lossy(&encoded)
        )
    });
    assert_eq!(value, again, "{}", String::from_utf8_lossy(&encoded));
    // Debug formatting walks every field.
    let _ = format!("{value:?}");
}

struct RoundTrip<'a>(&'a [u8]);

impl ResponseVisitor for RoundTrip<'_> {
    type Output = ();
    fn visit<T>(self)
    where
        T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
    {
        round_trip::<T>(self.0);
    }
}

/// Runs one input; panics when an invariant fails.
pub fn run(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match Operation::ALL.get(selector as usize % CHOICES) {
        Some(operation) => operation.visit_response(RoundTrip(body)),
        None => round_trip::<types::ErrorEnvelope>(body),
    }
}
