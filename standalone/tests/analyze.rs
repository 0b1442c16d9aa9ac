//! `timbrescope analyze` as a user runs it: real files in, JSON / MIDI / PNG out, clear errors.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use common::heard_in_prediction;
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::outputs::prediction::PredictionFile;
use timbrescope_synth::demo::demo_score;
use timbrescope_synth::render::render_score;
use timbrescope_tests::{training_font, write_wav};

fn timbrescope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timbrescope"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn rendered_ensemble(path: &Path) -> f64 {
    let score = demo_score(1);
    let audio = render_score(&score, training_font(), 44_100).unwrap();
    write_wav(path, &audio, 44_100).unwrap();
    audio.len() as f64 / 44_100.0
}

/// The instruments named on the summary line (`…, heard: a 1.2 s, b 0.7 s; N notes`).
fn heard_in_summary(stdout: &str) -> BTreeSet<String> {
    let line = stdout.lines().last().unwrap_or_default();
    let list = line
        .split_once("heard: ")
        .and_then(|(_, rest)| rest.rsplit_once("; "))
        .map_or("", |(list, _)| list);
    list.split(", ")
        .filter_map(|entry| entry.split_once(' '))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn analyze_writes_json_midi_and_png_for_a_rendered_ensemble() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("ensemble.wav");
    let seconds = rendered_ensemble(&wav);
    let (json, midi, png) = (
        tmp.path().join("out.json"),
        tmp.path().join("out.mid"),
        tmp.path().join("out.png"),
    );
    let out = timbrescope(&[
        "analyze",
        wav.to_str().unwrap(),
        "--backend",
        "cpu",
        "--json",
        json.to_str().unwrap(),
        "--midi",
        midi.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let prediction: PredictionFile =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let frames = (seconds * 100.0).ceil() as usize;
    assert_eq!(prediction.hop_s, Some(0.01));
    assert_eq!(prediction.classes, ClassList::default_gm().names());
    assert_eq!(prediction.instrument_activity.len(), frames);
    assert_eq!(prediction.pitch_activity.len(), frames);
    assert!(
        prediction
            .instrument_activity
            .iter()
            .all(|row| row.len() == prediction.classes.len())
    );
    assert!(prediction.pitch_activity.iter().all(|row| row.len() == 88));
    let all = prediction
        .instrument_activity
        .iter()
        .chain(&prediction.pitch_activity)
        .flatten();
    assert!(all.copied().all(|v| (0.0..=1.0).contains(&v)));
    assert_eq!(prediction.clip_scores.len(), prediction.classes.len());
    let heard_in_json =
        heard_in_prediction(&prediction, timbrescope_engine::timeline::HEARD_MIN_SECONDS);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !heard_in_json.is_empty(),
        "the model hears part of the ensemble"
    );
    assert_eq!(
        heard_in_summary(&stdout),
        heard_in_json,
        "the summary names what the activity shows: {stdout}"
    );
    for note in &prediction.notes {
        assert!(
            note.onset < note.offset
                && note.offset <= seconds + 0.011
                && (21..=108).contains(&note.pitch)
        );
    }

    let bytes = std::fs::read(&midi).unwrap();
    let smf = midly::Smf::parse(&bytes).expect("midly parses the MIDI file back");
    let note_ons = smf
        .tracks
        .iter()
        .flatten()
        .filter(|e| {
            matches!(
                e.kind,
                midly::TrackEventKind::Midi {
                    message: midly::MidiMessage::NoteOn { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        note_ons,
        prediction.notes.len(),
        "one note-on per detected note"
    );
    assert_eq!(
        smf.tracks.len(),
        1 + prediction
            .notes
            .iter()
            .map(|n| &n.class)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );

    let image = std::fs::read(&png).unwrap();
    assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(image[16..20].try_into().unwrap());
    assert_eq!(width, 1600);
}

#[test]
fn pitch_bends_come_only_when_asked_for_and_cover_each_note() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("ensemble.wav");
    rendered_ensemble(&wav);
    let predict = |extra: &[&str]| -> PredictionFile {
        let json = tmp.path().join("out.json");
        let mut args = vec!["analyze", wav.to_str().unwrap(), "--backend", "cpu"];
        args.extend_from_slice(&["--json", json.to_str().unwrap()]);
        args.extend_from_slice(extra);
        let out = timbrescope(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
    };
    let plain = predict(&[]);
    assert!(plain.notes.iter().all(|n| n.bend.is_empty()));
    let bent = predict(&["--pitch-bends"]);
    assert_eq!(bent.notes.len(), plain.notes.len(), "bends change no note");
    assert!(!bent.notes.is_empty());
    for note in &bent.notes {
        let rows = (note.offset * 100.0).round() as usize - (note.onset * 100.0).round() as usize;
        assert_eq!(note.bend.len(), rows.max(1), "{note:?}");
        // A rendered SoundFont ensemble plays in tune: bends stay well inside a semitone.
        let mean = note.bend.iter().sum::<f32>() / note.bend.len() as f32;
        assert!(mean.abs() < 0.5, "{note:?}");
    }
}

#[test]
fn bad_files_each_get_one_line_and_the_good_file_is_still_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = dir.join("good.wav");
    rendered_ensemble(&good);
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "this is not audio\n").unwrap();
    let corrupt = dir.join("corrupt.flac");
    let mut bytes = b"fLaC".to_vec();
    bytes.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(&corrupt, bytes).unwrap();
    let missing = dir.join("missing.wav");
    let out_dir = dir.join("out");

    let args: Vec<&str> = [
        "analyze",
        "--backend",
        "cpu",
        "--json",
        out_dir.to_str().unwrap(),
    ]
    .into_iter()
    .chain([&empty, &text, &good, &corrupt, &missing].map(|p| p.to_str().unwrap()))
    .collect();
    let out = timbrescope(&args);
    assert!(
        !out.status.success(),
        "a failing file makes the exit code non-zero"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 4, "{stderr}");
    for (path, reason) in [
        (&empty, "no audio"),
        (&text, "not a readable audio file"),
        (&corrupt, "audio"),
        (&missing, "cannot open"),
    ] {
        let name = path.to_str().unwrap();
        let line = errors
            .iter()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no line for {name}: {stderr}"));
        assert!(line.contains(reason), "{line}");
    }
    assert!(
        out_dir.join("good.json").exists(),
        "the good file was analysed"
    );
}

#[test]
fn a_corrupt_model_file_warns_and_uses_the_built_in_model() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("tone.wav");
    rendered_ensemble(&wav);
    let model = tmp.path().join("bad.bpk");
    std::fs::write(&model, b"garbage").unwrap();
    std::fs::write(tmp.path().join("bad.json"), b"{ not json").unwrap();
    let out = timbrescope(&[
        "analyze",
        wav.to_str().unwrap(),
        "--backend",
        "cpu",
        "--model",
        model.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("built-in model"),
        "{stderr}"
    );
}
