//! The plugin in a real CLAP host (clack-host): the bundle built with allocation checks on
//! (`cargo xtask test` builds it), driven block by block at several rates and block sizes.
//! Audio must pass bit-exact, the worker must hear the instruments of the file, and the notes
//! it sends as MIDI must match what the same model finds offline.

use std::collections::BTreeSet;

use timbrescope_engine::analysis::Analyzer;
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::input::audio_file::MonoAudio;
use timbrescope_engine::input::resample::resample;
use timbrescope_engine::live::feed::INITIAL_MIDI_DELAY_SECONDS;
use timbrescope_engine::networks::model_file::built_in_model;
use timbrescope_engine::timeline::HEARD_MIN_SECONDS;
use timbrescope_engine::timeline::notes::Note;
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::clap_host::{HostRun, HostSettings, MidiOut, heard_in_state, run_plugin};
use timbrescope_tests::{notes, render};

/// Seconds of music in the test file.
const SECONDS: f64 = 6.0;
/// Silence after the file, so the analysis (about 1 s behind) finishes.
const TAIL_SECONDS: f64 = 2.0;
/// Audio seconds per wall second while testing: real time, as a host plays, since basic-pitch
/// takes about a third of a core live and the test host and the other tests share two cores.
const SPEED: f64 = 1.0;

/// The file: a violin melody over a cello line (a string duo the shipped model hears; see
/// the model card for what it does not hear yet).
fn parts() -> Vec<Part> {
    let line = |base: u8| -> Vec<(u8, f64, f64)> {
        (0..12)
            .map(|i| {
                (
                    base + [0, 2, 4, 5, 7, 5, 4, 2, 0, 4, 7, 12][i],
                    i as f64 * 0.5,
                    0.45,
                )
            })
            .collect()
    };
    vec![
        Part::new(Voice::Program(40), notes(&line(76))),
        Part::new(Voice::Program(42), notes(&line(48))),
    ]
}

/// The file's true instrument classes.
fn truth(classes: &ClassList) -> BTreeSet<String> {
    ["violin", "cello"]
        .iter()
        .map(|name| {
            assert!(classes.index_of(name).is_some());
            name.to_string()
        })
        .collect()
}

/// The same file analysed offline by the same model: what the plugin should report.
struct Offline {
    heard: BTreeSet<String>,
    notes: Vec<Note>,
}

fn offline(mono: &[f32], rate: u32) -> Offline {
    let compute = ComputeDevice::cpu();
    let analyzer = Analyzer::new(built_in_model(&compute.device), compute, 10);
    let analysis = analyzer
        .analyze(
            &MonoAudio {
                samples: mono.to_vec(),
                sample_rate: rate,
            },
            &mut |_, _| {},
        )
        .unwrap();
    let p = &analysis.predictions;
    let heard = p
        .classes
        .names()
        .into_iter()
        .zip(p.heard_seconds(0.5))
        .filter(|&(_, seconds)| seconds >= HEARD_MIN_SECONDS)
        .map(|(name, _)| name)
        .collect();
    Offline {
        heard,
        notes: analysis.notes,
    }
}

fn heard_by_plugin(run: &HostRun) -> BTreeSet<String> {
    heard_in_state(&run.state)
}

/// Notes the plugin sent: (key, GM programme of the channel, on sample, off sample).
fn midi_notes(run: &HostRun) -> Vec<(u8, u8, u64, u64)> {
    let mut program = [0u8; 16];
    let mut open: Vec<(u8, u8, u8, u64)> = Vec::new();
    let mut notes = Vec::new();
    for message in &run.midi {
        match *message {
            MidiOut::Program {
                channel,
                program: p,
                ..
            } => program[usize::from(channel)] = p,
            MidiOut::On {
                sample,
                channel,
                key,
            } => open.push((channel, key, program[usize::from(channel)], sample)),
            MidiOut::Off {
                sample,
                channel,
                key,
            } => {
                if let Some(i) = open.iter().position(|o| o.0 == channel && o.1 == key) {
                    let (_, key, program, on) = open.remove(i);
                    notes.push((key, program, on, sample));
                }
            }
        }
    }
    notes
}

/// Share of `reference` notes matched by a `candidate` note of the same key and programme
/// whose onset (less `delay` seconds) is within `tolerance` seconds.
fn matched_share(
    reference: &[(u8, u8, f64)],
    candidate: &[(u8, u8, f64)],
    delay: f64,
    tolerance: f64,
) -> f64 {
    if reference.is_empty() {
        return 1.0;
    }
    let mut used = vec![false; candidate.len()];
    let mut hits = 0;
    for &(key, program, onset) in reference {
        let found = candidate.iter().enumerate().position(|(i, &(k, p, t))| {
            !used[i] && k == key && p == program && (t - delay - onset).abs() <= tolerance
        });
        if let Some(i) = found {
            used[i] = true;
            hits += 1;
        }
    }
    f64::from(hits) / reference.len() as f64
}

fn stereo(mono: &[f32]) -> Vec<Vec<f32>> {
    vec![
        mono.iter().map(|s| s * 0.9).collect(),
        mono.iter().map(|s| s * 1.1).collect(),
    ]
}

#[test]
fn audio_passes_bit_exact_and_the_worker_hears_the_file_at_every_rate_and_block_size() {
    let classes = built_in_model(&ComputeDevice::cpu().device).sidecar.classes;
    let truth = truth(&classes);
    // One rendering, resampled to each rate, so every rate carries the same music.
    let rendered = render(parts(), SECONDS, 48_000);
    for rate in [44_100, 48_000, 96_000] {
        let mono = resample(&rendered, 48_000, rate).unwrap();
        let input = stereo(&mono);
        let downmix: Vec<f32> = input[0]
            .iter()
            .zip(&input[1])
            .map(|(l, r)| (l + r) * 0.5)
            .collect();
        let expected = offline(&downmix, rate);
        assert_eq!(
            expected.heard, truth,
            "{rate} Hz: the model hears the file's instruments"
        );
        let expected_notes: Vec<(u8, u8, f64)> = expected
            .notes
            .iter()
            .map(|n| {
                (
                    n.pitch,
                    classes.get(n.class).unwrap().export_program(),
                    n.onset,
                )
            })
            .collect();
        for block in [1, 64, 512, 4096] {
            let run = run_plugin(
                &input,
                HostSettings {
                    rate,
                    block,
                    speed: SPEED,
                },
                TAIL_SECONDS,
            );
            let what = format!("{rate} Hz, block {block}");
            for (out, inp) in run.output.iter().zip(&input) {
                assert!(
                    out.iter()
                        .map(|s| s.to_bits())
                        .eq(inp.iter().map(|s| s.to_bits())),
                    "{what}: output differs from input"
                );
            }
            assert_eq!(
                heard_by_plugin(&run),
                expected.heard,
                "{what}: instruments heard"
            );

            let sent: Vec<(u8, u8, f64)> = midi_notes(&run)
                .iter()
                .map(|&(key, program, on, _)| (key, program, on as f64 / f64::from(rate)))
                .collect();
            // MIDI goes out one constant delay after the audio it describes; align by the
            // median delay before matching onsets within 50 ms as note F1 does. A delay that
            // changed during the file (a note queued behind a later one) shows up as misses.
            let mut delays: Vec<f64> = sent
                .iter()
                .filter_map(|&(k, p, t)| {
                    expected_notes
                        .iter()
                        .filter(|&&(k2, p2, _)| k2 == k && p2 == p)
                        .map(|&(_, _, o)| t - o)
                        .filter(|d| *d >= 0.0)
                        .min_by(f64::total_cmp)
                })
                .collect();
            delays.sort_by(f64::total_cmp);
            let delay = delays.get(delays.len() / 2).copied().unwrap_or(0.0);
            let recall = matched_share(&expected_notes, &sent, delay, 0.05);
            let precision = matched_share(&sent, &expected_notes, -delay, 0.05);
            assert!(
                recall >= 0.9 && precision >= 0.9,
                "{what}: MIDI notes vs offline notes: recall {recall:.2}, precision {precision:.2} \
                 ({} sent, {} offline, delay {delay:.3} s)",
                sent.len(),
                expected_notes.len()
            );
            // Never earlier than the delay it starts with: MIDI counted from the wrong sample
            // (audio the analysis discarded at the host's reset) would be early.
            assert!(
                (INITIAL_MIDI_DELAY_SECONDS - 0.02..1.5).contains(&delay),
                "{what}: MIDI delay {delay:.3} s"
            );
        }
    }
}

#[test]
fn hostile_input_neither_allocates_nor_stops_the_analysis() {
    let rate = 48_000;
    let second = rate as usize;
    let mut hostile = vec![f32::NAN; second / 2];
    hostile.extend(std::iter::repeat_n(f32::INFINITY, second / 4));
    hostile.extend(std::iter::repeat_n(f32::NEG_INFINITY, second / 4));
    hostile.extend(std::iter::repeat_n(0.0, second));
    let mut noise = 0x1234_5678u32;
    hostile.extend((0..second).map(|_| {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        if noise & 1 == 0 { 1.0 } else { -1.0 }
    }));
    hostile.extend(std::iter::repeat_n(1.0, second));
    let music = render(parts(), SECONDS, rate);
    let mono: Vec<f32> = hostile.iter().chain(&music).copied().collect();
    let input = vec![mono.clone(), mono];
    let run = run_plugin(
        &input,
        HostSettings {
            rate,
            block: 512,
            speed: SPEED,
        },
        TAIL_SECONDS,
    );
    for (out, inp) in run.output.iter().zip(&input) {
        assert!(
            out.iter()
                .map(|s| s.to_bits())
                .eq(inp.iter().map(|s| s.to_bits())),
            "output differs from input"
        );
    }
    // The analysis survived and works on the music that follows: notes go out during it and
    // the file's instruments are heard.
    let music_start = hostile.len() as u64;
    let notes_in_music = midi_notes(&run)
        .iter()
        .filter(|n| n.2 > music_start)
        .count();
    assert!(
        notes_in_music >= 5,
        "{notes_in_music} notes after the hostile input"
    );
    let heard = heard_by_plugin(&run);
    let classes = built_in_model(&ComputeDevice::cpu().device).sidecar.classes;
    for name in truth(&classes) {
        assert!(
            heard.contains(&name),
            "{name} not heard after hostile input: {heard:?}"
        );
    }
}
