//! clap-validator (the CLAP project's own validator, vendored in `tools/clap-validator`)
//! against the test bundle, headless, as a host on a machine without a desktop session would
//! load it: every check must pass or be skipped, and the plugin must print nothing. The table
//! it prints gives each check's duration, so a slow parameter change or activation shows up
//! beside the plain processing checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::hosts::{bundle_dir, target_dir};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Builds the validator (its own workspace and lock file) into `<target>/clap-validator`.
fn build_validator() -> Result<PathBuf> {
    let target = target_dir().join("clap-validator");
    let manifest = workspace_root().join("tools/clap-validator/Cargo.toml");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .context("starting cargo build for clap-validator")?;
    if !status.success() {
        bail!("building clap-validator ({}) failed", manifest.display());
    }
    Ok(target.join("release/clap-validator"))
}

/// One check's outcome.
struct Check {
    name: String,
    status: String,
    details: String,
    duration: Duration,
}

fn checks(report: &Value) -> Result<Vec<Check>> {
    let results = report["results"]
        .as_array()
        .context("clap-validator's JSON has no `results`")?;
    Ok(results
        .iter()
        .map(|result| {
            let case = result["test"]
                .as_object()
                .and_then(|kinds| kinds.values().next());
            let duration = &result["duration"];
            Check {
                name: case
                    .and_then(|c| c["test"].as_str())
                    .unwrap_or("?")
                    .to_string(),
                status: result["status"]["code"].as_str().unwrap_or("?").to_string(),
                details: result["status"]["details"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                duration: Duration::new(
                    duration["secs"].as_u64().unwrap_or(0),
                    duration["nanos"].as_u64().unwrap_or(0) as u32,
                ),
            }
        })
        .collect())
}

/// Builds the validator, runs every check on the test bundle without a display or a desktop
/// session, prints a table and fails on any failed or crashed check or on plugin output.
pub fn validate() -> Result<()> {
    let validator = build_validator()?;
    let bundle = bundle_dir()?.join("timbrescope.clap");
    if !bundle.exists() {
        bail!(
            "{} is missing: `cargo xtask test` builds it",
            bundle.display()
        );
    }
    let output = Command::new(&validator)
        .args(["--verbosity", "quiet", "validate", "--json", "--jobs", "1"])
        .arg(&bundle)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .with_context(|| format!("starting {}", validator.display()))?;
    let report: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "clap-validator printed no JSON report (exit {}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let checks = checks(&report)?;
    for check in &checks {
        eprintln!(
            "{:<44} {:<8} {:>8.1} ms",
            check.name,
            check.status,
            check.duration.as_secs_f64() * 1000.0
        );
    }
    let count = |status: &str| checks.iter().filter(|c| c.status == status).count();
    eprintln!(
        "clap-validator: {} checks, {} passed, {} skipped, {} warnings, {} failed, {} crashed",
        checks.len(),
        count("success"),
        count("skipped"),
        count("warning"),
        count("failed"),
        count("crashed")
    );
    let broken: Vec<String> = checks
        .iter()
        .filter(|c| matches!(c.status.as_str(), "failed" | "crashed"))
        .map(|c| format!("{}: {}", c.name, c.details))
        .collect();
    if !broken.is_empty() {
        bail!("clap-validator checks failed:\n{}", broken.join("\n"));
    }
    if !output.stderr.is_empty() {
        bail!(
            "the plugin printed to stderr inside the validator:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
