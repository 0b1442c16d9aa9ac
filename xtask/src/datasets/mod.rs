//! Loaders for datasets a user owns, each in its published on-disk layout. Every loader yields
//! [`LabelledClip`]s: an audio file with clip labels over the model's classes and a mask of the
//! classes the dataset actually says something about (the loss ignores the others).

pub mod irmas;
pub mod nsynth;
pub mod openmic;
pub mod slakh;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use timbrescope_engine::classes::ClassList;

/// The entries of `dir` that `keep` accepts, in name order, so every loader reads a dataset in
/// the same order on every machine.
pub fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| dir.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| keep(p))
        .collect();
    entries.sort();
    Ok(entries)
}

/// Whether `path` ends in one of `extensions` (without the dot, any case).
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| extensions.iter().any(|e| x.eq_ignore_ascii_case(e)))
}

/// One audio file and what the dataset says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledClip {
    /// The audio file.
    pub audio: PathBuf,
    /// `[C]`: 1 for classes that play, 0 otherwise.
    pub present: Vec<f32>,
    /// `[C]`: 1 for classes the labels cover, 0 where the dataset is silent.
    pub known: Vec<f32>,
    /// MIDI pitch of an isolated note (NSynth), if the dataset gives one.
    pub pitch: Option<u8>,
}

impl LabelledClip {
    /// A clip with nothing known yet.
    fn unlabelled(audio: PathBuf, classes: &ClassList) -> Self {
        Self {
            audio,
            present: vec![0.0; classes.len()],
            known: vec![0.0; classes.len()],
            pitch: None,
        }
    }

    /// Marks every class named in `names` as known (and absent unless set present later).
    fn know(&mut self, classes: &ClassList, names: &[&str]) {
        for name in names {
            if let Some(k) = classes.index_of(name) {
                self.known[k] = 1.0;
            }
        }
    }

    /// Marks `name` as known and present.
    fn set_present(&mut self, classes: &ClassList, name: &str) {
        if let Some(k) = classes.index_of(name) {
            self.known[k] = 1.0;
            self.present[k] = 1.0;
        }
    }
}
