//! basic-pitch's network (Bittner, Bosch, Rubinstein, Meseguer-Brocal & Ewert, "A Lightweight
//! Instrument-Agnostic Model for Polyphonic Note Transcription and Multipitch Estimation",
//! ICASSP 2022; Spotify, Apache-2.0): from raw 22 050 Hz mono audio in 2 s windows to note,
//! onset and pitch-contour posteriors at 86 frames/s. Trained on real recordings, it hears
//! notes our synthetic-data model cannot learn from two CPU cores and one SoundFont.
//!
//! The code in `generated.rs` and the weights in `assets/basic-pitch/nmp.bpk` were made by
//! burn-onnx 0.22's `onnx2burn` from the `nmp.onnx` of the PyPI wheel `basic-pitch` 0.4.0
//! (`tools/basic-pitch/extract.sh --import` redoes it; `assets/basic-pitch/NOTICE.md` has the licence
//! and provenance). Generated code is never edited by hand.
//!
//! On a GPU the imported graph runs as it is. On the CPU the same network runs from the same
//! weights as matrix products on plain buffers ([`cqt`], [`heads`]): burn-flex's
//! convolutions copy every input into an im2col buffer, up to 117 times for the widest
//! kernel, and that copying was most of a window's time.

imported_graph!();

pub mod cqt;
pub mod heads;
pub mod tuning;
mod weights;

use std::path::Path;

use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::{Bytes, Device};
use rayon::prelude::*;

use cqt::Cqt;
use heads::Heads;
use weights::ImportedWeights;

use crate::classes::PITCH_COUNT;

/// The network's sample rate.
pub const SAMPLE_RATE: u32 = 22_050;
/// Samples between network frames.
pub const FRAME_HOP_SAMPLES: usize = 256;
/// Samples per window: 2 s less one hop.
pub const WINDOW_SAMPLES: usize = 43_844;
/// Frames per window (frame `j` is centred on sample `j · 256` of the window).
pub const WINDOW_FRAMES: usize = 172;
/// Pitch-contour bins: three per semitone over the 88 keys.
pub const CONTOUR_BINS: usize = 3 * PITCH_COUNT;

/// basic-pitch's own weights, as imported: where fine-tuning starts, and what the port is
/// checked against the original network with.
pub const ORIGINAL_WEIGHTS: &[u8] = include_bytes!("../../../../assets/basic-pitch/nmp.bpk");
/// The weights the engine runs (compiled in): basic-pitch's own, fine-tuned on our synthetic
/// music (`cargo xtask train --config xtask/configs/basic-pitch-tuned.json`), ahead of them on
/// Bach10 and the TimGM6mb validation music (`assets/basic-pitch/tuned.json`).
pub const TUNED_WEIGHTS: &[u8] = include_bytes!("../../../../assets/basic-pitch/tuned.bpk");

/// Why weights cannot be basic-pitch's: the reason (and, from [`BasicPitch::from_file`],
/// the file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WeightsError(pub String);

/// The first lines of a many-line message (burn-store lists every missing tensor), on one.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut line = lines.iter().take(3).copied().collect::<Vec<_>>().join("; ");
    if lines.len() > 3 {
        line += "; …";
    }
    line
}

/// Loads the `.bpk` `bytes` into `module` (the whole graph, or a part of it): every tensor of
/// the module must be there and of its shape; the result says what in the file was not used.
fn load_into<M: ModuleSnapshot>(
    module: &mut M,
    bytes: Vec<u8>,
) -> Result<burn::store::ApplyResult, WeightsError> {
    let invalid = |problem: String| WeightsError(format!("not basic-pitch weights: {problem}"));
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes)));
    let applied = module
        .load_from(&mut store)
        .map_err(|e| invalid(one_line(&e.to_string())))?;
    match applied.errors.first() {
        Some(error) => Err(invalid(one_line(&format!("{error:?}")))),
        None => Ok(applied),
    }
}

/// The full imported graph with the weights of a `.bpk` file (basic-pitch's own, or
/// fine-tuned ones `cargo xtask train` wrote), every tensor of the graph present and of its
/// shape, none left over.
fn load_graph(bytes: Vec<u8>, device: &Device) -> Result<generated::Model, WeightsError> {
    let mut model = generated::Model::new(device);
    let applied = load_into(&mut model, bytes)?;
    match applied.unused.first() {
        Some(name) => Err(WeightsError(format!(
            "not basic-pitch weights: tensor {name} is not part of the network"
        ))),
        None => Ok(model),
    }
}

/// The network's outputs for one window, frame-major, probabilities in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPosteriors {
    /// `[172][88]`: a key sounds.
    pub note: Vec<f32>,
    /// `[172][88]`: a key starts.
    pub onset: Vec<f32>,
    /// `[172][264]`: fine pitch, a third of a semitone per bin (for pitch bends).
    pub contour: Vec<f32>,
}

/// basic-pitch on a device.
#[derive(Debug, Clone)]
pub struct BasicPitch {
    graph: Graph,
    device: Device,
}

/// How the network runs.
#[derive(Debug, Clone)]
enum Graph {
    /// The imported graph whole, on a GPU.
    Imported(Box<generated::Model>),
    /// On the CPU: the same network as matrix products on plain buffers, a window per
    /// thread ([`Cqt`], then [`Heads`]).
    Cpu { cqt: Cqt, heads: Box<Heads> },
}

impl BasicPitch {
    /// The network with the weights the engine runs ([`TUNED_WEIGHTS`]) on `device`.
    pub fn new(device: &Device) -> Self {
        Self::with_weights(TUNED_WEIGHTS.to_vec(), device).expect("the shipped weights load")
    }

    /// The network with the weights of a `.bpk` file on `device` (`analyze --note-weights`).
    pub fn with_weights(bytes: Vec<u8>, device: &Device) -> Result<Self, WeightsError> {
        let model = load_graph(bytes, device)?;
        let graph = if *device == Device::flex() {
            let weights = ImportedWeights::of(&model);
            Graph::Cpu {
                cqt: Cqt::of(&weights),
                heads: Box::new(Heads::of(&weights)),
            }
        } else {
            Graph::Imported(Box::new(model))
        };
        Ok(Self {
            graph,
            device: device.clone(),
        })
    }

    /// The network with the weights of the `.bpk` file at `path`; the error names the file
    /// and the reason.
    pub fn from_file(path: &Path, device: &Device) -> Result<Self, WeightsError> {
        let named = |reason: String| WeightsError(format!("{}: {reason}", path.display()));
        let bytes = std::fs::read(path).map_err(|e| named(e.to_string()))?;
        Self::with_weights(bytes, device).map_err(|e| named(e.to_string()))
    }

    /// Runs windows of [`WINDOW_SAMPLES`] samples each, concatenated.
    pub fn run(&self, windows: &[f32]) -> Vec<WindowPosteriors> {
        let count = windows.len() / WINDOW_SAMPLES;
        let windows = &windows[..count * WINDOW_SAMPLES];
        let model = match &self.graph {
            Graph::Imported(model) => model,
            Graph::Cpu { cqt, heads } => {
                return windows
                    .par_chunks_exact(WINDOW_SAMPLES)
                    .map(|window| heads.run(&cqt.run(window)))
                    .collect();
            }
        };
        let input = Tensor::<3>::from_data(
            TensorData::new(windows.to_vec(), [count, WINDOW_SAMPLES, 1]),
            &self.device,
        );
        let (onset, note, contour) = model.forward(input);
        let values = |t: Tensor<3>| -> Vec<f32> {
            t.into_data()
                .try_into_vec::<f32>()
                .expect("network outputs are f32")
        };
        let (note, onset, contour) = (values(note), values(onset), values(contour));
        let per = WINDOW_FRAMES * PITCH_COUNT;
        let per_contour = WINDOW_FRAMES * CONTOUR_BINS;
        (0..count)
            .map(|w| WindowPosteriors {
                note: note[w * per..(w + 1) * per].to_vec(),
                onset: onset[w * per..(w + 1) * per].to_vec(),
                contour: contour[w * per_contour..(w + 1) * per_contour].to_vec(),
            })
            .collect()
    }
}
