//! The analysis worker on its own thread, fed like an audio thread feeds it: it hears the
//! instruments of a rendered file, hands its results over through the snapshot, switches
//! device while running, and restarts cleanly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use timbrescope_engine::compute::BackendChoice;
use timbrescope_engine::live::controls::WorkerControls;
use timbrescope_engine::live::feed::AudioFeed;
use timbrescope_engine::live::snapshot::{
    LiveSnapshot, SnapshotReader, WorkerState, snapshot_channel,
};
use timbrescope_engine::live::worker::Worker;
use timbrescope_engine::outputs::midi_file::notes_to_midi;
use timbrescope_engine::outputs::report::write_report;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render};

const RATE: u32 = 44_100;

/// A violin melody over a cello line, `seconds` long at `rate`.
fn string_duo_at(seconds: f64, rate: u32) -> Vec<f32> {
    let line = |base: u8| -> Vec<(u8, f64, f64)> {
        (0..(seconds * 2.0) as usize)
            .map(|i| (base + [0, 2, 4, 5, 7, 5, 4, 2][i % 8], i as f64 * 0.5, 0.45))
            .collect()
    };
    render(
        vec![
            Part::new(Voice::Program(40), notes(&line(76))),
            Part::new(Voice::Program(42), notes(&line(48))),
        ],
        seconds,
        rate,
    )
}

/// The duo at the tests' usual rate.
fn string_duo(seconds: f64) -> Vec<f32> {
    string_duo_at(seconds, RATE)
}

/// Feeds `audio` in 512-sample blocks in real time, as an audio thread does (basic-pitch
/// takes about a third of a core live, so twice real time left the worker behind while other
/// tests ran); `during(seconds_fed)` runs between blocks.
fn feed(feed: &mut AudioFeed, audio: &[f32], during: impl FnMut(f64)) {
    feed_at(feed, audio, RATE, during);
}

/// [`feed`] for a stream at `rate`.
fn feed_at(feed: &mut AudioFeed, audio: &[f32], rate: u32, mut during: impl FnMut(f64)) {
    let started = Instant::now();
    let mut block = vec![0.0f32; 512];
    for (i, chunk) in audio.chunks(512).enumerate() {
        block[..chunk.len()].copy_from_slice(chunk);
        feed.push_block(&[&mut block[..chunk.len()]]);
        let fed = (i * 512 + chunk.len()) as f64 / f64::from(rate);
        during(fed);
        let due = Duration::from_secs_f64(fed);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

/// A worker on the CPU with its controls, results and feed.
fn cpu_worker() -> (Arc<WorkerControls>, SnapshotReader, Worker, AudioFeed) {
    let controls = Arc::new(WorkerControls::default());
    controls.set_backend(BackendChoice::Cpu);
    let (writer, reader) = snapshot_channel();
    let (worker, feed) = Worker::start(RATE, controls.clone(), writer).unwrap();
    (controls, reader, worker, feed)
}

fn heard(snapshot: &LiveSnapshot, name: &str) -> f32 {
    snapshot
        .heard(0.0)
        .into_iter()
        .find(|&(class, _)| class == name)
        .map(|(_, seconds)| seconds)
        .unwrap()
}

#[test]
fn the_worker_hears_the_instruments_of_a_file_fed_like_an_audio_thread() {
    let (_controls, mut reader, worker, mut audio_feed) = cpu_worker();
    feed(&mut audio_feed, &string_duo(8.0), |_| {});
    feed(&mut audio_feed, &vec![0.0; RATE as usize], |_| {});
    std::thread::sleep(Duration::from_millis(300));
    let snapshot = reader.read().clone();
    drop(worker);
    assert_eq!(snapshot.state, WorkerState::Running);
    assert!(snapshot.backend.starts_with("CPU"), "{}", snapshot.backend);
    assert_eq!(snapshot.dropped_samples, 0);
    // The stream covers the file: 9 s of frames, the newest within a second of the end.
    assert!(
        (snapshot.now() - 9.0).abs() < 1.0,
        "now = {}",
        snapshot.now()
    );
    assert!(
        heard(&snapshot, "violin") >= 2.0,
        "{:?}",
        snapshot.heard(0.0)
    );
    assert!(
        heard(&snapshot, "cello") >= 1.0,
        "{:?}",
        snapshot.heard(0.0)
    );
    assert!(!snapshot.notes.is_empty());
    assert!(snapshot.inference_ms > 0.0 && snapshot.latency_ms > 0.0);

    // An export of the last 5 s: 500 rows, notes inside the span, a PNG report and MIDI.
    let end = snapshot.now();
    let excerpt = snapshot.excerpt(end - 5.0, end);
    assert_eq!(excerpt.predictions.frames, 500);
    assert!(!excerpt.notes.is_empty());
    assert!(
        excerpt
            .notes
            .iter()
            .all(|n| n.onset >= 0.0 && n.offset <= 5.0 + 1e-9 && n.onset < n.offset)
    );
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("excerpt.png");
    write_report(&excerpt, "excerpt", &png).unwrap();
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    let midi = notes_to_midi(&excerpt.notes, &snapshot.classes);
    assert_eq!(&midi[..4], b"MThd");
}

#[test]
fn switching_the_backend_while_running_keeps_the_stream_going() {
    let (controls, mut reader, worker, mut audio_feed) = cpu_worker();
    feed(&mut audio_feed, &string_duo(2.0), |_| {});
    std::thread::sleep(Duration::from_millis(300));
    let before = reader.read().clone();
    // lavapipe here (software, ~12x slower than the CPU backend, and its first inference
    // compiles shaders); a machine without any adapter falls back to the CPU with a note.
    controls.set_backend(BackendChoice::Gpu);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut after = reader.read().clone();
    while Instant::now() < deadline
        && after.backend == before.backend
        && after.backend_note.is_none()
    {
        feed(&mut audio_feed, &vec![0.0; RATE as usize / 10], |_| {});
        after = reader.read().clone();
    }
    let switched_at = after.now();
    feed(&mut audio_feed, &string_duo(3.0), |_| {});
    // A software adapter runs a window in about 0.4 s; give it time to work off the queue.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = reader.read().clone();
    while Instant::now() < deadline && last.now() <= switched_at + 1.0 {
        std::thread::sleep(Duration::from_millis(200));
        last = reader.read().clone();
    }
    drop(worker);
    assert!(before.backend.starts_with("CPU"), "{}", before.backend);
    assert!(
        after.backend.starts_with("GPU") || after.backend_note.is_some(),
        "after the switch: {} / {:?}",
        after.backend,
        after.backend_note
    );
    assert_eq!(last.state, WorkerState::Running);
    assert!(
        last.now() > switched_at + 1.0,
        "the stream stalled at {switched_at} s on {} ({:.0} ms/window)",
        last.backend,
        last.inference_ms
    );
}

#[test]
fn a_restart_starts_the_stream_over_and_stopping_gives_the_writer_back() {
    let (_, mut reader, worker, mut audio_feed) = cpu_worker();
    feed(&mut audio_feed, &string_duo(3.0), |_| {});
    std::thread::sleep(Duration::from_millis(600));
    let before = reader.read().now();
    audio_feed.restart();
    std::thread::sleep(Duration::from_millis(50));
    feed(&mut audio_feed, &string_duo(1.5), |_| {});
    std::thread::sleep(Duration::from_millis(600));
    let after = reader.read().now();
    // No audio for a while: the results say so (the editor shows it).
    std::thread::sleep(Duration::from_millis(1500));
    let idle = reader.read().input_idle_s;
    assert!(idle >= 1.0, "input idle for {idle} s");
    assert!(before > 2.0, "{before}");
    assert!(after < 2.0, "the stream did not start over: {after}");
    assert!(worker.stop().is_some());
}

#[test]
fn one_worker_serves_stream_after_stream_each_at_its_own_rate() {
    let controls = Arc::new(WorkerControls::default());
    controls.set_backend(BackendChoice::Cpu);
    let (writer, mut reader) = snapshot_channel();
    let worker = Worker::spawn(controls, writer).unwrap();
    let mut first = worker.begin_stream(RATE);
    feed(&mut first, &string_duo(3.0), |_| {});
    std::thread::sleep(Duration::from_millis(400));
    let before = reader.read().clone();
    worker.end_stream();
    // A burst of activations, as a validator's fuzzing or a host changing its setup makes.
    for rate in [22_050, 96_000, 8_000, 192_000].repeat(5) {
        drop(worker.begin_stream(rate));
        worker.end_stream();
    }
    let rate = 48_000;
    let mut second = worker.begin_stream(rate);
    feed_at(&mut second, &string_duo_at(4.0, rate), rate, |_| {});
    std::thread::sleep(Duration::from_millis(400));
    let after = reader.read().clone();
    drop(worker);
    assert_eq!(before.state, WorkerState::Running);
    assert_eq!(before.sample_rate, RATE);
    assert_eq!(after.state, WorkerState::Running);
    assert_eq!(after.sample_rate, rate);
    assert_eq!(after.restarts, 0);
    // The second stream starts from zero and covers its own 4 s; what it heard is its own.
    assert!((after.now() - 4.0).abs() < 0.7, "now = {}", after.now());
    assert!(after.windows > before.windows);
    assert!(heard(&after, "violin") >= 1.0, "{:?}", after.heard(0.0));
    assert!(
        heard(&after, "violin") <= 4.0,
        "the first stream's seconds leaked in: {:?}",
        after.heard(0.0)
    );
}
