//! basic-pitch's trainable half, for fine-tuning on our synthetic music (`cargo xtask train`
//! with a `basic_pitch` config): the imported graph after its CQT as a burn module an
//! optimiser can step. The CQT's filters are fixed, so training runs it once per window on
//! the CPU ([`transform`]) and feeds the result in. The trained half goes back into a
//! whole-graph `.bpk` that [`super::BasicPitch::with_weights`] loads.

use burn::module::ParamId;
use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot};

use super::cqt::Cqt;
use super::heads::CQT_BINS;
use super::weights::ImportedWeights;
use super::{ORIGINAL_WEIGHTS, WINDOW_FRAMES, WeightsError, generated, load_graph, load_into};

/// The shape of one window's CQT as the trainable half takes it: frames, bins, real and
/// imaginary parts.
pub const CQT_SHAPE: [usize; 3] = [WINDOW_FRAMES, CQT_BINS, 2];

/// The trainable half's convolutions, by the imported graph's names: the onset branch's
/// features (`conv2d27`), the contour branch (`conv2d28`, `conv2d29`), notes from the
/// contour (`conv2d30`, `conv2d31`) and onsets from notes and features (`conv2d32`).
pub const LAYERS: [&str; 6] = [
    "conv2d27", "conv2d28", "conv2d29", "conv2d30", "conv2d31", "conv2d32",
];

/// The posteriors of a batch of windows, `[batch][172][bins]`, as tensors a loss can use.
#[derive(Debug, Clone)]
pub struct HeadOutputs {
    /// `[batch][172][88]`: a key sounds.
    pub note: Tensor<3>,
    /// `[batch][172][88]`: a key starts.
    pub onset: Tensor<3>,
    /// `[batch][172][264]`: fine pitch.
    pub contour: Tensor<3>,
}

/// basic-pitch after its CQT, trainable.
#[derive(Module, Debug)]
pub struct TrainableHeads {
    // Named as in the whole graph, so that its tensors keep their names in either file.
    submodule2: generated::Submodule2,
}

impl TrainableHeads {
    /// The trainable half of the whole-graph `.bpk` `bytes`, on `device`; every tensor of
    /// the half must be there.
    pub fn from_weights(bytes: Vec<u8>, device: &Device) -> Result<Self, WeightsError> {
        let mut heads = Self {
            submodule2: generated::Submodule2::new(device),
        };
        load_into(&mut heads, bytes)?;
        Ok(heads)
    }

    /// Posteriors of a batch of windows' CQTs, `[batch, 172, 324, 2]` (see [`transform`]).
    pub fn forward(&self, cqt: Tensor<4>) -> HeadOutputs {
        let (onset, note, contour) = self.submodule2.forward(cqt);
        HeadOutputs {
            note,
            onset,
            contour,
        }
    }

    /// The parameters (kernels and biases) of the named [`LAYERS`], so that a run can train
    /// those alone; an unknown name is an error naming it.
    pub fn parameters_of(&self, layers: &[String]) -> Result<Vec<ParamId>, WeightsError> {
        let tensors = self.collect(None, None, false);
        layers
            .iter()
            .map(|layer| {
                if !LAYERS.contains(&layer.as_str()) {
                    return Err(WeightsError(format!(
                        "no trainable layer {layer} (there are {})",
                        LAYERS.join(", ")
                    )));
                }
                let prefix = format!("submodule2.{layer}.");
                Ok(tensors
                    .iter()
                    .filter(|t| t.name.starts_with(&prefix))
                    .filter_map(|t| t.param_id.map(ParamId::from))
                    .collect::<Vec<_>>())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|ids| ids.concat())
    }

    /// A whole-graph `.bpk`: the weights of `base` (one itself) with this half's in place of
    /// its own.
    pub fn weights(&self, base: &[u8]) -> Result<Vec<u8>, WeightsError> {
        let invalid = |e: &dyn std::fmt::Display| WeightsError(e.to_string());
        let mut mine = BurnpackStore::from_bytes(None);
        self.save_into(&mut mine).map_err(|e| invalid(&e))?;
        let mut graph = load_graph(base.to_vec(), &Device::flex())?;
        let mut store = BurnpackStore::from_bytes(Some(mine.get_bytes().map_err(|e| invalid(&e))?))
            .allow_partial(true);
        graph.load_from(&mut store).map_err(|e| invalid(&e))?;
        let mut out = BurnpackStore::from_bytes(None);
        graph.save_into(&mut out).map_err(|e| invalid(&e))?;
        Ok(out.get_bytes().map_err(|e| invalid(&e))?.to_vec())
    }
}

/// basic-pitch's CQT with its fixed filters, to run once per window before the trainable
/// half: `[172][324][2]` per window ([`Cqt::run`]).
pub fn transform() -> Cqt {
    let graph =
        load_graph(ORIGINAL_WEIGHTS.to_vec(), &Device::flex()).expect("the shipped weights load");
    Cqt::of(&ImportedWeights::of(&graph))
}
