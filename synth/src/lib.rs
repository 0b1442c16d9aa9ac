//! Labelled audio from notes: a [`score::Score`] of parts and notes is rendered with a
//! General MIDI SoundFont ([`render`]) and labelled frame by frame from the same notes
//! ([`labels`]), so audio and labels agree exactly. Used by the tests and by `cargo xtask`.

pub mod audibility;
pub mod demo;
pub mod labels;
pub mod midi_file;
pub mod procedural;
pub mod render;
pub mod score;
pub mod soundfont;
pub mod wav;

/// The SoundFont type of the renderer, for callers that hold a loaded font.
pub use rustysynth::SoundFont;
