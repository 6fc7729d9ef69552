//! The curated OpenAPI document compiled into request routing and JSON Schema validators.
//!
//! The mock never hard-codes the contract: routes, parameters, request bodies and response bodies
//! all come from [`cloudflare_ssl::OPENAPI_JSON`]. OpenAPI 3.0 schemas are turned into JSON Schema (draft
//! 2020-12) before compilation: `nullable: true` becomes a `type` array that includes `"null"`.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value};

/// One problem found while validating a JSON value against a schema of the curated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer (RFC 6901) to the offending value; `""` is the whole document.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
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
    /// The path exists, but not with this method.
    MethodNotAllowed,
    /// No path template matches.
    NotFound,
}

/// The curated OpenAPI document, compiled: routes and validators for every operation.
///
/// Obtain the shared instance with [`Contract::shared`]. Tests use
/// [`Contract::validate_response`] to check that a response body conforms to the document.
pub struct Contract {
    operations: Vec<OperationSpec>,
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
        let mut doc: Value =
            serde_json::from_str(text).map_err(|e| format!("OpenAPI document is not JSON: {e}"))?;
        convert_nullable(&mut doc);
        let components = doc
            .get("components")
            .and_then(|c| c.get("schemas"))
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let compiler = Compiler {
            doc: &doc,
            schemas: components,
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
        Ok(Contract { operations })
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
            return Err(vec![Violation {
                pointer: String::new(),
                message: format!("unknown operation `{operation_id}`"),
            }]);
        };
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let validator = [exact.as_str(), range.as_str(), "default"]
            .iter()
            .find_map(|key| {
                op.responses
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            });
        match validator {
            Some(v) => check(v, body),
            None => Err(vec![Violation {
                pointer: String::new(),
                message: format!("status {status} is not documented for `{operation_id}`"),
            }]),
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
        match candidates
            .into_iter()
            .find(|(op, _, _)| op.method.eq_ignore_ascii_case(method))
        {
            Some((op, _, params)) => RouteMatch::Found(op, params),
            None => RouteMatch::MethodNotAllowed,
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
                })
                .collect()
        })
    }
}

impl BodySpec {
    pub(crate) fn validate(&self, value: &Value) -> Result<(), Vec<Violation>> {
        check(&self.validator, value)
    }
}

fn check(validator: &Validator, value: &Value) -> Result<(), Vec<Violation>> {
    let violations: Vec<Violation> = validator
        .iter_errors(value)
        .map(|e| {
            let mut pointer = e.instance_path().as_str().to_owned();
            if let ValidationErrorKind::Required { property } = e.kind() {
                if let Some(name) = property.as_str() {
                    pointer.push('/');
                    pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
                }
            }
            Violation {
                pointer,
                message: e.to_string(),
            }
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

fn match_segments(
    segments: &[Segment],
    parts: &[&str],
) -> Option<(usize, BTreeMap<String, String>)> {
    if segments.len() != parts.len() {
        return None;
    }
    let mut literals = 0;
    let mut params = BTreeMap::new();
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(l) if l == part => literals += 1,
            Segment::Literal(_) => return None,
            Segment::Param(_) if part.is_empty() => return None,
            Segment::Param(name) => {
                params.insert(name.clone(), percent_decode(part));
            }
        }
    }
    Some((literals, params))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or_default();
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Rewrites OpenAPI 3.0 `nullable: true` into JSON Schema: `type: T` becomes `type: [T, "null"]`
/// and an `enum` gains `null`. A schema without `type` already accepts `null`.
fn convert_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert(
                        "type".into(),
                        Value::Array(vec![Value::String(t), Value::String("null".into())]),
                    );
                }
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    if !values.contains(&Value::Null) {
                        values.push(Value::Null);
                    }
                }
            }
            for v in map.values_mut() {
                convert_nullable(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}

struct Compiler<'a> {
    doc: &'a Value,
    schemas: Value,
}

impl<'a> Compiler<'a> {
    /// Follows a local `$ref` (`#/components/...`) of a non-schema object, a few levels deep.
    fn resolve(&self, mut value: &'a Value) -> &'a Value {
        for _ in 0..8 {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return value;
            };
            match reference
                .strip_prefix('#')
                .and_then(|pointer| self.doc.pointer(pointer))
            {
                Some(target) => value = target,
                None => return value,
            }
        }
        value
    }

    fn compile(&self, schema: &Value, what: &str) -> Result<Validator, String> {
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            Value::Bool(true) => Map::new(),
            other => return Err(format!("{what}: schema is not an object: {other}")),
        };
        root.insert(
            "components".into(),
            serde_json::json!({ "schemas": self.schemas }),
        );
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
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

    #[test]
    fn nullable_becomes_type_array() {
        let mut v = serde_json::json!({"type": "string", "nullable": true, "enum": ["a"]});
        convert_nullable(&mut v);
        assert_eq!(v["type"], serde_json::json!(["string", "null"]));
        assert_eq!(v["enum"], serde_json::json!(["a", null]));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%zz"), "a b%zz");
    }

    #[test]
    fn embedded_document_compiles_and_routes() {
        let contract = Contract::shared().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(contract.operation_ids().len(), 14);
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
        assert!(matches!(
            contract.route("PUT", "/zones/abc/ssl/verification"),
            RouteMatch::MethodNotAllowed
        ));
        assert!(matches!(
            contract.route("GET", "/zones/abc/nothing"),
            RouteMatch::NotFound
        ));
    }
}
