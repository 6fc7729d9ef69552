//! Code generation from the curated OpenAPI document.
//!
//! This file is the single home of the generation settings. `build.rs` includes it with
//! `#[path = "openapi/codegen.rs"] mod codegen;` and `cargo xtask` includes the same file, so both
//! produce byte-identical code from the same document.
//!
//! Generation has four parts:
//! 1. **Open enums**: every enum component reachable from a response is generated here (not by
//!    typify) as an enum with one variant per documented value plus `Unknown(..)`, so values
//!    Cloudflare adds later decode instead of failing; built from user input (`FromStr`,
//!    `TryFrom<&str>`) they are strict. typify is told to use these types in place of its own
//!    (`with_replacement`). `x-convert-to` adds conversions between enums that stand for the
//!    same thing, `x-rust-aliases` type aliases.
//! 2. **Client and types**: progenitor (Builder interface) generates the client and every other type.
//! 3. **Tolerant reader**: the derived `Deserialize` of every response struct is replaced by a
//!    generated visitor ([`apply_readers`]): unknown keys go straight into `extra` (no
//!    `#[serde(flatten)]`), optional lists decode `null`/absence as empty, integers accept
//!    integral floats, and a required property is relaxed only where the document says why
//!    (`x-lenient: "<reason>"`, or `x-lenient-string` for an object that may come as a bare
//!    string); the reasons land in the generated docs.
//! 4. **Operations and envelopes**: data for the handwritten macros of `src/operation.rs` (the
//!    `Operation` enum, [`operation_defs`]) and `src/envelope_impl.rs` (each `200` response
//!    type's `Envelope` impl).
//!
//! Every failure names the document and the operation, schema or JSON path at fault. The unit
//! tests at the end run with `cargo test -p xtask --lib codegen` (xtask's library includes this
//! file; `cargo test --workspace` runs them too).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::toolkit::{self, resolve, SCHEMA_PREFIX};

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
        let Self {
            file,
            location,
            message,
        } = self;
        write!(f, "{}: {location}: {message}", file.display())
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
    pub json: Value,
    /// The document as typed OpenAPI 3.0.
    pub openapi: openapiv3::OpenAPI,
}

impl Spec {
    fn err(&self, location: impl Into<String>, message: impl Into<String>) -> CodegenError {
        err(&self.path, location, message)
    }
}

/// Reads and parses the document, reporting YAML or OpenAPI structure errors with their location.
pub fn load_spec(path: &Path) -> Result<Spec, CodegenError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| err(path, "reading the file", e.to_string()))?;
    parse_spec(path, &text)
}

/// Parses document text (see [`load_spec`]).
pub fn parse_spec(path: &Path, text: &str) -> Result<Spec, CodegenError> {
    let json: Value = serde_norway::from_str(text).map_err(|e| {
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

/// Checks that every `$ref` is local and resolves.
pub fn check_refs(spec: &Spec) -> Result<(), CodegenError> {
    for (at, target) in toolkit::refs(&spec.json, "#") {
        if toolkit::target(&spec.json, &target).is_none() {
            return Err(spec.err(
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
    pub values: Vec<Value>,
    /// Rust variant name of each value.
    pub variants: Vec<String>,
    /// The component's description.
    pub description: Option<String>,
    /// The document's `x-convert-to`: enums that stand for the same thing, which this one
    /// converts into (`From` or `TryFrom`, see [`conversions`]).
    pub convert_to: Vec<String>,
    /// The document's `x-rust-aliases`: other names of this type (e.g. the name of a request-only
    /// type that this component replaced), emitted as type aliases.
    pub aliases: Vec<String>,
}

/// Components reachable, transitively, from `start` (a JSON value holding `$ref`s).
pub fn reachable_schemas(spec: &Spec, start: &Value) -> BTreeSet<String> {
    toolkit::reachable(&spec.json, start)
        .iter()
        .filter_map(|r| r.strip_prefix(SCHEMA_PREFIX))
        .map(str::to_owned)
        .collect()
}

/// Every operation of the document as `(path, method, operation)`, in document order.
fn operations(json: &Value) -> impl Iterator<Item = (&String, &String, &Value)> {
    let paths = json
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    paths.flat_map(|(path, item)| {
        let ops = item.as_object().into_iter().flatten();
        ops.filter(|(method, _)| toolkit::METHODS.contains(&method.as_str()))
            .map(move |(method, op)| (path, method, op))
    })
}

/// Every response body schema of every operation, with `METHOD path (status)`.
fn response_schemas(spec: &Spec) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (path, method, op) in operations(&spec.json) {
        for (code, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let content = resolve(&spec.json, response)
                .get("content")
                .and_then(Value::as_object);
            for schema in content
                .into_iter()
                .flatten()
                .filter_map(|(_, m)| m.get("schema"))
            {
                out.push((format!("{} {path} ({code})", method.to_uppercase()), schema));
            }
        }
    }
    out
}

/// The JSON path of an inline `enum` (one not behind a `$ref`) in `v`; at the root of a
/// component (`component`), the component's own `enum` is not inline.
fn find_inline_enum(v: &Value, path: &mut Vec<String>, component: bool) -> Option<String> {
    let children: Vec<(String, &Value)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        Value::Object(map) => {
            let boolean = map.get("type").and_then(Value::as_str) == Some("boolean");
            if !component && map.contains_key("enum") && !boolean {
                return Some(path.join("."));
            }
            let skip = |k: &str| k == "example" || k == "$ref" || (component && k == "enum");
            map.iter()
                .filter(|(k, _)| !skip(k))
                .map(|(k, c)| (k.clone(), c))
                .collect()
        }
        _ => return None,
    };
    children.into_iter().find_map(|(key, child)| {
        path.push(key);
        let found = find_inline_enum(child, path, false);
        path.pop();
        found
    })
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

/// Collects the open enums: **every** enum component of the document, whether a response
/// reaches it today or not, so that a type never changes shape (loses `Copy`, gains `Unknown`)
/// because an operation added later happens to return it. Requests stay strict: the writer
/// refuses an `Unknown(..)` value (`src/strict.rs`), and `FromStr` accepts documented values
/// only, with an error that lists them. Fails when a response holds an inline enum (it could not
/// be made open) or when two values map to one variant name.
pub fn open_enums(spec: &Spec) -> Result<Vec<OpenEnum>, CodegenError> {
    for (op, schema) in response_schemas(spec) {
        if let Some(at) = find_inline_enum(schema, &mut Vec::new(), false) {
            return Err(spec.err(
                format!("{op}, response schema at `{at}`"),
                "inline enum in a response: make it a named component under components.schemas so \
                 it is generated as an open enum",
            ));
        }
    }
    let names: BTreeSet<String> = spec
        .json
        .pointer("/components/schemas")
        .and_then(|s| s.as_object())
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for name in names {
        let Some(schema) = spec.json.pointer(&format!("/components/schemas/{name}")) else {
            continue;
        };
        if let Some(at) = find_inline_enum(schema, &mut Vec::new(), true) {
            return Err(spec.err(
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
                return Err(spec.err(
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
                    spec.err(
                        format!("schema `{name}`"),
                        "x-enum-varnames has fewer names than enum has values",
                    )
                })?,
                (None, EnumKind::String) => variant_name(value.as_str().ok_or_else(|| {
                    spec.err(
                        format!("schema `{name}`"),
                        format!("value {value} is not a string"),
                    )
                })?),
                (None, EnumKind::Integer) => format!("V{value}"),
            };
            if kind == EnumKind::Integer && value.as_i64().is_none() {
                return Err(spec.err(
                    format!("schema `{name}`"),
                    format!("value {value} is not an integer"),
                ));
            }
            if variant == "Unknown" || variants.contains(&variant) {
                return Err(spec.err(
                    format!("schema `{name}`, value {value}"),
                    format!("variant name `{variant}` collides with another variant"),
                ));
            }
            variants.push(variant);
        }
        let names_list = |key: &str| -> Result<Vec<String>, CodegenError> {
            match schema.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .filter(|s| syn::parse_str::<Ident>(s).is_ok())
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                spec.err(
                                    format!("schema `{name}`, {key}"),
                                    format!("{i} is not a Rust type name"),
                                )
                            })
                    })
                    .collect(),
                Some(other) => Err(spec.err(
                    format!("schema `{name}`, {key}"),
                    format!("expected a list of type names, found {other}"),
                )),
            }
        };
        out.push(OpenEnum {
            name: name.clone(),
            kind,
            values: values.clone(),
            variants,
            description: schema
                .get("description")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
            convert_to: names_list("x-convert-to")?,
            aliases: names_list("x-rust-aliases")?,
        });
    }
    Ok(out)
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
        names.extend(reachable_schemas(spec, schema));
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
            return Err(spec.err(
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

/// One length-limited string as data: a `lenient_string!` invocation (handwritten in
/// `src/lenient_string.rs`, which holds the behaviour) with the name, description and limits.
fn lenient_string_item(l: &LenientString) -> TokenStream {
    let name = Ident::new(&l.name, Span::call_site());
    let description = l
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` string.", l.name));
    let unsuffixed = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
    let min = l
        .min_length
        .map(unsuffixed)
        .map(|v| quote!(min_length: #v,));
    let max = l
        .max_length
        .map(unsuffixed)
        .map(|v| quote!(max_length: #v,));
    quote! {
        crate::lenient_string::lenient_string! {
            #[doc = #description]
            #name { #min #max }
        }
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
    for name in lenient
        .iter()
        .map(|l| &l.name)
        .chain(open.iter().map(|e| &e.name))
    {
        settings.with_replacement(
            name,
            format!("{GENERATED_MODULE}::{OPEN_MODULE}::{name}"),
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
    patches: &[(String, progenitor::TypePatch)],
) -> Result<TokenStream, String> {
    let mut settings = settings(open, lenient);
    for (name, patch) in patches {
        settings.with_patch(name, patch);
    }
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
    let fails = |doc: Value| {
        let openapi = serde_json::from_value::<openapiv3::OpenAPI>(doc).ok()?;
        run_progenitor(&openapi, open, lenient, &[]).err()
    };
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // 1. Schemas alone (no paths): each component with what it references.
    let schemas = spec
        .json
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let found = schemas.into_iter().flatten().find_map(|(name, schema)| {
        let mut keep = reachable_schemas(spec, schema);
        keep.insert(name.clone());
        let mut doc = spec.json.clone();
        doc["paths"] = serde_json::json!({});
        if let Some(map) = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            map.retain(|k, _| keep.contains(k));
        }
        fails(doc).map(|e| format!("schema `{name}`: {e}"))
    });
    // 2. Operations alone, each with every component.
    let found = found.or_else(|| {
        operations(&spec.json).find_map(|(path, method, op)| {
            let mut doc = spec.json.clone();
            doc["paths"] = serde_json::json!({ path.clone(): { method.clone(): op.clone() } });
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
            fails(doc).map(|e| format!("operation `{id}` ({} {path}): {e}", method.to_uppercase()))
        })
    });
    std::panic::set_hook(previous_hook);
    found
}

/// Generates the open enums' code.
pub fn open_tokens(
    open: &[OpenEnum],
    lenient: &[LenientString],
    conversions: &[Conversion],
) -> TokenStream {
    let items = open.iter().map(open_enum_item);
    let strings = lenient.iter().map(lenient_string_item);
    let converts = conversions.iter().map(|c| conversion_item(c, open));
    let aliases = open.iter().flat_map(|e| {
        let target = Ident::new(&e.name, Span::call_site());
        e.aliases.iter().map(move |alias| {
            let alias_ident = Ident::new(alias, Span::call_site());
            let doc = format!(
                "Another name of [`{}`] (the document's `x-rust-aliases`): the name of a type it \
                 replaced, so code written against that name still compiles.",
                e.name
            );
            quote!(#[doc = #doc] pub type #alias_ident = #target;)
        })
    });
    let module = Ident::new(OPEN_MODULE, Span::call_site());
    quote! {
        /// Types that appear in responses and must survive whatever the server sends.
        ///
        /// * Enums are *open*: every documented value is a variant, and any other value decodes
        ///   into `Unknown(..)` and is encoded back unchanged.
        /// * Length-limited strings (such as `Identifier`) check the documented limit when
        ///   built from user input, but decode any string the server sends, so a server-given
        ///   value can always be passed back in a request.
        pub mod #module {
            pub use crate::open_enum::UnknownValueError;
            pub use crate::lenient_string::LengthError;
            #(#strings)*
            #(#items)*
            #(#converts)*
            #(#aliases)*
        }
    }
}

/// One open enum as data: an invocation of `string_enum!` or `integer_enum!` (handwritten in
/// `src/open_enum.rs`, which holds the behaviour) with the name, description, variants and wire
/// values.
fn open_enum_item(e: &OpenEnum) -> TokenStream {
    let name = Ident::new(&e.name, Span::call_site());
    let variants = e.variants.iter().map(|v| Ident::new(v, Span::call_site()));
    let description = e
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` enum.", e.name));
    let values = e.values.iter().map(value_literal);
    let kind = match e.kind {
        EnumKind::String => quote!(string_enum),
        EnumKind::Integer => quote!(integer_enum),
    };
    quote! {
        crate::open_enum::#kind! {
            #[doc = #description]
            #name { #( #variants = #values, )* }
        }
    }
}

/// Generates the whole file: progenitor's client and types plus the open enums, formatted.
pub fn generate(spec: &Spec) -> Result<String, CodegenError> {
    check_refs(spec)?;
    let open = open_enums(spec)?;
    let lenient = lenient_strings(spec)?;
    let readers = response_readers(spec)?;
    let relaxed = relaxed_openapi(spec, &readers)?;
    let tokens = match run_progenitor(&relaxed, &open, &lenient, &reader_patches(&readers)) {
        Ok(tokens) => tokens,
        Err(message) => {
            let location = locate_failure(spec, &open, &lenient)
                .unwrap_or_else(|| "the document as a whole".to_owned());
            return Err(spec.err(location, format!("code generation failed: {message}")));
        }
    };
    let converts = conversions(spec, &open)?;
    let enums = open_tokens(&open, &lenient, &converts);
    let ops = operation_defs(spec)?;
    let table = operation_enum(&ops);
    let mut file: syn::File = syn::parse2(quote! { #tokens #enums #table })
        .map_err(|e| spec.err("generated code", format!("does not parse as Rust: {e}")))?;
    apply_readers(spec, &mut file, &readers)?;
    apply_envelopes(spec, &mut file, &ops)?;
    file.items.extend(request_value_items(spec, &open, &ops)?);
    let mut text = String::from(
        "// @generated by openapi/codegen.rs from openapi/cloudflare-ssl.yaml; do not edit.\n\n",
    );
    text.push_str(&prettyplease::unparse(&file));
    Ok(text)
}

/// The document as progenitor sees it. A required response property marked `x-lenient` that
/// is not a list is made optional here, so its Rust type is an `Option` that stays `None` when
/// the server sends `null` or leaves the property out: the reader never invents a value (an
/// empty string, `false`, `0`) that re-encodes as something the server did not say. Lenient
/// lists keep their `Vec` (`null` or absent is an empty list: the one documented
/// normalisation). Properties that are `nullable` are already optional in Rust and stay as
/// they are. The document itself is unchanged: the seeds' `required` stays visible to the mock
/// and to seed fidelity.
pub fn relaxed_openapi(
    spec: &Spec,
    readers: &[Reader],
) -> Result<openapiv3::OpenAPI, CodegenError> {
    let mut json = spec.json.clone();
    for reader in readers {
        let pointer = format!("/components/schemas/{}", reader.name);
        let Some(schema) = json.pointer_mut(&pointer) else {
            continue;
        };
        let relax: Vec<&str> = reader
            .fields
            .iter()
            .filter(|f| f.lenient.is_some() && !f.array && !f.nullable)
            .map(|f| f.json.as_str())
            .collect();
        if relax.is_empty() {
            continue;
        }
        if let Some(required) = schema.get_mut("required").and_then(|r| r.as_array_mut()) {
            required.retain(|r| r.as_str().is_none_or(|name| !relax.contains(&name)));
            if required.is_empty()
                && let Some(object) = schema.as_object_mut()
            {
                object.remove("required");
            }
        }
    }
    serde_json::from_value(json).map_err(|e| {
        spec.err(
            "lenient properties",
            format!("the relaxed document is not OpenAPI 3.0: {e}"),
        )
    })
}

/// One operation of the document, in document order: what the generated `Operation` enum is
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
    /// The component (under `components.schemas`) of the JSON body of the `200` response.
    pub response: String,
    /// The component of the JSON request body, if the operation has one.
    pub request: Option<String>,
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
                .ok_or_else(|| spec.err(&location, "has no operationId"))?;
            let idempotent = match op.extensions.get("x-idempotent") {
                None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(spec.err(
                        &location,
                        format!("x-idempotent must be a boolean, found {other}"),
                    ))
                }
            };
            let variant = variant_name(&id);
            let op_json = spec
                .json
                .pointer(&format!("/paths/{}/{method}", toolkit::escape(path)));
            let body_of = |key: &str| op_json.and_then(|o| o.pointer(key));
            let response = json_component(spec, body_of("/responses/200")).ok_or_else(|| {
                spec.err(
                    &location,
                    "the 200 response must be a JSON body whose schema is a `$ref` to a component",
                )
            })?;
            let request = match body_of("/requestBody") {
                None => None,
                Some(body) => Some(json_component(spec, Some(body)).ok_or_else(|| {
                    spec.err(
                        &location,
                        "the request body must be JSON whose schema is a `$ref` to a component",
                    )
                })?),
            };
            if let Some(twin) = out.iter().find(|o| o.id == id || o.variant == variant) {
                return Err(spec.err(
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
                response,
                request,
            });
        }
    }
    Ok(out)
}

/// The component named by the `application/json` schema of a response or request body (given
/// as JSON, possibly a `$ref` to `components.responses` or `components.requestBodies`).
fn json_component(spec: &Spec, body: Option<&Value>) -> Option<String> {
    resolve(&spec.json, body?)
        .pointer("/content/application~1json/schema/$ref")?
        .as_str()?
        .strip_prefix(SCHEMA_PREFIX)
        .map(str::to_owned)
}

/// The `Operation` enum as data: one `operations!` invocation (handwritten in
/// `src/operation.rs`, which holds the behaviour) with each operation's facts.
fn operation_enum(ops: &[OperationDef]) -> TokenStream {
    let ops = ops.iter().map(|o| {
        let variant = Ident::new(&o.variant, Span::call_site());
        let (id, method, path, idempotent) = (&o.id, &o.method, &o.path, o.idempotent);
        let response = Ident::new(&o.response, Span::call_site());
        let request = o.request.as_ref().map(|r| {
            let r = Ident::new(r, Span::call_site());
            quote!(, request: #r)
        });
        quote! {
            #variant {
                id: #id, method: #method, path: #path, idempotent: #idempotent,
                response: #response #request
            }
        }
    });
    quote!(crate::operation::operations! { #(#ops)* })
}

/// The `Envelope` impl of every `200` response type, appended to the `types` module: an
/// `envelope_impl!` invocation (`src/envelope_impl.rs`) saying how each part comes out of the
/// generated struct: `as_is`, `some` (a required field, wrapped) or `default` (no such field).
/// A `result` with no schema at all (any JSON) that is missing counts as `null`.
fn apply_envelopes(
    spec: &Spec,
    file: &mut syn::File,
    ops: &[OperationDef],
) -> Result<(), CodegenError> {
    let types = types_module(spec, file)?;
    let names: BTreeSet<&str> = ops.iter().map(|o| o.response.as_str()).collect();
    let mut tokens = TokenStream::new();
    for name in names {
        let location = format!("schema `{name}`");
        let fields: Vec<(String, syn::Type)> = types
            .1
            .iter()
            .find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == name => Some(
                    s.fields
                        .iter()
                        .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                        .collect(),
                ),
                _ => None,
            })
            .ok_or_else(|| {
                spec.err(
                    &location,
                    "a 200 response that is not an object with a generated struct",
                )
            })?;
        let field = |n: &str| fields.iter().find(|(f, _)| f == n).map(|(_, t)| t);
        let option = |ty: &syn::Type| match type_parts(ty) {
            Some((outer, inner)) if outer == "Option" => inner.cloned(),
            _ => None,
        };
        let parts = ["success", "errors", "messages", "result", "result_info"].map(|n| {
            let how = match field(n) {
                None => "default",
                Some(ty) if n == "errors" || n == "messages" || option(ty).is_some() => "as_is",
                Some(_) => "some",
            };
            (
                Ident::new(n, Span::call_site()),
                Ident::new(how, Span::call_site()),
            )
        });
        let result = field("result").ok_or_else(|| {
            spec.err(
                &location,
                "a 200 response must be an envelope with a `result` property",
            )
        })?;
        let result = option(result).unwrap_or_else(|| result.clone());
        let untyped = spec
            .json
            .pointer(&format!("/components/schemas/{name}/properties/result"))
            .and_then(Value::as_object)
            .is_some_and(|r| {
                let typed = [
                    "$ref",
                    "type",
                    "properties",
                    "items",
                    "allOf",
                    "oneOf",
                    "anyOf",
                    "enum",
                ];
                !typed.iter().any(|k| r.contains_key(*k))
            });
        let missing = untyped.then(|| quote!(missing_result: ::serde_json::Value::Null));
        let (part, how) = (parts.iter().map(|p| &p.0), parts.iter().map(|p| &p.1));
        let ident = Ident::new(name, Span::call_site());
        tokens.extend(quote! {
            crate::envelope_impl::envelope_impl! {
                #ident => #result { #(#part: #how),* } #missing
            }
        });
    }
    let parsed: syn::File =
        syn::parse2(tokens).map_err(|e| spec.err("envelopes", format!("does not parse: {e}")))?;
    types.1.extend(parsed.items);
    Ok(())
}

/// `crate::strict::RequestValue` for every open enum a request reaches (a body, or a
/// parameter such as the list's `status`), so that the ergonomic layer can refuse an
/// `Unknown(..)` value (from a response) before it is sent.
fn request_value_items(
    spec: &Spec,
    open: &[OpenEnum],
    ops: &[OperationDef],
) -> Result<Vec<syn::Item>, CodegenError> {
    let mut reached = BTreeSet::new();
    for request in ops.iter().filter_map(|o| o.request.as_deref()) {
        let start = serde_json::json!({ "$ref": format!("{SCHEMA_PREFIX}{request}") });
        reached.extend(reachable_schemas(spec, &start));
    }
    for (_, _, op) in operations(&spec.json) {
        for parameter in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(schema) = resolve(&spec.json, parameter).get("schema") {
                reached.extend(reachable_schemas(spec, schema));
            }
        }
    }
    let module: syn::Path = syn::parse_str(&format!("{GENERATED_MODULE}::{OPEN_MODULE}"))
        .map_err(|e| spec.err("request values", e.to_string()))?;
    let impls = open.iter().filter(|e| reached.contains(&e.name)).map(|e| {
        let name = Ident::new(&e.name, Span::call_site());
        let doc = format!("`{}` reaches a request body.", e.name);
        quote! {
            #[doc = #doc]
            impl crate::strict::RequestValue for #module::#name {
                fn check(&self) -> ::std::result::Result<(), #module::UnknownValueError> {
                    self.as_known().map(|_| ())
                }
            }
        }
    });
    syn::parse2::<syn::File>(quote!(#(#impls)*))
        .map(|file| file.items)
        .map_err(|e| spec.err("request values", e.to_string()))
}

/// A conversion between two open enums that stand for the same thing (the document's
/// `x-convert-to`): `From` when every documented value of `from` is one of `to`, else `TryFrom`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The source enum.
    pub from: String,
    /// The target enum.
    pub to: String,
    /// Whether every documented value of `from` is a documented value of `to`.
    pub total: bool,
}

/// Reads every open enum's `x-convert-to` (a list of component names) and checks that each
/// target is an open enum of the same kind.
pub fn conversions(spec: &Spec, open: &[OpenEnum]) -> Result<Vec<Conversion>, CodegenError> {
    let mut out = Vec::new();
    for e in open {
        for target in &e.convert_to {
            let Some(to) = open.iter().find(|o| &o.name == target) else {
                return Err(spec.err(
                    format!("schema `{}`, x-convert-to", e.name),
                    format!("`{target}` is not an enum component that appears in a response"),
                ));
            };
            if to.kind != e.kind || to.name == e.name {
                return Err(spec.err(
                    format!("schema `{}`, x-convert-to", e.name),
                    format!("`{target}` is not another enum with values of the same type"),
                ));
            }
            out.push(Conversion {
                from: e.name.clone(),
                to: to.name.clone(),
                total: e.values.iter().all(|v| to.values.contains(v)),
            });
        }
    }
    Ok(out)
}

/// A JSON enum value as a Rust literal (unsuffixed for integers).
fn value_literal(value: &Value) -> proc_macro2::Literal {
    match value {
        Value::String(s) => proc_macro2::Literal::string(s),
        other => proc_macro2::Literal::i64_unsuffixed(other.as_i64().unwrap_or_default()),
    }
}

/// One conversion as data: a `convert!` invocation (handwritten in `src/open_enum.rs`) with the
/// variant pairs of equal value, an example value and, for `TryFrom`, the unmatched variants.
fn conversion_item(c: &Conversion, open: &[OpenEnum]) -> TokenStream {
    let (Some(from), Some(to)) = (
        open.iter().find(|o| o.name == c.from),
        open.iter().find(|o| o.name == c.to),
    ) else {
        return TokenStream::new();
    };
    let ident = |name: &str| Ident::new(name, Span::call_site());
    let (from_name, to_name) = (ident(&from.name), ident(&to.name));
    let (mut pair_from, mut pair_to, mut missing, mut missing_wire) =
        (vec![], vec![], vec![], vec![]);
    for (value, variant) in from.values.iter().zip(&from.variants) {
        let counterpart = to.values.iter().position(|t| t == value);
        match counterpart.and_then(|i| to.variants.get(i)) {
            Some(t) => {
                pair_from.push(ident(variant));
                pair_to.push(ident(t));
            }
            None => {
                missing.push(ident(variant));
                missing_wire.push(value_literal(value));
            }
        }
    }
    let example = from
        .values
        .iter()
        .find(|v| to.values.contains(v))
        .or(from.values.first())
        .map(value_literal);
    let kind = match from.kind {
        EnumKind::String => quote!(string),
        EnumKind::Integer => quote!(integer),
    };
    let pairs = quote!({ #( #pair_from => #pair_to, )* });
    match missing_wire.first() {
        None => quote! {
            crate::open_enum::convert! {
                #kind From<#from_name> for #to_name, example #example #pairs
            }
        },
        Some(fails) => quote! {
            crate::open_enum::convert! {
                #kind TryFrom<#from_name> for #to_name, example #example, fails #fails #pairs
                { #( #missing = #missing_wire, )* }
            }
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Tolerant reader: the deserializers of the response structs.

/// One property of a response object, as the tolerant reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderField {
    /// The JSON name.
    pub json: String,
    /// Whether the document lists it under `required`.
    pub required: bool,
    /// Whether the document types it as an array (inline or through a `$ref`).
    pub array: bool,
    /// Whether the document marks it `nullable` (inline or through a `$ref`).
    pub nullable: bool,
    /// The document's `x-lenient` reason: a required property that decodes `null` and absence
    /// as its type's default.
    pub lenient: Option<String>,
    /// What the value is, for the choice of helper.
    pub kind: ValueKind,
    /// The array component a `$ref` names (e.g. `Hosts`, a newtype of `Vec`).
    pub list_component: Option<String>,
}

/// A response object: its properties and whether a bare string also decodes into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// Component name (also the Rust type name).
    pub name: String,
    /// The properties, in the document's order.
    pub fields: Vec<ReaderField>,
    /// The document's `x-lenient-string`: `(property, reason)` — a bare JSON string decodes as
    /// an object with only that property, the others taking their defaults.
    pub from_string: Option<(String, String)>,
    /// Whether the document keeps unknown fields (`additionalProperties` other than `false`):
    /// the struct must then have typify's `#[serde(flatten)]` map for them.
    pub keeps_unknown: bool,
}

fn lenient_reason(spec: &Spec, location: &str, value: &Value) -> Result<String, CodegenError> {
    match value.as_str().map(str::trim) {
        Some(reason) if !reason.is_empty() => Ok(reason.to_owned()),
        _ => Err(spec.err(
            location,
            "x-lenient must be a non-empty string giving the reason",
        )),
    }
}

/// The kind of a property's value (through a `$ref`).
fn value_kind(spec: &Spec, property: &Value) -> ValueKind {
    let resolved = resolve(&spec.json, property);
    let text = |key: &str| resolved.get(key).and_then(Value::as_str);
    if resolved.get("x-lenient-string").is_some() {
        ValueKind::BareString
    } else if resolved.get("enum").is_some() {
        ValueKind::Plain
    } else if text("type") == Some("integer") {
        ValueKind::Integer
    } else if text("type") == Some("string") && text("format") == Some("date-time") {
        ValueKind::Timestamp
    } else {
        ValueKind::Plain
    }
}

/// The object components reachable from a response, with the tolerant reader's rules read from
/// the document. Fails when `x-lenient` is misplaced (on an optional property, where it would
/// change nothing) or has no reason.
pub fn response_readers(spec: &Spec) -> Result<Vec<Reader>, CodegenError> {
    let mut names = BTreeSet::new();
    for (_, schema) in response_schemas(spec) {
        names.extend(reachable_schemas(spec, schema));
    }
    let mut out = Vec::new();
    for name in names {
        let Some(schema) = spec.json.pointer(&format!("/components/schemas/{name}")) else {
            continue;
        };
        let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
            continue;
        };
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(|r| r.as_array())
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        for (json, property) in properties {
            let location = format!("schema `{name}`, property `{json}`");
            let resolved = resolve(&spec.json, property);
            let is_required = required.contains(json.as_str());
            let lenient = match property.get("x-lenient") {
                None => None,
                Some(value) => {
                    if !is_required {
                        return Err(spec.err(
                            location,
                            "x-lenient on an optional property changes nothing (absent and null \
                             already decode): remove it or make the property required",
                        ));
                    }
                    Some(lenient_reason(spec, &location, value)?)
                }
            };
            let array = resolved.get("type").and_then(|t| t.as_str()) == Some("array");
            if array {
                let items = resolve(&spec.json, resolved.get("items").unwrap_or(&Value::Null));
                if value_kind(spec, items) != ValueKind::Plain {
                    return Err(spec.err(
                        location,
                        "an array of integers, dates or lenient strings: the tolerant reader \
                         has no helper for its items",
                    ));
                }
            }
            fields.push(ReaderField {
                json: json.clone(),
                required: is_required,
                array,
                nullable: resolved.get("nullable").and_then(|n| n.as_bool()) == Some(true),
                lenient,
                kind: value_kind(spec, property),
                list_component: match property.get("$ref").and_then(|r| r.as_str()) {
                    Some(target) if array => target.strip_prefix(SCHEMA_PREFIX).map(str::to_owned),
                    _ => None,
                },
            });
        }
        let from_string = match schema.get("x-lenient-string") {
            None => None,
            Some(value) => {
                let location = format!("schema `{name}`, x-lenient-string");
                let property = value
                    .get("property")
                    .and_then(|p| p.as_str())
                    .filter(|p| properties.contains_key(*p))
                    .ok_or_else(|| {
                        spec.err(&location, "`property` must name a property of the schema")
                    })?;
                let reason =
                    lenient_reason(spec, &location, value.get("reason").unwrap_or(&Value::Null))?;
                Some((property.to_owned(), reason))
            }
        };
        out.push(Reader {
            name,
            fields,
            from_string,
            keeps_unknown: schema
                .get("additionalProperties")
                .is_some_and(|a| a != &Value::Bool(false)),
        });
    }
    Ok(out)
}

/// What a property's value is, as far as the reader's field helpers go (read from the document,
/// not from the Rust type typify chose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `type: integer` without `enum`: also decodes from an integral float.
    Integer,
    /// `type: string, format: date-time`: also decodes from the layouts Go services print.
    Timestamp,
    /// A `$ref` to an object with `x-lenient-string`: also decodes from a bare string.
    BareString,
    /// Anything else: serde's derive as it is.
    Plain,
}

/// The serde attributes the generator attaches to one response field: `default` (absence is
/// allowed) and the `deserialize_with` helper of `crate::tolerant`, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// Whether the field gets `#[serde(default)]`.
    pub default: bool,
    /// The helper's name in `crate::tolerant`.
    pub helper: Option<&'static str>,
}

/// Rust path of the module holding the helpers (`src/tolerant.rs`).
pub const TOLERANT_PATH: &str = "crate::tolerant";

impl ReaderField {
    /// Whether typify gives the field a list type (`Vec` or a newtype of one).
    fn is_list(&self) -> bool {
        self.array && !self.nullable
    }

    /// Whether typify gives the field an `Option` type (the relaxed document makes a lenient
    /// scalar optional).
    fn is_option(&self) -> bool {
        !self.is_list() && (!self.required || self.nullable || self.lenient.is_some())
    }

    /// The attributes of the field, from the document alone.
    pub fn rule(&self) -> FieldRule {
        let absent_ok = !self.required || self.lenient.is_some();
        if self.is_list() {
            return FieldRule {
                default: absent_ok,
                helper: absent_ok.then_some("list"),
            };
        }
        let option = self.is_option();
        let helper = match (self.kind, option) {
            (ValueKind::Integer, false) => Some("integer"),
            (ValueKind::Integer, true) => Some("option_integer"),
            (ValueKind::Timestamp, false) => Some("timestamp"),
            (ValueKind::Timestamp, true) => Some("option_timestamp"),
            (ValueKind::BareString, false) => Some("object_or_string"),
            (ValueKind::BareString, true) => Some("option_object_or_string"),
            // A required nullable value: typify's own `deserialize_with =
            // "::std::option::Option::deserialize"` keeps absence an error.
            (ValueKind::Plain, _) => None,
        };
        FieldRule {
            // serde's derive takes a missing `Option` as `None` unless `deserialize_with` is set
            // (by us, or by typify on a required nullable property).
            default: option && absent_ok && (helper.is_some() || (self.required && self.nullable)),
            helper,
        }
    }

    /// What the reader does with the field, for its docs.
    fn note(&self) -> Option<String> {
        let empty = if self.is_list() {
            "an empty list"
        } else {
            "`None`"
        };
        match (&self.lenient, self.kind) {
            (Some(reason), _) => Some(format!(
                "*Lenient:* `null` or absent decodes as {empty}. {reason}"
            )),
            (None, _) if self.is_list() && !self.required => {
                Some("`null` or absent decodes as an empty list.".to_owned())
            }
            (None, ValueKind::Integer) => Some(
                "An integral float (`10.0`) decodes as the integer; `10.5` is an error.".to_owned(),
            ),
            _ => None,
        }
    }
}

/// The serde facts of a generated field: its JSON name (`rename`, else the identifier), whether
/// it is the `#[serde(flatten)]` map of unknown fields, and whether it already has `default` and
/// `deserialize_with`.
fn serde_facts(field: &syn::Field) -> Result<(String, bool, bool, bool), String> {
    let mut name = field
        .ident
        .as_ref()
        .map(|i| i.to_string())
        .ok_or("a tuple struct cannot be a response object")?;
    let (mut flatten, mut default, mut with) = (false, false, false);
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                name = value.value();
            } else if meta.path.is_ident("flatten") {
                flatten = true;
            } else if meta.path.is_ident("default") {
                default = true;
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
            } else if meta.input.peek(syn::Token![=]) {
                with |= meta.path.is_ident("deserialize_with") || meta.path.is_ident("with");
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        })
        .map_err(|e| format!("field `{name}`: unreadable serde attribute: {e}"))?;
    }
    Ok((name, flatten, default, with))
}

fn push_doc(attrs: &mut Vec<syn::Attribute>, text: &str) {
    let last_doc = attrs.iter().rposition(|a| a.path().is_ident("doc"));
    let mut new: Vec<syn::Attribute> = Vec::new();
    if last_doc.is_some() {
        new.push(syn::parse_quote!(#[doc = ""]));
    }
    new.push(syn::parse_quote!(#[doc = #text]));
    let at = last_doc.map_or(0, |i| i + 1);
    for (offset, attr) in new.into_iter().enumerate() {
        attrs.insert(at + offset, attr);
    }
}

const READER_DOC: &str = "Decoded by the [tolerant reader](crate#tolerant-reader-strict-writer): \
     unknown fields land in `extra`, and a required field may be missing only where it says \
     *Lenient*.";

/// Attaches the reader's attributes and docs to one response struct, keeping progenitor's
/// derived `Deserialize`; returns the `BareString` impl of an `x-lenient-string` object.
/// Fails when a field is not a property of the document or the reverse, and when the document
/// keeps unknown fields but the struct has no `#[serde(flatten)]` map for them.
pub fn apply_reader(reader: &Reader, item: &mut syn::ItemStruct) -> Result<TokenStream, String> {
    let syn::Fields::Named(named) = &mut item.fields else {
        return Err("not a struct with named fields".to_owned());
    };
    let mut matched = BTreeSet::new();
    let mut extra = false;
    for field in named.named.iter_mut() {
        let (json, flatten, has_default, has_with) = serde_facts(field)?;
        if flatten {
            extra = true;
            continue;
        }
        let property = reader
            .fields
            .iter()
            .find(|f| f.json == json)
            .ok_or_else(|| format!("field `{json}` is not a property of the document"))?;
        let rule = property.rule();
        let mut args = Vec::new();
        if rule.default && !has_default {
            args.push(quote!(default));
        }
        if let Some(helper) = rule.helper {
            if has_with {
                return Err(format!(
                    "field `{json}`: typify already sets `deserialize_with`; the reader's `{helper}` \
                     would conflict"
                ));
            }
            let path = format!("{TOLERANT_PATH}::{helper}");
            args.push(quote!(deserialize_with = #path));
        }
        if !args.is_empty() {
            field.attrs.push(syn::parse_quote!(#[serde(#(#args),*)]));
        }
        if let Some(note) = property.note() {
            push_doc(&mut field.attrs, &note);
        }
        matched.insert(json);
    }
    if let Some(missing) = reader.fields.iter().find(|f| !matched.contains(&f.json)) {
        return Err(format!(
            "property `{}` has no field in the generated struct",
            missing.json
        ));
    }
    if reader.keeps_unknown && !extra {
        return Err(
            "the document keeps unknown fields (additionalProperties) but the struct has no \
             `#[serde(flatten)]` map for them: they would be dropped"
                .to_owned(),
        );
    }
    let mut doc = READER_DOC.to_owned();
    if let Some((property, reason)) = &reader.from_string {
        doc.push_str(&format!(
            "\n\n*Lenient:* as a property's value, a bare JSON string decodes as `{property}`, \
             every other field absent. {reason}"
        ));
    }
    push_doc(&mut item.attrs, &doc);
    let Some((property, _)) = &reader.from_string else {
        return Ok(TokenStream::new());
    };
    let name = &item.ident;
    let name_str = name.to_string();
    let tolerant: syn::Path = syn::parse_str(TOLERANT_PATH).map_err(|e| e.to_string())?;
    Ok(quote! {
        impl #tolerant::BareString for #name {
            const PROPERTY: &'static str = #property;
            const NAME: &'static str = #name_str;
        }
    })
}

/// typify's patches for the reader: every response struct is `#[non_exhaustive]` (a response
/// type gains fields whenever Cloudflare adds one; code outside the crate builds one through
/// `builder()`), and a list component a lenient property names derives `Default` (its empty
/// value).
pub fn reader_patches(readers: &[Reader]) -> Vec<(String, progenitor::TypePatch)> {
    let mut out = Vec::new();
    for reader in readers {
        let mut patch = progenitor::TypePatch::default();
        patch.with_attr("#[non_exhaustive]");
        out.push((reader.name.clone(), patch));
    }
    let lists: BTreeSet<&str> = readers
        .iter()
        .flat_map(|r| &r.fields)
        .filter(|f| f.rule().helper == Some("list"))
        .filter_map(|f| f.list_component.as_deref())
        .collect();
    for list in lists {
        let mut patch = progenitor::TypePatch::default();
        patch.with_derive("Default");
        out.push((list.to_owned(), patch));
    }
    out
}

/// The last segment of a type path and its first generic argument, if any.
fn type_parts(ty: &syn::Type) -> Option<(String, Option<&syn::Type>)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let arg = match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((last.ident.to_string(), arg))
}

/// Progenitor's `types` module (its brace and items), where the response types live.
fn types_module<'f>(
    spec: &Spec,
    file: &'f mut syn::File,
) -> Result<&'f mut (syn::token::Brace, Vec<syn::Item>), CodegenError> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| spec.err("generated code", "progenitor emitted no `types` module"))
}

/// Applies the tolerant reader to every response struct of progenitor's `types` module.
/// Fails, naming the schema, when a response object has no struct or does not match it.
pub fn apply_readers(
    spec: &Spec,
    file: &mut syn::File,
    readers: &[Reader],
) -> Result<(), CodegenError> {
    let types = types_module(spec, file)?;
    let mut impls = Vec::new();
    for reader in readers {
        let item = types
            .1
            .iter_mut()
            .find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == reader.name => Some(s),
                _ => None,
            })
            .ok_or_else(|| {
                spec.err(
                    format!("schema `{}`", reader.name),
                    "a response object with no generated struct of that name",
                )
            })?;
        let tokens = apply_reader(reader, item)
            .map_err(|m| spec.err(format!("schema `{}`", reader.name), m))?;
        let parsed: syn::File = syn::parse2(tokens).map_err(|e| {
            spec.err(
                format!("schema `{}`", reader.name),
                format!("the generated impl does not parse: {e}"),
            )
        })?;
        impls.extend(parsed.items);
    }
    types.1.extend(impls);
    document_builders(&mut types.1);
    Ok(())
}

/// Gives typify's undocumented `builder()` constructors a doc comment: rustdoc shows their
/// return type as the bare name (`-> CertificatePack`), which reads as the type itself rather
/// than its builder, and response types are `#[non_exhaustive]`, so the builder is how code
/// outside the crate makes one.
fn document_builders(items: &mut [syn::Item]) {
    for item in items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = &*block.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for inner in &mut block.items {
            if let syn::ImplItem::Fn(f) = inner
                && f.sig.ident == "builder"
                && !f.attrs.iter().any(|a| a.path().is_ident("doc"))
            {
                let doc = format!(
                    "Starts a [`builder::{name}`], the builder of this type: set its fields, \
                     then `{name}::try_from(builder)`; optional fields default, so a field the \
                     document adds later does not break the code that builds one."
                );
                f.attrs.push(syn::parse_quote!(#[doc = #doc]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Run with `cargo test -p xtask --lib codegen` (xtask's library includes this file).

    use super::*;

    const DOC: &str = r#"
openapi: 3.0.3
info: {title: test, version: '1'}
paths:
  /things/{id}:
    get:
      operationId: get_thing
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingResponse'}
    patch:
      operationId: edit_thing
      x-idempotent: true
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ThingUpdate'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingResponse'}
  /things:
    post:
      operationId: order_thing
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingResponse'}
components:
  schemas:
    Id: {type: string, maxLength: 4, description: An id.}
    Colour: {type: string, enum: [red, dark blue], x-convert-to: [Paint], x-rust-aliases: [Hue]}
    Paint: {type: string, enum: [red, dark blue, ECDSAWithSHA256], x-convert-to: [Colour]}
    Size: {type: integer, enum: [1, 2], x-enum-varnames: [One, Two]}
    ThingUpdate:
      type: object
      properties:
        colour: {$ref: '#/components/schemas/Colour'}
    Thing:
      description: A thing.
      type: object
      required: [id, tags, count, note, type]
      properties:
        id: {$ref: '#/components/schemas/Id'}
        tags: {type: array, items: {type: string}, x-lenient: Old replies omit it.}
        count: {type: integer}
        note: {type: string, x-lenient: Sometimes null.}
        type: {type: string}
        colour: {$ref: '#/components/schemas/Colour'}
        paint: {$ref: '#/components/schemas/Paint'}
        size: {$ref: '#/components/schemas/Size'}
        extras: {type: array, items: {type: string}}
        quantity: {type: integer}
      additionalProperties: {}
    ThingResponse:
      type: object
      x-lenient-string: {property: note, reason: A bare string is a note.}
      required: [note]
      properties:
        note: {type: string, x-lenient: Absent in old replies.}
        result: {$ref: '#/components/schemas/Thing'}
      additionalProperties: {}
"#;

    fn spec(text: &str) -> Spec {
        parse_spec(Path::new("test.yaml"), text).expect("the test document parses")
    }

    /// The test document with one text replaced (the edit must apply).
    fn edited(from: &str, to: &str) -> Spec {
        assert!(DOC.contains(from), "{from}");
        spec(&DOC.replacen(from, to, 1))
    }

    fn error_of<T: std::fmt::Debug>(result: Result<T, CodegenError>) -> String {
        result.expect_err("generation must fail").to_string()
    }

    /// Whether `text` contains `needle`, whitespace aside (prettyplease wraps long lines).
    fn has(text: &str, needle: &str) -> bool {
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        squash(text).contains(&squash(needle))
    }

    fn pretty(tokens: TokenStream) -> String {
        prettyplease::unparse(&syn::parse2::<syn::File>(tokens).expect("tokens parse"))
    }

    #[test]
    fn variant_names() {
        assert_eq!(variant_name("pending_validation"), "PendingValidation");
        assert_eq!(variant_name("meta tag"), "MetaTag");
        assert_eq!(variant_name("ECDSAWithSHA256"), "EcdsaWithSha256");
        assert_eq!(variant_name("SHA1WithRSA"), "Sha1WithRsa");
        assert_eq!(variant_name("lets_encrypt"), "LetsEncrypt");
        assert_eq!(variant_name("14"), "V14");
        assert_eq!(variant_name(""), "V");
        assert_eq!(variant_name("get_certificate_pack"), "GetCertificatePack");
    }

    #[test]
    fn open_enums_are_read_with_their_extensions() {
        let open = open_enums(&spec(DOC)).expect("open enums");
        let names: Vec<&str> = open.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Colour", "Paint", "Size"]);
        assert_eq!(open[0].variants, ["Red", "DarkBlue"]);
        assert_eq!(open[0].convert_to, ["Paint"]);
        assert_eq!(open[0].aliases, ["Hue"]);
        assert_eq!(open[1].variants, ["Red", "DarkBlue", "EcdsaWithSha256"]);
        assert_eq!(open[2].kind, EnumKind::Integer);
        assert_eq!(open[2].variants, ["One", "Two"]);
    }

    #[test]
    fn open_enum_failures_name_the_schema() {
        let e = error_of(open_enums(&edited(
            "enum: [red, dark blue]",
            "enum: [dark-blue, dark blue]",
        )));
        assert!(
            e.contains("test.yaml") && e.contains("schema `Colour`") && e.contains("collides"),
            "{e}"
        );
        let e = error_of(open_enums(&edited(
            "x-rust-aliases: [Hue]",
            "x-rust-aliases: [not a name]",
        )));
        assert!(e.contains("schema `Colour`, x-rust-aliases"), "{e}");
        let e = error_of(open_enums(&edited(
            "note: {type: string, x-lenient: Sometimes null.}",
            "note: {type: string, enum: [a, b]}",
        )));
        assert!(e.contains("inline enum"), "{e}");
    }

    #[test]
    fn open_enum_emission_is_data_for_the_handwritten_macros() {
        let open = open_enums(&spec(DOC)).expect("open enums");
        let code = pretty(open_tokens(&open, &[], &[]));
        // Each enum is one invocation of the macro of its kind (the behaviour, open to responses
        // and strict to input, is `src/open_enum.rs`, tested there): name, description,
        // variants and wire values, nothing else.
        assert!(has(&code, "crate::open_enum::string_enum!"), "{code}");
        assert!(
            has(&code, "Colour { Red = \"red\", DarkBlue = \"dark blue\", }"),
            "{code}"
        );
        // Integer values are unsuffixed, so the wire text (`WIRE_VALUES`, docs) is `1`, not `1i64`.
        assert!(
            has(
                &code,
                "crate::open_enum::integer_enum! { #[doc = \"The `Size` enum.\"] Size { One = 1, Two = 2, } }"
            ),
            "{code}"
        );
        assert!(!has(&code, "impl ::serde::Deserialize"), "{code}");
        assert!(
            has(&code, "pub use crate::open_enum::UnknownValueError;"),
            "{code}"
        );
        assert!(has(&code, "pub type Hue = Colour;"), "{code}");
    }

    #[test]
    fn conversions_are_from_when_total_and_try_from_otherwise() {
        let s = spec(DOC);
        let open = open_enums(&s).expect("open enums");
        let converts = conversions(&s, &open).expect("conversions");
        assert_eq!(
            converts,
            [
                Conversion {
                    from: "Colour".into(),
                    to: "Paint".into(),
                    total: true
                },
                Conversion {
                    from: "Paint".into(),
                    to: "Colour".into(),
                    total: false
                },
            ]
        );
        let code = pretty(open_tokens(&open, &[], &converts));
        // Data for the handwritten `convert!` (src/open_enum.rs): the variant pairs of equal
        // value, a shared example value, and for TryFrom the unmatched variants with their values.
        assert!(
            has(
                &code,
                "crate::open_enum::convert! { string From<Colour> for Paint, example \"red\" \
                 { Red => Red, DarkBlue => DarkBlue, } }"
            ),
            "{code}"
        );
        assert!(
            has(
                &code,
                "crate::open_enum::convert! { string TryFrom<Paint> for Colour, example \"red\", \
                 fails \"ECDSAWithSHA256\" { Red => Red, DarkBlue => DarkBlue, } \
                 { EcdsaWithSha256 = \"ECDSAWithSHA256\", } }"
            ),
            "{code}"
        );
        let s = edited("x-convert-to: [Colour]", "x-convert-to: [Size]");
        let e = error_of(conversions(&s, &open_enums(&s).expect("open enums")));
        assert!(e.contains("schema `Paint`, x-convert-to"), "{e}");
        let s = edited("x-convert-to: [Colour]", "x-convert-to: [Nothing]");
        let e = error_of(conversions(&s, &open_enums(&s).expect("open enums")));
        assert!(e.contains("`Nothing` is not an enum component"), "{e}");
    }

    #[test]
    fn identifiers_are_lenient_strings() {
        let s = spec(DOC);
        let lenient = lenient_strings(&s).expect("lenient strings");
        assert_eq!(lenient.len(), 1);
        assert_eq!(lenient[0].name, "Id");
        assert_eq!(lenient[0].max_length, Some(4));
        let code = pretty(open_tokens(&[], &lenient, &[]));
        // One invocation of the handwritten macro (decoding accepts any string, building from
        // input checks the limits: `src/lenient_string.rs`) with the limit as given, unsuffixed.
        assert!(
            has(
                &code,
                "crate::lenient_string::lenient_string! { #[doc = \"An id.\"] Id { max_length: 4, } }"
            ),
            "{code}"
        );
        assert!(
            has(&code, "pub use crate::lenient_string::LengthError;"),
            "{code}"
        );
        let e = error_of(lenient_strings(&edited(
            "Id: {type: string, maxLength: 4,",
            "Id: {type: string, maxLength: 4, pattern: '^a',",
        )));
        assert!(e.contains("schema `Id`"), "{e}");
    }

    #[test]
    fn operations_in_document_order_with_idempotency() {
        let ops = operation_defs(&spec(DOC)).expect("operations");
        // Document order needs serde_json's `preserve_order` (build.rs has it); compare sorted so
        // the test holds in xtask, whose serde_json may sort the paths.
        let mut summary: Vec<(&str, &str, &str, bool)> = ops
            .iter()
            .map(|o| {
                (
                    o.id.as_str(),
                    o.variant.as_str(),
                    o.method.as_str(),
                    o.idempotent,
                )
            })
            .collect();
        summary.sort();
        assert_eq!(
            summary,
            [
                ("edit_thing", "EditThing", "PATCH", true),
                ("get_thing", "GetThing", "GET", true),
                ("order_thing", "OrderThing", "POST", false),
            ]
        );
        // Data for the handwritten `operations!` (src/operation.rs, which tests the behaviour).
        let code = pretty(operation_enum(&ops));
        assert!(has(&code, "crate::operation::operations! {"), "{code}");
        assert!(
            has(
                &code,
                "EditThing { id: \"edit_thing\", method: \"PATCH\", path: \"/things/{id}\", \
                 idempotent: true, response: ThingResponse, request: ThingUpdate }"
            ),
            "{code}"
        );
        assert!(
            has(
                &code,
                "OrderThing { id: \"order_thing\", method: \"POST\", path: \"/things\", \
                 idempotent: false, response: ThingResponse }"
            ),
            "{code}"
        );
        let e = error_of(operation_defs(&edited(
            "x-idempotent: true",
            "x-idempotent: 'yes'",
        )));
        assert!(e.contains("x-idempotent must be a boolean"), "{e}");
        let e = error_of(operation_defs(&edited(
            "operationId: order_thing",
            "operationId: get_thing",
        )));
        assert!(e.contains("clashes"), "{e}");
    }

    #[test]
    fn reader_rules_come_from_the_document() {
        let readers = response_readers(&spec(DOC)).expect("readers");
        let names: Vec<&str> = readers.iter().map(|r| r.name.as_str()).collect();
        // Only objects reachable from a response; the request body is not one.
        assert_eq!(names, ["Thing", "ThingResponse"]);
        let thing = &readers[0];
        let field = |json: &str| thing.fields.iter().find(|f| f.json == json).expect(json);
        assert_eq!(
            field("tags").lenient.as_deref(),
            Some("Old replies omit it.")
        );
        assert!(field("tags").array && field("tags").required);
        assert!(field("extras").array && !field("extras").required);
        assert!(field("id").required && field("id").lenient.is_none());
        assert_eq!(
            readers[1].from_string,
            Some(("note".to_owned(), "A bare string is a note.".to_owned()))
        );
        let e = error_of(response_readers(&edited(
            "quantity: {type: integer}",
            "quantity: {type: integer, x-lenient: why}",
        )));
        assert!(
            e.contains("schema `Thing`, property `quantity`") && e.contains("optional"),
            "{e}"
        );
        let e = error_of(response_readers(&edited(
            "x-lenient: Sometimes null.",
            "x-lenient: ''",
        )));
        assert!(e.contains("non-empty string"), "{e}");
        let e = error_of(response_readers(&edited(
            "property: note",
            "property: nothing",
        )));
        assert!(e.contains("x-lenient-string"), "{e}");
    }

    #[test]
    fn field_rules_come_from_the_document() {
        let readers = response_readers(&spec(DOC)).expect("readers");
        let thing = &readers[0];
        let rule = |json: &str| {
            thing
                .fields
                .iter()
                .find(|f| f.json == json)
                .expect(json)
                .rule()
        };
        let r = |default, helper| FieldRule { default, helper };
        assert_eq!(rule("count"), r(false, Some("integer")));
        assert_eq!(rule("quantity"), r(true, Some("option_integer")));
        assert_eq!(rule("tags"), r(true, Some("list")));
        assert_eq!(rule("extras"), r(true, Some("list")));
        // A lenient scalar is an Option (relaxed_openapi): the derive already reads it.
        assert_eq!(rule("note"), r(false, None));
        assert_eq!(rule("id"), r(false, None));
        // An integer enum is an open enum, read by its own Deserialize.
        assert_eq!(rule("size"), r(false, None));
        assert_eq!(readers[1].fields[1].rule(), r(false, None));
        // Dates, nullable required values and arrays of integers.
        let edit = |to: &str| edited("quantity: {type: integer}", to);
        let field = |spec: &Spec| {
            response_readers(spec).expect("readers")[0]
                .fields
                .iter()
                .find(|f| f.json == "quantity")
                .expect("quantity")
                .rule()
        };
        assert_eq!(
            field(&edit("quantity: {type: string, format: date-time}")),
            r(true, Some("option_timestamp"))
        );
        let nullable = spec(
            &DOC.replacen("required: [id, tags", "required: [quantity, id, tags", 1)
                .replacen(
                    "quantity: {type: integer}",
                    "quantity: {type: string, nullable: true}",
                    1,
                ),
        );
        assert_eq!(field(&nullable), r(false, None));
        // typify keeps a required nullable value's absence an error; `x-lenient` allows it.
        let code = generate(&nullable).expect("generation");
        let typify_own = "#[serde(deserialize_with = \"::std::option::Option::deserialize\")]";
        let decl = "pub quantity: ::std::option::Option<::std::string::String>";
        assert!(has(&code, &format!("{typify_own} {decl}")), "{code}");
        let lenient = spec(
            &DOC.replacen("required: [id, tags", "required: [quantity, id, tags", 1)
                .replacen(
                    "quantity: {type: integer}",
                    "quantity: {type: string, nullable: true, x-lenient: why}",
                    1,
                ),
        );
        let code = generate(&lenient).expect("generation");
        assert!(
            has(&code, &format!("{typify_own} #[serde(default)] {decl}")),
            "{code}"
        );
        let e = error_of(response_readers(&edit(
            "quantity: {type: array, items: {type: integer}}",
        )));
        assert!(
            e.contains("property `quantity`") && e.contains("no helper"),
            "{e}"
        );
    }

    #[test]
    fn reader_attaches_helpers_and_keeps_the_derive() {
        let readers = response_readers(&spec(DOC)).expect("readers");
        // What typify 0.8 emits for `Thing` (see `whole_generation_of_the_test_document`).
        let mut item: syn::ItemStruct = syn::parse_quote! {
            /// A thing.
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
            pub struct Thing {
                pub colour: ::std::option::Option<Colour>,
                pub count: i64,
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub extras: ::std::vec::Vec<::std::string::String>,
                pub id: Id,
                pub note: ::std::option::Option<::std::string::String>,
                pub paint: ::std::option::Option<Paint>,
                pub quantity: ::std::option::Option<i64>,
                pub size: ::std::option::Option<Size>,
                pub tags: ::std::vec::Vec<::std::string::String>,
                #[serde(rename = "type")]
                pub type_: ::std::string::String,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
        };
        let impls = apply_reader(&readers[0], &mut item).expect("reader");
        assert!(impls.is_empty(), "{impls}");
        let item = prettyplease::unparse(&syn::parse_quote!(#item));
        assert!(
            has(
                &item,
                "#[derive(::serde::Deserialize, ::serde::Serialize, Clone)]"
            ),
            "{item}"
        );
        assert!(
            has(
                &item,
                "#[serde(deserialize_with = \"crate::tolerant::integer\")] pub count: i64"
            ),
            "{item}"
        );
        assert!(
            has(
                &item,
                "#[serde(default, deserialize_with = \"crate::tolerant::option_integer\")]"
            ),
            "{item}"
        );
        // typify's own `default` is not repeated.
        assert!(
            has(
                &item,
                "#[serde(default, skip_serializing_if = \"::std::vec::Vec::is_empty\")] \
                 #[serde(deserialize_with = \"crate::tolerant::list\")] pub extras"
            ),
            "{item}"
        );
        assert!(
            has(
                &item,
                "*Lenient:* `null` or absent decodes as an empty list. Old replies omit it."
            ),
            "{item}"
        );
        assert!(
            has(
                &item,
                "*Lenient:* `null` or absent decodes as `None`. Sometimes null."
            ),
            "{item}"
        );
        assert!(has(&item, "Decoded by the [tolerant reader]"), "{item}");

        // The bare-string object gets its `BareString` impl.
        let mut response: syn::ItemStruct = syn::parse_quote! {
            pub struct ThingResponse {
                pub note: ::std::option::Option<::std::string::String>,
                pub result: ::std::option::Option<Thing>,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
        };
        let impls = pretty(apply_reader(&readers[1], &mut response).expect("reader"));
        assert!(
            has(&impls, "impl crate::tolerant::BareString for ThingResponse"),
            "{impls}"
        );
        assert!(
            has(&impls, "const PROPERTY: &'static str = \"note\";"),
            "{impls}"
        );

        // A struct field the document does not know, a property with no field, or no map
        // for the unknown fields the document keeps, is an error.
        let mut stray: syn::ItemStruct = syn::parse_quote! {
            pub struct Thing { pub stray: ::std::option::Option<i64> }
        };
        let e = apply_reader(&readers[0], &mut stray).expect_err("stray field");
        assert!(e.contains("`stray`"), "{e}");
        let mut no_extra: syn::ItemStruct = syn::parse_quote! {
            pub struct ThingResponse {
                pub note: ::std::option::Option<::std::string::String>,
                pub result: ::std::option::Option<Thing>,
            }
        };
        let e = apply_reader(&readers[1], &mut no_extra).expect_err("no extra");
        assert!(e.contains("flatten"), "{e}");
        // typify's own `deserialize_with` is never silently doubled.
        let mut doubled: syn::ItemStruct = syn::parse_quote! {
            pub struct Thing {
                #[serde(deserialize_with = "typify_helper")]
                pub count: i64,
            }
        };
        let e = apply_reader(&readers[0], &mut doubled).expect_err("two helpers");
        assert!(e.contains("`count`") && e.contains("conflict"), "{e}");
    }

    #[test]
    fn only_lenient_scalars_are_relaxed_for_progenitor() {
        let spec = spec(DOC);
        let relaxed =
            relaxed_openapi(&spec, &response_readers(&spec).expect("readers")).expect("relaxed");
        let json = serde_json::to_value(&relaxed).expect("json");
        let required: Vec<&str> = json
            .pointer("/components/schemas/Thing/required")
            .and_then(|r| r.as_array())
            .expect("required")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(!required.contains(&"note"), "{required:?}");
        for kept in ["id", "type", "count", "tags"] {
            assert!(
                required.contains(&kept),
                "{kept} must stay required: {required:?}"
            );
        }
        // The document itself is untouched.
        let original = spec
            .json
            .pointer("/components/schemas/Thing/required")
            .expect("req");
        assert!(original
            .as_array()
            .expect("list")
            .contains(&serde_json::json!("note")));
    }

    #[test]
    fn whole_generation_of_the_test_document() {
        // The fixture of what the reader relies on in typify's output: response structs keep
        // the derived `Deserialize`, are patched `#[non_exhaustive]`, have the
        // `#[serde(flatten)] extra` map (`additionalProperties: {}`), and the lenient scalar is
        // an `Option` (relaxed_openapi). A typify upgrade that changes one of these fails here.
        let code = generate(&spec(DOC)).expect("generation");
        let thing = code
            .split("pub struct Thing {")
            .next()
            .and_then(|before| before.rsplit("///A thing.").next())
            .expect("Thing's attributes");
        assert!(has(thing, "::serde::Deserialize"), "{thing}");
        assert!(has(thing, "#[non_exhaustive]"), "{thing}");
        for field in [
            "#[serde(flatten)] pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>",
            "#[serde(deserialize_with = \"crate::tolerant::integer\")] pub count: i64",
            "#[serde(default, deserialize_with = \"crate::tolerant::option_integer\")] pub quantity: ::std::option::Option<i64>",
            "#[serde(default, deserialize_with = \"crate::tolerant::list\")] pub tags: ::std::vec::Vec<::std::string::String>",
            "pub note: ::std::option::Option<::std::string::String>",
            "#[serde(rename = \"type\")] pub type_: ::std::string::String",
        ] {
            assert!(has(&code, field), "{field}\n{code}");
        }
        assert!(
            has(&code, "impl crate::tolerant::BareString for ThingResponse"),
            "{code}"
        );
        // No hand-written deserializer is left.
        assert!(
            !has(&code, "impl<'de> ::serde::Deserialize<'de> for Thing"),
            "{code}"
        );
        assert!(has(&code, "crate::operation::operations! {"), "{code}");
        // The request uses the open enum (typify's own type replaced).
        assert!(
            has(
                &code,
                "pub colour: ::std::option::Option<crate::generated::open::Colour>"
            ),
            "{code}"
        );
    }

    #[test]
    fn generation_failures_name_the_file_and_schema() {
        let e = error_of(generate(&edited(
            "result: {$ref: '#/components/schemas/Thing'}",
            "result: {$ref: '#/components/schemas/Missing'}",
        )));
        assert!(
            e.starts_with("test.yaml: ") && e.contains("does not resolve"),
            "{e}"
        );
    }

    #[test]
    fn operations_name_their_body_types() {
        let ops = operation_defs(&spec(DOC)).expect("operations");
        let bodies: Vec<(&str, &str, Option<&str>)> = ops
            .iter()
            .map(|o| (o.id.as_str(), o.response.as_str(), o.request.as_deref()))
            .collect();
        assert_eq!(
            bodies,
            [
                ("get_thing", "ThingResponse", None),
                ("edit_thing", "ThingResponse", Some("ThingUpdate")),
                ("order_thing", "ThingResponse", None),
            ]
        );
        let e = error_of(operation_defs(&edited(
            "schema: {$ref: '#/components/schemas/ThingResponse'}\n    patch:",
            "schema: {type: object}\n    patch:",
        )));
        assert!(
            e.contains("GET /things/{id}") && e.contains("200 response"),
            "{e}"
        );
    }

    #[test]
    fn envelopes_follow_the_schema() {
        let code = generate(&spec(DOC)).expect("generation");
        // One impl per response type (data for `src/envelope_impl.rs`, which tests the
        // expansion); `result` is optional and the envelope has no `success`, `errors`,
        // `messages` or `result_info`.
        assert_eq!(
            code.matches("crate::envelope_impl::envelope_impl!").count(),
            1
        );
        let expected = "crate::envelope_impl::envelope_impl! {
            ThingResponse => Thing {
                success: default, errors: default, messages: default, result: as_is,
                result_info: default
            }
        }";
        assert!(has(&code, expected), "{code}");
        assert!(!has(&code, "missing_result"), "{code}");
        assert!(
            has(&code, "response: ThingResponse, request: ThingUpdate }"),
            "{code}"
        );

        // A required `result` is wrapped; a `success` flag is read.
        let code = generate(&edited(
            "required: [note]\n      properties:\n        note: {type: string, x-lenient: Absent in old replies.}",
            "required: [note, result, success]\n      properties:\n        success: {type: boolean}\n        note: {type: string, x-lenient: Absent in old replies.}",
        ))
        .expect("generation");
        assert!(has(&code, "success: some,"), "{code}");
        assert!(has(&code, "result: some,"), "{code}");

        // A `result` with no schema is any JSON: missing, it is `null`.
        let code = generate(&edited(
            "result: {$ref: '#/components/schemas/Thing'}",
            "result: {description: Anything.}\n        thing: {$ref: '#/components/schemas/Thing'}",
        ))
        .expect("generation");
        assert!(
            has(&code, "ThingResponse => ::serde_json::Value {"),
            "{code}"
        );
        assert!(
            has(&code, "} missing_result: ::serde_json::Value::Null }"),
            "{code}"
        );
    }

    #[test]
    fn request_values_are_the_open_enums_a_request_reaches() {
        let code = generate(&spec(DOC)).expect("generation");
        let checked: Vec<&str> = code
            .match_indices("impl crate::strict::RequestValue for crate::generated::open::")
            .map(|(i, m)| {
                let rest = &code[i + m.len()..];
                &rest[..rest
                    .find(|c: char| !c.is_alphanumeric())
                    .unwrap_or(rest.len())]
            })
            .collect();
        // `ThingUpdate` (the only request body) reaches `Colour`; `Paint` and `Size` are reached
        // by responses only.
        assert_eq!(checked, ["Colour"]);
        let code = generate(&edited(
            "colour: {$ref: '#/components/schemas/Colour'}\n    Thing:",
            "colour: {$ref: '#/components/schemas/Colour'}\n        size: {$ref: '#/components/schemas/Size'}\n    Thing:",
        ))
        .expect("generation");
        assert!(
            has(
                &code,
                "impl crate::strict::RequestValue for crate::generated::open::Size"
            ),
            "{code}"
        );
    }
}
