//! The open enums' behaviour, written once.
//!
//! `openapi/codegen.rs` emits, for every enum component of the document, one invocation of
//! [`string_enum!`] or [`integer_enum!`] holding only data: the type's name, the document's
//! description, and each variant with its wire value. The macros below expand that into the
//! type, its inherent API (`VALUES`, `WIRE_VALUES`, `as_str`/`as_i64`, `from_known`,
//! `from_wire`, `is_known`, `as_known`, `into_known`) and its trait impls (`Display`,
//! `FromStr`, `TryFrom`, `Serialize`, `Deserialize`, `JsonSchema`, ...), so the behaviour is
//! reviewed here and tested below rather than read in the generated snapshot.
//!
//! Responses are tolerant: a value the document does not list decodes into `Unknown(..)` and is
//! encoded back unchanged. User input is strict: `FromStr`/`TryFrom` accept documented values
//! only and fail with an [`UnknownValueError`] listing them.

use std::fmt;

/// A value outside an enum's documented values, given where only those are accepted
/// (user input, or a request built from a response's `Unknown` value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValueError {
    /// The enum, e.g. `CertificateAuthority`.
    pub type_name: &'static str,
    /// The value given.
    pub value: String,
    /// The documented values, as they appear on the wire.
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a documented {} value; expected one of: ",
            self.value, self.type_name
        )?;
        for (i, allowed) in self.allowed.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{allowed}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownValueError {}

/// JSON Schema of an open enum: any value of `instance`, the documented values (`known`) listed.
pub(crate) fn open_schema(
    description: &str,
    instance: schemars::schema::InstanceType,
    known: impl IntoIterator<Item = serde_json::Value>,
) -> schemars::schema::Schema {
    use schemars::schema::{Metadata, Schema, SchemaObject, SubschemaValidation};
    let known = SchemaObject {
        enum_values: Some(known.into_iter().collect()),
        ..Default::default()
    };
    let any = SchemaObject {
        instance_type: Some(instance.into()),
        ..Default::default()
    };
    Schema::Object(SchemaObject {
        metadata: Some(Box::new(Metadata {
            description: Some(description.to_owned()),
            ..Default::default()
        })),
        subschemas: Some(Box::new(SubschemaValidation {
            any_of: Some(vec![known.into(), any.into()]),
            ..Default::default()
        })),
        ..Default::default()
    })
}

/// The `JsonSchema` impl of an open enum `$name` over JSON values of `$instance` (`String` or
/// `Integer`): [`open_schema`] with its `VALUES`.
macro_rules! open_json_schema {
    ($name:ident, $description:literal, $instance:ident) => {
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::string::String {
                ::std::stringify!($name).to_owned()
            }
            fn json_schema(
                _: &mut ::schemars::r#gen::SchemaGenerator,
            ) -> ::schemars::schema::Schema {
                $crate::open_enum::open_schema(
                    ::std::concat!($description, $crate::open_enum::open_doc!()),
                    ::schemars::schema::InstanceType::$instance,
                    Self::VALUES.iter().map(|v| ::serde_json::Value::from(*v)),
                )
            }
        }
    };
}
pub(crate) use open_json_schema;

/// The paragraph every open enum's documentation ends with (after the document's description).
macro_rules! open_doc {
    () => {
        "\n\nThis enum is *open*: in a response, a value this version of the crate does not know \
         decodes into `Unknown` and is encoded back unchanged. Built from user input (`FromStr`, \
         `TryFrom`) it is strict: a value outside the document is an [`UnknownValueError`] \
         listing the documented ones; before sending a value read from a response, check it with \
         [`is_known`](Self::is_known) or [`as_known`](Self::as_known)."
    };
}
pub(crate) use open_doc;

/// `is_known`, `as_known` and `into_known`, shared by both kinds of open enum.
macro_rules! known_api {
    ($name:ident) => {
        /// Whether the value is one of the documented ones.
        pub fn is_known(&self) -> bool {
            !matches!(self, Self::Unknown(_))
        }

        /// The value if it is a documented one, else an [`UnknownValueError`] listing the
        /// documented values: what a request must check before sending a value that came from a
        /// response.
        pub fn as_known(
            &self,
        ) -> ::std::result::Result<&Self, $crate::open_enum::UnknownValueError> {
            match self {
                Self::Unknown(value) => {
                    ::std::result::Result::Err($crate::open_enum::UnknownValueError {
                        type_name: ::std::stringify!($name),
                        value: value.to_string(),
                        allowed: Self::WIRE_VALUES,
                    })
                }
                known => ::std::result::Result::Ok(known),
            }
        }

        /// Like [`as_known`](Self::as_known), by value.
        pub fn into_known(
            self,
        ) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
            self.as_known()?;
            ::std::result::Result::Ok(self)
        }
    };
}
pub(crate) use known_api;

/// An open enum over JSON strings: `Name { Variant = "wire", ... }` with the document's
/// description as the leading `#[doc]`.
macro_rules! string_enum {
    (
        #[doc = $description:literal]
        $name:ident { $($variant:ident = $value:literal),* $(,)? }
    ) => {
        #[doc = ::std::concat!($description, $crate::open_enum::open_doc!())]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = ::std::concat!("`\"", $value, "\"`")]
                $variant,
            )*
            /// A value not documented when this crate was generated, kept verbatim.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every documented value, in the document's order.
            pub const VALUES: &'static [&'static str] = &[$($value),*];
            /// Every documented value as it appears on the wire (the same as
            /// [`VALUES`](Self::VALUES)).
            pub const WIRE_VALUES: &'static [&'static str] = &[$($value),*];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// The documented value with this wire form, if any.
            pub fn from_known(value: &str) -> ::std::option::Option<Self> {
                match value {
                    $($value => ::std::option::Option::Some(Self::$variant),)*
                    _ => ::std::option::Option::None,
                }
            }

            /// The value as a response decodes it: a documented value, or `Unknown`
            /// holding the text. Use `parse`/`try_from` for user input instead.
            pub fn from_wire(value: &str) -> Self {
                Self::from_known(value).unwrap_or_else(|| Self::Unknown(value.to_owned()))
            }

            $crate::open_enum::known_api!($name);
        }

        impl ::std::fmt::Display for $name {
            /// The wire value; honours width and alignment (`{:<12}`).
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        /// Compares the wire value: `status == "active"`.
        impl ::std::cmp::PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        /// Compares the wire value: `status == "active"`.
        impl ::std::cmp::PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::open_enum::UnknownValueError;
            fn from_str(value: &str) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                Self::from_known(value).ok_or_else(|| $crate::open_enum::UnknownValueError {
                    type_name: ::std::stringify!($name),
                    value: value.to_owned(),
                    allowed: Self::WIRE_VALUES,
                })
            }
        }

        impl ::std::convert::TryFrom<&str> for $name {
            type Error = $crate::open_enum::UnknownValueError;
            fn try_from(value: &str) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<&::std::string::String> for $name {
            type Error = $crate::open_enum::UnknownValueError;
            fn try_from(value: &::std::string::String) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for $name {
            type Error = $crate::open_enum::UnknownValueError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                value.parse()
            }
        }

        impl ::std::convert::From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(::std::concat!("a string (", ::std::stringify!($name), ")"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<$name, E> {
                        ::std::result::Result::Ok($name::from_wire(value))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<$name, E> {
                        ::std::result::Result::Ok($name::from_known(&value).unwrap_or($name::Unknown(value)))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }

        $crate::open_enum::open_json_schema!($name, $description, String);
    };
}
pub(crate) use string_enum;

/// An open enum over JSON integers: `Name { Variant = 90, ... }` with the document's description
/// as the leading `#[doc]`. Decoding accepts an integral float (`90.0`, the same JSON number).
macro_rules! integer_enum {
    (
        #[doc = $description:literal]
        $name:ident { $($variant:ident = $value:literal),* $(,)? }
    ) => {
        #[doc = ::std::concat!($description, $crate::open_enum::open_doc!())]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = ::std::concat!("`", $value, "`")]
                $variant,
            )*
            /// A value not documented when this crate was generated, kept verbatim.
            Unknown(i64),
        }

        impl $name {
            /// Every documented value, in the document's order.
            pub const VALUES: &'static [i64] = &[$($value),*];
            /// Every documented value as it appears on the wire, as text.
            pub const WIRE_VALUES: &'static [&'static str] = &[$(::std::concat!($value)),*];

            /// The value as it appears on the wire.
            pub fn as_i64(&self) -> i64 {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => *value,
                }
            }

            /// The documented value equal to `value`, if any.
            pub fn from_known(value: i64) -> ::std::option::Option<Self> {
                match value {
                    $($value => ::std::option::Option::Some(Self::$variant),)*
                    _ => ::std::option::Option::None,
                }
            }

            /// The value as a response decodes it: a documented value, or `Unknown`.
            /// (The same as `From<i64>`.)
            pub fn from_wire(value: i64) -> Self {
                Self::from_known(value).unwrap_or(Self::Unknown(value))
            }

            $crate::open_enum::known_api!($name);
        }

        impl ::std::convert::From<i64> for $name {
            fn from(value: i64) -> Self {
                Self::from_wire(value)
            }
        }

        impl ::std::convert::From<&$name> for $name {
            fn from(value: &$name) -> Self {
                *value
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.as_i64(), f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::open_enum::UnknownValueError;
            /// Strict: only a documented value (surrounding spaces allowed).
            fn from_str(value: &str) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(Self::from_known)
                    .ok_or_else(|| $crate::open_enum::UnknownValueError {
                        type_name: ::std::stringify!($name),
                        value: value.to_owned(),
                        allowed: Self::WIRE_VALUES,
                    })
            }
        }

        impl ::std::convert::TryFrom<&str> for $name {
            type Error = $crate::open_enum::UnknownValueError;
            fn try_from(value: &str) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                value.parse()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.as_i64())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                <$crate::tolerant::Integer<i64> as ::serde::Deserialize>::deserialize(deserializer)
                    .map(|value| $name::from_wire(value.0))
            }
        }

        $crate::open_enum::open_json_schema!($name, $description, Integer);
    };
}
pub(crate) use integer_enum;

/// The wire value an `Unknown(value)` holds, as `from_wire`/`from_known` take it.
macro_rules! wire_arg {
    (string $value:ident) => {
        &$value
    };
    (integer $value:ident) => {
        $value
    };
}
pub(crate) use wire_arg;

/// A conversion between two open enums of one kind (`string` or `integer`) that stand for the
/// same thing (the document's `x-convert-to`): the variant pairs with the same wire value, an
/// example value both document (for the doctest), and for `TryFrom` the `from` variants with no
/// counterpart and one of their wire values.
///
/// `From` when every documented value of `from` is one of `to`; an `Unknown` value converts by
/// its text. `TryFrom` otherwise: a value with no counterpart (documented or `Unknown`) fails
/// with an [`UnknownValueError`] listing `to`'s values.
macro_rules! convert {
    (
        $kind:ident From<$from:ident> for $to:ident, example $example:literal
        { $($f:ident => $t:ident),* $(,)? }
    ) => {
        #[doc = ::std::concat!(
            "Every documented `", ::std::stringify!($from), "` value is a `", ::std::stringify!($to),
            "` value: a value read from a response can be sent back as is (an `Unknown` value stays \
             `Unknown` unless its text is a documented `", ::std::stringify!($to), "` value).\n\n```\n\
             use cloudflare_ssl::types::{", ::std::stringify!($from), ", ", ::std::stringify!($to), "};\n\
             let read = ", ::std::stringify!($from), "::from_wire(", ::std::stringify!($example),
            "); // as decoded from a response\nlet sent = ", ::std::stringify!($to),
            "::from(read.clone());\nassert!(sent.is_known());\n\
             assert_eq!(sent.to_string(), read.to_string());\n```"
        )]
        impl ::std::convert::From<$from> for $to {
            fn from(value: $from) -> Self {
                match value {
                    $($from::$f => $to::$t,)*
                    $from::Unknown(value) => $to::from_wire($crate::open_enum::wire_arg!($kind value)),
                }
            }
        }
    };
    (
        $kind:ident TryFrom<$from:ident> for $to:ident, example $example:literal, fails $fails:literal
        { $($f:ident => $t:ident),* $(,)? }
        { $($missing:ident = $wire:literal),* $(,)? }
    ) => {
        #[doc = ::std::concat!(
            "Not every documented `", ::std::stringify!($from), "` value is a `", ::std::stringify!($to),
            "` value: the conversion fails, with an [`UnknownValueError`] listing the `",
            ::std::stringify!($to), "` values, for those that are not (and for an `Unknown` value \
             whose text is not a documented `", ::std::stringify!($to), "` value).\n\n```\n\
             use cloudflare_ssl::types::{", ::std::stringify!($from), ", ", ::std::stringify!($to), "};\n\
             let read = ", ::std::stringify!($from), "::from_wire(", ::std::stringify!($example),
            "); // as decoded from a response\nlet sent = ", ::std::stringify!($to),
            "::try_from(read)?;\nassert!(sent.is_known());\nlet other = ", ::std::stringify!($from),
            "::from_wire(", ::std::stringify!($fails), ");\nassert!(", ::std::stringify!($to),
            "::try_from(other).is_err());\n# Ok::<(), cloudflare_ssl::types::UnknownValueError>(())\n```"
        )]
        impl ::std::convert::TryFrom<$from> for $to {
            type Error = $crate::open_enum::UnknownValueError;
            fn try_from(value: $from) -> ::std::result::Result<Self, $crate::open_enum::UnknownValueError> {
                let fail = |value: ::std::string::String| $crate::open_enum::UnknownValueError {
                    type_name: ::std::stringify!($to),
                    value,
                    allowed: $to::WIRE_VALUES,
                };
                match value {
                    $($from::$f => ::std::result::Result::Ok($to::$t),)*
                    $($from::$missing => ::std::result::Result::Err(fail(::std::concat!($wire).to_owned())),)*
                    $from::Unknown(value) => $to::from_known($crate::open_enum::wire_arg!($kind value))
                        .ok_or_else(|| fail(::std::string::ToString::to_string(&value))),
                }
            }
        }
    };
}
pub(crate) use convert;

#[cfg(test)]
// The test enums do not use every generated method.
#[allow(dead_code)]
mod tests {
    use std::str::FromStr;

    string_enum! {
        #[doc = "A colour."]
        Colour { Red = "red", DarkBlue = "dark blue" }
    }

    integer_enum! {
        #[doc = "A size."]
        Size { Days14 = 14, V90 = 90 }
    }

    string_enum! {
        #[doc = "A paint."]
        Paint { Red = "red", DarkBlue = "dark blue", Gold = "gold" }
    }

    convert! {
        string From<Colour> for Paint, example "red" { Red => Red, DarkBlue => DarkBlue }
    }

    convert! {
        string TryFrom<Paint> for Colour, example "red", fails "gold"
        { Red => Red, DarkBlue => DarkBlue } { Gold = "gold" }
    }

    #[test]
    fn conversions_keep_the_wire_value() {
        assert_eq!(Paint::from(Colour::DarkBlue), Paint::DarkBlue);
        assert_eq!(Paint::from(Colour::Unknown("gold".into())), Paint::Gold);
        assert_eq!(
            Paint::from(Colour::Unknown("teal".into())),
            Paint::Unknown("teal".into())
        );
        assert_eq!(Colour::try_from(Paint::Red), Ok(Colour::Red));
        let e = Colour::try_from(Paint::Gold).expect_err("no gold colour");
        assert_eq!(
            e.to_string(),
            "`gold` is not a documented Colour value; expected one of: `red`, `dark blue`"
        );
        assert_eq!(
            Colour::try_from(Paint::Unknown("red".into())),
            Ok(Colour::Red)
        );
        assert!(Colour::try_from(Paint::Unknown("teal".into())).is_err());
    }

    #[test]
    fn strings_decode_open_and_parse_strict() {
        let red: Colour = serde_json::from_str("\"red\"").expect("documented");
        assert_eq!(red, Colour::Red);
        let new: Colour = serde_json::from_str("\"green\"").expect("open");
        assert_eq!(new, Colour::Unknown("green".into()));
        assert_eq!(serde_json::to_string(&new).expect("encodes"), "\"green\"");
        assert!(!new.is_known() && red.is_known());
        let e = Colour::from_str("green").expect_err("strict");
        assert_eq!(
            e.to_string(),
            "`green` is not a documented Colour value; expected one of: `red`, `dark blue`"
        );
        assert_eq!(new.as_known().expect_err("unknown"), e);
        assert_eq!(Colour::try_from("dark blue"), Ok(Colour::DarkBlue));
        assert!(Colour::DarkBlue == "dark blue");
        assert_eq!(format!("[{:>5}]", Colour::Red), "[  red]");
        let bad = serde_json::from_str::<Colour>("1").expect_err("a number");
        assert!(bad.to_string().contains("a string (Colour)"), "{bad}");
    }

    #[test]
    fn integers_decode_open_and_parse_strict() {
        let v: Size = serde_json::from_str("90.0").expect("integral float");
        assert_eq!(v, Size::V90);
        assert_eq!(
            serde_json::from_str::<Size>("7").ok(),
            Some(Size::Unknown(7))
        );
        assert!(serde_json::from_str::<Size>("7.5").is_err());
        assert_eq!(Size::WIRE_VALUES, ["14", "90"]);
        assert_eq!(Size::from_str(" 14 "), Ok(Size::Days14));
        let e = Size::from_str("7").expect_err("strict");
        assert_eq!(
            e.to_string(),
            "`7` is not a documented Size value; expected one of: `14`, `90`"
        );
        assert_eq!(Size::from(7), Size::Unknown(7));
        assert_eq!(
            serde_json::to_string(&Size::Unknown(7)).expect("encodes"),
            "7"
        );
    }

    #[test]
    fn schemas_list_the_documented_values_and_accept_any() {
        let schema = serde_json::to_value(schemars::schema_for!(Size)).expect("schema");
        assert_eq!(schema["anyOf"][0]["enum"], serde_json::json!([14, 90]));
        assert_eq!(schema["anyOf"][1]["type"], "integer");
        let doc = schema["description"].as_str().unwrap_or_default();
        assert!(doc.starts_with("A size.\n\nThis enum is *open*"), "{doc}");
    }
}
