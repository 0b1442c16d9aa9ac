//! Frame labels of a score, on the engine's 100 frames/s grid: exactly what was played.

use timbrescope_engine::classes::{ClassList, GM_PROGRAMMES, LOWEST_MIDI_NOTE, PITCH_COUNT};
use timbrescope_engine::features::FRAMES_PER_SECOND;

use crate::score::{Score, Voice};

/// Targets for one stretch of audio, frame-major, values 0 or 1.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameLabels {
    /// Number of frames.
    pub frames: usize,
    /// Number of classes.
    pub classes: usize,
    /// `[frames][classes]`.
    pub instrument: Vec<f32>,
    /// `[frames][88]`.
    pub pitch: Vec<f32>,
    /// `[frames][classes][88]`.
    pub pianoroll: Vec<f32>,
    /// `[classes]`: the class plays somewhere in the stretch.
    pub clip: Vec<f32>,
    /// `[frames][128]`: the General MIDI programme of each sounding melodic note, the finer
    /// target of a model's programme head.
    pub programme: Vec<f32>,
    /// `[frames][classes]`: 1 where the instrument label can be trusted, 0 where the class is
    /// labelled but cannot be heard (see [`crate::audibility`]); all 1 unless masked.
    pub instrument_known: Vec<f32>,
}

impl FrameLabels {
    /// All-zero labels.
    pub fn silent(frames: usize, classes: usize) -> Self {
        Self {
            frames,
            classes,
            instrument: vec![0.0; frames * classes],
            pitch: vec![0.0; frames * PITCH_COUNT],
            pianoroll: vec![0.0; frames * classes * PITCH_COUNT],
            clip: vec![0.0; classes],
            programme: vec![0.0; frames * GM_PROGRAMMES],
            instrument_known: vec![1.0; frames * classes],
        }
    }

    /// Frames `first..first + count` as labels of their own, with clip labels for that stretch
    /// (a 1 s training window, or a clip to score).
    pub fn window(&self, first: usize, count: usize) -> Self {
        let rows =
            |values: &[f32], width: usize| values[first * width..(first + count) * width].to_vec();
        let mut window = Self {
            frames: count,
            classes: self.classes,
            instrument: rows(&self.instrument, self.classes),
            pitch: rows(&self.pitch, PITCH_COUNT),
            pianoroll: rows(&self.pianoroll, self.classes * PITCH_COUNT),
            clip: vec![0.0; self.classes],
            programme: rows(&self.programme, GM_PROGRAMMES),
            instrument_known: rows(&self.instrument_known, self.classes),
        };
        window.refresh_clip();
        window
    }

    /// Sets each clip label from the frames: a class is in the clip when it is active in any frame.
    pub fn refresh_clip(&mut self) {
        let c = self.classes;
        for (k, clip) in self.clip.iter_mut().enumerate() {
            *clip = if self.instrument.chunks_exact(c).any(|row| row[k] > 0.0) {
                1.0
            } else {
                0.0
            };
        }
    }
}

/// One labelled note: its part's index in the score, its class, its pitch on the 88-key
/// axis (none for percussion and keys off the axis), its GM programme (none for percussion)
/// and the frames it is active in.
#[derive(Debug, Clone)]
pub struct LabelledNote {
    /// Index of the note's part in the score.
    pub part: usize,
    /// Class axis index.
    pub class: usize,
    /// Pitch axis index.
    pub pitch: Option<usize>,
    /// General MIDI programme.
    pub programme: Option<usize>,
    /// Active frames.
    pub frames: std::ops::Range<usize>,
}

/// The notes of `score` that `classes` covers, each with the frames whose centre lies in
/// `[onset, offset)` (within `frames`): the one rule every label follows.
pub fn labelled_notes(score: &Score, classes: &ClassList, frames: usize) -> Vec<LabelledNote> {
    let fps = FRAMES_PER_SECOND as f64;
    let mut out = Vec::new();
    for (index, part) in score.parts.iter().enumerate() {
        for note in &part.notes {
            let class = match part.voice {
                Voice::Program(p) => classes.class_of_program(p),
                Voice::Percussion => classes.class_of_percussion_key(note.key),
            };
            let Some(class) = class else { continue };
            let pitch = (part.voice != Voice::Percussion)
                .then(|| note.key.checked_sub(LOWEST_MIDI_NOTE).map(usize::from))
                .flatten()
                .filter(|&p| p < PITCH_COUNT);
            let programme = match part.voice {
                Voice::Program(p) => Some(usize::from(p)),
                Voice::Percussion => None,
            };
            let first = (note.onset * fps).ceil().max(0.0) as usize;
            let end = ((note.offset() * fps).ceil().max(0.0) as usize).min(frames);
            out.push(LabelledNote {
                part: index,
                class,
                pitch,
                programme,
                frames: first.min(end)..end,
            });
        }
    }
    out
}

/// Labels `score` over `frames` frames. A note is active in the frames whose centre lies in
/// `[onset, offset)`; notes of programmes or keys outside `classes` are left unlabelled, and
/// percussion marks instrument activity only. Pitches outside MIDI 21–108 mark activity only.
/// A melodic note also marks its programme.
pub fn label_score(score: &Score, classes: &ClassList, frames: usize) -> FrameLabels {
    let c = classes.len();
    let mut labels = FrameLabels::silent(frames, c);
    for note in labelled_notes(score, classes, frames) {
        for t in note.frames {
            labels.instrument[t * c + note.class] = 1.0;
            if let Some(p) = note.programme {
                labels.programme[t * GM_PROGRAMMES + p] = 1.0;
            }
            if let Some(p) = note.pitch {
                labels.pitch[t * PITCH_COUNT + p] = 1.0;
                labels.pianoroll[(t * c + note.class) * PITCH_COUNT + p] = 1.0;
            }
        }
    }
    labels.refresh_clip();
    labels
}

/// A rendered signal at 16 kHz with its frame labels: what training, `xtask synth` and the
/// augmentations pass around.
#[derive(Debug, Clone)]
pub struct LabelledAudio {
    /// Mono samples at the analysis rate.
    pub samples: Vec<f32>,
    /// Labels of every frame of `samples`.
    pub labels: FrameLabels,
}
