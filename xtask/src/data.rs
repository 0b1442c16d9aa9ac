//! Training examples: procedural pieces rendered from a SoundFont, cut into 1 s windows of
//! feature frames with their exact labels, produced on background threads so data is never
//! limited to what fits on disk.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use anyhow::Result;
use burn::prelude::*;
use timbrescope_engine::classes::{ClassList, PITCH_COUNT};
use timbrescope_engine::features::{ANALYSIS_RATE, FeatureConfig, FeatureStream, frame_count};
use timbrescope_engine::timeline::WINDOW_FRAMES;
use timbrescope_synth::SoundFont;
use timbrescope_synth::labels::{FrameLabels, label_score};
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::render::render_score;
use timbrescope_synth::soundfont::load_soundfont;

/// One 1 s window: `[100][F]` feature frames and its labels.
#[derive(Debug, Clone)]
pub struct Example {
    /// Feature frames, frame-major.
    pub features: Vec<f32>,
    /// Frame labels of the same 100 frames.
    pub labels: FrameLabels,
}

/// Renders the procedural piece of `seed` and cuts it into whole 1 s windows.
pub fn piece_examples(
    seed: u64,
    classes: &ClassList,
    features: &FeatureConfig,
    procedural: &ProceduralConfig,
    font: &Arc<SoundFont>,
) -> Result<Vec<Example>> {
    let score = generate(classes, procedural, seed);
    let audio = render_score(&score, font, ANALYSIS_RATE)?;
    let frames = frame_count(audio.len(), ANALYSIS_RATE);
    let mut stream = FeatureStream::new(features);
    let per_frame = stream.frame_len();
    let mut feature_frames = Vec::with_capacity(frames * per_frame);
    stream.push(&audio, &mut feature_frames);
    stream.finish(frames, &mut feature_frames);
    let labels = label_score(&score, classes, frames);
    let c = classes.len();
    Ok((0..frames / WINDOW_FRAMES)
        .map(|w| {
            let range = |per: usize| w * WINDOW_FRAMES * per..(w + 1) * WINDOW_FRAMES * per;
            let mut window = FrameLabels::silent(WINDOW_FRAMES, c);
            window
                .instrument
                .copy_from_slice(&labels.instrument[range(c)]);
            window
                .pitch
                .copy_from_slice(&labels.pitch[range(PITCH_COUNT)]);
            window
                .pianoroll
                .copy_from_slice(&labels.pianoroll[range(c * PITCH_COUNT)]);
            for (k, clip) in window.clip.iter_mut().enumerate() {
                *clip = if window.instrument.chunks_exact(c).any(|row| row[k] > 0.0) {
                    1.0
                } else {
                    0.0
                };
            }
            Example {
                features: feature_frames[range(per_frame)].to_vec(),
                labels: window,
            }
        })
        .collect())
}

/// Where examples come from: a font and a seed range.
#[derive(Debug, Clone)]
pub struct DataSpec {
    /// SoundFont to render with.
    pub font: PathBuf,
    /// First piece seed; piece `i` uses `first_seed + i`.
    pub first_seed: u64,
    /// Generator settings.
    pub procedural: ProceduralConfig,
}

/// Renders pieces on `threads` background threads; examples arrive through [`ExampleStream::next`].
pub struct ExampleStream {
    receiver: Receiver<Example>,
    workers: Vec<JoinHandle<()>>,
}

impl ExampleStream {
    /// Starts the workers; worker `k` renders pieces `first_seed + k`, `+ k + threads`, …
    pub fn start(
        spec: DataSpec,
        classes: ClassList,
        features: FeatureConfig,
        threads: usize,
    ) -> Result<Self> {
        let font = load_soundfont(&spec.font)?;
        let (sender, receiver) = sync_channel(256);
        let workers = (0..threads.max(1))
            .map(|k| {
                let (spec, classes, features, font, sender): (_, _, _, _, SyncSender<Example>) = (
                    spec.clone(),
                    classes.clone(),
                    features.clone(),
                    font.clone(),
                    sender.clone(),
                );
                std::thread::spawn(move || {
                    let mut seed = spec.first_seed + k as u64;
                    loop {
                        let Ok(examples) =
                            piece_examples(seed, &classes, &features, &spec.procedural, &font)
                        else {
                            seed += threads as u64;
                            continue;
                        };
                        for example in examples {
                            if sender.send(example).is_err() {
                                return;
                            }
                        }
                        seed += threads as u64;
                    }
                })
            })
            .collect();
        Ok(Self { receiver, workers })
    }

    /// The next example (blocks until one is rendered).
    pub fn next(&self) -> Example {
        self.receiver
            .recv()
            .expect("workers run until the stream is dropped")
    }
}

impl Drop for ExampleStream {
    fn drop(&mut self) {
        // Dropping the receiver ends each worker at its next send.
        let (_, dead) = sync_channel(0);
        drop(std::mem::replace(&mut self.receiver, dead));
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// A batch as tensors on a device.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[batch, 100, F]`.
    pub features: Tensor<3>,
    /// `[batch, 100, C]`.
    pub instrument: Tensor<3>,
    /// `[batch, 100, 88]`.
    pub pitch: Tensor<3>,
    /// `[batch, 100, C, 88]`.
    pub pianoroll: Tensor<4>,
    /// `[batch, C]`.
    pub clip: Tensor<2>,
}

/// Stacks examples into a [`Batch`].
pub fn batch(examples: &[Example], device: &Device) -> Batch {
    let n = examples.len();
    let c = examples[0].labels.classes;
    let f = examples[0].features.len() / WINDOW_FRAMES;
    let stack = |get: &dyn Fn(&Example) -> &[f32]| -> Vec<f32> {
        examples
            .iter()
            .flat_map(|e| get(e).iter().copied())
            .collect()
    };
    let t = WINDOW_FRAMES;
    Batch {
        features: Tensor::from_data(TensorData::new(stack(&|e| &e.features), [n, t, f]), device),
        instrument: Tensor::from_data(
            TensorData::new(stack(&|e| &e.labels.instrument), [n, t, c]),
            device,
        ),
        pitch: Tensor::from_data(
            TensorData::new(stack(&|e| &e.labels.pitch), [n, t, PITCH_COUNT]),
            device,
        ),
        pianoroll: Tensor::from_data(
            TensorData::new(stack(&|e| &e.labels.pianoroll), [n, t, c, PITCH_COUNT]),
            device,
        ),
        clip: Tensor::from_data(TensorData::new(stack(&|e| &e.labels.clip), [n, c]), device),
    }
}
