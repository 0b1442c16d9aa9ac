//! The plugin's parameters (automatable, saved with the project) and the editor state that
//! is saved with the project but is not a parameter.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use timbrescope_engine::compute::BackendChoice;
use timbrescope_engine::timeline::HEARD_THRESHOLD;

/// Where inference runs; `Auto` takes a hardware GPU when there is one.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A hardware GPU if present, else the CPU.
    Auto,
    /// Always the CPU.
    #[name = "CPU"]
    Cpu,
    /// The GPU (falls back to the CPU when there is none or it fails).
    #[name = "GPU"]
    Gpu,
}

impl From<Backend> for BackendChoice {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Auto => BackendChoice::Auto,
            Backend::Cpu => BackendChoice::Cpu,
            Backend::Gpu => BackendChoice::Gpu,
        }
    }
}

/// Editor settings that belong to the project but are not automatable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewState {
    /// Editor size in logical pixels.
    pub size: (u32, u32),
    /// Classes hidden from the lanes and the pianoroll, by name (stable across models).
    pub hidden: Vec<String>,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            size: (960, 640),
            hidden: Vec::new(),
        }
    }
}

/// Everything the host saves and automates.
#[derive(Params)]
pub struct TimbrescopeParams {
    /// Probability at which an instrument counts as playing and a note starts.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Time between model windows: shorter reacts sooner and costs more.
    #[id = "hop"]
    pub hop_ms: IntParam,
    /// Seconds of history the views show.
    #[id = "view"]
    pub view_seconds: FloatParam,
    /// Inference device.
    #[id = "backend"]
    pub backend: EnumParam<Backend>,
    /// Whether detected notes are sent as MIDI, one channel per instrument.
    #[id = "midi_out"]
    pub midi_out: BoolParam,
    /// Editor size and hidden classes.
    #[persist = "view-state"]
    pub view: Arc<RwLock<ViewState>>,
    /// Seconds each instrument was heard, as of the last deactivation or editor frame: what
    /// the plugin found, kept with the project.
    #[persist = "heard"]
    pub heard: Arc<RwLock<BTreeMap<String, f32>>>,
}

impl Default for TimbrescopeParams {
    fn default() -> Self {
        Self {
            threshold: FloatParam::new(
                "Threshold",
                HEARD_THRESHOLD,
                FloatRange::Linear {
                    min: 0.05,
                    max: 0.95,
                },
            )
            .with_step_size(0.01),
            hop_ms: IntParam::new("Hop", 100, IntRange::Linear { min: 20, max: 500 })
                .with_unit(" ms"),
            view_seconds: FloatParam::new(
                "View length",
                10.0,
                FloatRange::Linear {
                    min: 2.0,
                    max: 60.0,
                },
            )
            .with_step_size(1.0)
            .with_unit(" s"),
            backend: EnumParam::new("Backend", Backend::Auto),
            midi_out: BoolParam::new("MIDI out", true),
            view: Arc::new(RwLock::new(ViewState::default())),
            heard: Arc::new(RwLock::new(BTreeMap::new())),
        }
    }
}
