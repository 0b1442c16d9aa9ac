//! The prediction file of docs/ARCHITECTURE.md (`analyze --json`): one JSON object per audio file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::classes::PITCH_COUNT;
use crate::features::FRAMES_PER_SECOND;

/// One note as written to a prediction file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteRecord {
    /// Start in seconds.
    pub onset: f64,
    /// End in seconds.
    pub offset: f64,
    /// MIDI note number.
    pub pitch: u8,
    /// Class name.
    pub class: String,
    /// In [0, 1].
    pub velocity: f32,
    /// Semitones above `pitch`, one value per `hop_s` from the onset's row on; absent unless
    /// pitch bends were asked for (`analyze --pitch-bends`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bend: Vec<f32>,
}

/// A prediction file; every field is optional for a reader.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictionFile {
    /// Seconds per frame row.
    #[serde(default)]
    pub hop_s: Option<f64>,
    /// Class names, the column order of `instrument_activity`.
    #[serde(default)]
    pub classes: Vec<String>,
    /// `T` rows of `C` probabilities.
    #[serde(default)]
    pub instrument_activity: Vec<Vec<f32>>,
    /// `T` rows of 88 probabilities, MIDI 21..=108.
    #[serde(default)]
    pub pitch_activity: Vec<Vec<f32>>,
    /// Detected notes.
    #[serde(default)]
    pub notes: Vec<NoteRecord>,
    /// Clip score per class name.
    #[serde(default)]
    pub clip_scores: BTreeMap<String, f32>,
}

/// Four decimals are well below any threshold that matters and keep files small.
fn rounded(v: f32) -> f32 {
    (v * 1e4).round() / 1e4
}

impl PredictionFile {
    /// The prediction file of an analysis.
    pub fn from_analysis(analysis: &Analysis) -> Self {
        let p = &analysis.predictions;
        let names = p.classes.names();
        let rows = |values: &[f32], width: usize| -> Vec<Vec<f32>> {
            values
                .chunks_exact(width)
                .map(|row| row.iter().copied().map(rounded).collect())
                .collect()
        };
        Self {
            hop_s: Some(1.0 / FRAMES_PER_SECOND as f64),
            instrument_activity: rows(&p.instrument, names.len()),
            pitch_activity: rows(&p.pitch, PITCH_COUNT),
            notes: analysis
                .notes
                .iter()
                .map(|n| NoteRecord {
                    onset: n.onset,
                    offset: n.offset,
                    pitch: n.pitch,
                    class: names[n.class].clone(),
                    velocity: rounded(n.velocity),
                    bend: n.bend.iter().copied().map(rounded).collect(),
                })
                .collect(),
            clip_scores: names
                .iter()
                .cloned()
                .zip(p.clip.iter().copied().map(rounded))
                .collect(),
            classes: names,
        }
    }
}
