//! basic-pitch inside the engine: the burn port against the original network, its frames on
//! the 100 frames/s timeline, and the live stream against the whole-file analysis.

use std::path::Path;

use timbrescope_engine::analysis::Analyzer;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::input::audio_file::{MonoAudio, read_mono};
use timbrescope_engine::live::stream::{LiveAnalyzer, LiveOutput};
use timbrescope_engine::networks::basic_pitch::{
    BasicPitch, CONTOUR_BINS, ORIGINAL_WEIGHTS, SAMPLE_RATE, TUNED_WEIGHTS, WINDOW_FRAMES,
    WINDOW_SAMPLES,
};
use timbrescope_engine::networks::model_file::built_in_model;
use timbrescope_engine::timeline::notes::NoteEvent;
use timbrescope_engine::transcription::Transcriber;
use timbrescope_engine::transcription::note_creation::{NoteCreationConfig, create_notes};
use timbrescope_engine::transcription::posteriors::{FRAME_RATE, PitchPosteriors};
use timbrescope_engine::transcription::stream::TranscriptionStream;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render};

const KEYS: usize = 88;

/// A committed snippet and the original network's outputs for it (tools/basic-pitch/reference.py).
fn fixture(name: &str) -> (Vec<f32>, Vec<f32>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/basic-pitch");
    let audio = read_mono(&dir.join(format!("{name}.wav"))).expect("fixture audio reads");
    assert_eq!(
        (audio.sample_rate, audio.samples.len()),
        (SAMPLE_RATE, WINDOW_SAMPLES)
    );
    let bytes = std::fs::read(dir.join(format!("{name}.ref"))).expect("fixture reference reads");
    let reference = bytes
        .chunks_exact(2)
        .map(|b| f32::from(u16::from_le_bytes([b[0], b[1]])) / 65_535.0)
        .collect();
    (audio.samples, reference)
}

#[test]
fn the_port_reproduces_the_original_network_on_a_chord_and_a_melody() {
    let network = BasicPitch::with_weights(ORIGINAL_WEIGHTS.to_vec(), &ComputeDevice::cpu().device)
        .expect("basic-pitch's own weights load");
    for name in ["chord", "melody"] {
        let (audio, reference) = fixture(name);
        let out = network.run(&audio).remove(0);
        let per = WINDOW_FRAMES * KEYS;
        let parts = [
            ("note", &out.note, &reference[..per]),
            ("onset", &out.onset, &reference[per..2 * per]),
            (
                "contour",
                &out.contour,
                &reference[2 * per..2 * per + WINDOW_FRAMES * CONTOUR_BINS],
            ),
        ];
        for (output, ours, theirs) in parts {
            assert_eq!(ours.len(), theirs.len(), "{name} {output}");
            let worst = ours
                .iter()
                .zip(theirs)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "{name} {output}: largest difference {worst}");
        }
    }
}

/// A piano line with onsets off every frame grid, rendered at the network's rate.
fn piano_line() -> (Vec<(u8, f64, f64)>, Vec<f32>) {
    let line: Vec<(u8, f64, f64)> = (0..10)
        .map(|i| {
            (
                60 + [0, 4, 7, 12, 7, 4, 2, 5, 9, 11][i],
                0.513 + 0.377 * i as f64,
                0.3,
            )
        })
        .collect();
    let audio = render(
        vec![Part::new(Voice::Program(0), notes(&line))],
        5.0,
        SAMPLE_RATE,
    );
    (line, audio)
}

#[test]
fn onsets_of_a_rendered_sequence_land_within_one_frame() {
    let (line, audio) = piano_line();
    let transcriber = Transcriber::new(&ComputeDevice::cpu());
    let posteriors = transcriber.posteriors(&audio, &mut |_, _| {});
    let found = create_notes(
        &posteriors.note,
        &posteriors.onset,
        posteriors.frames(),
        &NoteCreationConfig::default(),
    );
    let mut errors = Vec::new();
    for &(key, onset, _) in &line {
        let nearest = found
            .iter()
            .filter(|n| n.key + 21 == usize::from(key))
            .map(|n| n.onset / FRAME_RATE - onset)
            .min_by(|a, b| a.abs().total_cmp(&b.abs()));
        let error =
            nearest.unwrap_or_else(|| panic!("key {key} at {onset} s not found: {found:?}"));
        errors.push(error.abs());
        // One network frame (11.6 ms): the grid the onset posterior is sampled on.
        assert!(
            error.abs() <= 1.0 / FRAME_RATE,
            "key {key} at {onset} s: onset off by {error:.4} s"
        );
    }
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(mean <= 0.006, "mean onset error {mean:.4} s");
    // On the timeline each key's activity crosses 0.5 where it does on the network's grid.
    let timeline = posteriors.note_on_timeline(500);
    for &(key, onset, _) in &line {
        let k = usize::from(key) - 21;
        let near = |rate: f64| (onset * rate) as usize - 6;
        let network_rise = (near(FRAME_RATE)..)
            .find(|&f| posteriors.note[f * KEYS + k] >= 0.5)
            .unwrap_or_else(|| panic!("key {key} never sounds after {onset} s"));
        let timeline_rise = (near(100.0)..)
            .find(|&t| timeline[t * KEYS + k] >= 0.5)
            .expect("the timeline follows the network");
        let rise_seconds = network_rise as f64 / FRAME_RATE;
        assert!(
            (timeline_rise as f64 / 100.0 - rise_seconds).abs() <= 0.01,
            "key {key}: rises at {rise_seconds:.4} s on the network's grid, at frame {timeline_rise} on the timeline"
        );
    }
}

#[test]
fn the_stream_agrees_with_the_whole_file() {
    let line: Vec<(u8, f64, f64)> = (0..16)
        .map(|i| (48 + (i * 5 % 24) as u8, 0.3 + 0.45 * i as f64, 0.6))
        .collect();
    let chords: Vec<(u8, f64, f64)> = (0..4)
        .flat_map(|i| [64u8, 67, 71].map(|k| (k + i as u8, 0.2 + 1.9 * i as f64, 1.7)))
        .collect();
    let audio = render(
        vec![
            Part::new(Voice::Program(0), notes(&line)),
            Part::new(Voice::Program(48), notes(&chords)),
        ],
        8.0,
        SAMPLE_RATE,
    );
    let compute = ComputeDevice::cpu();
    let transcriber = Transcriber::new(&compute);
    let file = transcriber.posteriors(&audio, &mut |_, _| {});
    let mut stream = TranscriptionStream::new(transcriber.network().clone(), SAMPLE_RATE).unwrap();
    let mut live = PitchPosteriors::default();
    for block in audio.chunks(512) {
        stream.push(block, &mut live);
    }
    let frames = live.frames().min(file.frames());
    assert!(frames > 600, "the stream handed out {frames} frames of 8 s");
    let differences: Vec<f32> = live.note[..frames * KEYS]
        .iter()
        .zip(&file.note[..frames * KEYS])
        .map(|(a, b)| (a - b).abs())
        .collect();
    let mean = differences.iter().sum::<f32>() / differences.len() as f32;
    let worst = differences.iter().copied().fold(0.0f32, f32::max);
    let decisions_differ = live.note[..frames * KEYS]
        .iter()
        .zip(&file.note[..frames * KEYS])
        .filter(|(a, b)| (**a >= 0.5) != (**b >= 0.5))
        .count();
    let active = file.note[..frames * KEYS]
        .iter()
        .filter(|&&p| p >= 0.5)
        .count();
    eprintln!(
        "stream vs file: mean |Δ| {mean:.5}, largest {worst:.3}, {decisions_differ} of {active} active cells decided differently"
    );
    assert!(mean < 0.01, "mean difference {mean}");
    assert!(
        (decisions_differ as f64) < 0.05 * active as f64,
        "{decisions_differ} of {active} active cells decided differently"
    );
}

/// Three seconds of a tone with five partials whose pitch swings `depth` semitones around A4
/// at 5.5 Hz, at the network's rate, and the swing played at each 100 frames/s frame.
fn vibrato_tone(depth: f64) -> (Vec<f32>, impl Fn(usize) -> f64) {
    let rate = f64::from(SAMPLE_RATE);
    let seconds = 3.0;
    let swing = move |t: f64| depth * (std::f64::consts::TAU * 5.5 * t).sin();
    let mut phase = 0.0f64;
    let samples = (0..(seconds * rate) as usize)
        .map(|i| {
            let t = i as f64 / rate;
            phase += std::f64::consts::TAU * 440.0 * 2f64.powf(swing(t) / 12.0) / rate;
            let fade = (t / 0.02).min(1.0) * ((seconds - t) / 0.05).clamp(0.0, 1.0);
            let partials: f64 = (1..=5)
                .map(|h| (f64::from(h) * phase).sin() / f64::from(h))
                .sum();
            (0.2 * fade * partials) as f32
        })
        .collect();
    (samples, move |frame: usize| swing(frame as f64 / 100.0))
}

#[test]
fn pitch_bends_follow_a_vibrato_and_stay_flat_on_a_steady_tone() {
    let compute = ComputeDevice::cpu();
    let analyzer = Analyzer::new(built_in_model(&compute.device), compute, 50).with_pitch_bends();
    let longest_note = |samples: Vec<f32>| {
        let audio = MonoAudio {
            samples,
            sample_rate: SAMPLE_RATE,
        };
        let analysis = analyzer
            .analyze(&audio, &mut |_, _| {})
            .expect("analysis runs");
        analysis
            .notes
            .into_iter()
            .max_by(|a, b| (a.offset - a.onset).total_cmp(&(b.offset - b.onset)))
            .expect("the tone makes a note")
    };

    let steady = longest_note(vibrato_tone(0.0).0);
    assert_eq!(steady.pitch, 69);
    assert!(steady.offset - steady.onset > 2.5, "{steady:?}");
    let widest = steady.bend.iter().fold(0.0f32, |m, b| m.max(b.abs()));
    assert!(widest < 0.1, "a steady tone bends by {widest} semitones");

    let (samples, played) = vibrato_tone(0.4);
    let swung = longest_note(samples);
    assert_eq!(swung.pitch, 69);
    let first = (swung.onset * 100.0).round() as usize;
    let pairs: Vec<(f64, f64)> = swung
        .bend
        .iter()
        .enumerate()
        .map(|(i, &b)| (f64::from(b), played(first + i)))
        .collect();
    assert!(pairs.len() > 200, "{} frames of bend", pairs.len());
    let n = pairs.len() as f64;
    let (mean_b, mean_p) = pairs
        .iter()
        .fold((0.0, 0.0), |(b, p), &(x, y)| (b + x / n, p + y / n));
    let covariance: f64 = pairs.iter().map(|(b, p)| (b - mean_b) * (p - mean_p)).sum();
    let spread =
        |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(|q| f(q).powi(2)).sum::<f64>().sqrt();
    let correlation = covariance / (spread(&|q| q.0 - mean_b) * spread(&|q| q.1 - mean_p));
    assert!(
        correlation > 0.8,
        "bend against the vibrato played: r = {correlation}"
    );
    let peak = pairs.iter().fold(0.0f64, |m, q| m.max(q.0.abs()));
    assert!(
        (0.25..0.6).contains(&peak),
        "the bend peaks at {peak} semitones (0.4 played)"
    );
}

#[test]
fn the_live_threshold_moves_note_creation() {
    let (line, audio) = piano_line();
    let compute = ComputeDevice::cpu();
    let analyzer = Analyzer::new(built_in_model(&compute.device), compute, 10);
    // Notes and their total length in seconds, live at `threshold`.
    let notes_at = |threshold: f32| {
        let mut live = LiveAnalyzer::new(analyzer.clone(), SAMPLE_RATE, 10, threshold).unwrap();
        let mut out = LiveOutput::default();
        let mut events = Vec::new();
        let tail = vec![0.0; SAMPLE_RATE as usize];
        for block in audio.chunks(512).chain(tail.chunks(512)) {
            live.push(block, &mut out);
            events.append(&mut out.events);
        }
        live.restart(&mut events).unwrap();
        let ended: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                NoteEvent::Ended(n) => Some(n.offset - n.onset),
                NoteEvent::Started { .. } => None,
            })
            .collect();
        (ended.len(), ended.iter().sum::<f64>())
    };
    let (low, default, high) = (notes_at(0.3), notes_at(0.5), notes_at(0.9));
    assert_eq!(
        default.0,
        line.len(),
        "at the default threshold: {default:?}"
    );
    // Measured: 16 notes over 7.1 s at 0.3, 10 over 5.2 s at 0.5, 10 over 4.0 s at 0.9 (each
    // key is struck for 0.3 s and the piano rings on).
    assert!(
        low.0 >= default.0 && low.1 > 1.15 * default.1,
        "a lower threshold hears more: {low:?} against {default:?}"
    );
    assert!(
        high.0 <= default.0 && high.1 < 0.9 * default.1,
        "a higher threshold hears less: {high:?} against {default:?}"
    );
}

#[test]
fn the_trainable_half_is_the_network_and_its_weights_go_back_whole() {
    use burn::prelude::*;
    use timbrescope_engine::networks::basic_pitch::tuning::{CQT_SHAPE, TrainableHeads, transform};

    let device = ComputeDevice::cpu().device;
    let (audio, _) = fixture("chord");
    let network = BasicPitch::new(&device);
    let expected = network.run(&audio).remove(0);
    let heads = TrainableHeads::from_weights(TUNED_WEIGHTS.to_vec(), &device).unwrap();
    let [frames, bins, parts] = CQT_SHAPE;
    let cqt = Tensor::<4>::from_data(
        TensorData::new(transform().run(&audio), [1, frames, bins, parts]),
        &device,
    );
    let out = heads.forward(cqt);
    let values = |t: Tensor<3>| t.into_data().try_into_vec::<f32>().unwrap();
    let worst = |ours: &[f32], theirs: &[f32]| {
        ours.iter()
            .zip(theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max)
    };
    for (name, ours, theirs) in [
        ("note", values(out.note), &expected.note),
        ("onset", values(out.onset), &expected.onset),
        ("contour", values(out.contour), &expected.contour),
    ] {
        assert!(
            worst(&ours, theirs) < 1e-4,
            "{name}: {}",
            worst(&ours, theirs)
        );
    }
    // Written back into a whole graph, the weights give the same network.
    let rebuilt = heads.weights(ORIGINAL_WEIGHTS).unwrap();
    let reloaded = BasicPitch::with_weights(rebuilt, &device).unwrap();
    assert_eq!(reloaded.run(&audio).remove(0), expected);
}

#[test]
fn weights_that_are_not_basic_pitchs_are_refused_naming_the_file() {
    let device = ComputeDevice::cpu().device;
    let dir = tempfile::tempdir().unwrap();
    let foreign = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/default-model.bpk");
    let truncated = dir.path().join("truncated.bpk");
    std::fs::write(&truncated, &TUNED_WEIGHTS[..1000]).unwrap();
    let missing = dir.path().join("missing.bpk");
    for path in [foreign.as_path(), &truncated, &missing] {
        let error = BasicPitch::from_file(path, &device)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&path.display().to_string()) && !error.contains('\n'),
            "{error}"
        );
    }
}
