//! MIDI-aligned multitrack audio in the Slakh2100 layout (Manilow et al. 2019): a split folder
//! of `Track*/` folders, each with `mix.flac` (or `mix.wav`, as in BabySlakh), one MIDI file
//! per stem in `MIDI/` and `metadata.yaml` saying each stem's GM programme, whether it is
//! drums, and whether it was rendered into the mix. The notes give frame labels exactly as the
//! synthesiser's do.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::features::{ANALYSIS_RATE, FRAMES_PER_SECOND};
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::input::resample::{resample, resample_to_analysis_rate};
use timbrescope_engine::networks::basic_pitch;
use timbrescope_synth::labels::label_score;
use timbrescope_synth::midi_file::score_from_midi;
use timbrescope_synth::score::{Part, Score, Voice};

use super::{LabelledClip, sorted_entries};
use crate::eval::AnnotatedPiece;

/// One track: its mix and the notes of every stem rendered into it.
#[derive(Debug, Clone)]
pub struct MultitrackPiece {
    /// The mixed audio file.
    pub audio: PathBuf,
    /// One part per rendered stem, with the stem's programme (or drums).
    pub score: Score,
}

/// What `metadata.yaml` says about one stem.
#[derive(Debug, Default, PartialEq)]
struct Stem {
    name: String,
    program: Option<u8>,
    is_drum: bool,
    audio_rendered: bool,
    midi_saved: bool,
}

/// Reads the `stems:` mapping of a Slakh `metadata.yaml`: stem names two spaces in, their
/// `key: value` fields four spaces in. (Written for this fixed machine-made layout: both YAML
/// crates checked would change features of crates under burn and rebuild it.)
fn read_stems(yaml: &str) -> Result<Vec<Stem>> {
    let mut stems: Vec<Stem> = Vec::new();
    let mut inside = false;
    for (number, line) in yaml.lines().enumerate() {
        let content = line.split(" #").next().unwrap_or("").trim_end();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        let indent = content.len() - content.trim_start().len();
        let (key, value) = content
            .trim()
            .split_once(':')
            .map(|(k, v)| (k.trim(), v.trim().trim_matches(['\'', '"'])))
            .with_context(|| format!("line {}: expected `key: value`", number + 1))?;
        match indent {
            0 => inside = key == "stems",
            _ if !inside => {}
            2 => stems.push(Stem {
                name: key.to_string(),
                ..Stem::default()
            }),
            _ => {
                let Some(stem) = stems.last_mut() else {
                    bail!("line {}: a stem field before any stem", number + 1);
                };
                match key {
                    "program_num" => {
                        stem.program = Some(value.parse().with_context(|| {
                            format!("line {}: program_num {value:?}", number + 1)
                        })?)
                    }
                    "is_drum" => stem.is_drum = value == "true",
                    "audio_rendered" => stem.audio_rendered = value == "true",
                    "midi_saved" => stem.midi_saved = value == "true",
                    _ => {}
                }
            }
        }
    }
    Ok(stems)
}

/// Reads one track folder.
fn load_track(track: &Path) -> Result<MultitrackPiece> {
    let metadata = track.join("metadata.yaml");
    let stems = read_stems(
        &std::fs::read_to_string(&metadata).with_context(|| metadata.display().to_string())?,
    )
    .with_context(|| metadata.display().to_string())?;
    let Some(audio) = ["mix.flac", "mix.wav"]
        .map(|name| track.join(name))
        .into_iter()
        .find(|p| p.is_file())
    else {
        bail!("{}: no mix.flac or mix.wav", track.display());
    };
    let mut parts = Vec::new();
    for stem in stems.iter().filter(|s| s.audio_rendered && s.midi_saved) {
        let midi = track.join("MIDI").join(format!("{}.mid", stem.name));
        let bytes = std::fs::read(&midi).with_context(|| midi.display().to_string())?;
        let score = score_from_midi(&bytes).with_context(|| midi.display().to_string())?;
        // The metadata's programme is what was rendered; the file's own may differ.
        let voice = match (stem.is_drum, stem.program) {
            (true, _) => Voice::Percussion,
            (false, Some(program)) => Voice::Program(program),
            (false, None) => bail!("{}: stem {} has no program_num", track.display(), stem.name),
        };
        let notes = score.parts.into_iter().flat_map(|p| p.notes).collect();
        parts.push(Part::new(voice, notes));
    }
    let duration = parts
        .iter()
        .flat_map(|p| &p.notes)
        .map(|n| n.offset())
        .fold(0.0, f64::max);
    Ok(MultitrackPiece {
        audio,
        score: Score { parts, duration },
    })
}

/// Reads every `Track*` folder of a split folder (`train`, `validation`, `test`), in name order.
pub fn load(split: &Path) -> Result<Vec<MultitrackPiece>> {
    let tracks = sorted_entries(split, is_track)?;
    if tracks.is_empty() {
        bail!(
            "{}: no Track* folders (a Slakh2100 split folder)",
            split.display()
        );
    }
    tracks.iter().map(|t| load_track(t)).collect()
}

/// Clip labels of each track: every class is known (the stems are all the mix holds).
pub fn load_clips(split: &Path, classes: &ClassList) -> Result<Vec<LabelledClip>> {
    Ok(load(split)?
        .into_iter()
        .map(|piece| {
            let frames = (piece.score.duration * FRAMES_PER_SECOND as f64).ceil() as usize;
            let labels = label_score(&piece.score, classes, frames);
            LabelledClip {
                audio: piece.audio,
                present: labels.clip,
                known: vec![1.0; classes.len()],
                pitch: None,
            }
        })
        .collect())
}

/// Every track's mix at 16 kHz with the stems' notes as its reference, for `xtask eval`.
pub fn annotated_pieces(split: &Path) -> Result<Vec<AnnotatedPiece>> {
    load(split)?
        .into_iter()
        .map(|piece| {
            let mix = read_mono(&piece.audio).with_context(|| piece.audio.display().to_string())?;
            let samples = resample_to_analysis_rate(&mix.samples, mix.sample_rate)?;
            let name = piece
                .audio
                .parent()
                .and_then(Path::file_name)
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            Ok(AnnotatedPiece {
                name,
                samples_22k: Some(resample(
                    &mix.samples,
                    mix.sample_rate,
                    basic_pitch::SAMPLE_RATE,
                )?),
                score: Score {
                    duration: samples.len() as f64 / f64::from(ANALYSIS_RATE),
                    ..piece.score
                },
                samples,
            })
        })
        .collect()
}

/// Whether `path` is a track folder of a split.
fn is_track(path: &Path) -> bool {
    path.is_dir()
        && path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("Track"))
}

/// Whether `folder` is laid out as a Slakh split (holds `Track*` folders).
pub fn is_split(folder: &Path) -> bool {
    sorted_entries(folder, is_track).is_ok_and(|tracks| !tracks.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_engine::classes::{LOWEST_MIDI_NOTE, PITCH_COUNT};
    use timbrescope_engine::features::frame_count;
    use timbrescope_engine::outputs::midi_file::notes_to_midi;
    use timbrescope_engine::timeline::notes::Note;
    use timbrescope_synth::wav::write_wav;

    const METADATA: &str = "UUID: 1a81ae092884234f3264e2f45927f00a
audio_dir: stems
midi_dir: MIDI
normalized: true
overall_gain: 0.18
stems:
  S00:
    audio_rendered: true
    inst_class: Piano
    is_drum: false
    midi_program_name: Acoustic Grand Piano
    midi_saved: true
    plugin_name: grand_piano.nkm
    program_num: 0
  S01:
    audio_rendered: true
    inst_class: Drums
    is_drum: true
    midi_program_name: Drums
    midi_saved: true
    program_num: 128
  S02:
    audio_rendered: false
    inst_class: Brass
    is_drum: false
    midi_program_name: Trumpet
    midi_saved: true
    program_num: 56
target_peak: -1.0
";

    /// A note as the MIDI exporter writes it (class `name`'s track and programme).
    fn stem_file(path: &Path, classes: &ClassList, name: &str, onset: f64, offset: f64, pitch: u8) {
        let note = Note {
            onset,
            offset,
            pitch,
            class: classes.index_of(name).unwrap(),
            velocity: 0.8,
            bend: Vec::new(),
        };
        std::fs::write(path, notes_to_midi(&[note], classes)).unwrap();
    }

    #[test]
    fn reads_a_slakh_track_with_its_rendered_stems_and_frame_labels() {
        let tmp = tempfile::tempdir().unwrap();
        let split = tmp.path().join("train");
        let track = split.join("Track00001");
        std::fs::create_dir_all(track.join("MIDI")).unwrap();
        std::fs::create_dir_all(split.join("not-a-track")).unwrap();
        std::fs::write(track.join("metadata.yaml"), METADATA).unwrap();
        let classes = ClassList::default_gm();
        // The stem file's own programme (violin) is not what was rendered: the metadata is.
        stem_file(
            &track.join("MIDI/S00.mid"),
            &classes,
            "violin",
            0.5,
            1.0,
            60,
        );
        stem_file(&track.join("MIDI/S01.mid"), &classes, "drums", 1.2, 1.3, 36);
        stem_file(
            &track.join("MIDI/S02.mid"),
            &classes,
            "trumpet",
            0.0,
            2.0,
            70,
        );
        write_wav(&track.join("mix.wav"), &[0.0; 44_100], 22_050).unwrap();

        let pieces = load(&split).unwrap();
        assert_eq!(pieces.len(), 1);
        let piece = &pieces[0];
        assert!(piece.audio.ends_with("Track00001/mix.wav"));
        let voices: Vec<Voice> = piece.score.parts.iter().map(|p| p.voice).collect();
        assert_eq!(
            voices,
            [Voice::Program(0), Voice::Percussion],
            "S02 was not rendered"
        );

        assert!(is_split(&split) && !is_split(&track));
        let annotated = annotated_pieces(&split).unwrap();
        assert_eq!(annotated[0].name, "Track00001");
        assert_eq!(annotated[0].samples.len(), 32_000, "2 s at 16 kHz");
        let labels = &label_score(
            &annotated[0].score,
            &classes,
            frame_count(32_000, ANALYSIS_RATE),
        );
        let c = labels.classes;
        let active = |frame: usize, name: &str| {
            labels.instrument[frame * c + classes.index_of(name).unwrap()] == 1.0
        };
        let piano_frames: Vec<usize> = (0..labels.frames).filter(|&t| active(t, "piano")).collect();
        assert_eq!(piano_frames, (50..100).collect::<Vec<_>>());
        assert!(active(125, "drums") && !active(135, "drums"));
        assert!((0..labels.frames).all(|t| !active(t, "violin") && !active(t, "trumpet")));
        assert_eq!(
            labels.pitch[75 * PITCH_COUNT + usize::from(60 - LOWEST_MIDI_NOTE)],
            1.0
        );

        let clips = load_clips(&split, &classes).unwrap();
        let present: Vec<String> = classes
            .names()
            .into_iter()
            .zip(&clips[0].present)
            .filter(|(_, p)| **p > 0.0)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(present, ["piano", "drums"]);
        assert!(clips[0].known.iter().all(|&k| k == 1.0));
    }

    #[test]
    fn a_folder_without_tracks_or_a_track_without_its_mix_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let error = load(tmp.path()).unwrap_err().to_string();
        assert!(error.contains("no Track"), "{error}");
        let track = tmp.path().join("Track00002");
        std::fs::create_dir_all(&track).unwrap();
        std::fs::write(track.join("metadata.yaml"), METADATA).unwrap();
        let error = format!("{:#}", load(tmp.path()).unwrap_err());
        assert!(error.contains("no mix.flac or mix.wav"), "{error}");
    }
}
