//! `cargo xtask synth`: writes procedural pieces to disk as 16 kHz WAV files, each with a label
//! file in the prediction format of docs/ARCHITECTURE.md (what an ideal `analyze` would write), so that
//! rendered data can be listened to, inspected and scored with the same readers.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use timbrescope_engine::classes::{ClassList, PITCH_COUNT};
use timbrescope_engine::features::{ANALYSIS_RATE, FRAMES_PER_SECOND};
use timbrescope_engine::outputs::prediction::PredictionFile;
use timbrescope_synth::midi_file::score_from_midi;
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::sample_sets::load_soundfont;
use timbrescope_synth::wav::write_wav;

use crate::datasets::{has_extension, sorted_entries};
use crate::train::data::{render_labelled, render_piece};
use timbrescope_synth::labels::LabelledAudio;

/// The label file of a rendered piece: activity and pitch rows per frame, clip labels.
pub fn label_file(piece: &LabelledAudio, classes: &ClassList) -> PredictionFile {
    let labels = &piece.labels;
    let names = classes.names();
    PredictionFile {
        hop_s: Some(1.0 / FRAMES_PER_SECOND as f64),
        classes: names.clone(),
        instrument_activity: labels
            .instrument
            .chunks_exact(labels.classes)
            .map(<[f32]>::to_vec)
            .collect(),
        pitch_activity: labels
            .pitch
            .chunks_exact(PITCH_COUNT)
            .map(<[f32]>::to_vec)
            .collect(),
        notes: Vec::new(),
        clip_scores: names
            .into_iter()
            .zip(labels.clip.iter().copied())
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Writes `piece` as `<stem>.wav` (16 kHz) and its labels as `<stem>.json`.
fn write_labelled(stem: &Path, piece: &LabelledAudio, classes: &ClassList) -> Result<()> {
    let wav = stem.with_extension("wav");
    write_wav(&wav, &piece.samples, ANALYSIS_RATE).with_context(|| wav.display().to_string())?;
    let json = stem.with_extension("json");
    std::fs::write(
        &json,
        serde_json::to_string(&label_file(piece, classes))? + "\n",
    )
    .with_context(|| json.display().to_string())?;
    Ok(())
}

fn progress_bar(count: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(count as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {what} ({{eta}} left)"))
            .expect("static template"),
    );
    bar
}

/// Renders pieces `first_seed..first_seed + count` from `font` into `out`.
pub fn write_pieces(
    out: &Path,
    count: usize,
    first_seed: u64,
    font: &Path,
    procedural: &ProceduralConfig,
) -> Result<()> {
    let classes = ClassList::default_gm();
    let font = load_soundfont(font)?;
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let bar = progress_bar(count, "pieces");
    for seed in first_seed..first_seed + count as u64 {
        let piece = render_piece(seed, &classes, procedural, &font, None)?;
        write_labelled(&out.join(format!("piece-{seed}")), &piece, &classes)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    eprintln!("wrote {count} pieces to {}", out.display());
    Ok(())
}

/// Renders every MIDI file in `folder` from `font` into `out` (same name, `.wav` + `.json`),
/// its GM programmes labelled with their classes. A file that cannot be read or rendered is
/// reported and skipped; the others are still written.
pub fn write_midi_renders(folder: &Path, out: &Path, font: &Path, seed: u64) -> Result<()> {
    let classes = ClassList::default_gm();
    let files = sorted_entries(folder, |p| has_extension(p, &["mid", "midi"]))?;
    if files.is_empty() {
        bail!("{}: no .mid or .midi files", folder.display());
    }
    let font = load_soundfont(font)?;
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let bar = progress_bar(files.len(), "MIDI files");
    let mut failed = 0;
    for (i, file) in files.iter().enumerate() {
        let rendered = std::fs::read(file)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| Ok(score_from_midi(&bytes)?))
            .and_then(|score| {
                render_labelled(
                    &score,
                    &classes,
                    &(&font).into(),
                    seed + i as u64,
                    None,
                    false,
                )
            });
        match rendered {
            Ok(piece) => {
                let name = file.file_stem().expect("a file name");
                write_labelled(&out.join(name), &piece, &classes)?;
            }
            Err(error) => {
                failed += 1;
                bar.println(format!("{}: skipped: {error:#}", file.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    eprintln!(
        "wrote {} of {} MIDI files to {}",
        files.len() - failed,
        files.len(),
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::rms;
    use timbrescope_engine::input::audio_file::read_mono;
    use timbrescope_engine::outputs::midi_file::notes_to_midi;
    use timbrescope_engine::outputs::prediction::PredictionFile;
    use timbrescope_engine::timeline::notes::Note;
    use timbrescope_synth::sample_sets::TRAINING_FONT;

    #[test]
    fn renders_a_midi_folder_with_labels_that_line_up_and_skips_a_bad_file() {
        let tmp = tempfile::tempdir().unwrap();
        let (folder, out) = (tmp.path().join("midi"), tmp.path().join("out"));
        std::fs::create_dir_all(&folder).unwrap();
        let classes = ClassList::default_gm();
        let flute = classes.index_of("flute").unwrap();
        let note = Note {
            onset: 0.5,
            offset: 1.5,
            pitch: 72,
            class: flute,
            velocity: 0.9,
            bend: Vec::new(),
        };
        std::fs::write(folder.join("tune.mid"), notes_to_midi(&[note], &classes)).unwrap();
        std::fs::write(folder.join("broken.mid"), b"not MIDI at all").unwrap();

        write_midi_renders(&folder, &out, Path::new(TRAINING_FONT), 0).unwrap();
        assert!(!out.join("broken.wav").exists());
        let labels: PredictionFile =
            serde_json::from_str(&std::fs::read_to_string(out.join("tune.json")).unwrap()).unwrap();
        let active: Vec<usize> = labels
            .instrument_activity
            .iter()
            .enumerate()
            .filter(|(_, row)| row[flute] > 0.5)
            .map(|(t, _)| t)
            .collect();
        assert_eq!(active, (50..150).collect::<Vec<_>>());
        let pitch_row = usize::from(72 - timbrescope_engine::classes::LOWEST_MIDI_NOTE);
        assert_eq!(labels.pitch_activity[100][pitch_row], 1.0);

        let audio = read_mono(&out.join("tune.wav")).unwrap();
        let at = |s: f64| (s * f64::from(audio.sample_rate)) as usize;
        let (before, during) = (
            rms(&audio.samples[..at(0.45)]),
            rms(&audio.samples[at(0.6)..at(1.4)]),
        );
        assert!(
            during > 0.01 && before < 0.01 * during,
            "silent before the note ({before}), sounding in it ({during})"
        );
    }
}
