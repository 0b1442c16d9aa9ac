//! `cargo xtask synth`: writes procedural pieces to disk as 16 kHz WAV files, each with a label
//! file in the prediction format of DESIGN.md (what an ideal `analyze` would write), so that
//! rendered data can be listened to, inspected and scored with the same readers.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use timbrescope_engine::classes::{ClassList, PITCH_COUNT};
use timbrescope_engine::features::{ANALYSIS_RATE, FRAMES_PER_SECOND};
use timbrescope_engine::prediction::PredictionFile;
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::soundfont::load_soundfont;
use timbrescope_synth::wav::write_wav;

use crate::data::{LabelledAudio, render_piece};

/// The label file of a rendered piece: activity and pitch rows per frame, clip labels.
pub fn label_file(piece: &LabelledAudio, classes: &ClassList) -> PredictionFile {
    let labels = &piece.labels;
    let names = classes.names();
    PredictionFile {
        hop_s: Some(1.0 / FRAMES_PER_SECOND as f64),
        classes: names.clone(),
        instrument_activity: labels
            .instrument
            .chunks_exact(labels.classes)
            .map(<[f32]>::to_vec)
            .collect(),
        pitch_activity: labels
            .pitch
            .chunks_exact(PITCH_COUNT)
            .map(<[f32]>::to_vec)
            .collect(),
        notes: Vec::new(),
        clip_scores: names
            .into_iter()
            .zip(labels.clip.iter().copied())
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Renders pieces `first_seed..first_seed + count` from `font` into `out`.
pub fn write_pieces(
    out: &Path,
    count: usize,
    first_seed: u64,
    font: &Path,
    procedural: &ProceduralConfig,
) -> Result<()> {
    let classes = ClassList::default_gm();
    let font = load_soundfont(font)?;
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let bar = ProgressBar::new(count as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} pieces ({eta} left)")
            .expect("static template"),
    );
    for seed in first_seed..first_seed + count as u64 {
        let piece = render_piece(seed, &classes, procedural, &font)?;
        let stem = out.join(format!("piece-{seed}"));
        let wav = stem.with_extension("wav");
        write_wav(&wav, &piece.samples, ANALYSIS_RATE)
            .with_context(|| wav.display().to_string())?;
        let json = stem.with_extension("json");
        std::fs::write(
            &json,
            serde_json::to_string(&label_file(&piece, &classes))? + "\n",
        )
        .with_context(|| json.display().to_string())?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    eprintln!("wrote {count} pieces to {}", out.display());
    Ok(())
}
