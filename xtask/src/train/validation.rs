//! Watching a run: fresh music from the held-out validation font at every checkpoint, the
//! scores it reaches there, and early stopping on them.

use std::path::Path;

use anyhow::Result;
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::features::FeatureConfig;
use timbrescope_engine::networks::model::TimbreNet;
use timbrescope_engine::timeline::HEARD_THRESHOLD;
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::sample_sets::VALIDATION_FONT;
use timbrescope_synth::sample_sets::catalogue::Source;

use crate::metrics::{Counts, lrap_of_clip};
use crate::seeds::EARLY_STOPPING_SEED;
use crate::train::config::TrainingConfig;
use crate::train::data::{Example, batch, piece_examples};

/// What a validation pass means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The best score so far: keep this model.
    Improved,
    /// No better than the best; keep going.
    NoGain,
    /// No gain for `patience` passes in a row: stop.
    Stop,
}

/// Early stopping on the validation score; kept in the checkpoint so `--resume` goes on
/// counting where the run left off.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct EarlyStopping {
    /// The best score so far.
    pub(crate) best: Option<f64>,
    passes_without_gain: usize,
}

impl EarlyStopping {
    /// Records a pass's `score`; what it means for the run.
    pub(crate) fn observe(&mut self, score: f64, patience: usize) -> Verdict {
        if self.best.is_none_or(|best| score > best) {
            self.best = Some(score);
            self.passes_without_gain = 0;
            return Verdict::Improved;
        }
        self.passes_without_gain += 1;
        if patience > 0 && self.passes_without_gain >= patience {
            Verdict::Stop
        } else {
            Verdict::NoGain
        }
    }
}

/// Validation metrics written to the sidecar and the log.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationMetrics {
    /// Validation windows evaluated.
    pub windows: usize,
    /// Frame instrument F1, micro-averaged over classes.
    pub instrument_f1_micro: f64,
    /// Frame pitch precision.
    pub pitch_precision: f64,
    /// Frame pitch recall.
    pub pitch_recall: f64,
    /// Frame pitch F1.
    pub pitch_f1: f64,
    /// Frame pianoroll F1 (class-aware).
    pub pianoroll_f1: f64,
    /// Clip label ranking average precision.
    pub clip_lrap: f64,
}

impl ValidationMetrics {
    /// The one number early stopping and model selection follow: the mean of the four
    /// scores the default model is judged by.
    pub fn score(&self) -> f64 {
        (self.instrument_f1_micro + self.pitch_f1 + self.pianoroll_f1 + self.clip_lrap) / 4.0
    }
}

/// The music of the validation pieces: classes drawn uniformly, as `eval` draws them.
pub(crate) fn procedural(config: &TrainingConfig) -> ProceduralConfig {
    ProceduralConfig {
        duration: config.data.piece_seconds,
        min_instruments: 1,
        max_instruments: config.data.max_instruments,
        ..ProceduralConfig::default()
    }
}

/// Renders the validation set: fresh pieces from the held-out font, or from the held-out
/// source of a leave-one-source-out run.
pub fn validation_examples(
    config: &TrainingConfig,
    classes: &ClassList,
    features: &FeatureConfig,
) -> Result<Vec<Example>> {
    let font = match &config.validation.source {
        Some(name) => Source::named(name)?.load()?,
        None => timbrescope_synth::sample_sets::load_soundfont(Path::new(VALIDATION_FONT))?,
    };
    let mut examples = Vec::new();
    for i in 0..config.validation.pieces {
        let seed = EARLY_STOPPING_SEED + i as u64;
        examples.extend(piece_examples(
            seed,
            classes,
            features,
            &procedural(config),
            &font,
        )?);
    }
    Ok(examples)
}

/// Scores `net` on `examples`.
pub fn evaluate(net: &TimbreNet, examples: &[Example], device: &Device) -> ValidationMetrics {
    let net = net.valid();
    let (mut instrument, mut pitch, mut pianoroll) =
        (Counts::default(), Counts::default(), Counts::default());
    let mut lrap = Vec::new();
    for chunk in examples.chunks(16) {
        let b = batch(chunk, device);
        let out = net.forward(b.features);
        let get = |t: TensorData| t.try_to_vec::<f32>().expect("f32 outputs");
        let (pi, pp, pr, pc) = (
            get(out.instrument.into_data()),
            get(out.pitch.into_data()),
            get(out.pianoroll.into_data()),
            get(out.clip.into_data()),
        );
        let c = chunk[0].labels.classes;
        for (k, e) in chunk.iter().enumerate() {
            let slice = |v: &[f32], n: usize| v[k * n..(k + 1) * n].to_vec();
            instrument.add(
                &slice(&pi, e.labels.instrument.len()),
                &e.labels.instrument,
                HEARD_THRESHOLD,
            );
            pitch.add(
                &slice(&pp, e.labels.pitch.len()),
                &e.labels.pitch,
                HEARD_THRESHOLD,
            );
            pianoroll.add(
                &slice(&pr, e.labels.pianoroll.len()),
                &e.labels.pianoroll,
                HEARD_THRESHOLD,
            );
            lrap.extend(lrap_of_clip(&slice(&pc, c), &e.labels.clip));
        }
    }
    ValidationMetrics {
        windows: examples.len(),
        instrument_f1_micro: instrument.f1(),
        pitch_precision: pitch.precision(),
        pitch_recall: pitch.recall(),
        pitch_f1: pitch.f1(),
        pianoroll_f1: pianoroll.f1(),
        clip_lrap: lrap.iter().sum::<f64>() / lrap.len().max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_stopping_keeps_the_best_pass_and_stops_after_patience_passes_without_gain() {
        let mut stopping = EarlyStopping::default();
        let verdicts: Vec<Verdict> = [0.3, 0.4, 0.35, 0.4, 0.45, 0.44, 0.2]
            .into_iter()
            .map(|score| stopping.observe(score, 2))
            .collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [Improved, Improved, NoGain, Stop, Improved, NoGain, Stop]
        );
        assert_eq!(stopping.best, Some(0.45));
        let mut never = EarlyStopping::default();
        assert!(
            (0..10).all(|_| never.observe(0.0, 0) != Stop),
            "0 turns it off"
        );
    }
}
