//! Live analysis: [`stream`] runs the file chain window by window on an endless stream;
//! [`worker`] runs it on its own thread for the plugin and the live app, fed by the audio
//! thread through [`feed`], steered through [`controls`] and read through [`snapshot`];
//! [`midi`] turns tracked notes into MIDI out.

pub mod controls;
mod fault;
pub mod feed;
mod job;
pub mod midi;
pub mod snapshot;
pub mod stream;
pub mod worker;
