//! The [`Operation`] enum's behaviour, written once.
//!
//! `openapi/codegen.rs` emits one [`operations!`] invocation holding only data: every operation
//! of the document, in its order, with its `operationId`, method, path template, idempotency and
//! the components of its `200` response and request bodies. The macro expands that into the enum
//! and the lookups that need one `match` arm per operation; the rest is ordinary code below.

use std::fmt;
use std::str::FromStr;

use crate::generated::Operation;

/// `Some(..)` of the tokens given, `None` for none (an operation's optional request body).
macro_rules! some_or_none {
    () => {
        ::std::option::Option::None
    };
    ($($some:tt)+) => {
        ::std::option::Option::Some($($some)+)
    };
}
pub(crate) use some_or_none;

/// The `Operation` enum: `Variant { id: "...", method: "GET", path: "/...", idempotent: true,
/// response: Component, request: Component }` per operation, `request` left out when the
/// operation has no body. The components are types of `crate::generated::types`.
macro_rules! operations {
    ($(
        $variant:ident {
            id: $id:literal, method: $method:literal, path: $path:literal,
            idempotent: $idempotent:literal, response: $response:ident
            $(, request: $request:ident)? $(,)?
        }
    )*) => {
        /// An operation of the API, identified by its `operationId` in the curated document.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $(
                #[doc = ::std::concat!("`", $method, " ", $path, "` (`", $id, "`)")]
                $variant,
            )*
        }

        impl Operation {
            /// Every operation, in the order of the document. A slice, not an array, so that an
            /// operation added to the document does not change this constant's type.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),*];

            /// The `operationId` (also the generated client's method name).
            pub const fn operation_id(self) -> &'static str {
                match self { $(Operation::$variant => $id,)* }
            }

            /// The HTTP method, upper case.
            pub const fn method(self) -> &'static str {
                match self { $(Operation::$variant => $method,)* }
            }

            /// The path template, relative to the base URL (e.g. `/zones/{zone_id}/ssl/analyze`).
            pub const fn path(self) -> &'static str {
                match self { $(Operation::$variant => $path,)* }
            }

            /// Whether sending the request twice has the effect of sending it once, so that it
            /// may be retried when its outcome is unknown (the document's `x-idempotent`, else
            /// by method). Ordering a certificate pack is not.
            pub const fn is_idempotent(self) -> bool {
                match self { $(Operation::$variant => $idempotent,)* }
            }

            /// The name of the type (in [`types`](crate::types)) of the `200` response's body.
            pub const fn response_type(self) -> &'static str {
                match self { $(Operation::$variant => ::std::stringify!($response),)* }
            }

            /// The name of the type (in [`types`](crate::types)) of the request body, if the
            /// operation has one.
            pub const fn request_type(self) -> ::std::option::Option<&'static str> {
                match self {
                    $(Operation::$variant =>
                        $crate::operation::some_or_none!($(::std::stringify!($request))?),)*
                }
            }

            /// Calls `visitor` with the type of the `200` response's body
            /// ([`response_type`](Self::response_type)): one generic action (decode, round-trip,
            /// schema) for every operation, without a hand-kept list of response types.
            pub fn visit_response<V: $crate::operation::ResponseVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(Operation::$variant =>
                        visitor.visit::<$crate::generated::types::$response>(),)*
                }
            }

            /// Calls `visitor` with the type of the request body
            /// ([`request_type`](Self::request_type)), if the operation has one.
            pub fn visit_request<V: $crate::operation::RequestVisitor>(
                self,
                visitor: V,
            ) -> ::std::option::Option<V::Output> {
                match self {
                    $(Operation::$variant => $crate::operation::some_or_none!(
                        $(visitor.visit::<$crate::generated::types::$request>())?
                    ),)*
                }
            }
        }
    };
}
pub(crate) use operations;

impl Operation {
    /// The operation with this `operationId`, if any.
    pub fn from_operation_id(id: &str) -> Option<Operation> {
        Operation::ALL
            .iter()
            .copied()
            .find(|op| op.operation_id() == id)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.operation_id())
    }
}

impl FromStr for Operation {
    type Err = UnknownOperation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::from_operation_id(s).ok_or_else(|| UnknownOperation(s.to_owned()))
    }
}

/// A generic action on the type of an operation's `200` response body
/// ([`Operation::visit_response`]).
pub trait ResponseVisitor {
    /// What the action gives.
    type Output;
    /// Runs the action on `T`, the response type.
    fn visit<T>(self) -> Self::Output
    where
        T: serde::de::DeserializeOwned
            + serde::Serialize
            + fmt::Debug
            + PartialEq
            + Clone
            + schemars::JsonSchema
            + Send
            + 'static;
}

/// A generic action on the type of an operation's request body ([`Operation::visit_request`]).
pub trait RequestVisitor {
    /// What the action gives.
    type Output;
    /// Runs the action on `T`, the request body type.
    fn visit<T>(self) -> Self::Output
    where
        T: serde::de::DeserializeOwned
            + serde::Serialize
            + fmt::Debug
            + Clone
            + schemars::JsonSchema
            + Send
            + 'static;
}

/// The error of parsing a string that is not an `operationId` of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown operation `{}`", self.0)
    }
}

impl std::error::Error for UnknownOperation {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name of a visited type, to see which one a visit picked.
    struct TypeName;

    impl ResponseVisitor for TypeName {
        type Output = &'static str;
        fn visit<T>(self) -> &'static str {
            std::any::type_name::<T>()
        }
    }

    impl RequestVisitor for TypeName {
        type Output = &'static str;
        fn visit<T>(self) -> &'static str {
            std::any::type_name::<T>()
        }
    }

    #[test]
    fn every_operation_round_trips_through_its_id_and_visits_its_types() {
        assert!(!Operation::ALL.is_empty());
        for &op in Operation::ALL {
            let id = op.operation_id();
            assert_eq!(Operation::from_operation_id(id), Some(op));
            assert_eq!(id.parse::<Operation>(), Ok(op));
            assert_eq!(op.to_string(), id);
            assert!(op.path().starts_with('/'), "{op}");
            assert!(op.visit_response(TypeName).ends_with(op.response_type()));
            let request = op.visit_request(TypeName);
            assert_eq!(request.is_some(), op.request_type().is_some(), "{op}");
            if let (Some(visited), Some(name)) = (request, op.request_type()) {
                assert!(visited.ends_with(name), "{visited} {name}");
            }
        }
    }

    #[test]
    fn lookups_follow_the_document() {
        let order = Operation::OrderCertificatePack;
        assert_eq!(order.operation_id(), "order_certificate_pack");
        assert_eq!(order.method(), "POST");
        assert_eq!(order.path(), "/zones/{zone_id}/ssl/certificate_packs/order");
        assert!(!order.is_idempotent());
        assert!(Operation::GetCertificatePack.is_idempotent());
        assert_eq!(Operation::GetCertificatePack.request_type(), None);
        assert_eq!(format!("[{:<8}]", Operation::ListZones), "[list_zones]");
        let e = "no_such_operation"
            .parse::<Operation>()
            .expect_err("unknown");
        assert_eq!(e, UnknownOperation("no_such_operation".to_owned()));
        assert_eq!(e.to_string(), "unknown operation `no_such_operation`");
        assert_eq!(Operation::from_operation_id("no_such_operation"), None);
    }
}
