//! An experiment, not the product: how much YAMNet already knows of an instrument on real
//! recordings, before any head is trained. Each Bach10 stem (one instrument playing alone) is
//! run through the engine's YAMNet port; its AudioSet scores are mapped onto our classes (the
//! best score among the AudioSet classes that name each) and averaged over the stem; the
//! report gives the rank of the stem's own class among ours. Rank 1 everywhere would mean the
//! backbone alone names every instrument.

use std::path::Path;

use anyhow::{Context, Result};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::input::resample::resample;
use timbrescope_engine::networks::yamnet::YamNet;
use timbrescope_engine::networks::yamnet::log_mel::SAMPLE_RATE;

/// AudioSet class indices (YAMNet's class map) that name each of our classes. Where AudioSet
/// has no class of its own (viola, oboe, bassoon, tuba) the family it belongs to stands in.
const AUDIOSET_CLASSES: &[(&str, &[usize])] = &[
    ("piano", &[148, 149, 155]),
    ("mallet_percussion", &[173, 174, 175, 176, 177]),
    ("organ", &[150, 151, 152]),
    ("accordion", &[204]),
    ("acoustic_guitar", &[138]),
    ("electric_guitar", &[136]),
    ("bass", &[137]),
    ("violin", &[186]),
    ("viola", &[184]),
    ("cello", &[188]),
    ("contrabass", &[189]),
    ("harp", &[194]),
    ("voice", &[24, 25]),
    ("trumpet", &[182]),
    ("trombone", &[183]),
    ("tuba", &[180]),
    ("french_horn", &[181]),
    ("saxophone", &[192]),
    ("oboe", &[190]),
    ("bassoon", &[190]),
    ("clarinet", &[193]),
    ("flute", &[191]),
    ("synthesizer", &[153]),
    ("drums", &[157, 159, 160, 163]),
    ("cymbals", &[166, 167]),
];

/// Bach10's stem file suffixes and the class each plays.
const STEMS: [(&str, &str); 4] = [
    ("violin", "violin"),
    ("clarinet", "clarinet"),
    ("saxphone", "saxophone"),
    ("bassoon", "bassoon"),
];

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Our classes' mean scores over a recording.
fn class_scores(network: &mut YamNet, path: &Path) -> Result<Vec<(String, f32)>> {
    let audio = read_mono(path)?;
    let samples = resample(&audio.samples, audio.sample_rate, SAMPLE_RATE)?;
    let patches = network.analyze(&samples);
    let count = patches.len().max(1) as f32;
    Ok(AUDIOSET_CLASSES
        .iter()
        .map(|(name, indices)| {
            let mean = patches
                .iter()
                .map(|p| {
                    indices
                        .iter()
                        .map(|&i| sigmoid(p.logits[i]))
                        .fold(0.0, f32::max)
                })
                .sum::<f32>()
                / count;
            ((*name).to_owned(), mean)
        })
        .collect())
}

/// Prints, for every stem of the Bach10 folder `root`, the rank of its class and the class
/// ranked first, and the mean rank per instrument.
pub fn probe_bach10(root: &Path) -> Result<()> {
    let classes = ClassList::default_gm();
    debug_assert!(
        AUDIOSET_CLASSES
            .iter()
            .all(|(n, _)| classes.index_of(n).is_some())
    );
    let mut network = YamNet::new(&ComputeDevice::cpu().device).map_err(anyhow::Error::msg)?;
    let mut pieces: Vec<_> = std::fs::read_dir(root)
        .with_context(|| root.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    pieces.sort();
    let mut ranks: Vec<(&str, Vec<usize>)> = STEMS.iter().map(|(_, c)| (*c, Vec::new())).collect();
    for piece in &pieces {
        let name = piece.file_name().unwrap_or_default().to_string_lossy();
        for ((suffix, class), (_, found)) in STEMS.iter().zip(ranks.iter_mut()) {
            let mut scores =
                class_scores(&mut network, &piece.join(format!("{name}-{suffix}.flac")))?;
            scores.sort_by(|a, b| b.1.total_cmp(&a.1));
            let rank = 1 + scores
                .iter()
                .position(|(n, _)| n == class)
                .expect("mapped class");
            println!(
                "{name:<32} {class:<10} rank {rank:>2}, first: {}",
                scores[0].0
            );
            found.push(rank);
        }
    }
    for (class, found) in &ranks {
        let mean = found.iter().sum::<usize>() as f64 / found.len().max(1) as f64;
        let first = found.iter().filter(|&&r| r == 1).count();
        println!(
            "{class:<10} mean rank {mean:.2}, first in {first}/{}",
            found.len()
        );
    }
    Ok(())
}
