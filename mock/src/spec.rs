//! The curated OpenAPI document compiled into request routing and JSON Schema validators.
//!
//! The mock never hard-codes the contract: routes, parameters, request bodies and response bodies
//! all come from [`cloudflare_ssl::OPENAPI_JSON`]. OpenAPI 3.0 schemas are turned into JSON Schema
//! (draft 2020-12) by the workspace's one conversion, `cloudflare_ssl::toolkit` (the one
//! `cargo xtask lint` checks examples with): `nullable: true` beside a `type` adds `"null"`,
//! a typeless `nullable` accepts nothing, and `format: int32` / `int64` on an integer become
//! that range (JSON Schema does not know these formats, so `page=2147483648` would otherwise
//! pass).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use cloudflare_ssl::toolkit;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value};

/// One problem found while validating a JSON value against a schema of the curated document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// JSON Pointer (RFC 6901) to the offending value; `""` is the whole document. For a
    /// missing required property, the pointer names the property that should be there.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
    /// What the document expects there, e.g. `type "integer"`, `one of ["txt","http"]`,
    /// `required property`, `maximum 2147483647`.
    pub expected: String,
    /// The value found there; `None` when it is missing.
    pub found: Option<Value>,
}

impl Violation {
    /// A violation with a message only (the `expected` text is the message).
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Violation {
            pointer: pointer.into(),
            expected: message.clone(),
            message,
            found: None,
        }
    }

    /// The same violation with `found` set.
    pub(crate) fn found(mut self, value: Value) -> Self {
        self.found = Some(value);
        self
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "(document root): {}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

/// The JSON type a path or query parameter is decoded into before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    Number,
    Integer,
    Boolean,
    String,
}

pub(crate) struct ParamSpec {
    pub(crate) name: String,
    pub(crate) required: bool,
    pub(crate) kind: ParamKind,
    validator: Validator,
}

pub(crate) struct BodySpec {
    pub(crate) required: bool,
    validator: Validator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// One operation of the curated document.
pub(crate) struct OperationSpec {
    pub(crate) operation_id: String,
    pub(crate) method: String,
    segments: Vec<Segment>,
    pub(crate) path_params: Vec<ParamSpec>,
    pub(crate) query_params: Vec<ParamSpec>,
    pub(crate) body: Option<BodySpec>,
    responses: Vec<(String, Validator)>,
}

/// The result of matching a request path against the document's path templates.
pub(crate) enum RouteMatch<'a> {
    /// An operation matched; path parameters by name.
    Found(&'a OperationSpec, BTreeMap<String, String>),
    /// The path exists, but not with this method: the methods it has (for `Allow`), in the
    /// order of the document.
    MethodNotAllowed(Vec<&'a str>),
    /// No path template matches.
    NotFound,
}

/// The curated OpenAPI document, compiled: routes and validators for every operation.
///
/// Obtain the shared instance with [`Contract::shared`]. Tests use
/// [`Contract::validate_response`] to check that a response body conforms to the document.
pub struct Contract {
    operations: Vec<OperationSpec>,
    /// The document (for [`Contract::validate_at`]).
    doc: Value,
    /// Its schema components, converted to JSON Schema once (`toolkit::json_schema_defs`).
    defs: Value,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("operations", &self.operation_ids())
            .finish()
    }
}

static SHARED: OnceLock<Result<Arc<Contract>, String>> = OnceLock::new();

impl Contract {
    /// The document embedded in the crate ([`cloudflare_ssl::OPENAPI_JSON`]), compiled once per process.
    ///
    /// # Errors
    /// A message naming the schema or operation that could not be compiled (a defect of the
    /// curated document, never of a request).
    pub fn shared() -> Result<Arc<Contract>, String> {
        SHARED
            .get_or_init(|| Contract::from_json(cloudflare_ssl::OPENAPI_JSON).map(Arc::new))
            .clone()
    }

    /// Compiles an OpenAPI 3.0 document given as JSON text.
    ///
    /// # Errors
    /// A message naming what could not be read or compiled.
    pub fn from_json(text: &str) -> Result<Contract, String> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| format!("OpenAPI document is not JSON: {e}"))?;
        let defs = toolkit::json_schema_defs(&doc);
        let compiler = Compiler {
            doc: &doc,
            defs: &defs,
        };
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("OpenAPI document has no `paths`")?;
        let mut operations = Vec::new();
        for (template, item) in paths {
            let item = compiler.resolve(item);
            let shared_params = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
                let Some(op) = item.get(method) else { continue };
                operations.push(compiler.operation(template, method, op, &shared_params)?);
            }
        }
        Ok(Contract {
            operations,
            doc,
            defs,
        })
    }

    /// Validates `value` against the schema found at `pointer` (a JSON Pointer into the
    /// document, e.g. `/components/schemas/ErrorEnvelope` or
    /// `/paths/~1zones~1{zone_id}~1ssl~1analyze/post/requestBody/content/application~1json/schema`),
    /// with the same conversion and validator the mock uses for requests and responses.
    ///
    /// ```
    /// use cloudflare_ssl_mock::Contract;
    /// use serde_json::json;
    ///
    /// let contract = Contract::shared().unwrap();
    /// let ok = json!({"success": false, "errors": [{"code": 1, "message": "x"}], "messages": [], "result": null});
    /// assert!(contract.validate_at("/components/schemas/ErrorEnvelope", &ok).is_ok());
    /// let bad = contract.validate_at("/components/schemas/ErrorEnvelope", &json!({"success": false})).unwrap_err();
    /// assert!(bad.iter().any(|v| v.pointer == "/errors"));
    /// ```
    ///
    /// # Errors
    /// Every violation; a single one when nothing is found at `pointer` or the schema there does
    /// not compile.
    pub fn validate_at(&self, pointer: &str, value: &Value) -> Result<(), Vec<Violation>> {
        let pointer = pointer.strip_prefix('#').unwrap_or(pointer);
        let Some(schema) = self.doc.pointer(pointer) else {
            return Err(vec![Violation::new(
                pointer,
                format!("no schema at `{pointer}` in the document"),
            )]);
        };
        let compiler = Compiler {
            doc: &self.doc,
            defs: &self.defs,
        };
        let validator = compiler
            .compile(schema, pointer)
            .map_err(|e| vec![Violation::new(pointer, e)])?;
        check(&validator, value)
    }

    /// Compiles the schema at `pointer` (as [`Contract::validate_at`] finds it) once, for
    /// validating parts of the mock's answers on their own (`routes::PartValidators`).
    ///
    /// # Errors
    /// Nothing found at `pointer`, or a schema that does not compile.
    pub(crate) fn compile_at(&self, pointer: &str) -> Result<CompiledSchema, String> {
        let schema = self
            .doc
            .pointer(pointer)
            .ok_or_else(|| format!("no schema at `{pointer}` in the document"))?;
        let compiler = Compiler {
            doc: &self.doc,
            defs: &self.defs,
        };
        compiler
            .compile(schema, pointer)
            .map(|validator| CompiledSchema { validator })
    }

    /// The `operationId` of every operation of the document.
    pub fn operation_ids(&self) -> Vec<&str> {
        self.operations
            .iter()
            .map(|o| o.operation_id.as_str())
            .collect()
    }

    /// Validates a response body of `operation_id` sent with HTTP `status` against the schema the
    /// document gives for that status (an exact code, else `4XX`/`5XX`, else `default`).
    ///
    /// # Errors
    /// Every violation found; a single violation when the operation or the status is not
    /// documented.
    pub fn validate_response(
        &self,
        operation_id: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let Some(op) = self.operation(operation_id) else {
            return Err(vec![Violation::new(
                "",
                format!("unknown operation `{operation_id}`"),
            )]);
        };
        // The keys tried, written without allocating: the exact code (`404`), its range
        // (`4XX`), then `default`.
        let digits = |n: u16| {
            [
                b'0' + (n / 100 % 10) as u8,
                b'0' + (n / 10 % 10) as u8,
                b'0' + (n % 10) as u8,
            ]
        };
        let exact = digits(status);
        let mut range = digits(status);
        range[1] = b'X';
        range[2] = b'X';
        let three_digits = (100..=999).contains(&status);
        let exact: &[u8] = if three_digits { &exact } else { b"" };
        let range: &[u8] = if three_digits { &range } else { b"" };
        let validator = [exact, range, b"default"]
            .iter()
            .filter(|key| !key.is_empty())
            .find_map(|key| {
                op.responses
                    .iter()
                    .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            });
        match validator {
            Some(v) => check(v, body),
            None => Err(vec![Violation::new(
                "",
                format!("status {status} is not documented for `{operation_id}`"),
            )
            .found(Value::from(status))]),
        }
    }

    pub(crate) fn operation(&self, operation_id: &str) -> Option<&OperationSpec> {
        self.operations
            .iter()
            .find(|o| o.operation_id == operation_id)
    }

    /// Finds the operation for `method` and `path` (relative to the server URL, e.g.
    /// `/zones/abc/ssl/verification`). Literal segments win over parameters.
    pub(crate) fn route(&self, method: &str, path: &str) -> RouteMatch<'_> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut candidates: Vec<(&OperationSpec, usize, BTreeMap<String, String>)> = Vec::new();
        for op in &self.operations {
            if let Some((literals, params)) = match_segments(&op.segments, &parts) {
                candidates.push((op, literals, params));
            }
        }
        if candidates.is_empty() {
            return RouteMatch::NotFound;
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.1));
        // Only the most specific template(s) count: `/certificate_packs/quota` has GET only,
        // even though `/certificate_packs/{id}` also matches it with other methods.
        let best = candidates.first().map_or(0, |c| c.1);
        candidates.retain(|c| c.1 == best);
        let allowed: Vec<&str> = candidates.iter().map(|c| c.0.method.as_str()).collect();
        match candidates
            .into_iter()
            .find(|(op, _, _)| op.method.eq_ignore_ascii_case(method))
        {
            Some((op, _, params)) => RouteMatch::Found(op, params),
            None => RouteMatch::MethodNotAllowed(allowed),
        }
    }
}

impl ParamSpec {
    pub(crate) fn validate(&self, value: &Value) -> Result<(), Vec<Violation>> {
        check(&self.validator, value).map_err(|vs| {
            vs.into_iter()
                .map(|v| Violation {
                    pointer: format!("/{}{}", self.name, v.pointer),
                    message: format!("{}: {}", self.name, v.message),
                    ..v
                })
                .collect()
        })
    }

    /// Decodes a query or path parameter's text into the JSON type of its schema.
    pub(crate) fn decode(&self, text: &str) -> Result<Value, Box<Violation>> {
        let bad = |what: &str| {
            Box::new(
                Violation::new(
                    format!("/{}", self.name),
                    format!("{}: `{text}` is not {what}", self.name),
                )
                .found(Value::String(text.to_owned())),
            )
        };
        match self.kind {
            ParamKind::String => Ok(Value::String(text.to_owned())),
            ParamKind::Boolean => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(bad("a boolean")),
            },
            ParamKind::Integer => text
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| bad("an integer (within the 64-bit range)")),
            ParamKind::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(|f| {
                    if f.fract() == 0.0 && f.abs() < 9.0e15 {
                        // Keep integers integral on the wire (`5`, not `5.0`).
                        #[allow(clippy::cast_possible_truncation)]
                        Some(Value::from(f as i64))
                    } else {
                        serde_json::Number::from_f64(f).map(Value::Number)
                    }
                })
                .ok_or_else(|| bad("a number")),
        }
    }
}

/// A request checked against its operation: decoded inputs and every violation found.
#[derive(Clone)]
pub(crate) struct CheckedRequest {
    /// Violations of the path parameters (a malformed identifier).
    pub(crate) path_violations: Vec<Violation>,
    /// Violations of the query and the body.
    pub(crate) violations: Vec<Violation>,
    /// Query parameters of the document, decoded by their schema type.
    pub(crate) query: BTreeMap<String, Value>,
    /// The JSON body (`Null` when absent or malformed).
    pub(crate) body: Value,
}

impl OperationSpec {
    /// Checks path parameters, query and body of one request against the operation.
    pub(crate) fn check_request(
        &self,
        params: &BTreeMap<String, String>,
        query: &str,
        raw_body: &[u8],
    ) -> CheckedRequest {
        let mut path_violations = Vec::new();
        for param in &self.path_params {
            let value = params.get(&param.name).cloned().unwrap_or_default();
            if let Err(vs) = param.validate(&Value::String(value)) {
                path_violations.extend(vs);
            }
        }
        let mut pairs: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            pairs.insert(k.into_owned(), v.into_owned());
        }
        let mut violations = Vec::new();
        let mut query_values = BTreeMap::new();
        for param in &self.query_params {
            match pairs.get(&param.name) {
                Some(text) => match param.decode(text) {
                    Ok(value) => {
                        if let Err(vs) = param.validate(&value) {
                            violations.extend(vs);
                        }
                        query_values.insert(param.name.clone(), value);
                    }
                    Err(v) => violations.push(*v),
                },
                None if param.required => violations.push(Violation::new(
                    format!("/{}", param.name),
                    format!("query parameter `{}` is required", param.name),
                )),
                None => {}
            }
        }
        let mut body = Value::Null;
        if let Some(body_spec) = &self.body {
            if raw_body.iter().all(u8::is_ascii_whitespace) {
                if body_spec.required {
                    violations.push(Violation::new("", "a JSON request body is required"));
                }
            } else {
                match serde_json::from_slice::<Value>(raw_body) {
                    Ok(value) => {
                        if let Err(vs) = body_spec.validate(&value) {
                            violations.extend(vs);
                        }
                        body = value;
                    }
                    Err(e) => violations.push(Violation::new(
                        "",
                        format!("malformed JSON in request body: {e}"),
                    )),
                }
            }
        }
        CheckedRequest {
            path_violations,
            violations,
            query: query_values,
            body,
        }
    }
}

/// A schema of the document compiled once ([`Contract::compile_at`]).
pub(crate) struct CompiledSchema {
    validator: Validator,
}

impl CompiledSchema {
    /// Every violation of `value`, as [`Contract::validate_response`] reports them.
    pub(crate) fn validate(&self, value: &Value) -> Result<(), Vec<Violation>> {
        check(&self.validator, value)
    }
}

impl BodySpec {
    pub(crate) fn validate(&self, value: &Value) -> Result<(), Vec<Violation>> {
        check(&self.validator, value)
    }
}

/// Violations reported for one value at most; past it, one more says how many were left out.
pub(crate) const MAX_VIOLATIONS_PER_VALUE: usize = 20;
/// Bytes of JSON a violation quotes at most (its `found` value and its message).
pub(crate) const MAX_QUOTED: usize = 256;

/// A `Write` that keeps the first `limit` bytes and then refuses more.
struct Capped {
    out: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.limit.saturating_sub(self.out.len());
        if room == 0 {
            return Err(std::io::Error::other("quote limit reached"));
        }
        let take = room.min(buf.len());
        self.out
            .extend_from_slice(buf.get(..take).unwrap_or_default());
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `value` itself when its JSON is at most [`MAX_QUOTED`] bytes, else a string with its first
/// bytes and `…` (never serializing more than the limit).
pub(crate) fn bounded(value: &Value) -> (Value, bool) {
    let mut capped = Capped {
        out: Vec::new(),
        limit: MAX_QUOTED + 1,
    };
    let complete =
        serde_json::to_writer(&mut capped, value).is_ok() && capped.out.len() <= MAX_QUOTED;
    if complete {
        return (value.clone(), false);
    }
    capped.out.truncate(MAX_QUOTED);
    let text = String::from_utf8_lossy(&capped.out);
    let text = text.trim_end_matches('\u{fffd}');
    (Value::String(format!("{text}… (excerpt)")), true)
}

fn check(validator: &Validator, value: &Value) -> Result<(), Vec<Violation>> {
    // The common case, a conforming value, without building any error.
    if validator.is_valid(value) {
        return Ok(());
    }
    let mut violations: Vec<Violation> = Vec::new();
    let mut left_out = 0usize;
    for e in validator.iter_errors(value) {
        if violations.len() >= MAX_VIOLATIONS_PER_VALUE {
            left_out += 1;
            // Counting the rest of a huge body's errors is not worth the time.
            if left_out >= 10_000 {
                break;
            }
            continue;
        }
        let mut pointer = e.instance_path().as_str().to_owned();
        let (quoted, cut) = bounded(e.instance().as_ref());
        let mut found = Some(quoted);
        let expected_text = expected(e.kind());
        if let ValidationErrorKind::Required { property } = e.kind()
            && let Some(name) = property.as_str()
        {
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            found = None;
        }
        // The validator's message quotes the whole value: only used for a small one.
        let message = if cut {
            format!("the value does not match: expected {expected_text}")
        } else {
            e.to_string().chars().take(2 * MAX_QUOTED).collect()
        };
        violations.push(Violation {
            pointer,
            message,
            expected: expected_text.chars().take(2 * MAX_QUOTED).collect(),
            found,
        });
    }
    if left_out > 0 {
        let more = if left_out >= 10_000 { "at least " } else { "" };
        violations.push(Violation::new(
            "",
            format!("{more}{left_out} more violations of this value not listed (at most {MAX_VIOLATIONS_PER_VALUE} are)"),
        ));
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// What a failed keyword expected, in a short form for reports.
fn expected(kind: &ValidationErrorKind) -> String {
    use ValidationErrorKind as K;
    match kind {
        K::Type { kind } => match kind {
            jsonschema::error::TypeKind::Single(t) => format!("type \"{t}\""),
            jsonschema::error::TypeKind::Multiple(ts) => {
                let names: Vec<String> = ts.iter().map(|t| format!("\"{t}\"")).collect();
                format!("type {}", names.join(" or "))
            }
        },
        K::Enum { options } => format!("one of {options}"),
        K::Constant { expected_value } => format!("constant {expected_value}"),
        K::Required { property } => format!("required property {property}"),
        K::Minimum { limit } => format!("minimum {limit}"),
        K::Maximum { limit } => format!("maximum {limit}"),
        K::ExclusiveMinimum { limit } => format!("exclusive minimum {limit}"),
        K::ExclusiveMaximum { limit } => format!("exclusive maximum {limit}"),
        K::MinLength { limit } => format!("minLength {limit}"),
        K::MaxLength { limit } => format!("maxLength {limit}"),
        K::MinItems { limit } => format!("minItems {limit}"),
        K::MaxItems { limit } => format!("maxItems {limit}"),
        K::Pattern { pattern } => format!("pattern {pattern}"),
        K::Format { format } => format!("format {format}"),
        K::AdditionalProperties { unexpected } => {
            format!("no additional properties (found {})", unexpected.join(", "))
        }
        K::UniqueItems => "unique items".into(),
        K::AnyOf { .. } => "anyOf: at least one subschema".into(),
        K::OneOfNotValid { .. } => "oneOf: exactly one subschema (none matched)".into(),
        K::OneOfMultipleValid { .. } => "oneOf: exactly one subschema (several matched)".into(),
        K::FalseSchema => "nothing (false schema)".into(),
        other => format!("{other:?}").chars().take(200).collect(),
    }
}

fn match_segments(
    segments: &[Segment],
    parts: &[&str],
) -> Option<(usize, BTreeMap<String, String>)> {
    if segments.len() != parts.len() {
        return None;
    }
    // First whether it matches at all (most templates do not), without allocating.
    let mut literals = 0;
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(l) if l == part => literals += 1,
            Segment::Literal(_) => return None,
            Segment::Param(_) if part.is_empty() => return None,
            Segment::Param(_) => {}
        }
    }
    let mut params = BTreeMap::new();
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(_) => {}
            Segment::Param(name) => {
                let decoded = percent_encoding::percent_decode_str(part).decode_utf8_lossy();
                params.insert(name.clone(), decoded.into_owned());
            }
        }
    }
    Some((literals, params))
}

struct Compiler<'a> {
    doc: &'a Value,
    /// The converted components (`toolkit::json_schema_defs`).
    defs: &'a Value,
}

impl<'a> Compiler<'a> {
    /// Follows local `$ref`s of a non-schema object (a path item, parameter, body, response).
    fn resolve(&self, value: &'a Value) -> &'a Value {
        toolkit::resolve(self.doc, value)
    }

    /// Compiles an OpenAPI schema of the document, converted by the toolkit, with the options
    /// `cargo xtask lint` uses too (draft 2020-12, formats asserted).
    fn compile(&self, schema: &Value, what: &str) -> Result<Validator, String> {
        if !schema.is_object() && schema != &Value::Bool(true) {
            return Err(format!("{what}: schema is not an object: {schema}"));
        }
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&toolkit::validation_schema(self.defs, schema))
            .map_err(|e| format!("{what}: schema does not compile: {e}"))
    }

    fn param_kind(&self, schema: &Value) -> ParamKind {
        let schema = self.resolve(schema);
        let ty = match schema.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        };
        match ty {
            Some("number") => ParamKind::Number,
            Some("integer") => ParamKind::Integer,
            Some("boolean") => ParamKind::Boolean,
            _ => ParamKind::String,
        }
    }

    fn operation(
        &self,
        template: &str,
        method: &str,
        op: &Value,
        shared_params: &[Value],
    ) -> Result<OperationSpec, String> {
        let operation_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{method} {template}"));
        let segments = template
            .trim_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let own = op
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for param in shared_params.iter().chain(own.iter()) {
            let param = self.resolve(param);
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{operation_id}: a parameter has no name"))?
                .to_owned();
            let location = param.get("in").and_then(Value::as_str).unwrap_or("query");
            let schema = param
                .get("schema")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            let spec = ParamSpec {
                required: param.get("required") == Some(&Value::Bool(true)),
                kind: self.param_kind(&schema),
                validator: self.compile(&schema, &format!("{operation_id} parameter {name}"))?,
                name,
            };
            match location {
                "path" => path_params.push(spec),
                "query" => query_params.push(spec),
                _ => {}
            }
        }
        let body = match op.get("requestBody") {
            Some(rb) => {
                let rb = self.resolve(rb);
                let schema = rb
                    .pointer("/content/application~1json/schema")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Map::new()));
                Some(BodySpec {
                    required: rb.get("required") == Some(&Value::Bool(true)),
                    validator: self.compile(&schema, &format!("{operation_id} request body"))?,
                })
            }
            None => None,
        };
        let mut responses = Vec::new();
        if let Some(map) = op.get("responses").and_then(Value::as_object) {
            for (status, response) in map {
                let response = self.resolve(response);
                let schema = response
                    .pointer("/content/application~1json/schema")
                    .cloned()
                    .unwrap_or(Value::Bool(true));
                let what = format!("{operation_id} response {status}");
                responses.push((status.clone(), self.compile(&schema, &what)?));
            }
        }
        Ok(OperationSpec {
            operation_id,
            method: method.to_ascii_uppercase(),
            segments,
            path_params,
            query_params,
            body,
            responses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversion the mock validates with (the toolkit's, tested there too), applied to
    /// each schema of a map.
    fn convert_openapi(v: &mut Value) {
        match v {
            Value::Object(map) if !map.contains_key("type") => {
                map.values_mut()
                    .for_each(|s| *s = toolkit::to_json_schema(s));
            }
            other => *other = toolkit::to_json_schema(other),
        }
    }

    #[test]
    fn nullable_becomes_type_array() {
        let mut v = serde_json::json!({"type": "string", "nullable": true, "enum": ["a"]});
        convert_openapi(&mut v);
        assert_eq!(v["type"], serde_json::json!(["string", "null"]));
        assert_eq!(v["enum"], serde_json::json!(["a", null]));
    }

    #[test]
    fn integer_formats_become_ranges() {
        let mut v = serde_json::json!({
            "a": {"type": "integer", "format": "int32", "minimum": 1},
            "b": {"type": "integer", "format": "int64"},
            "c": {"type": ["integer", "null"], "format": "int32", "maximum": 1e12},
            "d": {"type": "string", "format": "int32"},
        });
        convert_openapi(&mut v);
        assert_eq!(v["a"]["minimum"], 1);
        assert_eq!(v["a"]["maximum"], i64::from(i32::MAX));
        assert_eq!(v["b"]["minimum"], i64::MIN);
        assert_eq!(v["b"]["maximum"], i64::MAX);
        assert_eq!(v["c"]["minimum"], i64::from(i32::MIN));
        assert_eq!(v["c"]["maximum"], i64::from(i32::MAX));
        assert!(v["d"].get("minimum").is_none());
    }

    #[test]
    fn percent_decoding() {
        let decode = |s| percent_encoding::percent_decode_str(s).decode_utf8_lossy();
        assert_eq!(decode("a%20b%zz"), "a b%zz");
    }

    #[test]
    fn embedded_document_compiles_and_routes() {
        let contract = Contract::shared().unwrap_or_else(|e| panic!("{e}"));
        // Every operation of the document (the generated `Operation::ALL`).
        assert_eq!(
            contract.operation_ids().len(),
            cloudflare_ssl::Operation::ALL.len()
        );
        match contract.route("GET", "/zones") {
            RouteMatch::Found(op, _) => assert_eq!(op.operation_id, "list_zones"),
            _ => panic!("zones route not found"),
        }
        match contract.route("POST", "/zones/abc/ssl/certificate_packs/order") {
            RouteMatch::Found(op, _) => assert_eq!(op.operation_id, "order_certificate_pack"),
            _ => panic!("order route not found"),
        }
        match contract.route("GET", "/zones/abc/ssl/certificate_packs/quota") {
            RouteMatch::Found(op, _) => assert_eq!(op.operation_id, "get_certificate_pack_quota"),
            _ => panic!("quota route not found"),
        }
        match contract.route("GET", "/zones/abc/ssl/certificate_packs/xyz") {
            RouteMatch::Found(op, params) => {
                assert_eq!(op.operation_id, "get_certificate_pack");
                assert_eq!(
                    params.get("certificate_pack_id").map(String::as_str),
                    Some("xyz")
                );
            }
            _ => panic!("get route not found"),
        }
        match contract.route("PUT", "/zones/abc/ssl/verification") {
            RouteMatch::MethodNotAllowed(allowed) => assert_eq!(allowed, ["GET"]),
            _ => panic!("PUT verification is not 405"),
        }
        match contract.route("TRACE", "/zones/abc/ssl/certificate_packs/quota") {
            RouteMatch::MethodNotAllowed(allowed) => assert_eq!(allowed, ["GET"]),
            _ => panic!("TRACE quota is not 405"),
        }
        match contract.route("PUT", "/zones/abc/ssl/certificate_packs/xyz") {
            RouteMatch::MethodNotAllowed(allowed) => {
                assert_eq!(allowed, ["GET", "DELETE", "PATCH"]);
            }
            _ => panic!("PUT pack is not 405"),
        }
        assert!(matches!(
            contract.route("GET", "/zones/abc/nothing"),
            RouteMatch::NotFound
        ));
    }
}
