//! `cargo xtask lint`: validates the curated document as OpenAPI 3.0 (a step of `check`) with
//! the rules that `cargo xtask lint --help` lists under Redocly's names, each commented where it
//! is implemented below: `struct` (the document deserializes into [`openapiv3::OpenAPI`], and a
//! keyword the typed model drops, such as a misspelt `nulable`, is an error), `$ref`s that
//! resolve and stand alone, `nullable` beside a `type`, examples valid against their schemas
//! (converted as the mock converts them, [`crate::toolkit`]), and unused components, a warning.
//!
//! Why it is here: Redocly CLI, Spectral (Node) and vacuum (Go) lint OpenAPI documents, but none
//! is a Rust crate, and `cargo xtask check` runs with cargo alone. Only the rules that catch this
//! document's real mistakes are kept.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use crate::toolkit::{self, escape, METHODS};
use crate::{entries, list, Error};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The document is wrong.
    Error,
    /// The document is untidy (an unused component).
    Warning,
}

/// One problem in the document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// The rule (Redocly's name for it).
    pub rule: &'static str,
    /// Where: a JSON pointer into the document (`#/components/schemas/X/nullable`).
    pub location: String,
    /// What is wrong.
    pub message: String,
}

/// Everything `lint` found in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintReport {
    /// How the document is named in the report.
    pub label: String,
    /// The findings, errors first, then by rule and location.
    pub findings: Vec<Finding>,
}

impl LintReport {
    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The number of errors.
    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    /// The number of warnings.
    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Whether the given rule reported anything.
    pub fn has(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }

    /// One line per finding, then a summary line.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let level = format!("{:?}", f.severity).to_lowercase();
            let (rule, label, message, at) = (f.rule, &self.label, &f.message, &f.location);
            let _ = writeln!(out, "{level}[{rule}]: {label}: {message} ({at})");
        }
        let (errors, warnings) = (self.error_count(), self.warning_count());
        let _ = writeln!(
            out,
            "lint {}: {errors} errors, {warnings} warnings",
            self.label
        );
        out
    }
}

/// Reads a YAML (or JSON) document and lints it. Fails only when the file cannot be read or is
/// not YAML.
pub fn lint_file(path: &Path) -> Result<LintReport, Error> {
    let text = crate::read_text(path)?;
    let doc: Value = serde_norway::from_str(&text)
        .map_err(|e| Error::Io(format!("{}: invalid YAML: {e}", path.display())))?;
    Ok(lint(&doc, &path.display().to_string()))
}

/// Lints a parsed document.
pub fn lint(doc: &Value, label: &str) -> LintReport {
    let mut findings = Vec::new();
    structure(doc, &mut findings);
    for (at, r) in toolkit::refs(doc, "#") {
        if toolkit::target(doc, &r).is_none() {
            findings.push(error(
                "no-unresolved-refs",
                format!("{at}/$ref"),
                format!("`$ref: {r}` does not resolve to anything in the document"),
            ));
        }
    }
    let mut linter = Linter {
        doc,
        defs: toolkit::json_schema_defs(doc),
        findings: &mut findings,
    };
    linter.walk_document();
    unused_components(doc, &mut findings);
    findings.sort();
    findings.dedup();
    LintReport {
        label: label.to_owned(),
        findings,
    }
}

fn error(rule: &'static str, location: impl Into<String>, message: impl Into<String>) -> Finding {
    let (location, message) = (location.into(), message.into());
    let severity = Severity::Error;
    Finding {
        severity,
        rule,
        location,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// struct

fn structure(doc: &Value, findings: &mut Vec<Finding>) {
    let typed: openapiv3::OpenAPI = match serde_path_to_error::deserialize(doc) {
        Ok(t) => t,
        Err(e) => {
            findings.push(error(
                "struct",
                format!("#/{}", e.path().to_string().replace('.', "/")),
                format!("not a valid OpenAPI 3.0 document: {}", e.inner()),
            ));
            return;
        }
    };
    let version = doc.get("openapi").and_then(Value::as_str);
    if !version.is_some_and(|v| v.starts_with("3.0.")) {
        findings.push(error(
            "struct",
            "#/openapi",
            "`openapi` must be a 3.0.x version",
        ));
    }
    match serde_json::to_value(&typed) {
        Ok(round_trip) => dropped_keys(doc, &round_trip, "#", findings),
        Err(e) => {
            let why = format!("the typed document does not serialize back: {e}");
            findings.push(error("struct", "#", why));
        }
    }
}

/// Keys of `original` that the typed model dropped: keywords OpenAPI 3.0 does not have there.
/// Values the model writes differently (defaults left out) are not reported.
fn dropped_keys(original: &Value, typed: &Value, at: &str, findings: &mut Vec<Finding>) {
    match (original, typed) {
        (Value::Object(o), Value::Object(t)) => {
            for (key, value) in o {
                let here = format!("{at}/{}", escape(key));
                match t.get(key) {
                    Some(tv) => {
                        // Example values and extensions are free-form data, not document structure.
                        let data = ["example", "value", "default", "enum"].contains(&key.as_str());
                        if !data && !key.starts_with("x-") {
                            dropped_keys(value, tv, &here, findings);
                        }
                    }
                    None if key.starts_with("x-") => {}
                    // A default written out (`required: false`, `deprecated: false`, `[]`).
                    None if value == &Value::Bool(false)
                        || value.as_array().is_some_and(Vec::is_empty)
                        || value.as_object().is_some_and(Map::is_empty) => {}
                    None => findings.push(error(
                        "struct",
                        here,
                        format!("`{key}` is not an OpenAPI 3.0 keyword here"),
                    )),
                }
            }
        }
        (Value::Array(o), Value::Array(t)) if o.len() == t.len() => {
            for (i, (ov, tv)) in o.iter().zip(t).enumerate() {
                dropped_keys(ov, tv, &format!("{at}/{i}"), findings);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Walking schemas, media types and parameters

struct Linter<'a, 'f> {
    doc: &'a Value,
    /// The document's components as JSON Schema (`toolkit::json_schema_defs`).
    defs: Value,
    findings: &'f mut Vec<Finding>,
}

impl<'a> Linter<'a, '_> {
    fn walk_document(&mut self) {
        let doc = self.doc;
        type Walk<'a, 'f> = fn(&mut Linter<'a, 'f>, &'a Value, &str);
        let components: [(&str, Walk<'a, '_>); 5] = [
            ("schemas", Self::schema),
            ("parameters", Self::parameter),
            ("headers", Self::parameter),
            ("requestBodies", Self::content),
            ("responses", Self::response),
        ];
        for (kind, walk) in components {
            for (name, value) in entries(doc.pointer(&format!("/components/{kind}"))) {
                let at = format!("#/components/{kind}/{}", escape(name));
                walk(self, value, &at);
            }
        }
        for (path, item) in entries(doc.get("paths")) {
            let at = format!("#/paths/{}", escape(path));
            self.parameters(item.get("parameters"), &at);
            for method in METHODS {
                let Some(op) = item.get(*method) else {
                    continue;
                };
                let at = format!("{at}/{method}");
                self.parameters(op.get("parameters"), &at);
                if let Some(body) = op.get("requestBody")
                    && body.get("$ref").is_none()
                {
                    self.content(body, &format!("{at}/requestBody"));
                }
                for (status, r) in entries(op.get("responses")) {
                    if r.get("$ref").is_none() {
                        self.response(r, &format!("{at}/responses/{}", escape(status)));
                    }
                }
            }
        }
    }

    fn parameters(&mut self, parameters: Option<&'a Value>, at: &str) {
        for (i, p) in list(parameters).enumerate() {
            if p.get("$ref").is_none() {
                self.parameter(p, &format!("{at}/parameters/{i}"));
            }
        }
    }

    fn parameter(&mut self, p: &'a Value, at: &str) {
        if let Some(schema) = p.get("schema") {
            self.schema(schema, &format!("{at}/schema"));
            self.examples(p, schema, at, "no-invalid-parameter-examples");
        }
        if p.get("content").is_some() {
            self.content(p, at);
        }
    }

    fn response(&mut self, r: &'a Value, at: &str) {
        self.content(r, at);
        for (name, h) in entries(r.get("headers")).filter(|(_, h)| h.get("$ref").is_none()) {
            self.parameter(h, &format!("{at}/headers/{}", escape(name)));
        }
    }

    /// The media types of a request body, response or parameter.
    fn content(&mut self, holder: &'a Value, at: &str) {
        for (media, m) in entries(holder.get("content")) {
            let at = format!("{at}/content/{}", escape(media));
            if let Some(schema) = m.get("schema") {
                self.schema(schema, &format!("{at}/schema"));
                self.examples(m, schema, &at, "no-invalid-media-type-examples");
            }
        }
    }

    /// `example` and `examples.*.value` of a media type or parameter against its schema.
    fn examples(&mut self, holder: &'a Value, schema: &'a Value, at: &str, rule: &'static str) {
        if let Some(example) = holder.get("example") {
            self.validate(schema, example, &format!("{at}/example"), rule);
        }
        for (name, ex) in entries(holder.get("examples")) {
            if let Some(value) = toolkit::resolve(self.doc, ex).get("value") {
                let at = format!("{at}/examples/{}/value", escape(name));
                self.validate(schema, value, &at, rule);
            }
        }
    }

    /// Checks one schema and every schema inside it: `nullable-type-sibling`, and its `example`.
    fn schema(&mut self, schema: &'a Value, at: &str) {
        let Some(map) = schema.as_object() else {
            return;
        };
        if map.contains_key("$ref") {
            // Redocly `no-$ref-siblings`: in OpenAPI 3.0 a `$ref` replaces its object, so a
            // `description` (or any keyword) beside it is silently ignored. `x-` extensions are
            // the curation's own annotations (read by codegen), so they may stand beside it.
            for key in map.keys().filter(|k| *k != "$ref" && !k.starts_with("x-")) {
                self.findings.push(error(
                    "no-ref-siblings",
                    format!("{at}/{}", escape(key)),
                    format!(
                        "`{key}` beside a `$ref` is ignored in OpenAPI 3.0: move it into the \
                         referenced schema, or wrap the reference in `allOf`"
                    ),
                ));
            }
            return; // the target is checked where it is defined
        }
        if map.get("nullable") == Some(&Value::Bool(true)) && !map.contains_key("type") {
            self.findings.push(error(
                "nullable-type-sibling",
                format!("{at}/nullable"),
                "`nullable: true` without a sibling `type`: it allows nothing (OpenAPI 3.0 only \
                 applies `nullable` to a `type`), so `null` fails validation",
            ));
        }
        if let Some(example) = map.get("example") {
            self.validate(
                schema,
                example,
                &format!("{at}/example"),
                "no-invalid-schema-examples",
            );
        }
        for (name, p) in entries(map.get("properties")) {
            self.schema(p, &format!("{at}/properties/{}", escape(name)));
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(s) = map.get(key) {
                self.schema(s, &format!("{at}/{key}"));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for (i, s) in list(map.get(key)).enumerate() {
                self.schema(s, &format!("{at}/{key}/{i}"));
            }
        }
    }

    fn validate(&mut self, schema: &Value, instance: &Value, at: &str, rule: &'static str) {
        let root = toolkit::validation_schema(&self.defs, schema);
        // The options the mock compiles with too (mock/src/spec.rs): formats are asserted.
        let options = jsonschema::options().with_draft(jsonschema::Draft::Draft202012);
        let validator = match options.should_validate_formats(true).build(&root) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("the schema cannot be compiled to check the example: {e}");
                return self.findings.push(error(rule, at, why));
            }
        };
        for e in validator.iter_errors(instance) {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() { "/" } else { &path };
            let why = match e.kind() {
                jsonschema::error::ValidationErrorKind::FalseSchema => "its schema there has \
                    `nullable: true` without `type` (nullable-type-sibling), which allows nothing"
                    .to_owned(),
                _ => e.to_string(),
            };
            let why = format!("the example does not match its schema at {path}: {why}");
            self.findings.push(error(rule, at, why));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// no-unused-components

fn unused_components(doc: &Value, findings: &mut Vec<Finding>) {
    let Some(components) = doc.get("components").and_then(Value::as_object) else {
        return;
    };
    // Everything reachable from the document outside `components`, transitively.
    let outside = entries(Some(doc)).filter(|(key, _)| *key != "components");
    let used: BTreeSet<String> = outside
        .flat_map(|(_, value)| toolkit::reachable(doc, value))
        .collect();
    // Security schemes are used by name, in the global or an operation's requirements.
    let items = entries(doc.get("paths")).map(|(_, item)| item);
    let operations = items.flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)));
    let requirements = operations.filter_map(|op| op.get("security"));
    let requirements = list(doc.get("security")).chain(requirements.flat_map(|r| list(Some(r))));
    let security_names: BTreeSet<&String> = requirements
        .filter_map(Value::as_object)
        .flat_map(|req| req.keys())
        .collect();
    for (kind, group) in components {
        for (name, _) in entries(Some(group)) {
            let pointer = format!("#/components/{kind}/{}", escape(name));
            let is_used = if kind == "securitySchemes" {
                security_names.contains(name)
            } else {
                used.contains(&pointer)
            };
            if !is_used {
                findings.push(Finding {
                    severity: Severity::Warning,
                    rule: "no-unused-components",
                    location: pointer,
                    message: format!("component `{name}` ({kind}) is never referenced"),
                });
            }
        }
    }
}
