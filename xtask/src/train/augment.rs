//! Audio augmentation for training (Zhong et al.): concatenation of excerpts from two pieces,
//! and audio effects — gain, tilt EQ, low-pass filtering, reverb, distortion and noise. Each
//! is switched by its probability in the training config so ablations can turn it off. The
//! effects change how the music sounds, never what plays, so labels are left as they are.
//! Timbre variation works on single parts before they are mixed: a [`TimbreShift`] at
//! rendering and a random spectral envelope, so one SoundFont stands for many; and the
//! font's own other presets of a voice ([`random_variations`]).

use rand::Rng;
use rand::rngs::StdRng;
use timbrescope_engine::classes::{GM_PROGRAMMES, PITCH_COUNT};
use timbrescope_engine::features::{ANALYSIS_RATE, HOP_SAMPLES};
use timbrescope_synth::render::{Cast, TimbreShift};
use timbrescope_synth::score::{Score, Voice};

use timbrescope_synth::labels::LabelledAudio;

/// `mine[..at]` followed by `theirs[at..]`, keeping `mine`'s length (silence past `theirs`' end).
fn splice(mine: &mut Vec<f32>, theirs: &[f32], at: usize) {
    let length = mine.len();
    let at = at.min(length);
    mine.truncate(at);
    mine.extend(theirs.iter().skip(at).take(length - at));
    mine.resize(length, 0.0);
}

/// `first`'s frames before `cut_frame`, then `second`'s from `cut_frame` on, audio and labels
/// alike; the length is `first`'s.
pub fn concatenate(
    mut first: LabelledAudio,
    second: &LabelledAudio,
    cut_frame: usize,
) -> LabelledAudio {
    let (mine, theirs) = (&mut first.labels, &second.labels);
    let c = mine.classes;
    splice(&mut first.samples, &second.samples, cut_frame * HOP_SAMPLES);
    splice(&mut mine.instrument, &theirs.instrument, cut_frame * c);
    splice(&mut mine.pitch, &theirs.pitch, cut_frame * PITCH_COUNT);
    splice(
        &mut mine.pianoroll,
        &theirs.pianoroll,
        cut_frame * c * PITCH_COUNT,
    );
    splice(
        &mut mine.programme,
        &theirs.programme,
        cut_frame * GM_PROGRAMMES,
    );
    mine.refresh_clip();
    first
}

/// Scales the signal by `decibels`.
pub fn gain(samples: &mut [f32], decibels: f32) {
    let factor = 10f32.powf(decibels / 20.0);
    samples.iter_mut().for_each(|s| *s *= factor);
}

/// One-pole low-pass at `cutoff_hz`: a duller, more distant sound.
pub fn low_pass(samples: &mut [f32], cutoff_hz: f32) {
    let a = (-std::f32::consts::TAU * cutoff_hz / ANALYSIS_RATE as f32).exp();
    let mut state = 0.0f32;
    for s in samples.iter_mut() {
        state = (1.0 - a) * *s + a * state;
        *s = state;
    }
}

/// Tilt EQ: adds `amount` (−1…1) of the first difference, brightening or darkening the sound.
pub fn tilt(samples: &mut [f32], amount: f32) {
    let mut previous = 0.0f32;
    for s in samples.iter_mut() {
        let x = *s;
        *s = x + amount * (x - previous);
        previous = x;
    }
}

/// Soft clipping with `drive` ≥ 1, level-matched.
pub fn distort(samples: &mut [f32], drive: f32) {
    let norm = drive.tanh();
    samples
        .iter_mut()
        .for_each(|s| *s = (*s * drive).tanh() / norm);
}

/// A small room: three feedback comb filters in parallel, mixed in at `wet`.
pub fn reverb(samples: &mut [f32], wet: f32, feedback: f32) {
    let delays = [557usize, 593, 641];
    let dry = samples.to_vec();
    let mut tail = vec![0.0f32; samples.len()];
    for delay in delays {
        let mut line = vec![0.0f32; samples.len()];
        for i in 0..samples.len() {
            let back = if i >= delay { line[i - delay] } else { 0.0 };
            line[i] = dry[i] + feedback * back;
            tail[i] += line[i] / delays.len() as f32;
        }
    }
    for (s, t) in samples.iter_mut().zip(tail) {
        *s = (1.0 - wet) * *s + wet * t;
    }
}

/// White noise at `snr_db` below the signal's power.
pub fn add_noise(samples: &mut [f32], snr_db: f32, rng: &mut StdRng) {
    let power = samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32;
    let noise_rms = (power / 10f32.powf(snr_db / 10.0)).sqrt();
    // Uniform noise on [-a, a] has RMS a / sqrt(3).
    let a = noise_rms * 3f32.sqrt();
    samples
        .iter_mut()
        .for_each(|s| *s += rng.random_range(-a..=a));
}

/// One randomly chosen effect with random settings.
pub fn random_effect(samples: &mut [f32], rng: &mut StdRng) {
    match rng.random_range(0..6) {
        0 => gain(samples, rng.random_range(-12.0..6.0)),
        1 => tilt(samples, rng.random_range(-0.8..0.8)),
        2 => low_pass(samples, rng.random_range(1500.0..6000.0)),
        3 => reverb(
            samples,
            rng.random_range(0.2..0.6),
            rng.random_range(0.5..0.8),
        ),
        4 => distort(samples, rng.random_range(1.5..6.0)),
        _ => add_noise(samples, rng.random_range(10.0..40.0), rng),
    }
}

/// A random timbre shift for a part of `voice`: melodic parts sound from sample zones up to
/// 3 semitones away with envelopes stretched to match, slightly detuned; drum kits are
/// retuned by up to 3 semitones.
pub fn random_timbre_shift(voice: Voice, rng: &mut StdRng) -> TimbreShift {
    match voice {
        Voice::Percussion => TimbreShift {
            semitones: 0,
            cents: rng.random_range(-300.0..300.0),
        },
        Voice::Program(_) => TimbreShift {
            semitones: rng.random_range(-3..=3),
            cents: rng.random_range(-20.0..20.0),
        },
    }
}

/// Gives each part of `score` whose voice its set in `cast` holds other presets of one of
/// them, drawn from `rng`, with `probability`: real other sample sets (a ukulele for an
/// acoustic guitar, an 808 kit for the drums) where a [`TimbreShift`] only bends one. Labels
/// follow the voice, so they stay as they are.
pub fn random_variations(score: &mut Score, cast: &Cast, probability: f64, rng: &mut StdRng) {
    if probability <= 0.0 {
        return;
    }
    for (i, part) in score.parts.iter_mut().enumerate() {
        let choices = cast.set_of(i).variations(part.voice);
        if !choices.is_empty() && rng.random_bool(probability.min(1.0)) {
            part.variation = choices[rng.random_range(0..choices.len())];
        }
    }
}

/// Which equaliser band [`equalise`] applies.
#[derive(Debug, Clone, Copy)]
pub enum Band {
    /// Boosts or cuts everything below the corner.
    LowShelf,
    /// Boosts or cuts everything above the corner.
    HighShelf,
    /// Boosts or cuts around the centre.
    Peak,
}

/// One equaliser band (Bristow-Johnson's biquad cookbook) of `decibels` at `hz` with
/// quality `q` on `samples` at `rate` Hz. (Written here rather than taken from the `biquad`
/// crate, which turns on `num-traits/libm` and so rebuilds the whole burn stack.)
pub fn equalise(samples: &mut [f32], rate: u32, band: Band, hz: f32, decibels: f32, q: f32) {
    let a = 10f32.powf(decibels / 40.0);
    let w0 = std::f32::consts::TAU * hz / rate as f32;
    let (sin, cos) = w0.sin_cos();
    let alpha = sin / (2.0 * q);
    let shelf = 2.0 * a.sqrt() * alpha;
    let (b, den) = match band {
        Band::Peak => (
            [1.0 + alpha * a, -2.0 * cos, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * cos, 1.0 - alpha / a],
        ),
        Band::LowShelf => (
            [
                a * ((a + 1.0) - (a - 1.0) * cos + shelf),
                2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
                a * ((a + 1.0) - (a - 1.0) * cos - shelf),
            ],
            [
                (a + 1.0) + (a - 1.0) * cos + shelf,
                -2.0 * ((a - 1.0) + (a + 1.0) * cos),
                (a + 1.0) + (a - 1.0) * cos - shelf,
            ],
        ),
        Band::HighShelf => (
            [
                a * ((a + 1.0) + (a - 1.0) * cos + shelf),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                a * ((a + 1.0) + (a - 1.0) * cos - shelf),
            ],
            [
                (a + 1.0) - (a - 1.0) * cos + shelf,
                2.0 * ((a - 1.0) - (a + 1.0) * cos),
                (a + 1.0) - (a - 1.0) * cos - shelf,
            ],
        ),
    };
    let [b0, b1, b2] = b.map(|x| x / den[0]);
    let (a1, a2) = (den[1] / den[0], den[2] / den[0]);
    // Transposed direct form II.
    let (mut z1, mut z2) = (0.0f32, 0.0f32);
    for s in samples.iter_mut() {
        let x = *s;
        let y = b0 * x + z1;
        z1 = b1 * x - a1 * y + z2;
        z2 = b2 * x - a2 * y;
        *s = y;
    }
}

/// A random spectral envelope on one part at `rate` Hz: low and high shelves and a peak,
/// each within ±9 dB, as another instrument or microphone would colour the sound.
pub fn random_spectral_envelope(samples: &mut [f32], rate: u32, rng: &mut StdRng) {
    let mut decibels = || rng.random_range(-9.0..9.0);
    let (low, high, peak) = (decibels(), decibels(), decibels());
    let low_hz = rng.random_range(150.0..600.0);
    let high_hz = rng.random_range(2000.0..6000.0);
    let peak_hz = 2f32.powf(rng.random_range(300f32.log2()..5000f32.log2()));
    let peak_q = rng.random_range(0.7..3.0);
    let butterworth = std::f32::consts::FRAC_1_SQRT_2;
    equalise(samples, rate, Band::LowShelf, low_hz, low, butterworth);
    equalise(samples, rate, Band::HighShelf, high_hz, high, butterworth);
    equalise(samples, rate, Band::Peak, peak_hz, peak, peak_q);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::rms;
    use rand::SeedableRng;
    use timbrescope_synth::labels::FrameLabels;
    use timbrescope_synth::score::Part;

    fn sine(hz: f32, seconds: f32) -> Vec<f32> {
        let n = (seconds * ANALYSIS_RATE as f32) as usize;
        (0..n)
            .map(|i| 0.5 * (std::f32::consts::TAU * hz * i as f32 / ANALYSIS_RATE as f32).sin())
            .collect()
    }

    #[test]
    fn effects_do_what_they_say_on_sines() {
        let mut loud = sine(440.0, 1.0);
        gain(&mut loud, -6.0);
        assert!((rms(&loud) / rms(&sine(440.0, 1.0)) - 0.501).abs() < 0.01);

        let (mut low, mut high) = (sine(200.0, 1.0), sine(5000.0, 1.0));
        low_pass(&mut low, 1000.0);
        low_pass(&mut high, 1000.0);
        assert!(
            rms(&low) > 0.9 * rms(&sine(200.0, 1.0)),
            "the pass band passes"
        );
        assert!(
            rms(&high) < 0.3 * rms(&sine(5000.0, 1.0)),
            "the stop band is cut"
        );

        let clean = sine(440.0, 1.0);
        let mut noisy = clean.clone();
        add_noise(&mut noisy, 20.0, &mut StdRng::seed_from_u64(1));
        let noise: Vec<f32> = noisy.iter().zip(&clean).map(|(n, c)| n - c).collect();
        let snr = 20.0 * (rms(&clean) / rms(&noise)).log10();
        assert!((snr - 20.0).abs() < 0.5, "SNR {snr} dB");

        let mut clipped = sine(440.0, 1.0);
        distort(&mut clipped, 4.0);
        assert!(
            clipped.iter().all(|s| s.abs() <= 1.0 + 1e-6) && rms(&clipped) > rms(&sine(440.0, 1.0))
        );

        let band_gain = |hz: f32, band: Band, centre: f32, decibels: f32| {
            let mut filtered = sine(hz, 1.0);
            equalise(&mut filtered, ANALYSIS_RATE, band, centre, decibels, 1.0);
            // Past the filter's settling time.
            let settled = |x: &[f32]| rms(&x[4000..]);
            20.0 * (settled(&filtered) / settled(&sine(hz, 1.0))).log10()
        };
        let near = |got: f32, want: f32| assert!((got - want).abs() < 0.5, "{got} dB, not {want}");
        near(band_gain(1000.0, Band::Peak, 1000.0, 9.0), 9.0);
        near(band_gain(100.0, Band::Peak, 3000.0, 9.0), 0.0);
        near(band_gain(60.0, Band::LowShelf, 800.0, -9.0), -9.0);
        near(band_gain(5000.0, Band::LowShelf, 300.0, -9.0), 0.0);
        near(band_gain(6000.0, Band::HighShelf, 1000.0, 6.0), 6.0);
        near(band_gain(100.0, Band::HighShelf, 3000.0, 6.0), 0.0);

        let mut impulse = vec![0.0f32; 4000];
        impulse[0] = 1.0;
        reverb(&mut impulse, 0.5, 0.7);
        assert!(
            impulse[557..].iter().any(|&s| s.abs() > 0.01),
            "a reverb tail follows the impulse"
        );
    }

    #[test]
    fn variations_are_drawn_from_the_font_at_their_probability() {
        use timbrescope_synth::sample_sets::{TRAINING_FONT, load_soundfont};
        let font = load_soundfont(std::path::Path::new(TRAINING_FONT)).unwrap();
        let voices = [Voice::Program(25), Voice::Program(41), Voice::Percussion];
        let kits = font.variations(Voice::Percussion);
        let varied = |probability: f64, seed: u64| {
            let mut score = Score {
                parts: voices.map(|v| Part::new(v, Vec::new())).to_vec(),
                duration: 1.0,
            };
            random_variations(
                &mut score,
                &(&font).into(),
                probability,
                &mut StdRng::seed_from_u64(seed),
            );
            score.parts.iter().map(|p| p.variation).collect::<Vec<u8>>()
        };
        let always: Vec<Vec<u8>> = (0..400).map(|seed| varied(1.0, seed)).collect();
        // The guitar takes both of its other banks, the viola (none in FluidR3) stays itself.
        for bank in [8, 16] {
            assert!(always.iter().filter(|v| v[0] == bank).count() > 150);
        }
        assert!(always.iter().all(|v| [8, 16].contains(&v[0]) && v[1] == 0));
        assert!(always.iter().all(|v| kits.contains(&v[2])));
        let sometimes = (0..400).filter(|&seed| varied(0.5, seed)[2] != 0).count();
        assert!(
            (160..240).contains(&sometimes),
            "{sometimes} of 400 kits varied"
        );
        assert!((0..50).all(|seed| varied(0.0, seed) == [0, 0, 0]));
    }

    #[test]
    fn concatenation_takes_labels_from_each_side_of_the_cut() {
        let labelled = |value: f32, class: usize| {
            let mut labels = FrameLabels::silent(200, 3);
            (0..200).for_each(|t| {
                labels.instrument[t * 3 + class] = value;
                labels.programme[t * GM_PROGRAMMES + class] = value;
            });
            labels.clip[class] = value;
            LabelledAudio {
                samples: vec![value * (class + 1) as f32; 200 * HOP_SAMPLES],
                labels,
            }
        };
        let joined = concatenate(labelled(1.0, 0), &labelled(1.0, 2), 80);
        assert_eq!(joined.samples.len(), 200 * HOP_SAMPLES);
        assert_eq!(joined.samples[80 * HOP_SAMPLES - 1], 1.0);
        assert_eq!(joined.samples[80 * HOP_SAMPLES], 3.0);
        assert_eq!(&joined.labels.instrument[79 * 3..80 * 3], &[1.0, 0.0, 0.0]);
        assert_eq!(&joined.labels.instrument[80 * 3..81 * 3], &[0.0, 0.0, 1.0]);
        let programmes =
            |t: usize| &joined.labels.programme[t * GM_PROGRAMMES..t * GM_PROGRAMMES + 3];
        assert_eq!(
            (programmes(79), programmes(80)),
            (&[1.0, 0.0, 0.0][..], &[0.0, 0.0, 1.0][..])
        );
        assert_eq!(joined.labels.clip, vec![1.0, 0.0, 1.0]);
    }
}
