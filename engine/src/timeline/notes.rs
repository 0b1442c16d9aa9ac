//! Notes as every output hands them on: whole notes (a file's analysis, a stream's ended
//! notes) and the start and end events a stream reports as it decides them. They are made by
//! [`crate::transcription`] (basic-pitch's note creation).

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
    /// Mean note posterior over the note, in [0, 1]; used as MIDI velocity.
    pub velocity: f32,
    /// Semitones the sounding pitch lies above `pitch`, one value per 100 frames/s timeline
    /// frame from the onset's frame on; empty unless pitch bends were asked for
    /// ([`crate::analysis::Analyzer::with_pitch_bends`]).
    pub bend: Vec<f32>,
}

/// What a live consumer (MIDI out, a streaming pianoroll) learns as frames arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum NoteEvent {
    /// A note has lasted the minimum length and counts as real; it began at `onset` seconds.
    Started {
        /// Start in seconds from the start of the stream.
        onset: f64,
        /// MIDI note number.
        pitch: u8,
        /// Class index.
        class: usize,
        /// Mean note posterior so far.
        velocity: f32,
    },
    /// A started note ended; the whole note.
    Ended(Note),
}
