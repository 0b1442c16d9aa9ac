//! Model files: a burn record (burnpack, `.bpk`) plus a JSON sidecar (`.json`, same stem) that
//! says what the numbers mean — class list, feature configuration, network shape, parameter
//! count, how it was trained and what it reached. The default model is compiled in.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::classes::ClassList;
use crate::features::FeatureConfig;
use crate::networks::model::{ModelConfig, TimbreNet};

/// Version of the sidecar layout; a reader refuses files from a newer layout.
pub const SIDECAR_FORMAT: u32 = 1;

const BUILT_IN_RECORD: &[u8] = include_bytes!("../../../assets/default-model.bpk");
const BUILT_IN_SIDECAR: &str = include_str!("../../../assets/default-model.json");

/// Everything about a model except its weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSidecar {
    /// Layout version, [`SIDECAR_FORMAT`] when written.
    pub format: u32,
    /// Short name shown in status lines.
    pub name: String,
    /// Meaning of every class axis.
    pub classes: ClassList,
    /// Front-end the model was trained on.
    pub features: FeatureConfig,
    /// Network shape.
    pub model: ModelConfig,
    /// Trainable parameters.
    pub parameter_count: usize,
    /// Data, seed, steps, wall time, device: how the model was made.
    #[serde(default)]
    pub training: serde_json::Value,
    /// Validation metrics it reached.
    #[serde(default)]
    pub metrics: serde_json::Value,
}

/// Where a loaded model came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// Compiled into the binary.
    BuiltIn,
    /// Read from this record file.
    File(PathBuf),
}

/// A network with its sidecar, on a device.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// What the network's outputs mean.
    pub sidecar: ModelSidecar,
    /// The network.
    pub net: TimbreNet,
    /// Where it came from.
    pub source: ModelSource,
}

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The sidecar is not valid JSON of the expected layout.
    #[error("{path}: invalid model sidecar: {reason}")]
    Sidecar {
        /// The sidecar file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The weights do not load into the network the sidecar describes.
    #[error("{path}: invalid model weights: {reason}")]
    Record {
        /// The record file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The record and sidecar paths of a model named by either of them (or by its stem).
pub fn model_paths(path: &Path) -> (PathBuf, PathBuf) {
    (path.with_extension("bpk"), path.with_extension("json"))
}

fn parse_sidecar(text: &str, path: &Path) -> Result<ModelSidecar, ModelFileError> {
    let invalid = |reason: String| ModelFileError::Sidecar {
        path: path.to_owned(),
        reason,
    };
    let sidecar: ModelSidecar = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if sidecar.format > SIDECAR_FORMAT {
        return Err(invalid(format!(
            "layout {} is newer than this program reads ({SIDECAR_FORMAT})",
            sidecar.format
        )));
    }
    if sidecar.classes.len() != sidecar.model.classes
        || sidecar.features.frame_len() != sidecar.model.input_features
    {
        return Err(invalid(
            "class list or feature size disagrees with the network shape".into(),
        ));
    }
    if let Some(problem) = sidecar.features.problem() {
        return Err(invalid(problem));
    }
    Ok(sidecar)
}

fn build(
    sidecar: ModelSidecar,
    record: Bytes,
    record_path: &Path,
    source: ModelSource,
    device: &Device,
) -> Result<LoadedModel, ModelFileError> {
    let invalid = |reason: String| ModelFileError::Record {
        path: record_path.to_owned(),
        reason,
    };
    let record = ModuleRecord::from_bytes(record).map_err(|e| invalid(e.to_string()))?;
    let net = sidecar
        .model
        .init(device)
        .try_load_record(record)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(LoadedModel {
        sidecar,
        net,
        source,
    })
}

/// Loads the model whose record or sidecar is at `path`.
pub fn load_model(path: &Path, device: &Device) -> Result<LoadedModel, ModelFileError> {
    let (record_path, sidecar_path) = model_paths(path);
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| ModelFileError::Io {
            path: p.to_owned(),
            source,
        })
    };
    let sidecar_text = String::from_utf8_lossy(&read(&sidecar_path)?).into_owned();
    let sidecar = parse_sidecar(&sidecar_text, &sidecar_path)?;
    let record = Bytes::from_bytes_vec(read(&record_path)?);
    build(
        sidecar,
        record,
        &record_path,
        ModelSource::File(record_path.clone()),
        device,
    )
}

/// The default model compiled into the binary.
pub fn built_in_model(device: &Device) -> LoadedModel {
    let here = Path::new("<built-in model>");
    let sidecar = parse_sidecar(BUILT_IN_SIDECAR, here).expect("the shipped sidecar is tested");
    build(
        sidecar,
        Bytes::from_bytes_vec(BUILT_IN_RECORD.to_vec()),
        here,
        ModelSource::BuiltIn,
        device,
    )
    .expect("the shipped record is tested")
}

/// Loads `path` if given; on any failure (or without a path) uses the built-in model.
/// The second value is the reason the requested file was not used, for the caller to report.
pub fn load_or_built_in(
    path: Option<&Path>,
    device: &Device,
) -> (LoadedModel, Option<ModelFileError>) {
    match path.map(|p| load_model(p, device)) {
        Some(Ok(model)) => (model, None),
        Some(Err(e)) => (built_in_model(device), Some(e)),
        None => (built_in_model(device), None),
    }
}

/// Writes `net` and `sidecar` as a model file pair at `path` (any extension; both are derived).
pub fn save_model(
    net: &TimbreNet,
    sidecar: &ModelSidecar,
    path: &Path,
) -> Result<(), ModelFileError> {
    let (record_path, sidecar_path) = model_paths(path);
    if let Some(dir) = record_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ModelFileError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    net.clone()
        .into_record()
        .save(&record_path)
        .map_err(|e| ModelFileError::Record {
            path: record_path.clone(),
            reason: e.to_string(),
        })?;
    let json = serde_json::to_string_pretty(sidecar).expect("sidecar serialises");
    std::fs::write(&sidecar_path, json + "\n").map_err(|source| ModelFileError::Io {
        path: sidecar_path,
        source,
    })
}
