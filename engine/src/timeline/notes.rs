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

/// What a live consumer (MIDI out, a streaming pianoroll) learns as frames arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum NoteEvent {
    /// A note has lasted `min_frames` and counts as real; it began at `onset` seconds.
    Started {
        /// Start in seconds from the start of the stream.
        onset: f64,
        /// MIDI note number.
        pitch: u8,
        /// Class index.
        class: usize,
        /// Peak probability so far.
        velocity: f32,
    },
    /// A started note ended; the whole note.
    Ended(Note),
}

#[derive(Debug, Clone, Copy)]
struct OpenNote {
    start: usize,
    peak: f32,
    announced: bool,
}

/// Frame-by-frame note tracker with hysteresis, one state per (class, pitch).
#[derive(Debug, Clone)]
pub struct NoteTracker {
    config: NoteTrackerConfig,
    pitched: Vec<bool>,
    open: Vec<Option<OpenNote>>,
    frame: usize,
}

fn seconds(frame: usize) -> f64 {
    frame as f64 / FRAMES_PER_SECOND as f64
}

impl NoteTracker {
    /// A tracker for a model with `classes`; unpitched classes never make notes.
    pub fn new(classes: &ClassList, config: NoteTrackerConfig) -> Self {
        Self {
            config,
            pitched: classes.iter().map(|c| c.is_pitched()).collect(),
            open: vec![None; classes.len() * PITCH_COUNT],
            frame: 0,
        }
    }

    /// Changes the thresholds from the next frame on (a live threshold control).
    pub fn set_config(&mut self, config: NoteTrackerConfig) {
        self.config = config;
    }

    fn close(&self, index: usize, note: OpenNote, end: usize, out: &mut Vec<NoteEvent>) {
        if note.announced {
            out.push(NoteEvent::Ended(Note {
                onset: seconds(note.start),
                offset: seconds(end),
                pitch: LOWEST_MIDI_NOTE + (index % PITCH_COUNT) as u8,
                class: index / PITCH_COUNT,
                velocity: note.peak,
            }));
        }
    }

    /// Seconds before which no event reported from now on falls: a note not yet announced
    /// started fewer than `min_frames` frames ago, and a note ends at the next frame or later.
    /// Whoever needs events in time order (MIDI out) releases what lies before this.
    pub fn settled_seconds(&self) -> f64 {
        seconds((self.frame + 1).saturating_sub(self.config.min_frames.max(1)))
    }

    /// Consumes one frame of pianoroll probabilities, `[C][88]`, reporting notes that became
    /// real or ended at this frame.
    pub fn push_frame(&mut self, pianoroll: &[f32], out: &mut Vec<NoteEvent>) {
        for (index, &p) in pianoroll.iter().enumerate() {
            if !self.pitched[index / PITCH_COUNT] {
                continue;
            }
            let note = match self.open[index] {
                Some(mut note) if p >= self.config.off_threshold => {
                    note.peak = note.peak.max(p);
                    note
                }
                Some(note) => {
                    self.open[index] = None;
                    self.close(index, note, self.frame, out);
                    continue;
                }
                None if p >= self.config.on_threshold => OpenNote {
                    start: self.frame,
                    peak: p,
                    announced: false,
                },
                None => continue,
            };
            let mut note = note;
            if !note.announced && self.frame + 1 - note.start >= self.config.min_frames {
                note.announced = true;
                out.push(NoteEvent::Started {
                    onset: seconds(note.start),
                    pitch: LOWEST_MIDI_NOTE + (index % PITCH_COUNT) as u8,
                    class: index / PITCH_COUNT,
                    velocity: note.peak,
                });
            }
            self.open[index] = Some(note);
        }
        self.frame += 1;
    }

    /// Ends every open note at the current frame (end of a file or of a stream).
    pub fn finish(&mut self, out: &mut Vec<NoteEvent>) {
        for index in 0..self.open.len() {
            if let Some(note) = self.open[index].take() {
                self.close(index, note, self.frame, out);
            }
        }
    }
}

/// Notes of a whole pianoroll, `[T][C][88]`, sorted by onset then pitch.
pub fn track_notes(classes: &ClassList, pianoroll: &[f32], config: NoteTrackerConfig) -> Vec<Note> {
    let mut tracker = NoteTracker::new(classes, config);
    let mut events = Vec::new();
    for frame in pianoroll.chunks_exact(classes.len() * PITCH_COUNT) {
        tracker.push_frame(frame, &mut events);
    }
    tracker.finish(&mut events);
    let mut notes: Vec<Note> = events
        .into_iter()
        .filter_map(|event| match event {
            NoteEvent::Ended(note) => Some(note),
            NoteEvent::Started { .. } => None,
        })
        .collect();
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

    #[test]
    fn a_note_is_announced_once_it_is_long_enough_and_ended_once() {
        let classes = ClassList::default_gm();
        let piano = classes.index_of("piano").unwrap();
        let pr = roll(&classes, 30, &[(piano, 60, 10..20, 0.8)]);
        let mut tracker = NoteTracker::new(&classes, NoteTrackerConfig::default());
        let mut events = Vec::new();
        let mut frame_of_start = None;
        for (t, frame) in pr.chunks_exact(classes.len() * PITCH_COUNT).enumerate() {
            tracker.push_frame(frame, &mut events);
            if frame_of_start.is_none() && !events.is_empty() {
                frame_of_start = Some(t);
            }
        }
        // Announced after min_frames (5) frames: at frame 14, with its true onset.
        assert_eq!(frame_of_start, Some(14));
        assert!(
            matches!(events[0], NoteEvent::Started { pitch: 60, onset, .. } if (onset - 0.1).abs() < 1e-9)
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(matches!(&events[1], NoteEvent::Ended(n) if (n.offset - 0.2).abs() < 1e-9));
    }

    #[test]
    fn no_event_falls_before_the_settled_time_given_earlier() {
        let classes = ClassList::default_gm();
        let violin = classes.index_of("violin").unwrap();
        // The second note starts three frames before the first ends, so it is announced
        // after that end although it started earlier: events come out of time order.
        let pr = roll(
            &classes,
            60,
            &[(violin, 69, 0..20, 0.9), (violin, 71, 17..40, 0.9)],
        );
        let mut tracker = NoteTracker::new(&classes, NoteTrackerConfig::default());
        let mut times = Vec::new();
        for frame in pr.chunks_exact(classes.len() * PITCH_COUNT) {
            let settled = tracker.settled_seconds();
            let mut events = Vec::new();
            tracker.push_frame(frame, &mut events);
            for event in events {
                let time = match event {
                    NoteEvent::Started { onset, .. } => onset,
                    NoteEvent::Ended(note) => note.offset,
                };
                assert!(
                    time >= settled,
                    "{time} s reported after {settled} s was settled"
                );
                times.push(time);
            }
        }
        assert_eq!(times.len(), 4, "{times:?}");
        assert!(times.windows(2).any(|w| w[1] < w[0]), "{times:?}");
    }
}
