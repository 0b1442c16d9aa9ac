//! basic-pitch's training windows: procedural pieces rendered from the permitted sources as
//! the recogniser's are (each part drawing its set by weight), resampled to 22 050 Hz, cut
//! into the network's 2 s windows, each window's CQT computed once (its filters are never
//! trained) beside its labels at the network's 86 frames/s, produced on background threads
//! ([`RenderStream`]).

use anyhow::Result;
use rand::SeedableRng;
use rand::rngs::StdRng;
use timbrescope_engine::classes::{ClassList, LOWEST_MIDI_NOTE, PITCH_COUNT};
use timbrescope_engine::input::resample::resample;
use timbrescope_engine::networks::basic_pitch::cqt::Cqt;
use timbrescope_engine::networks::basic_pitch::tuning::transform;
use timbrescope_engine::networks::basic_pitch::{
    CONTOUR_BINS, FRAME_HOP_SAMPLES, SAMPLE_RATE, WINDOW_FRAMES, WINDOW_SAMPLES,
};
use timbrescope_engine::transcription::KEPT_FRAMES;
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::sample_sets::ensemble::Ensemble;
use timbrescope_synth::score::{Score, Voice};

use crate::train::augment::random_variations;
use crate::train::data::{RenderStream, record_cast};

/// One 2 s window: its CQT and what the network should say of it.
#[derive(Debug, Clone)]
pub struct NoteWindow {
    /// `[172][324][2]` ([`Cqt::run`]).
    pub cqt: Vec<f32>,
    /// `[172][88]`: the key is held.
    pub note: Vec<f32>,
    /// `[172][88]`: the key starts in this frame (the frame nearest its onset).
    pub onset: Vec<f32>,
    /// `[172][264]`: the key's contour bin (`3k + 1`, where basic-pitch puts an in-tune
    /// note), its neighbours at half.
    pub contour: Vec<f32>,
}

/// Labels of `score` for the window whose first sample (at 22 050 Hz) is `start`: network
/// frame `j` is centred on sample `start + 256 j`. Percussion and keys off the piano's range
/// are not notes.
pub fn window_labels(score: &Score, start: usize) -> NoteWindow {
    let mut note = vec![0.0; WINDOW_FRAMES * PITCH_COUNT];
    let mut onset = vec![0.0; WINDOW_FRAMES * PITCH_COUNT];
    let mut contour = vec![0.0f32; WINDOW_FRAMES * CONTOUR_BINS];
    let rate = f64::from(SAMPLE_RATE);
    let frame_of = |seconds: f64| (seconds * rate - start as f64) / FRAME_HOP_SAMPLES as f64;
    for part in score.parts.iter().filter(|p| p.voice != Voice::Percussion) {
        for n in &part.notes {
            let Some(key) = n
                .key
                .checked_sub(LOWEST_MIDI_NOTE)
                .map(usize::from)
                .filter(|&k| k < PITCH_COUNT)
            else {
                continue;
            };
            let (first, end) = (frame_of(n.onset), frame_of(n.offset()));
            let held =
                first.ceil().max(0.0) as usize..(end.ceil().max(0.0) as usize).min(WINDOW_FRAMES);
            for j in held {
                note[j * PITCH_COUNT + key] = 1.0;
                let bin = j * CONTOUR_BINS + 3 * key + 1;
                contour[bin] = 1.0;
                for side in [bin - 1, bin + 1] {
                    contour[side] = contour[side].max(0.5);
                }
            }
            let nearest = first.round();
            if (0.0..WINDOW_FRAMES as f64).contains(&nearest) {
                onset[nearest as usize * PITCH_COUNT + key] = 1.0;
            }
        }
    }
    NoteWindow {
        cqt: Vec::new(),
        note,
        onset,
        contour,
    }
}

/// What the windows are drawn from.
#[derive(Debug, Clone)]
pub struct NoteDataSpec {
    /// First piece seed; worker `k` of `n` renders `first_seed + k`, `+ k + n`, …
    pub first_seed: u64,
    /// Generator settings.
    pub procedural: ProceduralConfig,
    /// Share of parts played by another of their set's presets of the same voice.
    pub variation_probability: f64,
}

/// The windows of piece `seed`: whole windows every [`KEPT_FRAMES`] frames, as a file is
/// transcribed, each with its CQT and labels.
pub fn piece_windows(
    seed: u64,
    classes: &ClassList,
    spec: &NoteDataSpec,
    ensemble: &Ensemble,
    cqt: &Cqt,
) -> Result<Vec<NoteWindow>> {
    let mut score = generate(classes, &spec.procedural, seed);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6e6f_7465);
    let cast = ensemble.cast(&score, &mut rng)?;
    random_variations(&mut score, &cast, spec.variation_probability, &mut rng);
    let (recorded, rate) = record_cast(&score, &cast, seed)?;
    let samples = resample(&recorded, rate, SAMPLE_RATE)?;
    let hop = KEPT_FRAMES * FRAME_HOP_SAMPLES;
    Ok((0..)
        .map(|w| w * hop)
        .take_while(|start| start + WINDOW_SAMPLES <= samples.len())
        .map(|start| NoteWindow {
            cqt: cqt.run(&samples[start..start + WINDOW_SAMPLES]),
            ..window_labels(&score, start)
        })
        .collect())
}

/// `spec`'s training windows, rendered on `threads` background threads, each part's set drawn
/// from `ensemble`.
pub fn note_window_stream(
    spec: NoteDataSpec,
    classes: ClassList,
    ensemble: Ensemble,
    threads: usize,
) -> RenderStream<NoteWindow> {
    // A window is about 0.7 MB (its CQT and labels).
    RenderStream::start(spec.first_seed, threads, 64, move || {
        let (spec, classes, ensemble, cqt) =
            (spec.clone(), classes.clone(), ensemble.clone(), transform());
        move |seed| piece_windows(seed, &classes, &spec, &ensemble, &cqt)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_synth::score::{Part, ScoreNote};

    #[test]
    fn a_note_is_labelled_from_the_frame_nearest_its_onset_to_its_release() {
        // A4 from 0.5 s to 1.0 s in a window starting at 0.25 s: frames are 256 samples apart.
        let note = ScoreNote {
            onset: 0.5,
            duration: 0.5,
            key: 69,
            velocity: 100,
        };
        let drum = ScoreNote { key: 38, ..note };
        let score = Score {
            parts: vec![
                Part::new(Voice::Program(0), vec![note]),
                Part::new(Voice::Percussion, vec![drum]),
            ],
            duration: 2.0,
        };
        let start = (0.25 * f64::from(SAMPLE_RATE)) as usize;
        let labels = window_labels(&score, start);
        let key = usize::from(69 - LOWEST_MIDI_NOTE);
        let frames_of = |plane: &[f32], bins: usize, bin: usize| -> Vec<usize> {
            (0..WINDOW_FRAMES)
                .filter(|j| plane[j * bins + bin] > 0.0)
                .collect()
        };
        let hop_s = FRAME_HOP_SAMPLES as f64 / f64::from(SAMPLE_RATE);
        let onset_frame = (0.25 / hop_s).round() as usize;
        assert_eq!(
            frames_of(&labels.onset, PITCH_COUNT, key),
            vec![onset_frame]
        );
        let held = frames_of(&labels.note, PITCH_COUNT, key);
        assert_eq!(held.first().copied(), Some((0.25 / hop_s).ceil() as usize));
        assert_eq!(
            held.len(),
            ((0.75 / hop_s).ceil() - (0.25 / hop_s).ceil()) as usize
        );
        assert_eq!(frames_of(&labels.contour, CONTOUR_BINS, 3 * key + 1), held);
        assert_eq!(frames_of(&labels.contour, CONTOUR_BINS, 3 * key), held);
        // Nothing else is labelled: the snare is not a note.
        let total = |plane: &[f32]| plane.iter().filter(|&&v| v > 0.0).count();
        assert_eq!(total(&labels.note), held.len());
        assert_eq!(total(&labels.onset), 1);
        assert_eq!(total(&labels.contour), 3 * held.len());
    }

    #[test]
    fn the_labels_line_up_with_what_basic_pitch_hears() {
        use timbrescope_engine::compute::ComputeDevice;
        use timbrescope_engine::networks::basic_pitch::{BasicPitch, ORIGINAL_WEIGHTS};
        use timbrescope_synth::render::Cast;
        use timbrescope_synth::sample_sets::catalogue::Source;

        // A piano line (sharp attacks) with onsets off the frame grid.
        let line: Vec<ScoreNote> = (0..12)
            .map(|i| ScoreNote {
                onset: 0.21 + 0.137 * i as f64,
                duration: 0.12,
                key: 60 + [0, 4, 7, 12, 7, 4, 2, 5, 9, 11, 14, 5][i],
                velocity: 100,
            })
            .collect();
        let score = Score {
            parts: vec![Part::new(Voice::Program(0), line.clone())],
            duration: 2.5,
        };
        let piano = Source::named("fluidr3").unwrap().load().unwrap();
        let (recorded, rate) = record_cast(&score, &Cast::from(&piano), 0).unwrap();
        let samples = resample(&recorded, rate, SAMPLE_RATE).unwrap();
        let out = BasicPitch::with_weights(ORIGINAL_WEIGHTS.to_vec(), &ComputeDevice::cpu().device)
            .unwrap()
            .run(&samples[..WINDOW_SAMPLES])
            .remove(0);
        let labels = window_labels(&score, 0);
        // Each labelled onset: where, within three frames of it, the network's onset peaks.
        for (j, k) in (0..WINDOW_FRAMES * PITCH_COUNT)
            .filter(|&i| labels.onset[i] > 0.0)
            .map(|i| (i / PITCH_COUNT, i % PITCH_COUNT))
        {
            let peak = (j.saturating_sub(3)..(j + 4).min(WINDOW_FRAMES))
                .max_by(|&a, &b| {
                    out.onset[a * PITCH_COUNT + k].total_cmp(&out.onset[b * PITCH_COUNT + k])
                })
                .unwrap();
            assert!(
                peak.abs_diff(j) <= 1,
                "key {k}: labelled onset at frame {j}, the network's peak at {peak}"
            );
        }
        assert_eq!(
            labels.onset.iter().filter(|&&v| v > 0.0).count(),
            line.len()
        );
    }
}
