//! basic-pitch's constant-Q transform on the CPU: the imported graph's first half, octave by
//! octave. Each octave's 36 complex filters run on the signal decimated by two per octave
//! below the top (reflect-padded by 128 samples, one frame every `256 >> octave` samples),
//! so every octave gives the same 172 frames. The filters and the half-band decimator are
//! the imported weights, run as [`PlaneConv`] matrix products.

use super::WINDOW_FRAMES;
use super::heads::CQT_BINS;
use super::weights::ImportedWeights;
use crate::networks::plane_conv::{ConvShape, Plane, PlaneConv};

/// Octaves, and bins per octave.
const OCTAVES: usize = 9;
const BINS_PER_OCTAVE: usize = 36;
/// Filter length, in samples of the octave's own rate.
const FILTER_SAMPLES: usize = 256;

/// The imported graph's convolution numbers, top octave first: its two filter banks (real
/// and imaginary parts, in either order: only their power is used) and the decimator that
/// makes the next octave's signal.
const FILTERS: [(usize, usize); OCTAVES] = [
    (1, 2),
    (4, 5),
    (7, 8),
    (10, 11),
    (13, 14),
    (16, 17),
    (19, 20),
    (22, 23),
    (25, 26),
];
const DECIMATORS: [usize; OCTAVES - 1] = [3, 6, 9, 12, 15, 18, 21, 24];

/// The transform's kernels.
#[derive(Debug, Clone)]
pub struct Cqt {
    /// Per octave, top first: both filter banks as one kernel of 72 outputs.
    filters: Vec<PlaneConv>,
    /// Per octave but the last: the decimator to the next.
    decimators: Vec<PlaneConv>,
}

impl Cqt {
    /// The first half of the imported graph, with its weights.
    pub fn of(weights: &ImportedWeights) -> Self {
        let filters = FILTERS
            .iter()
            .enumerate()
            .map(|(octave, &(a, b))| {
                let (mut weight, dims_a) = weights.get(&format!("submodule1.conv2d{a}.weight"));
                let (weight_b, dims_b) = weights.get(&format!("submodule1.conv2d{b}.weight"));
                let (mut bias, _) = weights.get(&format!("submodule1.conv2d{a}.bias"));
                weight.extend(weight_b);
                bias.extend(weights.get(&format!("submodule1.conv2d{b}.bias")).0);
                assert_eq!(dims_a, dims_b);
                let shape = ConvShape {
                    taps: 1,
                    width: FILTER_SAMPLES,
                    stride: FILTER_SAMPLES >> octave,
                    pad_frames: 0,
                    pad_bins: 0,
                };
                let dims = [2 * BINS_PER_OCTAVE, 1, 1, FILTER_SAMPLES];
                PlaneConv::new(shape, &weight, dims, bias)
            })
            .collect();
        let decimators = DECIMATORS
            .iter()
            .map(|n| {
                let (weight, dims) = weights.get(&format!("submodule1.conv2d{n}.weight"));
                let (bias, _) = weights.get(&format!("submodule1.conv2d{n}.bias"));
                let shape = ConvShape {
                    taps: 1,
                    width: FILTER_SAMPLES,
                    stride: 2,
                    pad_frames: 0,
                    pad_bins: FILTER_SAMPLES / 2 - 1,
                };
                PlaneConv::new(shape, &weight, dims.try_into().expect("a 2-D kernel"), bias)
            })
            .collect();
        Self {
            filters,
            decimators,
        }
    }

    /// One window's transform, `[172][324][2]` (lowest octave first within a frame).
    pub fn run(&self, window: &[f32]) -> Vec<f32> {
        let mut cqt = vec![0.0; WINDOW_FRAMES * CQT_BINS * 2];
        let mut signal = window.to_vec();
        for (octave, filters) in self.filters.iter().enumerate() {
            let padded = reflect_padded(&signal, FILTER_SAMPLES / 2);
            let bank = filters.apply(&Plane {
                frames: 1,
                bins: padded.len(),
                channels: 1,
                data: padded,
            });
            let first_bin = (OCTAVES - 1 - octave) * BINS_PER_OCTAVE;
            for (t, frame) in bank
                .data
                .chunks_exact(2 * BINS_PER_OCTAVE)
                .take(WINDOW_FRAMES)
                .enumerate()
            {
                let (a, b) = frame.split_at(BINS_PER_OCTAVE);
                for (bin, (&a, &b)) in a.iter().zip(b).enumerate() {
                    let at = ((t * CQT_BINS) + first_bin + bin) * 2;
                    cqt[at] = a;
                    cqt[at + 1] = b;
                }
            }
            if let Some(decimator) = self.decimators.get(octave) {
                let bins = signal.len();
                signal = decimator
                    .apply(&Plane {
                        frames: 1,
                        bins,
                        channels: 1,
                        data: signal,
                    })
                    .data;
            }
        }
        cqt
    }
}

/// `signal` with `pad` samples mirrored at each end (the edge sample not repeated).
fn reflect_padded(signal: &[f32], pad: usize) -> Vec<f32> {
    let last = signal.len() - 1;
    (0..signal.len() + 2 * pad)
        .map(|j| {
            let i = j.abs_diff(pad);
            signal[if j < pad {
                i
            } else if i > last {
                2 * last - i
            } else {
                i
            }]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::reflect_padded;

    #[test]
    fn reflection_mirrors_about_the_edge_samples() {
        assert_eq!(
            reflect_padded(&[1.0, 2.0, 3.0, 4.0], 2),
            vec![3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]
        );
    }
}
