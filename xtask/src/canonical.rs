//! The canonical form of the curated document: what `serde_norway` 0.9 emits for it (key order
//! kept; indentation, quoting, wrapping and block scalars normalised), plus single quotes around
//! the plain scalars a YAML 1.1 parser reads as something other than a string (`2026-12-05` as a
//! timestamp, `on`/`yes` as booleans, `1_000` or `1:30` as numbers), so js-yaml, PyYAML and
//! other YAML 1.1 tools read the same document.
//!
//! Why a pass of our own: serde_norway follows YAML 1.2, cannot choose a scalar's style, and
//! leaves those plain (checked with 0.9.42; it quotes only what YAML 1.2 reads otherwise, such
//! as `null` or `0x1F`); no other YAML emitter is in the tree, and every `x-since` date is such
//! a scalar. So such strings are emitted as stand-ins serde_norway has to quote (digits with a
//! leading zero), which are then replaced by the quoted strings: serde_norway still lays out
//! everything. `check` compares the file with its canonical form byte for byte.

use std::path::Path;
use std::sync::OnceLock;

use regex::{Captures, Regex};
use serde_norway::Value;

use crate::Error;

/// What a stand-in starts with, before the string's index: digits after a `0`, which serde_norway
/// quotes (YAML 1.2 would read them as a number otherwise).
const STAND_IN: &str = "0314159265";

/// The canonical form of `text` (the contents of `path`, named in errors).
///
/// Fails when the text is not YAML, or (a safety net) when the canonical text would not parse
/// back to the same value.
pub fn canonicalize(path: &Path, text: &str) -> Result<String, Error> {
    let value = parse(path, text)?;
    let mut quoted = Vec::new();
    let emitted = serde_norway::to_string(&stand_ins(value.clone(), &mut quoted))
        .map_err(|e| Error::Io(format!("{}: cannot re-emit as YAML: {e}", path.display())))?;
    let pattern = Regex::new(&format!("'{STAND_IN}([0-9]+)'"))
        .unwrap_or_else(|e| panic!("a fixed regex: {e}"));
    let canonical = pattern.replace_all(&emitted, |c: &Captures<'_>| {
        let original = c[1].parse::<usize>().ok().and_then(|i| quoted.get(i));
        original.map_or_else(
            || c[0].to_owned(),
            |s| format!("'{}'", s.replace('\'', "''")),
        )
    });
    if parse(path, &canonical)? != value {
        return Err(Error::Io(format!(
            "{}: the canonical YAML does not parse back to the same document (a bug in \
             xtask/src/canonical.rs or serde_norway)",
            path.display()
        )));
    }
    Ok(canonical.into_owned())
}

/// `value` with every string (key or value) that YAML 1.1 reads as a non-string replaced by a
/// stand-in, in document order; the strings are pushed onto `quoted`. A string with a tab is
/// left alone: serde_norway double-quotes it already.
fn stand_ins(value: Value, quoted: &mut Vec<String>) -> Value {
    match value {
        Value::String(s) if is_yaml11_non_string(&s) && !s.contains('\t') => {
            quoted.push(s);
            Value::String(format!("{STAND_IN}{}", quoted.len() - 1))
        }
        Value::Sequence(items) => {
            Value::Sequence(items.into_iter().map(|v| stand_ins(v, quoted)).collect())
        }
        Value::Mapping(map) => Value::Mapping(
            map.into_iter()
                .map(|(k, v)| (stand_ins(k, quoted), stand_ins(v, quoted)))
                .collect(),
        ),
        other => other,
    }
}

/// Parses YAML, naming the file and the line and column of a syntax error.
pub fn parse(path: &Path, text: &str) -> Result<serde_norway::Value, Error> {
    serde_norway::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        Error::Io(format!("{}: invalid YAML{at}: {e}", path.display()))
    })
}

/// Whether a plain scalar means something other than a string to a YAML 1.1 parser: the YAML 1.1
/// type repository's bool, int, timestamp, null, merge and value patterns, and PyYAML's float
/// pattern (the spec's own would make a version such as `3.0.3` a float, which no parser does).
pub fn is_yaml11_non_string(scalar: &str) -> bool {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        let alternatives = [
            // bool
            r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            // null, merge key, value key
            r"~|null|Null|NULL|<<|=",
            // int: binary, octal, decimal, hexadecimal, sexagesimal
            r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            // float
            r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?",
            r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
            r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            // timestamp
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
            r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*Z|[-+][0-9]{1,2}(?::[0-9]{2})?)?",
        ];
        let joined = alternatives.join("|");
        Regex::new(&format!("^(?:{joined})$")).unwrap_or_else(|e| panic!("a fixed regex: {e}"))
    });
    pattern.is_match(scalar)
}
