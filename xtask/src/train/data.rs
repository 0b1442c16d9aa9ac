//! Training examples: procedural pieces rendered from the permitted sample sets (each part
//! drawing its own set by the configured weights), cut into 1 s windows of
//! feature frames with their exact labels, produced on background threads so data is never
//! limited to what fits on disk.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use anyhow::Result;

use crate::train::augment::{
    concatenate, random_effect, random_spectral_envelope, random_timbre_shift, random_variations,
};
use crate::train::config::AugmentationConfig;
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use timbrescope_engine::classes::{ClassList, GM_PROGRAMMES, PITCH_COUNT};
use timbrescope_engine::features::{ANALYSIS_RATE, FeatureConfig, FeatureStream, frame_count};
use timbrescope_engine::input::resample::resample;
use timbrescope_engine::timeline::WINDOW_FRAMES;
use timbrescope_synth::SampleSet;
use timbrescope_synth::labels::{FrameLabels, LabelledAudio, label_score};
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::render::{Cast, render_parts, render_score};
use timbrescope_synth::sample_sets::ensemble::{Ensemble, SourceWeight};
use timbrescope_synth::score::Score;

/// One 1 s window: `[100][F]` feature frames and its labels.
#[derive(Debug, Clone)]
pub struct Example {
    /// Feature frames, frame-major.
    pub features: Vec<f32>,
    /// Frame labels of the same 100 frames.
    pub labels: FrameLabels,
    /// `[C]`: 1 where the labels say something about the class, 0 where it is unknown (partial
    /// labels, as in OpenMIC-2018); synthesised music is labelled for every class.
    pub known: Vec<f32>,
}

/// Sample rates recordings come at; every rendered piece is made at one of them and
/// resampled to 16 kHz, as real audio is. (Rendering at 16 kHz directly left the band near
/// 8 kHz unlike any resampled input, and the model leaned on it: the same music at 96 kHz
/// was named differently from 44.1 kHz.)
const RECORDING_RATES: [u32; 6] = [22_050, 32_000, 44_100, 48_000, 88_200, 96_000];

fn recording_rate(seed: u64) -> u32 {
    RECORDING_RATES[(seed % RECORDING_RATES.len() as u64) as usize]
}

/// Renders `score` as if recorded at a rate chosen by `seed`, then brings it to 16 kHz
/// through the engine's resampler, the path every real input takes.
pub fn render_as_recorded(score: &Score, font: &SampleSet, seed: u64) -> Result<Vec<f32>> {
    let (recorded, rate) = record(score, font, seed)?;
    Ok(resample(&recorded, rate, ANALYSIS_RATE)?)
}

/// Renders `score` at the recording rate `seed` picks: the recording and its rate, for a
/// caller that resamples it to more than one rate.
pub fn record(score: &Score, font: &SampleSet, seed: u64) -> Result<(Vec<f32>, u32)> {
    let rate = recording_rate(seed);
    Ok((render_score(score, font, rate)?, rate))
}

/// Renders `score` at the recording rate `seed` picks, each part by its set in `cast`: the
/// recording and its rate.
pub fn record_cast(score: &Score, cast: &Cast, seed: u64) -> Result<(Vec<f32>, u32)> {
    if let Some(set) = cast.single() {
        return record(score, set, seed);
    }
    let rate = recording_rate(seed);
    let parts = render_parts(score, cast, rate, &[])?;
    Ok((mix_of(&parts, score.samples_at(rate)), rate))
}

/// The sum of parts rendered apart, `samples` long.
fn mix_of(parts: &[Vec<f32>], samples: usize) -> Vec<f32> {
    let mut mix = vec![0.0f32; samples];
    for part in parts {
        mix.iter_mut().zip(part).for_each(|(m, p)| *m += p);
    }
    mix
}

/// Renders `score` as recorded at the rate `seed` picks, each part by its set in `cast`,
/// labelled from its own notes. With
/// `timbre`, every part is rendered alone through a random timbre shift and spectral
/// envelope drawn from it before the mix (the same notes as another SoundFont's instruments
/// might play them); with `mask_inaudible`, the parts are rendered alone too, and the
/// instrument cells where a labelled part cannot be heard are marked unknown
/// ([`timbrescope_synth::audibility::mask_inaudible`]).
pub fn render_labelled(
    score: &Score,
    classes: &ClassList,
    cast: &Cast,
    seed: u64,
    timbre: Option<&mut StdRng>,
    mask_inaudible: bool,
) -> Result<LabelledAudio> {
    let labelled = |samples: Vec<f32>| {
        let labels = label_score(score, classes, frame_count(samples.len(), ANALYSIS_RATE));
        LabelledAudio { samples, labels }
    };
    if let Some(font) = cast
        .single()
        .filter(|_| timbre.is_none() && !mask_inaudible)
    {
        return Ok(labelled(render_as_recorded(score, font, seed)?));
    }
    let rate = recording_rate(seed);
    let parts = match timbre {
        Some(rng) => {
            let shifts: Vec<_> = score
                .parts
                .iter()
                .map(|part| random_timbre_shift(part.voice, rng))
                .collect();
            let mut parts = render_parts(score, cast, rate, &shifts)?;
            parts
                .iter_mut()
                .for_each(|part| random_spectral_envelope(part, rate, rng));
            parts
        }
        None => render_parts(score, cast, rate, &[])?,
    };
    let mix = mix_of(&parts, score.samples_at(rate));
    let mut piece = labelled(resample(&mix, rate, ANALYSIS_RATE)?);
    if mask_inaudible {
        timbrescope_synth::audibility::mask_inaudible(
            &mut piece.labels,
            score,
            classes,
            &parts,
            &mix,
            rate,
        );
    }
    Ok(piece)
}

/// Renders the procedural piece of `seed` with its labels, its parts fitted to the voices
/// `font` plays ([`SampleSet::fit`]; timbre varied with `timbre`).
pub fn render_piece(
    seed: u64,
    classes: &ClassList,
    procedural: &ProceduralConfig,
    font: &SampleSet,
    timbre: Option<&mut StdRng>,
) -> Result<LabelledAudio> {
    let mut score = generate(classes, procedural, seed);
    font.fit(&mut score, classes);
    render_labelled(&score, classes, &font.into(), seed, timbre, false)
}

/// Mixup for multi-label music (Zhong et al.): the sum of two signals, `other` scaled by
/// `gain`, labelled with the union of both label sets (everything that sounds is active).
/// The result has `base`'s length; `other` is cut or padded with silence to fit.
pub fn mixup(mut base: LabelledAudio, other: &LabelledAudio, gain: f32) -> LabelledAudio {
    for (s, o) in base.samples.iter_mut().zip(&other.samples) {
        *s += gain * o;
    }
    // A cell is known where either side labels it present and known, or neither labels it
    // present; a present cell known on neither side stays unknown.
    let present_known = |label: f32, known: f32| label > 0.0 && known > 0.0;
    let (mine, theirs) = (&mut base.labels, &other.labels);
    for (i, known) in mine.instrument_known.iter_mut().enumerate() {
        let present = mine.instrument[i] > 0.0 || theirs.instrument[i] > 0.0;
        let heard = present_known(mine.instrument[i], *known)
            || present_known(theirs.instrument[i], theirs.instrument_known[i]);
        *known = if heard || !present { 1.0 } else { 0.0 };
    }
    let union = |mine: &mut [f32], theirs: &[f32]| {
        mine.iter_mut()
            .zip(theirs)
            .for_each(|(m, t)| *m = m.max(*t))
    };
    union(&mut base.labels.instrument, &other.labels.instrument);
    union(&mut base.labels.pitch, &other.labels.pitch);
    union(&mut base.labels.pianoroll, &other.labels.pianoroll);
    union(&mut base.labels.clip, &other.labels.clip);
    union(&mut base.labels.programme, &other.labels.programme);
    base
}

/// Cuts a labelled signal into whole 1 s windows of feature frames.
pub fn windows_of(audio: &LabelledAudio, features: &FeatureConfig) -> Vec<Example> {
    let labels = &audio.labels;
    let frames = labels.frames;
    let mut stream = FeatureStream::new(features);
    let per_frame = stream.frame_len();
    let mut feature_frames = Vec::with_capacity(frames * per_frame);
    stream.push(&audio.samples, &mut feature_frames);
    stream.finish(frames, &mut feature_frames);
    (0..frames / WINDOW_FRAMES)
        .map(|w| {
            let per = w * WINDOW_FRAMES * per_frame..(w + 1) * WINDOW_FRAMES * per_frame;
            Example {
                features: feature_frames[per].to_vec(),
                labels: labels.window(w * WINDOW_FRAMES, WINDOW_FRAMES),
                known: vec![1.0; labels.classes],
            }
        })
        .collect()
}

/// Renders the procedural piece of `seed` and cuts it into whole 1 s windows.
pub fn piece_examples(
    seed: u64,
    classes: &ClassList,
    features: &FeatureConfig,
    procedural: &ProceduralConfig,
    font: &SampleSet,
) -> Result<Vec<Example>> {
    Ok(windows_of(
        &render_piece(seed, classes, procedural, font, None)?,
        features,
    ))
}

/// Seed offset of mixup partners, far from the pieces' own seeds.
const PARTNER_SEED_OFFSET: u64 = 1 << 40;

/// The examples of piece `seed` as training sees them, each augmentation applied with its
/// probability: mixup with a partner piece at a random gain in [0.3, 1], concatenation with
/// another piece at a random frame, one random audio effect; every part is played by a set
/// drawn from `ensemble`; with `timbre_probability`, the piece and its partners are rendered
/// with their parts' timbres varied, and with `variation_probability` each part is played by
/// another of its set's presets of its voice.
pub fn training_examples(
    seed: u64,
    classes: &ClassList,
    features: &FeatureConfig,
    spec: &DataSpec,
    ensemble: &Ensemble,
) -> Result<Vec<Example>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x006d_6978_7570);
    // Its own stream, so configs without timbre variation draw exactly as before.
    let mut timbre_rng = StdRng::seed_from_u64(seed ^ 0x7469_6d62_7265);
    let vary = timbre_rng.random_bool(spec.augmentation.timbre_probability.clamp(0.0, 1.0));
    let mut variation_rng = StdRng::seed_from_u64(seed ^ 0x0076_6172_6961);
    let mut cast_rng = StdRng::seed_from_u64(seed ^ 0x0063_6173_7473);
    let mut render = |seed: u64| -> Result<LabelledAudio> {
        let mut score = generate(classes, &spec.procedural, seed);
        let cast = ensemble.cast(&score, &mut cast_rng)?;
        random_variations(
            &mut score,
            &cast,
            spec.augmentation.variation_probability,
            &mut variation_rng,
        );
        render_labelled(
            &score,
            classes,
            &cast,
            seed,
            vary.then_some(&mut timbre_rng),
            spec.mask_inaudible,
        )
    };
    let mut piece = render(seed)?;
    let mut partner = |offset: u64| render(seed + offset * PARTNER_SEED_OFFSET);
    if rng.random_bool(spec.augmentation.mixup_probability.clamp(0.0, 1.0)) {
        piece = mixup(piece, &partner(1)?, rng.random_range(0.3..1.0));
    }
    if rng.random_bool(spec.augmentation.concat_probability.clamp(0.0, 1.0)) {
        let cut =
            rng.random_range(WINDOW_FRAMES / 4..piece.labels.frames.max(WINDOW_FRAMES / 4 + 1));
        piece = concatenate(piece, &partner(2)?, cut);
    }
    if rng.random_bool(spec.augmentation.effects_probability.clamp(0.0, 1.0)) {
        random_effect(&mut piece.samples, &mut rng);
    }
    Ok(windows_of(&piece, features))
}

/// Where examples come from: weighted timbre sources and a seed range.
#[derive(Debug, Clone)]
pub struct DataSpec {
    /// The sources parts draw their sample set from, with weights.
    pub sources: Vec<SourceWeight>,
    /// First piece seed; piece `i` uses `first_seed + i`.
    pub first_seed: u64,
    /// Generator settings.
    pub procedural: ProceduralConfig,
    /// Which augmentations apply, and how often.
    pub augmentation: AugmentationConfig,
    /// Marks instrument labels of parts that cannot be heard unknown (see
    /// [`timbrescope_synth::audibility`]).
    pub mask_inaudible: bool,
}

/// Items rendered on background threads, in the order each worker makes them: worker `k` of
/// `n` renders the pieces `first_seed + k`, `+ k + n`, … and sends each piece's items; a piece
/// that cannot be rendered (a source lacks its instrument) is skipped.
pub struct RenderStream<T> {
    receiver: Receiver<T>,
    workers: Vec<JoinHandle<()>>,
}

impl<T: Send + 'static> RenderStream<T> {
    /// Starts `threads` workers, each with the renderer `renderer` makes for it (so that it
    /// holds its own copies of what rendering needs); at most `queued` items wait.
    pub fn start<R>(
        first_seed: u64,
        threads: usize,
        queued: usize,
        renderer: impl Fn() -> R,
    ) -> Self
    where
        R: FnMut(u64) -> Result<Vec<T>> + Send + 'static,
    {
        let (sender, receiver) = sync_channel(queued);
        let threads = threads.max(1);
        let workers = (0..threads)
            .map(|k| {
                let (mut render, sender): (R, SyncSender<T>) = (renderer(), sender.clone());
                std::thread::spawn(move || {
                    let mut seed = first_seed + k as u64;
                    loop {
                        for item in render(seed).unwrap_or_default() {
                            if sender.send(item).is_err() {
                                return;
                            }
                        }
                        seed += threads as u64;
                    }
                })
            })
            .collect();
        Self { receiver, workers }
    }

    /// The next item (blocks until one is rendered).
    pub fn next(&self) -> T {
        self.receiver
            .recv()
            .expect("workers run until the stream is dropped")
    }
}

impl<T> Drop for RenderStream<T> {
    fn drop(&mut self) {
        // Dropping the receiver ends each worker at its next send.
        let (_, dead) = sync_channel(0);
        drop(std::mem::replace(&mut self.receiver, dead));
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Training examples of `spec`'s pieces, rendered on `threads` background threads.
pub fn example_stream(
    spec: DataSpec,
    classes: ClassList,
    features: FeatureConfig,
    threads: usize,
) -> Result<RenderStream<Example>> {
    let ensemble = Ensemble::load(&spec.sources)?;
    let first_seed = spec.first_seed;
    Ok(RenderStream::start(first_seed, threads, 256, move || {
        let (spec, classes, features, ensemble) = (
            spec.clone(),
            classes.clone(),
            features.clone(),
            ensemble.clone(),
        );
        move |seed| training_examples(seed, &classes, &features, &spec, &ensemble)
    }))
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
    /// `[batch, C]`: which classes each example is labelled for.
    pub known: Tensor<2>,
    /// `[batch, 100, 128]`: the General MIDI programmes sounding in each frame.
    pub programme: Tensor<3>,
    /// `[batch, 100, C]`: which instrument cells are labelled for (the example's known
    /// classes, less the cells of parts that cannot be heard).
    pub instrument_known: Tensor<3>,
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
        known: Tensor::from_data(TensorData::new(stack(&|e| &e.known), [n, c]), device),
        programme: Tensor::from_data(
            TensorData::new(stack(&|e| &e.labels.programme), [n, t, GM_PROGRAMMES]),
            device,
        ),
        instrument_known: Tensor::from_data(
            TensorData::new(
                examples
                    .iter()
                    .flat_map(|e| {
                        e.labels
                            .instrument_known
                            .chunks_exact(c)
                            .flat_map(|row| row.iter().zip(&e.known).map(|(f, k)| f * k))
                    })
                    .collect::<Vec<f32>>(),
                [n, t, c],
            ),
            device,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_synth::sample_sets::load_soundfont;

    #[test]
    fn every_recording_rate_gives_a_16k_signal_aligned_with_its_labels() {
        use timbrescope_synth::score::{Part, ScoreNote, Voice};
        let font = load_soundfont(std::path::Path::new(
            timbrescope_synth::sample_sets::TRAINING_FONT,
        ))
        .unwrap();
        let note = ScoreNote {
            onset: 0.5,
            duration: 0.5,
            key: 60,
            velocity: 100,
        };
        let score = Score {
            parts: vec![Part::new(Voice::Program(0), vec![note])],
            duration: 1.5,
        };
        for seed in 0..RECORDING_RATES.len() as u64 {
            let samples = render_as_recorded(&score, &font, seed).unwrap();
            assert_eq!(
                samples.len(),
                24_000,
                "rate {}",
                RECORDING_RATES[seed as usize]
            );
            // The note starts at 0.5 s whatever the rate: silence before, sound just after.
            let energy =
                |from: usize, to: usize| samples[from..to].iter().map(|s| s * s).sum::<f32>();
            assert!(
                energy(0, 7_800) < 1e-6,
                "sound before the onset at seed {seed}"
            );
            assert!(
                energy(8_000, 8_800) > 1e-3,
                "no sound after the onset at seed {seed}"
            );
        }
    }
    use std::path::Path;
    use timbrescope_synth::sample_sets::TRAINING_FONT;

    #[test]
    fn a_timbre_varied_piece_keeps_its_labels_and_length_and_sounds_different() {
        use crate::test_signals::rms;
        let classes = ClassList::default_gm();
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        let procedural = ProceduralConfig {
            duration: 2.0,
            min_instruments: 3,
            max_instruments: 3,
            ..ProceduralConfig::default()
        };
        let plain = render_piece(21, &classes, &procedural, &font, None).unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        let varied = render_piece(21, &classes, &procedural, &font, Some(&mut rng)).unwrap();
        assert_eq!(varied.samples.len(), plain.samples.len());
        assert_eq!(varied.labels.instrument, plain.labels.instrument);
        assert_eq!(varied.labels.pianoroll, plain.labels.pianoroll);
        let difference: Vec<f32> = varied
            .samples
            .iter()
            .zip(&plain.samples)
            .map(|(v, p)| v - p)
            .collect();
        assert!(
            rms(&difference) > 0.2 * rms(&plain.samples),
            "the varied rendering is almost the plain one"
        );
        assert!(
            rms(&varied.samples) > 0.25 * rms(&plain.samples)
                && rms(&varied.samples) < 4.0 * rms(&plain.samples),
            "variation keeps the level within 12 dB"
        );
    }

    #[test]
    fn mixup_sums_the_audio_and_labels_the_union() {
        let classes = ClassList::default_gm();
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        let procedural = ProceduralConfig {
            duration: 1.0,
            min_instruments: 1,
            max_instruments: 2,
            ..ProceduralConfig::default()
        };
        let a = render_piece(11, &classes, &procedural, &font, None).unwrap();
        let b = render_piece(12, &classes, &procedural, &font, None).unwrap();
        assert_ne!(
            a.labels.clip, b.labels.clip,
            "the two pieces should differ in instruments"
        );
        let mixed = mixup(a.clone(), &b, 0.5);
        for i in [0, 1000, 8000, 15_999] {
            assert!((mixed.samples[i] - (a.samples[i] + 0.5 * b.samples[i])).abs() < 1e-6);
        }
        let union = |x: &[f32], y: &[f32]| -> Vec<f32> {
            x.iter()
                .zip(y)
                .map(|(p, q)| if *p > 0.0 || *q > 0.0 { 1.0 } else { 0.0 })
                .collect()
        };
        assert_eq!(
            mixed.labels.instrument,
            union(&a.labels.instrument, &b.labels.instrument)
        );
        assert_eq!(mixed.labels.pitch, union(&a.labels.pitch, &b.labels.pitch));
        assert_eq!(
            mixed.labels.pianoroll,
            union(&a.labels.pianoroll, &b.labels.pianoroll)
        );
        assert_eq!(mixed.labels.clip, union(&a.labels.clip, &b.labels.clip));
        assert_eq!(
            mixed.labels.programme,
            union(&a.labels.programme, &b.labels.programme)
        );
    }

    #[test]
    fn mixup_keeps_a_cell_unknown_only_where_neither_side_knows_the_class_is_heard() {
        // One class, four frames: (label, known) of each side per frame.
        let side = |cells: [(f32, f32); 4]| {
            let mut labels = FrameLabels::silent(4, 1);
            for (t, (label, known)) in cells.into_iter().enumerate() {
                labels.instrument[t] = label;
                labels.instrument_known[t] = known;
            }
            LabelledAudio {
                samples: vec![0.0; 4 * timbrescope_engine::features::HOP_SAMPLES],
                labels,
            }
        };
        let base = side([(1.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        let other = side([(0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]);
        let mixed = mixup(base, &other, 0.5);
        assert_eq!(mixed.labels.instrument, vec![1.0, 1.0, 1.0, 0.0]);
        assert_eq!(mixed.labels.instrument_known, vec![0.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn masking_inaudible_labels_keeps_the_sound_and_the_labels_and_unknowns_some_cells() {
        use crate::test_signals::rms;
        let classes = ClassList::default_gm();
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        let (mut labelled, mut unknown) = (0, 0);
        for seed in 0..12 {
            let score = generate(&classes, &ProceduralConfig::default(), seed);
            let plain =
                render_labelled(&score, &classes, &(&font).into(), seed, None, false).unwrap();
            let masked =
                render_labelled(&score, &classes, &(&font).into(), seed, None, true).unwrap();
            // The parts rendered alone and summed sound as the score rendered at once.
            let difference: Vec<f32> = plain
                .samples
                .iter()
                .zip(&masked.samples)
                .map(|(a, b)| a - b)
                .collect();
            assert_eq!(plain.samples.len(), masked.samples.len());
            assert!(
                rms(&difference) < 0.01 * rms(&plain.samples),
                "seed {seed}: the mix changed"
            );
            assert_eq!(plain.labels.instrument, masked.labels.instrument);
            assert!(plain.labels.instrument_known.iter().all(|&k| k == 1.0));
            for (&label, &known) in masked
                .labels
                .instrument
                .iter()
                .zip(&masked.labels.instrument_known)
            {
                labelled += usize::from(label > 0.0);
                unknown += usize::from(known == 0.0);
                assert!(label > 0.0 || known == 1.0, "an absent cell made unknown");
            }
        }
        // About 2 % of labelled cells are buried in procedural mixtures.
        let share = unknown as f64 / labelled as f64;
        assert!((0.002..0.1).contains(&share), "unknown share {share}");
    }
}
