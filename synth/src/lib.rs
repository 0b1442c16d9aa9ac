//! Labelled audio from notes: a [`score::Score`] of parts and notes is rendered with
//! General MIDI sample sets ([`sample_sets`], [`render`]) and labelled frame by frame from the same notes
//! ([`labels`]), so audio and labels agree exactly. Used by the tests and by `cargo xtask`.

pub mod audibility;
pub mod demo;
pub mod labels;
pub mod midi_file;
pub mod procedural;
pub mod render;
pub mod sample_sets;
pub mod score;
pub mod wav;

/// What the renderer plays a score with, for callers that hold one.
pub use sample_sets::SampleSet;
