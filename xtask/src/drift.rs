//! `drift`: what Cloudflare's upstream OpenAPI document says about the operations this crate
//! covers that the curated document does not, and the reverse.
//!
//! Why it is here: the maintained diff tools (oasdiff in Go, openapi-diff in Java) are not
//! `cargo install`able, and they compare two versions of *one* API for breaking changes. This
//! module keeps only what none of them does for a Rust-only `cargo xtask` workflow: it knows the
//! curation (the scope of the curated paths, renamed path parameters, upstream's
//! `allOf(success, failure)` error bodies, the envelope fields left out on purpose) and reports a
//! reviewable list. `$ref` resolution is the workspace's one ([`crate::toolkit`]); only the
//! schema *shape* merging the comparison needs is its own.
//!
//! * **Operations** match by method and normalised path (every `{parameter}` becomes `{}`).
//!   Upstream operations are in scope when their path is a curated path, lies under one (unless
//!   that operation has `x-source`), or starts with a scope prefix ([`DEFAULT_SCOPE`]).
//! * **Parameters**: path parameters by position, others by location and name: presence,
//!   `required`, schemas. **Request body**: presence, `required`, media types, the JSON schema.
//!   **Response**: the `200` (else lowest 2XX) JSON body, under [`RESPONSE_FIELDS`].
//! * **Schemas** are resolved first: `$ref`s transitively (a cycle stops at the repeated
//!   reference), `allOf` merged, `anyOf`/`oneOf` united. Compared: fields, `required`, types,
//!   `nullable`, formats, enum values and limits; descriptions, examples and extensions are not.
//! * **Unresolved `$ref`s** are reported as their own kind (`!`), so an operation with one is
//!   never "No drift"; below one, only the fields both sides declare are compared.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::toolkit::{self, METHODS};
use crate::{entries, list, Error};

/// Upstream paths under these normalised prefixes are in scope even when no curated path covers
/// them, so a new SSL operation upstream shows up as "upstream only".
pub const DEFAULT_SCOPE: &[&str] = &["/zones/{}/ssl/"];

/// Top-level fields of a response body that are compared (at every depth). The rest of the
/// envelope (`success`, `errors`, `messages`) is the same everywhere and curated on purpose.
pub const RESPONSE_FIELDS: &[&str] = &["result", "result_info"];

/// The limit keywords compared.
const LIMITS: &str = "minimum maximum exclusiveMinimum exclusiveMaximum multipleOf minLength \
                      maxLength pattern minItems maxItems uniqueItems";

/// Reads an OpenAPI document: JSON when the file name ends in `.json`, YAML otherwise.
pub fn load_document(path: &Path) -> Result<Value, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    let value = match path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        true => serde_json::from_slice(&bytes).map_err(|e| ("JSON", e.to_string())),
        false => serde_norway::from_slice::<Value>(&bytes).map_err(|e| ("YAML", e.to_string())),
    };
    let path = path.display();
    match value.map_err(|(format, e)| Error::Io(format!("{path}: invalid {format}: {e}")))? {
        value if value.get("paths").is_some_and(Value::is_object) => Ok(value),
        _ => Err(Error::Io(format!(
            "{path}: not an OpenAPI document (no `paths` object)"
        ))),
    }
}

/// Replaces every `{parameter}` in a path by `{}`.
pub fn normalize_path(path: &str) -> String {
    let mut parts = path.split('{');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for rest in parts {
        match rest.split_once('}') {
            Some((_, after)) => out.push_str(&format!("{{}}{after}")),
            None => out.push_str("{}"),
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
    /// Set when a `$ref` here resolves to nothing: the reference (what it adds is unknown).
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

    /// Field `name`, reported as `label`.
    fn field(&self, name: &str, label: &str) -> Option<Member<'_>> {
        let required = self.required.contains(name);
        let shape = Cow::Borrowed(self.properties.get(name)?);
        Some(Member {
            label: label.to_owned(),
            required,
            shape,
        })
    }

    fn type_name(&self) -> String {
        let nullable = if self.nullable { ", nullable" } else { "" };
        format!("{}{nullable}", types_name(&self.types))
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
        return "any".to_owned();
    }
    types.iter().cloned().collect::<Vec<_>>().join(" | ")
}

fn render_values(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves schemas of one document into [`Shape`]s, remembering the `$ref`s being followed.
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

    fn shape_of(&mut self, schema: Option<&'a Value>) -> Shape {
        schema.map(|s| self.shape(s)).unwrap_or_default()
    }

    fn shape(&mut self, schema: &'a Value) -> Shape {
        let Some(map) = schema.as_object() else {
            return Shape::default(); // `true`, or nonsense: anything goes.
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let mark = |recursive: bool| Shape {
                recursive: recursive.then(|| reference.to_owned()),
                unresolved: (!recursive).then(|| reference.to_owned()),
                ..Shape::default()
            };
            if self.stack.iter().any(|r| r == reference) {
                return mark(true);
            }
            let Some(target) = toolkit::target(self.doc, reference) else {
                return mark(false); // reported as such, not compared as an untyped value
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
        if let Some(merged) = list(map.get("allOf"))
            .map(|m| self.shape(m))
            .reduce(intersect)
        {
            own = intersect(merged, own);
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
        s.nullable |= map.get("nullable").and_then(Value::as_bool) == Some(true);
        s.format = map.get("format").and_then(Value::as_str).map(str::to_owned);
        s.enum_values = map.get("enum").and_then(Value::as_array).cloned();
        for (name, schema) in entries(map.get("properties")) {
            s.properties.insert(name.clone(), self.shape(schema));
        }
        let required = list(map.get("required")).filter_map(Value::as_str);
        s.required = required.map(str::to_owned).collect();
        s.items = map.get("items").map(|items| Box::new(self.shape(items)));
        for key in LIMITS.split_whitespace() {
            if let Some(v) = map.get(key) {
                s.limits.insert(key.to_owned(), v.clone());
            }
        }
        s
    }
}

/// `allOf`: a value must match both. Fields and `required` are united, types intersected
/// (the later wins when they conflict), `nullable` only when both allow null.
fn intersect(mut a: Shape, b: Shape) -> Shape {
    let common: BTreeSet<String> = a.types.intersection(&b.types).cloned().collect();
    a.types = match (a.types.is_empty(), b.types.is_empty()) {
        (false, true) => a.types,
        (false, false) if !common.is_empty() => common,
        _ => b.types,
    };
    a.enum_values = match (a.enum_values, b.enum_values) {
        (Some(x), Some(y)) => Some(x.into_iter().filter(|v| y.contains(v)).collect()),
        (x, y) => y.or(x),
    };
    for (name, shape) in b.properties {
        let merged = match a.properties.remove(&name) {
            Some(existing) => intersect(existing, shape),
            None => shape,
        };
        a.properties.insert(name, merged);
    }
    a.items = match (a.items, b.items) {
        (Some(x), Some(y)) => Some(Box::new(intersect(*x, *y))),
        (x, y) => y.or(x),
    };
    a.nullable &= b.nullable;
    a.format = b.format.or(a.format);
    a.required.extend(b.required);
    a.limits.extend(b.limits);
    a.recursive = b.recursive.or(a.recursive);
    a.unresolved = b.unresolved.or(a.unresolved);
    a
}

/// `anyOf`/`oneOf`: a value matches one. Types and enum values are united, fields united and
/// required only when every variant requires them.
fn union(shapes: Vec<Shape>) -> Shape {
    let mut iter = shapes.into_iter();
    let Some(mut acc) = iter.next() else {
        return Shape::default();
    };
    for s in iter {
        acc.types = if acc.types.is_empty() || s.types.is_empty() {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
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

/// One difference in one operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Value>,
    /// The curated side (absent when the curated document lacks the thing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curated: Option<Value>,
}

impl Difference {
    /// One line of the human report.
    pub fn to_line(&self) -> String {
        let plain = |v: &Option<Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "none".to_owned(),
            Some(other) => other.to_string(),
        };
        let (loc, kind) = (&self.location, self.kind.as_str());
        match self.change {
            Change::Unresolved => {
                let side = match (&self.upstream, &self.curated) {
                    (Some(_), _) => "upstream",
                    (None, Some(_)) => "curated",
                    (None, None) => "?",
                };
                let at = if loc.is_empty() {
                    String::new()
                } else {
                    format!(" at {loc}")
                };
                format!(
                    "! unresolved: {side} $ref {}{at} resolves to nothing (not compared there)",
                    plain(&self.upstream.clone().or(self.curated.clone()))
                )
            }
            Change::CuratedOnly if kind == "operation" => {
                format!("- absent upstream: {}", plain(&self.curated))
            }
            Change::UpstreamOnly | Change::CuratedOnly => {
                let (marker, side, what) = if self.change == Change::UpstreamOnly {
                    ("+", "upstream only", &self.upstream)
                } else {
                    ("-", "curated only", &self.curated)
                };
                let detail = match kind {
                    "enum_value" => format!(
                        "{loc} enum value {}",
                        what.as_ref().map(Value::to_string).unwrap_or_default()
                    ),
                    "operation" => format!("operation ({})", plain(what)),
                    "field" => format!("field {loc} ({})", plain(what)),
                    "media_type" => format!("{loc} media type {}", plain(what)),
                    "parameter" | "request_body" => format!("{loc} ({})", plain(what)),
                    "response" => format!("success response (status {})", plain(what)),
                    kind => format!("{loc} {kind} ({})", plain(what)),
                };
                format!("{marker} {side}: {detail}")
            }
            Change::Changed => {
                let what = match kind {
                    "untyped" => String::new(),
                    "enum" => " enum values".to_owned(),
                    kind => format!(" {kind}"),
                };
                let render = |v: &Option<Value>| match (kind, v) {
                    ("enum", Some(Value::Array(values))) => render_values(values),
                    ("enum", _) => "any value".to_owned(),
                    _ => plain(v),
                };
                let (u, c) = (render(&self.upstream), render(&self.curated));
                format!("~ {loc}{what}: upstream {u}; curated {c}")
            }
        }
    }
}

/// An operation as one document has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationRef {
    /// The path as written in that document.
    pub path: String,
    /// Its `operationId`, if any.
    pub operation_id: Option<String>,
}

/// One operation's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
        let mut s = format!("{} {}", self.method, main.map_or("?", |o| o.path.as_str()));
        if let Some(id) = self
            .curated
            .as_ref()
            .and_then(|o| o.operation_id.as_deref())
        {
            let _ = write!(s, "  {id}");
        }
        if let Some(up) = &self.upstream {
            let mut notes: Vec<String> = up.operation_id.iter().cloned().collect();
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
    /// How the documents are named in the report, and the scope compared.
    pub options: Options,
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
        let all = self.operations.iter().flat_map(|o| &o.differences);
        all.filter(|d| d.change == Change::Unresolved).count()
    }

    /// Operations in both documents, curated only, upstream only.
    fn counts(&self) -> (usize, usize, usize) {
        let count =
            |f: fn(&OperationReport) -> bool| self.operations.iter().filter(|o| f(o)).count();
        (
            count(|o| o.curated.is_some() && o.upstream.is_some()),
            count(|o| o.upstream.is_none()),
            count(|o| o.curated.is_none()),
        )
    }

    /// The human-readable report, grouped by operation.
    pub fn to_human(&self) -> String {
        let (both, curated_only, upstream_only) = self.counts();
        let drifted = self.operations.iter().filter(|o| !o.differences.is_empty());
        let mut out = format!(
            "Drift: curated {} vs upstream {}\nOperations: {both} in both, {curated_only} curated \
             only, {upstream_only} upstream only. {} differences in {} operations.\n",
            self.options.curated_label,
            self.options.upstream_label,
            self.difference_count(),
            drifted.count()
        );
        let unresolved = self.unresolved_count();
        if unresolved > 0 {
            let _ = writeln!(
                out,
                "{unresolved} unresolved $refs: the comparison is incomplete where they are."
            );
        }
        out.push_str(
            "Legend: + upstream only, - curated only, ~ both, differently, ! unresolved $ref.\n",
        );
        let mut clean = String::new();
        for op in &self.operations {
            if op.differences.is_empty() {
                let _ = writeln!(clean, "  {}", op.title());
                continue;
            }
            let _ = writeln!(out, "\n{}", op.title());
            for d in &op.differences {
                let _ = writeln!(out, "  {}", d.to_line());
            }
        }
        if !clean.is_empty() {
            let _ = write!(out, "\nNo drift:\n{clean}");
        }
        out
    }

    /// The report as JSON (object keys sorted).
    pub fn to_json(&self) -> Value {
        let (both, curated_only, upstream_only) = self.counts();
        crate::sorted_json(&json!({
            "curated": self.options.curated_label,
            "upstream": self.options.upstream_label,
            "drift": self.has_drift(),
            "summary": {
                "operations_in_both": both,
                "curated_only_operations": curated_only,
                "upstream_only_operations": upstream_only,
                "differences": self.difference_count(),
                "unresolved_refs": self.unresolved_count(),
            },
            "operations": self.operations,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison.

/// What is compared and how the documents are named.
#[derive(Debug, Clone, PartialEq)]
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

/// One operation of a document, with its path item.
struct Op<'a> {
    method: String,
    path: String,
    item: &'a Value,
    op: &'a Value,
}

impl Op<'_> {
    fn reference(&self) -> OperationRef {
        let id = self.op.get("operationId").and_then(Value::as_str);
        OperationRef {
            path: self.path.clone(),
            operation_id: id.map(str::to_owned),
        }
    }

    /// `METHOD /normalised/{}/path`.
    fn key(&self) -> String {
        format!("{} {}", self.method, normalize_path(&self.path))
    }
}

/// Operations in path then method order.
fn operations(doc: &Value) -> Vec<Op<'_>> {
    // Sorted explicitly: the map's own order depends on serde_json's `preserve_order` feature.
    let paths: BTreeMap<&String, &Value> = entries(doc.get("paths")).collect();
    let mut out = Vec::new();
    for (path, item) in paths.into_iter().filter(|(_, item)| item.is_object()) {
        for method in METHODS {
            if let Some(op) = item.get(*method).filter(|o| o.is_object()) {
                out.push(Op {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    item,
                    op,
                });
            }
        }
    }
    out
}

/// The curated operations' normalised paths, each with whether paths under it are in scope too:
/// not for an operation taken from elsewhere (`x-source`, e.g. `GET /zones`), which brings only
/// itself (every upstream `/zones/…` operation would otherwise be in scope).
fn curated_scope(ops: &[Op<'_>]) -> BTreeSet<(String, bool)> {
    ops.iter()
        .map(|o| (normalize_path(&o.path), o.op.get("x-source").is_none()))
        .collect()
}

fn path_in_scope(curated_paths: &BTreeSet<(String, bool)>, scope: &[String], norm: &str) -> bool {
    curated_paths
        .iter()
        .any(|(p, tree)| norm == p || (*tree && norm.starts_with(&format!("{p}/"))))
        || scope.iter().any(|prefix| norm.starts_with(prefix.as_str()))
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
    for op in operations(upstream) {
        upstream_ops.entry(op.key()).or_insert(op); // two upstream spellings of one path: the first
    }
    let curated_paths = curated_scope(&curated_ops);
    let in_scope =
        |o: &Op<'_>| path_in_scope(&curated_paths, &options.scope, &normalize_path(&o.path));
    let mut operations = Vec::new();
    let mut matched = BTreeSet::new();
    for cur in &curated_ops {
        let up = upstream_ops.get(&cur.key());
        matched.extend(up.map(Op::key));
        let differences = match up {
            Some(up) => compare_operation(curated, cur, upstream, up),
            None => operation_only(Change::CuratedOnly, cur.key()),
        };
        let (curated, upstream) = (Some(cur.reference()), up.map(Op::reference));
        operations.push(OperationReport {
            method: cur.method.clone(),
            curated,
            upstream,
            differences,
        });
    }
    for up in upstream_ops
        .values()
        .filter(|o| !matched.contains(&o.key()) && in_scope(o))
    {
        let what = format!("the curated document has no {}", up.key());
        let differences = operation_only(Change::UpstreamOnly, what);
        let (curated, upstream) = (None, Some(up.reference()));
        operations.push(OperationReport {
            method: up.method.clone(),
            curated,
            upstream,
            differences,
        });
    }
    DriftReport {
        options: options.clone(),
        operations,
    }
}

fn operation_only(change: Change, what: String) -> Vec<Difference> {
    let mut diffs = Diffs::default();
    diffs.only(change, ["operation", ""], what);
    diffs.0
}

/// Reads both files and compares them.
pub fn run(curated: &Path, upstream: &Path, options: &Options) -> Result<DriftReport, Error> {
    let curated_doc = load_document(curated)?;
    let upstream_doc = load_document(upstream)?;
    Ok(compare(&curated_doc, &upstream_doc, options))
}

type Params = BTreeMap<String, Member<'static>>;

/// A parameter or field on one side: its label, whether required, its shape.
struct Member<'s> {
    label: String,
    required: bool,
    shape: Cow<'s, Shape>,
}

/// Parameters keyed by `path #N` (position) or `<in> <name>`, with their label, `required` and
/// shape; operation-level ones override path-item-level ones. Also returns the parameter `$ref`s
/// that resolve to nothing.
fn parameters(doc: &Value, op: &Op<'_>) -> (Params, Vec<String>) {
    let mut resolver = Resolver::new(doc);
    let positions = path_param_names(&op.path);
    let mut out = BTreeMap::new();
    let mut unresolved = Vec::new();
    let (path_item, operation) = (op.item.get("parameters"), op.op.get("parameters"));
    for p in list(path_item).chain(list(operation)) {
        let p = toolkit::resolve(doc, p);
        if let Some(reference) = p.get("$ref").and_then(Value::as_str) {
            unresolved.push(reference.to_owned());
            continue;
        }
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = p.get("in").and_then(Value::as_str).unwrap_or("?");
        let (key, label) = match positions.iter().position(|n| n == name) {
            Some(i) if location == "path" => {
                (format!("path #{}", i + 1), format!("path parameter {name}"))
            }
            None if location == "path" => (
                format!("path {name}"),
                format!("path parameter {name} (not in the path)"),
            ),
            _ => (
                format!("{location} {name}"),
                format!("{location} parameter {name}"),
            ),
        };
        let shape = Cow::Owned(resolver.shape_of(p.get("schema")));
        let required = p.get("required").and_then(Value::as_bool) == Some(true);
        out.insert(
            key,
            Member {
                label,
                required,
                shape,
            },
        );
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

/// A request body or the success response, as compared before its schema.
struct Payload {
    /// Its own `$ref`, when that resolves to nothing.
    unresolved: Option<String>,
    /// `required`/`optional` (a request body) or the status (a response).
    what: String,
    media_types: Vec<String>,
    /// The schema of `application/json`, else of the first `*json` media type, resolved.
    shape: Shape,
}

impl Payload {
    fn new(doc: &Value, value: &Value, what: impl FnOnce(&Value) -> String) -> Self {
        let value = toolkit::resolve(doc, value);
        let content = value.get("content").and_then(Value::as_object);
        let mut media_types: Vec<String> = content
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
        media_types.sort();
        let json = content.and_then(|m| {
            m.get("application/json")
                .or_else(|| m.iter().find(|(k, _)| k.ends_with("json")).map(|(_, v)| v))
        });
        Payload {
            unresolved: value.get("$ref").and_then(Value::as_str).map(str::to_owned),
            what: what(value),
            media_types,
            shape: Resolver::new(doc).shape_of(json.and_then(|m| m.get("schema"))),
        }
    }
}

fn request_body(doc: &Value, op: &Op<'_>) -> Option<Payload> {
    let required = |b: &Value| b.get("required").and_then(Value::as_bool) == Some(true);
    let body = op.op.get("requestBody")?;
    Some(Payload::new(doc, body, |b| {
        required_word(required(b)).to_owned()
    }))
}

/// The `200` response, else the lowest other 2XX one.
fn success_response(doc: &Value, op: &Op<'_>) -> Option<Payload> {
    let responses = op.op.get("responses")?.as_object()?;
    let (status, response) = responses.get_key_value("200").or_else(|| {
        responses
            .iter()
            .filter(|(k, _)| k.starts_with('2'))
            .min_by_key(|(k, _)| *k)
    })?;
    Some(Payload::new(doc, response, |_| status.clone()))
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

fn compare_operation(
    curated: &Value,
    cur: &Op<'_>,
    upstream: &Value,
    up: &Op<'_>,
) -> Vec<Difference> {
    let mut diffs = Diffs::default();

    let (cur_params, cur_unresolved) = parameters(curated, cur);
    let (mut up_params, up_unresolved) = parameters(upstream, up);
    for r in up_unresolved {
        diffs.unresolved("parameters", &Some(r), &None);
    }
    for r in cur_unresolved {
        diffs.unresolved("parameters", &None, &Some(r));
    }
    // The curated parameters, then those only upstream has.
    for (key, c) in cur_params {
        diffs.member("parameter", up_params.remove(&key), Some(c));
    }
    for u in up_params.into_values() {
        diffs.member("parameter", Some(u), None);
    }

    let (u, c) = (request_body(upstream, up), request_body(curated, cur));
    if let Some((us, cs)) = diffs.payload(["request_body", "request body", "optionality"], u, c) {
        diffs.shapes("body", &us, &cs);
    }

    let (u, c) = (
        success_response(upstream, up),
        success_response(curated, cur),
    );
    if let Some((us, cs)) = diffs.payload(["response", "response", "status"], u, c) {
        // An envelope with an unresolved part: only the fields both sides declare compare.
        let partial = diffs.unresolved("response body", &us.unresolved, &cs.unresolved);
        for field in RESPONSE_FIELDS {
            let (u, c) = (us.field(field, field), cs.field(field, field));
            if !partial || (u.is_some() && c.is_some()) {
                diffs.member("field", u, c);
            }
        }
    }
    diffs.0
}

/// The differences found in one operation, and the comparisons that find them.
#[derive(Default)]
struct Diffs(Vec<Difference>);

impl Diffs {
    /// Records a difference: each side's value, absent where that side lacks the thing.
    fn push(
        &mut self,
        change: Change,
        [kind, at]: [&str; 2],
        up: Option<Value>,
        cur: Option<Value>,
    ) {
        let (kind, location) = (kind.to_owned(), at.to_owned());
        let (upstream, curated) = (up, cur);
        self.0.push(Difference {
            change,
            kind,
            location,
            upstream,
            curated,
        });
    }

    /// Records what only the side `change` names (upstream only or curated only) has.
    fn only(&mut self, change: Change, at: [&str; 2], what: impl Into<Value>) {
        let what = Some(what.into());
        match change {
            Change::UpstreamOnly => self.push(change, at, what, None),
            _ => self.push(change, at, None, what),
        }
    }

    /// Records what both sides have, differently.
    fn changed(&mut self, at: [&str; 2], up: impl Into<Value>, cur: impl Into<Value>) {
        let (up, cur) = (Some(up.into()), Some(cur.into()));
        self.push(Change::Changed, at, up, cur);
    }

    /// Records the unresolved `$ref` of either side at `location`; whether there was one.
    fn unresolved(&mut self, location: &str, up: &Option<String>, cur: &Option<String>) -> bool {
        let (at, side) = (["unresolved_ref", location], |r: &str| Some(r.into()));
        if let Some(r) = up {
            self.push(Change::Unresolved, at, side(r), None);
        }
        if let Some(r) = cur {
            self.push(Change::Unresolved, at, None, side(r));
        }
        up.is_some() || cur.is_some()
    }

    /// Both sides' thing (`kind`); when only one side has it, `None` after recording that side
    /// (`what`: where, and what it is).
    fn both<T>(
        &mut self,
        kind: &str,
        (up, cur): (Option<T>, Option<T>),
        what: impl Fn(&T) -> (String, String),
    ) -> Option<(T, T)> {
        match (up, cur) {
            (Some(u), Some(c)) => Some((u, c)),
            (u, c) => {
                for (change, one) in [(Change::UpstreamOnly, u), (Change::CuratedOnly, c)] {
                    if let Some((location, what)) = one.as_ref().map(&what) {
                        self.only(change, [kind, &location], what);
                    }
                }
                None
            }
        }
    }

    /// Compares a parameter or field (`kind`) either side may lack: presence, `required`, shape.
    fn member(&mut self, kind: &str, up: Option<Member<'_>>, cur: Option<Member<'_>>) {
        let what = |m: &Member<'_>| match kind {
            "parameter" => format!("{}, {}", required_word(m.required), m.shape.summary()),
            _ => m.shape.summary(),
        };
        let Some((u, c)) = self.both(kind, (up, cur), |m| (m.label.clone(), what(m))) else {
            return;
        };
        if u.required != c.required {
            let (ur, cr) = (required_word(u.required), required_word(c.required));
            self.changed(["optionality", &c.label], ur, cr);
        }
        self.shapes(&c.label, &u.shape, &c.shape);
    }

    /// Compares a request body or success response (`kind`, reported at `location`; `what_kind`
    /// names [`Payload::what`]); returns both resolved schemas when both sides resolve.
    fn payload(
        &mut self,
        [kind, location, what_kind]: [&str; 3],
        up: Option<Payload>,
        cur: Option<Payload>,
    ) -> Option<(Shape, Shape)> {
        let (u, c) = self.both(kind, (up, cur), |p| (location.to_owned(), p.what.clone()))?;
        if self.unresolved(location, &u.unresolved, &c.unresolved) {
            return None;
        }
        if u.what != c.what {
            self.changed([what_kind, location], u.what, c.what);
        }
        for (change, mine, theirs) in [
            (Change::UpstreamOnly, &u.media_types, &c.media_types),
            (Change::CuratedOnly, &c.media_types, &u.media_types),
        ] {
            for m in mine.iter().filter(|m| !theirs.contains(m)) {
                self.only(change, ["media_type", location], m.as_str());
            }
        }
        Some((u.shape, c.shape))
    }

    /// Compares two resolved schemas at `location`, recursing into fields and items.
    fn shapes(&mut self, location: &str, up: &Shape, cur: &Shape) {
        if self.unresolved(location, &up.unresolved, &cur.unresolved) {
            // What the missing part declares is unknown: compare only the fields both declare.
            for (name, u) in &up.properties {
                if let Some(c) = cur.properties.get(name) {
                    self.shapes(&join(location, name), u, c);
                }
            }
            return;
        }
        if up.recursive.is_some() || cur.recursive.is_some() {
            return; // a `$ref` cycle: what lies below was compared where the cycle started
        }
        // A free-form object on one side, declared fields on the other: one line, not one a field.
        if up.is_untyped_object() != cur.is_untyped_object()
            && (!up.properties.is_empty() || !cur.properties.is_empty())
        {
            let describe = |s: &Shape| {
                if s.is_untyped_object() {
                    return format!("untyped ({}, no fields declared)", s.type_name());
                }
                let names: Vec<&str> = s.properties.keys().map(String::as_str).collect();
                format!("{} fields: {}", names.len(), names.join(", "))
            };
            return self.changed(["untyped", location], describe(up), describe(cur));
        }
        if up.types != cur.types {
            let (u, c) = (types_name(&up.types), types_name(&cur.types));
            self.changed(["type", location], u, c);
        }
        if up.nullable != cur.nullable {
            self.changed(["nullable", location], up.nullable, cur.nullable);
        }
        if up.format != cur.format {
            let (u, c) = (up.format.clone(), cur.format.clone());
            self.changed(["format", location], u, c);
        }
        match (&up.enum_values, &cur.enum_values) {
            (Some(u), Some(c)) => {
                for (change, mine, theirs) in
                    [(Change::UpstreamOnly, u, c), (Change::CuratedOnly, c, u)]
                {
                    for v in mine
                        .iter()
                        .filter(|v| !theirs.iter().any(|x| same_json(x, v)))
                    {
                        self.only(change, ["enum_value", location], v.clone());
                    }
                }
            }
            (None, None) => {}
            (u, c) => self.changed(["enum", location], u.clone(), c.clone()),
        }
        let limit_keys: BTreeSet<&String> = up.limits.keys().chain(cur.limits.keys()).collect();
        for key in limit_keys {
            let (u, c) = (up.limits.get(key), cur.limits.get(key));
            if !u.zip(c).is_some_and(|(a, b)| same_json(a, b)) {
                self.changed([key, location], u.cloned(), c.cloned());
            }
        }
        let curated_only = cur
            .properties
            .keys()
            .filter(|n| !up.properties.contains_key(*n));
        for name in up.properties.keys().chain(curated_only) {
            let label = join(location, name);
            self.member("field", up.field(name, &label), cur.field(name, &label));
        }
        if up.items.is_some() || cur.items.is_some() {
            let any = Shape::default();
            let u = up.items.as_deref().unwrap_or(&any);
            let c = cur.items.as_deref().unwrap_or(&any);
            self.shapes(&format!("{location}[]"), u, c);
        }
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
