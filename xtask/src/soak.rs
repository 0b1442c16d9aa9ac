//! `cargo xtask soak --minutes N`: the live analysis for N minutes as the plugin runs it, at
//! 48 kHz in 64-sample blocks in real time. Each block does what the plugin's `process()`
//! does (copy the parameters into the worker's controls, downmix into the feed, drain the
//! MIDI), with the parameters automated, a transport restart every 20 s and the host
//! deactivating and activating every minute. Reports resident memory over time, dropped audio,
//! worker restarts and the model's time per window, and fails when memory grows by more than
//! [`MAX_GROWTH_MB`] after the warm-up or the worker had to start over.
//!
//! The nice-plug wrapper around `process()` is covered by the CLAP host tests and
//! clap-validator; this run is about what hours of music do to the worker.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use timbrescope_engine::compute::BackendChoice;
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::input::resample::resample;
use timbrescope_engine::live::controls::WorkerControls;
use timbrescope_engine::live::snapshot::snapshot_channel;
use timbrescope_engine::live::worker::Worker;

const RATE: u32 = 48_000;
const BLOCK: usize = 64;
/// Seconds before memory counts: the model, the queues and the history fill up first.
const WARM_UP_S: f64 = 60.0;
/// Memory growth after the warm-up that fails the run.
const MAX_GROWTH_MB: f64 = 5.0;
const REPORT_EVERY_S: f64 = 30.0;
const RESTART_EVERY_S: f64 = 20.0;
const REACTIVATE_EVERY_S: f64 = 60.0;

/// Resident memory of this process, MB (`/proc/self/statm`).
fn resident_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages as f64 * 4096.0 / 1e6
}

fn percentile(sorted: &[f32], p: f64) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs the soak on `music` (looped) for `minutes`.
pub fn soak(music_path: &Path, minutes: f64) -> Result<()> {
    let file = read_mono(music_path)?;
    let music = resample(&file.samples, file.sample_rate, RATE)?;
    if music.len() < BLOCK {
        bail!("{}: too short to play", music_path.display());
    }
    let controls = Arc::new(WorkerControls::default());
    controls.set_backend(BackendChoice::Cpu);
    controls.set_midi_out(true);
    let (writer, mut reader) = snapshot_channel();
    let worker = Worker::spawn(controls.clone(), writer)?;
    let mut feed = worker.begin_stream(RATE);
    let total_blocks = (minutes * 60.0 * f64::from(RATE) / BLOCK as f64) as u64;
    let blocks_per = |seconds: f64| (seconds * f64::from(RATE) / BLOCK as f64) as u64;
    let mut block = vec![0.0f32; BLOCK];
    let mut position = 0;
    let mut midi_sent = 0u64;
    let mut inference = Vec::new();
    let mut last_windows = 0;
    let mut baseline_mb = None;
    let mut peak_growth_mb: f64 = 0.0;
    // Drops count per stream; the streams before the current one.
    let mut dropped_before = 0;
    eprintln!("   time   RSS MB   dropped s   restarts   windows   ms/window p50 / p99");
    let started = Instant::now();
    for i in 0..total_blocks {
        let seconds = i as f64 * BLOCK as f64 / f64::from(RATE);
        // Automation: the threshold and the hop sweep slowly, MIDI out toggles.
        let phase = (seconds / 7.0).sin() as f32;
        controls.set_threshold(0.5 + 0.2 * phase);
        controls.set_hop_ms((100.0 + 60.0 * (seconds / 11.0).cos()) as u32);
        controls.set_midi_out(((seconds / 13.0) as u64).is_multiple_of(2));
        if i > 0 && i % blocks_per(RESTART_EVERY_S) == 0 {
            feed.restart();
        }
        if i > 0 && i % blocks_per(REACTIVATE_EVERY_S) == 0 {
            dropped_before += reader.read().dropped_samples;
            worker.end_stream();
            feed = worker.begin_stream(RATE);
        }
        for sample in block.iter_mut() {
            *sample = music[position];
            position = (position + 1) % music.len();
        }
        feed.push_block(&[&block[..]]);
        feed.drain_midi(BLOCK, |_, _| midi_sent += 1);

        let snapshot = reader.read();
        if snapshot.windows > last_windows {
            last_windows = snapshot.windows;
            inference.push(snapshot.last_inference_ms);
        }
        if i % blocks_per(REPORT_EVERY_S) == 0 && i > 0 {
            let mb = resident_mb();
            if seconds >= WARM_UP_S {
                let baseline = *baseline_mb.get_or_insert(mb);
                peak_growth_mb = peak_growth_mb.max(mb - baseline);
            }
            let mut sorted = inference.clone();
            sorted.sort_by(f32::total_cmp);
            eprintln!(
                "{:>5.1} min  {mb:>7.1}  {:>10.2}  {:>9}  {:>8}   {:>6.1} / {:.1}",
                seconds / 60.0,
                (dropped_before + snapshot.dropped_samples) as f64 / f64::from(RATE),
                snapshot.restarts,
                snapshot.windows,
                percentile(&sorted, 0.5),
                percentile(&sorted, 0.99),
            );
        }
        let due = Duration::from_secs_f64((i + 1) as f64 * BLOCK as f64 / f64::from(RATE));
        if let Some(wait) = due.checked_sub(started.elapsed())
            && wait > Duration::from_millis(1)
        {
            std::thread::sleep(wait);
        }
    }
    let snapshot = reader.read().clone();
    if let Some(baseline) = baseline_mb {
        peak_growth_mb = peak_growth_mb.max(resident_mb() - baseline);
    }
    drop(worker);
    inference.sort_by(f32::total_cmp);
    eprintln!(
        "soak: {minutes} min at {RATE} Hz / {BLOCK} samples in {:.1} min of wall time: memory growth after {WARM_UP_S} s \
         warm-up {peak_growth_mb:.1} MB, {} worker restarts, {:.2} s of audio dropped, {} \
         windows, ms/window p50 {:.1} p99 {:.1} p99.9 {:.1} max {:.1}, {midi_sent} \
         MIDI messages",
        started.elapsed().as_secs_f64() / 60.0,
        snapshot.restarts,
        (dropped_before + snapshot.dropped_samples) as f64 / f64::from(RATE),
        snapshot.windows,
        percentile(&inference, 0.5),
        percentile(&inference, 0.99),
        percentile(&inference, 0.999),
        inference.last().copied().unwrap_or(0.0),
    );
    if peak_growth_mb > MAX_GROWTH_MB {
        bail!("memory grew by {peak_growth_mb:.1} MB after the warm-up (limit {MAX_GROWTH_MB})");
    }
    if snapshot.restarts > 0 {
        bail!("the worker started over {} time(s)", snapshot.restarts);
    }
    Ok(())
}
