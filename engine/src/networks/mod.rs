//! The networks and what they need to run: basic-pitch and YAMNet (imported), the multitask
//! recogniser, its harmonic branch, its fast time convolutions and probability helpers, and
//! model files (weights plus the sidecar that says what they mean). Every network's outputs
//! meet on the 100 frames/s timeline.

/// The `generated` module of an imported network: the graph as burn-onnx wrote it into the
/// invoking folder's `generated.rs`, untouched and exempt from lints. It names burn-store as a
/// crate of its own, which here is burn's re-export. It is public (hidden from the docs) so
/// that a module wrapping part of the graph for training can expose that part's record.
macro_rules! imported_graph {
    () => {
        #[allow(
            clippy::all,
            clippy::pedantic,
            missing_docs,
            unused,
            non_snake_case,
            non_camel_case_types
        )]
        #[doc(hidden)]
        pub mod generated {
            use burn::store as burn_store;
            include!("generated.rs");
        }
    };
}

pub mod basic_pitch;
pub mod harmonic;
pub mod logistic;
pub mod model;
pub mod model_file;
pub mod plane_conv;
pub mod time_conv;
pub mod yamnet;
