//! The networks and what they need to run: basic-pitch (imported), the multitask recogniser, its harmonic branch, its fast time
//! convolutions and probability helpers, and model files (weights plus the sidecar that says
//! what they mean). Every network's outputs meet on the 100 frames/s timeline.

pub mod basic_pitch;
pub mod harmonic;
pub mod logistic;
pub mod model;
pub mod model_file;
pub mod time_conv;
pub mod yamnet;
