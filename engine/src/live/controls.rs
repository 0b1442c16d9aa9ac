//! The worker's controls: settings the host side (parameters, editor, app) changes while the
//! worker runs, as atomics the audio thread can write without waiting.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};

use crate::compute::BackendChoice;
use crate::features::FRAMES_PER_SECOND;
use crate::timeline::HEARD_THRESHOLD;

/// Settings the host side changes while the worker runs (parameters, editor controls).
#[derive(Debug)]
pub struct WorkerControls {
    hop_ms: AtomicU32,
    threshold: AtomicU32,
    backend: AtomicU8,
    midi_out: AtomicBool,
}

impl Default for WorkerControls {
    fn default() -> Self {
        Self {
            hop_ms: AtomicU32::new(100),
            threshold: AtomicU32::new(HEARD_THRESHOLD.to_bits()),
            backend: AtomicU8::new(0),
            midi_out: AtomicBool::new(false),
        }
    }
}

fn backend_code(choice: BackendChoice) -> u8 {
    match choice {
        BackendChoice::Auto => 0,
        BackendChoice::Cpu => 1,
        BackendChoice::Gpu => 2,
    }
}

fn backend_of(code: u8) -> BackendChoice {
    match code {
        1 => BackendChoice::Cpu,
        2 => BackendChoice::Gpu,
        _ => BackendChoice::Auto,
    }
}

impl WorkerControls {
    /// Time between model windows.
    pub fn set_hop_ms(&self, ms: u32) {
        self.hop_ms.store(ms, Ordering::Relaxed);
    }

    /// Probability at which a note starts (it lasts down to 60 % of it).
    pub fn set_threshold(&self, threshold: f32) {
        self.threshold.store(threshold.to_bits(), Ordering::Relaxed);
    }

    /// The threshold in use, for views that draw activity against it.
    pub fn threshold(&self) -> f32 {
        f32::from_bits(self.threshold.load(Ordering::Relaxed))
    }

    /// Which device runs inference; switching happens between windows.
    pub fn set_backend(&self, choice: BackendChoice) {
        self.backend.store(backend_code(choice), Ordering::Relaxed);
    }

    /// Whether detected notes go out as MIDI.
    pub fn set_midi_out(&self, on: bool) {
        self.midi_out.store(on, Ordering::Relaxed);
    }

    /// The device asked for, read by the worker between windows.
    pub(crate) fn backend(&self) -> BackendChoice {
        backend_of(self.backend.load(Ordering::Relaxed))
    }

    /// Whether MIDI out is on.
    pub(crate) fn midi_out(&self) -> bool {
        self.midi_out.load(Ordering::Relaxed)
    }

    /// Model windows' hop in frames, at least one.
    pub(crate) fn hop_frames(&self) -> usize {
        (self.hop_ms.load(Ordering::Relaxed) as usize * FRAMES_PER_SECOND / 1000).max(1)
    }
}
