//! (e) Downstream build cost: what a user pays to depend on this crate, against the `cloudflare`
//! crate from crates.io.
//!
//! For each dependency, a scratch binary crate under `target/bench-downstream/<name>/` (its own
//! `[workspace]`, its own target folder) that names one type of the dependency, built cold in the
//! dev profile after `cargo fetch` (downloads are not timed). Reported: the wall time of that
//! build, and the number of distinct crates it compiles, from `cargo tree -e normal,build`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use super::drivers::{cargo, run_status};
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

struct Scratch {
    name: &'static str,
    label: String,
    dependency: String,
    main: &'static str,
    /// A lock file to start from (this repository's, so the crate builds with the versions it is
    /// tested with).
    lock: Option<PathBuf>,
}

fn scratch_crates(root: &Path) -> Vec<Scratch> {
    let path = root.display().to_string().replace('\\', "/");
    vec![
        Scratch {
            name: "uses-cloudflare-ssl",
            label: "cloudflare-ssl (this crate, path dependency)".into(),
            dependency: format!("cloudflare-ssl = {{ path = \"{path}\" }}"),
            main: "fn main() {\n    println!(\"{}\", std::any::type_name::<cloudflare_ssl::Client>());\n}\n",
            lock: Some(root.join("Cargo.lock")),
        },
        Scratch {
            name: "uses-cloudflare",
            label: format!("cloudflare {CLOUDFLARE_CRATE} (crates.io, default features)"),
            dependency: format!("cloudflare = \"{CLOUDFLARE_CRATE}\""),
            main: "fn main() {\n    println!(\"{}\", std::any::type_name::<cloudflare::framework::Environment>());\n}\n",
            lock: None,
        },
    ]
}

/// Counts distinct `name vX.Y.Z` entries in `cargo tree --prefix none` output, minus `own`.
pub(super) fn count_crates(tree: &str, own: &str) -> usize {
    tree.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (name, version) = (words.next()?, words.next()?);
            (name != own && version.starts_with('v')).then(|| format!("{name} {version}"))
        })
        .collect::<BTreeSet<_>>()
        .len()
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    crate::write_text(path, text).map(|_| ())
}

/// Builds each scratch crate cold and counts its crates.
pub(super) fn downstream(root: &Path, target: &Path) -> Result<Downstream, Error> {
    println!(
        "\n== (e) downstream build cost: a scratch binary crate per dependency, cold dev build"
    );
    let mut builds = Vec::new();
    for s in scratch_crates(root) {
        let dir = target.join("bench-downstream").join(s.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("removing", &dir, e))?;
        }
        write(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 [dependencies]\n{}\n\n# Not a member of the repository's workspace.\n[workspace]\n",
                s.name, s.dependency
            ),
        )?;
        write(&dir.join("src/main.rs"), s.main)?;
        if let Some(lock) = &s.lock {
            let to = dir.join("Cargo.lock");
            std::fs::copy(lock, &to).map_err(|e| Error::io("copying", lock, e))?;
        }
        let scratch_target = dir.join("target");
        run_status(
            cargo()
                .current_dir(&dir)
                .env("CARGO_TARGET_DIR", &scratch_target)
                .args(["fetch", "--quiet"]),
            &format!("cargo fetch ({})", s.name),
        )?;
        let start = Instant::now();
        run_status(
            cargo()
                .current_dir(&dir)
                .env("CARGO_TARGET_DIR", &scratch_target)
                .args(["build", "--quiet"]),
            &format!("cold cargo build ({})", s.name),
        )?;
        let seconds = start.elapsed().as_secs_f64();
        let tree = cargo()
            .current_dir(&dir)
            .args(["tree", "--quiet", "-e", "normal,build", "--prefix", "none"])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| Error::Io(format!("cargo tree ({}): {e}", s.name)))?;
        if !tree.status.success() {
            return Err(Error::Failed(format!(
                "cargo tree ({}): {}",
                s.name, tree.status
            )));
        }
        let crates = count_crates(&String::from_utf8_lossy(&tree.stdout), s.name);
        println!(
            "  {:<48} cold build {:>6.1} s, {crates} crates",
            s.label, seconds
        );
        builds.push(DownstreamBuild {
            label: s.label,
            dependency: s.dependency,
            seconds,
            crates,
        });
        let _ = std::fs::remove_dir_all(&scratch_target);
    }
    Ok(Downstream { builds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_are_counted_once_each_without_the_scratch_crate() {
        let tree =
            "uses-x v0.0.0 (/tmp/uses-x)\nserde v1.0.200\nserde_derive v1.0.200 (proc-macro)\n\
                    serde v1.0.200 (*)\nbitflags v1.3.2\nbitflags v2.6.0\n\n";
        assert_eq!(count_crates(tree, "uses-x"), 4);
    }
}
