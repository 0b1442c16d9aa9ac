//! Triangular filterbanks over an STFT magnitude spectrum: log-mel bands for timbre and a
//! semitone-spaced log-frequency bank for pitch.
//!
//! No crate offers a semitone-spaced bank from an STFT, and the mel bank is the same triangle
//! construction with other centres, so both are built here from one [`TriangularFilterbank`].

/// A bank of triangular filters, each stored sparsely as its first FFT bin and its weights.
#[derive(Debug, Clone)]
pub struct TriangularFilterbank {
    filters: Vec<SparseFilter>,
}

#[derive(Debug, Clone)]
struct SparseFilter {
    first_bin: usize,
    weights: Vec<f32>,
}

/// One triangle on the frequency axis, in Hz: rises from `lower`, peaks at `centre`, falls to `upper`.
#[derive(Debug, Clone, Copy)]
pub struct Triangle {
    /// Where the weight starts rising from zero.
    pub lower: f64,
    /// Where the weight is 1.
    pub centre: f64,
    /// Where the weight is back at zero.
    pub upper: f64,
}

impl TriangularFilterbank {
    /// Builds the bank for an STFT of `fft_size` points at `sample_rate`.
    ///
    /// A triangle narrower than one FFT bin is widened to ±1 bin, so every filter sees at
    /// least the two bins around its centre (linear interpolation of the spectrum) instead of
    /// falling between bins and reading zero.
    pub fn new(triangles: &[Triangle], fft_size: usize, sample_rate: f64) -> Self {
        Self::build(triangles, fft_size, sample_rate, true)
    }

    /// The bank with every triangle as given, however narrow (a triangle between two bins
    /// reads zero): the construction of torchaudio's `melscale_fbanks`, for a pretrained
    /// network's front end that must match its original.
    pub fn exact(triangles: &[Triangle], fft_size: usize, sample_rate: f64) -> Self {
        Self::build(triangles, fft_size, sample_rate, false)
    }

    fn build(triangles: &[Triangle], fft_size: usize, sample_rate: f64, widen: bool) -> Self {
        let bin_hz = sample_rate / fft_size as f64;
        let bin_count = fft_size / 2 + 1;
        let filters = triangles
            .iter()
            .map(|t| {
                let (lower, upper) = if widen {
                    (
                        t.lower.min(t.centre - bin_hz),
                        t.upper.max(t.centre + bin_hz),
                    )
                } else {
                    (t.lower, t.upper)
                };
                let first_bin = ((lower / bin_hz).floor().max(0.0) as usize).min(bin_count - 1);
                let last_bin = ((upper / bin_hz).ceil() as usize).min(bin_count - 1);
                let weights = (first_bin..=last_bin)
                    .map(|bin| {
                        let f = bin as f64 * bin_hz;
                        let w = if f <= t.centre {
                            (f - lower) / (t.centre - lower)
                        } else {
                            (upper - f) / (upper - t.centre)
                        };
                        w.max(0.0) as f32
                    })
                    .collect();
                SparseFilter { first_bin, weights }
            })
            .collect();
        Self { filters }
    }

    /// Number of output bands.
    pub fn len(&self) -> usize {
        self.filters.len()
    }

    /// Whether the bank has no band.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Applies the bank to one magnitude spectrum, writing `self.len()` band values to `out`.
    pub fn apply(&self, magnitude: &[f32], out: &mut [f32]) {
        for (filter, value) in self.filters.iter().zip(out.iter_mut()) {
            let bins = &magnitude[filter.first_bin..filter.first_bin + filter.weights.len()];
            *value = bins.iter().zip(&filter.weights).map(|(m, w)| m * w).sum();
        }
    }
}

/// Frequency in Hz of a (fractional) MIDI note number, A4 = 69 = 440 Hz.
pub fn midi_to_hz(midi: f64) -> f64 {
    440.0 * 2f64.powf((midi - 69.0) / 12.0)
}

/// MIDI note number (fractional) of a frequency in Hz.
pub fn hz_to_midi(hz: f64) -> f64 {
    69.0 + 12.0 * (hz / 440.0).log2()
}

/// HTK mel scale: perceptually even spacing of timbre bands.
fn hz_to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

fn mel_to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

/// Triangles of a mel bank: `bands` filters evenly spaced on the mel scale in `[fmin, fmax]`.
pub fn mel_triangles(bands: usize, fmin: f64, fmax: f64) -> Vec<Triangle> {
    let (lo, hi) = (hz_to_mel(fmin), hz_to_mel(fmax));
    let points: Vec<f64> = (0..bands + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (bands + 1) as f64))
        .collect();
    points
        .windows(3)
        .map(|p| Triangle {
            lower: p[0],
            centre: p[1],
            upper: p[2],
        })
        .collect()
}

/// Triangles of a log-frequency pitch bank: `per_semitone` bins per semitone with centres at
/// `first_midi + k / per_semitone`, each as wide as its neighbours' centres, up to `max_hz`.
pub fn semitone_triangles(first_midi: f64, per_semitone: usize, max_hz: f64) -> Vec<Triangle> {
    let step = 1.0 / per_semitone as f64;
    (0..)
        .map(|k| first_midi + k as f64 * step)
        .take_while(|&m| midi_to_hz(m + step) <= max_hz)
        .map(|m| Triangle {
            lower: midi_to_hz(m - step),
            centre: midi_to_hz(m),
            upper: midi_to_hz(m + step),
        })
        .collect()
}
