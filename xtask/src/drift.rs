//! `drift`: what Cloudflare's upstream OpenAPI document says about the operations this crate
//! covers that the curated document does not, and the reverse.
//!
//! # Why it is here
//!
//! Maintained diff tools (oasdiff, openapi-diff) are Go or Java programs, not `cargo install`able,
//! and they compare two versions of *one* API for breaking changes. What this module does is what
//! none of them does: it knows the curation (the scope of the curated paths, renamed path
//! parameters, upstream's `allOf(success, failure)` error bodies, the envelope fields left out on
//! purpose) and reports a reviewable list for a Rust-only `cargo xtask` workflow. `$ref`
//! resolution is the workspace's one ([`crate::toolkit`]); only the schema *shape* merging
//! (`allOf`/`anyOf`/`oneOf`) that the comparison needs is its own.
//!
//! # How the two documents are compared
//!
//! * **Operations** match by HTTP method and *normalised* path: every `{parameter}` becomes `{}`,
//!   so upstream's `/zones/{zone_identifier}/…` is the same operation as the curated
//!   `/zones/{zone_id}/…`. Upstream operations are in scope when their path is a curated path, lies
//!   under one, or starts with one of the scope prefixes ([`DEFAULT_SCOPE`]); in-scope upstream
//!   operations the curated document lacks are reported, as are curated operations upstream lacks.
//! * **Parameters**: path parameters by position (names may differ), others by location and name:
//!   presence, `required`, and their schemas.
//! * **Request body**: presence, `required`, media types, and the JSON schema at every depth.
//! * **Response**: the `200` JSON body (other statuses are ignored: upstream writes its 4XX bodies
//!   as `allOf(success, failure)`), compared under `result` and `result_info` at every depth.
//! * **Schemas** are resolved first: `$ref`s transitively (a cycle stops at the repeated
//!   reference), `allOf` merged (properties and `required` united, types intersected), `anyOf` and
//!   `oneOf` united. Compared: fields, optionality (`required`), types, `nullable`, formats, enum
//!   values (string and integer), and limits (`minimum`, `maxLength`, `pattern`, …). Descriptions,
//!   examples and vendor extensions are ignored.
//! * **Unresolved `$ref`s** (a reference to nothing in its document) are reported as their own
//!   kind (`unresolved_ref`, marked `!`), never silently skipped: an operation with one is never
//!   "No drift". Below an unresolved reference only the fields both sides declare are compared
//!   (what the missing part holds is unknown, so nothing is reported as one-sided).
//! * An operation absent upstream is one line (`- absent upstream: …`), not a list of its fields.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::toolkit;
use crate::Error;

/// Upstream paths under these normalised prefixes are in scope even when no curated path covers
/// them, so a new SSL operation upstream shows up as "upstream only".
pub const DEFAULT_SCOPE: &[&str] = &["/zones/{}/ssl/"];

/// Top-level fields of a response body that are compared (at every depth). The rest of the
/// envelope (`success`, `errors`, `messages`) is the same everywhere and curated on purpose.
pub const RESPONSE_FIELDS: &[&str] = &["result", "result_info"];

use crate::toolkit::METHODS;
const LIMITS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// Reads an OpenAPI document: JSON when the file name ends in `.json`, YAML otherwise.
pub fn load_document(path: &Path) -> Result<Value, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let value: Value = if is_json {
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Io(format!("{}: invalid JSON: {e}", path.display())))?
    } else {
        serde_norway::from_slice(&bytes)
            .map_err(|e| Error::Io(format!("{}: invalid YAML: {e}", path.display())))?
    };
    if !value.get("paths").is_some_and(Value::is_object) {
        return Err(Error::Io(format!(
            "{}: not an OpenAPI document (no `paths` object)",
            path.display()
        )));
    }
    Ok(value)
}

/// Replaces every `{parameter}` in a path by `{}`.
pub fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' if in_param => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn path_param_names(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Schemas, resolved and merged.

/// A schema with `$ref`s resolved and `allOf`/`anyOf`/`oneOf` merged: what is compared.
#[derive(Debug, Clone, Default, PartialEq)]
struct Shape {
    /// JSON types; empty means any.
    types: BTreeSet<String>,
    nullable: bool,
    format: Option<String>,
    enum_values: Option<Vec<Value>>,
    properties: BTreeMap<String, Shape>,
    required: BTreeSet<String>,
    items: Option<Box<Shape>>,
    limits: BTreeMap<String, Value>,
    /// Set when resolution stopped at a `$ref` cycle: the repeated reference.
    recursive: Option<String>,
    /// Set when a `$ref` in this schema (or an `allOf`/`anyOf`/`oneOf` member) resolves to
    /// nothing: the reference. What it would have added is unknown.
    unresolved: Option<String>,
}

impl Shape {
    /// An object (or untyped value) that declares no fields.
    fn is_untyped_object(&self) -> bool {
        self.properties.is_empty()
            && self.items.is_none()
            && self.enum_values.is_none()
            && self.recursive.is_none()
            && self.unresolved.is_none()
            && (self.types.is_empty() || (self.types.len() == 1 && self.types.contains("object")))
    }

    fn type_name(&self) -> String {
        let mut s = types_name(&self.types);
        if self.nullable {
            s.push_str(", nullable");
        }
        s
    }

    /// A short description for a field present on one side only.
    fn summary(&self) -> String {
        let mut s = self.type_name();
        if let Some(items) = &self.items
            && self.types.contains("array")
        {
            s = s.replacen("array", &format!("array of {}", items.type_name()), 1);
        }
        if let Some(f) = &self.format {
            let _ = write!(s, ", format {f}");
        }
        if let Some(values) = &self.enum_values {
            let _ = write!(s, ", enum {}", render_values(values));
        }
        if !self.properties.is_empty() {
            let _ = write!(s, ", {} fields", self.properties.len());
        }
        s
    }
}

fn types_name(types: &BTreeSet<String>) -> String {
    if types.is_empty() {
        "any".to_owned()
    } else {
        types.iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}

fn render_values(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

struct Resolver<'a> {
    doc: &'a Value,
    stack: Vec<String>,
}

impl<'a> Resolver<'a> {
    fn new(doc: &'a Value) -> Self {
        Resolver {
            doc,
            stack: Vec::new(),
        }
    }

    fn shape(&mut self, schema: &'a Value) -> Shape {
        let Some(map) = schema.as_object() else {
            return Shape::default(); // `true`, or nonsense: anything goes.
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            if self.stack.iter().any(|r| r == reference) {
                return Shape {
                    recursive: Some(reference.to_owned()),
                    ..Shape::default()
                };
            }
            let Some(target) = toolkit::target(self.doc, reference) else {
                // An unresolvable reference: reported as such, instead of failing the whole
                // report or comparing as an untyped value.
                return Shape {
                    unresolved: Some(reference.to_owned()),
                    ..Shape::default()
                };
            };
            self.stack.push(reference.to_owned());
            let shape = self.shape(target);
            self.stack.pop();
            return shape;
        }
        let mut own = self.own_keys(map);
        for key in ["anyOf", "oneOf"] {
            if let Some(variants) = map.get(key).and_then(Value::as_array) {
                let shapes: Vec<Shape> = variants.iter().map(|v| self.shape(v)).collect();
                own = intersect(union(shapes), own);
            }
        }
        if let Some(members) = map.get("allOf").and_then(Value::as_array) {
            let mut merged: Option<Shape> = None;
            for member in members {
                let s = self.shape(member);
                merged = Some(match merged {
                    None => s,
                    Some(m) => intersect(m, s),
                });
            }
            if let Some(m) = merged {
                own = intersect(m, own);
            }
        }
        own
    }

    /// The schema's own keywords (not its `allOf`/`anyOf`/`oneOf`).
    fn own_keys(&mut self, map: &'a Map<String, Value>) -> Shape {
        let mut s = Shape::default();
        match map.get("type") {
            Some(Value::String(t)) => {
                s.types.insert(t.clone());
            }
            Some(Value::Array(ts)) => {
                for t in ts.iter().filter_map(Value::as_str) {
                    if t == "null" {
                        s.nullable = true;
                    } else {
                        s.types.insert(t.to_owned());
                    }
                }
            }
            _ => {}
        }
        s.nullable |= map
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        s.format = map.get("format").and_then(Value::as_str).map(str::to_owned);
        s.enum_values = map.get("enum").and_then(Value::as_array).cloned();
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (name, schema) in props {
                let shape = self.shape(schema);
                s.properties.insert(name.clone(), shape);
            }
        }
        if let Some(required) = map.get("required").and_then(Value::as_array) {
            s.required = required
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        if let Some(items) = map.get("items") {
            s.items = Some(Box::new(self.shape(items)));
        }
        for key in LIMITS {
            if let Some(v) = map.get(*key) {
                s.limits.insert((*key).to_owned(), v.clone());
            }
        }
        s
    }
}

/// `allOf`: a value must match both. Fields and `required` are united, types intersected
/// (the later wins when they conflict), `nullable` only when both allow null.
fn intersect(a: Shape, b: Shape) -> Shape {
    let types = match (a.types.is_empty(), b.types.is_empty()) {
        (true, _) => b.types,
        (_, true) => a.types,
        _ => {
            let common: BTreeSet<String> = a.types.intersection(&b.types).cloned().collect();
            if common.is_empty() {
                b.types
            } else {
                common
            }
        }
    };
    let enum_values = match (a.enum_values, b.enum_values) {
        (Some(x), Some(y)) => Some(x.into_iter().filter(|v| y.contains(v)).collect()),
        (x, y) => y.or(x),
    };
    let mut properties = a.properties;
    for (name, shape) in b.properties {
        let merged = match properties.remove(&name) {
            Some(existing) => intersect(existing, shape),
            None => shape,
        };
        properties.insert(name, merged);
    }
    let items = match (a.items, b.items) {
        (Some(x), Some(y)) => Some(Box::new(intersect(*x, *y))),
        (x, y) => y.or(x),
    };
    let mut limits = a.limits;
    limits.extend(b.limits);
    Shape {
        types,
        nullable: a.nullable && b.nullable,
        format: b.format.or(a.format),
        enum_values,
        properties,
        required: a.required.union(&b.required).cloned().collect(),
        items,
        limits,
        recursive: b.recursive.or(a.recursive),
        unresolved: b.unresolved.or(a.unresolved),
    }
}

/// `anyOf`/`oneOf`: a value matches one. Types and enum values are united, fields united and
/// required only when every variant requires them.
fn union(shapes: Vec<Shape>) -> Shape {
    let mut iter = shapes.into_iter();
    let Some(mut acc) = iter.next() else {
        return Shape::default();
    };
    for s in iter {
        let any = acc.types.is_empty() || s.types.is_empty();
        acc.types = if any {
            BTreeSet::new()
        } else {
            acc.types.union(&s.types).cloned().collect()
        };
        acc.nullable |= s.nullable;
        if acc.format != s.format {
            acc.format = None;
        }
        acc.enum_values = match (acc.enum_values.take(), s.enum_values) {
            (Some(mut x), Some(y)) => {
                for v in y {
                    if !x.contains(&v) {
                        x.push(v);
                    }
                }
                Some(x)
            }
            _ => None,
        };
        for (name, shape) in s.properties {
            acc.properties.entry(name).or_insert(shape);
        }
        acc.required = acc.required.intersection(&s.required).cloned().collect();
        acc.items = match (acc.items.take(), s.items) {
            (Some(x), Some(y)) => Some(Box::new(union(vec![*x, *y]))),
            (x, y) => x.or(y),
        };
        acc.limits.retain(|k, v| s.limits.get(k) == Some(v));
        acc.unresolved = acc.unresolved.or(s.unresolved);
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// The report.

/// Which side has what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Upstream has it, the curated document does not.
    UpstreamOnly,
    /// The curated document has it, upstream does not.
    CuratedOnly,
    /// Both have it, differently.
    Changed,
    /// A `$ref` on one side resolves to nothing: the comparison is incomplete there.
    Unresolved,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::UpstreamOnly => "upstream_only",
            Change::CuratedOnly => "curated_only",
            Change::Changed => "changed",
            Change::Unresolved => "unresolved",
        }
    }
}

/// One difference in one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Which side has what.
    pub change: Change,
    /// What differs: `operation`, `parameter`, `request_body`, `media_type`, `field`,
    /// `enum_value`, `enum`, `type`, `format`, `nullable`, `optionality`, `untyped`,
    /// `unresolved_ref` (with [`Change::Unresolved`]), or a limit keyword such as `maxLength`.
    pub kind: String,
    /// Where: `result.certificate_authority`, `body.hosts[]`, `query parameter per_page`, … (empty
    /// for the operation itself).
    pub location: String,
    /// Upstream's side (absent when upstream lacks the thing).
    pub upstream: Option<Value>,
    /// The curated side (absent when the curated document lacks the thing).
    pub curated: Option<Value>,
}

impl Difference {
    fn one_side(change: Change, kind: &str, location: &str, what: Value) -> Self {
        let (upstream, curated) = match change {
            Change::UpstreamOnly => (Some(what), None),
            _ => (None, Some(what)),
        };
        Difference {
            change,
            kind: kind.to_owned(),
            location: location.to_owned(),
            upstream,
            curated,
        }
    }

    /// An unresolved `$ref` on the upstream side (`upstream: true`) or the curated side.
    fn unresolved(upstream_side: bool, location: &str, reference: &str) -> Self {
        let what = Some(Value::String(reference.to_owned()));
        let (upstream, curated) = if upstream_side {
            (what, None)
        } else {
            (None, what)
        };
        Difference {
            change: Change::Unresolved,
            kind: "unresolved_ref".to_owned(),
            location: location.to_owned(),
            upstream,
            curated,
        }
    }

    fn changed(kind: &str, location: &str, upstream: Value, curated: Value) -> Self {
        Difference {
            change: Change::Changed,
            kind: kind.to_owned(),
            location: location.to_owned(),
            upstream: Some(upstream),
            curated: Some(curated),
        }
    }

    /// One line of the human report.
    pub fn to_line(&self) -> String {
        let plain = |v: &Option<Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "none".to_owned(),
            Some(other) => other.to_string(),
        };
        match self.change {
            Change::Unresolved => {
                let (side, reference) = match (&self.upstream, &self.curated) {
                    (Some(r), _) => ("upstream", r),
                    (None, Some(r)) => ("curated", r),
                    (None, None) => ("?", &Value::Null),
                };
                let at = if self.location.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", self.location)
                };
                format!(
                    "! unresolved: {side} $ref {}{at} resolves to nothing (not compared there)",
                    plain(&Some(reference.clone()))
                )
            }
            Change::CuratedOnly if self.kind == "operation" => {
                format!("- absent upstream: {}", plain(&self.curated))
            }
            Change::UpstreamOnly | Change::CuratedOnly => {
                let (marker, side, what) = if self.change == Change::UpstreamOnly {
                    ("+", "upstream only", &self.upstream)
                } else {
                    ("-", "curated only", &self.curated)
                };
                let detail = match self.kind.as_str() {
                    "enum_value" => format!(
                        "{} enum value {}",
                        self.location,
                        what.as_ref().map(Value::to_string).unwrap_or_default()
                    ),
                    "operation" => format!("operation ({})", plain(what)),
                    "field" => format!("field {} ({})", self.location, plain(what)),
                    "media_type" => format!("{} media type {}", self.location, plain(what)),
                    "parameter" | "request_body" => format!("{} ({})", self.location, plain(what)),
                    "response" => format!("success response (status {})", plain(what)),
                    kind => format!("{} {kind} ({})", self.location, plain(what)),
                };
                format!("{marker} {side}: {detail}")
            }
            Change::Changed => {
                let what = match self.kind.as_str() {
                    "untyped" => String::new(),
                    "enum" => " enum values".to_owned(),
                    kind => format!(" {kind}"),
                };
                let render = |v: &Option<Value>| match (self.kind.as_str(), v) {
                    ("enum", Some(Value::Array(values))) => render_values(values),
                    ("enum", _) => "any value".to_owned(),
                    _ => plain(v),
                };
                format!(
                    "~ {}{what}: upstream {}; curated {}",
                    self.location,
                    render(&self.upstream),
                    render(&self.curated)
                )
            }
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("change".into(), self.change.as_str().into());
        m.insert("kind".into(), self.kind.clone().into());
        m.insert("location".into(), self.location.clone().into());
        if let Some(v) = &self.upstream {
            m.insert("upstream".into(), v.clone());
        }
        if let Some(v) = &self.curated {
            m.insert("curated".into(), v.clone());
        }
        Value::Object(m)
    }
}

/// An operation as one document has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRef {
    /// The path as written in that document.
    pub path: String,
    /// Its `operationId`, if any.
    pub operation_id: Option<String>,
}

/// One operation's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationReport {
    /// Upper-case HTTP method.
    pub method: String,
    /// The operation in the curated document, if there.
    pub curated: Option<OperationRef>,
    /// The operation upstream, if there.
    pub upstream: Option<OperationRef>,
    /// What differs (for an operation on one side only: that one fact).
    pub differences: Vec<Difference>,
}

impl OperationReport {
    fn title(&self) -> String {
        let main = self.curated.as_ref().or(self.upstream.as_ref());
        let path = main.map(|o| o.path.as_str()).unwrap_or("?");
        let mut s = format!("{} {path}", self.method);
        if let Some(id) = self
            .curated
            .as_ref()
            .and_then(|o| o.operation_id.as_deref())
        {
            let _ = write!(s, "  {id}");
        }
        if let Some(up) = &self.upstream {
            let mut notes = Vec::new();
            if let Some(id) = &up.operation_id {
                notes.push(id.clone());
            }
            if self.curated.as_ref().is_some_and(|c| c.path != up.path) {
                notes.push(up.path.clone());
            }
            if !notes.is_empty() && self.curated.is_some() {
                let _ = write!(s, "  (upstream: {})", notes.join(", "));
            } else if let Some(id) = &up.operation_id {
                let _ = write!(s, "  {id}");
            }
        }
        s
    }
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    /// How the curated document is named in the report.
    pub curated_label: String,
    /// How the upstream document is named in the report.
    pub upstream_label: String,
    /// Every curated operation, then every in-scope upstream-only operation (each by path, then
    /// method).
    pub operations: Vec<OperationReport>,
}

impl DriftReport {
    /// Whether anything differs.
    pub fn has_drift(&self) -> bool {
        self.operations.iter().any(|o| !o.differences.is_empty())
    }

    /// The number of differences (unresolved references included).
    pub fn difference_count(&self) -> usize {
        self.operations.iter().map(|o| o.differences.len()).sum()
    }

    /// The number of unresolved `$ref`s reported.
    pub fn unresolved_count(&self) -> usize {
        self.operations
            .iter()
            .flat_map(|o| &o.differences)
            .filter(|d| d.change == Change::Unresolved)
            .count()
    }

    fn counts(&self) -> (usize, usize, usize) {
        let both = self
            .operations
            .iter()
            .filter(|o| o.curated.is_some() && o.upstream.is_some())
            .count();
        let curated_only = self
            .operations
            .iter()
            .filter(|o| o.upstream.is_none())
            .count();
        let upstream_only = self
            .operations
            .iter()
            .filter(|o| o.curated.is_none())
            .count();
        (both, curated_only, upstream_only)
    }

    /// The human-readable report, grouped by operation.
    pub fn to_human(&self) -> String {
        let (both, curated_only, upstream_only) = self.counts();
        let drifted = self
            .operations
            .iter()
            .filter(|o| !o.differences.is_empty())
            .count();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Drift: curated {} vs upstream {}",
            self.curated_label, self.upstream_label
        );
        let _ = writeln!(
            out,
            "Operations: {both} in both, {curated_only} curated only, {upstream_only} upstream only. \
             {} differences in {drifted} operations.",
            self.difference_count()
        );
        let unresolved = self.unresolved_count();
        if unresolved > 0 {
            let _ = writeln!(
                out,
                "{unresolved} unresolved $refs: the comparison is incomplete where they are."
            );
        }
        let _ = writeln!(
            out,
            "Legend: + upstream only, - curated only, ~ both, differently, ! unresolved $ref."
        );
        let mut clean = Vec::new();
        for op in &self.operations {
            if op.differences.is_empty() {
                clean.push(op.title());
                continue;
            }
            let _ = writeln!(out, "\n{}", op.title());
            for d in &op.differences {
                let _ = writeln!(out, "  {}", d.to_line());
            }
        }
        if !clean.is_empty() {
            let _ = writeln!(out, "\nNo drift:");
            for title in clean {
                let _ = writeln!(out, "  {title}");
            }
        }
        out
    }

    /// The report as JSON (object keys sorted).
    pub fn to_json(&self) -> Value {
        crate::sorted_json(&self.to_json_unsorted())
    }

    fn to_json_unsorted(&self) -> Value {
        let (both, curated_only, upstream_only) = self.counts();
        let op_ref = |o: &Option<OperationRef>| match o {
            Some(o) => json!({"path": o.path, "operation_id": o.operation_id}),
            None => Value::Null,
        };
        json!({
            "curated": self.curated_label,
            "upstream": self.upstream_label,
            "drift": self.has_drift(),
            "summary": {
                "operations_in_both": both,
                "curated_only_operations": curated_only,
                "upstream_only_operations": upstream_only,
                "differences": self.difference_count(),
                "unresolved_refs": self.unresolved_count(),
            },
            "operations": self.operations.iter().map(|o| json!({
                "method": o.method,
                "curated": op_ref(&o.curated),
                "upstream": op_ref(&o.upstream),
                "differences": o.differences.iter().map(Difference::to_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison.

/// What is compared and how the documents are named.
#[derive(Debug, Clone)]
pub struct Options {
    /// How the curated document is named in the report.
    pub curated_label: String,
    /// How the upstream document is named in the report.
    pub upstream_label: String,
    /// Normalised path prefixes whose upstream operations are in scope ([`DEFAULT_SCOPE`]).
    pub scope: Vec<String>,
}

impl Options {
    /// Default scope, the given labels.
    pub fn new(curated_label: impl Into<String>, upstream_label: impl Into<String>) -> Self {
        Options {
            curated_label: curated_label.into(),
            upstream_label: upstream_label.into(),
            scope: DEFAULT_SCOPE.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

struct Op<'a> {
    method: String,
    path: String,
    item: &'a Value,
    op: &'a Value,
}

impl Op<'_> {
    fn reference(&self) -> OperationRef {
        OperationRef {
            path: self.path.clone(),
            operation_id: self
                .op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// Operations by `METHOD normalised-path`, in path then method order.
fn operations(doc: &Value) -> Vec<(String, Op<'_>)> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    // Sorted explicitly: the map's own order depends on serde_json's `preserve_order` feature.
    let mut paths: Vec<(&String, &Value)> = paths.iter().collect();
    paths.sort_by(|a, b| a.0.cmp(b.0));
    for (path, item) in paths {
        let Some(item_map) = item.as_object() else {
            continue;
        };
        let norm = normalize_path(path);
        for method in METHODS {
            if let Some(op) = item_map.get(*method).filter(|o| o.is_object()) {
                out.push((
                    format!("{} {norm}", method.to_uppercase()),
                    Op {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        item,
                        op,
                    },
                ));
            }
        }
    }
    out
}

fn path_in_scope(curated_paths: &BTreeSet<(String, bool)>, scope: &[String], norm: &str) -> bool {
    curated_paths
        .iter()
        .any(|(p, tree)| norm == p || (*tree && norm.starts_with(&format!("{p}/"))))
        || scope.iter().any(|prefix| norm.starts_with(prefix.as_str()))
}

/// The curated operations' normalised paths, each with whether paths under it are in scope too:
/// not for an operation taken from elsewhere (`x-source`, e.g. `GET /zones`), which brings only
/// itself (every upstream `/zones/…` operation would otherwise be in scope).
fn curated_scope(ops: &[(String, Op<'_>)]) -> BTreeSet<(String, bool)> {
    ops.iter()
        .map(|(_, o)| (normalize_path(&o.path), o.op.get("x-source").is_none()))
        .collect()
}

/// Whether upstream operations at the normalised path `norm` are in scope for `curated`: the
/// path is one of `curated`'s operation paths (normalised), lies under one (unless that operation
/// has `x-source`), or starts with one of the `scope` prefixes. [`compare`] uses the same test.
pub fn in_scope(curated: &Value, scope: &[String], norm: &str) -> bool {
    path_in_scope(&curated_scope(&operations(curated)), scope, norm)
}

/// Compares the two documents (already parsed).
pub fn compare(curated: &Value, upstream: &Value, options: &Options) -> DriftReport {
    let curated_ops = operations(curated);
    let mut upstream_ops: BTreeMap<String, Op<'_>> = BTreeMap::new();
    for (key, op) in operations(upstream) {
        upstream_ops.entry(key).or_insert(op); // two upstream spellings of one path: the first
    }
    let curated_paths = curated_scope(&curated_ops);
    let in_scope = |norm: &str| path_in_scope(&curated_paths, &options.scope, norm);

    let mut reports = Vec::new();
    let mut matched = BTreeSet::new();
    for (key, cur) in &curated_ops {
        let mut report = OperationReport {
            method: cur.method.clone(),
            curated: Some(cur.reference()),
            upstream: None,
            differences: Vec::new(),
        };
        match upstream_ops.get(key) {
            Some(up) => {
                matched.insert(key.clone());
                report.upstream = Some(up.reference());
                report.differences = compare_operation(curated, cur, upstream, up);
            }
            None => report.differences.push(Difference::one_side(
                Change::CuratedOnly,
                "operation",
                "",
                Value::String(format!("{} {}", cur.method, normalize_path(&cur.path))),
            )),
        }
        reports.push(report);
    }
    for (key, up) in &upstream_ops {
        if matched.contains(key) || !in_scope(&normalize_path(&up.path)) {
            continue;
        }
        reports.push(OperationReport {
            method: up.method.clone(),
            curated: None,
            upstream: Some(up.reference()),
            differences: vec![Difference::one_side(
                Change::UpstreamOnly,
                "operation",
                "",
                Value::String(format!(
                    "the curated document has no {} {}",
                    up.method,
                    normalize_path(&up.path)
                )),
            )],
        });
    }
    DriftReport {
        curated_label: options.curated_label.clone(),
        upstream_label: options.upstream_label.clone(),
        operations: reports,
    }
}

/// Reads both files and compares them.
pub fn run(curated: &Path, upstream: &Path, options: &Options) -> Result<DriftReport, Error> {
    let curated_doc = load_document(curated)?;
    let upstream_doc = load_document(upstream)?;
    Ok(compare(&curated_doc, &upstream_doc, options))
}

struct Param {
    label: String,
    required: bool,
    shape: Shape,
}

/// Parameters keyed by `path #N` (position) or `<in> <name>`; operation-level ones override
/// path-item-level ones. Also returns the parameter `$ref`s that resolve to nothing.
fn parameters(doc: &Value, op: &Op<'_>) -> (BTreeMap<String, Param>, Vec<String>) {
    let mut resolver = Resolver::new(doc);
    let positions = path_param_names(&op.path);
    let mut out = BTreeMap::new();
    let mut unresolved = Vec::new();
    let lists = [op.item.get("parameters"), op.op.get("parameters")];
    for list in lists.into_iter().flatten().filter_map(Value::as_array) {
        for p in list {
            let p = toolkit::resolve(doc, p);
            if let Some(reference) = p.get("$ref").and_then(Value::as_str) {
                unresolved.push(reference.to_owned());
                continue;
            }
            let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
            let location = p.get("in").and_then(Value::as_str).unwrap_or("?");
            let (key, label) = if location == "path" {
                match positions.iter().position(|n| n == name) {
                    Some(i) => (format!("path #{}", i + 1), format!("path parameter {name}")),
                    None => (
                        format!("path {name}"),
                        format!("path parameter {name} (not in the path)"),
                    ),
                }
            } else {
                (
                    format!("{location} {name}"),
                    format!("{location} parameter {name}"),
                )
            };
            let shape = p
                .get("schema")
                .map(|s| resolver.shape(s))
                .unwrap_or_default();
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            out.insert(
                key,
                Param {
                    label,
                    required,
                    shape,
                },
            );
        }
    }
    (out, unresolved)
}

fn required_word(required: bool) -> &'static str {
    if required {
        "required"
    } else {
        "optional"
    }
}

fn compare_operation(
    curated: &Value,
    cur: &Op<'_>,
    upstream: &Value,
    up: &Op<'_>,
) -> Vec<Difference> {
    let mut diffs = Vec::new();

    // Parameters.
    let (cur_params, cur_unresolved) = parameters(curated, cur);
    let (up_params, up_unresolved) = parameters(upstream, up);
    for r in &up_unresolved {
        diffs.push(Difference::unresolved(true, "parameters", r));
    }
    for r in &cur_unresolved {
        diffs.push(Difference::unresolved(false, "parameters", r));
    }
    for (key, c) in &cur_params {
        match up_params.get(key) {
            None => diffs.push(Difference::one_side(
                Change::CuratedOnly,
                "parameter",
                &c.label,
                Value::String(format!(
                    "{}, {}",
                    required_word(c.required),
                    c.shape.summary()
                )),
            )),
            Some(u) => {
                if u.required != c.required {
                    diffs.push(Difference::changed(
                        "optionality",
                        &c.label,
                        required_word(u.required).into(),
                        required_word(c.required).into(),
                    ));
                }
                compare_shapes(&c.label, &u.shape, &c.shape, &mut diffs);
            }
        }
    }
    for (key, u) in &up_params {
        if !cur_params.contains_key(key) {
            diffs.push(Difference::one_side(
                Change::UpstreamOnly,
                "parameter",
                &u.label,
                Value::String(format!(
                    "{}, {}",
                    required_word(u.required),
                    u.shape.summary()
                )),
            ));
        }
    }

    // Request body.
    let cur_body = request_body(curated, cur.op);
    let up_body = request_body(upstream, up.op);
    match (up_body, cur_body) {
        (None, None) => {}
        (Some(u), None) => diffs.push(Difference::one_side(
            Change::UpstreamOnly,
            "request_body",
            "request body",
            Value::String(required_word(u.required).to_owned()),
        )),
        (None, Some(c)) => diffs.push(Difference::one_side(
            Change::CuratedOnly,
            "request_body",
            "request body",
            Value::String(required_word(c.required).to_owned()),
        )),
        (Some(u), Some(c)) if u.unresolved.is_some() || c.unresolved.is_some() => {
            for (side, r) in [(true, &u.unresolved), (false, &c.unresolved)] {
                if let Some(r) = r {
                    diffs.push(Difference::unresolved(side, "request body", r));
                }
            }
        }
        (Some(u), Some(c)) => {
            if u.required != c.required {
                diffs.push(Difference::changed(
                    "optionality",
                    "request body",
                    required_word(u.required).into(),
                    required_word(c.required).into(),
                ));
            }
            media_type_differences("request body", &u.media_types, &c.media_types, &mut diffs);
            let (us, cs) = (
                Resolver::new(upstream).shape_of(u.schema),
                Resolver::new(curated).shape_of(c.schema),
            );
            compare_shapes("body", &us, &cs, &mut diffs);
        }
    }

    // The 200 response.
    let cur_resp = success_response(curated, cur.op);
    let up_resp = success_response(upstream, up.op);
    match (up_resp, cur_resp) {
        (None, None) => {}
        (Some(u), None) => diffs.push(Difference::one_side(
            Change::UpstreamOnly,
            "response",
            "response",
            Value::String(u.status.clone()),
        )),
        (None, Some(c)) => diffs.push(Difference::one_side(
            Change::CuratedOnly,
            "response",
            "response",
            Value::String(c.status.clone()),
        )),
        (Some(u), Some(c)) if u.unresolved.is_some() || c.unresolved.is_some() => {
            for (side, r) in [(true, &u.unresolved), (false, &c.unresolved)] {
                if let Some(r) = r {
                    diffs.push(Difference::unresolved(side, "response", r));
                }
            }
        }
        (Some(u), Some(c)) => {
            if u.status != c.status {
                diffs.push(Difference::changed(
                    "status",
                    "response",
                    u.status.clone().into(),
                    c.status.clone().into(),
                ));
            }
            media_type_differences("response", &u.media_types, &c.media_types, &mut diffs);
            let us = Resolver::new(upstream).shape_of(u.schema);
            let cs = Resolver::new(curated).shape_of(c.schema);
            // An envelope with an unresolved part: only the fields both sides declare compare.
            let partial = us.unresolved.is_some() || cs.unresolved.is_some();
            for (side, r) in [(true, &us.unresolved), (false, &cs.unresolved)] {
                if let Some(r) = r {
                    diffs.push(Difference::unresolved(side, "response body", r));
                }
            }
            for field in RESPONSE_FIELDS {
                match (us.properties.get(*field), cs.properties.get(*field)) {
                    (None, None) => {}
                    (Some(_), None) | (None, Some(_)) if partial => {}
                    (Some(u), None) => diffs.push(Difference::one_side(
                        Change::UpstreamOnly,
                        "field",
                        field,
                        u.summary().into(),
                    )),
                    (None, Some(c)) => diffs.push(Difference::one_side(
                        Change::CuratedOnly,
                        "field",
                        field,
                        c.summary().into(),
                    )),
                    (Some(u), Some(c)) => {
                        let (ur, cr) = (us.required.contains(*field), cs.required.contains(*field));
                        if ur != cr {
                            diffs.push(Difference::changed(
                                "optionality",
                                field,
                                required_word(ur).into(),
                                required_word(cr).into(),
                            ));
                        }
                        compare_shapes(field, u, c, &mut diffs);
                    }
                }
            }
        }
    }
    diffs
}

impl<'a> Resolver<'a> {
    fn shape_of(&mut self, schema: Option<&'a Value>) -> Shape {
        schema.map(|s| self.shape(s)).unwrap_or_default()
    }
}

struct Body<'a> {
    /// The body's own `$ref`, when it resolves to nothing.
    unresolved: Option<String>,
    required: bool,
    media_types: Vec<String>,
    schema: Option<&'a Value>,
}

/// The JSON schema of a content map: `application/json`, else the first `*json` media type.
fn content(content: Option<&Value>) -> (Vec<String>, Option<&Value>) {
    let Some(map) = content.and_then(Value::as_object) else {
        return (Vec::new(), None);
    };
    let mut media_types: Vec<String> = map.keys().cloned().collect();
    media_types.sort();
    let schema = map
        .get("application/json")
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.ends_with("json"))
                .map(|(_, v)| v)
        })
        .and_then(|m| m.get("schema"));
    (media_types, schema)
}

fn request_body<'a>(doc: &'a Value, op: &'a Value) -> Option<Body<'a>> {
    let body = toolkit::resolve(doc, op.get("requestBody")?);
    let (media_types, schema) = content(body.get("content"));
    Some(Body {
        unresolved: body.get("$ref").and_then(Value::as_str).map(str::to_owned),
        required: body
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        media_types,
        schema,
    })
}

struct Response<'a> {
    /// The response's own `$ref`, when it resolves to nothing.
    unresolved: Option<String>,
    status: String,
    media_types: Vec<String>,
    schema: Option<&'a Value>,
}

/// The `200` response, else the lowest other 2XX one.
fn success_response<'a>(doc: &'a Value, op: &'a Value) -> Option<Response<'a>> {
    let responses = op.get("responses")?.as_object()?;
    let status = if responses.contains_key("200") {
        "200".to_owned()
    } else {
        responses
            .keys()
            .filter(|k| k.starts_with('2'))
            .min()?
            .clone()
    };
    let response = toolkit::resolve(doc, &responses[&status]);
    let (media_types, schema) = content(response.get("content"));
    Some(Response {
        unresolved: response
            .get("$ref")
            .and_then(Value::as_str)
            .map(str::to_owned),
        status,
        media_types,
        schema,
    })
}

fn media_type_differences(
    location: &str,
    up: &[String],
    cur: &[String],
    diffs: &mut Vec<Difference>,
) {
    for m in up.iter().filter(|m| !cur.contains(m)) {
        diffs.push(Difference::one_side(
            Change::UpstreamOnly,
            "media_type",
            location,
            m.clone().into(),
        ));
    }
    for m in cur.iter().filter(|m| !up.contains(m)) {
        diffs.push(Difference::one_side(
            Change::CuratedOnly,
            "media_type",
            location,
            m.clone().into(),
        ));
    }
}

fn same_json(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn join(location: &str, field: &str) -> String {
    if location.is_empty() {
        field.to_owned()
    } else {
        format!("{location}.{field}")
    }
}

/// Compares two resolved schemas at `location`, recursing into fields and items.
fn compare_shapes(location: &str, up: &Shape, cur: &Shape, diffs: &mut Vec<Difference>) {
    if up.unresolved.is_some() || cur.unresolved.is_some() {
        for (side, r) in [(true, &up.unresolved), (false, &cur.unresolved)] {
            if let Some(r) = r {
                diffs.push(Difference::unresolved(side, location, r));
            }
        }
        // What the missing part declares is unknown: compare only the fields both declare.
        for (name, u) in &up.properties {
            if let Some(c) = cur.properties.get(name) {
                compare_shapes(&join(location, name), u, c, diffs);
            }
        }
        return;
    }
    if up.recursive.is_some() || cur.recursive.is_some() {
        // A `$ref` cycle: what lies below was compared where the cycle started.
        return;
    }
    // A free-form object on one side and declared fields on the other: one line, not one per field.
    let untyped = |s: &Shape| s.is_untyped_object();
    if untyped(up) != untyped(cur) && (!up.properties.is_empty() || !cur.properties.is_empty()) {
        let describe = |s: &Shape| -> Value {
            if s.is_untyped_object() {
                format!("untyped ({}, no fields declared)", s.type_name()).into()
            } else {
                let names: Vec<&str> = s.properties.keys().map(String::as_str).collect();
                format!("{} fields: {}", names.len(), names.join(", ")).into()
            }
        };
        diffs.push(Difference::changed(
            "untyped",
            location,
            describe(up),
            describe(cur),
        ));
        return;
    }
    if up.types != cur.types {
        diffs.push(Difference::changed(
            "type",
            location,
            types_name(&up.types).into(),
            types_name(&cur.types).into(),
        ));
    }
    if up.nullable != cur.nullable {
        diffs.push(Difference::changed(
            "nullable",
            location,
            up.nullable.into(),
            cur.nullable.into(),
        ));
    }
    if up.format != cur.format {
        let f = |x: &Option<String>| x.clone().map(Value::String).unwrap_or(Value::Null);
        diffs.push(Difference::changed(
            "format",
            location,
            f(&up.format),
            f(&cur.format),
        ));
    }
    match (&up.enum_values, &cur.enum_values) {
        (Some(u), Some(c)) => {
            for v in u.iter().filter(|v| !c.iter().any(|x| same_json(x, v))) {
                diffs.push(Difference::one_side(
                    Change::UpstreamOnly,
                    "enum_value",
                    location,
                    v.clone(),
                ));
            }
            for v in c.iter().filter(|v| !u.iter().any(|x| same_json(x, v))) {
                diffs.push(Difference::one_side(
                    Change::CuratedOnly,
                    "enum_value",
                    location,
                    v.clone(),
                ));
            }
        }
        (None, None) => {}
        (u, c) => {
            let v = |x: &Option<Vec<Value>>| x.clone().map(Value::Array).unwrap_or(Value::Null);
            diffs.push(Difference::changed("enum", location, v(u), v(c)));
        }
    }
    let limit_keys: BTreeSet<&String> = up.limits.keys().chain(cur.limits.keys()).collect();
    for key in limit_keys {
        let (u, c) = (up.limits.get(key), cur.limits.get(key));
        let same = match (u, c) {
            (Some(a), Some(b)) => same_json(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            diffs.push(Difference::changed(
                key,
                location,
                u.cloned().unwrap_or(Value::Null),
                c.cloned().unwrap_or(Value::Null),
            ));
        }
    }
    for (name, u) in &up.properties {
        let at = join(location, name);
        match cur.properties.get(name) {
            None => diffs.push(Difference::one_side(
                Change::UpstreamOnly,
                "field",
                &at,
                u.summary().into(),
            )),
            Some(c) => {
                let (ur, cr) = (up.required.contains(name), cur.required.contains(name));
                if ur != cr {
                    diffs.push(Difference::changed(
                        "optionality",
                        &at,
                        required_word(ur).into(),
                        required_word(cr).into(),
                    ));
                }
                compare_shapes(&at, u, c, diffs);
            }
        }
    }
    for (name, c) in &cur.properties {
        if !up.properties.contains_key(name) {
            diffs.push(Difference::one_side(
                Change::CuratedOnly,
                "field",
                &join(location, name),
                c.summary().into(),
            ));
        }
    }
    if up.items.is_some() || cur.items.is_some() {
        let any = Shape::default();
        let u = up.items.as_deref().unwrap_or(&any);
        let c = cur.items.as_deref().unwrap_or(&any);
        compare_shapes(&format!("{location}[]"), u, c, diffs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_parameter_names() {
        assert_eq!(
            normalize_path("/zones/{zone_identifier}/ssl/x/{id}"),
            "/zones/{}/ssl/x/{}"
        );
        assert_eq!(
            path_param_names("/zones/{zone_id}/a/{b}"),
            vec!["zone_id", "b"]
        );
    }

    #[test]
    fn all_of_merges_properties_and_required() {
        let doc = json!({
            "components": {"schemas": {
                "base": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            }},
            "x": {"allOf": [{"$ref": "#/components/schemas/base"}, {"required": ["b"], "properties": {"b": {"type": "integer", "nullable": true}}}]}
        });
        let s = Resolver::new(&doc).shape(&doc["x"]);
        assert_eq!(s.properties.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(s.required.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(s.properties["b"].nullable);
    }

    #[test]
    fn reference_cycles_stop() {
        let doc = json!({
            "components": {"schemas": {"node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/node"}}}}},
            "x": {"$ref": "#/components/schemas/node"}
        });
        let s = Resolver::new(&doc).shape(&doc["x"]);
        assert!(s.properties["next"].recursive.is_some());
    }
}
