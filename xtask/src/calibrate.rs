//! `cargo xtask calibrate`: sets a trained model's instrument operating point on fresh music
//! from the held-out validation font. A network trained on one SoundFont is less sure of sounds
//! it has not heard, so at the 0.5 threshold it misses most instruments that play in other
//! recordings. One shift of every instrument logit, chosen where frame instrument F1 peaks on
//! held-out pieces that `xtask eval` never draws, moves the decision to where unseen sounds sit.

use anyhow::{Result, bail};
use serde::Serialize;
use timbrescope_engine::analysis::Analyzer;
use timbrescope_engine::features::{ANALYSIS_RATE, frame_count};
use timbrescope_engine::networks::model_file::ModelSidecar;
use timbrescope_synth::labels::label_score;

use crate::eval::AnnotatedPiece;
use crate::metrics::Counts;

/// The operating point a calibration chose, recorded in the sidecar.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Calibration {
    /// Added to every instrument logit.
    pub instrument_logit_shift: f32,
    /// Calibration pieces it was chosen on.
    pub pieces: usize,
    /// Frame instrument F1-micro on those pieces at the 0.5 threshold, before the shift.
    pub instrument_f1_before: f64,
    /// The same after it (on the stitched probabilities, shifted as logits).
    pub instrument_f1_after: f64,
}

/// One instrument cell: the model's logit and whether the class plays in that frame.
type Cell = (f32, bool);

/// Frame F1 of deciding "plays" where `logit >= threshold`.
fn f1_at(cells: &[Cell], threshold: f32) -> f64 {
    let mut counts = Counts::default();
    for &(logit, truth) in cells {
        counts.add_cell(logit, f32::from(u8::from(truth)), threshold);
    }
    counts.f1()
}

/// The shift of every logit that maximises F1-micro of `logit + shift >= 0`, with that F1.
/// Exact: the cells sorted by logit, the threshold swept over every gap between neighbours
/// and put midway in the best one. No positives leave the model as it is.
pub fn best_logit_shift(cells: &[Cell]) -> (f32, f64) {
    let positive = cells.iter().filter(|c| c.1).count();
    if positive == 0 {
        return (0.0, 0.0);
    }
    let mut sorted = cells.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut best_k, mut best_f1, mut tp) = (0usize, 0.0f64, 0usize);
    for k in 1..=sorted.len() {
        tp += usize::from(sorted[k - 1].1);
        let at_gap = k == sorted.len() || sorted[k].0 < sorted[k - 1].0;
        let f1 = 2.0 * tp as f64 / (k + positive) as f64;
        if at_gap && f1 > best_f1 {
            (best_k, best_f1) = (k, f1);
        }
    }
    let threshold = match sorted.get(best_k) {
        Some(next) => 0.5 * (sorted[best_k - 1].0 + next.0),
        None => sorted[best_k - 1].0 - 1.0,
    };
    (-threshold, best_f1)
}

/// The logit of a probability, kept finite.
fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// Finds the instrument shift on `pieces` through the whole-signal path `analyze` uses.
pub fn calibrate(analyzer: &Analyzer, pieces: &[AnnotatedPiece]) -> Calibration {
    let classes = &analyzer.model().sidecar.classes;
    let mut cells = Vec::new();
    for piece in pieces {
        let frames = frame_count(piece.samples.len(), ANALYSIS_RATE);
        let truth = label_score(&piece.score, classes, frames);
        let analysis = analyzer.analyze_16k(&piece.samples, frames, &mut |_, _| {});
        cells.extend(
            analysis
                .predictions
                .instrument
                .iter()
                .zip(&truth.instrument)
                .map(|(&p, &t)| (logit(p), t > 0.5)),
        );
    }
    let (shift, f1_after) = best_logit_shift(&cells);
    Calibration {
        instrument_logit_shift: shift,
        pieces: pieces.len(),
        instrument_f1_before: f1_at(&cells, 0.0),
        instrument_f1_after: f1_after,
    }
}

/// Refuses a model that already carries a calibration: shifts would stack, and the sidecar
/// could record only the last.
pub fn ensure_uncalibrated(sidecar: &ModelSidecar) -> Result<()> {
    if sidecar.training.get("calibration").is_some() {
        bail!("this model is already calibrated; calibrate the model its training run wrote");
    }
    Ok(())
}

/// `sidecar` with `calibration` recorded beside the training run that made the weights.
pub fn record(mut sidecar: ModelSidecar, calibration: &Calibration) -> ModelSidecar {
    if let Some(training) = sidecar.training.as_object_mut() {
        training.insert(
            "calibration".into(),
            serde_json::to_value(calibration).expect("calibration serialises"),
        );
    }
    sidecar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_shift_puts_the_threshold_in_the_gap_where_f1_peaks() {
        // Positives at logits -0.5 and -1.5, negatives at -1.0 and -3.0: the 0.5 threshold
        // (logit 0) finds nothing; cutting between -1.5 and -3.0 finds both positives with
        // one false alarm (F1 0.8); cutting between -0.5 and -1.0 only one (F1 0.667).
        let cells = [(-0.5, true), (-1.0, false), (-1.5, true), (-3.0, false)];
        let (shift, f1) = best_logit_shift(&cells);
        assert!((shift - 2.25).abs() < 1e-6, "shift {shift}");
        assert!((f1 - 0.8).abs() < 1e-9, "F1 {f1}");
        assert_eq!(f1_at(&cells, 0.0), 0.0);
        assert!((f1_at(&cells, -shift) - f1).abs() < 1e-9);
    }

    #[test]
    fn tied_logits_are_never_split_and_no_positives_keep_the_model() {
        // One positive tied with a negative: both or neither.
        let cells = [(1.0, true), (1.0, false), (-2.0, false)];
        let (shift, f1) = best_logit_shift(&cells);
        assert!((f1 - 2.0 / 3.0).abs() < 1e-9);
        assert!(
            (shift - 0.5).abs() < 1e-6,
            "threshold midway to -2: shift {shift}"
        );
        assert_eq!(best_logit_shift(&[(0.3, false), (-1.0, false)]), (0.0, 0.0));
    }
}
