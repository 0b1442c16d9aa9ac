//! Convolutions over time as matrix products. The networks keep their kernels in burn's
//! `Conv1d` and `Conv2d` modules, so model files keep their layout, but run them on time-major,
//! channels-last tensors, `[time, rows, channels]`: each time tap is then one matrix product
//! over a contiguous slice of the input, on the CPU about twice as fast as burn's direct
//! convolution. In inference a batch norm that follows a convolution is folded into its kernel.

use burn::nn::BatchNorm;
use burn::nn::conv::{Conv1d, Conv2d};
use burn::prelude::*;

/// A kernel as taps over time, `[taps, inputs, outputs]`, with its bias and the frames
/// between its taps (the convolution's own dilation).
pub struct TimeKernel {
    weight: Tensor<3>,
    bias: Option<Tensor<1>>,
    dilation: usize,
}

impl TimeKernel {
    /// A `Conv1d` over time (`[out, in, taps]`).
    pub fn of_conv1d(conv: &Conv1d) -> Self {
        Self {
            weight: conv.weight.val().permute([2, 1, 0]),
            bias: conv.bias.as_ref().map(|b| b.val()),
            dilation: conv.dilation,
        }
    }

    /// A `Conv2d` over time and a frame's own axis (`[out, in, taps, width]`) whose stride
    /// on that axis equals its width: one output per group of `width` positions, whose inputs
    /// the caller lays side by side in `(width, in)` order.
    pub fn of_conv2d(conv: &Conv2d) -> Self {
        let [out, inputs, taps, width] = conv.weight.dims();
        Self {
            weight: conv
                .weight
                .val()
                .permute([2, 3, 1, 0])
                .reshape([taps, width * inputs, out]),
            bias: conv.bias.as_ref().map(|b| b.val()),
            dilation: conv.dilation[0],
        }
    }

    /// The kernel followed by `norm` in inference, as one kernel: the norm's per-channel
    /// scale and shift folded into the weights and the bias (worth it where the weights are
    /// smaller than the output they would otherwise scale).
    fn folded(self, norm: &BatchNorm) -> Self {
        let scale = norm.gamma.val() / norm.running_var.value().add_scalar(norm.epsilon).sqrt();
        let [_, _, out] = self.weight.dims();
        let bias = self
            .bias
            .unwrap_or_else(|| Tensor::zeros([out], &scale.device()));
        Self {
            weight: self.weight * scale.clone().reshape([1, 1, out]),
            bias: Some((bias - norm.running_mean.value()) * scale + norm.beta.val()),
            dilation: self.dilation,
        }
    }

    /// Applies the kernel to `x`, `[time, rows, inputs]`, the input padded with zeros so that
    /// the output keeps its length: `[time, rows, out]`. A tap's weights are used in place (a
    /// strided view), never copied.
    pub fn apply(&self, x: Tensor<3>) -> Tensor<3> {
        let dilation = self.dilation;
        let [time, rows, inputs] = x.dims();
        let [taps, _, out] = self.weight.dims();
        let pad = dilation * (taps / 2);
        let padded = if pad == 0 {
            x
        } else {
            let zeros = Tensor::zeros([pad, rows, inputs], &x.device());
            Tensor::cat(vec![zeros.clone(), x, zeros], 0)
        };
        let mut y = (0..taps)
            .map(|k| {
                padded
                    .clone()
                    .narrow(0, k * dilation, time)
                    .reshape([1, time * rows, inputs])
                    .matmul(self.weight.clone().narrow(0, k, 1))
            })
            .reduce(|a, b| a + b)
            .expect("a kernel has taps");
        if let Some(bias) = &self.bias {
            y = y + bias.clone().reshape([1, 1, out]);
        }
        y.reshape([time, rows, out])
    }

    /// The kernel, then `norm`: folded into one kernel in inference, two steps in training
    /// (where the norm needs the batch's statistics).
    pub fn apply_then_norm(self, norm: &BatchNorm, x: Tensor<3>) -> Tensor<3> {
        let [time, rows, _] = x.dims();
        let training = x.device().is_autodiff() && norm.training.is_enabled();
        if !training && self.weight.shape().num_elements() < time * rows * norm.gamma.dims()[0] {
            self.folded(norm).apply(x)
        } else {
            norm_last(norm, self.apply(x))
        }
    }
}

/// `norm` over the last axis of `[time, rows, channels]`.
pub fn norm_last(norm: &BatchNorm, x: Tensor<3>) -> Tensor<3> {
    let dims = x.dims();
    norm.forward(x.reshape([dims[0] * dims[1], dims[2]]))
        .reshape(dims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::ComputeDevice;
    use burn::nn::conv::{Conv1dConfig, Conv2dConfig};
    use burn::nn::{BatchNormConfig, PaddingConfig1d, PaddingConfig2d};
    use burn::tensor::Distribution;

    const TIME: usize = 9;
    const BATCH: usize = 2;

    fn assert_close(got: Tensor<3>, expected: Tensor<3>, what: &str) {
        assert_eq!(got.dims(), expected.dims(), "{what}");
        let error: f32 = (got - expected).abs().max().into_scalar();
        assert!(error < 1e-4, "{what}: off by {error}");
    }

    /// A norm with running statistics and an affine part far from the identity.
    fn trained_norm(channels: usize, device: &Device) -> BatchNorm {
        let mut norm = BatchNormConfig::new(channels).init(device);
        let random =
            |mean: f64| Tensor::<1>::random([channels], Distribution::Normal(mean, 0.5), device);
        norm.gamma = norm.gamma.map(|_| random(1.0));
        norm.beta = norm.beta.map(|_| random(0.0));
        norm.running_mean = burn::module::RunningState::new(random(0.3));
        norm.running_var = burn::module::RunningState::new(random(2.0).abs());
        norm
    }

    /// Against burn's own `Conv1d` (and its `BatchNorm` after it), dilated, on `[batch,
    /// channels, time]`.
    #[test]
    fn a_conv1d_as_taps_equals_burns_convolution() {
        let device = ComputeDevice::cpu().device;
        let (inputs, outputs) = (4, 6);
        for dilation in [1, 2, 4] {
            let conv = Conv1dConfig::new(inputs, outputs, 3)
                .with_dilation(dilation)
                .with_padding(PaddingConfig1d::Explicit(dilation, dilation))
                .init(&device);
            let norm = trained_norm(outputs, &device);
            let x = Tensor::<3>::random(
                [BATCH, inputs, TIME],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let expected = conv.forward(x.clone());
            let expected_normed = norm.forward(expected.clone()).permute([2, 0, 1]);
            let time_major = x.permute([2, 0, 1]);
            let kernel = || TimeKernel::of_conv1d(&conv);
            let what = format!("dilation {dilation}");
            assert_close(
                kernel().apply(time_major.clone()),
                expected.permute([2, 0, 1]),
                &what,
            );
            assert_close(
                kernel().apply_then_norm(&norm, time_major),
                expected_normed,
                &format!("{what}, folded norm"),
            );
        }
    }

    /// Against burn's own `Conv2d` reading three positions of a frame's axis at a time, as
    /// the harmonic branch reads a semitone's bins.
    #[test]
    fn a_conv2d_over_grouped_positions_equals_burns_convolution() {
        let device = ComputeDevice::cpu().device;
        let (inputs, outputs, groups, width) = (4, 6, 5, 3);
        let conv = Conv2dConfig::new([inputs, outputs], [3, width])
            .with_stride([1, width])
            .with_padding(PaddingConfig2d::Explicit(1, 0, 1, 0))
            .init(&device);
        let x = Tensor::<4>::random(
            [BATCH, inputs, TIME, groups * width],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let expected =
            conv.forward(x.clone())
                .permute([2, 0, 3, 1])
                .reshape([TIME, BATCH * groups, outputs]);
        let time_major = x
            .permute([2, 0, 3, 1])
            .reshape([TIME, BATCH * groups, width * inputs]);
        assert_close(
            TimeKernel::of_conv2d(&conv).apply(time_major),
            expected,
            "grouped positions",
        );
    }
}
