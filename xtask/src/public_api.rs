//! The public-API listing: every public path of the crate with its kind and signature, one line
//! each, sorted, read from rustdoc's JSON output.
//!
//! `cargo xtask generate` writes it to [`LISTING_PATH`]; `cargo xtask check` compares and fails
//! with a diff when the crate's public API differs from the reviewed listing, so a breaking change
//! (a removed item, a changed signature, a field or variant gone, `#[non_exhaustive]` dropped, an
//! auto trait lost) is never merged unnoticed. There is no published release to compare with, so
//! the committed listing is the baseline.
//!
//! The JSON comes from `RUSTC_BOOTSTRAP=1 cargo rustdoc --lib -p cloudflare-ssl -- -Z
//! unstable-options --output-format json` (what cargo-semver-checks reads), parsed as plain
//! [`serde_json::Value`]: no crate matching the format version has to be kept in step with the
//! toolchain. The reader follows the public module tree from the crate root (so what a user can
//! name, re-exports included, generated types too) and lists:
//!
//! * modules, functions, constants, statics, type aliases, macros;
//! * structs with their public fields (and whether private fields exist), enums with their
//!   variants, either with `#[non_exhaustive]` when they have it;
//! * traits with their items, and implementations of the crate's traits;
//! * for each public type: its inherent methods and constants with signatures, every trait it
//!   implements (auto traits such as `Send` included, blanket implementations left out: they
//!   follow from the others) with associated types.
//!
//! Paths are the ones a user writes (`cloudflare_ssl::types::CertificatePack`); types inside
//! signatures are printed as the source writes them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::{diff, read_text, tasks, Error};

/// Where the reviewed listing lives, relative to the repository root.
pub const LISTING_PATH: &str = "tests/snapshots/public_api.txt";

/// The rustdoc JSON format version this reader was written against (rustdoc's own
/// `FORMAT_VERSION`). Another version is read all the same; a shape it does not know is printed
/// as `?`, which shows in the diff.
pub const FORMAT_VERSION: u64 = 57;

const HEADER: &str = "\
# The public API of cloudflare-ssl, one item per line, from rustdoc's JSON output.
# `cargo xtask generate` rewrites this file; `cargo xtask check` fails when it is stale.
# A removed or changed line is a breaking change: review it (see CONTRIBUTING.md).
";

/// The listing of the crate whose rustdoc JSON is `doc`: the header and one sorted line per item.
pub fn listing(doc: &Value) -> Result<String, Error> {
    let mut reader = Reader::new(doc)?;
    let root = reader.root;
    let crate_name = reader
        .item(root)
        .and_then(|i| i["name"].as_str())
        .ok_or_else(|| Error::Failed("rustdoc JSON: the root item has no name".to_owned()))?
        .to_owned();
    // First walk: where each item can be named publicly; second: the listing, using those names.
    let mut public: HashMap<u64, String> = HashMap::new();
    {
        let mut walk = Walk {
            reader: &reader,
            lines: &mut BTreeSet::new(),
            seen: HashSet::new(),
        };
        walk.module(root, &crate_name);
        for (id, path) in walk.seen {
            let shorter = |old: &String| {
                (path.matches("::").count(), &path) < (old.matches("::").count(), old)
            };
            match public.get(&id) {
                Some(old) if !shorter(old) => {}
                _ => {
                    public.insert(id, path);
                }
            }
        }
    }
    reader.public = public;
    let mut lines = BTreeSet::new();
    let mut walk = Walk {
        reader: &reader,
        lines: &mut lines,
        seen: HashSet::new(),
    };
    walk.module(root, &crate_name);
    let mut out = String::from(HEADER);
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// The listing read from a rustdoc JSON file.
pub fn listing_from_file(path: &Path) -> Result<String, Error> {
    let text = read_text(path)?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Io(format!("{}: not JSON: {e}", path.display())))?;
    listing(&doc)
}

/// Runs rustdoc with JSON output on the crate under `root` and returns the JSON file's path.
///
/// It builds in its own folder, `public-api/` of the target directory: `RUSTC_BOOTSTRAP` is part
/// of cargo's fingerprints, so in the shared one every `check` would rebuild the dependencies
/// twice (for rustdoc, then again for the snapshot suites).
pub fn rustdoc_json(root: &Path) -> Result<PathBuf, Error> {
    let output = tasks::cargo(root, "metadata --format-version 1 --no-deps")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Io(format!("running `cargo metadata`: {e}")))?;
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| Error::Io(format!("`cargo metadata` printed something else: {e}")))?;
    let target = metadata["target_directory"].as_str().ok_or_else(|| {
        Error::Io("`cargo metadata` did not report a target_directory".to_owned())
    })?;
    let target = Path::new(target).join("public-api");
    let status = tasks::cargo(root, "rustdoc --quiet --lib --package cloudflare-ssl")
        .env("RUSTC_BOOTSTRAP", "1")
        .arg("--target-dir")
        .arg(&target)
        .args("-- -Z unstable-options --output-format json".split(' '))
        .status()
        .map_err(|e| Error::Io(format!("running `cargo rustdoc`: {e}")))?;
    if !status.success() {
        return Err(Error::Failed(format!(
            "`cargo rustdoc --lib -p cloudflare-ssl --output-format json` failed ({status}): the \
             crate must build for the public-API listing; see the errors above"
        )));
    }
    Ok(target.join("doc").join("cloudflare_ssl.json"))
}

/// The listing of the crate under `root` as it is now (runs rustdoc).
pub fn current_listing(root: &Path) -> Result<String, Error> {
    listing_from_file(&rustdoc_json(root)?)
}

/// Lines removed and added between two listings (header comments ignored).
pub fn changes(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let items = |text: &str| -> BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with("# ") && !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (old, new) = (items(old), items(new));
    (
        old.difference(&new).cloned().collect(),
        new.difference(&old).cloned().collect(),
    )
}

/// `None` when `current` equals the committed listing `committed` (`None` if missing), otherwise
/// a readable report: the diff, how many items were removed or changed (breaking) and added, and
/// how to accept the change.
pub fn compare(committed: Option<&str>, current: &str) -> Option<String> {
    let Some(committed) = committed else {
        return Some(format!(
            "{LISTING_PATH} is missing: run `cargo xtask generate` and commit it"
        ));
    };
    if committed == current {
        return None;
    }
    let (removed, added) = changes(committed, current);
    let verdict = if removed.is_empty() {
        "additions only (not breaking)".to_owned()
    } else {
        format!(
            "{} removed or changed items: a BREAKING change unless each is intended",
            removed.len()
        )
    };
    Some(format!(
        "{LISTING_PATH} is stale: the public API changed ({verdict}; {} added):\n{}\nTo accept \
         the change after review: run `cargo xtask generate`, commit {LISTING_PATH}, and record a \
         breaking change in CHANGELOG.md.",
        added.len(),
        diff::unified(LISTING_PATH, committed, current)
    ))
}

struct Reader<'a> {
    index: &'a serde_json::Map<String, Value>,
    paths: &'a serde_json::Map<String, Value>,
    root: u64,
    /// The shortest public path of each local item reached from the root (a first walk fills
    /// it), used inside signatures: `cloudflare_ssl::Error`, not the private
    /// `cloudflare_ssl::error::Error` where it is defined.
    public: HashMap<u64, String>,
}

impl<'a> Reader<'a> {
    fn new(doc: &'a Value) -> Result<Self, Error> {
        let shape = |what: &str| Error::Failed(format!("rustdoc JSON has no {what}"));
        let index = doc["index"].as_object().ok_or_else(|| shape("index"))?;
        let paths = doc["paths"].as_object().ok_or_else(|| shape("paths"))?;
        let root = doc["root"].as_u64().ok_or_else(|| shape("root"))?;
        Ok(Reader {
            index,
            paths,
            root,
            public: HashMap::new(),
        })
    }

    fn item(&self, id: u64) -> Option<&'a Value> {
        self.index.get(&id.to_string())
    }

    /// The item's kind and its contents (`{"struct": {...}}` → `("struct", {...})`).
    fn inner(&self, id: u64) -> Option<(&'a str, &'a Value)> {
        let inner = self.item(id)?["inner"].as_object()?;
        inner.iter().next().map(|(k, v)| (k.as_str(), v))
    }

    /// The last segment of the canonical path of `id`, for paths rustdoc leaves empty.
    fn path_name(&self, id: &Value) -> String {
        let Some(id) = id.as_u64() else {
            return "?".to_owned();
        };
        self.paths
            .get(&id.to_string())
            .and_then(|p| p["path"].as_array())
            .and_then(|p| p.last())
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    }

    /// The canonical path of a local item (`cloudflare_ssl::types::Foo`), so a signature reads
    /// the same whatever the source imports.
    fn local_path(&self, id: &Value) -> Option<String> {
        let id = id.as_u64()?;
        if let Some(public) = self.public.get(&id) {
            return Some(public.clone());
        }
        let entry = self.paths.get(&id.to_string())?;
        if entry["crate_id"].as_u64() != Some(0) {
            return None;
        }
        let parts: Vec<&str> = list(&entry["path"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        Some(parts.join("::"))
    }

    fn ty(&self, t: &Value) -> String {
        let Some((kind, v)) = t.as_object().and_then(|o| o.iter().next()) else {
            return match t.as_str() {
                Some("infer") => "_".to_owned(),
                _ => "?".to_owned(),
            };
        };
        match kind.as_str() {
            "generic" | "primitive" => v.as_str().unwrap_or("?").to_owned(),
            "resolved_path" => self.path(v),
            "borrowed_ref" => {
                let lifetime = v["lifetime"]
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let mutable = if v["is_mutable"].as_bool() == Some(true) {
                    "mut "
                } else {
                    ""
                };
                format!("&{lifetime}{mutable}{}", self.ty(&v["type"]))
            }
            "raw_pointer" => {
                let m = if v["is_mutable"].as_bool() == Some(true) {
                    "mut"
                } else {
                    "const"
                };
                format!("*{m} {}", self.ty(&v["type"]))
            }
            "slice" => format!("[{}]", self.ty(v)),
            "array" => format!(
                "[{}; {}]",
                self.ty(&v["type"]),
                v["len"].as_str().unwrap_or("?")
            ),
            "pat" => self.ty(&v["type"]),
            "tuple" => {
                let items: Vec<String> = list(v).iter().map(|t| self.ty(t)).collect();
                if items.len() == 1 {
                    format!("({},)", items[0])
                } else {
                    format!("({})", items.join(", "))
                }
            }
            "impl_trait" => format!("impl {}", self.bounds(v)),
            "dyn_trait" => {
                let mut parts: Vec<String> = list(&v["traits"])
                    .iter()
                    .map(|p| {
                        format!(
                            "{}{}",
                            self.hrtb(&p["generic_params"]),
                            self.path(&p["trait"])
                        )
                    })
                    .collect();
                if let Some(l) = v["lifetime"].as_str() {
                    parts.push(l.to_owned());
                }
                format!("dyn {}", parts.join(" + "))
            }
            "function_pointer" => {
                let header = self.header(&v["header"]);
                format!(
                    "{}{header}fn{}",
                    self.hrtb(&v["generic_params"]),
                    self.sig(&v["sig"], false)
                )
            }
            "qualified_path" => {
                let self_type = self.ty(&v["self_type"]);
                let name = v["name"].as_str().unwrap_or("?");
                let args = self.args(&v["args"]);
                if v["trait"].is_null() {
                    format!("{self_type}::{name}{args}")
                } else {
                    format!("<{self_type} as {}>::{name}{args}", self.path(&v["trait"]))
                }
            }
            _ => "?".to_owned(),
        }
    }

    /// A path with its generic arguments (`Result<T, E>`).
    fn path(&self, p: &Value) -> String {
        let written = p["path"].as_str().unwrap_or("");
        let name = if let Some(local) = self.local_path(&p["id"]) {
            local
        } else if written.is_empty() {
            self.path_name(&p["id"])
        } else {
            written.trim_start_matches("::").to_owned()
        };
        format!("{name}{}", self.args(&p["args"]))
    }

    fn args(&self, a: &Value) -> String {
        if let Some(angle) = a.get("angle_bracketed") {
            let mut parts: Vec<String> = list(&angle["args"])
                .iter()
                .map(|arg| {
                    if let Some(l) = arg.get("lifetime").and_then(Value::as_str) {
                        l.to_owned()
                    } else if let Some(t) = arg.get("type") {
                        self.ty(t)
                    } else if let Some(c) = arg.get("const") {
                        c["expr"].as_str().unwrap_or("?").to_owned()
                    } else {
                        "_".to_owned()
                    }
                })
                .collect();
            for c in list(&angle["constraints"]) {
                let name = c["name"].as_str().unwrap_or("?");
                let binding = &c["binding"];
                if let Some(eq) = binding.get("equality") {
                    let value = eq
                        .get("type")
                        .map(|t| self.ty(t))
                        .unwrap_or_else(|| "?".to_owned());
                    parts.push(format!("{name} = {value}"));
                } else if let Some(bounds) = binding.get("constraint") {
                    parts.push(format!("{name}: {}", self.bounds(bounds)));
                }
            }
            if parts.is_empty() {
                String::new()
            } else {
                format!("<{}>", parts.join(", "))
            }
        } else if let Some(paren) = a.get("parenthesized") {
            let inputs: Vec<String> = list(&paren["inputs"]).iter().map(|t| self.ty(t)).collect();
            let output = if paren["output"].is_null() {
                String::new()
            } else {
                format!(" -> {}", self.ty(&paren["output"]))
            };
            format!("({}){output}", inputs.join(", "))
        } else {
            String::new()
        }
    }

    fn bounds(&self, bounds: &Value) -> String {
        let parts: Vec<String> = list(bounds)
            .iter()
            .map(|b| {
                if let Some(t) = b.get("trait_bound") {
                    let modifier = match t["modifier"].as_str() {
                        Some("maybe") => "?",
                        Some("maybe_const") => "~const ",
                        _ => "",
                    };
                    format!(
                        "{}{modifier}{}",
                        self.hrtb(&t["generic_params"]),
                        self.path(&t["trait"])
                    )
                } else if let Some(l) = b.get("outlives").and_then(Value::as_str) {
                    l.to_owned()
                } else if let Some(uses) = b.get("use") {
                    let names: Vec<String> = list(uses)
                        .iter()
                        .map(|u| {
                            u.as_str()
                                .or_else(|| u.get("lifetime").and_then(Value::as_str))
                                .or_else(|| u.get("param").and_then(Value::as_str))
                                .unwrap_or("?")
                                .to_owned()
                        })
                        .collect();
                    format!("use<{}>", names.join(", "))
                } else {
                    "?".to_owned()
                }
            })
            .collect();
        parts.join(" + ")
    }

    /// `for<'a> ` for higher-ranked parameters, or nothing.
    fn hrtb(&self, params: &Value) -> String {
        let names: Vec<&str> = list(params)
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        if names.is_empty() {
            String::new()
        } else {
            format!("for<{}> ", names.join(", "))
        }
    }

    /// `<T: Bound, 'a>`, leaving out the parameters rustdoc invents for `impl Trait` arguments.
    fn generic_params(&self, generics: &Value) -> String {
        let parts: Vec<String> = list(&generics["params"])
            .iter()
            .filter_map(|p| {
                let name = p["name"].as_str().unwrap_or("?");
                let kind = &p["kind"];
                if let Some(t) = kind.get("type") {
                    if t["is_synthetic"].as_bool() == Some(true) {
                        return None;
                    }
                    let mut s = name.to_owned();
                    if !list(&t["bounds"]).is_empty() {
                        s.push_str(&format!(": {}", self.bounds(&t["bounds"])));
                    }
                    if !t["default"].is_null() {
                        s.push_str(&format!(" = {}", self.ty(&t["default"])));
                    }
                    Some(s)
                } else if let Some(l) = kind.get("lifetime") {
                    let outlives: Vec<&str> = list(&l["outlives"])
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    Some(if outlives.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{name}: {}", outlives.join(" + "))
                    })
                } else if let Some(c) = kind.get("const") {
                    Some(format!("const {name}: {}", self.ty(&c["type"])))
                } else {
                    Some(name.to_owned())
                }
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    }

    fn where_clause(&self, generics: &Value) -> String {
        let parts: Vec<String> = list(&generics["where_predicates"])
            .iter()
            .map(|w| {
                if let Some(b) = w.get("bound_predicate") {
                    format!(
                        "{}{}: {}",
                        self.hrtb(&b["generic_params"]),
                        self.ty(&b["type"]),
                        self.bounds(&b["bounds"])
                    )
                } else if let Some(l) = w.get("lifetime_predicate") {
                    let outlives: Vec<&str> = list(&l["outlives"])
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    format!(
                        "{}: {}",
                        l["lifetime"].as_str().unwrap_or("?"),
                        outlives.join(" + ")
                    )
                } else if let Some(e) = w.get("eq_predicate") {
                    let rhs = e["rhs"]
                        .get("type")
                        .map(|t| self.ty(t))
                        .unwrap_or_else(|| "?".to_owned());
                    format!("{} = {rhs}", self.ty(&e["lhs"]))
                } else {
                    "?".to_owned()
                }
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" where {}", parts.join(", "))
        }
    }

    fn header(&self, h: &Value) -> String {
        let mut out = String::new();
        for (key, word) in [
            ("is_const", "const "),
            ("is_async", "async "),
            ("is_unsafe", "unsafe "),
        ] {
            if h[key].as_bool() == Some(true) {
                out.push_str(word);
            }
        }
        match &h["abi"] {
            Value::String(s) if s == "Rust" => {}
            Value::Null => {}
            other => out.push_str(&format!("extern {} ", abi_name(other))),
        }
        out
    }

    /// `(a: A, b: B) -> R`; with `names` false, the argument names are left out.
    fn sig(&self, sig: &Value, names: bool) -> String {
        let inputs: Vec<String> = list(&sig["inputs"])
            .iter()
            .map(|pair| {
                let name = pair[0].as_str().unwrap_or("_");
                let ty = &pair[1];
                let rendered = self.ty(ty);
                match (name, rendered.as_str()) {
                    ("self", "Self") => "self".to_owned(),
                    ("self", "&Self") => "&self".to_owned(),
                    ("self", "&mut Self") => "&mut self".to_owned(),
                    _ if names => format!("{name}: {rendered}"),
                    _ => rendered,
                }
            })
            .collect();
        let output = if sig["output"].is_null() {
            String::new()
        } else {
            format!(" -> {}", self.ty(&sig["output"]))
        };
        format!("({}){output}", inputs.join(", "))
    }

    fn function(&self, path: &str, f: &Value) -> String {
        format!(
            "pub {}fn {path}{}{}{}",
            self.header(&f["header"]),
            self.generic_params(&f["generics"]),
            self.sig(&f["sig"], true),
            self.where_clause(&f["generics"])
        )
    }

    fn impl_header(&self, imp: &Value) -> String {
        let negative = if imp["is_negative"].as_bool() == Some(true) {
            "!"
        } else {
            ""
        };
        let unsafety = if imp["is_unsafe"].as_bool() == Some(true) {
            "unsafe "
        } else {
            ""
        };
        format!(
            "{unsafety}impl{} {negative}{} for {}{}",
            self.generic_params(&imp["generics"]),
            self.path(&imp["trait"]),
            self.ty(&imp["for"]),
            self.where_clause(&imp["generics"])
        )
    }
}

fn abi_name(abi: &Value) -> String {
    match abi {
        Value::String(s) => format!("{s:?}"),
        Value::Object(o) => o
            .keys()
            .next()
            .map(|k| format!("{k:?}"))
            .unwrap_or_default(),
        _ => "?".to_owned(),
    }
}

/// The array in `v`, or an empty slice.
fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn ids(v: &Value) -> impl Iterator<Item = u64> + '_ {
    list(v).iter().filter_map(Value::as_u64)
}

fn non_exhaustive(item: &Value) -> &'static str {
    let yes = list(&item["attrs"])
        .iter()
        .any(|a| a.as_str() == Some("non_exhaustive"));
    if yes {
        "#[non_exhaustive] "
    } else {
        ""
    }
}

struct Walk<'r, 'a> {
    reader: &'r Reader<'a>,
    lines: &'r mut BTreeSet<String>,
    /// (item, path) pairs already listed: a module re-exported into itself ends here.
    seen: HashSet<(u64, String)>,
}

impl Walk<'_, '_> {
    fn module(&mut self, id: u64, path: &str) {
        let Some((_, module)) = self.reader.inner(id) else {
            return;
        };
        for child in ids(&module["items"]) {
            self.child(child, path);
        }
    }

    /// An item of the module at `path` (a `use` lists what it names, under its new name).
    fn child(&mut self, id: u64, path: &str) {
        let r = self.reader;
        let Some(item) = r.item(id) else {
            return;
        };
        if item["visibility"].as_str() != Some("public") {
            return;
        }
        let Some((kind, inner)) = r.inner(id) else {
            return;
        };
        if kind == "use" {
            let target = inner["id"].as_u64();
            let name = inner["name"].as_str().unwrap_or("?");
            let glob = inner["is_glob"].as_bool() == Some(true);
            match target {
                Some(target) if glob && r.item(target).is_some() => self.module(target, path),
                Some(target) if r.item(target).is_some() => {
                    self.item(target, &format!("{path}::{name}"))
                }
                _ => {
                    let source = inner["source"].as_str().unwrap_or("?");
                    let what = if glob {
                        format!("{source}::*")
                    } else {
                        source.to_owned()
                    };
                    self.lines
                        .insert(format!("pub use {path}::{name} = {what}"));
                }
            }
            return;
        }
        let Some(name) = item["name"].as_str() else {
            return;
        };
        self.item(id, &format!("{path}::{name}"));
    }

    /// Lists the item `id` at `path` (and what it contains).
    fn item(&mut self, id: u64, path: &str) {
        if !self.seen.insert((id, path.to_owned())) {
            return;
        }
        let r = self.reader;
        let (Some(item), Some((kind, inner))) = (r.item(id), r.inner(id)) else {
            return;
        };
        let attrs = non_exhaustive(item);
        match kind {
            "module" => {
                self.lines.insert(format!("pub mod {path}"));
                self.module(id, path);
            }
            "function" => {
                self.lines.insert(r.function(path, inner));
            }
            "constant" => {
                self.lines
                    .insert(format!("pub const {path}: {}", r.ty(&inner["type"])));
            }
            "static" => {
                let m = if inner["is_mutable"].as_bool() == Some(true) {
                    "mut "
                } else {
                    ""
                };
                self.lines
                    .insert(format!("pub static {m}{path}: {}", r.ty(&inner["type"])));
            }
            "type_alias" => {
                self.lines.insert(format!(
                    "pub type {path}{} = {}",
                    r.generic_params(&inner["generics"]),
                    r.ty(&inner["type"])
                ));
            }
            "macro" | "proc_macro" => {
                self.lines.insert(format!("pub macro {path}!"));
            }
            "struct" | "union" => {
                let generics = r.generic_params(&inner["generics"]);
                let wc = r.where_clause(&inner["generics"]);
                let k = &inner["kind"];
                let shape = if k.as_str() == Some("unit") {
                    ";".to_owned()
                } else if let Some(fields) = k.get("tuple") {
                    let fields: Vec<String> = list(fields)
                        .iter()
                        .map(|f| match f.as_u64() {
                            Some(f) => match r.inner(f) {
                                Some((_, t)) => format!("pub {}", r.ty(t)),
                                None => "_".to_owned(),
                            },
                            None => "_".to_owned(),
                        })
                        .collect();
                    format!("({})", fields.join(", "))
                } else {
                    let plain = k.get("plain").unwrap_or(inner);
                    let fields: Vec<u64> = ids(&plain["fields"]).collect();
                    self.fields(path, &fields);
                    if plain["has_stripped_fields"].as_bool() == Some(true) {
                        " { private fields }".to_owned()
                    } else {
                        String::new()
                    }
                };
                self.lines
                    .insert(format!("{attrs}pub {kind} {path}{generics}{wc}{shape}"));
                self.impls(&inner["impls"]);
            }
            "enum" => {
                self.lines.insert(format!(
                    "{attrs}pub enum {path}{}{}",
                    r.generic_params(&inner["generics"]),
                    r.where_clause(&inner["generics"])
                ));
                for v in ids(&inner["variants"]) {
                    self.variant(v, path);
                }
                self.impls(&inner["impls"]);
            }
            "trait" => {
                let unsafety = if inner["is_unsafe"].as_bool() == Some(true) {
                    "unsafe "
                } else {
                    ""
                };
                let bounds = if list(&inner["bounds"]).is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.bounds(&inner["bounds"]))
                };
                self.lines.insert(format!(
                    "pub {unsafety}trait {path}{}{bounds}{}",
                    r.generic_params(&inner["generics"]),
                    r.where_clause(&inner["generics"])
                ));
                for member in ids(&inner["items"]) {
                    self.assoc(member, path, true);
                }
                for imp in ids(&inner["implementations"]) {
                    self.impl_block(imp);
                }
            }
            _ => {}
        }
    }

    fn fields(&mut self, path: &str, fields: &[u64]) {
        let r = self.reader;
        for &f in fields {
            let Some(field) = r.item(f) else {
                continue;
            };
            if field["visibility"].as_str() != Some("public") {
                continue;
            }
            if let (Some(name), Some((_, t))) = (field["name"].as_str(), r.inner(f)) {
                self.lines
                    .insert(format!("pub {path}::{name}: {}", r.ty(t)));
            }
        }
    }

    fn variant(&mut self, id: u64, enum_path: &str) {
        let r = self.reader;
        let (Some(item), Some((_, inner))) = (r.item(id), r.inner(id)) else {
            return;
        };
        let name = item["name"].as_str().unwrap_or("?");
        let path = format!("{enum_path}::{name}");
        let attrs = non_exhaustive(item);
        let k = &inner["kind"];
        let shape = if let Some(fields) = k.get("tuple") {
            let fields: Vec<String> = list(fields)
                .iter()
                .map(|f| match f.as_u64().and_then(|f| r.inner(f)) {
                    Some((_, t)) => r.ty(t),
                    None => "_".to_owned(),
                })
                .collect();
            format!("({})", fields.join(", "))
        } else if let Some(s) = k.get("struct") {
            let fields: Vec<u64> = ids(&s["fields"]).collect();
            self.fields(&path, &fields);
            if s["has_stripped_fields"].as_bool() == Some(true) {
                " { private fields }".to_owned()
            } else {
                " { .. }".to_owned()
            }
        } else {
            String::new()
        };
        let discriminant = inner["discriminant"]["expr"]
            .as_str()
            .map(|d| format!(" = {d}"))
            .unwrap_or_default();
        self.lines
            .insert(format!("{attrs}pub variant {path}{shape}{discriminant}"));
    }

    fn impls(&mut self, impls: &Value) {
        for imp in ids(impls) {
            self.impl_block(imp);
        }
    }

    /// An implementation: inherent ones list their public members under the type's path, trait
    /// ones their header (with associated types). Blanket implementations are left out.
    fn impl_block(&mut self, id: u64) {
        let r = self.reader;
        let Some(("impl", imp)) = r.inner(id) else {
            return;
        };
        if !imp["blanket_impl"].is_null() {
            return;
        }
        // Unstable or compiler-internal traits no user can name or rely on.
        let trait_name = r.path_name(&imp["trait"]["id"]);
        if r.local_path(&imp["trait"]["id"]).is_none()
            && ["Freeze", "UnsafeUnpin", "StructuralPartialEq"].contains(&trait_name.as_str())
        {
            return;
        }
        if imp["trait"].is_null() {
            // Inherent members are listed under the type's path (without generic arguments).
            let owner = r.ty(&imp["for"]);
            let owner = owner.split('<').next().unwrap_or(&owner).to_owned();
            for member in ids(&imp["items"]) {
                self.assoc(member, &owner, false);
            }
            return;
        }
        let mut line = r.impl_header(imp);
        let mut assoc: Vec<String> = ids(&imp["items"])
            .filter_map(|m| match r.inner(m) {
                Some(("assoc_type", t)) => r
                    .item(m)
                    .and_then(|i| i["name"].as_str())
                    .map(|n| format!("type {n} = {}", r.ty(&t["type"]))),
                _ => None,
            })
            .collect();
        assoc.sort();
        if !assoc.is_empty() {
            line.push_str(&format!(" {{ {} }}", assoc.join("; ")));
        }
        self.lines.insert(line);
    }

    /// A method, associated constant or type of a trait (`in_trait`) or inherent impl.
    fn assoc(&mut self, id: u64, owner: &str, in_trait: bool) {
        let r = self.reader;
        let (Some(item), Some((kind, inner))) = (r.item(id), r.inner(id)) else {
            return;
        };
        if !in_trait && item["visibility"].as_str() != Some("public") {
            return;
        }
        let Some(name) = item["name"].as_str() else {
            return;
        };
        let path = format!("{owner}::{name}");
        let line = match kind {
            "function" => {
                let f = r.function(&path, inner);
                if in_trait && inner["has_body"].as_bool() == Some(true) {
                    format!("{f} {{ provided }}")
                } else {
                    f
                }
            }
            "assoc_const" => format!("pub const {path}: {}", r.ty(&inner["type"])),
            "assoc_type" => {
                let bounds = if list(&inner["bounds"]).is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.bounds(&inner["bounds"]))
                };
                let default = if inner["type"].is_null() {
                    String::new()
                } else {
                    format!(" = {}", r.ty(&inner["type"]))
                };
                format!("pub type {path}{bounds}{default}")
            }
            _ => return,
        };
        self.lines.insert(line);
    }
}

/// Compares the committed listing under `root` with `current`; see [`compare`].
pub fn check(root: &Path, current: &str) -> Result<Option<String>, Error> {
    let path = root.join(LISTING_PATH);
    let committed = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("reading", &path, e)),
    };
    Ok(compare(committed.as_deref(), current))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A crate `demo` with a module, a `#[non_exhaustive]` struct with a public and a private
    /// field, an enum, an inherent method, a trait impl, an auto-trait impl, a blanket impl and a
    /// re-export.
    fn demo() -> Value {
        let path = |p: &str, id: u64| json!({"resolved_path": {"path": p, "id": id, "args": null}});
        let string = path("String", 90);
        let mut doc = json!({
            "root": 0, "format_version": 57,
            "paths": {
                "2": {"crate_id": 0, "path": ["demo", "types", "Pack"], "kind": "struct"},
                "90": {"crate_id": 1, "path": ["alloc", "string", "String"], "kind": "struct"}
            },
            "index": {}
        });
        let index = doc["index"].as_object_mut().unwrap();
        index.insert(
            "0".to_owned(),
            json!({"name": "demo", "visibility": "public", "attrs": [],
                      "inner": {"module": {"items": [1, 10, 20]}}}),
        );
        index.insert(
            "1".to_owned(),
            json!({"name": "types", "visibility": "public", "attrs": [],
                      "inner": {"module": {"items": [2, 5]}}}),
        );
        index.insert("2".to_owned(), json!({"name": "Pack", "visibility": "public", "attrs": ["non_exhaustive"],
                      "inner": {"struct": {"kind": {"plain": {"fields": [3, 4], "has_stripped_fields": true}},
                                           "generics": {"params": [], "where_predicates": []},
                                           "impls": [6, 7, 8, 9]}}}));
        index.insert("3".to_owned(), json!({"name": "id", "visibility": "public", "attrs": [], "inner": {"struct_field": string}}));
        index.insert("4".to_owned(), json!({"name": "secret", "visibility": "default", "attrs": [], "inner": {"struct_field": string}}));
        index.insert(
            "5".to_owned(),
            json!({"name": "Status", "visibility": "public", "attrs": [],
                      "inner": {"enum": {"generics": {"params": [], "where_predicates": []},
                                         "variants": [11, 12], "impls": []}}}),
        );
        index.insert(
            "11".to_owned(),
            json!({"name": "Active", "visibility": "default", "attrs": [],
                       "inner": {"variant": {"kind": "plain", "discriminant": null}}}),
        );
        index.insert(
            "12".to_owned(),
            json!({"name": "Unknown", "visibility": "default", "attrs": [],
                       "inner": {"variant": {"kind": {"tuple": [13]}, "discriminant": null}}}),
        );
        index.insert("13".to_owned(), json!({"name": "0", "visibility": "default", "attrs": [], "inner": {"struct_field": string}}));
        index.insert("6".to_owned(), json!({"name": null, "visibility": "default", "attrs": [],
                      "inner": {"impl": {"trait": null, "for": path("Pack", 2), "items": [14],
                                         "generics": {"params": [], "where_predicates": []},
                                         "blanket_impl": null, "is_negative": false, "is_unsafe": false}}}));
        index.insert("14".to_owned(), json!({"name": "name", "visibility": "public", "attrs": [],
                       "inner": {"function": {"sig": {"inputs": [["self", {"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"generic": "Self"}}}],
                                                                 ["prefix", {"impl_trait": [{"trait_bound": {"trait": {"path": "AsRef", "id": 91, "args": {"angle_bracketed": {"args": [{"type": {"primitive": "str"}}], "constraints": []}}}, "generic_params": [], "modifier": "none"}}]}]],
                                                      "output": {"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"primitive": "str"}}}},
                                              "generics": {"params": [{"name": "impl AsRef<str>", "kind": {"type": {"bounds": [], "default": null, "is_synthetic": true}}}], "where_predicates": []},
                                              "header": {"is_const": false, "is_async": true, "is_unsafe": false, "abi": "Rust"},
                                              "has_body": true}}}));
        index.insert("7".to_owned(), json!({"name": null, "visibility": "default", "attrs": [],
                      "inner": {"impl": {"trait": {"path": "Clone", "id": 92, "args": null}, "for": path("Pack", 2), "items": [],
                                         "generics": {"params": [], "where_predicates": []},
                                         "blanket_impl": null, "is_negative": false, "is_unsafe": false, "is_synthetic": false}}}));
        index.insert("8".to_owned(), json!({"name": null, "visibility": "default", "attrs": [],
                      "inner": {"impl": {"trait": {"path": "Send", "id": 93, "args": null}, "for": path("Pack", 2), "items": [],
                                         "generics": {"params": [], "where_predicates": []},
                                         "blanket_impl": null, "is_negative": false, "is_unsafe": false, "is_synthetic": true}}}));
        index.insert("9".to_owned(), json!({"name": null, "visibility": "default", "attrs": [],
                      "inner": {"impl": {"trait": {"path": "Into", "id": 94, "args": null}, "for": {"generic": "T"}, "items": [],
                                         "generics": {"params": [], "where_predicates": []},
                                         "blanket_impl": {"generic": "T"}, "is_negative": false, "is_unsafe": false}}}));
        index.insert("10".to_owned(), json!({"name": null, "visibility": "public", "attrs": [],
                       "inner": {"use": {"source": "types::Pack", "name": "Pack", "id": 2, "is_glob": false}}}));
        index.insert(
            "20".to_owned(),
            json!({"name": "hidden", "visibility": "default", "attrs": [],
                       "inner": {"function": {"sig": {"inputs": [], "output": null},
                                              "generics": {"params": [], "where_predicates": []},
                                              "header": {}, "has_body": true}}}),
        );
        doc
    }

    fn items(listing: &str) -> Vec<&str> {
        listing.lines().filter(|l| !l.starts_with("# ")).collect()
    }

    #[test]
    fn lists_public_paths_with_kind_and_signature_sorted() {
        let out = listing(&demo()).unwrap();
        assert_eq!(
            items(&out),
            [
                "#[non_exhaustive] pub struct demo::Pack { private fields }",
                "#[non_exhaustive] pub struct demo::types::Pack { private fields }",
                "impl Clone for demo::Pack",
                "impl Send for demo::Pack",
                "pub async fn demo::Pack::name(&self, prefix: impl AsRef<str>) -> &str",
                "pub demo::Pack::id: String",
                "pub demo::types::Pack::id: String",
                "pub enum demo::types::Status",
                "pub mod demo::types",
                "pub variant demo::types::Status::Active",
                "pub variant demo::types::Status::Unknown(String)",
            ]
        );
        assert!(out.starts_with(HEADER));
        // Deterministic: the same JSON gives the same text.
        assert_eq!(out, listing(&demo()).unwrap());
    }

    #[test]
    fn a_removed_field_is_reported_as_breaking_with_a_diff_and_how_to_accept_it() {
        let before = listing(&demo()).unwrap();
        let mut doc = demo();
        doc["index"]["2"]["inner"]["struct"]["kind"]["plain"]["fields"] = json!([4]);
        let after = listing(&doc).unwrap();
        let report = compare(Some(&before), &after).unwrap();
        assert!(
            report.contains("2 removed or changed items: a BREAKING change"),
            "{report}"
        );
        assert!(
            report.contains("\n-pub demo::types::Pack::id: String\n"),
            "{report}"
        );
        assert!(
            report.contains("run `cargo xtask generate`, commit"),
            "{report}"
        );
        assert_eq!(compare(Some(&after), &after), None);
        // The other way round it is an addition.
        let report = compare(Some(&after), &before).unwrap();
        assert!(
            report.contains("additions only (not breaking); 2 added"),
            "{report}"
        );
        assert!(compare(None, &after).unwrap().contains("is missing"));
    }

    #[test]
    fn dropping_non_exhaustive_changes_the_line() {
        let before = listing(&demo()).unwrap();
        let mut doc = demo();
        doc["index"]["2"]["attrs"] = json!([]);
        let (removed, added) = changes(&before, &listing(&doc).unwrap());
        assert!(removed.contains(
            &"#[non_exhaustive] pub struct demo::types::Pack { private fields }".to_owned()
        ));
        assert!(added.contains(&"pub struct demo::types::Pack { private fields }".to_owned()));
    }
}
