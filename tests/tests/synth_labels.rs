//! The synthesiser's labels line up with the audio it renders.

use timbrescope_engine::classes::{ClassList, GM_PROGRAMMES, LOWEST_MIDI_NOTE, PITCH_COUNT};
use timbrescope_engine::features::{
    ANALYSIS_RATE, FeatureConfig, FeatureStream, HOP_SAMPLES, frame_count,
};
use timbrescope_engine::input::resample::resample;
use timbrescope_synth::audibility::mask_inaudible;
use timbrescope_synth::labels::label_score;
use timbrescope_synth::procedural::{ProceduralConfig, generate};
use timbrescope_synth::render::{TimbreShift, render_parts};
use timbrescope_synth::score::{Part, Score, Voice};
use timbrescope_tests::{notes, render, training_font};

/// Features of `audio` (at the analysis rate), frame-major, and the length of one frame.
fn features_of(audio: &[f32]) -> (Vec<f32>, usize) {
    let config = FeatureConfig::default();
    let mut stream = FeatureStream::new(&config);
    let mut flat = Vec::new();
    stream.push(audio, &mut flat);
    stream.finish(frame_count(audio.len(), ANALYSIS_RATE), &mut flat);
    (flat, stream.frame_len())
}

/// The audio of a note of `key` labelled in the frames `active` starts sounding within 2
/// frames of its label, is silent before, and in the middle of the note the labelled key is
/// the strongest pitch-bank semitone below the octave above it (an organ's upper harmonics
/// may be stronger than its fundamental).
fn assert_note_heard(audio: &[f32], key: u8, active: &[usize]) {
    let rms: Vec<f32> = audio
        .chunks(HOP_SAMPLES)
        .map(|block| (block.iter().map(|s| s * s).sum::<f32>() / block.len() as f32).sqrt())
        .collect();
    let loudest = rms.iter().copied().fold(0.0f32, f32::max);
    let sounding = rms.iter().position(|&r| r > 0.1 * loudest).unwrap();
    assert!(
        sounding.abs_diff(active[0]) <= 2,
        "audio starts at frame {sounding}, label at {}",
        active[0]
    );
    assert!(
        rms[..active[0] - 2].iter().all(|&r| r < 0.01 * loudest),
        "silence before the onset"
    );
    let config = FeatureConfig::default();
    let (flat, frame_len) = features_of(audio);
    let middle = active[active.len() / 2];
    let bank = &flat[middle * frame_len + config.mel_bands..(middle + 1) * frame_len];
    let strongest = (LOWEST_MIDI_NOTE..key + 12)
        .max_by(|&a, &b| bank[config.pitch_bin_of(a)].total_cmp(&bank[config.pitch_bin_of(b)]))
        .unwrap();
    assert_eq!(strongest, key);
}

/// The mel bands of `audio` in `frames`, frame after frame.
fn mel_bands_in(audio: &[f32], frames: &[usize]) -> Vec<f32> {
    let (flat, frame_len) = features_of(audio);
    let bands = FeatureConfig::default().mel_bands;
    frames
        .iter()
        .flat_map(|t| flat[t * frame_len..t * frame_len + bands].to_vec())
        .collect()
}

/// Mean absolute difference of two feature lists: how far apart two renderings sound.
fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

#[test]
fn a_timbre_shifted_note_keeps_its_frames_and_pitch_and_changes_its_sound() {
    // A4 on a violin (GM 40), rendered at 32 kHz as training renders recordings.
    let (key, rate) = (69u8, 32_000);
    let score = Score {
        parts: vec![Part::new(Voice::Program(40), notes(&[(key, 0.5, 0.7)]))],
        duration: 2.0,
    };
    let active: Vec<usize> = (50..120).collect();
    let heard = |semitones: i8| {
        let shift = TimbreShift {
            semitones,
            cents: 0.0,
        };
        let parts = render_parts(&score, &training_font().into(), rate, &[shift]).unwrap();
        resample(&parts[0], rate, ANALYSIS_RATE).unwrap()
    };
    let mel = |audio: &[f32]| mel_bands_in(audio, &active);
    let plain = heard(0);
    let together = render(score.parts.clone(), 2.0, rate);
    let together = resample(&together, rate, ANALYSIS_RATE).unwrap();
    // Alone and unshifted, a part sounds as it does in the whole score.
    let same = distance(&mel(&plain), &mel(&together));
    assert!(same < 1e-3, "unshifted part differs by {same}");
    for semitones in [-3, 3] {
        let shifted = heard(semitones);
        assert_note_heard(&shifted, key, &active);
        let moved = distance(&mel(&shifted), &mel(&plain));
        assert!(
            moved > 0.05,
            "a shift of {semitones} semitones changed the mel bands by only {moved}"
        );
    }
}

#[test]
fn a_variation_preset_plays_the_same_notes_with_another_sound() {
    let font = training_font();
    // FluidR3 keeps a 12-string guitar (bank 8) and a mandolin (bank 16) beside GM 25, a
    // ukulele beside GM 24, no second viola, and kits besides the standard one.
    assert_eq!(font.variations(Voice::Program(25)), [8, 16]);
    assert_eq!(font.variations(Voice::Program(24)), [8]);
    assert!(font.variations(Voice::Program(41)).is_empty());
    let kits = font.variations(Voice::Percussion);
    assert!(kits.len() >= 20 && kits.contains(&25), "kits {kits:?}");

    let active: Vec<usize> = (50..120).collect();
    let heard = |voice: Voice, key: u8, variation: u8| {
        let mut part = Part::new(voice, notes(&[(key, 0.5, 0.7)]));
        part.variation = variation;
        render(vec![part], 2.0, ANALYSIS_RATE)
    };
    let mel = |audio: &[f32]| mel_bands_in(audio, &active);
    // A4 on the steel-string guitar and on the mandolin in its place.
    let (guitar, mandolin) = (
        heard(Voice::Program(25), 69, 0),
        heard(Voice::Program(25), 69, 16),
    );
    assert_note_heard(&mandolin, 69, &active);
    let moved = distance(&mel(&mandolin), &mel(&guitar));
    assert!(
        moved > 0.05,
        "the mandolin differs from the guitar by only {moved}"
    );
    // A snare drum (key 38) from the standard kit and from the TR-808.
    let (standard, tr808) = (
        heard(Voice::Percussion, 38, 0),
        heard(Voice::Percussion, 38, 25),
    );
    let moved = distance(&mel(&tr808), &mel(&standard));
    assert!(
        moved > 0.05,
        "the 808 snare differs from the standard one by only {moved}"
    );
    // A variation the font lacks is its General MIDI sound.
    let lacking = distance(
        &mel(&heard(Voice::Program(41), 60, 8)),
        &mel(&heard(Voice::Program(41), 60, 0)),
    );
    assert!(
        lacking < 1e-6,
        "a missing variation changed the viola by {lacking}"
    );
}

#[test]
fn a_rendered_note_is_labelled_in_exactly_its_frames_at_its_pitch_and_programme() {
    // A4 on a church organ (GM 19) from 0.5 s to 1.2 s in 2 s of audio.
    let (key, onset, duration) = (69u8, 0.5, 0.7);
    let part = Part::new(Voice::Program(19), notes(&[(key, onset, duration)]));
    let score = Score {
        parts: vec![part.clone()],
        duration: 2.0,
    };
    let audio = render(vec![part], 2.0, ANALYSIS_RATE);
    let frames = frame_count(audio.len(), ANALYSIS_RATE);
    let classes = ClassList::default_gm();
    let organ = classes.index_of("organ").unwrap();
    let labels = label_score(&score, &classes, frames);

    let active: Vec<usize> = (0..frames)
        .filter(|t| labels.instrument[t * classes.len() + organ] > 0.0)
        .collect();
    assert_eq!(active, (50..120).collect::<Vec<_>>(), "labelled frames");
    let pitch = usize::from(key - LOWEST_MIDI_NOTE);
    for t in 0..frames {
        let row = &labels.pitch[t * PITCH_COUNT..(t + 1) * PITCH_COUNT];
        let expected: Vec<f32> = (0..PITCH_COUNT)
            .map(|p| {
                if p == pitch && active.contains(&t) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        assert_eq!(row, expected.as_slice(), "pitch labels of frame {t}");
    }
    let programme_frames: Vec<(usize, usize)> = (0..frames * GM_PROGRAMMES)
        .filter(|&i| labels.programme[i] > 0.0)
        .map(|i| (i / GM_PROGRAMMES, i % GM_PROGRAMMES))
        .collect();
    let expected: Vec<(usize, usize)> = active.iter().map(|&t| (t, 19)).collect();
    assert_eq!(
        programme_frames, expected,
        "programme labels (frame, programme)"
    );

    assert_note_heard(&audio, key, &active);
}

#[test]
fn a_fixed_instrument_count_gives_pieces_of_exactly_that_many_parts() {
    // `cargo xtask eval --instruments N` scores solos and dense mixtures apart through this.
    let classes = ClassList::default_gm();
    for count in [1, 3, 6] {
        let config = ProceduralConfig {
            min_instruments: count,
            max_instruments: count,
            ..ProceduralConfig::default()
        };
        for seed in 0..20 {
            let score = generate(&classes, &config, seed);
            assert_eq!(score.parts.len(), count, "seed {seed}");
            let labels = label_score(&score, &classes, 400);
            let heard = labels.clip.iter().filter(|&&c| c > 0.0).count();
            assert!(
                (1..=count).contains(&heard),
                "seed {seed}: {heard} classes labelled for {count} parts"
            );
        }
    }
}

#[test]
fn classes_are_drawn_by_their_programme_count_to_the_exponent() {
    // Piano spans 8 GM programmes, violin one: drawn equally often with exponent 0, about
    // 8 times as often with exponent 1 (so each piano programme is heard as often as violin).
    let classes = ClassList::default_gm();
    let piano = classes.index_of("piano").unwrap();
    let violin = classes.index_of("violin").unwrap();
    for (exponent, low, high) in [(0.0, 0.7, 1.4), (1.0, 6.0, 10.5)] {
        let config = ProceduralConfig {
            programme_count_exponent: exponent,
            ..ProceduralConfig::default()
        };
        let mut parts = vec![0usize; classes.len()];
        for seed in 0..3000 {
            for part in generate(&classes, &config, seed).parts {
                if let Voice::Program(program) = part.voice {
                    parts[classes.class_of_program(program).unwrap()] += 1;
                }
            }
        }
        let ratio = parts[piano] as f64 / parts[violin] as f64;
        assert!(
            (low..=high).contains(&ratio),
            "exponent {exponent}: piano {} parts, violin {} (ratio {ratio:.2})",
            parts[piano],
            parts[violin]
        );
    }
}

#[test]
fn a_buried_part_is_unknown_and_a_part_heard_alone_is_known_however_quiet() {
    // A loud violin over a flute at channel volume 4 (about 60 dB down), then a grand piano
    // chord struck once and held alone for 8 s (30 dB under its attack by the end).
    let violin = Part::new(Voice::Program(40), notes(&[(64, 0.0, 2.0), (67, 2.0, 2.0)]));
    let flute = Part {
        volume: 4,
        ..Part::new(Voice::Program(73), notes(&[(72, 0.5, 3.0)]))
    };
    let piano = Part::new(
        Voice::Program(0),
        notes(&[(48, 4.5, 8.0), (55, 4.5, 8.0), (64, 4.5, 8.0)]),
    );
    let score = Score {
        parts: vec![violin, flute, piano],
        duration: 13.0,
    };
    let rate = 32_000;
    let parts = render_parts(&score, &training_font().into(), rate, &[]).unwrap();
    let mut mix = vec![0.0f32; score.samples_at(rate)];
    for part in &parts {
        mix.iter_mut().zip(part).for_each(|(m, p)| *m += p);
    }
    let classes = ClassList::default_gm();
    let frames = 1300;
    let mut labels = label_score(&score, &classes, frames);
    mask_inaudible(&mut labels, &score, &classes, &parts, &mix, rate);
    let c = classes.len();
    let share_known = |name: &str, span: std::ops::Range<usize>| {
        let k = classes.index_of(name).unwrap();
        let labelled: Vec<usize> = span
            .filter(|t| labels.instrument[t * c + k] > 0.0)
            .collect();
        assert!(!labelled.is_empty(), "{name} labelled");
        labelled
            .iter()
            .filter(|&&t| labels.instrument_known[t * c + k] > 0.0)
            .count() as f64
            / labelled.len() as f64
    };
    let (violin, flute) = (share_known("violin", 0..400), share_known("flute", 0..400));
    let piano = share_known("piano", 450..1300);
    assert_eq!(violin, 1.0, "the loud violin is always heard");
    assert!(
        flute < 0.05,
        "the buried flute is unknown in {flute} of its frames"
    );
    assert_eq!(piano, 1.0, "the piano alone is heard to its end");
    // Cells labelled absent are never in doubt.
    assert!(
        labels
            .instrument
            .iter()
            .zip(&labels.instrument_known)
            .all(|(&label, &known)| label > 0.0 || known == 1.0)
    );
}
