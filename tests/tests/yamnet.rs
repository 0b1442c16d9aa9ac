//! YAMNet inside the engine: the Rust front end and the burn port against the original
//! pipeline's outputs on two committed snippets (tools/yamnet/reference.py).

use std::path::Path;

use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::networks::yamnet::log_mel::{
    LogMel, MEL_BANDS, PATCH_FRAMES, PATCH_HOP_FRAMES, SAMPLE_RATE,
};
use timbrescope_engine::networks::yamnet::{CLASS_COUNT, EMBEDDING_WIDTH, YamNet};

const FRAMES: usize = 144;

struct Reference {
    audio: Vec<f32>,
    frames: Vec<f32>,
    /// Per patch: logits, embedding.
    patches: Vec<(Vec<f32>, Vec<f32>)>,
}

fn fixture(name: &str) -> Reference {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/yamnet");
    let audio = read_mono(&dir.join(format!("{name}.wav"))).expect("fixture audio reads");
    assert_eq!(audio.sample_rate, SAMPLE_RATE);
    let bytes = std::fs::read(dir.join(format!("{name}.ref"))).expect("fixture reference reads");
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let (frames, rest) = values.split_at(FRAMES * MEL_BANDS);
    let patches = rest
        .chunks_exact(CLASS_COUNT + EMBEDDING_WIDTH)
        .map(|p| (p[..CLASS_COUNT].to_vec(), p[CLASS_COUNT..].to_vec()))
        .collect();
    Reference {
        audio: audio.samples,
        frames: frames.to_vec(),
        patches,
    }
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The front end computes in f32 as torchaudio does; the reference is f64. Bands within 40 dB
/// of their frame's loudest must agree to 1e-3 in log (0.1 %); quieter ones, where f32
/// round-off of the FFT dominates, to 1e-4 of that loudest band in magnitude.
#[test]
fn the_front_end_matches_the_original_log_mel_frames() {
    for name in ["chord", "melody"] {
        let reference = fixture(name);
        let frames = LogMel::new().frames(&reference.audio);
        assert_eq!(frames.len(), FRAMES * MEL_BANDS);
        let (mut worst_log, mut worst_quiet) = (0.0f32, 0.0f32);
        for (mine, theirs) in frames
            .chunks_exact(MEL_BANDS)
            .zip(reference.frames.chunks_exact(MEL_BANDS))
        {
            let peak = theirs.iter().map(|v| v.exp()).fold(0.0, f32::max);
            for (a, b) in mine.iter().zip(theirs) {
                if b.exp() > 0.01 * peak {
                    worst_log = worst_log.max((a - b).abs());
                } else {
                    worst_quiet = worst_quiet.max((a.exp() - b.exp()).abs() / peak);
                }
            }
        }
        eprintln!(
            "{name}: largest log difference {worst_log:.2e}, quiet bands {worst_quiet:.2e} of peak"
        );
        assert!(
            worst_log < 1e-3 && worst_quiet < 1e-4,
            "{name}: {worst_log}, {worst_quiet}"
        );
    }
}

#[test]
fn the_port_reproduces_the_original_network_and_the_whole_path_agrees() {
    let device = ComputeDevice::cpu().device;
    let mut network = YamNet::new(&device).expect("the YAMNet weights are in the checkout");
    for name in ["chord", "melody"] {
        let reference = fixture(name);
        // The network alone, on the reference frames.
        let patches: Vec<f32> = (0..2)
            .flat_map(|p| {
                let start = p * PATCH_HOP_FRAMES * MEL_BANDS;
                reference.frames[start..start + PATCH_FRAMES * MEL_BANDS].to_vec()
            })
            .collect();
        let outputs = network.run(&patches);
        assert_eq!(outputs.len(), 2);
        for (out, (logits, embedding)) in outputs.iter().zip(&reference.patches) {
            let (l, e) = (
                largest_difference(&out.logits, logits),
                largest_difference(&out.embedding, embedding),
            );
            eprintln!("{name}: largest logit difference {l:.2e}, embedding {e:.2e}");
            assert!(l < 1e-3 && e < 1e-3, "{name}: logits {l}, embedding {e}");
        }
        // Audio in, through the Rust front end.
        let whole = network.analyze(&reference.audio);
        assert_eq!(whole.len(), 2);
        for (out, (logits, _)) in whole.iter().zip(&reference.patches) {
            let l = largest_difference(&out.logits, logits);
            assert!(l < 1e-2, "{name}: logits from audio differ by {l}");
        }
    }
}
