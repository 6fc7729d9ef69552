//! Readable unified diffs for `check`.

use similar::TextDiff;

/// At most this many diff lines are shown per file; the rest is summarised.
pub const MAX_LINES: usize = 400;

/// A unified diff from `old` (what is on disk) to `new` (what `generate` would write), with
/// `a/<name>` and `b/<name>` headers, cut after [`MAX_LINES`] lines.
pub fn unified(name: &str, old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text;
    }
    let mut out = lines[..MAX_LINES].join("\n");
    out.push_str(&format!(
        "\n... {} more diff lines not shown (run `cargo xtask generate` and `git diff` to see all)\n",
        lines.len() - MAX_LINES
    ));
    out
}
