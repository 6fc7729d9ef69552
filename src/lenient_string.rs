//! The length-limited strings' behaviour, written once.
//!
//! `openapi/codegen.rs` emits, for every length-limited string component a response reaches,
//! one [`lenient_string!`] invocation holding only data: the name, the document's description
//! and its `minLength`/`maxLength`. The macro expands that into a newtype over `String` that
//! checks the limits when built from user input (`new`, `FromStr`, `TryFrom`, failing with a
//! [`LengthError`]) but decodes any string a server sends, so a server-given value can always
//! be sent back.

use std::fmt;

/// A value outside a string type's documented length limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LengthError {
    /// The type whose limits were broken, e.g. `Identifier`.
    pub type_name: &'static str,
    /// The value's length in characters.
    pub length: u64,
    /// The documented minimum length, if any.
    pub min_length: Option<u64>,
    /// The documented maximum length, if any.
    pub max_length: Option<u64>,
}

impl fmt::Display for LengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} must be ", self.type_name)?;
        match (self.min_length, self.max_length) {
            (Some(min), Some(max)) => write!(f, "{min} to {max} characters")?,
            (Some(min), None) => write!(f, "at least {min} characters")?,
            (None, Some(max)) => write!(f, "at most {max} characters")?,
            (None, None) => f.write_str("of any length")?,
        }
        write!(f, " long, got {}", self.length)
    }
}

impl std::error::Error for LengthError {}

/// `Some(limit)` for a given limit, `None` for none.
macro_rules! limit {
    () => {
        ::std::option::Option::None
    };
    ($limit:literal) => {
        ::std::option::Option::Some($limit)
    };
}
pub(crate) use limit;

/// A length-limited string: `Name { min_length: 1, max_length: 32 }` (either limit may be left
/// out) with the document's description as the leading `#[doc]`.
macro_rules! lenient_string {
    (#[doc = $description:literal] $name:ident { min_length: $min:literal, max_length: $max:literal $(,)? }) => {
        $crate::lenient_string::lenient_string!(@item $description, [$min " to " $max], $name, [$min], [$max]);
    };
    (#[doc = $description:literal] $name:ident { min_length: $min:literal $(,)? }) => {
        $crate::lenient_string::lenient_string!(@item $description, ["at least " $min], $name, [$min], []);
    };
    (#[doc = $description:literal] $name:ident { max_length: $max:literal $(,)? }) => {
        $crate::lenient_string::lenient_string!(@item $description, ["at most " $max], $name, [], [$max]);
    };
    (@item $description:literal, [$($limits:tt)*], $name:ident, [$($min:literal)?], [$($max:literal)?]) => {
        #[doc = ::std::concat!(
            $description,
            "\n\nDocumented as ", $($limits,)* " characters. Building one from user input \
             (`FromStr`, `TryFrom`) checks that; decoding a server response accepts any string, \
             so a value the server gave can always be sent back."
        )]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(::std::string::String);

        impl $name {
            /// The documented minimum length in characters, if any.
            pub const MIN_LENGTH: ::std::option::Option<u64> = $crate::lenient_string::limit!($($min)?);
            /// The documented maximum length in characters, if any.
            pub const MAX_LENGTH: ::std::option::Option<u64> = $crate::lenient_string::limit!($($max)?);

            /// Checks the documented limits and wraps the value.
            pub fn new(value: impl ::std::convert::Into<::std::string::String>) -> ::std::result::Result<Self, $crate::lenient_string::LengthError> {
                let value = value.into();
                let length = value.chars().count() as u64;
                let too_short = Self::MIN_LENGTH.is_some_and(|min| length < min);
                let too_long = Self::MAX_LENGTH.is_some_and(|max| length > max);
                if too_short || too_long {
                    return ::std::result::Result::Err($crate::lenient_string::LengthError {
                        type_name: ::std::stringify!($name),
                        length,
                        min_length: Self::MIN_LENGTH,
                        max_length: Self::MAX_LENGTH,
                    });
                }
                ::std::result::Result::Ok(Self(value))
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the value respects the documented limits (a server may send one that
            /// does not).
            pub fn is_within_limits(&self) -> bool {
                Self::new(self.0.as_str()).is_ok()
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(&self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::lenient_string::LengthError;
            fn from_str(value: &str) -> ::std::result::Result<Self, $crate::lenient_string::LengthError> {
                Self::new(value)
            }
        }

        impl ::std::convert::TryFrom<&str> for $name {
            type Error = $crate::lenient_string::LengthError;
            fn try_from(value: &str) -> ::std::result::Result<Self, $crate::lenient_string::LengthError> {
                Self::new(value)
            }
        }

        impl ::std::convert::TryFrom<&::std::string::String> for $name {
            type Error = $crate::lenient_string::LengthError;
            fn try_from(value: &::std::string::String) -> ::std::result::Result<Self, $crate::lenient_string::LengthError> {
                Self::new(value.as_str())
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for $name {
            type Error = $crate::lenient_string::LengthError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, $crate::lenient_string::LengthError> {
                Self::new(value)
            }
        }

        impl ::std::convert::From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        impl ::std::convert::From<$name> for ::std::string::String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                // Lenient on purpose: the server's data is kept even beyond the documented limits.
                <::std::string::String as ::serde::Deserialize>::deserialize(deserializer).map(Self)
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::string::String {
                ::std::stringify!($name).to_owned()
            }
            fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                ::schemars::schema::Schema::Object(::schemars::schema::SchemaObject {
                    instance_type: ::std::option::Option::Some(::schemars::schema::InstanceType::String.into()),
                    metadata: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::Metadata {
                        description: ::std::option::Option::Some($description.to_owned()),
                        ..::std::default::Default::default()
                    })),
                    string: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::StringValidation {
                        min_length: $crate::lenient_string::limit!($($min)?),
                        max_length: $crate::lenient_string::limit!($($max)?),
                        pattern: ::std::option::Option::None,
                    })),
                    ..::std::default::Default::default()
                })
            }
        }
    };
}
pub(crate) use lenient_string;

#[cfg(test)]
// The test types do not use every generated method.
#[allow(dead_code)]
mod tests {
    use std::str::FromStr;

    lenient_string! {
        #[doc = "An id."]
        Id { max_length: 4 }
    }

    lenient_string! {
        #[doc = "A name."]
        Name { min_length: 2, max_length: 3 }
    }

    #[test]
    fn input_is_checked_and_responses_are_not() {
        assert_eq!(
            Id::from_str("abcd").map(String::from),
            Ok("abcd".to_owned())
        );
        let e = Id::from_str("abcde").expect_err("too long");
        assert_eq!(e.to_string(), "Id must be at most 4 characters long, got 5");
        let e = Name::try_from("a").expect_err("too short");
        assert_eq!(e.to_string(), "Name must be 2 to 3 characters long, got 1");
        let long: Id = serde_json::from_str("\"abcdef\"").expect("responses decode any string");
        assert!(!long.is_within_limits());
        assert_eq!(serde_json::to_string(&long).expect("encodes"), "\"abcdef\"");
        assert_eq!((Id::MIN_LENGTH, Id::MAX_LENGTH), (None, Some(4)));
        assert_eq!(
            format!("[{:<5}]", Name::new("ab").expect("fits")),
            "[ab   ]"
        );
    }

    #[test]
    fn schema_carries_the_limits() {
        let schema = serde_json::to_value(schemars::schema_for!(Name)).expect("schema");
        assert_eq!(schema["minLength"], 2);
        assert_eq!(schema["maxLength"], 3);
        assert_eq!(schema["description"], "A name.");
    }
}
