//! The strict writer: no value outside the document's enums reaches the wire from the ergonomic
//! layer. Response enums are open (`Unknown(..)` keeps a value Cloudflare added later); passing
//! such a value back into a request is refused with an [`InputError`](crate::InputError) naming
//! the field and listing the documented values.

use crate::error::{Error, Result};
use crate::types;

/// An open enum that may appear in a request.
pub(crate) trait RequestValue {
    /// `Ok` for a documented value; the generated error (value and allowed values) otherwise.
    fn check(&self) -> std::result::Result<(), types::UnknownValueError>;
}

// `RequestValue` is implemented, by generated code (`openapi/codegen.rs`,
// `request_value_items`), for every open enum that a request body of the document reaches.

/// Refuses a value the document does not list for `field`.
pub(crate) fn known(field: &str, value: &impl RequestValue) -> Result<()> {
    value
        .check()
        .map_err(|e| Error::input(field, Some(e.value.clone()), e.to_string()))
}
