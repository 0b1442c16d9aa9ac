//! Timbrescope's analysis engine: everything between audio samples and "which instruments
//! play which notes", free of host and GUI code so that the plugin, the standalone app, the
//! CLI, xtask and the tests drive the same code.
//!
//! Data flow, one folder per stage: [`input`] (decode, resample to 16 kHz) → [`features`]
//! (log-mel and pitch banks) → [`networks`] over 1 s windows →
//! [`timeline`] (stitching, identity carry, notes) → [`outputs`] (JSON, MIDI, PNG); where
//! basic-pitch makes the notes, [`transcription`] runs it beside the multitask model.
//! [`analysis`] runs the chain on a file; [`live`] runs it on a stream, on a worker thread for
//! the plugin and the live app. `docs/ARCHITECTURE.md` describes the whole flow.

pub mod allocator;
pub mod analysis;
pub mod classes;
pub mod compute;
pub mod features;
pub mod input;
pub mod live;
pub mod networks;
pub mod outputs;
pub mod timeline;
pub mod transcription;
