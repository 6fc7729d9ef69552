//! The tolerant reader's field helpers (see the crate docs, "Tolerant reader, strict writer").
//!
//! The response types keep the `Deserialize` that progenitor derives; `openapi/codegen.rs`
//! attaches `#[serde(deserialize_with = "crate::tolerant::...")]` (and `default` where absence is
//! allowed) to the fields whose document property calls for it: integers, `date-time` strings,
//! lists that may be `null`, and objects the document lets stand
//! as a bare string (`x-lenient-string`). Each helper is one small function over serde's data
//! model, so a decode error still names the JSON path of the bad value.
//!
//! Which helpers the generated code uses depends on the document (today it has no required
//! integer or date, and no optional bare-string object); the tests below use every one.
#![allow(dead_code)]

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, Utc};
use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

/// An integer that also decodes from an integral float (`10.0`); `10.5`, or a value out of
/// `T`'s range, is an error.
pub(crate) struct Integer<T>(pub(crate) T);

struct IntegerVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> Visitor<'_> for IntegerVisitor<T> {
    type Value = Integer<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Integer<T>, E> {
        T::try_from(value)
            .map(Integer)
            .map_err(|_| E::invalid_value(Unexpected::Signed(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Integer<T>, E> {
        T::try_from(value)
            .map(Integer)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(value), &self))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Integer<T>, E> {
        // JSON does not tell 10 from 10.0. 2^63 bounds the cast.
        let integral = value.fract() == 0.0 && value.abs() < 2f64.powi(63);
        if integral {
            self.visit_i64(value as i64)
        } else {
            Err(E::invalid_value(Unexpected::Float(value), &self))
        }
    }
}

impl<'de, T: TryFrom<i64> + TryFrom<u64>> Deserialize<'de> for Integer<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_i64(IntegerVisitor(PhantomData))
    }
}

/// A required integer property (`type: integer`).
pub(crate) fn integer<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    Integer::deserialize(deserializer).map(|i| i.0)
}

/// An optional or nullable integer property: `null` is `None`.
pub(crate) fn option_integer<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    Option::<Integer<T>>::deserialize(deserializer).map(|o| o.map(|i| i.0))
}

/// A `date-time` that also decodes from the two layouts Go services print: RFC 3339 with a
/// space for the `T`, and Go's `time.Time` `String()` layout (`2024-01-01 00:00:00.5 +0000 UTC`,
/// the zone abbreviation ignored, the numeric offset kept). Anything else is an error naming the
/// field: an expiry that cannot be read must not turn into "no expiry".
struct Timestamp(DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_timestamp(&text).map(Timestamp).ok_or_else(|| {
            de::Error::invalid_value(Unexpected::Str(&text), &"an RFC 3339 date-time")
        })
    }
}

/// Reads RFC 3339 and the two layouts Go services print (see [`Timestamp`]).
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let utc = |t: DateTime<FixedOffset>| t.with_timezone(&Utc);
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(utc(t));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(utc(t));
    }
    // Go's `time.Time.String()`: "2006-01-02 15:04:05.999999999 -0700 MST".
    let (rest, zone) = text.rsplit_once(' ')?;
    if zone.is_empty() || !zone.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    DateTime::parse_from_str(rest, "%Y-%m-%d %H:%M:%S%.f %z")
        .ok()
        .map(utc)
}

/// A required `date-time` property.
pub(crate) fn timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    Timestamp::deserialize(deserializer).map(|t| t.0)
}

/// An optional or nullable `date-time` property: `null` is `None`.
pub(crate) fn option_timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<Timestamp>::deserialize(deserializer).map(|o| o.map(|t| t.0))
}

/// A list that may be `null` (an empty list); the field's `#[serde(default)]` covers absence.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// An object the document lets stand as a bare JSON string (`x-lenient-string`): the string is
/// the value of [`BareString::PROPERTY`], the other properties are absent.
pub(crate) trait BareString {
    /// The property a bare string gives.
    const PROPERTY: &'static str;
    /// The type's name, for the error of a value that is neither.
    const NAME: &'static str;
}

struct ObjectOrString<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + BareString> Visitor<'de> for ObjectOrString<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object or a string ({})", T::NAME)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        let entry = std::iter::once((T::PROPERTY, value));
        T::deserialize(de::value::MapDeserializer::new(entry))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// A required property holding a [`BareString`] object.
pub(crate) fn object_or_string<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + BareString,
{
    deserializer.deserialize_any(ObjectOrString(PhantomData))
}

struct OptionObjectOrString<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + BareString> Visitor<'de> for OptionObjectOrString<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "null, an object or a string ({})", T::NAME)
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        object_or_string(deserializer).map(Some)
    }
}

/// An optional or nullable property holding a [`BareString`] object.
pub(crate) fn option_object_or_string<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + BareString,
{
    deserializer.deserialize_option(OptionObjectOrString(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Setting {
        value: String,
        id: Option<String>,
    }

    impl BareString for Setting {
        const PROPERTY: &'static str = "value";
        const NAME: &'static str = "Setting";
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "integer")]
        count: u8,
        #[serde(default, deserialize_with = "option_integer")]
        quantity: Option<i64>,
        #[serde(deserialize_with = "timestamp")]
        at: DateTime<Utc>,
        #[serde(default, deserialize_with = "option_timestamp")]
        until: Option<DateTime<Utc>>,
        #[serde(default, deserialize_with = "list")]
        tags: Vec<String>,
        #[serde(deserialize_with = "object_or_string")]
        setting: Setting,
        #[serde(default, deserialize_with = "option_object_or_string")]
        maybe: Option<Setting>,
    }

    fn decode(json: &str) -> Result<Fields, String> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| e.to_string())
    }

    #[test]
    fn every_helper_reads_the_lenient_forms() {
        let fields = decode(
            r#"{"count": 10.0, "at": "2024-01-01 00:00:00.5 +0000 UTC", "tags": null,
                "setting": "strict", "maybe": {"value": "auto", "id": "x"}}"#,
        )
        .expect("decodes");
        assert_eq!(fields.count, 10);
        assert_eq!((fields.quantity, fields.until), (None, None));
        assert_eq!(fields.at.to_rfc3339(), "2024-01-01T00:00:00.500+00:00");
        assert!(fields.tags.is_empty());
        assert_eq!(
            fields.setting,
            Setting {
                value: "strict".into(),
                id: None
            }
        );
        assert_eq!(fields.maybe.map(|m| m.id), Some(Some("x".into())));
        let fields = decode(
            r#"{"count": 1, "quantity": 2.0, "at": "2024-01-01T00:00:00Z",
                "until": null, "setting": {"value": "v"}, "maybe": "s"}"#,
        )
        .expect("decodes");
        assert_eq!(fields.quantity, Some(2));
        assert_eq!(fields.maybe.map(|m| m.value), Some("s".into()));
    }

    #[test]
    fn errors_name_the_path() {
        let base = r#""at": "2024-01-01T00:00:00Z", "setting": "s""#;
        for (json, path) in [
            (format!(r#"{{"count": 10.5, {base}}}"#), "count:"),
            (format!(r#"{{"count": 256, {base}}}"#), "count:"),
            (
                format!(r#"{{"count": 1, "quantity": "2", {base}}}"#),
                "quantity:",
            ),
            (
                r#"{"count": 1, "at": "soon", "setting": "s"}"#.to_owned(),
                "at:",
            ),
            (
                format!(r#"{{"count": 1, {base}, "maybe": {{"value": 1}}}}"#),
                "maybe.value:",
            ),
            (format!(r#"{{"count": 1, {base}, "maybe": 1}}"#), "maybe:"),
            (
                r#"{"count": 1, "setting": "s"}"#.to_owned(),
                "missing field `at`",
            ),
        ] {
            let e = decode(&json).expect_err(&json);
            assert!(e.contains(path), "{json}: {e}");
        }
    }

    #[test]
    fn go_layouts_parse_and_others_do_not() {
        for text in [
            "2024-01-01T00:00:00Z",
            "2024-01-01 00:00:00+00:00",
            "2024-01-01 00:00:00.5 +0000 UTC",
        ] {
            assert!(parse_timestamp(text).is_some(), "{text}");
        }
        for text in ["2024-01-01", "2024-01-01 00:00:00 +0000 U2C", "soon"] {
            assert!(parse_timestamp(text).is_none(), "{text}");
        }
    }
}
