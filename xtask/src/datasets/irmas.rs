//! IRMAS (Bosch et al. 2012): predominant instruments in 11 classes. Training excerpts sit in
//! one folder per predominant class (`<root>/<code>/*.wav`); testing excerpts come with a
//! `<name>.txt` beside `<name>.wav` listing one class code per line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use timbrescope_engine::classes::ClassList;

use super::{LabelledClip, has_extension, sorted_entries};

/// IRMAS class codes and the class each one is in the default list.
const CODES: [(&str, &str); 11] = [
    ("cel", "cello"),
    ("cla", "clarinet"),
    ("flu", "flute"),
    ("gac", "acoustic_guitar"),
    ("gel", "electric_guitar"),
    ("org", "organ"),
    ("pia", "piano"),
    ("sax", "saxophone"),
    ("tru", "trumpet"),
    ("vio", "violin"),
    ("voi", "voice"),
];

fn class_of_code(code: &str) -> Option<&'static str> {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

fn wav_files(dir: &Path) -> Result<Vec<PathBuf>> {
    sorted_entries(dir, |p| has_extension(p, &["wav"]))
}

/// Training excerpts: only the predominant class is known (present); other instruments may
/// play too, so every other class is unknown.
pub fn load_training(root: &Path, classes: &ClassList) -> Result<Vec<LabelledClip>> {
    let mut clips = Vec::new();
    for (code, name) in CODES {
        let folder = root.join(code);
        if !folder.is_dir() {
            continue;
        }
        for audio in wav_files(&folder)? {
            let mut clip = LabelledClip::unlabelled(audio, classes);
            clip.set_present(classes, name);
            clips.push(clip);
        }
    }
    Ok(clips)
}

/// Testing excerpts: the listed classes are present, the other IRMAS classes absent, and the
/// classes IRMAS does not annotate unknown.
pub fn load_testing(folder: &Path, classes: &ClassList) -> Result<Vec<LabelledClip>> {
    let all: Vec<&str> = CODES.iter().map(|(_, name)| *name).collect();
    let mut clips = Vec::new();
    for audio in wav_files(folder)? {
        let labels_path = audio.with_extension("txt");
        let text = std::fs::read_to_string(&labels_path)
            .with_context(|| labels_path.display().to_string())?;
        let mut clip = LabelledClip::unlabelled(audio, classes);
        clip.know(classes, &all);
        for code in text.split_whitespace() {
            let name = class_of_code(code).with_context(|| {
                format!(
                    "{}: unknown IRMAS class code {code:?}",
                    labels_path.display()
                )
            })?;
            clip.set_present(classes, name);
        }
        clips.push(clip);
    }
    Ok(clips)
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_synth::wav::write_wav;

    #[test]
    fn reads_irmas_training_folders_and_testing_label_files() {
        let tmp = tempfile::tempdir().unwrap();
        let training = tmp.path().join("IRMAS-TrainingData");
        for (code, file) in [
            ("cel", "[cel][cla]0001__1.wav"),
            ("voi", "[voi][pop_roc]2187__3.wav"),
        ] {
            std::fs::create_dir_all(training.join(code)).unwrap();
            write_wav(&training.join(code).join(file), &[0.0; 441], 44_100).unwrap();
        }
        let testing = tmp.path().join("IRMAS-TestingData-Part1/Part1");
        std::fs::create_dir_all(&testing).unwrap();
        write_wav(&testing.join("02 - Song-1.wav"), &[0.0; 441], 44_100).unwrap();
        std::fs::write(testing.join("02 - Song-1.txt"), "gel\t\npia\t\n").unwrap();

        let classes = ClassList::default_gm();
        let at = |name: &str| classes.index_of(name).unwrap();
        let train = load_training(&training, &classes).unwrap();
        assert_eq!(train.len(), 2);
        assert!(train[0].audio.ends_with("cel/[cel][cla]0001__1.wav"));
        assert_eq!(train[0].present[at("cello")], 1.0);
        assert_eq!(
            train[0].known.iter().sum::<f32>(),
            1.0,
            "only the predominant class is known"
        );
        assert_eq!(train[1].present[at("voice")], 1.0);

        let test = load_testing(&testing, &classes).unwrap();
        assert_eq!(test.len(), 1);
        let clip = &test[0];
        assert_eq!(clip.present[at("electric_guitar")], 1.0);
        assert_eq!(clip.present[at("piano")], 1.0);
        assert_eq!(clip.present.iter().sum::<f32>(), 2.0);
        assert_eq!(clip.known[at("violin")], 1.0, "IRMAS classes are known");
        assert_eq!(clip.known[at("bass")], 0.0, "bass is not an IRMAS class");

        std::fs::write(testing.join("02 - Song-1.txt"), "xyz\n").unwrap();
        let error = load_testing(&testing, &classes).unwrap_err().to_string();
        assert!(
            error.contains("02 - Song-1.txt") && error.contains("xyz"),
            "{error}"
        );
    }
}
