//! An experiment, not the product: a linear head on frozen YAMNet embeddings, trained on
//! music rendered from the permitted timbre sources, that says which instruments sound in
//! each 0.96 s patch; scored beside the shipped model (its frame activity max-pooled over the
//! same patches) on the TimGM6mb validation music and on Bach10, and left one source out at a
//! time to see how far it generalises to sample sets it never heard. It measures the first half
//! of the recogniser's design: does the backbone say *which* instruments are present? And
//! mixed into the shipped model's instrument activity (one weight for all classes, or one per
//! class chosen on the training sources the shipped model never heard), does the analysis
//! name them better frame by frame?

use std::path::Path;

use anyhow::Result;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use rand::SeedableRng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use timbrescope_engine::analysis::{Analyzer, DEFAULT_FILE_HOP_FRAMES};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::features::{ANALYSIS_RATE, frame_count};
use timbrescope_engine::networks::model_file::load_or_built_in;
use timbrescope_engine::networks::yamnet::log_mel::{PATCH_FRAMES, PATCH_HOP_FRAMES};
use timbrescope_engine::networks::yamnet::{EMBEDDING_WIDTH, YamNet};
use timbrescope_synth::labels::label_score;
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::render::Cast;
use timbrescope_synth::sample_sets::catalogue::Source;
use timbrescope_synth::sample_sets::{VALIDATION_FONT, load_soundfont};

use crate::eval::{AnnotatedPiece, Tally, bach10_pieces, validation_pieces};
use crate::metrics::{Counts, lrap_of_clip};
use crate::seeds::VALIDATION_SEED;
use crate::train::data::render_labelled;

/// One patch: its embedding and which classes sound in it.
struct Patch {
    embedding: Vec<f32>,
    present: Vec<f32>,
}

/// The largest value of each class over each patch's frames of `values` (`[T][C]` at
/// 100 frames/s): a label's presence in the patch, or a model's activity pooled over it.
fn max_per_patch(values: &[f32], classes: usize, patches: usize) -> Vec<Vec<f32>> {
    let frames = values.len() / classes;
    (0..patches)
        .map(|p| {
            let span = (p * PATCH_HOP_FRAMES).min(frames)
                ..(p * PATCH_HOP_FRAMES + PATCH_FRAMES).min(frames);
            (0..classes)
                .map(|c| {
                    span.clone()
                        .map(|t| values[t * classes + c])
                        .fold(0.0, f32::max)
                })
                .collect()
        })
        .collect()
}

/// Which classes sound in each patch of `[T][C]` frame labels.
fn presence(instrument: &[f32], classes: usize, patches: usize) -> Vec<Vec<f32>> {
    max_per_patch(instrument, classes, patches)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| f32::from(u8::from(v > 0.5)))
                .collect()
        })
        .collect()
}

fn embed(
    network: &mut YamNet,
    samples_16k: &[f32],
    instrument: &[f32],
    classes: usize,
) -> Vec<Patch> {
    let outputs = network.analyze(samples_16k);
    presence(instrument, classes, outputs.len())
        .into_iter()
        .zip(outputs)
        .map(|(present, out)| Patch {
            embedding: out.embedding,
            present,
        })
        .collect()
}

#[derive(Module, Debug)]
struct PresenceHead {
    linear: Linear,
}

/// Passes over the training patches. Longer fits the synthetic music better and the held-out
/// music worse (150 epochs: TimGM6mb patch F1 0.263 against 0.306 at 40; a 256-unit hidden
/// layer, 0.233).
const EPOCHS: usize = 50;

/// Per-dimension mean and spread of the training embeddings, so the head sees unit-scale inputs.
struct Standardise {
    mean: Vec<f32>,
    scale: Vec<f32>,
}

impl Standardise {
    fn fit(patches: &[&Patch]) -> Self {
        let n = patches.len().max(1) as f32;
        let mut mean = vec![0.0f32; EMBEDDING_WIDTH];
        for p in patches {
            mean.iter_mut()
                .zip(&p.embedding)
                .for_each(|(m, e)| *m += e / n);
        }
        let mut var = vec![0.0f32; EMBEDDING_WIDTH];
        for p in patches {
            for ((v, e), m) in var.iter_mut().zip(&p.embedding).zip(&mean) {
                *v += (e - m).powi(2) / n;
            }
        }
        let scale = var.iter().map(|v| 1.0 / (v.sqrt() + 1e-3)).collect();
        Self { mean, scale }
    }
    fn apply(&self, patches: &[&Patch]) -> Vec<f32> {
        patches
            .iter()
            .flat_map(|p| {
                p.embedding
                    .iter()
                    .zip(&self.mean)
                    .zip(&self.scale)
                    .map(|((e, m), s)| (e - m) * s)
            })
            .collect()
    }
}

fn train_head(patches: &[&Patch], classes: usize, standardise: &Standardise) -> PresenceHead {
    let device = ComputeDevice::cpu().device.autodiff();
    let mut head = PresenceHead {
        linear: LinearConfig::new(EMBEDDING_WIDTH, classes).init(&device),
    };
    let mut optim: ModuleOptimizer = AdamConfig::new().with_weight_decay(None).init();
    let inputs = standardise.apply(patches);
    let targets: Vec<f32> = patches
        .iter()
        .flat_map(|p| p.present.iter().copied())
        .collect();
    const BATCH: usize = 256;
    let count = patches.len();
    for epoch in 0..EPOCHS {
        let mut total = 0.0;
        for start in (0..count).step_by(BATCH) {
            let end = (start + BATCH).min(count);
            let x = Tensor::<2>::from_data(
                TensorData::new(
                    inputs[start * EMBEDDING_WIDTH..end * EMBEDDING_WIDTH].to_vec(),
                    [end - start, EMBEDDING_WIDTH],
                ),
                &device,
            );
            let y = Tensor::<2>::from_data(
                TensorData::new(
                    targets[start * classes..end * classes].to_vec(),
                    [end - start, classes],
                ),
                &device,
            );
            let loss = crate::train::loss::bce_with_logits(head.linear.forward(x), y, 2.0);
            total += f64::from(loss.clone().into_scalar::<f32>());
            let grads = GradientsParams::from_grads(loss.backward(), &head);
            head = optim.step(1e-3, head, grads);
        }
        if epoch % 50 == 49 {
            eprintln!(
                "head epoch {}: loss {:.4}",
                epoch + 1,
                total / count.div_ceil(BATCH) as f64
            );
        }
    }
    head.valid()
}

/// Micro F1 over (patch, class) cells, mean LRAP over patches, and per-class F1.
struct Scores {
    micro: Counts,
    per_class: Vec<Counts>,
    lrap: Vec<f64>,
}

impl Scores {
    fn new(classes: usize) -> Self {
        Self {
            micro: Counts::default(),
            per_class: vec![Counts::default(); classes],
            lrap: Vec::new(),
        }
    }
    fn add(&mut self, predicted: &[f32], truth: &[f32]) {
        self.micro.add(predicted, truth, 0.5);
        for (c, counts) in self.per_class.iter_mut().enumerate() {
            counts.add_cell(predicted[c], truth[c], 0.5);
        }
        if let Some(l) = lrap_of_clip(predicted, truth) {
            self.lrap.push(l);
        }
    }
    fn mean_lrap(&self) -> f64 {
        self.lrap.iter().sum::<f64>() / self.lrap.len().max(1) as f64
    }
    fn line(&self, label: &str, classes: &ClassList, shown: &[&str]) -> String {
        let lrap = self.mean_lrap();
        let mut line = format!(
            "{label:<28} micro F1 {:.3}  LRAP {lrap:.3}",
            self.micro.f1()
        );
        for name in shown {
            if let Some(i) = classes.index_of(name) {
                line += &format!("  {name} {:.2}", self.per_class[i].f1());
            }
        }
        line
    }
}

/// An evaluation set embedded once: its patches and the shipped model's activity pooled
/// over each.
struct Embedded {
    patches: Vec<Patch>,
    shipped: Vec<Vec<f32>>,
}

fn embed_set(
    pieces: &[AnnotatedPiece],
    network: &mut YamNet,
    shipped: &Analyzer,
    classes: &ClassList,
) -> Embedded {
    let c = classes.len();
    let mut set = Embedded {
        patches: Vec::new(),
        shipped: Vec::new(),
    };
    for piece in pieces {
        let frames = frame_count(piece.samples.len(), ANALYSIS_RATE);
        let truth = label_score(&piece.score, classes, frames);
        let patches = embed(network, &piece.samples, &truth.instrument, c);
        let analysis = shipped.analyze_16k(&piece.samples, frames, &mut |_, _| {});
        set.shipped.extend(max_per_patch(
            &analysis.predictions.instrument,
            c,
            patches.len(),
        ));
        set.patches.extend(patches);
    }
    set
}

/// A head's presence probabilities for `patches`, `[patches][classes]`.
fn head_probabilities(
    patches: &[&Patch],
    head: &PresenceHead,
    standardise: &Standardise,
) -> Vec<f32> {
    let device = ComputeDevice::cpu().device;
    let head = head.clone().to_device(&device);
    let x = Tensor::<2>::from_data(
        TensorData::new(standardise.apply(patches), [patches.len(), EMBEDDING_WIDTH]),
        &device,
    );
    burn::tensor::activation::sigmoid(head.linear.forward(x))
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32")
}

/// Scores of per-patch predictions `[patches][classes]` against the patches' labels.
fn scores_of(predicted: &[f32], patches: &[&Patch], classes: usize) -> Scores {
    let mut scores = Scores::new(classes);
    for (row, patch) in predicted.chunks_exact(classes).zip(patches) {
        scores.add(row, &patch.present);
    }
    scores
}

/// A head's scores on `patches`.
fn head_scores(
    patches: &[&Patch],
    head: &PresenceHead,
    standardise: &Standardise,
    classes: usize,
) -> Scores {
    let probabilities = head_probabilities(patches, head, standardise);
    scores_of(&probabilities, patches, classes)
}

/// Prints the head's and the shipped model's scores on an evaluation set.
fn compare(
    label: &str,
    set: &Embedded,
    head: &PresenceHead,
    standardise: &Standardise,
    classes: &ClassList,
    shown: &[&str],
) {
    let patches: Vec<&Patch> = set.patches.iter().collect();
    let by_head = head_probabilities(&patches, head, standardise);
    let by_shipped: Vec<f32> = set.shipped.iter().flatten().copied().collect();
    // Both together: their mean (either can carry a class), and the shipped model's activity
    // where the head also hears the class at all (the backbone as a gate on who is present).
    let mean: Vec<f32> = by_head
        .iter()
        .zip(&by_shipped)
        .map(|(&h, &m)| mix(m, h, 0.5))
        .collect();
    let gated: Vec<f32> = by_head
        .iter()
        .zip(&by_shipped)
        .map(|(&h, &m)| if h >= HEAD_GATE { m } else { 0.0 })
        .collect();
    for (name, predicted) in [
        ("YAMNet + head", &by_head),
        ("shipped model", &by_shipped),
        ("mean of both", &mean),
        ("shipped, gated by head", &gated),
    ] {
        let scores = scores_of(predicted, &patches, classes.len());
        println!(
            "{}",
            scores.line(&format!("{label}: {name}"), classes, shown)
        );
    }
}

/// Head probability below which the gated combination silences the shipped model's class.
const HEAD_GATE: f32 = 0.2;

/// The shipped model's activity mixed with the head's presence, the head weighing `weight`.
fn mix(shipped: f32, head: f32, weight: f32) -> f32 {
    (1.0 - weight) * shipped + weight * head
}

/// The head's presence `[patches][C]` spread over 100 frames/s frames: each frame takes the
/// mean of the patches that cover it (the last patch past the end).
fn presence_per_frame(by_patch: &[f32], classes: usize, frames: usize) -> Vec<f32> {
    let patches = by_patch.len() / classes;
    let mut out = vec![0.0; frames * classes];
    if patches == 0 {
        return out;
    }
    for (t, row) in out.chunks_exact_mut(classes).enumerate() {
        // Patch p covers frames p·hop .. p·hop + length.
        let last = (t / PATCH_HOP_FRAMES).min(patches - 1);
        let first = (t + 1)
            .saturating_sub(PATCH_FRAMES)
            .div_ceil(PATCH_HOP_FRAMES)
            .min(last);
        let share = 1.0 / (last + 1 - first) as f32;
        for p in first..=last {
            for (o, v) in row
                .iter_mut()
                .zip(&by_patch[p * classes..(p + 1) * classes])
            {
                *o += v * share;
            }
        }
    }
    out
}

/// Scores through the analysis path, frame by frame: the shipped analysis as it is, and with
/// its instrument activity mixed with the head's presence over each frame at each of
/// [`HEAD_WEIGHTS`].
fn compare_frames(
    label: &str,
    pieces: &[AnnotatedPiece],
    network: &mut YamNet,
    shipped: &Analyzer,
    head: &PresenceHead,
    standardise: &Standardise,
    per_class: &[f32],
) {
    let class_list = &shipped.model().sidecar.classes;
    let classes = class_list.len();
    let uniform = HEAD_WEIGHTS.map(|w| (format!("head weight {w}"), vec![w; classes]));
    let chosen = ("per-class head weights".to_owned(), per_class.to_vec());
    let mixes: Vec<(String, Vec<f32>)> = uniform.into_iter().chain([chosen]).collect();
    let mut tallies: Vec<Tally> = mixes
        .iter()
        .map(|_| Tally::new(class_list.clone()))
        .collect();
    // Piece by piece, so only one analysis is held at a time.
    for piece in pieces {
        let analysis = crate::eval::file_analysis(shipped, piece);
        let patches: Vec<Patch> = network
            .analyze(&piece.samples)
            .into_iter()
            .map(|out| Patch {
                embedding: out.embedding,
                present: Vec::new(),
            })
            .collect();
        let by_patch = head_probabilities(&patches.iter().collect::<Vec<_>>(), head, standardise);
        let presence = presence_per_frame(&by_patch, classes, analysis.predictions.frames);
        for ((_, weights), tally) in mixes.iter().zip(&mut tallies) {
            let mut mixed = analysis.clone();
            let rows = mixed.predictions.instrument.chunks_exact_mut(classes);
            for (row, heard) in rows.zip(presence.chunks_exact(classes)) {
                for ((a, &h), &w) in row.iter_mut().zip(heard).zip(weights) {
                    *a = mix(*a, h, w);
                }
            }
            tally.add(shipped, piece, &mixed);
        }
    }
    for ((name, _), tally) in mixes.iter().zip(&tallies) {
        println!("{label}, frames, {name}:");
        print!("{}", crate::eval::format_table(&tally.report()));
    }
}

/// The source the shipped model was trained on, left out where the mixing weights are chosen.
const SHIPPED_MODEL_SOURCE: &str = "fluidr3";
/// Head weights a class may get.
const CANDIDATE_WEIGHTS: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// For each class, the head weight among [`CANDIDATE_WEIGHTS`] whose mix of `head` and
/// `shipped` (both `[patches][classes]`) gives the best F1 on `patches`; the shipped model
/// alone (0) for a class none of them plays, and on a tie the smaller weight.
fn class_weights(patches: &[&Patch], head: &[f32], shipped: &[f32], classes: usize) -> Vec<f32> {
    (0..classes)
        .map(|c| {
            let f1 = |w: f32| {
                let mut counts = Counts::default();
                for (p, patch) in patches.iter().enumerate() {
                    let mixed = mix(shipped[p * classes + c], head[p * classes + c], w);
                    counts.add_cell(mixed, patch.present[c], 0.5);
                }
                counts.f1()
            };
            // The first weight with the best F1: strictly better replaces it.
            CANDIDATE_WEIGHTS
                .into_iter()
                .map(|w| (w, f1(w)))
                .fold((0.0, f64::NEG_INFINITY), |best, (w, f)| {
                    if f > best.1 { (w, f) } else { best }
                })
                .0
        })
        .collect()
}

/// Weights of the head's presence in the mixed instrument activity (0: the shipped model).
const HEAD_WEIGHTS: [f32; 5] = [0.0, 0.3, 0.4, 0.5, 0.6];

/// The sources pieces are drawn from, by weight (each piece from one source alone).
const SOURCES: &[(&str, f64)] = &[
    ("fluidr3", 1.0),
    ("generaluser", 1.0),
    ("freepats", 1.0),
    ("lmms", 0.5),
    ("opl3", 0.5),
    ("salamander", 0.3),
    ("csound-guitar", 0.2),
    ("csound-trumpet", 0.2),
    ("avl-black-pearl", 0.2),
    ("avl-red-zeppelin", 0.2),
];

/// Sources left out one at a time.
const LEFT_OUT: [&str; 5] = ["fluidr3", "generaluser", "freepats", "lmms", "opl3"];

/// Embeds `pieces` pieces, each rendered from one source drawn by weight (and fitted to the
/// voices it plays); trains a head on four fifths of them and scores it beside the shipped
/// model on TimGM6mb and Bach10; then, for each of [`LEFT_OUT`], trains a head without that
/// source and scores both heads on the held-out fifth of its pieces.
pub fn run(pieces: usize, validation: usize, bach10: &Path) -> Result<()> {
    let compute = ComputeDevice::cpu();
    let (model, problem) = load_or_built_in(None, &compute.device);
    if let Some(problem) = problem {
        anyhow::bail!("{problem}");
    }
    let classes = model.sidecar.classes.clone();
    let shipped = Analyzer::new(model, compute.clone(), DEFAULT_FILE_HOP_FRAMES);
    let mut network = YamNet::new(&compute.device).map_err(anyhow::Error::msg)?;
    let sets = SOURCES
        .iter()
        .map(|(name, _)| Source::named(name).and_then(Source::load))
        .collect::<Result<Vec<_>, _>>()?;
    let draw = WeightedIndex::new(SOURCES.iter().map(|(_, w)| *w))?;
    let procedural = ProceduralConfig::default();
    let mut rng = StdRng::seed_from_u64(17);
    // (source index, held out for testing, patch)
    let mut pool: Vec<(usize, bool, Patch)> = Vec::new();
    // Test patches of sources the shipped model never heard, with its activity over each:
    // where the per-class mixing weights are chosen (never on an evaluation set).
    let mut tuning: Vec<(usize, Vec<f32>)> = Vec::new();
    for i in 0..pieces as u64 {
        let source = draw.sample(&mut rng);
        let mut score = generate(&classes, &procedural, 1_000_000 + i);
        sets[source].fit(&mut score, &classes);
        if score.parts.is_empty() {
            continue;
        }
        let piece = render_labelled(&score, &classes, &Cast::All(&sets[source]), i, None, false)?;
        let test = i % 5 == 4;
        let patches = embed(
            &mut network,
            &piece.samples,
            &piece.labels.instrument,
            classes.len(),
        );
        let shipped_rows = (test && SOURCES[source].0 != SHIPPED_MODEL_SOURCE).then(|| {
            let frames = frame_count(piece.samples.len(), ANALYSIS_RATE);
            let analysis = shipped.analyze_16k(&piece.samples, frames, &mut |_, _| {});
            max_per_patch(
                &analysis.predictions.instrument,
                classes.len(),
                patches.len(),
            )
        });
        for (k, patch) in patches.into_iter().enumerate() {
            if let Some(rows) = &shipped_rows {
                tuning.push((pool.len(), rows[k].clone()));
            }
            pool.push((source, test, patch));
        }
        if i % 100 == 99 {
            eprintln!("{} pieces, {} patches", i + 1, pool.len());
        }
    }
    let select = |keep: &dyn Fn(usize, bool) -> bool| -> Vec<&Patch> {
        pool.iter()
            .filter(|(s, t, _)| keep(*s, *t))
            .map(|(_, _, p)| p)
            .collect()
    };
    let training = select(&|_, test| !test);
    let standardise = Standardise::fit(&training);
    let head = train_head(&training, classes.len(), &standardise);
    let tuning_patches: Vec<&Patch> = tuning.iter().map(|(i, _)| &pool[*i].2).collect();
    let tuning_head = head_probabilities(&tuning_patches, &head, &standardise);
    let tuning_shipped: Vec<f32> = tuning.iter().flat_map(|(_, row)| row.clone()).collect();
    let per_class = class_weights(
        &tuning_patches,
        &tuning_head,
        &tuning_shipped,
        classes.len(),
    );
    println!(
        "per-class head weights (chosen on {} patches of the unseen training sources): {}",
        tuning_patches.len(),
        classes
            .names()
            .iter()
            .zip(&per_class)
            .map(|(name, w)| format!("{name} {w}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let irmas = [
        "piano",
        "violin",
        "cello",
        "flute",
        "clarinet",
        "saxophone",
        "trumpet",
        "organ",
        "acoustic_guitar",
        "electric_guitar",
        "voice",
    ];
    let timgm = validation_pieces(
        validation,
        &classes,
        &procedural,
        &load_soundfont(Path::new(VALIDATION_FONT))?,
        VALIDATION_SEED,
    )?;
    compare(
        "TimGM6mb",
        &embed_set(&timgm, &mut network, &shipped, &classes),
        &head,
        &standardise,
        &classes,
        &irmas,
    );
    let bach = bach10_pieces(bach10, &classes)?;
    compare(
        "Bach10",
        &embed_set(&bach, &mut network, &shipped, &classes),
        &head,
        &standardise,
        &classes,
        &["violin", "clarinet", "saxophone", "bassoon"],
    );
    for (label, pieces) in [("TimGM6mb", &timgm), ("Bach10", &bach)] {
        compare_frames(
            label,
            pieces,
            &mut network,
            &shipped,
            &head,
            &standardise,
            &per_class,
        );
    }
    println!(
        "| left out | its test patches | head on all sources: F1, LRAP | head without it: F1, LRAP |"
    );
    for name in LEFT_OUT {
        let left = SOURCES
            .iter()
            .position(|(n, _)| *n == name)
            .expect("listed");
        let test = select(&|s, t| s == left && t);
        let without = select(&|s, t| s != left && !t);
        let standardise_without = Standardise::fit(&without);
        let head_without = train_head(&without, classes.len(), &standardise_without);
        let (with, wo) = (
            head_scores(&test, &head, &standardise, classes.len()),
            head_scores(&test, &head_without, &standardise_without, classes.len()),
        );
        println!(
            "| {name} | {} | {:.3}, {:.3} | {:.3}, {:.3} |",
            test.len(),
            with.micro.f1(),
            with.mean_lrap(),
            wo.micro.f1(),
            wo.mean_lrap()
        );
    }
    Ok(())
}
