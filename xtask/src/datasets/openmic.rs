//! OpenMIC-2018 (Humphrey et al. 2018): 10 s excerpts at `<root>/audio/<key[..3]>/<key>.ogg`
//! and crowd-sourced, partial labels in `<root>/openmic-2018-aggregated-labels.csv`
//! (`sample_key,instrument,relevance,num_responses`). An instrument without a row for an
//! excerpt is unknown for it, which is what the masked loss is for.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use timbrescope_engine::classes::ClassList;

use super::LabelledClip;

/// The labels file name inside the dataset root.
pub const LABELS_FILE: &str = "openmic-2018-aggregated-labels.csv";

/// Relevance at or above which an instrument counts as present.
const PRESENT_RELEVANCE: f64 = 0.5;

/// Classes an OpenMIC instrument name stands for; several when it does not tell them apart.
fn classes_of(instrument: &str) -> &'static [&'static str] {
    match instrument {
        "accordion" => &["accordion"],
        "bass" => &["bass"],
        "cello" => &["cello"],
        "clarinet" => &["clarinet"],
        "cymbals" => &["cymbals"],
        "drums" => &["drums"],
        "flute" => &["flute"],
        "guitar" => &["acoustic_guitar", "electric_guitar"],
        "mallet_percussion" => &["mallet_percussion"],
        "organ" => &["organ"],
        "piano" => &["piano"],
        "saxophone" => &["saxophone"],
        "synthesizer" => &["synthesizer"],
        "trombone" => &["trombone"],
        "trumpet" => &["trumpet"],
        "violin" => &["violin"],
        "voice" => &["voice"],
        _ => &[],
    }
}

/// Reads the aggregated labels and points each excerpt at its audio file.
pub fn load(root: &Path, classes: &ClassList) -> Result<Vec<LabelledClip>> {
    let path = root.join(LABELS_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let mut clips: BTreeMap<String, LabelledClip> = BTreeMap::new();
    for (line_number, line) in text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (Some(key), Some(instrument), Some(relevance)) =
            (fields.first(), fields.get(1), fields.get(2))
        else {
            bail!(
                "{}:{}: expected sample_key,instrument,relevance",
                path.display(),
                line_number + 1
            );
        };
        let relevance: f64 = relevance.parse().with_context(|| {
            format!(
                "{}:{}: relevance {relevance:?} is not a number",
                path.display(),
                line_number + 1
            )
        })?;
        let clip = clips.entry(key.to_string()).or_insert_with(|| {
            let folder = key.get(..3).unwrap_or(key);
            LabelledClip::unlabelled(
                root.join("audio").join(folder).join(format!("{key}.ogg")),
                classes,
            )
        });
        match classes_of(instrument) {
            [single] if relevance >= PRESENT_RELEVANCE => clip.set_present(classes, single),
            [single] => clip.know(classes, &[single]),
            // Absent: none of them plays. Present: one of them does, which one is unknown.
            several if relevance < PRESENT_RELEVANCE => clip.know(classes, several),
            _ => {}
        }
    }
    Ok(clips.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openmic_partial_labels() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(
            root.join(LABELS_FILE),
            "sample_key,instrument,relevance,num_responses\n\
             000046_3840,violin,0.83,3\n\
             000046_3840,piano,0.17,3\n\
             000135_483840,guitar,0.9,3\n\
             000135_483840,drums,0.0,3\n",
        )
        .unwrap();
        let classes = ClassList::default_gm();
        let at = |name: &str| classes.index_of(name).unwrap();
        let clips = load(root, &classes).unwrap();
        assert_eq!(clips.len(), 2);

        let first = &clips[0];
        assert!(first.audio.ends_with("audio/000/000046_3840.ogg"));
        assert_eq!(
            (first.present[at("violin")], first.known[at("violin")]),
            (1.0, 1.0)
        );
        assert_eq!(
            (first.present[at("piano")], first.known[at("piano")]),
            (0.0, 1.0)
        );
        assert_eq!(
            first.known.iter().sum::<f32>(),
            2.0,
            "unrated classes stay unknown"
        );

        let second = &clips[1];
        assert_eq!(second.known[at("drums")], 1.0);
        assert_eq!(second.present[at("drums")], 0.0);
        assert_eq!(
            second.known[at("acoustic_guitar")] + second.known[at("electric_guitar")],
            0.0,
            "which guitar is unknown"
        );
    }
}
