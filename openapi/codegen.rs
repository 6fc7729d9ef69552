//! Code generation from the curated OpenAPI document.
//!
//! This file is the single home of the generation settings. `build.rs` includes it with
//! `#[path = "openapi/codegen.rs"] mod codegen;` and `cargo xtask` includes the same file, so both
//! produce byte-identical code from the same document.
//!
//! Generation has two parts:
//! 1. **Open enums**: every enum component reachable from a response is generated here (not by
//!    typify) as an enum with one variant per documented value plus `Unknown(..)`, so values
//!    Cloudflare adds later decode instead of failing. typify is told to use these types in place
//!    of its own (`with_replacement`).
//! 2. **Client and types**: progenitor (Builder interface) generates the client and every other type.
//!
//! Every failure names the document and the operation, schema or JSON path at fault.

#![allow(dead_code)] // build.rs and xtask each use a different subset.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Path, relative to the crate root, of the curated document.
pub const SPEC_PATH: &str = "openapi/cloudflare-ssl.yaml";
/// Name of the generated file in `OUT_DIR` (and of the reviewed copy xtask writes).
pub const OUTPUT_FILE: &str = "codegen.rs";
/// Name of the document, as JSON, written to `OUT_DIR`.
pub const SPEC_JSON_FILE: &str = "cloudflare-ssl.json";
/// Rust path of the module that `include!`s the generated file.
pub const GENERATED_MODULE: &str = "crate::generated";
/// Module, inside the generated file, holding the open enums and lenient strings.
pub const OPEN_MODULE: &str = "open";

/// A readable code generation failure: which file, where in it, and what is wrong.
#[derive(Debug)]
pub struct CodegenError {
    /// The OpenAPI document at fault.
    pub file: PathBuf,
    /// Where in the document: an operation, a schema or a JSON path.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.location,
            self.message
        )
    }
}

impl std::error::Error for CodegenError {}

fn err(file: &Path, location: impl Into<String>, message: impl Into<String>) -> CodegenError {
    CodegenError {
        file: file.to_path_buf(),
        location: location.into(),
        message: message.into(),
    }
}

/// The parsed document, both as raw JSON (for checks that need every key) and as `openapiv3`.
pub struct Spec {
    /// The file it was read from.
    pub path: PathBuf,
    /// The document as a JSON value.
    pub json: serde_json::Value,
    /// The document as typed OpenAPI 3.0.
    pub openapi: openapiv3::OpenAPI,
}

/// Reads and parses the document, reporting YAML or OpenAPI structure errors with their location.
pub fn load_spec(path: &Path) -> Result<Spec, CodegenError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| err(path, "reading the file", e.to_string()))?;
    parse_spec(path, &text)
}

/// Parses document text (see [`load_spec`]).
pub fn parse_spec(path: &Path, text: &str) -> Result<Spec, CodegenError> {
    let json: serde_json::Value = serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {}, column {}", l.line(), l.column()))
            .unwrap_or_else(|| "YAML".to_owned());
        err(path, at, format!("invalid YAML: {e}"))
    })?;
    let openapi: openapiv3::OpenAPI = serde_path_to_error::deserialize(&json).map_err(|e| {
        err(
            path,
            format!("at `{}`", e.path()),
            format!("not a valid OpenAPI 3.0 document: {}", e.inner()),
        )
    })?;
    if !openapi.openapi.starts_with("3.0.") {
        return Err(err(
            path,
            "at `openapi`",
            format!(
                "expected an OpenAPI 3.0.x document, found {}",
                openapi.openapi
            ),
        ));
    }
    Ok(Spec {
        path: path.to_path_buf(),
        json,
        openapi,
    })
}

/// Every `$ref` in the document with the JSON path where it appears.
pub fn all_refs(json: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    if k == "$ref" {
                        if let Some(target) = child.as_str() {
                            out.push((path.join("."), target.to_owned()));
                        }
                    }
                    path.push(k.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(json, &mut Vec::new(), &mut out);
    out
}

/// Resolves a local `$ref` (`#/a/b`) to the value it points at.
pub fn resolve_ref<'a>(json: &'a serde_json::Value, target: &str) -> Option<&'a serde_json::Value> {
    let pointer = target.strip_prefix('#')?;
    json.pointer(pointer)
}

/// Checks that every `$ref` is local and resolves.
pub fn check_refs(spec: &Spec) -> Result<(), CodegenError> {
    for (at, target) in all_refs(&spec.json) {
        if resolve_ref(&spec.json, &target).is_none() {
            return Err(err(
                &spec.path,
                format!("at `{at}`"),
                format!("`$ref: {target}` does not resolve to anything in the document"),
            ));
        }
    }
    Ok(())
}

/// The kind of values an open enum holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumKind {
    /// JSON strings.
    String,
    /// JSON integers.
    Integer,
}

/// An enum component that appears in a response and is generated as an open enum.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    /// Component name (also the Rust type name).
    pub name: String,
    /// String or integer values.
    pub kind: EnumKind,
    /// The documented values, as JSON.
    pub values: Vec<serde_json::Value>,
    /// Rust variant name of each value.
    pub variants: Vec<String>,
    /// The component's description.
    pub description: Option<String>,
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

fn schema_deps(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref" {
                    if let Some(name) = child.as_str().and_then(|t| t.strip_prefix(SCHEMA_PREFIX)) {
                        out.insert(name.to_owned());
                    }
                }
                schema_deps(child, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|c| schema_deps(c, out)),
        _ => {}
    }
}

/// Components reachable, transitively, from `start` (a JSON value holding `$ref`s).
pub fn reachable_schemas(spec: &Spec, start: &serde_json::Value) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = BTreeSet::new();
    schema_deps(start, &mut todo);
    while let Some(name) = todo.pop_first() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = spec.json.pointer(&format!("/components/schemas/{name}")) {
            let mut next = BTreeSet::new();
            schema_deps(schema, &mut next);
            todo.extend(next.into_iter().filter(|n| !seen.contains(n)));
        }
    }
    seen
}

/// Every response body schema of every operation, with `METHOD path` and the status code.
fn response_schemas(spec: &Spec) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    let Some(paths) = spec.json.get("paths").and_then(|p| p.as_object()) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(responses) = op.get("responses").and_then(|r| r.as_object()) else {
                continue;
            };
            for (code, response) in responses {
                let response = match response.get("$ref").and_then(|r| r.as_str()) {
                    Some(target) => resolve_ref(&spec.json, target).unwrap_or(response),
                    None => response,
                };
                if let Some(content) = response.get("content").and_then(|c| c.as_object()) {
                    for media in content.values() {
                        if let Some(schema) = media.get("schema") {
                            out.push((
                                format!("{} {path} ({code})", method.to_uppercase()),
                                schema.clone(),
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Finds an inline `enum` (one not behind a `$ref`), returning its JSON path.
fn find_inline_enum(v: &serde_json::Value, path: &mut Vec<String>) -> Option<String> {
    let map = v.as_object()?;
    if map.contains_key("enum") && map.get("type").and_then(|t| t.as_str()) != Some("boolean") {
        return Some(path.join("."));
    }
    for (k, child) in map {
        if k == "example" || k == "$ref" {
            continue;
        }
        path.push(k.clone());
        let found = match child {
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, c)| {
                path.push(i.to_string());
                let f = find_inline_enum(c, path);
                path.pop();
                f
            }),
            other => find_inline_enum(other, path),
        };
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Rust variant name for an enum value: `pending_validation` → `PendingValidation`,
/// `meta tag` → `MetaTag`, `ECDSAWithSHA256` → `EcdsaWithSha256`.
pub fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for word in value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        // Split runs like "ECDSAWith" into "ECDSA" + "With", then title-case each part.
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        for i in 1..=chars.len() {
            let boundary = i == chars.len()
                || (chars[i].is_ascii_uppercase()
                    && (chars[i - 1].is_ascii_lowercase()
                        || (i + 1 < chars.len() && chars[i + 1].is_ascii_lowercase())));
            if boundary {
                let part: String = chars[start..i].iter().collect();
                let mut cs = part.chars();
                if let Some(first) = cs.next() {
                    out.push(first.to_ascii_uppercase());
                    out.extend(cs.map(|c| c.to_ascii_lowercase()));
                }
                start = i;
            }
        }
    }
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Collects the open enums: enum components reachable from any response. Fails when a response
/// holds an inline enum (it could not be made open) or when two values map to one variant name.
pub fn open_enums(spec: &Spec) -> Result<Vec<OpenEnum>, CodegenError> {
    let mut names = BTreeSet::new();
    for (op, schema) in response_schemas(spec) {
        if let Some(at) = find_inline_enum(&schema, &mut Vec::new()) {
            return Err(err(
                &spec.path,
                format!("{op}, response schema at `{at}`"),
                "inline enum in a response: make it a named component under components.schemas so \
                 it is generated as an open enum",
            ));
        }
        names.extend(reachable_schemas(spec, &schema));
    }
    let mut out = Vec::new();
    for name in names {
        let Some(schema) = spec.json.pointer(&format!("/components/schemas/{name}")) else {
            continue;
        };
        if let Some(at) = find_inline_enum_below_root(schema) {
            return Err(err(
                &spec.path,
                format!("schema `{name}` at `{at}`"),
                "inline enum inside a response type: make it a named component so it is generated \
                 as an open enum",
            ));
        }
        let Some(values) = schema.get("enum").and_then(|e| e.as_array()) else {
            continue;
        };
        let kind = match schema.get("type").and_then(|t| t.as_str()) {
            Some("string") => EnumKind::String,
            Some("integer") => EnumKind::Integer,
            Some("boolean") => continue, // `enum: [true]` stays a plain bool.
            other => {
                return Err(err(
                    &spec.path,
                    format!("schema `{name}`"),
                    format!("enum of type {other:?}: only string and integer enums are supported"),
                ))
            }
        };
        let given_names: Option<Vec<String>> = schema
            .get("x-enum-varnames")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            });
        let mut variants = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let variant = match (&given_names, kind) {
                (Some(given), _) => given.get(i).cloned().ok_or_else(|| {
                    err(
                        &spec.path,
                        format!("schema `{name}`"),
                        "x-enum-varnames has fewer names than enum has values",
                    )
                })?,
                (None, EnumKind::String) => variant_name(value.as_str().ok_or_else(|| {
                    err(
                        &spec.path,
                        format!("schema `{name}`"),
                        format!("value {value} is not a string"),
                    )
                })?),
                (None, EnumKind::Integer) => format!("V{value}"),
            };
            if kind == EnumKind::Integer && value.as_i64().is_none() {
                return Err(err(
                    &spec.path,
                    format!("schema `{name}`"),
                    format!("value {value} is not an integer"),
                ));
            }
            if variant == "Unknown" || variants.contains(&variant) {
                return Err(err(
                    &spec.path,
                    format!("schema `{name}`, value {value}"),
                    format!("variant name `{variant}` collides with another variant"),
                ));
            }
            variants.push(variant);
        }
        out.push(OpenEnum {
            name: name.clone(),
            kind,
            values: values.clone(),
            variants,
            description: schema
                .get("description")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
        });
    }
    Ok(out)
}

fn find_inline_enum_below_root(schema: &serde_json::Value) -> Option<String> {
    let map = schema.as_object()?;
    for (k, child) in map {
        if k == "example" || k == "enum" {
            continue;
        }
        let mut path = vec![k.clone()];
        if let Some(found) = find_inline_enum(child, &mut path) {
            return Some(found);
        }
    }
    None
}

/// A length-limited string component reachable from a response (see [`lenient_strings`]).
#[derive(Debug, Clone)]
pub struct LenientString {
    /// Component name (also the Rust type name).
    pub name: String,
    /// `minLength`, if any.
    pub min_length: Option<u64>,
    /// `maxLength`, if any.
    pub max_length: Option<u64>,
    /// The component's description.
    pub description: Option<String>,
}

/// String components with `minLength`/`maxLength` that appear in a response. They are generated
/// as strings that enforce the limits when built from user input but decode whatever the server
/// sends: a server-given identifier must always be usable in the next request.
pub fn lenient_strings(spec: &Spec) -> Result<Vec<LenientString>, CodegenError> {
    let mut names = BTreeSet::new();
    for (_, schema) in response_schemas(spec) {
        names.extend(reachable_schemas(spec, &schema));
    }
    let mut out = Vec::new();
    for name in names {
        let Some(schema) = spec.json.pointer(&format!("/components/schemas/{name}")) else {
            continue;
        };
        if schema.get("type").and_then(|t| t.as_str()) != Some("string")
            || schema.get("enum").is_some()
        {
            continue;
        }
        let min_length = schema.get("minLength").and_then(|v| v.as_u64());
        let max_length = schema.get("maxLength").and_then(|v| v.as_u64());
        if min_length.is_none() && max_length.is_none() {
            continue;
        }
        if schema.get("pattern").is_some() || schema.get("format").is_some() {
            return Err(err(
                &spec.path,
                format!("schema `{name}`"),
                "a length-limited string with a pattern or format is not supported in responses",
            ));
        }
        out.push(LenientString {
            name,
            min_length,
            max_length,
            description: schema
                .get("description")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
        });
    }
    Ok(out)
}

fn lenient_string_item(l: &LenientString) -> TokenStream {
    let name = Ident::new(&l.name, Span::call_site());
    let name_str = &l.name;
    let description = l
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` string.", l.name));
    let limits = match (l.min_length, l.max_length) {
        (Some(min), Some(max)) => format!("{min} to {max} characters"),
        (Some(min), None) => format!("at least {min} characters"),
        (None, Some(max)) => format!("at most {max} characters"),
        (None, None) => "any length".to_owned(),
    };
    let doc = format!(
        "{description}\n\nDocumented as {limits}. Building one from user input (`FromStr`, \
         `TryFrom`) checks that; decoding a server response accepts any string, so a value the \
         server gave can always be sent back."
    );
    let min = match l.min_length {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    };
    let max = match l.max_length {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    };
    let schema_min = match l.min_length {
        Some(v) => {
            let v = v as u32;
            quote!(::std::option::Option::Some(#v))
        }
        None => quote!(::std::option::Option::None),
    };
    let schema_max = match l.max_length {
        Some(v) => {
            let v = v as u32;
            quote!(::std::option::Option::Some(#v))
        }
        None => quote!(::std::option::Option::None),
    };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]
        #[serde(transparent)]
        pub struct #name(::std::string::String);

        impl #name {
            /// The documented minimum length in characters, if any.
            pub const MIN_LENGTH: ::std::option::Option<u64> = #min;
            /// The documented maximum length in characters, if any.
            pub const MAX_LENGTH: ::std::option::Option<u64> = #max;

            /// Checks the documented limits and wraps the value.
            pub fn new(value: impl ::std::convert::Into<::std::string::String>) -> ::std::result::Result<Self, LengthError> {
                let value = value.into();
                let length = value.chars().count() as u64;
                let too_short = Self::MIN_LENGTH.is_some_and(|min| length < min);
                let too_long = Self::MAX_LENGTH.is_some_and(|max| length > max);
                if too_short || too_long {
                    return ::std::result::Result::Err(LengthError {
                        type_name: #name_str,
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

        impl ::std::ops::Deref for #name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = LengthError;
            fn from_str(value: &str) -> ::std::result::Result<Self, LengthError> {
                Self::new(value)
            }
        }

        impl ::std::convert::TryFrom<&str> for #name {
            type Error = LengthError;
            fn try_from(value: &str) -> ::std::result::Result<Self, LengthError> {
                Self::new(value)
            }
        }

        impl ::std::convert::TryFrom<&::std::string::String> for #name {
            type Error = LengthError;
            fn try_from(value: &::std::string::String) -> ::std::result::Result<Self, LengthError> {
                Self::new(value.as_str())
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = LengthError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, LengthError> {
                Self::new(value)
            }
        }

        impl ::std::convert::From<&#name> for #name {
            fn from(value: &#name) -> Self {
                value.clone()
            }
        }

        impl ::std::convert::From<#name> for ::std::string::String {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                // Lenient on purpose: the server's data is kept even beyond the documented limits.
                ::std::string::String::deserialize(deserializer).map(Self)
            }
        }

        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #name_str.to_owned()
            }
            fn json_schema(_: &mut ::schemars::gen::SchemaGenerator) -> ::schemars::schema::Schema {
                ::schemars::schema::Schema::Object(::schemars::schema::SchemaObject {
                    instance_type: ::std::option::Option::Some(::schemars::schema::InstanceType::String.into()),
                    metadata: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::Metadata {
                        description: ::std::option::Option::Some(#description.to_owned()),
                        ..::std::default::Default::default()
                    })),
                    string: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::StringValidation {
                        min_length: #schema_min,
                        max_length: #schema_max,
                        pattern: ::std::option::Option::None,
                    })),
                    ..::std::default::Default::default()
                })
            }
        }
    }
}

/// The error for a length-limited string built from a value outside its documented limits.
fn length_error_item() -> TokenStream {
    quote! {
        /// A value outside a string type's documented length limits.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct LengthError {
            /// The type whose limits were broken, e.g. `Identifier`.
            pub type_name: &'static str,
            /// The value's length in characters.
            pub length: u64,
            /// The documented minimum length, if any.
            pub min_length: ::std::option::Option<u64>,
            /// The documented maximum length, if any.
            pub max_length: ::std::option::Option<u64>,
        }

        impl ::std::fmt::Display for LengthError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{} must be ", self.type_name)?;
                match (self.min_length, self.max_length) {
                    (::std::option::Option::Some(min), ::std::option::Option::Some(max)) => write!(f, "{min} to {max} characters")?,
                    (::std::option::Option::Some(min), ::std::option::Option::None) => write!(f, "at least {min} characters")?,
                    (::std::option::Option::None, ::std::option::Option::Some(max)) => write!(f, "at most {max} characters")?,
                    (::std::option::Option::None, ::std::option::Option::None) => f.write_str("of any length")?,
                }
                write!(f, " long, got {}", self.length)
            }
        }

        impl ::std::error::Error for LengthError {}
    }
}

/// The progenitor settings every generation uses.
pub fn settings(open: &[OpenEnum], lenient: &[LenientString]) -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema")
        // Auth, retries, rate limiting and tracing live in `crate::transport::Transport`,
        // which implements progenitor's `ClientHooks` for the generated client.
        .with_inner_type(quote!(crate::transport::Transport))
        .with_hooks(progenitor::HooksMode::Expected);
    for l in lenient {
        settings.with_replacement(
            &l.name,
            format!("{GENERATED_MODULE}::{OPEN_MODULE}::{}", l.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    for e in open {
        settings.with_replacement(
            &e.name,
            format!("{GENERATED_MODULE}::{OPEN_MODULE}::{}", e.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_owned())
}

/// Runs progenitor, turning both its errors and its panics into messages.
fn run_progenitor(
    openapi: &openapiv3::OpenAPI,
    open: &[OpenEnum],
    lenient: &[LenientString],
) -> Result<TokenStream, String> {
    let settings = settings(open, lenient);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        progenitor::Generator::new(&settings).generate_tokens(openapi)
    }));
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => Err(format!("generator panicked: {}", panic_message(&*payload))),
    }
}

/// Narrows a generator failure down to the schema or operation that causes it.
fn locate_failure(spec: &Spec, open: &[OpenEnum], lenient: &[LenientString]) -> Option<String> {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut found = None;
    // 1. Schemas alone (no paths): each component with what it references.
    if let Some(schemas) = spec
        .json
        .pointer("/components/schemas")
        .and_then(|s| s.as_object())
    {
        for (name, schema) in schemas {
            let mut keep = reachable_schemas(spec, schema);
            keep.insert(name.clone());
            let mut doc = spec.json.clone();
            doc["paths"] = serde_json::json!({});
            if let Some(map) = doc
                .pointer_mut("/components/schemas")
                .and_then(|s| s.as_object_mut())
            {
                map.retain(|k, _| keep.contains(k));
            }
            if let Ok(openapi) = serde_json::from_value::<openapiv3::OpenAPI>(doc) {
                if let Err(e) = run_progenitor(&openapi, open, lenient) {
                    found = Some(format!("schema `{name}`: {e}"));
                    break;
                }
            }
        }
    }
    // 2. Operations alone, each with every component.
    if found.is_none() {
        if let Some(paths) = spec.json.get("paths").and_then(|p| p.as_object()) {
            'outer: for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, op) in item {
                    let mut doc = spec.json.clone();
                    doc["paths"] =
                        serde_json::json!({ path.clone(): { method.clone(): op.clone() } });
                    if let Ok(openapi) = serde_json::from_value::<openapiv3::OpenAPI>(doc) {
                        if let Err(e) = run_progenitor(&openapi, open, lenient) {
                            let id = op
                                .get("operationId")
                                .and_then(|i| i.as_str())
                                .unwrap_or("?");
                            found = Some(format!(
                                "operation `{id}` ({} {path}): {e}",
                                method.to_uppercase()
                            ));
                            break 'outer;
                        }
                    }
                }
            }
        }
    }
    std::panic::set_hook(previous_hook);
    found
}

/// Generates the open enums' code.
pub fn open_tokens(open: &[OpenEnum], lenient: &[LenientString]) -> TokenStream {
    let items = open.iter().map(open_enum_item);
    let strings = lenient.iter().map(lenient_string_item);
    let module = Ident::new(OPEN_MODULE, Span::call_site());
    let helper = open_schema_helper();
    let length_error = length_error_item();
    quote! {
        /// Types that appear in responses and must survive whatever the server sends.
        ///
        /// * Enums are *open*: every documented value is a variant, and any other value decodes
        ///   into `Unknown(..)` and is encoded back unchanged.
        /// * Length-limited strings (such as `Identifier`) check the documented limit when
        ///   built from user input, but decode any string the server sends, so a server-given
        ///   value can always be passed back in a request.
        pub mod #module {
            #helper
            #length_error
            #(#strings)*
            #(#items)*
        }
    }
}

fn open_enum_item(e: &OpenEnum) -> TokenStream {
    let name = Ident::new(&e.name, Span::call_site());
    let name_str = &e.name;
    let variants: Vec<Ident> = e
        .variants
        .iter()
        .map(|v| Ident::new(v, Span::call_site()))
        .collect();
    let description = e
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` enum.", e.name));
    let doc_open = "\n\nThis enum is *open*: a value this version of the crate does not know \
                    decodes into `Unknown` and is encoded back unchanged.";
    let doc = format!("{description}{doc_open}");
    match e.kind {
        EnumKind::String => {
            let values: Vec<&str> = e.values.iter().filter_map(|v| v.as_str()).collect();
            let variant_docs: Vec<String> = values.iter().map(|v| format!("`\"{v}\"`")).collect();
            quote! {
                #[doc = #doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #[non_exhaustive]
                pub enum #name {
                    #( #[doc = #variant_docs] #variants, )*
                    /// A value not documented when this crate was generated, kept verbatim.
                    Unknown(::std::string::String),
                }

                impl #name {
                    /// Every documented value, in the document's order.
                    pub const VALUES: &'static [&'static str] = &[ #(#values),* ];

                    /// The value as it appears on the wire.
                    pub fn as_str(&self) -> &str {
                        match self {
                            #( Self::#variants => #values, )*
                            Self::Unknown(value) => value.as_str(),
                        }
                    }

                    /// Whether the value is one of the documented ones.
                    pub fn is_known(&self) -> bool {
                        !matches!(self, Self::Unknown(_))
                    }

                    fn from_wire(value: &str) -> ::std::option::Option<Self> {
                        match value {
                            #( #values => ::std::option::Option::Some(Self::#variants), )*
                            _ => ::std::option::Option::None,
                        }
                    }
                }

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }

                impl ::std::str::FromStr for #name {
                    type Err = ::std::convert::Infallible;
                    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                        ::std::result::Result::Ok(Self::from(value))
                    }
                }

                impl ::std::convert::From<&str> for #name {
                    fn from(value: &str) -> Self {
                        Self::from_wire(value)
                            .unwrap_or_else(|| Self::Unknown(value.to_owned()))
                    }
                }

                impl ::std::convert::From<::std::string::String> for #name {
                    fn from(value: ::std::string::String) -> Self {
                        Self::from_wire(&value).unwrap_or(Self::Unknown(value))
                    }
                }

                impl ::std::convert::From<&#name> for #name {
                    fn from(value: &#name) -> Self {
                        value.clone()
                    }
                }

                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        struct Visitor;
                        impl ::serde::de::Visitor<'_> for Visitor {
                            type Value = #name;
                            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                                f.write_str(concat!("a string (", #name_str, ")"))
                            }
                            fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                                ::std::result::Result::Ok(#name::from(value))
                            }
                            fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<#name, E> {
                                ::std::result::Result::Ok(#name::from(value))
                            }
                        }
                        deserializer.deserialize_str(Visitor)
                    }
                }

                impl ::schemars::JsonSchema for #name {
                    fn schema_name() -> ::std::string::String {
                        #name_str.to_owned()
                    }
                    fn json_schema(_: &mut ::schemars::gen::SchemaGenerator) -> ::schemars::schema::Schema {
                        let known = ::schemars::schema::SchemaObject {
                            enum_values: ::std::option::Option::Some(
                                Self::VALUES.iter().map(|v| ::serde_json::Value::from(*v)).collect(),
                            ),
                            ..::std::default::Default::default()
                        };
                        open_schema(#doc, ::schemars::schema::InstanceType::String, known)
                    }
                }
            }
        }
        EnumKind::Integer => {
            let values: Vec<i64> = e.values.iter().filter_map(|v| v.as_i64()).collect();
            let variant_docs: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
            quote! {
                #[doc = #doc]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #[non_exhaustive]
                pub enum #name {
                    #( #[doc = #variant_docs] #variants, )*
                    /// A value not documented when this crate was generated, kept verbatim.
                    Unknown(i64),
                }

                impl #name {
                    /// Every documented value, in the document's order.
                    pub const VALUES: &'static [i64] = &[ #(#values),* ];

                    /// The value as it appears on the wire.
                    pub fn as_i64(&self) -> i64 {
                        match self {
                            #( Self::#variants => #values, )*
                            Self::Unknown(value) => *value,
                        }
                    }

                    /// Whether the value is one of the documented ones.
                    pub fn is_known(&self) -> bool {
                        !matches!(self, Self::Unknown(_))
                    }
                }

                impl ::std::convert::From<i64> for #name {
                    fn from(value: i64) -> Self {
                        match value {
                            #( #values => Self::#variants, )*
                            other => Self::Unknown(other),
                        }
                    }
                }

                impl ::std::convert::From<&#name> for #name {
                    fn from(value: &#name) -> Self {
                        *value
                    }
                }

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        ::std::fmt::Display::fmt(&self.as_i64(), f)
                    }
                }

                impl ::std::str::FromStr for #name {
                    type Err = ::std::num::ParseIntError;
                    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                        value.trim().parse::<i64>().map(Self::from)
                    }
                }

                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                        serializer.serialize_i64(self.as_i64())
                    }
                }

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        struct Visitor;
                        impl ::serde::de::Visitor<'_> for Visitor {
                            type Value = #name;
                            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                                f.write_str(concat!("an integer (", #name_str, ")"))
                            }
                            fn visit_i64<E: ::serde::de::Error>(self, value: i64) -> ::std::result::Result<#name, E> {
                                ::std::result::Result::Ok(#name::from(value))
                            }
                            fn visit_u64<E: ::serde::de::Error>(self, value: u64) -> ::std::result::Result<#name, E> {
                                i64::try_from(value)
                                    .map(#name::from)
                                    .map_err(|_| E::invalid_value(::serde::de::Unexpected::Unsigned(value), &self))
                            }
                            fn visit_f64<E: ::serde::de::Error>(self, value: f64) -> ::std::result::Result<#name, E> {
                                // JSON does not tell 14 from 14.0; accept integral floats.
                                if value.fract() == 0.0 && value.abs() < 9.0e15 {
                                    ::std::result::Result::Ok(#name::from(value as i64))
                                } else {
                                    ::std::result::Result::Err(E::invalid_value(::serde::de::Unexpected::Float(value), &self))
                                }
                            }
                        }
                        deserializer.deserialize_i64(Visitor)
                    }
                }

                impl ::schemars::JsonSchema for #name {
                    fn schema_name() -> ::std::string::String {
                        #name_str.to_owned()
                    }
                    fn json_schema(_: &mut ::schemars::gen::SchemaGenerator) -> ::schemars::schema::Schema {
                        let known = ::schemars::schema::SchemaObject {
                            enum_values: ::std::option::Option::Some(
                                Self::VALUES.iter().map(|v| ::serde_json::Value::from(*v)).collect(),
                            ),
                            ..::std::default::Default::default()
                        };
                        open_schema(#doc, ::schemars::schema::InstanceType::Integer, known)
                    }
                }
            }
        }
    }
}

/// Shared helper emitted once into the open-enum module.
fn open_schema_helper() -> TokenStream {
    quote! {
        /// JSON Schema of an open enum: any value of `instance`, documented values listed.
        fn open_schema(
            description: &str,
            instance: ::schemars::schema::InstanceType,
            known: ::schemars::schema::SchemaObject,
        ) -> ::schemars::schema::Schema {
            let any = ::schemars::schema::SchemaObject {
                instance_type: ::std::option::Option::Some(instance.into()),
                ..::std::default::Default::default()
            };
            ::schemars::schema::Schema::Object(::schemars::schema::SchemaObject {
                metadata: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::Metadata {
                    description: ::std::option::Option::Some(description.to_owned()),
                    ..::std::default::Default::default()
                })),
                subschemas: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::SubschemaValidation {
                    any_of: ::std::option::Option::Some(::std::vec![known.into(), any.into()]),
                    ..::std::default::Default::default()
                })),
                ..::std::default::Default::default()
            })
        }
    }
}

/// Generates the whole file: progenitor's client and types plus the open enums, formatted.
pub fn generate(spec: &Spec) -> Result<String, CodegenError> {
    check_refs(spec)?;
    let open = open_enums(spec)?;
    let lenient = lenient_strings(spec)?;
    let tokens = match run_progenitor(&spec.openapi, &open, &lenient) {
        Ok(tokens) => tokens,
        Err(message) => {
            let location = locate_failure(spec, &open, &lenient)
                .unwrap_or_else(|| "the document as a whole".to_owned());
            return Err(err(
                &spec.path,
                location,
                format!("code generation failed: {message}"),
            ));
        }
    };
    let enums = open_tokens(&open, &lenient);
    let table = operation_enum(&operation_defs(spec)?);
    let file: syn::File = syn::parse2(quote! { #tokens #enums #table }).map_err(|e| {
        err(
            &spec.path,
            "generated code",
            format!("does not parse as Rust: {e}"),
        )
    })?;
    let mut text = String::from(
        "// @generated by openapi/codegen.rs from openapi/cloudflare-ssl.yaml; do not edit.\n\n",
    );
    text.push_str(&prettyplease::unparse(&file));
    Ok(text)
}

/// One operation of the document, in document order: what the generated [`Operation`] enum is
/// made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationDef {
    /// The `operationId`.
    pub id: String,
    /// The Rust variant name (`get_certificate_pack` → `GetCertificatePack`).
    pub variant: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template.
    pub path: String,
    /// Whether a repeat of the request has the effect of one: the `x-idempotent` extension when
    /// present, else by method (GET, HEAD, PUT, DELETE, OPTIONS are; POST and PATCH are not).
    pub idempotent: bool,
}

/// Every operation of the document in document order. Fails on a missing or duplicate
/// `operationId`, or a non-boolean `x-idempotent`.
pub fn operation_defs(spec: &Spec) -> Result<Vec<OperationDef>, CodegenError> {
    let mut out: Vec<OperationDef> = Vec::new();
    for (path, item) in spec.openapi.paths.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            let location = format!("operation {} {path}", method.to_uppercase());
            let id = op
                .operation_id
                .clone()
                .ok_or_else(|| err(&spec.path, &location, "has no operationId"))?;
            let idempotent = match op.extensions.get("x-idempotent") {
                None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
                Some(serde_json::Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(err(
                        &spec.path,
                        &location,
                        format!("x-idempotent must be a boolean, found {other}"),
                    ))
                }
            };
            let variant = variant_name(&id);
            if let Some(twin) = out.iter().find(|o| o.id == id || o.variant == variant) {
                return Err(err(
                    &spec.path,
                    &location,
                    format!(
                        "operationId `{id}` clashes with `{}` (same id or variant name)",
                        twin.id
                    ),
                ));
            }
            out.push(OperationDef {
                id,
                variant,
                method: method.to_uppercase(),
                path: path.clone(),
                idempotent,
            });
        }
    }
    Ok(out)
}

/// The `Operation` enum: one variant per `operationId`, with its method, path template and
/// idempotency, for the transport, the resources and the mock alike.
fn operation_enum(ops: &[OperationDef]) -> TokenStream {
    let count = ops.len();
    let variants: Vec<Ident> = ops
        .iter()
        .map(|o| Ident::new(&o.variant, Span::call_site()))
        .collect();
    let docs: Vec<String> = ops
        .iter()
        .map(|o| format!("`{} {}` (`{}`)", o.method, o.path, o.id))
        .collect();
    let ids: Vec<&str> = ops.iter().map(|o| o.id.as_str()).collect();
    let methods: Vec<&str> = ops.iter().map(|o| o.method.as_str()).collect();
    let paths: Vec<&str> = ops.iter().map(|o| o.path.as_str()).collect();
    let idempotent: Vec<bool> = ops.iter().map(|o| o.idempotent).collect();
    quote! {
        /// An operation of the API, identified by its `operationId` in the curated document.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            #( #[doc = #docs] #variants, )*
        }

        impl Operation {
            /// Every operation, in the order of the document.
            pub const ALL: [Operation; #count] = [ #( Operation::#variants, )* ];

            /// The `operationId` (also the generated client's method name).
            pub const fn operation_id(self) -> &'static str {
                match self { #( Operation::#variants => #ids, )* }
            }

            /// The HTTP method, upper case.
            pub const fn method(self) -> &'static str {
                match self { #( Operation::#variants => #methods, )* }
            }

            /// The path template, relative to the base URL (e.g. `/zones/{zone_id}/ssl/analyze`).
            pub const fn path(self) -> &'static str {
                match self { #( Operation::#variants => #paths, )* }
            }

            /// Whether sending the request twice has the effect of sending it once, so that it
            /// may be retried when its outcome is unknown (the document's `x-idempotent`, else
            /// by method). Ordering a certificate pack is not.
            pub const fn is_idempotent(self) -> bool {
                match self { #( Operation::#variants => #idempotent, )* }
            }

            /// The operation with this `operationId`, if any.
            pub fn from_operation_id(id: &str) -> ::std::option::Option<Operation> {
                match id {
                    #( #ids => ::std::option::Option::Some(Operation::#variants), )*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::fmt::Display for Operation {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.operation_id())
            }
        }

        /// The error of parsing a string that is not an `operationId` of the document.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct UnknownOperation(pub ::std::string::String);

        impl ::std::fmt::Display for UnknownOperation {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "unknown operation `{}`", self.0)
            }
        }

        impl ::std::error::Error for UnknownOperation {}

        impl ::std::str::FromStr for Operation {
            type Err = UnknownOperation;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Operation::from_operation_id(s).ok_or_else(|| UnknownOperation(s.to_owned()))
            }
        }
    }
}
