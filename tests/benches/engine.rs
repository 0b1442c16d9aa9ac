//! Engine speed: front-end per 1 s window, model per 1 s window on one CPU thread, basic-pitch
//! per 2 s window on one thread (with its cost per second of audio offline and live), the
//! real-time factor of analysing a 60 s rendered file, and the identity carry over that file's
//! frames. Run with `cargo xtask bench`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use timbrescope_engine::analysis::{Analyzer, DEFAULT_FILE_HOP_FRAMES};
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::features::{FeatureStream, frame_count};
use timbrescope_engine::networks::basic_pitch::{self, BasicPitch};
use timbrescope_engine::networks::model_file::built_in_model;
use timbrescope_engine::networks::yamnet::{self, YamNet};
use timbrescope_engine::timeline::WINDOW_FRAMES;
use timbrescope_engine::timeline::carry::IdentityCarry;
use timbrescope_engine::transcription::KEPT_FRAMES;
use timbrescope_engine::transcription::stream::LIVE_HOP_FRAMES;
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::render::render_score;
use timbrescope_tests::training_font;

fn rendered(seconds: f64, rate: u32) -> Vec<f32> {
    let classes = timbrescope_engine::classes::ClassList::default_gm();
    let config = ProceduralConfig {
        duration: seconds,
        min_instruments: 4,
        max_instruments: 4,
        ..ProceduralConfig::default()
    };
    render_score(&generate(&classes, &config, 7), training_font(), rate).unwrap()
}

fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let audio = rendered(1.0, 16_000);
    let analyzer = Analyzer::new(
        built_in_model(&ComputeDevice::cpu().device),
        ComputeDevice::cpu(),
        DEFAULT_FILE_HOP_FRAMES,
    );
    let features = &analyzer.model().sidecar.features;

    // Steady state, as in a live stream: one stream (FFT plan, filterbanks) fed 1 s at a time.
    let mut stream = FeatureStream::new(features);
    let mut out = Vec::new();
    c.bench_function("front-end per 1 s window", |b| {
        b.iter(|| {
            out.clear();
            stream.push(black_box(&audio), &mut out);
            out.len()
        })
    });

    let window = analyzer.features(&audio, WINDOW_FRAMES);
    let pool = one_thread();
    c.bench_function("model per 1 s window (CPU, one thread)", |b| {
        pool.install(|| b.iter(|| analyzer.predict_windows(black_box(&window))))
    });

    // basic-pitch: one 2 s window. Offline a window yields KEPT_FRAMES frames, live
    // LIVE_HOP_FRAMES, so its cost per second of audio is the window time over those spans.
    let network = BasicPitch::new(&ComputeDevice::cpu().device);
    let bp_window = rendered(2.0, basic_pitch::SAMPLE_RATE);
    let bp_window = &bp_window[..basic_pitch::WINDOW_SAMPLES];
    c.bench_function("basic-pitch per 2 s window (CPU, one thread)", |b| {
        pool.install(|| b.iter(|| network.run(black_box(bp_window))))
    });
    let runs = 10;
    let started = Instant::now();
    pool.install(|| (0..runs).for_each(|_| drop(network.run(bp_window))));
    let per_window = started.elapsed().as_secs_f64() / f64::from(runs);
    let span = |frames: usize| {
        frames as f64 * basic_pitch::FRAME_HOP_SAMPLES as f64 / f64::from(basic_pitch::SAMPLE_RATE)
    };
    println!(
        "basic-pitch on one thread: {:.1} ms per window, {:.1} ms per second of audio offline, {:.1} % of a core live",
        per_window * 1e3,
        per_window / span(KEPT_FRAMES) * 1e3,
        per_window / span(LIVE_HOP_FRAMES) * 100.0
    );

    // YAMNet: one 0.96 s patch through the front end and the network; patches start every
    // 0.48 s, so a second of audio costs two patches and a bit.
    let mut backbone =
        YamNet::new(&ComputeDevice::cpu().device).expect("the YAMNet weights are in the checkout");
    let patch_audio = rendered(1.0, yamnet::log_mel::SAMPLE_RATE);
    c.bench_function("yamnet per 0.96 s patch (CPU, one thread)", |b| {
        pool.install(|| b.iter(|| backbone.analyze(black_box(&patch_audio))))
    });
    let started = Instant::now();
    pool.install(|| (0..runs).for_each(|_| drop(backbone.analyze(&patch_audio))));
    let per_patch = started.elapsed().as_secs_f64() / f64::from(runs);
    let hop_seconds = yamnet::log_mel::PATCH_HOP_FRAMES as f64
        * yamnet::log_mel::HOP_SAMPLES as f64
        / f64::from(yamnet::log_mel::SAMPLE_RATE);
    println!(
        "yamnet on one thread: {:.1} ms per patch, {:.1} ms per second of audio at its 0.48 s hop",
        per_patch * 1e3,
        per_patch / hop_seconds * 1e3
    );

    let long = rendered(60.0, 44_100);
    let frames = frame_count(long.len(), 44_100);
    let audio_file = timbrescope_engine::input::audio_file::MonoAudio {
        samples: long,
        sample_rate: 44_100,
    };
    let mut group = c.benchmark_group("analyze 60 s file");
    group.sample_size(10);
    group.bench_function("analyze 60 s file (all threads)", |b| {
        b.iter(|| {
            analyzer
                .analyze(black_box(&audio_file), &mut |_, _| {})
                .unwrap()
        })
    });
    group.finish();

    // Real-time factor, printed once for the report table.
    let started = Instant::now();
    let analysis = analyzer.analyze(&audio_file, &mut |_, _| {}).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(analysis.predictions.frames, frames);
    println!(
        "analyze real-time factor on a 60 s file: {:.4} (processing time / audio time)",
        seconds / 60.0
    );

    // The carry runs on every frame, in a file and live; here over the file's 6000 frames.
    c.bench_function("identity carry over 60 s of frames", |b| {
        b.iter_batched_ref(
            || analysis.predictions.clone(),
            |frames| IdentityCarry::new(&frames.classes, 0.3).apply(frames),
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
