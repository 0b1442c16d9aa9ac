//! Timbrescope's analysis engine: everything between audio samples and "which instruments
//! play which notes", free of host and GUI code so that the plugin, the standalone app, the
//! CLI, xtask and the tests drive the same code.
//!
//! Data flow: [`audio_file`] / live audio → [`resample`] → [`features`] → [`model`] over 1 s
//! windows → [`timeline`] stitching → [`carry`] → [`notes`]; [`analysis`] runs the whole
//! chain on a file, [`live`] on a stream, and [`worker`] runs [`live`] on its own thread for
//! the plugin and the live app.

pub mod allocator;
pub mod analysis;
pub mod audio_file;
pub mod carry;
pub mod classes;
pub mod compute;
pub mod features;
pub mod filterbank;
pub mod harmonic;
pub mod live;
pub mod live_midi;
pub mod logistic;
pub mod midi_export;
pub mod model;
pub mod model_file;
pub mod notes;
pub mod prediction;
pub mod report;
pub mod resample;
pub mod time_conv;
pub mod timeline;
pub mod worker;
