//! The plugin in real hosts: the test bundle (allocation checks on) for the CLAP host tests,
//! `cargo test`, pedalboard (PyPI) loading the VST3, and clap-validator (`crate::validator`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Features the test bundle and the tests are built with: any allocation in process()
/// panics, and the fault tests can inject a panic or a stall into the worker.
pub const TEST_FEATURES: &str = "timbrescope/assert_process_allocs,timbrescope/fault_injection";

fn cargo(args: &[&str]) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .status()
        .with_context(|| format!("starting cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// The folder nice-plug's bundler writes to.
pub fn bundle_dir() -> Result<PathBuf> {
    Ok(target_dir().join("bundled"))
}

/// The build folder: `CARGO_TARGET_DIR`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")),
    }
}

/// Builds the dev-profile bundles the host tests and benchmarks load.
pub fn bundle_for_tests() -> Result<()> {
    nice_plug_xtask::main_with_args(
        "cargo xtask",
        ["bundle", "timbrescope", "--features", TEST_FEATURES].map(String::from),
    )
}

/// Bundles, runs the workspace tests, the pedalboard check, clap-validator and a short soak.
pub fn run_tests() -> Result<()> {
    bundle_for_tests()?;
    cargo(&["test", "--workspace", "--features", TEST_FEATURES])?;
    pedalboard_check()?;
    crate::validator::validate()?;
    crate::soak::soak(&PathBuf::from(CI_SOAK_MUSIC), CI_SOAK_MINUTES)
}

/// The soak CI runs: two minutes of the demo.
const CI_SOAK_MINUTES: f64 = 2.0;
const CI_SOAK_MUSIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo.wav");

/// Loads the VST3 in pedalboard and checks the audio passes through unchanged.
fn pedalboard_check() -> Result<()> {
    let python = std::env::var("TIMBRESCOPE_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_pedalboard = Command::new(&python)
        .args(["-c", "import pedalboard"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_pedalboard {
        bail!(
            "pedalboard is not installed for {python}: `pip install pedalboard` (or set \
             TIMBRESCOPE_PYTHON to a Python that has it); .ci/run installs it in a venv"
        );
    }
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/hosts/pedalboard_passthrough.py");
    let vst3 = bundle_dir()?.join("timbrescope.vst3");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&vst3)
        .status()
        .context("running the pedalboard check")?;
    if !status.success() {
        bail!("pedalboard check failed");
    }
    Ok(())
}
