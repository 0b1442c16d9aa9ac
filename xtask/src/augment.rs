//! Audio augmentation for training (Zhong et al.): concatenation of excerpts from two pieces,
//! and audio effects — gain, tilt EQ, low-pass filtering, reverb, distortion and noise. Each
//! is switched by its probability in the training config so ablations can turn it off. The
//! effects change how the music sounds, never what plays, so labels are left as they are.

use rand::Rng;
use rand::rngs::StdRng;
use timbrescope_engine::classes::PITCH_COUNT;
use timbrescope_engine::features::{ANALYSIS_RATE, HOP_SAMPLES};

use crate::data::LabelledAudio;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::rms;
    use rand::SeedableRng;
    use timbrescope_synth::labels::FrameLabels;

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

        let mut impulse = vec![0.0f32; 4000];
        impulse[0] = 1.0;
        reverb(&mut impulse, 0.5, 0.7);
        assert!(
            impulse[557..].iter().any(|&s| s.abs() > 0.01),
            "a reverb tail follows the impulse"
        );
    }

    #[test]
    fn concatenation_takes_labels_from_each_side_of_the_cut() {
        let labelled = |value: f32, class: usize| {
            let mut labels = FrameLabels::silent(200, 3);
            (0..200).for_each(|t| labels.instrument[t * 3 + class] = value);
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
        assert_eq!(joined.labels.clip, vec![1.0, 0.0, 1.0]);
    }
}
