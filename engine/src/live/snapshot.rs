//! What the editor reads: the recent history of activity and notes and the worker's status,
//! published through a triple buffer so reading never waits for the worker.

use crate::analysis::Analysis;
use crate::classes::ClassList;
use crate::features::FRAMES_PER_SECOND;
use crate::live::stream::LiveOutput;
use crate::timeline::notes::{Note, NoteEvent};
use crate::timeline::{FramePredictions, add_heard_frames, frames_to_seconds};

/// Seconds of frames and notes kept for the views and for export.
pub const HISTORY_SECONDS: usize = 120;

/// A note in the history, open while it still sounds.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveNote {
    /// Class index.
    pub class: usize,
    /// MIDI note number.
    pub pitch: u8,
    /// Start, stream seconds.
    pub onset: f64,
    /// End, stream seconds; `None` while it sounds.
    pub offset: Option<f64>,
    /// Peak probability.
    pub velocity: f32,
}

/// How the worker is doing, for the status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum WorkerState {
    /// Loading the model and choosing the device.
    #[default]
    Starting,
    /// Analysing.
    Running,
    /// The analysis failed (the message says why) and starts over in a moment. Audio still
    /// passes.
    Restarting(String),
    /// Stopped after failing again and again; the message says why. Audio still passes.
    Failed(String),
}

/// What the editor shows: the recent history and the worker's status.
#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    /// The model's classes.
    pub classes: ClassList,
    /// Frames in which each class has been heard (activity at or above the threshold) since
    /// the stream started.
    pub heard_frames: Vec<u32>,
    /// Stream frame index of the first history row.
    pub first_frame: usize,
    /// Instrument activity history, `[rows][classes]`, 100 rows per second.
    pub instrument: Vec<f32>,
    /// Notes that overlap the history.
    pub notes: Vec<LiveNote>,
    /// Clip scores of the newest window.
    pub clip: Vec<f32>,
    /// Worker state.
    pub state: WorkerState,
    /// Device in use ("CPU (flex)", "GPU: …").
    pub backend: String,
    /// Why the preferred device is not in use, if it is not.
    pub backend_note: Option<String>,
    /// Model name.
    pub model: String,
    /// Model time per window, milliseconds (smoothed).
    pub inference_ms: f32,
    /// Model time per window of the newest batch, milliseconds (not smoothed: a soak run
    /// collects its distribution).
    pub last_inference_ms: f32,
    /// Windows the model has run on since the worker started.
    pub windows: u64,
    /// Audio in to frame shown, milliseconds.
    pub latency_ms: f32,
    /// MIDI out's constant delay behind the audio, milliseconds.
    pub midi_delay_ms: f32,
    /// Samples dropped because the worker fell behind.
    pub dropped_samples: u64,
    /// Input sample rate.
    pub sample_rate: u32,
    /// Times the worker started over after a failure.
    pub restarts: u32,
    /// Seconds since audio last arrived (0 while it flows): a stopped or vanished input
    /// shows up here, since nothing else would change.
    pub input_idle_s: f32,
}

impl LiveSnapshot {
    /// Starts the history over for a new stream at `sample_rate`: nothing heard yet.
    pub(crate) fn begin_stream(&mut self, sample_rate: u32) {
        self.sample_rate = sample_rate;
        self.instrument.clear();
        self.notes.clear();
        self.clip.clear();
        self.heard_frames.iter_mut().for_each(|f| *f = 0);
        self.input_idle_s = 0.0;
        self.dropped_samples = 0;
    }

    /// Sets the model's classes, with nothing heard yet.
    pub(crate) fn set_classes(&mut self, classes: ClassList) {
        self.heard_frames = vec![0; classes.len()];
        self.classes = classes;
    }

    /// The classes heard for at least `min_seconds` so far, with their seconds, in class
    /// order: the summary a project keeps and a rehearsal log prints.
    pub fn heard(&self, min_seconds: f32) -> Vec<(&str, f32)> {
        self.classes
            .iter()
            .zip(&self.heard_frames)
            .map(|(class, &frames)| (class.name.as_str(), frames_to_seconds(frames)))
            .filter(|&(_, seconds)| seconds >= min_seconds)
            .collect()
    }

    /// Rows of history.
    pub fn rows(&self) -> usize {
        self.instrument.len() / self.classes.len().max(1)
    }

    /// Stream time of the newest row's end, seconds.
    pub fn now(&self) -> f64 {
        (self.first_frame + self.rows()) as f64 / FRAMES_PER_SECOND as f64
    }

    /// The notes and activity between stream times `start` and `end` (seconds), with times
    /// counted from `start`: what an export writes. Notes still sounding end at `end`.
    pub fn excerpt(&self, start: f64, end: f64) -> Analysis {
        let c = self.classes.len();
        let fps = FRAMES_PER_SECOND as f64;
        let row_of =
            |t: f64| ((t * fps).round().max(0.0) as usize).saturating_sub(self.first_frame);
        let (first, last) = (row_of(start).min(self.rows()), row_of(end).min(self.rows()));
        let instrument = self.instrument[first * c..last * c].to_vec();
        let frames = last - first;
        let mut clip = vec![0.0; c];
        for row in instrument.chunks_exact(c.max(1)) {
            clip.iter_mut()
                .zip(row)
                .for_each(|(m, v)| *m = f32::max(*m, *v));
        }
        let notes = self
            .notes
            .iter()
            .filter(|n| n.onset < end && n.offset.is_none_or(|o| o > start))
            .map(|n| Note {
                onset: (n.onset - start).max(0.0),
                offset: n.offset.unwrap_or(end).min(end) - start,
                pitch: n.pitch,
                class: n.class,
                velocity: n.velocity,
                bend: Vec::new(),
            })
            .collect();
        Analysis {
            predictions: FramePredictions {
                classes: self.classes.clone(),
                frames,
                instrument,
                pitch: Vec::new(),
                pianoroll: Vec::new(),
                clip,
            },
            notes,
        }
    }

    /// Adds a batch of new frames and note events, keeping [`HISTORY_SECONDS`] of history.
    pub(crate) fn append(&mut self, output: &LiveOutput, threshold: f32) {
        add_heard_frames(&mut self.heard_frames, &output.instrument, threshold);
        let c = self.classes.len();
        // A push may bring notes and no frames (basic-pitch catching up): history stays.
        if !output.instrument.is_empty()
            && (self.rows() == 0 || output.first_frame != self.first_frame + self.rows())
        {
            self.instrument.clear();
            self.first_frame = output.first_frame;
        }
        self.instrument.extend_from_slice(&output.instrument);
        let excess = self
            .rows()
            .saturating_sub(HISTORY_SECONDS * FRAMES_PER_SECOND);
        self.instrument.drain(..excess * c);
        self.first_frame += excess;
        for event in &output.events {
            match event {
                NoteEvent::Started {
                    onset,
                    pitch,
                    class,
                    velocity,
                } => self.notes.push(LiveNote {
                    class: *class,
                    pitch: *pitch,
                    onset: *onset,
                    offset: None,
                    velocity: *velocity,
                }),
                NoteEvent::Ended(note) => {
                    if let Some(open) = self.notes.iter_mut().rev().find(|n| {
                        n.offset.is_none() && n.class == note.class && n.pitch == note.pitch
                    }) {
                        open.offset = Some(note.offset);
                        open.velocity = note.velocity;
                    }
                }
            }
        }
        let start = self.first_frame as f64 / FRAMES_PER_SECOND as f64;
        self.notes.retain(|n| n.offset.is_none_or(|o| o >= start));
        if let Some(clip) = &output.clip {
            self.clip.clone_from(clip);
        }
    }
}

/// The editor's end of the results: a triple buffer, so reading never waits for the worker.
pub type SnapshotReader = triple_buffer::Output<LiveSnapshot>;
/// The worker's end, kept by the host side between worker runs.
pub type SnapshotWriter = triple_buffer::Input<LiveSnapshot>;

/// A fresh results channel.
pub fn snapshot_channel() -> (SnapshotWriter, SnapshotReader) {
    triple_buffer::triple_buffer(&LiveSnapshot::default())
}
