//! NSynth (Engel et al. 2017): `<split>/examples.json` maps each note id to its metadata, and
//! `<split>/audio/<id>.wav` holds 4 s of one isolated note at 16 kHz. Used for isolated-note
//! pre-training (Zhong et al.): one instrument family per clip.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;
use timbrescope_engine::classes::ClassList;

use super::LabelledClip;

#[derive(Deserialize)]
struct NsynthNote {
    pitch: u8,
    instrument_family_str: String,
}

/// The classes an NSynth instrument family may be. A family that spans several classes
/// (strings, brass, reeds) marks all of them unknown except the first, which it is most often.
fn family_classes(family: &str) -> &'static [&'static str] {
    match family {
        "bass" => &["bass"],
        "brass" => &["trumpet", "trombone", "tuba", "french_horn"],
        "flute" => &["flute"],
        "guitar" => &["acoustic_guitar", "electric_guitar"],
        "keyboard" => &["piano"],
        "mallet" => &["mallet_percussion"],
        "organ" => &["organ"],
        "reed" => &["saxophone", "clarinet", "oboe", "bassoon"],
        "string" => &["violin", "viola", "cello", "contrabass"],
        "synth_lead" => &["synthesizer"],
        "vocal" => &["voice"],
        _ => &[],
    }
}

/// Reads one NSynth split folder (the one holding `examples.json`).
pub fn load(split: &Path, classes: &ClassList) -> Result<Vec<LabelledClip>> {
    let index = split.join("examples.json");
    let text = std::fs::read_to_string(&index).with_context(|| index.display().to_string())?;
    let notes: BTreeMap<String, NsynthNote> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not an NSynth index", index.display()))?;
    Ok(notes
        .into_iter()
        .filter_map(|(id, note)| {
            let candidates = family_classes(&note.instrument_family_str);
            let first = candidates.first()?;
            let mut clip =
                LabelledClip::unlabelled(split.join("audio").join(format!("{id}.wav")), classes);
            // An isolated note: every class outside the family is known absent.
            clip.known.iter_mut().for_each(|k| *k = 1.0);
            for other in &candidates[1..] {
                if let Some(k) = classes.index_of(other) {
                    clip.known[k] = 0.0;
                }
            }
            clip.set_present(classes, first);
            clip.pitch = Some(note.pitch);
            Some(clip)
        })
        .collect())
}

/// Writes an NSynth split of isolated notes rendered from `font`: `(id, family, GM
/// programme, key)`. For the tests of the loaders and of pre-training.
#[cfg(test)]
pub(crate) fn write_rendered_split(
    dir: &Path,
    notes: &[(&str, &str, u8, u8)],
    font: &timbrescope_synth::SampleSet,
) {
    use timbrescope_synth::render::render_score;
    use timbrescope_synth::score::{Part, Score, ScoreNote, Voice};
    use timbrescope_synth::wav::write_wav;
    std::fs::create_dir_all(dir.join("audio")).unwrap();
    let mut index = serde_json::Map::new();
    for &(id, family, program, key) in notes {
        let note = ScoreNote {
            onset: 0.0,
            duration: 3.0,
            key,
            velocity: 100,
        };
        let score = Score {
            parts: vec![Part::new(Voice::Program(program), vec![note])],
            duration: 4.0,
        };
        let audio = render_score(&score, font, 16_000).unwrap();
        write_wav(&dir.join("audio").join(format!("{id}.wav")), &audio, 16_000).unwrap();
        index.insert(
            id.to_string(),
            serde_json::json!({"pitch": key, "velocity": 100, "instrument_family_str": family}),
        );
    }
    std::fs::write(
        dir.join("examples.json"),
        serde_json::Value::Object(index).to_string(),
    )
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_synth::wav::write_wav;

    #[test]
    fn reads_an_nsynth_split_with_family_labels_and_pitches() {
        let tmp = tempfile::tempdir().unwrap();
        let split = tmp.path().join("nsynth-valid");
        std::fs::create_dir_all(split.join("audio")).unwrap();
        let index = r#"{
            "keyboard_acoustic_004-060-025": {"note": 1, "pitch": 60, "velocity": 25, "instrument_family_str": "keyboard", "instrument_source_str": "acoustic"},
            "string_acoustic_012-067-127": {"note": 2, "pitch": 67, "velocity": 127, "instrument_family_str": "string", "instrument_source_str": "acoustic"}
        }"#;
        std::fs::write(split.join("examples.json"), index).unwrap();
        for id in [
            "keyboard_acoustic_004-060-025",
            "string_acoustic_012-067-127",
        ] {
            write_wav(
                &split.join("audio").join(format!("{id}.wav")),
                &[0.0; 1600],
                16_000,
            )
            .unwrap();
        }
        let classes = ClassList::default_gm();
        let clips = load(&split, &classes).unwrap();
        assert_eq!(clips.len(), 2);
        let at = |name: &str| classes.index_of(name).unwrap();

        let piano = &clips[0];
        assert!(
            piano
                .audio
                .ends_with("audio/keyboard_acoustic_004-060-025.wav")
                && piano.audio.exists()
        );
        assert_eq!(piano.pitch, Some(60));
        assert_eq!(piano.present.iter().sum::<f32>(), 1.0);
        assert_eq!(piano.present[at("piano")], 1.0);
        assert!(
            piano.known.iter().all(|&k| k == 1.0),
            "an isolated piano note rules out every other class"
        );

        let strings = &clips[1];
        assert_eq!(strings.pitch, Some(67));
        assert_eq!(strings.present[at("violin")], 1.0);
        for unsure in ["viola", "cello", "contrabass"] {
            assert_eq!(
                strings.known[at(unsure)],
                0.0,
                "{unsure} is possible for the string family"
            );
        }
        assert_eq!(strings.known[at("piano")], 1.0);
        assert_eq!(strings.present[at("piano")], 0.0);
    }
}
