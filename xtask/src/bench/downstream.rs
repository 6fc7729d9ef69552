//! Part (e), downstream build cost: what a user pays to depend on this crate, against the
//! `cloudflare` crate from crates.io.
//!
//! For each dependency, a scratch binary crate under `target/bench-downstream/<name>/` (its own
//! `[workspace]`, its own target folder) that names one type of the dependency, built cold in the
//! dev profile after `cargo fetch` (downloads are not timed). Reported: the wall time of that
//! build, and the number of distinct crates it compiles, from `cargo tree -e normal,build`.

use std::collections::BTreeSet;
use std::time::Instant;

use super::drivers::{run_output, run_status, Env};
use crate::tasks::cargo;
use crate::Error;

/// The `cloudflare` crate version compared against.
pub(super) const CLOUDFLARE_CRATE: &str = "0.14";

/// One scratch crate's build.
pub(super) struct DownstreamBuild {
    /// What it depends on, for the table.
    pub(super) label: String,
    /// The dependency line in its Cargo.toml.
    pub(super) dependency: String,
    /// Cold dev build, seconds.
    pub(super) seconds: f64,
    /// Distinct crates (name and version) in `cargo tree -e normal,build`, the scratch crate
    /// itself not counted.
    pub(super) crates: usize,
}

/// The measurements of part (e).
pub(super) struct Downstream {
    /// This crate first, then `cloudflare`.
    pub(super) builds: Vec<DownstreamBuild>,
}

/// Counts distinct `name vX.Y.Z` entries in `cargo tree --prefix none` output, minus `own`.
pub(super) fn count_crates(tree: &str, own: &str) -> usize {
    let entry = |l: &str| {
        let mut words = l.split_whitespace();
        let (name, version) = (words.next()?, words.next()?);
        (name != own && version.starts_with('v')).then(|| format!("{name} {version}"))
    };
    let crates: BTreeSet<_> = tree.lines().filter_map(entry).collect();
    crates.len()
}

/// Builds each scratch crate cold and counts its crates.
pub(super) fn downstream(env: &Env) -> Result<Downstream, Error> {
    let (root, target) = (&env.root, &env.target);
    let what = "a scratch binary crate per dependency, cold dev build";
    println!("\n== (e) downstream build cost: {what}");
    let path = root.display().to_string().replace('\\', "/");
    // Name, label, dependency line, the type named, a lock file to start from (this
    // repository's, so the crate builds with the versions it is tested with).
    let scratch = [
        (
            "uses-cloudflare-ssl",
            "cloudflare-ssl (this crate, path dependency)".to_owned(),
            format!("cloudflare-ssl = {{ path = \"{path}\" }}"),
            "cloudflare_ssl::Client",
            Some(root.join("Cargo.lock")),
        ),
        (
            "uses-cloudflare",
            format!("cloudflare {CLOUDFLARE_CRATE} (crates.io, default features)"),
            format!("cloudflare = \"{CLOUDFLARE_CRATE}\""),
            "cloudflare::framework::Environment",
            None,
        ),
    ];
    let mut builds = Vec::new();
    for (name, label, dependency, named, lock) in scratch {
        let dir = target.join("bench-downstream").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("removing", &dir, e))?;
        }
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{dependency}\n\n# Not a member of the repository's workspace.\n[workspace]\n"
        );
        crate::write_text(&dir.join("Cargo.toml"), &manifest)?;
        let main = format!("println!(\"{{}}\", std::any::type_name::<{named}>());");
        let main = format!("fn main() {{\n    {main}\n}}\n");
        crate::write_text(&dir.join("src/main.rs"), &main)?;
        if let Some(lock) = &lock {
            let copied = std::fs::copy(lock, dir.join("Cargo.lock"));
            copied.map_err(|e| Error::io("copying", lock, e))?;
        }
        let scratch_target = dir.join("target");
        let run = |args: &str, what: &str| {
            let (mut cmd, what) = (cargo(&dir, args), format!("{what} ({name})"));
            run_status(cmd.env("CARGO_TARGET_DIR", &scratch_target), &what)
        };
        run("fetch --quiet", "cargo fetch")?;
        let start = Instant::now();
        run("build --quiet", "cold cargo build")?;
        let seconds = start.elapsed().as_secs_f64();
        let tree = cargo(&dir, "tree --quiet -e normal,build --prefix none");
        let tree = run_output(tree, &format!("cargo tree ({name})"))?;
        let crates = count_crates(&tree, name);
        println!("  {label:<48} cold build {seconds:>6.1} s, {crates} crates");
        builds.push(DownstreamBuild {
            label,
            dependency,
            seconds,
            crates,
        });
        let _ = std::fs::remove_dir_all(&scratch_target);
    }
    Ok(Downstream { builds })
}
