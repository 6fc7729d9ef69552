//! `cargo xtask import`: one operation from an upstream OpenAPI document into the curated one.
//!
//! The operation is found by its `operationId` or as `"METHOD /path"`. It is copied with every
//! schema it reaches, translated into the curated document's conventions:
//!
//! * **Names**: upstream component names (`tls-certificates-and-hostnames_keyless-certificate`)
//!   lose their family prefix and become PascalCase (`KeylessCertificate`); a name upstream
//!   marked `schemas-` (a second meaning of a common word), or one the holder's slot name ends
//!   with, is named after the type and property that hold it (`KeylessCertificateStatus`). An existing component is never overwritten: a name already
//!   taken by something else gets the holder's name in front, then a number.
//! * **Reuse**: a component equal to one the document has (ignoring `example` and a final `.` of
//!   `description`) becomes a `$ref` to it (the upstream `identifier` → `Identifier`); the zone id
//!   path parameter becomes `#/components/parameters/ZoneId`.
//! * **Scalars** without an enum are written inline where they are used, as the document does;
//!   **enums** (inline or named) become components, so `codegen` makes them open enums when a
//!   response reaches them; objects become components.
//! * **`allOf`** is merged into one object (later members refine earlier ones); a failure
//!   envelope (`success: false`) in an `allOf` is dropped, which resolves upstream's
//!   `allOf [success envelope, failure envelope]` into the success envelope.
//! * **Responses**: the success body becomes the document's envelope (`errors`/`messages` of
//!   `ResponseInfo`, `success: true`, `result`, `result_info` as `ResultInfo`) under a named
//!   component (`KeylessCertificateListResponse`); `4XX` and `5XX` are the shared `Failure`.
//! * **Ledger**: `x-source: {file, operationId}` and `x-since: "<date>, imported by cargo xtask
//!   import"` on the operation; `operationId` in snake_case from the summary unless given;
//!   `x-idempotent` only when it differs from what the method implies.
//!
//! The document is then written back in canonical form ([`crate::canonical`]) and linted. What
//! the import cannot translate (`oneOf`/`anyOf`/`not`, a `$ref` outside the document's
//! components, non-JSON bodies, several success bodies, an `allOf` member that is not an object)
//! is refused with an [`ImportError::Untranslatable`] naming the operation and the place.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Map, Value};

use crate::lint::{self, LintReport};
use crate::toolkit::{METHODS, SCHEMA_PREFIX};
use crate::{canonical, read_text, write_text, Error};

const PARAMETER_PREFIX: &str = "#/components/parameters/";
/// What the document says of `errors`/`messages` when no envelope in it says otherwise.
const DEFAULT_LENIENT: &str = "Go services send null for an empty list, and some replies (older API versions, proxies) leave the field out.";
/// Keywords of an OpenAPI 3.0 Schema Object (anything else, other than `x-`, is refused).
const SCHEMA_KEYWORDS: &str = "title externalDocs multipleOf maximum exclusiveMaximum minimum \
    exclusiveMinimum maxLength minLength pattern maxItems minItems uniqueItems maxProperties \
    minProperties required enum type allOf items properties additionalProperties description \
    format default nullable readOnly writeOnly example deprecated";
const STRING_ONLY: &str = "maxLength minLength pattern";
const NUMBER_ONLY: &str = "maximum minimum exclusiveMaximum exclusiveMinimum multipleOf";
/// Whether `keyword` is one of the space-separated `keywords`.
fn among(keywords: &str, keyword: &str) -> bool {
    keywords.split_whitespace().any(|k| k == keyword)
}

/// What to import and how: the arguments of `cargo xtask import` (their docs are its `--help`).
#[derive(Args, Debug, Clone)]
pub struct ImportOptions {
    /// The upstream OpenAPI document (JSON or YAML).
    #[arg(long, value_name = "file")]
    pub from: PathBuf,
    /// The upstream operationId, or "METHOD /path" (e.g. "GET /zones/{zone_id}/keyless_certificates").
    #[arg(value_name = "operation")]
    pub selector: String,
    /// The operationId in the curated document [default: the summary in snake_case].
    #[arg(long = "as", value_name = "name")]
    pub name: Option<String>,
    /// Whether a repeat has the effect of one; written as x-idempotent only when it differs from
    /// what the method implies (GET, HEAD, PUT, DELETE, OPTIONS are).
    #[arg(long, value_name = "bool")]
    pub idempotent: Option<bool>,
    /// The date recorded in x-since [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The new operation's `operationId`.
    pub operation_id: String,
    /// Its method, upper case.
    pub method: String,
    /// Its path template.
    pub path: String,
    /// Components written: `(upstream name or origin, new name)`.
    pub created: Vec<(String, String)>,
    /// Upstream components answered by an existing component: `(upstream, existing)`.
    pub reused: Vec<(String, String)>,
    /// Upstream scalar components written inline where they are used.
    pub inlined: Vec<String>,
    /// What was left out or changed on the way (vendor extensions, inapplicable keywords, ...).
    pub notes: Vec<String>,
    /// The lint of the written document.
    pub lint: LintReport,
}

impl ImportReport {
    /// A human-readable summary.
    pub fn to_human(&self) -> String {
        let mut out = format!(
            "imported {} {} as `{}`\n",
            self.method, self.path, self.operation_id
        );
        for (from, to) in &self.created {
            out += &format!("  created  {to} (from {from})\n");
        }
        for (from, to) in &self.reused {
            out += &format!("  reused   {to} (for {from})\n");
        }
        for name in &self.inlined {
            out += &format!("  inlined  {name}\n");
        }
        for note in &self.notes {
            out += &format!("  note: {note}\n");
        }
        out += &self.lint.to_human();
        out
    }
}

/// Why an import was refused.
#[derive(Debug)]
pub enum ImportError {
    /// The curated document already has the operation (same method and path, same upstream
    /// operationId in `x-source`, or the same `operationId`).
    AlreadyPresent {
        /// What was asked for.
        selector: String,
        /// What is there, and where.
        existing: String,
    },
    /// The upstream document has no such operation.
    NotFound {
        /// What was asked for.
        selector: String,
        /// Close matches (operationIds, or `METHOD /path`).
        close: Vec<String>,
    },
    /// The operation uses something the import cannot translate.
    Untranslatable {
        /// `METHOD /path (operationId)`.
        operation: String,
        /// Where (a JSON pointer into the upstream document, or a description).
        at: String,
        /// What.
        what: String,
    },
    /// Reading, parsing or writing failed.
    Io(Error),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::AlreadyPresent { selector, existing } => write!(
                f,
                "cannot import `{selector}`: the curated document already has it ({existing})"
            ),
            ImportError::NotFound { selector, close } if close.is_empty() => write!(
                f,
                "cannot import `{selector}`: no such operation in the upstream document"
            ),
            ImportError::NotFound { selector, close } => write!(
                f,
                "cannot import `{selector}`: no such operation in the upstream document; close \
                 matches:\n  {}",
                close.join("\n  ")
            ),
            ImportError::Untranslatable {
                operation,
                at,
                what,
            } => write!(
                f,
                "cannot import {operation}: {what} (at {at}); translate it by hand"
            ),
            ImportError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<Error> for ImportError {
    fn from(e: Error) -> Self {
        ImportError::Io(e)
    }
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Io(e) => e,
            other => Error::Failed(other.to_string()),
        }
    }
}

/// Imports one operation into the curated document at `spec`, writes it back canonically and
/// lints it.
pub fn import(spec: &Path, options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let upstream = crate::drift::load_document(&options.from)?;
    let text = read_text(spec)?;
    let mut curated: Value =
        serde_norway::from_str(&text).map_err(|e| Error::io("parsing (YAML)", spec, e))?;
    let file_name = options
        .from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| options.from.display().to_string());
    let date = match &options.date {
        Some(d) if is_date(d) => d.clone(),
        Some(d) => {
            return Err(ImportError::Io(Error::Io(format!(
                "--date {d}: expected YYYY-MM-DD (x-since starts with the date)"
            ))));
        }
        None => today_utc(),
    };
    let mut report = import_value(&mut curated, &upstream, &file_name, &date, options)?;
    let yaml = serde_norway::to_string(&curated)
        .map_err(|e| Error::Io(format!("{}: cannot write YAML: {e}", spec.display())))?;
    let written = canonical::canonicalize(spec, &yaml)?;
    write_text(spec, &written)?;
    report.lint = lint::lint_file(spec)?;
    Ok(report)
}

/// The import on parsed documents (`curated` is changed in place); the lint is left empty.
pub fn import_value(
    curated: &mut Value,
    upstream: &Value,
    file_name: &str,
    date: &str,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let (path, method, op) = find(upstream, &options.selector)?;
    let upstream_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let label = format!("{} {path} ({upstream_id})", method.to_uppercase());
    let operation_id = match &options.name {
        Some(n) => n.clone(),
        None => {
            let summary = op.get("summary").and_then(Value::as_str).unwrap_or("");
            let id = snake_case(summary);
            if id.is_empty() {
                return Err(ImportError::Untranslatable {
                    operation: label,
                    at: "summary".into(),
                    what: "no summary to derive an operationId from (give one with --as)".into(),
                });
            }
            id
        }
    };
    if !is_snake_case(&operation_id) {
        return Err(ImportError::Untranslatable {
            operation: label,
            at: "--as".into(),
            what: format!("`{operation_id}` is not a snake_case operationId"),
        });
    }
    refuse_duplicates(
        curated,
        &options.selector,
        &path,
        &method,
        &upstream_id,
        &operation_id,
    )?;

    let mut t = Translator {
        upstream,
        curated: &*curated,
        label: label.clone(),
        new_schemas: Vec::new(),
        mapped: HashMap::new(),
        created: Vec::new(),
        reused: Vec::new(),
        inlined: BTreeSet::new(),
        notes: Vec::new(),
    };
    let pascal = pascal_case(&operation_id);
    let mut out = Map::new();
    let tags: Vec<Value> = op
        .get("tags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !tags.is_empty() {
        out.insert("tags".into(), Value::Array(tags.clone()));
    }
    for key in ["summary", "description"] {
        if let Some(v) = op.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("operationId".into(), Value::String(operation_id.clone()));
    out.insert(
        "x-source".into(),
        serde_json::json!({"file": file_name, "operationId": upstream_id}),
    );
    out.insert(
        "x-since".into(),
        Value::String(format!("{date}, imported by cargo xtask import")),
    );
    let default_idempotent = matches!(
        method.as_str(),
        "get" | "head" | "put" | "delete" | "options"
    );
    if let Some(i) = options.idempotent
        && i != default_idempotent
    {
        out.insert("x-idempotent".into(), Value::Bool(i));
    }
    // Parameters: the path item's, then the operation's (which win on the same name and place).
    let mut params: Vec<(String, Value)> = Vec::new();
    let item = &upstream["paths"][path.as_str()];
    let from_item = item
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let from_op = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, p) in from_item.iter().chain(from_op.iter()).enumerate() {
        let p = t.resolve_parameter(p, i)?;
        let key = format!(
            "{}:{}",
            p.get("in").and_then(Value::as_str).unwrap_or(""),
            p.get("name").and_then(Value::as_str).unwrap_or("")
        );
        params.retain(|(k, _)| *k != key);
        params.push((key, p));
    }
    if !params.is_empty() {
        let mut translated = Vec::new();
        for (_, p) in params {
            translated.push(t.parameter(&p, &pascal)?);
        }
        out.insert("parameters".into(), Value::Array(translated));
    }
    if let Some(body) = op.get("requestBody") {
        out.insert("requestBody".into(), t.request_body(body, &pascal)?);
    }
    out.insert(
        "responses".into(),
        t.responses(op.get("responses").unwrap_or(&Value::Null), &pascal)?,
    );
    let mut dropped: Vec<&str> = op
        .as_object()
        .map(|m| {
            m.keys()
                .map(String::as_str)
                .filter(|k| {
                    !matches!(
                        *k,
                        "tags"
                            | "summary"
                            | "description"
                            | "operationId"
                            | "parameters"
                            | "requestBody"
                            | "responses"
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    dropped.sort_unstable();
    if !dropped.is_empty() {
        t.notes.push(format!(
            "left out of the operation: {} (the document's global `security` applies)",
            dropped.join(", ")
        ));
    }

    let Translator {
        new_schemas,
        created,
        reused,
        inlined,
        notes,
        ..
    } = t;
    // Tags the document does not list yet.
    for tag in tags.iter().filter_map(Value::as_str) {
        let listed = curated["tags"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == tag));
        if !listed {
            let description = upstream["tags"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["name"] == tag))
                .and_then(|x| x.get("description"))
                .cloned()
                .unwrap_or_else(|| Value::String(format!("{tag} (imported from {file_name}).")));
            if let Some(list) = curated.get_mut("tags").and_then(Value::as_array_mut) {
                list.push(serde_json::json!({"name": tag, "description": description}));
            }
        }
    }
    let schemas = curated
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| Error::Failed("the curated document has no components.schemas".into()))?;
    for (name, schema) in new_schemas {
        schemas.insert(name, schema);
    }
    let paths = curated
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| Error::Failed("the curated document has no paths".into()))?;
    let entry = paths
        .entry(path.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(item) = entry.as_object_mut() {
        item.insert(method.clone(), Value::Object(out));
    }
    Ok(ImportReport {
        operation_id,
        method: method.to_uppercase(),
        path,
        created,
        reused,
        inlined: inlined.into_iter().collect(),
        notes,
        lint: LintReport {
            label: String::new(),
            findings: Vec::new(),
        },
    })
}

/// Finds the operation: `(path, method, operation)`.
fn find(upstream: &Value, selector: &str) -> Result<(String, String, Value), ImportError> {
    let route = selector.split_once(' ').and_then(|(m, p)| {
        let m = m.to_ascii_lowercase();
        METHODS
            .contains(&m.as_str())
            .then(|| (m, p.trim().to_owned()))
    });
    let mut candidates = Vec::new();
    if let Some(paths) = upstream.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
                let hit = match &route {
                    Some((m, p)) => m == method && p == path,
                    None => id == selector,
                };
                if hit {
                    return Ok((path.clone(), (*method).to_owned(), op.clone()));
                }
                candidates.push(if route.is_some() {
                    format!("{} {path}", method.to_uppercase())
                } else {
                    id.to_owned()
                });
            }
        }
    }
    Err(ImportError::NotFound {
        selector: selector.to_owned(),
        close: close_matches(selector, &candidates),
    })
}

/// Up to five candidates sharing the most words with `wanted`.
fn close_matches(wanted: &str, candidates: &[String]) -> Vec<String> {
    let words = |s: &str| -> BTreeSet<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let want = words(wanted);
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .map(|c| (words(c).intersection(&want).count(), c))
        .filter(|(n, _)| *n > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(5).map(|(_, c)| c.clone()).collect()
}

fn refuse_duplicates(
    curated: &Value,
    selector: &str,
    path: &str,
    method: &str,
    upstream_id: &str,
    operation_id: &str,
) -> Result<(), ImportError> {
    let present = |existing: String| ImportError::AlreadyPresent {
        selector: selector.to_owned(),
        existing,
    };
    let Some(paths) = curated.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    if let Some(op) = paths.get(path).and_then(|item| item.get(method)) {
        return Err(present(format!(
            "{} {path} is `{}`",
            method.to_uppercase(),
            op["operationId"].as_str().unwrap_or("?")
        )));
    }
    for (p, item) in paths {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let here = format!("{} {p}", m.to_uppercase());
            if !upstream_id.is_empty() && op["x-source"]["operationId"] == upstream_id {
                return Err(present(format!(
                    "{here} records x-source operationId {upstream_id}"
                )));
            }
            if op["operationId"] == operation_id {
                return Err(present(format!(
                    "{here} has operationId `{operation_id}`; choose another with --as"
                )));
            }
        }
    }
    Ok(())
}

struct Translator<'a> {
    upstream: &'a Value,
    curated: &'a Value,
    label: String,
    new_schemas: Vec<(String, Value)>,
    /// Upstream component name → what replaces a `$ref` to it.
    mapped: HashMap<String, Value>,
    created: Vec<(String, String)>,
    reused: Vec<(String, String)>,
    inlined: BTreeSet<String>,
    notes: Vec<String>,
}

impl Translator<'_> {
    fn refuse(&self, at: &str, what: impl Into<String>) -> ImportError {
        ImportError::Untranslatable {
            operation: self.label.clone(),
            at: at.to_owned(),
            what: what.into(),
        }
    }

    fn upstream_component(
        &self,
        reference: &str,
        prefix: &str,
        at: &str,
    ) -> Result<(String, Value), ImportError> {
        let Some(name) = reference.strip_prefix(prefix) else {
            return Err(self.refuse(at, format!("a $ref outside {prefix}: {reference}")));
        };
        match crate::toolkit::target(self.upstream, reference) {
            Some(v) => Ok((name.to_owned(), v.clone())),
            None => Err(self.refuse(at, format!("unresolved $ref {reference}"))),
        }
    }

    fn resolve_parameter(&self, p: &Value, i: usize) -> Result<Value, ImportError> {
        match p.get("$ref").and_then(Value::as_str) {
            Some(r) => Ok(self
                .upstream_component(r, PARAMETER_PREFIX, &format!("parameters/{i}"))?
                .1),
            None => Ok(p.clone()),
        }
    }

    fn parameter(&mut self, p: &Value, pascal: &str) -> Result<Value, ImportError> {
        let name = p["name"].as_str().unwrap_or("").to_owned();
        let place = p["in"].as_str().unwrap_or("").to_owned();
        let at = format!("parameter {name} in {place}");
        if p.get("content").is_some() || p.get("schema").is_none() {
            return Err(self.refuse(&at, "a parameter without a `schema` (`content`)"));
        }
        if place == "path" && name == "zone_id" {
            return Ok(serde_json::json!({"$ref": format!("{PARAMETER_PREFIX}ZoneId")}));
        }
        let schema = self.schema(
            &p["schema"],
            &at,
            &format!("{pascal}{}", pascal_case(&name)),
        )?;
        let mut out = Map::new();
        out.insert("name".into(), Value::String(name));
        out.insert("in".into(), Value::String(place.clone()));
        out.insert(
            "required".into(),
            p.get("required")
                .cloned()
                .unwrap_or(Value::Bool(place == "path")),
        );
        if let Some(d) = p.get("description") {
            out.insert("description".into(), d.clone());
        }
        out.insert("schema".into(), schema);
        let out = Value::Object(out);
        // An existing parameter component with the same content answers it.
        if let Some(params) = self
            .curated
            .pointer("/components/parameters")
            .and_then(Value::as_object)
        {
            for (existing, v) in params {
                if normalized(v) == normalized(&out) {
                    return Ok(
                        serde_json::json!({"$ref": format!("{PARAMETER_PREFIX}{existing}")}),
                    );
                }
            }
        }
        Ok(out)
    }

    fn json_media<'v>(&self, content: &'v Value, at: &str) -> Result<&'v Value, ImportError> {
        match content.get("application/json") {
            Some(m) => Ok(m),
            None => Err(self.refuse(
                at,
                format!(
                    "a body that is not application/json ({})",
                    content
                        .as_object()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    fn request_body(&mut self, body: &Value, pascal: &str) -> Result<Value, ImportError> {
        let body = match body.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                self.upstream_component(r, "#/components/requestBodies/", "requestBody")?
                    .1
            }
            None => body.clone(),
        };
        let media = self.json_media(&body["content"], "requestBody")?;
        let schema = self.schema(&media["schema"], "requestBody", &format!("{pascal}Request"))?;
        let schema = self.named(schema, &format!("{pascal}Request"), "the request body")?;
        let mut m = Map::new();
        m.insert("schema".into(), schema);
        if let Some(e) = media.get("example") {
            m.insert("example".into(), e.clone());
        }
        Ok(serde_json::json!({
            "required": body.get("required").cloned().unwrap_or(Value::Bool(false)),
            "content": {"application/json": Value::Object(m)},
        }))
    }

    /// A `$ref` to `schema`: as it is when it is one, else a new component.
    fn named(&mut self, schema: Value, name: &str, origin: &str) -> Result<Value, ImportError> {
        if schema.get("$ref").is_some() {
            return Ok(schema);
        }
        let name = self.free_name(name, "");
        self.created.push((origin.to_owned(), name.clone()));
        self.new_schemas.push((name.clone(), schema));
        Ok(serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{name}")}))
    }

    fn responses(&mut self, responses: &Value, pascal: &str) -> Result<Value, ImportError> {
        let Some(all) = responses.as_object() else {
            return Err(self.refuse("responses", "no responses"));
        };
        let success: Vec<(&String, &Value)> = all
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .collect();
        if success.len() > 1 {
            return Err(self.refuse(
                "responses",
                format!(
                    "more than one success response ({})",
                    success
                        .iter()
                        .map(|(c, _)| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut out = Map::new();
        if let Some((code, response)) = success.first() {
            let at = format!("responses/{code}");
            let response = match response.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    self.upstream_component(r, "#/components/responses/", &at)?
                        .1
                }
                None => (*response).clone(),
            };
            let mut description = response["description"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{pascal} response"));
            if !description.ends_with('.') {
                description.push('.');
            }
            let mut r = Map::new();
            r.insert("description".into(), Value::String(description));
            if let Some(content) = response.get("content") {
                let media = self.json_media(content, &at)?;
                let schema = self.envelope(&media["schema"], &at, pascal)?;
                let mut m = Map::new();
                m.insert("schema".into(), schema);
                if let Some(e) = media.get("example") {
                    m.insert("example".into(), e.clone());
                }
                r.insert(
                    "content".into(),
                    serde_json::json!({"application/json": Value::Object(m)}),
                );
            }
            out.insert((*code).clone(), Value::Object(r));
        }
        for code in ["4XX", "5XX"] {
            out.insert(
                code.into(),
                serde_json::json!({"$ref": "#/components/responses/Failure"}),
            );
        }
        let others: Vec<&str> = all
            .keys()
            .map(String::as_str)
            .filter(|c| !c.starts_with('2') && *c != "4XX" && *c != "5XX")
            .collect();
        if !others.is_empty() {
            self.notes.push(format!(
                "responses {} answered by the shared Failure (4XX/5XX)",
                others.join(", ")
            ));
        }
        Ok(Value::Object(out))
    }

    /// The success body: the document's envelope under a named component.
    fn envelope(&mut self, schema: &Value, at: &str, pascal: &str) -> Result<Value, ImportError> {
        let flat = self.flatten(schema, at)?;
        let props = flat.get("properties").and_then(Value::as_object);
        let is_envelope = props.is_some_and(|p| {
            p.contains_key("success") && p.contains_key("errors") && p.contains_key("messages")
        });
        if !is_envelope {
            self.notes.push(format!(
                "the success body at {at} is not Cloudflare's envelope: copied as it is"
            ));
            let translated = self.schema(schema, at, &format!("{pascal}Response"))?;
            return self.named(translated, &format!("{pascal}Response"), at);
        }
        let props = props.cloned().unwrap_or_default();
        let lenient = self.lenient_text();
        let list = |lenient: &str| {
            serde_json::json!({
                "type": "array",
                "items": {"$ref": format!("{SCHEMA_PREFIX}ResponseInfo")},
                "x-lenient": lenient,
            })
        };
        let mut p = Map::new();
        p.insert("errors".into(), list(&lenient));
        p.insert("messages".into(), list(&lenient));
        p.insert(
            "success".into(),
            serde_json::json!({"type": "boolean", "description": "Whether the API call was successful.", "enum": [true]}),
        );
        let mut base = format!("{pascal}Response");
        if let Some(result) = props.get("result") {
            let translated =
                self.schema(result, &format!("{at}/result"), &format!("{pascal}Result"))?;
            if let Some(name) = ref_name(&translated) {
                base = format!("{name}Response");
            } else if translated["type"] == "array"
                && let Some(name) = ref_name(&translated["items"])
            {
                base = format!("{name}ListResponse");
            }
            p.insert("result".into(), translated);
        }
        if props.contains_key("result_info") {
            p.insert(
                "result_info".into(),
                serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}ResultInfo")}),
            );
        }
        let mut required = vec![
            Value::from("errors"),
            Value::from("messages"),
            Value::from("success"),
        ];
        let upstream_required = flat["required"].as_array().cloned().unwrap_or_default();
        if upstream_required.iter().any(|r| r == "result") && p.contains_key("result") {
            required.push(Value::from("result"));
        }
        let envelope = serde_json::json!({
            "type": "object",
            "required": required,
            "properties": Value::Object(p),
            "additionalProperties": {},
        });
        if let Some(existing) = self.existing_equal(&envelope) {
            self.reused
                .push((format!("the envelope at {at}"), existing.clone()));
            return Ok(serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{existing}")}));
        }
        let name = self.free_name(&base, pascal);
        self.created
            .push((format!("the envelope at {at}"), name.clone()));
        self.new_schemas.push((name.clone(), envelope));
        Ok(serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{name}")}))
    }

    fn lenient_text(&self) -> String {
        self.curated
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|s| s.pointer("/properties/success/enum/0") == Some(&Value::Bool(true)))
            .find_map(|s| {
                s.pointer("/properties/errors/x-lenient")
                    .and_then(Value::as_str)
            })
            .map(str::to_owned)
            .unwrap_or_else(|| DEFAULT_LENIENT.to_owned())
    }

    /// `schema` with `$ref`s followed and `allOf` merged (upstream terms, not translated).
    /// Failure envelopes in an `allOf` are dropped.
    fn flatten(&self, schema: &Value, at: &str) -> Result<Value, ImportError> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let (_, v) = self.upstream_component(r, SCHEMA_PREFIX, at)?;
            return self.flatten(&v, at);
        }
        let Some(members) = schema.get("allOf").and_then(Value::as_array) else {
            return Ok(schema.clone());
        };
        let mut merged = Map::new();
        let mut props = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for (i, member) in members.iter().enumerate() {
            let m = self.flatten(member, &format!("{at}/allOf/{i}"))?;
            if is_failure_envelope(&m) {
                continue;
            }
            if m.get("type").is_some_and(|t| t != "object")
                || (m.get("properties").is_none() && m.get("type").is_none())
            {
                return Err(self.refuse(
                    &format!("{at}/allOf/{i}"),
                    "an allOf member that is not an object",
                ));
            }
            absorb(&mut merged, &mut props, &mut required, &m);
        }
        let mut own = schema.clone();
        if let Some(o) = own.as_object_mut() {
            o.remove("allOf");
        }
        absorb(&mut merged, &mut props, &mut required, &own);
        merged.insert("type".into(), Value::from("object"));
        if !props.is_empty() {
            merged.insert("properties".into(), Value::Object(props));
        }
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
        Ok(Value::Object(merged))
    }

    /// A schema translated into the document's terms. `context` names what holds it (for new
    /// component names).
    fn schema(&mut self, schema: &Value, at: &str, context: &str) -> Result<Value, ImportError> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let (name, _) = self.upstream_component(r, SCHEMA_PREFIX, at)?;
            return self.component(&name, context);
        }
        let Some(map) = schema.as_object() else {
            return Ok(schema.clone());
        };
        for bad in ["oneOf", "anyOf", "not"] {
            if map.contains_key(bad) {
                return Err(self.refuse(
                    at,
                    format!("`{bad}` (a choice or negation of schemas, which the import does not translate)"),
                ));
            }
        }
        if map.contains_key("allOf") {
            let flat = self.flatten(schema, at)?;
            return self.schema(&flat, at, context);
        }
        let ty = map.get("type").and_then(Value::as_str).unwrap_or("");
        let mut out = Map::new();
        for (k, v) in map {
            if k.starts_with("x-") {
                self.notes.push(format!("dropped {k} at {at}"));
                continue;
            }
            if !among(SCHEMA_KEYWORDS, k) {
                return Err(self.refuse(at, format!("the keyword `{k}` (not OpenAPI 3.0)")));
            }
            if (among(STRING_ONLY, k) && !ty.is_empty() && ty != "string")
                || (among(NUMBER_ONLY, k) && !matches!(ty, "" | "number" | "integer"))
            {
                self.notes.push(format!("dropped {k} on a {ty} at {at}"));
                continue;
            }
            let v = match k.as_str() {
                "properties" => {
                    let mut props = Map::new();
                    for (name, p) in v.as_object().into_iter().flatten() {
                        let sub = format!("{context}{}", pascal_case(name));
                        let translated =
                            self.schema(p, &format!("{at}/properties/{name}"), &sub)?;
                        props.insert(name.clone(), self.enum_component(translated, &sub, at));
                    }
                    Value::Object(props)
                }
                "items" => {
                    let sub = format!("{context}Item");
                    let translated = self.schema(v, &format!("{at}/items"), &sub)?;
                    self.enum_component(translated, &sub, at)
                }
                "additionalProperties" if v.is_object() => self.schema(
                    v,
                    &format!("{at}/additionalProperties"),
                    &format!("{context}Value"),
                )?,
                _ => v.clone(),
            };
            out.insert(k.clone(), v);
        }
        if ty == "object" || out.contains_key("properties") {
            out.entry("additionalProperties")
                .or_insert_with(|| Value::Object(Map::new()));
        }
        // The document's key order: type and description first.
        let mut ordered = Map::new();
        for key in ["type", "description"] {
            if let Some(v) = out.remove(key) {
                ordered.insert(key.to_owned(), v);
            }
        }
        ordered.extend(out);
        Ok(Value::Object(ordered))
    }

    /// An inline enum (not of booleans) as a component named `name`, so codegen makes it an
    /// open enum when a response reaches it; anything else as it is.
    fn enum_component(&mut self, schema: Value, name: &str, at: &str) -> Value {
        if schema.get("enum").is_none() || schema["type"] == "boolean" {
            return schema;
        }
        if let Some(existing) = self.existing_equal(&schema) {
            self.reused
                .push((format!("the enum at {at}"), existing.clone()));
            return serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{existing}")});
        }
        let name = self.free_name(name, "");
        self.created
            .push((format!("the inline enum at {at}"), name.clone()));
        self.new_schemas.push((name.clone(), schema));
        serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{name}")})
    }

    /// What replaces a `$ref` to the upstream component `name`.
    fn component(&mut self, name: &str, context: &str) -> Result<Value, ImportError> {
        if let Some(v) = self.mapped.get(name) {
            return Ok(v.clone());
        }
        let at = format!("{SCHEMA_PREFIX}{name}");
        let (_, upstream) = self.upstream_component(&at, SCHEMA_PREFIX, &at)?;
        let flat = self.flatten(&upstream, &at)?;
        let is_scalar = flat.get("enum").is_none()
            && flat.get("properties").is_none()
            && matches!(
                flat.get("type").and_then(Value::as_str),
                Some("string" | "number" | "integer" | "boolean")
            );
        let new_name = style_name(name, context);
        if is_scalar {
            let translated = self.schema(&flat, &at, &new_name)?;
            let value = match self.existing_equal(&translated) {
                Some(existing) => {
                    self.reused.push((name.to_owned(), existing.clone()));
                    serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{existing}")})
                }
                None => {
                    self.inlined.insert(name.to_owned());
                    translated
                }
            };
            self.mapped.insert(name.to_owned(), value.clone());
            return Ok(value);
        }
        let new_name = self.free_name(&new_name, context);
        let reference = serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{new_name}")});
        // Reserved first: a cycle comes back to this name.
        self.mapped.insert(name.to_owned(), reference.clone());
        let at_index = self.new_schemas.len();
        self.new_schemas.push((new_name.clone(), Value::Null));
        let translated = self.schema(&flat, &at, &new_name)?;
        let cyclic = translated
            .to_string()
            .contains(&format!("\"{SCHEMA_PREFIX}{new_name}\""));
        if !cyclic && let Some(existing) = self.existing_equal(&translated) {
            self.new_schemas.remove(at_index);
            self.reused.push((name.to_owned(), existing.clone()));
            let value = serde_json::json!({"$ref": format!("{SCHEMA_PREFIX}{existing}")});
            self.mapped.insert(name.to_owned(), value.clone());
            return Ok(value);
        }
        self.new_schemas[at_index].1 = translated;
        self.created.push((name.to_owned(), new_name));
        Ok(reference)
    }

    /// An existing (curated) component equal to `schema`, ignoring examples and a final `.`.
    fn existing_equal(&self, schema: &Value) -> Option<String> {
        let wanted = normalized(schema);
        self.curated
            .pointer("/components/schemas")
            .and_then(Value::as_object)?
            .iter()
            .find(|(_, v)| normalized(v) == wanted)
            .map(|(k, _)| k.clone())
    }

    /// `name`, or (when the document or this import already uses it) `context` + `name`, then a
    /// number: never an existing component.
    fn free_name(&self, name: &str, context: &str) -> String {
        let taken = |n: &str| {
            self.curated
                .pointer(&format!("/components/schemas/{n}"))
                .is_some()
                || self.new_schemas.iter().any(|(k, _)| k == n)
        };
        if !taken(name) {
            return name.to_owned();
        }
        let prefixed = if context.is_empty() || name.starts_with(context) {
            name.to_owned()
        } else {
            format!("{context}{name}")
        };
        if !taken(&prefixed) {
            return prefixed;
        }
        (2..)
            .map(|i| format!("{prefixed}{i}"))
            .find(|n| !taken(n))
            .unwrap_or_default()
    }
}

fn absorb(
    merged: &mut Map<String, Value>,
    props: &mut Map<String, Value>,
    required: &mut Vec<Value>,
    m: &Value,
) {
    for (k, v) in m.as_object().into_iter().flatten() {
        match k.as_str() {
            "properties" => {
                for (name, p) in v.as_object().into_iter().flatten() {
                    props.insert(name.clone(), p.clone());
                }
            }
            "required" => {
                for r in v.as_array().into_iter().flatten() {
                    if !required.contains(r) {
                        required.push(r.clone());
                    }
                }
            }
            "type" => {}
            _ => {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
}

fn is_failure_envelope(schema: &Value) -> bool {
    schema
        .pointer("/properties/success/enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.len() == 1 && e[0] == false)
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix(SCHEMA_PREFIX)
}

/// `schema` without examples, with descriptions lower-cased and without a final `.`.
fn normalized(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                match k.as_str() {
                    "example" | "examples" => {}
                    "description" => {
                        let d = v
                            .as_str()
                            .unwrap_or("")
                            .trim()
                            .trim_end_matches('.')
                            .to_lowercase();
                        out.insert(k.clone(), Value::String(d));
                    }
                    _ => {
                        out.insert(k.clone(), normalized(v));
                    }
                }
            }
            crate::sorted_json(&Value::Object(out))
        }
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// The document's name for the upstream component `name` held by `context`.
pub fn style_name(name: &str, context: &str) -> String {
    let local = match name.split_once('_') {
        Some((family, rest)) if !rest.is_empty() && family.contains('-') => rest,
        _ => name,
    };
    let mut words: Vec<&str> = local
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let marked = words
        .first()
        .is_some_and(|w| *w == "schemas" || *w == "components");
    while words.len() > 1 && matches!(words[0], "schemas" | "components") {
        words.remove(0);
    }
    let own = pascal_case(&words.join("_"));
    if !context.is_empty() && context.ends_with(&own) {
        return context.to_owned();
    }
    if marked && !context.is_empty() && !own.starts_with(context) {
        format!("{context}{own}")
    } else {
        own
    }
}

/// `"keyless_ssl-list"` → `KeylessSslList`.
pub fn pascal_case(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `"List Keyless SSL Configurations"` → `list_keyless_ssl_configurations`.
pub fn snake_case(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

fn is_date(s: &str) -> bool {
    s.len() == 10
        && s.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        })
}

fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date(secs / 86_400)
}

/// The proleptic Gregorian date `days` after 1970-01-01.
pub fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_document_style() {
        assert_eq!(
            style_name("tls-certificates-and-hostnames_keyless-certificate", ""),
            "KeylessCertificate"
        );
        assert_eq!(
            style_name(
                "tls-certificates-and-hostnames_schemas-status",
                "KeylessCertificate"
            ),
            "KeylessCertificateStatus"
        );
        assert_eq!(
            style_name(
                "tls-certificates-and-hostnames_keyless_tunnel",
                "KeylessCertificate"
            ),
            "KeylessTunnel"
        );
        assert_eq!(
            snake_case("List Keyless SSL Configurations"),
            "list_keyless_ssl_configurations"
        );
        assert_eq!(civil_date(0), "1970-01-01");
        assert!(is_date("2026-12-05") && !is_date("2026-12-5") && !is_date("5 December"));
        assert_eq!(civil_date(20_792), "2026-12-05");
    }
}
