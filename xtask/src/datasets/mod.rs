//! Loaders for datasets a user owns, each in its published on-disk layout. Every loader yields
//! [`LabelledClip`]s: an audio file with clip labels over the model's classes and a mask of the
//! classes the dataset actually says something about (the loss ignores the others).

pub mod irmas;
pub mod nsynth;
pub mod openmic;
pub mod slakh;

use std::path::PathBuf;

use timbrescope_engine::classes::ClassList;

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
