//! basic-pitch's note creation for a stream, frame by frame on the 100 frames/s timeline:
//! a note starts at a peak of the onset posterior (or, with no onset, once the note posterior
//! has stayed up for the minimum length), lasts while the note posterior stays up (short dips
//! bridged), ends at the next onset of its key, and counts only once it has sounded for the
//! minimum length (bridged dips do not count towards it). The file path's
//! [`super::note_creation`] sees the whole signal and can work backwards; this one decides
//! each frame one frame after it arrives.

use crate::classes::{ClassList, LOWEST_MIDI_NOTE, PITCH_COUNT};
use crate::features::FRAMES_PER_SECOND;
use crate::timeline::notes::{Note, NoteEvent};

use super::note_creation::{NoteCreationConfig, posterior_rise, with_inferred_onset};
use super::posteriors::FRAME_RATE;

#[derive(Debug, Clone)]
struct OpenNote {
    start: usize,
    last_active: usize,
    quiet: usize,
    posterior_sum: f32,
    frames: usize,
    class_weight: Vec<f32>,
    announced: Option<usize>,
}

/// One timeline frame's rows: note posterior, onset posterior (`[88]`), pianoroll (`[C][88]`).
#[derive(Debug, Clone, Default)]
struct FrameRows {
    note: Vec<f32>,
    onset: Vec<f32>,
    roll: Vec<f32>,
}

/// The per-key streaming note maker. Its buffers are made once: a frame allocates nothing
/// unless a note starts.
#[derive(Debug, Clone)]
pub struct LiveNoteMaker {
    onset_threshold: f32,
    frame_threshold: f32,
    min_frames: usize,
    tolerance_frames: usize,
    pitched: Vec<bool>,
    open: Vec<Option<OpenNote>>,
    /// Frames each key has been up without a note, and the pianoroll summed over them.
    run: Vec<usize>,
    run_weight: Vec<Vec<f32>>,
    infer_onsets: bool,
    /// The newest frame, not yet decided (its onset posterior with inferred onsets added).
    newest: FrameRows,
    has_newest: bool,
    /// The onset posterior of the frame before the newest, and a buffer for the next one.
    onset_before: Vec<f32>,
    incoming_onset: Vec<f32>,
    /// Note posteriors of the two frames before the newest, for inferred onsets.
    note_history: [Vec<f32>; 2],
    /// Largest onset posterior and largest note-posterior rise so far: the file path scales
    /// rises to the onset posterior's peak over the whole signal, a stream over what it has heard.
    onset_peak: f32,
    rise_peak: f32,
    /// The frame [`Self::push_frame`] decides next (one behind the newest).
    frame: usize,
}

fn seconds(frame: usize) -> f64 {
    frame as f64 / FRAMES_PER_SECOND as f64
}

/// A length in network frames as timeline frames, rounded.
fn timeline_frames(network_frames: usize) -> usize {
    (network_frames as f64 / FRAME_RATE * FRAMES_PER_SECOND as f64).round() as usize
}

impl LiveNoteMaker {
    /// A note maker for a model with `classes`, with the file path's thresholds and lengths.
    pub fn new(classes: &ClassList, config: &NoteCreationConfig) -> Self {
        Self {
            onset_threshold: config.onset_threshold,
            frame_threshold: config.frame_threshold,
            min_frames: timeline_frames(config.min_note_frames),
            tolerance_frames: timeline_frames(config.energy_tolerance),
            pitched: classes.iter().map(|c| c.is_pitched()).collect(),
            open: vec![None; PITCH_COUNT],
            run: vec![0; PITCH_COUNT],
            run_weight: vec![vec![0.0; classes.len()]; PITCH_COUNT],
            infer_onsets: config.infer_onsets,
            newest: FrameRows {
                note: vec![0.0; PITCH_COUNT],
                onset: vec![0.0; PITCH_COUNT],
                roll: vec![0.0; classes.len() * PITCH_COUNT],
            },
            has_newest: false,
            onset_before: vec![0.0; PITCH_COUNT],
            incoming_onset: vec![0.0; PITCH_COUNT],
            note_history: [vec![0.0; PITCH_COUNT], vec![0.0; PITCH_COUNT]],
            onset_peak: 0.0,
            rise_peak: 0.0,
            frame: 0,
        }
    }

    /// Takes `config`'s onset and frame thresholds from the next frame on (the lengths stay).
    pub fn set_thresholds(&mut self, config: &NoteCreationConfig) {
        self.onset_threshold = config.onset_threshold;
        self.frame_threshold = config.frame_threshold;
    }

    /// Seconds before which no event reported from now on falls, so that MIDI out, which needs
    /// events in time order, can release what lies before it: a note not yet announced is
    /// open (its start counts) or starts at most `min_frames` frames before the frame decided
    /// next.
    pub fn settled_seconds(&self) -> f64 {
        let unannounced = self.open.iter().flatten().filter(|n| n.announced.is_none());
        let earliest = unannounced
            .map(|n| n.start)
            .fold(self.frame.saturating_sub(self.min_frames), usize::min);
        seconds(earliest)
    }

    /// Consumes one timeline frame: basic-pitch's note and onset posteriors (`[88]` each) and
    /// the relabelled pianoroll (`[classes][88]`) that names who plays each key.
    pub fn push_frame(
        &mut self,
        note: &[f32],
        onset: &[f32],
        pianoroll: &[f32],
        out: &mut Vec<NoteEvent>,
    ) {
        let mut incoming = std::mem::take(&mut self.incoming_onset);
        self.add_inferred_onsets(note, onset, &mut incoming);
        if self.has_newest {
            let newest = std::mem::take(&mut self.newest);
            self.decide(&newest, &incoming, out);
            self.newest = newest;
            std::mem::swap(&mut self.onset_before, &mut self.newest.onset);
        }
        // The incoming frame becomes the newest; its old onset row is the next buffer.
        std::mem::swap(&mut self.newest.onset, &mut incoming);
        self.incoming_onset = incoming;
        self.newest.note.copy_from_slice(note);
        self.newest.roll.copy_from_slice(pianoroll);
        self.has_newest = true;
    }

    /// Writes into `out` the onset posterior with the note posterior's sharp rises added, as
    /// the file path's inferred onsets, scaled by the peaks heard so far.
    fn add_inferred_onsets(&mut self, note: &[f32], onset: &[f32], out: &mut [f32]) {
        let [older, old] = &mut self.note_history;
        if self.infer_onsets {
            for k in 0..PITCH_COUNT {
                let rise = posterior_rise(note[k], old[k], older[k]);
                self.onset_peak = self.onset_peak.max(onset[k]);
                self.rise_peak = self.rise_peak.max(rise);
            }
            for k in 0..PITCH_COUNT {
                let rise = posterior_rise(note[k], old[k], older[k]);
                out[k] = with_inferred_onset(onset[k], rise, self.onset_peak, self.rise_peak);
            }
        } else {
            out.copy_from_slice(onset);
        }
        std::mem::swap(older, old);
        old.copy_from_slice(note);
    }

    /// Decides frame `self.frame` from its rows and the next frame's onset posterior.
    fn decide(&mut self, rows: &FrameRows, onset_next: &[f32], out: &mut Vec<NoteEvent>) {
        let (note, onset, roll) = (&rows.note, &rows.onset, &rows.roll);
        let f = self.frame;
        let classes = self.pitched.len();
        for key in 0..PITCH_COUNT {
            let o = onset[key];
            let peak =
                o >= self.onset_threshold && o > self.onset_before[key] && o > onset_next[key];
            let up = note[key] >= self.frame_threshold;
            if peak {
                if let Some(n) = self.open[key].take() {
                    self.close(key, n, out);
                }
                self.open[key] = Some(self.opened(f, classes));
                self.run[key] = 0;
                self.run_weight[key].fill(0.0);
            } else if self.open[key].is_none() {
                let neighbour_open = (key > 0 && self.open[key - 1].is_some())
                    || (key + 1 < PITCH_COUNT && self.open[key + 1].is_some());
                if up && !neighbour_open {
                    self.run[key] += 1;
                    for (c, w) in self.run_weight[key].iter_mut().enumerate() {
                        *w += roll[c * PITCH_COUNT + key];
                    }
                } else {
                    self.run[key] = 0;
                    self.run_weight[key].fill(0.0);
                }
                if self.run[key] >= self.min_frames {
                    // Named by the frames of the run, as the file path names it by its first ones.
                    let start = f + 1 - self.run[key];
                    let mut n = self.opened(start, classes);
                    n.class_weight.copy_from_slice(&self.run_weight[key]);
                    self.open[key] = Some(n);
                    self.run[key] = 0;
                    self.run_weight[key].fill(0.0);
                }
            }
            let Some(mut n) = self.open[key].take() else {
                continue;
            };
            if up {
                n.last_active = f;
                n.quiet = 0;
                n.posterior_sum += note[key];
                n.frames += 1;
                for (c, w) in n.class_weight.iter_mut().enumerate() {
                    if self.pitched[c] {
                        *w += roll[c * PITCH_COUNT + key];
                    }
                }
            } else {
                n.quiet += 1;
            }
            if n.quiet >= self.tolerance_frames {
                self.close(key, n, out);
                continue;
            }
            // Long enough once it has sounded for the minimum length, as a file's notes must.
            if n.announced.is_none()
                && n.frames > 0
                && n.last_active + 1 - n.start >= self.min_frames
            {
                let class = favourite(&n.class_weight, &self.pitched);
                n.announced = Some(class);
                out.push(NoteEvent::Started {
                    onset: seconds(n.start),
                    pitch: LOWEST_MIDI_NOTE + key as u8,
                    class,
                    velocity: n.posterior_sum / n.frames as f32,
                });
            }
            self.open[key] = Some(n);
        }
        self.frame += 1;
    }

    fn opened(&self, start: usize, classes: usize) -> OpenNote {
        OpenNote {
            start,
            last_active: start,
            quiet: 0,
            posterior_sum: 0.0,
            frames: 0,
            class_weight: vec![0.0; classes],
            announced: None,
        }
    }

    fn close(&self, key: usize, n: OpenNote, out: &mut Vec<NoteEvent>) {
        if let Some(class) = n.announced {
            out.push(NoteEvent::Ended(Note {
                onset: seconds(n.start),
                offset: seconds(n.last_active + 1),
                pitch: LOWEST_MIDI_NOTE + key as u8,
                class,
                velocity: n.posterior_sum / n.frames.max(1) as f32,
                bend: Vec::new(),
            }));
        }
    }

    /// Ends every open note (end of a stream).
    pub fn finish(&mut self, out: &mut Vec<NoteEvent>) {
        for key in 0..PITCH_COUNT {
            if let Some(n) = self.open[key].take() {
                self.close(key, n, out);
            }
        }
    }
}

/// The pitched class with the most weight (the first on a tie).
fn favourite(weights: &[f32], pitched: &[bool]) -> usize {
    (0..weights.len())
        .filter(|&c| pitched[c])
        .max_by(|&a, &b| weights[a].total_cmp(&weights[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `frames` timeline frames in which each `(key, span, struck)` sounds with posterior
    /// 0.9 (an onset peak at its first frame when struck), piano naming every key. Returns each
    /// event with the frame it was reported at, and checks that none falls before the settled
    /// time read just before the frame that reported it.
    fn play(
        spans: &[(usize, std::ops::Range<usize>, bool)],
        frames: usize,
    ) -> (ClassList, Vec<(usize, NoteEvent)>) {
        let classes = ClassList::default_gm();
        let piano = classes.index_of("piano").unwrap();
        let mut maker = LiveNoteMaker::new(&classes, &NoteCreationConfig::default());
        let mut reported = Vec::new();
        for t in 0..frames {
            let mut note = vec![0.0; PITCH_COUNT];
            let mut onset = vec![0.0; PITCH_COUNT];
            let mut roll = vec![0.0; classes.len() * PITCH_COUNT];
            for (key, span, struck) in spans {
                if span.contains(&t) {
                    note[*key] = 0.9;
                    roll[piano * PITCH_COUNT + key] = 0.9;
                    if *struck && t == span.start {
                        onset[*key] = 0.9;
                    }
                }
            }
            let settled = maker.settled_seconds();
            let mut events = Vec::new();
            maker.push_frame(&note, &onset, &roll, &mut events);
            for event in events {
                let time = match &event {
                    NoteEvent::Started { onset, .. } => *onset,
                    NoteEvent::Ended(n) => n.offset,
                };
                assert!(
                    time >= settled,
                    "{time} s reported after {settled} s was settled"
                );
                reported.push((t, event));
            }
        }
        (classes, reported)
    }

    #[test]
    fn a_note_is_announced_once_it_is_long_enough_and_ended_once() {
        let (classes, events) = play(&[(39, 10..60, true)], 100);
        assert_eq!(events.len(), 2, "{events:?}");
        let min_frames = timeline_frames(NoteCreationConfig::default().min_note_frames);
        let (announced_at, started) = &events[0];
        // Decided one frame after it arrives, once it has lasted the minimum length.
        assert_eq!(*announced_at, 10 + min_frames);
        let piano = classes.index_of("piano").unwrap();
        assert!(
            matches!(started, NoteEvent::Started { pitch: 60, onset, class, .. }
                if (onset - 0.1).abs() < 1e-9 && *class == piano),
            "{started:?}"
        );
        assert!(
            matches!(&events[1].1, NoteEvent::Ended(n) if (n.offset - 0.6).abs() < 1e-9),
            "{:?}",
            events[1]
        );
    }

    #[test]
    fn overlapping_notes_never_report_an_event_before_the_settled_time() {
        // The second note has no onset peak: it is found from its energy, later than it began.
        let (_, events) = play(
            &[(39, 0..20, true), (45, 17..40, false), (39, 30..33, true)],
            90,
        );
        let starts = events
            .iter()
            .filter(|(_, e)| matches!(e, NoteEvent::Started { .. }))
            .count();
        // Two real notes; the 3-frame blip on key 39 is too short to count.
        assert_eq!((starts, events.len()), (2, 4), "{events:?}");
    }
}
