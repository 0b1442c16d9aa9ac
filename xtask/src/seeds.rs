//! Every seed range of the project's music in one place, so that no two uses ever draw the
//! same piece: training draws below [`VALIDATION_SEED`]; `eval`, `calibrate` and the pieces
//! that watch a training run each own 2^32 seeds above it.

/// First seed of the pieces `cargo xtask eval --data validation` scores.
pub const VALIDATION_SEED: u64 = u64::MAX / 2;
/// First seed of the pieces `cargo xtask calibrate` fits on, past the ones `eval` scores.
pub const CALIBRATION_SEED: u64 = VALIDATION_SEED + (1 << 32);
/// First seed of the pieces that watch a run (validation passes, early stopping, the best
/// model): past the ones `eval` scores and `calibrate` fits on, so a model chosen on them is
/// still scored on music it was never picked for.
pub const EARLY_STOPPING_SEED: u64 = VALIDATION_SEED + (2 << 32);

// Each set can grow to 2^32 pieces without reaching the next.
const _: () = assert!(CALIBRATION_SEED - VALIDATION_SEED >= 1 << 32);
const _: () = assert!(EARLY_STOPPING_SEED - CALIBRATION_SEED >= 1 << 32);

/// First seed of the training pieces of a run with `seed` that is at `step`: each step owns
/// 1000 pieces, so a resumed run draws fresh ones, and every run seed stays far below
/// [`VALIDATION_SEED`].
pub fn training_seed(seed: u64, step: usize) -> u64 {
    (seed << 32) + step as u64 * 1000
}
