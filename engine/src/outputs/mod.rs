//! What an analysis is written as: the prediction JSON, a Standard MIDI file of the notes and
//! a PNG report. The plugin's Export writes the same three.

pub mod midi_file;
pub mod palette;
pub mod prediction;
pub mod report;
