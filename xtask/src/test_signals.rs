//! Measurements the unit tests take of rendered and processed audio.

/// Root-mean-square level: how loud a stretch of samples is, for tests that compare levels.
pub fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}
