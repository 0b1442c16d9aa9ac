//! Note tracking: turns per-frame pianoroll probabilities into notes with onset, offset,
//! pitch, class and velocity, frame by frame, so a file and a live stream share it.

use serde::{Deserialize, Serialize};

use crate::classes::{ClassList, LOWEST_MIDI_NOTE, PITCH_COUNT};
use crate::features::FRAMES_PER_SECOND;

/// One detected note.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// Start in seconds from the start of the signal.
    pub onset: f64,
    /// End in seconds.
    pub offset: f64,
    /// MIDI note number, 21–108.
    pub pitch: u8,
    /// Class index into the model's class list.
    pub class: usize,
    /// Peak pianoroll probability over the note, in [0, 1]; used as MIDI velocity.
    pub velocity: f32,
}

/// Hysteresis thresholds and the shortest note kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoteTrackerConfig {
    /// A note starts when its probability rises above this.
    pub on_threshold: f32,
    /// A started note lasts while its probability stays above this.
    pub off_threshold: f32,
    /// Notes shorter than this many frames are dropped as flicker.
    pub min_frames: usize,
}

impl Default for NoteTrackerConfig {
    fn default() -> Self {
        Self {
            on_threshold: 0.5,
            off_threshold: 0.3,
            min_frames: 5,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct OpenNote {
    start: usize,
    peak: f32,
}

/// Incremental note tracker over `[C][88]` pianoroll frames.
#[derive(Debug, Clone)]
pub struct NoteTracker {
    config: NoteTrackerConfig,
    pitched: Vec<bool>,
    open: Vec<Option<OpenNote>>,
    frame: usize,
}

impl NoteTracker {
    /// A tracker at frame 0; percussion classes never produce notes.
    pub fn new(classes: &ClassList, config: NoteTrackerConfig) -> Self {
        Self {
            config,
            pitched: classes.iter().map(|c| c.is_pitched()).collect(),
            open: vec![None; classes.len() * PITCH_COUNT],
            frame: 0,
        }
    }

    fn close(&self, index: usize, note: OpenNote, end: usize, out: &mut Vec<Note>) {
        if end - note.start >= self.config.min_frames {
            let seconds = |f: usize| f as f64 / FRAMES_PER_SECOND as f64;
            out.push(Note {
                onset: seconds(note.start),
                offset: seconds(end),
                pitch: LOWEST_MIDI_NOTE + (index % PITCH_COUNT) as u8,
                class: index / PITCH_COUNT,
                velocity: note.peak,
            });
        }
    }

    /// Consumes the next pianoroll frame; appends the notes that ended at it to `out`.
    pub fn push_frame(&mut self, pianoroll: &[f32], out: &mut Vec<Note>) {
        for (index, &p) in pianoroll.iter().enumerate() {
            if !self.pitched[index / PITCH_COUNT] {
                continue;
            }
            match self.open[index] {
                Some(mut note) if p >= self.config.off_threshold => {
                    note.peak = note.peak.max(p);
                    self.open[index] = Some(note);
                }
                Some(note) => {
                    self.open[index] = None;
                    self.close(index, note, self.frame, out);
                }
                None if p >= self.config.on_threshold => {
                    self.open[index] = Some(OpenNote {
                        start: self.frame,
                        peak: p,
                    });
                }
                None => {}
            }
        }
        self.frame += 1;
    }

    /// Ends every open note at the current frame.
    pub fn finish(&mut self, out: &mut Vec<Note>) {
        for index in 0..self.open.len() {
            if let Some(note) = self.open[index].take() {
                self.close(index, note, self.frame, out);
            }
        }
    }
}

/// Tracks every note of a whole pianoroll, `frames` frames of `[C][88]`, sorted by onset.
pub fn track_notes(classes: &ClassList, pianoroll: &[f32], config: NoteTrackerConfig) -> Vec<Note> {
    let mut tracker = NoteTracker::new(classes, config);
    let mut notes = Vec::new();
    for frame in pianoroll.chunks_exact(classes.len() * PITCH_COUNT) {
        tracker.push_frame(frame, &mut notes);
    }
    tracker.finish(&mut notes);
    notes.sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.pitch.cmp(&b.pitch)));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roll(
        classes: &ClassList,
        frames: usize,
        on: &[(usize, u8, std::ops::Range<usize>, f32)],
    ) -> Vec<f32> {
        let n = classes.len() * PITCH_COUNT;
        let mut roll = vec![0.0; frames * n];
        for (class, pitch, range, p) in on {
            for t in range.clone() {
                roll[t * n + class * PITCH_COUNT + usize::from(pitch - LOWEST_MIDI_NOTE)] = *p;
            }
        }
        roll
    }

    #[test]
    fn hysteresis_keeps_a_note_through_a_dip_and_drops_flicker() {
        let classes = ClassList::default_gm();
        let violin = classes.index_of("violin").unwrap();
        let mut pr = roll(
            &classes,
            100,
            &[(violin, 69, 10..60, 0.9), (violin, 72, 70..73, 0.9)],
        );
        // A dip to 0.4 (below on, above off) must not split the note.
        pr[30 * classes.len() * PITCH_COUNT + violin * PITCH_COUNT + 48] = 0.4;
        let notes = track_notes(&classes, &pr, NoteTrackerConfig::default());
        assert_eq!(notes.len(), 1, "{notes:?}");
        let note = &notes[0];
        assert_eq!((note.pitch, note.class), (69, violin));
        assert!((note.onset - 0.10).abs() < 1e-9 && (note.offset - 0.60).abs() < 1e-9);
        assert!((note.velocity - 0.9).abs() < 1e-6);
    }

    #[test]
    fn percussion_classes_never_make_notes() {
        let classes = ClassList::default_gm();
        let drums = classes.index_of("drums").unwrap();
        let pr = roll(&classes, 50, &[(drums, 40, 0..50, 1.0)]);
        assert!(track_notes(&classes, &pr, NoteTrackerConfig::default()).is_empty());
    }
}
