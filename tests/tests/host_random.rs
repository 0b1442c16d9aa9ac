//! A randomised host: one plugin instance through the CLAP host, activated again and again at
//! sample rates from 8 to 192 kHz, mono and stereo, fed in blocks of 1 to 8192 samples that
//! change size from call to call, with parameters automated, processing stopped and started
//! and the state saved and restored while it processes, and NaN, infinite, huge and denormal
//! samples in the input. The audio passes bit-exact in every block (allocation checks on),
//! and after each hostile stretch the analysis recovers and hears the music.

use std::time::{Duration, Instant};

use timbrescope_engine::input::resample::resample;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::clap_host::{LoadedPlugin, heard_in_state};
use timbrescope_tests::random::Xorshift;
use timbrescope_tests::{notes, render};

const RATES: [u32; 7] = [8_000, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000];
const MAX_BLOCK: usize = 8192;
/// Audio seconds per wall second: real time, as a host plays (basic-pitch takes about a third of
/// a core live; at twice real time on two shared cores the worker fell behind at 96 kHz).
const SPEED: f64 = 1.0;

/// A block size log-uniform in 1..=max, so small blocks are as common as large ones.
fn block_size(random: &mut Xorshift, max: usize) -> usize {
    ((max as f64).ln() * random.unit())
        .exp()
        .round()
        .clamp(1.0, max as f64) as usize
}

/// Half a second of what a broken upstream plugin might send.
fn hostile(rate: u32, random: &mut Xorshift) -> Vec<f32> {
    let kinds = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
        f32::MIN_POSITIVE / 4.0,
        -1e-40,
    ];
    (0..rate as usize / 2)
        .map(|_| kinds[(random.unit() * kinds.len() as f64) as usize % kinds.len()])
        .collect()
}

#[test]
fn random_rates_blocks_automation_and_state_changes_pass_audio_and_the_analysis_recovers() {
    let line = |base: u8| -> Vec<(u8, f64, f64)> {
        (0..10)
            .map(|i| {
                (
                    base + [0, 2, 4, 5, 7, 5, 4, 2, 0, 4][i],
                    i as f64 * 0.5,
                    0.45,
                )
            })
            .collect()
    };
    let rendered = render(
        vec![
            Part::new(Voice::Program(40), notes(&line(76))),
            Part::new(Voice::Program(42), notes(&line(48))),
        ],
        5.0,
        48_000,
    );
    let mut random = Xorshift::new(0x2545_F491_4F6C_DD1D);
    let mut plugin = LoadedPlugin::load();
    let params = plugin.params();
    for (session, &rate) in RATES.iter().enumerate() {
        let channels = 1 + session % 2;
        let mut mono = hostile(rate, &mut random);
        mono.extend(resample(&rendered, 48_000, rate).unwrap());
        mono.extend(std::iter::repeat_n(0.0, rate as usize * 3 / 2));
        let input: Vec<Vec<f32>> = (0..channels)
            .map(|c| mono.iter().map(|s| s * (1.0 - 0.2 * c as f32)).collect())
            .collect();
        let what = format!("{rate} Hz, {channels} channel(s)");
        let mut blocks = plugin.activate(channels, rate, MAX_BLOCK);
        let started = Instant::now();
        let (mut position, mut calls) = (0, 0usize);
        while position < mono.len() {
            let n = block_size(&mut random, MAX_BLOCK).min(mono.len() - position);
            if calls % 16 == 0 {
                for param in &params {
                    let unit = random.unit();
                    let value = match param.name.as_str() {
                        // A threshold that still counts clear notes as heard; the device
                        // stays the CPU (a GPU switch is the worker test's business).
                        "Threshold" => 0.3 + 0.4 * unit,
                        "Backend" => param.min + (unit < 0.5) as u8 as f64,
                        _ => param.min + (param.max - param.min) * unit,
                    };
                    blocks.automate(param.id, value);
                }
            }
            // A transport stop and start every two seconds of audio.
            if position / (2 * rate as usize) != (position + n) / (2 * rate as usize) {
                blocks.stop_and_start();
            }
            if calls % 61 == 60 {
                let blob = plugin.state_blob();
                assert!(plugin.load_state(&blob), "{what}: the saved state loads");
            }
            let block: Vec<&[f32]> = input.iter().map(|c| &c[position..position + n]).collect();
            let out = blocks.process(&block);
            for (o, i) in out.iter().zip(&block) {
                assert!(
                    o.iter().zip(*i).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{what}, block of {n} at {position}: the output differs from the input"
                );
            }
            position += n;
            calls += 1;
            let due = Duration::from_secs_f64(position as f64 / f64::from(rate) / SPEED);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        plugin.deactivate(blocks);
        let heard = heard_in_state(&plugin.saved_state());
        eprintln!("{what}: {calls} calls, heard {heard:?}");
        if rate >= 22_050 {
            assert!(
                heard.contains("violin"),
                "{what}: the analysis did not recover after the hostile input: {heard:?}"
            );
        } else {
            // Below 22 kHz the strings lose the partials that tell them apart (the model
            // names other instruments there); the analysis must still run on the music.
            assert!(
                !heard.is_empty(),
                "{what}: nothing analysed after the hostile input"
            );
        }
    }
}
