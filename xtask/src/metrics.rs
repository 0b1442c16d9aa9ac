//! Evaluation metrics: frame-level F1 for instruments, pitches and the pianoroll, and label
//! ranking average precision (LRAP) for clip scores.

use serde::Serialize;

/// Counts of a binary decision over many cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Predicted and true.
    pub true_positive: u64,
    /// Predicted, not true.
    pub false_positive: u64,
    /// True, not predicted.
    pub false_negative: u64,
}

impl Counts {
    /// Adds the cells of `predicted` (probabilities, thresholded) against `truth` (0/1).
    pub fn add(&mut self, predicted: &[f32], truth: &[f32], threshold: f32) {
        for (&p, &t) in predicted.iter().zip(truth) {
            self.add_cell(p, t, threshold);
        }
    }

    /// Adds one cell: a probability against its 0/1 truth.
    pub fn add_cell(&mut self, predicted: f32, truth: f32, threshold: f32) {
        match (predicted >= threshold, truth > 0.5) {
            (true, true) => self.true_positive += 1,
            (true, false) => self.false_positive += 1,
            (false, true) => self.false_negative += 1,
            (false, false) => {}
        }
    }

    /// Precision; 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    /// Recall; 0 when nothing was true.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_negative)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        ratio(
            2 * self.true_positive,
            2 * self.true_positive + self.false_positive + self.false_negative,
        )
    }
}

impl std::ops::Add for Counts {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            true_positive: self.true_positive + other.true_positive,
            false_positive: self.false_positive + other.false_positive,
            false_negative: self.false_negative + other.false_negative,
        }
    }
}

/// Adds rows of `counts.len()` class cells to one [`Counts`] per class.
pub fn add_per_class(counts: &mut [Counts], predicted: &[f32], truth: &[f32], threshold: f32) {
    let width = counts.len();
    for (p_row, t_row) in predicted.chunks_exact(width).zip(truth.chunks_exact(width)) {
        for ((count, &p), &t) in counts.iter_mut().zip(p_row).zip(t_row) {
            count.add_cell(p, t, threshold);
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Label ranking average precision of one clip (scikit-learn's definition); `None` for a
/// clip without any true label, which LRAP skips.
pub fn lrap_of_clip(scores: &[f32], truth: &[f32]) -> Option<f64> {
    let relevant: Vec<usize> = (0..truth.len()).filter(|&i| truth[i] > 0.5).collect();
    if relevant.is_empty() {
        return None;
    }
    let rank_among = |i: usize, pool: &mut dyn Iterator<Item = usize>| {
        pool.filter(|&j| scores[j] >= scores[i]).count()
    };
    let total: f64 = relevant
        .iter()
        .map(|&i| {
            let rank = rank_among(i, &mut (0..scores.len()));
            let relevant_rank = rank_among(i, &mut relevant.iter().copied());
            relevant_rank as f64 / rank as f64
        })
        .sum();
    Some(total / relevant.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_matches_hand_counts() {
        let mut counts = Counts::default();
        counts.add(&[0.9, 0.8, 0.1, 0.7], &[1.0, 0.0, 1.0, 1.0], 0.5);
        assert_eq!(
            counts,
            Counts {
                true_positive: 2,
                false_positive: 1,
                false_negative: 1
            }
        );
        assert!((counts.f1() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn lrap_matches_the_scikit_learn_worked_example() {
        // sklearn.metrics.label_ranking_average_precision_score docs: answer 0.416666...
        let a = lrap_of_clip(&[0.75, 0.5, 1.0], &[1.0, 0.0, 0.0]).unwrap();
        let b = lrap_of_clip(&[1.0, 0.2, 0.1], &[0.0, 0.0, 1.0]).unwrap();
        assert!(((a + b) / 2.0 - 0.416_666_666).abs() < 1e-6);
    }
}
