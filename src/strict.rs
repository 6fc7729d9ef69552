//! The strict writer: no value outside the document's enums reaches the wire from the ergonomic
//! layer. Response enums are open (`Unknown(..)` keeps a value Cloudflare added later); passing
//! such a value back into a request is refused with an [`InputError`](crate::InputError) naming
//! the field.

use crate::error::{Error, Result};
use crate::types;

/// An open enum that may appear in a request.
pub(crate) trait RequestValue {
    /// The value as sent, and whether the document knows it.
    fn wire(&self) -> (String, bool);
}

macro_rules! request_value {
    ($($t:ident),* $(,)?) => {$(
        impl RequestValue for types::$t {
            fn wire(&self) -> (String, bool) {
                (self.to_string(), !matches!(self, types::$t::Unknown(_)))
            }
        }
    )*};
}

request_value!(
    CertificateAuthority,
    CertificatePackValidationMethod,
    ValidityDays,
    DesiredValidationMethod,
);

/// Refuses a value the document does not list for `field`.
pub(crate) fn known(field: &str, value: &impl RequestValue) -> Result<()> {
    match value.wire() {
        (_, true) => Ok(()),
        (text, false) => Err(Error::input(
            field,
            Some(text),
            "is not a value the API documents for this field; requests only send documented values",
        )),
    }
}
