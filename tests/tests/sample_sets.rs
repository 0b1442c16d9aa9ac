//! Every permitted timbre source loads from its real files (as Debian and npm install them)
//! and plays its notes at their pitch; the deny-list cannot be rendered.

use timbrescope_synth::SampleSet;
use timbrescope_synth::render::{RenderError, TimbreShift, render_part};
use timbrescope_synth::sample_sets::Refusal;
use timbrescope_synth::sample_sets::catalogue::{SOURCES, Source};
use timbrescope_synth::score::{Part, ScoreNote, Voice};
use timbrescope_tests::pitch::measure_root;

const RATE: u32 = 44_100;

fn load(name: &str) -> SampleSet {
    Source::named(name)
        .and_then(Source::load)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// One note of `key` held for `seconds`, rendered alone with `set`.
fn play(set: &SampleSet, voice: Voice, key: u8, seconds: f64) -> Result<Vec<f32>, RenderError> {
    let note = ScoreNote {
        onset: 0.05,
        duration: seconds,
        key,
        velocity: 100,
    };
    let part = Part::new(voice, vec![note]);
    let samples = ((seconds + 0.5) * f64::from(RATE)) as usize;
    render_part(&part, set, RATE, TimbreShift::default(), samples)
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

/// The note sounds, and (for a pitched voice) at the key's pitch within `cents`.
fn assert_plays(set: &SampleSet, voice: Voice, key: u8, cents: i16) {
    let audio = play(set, voice, key, 1.0).unwrap_or_else(|e| panic!("{e}"));
    let level = rms(&audio[2205..RATE as usize]);
    assert!(
        level > 1e-3,
        "{} {voice:?} key {key}: silent ({level})",
        set.name()
    );
    if matches!(voice, Voice::Percussion) {
        return;
    }
    let (found, off) = measure_root(&audio[2205..], RATE)
        .unwrap_or_else(|| panic!("{} {voice:?} key {key}: no pitch", set.name()));
    let error = (i32::from(found) - i32::from(key)) * 100 + i32::from(off);
    assert!(
        error.abs() <= i32::from(cents),
        "{} {voice:?} key {key}: heard key {found} {off:+} cents",
        set.name()
    );
}

#[test]
fn a_denied_preset_cannot_be_rendered_and_an_allowed_one_can() {
    let general_user = load("generaluser");
    for voice in [Voice::Program(42), Voice::Program(68), Voice::Percussion] {
        match play(&general_user, voice, 60, 0.5) {
            Err(RenderError::Refused(Refusal::Denied { .. })) => {}
            other => panic!("{voice:?} on GeneralUser: {other:?}"),
        }
        assert!(!general_user.plays(voice));
    }
    // A denied variation is refused too, not replaced by the main sound.
    let mut denied_variation = Part::new(Voice::Program(39), Vec::new());
    denied_variation.variation = 8;
    assert!(matches!(
        render_part(
            &denied_variation,
            &general_user,
            RATE,
            TimbreShift::default(),
            100
        ),
        Err(RenderError::Refused(Refusal::Denied {
            bank: 8,
            program: 39,
            ..
        }))
    ));
    assert_plays(&general_user, Voice::Program(40), 69, 30);
    assert_plays(&general_user, Voice::Program(71), 62, 30);
}

#[test]
fn freepats_patches_play_at_their_pitch_and_its_skipped_patches_are_absent() {
    let freepats = load("freepats");
    for (program, key) in [(0u8, 60u8), (40, 69), (71, 62), (33, 40), (73, 79)] {
        assert_plays(&freepats, Voice::Program(program), key, 30);
    }
    assert_plays(&freepats, Voice::Percussion, 36, 0);
    assert_plays(&freepats, Voice::Percussion, 38, 0);
    match play(&freepats, Voice::Program(68), 69, 0.5) {
        Err(RenderError::Refused(Refusal::Missing { .. })) => {}
        other => panic!("oboe (skipped patch): {other:?}"),
    }
    // A held note of a looped patch keeps sounding past its sample.
    let violin = play(&freepats, Voice::Program(40), 69, 3.0).unwrap();
    let late = rms(&violin[(2.5 * f64::from(RATE)) as usize..(3.0 * f64::from(RATE)) as usize]);
    assert!(
        late > 0.2 * rms(&violin[4410..44_100]),
        "violin dies while held: {late}"
    );
}

#[test]
fn one_shot_sets_play_every_key_at_its_pitch() {
    let salamander = load("salamander");
    // Keys on a sample's root and between roots.
    for key in [33u8, 45, 60, 61, 62, 84, 93] {
        assert_plays(&salamander, Voice::Program(0), key, 30);
    }
    let lmms = load("lmms");
    for (program, key) in [
        (42u8, 45u8),
        (36, 40),
        (0, 64),
        (73, 76),
        (56, 65),
        (40, 69),
    ] {
        assert_plays(&lmms, Voice::Program(program), key, 35);
    }
}

#[test]
fn single_preset_fonts_play_as_the_voice_they_hold() {
    for name in ["avl-black-pearl", "avl-red-zeppelin"] {
        let kit = load(name);
        assert_eq!(kit.voices(), [Voice::Percussion]);
        assert_plays(&kit, Voice::Percussion, 36, 0);
        assert_plays(&kit, Voice::Percussion, 38, 0);
    }
    assert_plays(&load("csound-trumpet"), Voice::Program(56), 65, 30);
    assert_plays(&load("csound-guitar"), Voice::Program(25), 52, 30);
    let guitar = load("csound-guitar");
    assert!(matches!(
        play(&guitar, Voice::Program(0), 60, 0.5),
        Err(RenderError::Refused(Refusal::Missing { .. }))
    ));
}

#[test]
fn every_catalogued_source_loads() {
    for source in SOURCES {
        let set = source.load().unwrap_or_else(|e| panic!("{e}"));
        assert!(!set.voices().is_empty(), "{}", source.name);
        eprintln!("{}: {} voices", source.name, set.voices().len());
    }
}

#[test]
fn parts_draw_their_set_by_weight_among_the_sets_that_play_them() {
    use rand::SeedableRng;
    use timbrescope_synth::sample_sets::ensemble::{Ensemble, SourceWeight};
    use timbrescope_synth::score::Score;
    let ensemble = Ensemble::load(&[
        SourceWeight::new("fluidr3", 1.0),
        SourceWeight::new("freepats", 1.0),
        SourceWeight::new("generaluser", 2.0),
    ])
    .unwrap();
    let voices = [Voice::Program(0), Voice::Program(42), Voice::Program(68)];
    let score = Score {
        parts: voices.iter().map(|v| Part::new(*v, Vec::new())).collect(),
        duration: 1.0,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut counts = std::collections::BTreeMap::<(usize, String), usize>::new();
    const DRAWS: usize = 2000;
    for _ in 0..DRAWS {
        let cast = ensemble.cast(&score, &mut rng).unwrap();
        for part in 0..voices.len() {
            *counts
                .entry((part, cast.set_of(part).name().to_owned()))
                .or_default() += 1;
        }
    }
    let share = |part: usize, set: &str| {
        counts.get(&(part, set.to_owned())).copied().unwrap_or(0) as f64 / DRAWS as f64
    };
    // Piano: every set, by weight 1:1:2.
    for (set, expected) in [("fluidr3", 0.25), ("freepats", 0.25), ("generaluser", 0.5)] {
        assert!(
            (share(0, set) - expected).abs() < 0.04,
            "piano from {set}: {counts:?}"
        );
    }
    // Cello: GeneralUser's is denied, so FluidR3 and freepats share it.
    assert_eq!(share(1, "generaluser"), 0.0);
    assert!((share(1, "fluidr3") - 0.5).abs() < 0.05, "{counts:?}");
    // Oboe: freepats' patch is skipped and GeneralUser's denied: FluidR3 alone.
    assert_eq!(share(2, "fluidr3"), 1.0, "{counts:?}");

    for (weights, expected) in [
        (vec![SourceWeight::new("fluidr3", 0.0)], "positive"),
        (
            vec![
                SourceWeight::new("fluidr3", 1.0),
                SourceWeight::new("fluidr3", 1.0),
            ],
            "twice",
        ),
        (vec![SourceWeight::new("TimGM6mb", 1.0)], "unknown"),
        (Vec::new(), "at least one"),
    ] {
        let error = Ensemble::load(&weights).unwrap_err().to_string();
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn a_score_is_fitted_to_the_voices_a_set_plays_keeping_each_part_in_its_class() {
    use timbrescope_engine::classes::ClassList;
    use timbrescope_synth::score::Score;
    let classes = ClassList::default_gm();
    let voices = [
        Voice::Program(1),
        Voice::Program(68),
        Voice::Percussion,
        Voice::Program(40),
    ];
    let score = Score {
        parts: voices.iter().map(|v| Part::new(*v, Vec::new())).collect(),
        duration: 1.0,
    };
    let class_of = |voice: Voice| match voice {
        Voice::Program(p) => classes.class_of_program(p),
        Voice::Percussion => None,
    };
    for name in ["salamander", "freepats", "fluidr3"] {
        let set = load(name);
        let mut fitted = score.clone();
        set.fit(&mut fitted, &classes);
        for part in &fitted.parts {
            assert!(set.plays(part.voice), "{name}: {:?}", part.voice);
        }
        let kept: Vec<Voice> = fitted.parts.iter().map(|p| p.voice).collect();
        match name {
            // Piano only: the bright piano becomes the grand, the rest is dropped.
            "salamander" => assert_eq!(kept, [Voice::Program(0)]),
            // The skipped oboe patch: another programme of the oboe's class, or dropped.
            "freepats" => {
                assert_eq!(kept[0], Voice::Program(1));
                assert_eq!(kept[kept.len() - 1], Voice::Program(40));
                assert!(kept.contains(&Voice::Percussion));
                if kept.len() == 4 {
                    assert_ne!(kept[1], Voice::Program(68));
                    assert_eq!(class_of(kept[1]), class_of(Voice::Program(68)));
                }
            }
            _ => assert_eq!(fitted, score, "a full GM font changes nothing"),
        }
    }
}
