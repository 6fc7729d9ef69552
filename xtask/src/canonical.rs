//! The canonical form of the curated document: what `serde_norway` 0.9 emits for it (key order
//! kept; indentation, quoting, wrapping and block scalars normalised), plus single quotes around
//! the plain scalars a YAML 1.1 parser reads as something other than a string (`2026-12-05` as a
//! timestamp, `on`/`yes` as booleans, `1_000` or `1:30` as numbers), so js-yaml, PyYAML and
//! other YAML 1.1 tools read the same document.
//!
//! Why a pass of our own: serde_norway follows YAML 1.2, cannot choose a scalar's style, and
//! leaves those plain (checked with 0.9.42; it quotes only what YAML 1.2 reads otherwise, such
//! as `null` or `0x1F`); no other YAML emitter is in the tree, and every `x-since` date is such
//! a scalar. `check` compares the file with its canonical form byte for byte.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use crate::Error;

/// The canonical form of `text` (the contents of `path`, named in errors).
///
/// Fails when the text is not YAML, or (a safety net) when the canonical text would not parse
/// back to the same value.
pub fn canonicalize(path: &Path, text: &str) -> Result<String, Error> {
    let value = parse(path, text)?;
    let emitted = serde_norway::to_string(&value)
        .map_err(|e| Error::Io(format!("{}: cannot re-emit as YAML: {e}", path.display())))?;
    let canonical = quote_yaml11_scalars(&emitted);
    let again = parse(path, &canonical)?;
    if again != value {
        return Err(Error::Io(format!(
            "{}: the canonical YAML does not parse back to the same document (a bug in \
             xtask/src/canonical.rs or serde_norway)",
            path.display()
        )));
    }
    Ok(canonical)
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

/// Single-quotes the plain scalars (keys and values) of block-style YAML, as serde_norway emits
/// it, that YAML 1.1 reads as non-strings. Content of literal and folded blocks is left alone.
/// [`canonicalize`] checks that the result still parses to the same document.
fn quote_yaml11_scalars(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    // Inside a block scalar: lines indented deeper than this column belong to it.
    let mut block_parent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(parent) = block_parent {
            if body.trim().is_empty() || indent > parent {
                out.push_str(line);
                continue;
            }
            block_parent = None;
        }
        // Structure: indentation, any number of "- ", then `key: value`, `key:` or `value`.
        let mut start = indent;
        while body[start..].starts_with("- ") {
            start += 2;
        }
        let rest = &body[start..];
        let (key, value) = match split_key(rest) {
            Some((key, value)) => (Some(key), value),
            None => (None, rest),
        };
        let mut rebuilt = body[..start].to_owned();
        if let Some(key) = key {
            rebuilt.push_str(&quote_if_needed(key));
            rebuilt.push(':');
            if !value.is_empty() {
                rebuilt.push(' ');
            }
        }
        rebuilt.push_str(&quote_if_needed(value));
        if value.starts_with('|') || value.starts_with('>') {
            block_parent = Some(start);
        }
        out.push_str(&rebuilt);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Splits `key: value` or `key:` where the key is a plain or quoted scalar.
fn split_key(rest: &str) -> Option<(&str, &str)> {
    let key_end = match rest.chars().next()? {
        '\'' => closing_quote(rest, '\'')?,
        '"' => closing_quote(rest, '"')?,
        '?' | '[' | '{' | '|' | '>' | '!' | '&' | '*' | '#' => return None,
        // serde_norway quotes values containing ": ", so the first ": " ends a plain key.
        _ => rest
            .find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))?,
    };
    let after = &rest[key_end..];
    let value = after
        .strip_prefix(": ")
        .or_else(|| (after == ":").then_some(""))?;
    Some((&rest[..key_end], value))
}

/// The byte index just after the closing quote of a quoted scalar starting at 0.
fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let bytes = s.as_bytes();
    let q = quote as u8;
    let mut i = 1;
    while i < bytes.len() {
        if quote == '"' && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == q {
            if quote == '\'' && bytes.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn quote_if_needed(scalar: &str) -> String {
    // Only strings (to serde_norway) that YAML 1.1 reads otherwise; `5` or `true` that serde_norway
    // emitted plain are a number and a boolean, and stay so.
    let is_string_here = || {
        matches!(
            serde_norway::from_str(scalar),
            Ok(serde_norway::Value::String(_))
        )
    };
    if is_yaml11_non_string(scalar) && is_string_here() {
        format!("'{}'", scalar.replace('\'', "''"))
    } else {
        scalar.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        canonicalize(Path::new("t.yaml"), text).unwrap()
    }

    #[test]
    fn keeps_key_order_and_normalises_layout() {
        let out = canon("b:   1\na:\n    - 'x'\n    - \"z\"\n");
        assert_eq!(out, "b: 1\na:\n- x\n- z\n");
        assert_eq!(canon(&out), out);
    }

    #[test]
    fn quotes_what_yaml_1_1_reads_as_non_strings() {
        let text = "a: '2024-01-01T00:00:00Z'\n'on': 'off'\nlist:\n- 'yes'\n- '1_000'\n- plain\n\
                    - key: '2014-01-01T05:20:00.12345Z'\n  other: '12:30:00'\nn: 5\n";
        let out = canon(text);
        assert_eq!(
            out,
            "a: '2024-01-01T00:00:00Z'\n'on': 'off'\nlist:\n- 'yes'\n- '1_000'\n- plain\n\
             - key: '2014-01-01T05:20:00.12345Z'\n  other: '12:30:00'\n'n': 5\n"
        );
        assert_eq!(canon(&out), out);
    }

    #[test]
    fn leaves_block_scalars_alone() {
        let text = "- text: |\n    on: 2024-01-01\n    yes\n  next: ok\n";
        let out = canon(text);
        assert_eq!(out, text);
    }

    #[test]
    fn yaml11_patterns() {
        for s in [
            "2024-01-01",
            "2014-01-01T05:20:00.12345Z",
            "on",
            "No",
            "0b101",
            "1_000",
            "1:30",
            "~",
        ] {
            assert!(is_yaml11_non_string(s), "{s}");
        }
        for s in [
            "023e105f4ecef8ad9ca31a8372d0c353",
            "a77f8bd7-3b47",
            "example.com",
            "auto",
            "1.2.3a",
        ] {
            assert!(!is_yaml11_non_string(s), "{s}");
        }
    }

    #[test]
    fn names_the_file_on_bad_yaml() {
        let e = canonicalize(Path::new("bad.yaml"), "a: [1,\n").unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml: invalid YAML"), "{e}");
    }
}
