//! The instrument classes a model recognises and how General MIDI maps onto them.
//!
//! A model carries its own class list in its sidecar; [`ClassList::default_gm`] is the list of
//! docs/ARCHITECTURE.md, used to label synthesised data and by the built-in model.

use serde::{Deserialize, Serialize};

/// Lowest MIDI note of the 88-key pitch axis (A0).
pub const LOWEST_MIDI_NOTE: u8 = 21;

/// Note name with octave, C4 = MIDI 60, for axes and labels in reports and the editor.
pub fn note_name(midi: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    format!(
        "{}{}",
        NAMES[usize::from(midi % 12)],
        i32::from(midi) / 12 - 1
    )
}
/// Number of pitches on the pitch axis: MIDI 21–108, the piano range.
pub const PITCH_COUNT: usize = 88;
/// Number of General MIDI programmes (melodic voices 0–127).
pub const GM_PROGRAMMES: usize = 128;
/// MIDI channel index (0-based) that General MIDI reserves for percussion.
pub const GM_PERCUSSION_CHANNEL: u8 = 9;

/// Percussion keys that count as cymbals rather than drums (crash, ride, china, splash).
const CYMBAL_KEYS: [u8; 6] = [49, 51, 52, 55, 57, 59];

/// One instrument class: its name and the General MIDI programmes that sound like it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentClass {
    /// Stable snake_case name written into prediction files and MIDI track names.
    pub name: String,
    /// 0-based GM programmes rendered as this class; empty for percussion classes.
    pub programs: Vec<u8>,
    /// Percussion source on channel 10, if this class is drawn from it.
    #[serde(default)]
    pub percussion: Option<PercussionPart>,
}

/// Which channel-10 keys a percussion class covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PercussionPart {
    /// Every percussion key that is not a cymbal.
    Drums,
    /// Crash, ride, china and splash cymbals.
    Cymbals,
}

impl InstrumentClass {
    /// Whether the class takes part in the pianoroll; percussion has no pitch.
    pub fn is_pitched(&self) -> bool {
        self.percussion.is_none()
    }

    /// The GM programme a MIDI export uses for this class (its first one).
    pub fn export_program(&self) -> u8 {
        self.programs.first().copied().unwrap_or(0)
    }
}

/// The ordered class list of a model: index `c` of every class axis means `classes[c]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClassList {
    classes: Vec<InstrumentClass>,
}

impl ClassList {
    /// Builds a list from explicit classes (a model trained on another taxonomy).
    pub fn new(classes: Vec<InstrumentClass>) -> Self {
        Self { classes }
    }

    /// The default taxonomy of docs/ARCHITECTURE.md: 23 pitched classes, then drums and cymbals.
    pub fn default_gm() -> Self {
        let pitched: [(&str, &[u8]); 23] = [
            ("piano", &[0, 1, 2, 3, 4, 5, 6, 7]),
            ("mallet_percussion", &[8, 9, 10, 11, 12, 13, 14]),
            ("organ", &[16, 17, 18, 19, 20]),
            ("accordion", &[21, 23]),
            ("acoustic_guitar", &[24, 25]),
            ("electric_guitar", &[26, 27, 28, 29, 30, 31]),
            ("bass", &[32, 33, 34, 35, 36, 37, 38, 39]),
            ("violin", &[40]),
            ("viola", &[41]),
            ("cello", &[42]),
            ("contrabass", &[43]),
            ("harp", &[46]),
            ("voice", &[52, 53, 54]),
            ("trumpet", &[56, 59]),
            ("trombone", &[57]),
            ("tuba", &[58]),
            ("french_horn", &[60]),
            ("saxophone", &[64, 65, 66, 67]),
            ("oboe", &[68, 69]),
            ("bassoon", &[70]),
            ("clarinet", &[71]),
            ("flute", &[72, 73, 74, 75]),
            ("synthesizer", &(80..96).collect::<Vec<u8>>()),
        ];
        let mut classes: Vec<InstrumentClass> = pitched
            .iter()
            .map(|(name, programs)| InstrumentClass {
                name: (*name).to_string(),
                programs: programs.to_vec(),
                percussion: None,
            })
            .collect();
        for (name, part) in [
            ("drums", PercussionPart::Drums),
            ("cymbals", PercussionPart::Cymbals),
        ] {
            classes.push(InstrumentClass {
                name: name.to_string(),
                programs: Vec::new(),
                percussion: Some(part),
            });
        }
        Self { classes }
    }

    /// Number of classes (the `C` of every class axis).
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether the list is empty (never true for a usable model).
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The classes in axis order.
    pub fn iter(&self) -> impl Iterator<Item = &InstrumentClass> {
        self.classes.iter()
    }

    /// The class at axis index `index`.
    pub fn get(&self, index: usize) -> Option<&InstrumentClass> {
        self.classes.get(index)
    }

    /// Axis index of the class called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.classes.iter().position(|c| c.name == name)
    }

    /// Class names in axis order, as written into prediction files.
    pub fn names(&self) -> Vec<String> {
        self.classes.iter().map(|c| c.name.clone()).collect()
    }

    /// The class a melodic GM programme (0-based) is rendered as, if the list covers it.
    pub fn class_of_program(&self, program: u8) -> Option<usize> {
        self.classes
            .iter()
            .position(|c| c.programs.contains(&program))
    }

    /// The class a note on the GM percussion channel belongs to, if the list covers it.
    pub fn class_of_percussion_key(&self, key: u8) -> Option<usize> {
        let part = if CYMBAL_KEYS.contains(&key) {
            PercussionPart::Cymbals
        } else {
            PercussionPart::Drums
        };
        self.classes.iter().position(|c| c.percussion == Some(part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_follow_the_c4_is_60_convention() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(21), "A0");
        assert_eq!(note_name(108), "C8");
        assert_eq!(note_name(70), "A#4");
    }

    #[test]
    fn default_list_maps_gm_programmes_and_percussion() {
        let classes = ClassList::default_gm();
        assert_eq!(classes.len(), 25);
        assert_eq!(classes.class_of_program(0), classes.index_of("piano"));
        assert_eq!(classes.class_of_program(71), classes.index_of("clarinet"));
        assert_eq!(
            classes.class_of_program(15),
            None,
            "dulcimer is in no class"
        );
        assert_eq!(
            classes.class_of_percussion_key(36),
            classes.index_of("drums")
        );
        assert_eq!(
            classes.class_of_percussion_key(49),
            classes.index_of("cymbals")
        );
        assert!(
            !classes
                .get(classes.index_of("drums").unwrap())
                .unwrap()
                .is_pitched()
        );
    }
}
