//! 2-D convolutions over channels-last `[frames, bins, channels]` planes on the CPU, one
//! matrix product per time tap and no im2col copy.
//!
//! In a plane whose padded frame length is a multiple of the stride over bins, the inputs of
//! output bin `b` of frame `t` at time tap `k` are one contiguous run of `width · channels`
//! values, and consecutive outputs' runs start `stride · channels` apart, across frame
//! boundaries too. That is a matrix with overlapping rows, which `gemm` reads in place: the
//! whole convolution is `taps` products of `[frames · rows, width · channels]` by
//! `[width · channels, outputs]`. Each frame computes a few rows past its last output bin
//! (up to the stride's rounding); they are dropped. burn-flex's own convolution copies every
//! input `taps · width` times into an im2col buffer first, which is where basic-pitch's time
//! went on the CPU.

/// A plane of activations, `[frames][bins][channels]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// Frames (time).
    pub frames: usize,
    /// Bins per frame (frequency).
    pub bins: usize,
    /// Values per bin.
    pub channels: usize,
    /// `frames · bins · channels` values.
    pub data: Vec<f32>,
}

impl Plane {
    /// A plane of zeros.
    pub fn zeros(frames: usize, bins: usize, channels: usize) -> Self {
        Self {
            frames,
            bins,
            channels,
            data: vec![0.0; frames * bins * channels],
        }
    }

    /// Applies `f` to every value.
    pub fn map(mut self, f: impl Fn(f32) -> f32) -> Self {
        self.data.iter_mut().for_each(|v| *v = f(*v));
        self
    }

    /// The planes' channels side by side (same frames and bins), `self`'s first.
    pub fn with_channels_of(&self, other: &Plane) -> Plane {
        assert_eq!((self.frames, self.bins), (other.frames, other.bins));
        let channels = self.channels + other.channels;
        let mut data = Vec::with_capacity(self.frames * self.bins * channels);
        for (a, b) in self
            .data
            .chunks_exact(self.channels)
            .zip(other.data.chunks_exact(other.channels))
        {
            data.extend_from_slice(a);
            data.extend_from_slice(b);
        }
        Plane {
            frames: self.frames,
            bins: self.bins,
            channels,
            data,
        }
    }
}

/// The shape of a 2-D convolution: kernel, stride over bins, zero padding on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Kernel taps over frames.
    pub taps: usize,
    /// Kernel width over bins.
    pub width: usize,
    /// Stride over bins (1 over frames).
    pub stride: usize,
    /// Zero frames before and after.
    pub pad_frames: usize,
    /// Zero bins before and after.
    pub pad_bins: usize,
}

/// A convolution's weights laid out for [`PlaneConv::apply`].
#[derive(Debug, Clone)]
pub struct PlaneConv {
    shape: ConvShape,
    inputs: usize,
    outputs: usize,
    /// `[taps][width][inputs][outputs]`.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl PlaneConv {
    /// From PyTorch/burn layout weights, `[outputs][inputs][taps][width]`, and a bias per
    /// output.
    pub fn new(shape: ConvShape, weight: &[f32], dims: [usize; 4], bias: Vec<f32>) -> Self {
        let [outputs, inputs, taps, width] = dims;
        assert_eq!((taps, width), (shape.taps, shape.width), "kernel size");
        assert_eq!(weight.len(), outputs * inputs * taps * width);
        assert_eq!(bias.len(), outputs);
        let mut laid = vec![0.0; weight.len()];
        for o in 0..outputs {
            for i in 0..inputs {
                for k in 0..taps {
                    for w in 0..width {
                        laid[((k * width + w) * inputs + i) * outputs + o] =
                            weight[((o * inputs + i) * taps + k) * width + w];
                    }
                }
            }
        }
        Self {
            shape,
            inputs,
            outputs,
            weight: laid,
            bias,
        }
    }

    /// The convolution of `x`: `[frames + 2·pad − taps + 1][out bins][outputs]`, on this
    /// thread.
    pub fn apply(&self, x: &Plane) -> Plane {
        let ConvShape {
            taps,
            width,
            stride,
            pad_frames,
            pad_bins,
        } = self.shape;
        assert_eq!(x.channels, self.inputs, "input channels");
        let channels = self.inputs;
        let out_bins = (x.bins + 2 * pad_bins - width) / stride + 1;
        let out_frames = x.frames + 2 * pad_frames + 1 - taps;
        let rows = (x.bins + 2 * pad_bins).div_ceil(stride);
        let padded_bins = rows * stride;
        let frame_len = padded_bins * channels;
        let run = width * channels;

        // Zero-padded input, with slack for the dropped rows' runs past the last frame.
        let mut padded = vec![0.0; (x.frames + 2 * pad_frames) * frame_len + run];
        for (t, frame) in x.data.chunks_exact(x.bins * channels).enumerate() {
            let start = (t + pad_frames) * frame_len + pad_bins * channels;
            padded[start..start + frame.len()].copy_from_slice(frame);
        }

        let mut out = Vec::with_capacity(out_frames * rows * self.outputs);
        for _ in 0..out_frames * rows {
            out.extend_from_slice(&self.bias);
        }
        let tap_len = run * self.outputs;
        let m = out_frames * rows;
        for k in 0..taps {
            let lhs = &padded[k * frame_len..];
            let rhs = &self.weight[k * tap_len..(k + 1) * tap_len];
            // The last row read starts at (m − 1)·stride·channels and spans `run` values.
            assert!((m - 1) * stride * channels + run <= lhs.len());
            // SAFETY: `out` is `m × outputs` (row stride `outputs`); every lhs row lies inside
            // `lhs` (asserted above; rows overlap, which is fine for an input); `rhs` is
            // `run × outputs`. The three do not alias.
            unsafe {
                gemm::gemm(
                    m,
                    self.outputs,
                    run,
                    out.as_mut_ptr(),
                    1,
                    self.outputs as isize,
                    true,
                    lhs.as_ptr(),
                    1,
                    (stride * channels) as isize,
                    rhs.as_ptr(),
                    1,
                    self.outputs as isize,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }

        let mut data = Vec::with_capacity(out_frames * out_bins * self.outputs);
        for frame in out.chunks_exact(rows * self.outputs) {
            data.extend_from_slice(&frame[..out_bins * self.outputs]);
        }
        Plane {
            frames: out_frames,
            bins: out_bins,
            channels: self.outputs,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convolution written out, as burn and PyTorch define it.
    fn reference(conv: &PlaneConv, x: &Plane, weight: &[f32]) -> Plane {
        let s = conv.shape;
        let (inputs, outputs) = (conv.inputs, conv.outputs);
        let out_bins = (x.bins + 2 * s.pad_bins - s.width) / s.stride + 1;
        let out_frames = x.frames + 2 * s.pad_frames + 1 - s.taps;
        let mut y = Plane::zeros(out_frames, out_bins, outputs);
        for t in 0..out_frames {
            for b in 0..out_bins {
                for o in 0..outputs {
                    let mut sum = conv.bias[o];
                    for k in 0..s.taps {
                        for w in 0..s.width {
                            let (ft, fb) = (t + k, b * s.stride + w);
                            if ft < s.pad_frames || fb < s.pad_bins {
                                continue;
                            }
                            let (xt, xb) = (ft - s.pad_frames, fb - s.pad_bins);
                            if xt >= x.frames || xb >= x.bins {
                                continue;
                            }
                            for i in 0..inputs {
                                sum += weight[((o * inputs + i) * s.taps + k) * s.width + w]
                                    * x.data[(xt * x.bins + xb) * inputs + i];
                            }
                        }
                    }
                    y.data[(t * out_bins + b) * outputs + o] = sum;
                }
            }
        }
        y
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32)
            .map(|v| v / (1u32 << 24) as f32 - 0.5)
            .collect()
    }

    #[test]
    fn matches_the_written_out_convolution_for_strides_padding_and_channels() {
        for (shape, inputs, outputs) in [
            (
                ConvShape {
                    taps: 3,
                    width: 7,
                    stride: 1,
                    pad_frames: 1,
                    pad_bins: 3,
                },
                4,
                5,
            ),
            (
                ConvShape {
                    taps: 5,
                    width: 5,
                    stride: 3,
                    pad_frames: 2,
                    pad_bins: 1,
                },
                3,
                6,
            ),
            (
                ConvShape {
                    taps: 7,
                    width: 7,
                    stride: 3,
                    pad_frames: 3,
                    pad_bins: 2,
                },
                1,
                4,
            ),
            (
                ConvShape {
                    taps: 1,
                    width: 4,
                    stride: 4,
                    pad_frames: 0,
                    pad_bins: 0,
                },
                2,
                1,
            ),
        ] {
            let x = Plane {
                frames: 9,
                bins: 26,
                channels: inputs,
                data: values(9 * 26 * inputs, 1),
            };
            let dims = [outputs, inputs, shape.taps, shape.width];
            let weight = values(dims.iter().product(), 2);
            let conv = PlaneConv::new(shape, &weight, dims, values(outputs, 3));
            let (fast, slow) = (conv.apply(&x), reference(&conv, &x, &weight));
            assert_eq!(
                (fast.frames, fast.bins, fast.channels),
                (slow.frames, slow.bins, slow.channels)
            );
            let worst = fast
                .data
                .iter()
                .zip(&slow.data)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-4, "{shape:?}: largest difference {worst}");
        }
    }

    #[test]
    fn channels_side_by_side_keep_their_order() {
        let a = Plane {
            frames: 1,
            bins: 2,
            channels: 1,
            data: vec![1.0, 2.0],
        };
        let b = Plane {
            frames: 1,
            bins: 2,
            channels: 2,
            data: vec![10.0, 11.0, 20.0, 21.0],
        };
        assert_eq!(
            a.with_channels_of(&b).data,
            vec![1.0, 10.0, 11.0, 2.0, 20.0, 21.0]
        );
    }
}
