//! The whole analysis chain on real signals: frame counts, stitching, backends, model files.

use std::path::Path;

use burn::module::Module;
use timbrescope_engine::analysis::Analyzer;
use timbrescope_engine::compute::{BackendChoice, ComputeDevice, select_device};
use timbrescope_engine::input::audio_file::{MonoAudio, read_mono};
use timbrescope_engine::networks::harmonic::HarmonicConfig;
use timbrescope_engine::networks::model_file::{
    LoadedModel, ModelSource, built_in_model, load_model, load_or_built_in, save_model,
};
use timbrescope_engine::timeline::WINDOW_FRAMES;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render, sine, write_wav};

fn cpu_analyzer(hop_frames: usize) -> Analyzer {
    let compute = ComputeDevice::cpu();
    Analyzer::new(built_in_model(&compute.device), compute, hop_frames)
}

#[test]
fn a_file_of_duration_d_yields_ceil_d_times_100_frames() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let analyzer = cpu_analyzer(50);
    for (seconds, rate) in [
        (0.005, 44_100),
        (0.5, 48_000),
        (1.234, 44_100),
        (2.9999, 96_000),
        (3.0, 22_050),
    ] {
        let path = dir.join(format!("tone-{seconds}-{rate}.wav"));
        write_wav(&path, &sine(440.0, seconds, rate), rate).unwrap();
        let audio = read_mono(&path).unwrap();
        let analysis = analyzer.analyze(&audio, &mut |_, _| {}).unwrap();
        let duration = audio.samples.len() as f64 / f64::from(rate);
        let expected = (duration * 100.0 - 1e-9).ceil() as usize;
        assert_eq!(
            analysis.predictions.frames, expected,
            "{seconds} s at {rate} Hz"
        );
        assert_eq!(
            analysis.predictions.instrument.len(),
            expected * analysis.predictions.classes.len()
        );
    }
}

#[test]
fn stitching_has_no_seams_on_a_steady_tone() {
    // A held organ note: every window sees the same sound, so the timeline must be steady, and
    // window borders (every 25 frames at this hop) must not jump more than frames elsewhere.
    let audio = render(
        vec![Part::new(Voice::Program(19), notes(&[(57, 0.0, 4.0)]))],
        4.0,
        16_000,
    );
    let analysis = cpu_analyzer(25).analyze_16k(&audio, 400, &mut |_, _| {});
    let p = &analysis.predictions;
    let c = p.classes.len();
    // Jumps between frames t and t + 1, split by whether a window starts or ends there.
    let (mut at_borders, mut inside) = (0.0f32, 0.0f32);
    for t in 30..360 {
        let step = |values: &[f32], width: usize| {
            values[t * width..(t + 1) * width]
                .iter()
                .zip(&values[(t + 1) * width..(t + 2) * width])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max)
        };
        let jump = step(&p.instrument, c).max(step(&p.pitch, 88));
        if (t + 1) % 25 == 0 || t % 25 == 0 {
            at_borders = at_borders.max(jump);
        } else {
            inside = inside.max(jump);
        }
    }
    // The model's own frame-to-frame movement on a held note stays small (the harmonic
    // model's largest is about 0.09, within a window); the seam check below is the point.
    assert!(
        at_borders.max(inside) < 0.12,
        "the output of a steady tone is steady: jumps {at_borders}, {inside}"
    );
    assert!(
        at_borders <= 1.5 * inside + 0.005,
        "seams: {at_borders} at window borders, {inside} elsewhere"
    );
}

#[test]
fn cpu_and_wgpu_backends_agree_within_1e_3() {
    let gpu = select_device(BackendChoice::Gpu)
        .unwrap_or_else(|e| panic!("{e}: install mesa-vulkan-drivers for the lavapipe adapter"));
    let audio = render(
        vec![
            Part::new(
                Voice::Program(0),
                notes(&[(60, 0.0, 2.0), (64, 0.0, 2.0), (67, 0.0, 2.0)]),
            ),
            Part::new(Voice::Program(73), notes(&[(79, 0.2, 0.8), (81, 1.0, 0.8)])),
        ],
        2.0,
        16_000,
    );
    let cpu = cpu_analyzer(50);
    let features = cpu.features(&audio, 200);
    let per_window = WINDOW_FRAMES * cpu.model().sidecar.model.input_features;
    let windows = &features[..per_window * 2];
    let on_cpu = cpu.predict_windows(windows);
    let on_gpu = Analyzer::new(built_in_model(&gpu.device), gpu, 50).predict_windows(windows);
    let max_diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    for (c, g) in on_cpu.iter().zip(&on_gpu) {
        let worst = max_diff(&c.instrument, &g.instrument)
            .max(max_diff(&c.pitch, &g.pitch))
            .max(max_diff(&c.pianoroll, &g.pianoroll))
            .max(max_diff(&c.clip, &g.clip));
        assert!(worst <= 1e-3, "CPU and wgpu differ by {worst}");
    }
}

#[test]
fn a_saved_model_loads_back_with_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let device = ComputeDevice::cpu().device;
    let model = built_in_model(&device);
    save_model(&model.net, &model.sidecar, &dir.join("copy.bpk")).unwrap();
    let copy = load_model(&dir.join("copy.json"), &device).unwrap();
    assert_eq!(copy.source, ModelSource::File(dir.join("copy.bpk")));
    assert_eq!(copy.net.num_params(), model.sidecar.parameter_count);
    let input = sine(330.0, 1.0, 16_000);
    let a = Analyzer::new(model, ComputeDevice::cpu(), 50).analyze_16k(&input, 100, &mut |_, _| {});
    let b = Analyzer::new(copy, ComputeDevice::cpu(), 50).analyze_16k(&input, 100, &mut |_, _| {});
    assert_eq!(a.predictions.instrument, b.predictions.instrument);
}

#[test]
fn a_network_with_the_harmonic_branch_saves_and_loads_back_with_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let device = ComputeDevice::cpu().device;
    let mut sidecar = built_in_model(&device).sidecar;
    sidecar.model = sidecar
        .model
        .clone()
        .with_harmonic(Some(HarmonicConfig::for_features(&sidecar.features, 8)));
    let net = sidecar.model.init(&device);
    sidecar.parameter_count = net.num_params();
    save_model(&net, &sidecar, &dir.join("harmonic.bpk")).unwrap();
    let copy = load_model(&dir.join("harmonic.bpk"), &device).unwrap();
    assert_eq!(copy.sidecar.model, sidecar.model);
    assert_eq!(copy.net.num_params(), sidecar.parameter_count);
    let original = LoadedModel {
        sidecar,
        net,
        source: ModelSource::BuiltIn,
    };
    let input = render(
        vec![Part::new(Voice::Program(40), notes(&[(69, 0.1, 0.8)]))],
        1.0,
        16_000,
    );
    let a =
        Analyzer::new(original, ComputeDevice::cpu(), 50).analyze_16k(&input, 100, &mut |_, _| {});
    let b = Analyzer::new(copy, ComputeDevice::cpu(), 50).analyze_16k(&input, 100, &mut |_, _| {});
    assert_eq!(a.predictions.pianoroll, b.predictions.pianoroll);
}

#[test]
fn a_corrupt_model_file_falls_back_to_the_built_in_model_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let device = ComputeDevice::cpu().device;
    let model = built_in_model(&device);
    save_model(&model.net, &model.sidecar, &dir.join("broken")).unwrap();
    std::fs::write(dir.join("broken.bpk"), b"not a burnpack record").unwrap();
    let (loaded, reason) = load_or_built_in(Some(&dir.join("broken.bpk")), &device);
    assert_eq!(loaded.source, ModelSource::BuiltIn);
    let reason = reason.expect("the failure is reported").to_string();
    assert!(
        reason.contains("broken.bpk") && reason.contains("invalid model weights"),
        "{reason}"
    );

    let (_, missing) = load_or_built_in(Some(Path::new("/nonexistent/model.bpk")), &device);
    assert!(
        missing
            .unwrap()
            .to_string()
            .contains("/nonexistent/model.json")
    );
}

#[test]
fn the_built_in_model_keeps_the_size_budget() {
    let model = built_in_model(&ComputeDevice::cpu().device);
    assert!(model.sidecar.parameter_count <= 3_000_000);
    assert_eq!(model.net.num_params(), model.sidecar.parameter_count);
    let bytes = std::fs::metadata(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../assets/default-model.bpk"
    ))
    .unwrap()
    .len();
    assert!(bytes <= 10 * 1024 * 1024, "{bytes} bytes");
}

#[test]
fn a_calibration_shift_moves_every_instrument_logit_by_itself_and_leaves_pitch_alone() {
    let audio = render(
        vec![Part::new(
            Voice::Program(40),
            notes(&[(69, 0.1, 0.6), (72, 0.5, 0.4)]),
        )],
        1.0,
        16_000,
    );
    let compute = ComputeDevice::cpu();
    let plain = cpu_analyzer(50);
    let model = built_in_model(&compute.device);
    let shift = 1.25;
    let shifted = Analyzer::new(
        LoadedModel {
            net: model.net.clone().with_instrument_logits_shifted(shift),
            ..model
        },
        compute,
        50,
    );
    let features = plain.features(&audio, WINDOW_FRAMES);
    let (before, after) = (
        &plain.predict_windows(&features)[0],
        &shifted.predict_windows(&features)[0],
    );
    let logit = |p: f32| (f64::from(p) / (1.0 - f64::from(p))).ln();
    let mut compared = 0;
    for (&p, &q) in before.instrument.iter().zip(&after.instrument) {
        if (1e-4..0.9999).contains(&p) && (1e-4..0.9999).contains(&q) {
            let moved = logit(q) - logit(p);
            assert!(
                (moved - f64::from(shift)).abs() < 0.01,
                "logit moved by {moved}"
            );
            compared += 1;
        }
    }
    assert!(
        compared > before.instrument.len() / 2,
        "{compared} cells compared"
    );
    assert_eq!(before.pitch, after.pitch);
}

/// The network names a guitar by its pluck; the identity carry keeps a held chord named while
/// its strings ring (without it, 0.46 of a chord's frames at velocity 90), and no longer.
#[test]
fn a_held_guitar_chord_stays_heard_while_it_rings_and_not_after() {
    let rate = 44_100;
    let chords = notes(&[
        (55, 0.0, 2.0),
        (59, 0.0, 2.0),
        (62, 0.0, 2.0),
        (60, 2.0, 2.0),
        (64, 2.0, 2.0),
        (67, 2.0, 2.0),
    ]);
    let samples = render(vec![Part::new(Voice::Program(24), chords)], 5.0, rate);
    let analysis = cpu_analyzer(10)
        .analyze(
            &MonoAudio {
                samples,
                sample_rate: rate,
            },
            &mut |_, _| {},
        )
        .unwrap();
    let p = &analysis.predictions;
    let guitar = p.classes.index_of("acoustic_guitar").unwrap();
    let heard_share = |frames: std::ops::Range<usize>| {
        let heard = frames
            .clone()
            .filter(|&t| p.instrument_frame(t)[guitar] >= 0.5)
            .count();
        heard as f64 / frames.len() as f64
    };
    let ringing = heard_share(0..400);
    let after = heard_share(450..500);
    assert!(
        ringing >= 0.6,
        "heard in {ringing:.2} of the chords' frames"
    );
    assert!(
        after <= 0.1,
        "heard in {after:.2} of the frames 0.5 s after the chords"
    );
}
