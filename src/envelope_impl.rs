//! The [`Envelope`](crate::envelope::Envelope) impl of every `200` response type, written once.
//!
//! `openapi/codegen.rs` emits one [`envelope_impl!`] invocation per response type, holding only
//! data read from the generated struct and the document: the type of `result`, how each member
//! of [`Parts`](crate::envelope::Parts) comes out of the struct, and what a missing `result` is
//! when the document lets it be any JSON.

/// One member of the envelope: `as_is` (a field of the member's type), `some` (a required field,
/// wrapped), or `default` (the struct has no such field: `None`, or an empty list).
macro_rules! member {
    (as_is $value:expr) => {
        $value
    };
    (some $value:expr) => {
        ::std::option::Option::Some($value)
    };
    (default $value:expr) => {
        ::std::default::Default::default()
    };
}
pub(crate) use member;

/// `Name => ResultType { success: how, errors: how, messages: how, result: how, result_info: how }`
/// (each `how` as [`member!`] takes it), then `missing_result: value` when a success without
/// `result` means that value.
macro_rules! envelope_impl {
    (
        $name:ident => $result:ty { $($member:ident: $how:ident),* $(,)? }
        $(missing_result: $missing:expr)?
    ) => {
        #[doc = ::std::concat!("The envelope of the `200` response `", ::std::stringify!($name), "`.")]
        impl $crate::envelope::Envelope for $name {
            type Result = $result;
            fn into_parts(self) -> $crate::envelope::Parts<Self::Result> {
                $crate::envelope::Parts {
                    $($member: $crate::envelope_impl::member!($how self.$member),)*
                }
            }
            $(
                fn missing_result() -> ::std::option::Option<Self::Result> {
                    ::std::option::Option::Some($missing)
                }
            )?
        }
    };
}
pub(crate) use envelope_impl;

#[cfg(test)]
mod tests {
    use crate::envelope::Envelope;
    use crate::types::ResponseInfo;

    #[derive(serde::Deserialize)]
    struct Listed {
        success: bool,
        errors: Vec<ResponseInfo>,
        result: Vec<u8>,
    }

    envelope_impl! {
        Listed => Vec<u8> {
            success: some, errors: as_is, messages: default, result: some, result_info: default,
        }
    }

    #[derive(serde::Deserialize)]
    struct Anything {
        result: Option<serde_json::Value>,
    }

    envelope_impl! {
        Anything => serde_json::Value {
            success: default, errors: default, messages: default, result: as_is, result_info: default
        }
        missing_result: serde_json::Value::Null
    }

    #[test]
    fn members_come_out_as_the_invocation_says() {
        let parts = Listed {
            success: true,
            errors: Vec::new(),
            result: vec![1, 2],
        }
        .into_parts();
        assert_eq!(parts.success, Some(true));
        assert!(parts.errors.is_empty() && parts.messages.is_empty());
        assert_eq!(parts.result, Some(vec![1, 2]));
        assert!(parts.result_info.is_none());
        assert_eq!(Listed::missing_result(), None);

        let parts = Anything { result: None }.into_parts();
        assert_eq!((parts.success, parts.result), (None, None));
        assert_eq!(Anything::missing_result(), Some(serde_json::Value::Null));
    }
}
