//! Checkpoints `--resume` continues from (weights, optimiser state, progress) and the CSV
//! logs a resumed run appends to.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use timbrescope_engine::networks::model::TimbreNet;
use timbrescope_engine::networks::model_file::{ModelSidecar, load_model, save_model};

use crate::train::validation::EarlyStopping;

/// Where a run writes.
pub struct RunPaths {
    /// Checkpoints, config and logs.
    pub run_dir: PathBuf,
    /// The finished model (record + sidecar).
    pub model: PathBuf,
}

/// Progress kept in a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Progress {
    #[serde(default)]
    pub(crate) pretrain_step: usize,
    pub(crate) step: usize,
    pub(crate) wall_seconds: f64,
    #[serde(default)]
    pub(crate) early_stopping: EarlyStopping,
}

/// Opens a CSV log for appending (a resumed run goes on in the same file), writing `header`
/// when the file is new.
pub(crate) fn open_log(path: &Path, header: &str) -> Result<std::fs::File> {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| path.display().to_string())?;
    if log.metadata()?.len() == 0 {
        writeln!(log, "{header}")?;
    }
    Ok(log)
}

/// Writes the checkpoint `--resume` continues from: weights, optimiser state, progress.
pub(crate) fn save_checkpoint(
    checkpoint: &Path,
    net: &TimbreNet,
    side: &ModelSidecar,
    optim: &ModuleOptimizer,
    progress: &Progress,
) -> Result<()> {
    save_model(net, side, &checkpoint.join("model"))?;
    optim
        .save(checkpoint.join("optimizer.bpk"))
        .map_err(|e| anyhow::anyhow!("saving optimizer: {e}"))?;
    std::fs::write(
        checkpoint.join("progress.json"),
        serde_json::to_string(progress)?,
    )?;
    Ok(())
}

/// Reads the checkpoint in `checkpoint` back: the network, `optim` with its saved state, and
/// where the run was.
pub(crate) fn load_checkpoint(
    checkpoint: &Path,
    optim: ModuleOptimizer,
    device: &Device,
) -> Result<(TimbreNet, ModuleOptimizer, Progress)> {
    let loaded =
        load_model(&checkpoint.join("model"), device).context("resuming: no usable checkpoint")?;
    let optim = optim
        .load(checkpoint.join("optimizer.bpk"))
        .map_err(|e| anyhow::anyhow!("optimizer state: {e}"))?;
    let path = checkpoint.join("progress.json");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let progress = serde_json::from_str(&text).with_context(|| path.display().to_string())?;
    Ok((loaded.net, optim, progress))
}
