//! basic-pitch after its CQT, on the CPU: the imported graph's second half (log-magnitude
//! normalisation, harmonic stacking and the three convolution branches) as channels-last
//! matrix products ([`PlaneConv`]), with the imported weights. The imported graph runs these
//! convolutions through burn-flex's im2col, which copied each input up to 117 times and took
//! most of a window's time; this is the same arithmetic without the copies (a test holds it
//! to the imported graph).

use super::weights::ImportedWeights;
use super::{CONTOUR_BINS, WINDOW_FRAMES, WindowPosteriors};
use crate::classes::PITCH_COUNT;
use crate::networks::plane_conv::{ConvShape, Plane, PlaneConv};

/// CQT bins per frame out of the first half: 9 octaves × 36, real and imaginary parts.
pub const CQT_BINS: usize = 324;
/// The CQT bins the second half keeps (the top ones; the lowest 15 are dropped).
const KEPT_BINS: usize = 309;
/// Harmonic stacking: each harmonic's shift in bins (three per semitone), the sub-octave
/// first, in the imported graph's channel order.
const HARMONIC_SHIFTS: [isize; 8] = [-36, 0, 36, 57, 72, 84, 93, 101];

/// The second half's constants and kernels.
#[derive(Debug, Clone)]
pub struct Heads {
    /// Per-bin CQT scale (`constant59`).
    bin_scale: Vec<f32>,
    /// Added to the power before the log (`constant56`).
    power_floor: f32,
    /// log → dB: `constant54` then `constant57`.
    log_scales: [f32; 2],
    /// The batch norm on the normalised log power (`constant66`, `constant65`).
    norm: [f32; 2],
    /// `conv2d27`: the onset branch's features from the stacked CQT.
    onset_features: PlaneConv,
    /// `conv2d28` and `conv2d29`: the contour branch.
    contour_hidden: PlaneConv,
    contour: PlaneConv,
    /// `conv2d30` and `conv2d31`: notes from the contour.
    note_hidden: PlaneConv,
    note: PlaneConv,
    /// `conv2d32`: onsets from the notes and the onset features.
    onset: PlaneConv,
}

impl Heads {
    /// The second half of the imported graph, with its weights.
    pub fn of(weights: &ImportedWeights) -> Self {
        let values = |name: &str| weights.get(&format!("submodule2.{name}"));
        let scalar = |name: &str| values(name).0[0];
        let conv = |name: &str, taps, width, stride, pad_frames, pad_bins| {
            let (weight, dims) = values(&format!("{name}.weight"));
            let (bias, _) = values(&format!("{name}.bias"));
            let dims: [usize; 4] = dims.try_into().expect("a 2-D kernel");
            let shape = ConvShape {
                taps,
                width,
                stride,
                pad_frames,
                pad_bins,
            };
            PlaneConv::new(shape, &weight, dims, bias)
        };
        Self {
            bin_scale: values("constant59").0,
            power_floor: scalar("constant56"),
            log_scales: [scalar("constant54"), scalar("constant57")],
            norm: [scalar("constant66"), scalar("constant65")],
            onset_features: conv("conv2d27", 5, 5, 3, 2, 1),
            contour_hidden: conv("conv2d28", 3, 39, 1, 1, 19),
            contour: conv("conv2d29", 5, 5, 1, 2, 2),
            note_hidden: conv("conv2d30", 7, 7, 3, 3, 2),
            note: conv("conv2d31", 7, 3, 1, 3, 1),
            onset: conv("conv2d32", 3, 3, 1, 1, 1),
        }
    }

    /// One window's posteriors from its CQT, `[172][324][2]` (the first half's output).
    pub fn run(&self, cqt: &[f32]) -> WindowPosteriors {
        assert_eq!(cqt.len(), WINDOW_FRAMES * CQT_BINS * 2);
        let stacked = self.stacked(&self.normalised_log_power(cqt));
        let relu = |v: f32| v.max(0.0);
        let sigmoid = |v: f32| 1.0 / (1.0 + (-v).exp());
        let contour = self
            .contour
            .apply(&self.contour_hidden.apply(&stacked).map(relu))
            .map(sigmoid);
        let note = self
            .note
            .apply(&self.note_hidden.apply(&contour).map(relu))
            .map(sigmoid);
        let features = self.onset_features.apply(&stacked).map(relu);
        let onset = self
            .onset
            .apply(&note.with_channels_of(&features))
            .map(sigmoid);
        debug_assert_eq!(contour.data.len(), WINDOW_FRAMES * CONTOUR_BINS);
        debug_assert_eq!(note.data.len(), WINDOW_FRAMES * PITCH_COUNT);
        WindowPosteriors {
            note: note.data,
            onset: onset.data,
            contour: contour.data,
        }
    }

    /// Log power of the kept bins in dB, scaled to [0, 1] over the window, then the batch
    /// norm: `[172][309]`.
    fn normalised_log_power(&self, cqt: &[f32]) -> Vec<f32> {
        let mut db: Vec<f32> = cqt
            .chunks_exact(CQT_BINS * 2)
            .flat_map(|frame| {
                frame[(CQT_BINS - KEPT_BINS) * 2..]
                    .chunks_exact(2)
                    .zip(&self.bin_scale)
                    .map(|(re_im, &scale)| {
                        let (re, im) = (re_im[0] * scale, re_im[1] * scale);
                        let magnitude = (re * re + im * im).sqrt();
                        (magnitude * magnitude + self.power_floor).ln()
                            * self.log_scales[0]
                            * self.log_scales[1]
                    })
            })
            .collect();
        let min = db.iter().copied().fold(f32::INFINITY, f32::min);
        db.iter_mut().for_each(|v| *v -= min);
        let max = db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let [gain, shift] = self.norm;
        db.iter_mut().for_each(|v| {
            let scaled = if max == 0.0 { 0.0 } else { *v / max };
            *v = scaled * gain + shift;
        });
        db
    }

    /// Each bin with the bins of its harmonics beside it as channels: `[172][264][8]`,
    /// zero where a harmonic falls outside the kept bins.
    fn stacked(&self, log_power: &[f32]) -> Plane {
        let bins = CONTOUR_BINS;
        let mut plane = Plane::zeros(WINDOW_FRAMES, bins, HARMONIC_SHIFTS.len());
        for (frame, out) in log_power
            .chunks_exact(KEPT_BINS)
            .zip(plane.data.chunks_exact_mut(bins * HARMONIC_SHIFTS.len()))
        {
            for (bin, cell) in out.chunks_exact_mut(HARMONIC_SHIFTS.len()).enumerate() {
                for (value, shift) in cell.iter_mut().zip(HARMONIC_SHIFTS) {
                    if let Some(&v) = bin
                        .checked_add_signed(shift)
                        .and_then(|source| frame.get(source))
                    {
                        *value = v;
                    }
                }
            }
        }
        plane
    }
}
