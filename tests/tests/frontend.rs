//! The audio front-end on real signals: sines, a rendered chord, resampled input, and the
//! harmonic stack the network reads the pitch bank through.

use burn::prelude::*;
use timbrescope_engine::classes::LOWEST_MIDI_NOTE;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::features::{
    ANALYSIS_RATE, FeatureConfig, FeatureStream, frame_count, silent_log_level,
};
use timbrescope_engine::input::resample::resample_to_analysis_rate;
use timbrescope_engine::networks::harmonic::{HARMONICS, HarmonicConfig};
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render, sine};

/// Feature frames of a 16 kHz signal.
fn frames_of(samples: &[f32]) -> (FeatureConfig, Vec<Vec<f32>>) {
    frames_with(FeatureConfig::default(), samples)
}

/// Feature frames of a 16 kHz signal under `config`.
fn frames_with(config: FeatureConfig, samples: &[f32]) -> (FeatureConfig, Vec<Vec<f32>>) {
    let mut stream = FeatureStream::new(&config);
    let mut flat = Vec::new();
    stream.push(samples, &mut flat);
    stream.finish(frame_count(samples.len(), ANALYSIS_RATE), &mut flat);
    let frames = flat
        .chunks(stream.frame_len())
        .map(<[f32]>::to_vec)
        .collect();
    (config, frames)
}

/// Pitch-bank values of a frame.
fn pitch_bins<'a>(config: &FeatureConfig, frame: &'a [f32]) -> &'a [f32] {
    &frame[config.mel_bands..]
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap()
}

#[test]
fn a_440_hz_sine_lands_in_the_a4_bins() {
    let (config, frames) = frames_of(&sine(440.0, 1.0, ANALYSIS_RATE));
    let a4 = config.pitch_bin_of(69);
    for frame in &frames[20..80] {
        let peak = argmax(pitch_bins(&config, frame));
        assert_eq!(peak, a4, "peak in bin {peak}, A4 is bin {a4}");
    }
    // The semitone neighbours are far weaker (log domain: at least a factor e^2 ≈ 7).
    let bins = pitch_bins(&config, &frames[50]);
    let per_semitone = config.pitch_bins_per_semitone;
    assert!(bins[a4] - bins[a4 + per_semitone] > 2.0 && bins[a4] - bins[a4 - per_semitone] > 2.0);
}

#[test]
fn the_pitch_bank_covers_the_piano_and_harmonics_up_to_nyquist() {
    let config = FeatureConfig::default();
    let bins = config.pitch_bins();
    assert!(config.pitch_bin_of(108) < bins, "C8 must have a bin");
    let top_midi =
        config.pitch_first_midi() + (bins - 1) as f64 / config.pitch_bins_per_semitone as f64;
    assert!(
        top_midi > 118.0,
        "harmonics up to ~8 kHz (MIDI 119), got {top_midi}"
    );
    assert!(config.pitch_bins_per_semitone >= 3);
}

#[test]
fn a_rendered_c_major_triad_lights_its_three_semitones() {
    let audio = render(
        vec![Part::new(
            Voice::Program(0),
            notes(&[(60, 0.0, 1.5), (64, 0.0, 1.5), (67, 0.0, 1.5)]),
        )],
        1.5,
        ANALYSIS_RATE,
    );
    let (config, frames) = frames_of(&audio);
    // Mean energy per semitone (strongest of its bins) over the sustained part, below C5 so
    // that harmonics of the chord tones do not compete.
    let semitone_energy = |midi: u8| -> f32 {
        let centre = config.pitch_bin_of(midi);
        frames[20..120]
            .iter()
            .map(|f| {
                pitch_bins(&config, f)[centre - 1..=centre + 1]
                    .iter()
                    .copied()
                    .fold(f32::MIN, f32::max)
            })
            .sum::<f32>()
            / 100.0
    };
    let mut ranked: Vec<(u8, f32)> = (LOWEST_MIDI_NOTE..72)
        .map(|m| (m, semitone_energy(m)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut top: Vec<u8> = ranked[..3].iter().map(|r| r.0).collect();
    top.sort();
    assert_eq!(
        top,
        vec![60, 64, 67],
        "strongest semitones: {:?}",
        &ranked[..6]
    );
}

#[test]
fn a_short_mel_window_ends_a_note_where_the_long_pitch_window_still_hears_it() {
    // 0.5 s of A4, then silence: the tone ends at frame 50.
    let mut audio = sine(440.0, 0.5, ANALYSIS_RATE);
    audio.resize(ANALYSIS_RATE as usize, 0.0);
    let config = FeatureConfig {
        mel_fft_size: 1024,
        ..FeatureConfig::default()
    };
    let (config, frames) = frames_with(config, &audio);
    let loudest_mel = |frame: &[f32]| {
        frame[..config.mel_bands]
            .iter()
            .copied()
            .fold(f32::MIN, f32::max)
    };
    let silence = loudest_mel(&frames[90]);
    let sounding = loudest_mel(&frames[40]);
    assert!(
        sounding - silence > 8.0,
        "tone {sounding}, silence {silence}"
    );
    // 1024 samples reach 3.2 frames either side: 5 frames after the end the mel bands are silent…
    assert!(
        loudest_mel(&frames[55]) - silence < 1.0,
        "mel 50 ms after the end: {}, silence {silence}",
        loudest_mel(&frames[55])
    );
    // …and 5 frames before it they still read the tone at full level.
    assert!((loudest_mel(&frames[45]) - sounding).abs() < 0.5);
    // The 4096-point pitch bank (12.8 frames either side) still holds A4 at frame 55.
    let a4 = config.pitch_bin_of(69);
    let pitch_silence = pitch_bins(&config, &frames[90])[a4];
    assert!(pitch_bins(&config, &frames[55])[a4] - pitch_silence > 5.0);
}

/// Frequency of a sine from its zero crossings over the middle of the signal.
fn measured_frequency(samples: &[f32], rate: u32) -> f64 {
    let middle = &samples[samples.len() / 4..3 * samples.len() / 4];
    let crossings: Vec<f64> = middle
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] <= 0.0 && w[1] > 0.0)
        .map(|(i, w)| i as f64 + f64::from(w[0] / (w[0] - w[1])))
        .collect();
    let periods = (crossings.len() - 1) as f64;
    periods * f64::from(rate) / (crossings[crossings.len() - 1] - crossings[0])
}

#[test]
fn resampling_to_16_khz_keeps_a_sines_frequency_and_length() {
    for rate in [44_100, 48_000, 96_000] {
        for hz in [440.0, 1_234.5] {
            let input = sine(hz, 2.0, rate);
            let output = resample_to_analysis_rate(&input, rate).unwrap();
            let expected_len = (input.len() as u64 * 16_000).div_ceil(u64::from(rate)) as usize;
            assert_eq!(output.len(), expected_len, "{rate} Hz");
            let measured = measured_frequency(&output, ANALYSIS_RATE);
            assert!(
                (measured - hz).abs() < 0.05,
                "{rate} Hz: {hz} Hz came out as {measured} Hz"
            );
            // No delay: the resampled sine keeps its phase (starts rising from zero).
            let t = 1000;
            let expected = 0.5 * (std::f64::consts::TAU * hz * t as f64 / 16_000.0).sin();
            assert!(
                (f64::from(output[t]) - expected).abs() < 0.02,
                "{rate} Hz: phase shifted"
            );
        }
    }
}

#[test]
fn resampling_from_any_host_rate_keeps_the_passband_flat_and_removes_what_would_alias() {
    // Amplitude of the `hz` component of `signal` at `rate` (one DFT bin).
    let amplitude = |signal: &[f32], hz: f64| {
        let (re, im) = signal
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(re, im), (i, &v)| {
                let phase = std::f64::consts::TAU * hz * i as f64 / f64::from(ANALYSIS_RATE);
                (
                    re + f64::from(v) * phase.cos(),
                    im + f64::from(v) * phase.sin(),
                )
            });
        2.0 * (re * re + im * im).sqrt() / signal.len() as f64
    };
    for rate in [
        8_000, 11_025, 22_050, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000,
    ] {
        for hz in [440.0, 2_000.0, 6_000.0, 7_000.0, 11_000.0] {
            if hz >= f64::from(rate) / 2.0 {
                continue;
            }
            let output = resample_to_analysis_rate(&sine(hz, 1.0, rate), rate).unwrap();
            let rms =
                (output.iter().map(|v| f64::from(v * v)).sum::<f64>() / output.len() as f64).sqrt();
            if hz < 7_500.0 {
                // Within 0.5 dB of the 0.5 amplitude in: partials up to 7 kHz are what the
                // mel bands and the pitch bins read.
                let kept = amplitude(&output, hz);
                assert!(
                    (0.47..0.53).contains(&kept),
                    "{rate} Hz: a {hz} Hz sine came out at amplitude {kept:.3}"
                );
            } else {
                assert!(rms < 0.01, "{rate} Hz: {hz} Hz aliased in at RMS {rms:.3}");
            }
        }
    }
}

#[test]
fn the_harmonic_stack_reads_each_partial_of_a_rendered_note_at_its_fundamental() {
    let audio = render(
        vec![Part::new(Voice::Program(0), notes(&[(57, 0.0, 1.0)]))],
        1.0,
        ANALYSIS_RATE,
    );
    let (config, frames) = frames_of(&audio);
    let device = ComputeDevice::cpu().device;
    let per_semitone = config.pitch_bins_per_semitone;
    let branch = HarmonicConfig::for_features(&config, 32).init(25, &device);
    let flat: Vec<f32> = frames.iter().flatten().copied().collect();
    let input = Tensor::<3>::from_data(
        TensorData::new(flat, [1, frames.len(), config.frame_len()]),
        &device,
    );
    let bank_len = config.pitch_bins();
    let stack = branch.harmonic_stack(input.narrow(2, config.mel_bands, bank_len));
    let [_, time, width, harmonics] = stack.dims();
    assert_eq!(
        (harmonics, time, width),
        (HARMONICS.len(), frames.len(), 88 * per_semitone)
    );
    let stack: Vec<f32> = stack.into_data().try_to_vec().unwrap();
    let at = |h: usize, t: usize, f: usize| stack[(t * width + f) * harmonics + h];

    let a3 = config.pitch_bin_of(57);
    let t = 30;
    let bank = pitch_bins(&config, &frames[t]);
    let mut sorted = bank.to_vec();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[bank.len() / 2];
    for (i, &h) in HARMONICS
        .iter()
        .enumerate()
        .filter(|(_, h)| (1.0..=4.0).contains(*h))
    {
        let partial = a3 as f64 + 12.0 * per_semitone as f64 * h.log2();
        let near = (partial.round() as usize - 1)..=(partial.round() as usize + 1);
        let peak = near.clone().map(|b| bank[b]).fold(f32::MIN, f32::max);
        assert!(
            at(i, t, a3) >= peak - 1.0 && at(i, t, a3) > median + 2.0,
            "harmonic {h} of A3 reads {} at its fundamental; its partial peaks at {peak} \
             in bins {near:?}, the frame's median is {median}",
            at(i, t, a3)
        );
    }
    // Partials off the bank's ends are silence.
    let c8 = config.pitch_bin_of(108);
    let a0 = config.pitch_bin_of(21);
    assert_eq!(at(HARMONICS.len() - 1, t, c8), silent_log_level());
    assert_eq!(at(0, t, a0), silent_log_level());
}
