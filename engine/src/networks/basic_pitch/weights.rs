//! The imported graph's tensors by name, for the CPU path that runs the same network with
//! its own arithmetic ([`super::cqt`], [`super::heads`]).

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{ModuleSnapshot, bridge};

use super::generated;

/// Every tensor of the imported model, weights and constants.
pub struct ImportedWeights {
    tensors: Vec<PackTensor>,
}

impl ImportedWeights {
    /// The tensors of `model`.
    pub fn of(model: &generated::Model) -> Self {
        Self {
            tensors: model.collect(None, None, false),
        }
    }

    /// The values (row-major) and dimensions of the tensor at `path`, e.g.
    /// `submodule2.conv2d28.weight`.
    pub fn get(&self, path: &str) -> (Vec<f32>, Vec<usize>) {
        let tensor = self
            .tensors
            .iter()
            .find(|t| t.name == path)
            .unwrap_or_else(|| panic!("basic-pitch has no {path}"));
        let data = bridge::to_data(tensor).expect("basic-pitch's weights are readable");
        let dims = data.shape().to_vec();
        (
            data.try_into_vec::<f32>()
                .expect("basic-pitch's weights are f32"),
            dims,
        )
    }
}
