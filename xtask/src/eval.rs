//! `cargo xtask eval`: scores a model on annotated music through the same path the CLI uses
//! (whole-signal windowing, stitching, note tracking): frame instrument F1 (micro, macro, per
//! class), pitch frame P/R/F1, class-aware pianoroll F1, note F1 (onset within 50 ms), and clip
//! LRAP and F1 on non-overlapping 1 s windows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use timbrescope_engine::analysis::{Analysis, Analyzer};
use timbrescope_engine::classes::{ClassList, LOWEST_MIDI_NOTE, PITCH_COUNT};
use timbrescope_engine::features::{ANALYSIS_RATE, FRAMES_PER_SECOND, frame_count};
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::input::resample::{resample, resample_to_analysis_rate};
use timbrescope_engine::live::stream::{LiveAnalyzer, LiveOutput};
use timbrescope_engine::networks::basic_pitch;
use timbrescope_engine::timeline::notes::{Note, NoteEvent};
use timbrescope_engine::timeline::{FramePredictions, HEARD_THRESHOLD, WINDOW_FRAMES};
use timbrescope_synth::SampleSet;
use timbrescope_synth::labels::{FrameLabels, label_score};
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::score::{Part, Score, ScoreNote, Voice};

use crate::metrics::{Counts, add_per_class, lrap_of_clip};
use crate::train::data::record;

/// The live path's hop between model windows: the plugin's default 100 ms.
const LIVE_HOP_FRAMES: usize = 10;
/// Largest onset difference for a detected note to match a reference note.
const ONSET_TOLERANCE_S: f64 = 0.05;

/// A signal at 16 kHz with the score that says what plays in it.
pub struct AnnotatedPiece {
    /// Shown in the per-piece log.
    pub name: String,
    /// Mono samples at the analysis rate.
    pub samples: Vec<f32>,
    /// The same signal at basic-pitch's 22 050 Hz, resampled from the recording when there is
    /// one (`None`: upsampled from `samples`).
    pub samples_22k: Option<Vec<f32>>,
    /// The reference notes, as parts with GM voices.
    pub score: Score,
}

/// Fresh procedural music (seeds no training run draws, from `first_seed` on) rendered with
/// `font`, each piece fitted to the voices it plays: the held-out validation font measures
/// generalisation, the training font how well the model fits, another source how well the
/// model knows that source's recordings.
pub fn validation_pieces(
    count: usize,
    classes: &ClassList,
    procedural: &ProceduralConfig,
    font: &SampleSet,
    first_seed: u64,
) -> Result<Vec<AnnotatedPiece>> {
    (0..count as u64)
        .map(|i| {
            let seed = first_seed + i;
            let mut score = generate(classes, procedural, seed);
            font.fit(&mut score, classes);
            // Resampled to each network's rate from the recording, as a real file would be.
            let (recorded, rate) = record(&score, font, seed)?;
            let samples = resample(&recorded, rate, ANALYSIS_RATE)?;
            let samples_22k = resample(&recorded, rate, basic_pitch::SAMPLE_RATE)?;
            Ok(AnnotatedPiece {
                name: format!("validation-{i}"),
                samples,
                samples_22k: Some(samples_22k),
                score,
            })
        })
        .collect()
}

/// One Bach10 annotation file (`<piece>/<piece>.json`).
#[derive(Deserialize)]
struct Bach10Annotation {
    audio: String,
    notes: Vec<Bach10Note>,
}

#[derive(Deserialize)]
struct Bach10Note {
    onset: f64,
    offset: f64,
    pitch: u8,
    instrument: String,
}

/// The Bach10 mixes with their note annotations, one folder per piece.
pub fn bach10_pieces(root: &Path, classes: &ClassList) -> Result<Vec<AnnotatedPiece>> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| root.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut pieces = Vec::new();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let annotation_path = folder.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&annotation_path)
            .with_context(|| annotation_path.display().to_string())?;
        let annotation: Bach10Annotation = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a Bach10 annotation", annotation_path.display()))?;
        let audio = read_mono(&folder.join(&annotation.audio))?;
        let samples = resample_to_analysis_rate(&audio.samples, audio.sample_rate)?;
        let samples_22k = resample(&audio.samples, audio.sample_rate, basic_pitch::SAMPLE_RATE)?;
        let mut parts: BTreeMap<String, Vec<ScoreNote>> = BTreeMap::new();
        for n in annotation.notes {
            let note = ScoreNote {
                onset: n.onset,
                duration: n.offset - n.onset,
                key: n.pitch,
                velocity: 100,
            };
            parts.entry(n.instrument).or_default().push(note);
        }
        let parts = parts
            .into_iter()
            .map(|(instrument, notes)| {
                let class = classes.index_of(&instrument).and_then(|c| classes.get(c));
                let program = class.and_then(|c| c.programs.first().copied());
                match program {
                    Some(program) => Ok(Part::new(Voice::Program(program), notes)),
                    None => bail!(
                        "{}: instrument {instrument} is not a class of the model",
                        annotation_path.display()
                    ),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let duration = samples.len() as f64 / f64::from(ANALYSIS_RATE);
        pieces.push(AnnotatedPiece {
            name,
            samples,
            samples_22k: Some(samples_22k),
            score: Score { parts, duration },
        });
    }
    if pieces.is_empty() {
        bail!("{}: no Bach10 piece folders", root.display());
    }
    Ok(pieces)
}

/// F1 with its precision and recall.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Score3 {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

impl From<Counts> for Score3 {
    fn from(c: Counts) -> Self {
        Self {
            precision: c.precision(),
            recall: c.recall(),
            f1: c.f1(),
        }
    }
}

/// Everything `eval` reports; written as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Pieces evaluated.
    pub pieces: usize,
    /// Seconds of audio.
    pub seconds: f64,
    /// Frame instrument activity, micro-averaged.
    pub instrument_micro: Score3,
    /// Mean F1 over the classes present in the reference.
    pub instrument_f1_macro: f64,
    /// Frame instrument activity per class present in the reference.
    pub instrument_per_class: BTreeMap<String, Score3>,
    /// Frame multi-pitch activity.
    pub pitch: Score3,
    /// Frame pianoroll (class and pitch both right).
    pub pianoroll: Score3,
    /// Notes: same class and pitch, onset within 50 ms.
    pub notes: Score3,
    /// Notes whatever the instrument: same pitch, onset within 50 ms (how transcription
    /// papers, basic-pitch's among them, score notes).
    pub pitch_notes: Score3,
    /// Per class present in the reference: the share of its notes found whatever the
    /// instrument (recall of [`Self::pitch_notes`]), so that it shows whose notes are missed.
    pub pitch_note_recall_per_class: BTreeMap<String, f64>,
    /// Clip LRAP over 1 s windows.
    pub clip_lrap: f64,
    /// Clip decisions over 1 s windows, micro-averaged.
    pub clip_micro: Score3,
    /// Mean clip F1 over the classes present in the reference.
    pub clip_f1_macro: f64,
}

/// Reference notes of a score with their class and an in-range pitch.
fn reference_notes(score: &Score, classes: &ClassList) -> Vec<Note> {
    score
        .parts
        .iter()
        .filter_map(|part| match part.voice {
            Voice::Program(p) => classes.class_of_program(p).map(|class| (class, part)),
            Voice::Percussion => None,
        })
        .flat_map(|(class, part)| {
            part.notes
                .iter()
                .filter(|n| {
                    (LOWEST_MIDI_NOTE..LOWEST_MIDI_NOTE + PITCH_COUNT as u8).contains(&n.key)
                })
                .map(move |n| Note {
                    onset: n.onset,
                    offset: n.offset(),
                    pitch: n.key,
                    class,
                    velocity: 1.0,
                    bend: Vec::new(),
                })
        })
        .collect()
}

/// The largest one-to-one matching of detected to reference notes of the same pitch with
/// onsets within 50 ms (mir_eval's rule, which transcription papers report); with
/// `same_class` a match must also name the right instrument; beside the counts, which
/// reference notes were found. Taking detected notes in onset order and giving each the
/// earliest reference still in reach is optimal for such windows.
fn note_counts(detected: &[Note], reference: &[Note], same_class: bool) -> (Counts, Vec<bool>) {
    let mut used = vec![false; reference.len()];
    let mut matched = 0u64;
    let mut order: Vec<&Note> = detected.iter().collect();
    order.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    for d in order {
        let earliest = reference
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                !used[*i]
                    && (!same_class || r.class == d.class)
                    && r.pitch == d.pitch
                    && (r.onset - d.onset).abs() <= ONSET_TOLERANCE_S
            })
            .min_by(|a, b| a.1.onset.total_cmp(&b.1.onset));
        if let Some((i, _)) = earliest {
            used[i] = true;
            matched += 1;
        }
    }
    let counts = Counts {
        true_positive: matched,
        false_positive: detected.len() as u64 - matched,
        false_negative: reference.len() as u64 - matched,
    };
    (counts, used)
}

/// Accumulates the counts of many pieces, one analysis at a time (an experiment that changes
/// analyses before they are scored feeds its own).
pub struct Tally {
    classes: ClassList,
    seconds: f64,
    pieces: usize,
    instrument: Vec<Counts>,
    pitch: Counts,
    pianoroll: Counts,
    notes: Counts,
    pitch_notes: Counts,
    /// Per class: reference notes found whatever the instrument, and all of them.
    pitch_notes_found: Vec<(u64, u64)>,
    clip: Vec<Counts>,
    lrap: Vec<f64>,
}

impl Tally {
    /// Nothing counted yet, for a model with `classes`.
    pub fn new(classes: ClassList) -> Self {
        let c = classes.len();
        Self {
            classes,
            seconds: 0.0,
            pieces: 0,
            instrument: vec![Counts::default(); c],
            pitch: Counts::default(),
            pianoroll: Counts::default(),
            notes: Counts::default(),
            pitch_notes: Counts::default(),
            pitch_notes_found: vec![(0, 0); c],
            clip: vec![Counts::default(); c],
            lrap: Vec::new(),
        }
    }

    /// Scores `analysis` of `piece`; the clip scores come from `analyzer`'s own windows.
    pub fn add(&mut self, analyzer: &Analyzer, piece: &AnnotatedPiece, analysis: &Analysis) {
        let frames = frame_count(piece.samples.len(), ANALYSIS_RATE);
        let truth: FrameLabels = label_score(&piece.score, &self.classes, frames);
        let p = &analysis.predictions;
        add_per_class(
            &mut self.instrument,
            &p.instrument,
            &truth.instrument,
            HEARD_THRESHOLD,
        );
        self.pitch.add(&p.pitch, &truth.pitch, HEARD_THRESHOLD);
        self.pianoroll
            .add(&p.pianoroll, &truth.pianoroll, HEARD_THRESHOLD);
        let reference = reference_notes(&piece.score, &self.classes);
        self.notes = self.notes + note_counts(&analysis.notes, &reference, true).0;
        let (pitch_notes, found) = note_counts(&analysis.notes, &reference, false);
        self.pitch_notes = self.pitch_notes + pitch_notes;
        for (note, found) in reference.iter().zip(found) {
            let tally = &mut self.pitch_notes_found[note.class];
            *tally = (tally.0 + u64::from(found), tally.1 + 1);
        }

        // Clip scores of whole, non-overlapping 1 s windows, from the model's attention pooling.
        let whole = frames / WINDOW_FRAMES;
        if whole > 0 {
            let features = analyzer.features(&piece.samples, whole * WINDOW_FRAMES);
            for (w, window) in analyzer.predict_windows(&features).iter().enumerate() {
                let clip_truth = truth.window(w * WINDOW_FRAMES, WINDOW_FRAMES).clip;
                self.lrap.extend(lrap_of_clip(&window.clip, &clip_truth));
                add_per_class(&mut self.clip, &window.clip, &clip_truth, HEARD_THRESHOLD);
            }
        }
        self.seconds += frames as f64 / FRAMES_PER_SECOND as f64;
        self.pieces += 1;
    }

    /// The scores of everything added.
    pub fn report(&self) -> EvalReport {
        let present = |counts: &[Counts]| -> Vec<(usize, Counts)> {
            counts
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, c)| c.true_positive + c.false_negative > 0)
                .collect()
        };
        let macro_f1 = |counts: &[Counts]| {
            let p = present(counts);
            p.iter().map(|(_, c)| c.f1()).sum::<f64>() / p.len().max(1) as f64
        };
        let total =
            |counts: &[Counts]| counts.iter().copied().fold(Counts::default(), |a, b| a + b);
        let names = self.classes.names();
        EvalReport {
            pieces: self.pieces,
            seconds: self.seconds,
            instrument_micro: total(&self.instrument).into(),
            instrument_f1_macro: macro_f1(&self.instrument),
            instrument_per_class: present(&self.instrument)
                .into_iter()
                .map(|(k, c)| (names[k].clone(), c.into()))
                .collect(),
            pitch: self.pitch.into(),
            pianoroll: self.pianoroll.into(),
            notes: self.notes.into(),
            pitch_notes: self.pitch_notes.into(),
            pitch_note_recall_per_class: self
                .pitch_notes_found
                .iter()
                .enumerate()
                .filter(|(_, (_, all))| *all > 0)
                .map(|(k, &(found, all))| (names[k].clone(), found as f64 / all as f64))
                .collect(),
            clip_lrap: self.lrap.iter().sum::<f64>() / self.lrap.len().max(1) as f64,
            clip_micro: total(&self.clip).into(),
            clip_f1_macro: macro_f1(&self.clip),
        }
    }
}

/// Which path of the engine is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisPath {
    /// The whole-file analysis `analyze` uses.
    File,
    /// The live stream the plugin and the live app use, fed the 16 kHz signal in blocks.
    Live,
}

/// Samples per block fed to the live path.
const LIVE_BLOCK: usize = 512;
/// Silence fed after a piece so the live path hands out its last frames.
const LIVE_TAIL_SECONDS: usize = 3;

/// What the live path hands out for a 16 kHz signal, gathered into an analysis of `frames`
/// frames: instrument and pitch activity and the notes (the live path hands out no
/// pianoroll, so that stays empty).
fn live_analysis(analyzer: &Analyzer, samples: &[f32], frames: usize) -> Analysis {
    let classes = analyzer.model().sidecar.classes.clone();
    let c = classes.len();
    let live_analyzer = Analyzer::new(
        analyzer.model().clone(),
        analyzer.compute().clone(),
        LIVE_HOP_FRAMES,
    );
    let mut live = LiveAnalyzer::new(
        live_analyzer,
        ANALYSIS_RATE,
        LIVE_HOP_FRAMES,
        HEARD_THRESHOLD,
    )
    .expect("16 kHz is a supported rate");
    let mut instrument = vec![0.0; frames * c];
    let mut pitch = vec![0.0; frames * PITCH_COUNT];
    let mut notes = Vec::new();
    let mut out = LiveOutput::default();
    let tail = vec![0.0; LIVE_TAIL_SECONDS * ANALYSIS_RATE as usize];
    let signal: Vec<f32> = samples.iter().chain(&tail).copied().collect();
    let place = |rows: &[f32], first: usize, width: usize, into: &mut [f32]| {
        for (i, row) in rows.chunks_exact(width).enumerate() {
            if let Some(cells) = into.get_mut((first + i) * width..(first + i + 1) * width) {
                cells.copy_from_slice(row);
            }
        }
    };
    let ended = |events: &[NoteEvent], notes: &mut Vec<Note>| {
        notes.extend(events.iter().filter_map(|e| match e {
            NoteEvent::Ended(note) => Some(note.clone()),
            NoteEvent::Started { .. } => None,
        }))
    };
    for block in signal.chunks(LIVE_BLOCK) {
        live.push(block, &mut out);
        place(&out.instrument, out.first_frame, c, &mut instrument);
        place(&out.pitch, out.pitch_first_frame, PITCH_COUNT, &mut pitch);
        ended(&out.events, &mut notes);
    }
    let mut last = Vec::new();
    live.restart(&mut last).expect("the same rate restarts");
    ended(&last, &mut notes);
    let seconds = frames as f64 / FRAMES_PER_SECOND as f64;
    notes.retain(|n| n.onset < seconds);
    Analysis {
        predictions: FramePredictions {
            frames,
            instrument,
            pitch,
            pianoroll: vec![0.0; frames * c * PITCH_COUNT],
            clip: vec![0.0; c],
            classes,
        },
        notes,
    }
}

/// Scores `analyzer` on `pieces` through `path`.
pub fn evaluate_pieces(
    analyzer: &Analyzer,
    pieces: &[AnnotatedPiece],
    path: AnalysisPath,
) -> EvalReport {
    let mut tally = Tally::new(analyzer.model().sidecar.classes.clone());
    let bar = ProgressBar::new(pieces.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} pieces {msg}").expect("static template"),
    );
    for piece in pieces {
        bar.set_message(piece.name.clone());
        let frames = frame_count(piece.samples.len(), ANALYSIS_RATE);
        let analysis = match path {
            AnalysisPath::File => file_analysis(analyzer, piece),
            AnalysisPath::Live => live_analysis(analyzer, &piece.samples, frames),
        };
        tally.add(analyzer, piece, &analysis);
        bar.inc(1);
    }
    bar.finish_and_clear();
    tally.report()
}

/// The whole-file analysis of `piece`, as `analyze` makes it.
pub fn file_analysis(analyzer: &Analyzer, piece: &AnnotatedPiece) -> Analysis {
    analyzer.analyze_resampled(
        &piece.samples,
        piece.samples_22k.as_deref(),
        frame_count(piece.samples.len(), ANALYSIS_RATE),
        &mut |_, _| {},
    )
}

/// The report as a table for the terminal.
pub fn format_table(report: &EvalReport) -> String {
    let row = |name: &str, s: &Score3| {
        format!(
            "{name:<28} {:>6.3} {:>6.3} {:>6.3}\n",
            s.precision, s.recall, s.f1
        )
    };
    let mut out = format!(
        "{} pieces, {:.0} s of audio\n{:<28} {:>6} {:>6} {:>6}\n",
        report.pieces, report.seconds, "", "P", "R", "F1"
    );
    out += &row("instrument (micro)", &report.instrument_micro);
    for (name, s) in &report.instrument_per_class {
        out += &row(&format!("  {name}"), s);
    }
    out += &format!(
        "{:<28} {:>20.3}\n",
        "instrument F1 (macro)", report.instrument_f1_macro
    );
    out += &row("pitch", &report.pitch);
    out += &row("pianoroll", &report.pianoroll);
    out += &row("notes (onset 50 ms)", &report.notes);
    out += &row("  any instrument", &report.pitch_notes);
    out += &row("clip (micro)", &report.clip_micro);
    out += &format!("{:<28} {:>20.3}\n", "clip F1 (macro)", report.clip_f1_macro);
    out += &format!("{:<28} {:>20.3}\n", "clip LRAP", report.clip_lrap);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::VALIDATION_SEED;

    fn note(onset: f64, pitch: u8, class: usize) -> Note {
        Note {
            onset,
            offset: onset + 0.5,
            pitch,
            class,
            velocity: 1.0,
            bend: Vec::new(),
        }
    }

    #[test]
    fn validation_music_from_two_fonts_plays_the_same_score_with_other_sounds() {
        use crate::test_signals::rms;
        use timbrescope_synth::sample_sets::{TRAINING_FONT, VALIDATION_FONT, load_soundfont};
        let classes = ClassList::default_gm();
        let render = |font: &str| {
            validation_pieces(
                1,
                &classes,
                &ProceduralConfig::default(),
                &load_soundfont(Path::new(font)).unwrap(),
                VALIDATION_SEED,
            )
            .unwrap()
            .remove(0)
        };
        let (held_out, training) = (render(VALIDATION_FONT), render(TRAINING_FONT));
        assert_eq!(held_out.score, training.score);
        assert_eq!(held_out.samples.len(), training.samples.len());
        let difference: Vec<f32> = held_out
            .samples
            .iter()
            .zip(&training.samples)
            .map(|(a, b)| a - b)
            .collect();
        assert!(rms(&held_out.samples) > 0.01 && rms(&training.samples) > 0.01);
        assert!(rms(&difference) > 0.2 * rms(&training.samples));
    }

    #[test]
    fn notes_match_one_to_one_within_50_ms_on_class_and_pitch() {
        let reference = [note(1.0, 60, 0), note(2.0, 64, 0), note(3.0, 67, 1)];
        // Hit (30 ms late), wrong pitch, wrong class, too late (80 ms), and a duplicate of the hit.
        let detected = [
            note(1.03, 60, 0),
            note(2.0, 65, 0),
            note(3.0, 67, 0),
            note(2.08, 64, 0),
            note(1.0, 60, 0),
        ];
        let (counts, found) = note_counts(&detected, &reference, true);
        assert_eq!(found, vec![true, false, false]);
        assert_eq!(
            counts,
            Counts {
                true_positive: 1,
                false_positive: 4,
                false_negative: 2
            }
        );
        assert!((counts.f1() - 2.0 / 8.0).abs() < 1e-12);
    }

    #[test]
    fn note_matching_finds_the_largest_one_to_one_matching() {
        // 1.02 is closest to 1.05, but matching it there would leave 1.09 without a partner;
        // the largest matching pairs 1.02 with 0.98 and 1.09 with 1.05.
        let reference = [note(0.98, 60, 0), note(1.05, 60, 0)];
        let detected = [note(1.09, 60, 0), note(1.02, 60, 0)];
        assert_eq!(note_counts(&detected, &reference, false).0.true_positive, 2);
    }
}
